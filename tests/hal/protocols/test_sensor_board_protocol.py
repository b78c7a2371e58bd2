"""hal/protocols/sensor_board.py: the frame layout against an independent struct packing, the
CRC against its catalogue check value, rejection with resync, sequence gaps, byte accounting at
every split, and a fuzz."""
from __future__ import annotations

import random
import struct

import crcmod.predefined
import pytest

from hal.protocols.sensor_board import (FRAME_LEN, SYNC, TYPE_BARO, TYPE_IMU, BaroFrame, FrameRejected, FramesLost,
                                        ImuFrame, SensorBoardDecoder, baro_frame, imu_frame)

GYRO, ACCEL = (0.01, -0.02, 0.5), (-9.75, 0.125, 3.0)


def accounted(d: SensorBoardDecoder) -> bool:
    return d.bytes_in == d.frame_bytes + d.bytes_discarded + d.buffered


def _ccitt_false(data: bytes) -> int:
    """Bitwise CRC-16/CCITT-FALSE written out (poly 0x1021, init 0xFFFF, no reflection)."""
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def test_crc_is_ccitt_false_by_its_check_value():
    """The CRC catalogue's check value of CRC-16/CCITT-FALSE over "123456789" is 0x29B1."""
    assert crcmod.predefined.mkCrcFun("crc-ccitt-false")(b"123456789") == 0x29B1 == _ccitt_false(b"123456789")


def test_imu_frame_layout_matches_an_independent_packing():
    body = struct.pack(">BHI3f3fB", TYPE_IMU, 513, 123456789, *GYRO, *ACCEL, 0b11)
    expect = SYNC + body + struct.pack(">H", _ccitt_false(body))
    assert imu_frame(513, 123456789, GYRO, ACCEL) == expect and len(expect) == FRAME_LEN[TYPE_IMU] == 36


def test_baro_frame_layout_matches_an_independent_packing():
    body = struct.pack(">BHIBffB", TYPE_BARO, 7, 42, 1, 1013.25, -56.5, 1)
    assert baro_frame(7, 42, 1, 1013.25, -56.5) == SYNC + body + struct.pack(">H", _ccitt_false(body))


def test_frames_decode_to_what_was_built():
    d = SensorBoardDecoder()
    out = d.feed(imu_frame(1, 1000, GYRO, ACCEL, accel_ok=False) + baro_frame(1, 1005, 0, 1200.5))
    imu, baro = out
    assert isinstance(imu, ImuFrame) and imu.seq == 1 and imu.board_time_us == 1000
    assert imu.gyro_radps == pytest.approx(GYRO, rel=1e-7) and imu.accel_mps2 == pytest.approx(ACCEL, rel=1e-7)
    assert imu.gyro_ok and not imu.accel_ok
    assert isinstance(baro, BaroFrame) and baro.pressure_pa == 1200.5 and baro.unit == 0 and baro.ok
    assert accounted(d) and d.buffered == 0


def test_corrupt_frames_and_garbage_are_rejected_and_the_next_frame_found():
    good = imu_frame(5, 0, GYRO, ACCEL)
    bad = bytearray(imu_frame(4, 0, GYRO, ACCEL))
    bad[12] ^= 0x40                                          # a payload bit: CRC fails
    d = SensorBoardDecoder()
    out = d.feed(b"\x00\x11\x22" + bytes(bad) + good)
    reasons = [e.reason for e in out if isinstance(e, FrameRejected)]
    assert reasons[:2] == ["garbage", "crc"] and isinstance(out[-1], ImuFrame) and out[-1].seq == 5
    assert d.rejects["crc"] == 1 and accounted(d)


def test_a_frame_swallowed_by_a_damaged_header_is_still_found():
    """A sync followed by a valid-looking type whose frame would run into the next real frame."""
    d = SensorBoardDecoder()
    out = d.feed(SYNC + bytes([TYPE_IMU]) + b"\x00" * 5 + baro_frame(9, 1, 1, 900.0) + b"\x00" * 40)
    assert any(isinstance(e, BaroFrame) and e.seq == 9 for e in out) and accounted(d)


def test_bad_type_is_rejected():
    d = SensorBoardDecoder()
    out = d.feed(SYNC + b"\x07" + b"\x00" * 40)
    assert out[0] == FrameRejected("bad_type", 1) and accounted(d)


def test_sequence_gaps_and_duplicates():
    d = SensorBoardDecoder()
    out = d.feed(imu_frame(65534, 0, GYRO, ACCEL) + imu_frame(1, 0, GYRO, ACCEL)      # wraps; 65535, 0 lost
                 + imu_frame(1, 0, GYRO, ACCEL) + baro_frame(3, 0, 0, 1.0e4))         # a repeat; baro apart
    kinds = [type(e).__name__ if not isinstance(e, FrameRejected) else e.reason for e in out]
    assert kinds == ["ImuFrame", "FramesLost", "ImuFrame", "duplicate", "BaroFrame"]
    assert out[1] == FramesLost(TYPE_IMU, 2) and d.lost[TYPE_IMU] == 2 and accounted(d)


def test_split_at_every_byte():
    stream = imu_frame(1, 10, GYRO, ACCEL) + baro_frame(1, 11, 1, 5.0e4)
    for cut in range(1, len(stream)):
        d = SensorBoardDecoder()
        out = d.feed(stream[:cut]) + d.feed(stream[cut:])
        assert [type(e) for e in out] == [ImuFrame, BaroFrame], cut
        assert accounted(d)


def test_eof_inside_a_frame_is_truncated():
    d = SensorBoardDecoder()
    d.feed(imu_frame(1, 0, GYRO, ACCEL)[:20])
    assert d.eof() == [FrameRejected("truncated", 20)] and accounted(d)


def test_fuzz_random_and_mutated_frames():
    """20 000 chunks: valid, bit-flipped, cut, inserted and random. No exception, every byte
    accounted for, and no flipped frame accepted (CRC-16 catches every 1-bit error)."""
    rng = random.Random(5)
    d = SensorBoardDecoder()
    whole = 0
    for k in range(20_000):
        f = bytearray(imu_frame(k, k * 20_000, GYRO, ACCEL) if k % 3 else baro_frame(k, k, k % 2, 1.0e3 + k))
        r = rng.random()
        if r < 0.4:
            whole += 1
        elif r < 0.6:
            f[rng.randrange(2, len(f))] ^= 1 << rng.randrange(8)
        elif r < 0.75:
            f = f[:rng.randrange(1, len(f))]
        elif r < 0.9:
            f[rng.randrange(len(f)):rng.randrange(len(f))] = rng.randbytes(rng.randrange(1, 8))
        else:
            f = bytearray(rng.randbytes(rng.randrange(1, 60)))
        for ev in d.feed(bytes(f)):
            assert isinstance(ev, (ImuFrame, BaroFrame, FrameRejected, FramesLost))
        assert accounted(d)
    d.eof()
    assert accounted(d) and d.buffered == 0
    assert 0.9 * whole <= d.frames <= whole + 50            # inserts that happen to leave a frame whole
