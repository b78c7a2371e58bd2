"""Star tracker model, and the Sun's direction it must keep out of its baffle.

Requirements
1. Output: the body->ECI quaternion at ``update_hz``, held between updates, with the
   time of its exposure; ``valid`` False when the tracker has no solution.
2. Error: ``q_meas = q_true x dq(e)``, ``e`` a small body-frame rotation: white noise
   of ``cross_sigma_arcsec`` on the two axes normal to the boresight and
   ``roll_sigma_arcsec`` about it, plus a constant mounting (alignment) error
   ``bias_arcsec`` per body axis. Three normals are drawn per update whether or not
   the tracker is available (requirement 1 of sim/sensors.py: the noise stream does
   not depend on the trajectory's geometry).
3. A solution needs, all at once: the body rate below ``max_rate_dps`` (star
   streaks), the Sun more than ``sun_exclusion_deg`` from the boresight, the
   boresight more than ``earth_exclusion_deg`` above the Earth's limb, the altitude
   above ``min_alt_m`` (below it entry heating and the plasma sheath blind the optics),
   and ``acquire_s`` of such conditions without a break (lost-in-space acquisition).
4. The Sun: low-precision solar coordinates (Astronomical Almanac, about 0.01 deg)
   at the scenario's epoch, turned into the simulator's ECI (x through Greenwich at
   time 0) by the Greenwich mean sidereal angle of that epoch. Its motion over a
   flight of hours (0.04 deg/h) is neglected.
Parameters: the hardware profile's ``star_tracker`` section (sim/hardware_schema.py).
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import NamedTuple

_ARCSEC = math.pi / (180.0 * 3600.0)
_RE_M = 6378137.0
#: Epoch of simulation time 0 when a scenario gives none (environment.epoch_utc).
DEFAULT_EPOCH_UTC = "2026-12-01T00:00:00Z"
_J2000 = datetime(2000, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def days_since_j2000(epoch_utc: str) -> float:
    """Days from J2000.0 (2000-01-01 12:00 UTC; UTC used for TT: 69 s is 1e-3 deg of Sun)."""
    t = datetime.fromisoformat(epoch_utc.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return (t - _J2000).total_seconds() / 86400.0


def sun_unit_true_eci(n_days: float) -> tuple[float, float, float]:
    """Unit vector to the Sun, equatorial frame of date (Astronomical Almanac low-precision formulae)."""
    d2r = math.radians
    mean_lon = 280.460 + 0.9856474 * n_days
    anomaly = d2r(357.528 + 0.9856003 * n_days)
    lam = d2r(mean_lon + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2.0 * anomaly))
    eps = d2r(23.439 - 4.0e-7 * n_days)
    return math.cos(lam), math.cos(eps) * math.sin(lam), math.sin(eps) * math.sin(lam)


def gmst_rad(n_days: float) -> float:
    """Greenwich mean sidereal angle, rad (linear IAU 1982 form, about 0.1 s over decades)."""
    return math.radians((280.46061837 + 360.98564736629 * n_days) % 360.0)


def sun_unit_sim_eci(epoch_utc: str) -> tuple[float, float, float]:
    """Unit vector to the Sun in the simulator's ECI (x through Greenwich at t = 0)."""
    n = days_since_j2000(epoch_utc)
    x, y, z = sun_unit_true_eci(n)
    g = gmst_rad(n)
    c, s = math.cos(g), math.sin(g)
    return c * x + s * y, -s * x + c * y, z


class StarFix(NamedTuple):
    """One tracker output: exposure time s, solution valid, body->ECI quaternion."""
    t_s: float
    valid: bool
    q_body_eci: tuple[float, float, float, float]


def quat_mul(a, b):
    """Hamilton product a x b of (w, x, y, z) quaternions."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw)


def _rotate(q, v):
    w, x, y, z = q
    vx, vy, vz = v
    tx, ty, tz = 2 * (y * vz - z * vy), 2 * (z * vx - x * vz), 2 * (x * vy - y * vx)
    return (vx + w * tx + y * tz - z * ty, vy + w * ty + z * tx - x * tz, vz + w * tz + x * ty - y * tx)


def small_rotation(e) -> tuple[float, float, float, float]:
    """Quaternion of the rotation vector e (rad)."""
    a = math.sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2])
    if a < 1e-12:
        return 1.0, 0.5 * e[0], 0.5 * e[1], 0.5 * e[2]
    s = math.sin(0.5 * a) / a
    return math.cos(0.5 * a), e[0] * s, e[1] * s, e[2] * s


class StarTrackerModel:
    """See the module requirements."""

    def __init__(self, cfg: dict, noise, sun_eci: tuple[float, float, float]):
        self.noise = noise
        self.period_s = 1.0 / cfg["update_hz"]
        b = cfg["boresight_body"]
        n = math.sqrt(sum(c * c for c in b))
        self.boresight = tuple(c / n for c in b)
        # Per-body-axis noise: roll sigma along the boresight, cross sigma normal to it
        # (exact for a boresight along a body axis, which the schema asks for).
        cross, roll = cfg["cross_sigma_arcsec"] * _ARCSEC, cfg["roll_sigma_arcsec"] * _ARCSEC
        self.sigma = tuple(roll * abs(c) + cross * (1.0 - abs(c)) for c in self.boresight)
        self.bias = tuple(c * _ARCSEC for c in cfg["bias_arcsec"])
        self.max_rate_radps = math.radians(cfg["max_rate_dps"])
        self.cos_sun = math.cos(math.radians(cfg["sun_exclusion_deg"]))
        self.earth_margin_rad = math.radians(cfg["earth_exclusion_deg"])
        self.min_alt_m = cfg["min_alt_m"]
        self.acquire_s = cfg["acquire_s"]
        self.sun = sun_eci
        self._next_t_s = -math.inf
        self._available_since: float | None = None
        self._last = StarFix(0.0, False, (1.0, 0.0, 0.0, 0.0))

    def available(self, q_body_eci, r_eci, rates_body, alt_m: float) -> bool:
        """Requirement 3 without the acquisition time."""
        w = rates_body
        if w[0] * w[0] + w[1] * w[1] + w[2] * w[2] > self.max_rate_radps ** 2 or alt_m < self.min_alt_m:
            return False
        bs = _rotate(q_body_eci, self.boresight)
        if bs[0] * self.sun[0] + bs[1] * self.sun[1] + bs[2] * self.sun[2] > self.cos_sun:
            return False
        rn = math.sqrt(r_eci[0] ** 2 + r_eci[1] ** 2 + r_eci[2] ** 2)
        cos_nadir = -(bs[0] * r_eci[0] + bs[1] * r_eci[1] + bs[2] * r_eci[2]) / rn
        limb = math.asin(min(1.0, _RE_M / rn))
        return math.acos(max(-1.0, min(1.0, cos_nadir))) > limb + self.earth_margin_rad

    def read(self, t_s: float, q_body_eci, r_eci, rates_body, alt_m: float) -> StarFix:
        """The latest output at time t_s (a new exposure every 1 / update_hz)."""
        if t_s < self._next_t_s - 1e-9:
            return self._last
        self._next_t_s = t_s + self.period_s
        n0, n1, n2 = self.noise.normals(3)
        if not self.available(q_body_eci, r_eci, rates_body, alt_m):
            self._available_since = None
            self._last = StarFix(t_s, False, self._last.q_body_eci)
            return self._last
        if self._available_since is None:
            self._available_since = t_s
        if t_s - self._available_since < self.acquire_s - 1e-9:
            self._last = StarFix(t_s, False, self._last.q_body_eci)
            return self._last
        sx, sy, sz = self.sigma
        bx, by, bz = self.bias
        q = quat_mul(q_body_eci, small_rotation((bx + sx * n0, by + sy * n1, bz + sz * n2)))
        if q[0] < 0.0:
            q = (-q[0], -q[1], -q[2], -q[3])
        self._last = StarFix(t_s, True, q)
        return self._last
