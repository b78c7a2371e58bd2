"""Splashdown detection, main canopy release and flotation (10 Hz).

Requirements
1. Primary: the water switch reads wet for ``landing.water_persist_s``. It is
   armed only below ``landing.water_arm_alt_m`` barometric altitude, or below
   it by a fresh GPS fix (a dissimilar source: a barometer failed high must not
   keep it unarmed on the water; arming only permits, the switch still has to
   read wet), or without a valid baro after the main has fired; its
   persistence latch is cleared when it arms (Mars Polar Lander 1999: a
   latched transient). A water switch the monitors have declared failed is not
   used. A wet switch counts only with a second, dissimilar sign of the sea
   (``second_sign``): the barometric altitude steady within ``landing.still_tol_m``
   over ``landing.confirm_window_s`` below ``landing.still_max_alt_m`` (motion
   stopped: under the main it falls ~6 m/s), or a fresh GPS altitude at or below
   ``landing.release_max_gps_alt_m``; with neither sensor usable, the switch alone.
   A wet transient under the canopy then declares nothing.
2. Dissimilar backup: barometric altitude below ``landing.still_max_alt_m`` and
   steady within ``landing.still_tol_m`` over ``landing.still_window_s``.
3. Last resort (no usable sensor): ``landing.backup_s`` after the main fired,
   LANDED is declared so the beacon starts - but the main canopy is then NOT
   released (released in the air it is a lost capsule; on the water it only
   drags), and the float bag is inflated.
4. On a sensed splashdown (from ENTRY, DROGUE or MAIN): phase LANDED, then fire
   ``main_release`` after ``landing.release_delay_s`` (the canopy would drag the
   capsule under) and ``float`` after ``landing.float_delay_s``.
5. The splash time and trigger are kept in the state store, so a reset on the
   water fires only what has not fired yet. Publishes LandingRecord.
6. ``main_release`` needs corroboration at the moment it fires: the water
   switch still wet if it was the detector (and not declared failed), and a barometric altitude below
   ``landing.still_max_alt_m`` or a fresh GPS altitude below
   ``landing.release_max_gps_alt_m``, where either is usable - a water-switch
   transient of a second low under the canopy must not cut the main away.
"""
from __future__ import annotations

from collections import deque

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.records import AirDataRecord, EdlRecord, GpsRecord, HealthRecord, LandingRecord

STORE_KEY = "landing"
#: A GPS record older than this does not arm the water switch, s (nav publishes fixes at 10 Hz).
GPS_FRESH_S = 0.5
_DESCENT = (Phase.ENTRY, Phase.DROGUE, Phase.MAIN)
#: Post-splash pyro channels and the parameter giving each one's delay after splashdown.
_POST_SPLASH = (("main_release", "landing.release_delay_s"), ("float", "landing.float_delay_s"))


class LandingTask:
    name = "landing"
    PARAMS = ("landing.water_arm_alt_m", "landing.water_persist_s", "landing.still_window_s",
              "landing.still_tol_m", "landing.still_max_alt_m", "landing.release_delay_s",
              "landing.float_delay_s", "landing.backup_s", "landing.release_max_gps_alt_m",
              "landing.confirm_window_s")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None       # last run's time: elapsed-time integration
        self._armed = False
        self._wet_s = 0.0
        self._sign: str | None = None
        self._hist: deque = deque()
        s = ctx.store.get(STORE_KEY) or {}
        self.splash_t_s = s.get("splash_t_s")
        self.trigger = s.get("trigger")
        self._pub = ctx.bus.port(LandingRecord, self.name)
        self._pub(LandingRecord(ctx.clock.now_s(), True, self.splash_t_s, self.trigger))   # restored state visible at once

    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        if ph in _DESCENT:
            self._detect(t_s)
        elif ph is Phase.LANDED:
            self._post_landing(t_s)
        self._pub(LandingRecord(t_s, True, self.splash_t_s, self.trigger))
        self._t_prev = t_s

    def _detect(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        air = ctx.bus.latest(AirDataRecord)
        alt = air.baro_alt_m if air.valid else None
        main_t_s = ctx.bus.latest(EdlRecord).main_t_s
        water_ok = "water" not in ctx.bus.latest(HealthRecord).degraded
        if not self._armed:
            arm_alt = p["landing.water_arm_alt_m"]
            gps = ctx.bus.latest(GpsRecord)
            by = None
            if alt is not None and alt < arm_alt:
                by = f"baro {alt:.0f} m"
            elif gps.fix is not None and t_s - gps.t_s <= GPS_FRESH_S and gps.fix.alt_m < arm_alt:
                by = f"GPS {gps.fix.alt_m:.0f} m"
            elif alt is None and main_t_s is not None:
                by = "no baro, main out"
            if by is not None:
                self._armed = True
                self._wet_s = 0.0
                ctx.events.emit(Severity.ACTIVITY_LO, "SPLASH_DETECT_ARMED", f"water switch armed ({by})", by=by)
        if alt is not None:
            self._hist.append((t_s, alt))
            while self._hist and self._hist[0][0] < t_s - p["landing.still_window_s"]:
                self._hist.popleft()
        else:
            self._hist.clear()
        reason = None
        if self._armed and water_ok:
            step = self.dt if self._t_prev is None else max(0.0, t_s - self._t_prev)   # cycle slips count
            self._wet_s = self._wet_s + step if ctx.hal.water.wet() else 0.0
            if self._wet_s >= p["landing.water_persist_s"] - 1e-9:     # sums of 0.1 s steps fall short of 1.0
                sign = self.second_sign(t_s, alt)
                if sign is not None:
                    reason = "water switch"
                    self._sign = sign
        if alt is not None:
            span_s = self._hist[-1][0] - self._hist[0][0]
            if reason is None and span_s >= p["landing.still_window_s"] - self.dt and alt < p["landing.still_max_alt_m"]:
                alts = [a for _, a in self._hist]
                if max(alts) - min(alts) <= p["landing.still_tol_m"]:
                    reason = "baro steady"
        if reason is None and main_t_s is not None and t_s >= main_t_s + p["landing.backup_s"]:
            reason = "timer"
        if reason is not None:
            self.splash_t_s, self.trigger = t_s, reason
            ctx.store.put(STORE_KEY, {"splash_t_s": t_s, "trigger": reason})
            ctx.events.emit(Severity.ACTIVITY_HI, "SPLASHDOWN", f"splashdown detected by {reason}"
                            + (f" ({self._sign})" if reason == "water switch" else ""), trigger=reason,
                            confirmed_by=self._sign if reason == "water switch" else None)
            ctx.phases.request(Trigger.SPLASHDOWN, reason)

    def second_sign(self, t_s: float, alt) -> str | None:
        """Requirement 1: the dissimilar sign that goes with a wet switch, or None."""
        ctx, p = self.ctx, self.ctx.params.v
        gps = ctx.bus.latest(GpsRecord)
        gps_ok = gps.fix is not None and t_s - gps.t_s <= GPS_FRESH_S
        if gps_ok and gps.fix.alt_m <= p["landing.release_max_gps_alt_m"]:
            return f"GPS {gps.fix.alt_m:.0f} m"
        if alt is not None:
            w = p["landing.confirm_window_s"]
            recent = [a for t, a in self._hist if t >= t_s - w]
            if self._hist and self._hist[0][0] <= t_s - w + 1e-6 and alt < p["landing.still_max_alt_m"] \
                    and max(recent) - min(recent) <= p["landing.still_tol_m"]:
                return "baro still"
            return None
        return None if gps_ok else "switch alone (no baro, no GPS)"

    def _post_landing(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        since = t_s - (self.splash_t_s if self.splash_t_s is not None else ctx.phases.entered_t_s)
        for ch, delay in _POST_SPLASH:
            if since < p[delay] or ctx.pyro.fired(ch):
                continue
            if ch == "main_release" and (self.trigger == "timer" or not self._release_corroborated(t_s)):
                continue                      # requirements 3 and 6: never on a timer or one sensor alone
            ctx.pyro.fire(ch, "splashdown")

    def _release_corroborated(self, t_s: float) -> bool:
        """Requirement 6: the switch still wet, and the altitude - barometric (within a
        weather-driven sea-level offset) or GPS - at the sea, where either is usable."""
        ctx, p = self.ctx, self.ctx.params.v
        if self.trigger == "water switch" and "water" not in ctx.bus.latest(HealthRecord).degraded \
                and not ctx.hal.water.wet():
            return False                      # the switch that saw the splash must still see the sea
        air, gps = ctx.bus.latest(AirDataRecord), ctx.bus.latest(GpsRecord)
        baro_ok = air.valid and air.baro_alt_m is not None
        gps_ok = gps.fix is not None and t_s - gps.t_s <= GPS_FRESH_S
        if not baro_ok and not gps_ok:
            return True                       # nothing to cross-check with: the sensed splash stands
        return (baro_ok and air.baro_alt_m <= p["landing.still_max_alt_m"]) or \
            (gps_ok and gps.fix.alt_m <= p["landing.release_max_gps_alt_m"])
