"""Navigation task (50 Hz): attitude and position/velocity from IMU and GPS.

Requirements
1. Initialised from the state vector the station or ground uplinks
   (STATE_VECTOR), or after a processor reset from the state store's ``nav``
   image if it is younger than ``fdir.nav_restore_max_age_s`` (propagated over
   the gap with the gravity model, attitude with the stored rates); otherwise
   nav stays invalid and says so (NAV_LOST) until a state vector arrives.
2. Attitude: quaternion propagated with the gyro.
3. Translation: velocity-Verlet propagation with the J2 gravity model; the
   accelerometer is integrated only when the sensed specific force exceeds
   ``gnc.accel_threshold_mps2`` (burn, entry, descent), so bias does not walk
   the orbit during long coasts. The accelerometer bias is estimated by averaging
   in quiet free flight before the burn, and kept in the store.
4. GPS fixes (every 5th run) that pass plausibility pull position and velocity
   with gain ``gnc.nav_gps_gain``.
5. A non-finite or out-of-range IMU sample, or any sample while the monitors
   have declared the IMU failed, is not used: nav coasts on the model.
6. Publishes ImuRecord (sensed-acceleration magnitude: insensitive to a sign or
   mounting inversion of the accelerometer - Genesis 2004), NavRecord and
   GpsRecord; saves the nav state every ``fdir.nav_save_s`` (every
   ``fdir.nav_save_dynamic_s`` in DEORBIT_PREP and DEORBIT_BURN).
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import OMEGA_E_RADPS, ecef_to_eci, gravity, quat_integrate, rotate
from fsw.phases import Phase
from fsw.records import AttitudeRecord, GpsRecord, HealthRecord, ImuRecord, NavRecord

#: Physical limits of a credible IMU sample (well beyond the sensor ranges).
MAX_RATE_RADPS = 35.0
MAX_ACCEL_MPS2 = 2000.0
#: Propagation step over a restore gap, s (J2 velocity-Verlet: orbit error < 1 m over minutes).
RESTORE_STEP_S = 1.0
_QUIET = (Phase.ATTACHED, Phase.SEPARATED)
_DYNAMIC = (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN)
STORE_KEY = "nav"


class NavTask:
    name = "nav"
    PARAMS = ("gnc.accel_threshold_mps2", "gnc.bias_cal_s", "gnc.nav_gps_gain", "fdir.nav_save_s",
              "fdir.nav_save_dynamic_s", "fdir.nav_restore_max_age_s")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None
        self.bad_samples = 0
        self.rejected_fixes = 0
        self._bias = (0.0, 0.0, 0.0)
        self._bias_sum = [0.0, 0.0, 0.0]
        self._bias_n = 0
        self._g = None
        self._tick = 0
        self._valid = False
        self._r = (0.0, 0.0, 0.0)
        self._v = (0.0, 0.0, 0.0)
        self._q = (1.0, 0.0, 0.0, 0.0)
        self._w = (0.0, 0.0, 0.0)
        self._fix = None
        self._next_save_t_s = -math.inf
        bus = ctx.bus
        self._pub_imu = bus.port(ImuRecord, self.name)
        self._pub_nav = bus.port(NavRecord, self.name)
        self._pub_gps = bus.port(GpsRecord, self.name)
        self._restore()

    # ---- initialisation ---------------------------------------------------------------
    def _restore(self) -> None:
        ctx = self.ctx
        saved = ctx.store.get(STORE_KEY)
        now = ctx.clock.now_s()
        if saved and saved.get("bias") is not None:
            self._bias = tuple(saved["bias"])
            self._bias_n = int(saved.get("bias_n", 0))
            self._bias_sum = [b * self._bias_n for b in self._bias]
        if not saved or saved.get("r") is None:
            if ctx.boot_kind != "power_on":
                ctx.events.emit(Severity.WARNING_HI, "NAV_LOST", "no stored navigation state: nav invalid "
                                "until a STATE_VECTOR is loaded")
            return
        age = now - saved["t_s"]
        if not 0.0 <= age <= ctx.params.v["fdir.nav_restore_max_age_s"]:
            ctx.events.emit(Severity.WARNING_HI, "NAV_LOST", f"stored navigation state {age:.0f} s old: nav "
                            "invalid until a STATE_VECTOR is loaded", age_s=age)
            return
        r, v, q, w = tuple(saved["r"]), tuple(saved["v"]), tuple(saved["q"]), tuple(saved.get("w", (0, 0, 0)))
        t = 0.0
        while t < age - 1e-9:
            h = min(RESTORE_STEP_S, age - t)
            r, v = self._verlet(r, v, (0.0, 0.0, 0.0), h, gravity(r))[:2]
            q = quat_integrate(q, w, h)
            t += h
        self._r, self._v, self._q, self._w = r, v, q, w
        self._g = gravity(r)
        self._valid = True
        ctx.events.emit(Severity.ACTIVITY_HI, "NAV_RESTORED", f"navigation restored from the store ({age:.1f} s "
                        "propagated)", age_s=round(age, 3))

    def initialise(self, r, v, q) -> str | None:
        """Set the state from an uplinked state vector (ECI, m, m/s, body->ECI quaternion).

        Returns None when loaded, else why it was refused (the state is then untouched):
        the radius must be 6.2e6..5e7 m, the speed below 12 km/s, |q| within 1e-3 of 1."""
        rn = math.sqrt(sum(c * c for c in r))
        vn = math.sqrt(sum(c * c for c in v))
        n = math.sqrt(sum(c * c for c in q))
        if not 6.2e6 <= rn <= 5.0e7:
            return f"position radius {rn:.0f} m outside 6.2e6..5e7 m"
        if not vn < 12000.0:
            return f"speed {vn:.0f} m/s above 12000 m/s"
        if not abs(n - 1.0) <= 1e-3:
            return f"quaternion norm {n:.6f}, expected 1 within 1e-3"
        self._r, self._v = tuple(r), tuple(v)
        self._q = tuple(c / n for c in q)
        self._valid = True
        self._g = gravity(self._r)
        self._next_save_t_s = -math.inf
        self.ctx.events.emit(Severity.ACTIVITY_HI, "NAV_INITIALISED", "state vector loaded")
        return None

    # ---- periodic -----------------------------------------------------------------------
    def run(self, t_s: float) -> None:
        ctx = self.ctx
        # Elapsed time since the last run, not the nominal period: a cycle slip (skipped
        # ticks) must not under-integrate the attitude or the orbit.
        dt = self.dt if self._t_prev is None else max(0.0, t_s - self._t_prev)
        self._t_prev = t_s
        s = ctx.hal.imu.read()
        w, a = s.gyro_radps, s.accel_mps2
        # Range checks written out (this runs at 50 Hz); NaN fails every comparison and
        # an infinity fails the bound, so no separate isfinite is needed.
        wl, al = MAX_RATE_RADPS, MAX_ACCEL_MPS2
        ok = (s.valid and -wl < w[0] < wl and -wl < w[1] < wl and -wl < w[2] < wl
              and -al < a[0] < al and -al < a[1] < al and -al < a[2] < al)
        raw_ok = ok
        degraded = ctx.bus.latest(HealthRecord).degraded
        if not ok:
            self.bad_samples += 1
            ctx.events.emit(Severity.WARNING_LO, "IMU_SAMPLE_REJECTED", "non-finite or out-of-range IMU sample")
        elif "imu" in degraded:
            ok = False
        if "nav" in degraded and self._valid:
            self._valid = False
            ctx.events.emit(Severity.WARNING_HI, "NAV_LOST", "navigation implausible: invalid until a STATE_VECTOR")
        if ok:
            b = self._bias
            a = (a[0] - b[0], a[1] - b[1], a[2] - b[2])
            self._w = w
        else:
            w, a = self._w, (0.0, 0.0, 0.0)
        mag = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        self._pub_imu(ImuRecord(t_s, ok, w, a, mag, raw_ok, s.accel_mps2 if raw_ok else (0.0, 0.0, 0.0)))
        if ok:
            self._calibrate(s.accel_mps2, t_s)
        if self._valid:
            self._propagate(w, a, mag, dt)
        self._tick += 1
        if self._tick % 5 == 0:
            self._gps(t_s)
        self._pub_nav(NavRecord(t_s, self._valid, self._r, self._v, self._q))
        if self._valid and t_s >= self._next_save_t_s:
            self._save(t_s)

    def _save(self, t_s: float) -> None:
        p = self.ctx.params.v
        dyn = self.ctx.phases.phase in _DYNAMIC
        self._next_save_t_s = t_s + (p["fdir.nav_save_dynamic_s"] if dyn else p["fdir.nav_save_s"])
        self.ctx.store.put(STORE_KEY, {"t_s": t_s, "r": list(self._r), "v": list(self._v), "q": list(self._q),
                                       "w": list(self._w), "bias": list(self._bias), "bias_n": self._bias_n})

    def _calibrate(self, raw, t_s: float) -> None:
        p = self.ctx.params.v
        if self.ctx.phases.phase not in _QUIET or self._bias_n * self.dt >= p["gnc.bias_cal_s"]:
            return
        if self.ctx.bus.latest(AttitudeRecord).rcs_mask:
            return
        for i in range(3):
            self._bias_sum[i] += raw[i]
        self._bias_n += 1
        n = self._bias_n
        self._bias = (self._bias_sum[0] / n, self._bias_sum[1] / n, self._bias_sum[2] / n)

    @staticmethod
    def _verlet(r, v, f, dt, g):
        a0 = (g[0] + f[0], g[1] + f[1], g[2] + f[2])
        h2 = 0.5 * dt * dt
        r = (r[0] + v[0] * dt + a0[0] * h2, r[1] + v[1] * dt + a0[1] * h2, r[2] + v[2] * dt + a0[2] * h2)
        g = gravity(r)
        hd = 0.5 * dt
        v = (v[0] + (a0[0] + g[0] + f[0]) * hd, v[1] + (a0[1] + g[1] + f[1]) * hd,
             v[2] + (a0[2] + g[2] + f[2]) * hd)
        return r, v, g

    def _propagate(self, w, a, mag: float, dt: float) -> None:
        q = quat_integrate(self._q, w, dt)
        self._q = q
        f = rotate(q, a) if mag > self.ctx.params.v["gnc.accel_threshold_mps2"] else (0.0, 0.0, 0.0)
        self._r, self._v, self._g = self._verlet(self._r, self._v, f, dt, self._g)

    def _gps(self, t_s: float) -> None:
        ctx = self.ctx
        fix = ctx.hal.gps.read()
        if not fix.valid or "gps" in ctx.bus.latest(HealthRecord).degraded:
            return
        vals = (*fix.r_ecef_m, *fix.v_ecef_mps, fix.lat_deg, fix.lon_deg, fix.alt_m)
        rn = math.sqrt(sum(c * c for c in fix.r_ecef_m))
        if not all(math.isfinite(c) for c in vals) or not 6.2e6 < rn < 8.5e6 or abs(fix.lat_deg) > 90:
            self.rejected_fixes += 1
            ctx.events.emit(Severity.WARNING_LO, "GPS_FIX_REJECTED", "implausible GPS fix")
            return
        self._fix = fix
        self._pub_gps(GpsRecord(t_s, True, fix))
        if not self._valid:
            return
        r_gps = ecef_to_eci(fix.r_ecef_m, t_s)
        # ECEF velocity is Earth-relative: add omega x r for the inertial velocity.
        vr = ecef_to_eci(fix.v_ecef_mps, t_s)
        w = OMEGA_E_RADPS
        v_gps = (vr[0] - w * r_gps[1], vr[1] + w * r_gps[0], vr[2])
        k = ctx.params.v["gnc.nav_gps_gain"]
        self._r = tuple(a + k * (b - a) for a, b in zip(self._r, r_gps))
        self._v = tuple(a + k * (b - a) for a, b in zip(self._v, v_gps))
        self._g = gravity(self._r)

    @property
    def state(self) -> tuple:
        """(valid, r_eci_m, v_eci_mps, q_body_eci) now, between runs."""
        return self._valid, self._r, self._v, self._q

    def telemetry(self) -> dict:
        """HK channels this task owns."""
        return {"nav_valid": int(self._valid)}
