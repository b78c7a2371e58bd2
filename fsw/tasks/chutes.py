"""Entry detection and parachute deploy task (10 Hz).

Requirements (each trigger has dissimilar sources; the table: TRIGGERS.md)
1. COAST -> ENTRY on sensed deceleration above ``entry.onset_mps2`` for
   ``entry.onset_persist_s``; timer backup ``entry.onset_backup_s`` after cutoff.
   From SAFE or SEPARATED, the sensed onset alone (a capsule re-entering is
   re-entering).
2. g-arm: the drogue logic arms when the sensed deceleration magnitude first
   exceeds ``chutes.g_arm_mps2`` (the magnitude, so an inverted accelerometer
   still arms - Genesis 2004).
3. Drogue: two of three votes, held for ``chutes.persist_n`` samples, in ENTRY:
   - ``nav``: the navigated Mach at or below ``chutes.drogue_mach``, and also its
     ``VOTE_SIGMA_K``-sigma upper bound at or below ``chutes.drogue_mach_ceiling`` (an
     uncertain estimate does not vote), with its dynamic pressure at or below
     ``chutes.drogue_q_max_pa`` (FlowRecord, fresh);
   - ``drag``: the same test on the drag and static-pressure solution;
   - ``timer``: once either of two clocks has run out. The *fall* clock:
     ``chutes.drogue_fall_backup_s`` after the sensed load, past the g-arm, stays
     below ``chutes.g_fall_mps2`` (2 g) for ``G_ARM_N`` valid samples; a fall sooner
     than ``chutes.g_fall_min_s`` after the g-arm is an accelerometer failed through
     the peak: refused for the flight (``DROGUE_FALL_REFUSED``). The *baro* clock:
     ``chutes.drogue_baro_backup_s`` after the barometers first read inside their
     range, counted only once they have read above it (at their clamp, ~30 km): a
     barometer pair that reads in range from orbit (a blocked static port) never
     starts it (``BARO_RANGE_IMPLAUSIBLE``). Both clocks are altitude-anchored in
     effect: past the load peak the capsule slows to its equilibrium descent, where
     Mach 1.6 comes at 28-31 km whatever the entry; a timer from the g-arm cannot
     bound it (TRIGGERS.md). No g-arm (the accelerometer failed): the baro clock
     alone; no barometers: the fall clock alone.
   A single source failed early can then only bring the deploy forward to the
   earliest healthy vote, one failed late or silent only delay it to the latest
   (each is inside the envelope by design: TRIGGERS.md).
4. Main: two of three votes, held for the persistence count, in ENTRY or DROGUE:
   ``baro`` fused barometric altitude, ``gps`` a fresh GPS altitude (the navigated
   altitude in its place while no fix is fresh), both at or below
   ``chutes.main_alt_m``; ``timer`` ``chutes.main_backup_s`` after the drogue fired.
5. Each deploy fires its pyro through the PyroManager (once, ever) and moves
   the phase; the votes that fired it are reported, joined with "+".
6. The onset, g-arm, load-fall, baro-above-range, baro-in-range and deploy times
   and the triggers are kept in the state store (committed before the pulse), so the backup timers run on across
   a processor reset. Publishes EdlRecord.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.flightmath import RE_M, norm
from fsw.records import AirDataRecord, BurnRecord, EdlRecord, FlowRecord, GpsRecord, ImuRecord, NavRecord
from fsw.tasks.baro import CLAMP_ALT_M

STORE_KEY = "edl"
#: Consecutive 10 Hz samples above chutes.g_arm_mps2 that arm the drogue logic (one spike does not).
G_ARM_N = 2
#: Votes needed to deploy (two of three).
VOTES_NEEDED = 2
#: A Mach vote needs its estimate plus this many sigma at or below chutes.drogue_mach_ceiling.
VOTE_SIGMA_K = 2.0
#: Flow and GPS records older than this do not vote, s (producers at 10 Hz).
MAX_AGE_S = 0.5
#: A GPS fix older than this leaves its main vote to the navigated altitude, s.
GPS_MAX_AGE_S = 3.0


class ChuteTask:
    name = "chutes"
    PARAMS = ("entry.onset_mps2", "entry.onset_persist_s", "entry.onset_backup_s", "entry.onset_max_alt_m",
              "chutes.g_arm_mps2", "chutes.drogue_mach", "chutes.drogue_q_max_pa", "chutes.drogue_mach_ceiling",
              "chutes.g_fall_mps2", "chutes.g_fall_min_s", "chutes.drogue_fall_backup_s",
              "chutes.drogue_baro_backup_s", "chutes.main_alt_m", "chutes.main_backup_s", "chutes.persist_n")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None       # last run's time: elapsed-time integration
        self._onset_s = 0.0
        self._below = {"drogue": 0, "main": 0}
        self._g_high_n = 0
        self._g_low_n = 0                       # valid samples in a row below chutes.g_fall_mps2 past the g-arm
        self._baro_odd_said = False             # BARO_RANGE_IMPLAUSIBLE raised
        s = ctx.store.get(STORE_KEY) or {}
        self.onset_t_s = s.get("onset_t_s")
        self.g_arm_t_s = s.get("g_arm_t_s")
        self.fall_t_s = s.get("fall_t_s")          # the load fell below chutes.g_fall_mps2 past the g-arm
        self.fall_refused = s.get("fall_refused", False)   # that fall came implausibly soon: no fall clock
        self.baro_above_t_s = s.get("baro_above_t_s")      # a barometer first read at its clamp
        self.baro_in_t_s = s.get("baro_in_t_s")    # the barometers first read inside their range, after that
        self.drogue_t_s = s.get("drogue_t_s")
        self.drogue_trigger = s.get("drogue_trigger")
        self.main_t_s = s.get("main_t_s")
        self.main_trigger = s.get("main_trigger")
        self._pub = ctx.bus.port(EdlRecord, self.name)
        self._publish(ctx.clock.now_s())   # restored state visible at once
        ctx.phases.on_change(self._phase_changed)

    def _save(self) -> None:
        self.ctx.store.put(STORE_KEY, {"onset_t_s": self.onset_t_s, "g_arm_t_s": self.g_arm_t_s,
                                       "fall_t_s": self.fall_t_s, "fall_refused": self.fall_refused,
                                       "baro_above_t_s": self.baro_above_t_s,
                                       "baro_in_t_s": self.baro_in_t_s, "drogue_t_s": self.drogue_t_s,
                                       "drogue_trigger": self.drogue_trigger,
                                       "main_t_s": self.main_t_s, "main_trigger": self.main_trigger})

    def _phase_changed(self, change) -> None:
        if change.to_phase is Phase.ENTRY and self.onset_t_s is None:
            self.onset_t_s = change.t_s
            self._save()

    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        imu = self.ctx.bus.latest(ImuRecord)
        accel = imu.sensed_accel_mps2 if imu.valid else 0.0
        if ph in (Phase.COAST, Phase.SAFE, Phase.SEPARATED):
            self._entry_onset(t_s, ph, accel)
        high = accel >= self.ctx.params.v["chutes.g_arm_mps2"]
        self._g_high_n = self._g_high_n + 1 if high else 0
        if ph in (Phase.ENTRY, Phase.DROGUE, Phase.MAIN) and self.g_arm_t_s is None and self._g_high_n >= G_ARM_N:
            self.g_arm_t_s = t_s
            self._save()
            self.ctx.events.emit(Severity.ACTIVITY_HI, "DROGUE_ARMED", f"g-arm at {accel / 9.80665:.1f} g")
        elif self.g_arm_t_s is not None and ph is Phase.ENTRY:
            self._load_fall(t_s, imu.valid, accel)
        self._baro_range(t_s, ph)
        if ph is Phase.ENTRY and self.drogue_t_s is not None:
            # Reset after the deploy was committed but before the phase was: finish the
            # transition; never re-run the trigger (its time and kind drive the main timer).
            self.ctx.phases.request(Trigger.DROGUE_DEPLOYED, f"drogue fired before the reset ({self.drogue_trigger})")
        elif ph is Phase.ENTRY:
            self._drogue(t_s)
        ph = self.ctx.phases.phase
        if ph in (Phase.ENTRY, Phase.DROGUE) and self.main_t_s is not None:
            self.ctx.phases.request(Trigger.MAIN_DEPLOYED, f"main fired before the reset ({self.main_trigger})")
        elif ph in (Phase.ENTRY, Phase.DROGUE) and self.drogue_t_s != t_s:
            self._main(t_s, ph)
        self._publish(t_s)
        self._t_prev = t_s

    def _publish(self, t_s: float) -> None:
        self._pub(EdlRecord(t_s, True, self.onset_t_s, self.g_arm_t_s, self.drogue_t_s, self.drogue_trigger,
                            self.main_t_s, self.main_trigger, self.fall_t_s, self.baro_in_t_s))

    def _entry_onset(self, t_s: float, ph: Phase, accel: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if accel >= p["entry.onset_mps2"]:
            self._onset_s += self.dt if self._t_prev is None else max(0.0, t_s - self._t_prev)
        else:
            self._onset_s = 0.0
        cutoff = ctx.bus.latest(BurnRecord).cutoff_t_s
        if self._onset_s >= p["entry.onset_persist_s"] - 1e-9 and not self._onset_plausible(t_s, accel):
            self._onset_s = 0.0
        elif self._onset_s >= p["entry.onset_persist_s"] - 1e-9:     # ten 0.1 s steps sum to 0.9999...
            ctx.phases.request(Trigger.DECEL_ONSET, f"sensed deceleration {accel:.2f} m/s^2")
        elif ph is Phase.COAST and cutoff is not None and t_s >= cutoff + p["entry.onset_backup_s"]:
            ctx.phases.request(Trigger.DECEL_ONSET, "timer backup after cutoff")

    def _onset_plausible(self, t_s: float, accel: float) -> bool:
        """Drag needs air: with a valid navigated state above ``entry.onset_max_alt_m`` a
        sensed deceleration is a sensor fault (a bias step in orbit), not entry."""
        nav = self.ctx.bus.latest(NavRecord)
        if not nav.valid:
            return True
        alt_m = norm(nav.r_eci_m) - RE_M
        if alt_m <= self.ctx.params.v["entry.onset_max_alt_m"]:
            return True
        self.ctx.events.emit(Severity.WARNING_HI, "ENTRY_ONSET_IMPLAUSIBLE", f"deceleration {accel:.2f} m/s^2 "
                             f"sensed at a navigated {alt_m / 1000:.0f} km: not entry", alt_m=round(alt_m, 1))
        return False

    def _persist(self, key: str, ok: bool) -> bool:
        self._below[key] = self._below[key] + 1 if ok else 0
        return self._below[key] >= self.ctx.params.v["chutes.persist_n"]

    def _baro_alt(self):
        rec = self.ctx.bus.latest(AirDataRecord)
        return rec.baro_alt_m if rec.valid else None

    def drogue_votes(self, t_s: float) -> tuple[str, ...]:
        """Requirement 3: the drogue votes cast now."""
        p = self.ctx.params.v
        votes = []
        flow = self.ctx.bus.fresh(FlowRecord, t_s, MAX_AGE_S)
        m_max, q_max, ceil = p["chutes.drogue_mach"], p["chutes.drogue_q_max_pa"], p["chutes.drogue_mach_ceiling"]
        if flow is not None:
            if flow.nav_mach is not None and 0.0 < flow.nav_mach <= m_max and flow.nav_q_pa <= q_max \
                    and flow.nav_mach + VOTE_SIGMA_K * flow.nav_sigma_mach <= ceil:
                votes.append("nav")
            if flow.drag_mach is not None and 0.0 < flow.drag_mach <= m_max and flow.drag_q_pa <= q_max \
                    and flow.drag_mach + VOTE_SIGMA_K * flow.drag_sigma_mach <= ceil:
                votes.append("drag")
        fall_out = self.fall_t_s is not None and t_s >= self.fall_t_s + p["chutes.drogue_fall_backup_s"]
        baro_out = self.baro_in_t_s is not None and t_s >= self.baro_in_t_s + p["chutes.drogue_baro_backup_s"]
        if fall_out or baro_out:
            votes.append("timer")
        return tuple(votes)

    def _load_fall(self, t_s: float, valid: bool, accel: float) -> None:
        """Requirement 3, the fall clock's start: an invalid sample neither counts nor resets."""
        if self.fall_t_s is not None or self.fall_refused or not valid:
            return
        p = self.ctx.params.v
        self._g_low_n = self._g_low_n + 1 if accel < p["chutes.g_fall_mps2"] else 0
        if self._g_low_n < G_ARM_N:
            return
        since_s = t_s - self.g_arm_t_s
        if since_s < p["chutes.g_fall_min_s"]:
            self.fall_refused = True
            self._save()
            self.ctx.events.emit(Severity.WARNING_HI, "DROGUE_FALL_REFUSED",
                                 f"load below {p['chutes.g_fall_mps2'] / 9.80665:.1f} g {since_s:.1f} s after the "
                                 f"g-arm (at least {p['chutes.g_fall_min_s']:.0f} s): accelerometer suspect, "
                                 f"no fall clock", since_s=round(since_s, 2))
            return
        self.fall_t_s = t_s
        self._save()
        self.ctx.events.emit(Severity.ACTIVITY_LO, "DROGUE_FALL", f"load below {accel / 9.80665:.2f} g "
                             f"{since_s:.1f} s after the g-arm: drogue fall clock started", since_s=round(since_s, 2))

    def _baro_range(self, t_s: float, ph: Phase) -> None:
        """Requirement 3, the baro clock's start: above range first (any phase), then in range in ENTRY."""
        if self.baro_in_t_s is not None:
            return
        rec = self.ctx.bus.latest(AirDataRecord)
        if rec.above_range and self.baro_above_t_s is None:
            self.baro_above_t_s = t_s
            self._save()
        if ph is not Phase.ENTRY or not rec.valid or rec.baro_alt_m is None or rec.baro_alt_m >= CLAMP_ALT_M - 1.0:
            return
        if self.baro_above_t_s is not None:
            self.baro_in_t_s = t_s
            self._save()
        elif not self._baro_odd_said:
            self._baro_odd_said = True
            self.ctx.events.emit(Severity.WARNING_HI, "BARO_RANGE_IMPLAUSIBLE",
                                 f"barometers read {rec.baro_alt_m:.0f} m in entry without having read above "
                                 f"their range: no baro clock", baro_alt_m=round(rec.baro_alt_m, 1))

    def _drogue(self, t_s: float) -> None:
        votes = self.drogue_votes(t_s)
        if self._persist("drogue", len(votes) >= VOTES_NEEDED):
            self._deploy_drogue(t_s, "+".join(votes))

    def _deploy_drogue(self, t_s: float, trigger: str) -> None:
        ctx = self.ctx
        self.drogue_t_s, self.drogue_trigger = t_s, trigger
        self._save()                                   # before the pulse: a reset now keeps the timers
        ctx.pyro.fire("drogue", trigger)
        flow = ctx.bus.latest(FlowRecord)
        ctx.events.emit(Severity.ACTIVITY_HI, "DROGUE_DEPLOY", f"drogue deploy by {trigger}", trigger=trigger,
                        baro_alt_m=self._baro_alt(), nav_mach=flow.nav_mach, drag_mach=flow.drag_mach)
        ctx.phases.request(Trigger.DROGUE_DEPLOYED, f"drogue fired ({trigger})")

    def main_votes(self, t_s: float) -> tuple[str, ...]:
        """Requirement 4: the main votes cast now."""
        ctx, p = self.ctx, self.ctx.params.v
        votes = []
        limit = p["chutes.main_alt_m"]
        alt = self._baro_alt()
        if alt is not None and alt <= limit:
            votes.append("baro")
        gps = ctx.bus.fresh(GpsRecord, t_s, GPS_MAX_AGE_S)
        fix = gps.fix if gps is not None else None
        if fix is not None and fix.valid and t_s - fix.t_s <= GPS_MAX_AGE_S:
            if fix.alt_m <= limit:
                votes.append("gps")
        else:
            flow = ctx.bus.fresh(FlowRecord, t_s, MAX_AGE_S)
            if flow is not None and flow.nav_alt_m is not None and flow.nav_alt_m <= limit:
                votes.append("nav")
        if self.drogue_t_s is not None and t_s >= self.drogue_t_s + p["chutes.main_backup_s"]:
            votes.append("timer")
        return tuple(votes)

    def _main(self, t_s: float, ph: Phase) -> None:
        votes = self.main_votes(t_s)
        if not self._persist("main", len(votes) >= VOTES_NEEDED):
            return
        trigger = "+".join(votes) + ("" if ph is Phase.DROGUE else "(no drogue)")
        ctx = self.ctx
        self.main_t_s, self.main_trigger = t_s, trigger
        self._save()
        ctx.pyro.fire("main", trigger)
        ctx.events.emit(Severity.ACTIVITY_HI, "MAIN_DEPLOY", f"main deploy by {trigger}", trigger=trigger,
                        baro_alt_m=self._baro_alt())
        ctx.phases.request(Trigger.MAIN_DEPLOYED, f"main fired ({trigger})")
