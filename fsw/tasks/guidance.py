"""Deorbit guidance task (10 Hz group): onboard targeting before the burn, recovery forecast after it.

Requirements
1. While a deorbit go stands in SEPARATED, solve the targeting problem
   (fsw/gnc/targeting.py) from the latest valid navigated state for the target
   ``guidance.target_*``: ignition no earlier than ``deorbit.prep_lead_s`` plus
   ``COMPUTE_MARGIN_S`` from now, retrograde dv ``deorbit.dv_mps``, yaw within
   ``guidance.max_yaw_deg``. The first guess is the go's ignition time, then the
   last solution. A new solution from fresh navigation starts
   ``guidance.retarget_s`` after the last, until DEORBIT_PREP (the deorbit task
   freezes the plan there); none starts later than ``COMPUTE_MARGIN_S`` before
   the current plan's DEORBIT_PREP, so the current plan is always a feasible
   answer and a late solution never forces a later pass. With no target configured nothing is solved
   (GUIDANCE_NO_TARGET, once): the ground's plan flies.
2. The work is sliced (``predict_iter`` / ``solve_iter``): one slice of
   fsw/gnc/predictor.py SLICE_STEPS integration steps per run, so no run holds
   the 10 Hz group longer than a few milliseconds.
3. A solution starts only from navigation that is valid and at most
   ``MAX_NAV_AGE_S`` old (without it none is computed, and the ground's plan is
   what flies). Go/no-go on every solution (``ok``, and ``why`` names the first
   failure): converged, predicted miss <= ``guidance.max_miss_km``, post-burn
   perigee <= ``guidance.max_perigee_alt_m``, dv <= ``guidance.max_dv_mps``
   (propellant) (attitude knowledge is the attitude task's pointing check at
   ignition), and
   - the dissimilar check - an ignition time within ``guidance.max_plan_shift_s``
   of the ground's plan (the go's ignition time): a navigation error large
   enough to move the pass, or a go for another pass, is a no-go.
4. After cutoff (COAST), one recovery forecast: the splash point predicted from
   the navigated state, with no burn, published and raised as SPLASH_FORECAST
   (downlinked as an event).
5. Publishes GuidanceRecord for each finished solution or forecast; raises
   GUIDANCE_SOLUTION for each targeting result.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import G0
from fsw.gnc.predictor import VehicleData, predict_iter, vehicle_data
from fsw.gnc.targeting import great_circle_km, no_go, solve_iter
from fsw.phases import Phase
from fsw.records import BurnRecord, GuidanceRecord, NavRecord

#: Time a solution may take to compute, s: a converging one is ~3 000 integration
#: steps (SLICE_STEPS per 10 Hz run: ~3 s); one that fails to converge uses all
#: ten iterations, ~22 000 steps (~23 s). The ignition it picks is at least this
#: much beyond the DEORBIT_PREP lead from when it started.
COMPUTE_MARGIN_S = 30.0
#: A navigated state older than this is not used, s (nav publishes at 50 Hz).
MAX_NAV_AGE_S = 1.0


class GuidanceTask:
    name = "guidance"
    PARAMS = ("guidance.target_lat_deg", "guidance.target_lon_deg", "guidance.mass_kg", "guidance.thrust_n",
              "guidance.isp_s", "guidance.ignition_delay_s", "guidance.ref_area_m2", "guidance.cd_mach", "guidance.cd_value",
              "guidance.max_yaw_deg", "guidance.max_dv_mps", "guidance.max_miss_km", "guidance.max_perigee_alt_m",
              "guidance.retarget_s", "guidance.max_plan_shift_s", "deorbit.dv_mps", "deorbit.prep_lead_s", "chutes.drogue_mach",
              "guidance.lift_to_drag", "guidance.plan_bank_deg",
              "guidance.drift_east_m", "guidance.drift_north_m")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self._pub = ctx.bus.port(GuidanceRecord, self.name)
        self._job = None                 # the running sliced computation
        self._job_info: dict = {}
        self._next_t_s = -math.inf
        self._last_ignition_t_s: float | None = None
        self._forecast_done = False
        self._no_target_said = False
        self._go_t_s: float | None = None     # the go the running / last solution is for
        self.solutions = 0

    # ---- helpers ----------------------------------------------------------------------
    def _vehicle(self, mass_kg: float | None = None) -> VehicleData:
        return vehicle_data(self.ctx.params.v, mass_kg)

    def _step(self):
        """Advance the running job by one slice; returns its result when it finishes."""
        try:
            next(self._job)
        except StopIteration as done:
            self._job = None
            return done.value
        return None

    # ---- periodic -----------------------------------------------------------------------
    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        burn = self.ctx.bus.latest(BurnRecord)
        if ph is Phase.SEPARATED and burn.go:
            self._targeting(t_s, burn)
        elif ph is Phase.COAST and burn.cutoff_t_s is not None and not self._forecast_done:
            self._forecast(t_s, burn)
        else:
            self._job = None
            if ph is not Phase.SEPARATED:
                self._next_t_s = -math.inf

    def _targeting(self, t_s: float, burn: BurnRecord) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if self._go_t_s != burn.go_t_s:           # a new go: start again, at once
            self._go_t_s, self._job, self._next_t_s, self._last_ignition_t_s = burn.go_t_s, None, -math.inf, None
        if self._job is None:
            nav = ctx.bus.latest(NavRecord)
            if t_s < self._next_t_s or not nav.valid or t_s - nav.t_s > MAX_NAV_AGE_S:
                return
            if burn.plan_t_s is not None and t_s + COMPUTE_MARGIN_S > burn.plan_t_s - p["deorbit.prep_lead_s"]:
                return                    # too late to finish before DEORBIT_PREP: the current plan stands
            if p["guidance.target_lat_deg"] is None or p["guidance.target_lon_deg"] is None:
                if not self._no_target_said:
                    self._no_target_said = True
                    ctx.events.emit(Severity.WARNING_HI, "GUIDANCE_NO_TARGET", "no guidance target configured: "
                                    "the ground's plan will fly")
                return
            guess = self._last_ignition_t_s if self._last_ignition_t_s is not None else burn.plan_t_s
            self._job_info = {"go_t_s": burn.go_t_s, "nav_t_s": nav.t_s}
            self._job = solve_iter(nav.t_s, nav.r_eci_m, nav.v_eci_mps, self._vehicle(), p["guidance.target_lat_deg"],
                                   p["guidance.target_lon_deg"], p["deorbit.dv_mps"], guess,
                                   earliest_t_s=t_s + p["deorbit.prep_lead_s"] + COMPUTE_MARGIN_S,
                                   max_yaw_deg=p["guidance.max_yaw_deg"])
        sol = self._step()
        if sol is None:
            return
        self.solutions += 1
        self._next_t_s = t_s + p["guidance.retarget_s"]
        self._last_ignition_t_s = sol.burn.ignition_t_s
        pr = sol.prediction
        why = self._no_go(sol, burn)
        rec = GuidanceRecord(t_s, True, "plan", self._job_info["go_t_s"], self._job_info["nav_t_s"],
                             sol.burn.ignition_t_s, sol.burn.dv_mps, sol.burn.yaw_deg, pr.splash_lat_deg,
                             pr.splash_lon_deg, sol.miss_km, pr.perigee_alt_m, pr.entry_fpa_deg, not why, why)
        self._pub(rec)
        ctx.events.emit(Severity.ACTIVITY_HI if not why else Severity.WARNING_HI, "GUIDANCE_SOLUTION",
                        f"ignition {sol.burn.ignition_t_s:.1f} s, dv {sol.burn.dv_mps:.2f} m/s, yaw "
                        f"{sol.burn.yaw_deg:.2f} deg, predicted miss {sol.miss_km:.2f} km"
                        + (f": NO-GO ({why})" if why else ": go"),
                        ignition_t_s=round(sol.burn.ignition_t_s, 3), dv_mps=round(sol.burn.dv_mps, 3),
                        yaw_deg=round(sol.burn.yaw_deg, 3),
                        miss_km=None if math.isinf(sol.miss_km) else round(sol.miss_km, 3), ok=not why, why=why)

    def _no_go(self, sol, burn: BurnRecord) -> str:
        """Requirement 3: the first failed go/no-go check, or ''."""
        p = self.ctx.params.v
        why = no_go(sol, p["guidance.max_miss_km"], p["guidance.max_perigee_alt_m"], p["guidance.max_dv_mps"])
        if not why and burn.ground_plan_t_s is None:
            return "no ground plan to cross-check against"
        shift = 0.0 if why else sol.burn.ignition_t_s - burn.ground_plan_t_s
        if not why and abs(shift) > p["guidance.max_plan_shift_s"]:
            why = (f"ignition {shift:+.0f} s from the ground's plan (limit {p['guidance.max_plan_shift_s']:g} s): "
                   "the navigated state or the go disagree")
        return why

    def _forecast(self, t_s: float, burn: BurnRecord) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if self._job is None:
            nav = ctx.bus.latest(NavRecord)
            if not nav.valid or t_s - nav.t_s > MAX_NAV_AGE_S or t_s < burn.cutoff_t_s + 1.0:
                return
            # Mass after the burn from the rocket equation on the sensed dv.
            m = p["guidance.mass_kg"] * math.exp(-burn.dv_sensed_mps / (p["guidance.isp_s"] * G0))
            self._job_info = {"go_t_s": burn.go_t_s, "nav_t_s": nav.t_s}
            self._job = predict_iter(nav.t_s, nav.r_eci_m, nav.v_eci_mps, self._vehicle(m), None)
        pr = self._step()
        if pr is None:
            return
        self._forecast_done = True
        if pr.splash_lat_deg is None:
            ctx.events.emit(Severity.WARNING_HI, "SPLASH_FORECAST", f"no splash predicted: {pr.why}", why=pr.why)
            self._pub(GuidanceRecord(t_s, True, "forecast", burn.go_t_s, self._job_info["nav_t_s"], why=pr.why))
            return
        lat, lon = p["guidance.target_lat_deg"], p["guidance.target_lon_deg"]
        miss = None if lat is None or lon is None else great_circle_km(pr.splash_lat_deg, pr.splash_lon_deg, lat, lon)
        self._pub(GuidanceRecord(t_s, True, "forecast", burn.go_t_s, self._job_info["nav_t_s"],
                                 splash_lat_deg=pr.splash_lat_deg, splash_lon_deg=pr.splash_lon_deg, miss_km=miss,
                                 perigee_alt_m=pr.perigee_alt_m, entry_fpa_deg=pr.entry_fpa_deg, ok=True))
        where = "" if miss is None else f", {miss:.1f} km from the target"
        ctx.events.emit(Severity.ACTIVITY_HI, "SPLASH_FORECAST",
                        f"splash predicted at {pr.splash_lat_deg:.4f}, {pr.splash_lon_deg:.4f}{where}",
                        lat_deg=round(pr.splash_lat_deg, 5), lon_deg=round(pr.splash_lon_deg, 5),
                        miss_km=None if miss is None else round(miss, 3), splash_t_s=round(pr.splash_t_s, 1))
