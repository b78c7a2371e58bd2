"""Flight air data (10 Hz): Mach number and dynamic pressure from two dissimilar solutions.

Requirements (issue 9 item 2 and 5; trigger table: TRIGGERS.md)
1. Navigated solution: geodetic altitude of the navigated position, air-relative
   velocity (v - omega x r, no wind), onboard US76 density and sound speed
   (fsw/gnc/atmosphere.py). Its Mach 1-sigma is the filter's velocity sigma over the
   sound speed, a wind of ``airdata.wind_sigma_mps`` and a sound-speed error of
   ``SOUND_SPEED_FRAC``, all combined RSS. Used only while the record is fresh, valid and
   its speed sigma (the velocity covariance along the air-relative velocity) is at most
   ``airdata.nav_max_sigma_mps``.
2. Drag solution, which needs no velocity and no atmosphere model: the dynamic pressure
   is the sensed drag over the capsule's drag area, q = m |f| / (Cd(M) A), and the Mach
   number follows from the barometers' static pressure, M^2 = 2 q / (gamma p). Cd(M) is
   the guidance drag table, iterated ``DRAG_ITER`` times from the supersonic plateau. It
   is computed only while both inputs are fresh and valid, the sensed deceleration is at
   least ``airdata.min_decel_mps2`` (a drag that small is noise over the static pressure)
   and no canopy is out (its drag is not the capsule's).
3. Each solution passes a range check (0 < M < ``MAX_MACH``) and a rate check: a
   Mach number changing faster than ``airdata.max_mach_rate_ps`` since the solution's last
   accepted value is rejected, counted (``rejected``) and raised (``AIRDATA_REJECTED``,
   at most once per solution and ``REJECT_EVENT_S``); ``RELOCK_N`` rejections in a row
   accept the new level (a real change, e.g. a solution coming back).
4. Publishes FlowRecord; the chute triggers vote on it (fsw/tasks/chutes.py).
"""
from __future__ import annotations

import bisect
import math

from fsw.events import Severity
from fsw.flightmath import air_relative_velocity, eci_to_latlonalt, norm
from fsw.gnc.atmosphere import density_sound_speed
from fsw.records import AirDataRecord, EdlRecord, FlowRecord, ImuRecord, NavRecord

GAMMA_AIR = 1.4
#: Mach numbers outside (0, MAX_MACH) are not a flight condition of this capsule.
MAX_MACH = 40.0
#: Relative 1-sigma of the onboard sound speed: US76 against real temperature profiles,
#: +-15 K at 220-290 K is +-3 % in temperature, half that in sound speed.
SOUND_SPEED_FRAC = 0.015
#: Relative 1-sigma of the drag solution's dynamic pressure: Cd table 5 % (issue 9
#: dispersions), mass 1.5 %, the static port's supersonic error 5 % of q as pressure
#: (config/sil.yaml baro.supersonic_q_frac); M goes with the square root of q / p.
DRAG_Q_FRAC = 0.05
DRAG_P_FRAC = 0.05
#: Fixed-point iterations of M -> Cd(M) -> q -> M: contraction 0.5 M dCd/dM / Cd <= 0.4 across
#: the transonic drag rise (guidance.cd_value), so 10 reach 1e-3 in Mach from the start at 2.
DRAG_ITER = 10
#: Consecutive rate-check rejections after which the new level is accepted.
RELOCK_N = 5
#: A solution's rejections are raised at most once per this many seconds.
REJECT_EVENT_S = 10.0
#: Records older than this are stale, s (the producers run at 10 and 50 Hz).
MAX_AGE_S = 0.25


class AirDataTask:
    name = "airdata"
    PARAMS = ("airdata.mass_kg", "airdata.min_decel_mps2", "airdata.max_mach_rate_ps", "airdata.wind_sigma_mps",
              "airdata.nav_max_sigma_mps", "guidance.ref_area_m2", "guidance.cd_mach", "guidance.cd_value")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._pub = ctx.bus.port(FlowRecord, self.name)
        self._last = {"nav": None, "drag": None}      # (t_s, mach) last accepted
        self._streak = {"nav": 0, "drag": 0}
        self._next_event_t_s = {"nav": -math.inf, "drag": -math.inf}
        self.rejected = {"nav": 0, "drag": 0}

    def run(self, t_s: float) -> None:
        nav = self._nav(t_s)
        drag = self._drag(t_s)
        nav = nav if self._plausible("nav", t_s, nav) else None
        drag = drag if self._plausible("drag", t_s, drag) else None
        n = nav or (None, None, None, None)
        d = drag or (None, None, None)
        self._pub(FlowRecord(t_s, nav is not None or drag is not None, n[0], n[1], n[2], n[3], d[0], d[1], d[2]))

    # ---- the two solutions --------------------------------------------------------------
    def _nav(self, t_s: float):
        """(alt_m, mach, q_pa, sigma_mach) from the navigated state, or None."""
        p = self.ctx.params.v
        rec = self.ctx.bus.fresh(NavRecord, t_s, MAX_AGE_S)
        if rec is None or not rec.sigma_speed_mps <= p["airdata.nav_max_sigma_mps"]:
            return None
        _, _, alt_m = eci_to_latlonalt(rec.r_eci_m, t_s)
        rho, a = density_sound_speed(alt_m)
        v = norm(air_relative_velocity(rec.r_eci_m, rec.v_eci_mps))
        mach = v / a
        sigma = math.sqrt((rec.sigma_speed_mps / a) ** 2 + (p["airdata.wind_sigma_mps"] / a) ** 2
                          + (mach * SOUND_SPEED_FRAC) ** 2)
        return alt_m, mach, 0.5 * rho * v * v, sigma

    def _drag(self, t_s: float):
        """(mach, q_pa, sigma_mach) from sensed drag and static pressure, or None."""
        ctx, p = self.ctx, self.ctx.params.v
        edl = ctx.bus.latest(EdlRecord)
        if edl.drogue_t_s is not None or edl.main_t_s is not None:
            return None
        imu = ctx.bus.fresh(ImuRecord, t_s, MAX_AGE_S)
        air = ctx.bus.fresh(AirDataRecord, t_s, MAX_AGE_S)
        if imu is None or air is None or air.static_pa is None:
            return None
        f = imu.sensed_accel_mps2
        if not f >= p["airdata.min_decel_mps2"]:
            return None
        k = p["airdata.mass_kg"] * f / p["guidance.ref_area_m2"]       # q * Cd
        mach = 2.0
        for _ in range(DRAG_ITER):
            q = k / _cd(p["guidance.cd_mach"], p["guidance.cd_value"], mach)
            mach = math.sqrt(2.0 * q / (GAMMA_AIR * air.static_pa))
        sigma = 0.5 * mach * math.hypot(DRAG_Q_FRAC, DRAG_P_FRAC)
        return mach, q, sigma

    def _plausible(self, which: str, t_s: float, sol) -> bool:
        """Requirement 3: range and rate checks of one solution (``sol[1]`` or ``sol[0]`` is Mach)."""
        if sol is None:
            return False
        mach = sol[1] if which == "nav" else sol[0]
        if not 0.0 < mach < MAX_MACH:
            return self._reject(which, t_s, f"Mach {mach} out of range")
        last = self._last[which]
        if last is not None:
            limit = self.ctx.params.v["airdata.max_mach_rate_ps"] * max(self.dt, t_s - last[0])
            if abs(mach - last[1]) > limit:
                self._streak[which] += 1
                if self._streak[which] < RELOCK_N:
                    return self._reject(which, t_s, f"Mach {last[1]:.2f} -> {mach:.2f} in {t_s - last[0]:.1f} s")
        self._streak[which] = 0
        self._last[which] = (t_s, mach)
        return True

    def _reject(self, which: str, t_s: float, why: str) -> bool:
        self.rejected[which] += 1
        if t_s >= self._next_event_t_s[which]:
            self._next_event_t_s[which] = t_s + REJECT_EVENT_S
            self.ctx.events.emit(Severity.WARNING_LO, "AIRDATA_REJECTED", f"{which} air data: {why}",
                                 solution=which, count=self.rejected[which])
        return False

    def telemetry(self) -> dict:
        """HK channels this task owns (NaN: solution unusable)."""
        rec = self.ctx.bus.latest(FlowRecord)
        nan = float("nan")
        return {"mach_nav": nan if rec.nav_mach is None else rec.nav_mach,
                "mach_drag": nan if rec.drag_mach is None else rec.drag_mach}


def _cd(xs, ys, mach: float) -> float:
    """Linear interpolation in the guidance drag table, clamped at its ends."""
    if mach <= xs[0]:
        return ys[0]
    if mach >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, mach)
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (mach - xs[i - 1]) / (xs[i] - xs[i - 1])
