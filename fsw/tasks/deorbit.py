"""Deorbit burn task (50 Hz).

Requirements
1. Nothing happens without the ground's DEORBIT_GO. With it, DEORBIT_PREP
   starts ``deorbit.prep_lead_s`` before the planned ignition time; the engine
   is armed there (never while attached: the HAL refuses and so does this task).
2. Ignition when the planned time has come and the pointing error is below
   ``deorbit.attitude_tol_deg``; if attitude is not reached within
   ``deorbit.ignition_window_s`` of the plan, abort to SAFE.
3. Cutoff on the integrated sensed axial delta-v reaching ``deorbit.dv_mps``:
   when the target falls within the next 20 ms at the sensed acceleration, the
   valve driver's timer closes the valve at the predicted instant (a 20 ms tick
   is 0.12 m/s, tens of km at splashdown); ``deorbit.max_burn_s`` is the
   burn-time backup.
4. Abort (shutdown, SAFE) on pointing error above ``deorbit.abort_attitude_deg``
   or on no sensed thrust ``deorbit.thrust_check_s`` after ignition
   (Inversion Ray 2025: a motor that never fires). Thrust lost after at least
   ``UNDERBURN_FRACTION`` of the target delta-v ends the burn as an underburn
   (cutoff, COAST): the capsule is already on its way down.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase, Trigger

NV_BURN = "deorbit.burn"
#: Thrust lost after this fraction of the target delta-v: the burn ends as an
#: underburn and the capsule coasts to entry; before it, the burn is aborted.
UNDERBURN_FRACTION = 0.5
_RESULT = {"dv reached": "nominal", "burn time limit": "time_limit", "thrust lost": "underburn"}


class DeorbitTask:
    name = "deorbit"

    def __init__(self, ctx, dt_s: float):
        self.ctx = ctx
        self.dt = dt_s
        self.go = False
        self.ignition_t_s: float | None = None   # plan; None = parameter value
        self._ign_cmd_t: float | None = None
        self.result: str | None = None

    # ---- commands --------------------------------------------------------------
    def deorbit_go(self, ignition_t_s: float | None) -> str | None:
        """Ground's go; returns None if accepted, else the reason."""
        if self.ctx.phases.phase not in (Phase.SEPARATED, Phase.SAFE):
            return f"not in SEPARATED or SAFE (phase {self.ctx.phases.phase.value})"
        t = self.ctx.clock.now_s()
        plan = ignition_t_s if ignition_t_s is not None else self.ctx.params.v["deorbit.ignition_t_s"]
        if plan <= t:
            return f"ignition time {plan:.1f} s is in the past (now {t:.1f} s)"
        self.go, self.ignition_t_s = True, plan
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
        ctx.events.emit(Severity.WARNING_HI, "DEORBIT_ABORT", reason, reason=reason)
        ctx.phases.request(Trigger.ABORT, reason)

    # ---- periodic -----------------------------------------------------------------
    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        if ph is Phase.SEPARATED and self.go and t_s >= self.ignition_t_s - self.ctx.params.v["deorbit.prep_lead_s"]:
            if self.ctx.phases.request(Trigger.PREP_START, "go given and ignition approaching"):
                if not self.ctx.hal.station.attached():
                    self.ctx.hal.engine.arm(True)
        elif ph is Phase.DEORBIT_PREP:
            self._prep(t_s)
        elif ph is Phase.DEORBIT_BURN:
            self._burn(t_s)

    def _prep(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if t_s < self.ignition_t_s:
            return
        err = ctx.data.att_error_deg
        if err is not None and err <= p["deorbit.attitude_tol_deg"] and not ctx.hal.station.attached():
            if ctx.hal.engine.ignite():
                self._ign_cmd_t = t_s
                ctx.data.ignition_t_s = t_s
                ctx.data.dv_sensed_mps = 0.0
                ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_IGNITION", f"ignition, pointing error {err:.2f} deg",
                                att_error_deg=err, dv_target_mps=p["deorbit.dv_mps"])
                ctx.phases.request(Trigger.IGNITION, f"attitude within {p['deorbit.attitude_tol_deg']} deg")
            else:
                self.abort("engine refused ignition")
        elif t_s > self.ignition_t_s + p["deorbit.ignition_window_s"]:
            self.abort(f"burn attitude not reached within {p['deorbit.ignition_window_s']:.0f} s")

    def _burn(self, t_s: float) -> None:
        d, p = self.ctx.data, self.ctx.params.v
        ax = d.accel_body_mps2[0]
        d.dv_sensed_mps += ax * self.dt
        burn_s = t_s - self._ign_cmd_t
        if burn_s >= p["deorbit.thrust_check_s"] and ax < p["deorbit.min_accel_mps2"]:
            if d.dv_sensed_mps < UNDERBURN_FRACTION * p["deorbit.dv_mps"]:
                self.abort(f"no thrust sensed {burn_s:.1f} s after ignition")
            else:
                self._cutoff(t_s, "thrust lost")
            return
        err = d.att_error_deg
        if err is not None and err > p["deorbit.abort_attitude_deg"]:
            self.abort(f"pointing error {err:.1f} deg during burn")
            return
        to_go = p["deorbit.dv_mps"] - d.dv_sensed_mps
        if to_go <= ax * self.dt:
            self._cutoff(t_s, "dv reached", delay_s=max(0.0, to_go / ax) if ax > 0.0 else 0.0)
        elif burn_s >= p["deorbit.max_burn_s"]:
            self._cutoff(t_s, "burn time limit")

    def _cutoff(self, t_s: float, reason: str, delay_s: float = 0.0) -> None:
        ctx = self.ctx
        ctx.hal.engine.shutdown(delay_s)
        if delay_s > 0.0:
            ctx.data.dv_sensed_mps = ctx.params.v["deorbit.dv_mps"]      # the timed closure delivers the rest
        ctx.hal.engine.arm(False)
        self._record_cutoff(_RESULT[reason], delay_s)
        ctx.phases.request(Trigger.CUTOFF, reason)

    def _record_cutoff(self, result: str, delay_s: float = 0.0) -> None:
        ctx, d = self.ctx, self.ctx.data
        d.cutoff_t_s = ctx.clock.now_s() + delay_s
        self.result = result
        ctx.events.emit(Severity.ACTIVITY_HI, "DEORBIT_CUTOFF", f"cutoff ({result}), sensed dv {d.dv_sensed_mps:.2f} m/s",
                        result=result, dv_sensed_mps=round(d.dv_sensed_mps, 4),
                        dv_target_mps=ctx.params.v["deorbit.dv_mps"])
        ctx.hal.nv.put(NV_BURN, {"ignition_t_s": d.ignition_t_s, "cutoff_t_s": d.cutoff_t_s, "result": result})
