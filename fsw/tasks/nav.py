"""Navigation task (50 Hz): strapdown inertial navigation corrected by an extended
Kalman filter (fsw/gnc/ekf.py) with GPS, star-tracker and barometric measurements.

Requirements
1. Initialised from the state vector the station or ground uplinks
   (STATE_VECTOR: the hand-over, with the 1-sigma errors ``nav.handover_*``;
   the gyro bias starts at zero with ``nav.gyro_bias_sigma_dps``), or after a
   processor reset from the state store's ``nav`` image if it is younger than
   ``fdir.nav_restore_max_age_s`` (propagated over the gap with the gravity
   model, attitude with the stored rates, covariance inflated over the gap);
   otherwise nav stays invalid and says so (NAV_LOST) until a state vector arrives.
2. Attitude: quaternion propagated with the gyro less the estimated gyro bias.
3. Translation: velocity-Verlet propagation with the J2 gravity model; the
   accelerometer is integrated only when the sensed specific force exceeds
   ``gnc.accel_threshold_mps2`` (burn, entry, descent), so bias does not walk
   the orbit during long coasts. The accelerometer bias is estimated by averaging
   in quiet free flight before the burn, and kept in the store.
4. Filter (fsw/gnc/ekf.py): covariance propagated every ``nav.cov_period_s`` and
   before each measurement; GPS fixes fused at most every ``nav.gps_period_s``,
   each new star-tracker solution fused, the fused barometric altitude fused below
   ``nav.baro_max_alt_m``. Each is gated (chi-square); rejected ones are counted
   (NAV_MEAS_REJECTED, throttled to one event per source and 60 s).
   A star solution is fused only after ``STAR_PAIRS_OK`` successive solutions whose
   turn matched the gyro's (4b: a noisy, stuck or jumping tracker is refused on its
   own evidence; fsw/tasks/nav_measurements.py). ``nav.gps_reinit_n`` GPS fixes in
   a row rejected, consistent with one another (successive positions agree with
   their velocities), re-initialise position and
   velocity from the GPS (NAV_REINIT_GPS) - only when the accelerometer was
   integrated since the last accepted fix and the run of rejections began after
   that (a burn, entry: the inertial solution is what may have failed), or when the
   run began after entry onset (EdlRecord.onset_t_s: in the atmosphere an inertial
   solution without a working accelerometer knows nothing of the drag); a GPS that
   jumped in a gravity coast is refused, also through a later burn.
5b. Once the deorbit burn has measured the accelerometer's thrust axis wrong
   (BurnRecord.accel_x_scale: its dv over the GPS's or the chamber pressure's; -1 for
   an axis of the wrong sign - Genesis 2004), body x is divided by that scale for the
   rest of the flight (entry drag is mostly along x).
5. A non-finite or out-of-range IMU sample, or any sample while the monitors
   have declared the IMU failed, is not used: nav coasts on the model.
6. Publishes ImuRecord (sensed-acceleration magnitude: insensitive to a sign or
   mounting inversion of the accelerometer - Genesis 2004), NavRecord (with the
   filter's 1-sigma position, velocity and attitude) and GpsRecord; saves the nav
   state every ``fdir.nav_save_s`` (every
   ``fdir.nav_save_dynamic_s`` in DEORBIT_PREP and DEORBIT_BURN).
"""
from __future__ import annotations

import math
from collections import deque

from fsw.events import Severity
from fsw.flightmath import air_relative_velocity, gravity, quat_integrate, rotate
from fsw.gnc.ekf import NavFilter, Tuning
from fsw.phases import Phase
from fsw.records import AttitudeRecord, BurnRecord, GpsRecord, HealthRecord, ImuRecord, NavRecord
from fsw.tasks.nav_measurements import STAR_SCATTER_N, NavMeasurements

#: Physical limits of a credible IMU sample (well beyond the sensor ranges).
MAX_RATE_RADPS = 35.0
MAX_ACCEL_MPS2 = 2000.0
#: Propagation step over a restore gap, s (J2 velocity-Verlet: orbit error < 1 m over minutes).
RESTORE_STEP_S = 1.0
#: A thrust-axis reading the burn found wrong is corrected (divided by its measured scale,
#: -1 for an inverted axis) only when that scale is at least this large: a near-dead axis
#: would amplify its noise; nav then leaves it, and the GPS re-initialises after the burn.
MIN_AXIS_SCALE = 0.3
_QUIET = (Phase.ATTACHED, Phase.SEPARATED)
_DYNAMIC = (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN)
STORE_KEY = "nav"


def tuning(p) -> Tuning:
    """The filter's tunables from the parameter table (SI)."""
    d2r = math.radians
    return Tuning(
        accel_psd_m2ps3=p["nav.unmodelled_accel_mps2"] ** 2,
        accel_noise_psd_m2ps3=(p["nav.accel_vrw_mps_rth"] / 60.0) ** 2,
        accel_sf_frac=p["nav.accel_scale_sigma_ppm"] * 1e-6,
        arw_psd_rad2ps=(d2r(p["nav.gyro_arw_deg_rth"]) / 60.0) ** 2,
        gyro_sf_frac=p["nav.gyro_scale_sigma_ppm"] * 1e-6,
        gyro_bias_sigma_radps=d2r(p["nav.gyro_bias_instability_dph"]) / 3600.0,
        gyro_bias_tau_s=p["nav.gyro_bias_tau_s"],
        gate_gps=p["nav.gate_chi2_gps"], gate_att=p["nav.gate_chi2_att"], gate_alt=p["nav.gate_chi2_alt"])


class NavTask(NavMeasurements):
    name = "nav"
    PARAMS = ("gnc.accel_threshold_mps2", "gnc.bias_cal_s", "fdir.nav_save_s",
              "fdir.nav_save_dynamic_s", "fdir.nav_restore_max_age_s",
              "nav.handover_pos_sigma_m", "nav.handover_vel_sigma_mps", "nav.handover_att_sigma_deg",
              "nav.gyro_bias_sigma_dps", "nav.gyro_bias_instability_dph", "nav.gyro_bias_tau_s",
              "nav.gyro_arw_deg_rth", "nav.gyro_scale_sigma_ppm", "nav.accel_vrw_mps_rth",
              "nav.accel_scale_sigma_ppm", "nav.unmodelled_accel_mps2", "nav.gps_pos_sigma_m",
              "nav.gps_vel_sigma_mps", "nav.star_sigma_arcsec", "nav.baro_alt_sigma_m", "nav.baro_max_alt_m",
              "nav.gate_chi2_gps", "nav.gate_chi2_att", "nav.gate_chi2_alt", "nav.cov_period_s",
              "nav.gps_period_s", "nav.gps_reinit_n")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None
        self.bad_samples = 0
        self.rejected_fixes = 0
        #: measurements the filter's gate rejected, per source
        self.gated = {"gps": 0, "star": 0, "baro": 0}
        self.accepted = {"gps": 0, "star": 0, "baro": 0}
        self._reject_event_t = {"gps": -math.inf, "star": -math.inf, "baro": -math.inf}
        self._bias = (0.0, 0.0, 0.0)
        self._bias_sum = [0.0, 0.0, 0.0]
        self._bias_n = 0
        self._g = None
        self._tick = 0
        self._valid = False
        self.kf = NavFilter(tuning(ctx.params.v))
        self._w = (0.0, 0.0, 0.0)
        self._fix = None
        self._next_save_t_s = -math.inf
        self._next_cov_t_s = -math.inf
        self._next_gps_t_s = -math.inf
        self._next_baro_t_s = -math.inf
        self._star_t_s = -math.inf                 # exposure time of the last star solution seen
        self.star_used_t_s = -math.inf             # clock time the filter last accepted one (NavRecord)
        self._star_pair = None                     # (t_s, q_star, q_nav) at the last solution
        self._star_ok_n = 0                        # successive solutions that agreed with the gyro
        self._star_resid2 = deque(maxlen=STAR_SCATTER_N)   # squared pair residuals, rad^2
        self._gps_rejects: list = []               # consecutive rejected fixes: (t_s, r, v)
        self._accel_since_t_s: float | None = None  # accelerometer integrated since then (last accepted fix)
        bus = ctx.bus
        self._pub_imu = bus.port(ImuRecord, self.name)
        self._pub_nav = bus.port(NavRecord, self.name)
        self._pub_gps = bus.port(GpsRecord, self.name)
        self._restore()

    # ---- initialisation ---------------------------------------------------------------
    def _handover_sigmas(self):
        p = self.ctx.params.v
        return (p["nav.handover_pos_sigma_m"], p["nav.handover_vel_sigma_mps"],
                math.radians(p["nav.handover_att_sigma_deg"]), math.radians(p["nav.gyro_bias_sigma_dps"]))

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
        bg = tuple(saved.get("bg", (0.0, 0.0, 0.0)))
        w = (w[0] - bg[0], w[1] - bg[1], w[2] - bg[2])      # the stored rate less the estimated gyro bias
        t = 0.0
        while t < age - 1e-9:
            h = min(RESTORE_STEP_S, age - t)
            r, v = self._verlet(r, v, (0.0, 0.0, 0.0), h, gravity(r))[:2]
            q = quat_integrate(q, w, h)
            t += h
        # The stored sigmas, grown over the gap: velocity by the unmodelled acceleration,
        # attitude by the rate held constant (its error unknown: the bias sigma times the gap).
        if saved.get("sigma") is not None:
            # Stored as RSS over the three axes (NavFilter.sigmas); the filter starts per axis.
            sr, sv, sa, sb = (c / math.sqrt(3.0) for c in saved["sigma"])
        else:
            sr, sv, sa, sb = self._handover_sigmas()
        p = ctx.params.v
        sv = math.hypot(sv, p["nav.unmodelled_accel_mps2"] * age)
        sr = math.hypot(sr, sv * age)
        sa = math.hypot(sa, sb * age)
        self.kf.reset(r, v, q, bg, sr, sv, sa, sb)
        self._w = tuple(saved.get("w", (0, 0, 0)))
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
        self.kf.reset(r, v, tuple(c / n for c in q), (0.0, 0.0, 0.0), *self._handover_sigmas())
        self._valid = True
        self._g = gravity(self.kf.r)
        self._next_save_t_s = -math.inf
        self._gps_rejects.clear()
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
            sc = ctx.bus.latest(BurnRecord).accel_x_scale
            if sc is not None and abs(sc) >= MIN_AXIS_SCALE:
                a = (a[0] / sc, a[1], a[2])       # requirement 5b: the burn measured the thrust axis wrong
            self._w = w
        else:
            w, a = self._w, (0.0, 0.0, 0.0)
        mag = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        self._pub_imu(ImuRecord(t_s, ok, w, a, mag, raw_ok, s.accel_mps2 if raw_ok else (0.0, 0.0, 0.0)))
        if ok:
            self._calibrate(s.accel_mps2, t_s)
        if self._valid:
            self._propagate(w, a, mag, dt)
            if t_s >= self._next_cov_t_s:
                self._next_cov_t_s = t_s + ctx.params.v["nav.cov_period_s"]
                self.kf.propagate()
        self._tick += 1
        if self._tick % 5 == 0:
            self._gps(t_s)
            if self._valid:
                self._star(t_s)
                self._baro(t_s)
        kf = self.kf
        if self._valid:
            sr, sv, sa, _ = kf.sigmas()
            self._pub_nav(NavRecord(t_s, True, kf.r, kf.v, kf.q, sr, sv, math.degrees(sa),
                                    kf.speed_sigma(_unit(air_relative_velocity(kf.r, kf.v))), self.star_used_t_s))
        else:
            self._pub_nav(NavRecord(t_s, False, kf.r, kf.v, kf.q))
        if self._valid and t_s >= self._next_save_t_s:
            self._save(t_s)

    def _save(self, t_s: float) -> None:
        p = self.ctx.params.v
        kf = self.kf
        dyn = self.ctx.phases.phase in _DYNAMIC
        self._next_save_t_s = t_s + (p["fdir.nav_save_dynamic_s"] if dyn else p["fdir.nav_save_s"])
        self.ctx.store.put(STORE_KEY, {"t_s": t_s, "r": list(kf.r), "v": list(kf.v), "q": list(kf.q),
                                       "w": list(self._w), "bias": list(self._bias), "bias_n": self._bias_n,
                                       "bg": list(kf.bg), "sigma": list(kf.sigmas())})

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
        kf = self.kf
        bg = kf.bg
        q = quat_integrate(kf.q, (w[0] - bg[0], w[1] - bg[1], w[2] - bg[2]), dt)
        kf.q = q
        used = mag > self.ctx.params.v["gnc.accel_threshold_mps2"]
        f = rotate(q, a) if used else (0.0, 0.0, 0.0)
        if used and self._accel_since_t_s is None:
            self._accel_since_t_s = self._t_prev
        kf.accumulate(f, dt, used, mag, w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
        kf.r, kf.v, self._g = self._verlet(kf.r, kf.v, f, dt, self._g)

    @property
    def state(self) -> tuple:
        """(valid, r_eci_m, v_eci_mps, q_body_eci) now, between runs."""
        kf = self.kf
        return self._valid, kf.r, kf.v, kf.q

    def telemetry(self) -> dict:
        """HK channels this task owns."""
        return {"nav_valid": int(self._valid)}


def _unit(u):
    n = math.sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2])
    return (u[0] / n, u[1] / n, u[2] / n) if n > 0.0 else (1.0, 0.0, 0.0)
