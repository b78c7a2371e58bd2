"""Navigation task, its measurements (fsw/tasks/nav.py requirement 4): GPS, star tracker and
barometric altitude into the filter, each gated and counted; GPS re-initialisation.

A mixin of ``NavTask``: it uses the task's filter (``self.kf``), context and counters.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import ecef_to_eci, eci_to_latlonalt, gravity
from fsw.gnc.burn_dv import gps_inertial_velocity
from fsw.gnc.ekf import attitude_error
from fsw.records import AirDataRecord, EdlRecord, GpsRecord, HealthRecord

#: The fused barometric altitude is used at most this often, s (its errors are slow:
#: atmosphere and port, not white noise, so faster use would overweight it).
BARO_PERIOD_S = 1.0
#: Successive star solutions that must agree with the gyro before one is fused.
STAR_PAIRS_OK = 3
#: Pairs of star solutions over which the tracker's own scatter is measured (the last ones).
STAR_SCATTER_N = 20
#: A tracker whose measured scatter is above this (per axis, deg) is not used at all.
STAR_MAX_SIGMA_DEG = 0.5
#: Minimum time between two NAV_MEAS_REJECTED events of one source, s.
REJECT_EVENT_S = 60.0
_ARCSEC = math.pi / 648000.0


class NavMeasurements:
    # ---- measurements -------------------------------------------------------------------
    def _rejected(self, source: str, t_s: float, d2: float) -> None:
        self.gated[source] += 1
        if t_s - self._reject_event_t[source] >= REJECT_EVENT_S:
            self._reject_event_t[source] = t_s
            self.ctx.events.emit(Severity.WARNING_LO, "NAV_MEAS_REJECTED", f"{source} measurement outside the "
                                 f"filter's gate (d2 {d2:.1f}; {self.gated[source]} so far)", source=source,
                                 d2=round(d2, 1) if math.isfinite(d2) else None, count=self.gated[source])

    def _gps(self, t_s: float) -> None:
        ctx = self.ctx
        fix = ctx.hal.gps.read()
        if not fix.valid:
            return
        vals = (*fix.r_ecef_m, *fix.v_ecef_mps, fix.lat_deg, fix.lon_deg, fix.alt_m)
        rn = math.sqrt(sum(c * c for c in fix.r_ecef_m))
        if not all(math.isfinite(c) for c in vals) or not 6.2e6 < rn < 8.5e6 or abs(fix.lat_deg) > 90:
            self.rejected_fixes += 1
            ctx.events.emit(Severity.WARNING_LO, "GPS_FIX_REJECTED", "implausible GPS fix")
            return
        degraded = "gps" in ctx.bus.latest(HealthRecord).degraded
        if not degraded:
            self._fix = fix
            self._pub_gps(GpsRecord(t_s, True, fix))
        p = ctx.params.v
        if not self._valid or t_s < self._next_gps_t_s:
            return
        self._next_gps_t_s = t_s + p["nav.gps_period_s"] - 1e-9
        r_gps = ecef_to_eci(fix.r_ecef_m, t_s)
        v_gps = gps_inertial_velocity(fix, t_s)        # Earth-relative ECEF velocity plus omega x r
        res = None
        if not degraded:
            self.kf.propagate()
            res = self.kf.update_gps(r_gps, v_gps, p["nav.gps_pos_sigma_m"], p["nav.gps_vel_sigma_mps"])
        if res is not None and res.accepted:
            self.accepted["gps"] += 1
            self._gps_rejects.clear()
            self._accel_since_t_s = None
            self._g = gravity(self.kf.r)
            return
        if res is not None:
            self._rejected("gps", t_s, res.d2)
        self._consider_reinit(t_s, r_gps, v_gps)

    def _consider_reinit(self, t_s: float, r_gps, v_gps) -> None:
        """Requirement 4: a run of consistent rejected fixes after accelerometer use re-initialises."""
        p = self.ctx.params.v
        rej = self._gps_rejects
        if rej:
            t0, r0, v0 = rej[-1]
            h = t_s - t0
            pred = tuple(r0[i] + 0.5 * (v0[i] + v_gps[i]) * h for i in range(3))
            # Successive fixes agree to a few sigma (velocity averaging is exact to ~g h^2 / 12).
            tol = 5.0 * math.sqrt(2.0) * p["nav.gps_pos_sigma_m"] + 2.0 * h * h
            if math.dist(pred, r_gps) > tol:
                rej.clear()
        rej.append((t_s, r_gps, v_gps))
        # The run of rejections must have begun after the accelerometer came into use, or
        # after entry onset (a dead accelerometer integrates no drag): a GPS that jumped
        # during a gravity coast is still refused through a later burn.
        if len(rej) < p["nav.gps_reinit_n"]:
            return
        onset = self.ctx.bus.latest(EdlRecord).onset_t_s
        after_accel = self._accel_since_t_s is not None and rej[0][0] >= self._accel_since_t_s
        if not (after_accel or (onset is not None and rej[0][0] >= onset)):
            return
        kf = self.kf
        off = math.dist(kf.r, r_gps)
        kf.reset_translation(r_gps, v_gps, p["nav.gps_pos_sigma_m"], p["nav.gps_vel_sigma_mps"])
        self._g = gravity(kf.r)
        rej.clear()
        self._accel_since_t_s = None
        self.ctx.events.emit(Severity.WARNING_HI, "NAV_REINIT_GPS", f"{p['nav.gps_reinit_n']} consistent GPS fixes "
                             f"rejected after accelerometer use or entry: position and velocity re-initialised from the GPS "
                             f"({off:.0f} m away)", offset_m=round(off, 1))

    def _star(self, t_s: float) -> None:
        st = self.ctx.hal.star_tracker
        if st is None:
            return
        fix = st.read()
        if not fix.valid or fix.t_s == self._star_t_s:
            if not fix.valid:
                self._star_pair = None
            return
        self._star_t_s = fix.t_s
        q = fix.q_body_eci
        n = math.sqrt(sum(c * c for c in q)) if all(math.isfinite(c) for c in q) else 0.0
        if not 0.999 < n < 1.001:
            self._star_pair = None
            self._rejected("star", t_s, math.inf)
            return
        q = tuple(c / n for c in q)
        if not self._star_consistent(t_s, q):
            return
        sig = self._star_sigma()
        self.kf.propagate()
        res = self.kf.update_attitude(q, (sig, sig, sig))
        if res.accepted:
            self.accepted["star"] += 1
            self.star_used_t_s = t_s
        else:
            self._rejected("star", t_s, res.d2)
        self._star_pair = (t_s, q, self.kf.q)

    def _star_sigma(self) -> float:
        """Per-axis error of the tracker's solutions as used, rad: the datasheet figure
        (``nav.star_sigma_arcsec``), or what the solutions' own scatter against the gyro
        shows once that is larger (requirement 4b: at least STAR_SCATTER_N pairs)."""
        nominal = self.ctx.params.v["nav.star_sigma_arcsec"] * _ARCSEC
        r = self._star_resid2
        if len(r) < STAR_SCATTER_N:
            return nominal
        # A pair's 3-D residual is the difference of two solutions: E|d|^2 = 2 x 3 sigma^2.
        return max(nominal, math.sqrt(sum(r) / len(r) / 6.0))

    def _star_consistent(self, t_s: float, q) -> bool:
        """Requirement 4b: the turn between two successive solutions must match the gyro's
        over the same interval, within twice the tracker's 3-sigma error (its datasheet
        figure, or its own measured scatter when larger, up to ``STAR_MAX_SIGMA_DEG``) and
        the bias the gyro may carry; a solution is used after ``STAR_PAIRS_OK`` such
        agreements in a row. A stuck, jumping or uselessly noisy tracker is refused on its
        own evidence, before the filter could learn a false gyro bias from it; a noisier
        one than its datasheet is used with the error it shows."""
        prev, self._star_pair = self._star_pair, (t_s, q, self.kf.q)
        if prev is None:
            self._star_ok_n = 0
            return False
        t0, q0, nav0 = prev
        d_star = attitude_error(q, q0)                 # ECI turn of the tracker since its last solution
        d_nav = attitude_error(self.kf.q, nav0)        # ... and of the gyro-propagated attitude
        p = self.ctx.params.v
        bias_turn = 3.0 * math.radians(p["nav.gyro_bias_sigma_dps"]) * (t_s - t0)
        resid = math.dist(d_star, d_nav)
        self._star_resid2.append(max(0.0, resid - bias_turn) ** 2)
        sigma = self._star_sigma()
        if sigma > math.radians(STAR_MAX_SIGMA_DEG) or resid > 2.0 * 3.0 * sigma + bias_turn:
            self._star_ok_n = 0
            self._rejected("star", t_s, math.inf)
            return False
        self._star_ok_n += 1
        return self._star_ok_n >= STAR_PAIRS_OK

    def _baro(self, t_s: float) -> None:
        ctx = self.ctx
        air = ctx.bus.latest(AirDataRecord)
        p = ctx.params.v
        if (t_s < self._next_baro_t_s or not air.valid or air.baro_alt_m is None or t_s - air.t_s > 0.5
                or air.baro_alt_m > p["nav.baro_max_alt_m"]):
            return
        self._next_baro_t_s = t_s + BARO_PERIOD_S - 1e-9
        kf = self.kf
        _, _, alt = eci_to_latlonalt(kf.r, t_s)
        rn = math.sqrt(sum(c * c for c in kf.r))
        up = (kf.r[0] / rn, kf.r[1] / rn, kf.r[2] / rn)
        kf.propagate()
        res = kf.update_altitude(air.baro_alt_m, alt, up, p["nav.baro_alt_sigma_m"])
        if res.accepted:
            self.accepted["baro"] += 1
            self._g = gravity(kf.r)
        else:
            self._rejected("baro", t_s, res.d2)
