"""Sensor board: IMU and barometer frames on one UART (sans-IO: bytes in, events out).

Our board's own protocol (the HIL emulator in sim/boards serves it; a flight board's
firmware implements the same table). Big-endian, laid out with ``construct``::

    A5 5A | type u8 | seq u16 | board_time_us u32 | payload | CRC-16/CCITT-FALSE u16

The CRC (``crcmod`` ``crc-ccitt-false``: poly 0x1021, init 0xFFFF) covers type to payload.

=====  ======  ===============================================================
type   name    payload
=====  ======  ===============================================================
0x01   IMU     gyro x y z f32 rad/s, accel x y z f32 m/s^2 (specific force,
               body axes), status u8 (bit 0 gyro ok, bit 1 accel ok)  = 25 B
0x02   BARO    unit u8, pressure f32 Pa, temperature f32 degC, status u8
               (bit 0 ok)                                              = 10 B
=====  ======  ===============================================================

Requirements
1. ``SensorBoardDecoder.feed(data)`` returns ``ImuFrame`` / ``BaroFrame`` for each
   frame whose CRC checks, and ``FrameRejected(reason, n_bytes)`` for every run of
   bytes thrown away: ``garbage`` (before a sync), ``bad_type``, ``crc``,
   ``truncated`` (``eof()`` inside a frame). After a rejected sync the search
   restarts one byte after it, so a frame swallowed by a damaged one is found.
2. Sequence numbers run per frame type (mod 2^16); a jump is reported once as
   ``FramesLost(type, n)`` and counted (the line dropped frames), a repeat
   (the same seq again) as a ``duplicate`` rejection.
3. Byte accounting, always true: ``bytes_in == frame_bytes + bytes_discarded + buffered``.
4. ``imu_frame(...)`` / ``baro_frame(...)`` build frames (the board's side).
5. Board time is the board's microsecond counter (wraps at 2^32, ~71.6 min): the
   frames carry it as sampled; the HAL maps it to mission time.
"""
from __future__ import annotations

from dataclasses import dataclass

import crcmod.predefined
from construct import Array, Byte, Const, Float32b, Int16ub, Int32ub, Struct

__all__ = ["ImuFrame", "BaroFrame", "FrameRejected", "FramesLost", "SensorBoardDecoder", "imu_frame",
           "baro_frame", "SYNC", "TYPE_IMU", "TYPE_BARO", "REJECT_REASONS"]

SYNC = b"\xa5\x5a"
TYPE_IMU, TYPE_BARO = 0x01, 0x02
REJECT_REASONS = ("garbage", "bad_type", "crc", "duplicate", "truncated")
_crc16 = crcmod.predefined.mkCrcFun("crc-ccitt-false")

HEADER = Struct("sync" / Const(SYNC), "type" / Byte, "seq" / Int16ub, "board_time_us" / Int32ub)
IMU_PAYLOAD = Struct("gyro_radps" / Array(3, Float32b), "accel_mps2" / Array(3, Float32b), "status" / Byte)
BARO_PAYLOAD = Struct("unit" / Byte, "pressure_pa" / Float32b, "temperature_c" / Float32b, "status" / Byte)
_HEADER_LEN = HEADER.sizeof()
_PAYLOAD = {TYPE_IMU: IMU_PAYLOAD.compile(), TYPE_BARO: BARO_PAYLOAD.compile()}
_PAYLOAD_LEN = {TYPE_IMU: IMU_PAYLOAD.sizeof(), TYPE_BARO: BARO_PAYLOAD.sizeof()}
_HEADER_C = HEADER.compile()
#: Whole frame (header + payload + CRC) by type, bytes.
FRAME_LEN = {t: _HEADER_LEN + n + 2 for t, n in _PAYLOAD_LEN.items()}


@dataclass(frozen=True, slots=True)
class ImuFrame:
    seq: int
    board_time_us: int
    gyro_radps: tuple[float, float, float]
    accel_mps2: tuple[float, float, float]
    gyro_ok: bool
    accel_ok: bool


@dataclass(frozen=True, slots=True)
class BaroFrame:
    seq: int
    board_time_us: int
    unit: int
    pressure_pa: float
    temperature_c: float
    ok: bool


@dataclass(frozen=True, slots=True)
class FrameRejected:
    reason: str
    n_bytes: int


@dataclass(frozen=True, slots=True)
class FramesLost:
    """Requirement 2: ``n`` frames of ``frame_type`` never arrived (a sequence jump)."""
    frame_type: int
    n: int


def _build(ftype: int, seq: int, board_time_us: int, payload: bytes) -> bytes:
    body = _HEADER_C.build({"type": ftype, "seq": seq & 0xFFFF, "board_time_us": board_time_us & 0xFFFFFFFF}) + payload
    return body + _crc16(body[2:]).to_bytes(2, "big")


def imu_frame(seq: int, board_time_us: int, gyro_radps, accel_mps2, gyro_ok: bool = True,
              accel_ok: bool = True) -> bytes:
    """Requirement 4."""
    payload = _PAYLOAD[TYPE_IMU].build({"gyro_radps": list(gyro_radps), "accel_mps2": list(accel_mps2),
                                        "status": int(gyro_ok) | int(accel_ok) << 1})
    return _build(TYPE_IMU, seq, board_time_us, payload)


def baro_frame(seq: int, board_time_us: int, unit: int, pressure_pa: float, temperature_c: float = 15.0,
               ok: bool = True) -> bytes:
    """Requirement 4."""
    payload = _PAYLOAD[TYPE_BARO].build({"unit": unit, "pressure_pa": pressure_pa,
                                         "temperature_c": temperature_c, "status": int(ok)})
    return _build(TYPE_BARO, seq, board_time_us, payload)


class SensorBoardDecoder:
    """Requirements 1-3."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._garbage = 0
        self.bytes_in = self.frame_bytes = self.bytes_discarded = 0
        self.frames = 0
        self.lost = dict.fromkeys(_PAYLOAD, 0)
        self.rejects = dict.fromkeys(REJECT_REASONS, 0)
        self._last_seq: dict[int, int] = {}

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _reject(self, out: list, reason: str, n: int) -> None:
        self.rejects[reason] += 1
        self.bytes_discarded += n
        out.append(FrameRejected(reason, n))

    def feed(self, data: bytes) -> list:
        self.bytes_in += len(data)
        self._buf += data
        out: list = []
        buf = self._buf
        while True:
            i = buf.find(SYNC)
            if i < 0:
                keep = 1 if buf[-1:] == SYNC[:1] else 0        # a sync split across reads
                n = len(buf) - keep
                self._garbage += n
                self.bytes_discarded += n                      # counted now, reported with the run
                del buf[:n]
                break
            if i:
                self._garbage += i
                self.bytes_discarded += i
                del buf[:i]
            if len(buf) < _HEADER_LEN:
                break
            ftype = buf[2]
            if ftype not in FRAME_LEN:
                self._report_garbage(out)
                self._reject(out, "bad_type", 1)
                del buf[:1]
                continue
            n = FRAME_LEN[ftype]
            if len(buf) < n:
                break
            frame = bytes(buf[:n])
            if _crc16(frame[2:-2]) != int.from_bytes(frame[-2:], "big"):
                self._report_garbage(out)
                self._reject(out, "crc", 1)                    # resync one byte on (requirement 1)
                del buf[:1]
                continue
            self._report_garbage(out)
            del buf[:n]
            self._frame(out, ftype, frame)
        return out

    def _report_garbage(self, out: list) -> None:
        """The garbage run ends at a sync: report it (its bytes are already counted discarded)."""
        if self._garbage:
            self.rejects["garbage"] += 1
            out.append(FrameRejected("garbage", self._garbage))
            self._garbage = 0

    def eof(self) -> list:
        out: list = []
        self._report_garbage(out)
        if self._buf:
            self._reject(out, "truncated", len(self._buf))
            self._buf.clear()
        return out

    def _frame(self, out: list, ftype: int, frame: bytes) -> None:
        h = _HEADER_C.parse(frame[:_HEADER_LEN])
        last = self._last_seq.get(ftype)
        if last is not None:
            gap = (h.seq - last) & 0xFFFF
            if gap == 0:
                self._reject(out, "duplicate", len(frame))
                return
            if 1 < gap < 0x8000:                               # a backward jump: the board restarted
                self.lost[ftype] += gap - 1
                out.append(FramesLost(ftype, gap - 1))
        self._last_seq[ftype] = h.seq
        p = _PAYLOAD[ftype].parse(frame[_HEADER_LEN:-2])
        self.frames += 1
        self.frame_bytes += len(frame)
        if ftype == TYPE_IMU:
            out.append(ImuFrame(h.seq, h.board_time_us, tuple(p.gyro_radps), tuple(p.accel_mps2),
                                bool(p.status & 1), bool(p.status & 2)))
        else:
            out.append(BaroFrame(h.seq, h.board_time_us, p.unit, p.pressure_pa, p.temperature_c, bool(p.status & 1)))
