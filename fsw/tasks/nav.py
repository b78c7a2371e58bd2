"""Navigation task (50 Hz): attitude and position/velocity from IMU and GPS.

Requirements
1. Initialised from the state vector the station or ground uplinks
   (STATE_VECTOR); until then nav is invalid and GNC only damps rates.
2. Attitude: quaternion propagated with the gyro.
3. Translation: velocity-Verlet propagation with the J2 gravity model; the
   accelerometer is integrated only when the sensed specific force exceeds
   ``gnc.accel_threshold_mps2`` (burn, entry, descent), so bias does not walk
   the orbit during long coasts. The accelerometer bias is estimated by averaging
   in quiet free flight before the burn.
4. GPS fixes (10 Hz) that pass plausibility pull position and velocity with
   gain ``gnc.nav_gps_gain``.
5. A non-finite or out-of-range IMU sample is rejected, counted and reported;
   nav then coasts on the model for that tick.
6. Publishes the sensed-acceleration magnitude (norm: insensitive to a sign or
   mounting inversion of the accelerometer - Genesis 2004).
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import OMEGA_E_RADPS, ecef_to_eci, gravity, quat_integrate, rotate
from fsw.phases import Phase

#: Physical limits of a credible IMU sample (well beyond the sensor ranges).
MAX_RATE_RADPS = 35.0
MAX_ACCEL_MPS2 = 2000.0
_QUIET = (Phase.ATTACHED, Phase.SEPARATED)


class NavTask:
    name = "nav"

    def __init__(self, ctx, dt_s: float):
        self.ctx = ctx
        self.dt = dt_s
        self.bad_samples = 0
        self.rejected_fixes = 0
        self._bias = (0.0, 0.0, 0.0)
        self._bias_sum = [0.0, 0.0, 0.0]
        self._bias_n = 0
        self._g = None
        self._tick = 0

    def initialise(self, r, v, q) -> str | None:
        """Set the state from an uplinked state vector (ECI, m, m/s, body->ECI quaternion).

        Returns None when loaded, else why it was refused (the state is then untouched):
        the radius must be 6.2e6..5e7 m, the speed below 12 km/s, |q| within 1e-3 of 1."""
        d = self.ctx.data
        rn = math.sqrt(sum(c * c for c in r))
        vn = math.sqrt(sum(c * c for c in v))
        n = math.sqrt(sum(c * c for c in q))
        if not 6.2e6 <= rn <= 5.0e7:
            return f"position radius {rn:.0f} m outside 6.2e6..5e7 m"
        if not vn < 12000.0:
            return f"speed {vn:.0f} m/s above 12000 m/s"
        if not abs(n - 1.0) <= 1e-3:
            return f"quaternion norm {n:.6f}, expected 1 within 1e-3"
        d.r_eci_m, d.v_eci_mps = tuple(r), tuple(v)
        d.q_body_eci = tuple(c / n for c in q)
        d.nav_valid = True
        self._g = gravity(d.r_eci_m)
        self.ctx.events.emit(Severity.ACTIVITY_HI, "NAV_INITIALISED", "state vector loaded")
        return None

    def run(self, t_s: float) -> None:
        ctx, d, dt = self.ctx, self.ctx.data, self.dt
        s = ctx.hal.imu.read()
        w, a = s.gyro_radps, s.accel_mps2
        ok = s.valid and all(math.isfinite(c) and abs(c) < MAX_RATE_RADPS for c in w) \
            and all(math.isfinite(c) and abs(c) < MAX_ACCEL_MPS2 for c in a)
        if not ok:
            self.bad_samples += 1
            ctx.events.emit(Severity.WARNING_LO, "IMU_SAMPLE_REJECTED", "non-finite or out-of-range IMU sample")
            w, a = d.gyro_radps, (0.0, 0.0, 0.0)
        else:
            b = self._bias
            a = (a[0] - b[0], a[1] - b[1], a[2] - b[2])
            d.gyro_radps = w
        d.imu_valid = ok
        d.accel_body_mps2 = a
        mag = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        d.sensed_accel_mps2 = mag
        self._calibrate(s.accel_mps2, ok, t_s)
        if d.nav_valid:
            self._propagate(w, a, mag, dt)
        self._tick += 1
        if self._tick % 5 == 0:
            self._gps(t_s)

    def _calibrate(self, raw, ok: bool, t_s: float) -> None:
        p = self.ctx.params.v
        if not ok or self.ctx.phases.phase not in _QUIET or self._bias_n * self.dt >= p["gnc.bias_cal_s"]:
            return
        if self.ctx.data.rcs_mask:
            return
        for i in range(3):
            self._bias_sum[i] += raw[i]
        self._bias_n += 1
        n = self._bias_n
        self._bias = (self._bias_sum[0] / n, self._bias_sum[1] / n, self._bias_sum[2] / n)

    def _propagate(self, w, a, mag: float, dt: float) -> None:
        d = self.ctx.data
        q = quat_integrate(d.q_body_eci, w, dt)
        d.q_body_eci = q
        if mag > self.ctx.params.v["gnc.accel_threshold_mps2"]:
            f = rotate(q, a)
        else:
            f = (0.0, 0.0, 0.0)
        r, v, g = d.r_eci_m, d.v_eci_mps, self._g
        a0 = (g[0] + f[0], g[1] + f[1], g[2] + f[2])
        h2 = 0.5 * dt * dt
        r = (r[0] + v[0] * dt + a0[0] * h2, r[1] + v[1] * dt + a0[1] * h2, r[2] + v[2] * dt + a0[2] * h2)
        g = gravity(r)
        self._g = g
        hd = 0.5 * dt
        v = (v[0] + (a0[0] + g[0] + f[0]) * hd, v[1] + (a0[1] + g[1] + f[1]) * hd,
             v[2] + (a0[2] + g[2] + f[2]) * hd)
        d.r_eci_m, d.v_eci_mps = r, v

    def _gps(self, t_s: float) -> None:
        d, ctx = self.ctx.data, self.ctx
        fix = ctx.hal.gps.read()
        if not fix.valid:
            return
        vals = (*fix.r_ecef_m, *fix.v_ecef_mps, fix.lat_deg, fix.lon_deg, fix.alt_m)
        rn = math.sqrt(sum(c * c for c in fix.r_ecef_m))
        if not all(math.isfinite(c) for c in vals) or not 6.2e6 < rn < 8.5e6 or abs(fix.lat_deg) > 90:
            self.rejected_fixes += 1
            ctx.events.emit(Severity.WARNING_LO, "GPS_FIX_REJECTED", "implausible GPS fix")
            return
        d.gps_fix = fix
        if not d.nav_valid:
            return
        r_gps = ecef_to_eci(fix.r_ecef_m, t_s)
        # ECEF velocity is Earth-relative: add omega x r for the inertial velocity.
        vr = ecef_to_eci(fix.v_ecef_mps, t_s)
        w = OMEGA_E_RADPS
        v_gps = (vr[0] - w * r_gps[1], vr[1] + w * r_gps[0], vr[2])
        k = ctx.params.v["gnc.nav_gps_gain"]
        d.r_eci_m = tuple(a + k * (b - a) for a, b in zip(d.r_eci_m, r_gps))
        d.v_eci_mps = tuple(a + k * (b - a) for a, b in zip(d.v_eci_mps, v_gps))
        self._g = gravity(d.r_eci_m)
