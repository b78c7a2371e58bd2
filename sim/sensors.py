"""Sensor models: IMU, barometers, GPS receiver, water switch.

Requirements
1. Every random draw comes from one seeded ``NoiseSource``, drawn in a fixed order,
   so a scenario and seed give the same readings bit for bit. A model draws the
   same number of values whatever its parameters (a sigma of 0 still draws), so
   switching one error term off does not shift the stream seen by the others.
2. IMU, per axis of each triad (gyro, accelerometer)::

       y = clip(quantise(M (I + S) x + b0 + b_gm + n), range)

   - ``x`` the true body rate / specific force;
   - ``S = diag(scale_factor_ppm) * 1e-6`` the scale-factor error;
   - ``M`` = identity plus the six small misalignment angles off the diagonal
     (``misalignment_deg = [xy, xz, yx, yz, zx, zy]``: element ``ij`` is the
     sensitivity of output axis i to an input along axis j, radians); ``M (I + S)``
     is built once;
   - ``b0`` the constant turn-on bias;
   - ``b_gm`` the bias instability, a first-order Gauss-Markov process with
     steady-state sigma ``s`` and correlation time ``tau``, updated once per
     sample: ``b <- phi b + s sqrt(1 - phi^2) w``, ``phi = exp(-1 / (rate tau))``,
     started from its steady-state distribution when the model is built;
   - ``n`` white noise from the noise density ND (angle / velocity random walk):
     ``sigma = ND sqrt(rate_hz)`` per sample, so that the integrated angle
     (velocity) error grows as ND sqrt(t) whatever the rate;
   - quantisation to the LSB, then saturation at the range.
   The sensor samples at ``rate_hz``: read with a time, it returns the held
   previous sample (no new draws) until ``1 / rate_hz`` has passed since the
   last sample, as a real IMU's output register does when polled faster than its
   output data rate. Without a time every read is a new sample.
3. Barometer: static pressure of the US76 atmosphere at the true altitude, plus
   a supersonic static-port error ``dP = k q r(M)`` (k = ``supersonic_q_frac``,
   q the free-stream dynamic pressure, r a linear ramp from 0 at
   ``supersonic_mach_onset`` to 1 at ``supersonic_mach_full``; 0 below the onset),
   through a first-order pneumatic lag (time constant ``lag_tau_s``; the input is
   taken as varying linearly between reads, so a steady descent reads exactly
   ``rate x tau`` high whatever the read interval), plus a
   constant bias and white noise, clamped to the sensor's range (a reading at the
   low clamp means "above range").
4. GPS: no fix above the altitude or speed limits (either exceeded: a COTS
   receiver's COCOM limits; a space receiver's are above any orbit flown), in
   plasma blackout, or while the sensed acceleration exceeds ``max_accel_mps2``
   (the tracking loops lose lock under high dynamics). The first fix after power-on
   comes ``cold_start_s`` after the receiver first sees the sky; after an outage a
   fix returns only after ``ttff_s`` of continuous visibility (reacquisition; the
   outage must be seen by a read: the flight software polls the receiver at 10 Hz);
   position and velocity noise.
5. Water switch: closes when the capsule floats, after ``water.delay_s``
   (hal/sim_backend.py ``SimWater``).
Parameters come from the hardware profile (config/sil.yaml, sim/hardware_schema.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.atmosphere import us76

_BLOCK = 4096
#: Tolerance on sample times, s (world times are sums of float steps).
_T_TOL_S = 1e-6


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

    def normals(self, k: int) -> list[float]:
        """k N(0, 1) draws, the same values in the same order as k calls of normal()."""
        i = self._i
        out = self._normals[i:i + k]
        if len(out) == k:
            self._i = i + k
            return out
        self._i = len(self._normals)
        return out + [self.normal() for _ in range(k - len(out))]

    def uniform(self) -> float:
        """One U[0, 1) draw (from the same stream as normal(), via the normal CDF)."""
        return 0.5 * (1.0 + math.erf(self.normal() / math.sqrt(2.0)))


class ImuReading(NamedTuple):
    """One IMU sample (immutable; built at the IMU rate, so a NamedTuple)."""
    gyro_radps: tuple[float, float, float]
    accel_mps2: tuple[float, float, float]


def error_matrix(scale_factor_ppm, misalignment) -> tuple[float, ...]:
    """Row-major 3x3 ``M (I + S)``: misalignment angles (rad, [xy, xz, yx, yz, zx, zy])
    times the scale-factor error (ppm per axis)."""
    sx, sy, sz = (1.0 + 1e-6 * s for s in scale_factor_ppm)
    xy, xz, yx, yz, zx, zy = misalignment
    return (sx, xy * sy, xz * sz,
            yx * sx, sy, yz * sz,
            zx * sx, zy * sy, sz)


class _Triad:
    """One sensor triad's error model (all SI: rad/s or m/s^2). Plain floats, unrolled:
    this runs at the IMU rate inside a simulator that must beat real time 100-fold."""
    __slots__ = ("m", "b0", "b1", "b2", "g0", "g1", "g2", "phi", "drive", "white", "lsb", "lim")

    def __init__(self, noise: NoiseSource, rate_hz: float, density: float, bias, gm_sigma: float,
                 gm_tau_s: float, scale_factor_ppm, misalignment_rad, lsb: float, lim: float):
        self.m = error_matrix(scale_factor_ppm, misalignment_rad)
        self.b0, self.b1, self.b2 = bias
        self.phi = math.exp(-1.0 / (rate_hz * gm_tau_s))
        self.drive = gm_sigma * math.sqrt(1.0 - self.phi * self.phi)
        self.white = density * math.sqrt(rate_hz)
        self.lsb = lsb
        self.lim = lim
        # Steady-state start of the Gauss-Markov bias: three draws at construction.
        self.g0 = gm_sigma * noise.normal()
        self.g1 = gm_sigma * noise.normal()
        self.g2 = gm_sigma * noise.normal()

    @property
    def gm(self) -> tuple[float, float, float]:
        """Current Gauss-Markov bias per axis."""
        return self.g0, self.g1, self.g2

    def sample(self, v, noise: NoiseSource) -> tuple[float, float, float]:
        """One sample of true vector v; draws 6 normals (per axis: GM, then white)."""
        m, phi, drive, white = self.m, self.phi, self.drive, self.white
        a, b, c = v
        n0, n1, n2, n3, n4, n5 = noise.normals(6)
        g0 = self.g0 = phi * self.g0 + drive * n0
        y0 = m[0] * a + m[1] * b + m[2] * c + self.b0 + g0 + white * n1
        g1 = self.g1 = phi * self.g1 + drive * n2
        y1 = m[3] * a + m[4] * b + m[5] * c + self.b1 + g1 + white * n3
        g2 = self.g2 = phi * self.g2 + drive * n4
        y2 = m[6] * a + m[7] * b + m[8] * c + self.b2 + g2 + white * n5
        lsb, lim = self.lsb, self.lim
        if lsb > 0.0:
            y0, y1, y2 = round(y0 / lsb) * lsb, round(y1 / lsb) * lsb, round(y2 / lsb) * lsb
        return (lim if y0 > lim else (-lim if y0 < -lim else y0),
                lim if y1 > lim else (-lim if y1 < -lim else y1),
                lim if y2 > lim else (-lim if y2 < -lim else y2))


class ImuModel:
    """Strapdown IMU: body rates (rad/s) and specific force (m/s^2). See requirement 2."""

    def __init__(self, cfg: dict, noise: NoiseSource):
        self.noise = noise
        self.rate_hz = cfg["rate_hz"]
        self.period_s = 1.0 / self.rate_hz
        d2r = math.radians
        self.gyro = _Triad(noise, self.rate_hz, d2r(cfg["gyro_noise_density_dps_rthz"]),
                           [d2r(b) for b in cfg["gyro_bias_dps"]], d2r(cfg["gyro_bias_gm_sigma_dph"]) / 3600.0,
                           cfg["gyro_bias_gm_tau_s"], cfg["gyro_scale_factor_ppm"],
                           [d2r(a) for a in cfg["gyro_misalignment_deg"]],
                           d2r(cfg["gyro_lsb_dps"]), d2r(cfg["gyro_range_dps"]))
        self.accel = _Triad(noise, self.rate_hz, cfg["accel_noise_density_mps2_rthz"],
                            cfg["accel_bias_mps2"], cfg["accel_bias_gm_sigma_mps2"],
                            cfg["accel_bias_gm_tau_s"], cfg["accel_scale_factor_ppm"],
                            [d2r(a) for a in cfg["accel_misalignment_deg"]],
                            cfg["accel_lsb_mps2"], cfg["accel_range_mps2"])
        self._last: ImuReading | None = None
        self._last_t_s = -math.inf

    def read(self, w_body, f_body, t_s: float | None = None) -> ImuReading:
        """Sample the sensor given true body rates and specific force.

        With ``t_s``, a read less than one sample period after the last sample
        returns that sample again (sample-and-hold at ``rate_hz``)."""
        if t_s is not None:
            if self._last is not None and t_s < self._last_t_s + self.period_s - _T_TOL_S:
                return self._last
            self._last_t_s = t_s
        n = self.noise
        r = ImuReading(self.gyro.sample(w_body, n), self.accel.sample(f_body, n))
        self._last = r
        return r


class BaroModel:
    """Static-pressure sensor behind a port with pneumatic lag. See requirement 3."""

    def __init__(self, cfg: dict, noise: NoiseSource, bias_pa: float):
        self.noise = noise
        self.noise_pa = cfg["noise_pa"]
        self.bias_pa = bias_pa
        self.min_pa = cfg["min_pa"]
        self.max_pa = cfg["max_pa"]
        self.lag_tau_s = cfg["lag_tau_s"]
        self.k_q = cfg["supersonic_q_frac"]
        self.mach_onset = cfg["supersonic_mach_onset"]
        self.mach_full = max(cfg["supersonic_mach_full"], self.mach_onset)
        self._port_pa: float | None = None      # lagged pressure at the sensor, Pa
        self._in_pa = 0.0                        # port input (true + port error) at the last read, Pa

    def port_error_pa(self, mach: float, q_pa: float) -> float:
        """Static-port error in supersonic flow, Pa: k q ramped in from the onset Mach."""
        if mach <= self.mach_onset or self.k_q == 0.0:
            return 0.0
        span = self.mach_full - self.mach_onset
        r = 1.0 if span <= 0.0 or mach >= self.mach_full else (mach - self.mach_onset) / span
        return self.k_q * q_pa * r

    def read(self, alt_m: float, mach: float = 0.0, q_pa: float = 0.0, dt_s: float | None = None) -> float:
        """Measured pressure, Pa, at a true geometric altitude, Mach number and dynamic
        pressure; ``dt_s`` is the time since the previous read (None: no lag, the
        sensor settles at once, as on the first read)."""
        alt = min(max(alt_m, -4999.0), 999_999.0)
        p = max(0.0, _static_pa(alt) + self.port_error_pa(mach, q_pa))
        if dt_s is None or self._port_pa is None or self.lag_tau_s <= 0.0:
            self._port_pa = p
        elif dt_s > 0.0:
            # Exact lag response to an input varying linearly from the previous read's
            # to this one (a ramp lags by exactly tau, whatever the read interval).
            tau, p0 = self.lag_tau_s, self._in_pa
            a = math.exp(-dt_s / tau)
            self._port_pa = p - (p - p0) * tau / dt_s * (1.0 - a) + (self._port_pa - p0) * a
        self._in_pa = p
        p = self._port_pa + self.bias_pa + self.noise_pa * self.noise.normal()
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
    """GPS receiver (COTS with COCOM limits, or space-qualified): outages, lock loss,
    first fix and reacquisition times. See requirement 4."""

    def __init__(self, cfg: dict, noise: NoiseSource):
        self.noise = noise
        self.max_alt_m = cfg["max_alt_m"]
        self.max_speed_mps = cfg["max_speed_mps"]
        self.ttff_s = cfg["ttff_s"]
        self.pos_noise_m = cfg["pos_noise_m"]
        self.vel_noise_mps = cfg["vel_noise_mps"]
        self.blackout_speed_mps = cfg["blackout_speed_mps"]
        self.blackout_max_alt_m = cfg["blackout_max_alt_m"]
        self.max_accel_mps2 = cfg.get("max_accel_mps2", math.inf)
        cold = cfg.get("cold_start_s")
        self.cold_start_s = self.ttff_s if cold is None else cold
        self._visible_since: float | None = None
        self.had_fix = False         # a fix since power-on: outages cost ttff_s, not the cold start

    def visible(self, alt_m: float, speed_mps: float, accel_mps2: float = 0.0) -> bool:
        """True when the receiver could track: inside limits, no plasma blackout, dynamics
        within the tracking loops' limit."""
        if alt_m > self.max_alt_m or speed_mps > self.max_speed_mps or accel_mps2 > self.max_accel_mps2:
            return False
        return not (speed_mps > self.blackout_speed_mps and alt_m < self.blackout_max_alt_m)

    def read(self, t_s: float, lat_deg, lon_deg, alt_m, r_ecef, v_ecef, speed_mps,
             accel_mps2: float = 0.0) -> GpsReading:
        """One navigation solution, or an invalid reading (``accel_mps2``: the sensed
        specific-force magnitude, m/s^2)."""
        if not self.visible(alt_m, speed_mps, accel_mps2):
            self._visible_since = None
            return GpsReading(False)
        if self._visible_since is None:
            self._visible_since = t_s
        if t_s - self._visible_since < (self.ttff_s if self.had_fix else self.cold_start_s):
            return GpsReading(False)
        self.had_fix = True
        n = self.noise.normal
        dr = tuple(self.pos_noise_m * n() for _ in range(3))
        dv = tuple(self.vel_noise_mps * n() for _ in range(3))
        r = tuple(a + b for a, b in zip(r_ecef, dr))
        v = tuple(a + b for a, b in zip(v_ecef, dv))
        # Horizontal noise mapped into degrees (small-angle), vertical onto altitude.
        dlat = math.degrees(dr[0] / 6.371e6)
        dlon = math.degrees(dr[1] / (6.371e6 * max(0.01, math.cos(math.radians(lat_deg)))))
        return GpsReading(True, lat_deg + dlat, lon_deg + dlon, alt_m + dr[2], r, v, 9)


class WaterSwitchModel:
    """Sea-water switch: reads wet once the capsule has floated for ``delay_s``."""

    def __init__(self, cfg: dict):
        self.delay_s = cfg["delay_s"]

    def wet(self, t_s: float, splash_t_s: float | None) -> bool:
        """True when in the water (since ``splash_t_s``; None: not yet) for at least delay_s."""
        return splash_t_s is not None and t_s >= splash_t_s + self.delay_s - _T_TOL_S


_static_last = [math.nan, 0.0]       # (alt_m, pressure_pa) of the last look-up


def _static_pa(alt_m: float) -> float:
    """US76 static pressure at alt_m, Pa; the redundant units read the same truth
    altitude each tick, so one look-up serves them all (a one-entry memo)."""
    if alt_m != _static_last[0]:
        _static_last[0], _static_last[1] = alt_m, float(us76(alt_m).pressure_pa)
    return _static_last[1]


def _clip(v: float, lim: float) -> float:
    return lim if v > lim else (-lim if v < -lim else v)


def _quantise(v: float, lsb: float) -> float:
    return round(v / lsb) * lsb if lsb > 0 else v
