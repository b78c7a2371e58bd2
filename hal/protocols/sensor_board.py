"""Sensor board: IMU and barometer frames on one UART (sans-IO: bytes in, events out).

Our board's own protocol (the HIL emulator in sim/boards serves it; a flight board's
firmware implements the same table), in the board framing of ``_framing.py``::

    A5 5A | type u8 | seq u16 | board_time_us u32 | payload | CRC-16/CCITT-FALSE u16

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
   frame whose CRC checks, with the framing's rejections, sequence-gap reports and
   byte accounting (``_framing.py`` requirements 1-3).
2. ``imu_frame(...)`` / ``baro_frame(...)`` build frames (the board's side).
3. Board time is the board's microsecond counter (wraps at 2^32, ~71.6 min): the
   frames carry it as sampled; the HAL maps it to mission time.
"""
from __future__ import annotations

from dataclasses import dataclass

from construct import Array, Byte, Float32b, Struct

from hal.protocols._framing import BoardDecoder, BoardFraming, FrameRejected, FramesLost

__all__ = ["ImuFrame", "BaroFrame", "FrameRejected", "FramesLost", "SensorBoardDecoder", "imu_frame",
           "baro_frame", "SYNC", "TYPE_IMU", "TYPE_BARO", "FRAME_LEN", "FRAMING"]

SYNC = b"\xa5\x5a"
TYPE_IMU, TYPE_BARO = 0x01, 0x02
IMU_PAYLOAD = Struct("gyro_radps" / Array(3, Float32b), "accel_mps2" / Array(3, Float32b), "status" / Byte)
BARO_PAYLOAD = Struct("unit" / Byte, "pressure_pa" / Float32b, "temperature_c" / Float32b, "status" / Byte)
FRAMING = BoardFraming(SYNC, {TYPE_IMU: IMU_PAYLOAD, TYPE_BARO: BARO_PAYLOAD})
#: Whole frame (header + payload + CRC) by type, bytes.
FRAME_LEN = FRAMING.frame_len


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


def imu_frame(seq: int, board_time_us: int, gyro_radps, accel_mps2, gyro_ok: bool = True,
              accel_ok: bool = True) -> bytes:
    """Requirement 2."""
    return FRAMING.build(TYPE_IMU, seq, board_time_us, {"gyro_radps": list(gyro_radps),
                                                         "accel_mps2": list(accel_mps2),
                                                         "status": int(gyro_ok) | int(accel_ok) << 1})


def baro_frame(seq: int, board_time_us: int, unit: int, pressure_pa: float, temperature_c: float = 15.0,
               ok: bool = True) -> bytes:
    """Requirement 2."""
    return FRAMING.build(TYPE_BARO, seq, board_time_us, {"unit": unit, "pressure_pa": pressure_pa,
                                                          "temperature_c": temperature_c, "status": int(ok)})


def _message(ftype: int, seq: int, time_us: int, p):
    if ftype == TYPE_IMU:
        return ImuFrame(seq, time_us, tuple(p.gyro_radps), tuple(p.accel_mps2), bool(p.status & 1),
                        bool(p.status & 2))
    return BaroFrame(seq, time_us, p.unit, p.pressure_pa, p.temperature_c, bool(p.status & 1))


class SensorBoardDecoder(BoardDecoder):
    """Requirement 1."""

    def __init__(self) -> None:
        super().__init__(FRAMING, _message)
