"""Entry guidance task (10 Hz group): bank steering of a lifting capsule onto the target.

Requirements
1. Active in ENTRY for a capsule with lift (``guidance.lift_to_drag`` > 0) and a
   target; until the first solution the bank is the plan's
   (``guidance.plan_bank_deg``, lift to the right). Nothing is stored: after a
   processor reset the bank starts again from the plan's and is re-solved
   within ``entry.bank_update_s``.
2. Every ``entry.bank_update_s`` from a valid navigated state at most
   ``MAX_NAV_AGE_S`` old: two predictions (fsw/gnc/predictor.py, the vertical
   lift of a held bank; the reversals of 4 average the lateral part out) at
   cos(bank) c and c + ``DC``; one secant step on c zeroes the predicted
   downrange error (limited to ``MAX_DC`` per solution, c within [-1, 1]).
   The work is sliced: one predictor slice per run.
3. Downrange is measured along the great circle from the capsule to the target,
   cross-range across it (positive: right, long).
4. Cross-range: the bank's sign reverses when the predicted cross-range error
   (the lateral drift flown so far, carried to the splash) passes
   ``entry.xrange_deadband_km`` on the side the lift pushes, at most once per
   ``entry.reversal_min_s`` (BANK_REVERSAL): a funnel about the track.
5. Density, drag coefficient and mass errors: the predictions scale the onboard
   atmosphere by a drag ratio, sensed over modelled deceleration at the
   navigated state, filtered (``entry.drag_gain``), measured only above
   ``entry.drag_min_mps2``. A ratio outside [``entry.drag_ratio_min``,
   ``entry.drag_ratio_max``] is rejected (an accelerometer or navigation fault:
   ENTRY_DRAG_REJECTED) and ends steering (6).
6. Below ``entry.bank_end_speed_mps`` of air-relative speed the last bank is
   held. A sign that the navigation or the accelerometer is wrong - a rejected
   drag ratio (5), navigation invalid or stale for ``MAX_NAV_GAP_S`` in ENTRY -
   ends steering for the flight: the plan's bank is flown from then on
   (BANK_HELD). A bank steered on a corrupt state would take the trajectory
   outside the campaign spread the chutes' timer votes are derived from (a
   full lift-down entry reaches Mach 0.6 sooner: the Genesis-type inverted
   accelerometer of the fault catalogue). The chutes' triggers read none of
   this; a fault here moves the splash point.
7. Publishes BankRecord (the attitude task rolls to it); telemetry: bank
   command, reversals, drag ratio.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import RE_M, air_relative_velocity, cross, dot, eci_to_latlonalt, norm
from fsw.gnc.predictor import VehicleData, modelled_decel_mps2, predict_iter, vehicle_data
from fsw.phases import Phase
from fsw.records import BankRecord, ImuRecord, NavRecord

#: Step of cos(bank) between the secant's two predictions.
DC = 0.2
#: Largest change of cos(bank) per solution (a noisy secant must not slam the bank).
MAX_DC = 0.5
#: A navigated state older than this is not used, s.
MAX_NAV_AGE_S = 0.5
#: Navigation invalid or stale this long in ENTRY ends steering (requirement 6), s.
MAX_NAV_GAP_S = 2.0


def _unit(a):
    n = norm(a)
    return (a[0] / n, a[1] / n, a[2] / n)


def _ground_unit(lat_deg: float, lon_deg: float):
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def range_errors_km(here, target, splash) -> tuple[float, float]:
    """(downrange, cross-range) km of ``splash`` against ``target`` along the great circle from
    ``here`` (each (lat_deg, lon_deg)); positive: beyond the target, right of the track."""
    c, t, s = _ground_unit(*here), _ground_unit(*target), _ground_unit(*splash)
    n = cross(c, t)
    if norm(n) < 1e-9:                       # over the target: no track; all error is downrange
        return RE_M / 1000.0 * math.acos(max(-1.0, min(1.0, dot(c, s)))), 0.0
    n = _unit(n)
    along = cross(n, c)
    a_s = math.atan2(dot(s, along), dot(s, c))
    a_t = math.atan2(dot(t, along), dot(t, c))
    cross_km = -RE_M / 1000.0 * math.asin(max(-1.0, min(1.0, dot(s, n))))
    return RE_M / 1000.0 * (a_s - a_t), cross_km


class EntryGuidanceTask:
    name = "entry_guidance"
    PARAMS = ("guidance.target_lat_deg", "guidance.target_lon_deg", "guidance.lift_to_drag", "guidance.plan_bank_deg",
              "guidance.drift_east_m", "guidance.drift_north_m",
              "guidance.ref_area_m2", "guidance.cd_mach", "guidance.cd_value", "guidance.mass_kg", "guidance.thrust_n",
              "guidance.isp_s", "guidance.ignition_delay_s", "airdata.mass_kg", "chutes.drogue_mach",
              "entry.bank_update_s", "entry.bank_end_speed_mps", "entry.xrange_deadband_km", "entry.reversal_min_s",
              "entry.drag_gain", "entry.drag_min_mps2", "entry.drag_ratio_min", "entry.drag_ratio_max")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self._pub = ctx.bus.port(BankRecord, self.name)
        self._job = None
        self._next_t_s = -math.inf
        self._cos = None                     # cos(bank) being flown; None: not started
        self._sign = 1.0
        self._last_reversal_t_s = -math.inf
        self._ratio = 1.0
        self.reversals = 0
        self.solutions = 0
        self.drag_rejected = 0
        self._held = False
        self._nav_ok_t_s: float | None = None

    def _vehicle(self) -> VehicleData:
        return vehicle_data(self.ctx.params.v, self.ctx.params.v["airdata.mass_kg"])

    def _bank_deg(self) -> float:
        return self._sign * math.degrees(math.acos(self._cos))

    def run(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if (ctx.phases.phase is not Phase.ENTRY or p["guidance.lift_to_drag"] <= 0.0
                or p["guidance.target_lat_deg"] is None or p["guidance.target_lon_deg"] is None):
            self._job = None
            return
        if self._cos is None:                # requirement 1: the plan's bank until the first solution
            self._cos = math.cos(math.radians(p["guidance.plan_bank_deg"]))
            self._nav_ok_t_s = t_s
            self._pub(BankRecord(t_s, True, self._bank_deg(), drag_ratio=self._ratio))
        if self._held:
            return
        nav = ctx.bus.latest(NavRecord)
        if nav.valid and t_s - nav.t_s <= MAX_NAV_AGE_S:
            self._nav_ok_t_s = t_s
        elif t_s - self._nav_ok_t_s > MAX_NAV_GAP_S:
            self._fall_back(t_s, f"navigation invalid or stale for {MAX_NAV_GAP_S:g} s")
            return
        if self._job is None:
            if t_s < self._next_t_s or not nav.valid or t_s - nav.t_s > MAX_NAV_AGE_S:
                return
            if norm(air_relative_velocity(nav.r_eci_m, nav.v_eci_mps)) < p["entry.bank_end_speed_mps"]:
                self._held = True            # requirement 6
                ctx.events.emit(Severity.ACTIVITY_LO, "BANK_HELD", f"bank {self._bank_deg():.1f} deg held to the "
                                "canopies", bank_deg=round(self._bank_deg(), 2), why="end speed")
                return
            self._next_t_s = t_s + p["entry.bank_update_s"]
            if not self._measure_drag(nav):
                self._fall_back(t_s, "drag ratio rejected")
                return
            self._job = self._solve(nav)
        try:
            next(self._job)
        except StopIteration as done:
            self._job = None
            if done.value is not None:
                self._finish(t_s, *done.value)

    def _fall_back(self, t_s: float, why: str) -> None:
        """Requirement 6: the plan's bank, held for the rest of the flight."""
        self._job = None
        self._held = True
        self._cos = math.cos(math.radians(self.ctx.params.v["guidance.plan_bank_deg"]))
        self.ctx.events.emit(Severity.WARNING_HI, "BANK_HELD", f"{why}: steering ends, the plan's bank "
                             f"{self._bank_deg():.1f} deg held", bank_deg=round(self._bank_deg(), 2), why=why)
        self._pub(BankRecord(t_s, True, self._bank_deg(), drag_ratio=self._ratio, reversals=self.reversals))

    # ---- requirement 5 ------------------------------------------------------------------
    def _measure_drag(self, nav: NavRecord) -> bool:
        """Update the drag ratio; False when the measurement is rejected."""
        ctx, p = self.ctx, self.ctx.params.v
        imu = ctx.bus.latest(ImuRecord)
        if not imu.valid:
            return True
        modelled = modelled_decel_mps2(nav.r_eci_m, nav.v_eci_mps, self._vehicle())
        if modelled < p["entry.drag_min_mps2"]:
            return True
        ratio = imu.sensed_accel_mps2 / modelled
        if not p["entry.drag_ratio_min"] <= ratio <= p["entry.drag_ratio_max"]:
            self.drag_rejected += 1           # steering then ends (requirement 6): one rejection at most
            ctx.events.emit(Severity.WARNING_LO, "ENTRY_DRAG_REJECTED",
                            f"sensed deceleration {imu.sensed_accel_mps2:.2f} m/s^2 is {ratio:.2f} x the modelled "
                            f"{modelled:.2f} m/s^2 (expected {p['entry.drag_ratio_min']:g}..."
                            f"{p['entry.drag_ratio_max']:g}): drag ratio held at {self._ratio:.3f}",
                            ratio=round(ratio, 4))
            return False
        self._ratio += p["entry.drag_gain"] * (ratio - self._ratio)
        return True

    # ---- requirements 2-4 ---------------------------------------------------------------
    def _solve(self, nav: NavRecord):
        """Sliced: two predictions; returns (c, downrange km, cross-range km) or None."""
        p = self.ctx.params.v
        veh = self._vehicle()
        here = eci_to_latlonalt(nav.r_eci_m, nav.t_s)[:2]
        target = (p["guidance.target_lat_deg"], p["guidance.target_lon_deg"])
        c1 = self._cos
        c2 = c1 + DC if c1 + DC <= 1.0 else c1 - DC
        errs = []
        for c in (c1, c2):
            bank = self._sign * math.degrees(math.acos(c))
            pr = yield from predict_iter(nav.t_s, nav.r_eci_m, nav.v_eci_mps, veh, None,
                                         density_scale=self._ratio, bank_deg=bank, lateral=False,
                                         max_time_s=3000.0)
            if pr.splash_lat_deg is None:
                return None
            errs.append(range_errors_km(here, target, (pr.splash_lat_deg, pr.splash_lon_deg)))
        (d1, x1), (d2, _) = errs
        slope = (d2 - d1) / (c2 - c1)         # km per unit cos(bank): more lift up flies further
        c = c1 if slope <= 1e-3 else c1 - d1 / slope
        c = max(-1.0, min(1.0, max(c1 - MAX_DC, min(c1 + MAX_DC, c))))
        return c, d1, x1

    def _finish(self, t_s: float, c: float, down_km: float, cross_km: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        self.solutions += 1
        self._cos = c
        if (self._sign * cross_km > p["entry.xrange_deadband_km"]
                and t_s - self._last_reversal_t_s >= p["entry.reversal_min_s"]):
            self._sign = -self._sign
            self._last_reversal_t_s = t_s
            self.reversals += 1
            ctx.events.emit(Severity.ACTIVITY_LO, "BANK_REVERSAL",
                            f"bank reversed to {self._bank_deg():.1f} deg (cross-range {cross_km:+.1f} km)",
                            bank_deg=round(self._bank_deg(), 2), crossrange_km=round(cross_km, 2))
        self._pub(BankRecord(t_s, True, self._bank_deg(), down_km, cross_km, self._ratio, self.reversals))

    def telemetry(self) -> dict:
        rec = self.ctx.bus.latest(BankRecord)
        return {"bank_cmd_deg": rec.bank_cmd_deg if rec.valid else float("nan"), "bank_reversals": self.reversals,
                "drag_ratio": self._ratio}
