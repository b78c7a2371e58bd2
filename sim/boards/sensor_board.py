"""Sensor-board emulator: the world's IMU and barometers as board frames (hal/protocols/sensor_board.py).

Requirements
1. ``tick(t_s)`` writes every frame due since the last tick: an IMU frame each
   ``1 / imu_hz`` and a frame per barometer each ``1 / baro_hz``, each sampled from the
   in-process HAL device (``hal/sim_backend.py``: the same error models and the same
   scenario faults as SIL) at its own due time's world state (the world is at ``t_s``;
   frames due inside one tick carry that tick's sample, as a board that samples faster
   than the host reads).
2. Board time is ``t_s`` in microseconds from the board's power-on (wrapping at 2^32);
   sequence numbers run per frame type.
3. A device reading flagged invalid goes out with its status bits clear (the board's
   self-test failed); a non-finite value goes out as it is (NaN), for the flight's
   range checks to reject.
"""
from __future__ import annotations

import math

from hal.protocols.sensor_board import baro_frame, imu_frame


class SensorBoardEmulator:
    def __init__(self, imu, baros, port, imu_hz: float = 50.0, baro_hz: float = 10.0):
        self.imu, self.baros, self.port = imu, tuple(baros), port
        self.imu_period_s, self.baro_period_s = 1.0 / imu_hz, 1.0 / baro_hz
        self._next_imu_s = self._next_baro_s = 0.0
        self._seq_imu = self._seq_baro = 0
        self.frames_sent = 0

    def tick(self, t_s: float) -> None:
        out = b""
        tu = int(round(t_s * 1e6))
        while self._next_imu_s <= t_s + 1e-9:
            s = self.imu.read()
            out += imu_frame(self._seq_imu, tu, s.gyro_radps, s.accel_mps2, s.valid, s.valid)
            self._seq_imu = (self._seq_imu + 1) & 0xFFFF
            self._next_imu_s += self.imu_period_s
        while self._next_baro_s <= t_s + 1e-9:
            for unit, b in enumerate(self.baros):
                s = b.read()
                p = s.pressure_pa if math.isfinite(s.pressure_pa) or not s.valid else float("nan")
                out += baro_frame(self._seq_baro, tu, unit, p, 15.0, s.valid)
                self._seq_baro = (self._seq_baro + 1) & 0xFFFF
            self._next_baro_s += self.baro_period_s
        if out:
            self.frames_sent += 1
            self.port.write(out, t_s)
