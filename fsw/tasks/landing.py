"""Splashdown detection, main canopy release and flotation (10 Hz).

Requirements
1. Primary: the water switch reads wet for ``landing.water_persist_s``. It is
   armed only below ``landing.water_arm_alt_m`` barometric altitude (or without
   a valid baro, after the main has fired), and its persistence latch is
   cleared when it arms (Mars Polar Lander 1999: a latched transient).
2. Dissimilar backup: barometric altitude below ``landing.still_max_alt_m`` and
   steady within ``landing.still_tol_m`` over ``landing.still_window_s``.
3. On splashdown (from ENTRY, DROGUE or MAIN): phase LANDED, then fire
   ``main_release`` after ``landing.release_delay_s`` (the canopy would drag the
   capsule under) and ``float`` after ``landing.float_delay_s``.
"""
from __future__ import annotations

from collections import deque

from fsw.events import Severity
from fsw.phases import Phase, Trigger

_DESCENT = (Phase.ENTRY, Phase.DROGUE, Phase.MAIN)


class LandingTask:
    name = "landing"

    def __init__(self, ctx, dt_s: float):
        self.ctx = ctx
        self.dt = dt_s
        self._armed = False
        self._wet_s = 0.0
        self._hist: deque = deque()
        self._pending = ["main_release", "float"]

    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        if ph in _DESCENT:
            self._detect(t_s)
        elif ph is Phase.LANDED:
            self._post_landing(t_s)

    def _detect(self, t_s: float) -> None:
        ctx, p, d = self.ctx, self.ctx.params.v, self.ctx.data
        alt = d.baro_alt_m if d.baro_valid else None
        if not self._armed and ((alt is not None and alt < p["landing.water_arm_alt_m"])
                                or (alt is None and d.main_t_s is not None)):
            self._armed = True
            self._wet_s = 0.0
            ctx.events.emit(Severity.ACTIVITY_LO, "SPLASH_DETECT_ARMED", "water switch armed")
        reason = None
        if self._armed:
            self._wet_s = self._wet_s + self.dt if ctx.hal.water.wet() else 0.0
            if self._wet_s >= p["landing.water_persist_s"]:
                reason = "water switch"
        if alt is not None:
            self._hist.append((t_s, alt))
            while self._hist and self._hist[0][0] < t_s - p["landing.still_window_s"]:
                self._hist.popleft()
            span_s = self._hist[-1][0] - self._hist[0][0]
            alts = [a for _, a in self._hist]
            if reason is None and span_s >= p["landing.still_window_s"] - self.dt and alt < p["landing.still_max_alt_m"] \
                    and max(alts) - min(alts) <= p["landing.still_tol_m"]:
                reason = "baro steady"
        else:
            self._hist.clear()
        if reason is not None:
            d.splash_t_s = t_s
            ctx.events.emit(Severity.ACTIVITY_HI, "SPLASHDOWN", f"splashdown detected by {reason}", trigger=reason)
            ctx.phases.request(Trigger.SPLASHDOWN, reason)

    def _post_landing(self, t_s: float) -> None:
        ctx, p, d = self.ctx, self.ctx.params.v, self.ctx.data
        since = t_s - (d.splash_t_s if d.splash_t_s is not None else ctx.phases.entered_t_s)
        delays = {"main_release": p["landing.release_delay_s"], "float": p["landing.float_delay_s"]}
        for ch in list(self._pending):
            if since >= delays[ch]:
                self._pending.remove(ch)
                if not ctx.pyro.fired(ch):
                    ctx.pyro.fire(ch, "splashdown")
