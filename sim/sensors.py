"""Sensor models: IMU, barometers, GPS receiver, water switch.

Requirements
1. Every random draw comes from one seeded ``NoiseSource``, drawn in a fixed order,
   so a scenario and seed give the same readings bit for bit.
2. IMU: gyro and accelerometer with white noise, constant bias, saturation at the
   sensor's range and quantisation to its LSB.
3. Barometer: static pressure of the US76 atmosphere at the true altitude, with
   noise and bias, clamped to the sensor's range (a reading at the low clamp means
   "above range").
4. GPS: no fix above the COCOM-like altitude or speed limits or in plasma
   blackout; after an outage a fix returns only after ``ttff_s`` of continuous
   visibility; position and velocity noise.
5. Water switch: closes when the capsule floats.
Parameters come from the hardware profile (config/sil.yaml, sim/hardware_schema.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.atmosphere import us76

_BLOCK = 4096


class NoiseSource:
    """Standard-normal and uniform draws from a seeded PCG64, served in blocks."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._normals: list[float] = []
        self._i = 0

    def normal(self) -> float:
        """One N(0, 1) draw."""
        if self._i >= len(self._normals):
            self._normals = self._rng.standard_normal(_BLOCK).tolist()
            self._i = 0
        v = self._normals[self._i]
        self._i += 1
        return v

    def uniform(self) -> float:
        """One U[0, 1) draw (from the same stream as normal(), via the normal CDF)."""
        return 0.5 * (1.0 + math.erf(self.normal() / math.sqrt(2.0)))


@dataclass(frozen=True, slots=True)
class ImuReading:
    gyro_radps: tuple[float, float, float]
    accel_mps2: tuple[float, float, float]


class ImuModel:
    """Strapdown IMU: body rates (rad/s) and specific force (m/s^2)."""

    def __init__(self, cfg: dict, noise: NoiseSource):
        self.noise = noise
        self.gyro_noise = math.radians(cfg["gyro_noise_dps"])
        self.gyro_bias = tuple(math.radians(b) for b in cfg["gyro_bias_dps"])
        self.gyro_range = math.radians(cfg["gyro_range_dps"])
        self.gyro_lsb = math.radians(cfg["gyro_lsb_dps"])
        self.accel_noise = cfg["accel_noise_mps2"]
        self.accel_bias = tuple(cfg["accel_bias_mps2"])
        self.accel_range = cfg["accel_range_mps2"]
        self.accel_lsb = cfg["accel_lsb_mps2"]

    def read(self, w_body, f_body) -> ImuReading:
        """Sample the sensor given true body rates and specific force."""
        n = self.noise.normal
        g = tuple(_clip(_quantise(w + b + self.gyro_noise * n(), self.gyro_lsb), self.gyro_range)
                  for w, b in zip(w_body, self.gyro_bias))
        a = tuple(_clip(_quantise(f + b + self.accel_noise * n(), self.accel_lsb), self.accel_range)
                  for f, b in zip(f_body, self.accel_bias))
        return ImuReading(g, a)


class BaroModel:
    """Static-pressure sensor."""

    def __init__(self, cfg: dict, noise: NoiseSource, bias_pa: float):
        self.noise = noise
        self.noise_pa = cfg["noise_pa"]
        self.bias_pa = bias_pa
        self.min_pa = cfg["min_pa"]
        self.max_pa = cfg["max_pa"]

    def read(self, alt_m: float) -> float:
        """Measured pressure, Pa, at a true geometric altitude."""
        alt = min(max(alt_m, -4999.0), 999_999.0)
        p = us76(alt).pressure_pa + self.bias_pa + self.noise_pa * self.noise.normal()
        return min(max(p, self.min_pa), self.max_pa)


@dataclass(frozen=True, slots=True)
class GpsReading:
    valid: bool
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    r_ecef_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    v_ecef_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    n_sats: int = 0


class GpsModel:
    """COTS receiver with COCOM limits, plasma blackout and re-acquisition time."""

    def __init__(self, cfg: dict, noise: NoiseSource):
        self.noise = noise
        self.max_alt_m = cfg["max_alt_m"]
        self.max_speed_mps = cfg["max_speed_mps"]
        self.ttff_s = cfg["ttff_s"]
        self.pos_noise_m = cfg["pos_noise_m"]
        self.vel_noise_mps = cfg["vel_noise_mps"]
        self.blackout_speed_mps = cfg["blackout_speed_mps"]
        self.blackout_max_alt_m = cfg["blackout_max_alt_m"]
        self._visible_since: float | None = None

    def visible(self, alt_m: float, speed_mps: float) -> bool:
        """True when the receiver could track: inside limits, no plasma blackout."""
        if alt_m > self.max_alt_m or speed_mps > self.max_speed_mps:
            return False
        return not (speed_mps > self.blackout_speed_mps and alt_m < self.blackout_max_alt_m)

    def read(self, t_s: float, lat_deg, lon_deg, alt_m, r_ecef, v_ecef, speed_mps) -> GpsReading:
        """One navigation solution, or an invalid reading."""
        if not self.visible(alt_m, speed_mps):
            self._visible_since = None
            return GpsReading(False)
        if self._visible_since is None:
            self._visible_since = t_s
        if t_s - self._visible_since < self.ttff_s:
            return GpsReading(False)
        n = self.noise.normal
        dr = tuple(self.pos_noise_m * n() for _ in range(3))
        dv = tuple(self.vel_noise_mps * n() for _ in range(3))
        r = tuple(a + b for a, b in zip(r_ecef, dr))
        v = tuple(a + b for a, b in zip(v_ecef, dv))
        # Horizontal noise mapped into degrees (small-angle), vertical onto altitude.
        dlat = math.degrees(dr[0] / 6.371e6)
        dlon = math.degrees(dr[1] / (6.371e6 * max(0.01, math.cos(math.radians(lat_deg)))))
        return GpsReading(True, lat_deg + dlat, lon_deg + dlon, alt_m + dr[2], r, v, 9)


def _clip(v: float, lim: float) -> float:
    return lim if v > lim else (-lim if v < -lim else v)


def _quantise(v: float, lsb: float) -> float:
    return round(v / lsb) * lsb if lsb > 0 else v
