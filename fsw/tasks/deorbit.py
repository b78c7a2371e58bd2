"""Deorbit burn task (50 Hz).

Requirements
1. Nothing happens without the ground's DEORBIT_GO (accepted in SEPARATED
   only). With it, DEORBIT_PREP starts ``deorbit.prep_lead_s`` before the
   planned ignition time; the engine is armed there and re-armed whenever its
   readback shows it disarmed (a processor reset drops the arm).
2. Ignition when the planned time has come, the pointing error is below
   ``deorbit.attitude_tol_deg`` and the navigation filter knows the attitude to
   ``deorbit.max_att_sigma_deg`` (1 sigma, NavRecord); if either is not reached within
   ``deorbit.ignition_window_s`` of the plan, abort to SAFE.
3. Cutoff on the integrated (trapezoidal) sensed axial delta-v reaching the plan's dv
   (requirement 9; the ground's plan: ``deorbit.dv_mps``)
   (accelerometer; while the IMU is lost, a dissimilar estimate from the
   chamber pressure, calibrated against the accelerometer earlier in the burn):
   when the target falls within the next tick at the sensed acceleration, the
   valve driver's timer closes the valve at the predicted instant;
   ``deorbit.max_burn_s`` of accumulated burn time is the time backup.
3b. GPS-measured dv (fsw/gnc/burn_dv.py: velocity change less the gravity integral)
   is voted with the accelerometer's and the chamber pressure's, two against one,
   from ``deorbit.xcheck_min_dv_mps`` on (BURN_DV_XCHECK). An accelerometer voted out
   leaves the cutoff to the GPS dv (the chamber pressure, scaled to it, in between
   fixes); a GPS voted out is not used. The accelerometer's thrust-axis scale (its dv
   over the reference's, over the whole burn; -1 for a wrong sign) is published in
   BurnRecord.accel_x_scale for nav. Implemented in fsw/tasks/deorbit_dv.py.
4. Abort (shutdown, SAFE) on pointing error above ``deorbit.abort_attitude_deg``
   or on no sensed thrust ``deorbit.thrust_check_s`` after an ignition
   (Inversion Ray 2025) - unless two sources show the motor burning (the
   chamber pressure, and the magnitude of the sensed acceleration): then the
   accelerometer's thrust axis is what failed (wrong sign, wrong mounting), the
   burn goes on and its dv is the chamber-pressure estimate, integrated
   alongside the accelerometer's from ignition (BURN_DV_SOURCE; persisted, so a
   reset does not go back to the bad axis). A chamber pressure alone (a
   transducer stuck high) never overrides the abort. Thrust lost after at least ``UNDERBURN_FRACTION`` of
   the target ends the burn as an underburn (cutoff, COAST).
5. The burn record (go, plan with its dv and yaw, ignition, sensed and
   chamber-pressure dv, burn time, cutoff, result; fsw/state_store.py lists it)
   is in the state store, committed every tick of the burn, so a processor
   reset mid-burn loses at most one tick: after the reboot (the valve closed by
   the hardware meanwhile) the burn re-ignites when pointing is within
   tolerance and completes to the planned dv - never a second full burn.
6. Entering SAFE cancels the go (persisted); only a new DEORBIT_GO after
   RESUME starts a burn again.
7. Publishes BurnRecord whenever its content changes (stamped with that time).
8. The engine arm relay is refreshed every cycle while armed: the valve
   board drops it (closing the isolation valve) when the flight computer
   stalls, so a hung processor cannot leave the motor burning.
9. The go starts with the ground's plan (the go's ignition time, retrograde,
   ``deorbit.dv_mps``). In SEPARATED each new onboard guidance solution
   (GuidanceRecord "plan" computed for this go) replaces it - ignition time,
   dv and burn yaw - or, when its go/no-go failed, cancels the go
   (DEORBIT_NO_GO); one whose ignition leaves less than the prep lead is not
   taken (GUIDANCE_LATE). DEORBIT_PREP freezes the plan, dv included; with no
   onboard solution by then the ground's plan flies (GUIDANCE_UNAVAILABLE).
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.gnc.burn_dv import GpsDvMeter
from fsw.records import AttitudeRecord, BurnRecord, GuidanceRecord, ImuRecord, NavRecord
from fsw.tasks.deorbit_dv import BurnDvSources

STORE_KEY = "deorbit"
#: Thrust lost after this fraction of the target delta-v: the burn ends as an
#: underburn and the capsule coasts to entry; before it, the burn is aborted.
UNDERBURN_FRACTION = 0.5
#: Ignitions one burn may use (the first, and re-lights after resets or a dropped arm relay);
#: a hybrid relights, but each relight costs igniter charge and propellant in the delay.
MAX_IGNITIONS = 4
_RESULT = {"dv reached": "nominal", "burn time limit": "time_limit", "thrust lost": "underburn"}


class DeorbitTask(BurnDvSources):
    name = "deorbit"
    PARAMS = ("deorbit.ignition_t_s", "deorbit.prep_lead_s", "deorbit.attitude_tol_deg", "deorbit.ignition_window_s",
              "deorbit.dv_mps", "deorbit.thrust_check_s", "deorbit.min_accel_mps2", "deorbit.abort_attitude_deg",
              "deorbit.max_burn_s", "deorbit.pc_nominal_pa", "fdir.engine_pc_off_pa",
              "deorbit.max_att_sigma_deg", "deorbit.xcheck_min_dv_mps", "deorbit.xcheck_tol_frac", "nav.gps_vel_sigma_mps",
              "guidance.mass_kg", "guidance.thrust_n", "guidance.isp_s")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None
        s = ctx.store.get(STORE_KEY) or {}
        # A reset between the SAFE phase commit and the go cancellation must not revive the go.
        self.go = bool(s.get("go", False)) and ctx.phases.phase is not Phase.SAFE
        self.plan_t_s = s.get("plan_t_s")
        self.ignition_t_s = s.get("ignition_t_s")
        self.dv_sensed_mps = float(s.get("dv_sensed_mps", 0.0))
        self.burn_s = float(s.get("burn_s", 0.0))
        self.cutoff_t_s = s.get("cutoff_t_s")
        self.result = s.get("result")
        self.ignitions = int(s.get("ignitions", 0))
        self.go_t_s = s.get("go_t_s")
        self.ground_plan_t_s = s.get("ground_plan_t_s")
        self.dv_target_mps = s.get("dv_target_mps")        # None: the corridor's deorbit.dv_mps, no yaw
        self.yaw_deg = float(s.get("yaw_deg", 0.0))
        self._adopted_t_s = -float("inf")                  # the last guidance solution taken
        self._ign_cmd_t: float | None = None     # this boot's last ignition command
        self._ax_prev: float | None = 0.0          # last cycle's axial acceleration, m/s^2
        self._apc_prev: float | None = 0.0         # ... and chamber-pressure acceleration
        self._resume_from_t: float | None = None
        self._disarm_pending = self.cutoff_t_s is not None     # after a timed cutoff (and after any reboot)
        if ctx.phases.phase is Phase.DEORBIT_BURN and self.cutoff_t_s is None and ctx.hal.engine.status().valve_open:
            # Rebuilt while the motor is still burning (fault protection restarted this task,
            # no processor reset): take the running burn over rather than re-light it.
            self._ign_cmd_t = ctx.clock.now_s()
            self._ax_prev = self._apc_prev = None
            ctx.events.emit(Severity.ACTIVITY_HI, "BURN_ADOPTED", f"running burn taken over at {self.dv_sensed_mps:.2f} "
                            "m/s sensed", dv_sensed_mps=round(self.dv_sensed_mps, 4))
        elif ctx.phases.phase is Phase.DEORBIT_BURN and self.cutoff_t_s is None:
            self._resume_from_t = ctx.clock.now_s()
            ctx.events.emit(Severity.ACTIVITY_HI, "BURN_RESUMING", f"burn interrupted at {self.dv_sensed_mps:.2f} m/s "
                            "sensed: re-ignition when pointing is within tolerance",
                            dv_sensed_mps=round(self.dv_sensed_mps, 4))
        self._pub = ctx.bus.port(BurnRecord, self.name)
        self._published = None
        self._accel_per_pa: float | None = None     # calibrated in the burn: accelerometer / chamber pressure
        self._accel_failed = bool(s.get("accel_failed", False))   # this burn: the accelerometer disagreed
        self._dv_source = "chamber pressure" if self._accel_failed else "accelerometer"
        self.dv_pc_mps = float(s.get("dv_pc_mps", 0.0))   # dissimilar dv from the chamber pressure, m/s
        self.pc_burn_s = float(s.get("pc_burn_s", 0.0))   # integral of pc / pc_nominal: full-thrust seconds
        self.dv_ax_raw_mps = float(s.get("dv_ax_raw_mps", 0.0))   # the accelerometer's own axial integral
        self.accel_x_scale = s.get("accel_x_scale")        # its reading over the truth, once found wrong
        self._pc_gain = float(s.get("pc_gain", 1.0))        # chamber-pressure dv scaled to the GPS's
        self._gps = GpsDvMeter()                            # GPS-measured dv of this boot's burn
        self._gps_ref: tuple | None = None                  # (dv_sensed, dv_ax_raw, dv_pc) at its first fix
        self._gps_voted_out = False
        self._pub(BurnRecord(ctx.clock.now_s(), True, *self._state()))   # restored state visible at once
        ctx.phases.on_change(self._phase_changed)

    def _save(self) -> None:
        self.ctx.store.put(STORE_KEY, {"go": self.go, "plan_t_s": self.plan_t_s, "ignition_t_s": self.ignition_t_s,
                                       "dv_sensed_mps": self.dv_sensed_mps, "burn_s": self.burn_s,
                                       "cutoff_t_s": self.cutoff_t_s, "result": self.result,
                                       "ignitions": self.ignitions, "go_t_s": self.go_t_s, "ground_plan_t_s": self.ground_plan_t_s,
                                       "dv_target_mps": self.dv_target_mps, "yaw_deg": self.yaw_deg,
                                       "dv_pc_mps": self.dv_pc_mps, "pc_burn_s": self.pc_burn_s,
                                       "accel_failed": self._accel_failed, "dv_ax_raw_mps": self.dv_ax_raw_mps,
                                       "accel_x_scale": self.accel_x_scale, "pc_gain": self._pc_gain})

    def _state(self) -> tuple:
        """The BurnRecord fields after (t_s, valid)."""
        return (self.go, self.plan_t_s, self.ignition_t_s, self.cutoff_t_s, self.dv_sensed_mps, self.result,
                self.dv_target_mps, self.yaw_deg, self.go_t_s, self.ground_plan_t_s, self.accel_x_scale)

    def _dv_target(self) -> float:
        """Sensed dv to cut off at, m/s: the guidance plan's, else the corridor's (no yaw)."""
        return self.dv_target_mps if self.dv_target_mps is not None else self.ctx.params.v["deorbit.dv_mps"]

    def _phase_changed(self, change) -> None:
        if change.to_phase is Phase.SAFE and change.from_phase is Phase.DEORBIT_BURN and self.cutoff_t_s is None:
            # SAFE entered by fault protection mid-burn (the SAFE entry actions closed the engine): the
            # burn ended aborted, recorded as abort() records it, so no later go resumes a half-burn.
            self._record_cutoff("aborted")
            self.ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_GO_CANCELLED", "SAFE cancels the deorbit go")
        elif change.to_phase is Phase.SAFE and self.go:
            self.go = False
            self._save()
            self.ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_GO_CANCELLED", "SAFE cancels the deorbit go")

    # ---- commands --------------------------------------------------------------
    def deorbit_go(self, ignition_t_s: float | None) -> str | None:
        """Ground's go; returns None if accepted, else the reason."""
        ph = self.ctx.phases.phase
        if ph is not Phase.SEPARATED:
            return f"not in SEPARATED (phase {ph.value})" + ("; RESUME first" if ph is Phase.SAFE else "")
        if self.cutoff_t_s is not None:
            return f"a deorbit burn already ended ({self.result})"
        t = self.ctx.clock.now_s()
        plan = ignition_t_s if ignition_t_s is not None else self.ctx.params.v["deorbit.ignition_t_s"]
        if plan <= t:
            return f"ignition time {plan:.1f} s is in the past (now {t:.1f} s)"
        self.go, self.plan_t_s, self.go_t_s, self.ground_plan_t_s = True, plan, t, plan
        self.dv_target_mps, self.yaw_deg = None, 0.0       # the ground's plan until guidance solves
        self._save()
        self.ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_GO", f"go for ignition at {plan:.1f} s", ignition_t_s=plan)
        return None

    def abort(self, reason: str) -> None:
        """Stop the burn and leave for SAFE."""
        ctx = self.ctx
        ctx.hal.engine.shutdown()
        ctx.hal.engine.arm(False)
        if ctx.phases.phase is Phase.DEORBIT_BURN:
            self._record_cutoff("aborted")
        self.go = False
        self._save()
        ctx.events.emit(Severity.WARNING_HI, "DEORBIT_ABORT", reason, reason=reason)
        ctx.phases.request(Trigger.ABORT, reason)

    # ---- periodic -----------------------------------------------------------------
    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        # Elapsed time since the last run (a cycle slip counts in full); one period on the first.
        dt = self.dt if self._t_prev is None else max(0.0, t_s - self._t_prev)
        self._t_prev = t_s
        if ph in (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN) or self._disarm_pending:
            self.ctx.hal.engine.refresh()            # the arm relay's dead-man keep-alive (requirement 8)
        if ph is Phase.SEPARATED and self.go:
            self._adopt_guidance()
        if ph is Phase.SEPARATED and self.go and t_s >= self.plan_t_s - self.ctx.params.v["deorbit.prep_lead_s"]:
            if self.ctx.phases.request(Trigger.PREP_START, "go given and ignition approaching"):
                if self.dv_target_mps is None:
                    # No onboard solution: the ground's plan, frozen here like a guided one.
                    self.dv_target_mps = self.ctx.params.v["deorbit.dv_mps"]
                    self.ctx.events.emit(Severity.WARNING_HI, "GUIDANCE_UNAVAILABLE", "no onboard solution before "
                                         "DEORBIT_PREP: flying the ground's plan (retrograde, deorbit.dv_mps)")
                self._save()
                self._arm()
        elif ph is Phase.DEORBIT_PREP:
            self._prep(t_s)
        elif ph is Phase.DEORBIT_BURN:
            self._burn(t_s, dt)
        elif self.cutoff_t_s is not None and t_s >= self.cutoff_t_s and self._disarm_pending:
            self._disarm_pending = False
            self.ctx.hal.engine.arm(False)
        state = self._state()
        if state != self._published:          # published when it changes: every tick of a burn, rarely otherwise
            self._published = state
            self._pub(BurnRecord(t_s, True, *state))

    def _adopt_guidance(self) -> None:
        """Requirement 9: take each new onboard solution computed for this go (SEPARATED only:
        DEORBIT_PREP freezes the plan); a NO-GO cancels the go."""
        g = self.ctx.bus.latest(GuidanceRecord)
        if not g.valid or g.kind != "plan" or g.go_t_s != self.go_t_s or g.t_s <= self._adopted_t_s:
            return
        self._adopted_t_s = g.t_s
        ev = self.ctx.events
        if g.ok and g.ignition_t_s - self.ctx.params.v["deorbit.prep_lead_s"] < self.ctx.clock.now_s():
            ev.emit(Severity.WARNING_HI, "GUIDANCE_LATE", f"solution for ignition at {g.ignition_t_s:.1f} s arrived "
                    "after its DEORBIT_PREP time: not taken, the current plan stands")
            return
        if not g.ok:
            self.go = False
            self._save()
            ev.emit(Severity.WARNING_HI, "DEORBIT_NO_GO", f"guidance no-go: {g.why}; the go is cancelled", why=g.why)
            return
        self.plan_t_s, self.dv_target_mps, self.yaw_deg = g.ignition_t_s, g.dv_mps, g.yaw_deg
        self._save()
        miss = "" if g.miss_km is None else f" (predicted miss {g.miss_km:.2f} km)"
        ev.emit(Severity.ACTIVITY_HI, "DEORBIT_RETARGETED", f"plan: ignition {g.ignition_t_s:.1f} s, dv "
                f"{g.dv_mps:.2f} m/s, yaw {g.yaw_deg:.2f} deg{miss}",
                ignition_t_s=round(g.ignition_t_s, 3), dv_mps=round(g.dv_mps, 3), yaw_deg=round(g.yaw_deg, 3))

    def _arm(self) -> None:
        eng = self.ctx.hal.engine
        if not self.ctx.hal.station.attached() and not eng.status().armed:
            eng.arm(True)

    def _ignite(self, t_s: float, err: float) -> bool:
        ctx, p = self.ctx, self.ctx.params.v
        self._arm()
        if not ctx.hal.engine.ignite():
            return False
        self._ign_cmd_t = t_s
        self._ax_prev = self._apc_prev = 0.0       # no thrust before the ignition delay
        self.ignitions += 1
        if self.ignition_t_s is None:
            self.ignition_t_s = t_s
        self._save()
        ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_IGNITION", f"ignition {self.ignitions}, pointing error "
                        f"{err:.2f} deg", att_error_deg=err, dv_target_mps=self._dv_target(),
                        dv_sensed_mps=round(self.dv_sensed_mps, 4), ignition=self.ignitions)
        return True

    def _prep(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if self.plan_t_s is None or not self.go:
            self.abort("deorbit preparation without a go")
            return
        self._arm()
        if t_s < self.plan_t_s:
            return
        err = ctx.bus.latest(AttitudeRecord).att_error_deg
        sigma = ctx.bus.latest(NavRecord).sigma_att_deg
        known = sigma <= p["deorbit.max_att_sigma_deg"]
        if err is not None and known and err <= p["deorbit.attitude_tol_deg"] and not ctx.hal.station.attached():
            if self._ignite(t_s, err):
                ctx.phases.request(Trigger.IGNITION, f"attitude within {p['deorbit.attitude_tol_deg']} deg")
            else:
                self.abort("engine refused ignition")
        elif t_s > self.plan_t_s + p["deorbit.ignition_window_s"]:
            if not known:
                self.abort(f"attitude knowledge {sigma:.1f} deg (1 sigma) above {p['deorbit.max_att_sigma_deg']:g} deg")
            else:
                self.abort(f"burn attitude not reached within {p['deorbit.ignition_window_s']:.0f} s")

    def _burn(self, t_s: float, dt: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        err = ctx.bus.latest(AttitudeRecord).att_error_deg
        if self._ign_cmd_t is None and self.cutoff_t_s is not None:
            # Reset after the cutoff was committed but before the phase change was: finish the
            # transition the ended burn already made; never re-ignite it.
            ctx.phases.request(Trigger.ABORT if self.result == "aborted" else Trigger.CUTOFF,
                               f"burn ended before the reset ({self.result})")
            return
        if self._ign_cmd_t is None:                      # resuming after a processor reset
            self._resume(t_s, err)
            return
        pc = ctx.hal.engine.status().chamber_pressure_pa
        a_pc = self._pc_accel(pc, dt)
        imu = ctx.bus.latest(ImuRecord)
        ax = self._axial_accel(imu, pc, a_pc)
        # Trapezoids: thrust starts between two samples (the motor's ignition delay is not a
        # whole number of cycles), and a rectangle on the newer sample counts the whole cycle -
        # on average half a cycle of thrust too much, 0.06 m/s (12 km of splash) early cutoff.
        ax0 = ax if self._ax_prev is None else self._ax_prev        # None: a burn taken over running
        apc0 = a_pc if self._apc_prev is None else self._apc_prev
        self.dv_sensed_mps += 0.5 * (ax0 + ax) * dt
        self.dv_pc_mps += 0.5 * (apc0 + a_pc) * dt
        self._ax_prev, self._apc_prev = ax, a_pc
        if imu.valid:
            self.dv_ax_raw_mps += imu.raw_accel_mps2[0] * dt
        self.burn_s += dt
        if self._gps_vote(t_s, dt):
            return
        since = t_s - self._ign_cmd_t
        if (since >= p["deorbit.thrust_check_s"] and ax < p["deorbit.min_accel_mps2"] and not self._accel_failed
                and pc > p["fdir.engine_pc_off_pa"] and imu.valid and imu.sensed_accel_mps2 > p["deorbit.min_accel_mps2"]):
            # Requirement 4: the motor burns (chamber pressure, and the accelerometer's magnitude)
            # but the thrust axis does not see it: that axis failed (wrong sign, wrong mounting).
            self._accel_failed = True
            self.dv_sensed_mps = self.dv_pc_mps
            if self.dv_pc_mps > 0.0:
                self.accel_x_scale = self.dv_ax_raw_mps / self.dv_pc_mps
            self._dv_source = "chamber pressure"
            ctx.events.emit(Severity.WARNING_HI, "BURN_DV_SOURCE", f"accelerometer reads {ax:.2f} m/s^2 with the "
                            f"chamber at {pc / 1e6:.2f} MPa: dv from the chamber pressure "
                            f"({self.dv_pc_mps:.2f} m/s so far)", source=self._dv_source)
            self._save()
            return
        if since >= p["deorbit.thrust_check_s"] and ax < p["deorbit.min_accel_mps2"]:
            if not ctx.hal.engine.status().armed and self.ignitions < MAX_IGNITIONS:
                # The arm relay dropped under us (its dead-man after a stall, a brown-out): the
                # motor is sound, so re-arm and re-light the rest, as after a processor reset.
                self._ign_cmd_t, self._resume_from_t = None, t_s
                ctx.events.emit(Severity.WARNING_HI, "BURN_INTERRUPTED", f"engine arm dropped at "
                                f"{self.dv_sensed_mps:.2f} m/s sensed: re-ignition", dv_sensed_mps=round(self.dv_sensed_mps, 4))
                return
            if self.dv_sensed_mps < UNDERBURN_FRACTION * self._dv_target():
                self.abort(f"no thrust sensed {since:.1f} s after ignition")
            else:
                self._cutoff(t_s, "thrust lost")
            return
        if err is not None and err > p["deorbit.abort_attitude_deg"]:
            self.abort(f"pointing error {err:.1f} deg during burn")
            return
        to_go = self._dv_target() - self.dv_sensed_mps
        if to_go <= ax * self.dt:
            self._cutoff(t_s, "dv reached", delay_s=max(0.0, to_go / ax) if ax > 0.0 else 0.0)
        elif self.burn_s >= p["deorbit.max_burn_s"]:
            self._cutoff(t_s, "burn time limit")
        else:
            self._save()

    def _resume(self, t_s: float, err) -> None:
        p = self.ctx.params.v
        if self.dv_sensed_mps >= self._dv_target() - 1e-6:
            self._cutoff(t_s, "dv reached")
            return
        if err is not None and err <= p["deorbit.attitude_tol_deg"] and not self.ctx.hal.station.attached():
            if not self._ignite(t_s, err):
                self._end_interrupted("engine refused re-ignition")
            return
        if t_s > self._resume_from_t + p["deorbit.ignition_window_s"]:
            self._end_interrupted(f"burn attitude not regained within {p['deorbit.ignition_window_s']:.0f} s")

    def _end_interrupted(self, why: str) -> None:
        if self.dv_sensed_mps >= UNDERBURN_FRACTION * self._dv_target():
            self._cutoff(self.ctx.clock.now_s(), "thrust lost")
        else:
            self.abort(why)

    def _cutoff(self, t_s: float, reason: str, delay_s: float = 0.0) -> None:
        ctx = self.ctx
        ctx.hal.engine.shutdown(delay_s)
        if delay_s > 0.0:
            self.dv_sensed_mps = self._dv_target()      # the timed closure delivers the rest
        if delay_s == 0.0:
            ctx.hal.engine.arm(False)    # a timed closure keeps the arm (isolation valve open) until it acts
        self._record_cutoff(_RESULT[reason], delay_s)
        ctx.phases.request(Trigger.CUTOFF, reason)

    def _record_cutoff(self, result: str, delay_s: float = 0.0) -> None:
        ctx = self.ctx
        if self.accel_x_scale is not None and self._gps_ref is not None and (self._gps.dv_mps or 0.0) > 1.0:
            # The scale nav will apply, measured over the whole burn (the vote's was over ~10 m/s,
            # +-1 m/s of GPS noise): the accelerometer's axial dv over the GPS's since its first fix.
            self.accel_x_scale = (self.dv_ax_raw_mps - self._gps_ref[1]) / self._gps.dv_mps
        self.cutoff_t_s = ctx.clock.now_s() + delay_s
        self._disarm_pending = True
        self.result = result
        self.go = False
        self._save()
        ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_CUTOFF", f"cutoff ({result}), sensed dv {self.dv_sensed_mps:.2f} m/s",
                        result=result, dv_sensed_mps=round(self.dv_sensed_mps, 4),
                        dv_target_mps=self._dv_target())

    def telemetry(self) -> dict:
        return {"dv_sensed_mps": self.dv_sensed_mps}
