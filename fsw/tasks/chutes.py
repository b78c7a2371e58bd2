"""Entry detection and parachute deploy task (10 Hz).

Requirements (each trigger has a dissimilar backup; ARCHITECTURE.md failures)
1. COAST -> ENTRY on sensed deceleration above ``entry.onset_mps2`` for
   ``entry.onset_persist_s``; timer backup ``entry.onset_backup_s`` after cutoff.
   From SAFE or SEPARATED, the sensed onset alone (a capsule re-entering is
   re-entering).
2. g-arm: the drogue logic arms when the sensed deceleration magnitude first
   exceeds ``chutes.g_arm_mps2`` (the magnitude, so an inverted accelerometer
   still arms - Genesis 2004).
3. Drogue, first of: (primary) armed and fused baro altitude at or below
   ``chutes.drogue_alt_m`` for ``chutes.persist_n`` samples; (timer) armed and
   ``chutes.drogue_backup_s`` since arming; (baro, unarmed) baro at or below
   ``chutes.drogue_unarmed_alt_m`` for the persistence count, in ENTRY.
4. Main, first of: baro at or below ``chutes.main_alt_m`` (persisted) in DROGUE
   or ENTRY; timer after the drogue fired: ``chutes.main_backup_s`` when the
   drogue went at its primary (high) altitude, ``chutes.main_backup_low_s`` when
   a backup trigger deployed it lower (``MAIN_TIMER_PARAM``).
5. Each deploy fires its pyro through the PyroManager (once, ever) and moves
   the phase; the trigger that fired it is reported.
6. The onset, g-arm and deploy times and the triggers are kept in the state
   store (committed before the pulse), so the backup timers run on across a
   processor reset. Publishes EdlRecord.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.flightmath import RE_M, norm
from fsw.records import AirDataRecord, BurnRecord, EdlRecord, ImuRecord, NavRecord

STORE_KEY = "edl"
#: Consecutive 10 Hz samples above chutes.g_arm_mps2 that arm the drogue logic (one spike does not).
G_ARM_N = 2
#: Drogue trigger -> the parameter holding the main backup delay after it.
MAIN_TIMER_PARAM = {"baro": "chutes.main_backup_s", "timer": "chutes.main_backup_low_s",
                    "baro_unarmed": "chutes.main_backup_low_s"}


class ChuteTask:
    name = "chutes"
    PARAMS = ("entry.onset_mps2", "entry.onset_persist_s", "entry.onset_backup_s", "entry.onset_max_alt_m",
              "chutes.g_arm_mps2",
              "chutes.drogue_alt_m", "chutes.drogue_unarmed_alt_m", "chutes.drogue_backup_s", "chutes.main_alt_m",
              "chutes.persist_n", *MAIN_TIMER_PARAM.values())

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._t_prev: float | None = None       # last run's time: elapsed-time integration
        self._onset_s = 0.0
        self._below = {"drogue": 0, "drogue_unarmed": 0, "main": 0}
        self._g_high_n = 0
        s = ctx.store.get(STORE_KEY) or {}
        self.onset_t_s = s.get("onset_t_s")
        self.g_arm_t_s = s.get("g_arm_t_s")
        self.drogue_t_s = s.get("drogue_t_s")
        self.drogue_trigger = s.get("drogue_trigger")
        self.main_t_s = s.get("main_t_s")
        self.main_trigger = s.get("main_trigger")
        self._pub = ctx.bus.port(EdlRecord, self.name)
        self._pub(EdlRecord(ctx.clock.now_s(), True, self.onset_t_s, self.g_arm_t_s, self.drogue_t_s,
                            self.drogue_trigger, self.main_t_s, self.main_trigger))   # restored state visible at once
        ctx.phases.on_change(self._phase_changed)

    def _save(self) -> None:
        self.ctx.store.put(STORE_KEY, {"onset_t_s": self.onset_t_s, "g_arm_t_s": self.g_arm_t_s,
                                       "drogue_t_s": self.drogue_t_s, "drogue_trigger": self.drogue_trigger,
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
        self._pub(EdlRecord(t_s, True, self.onset_t_s, self.g_arm_t_s, self.drogue_t_s, self.drogue_trigger,
                            self.main_t_s, self.main_trigger))
        self._t_prev = t_s

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

    def _persist(self, key: str, below: bool) -> bool:
        self._below[key] = self._below[key] + 1 if below else 0
        return self._below[key] >= self.ctx.params.v["chutes.persist_n"]

    def _baro_alt(self):
        rec = self.ctx.bus.latest(AirDataRecord)
        return rec.baro_alt_m if rec.valid else None

    def _drogue(self, t_s: float) -> None:
        p = self.ctx.params.v
        alt = self._baro_alt()
        armed = self.g_arm_t_s is not None
        primary = self._persist("drogue", armed and alt is not None and alt <= p["chutes.drogue_alt_m"])
        unarmed = self._persist("drogue_unarmed", alt is not None and alt <= p["chutes.drogue_unarmed_alt_m"])
        if primary:
            self._deploy_drogue(t_s, "baro")
        elif armed and t_s >= self.g_arm_t_s + p["chutes.drogue_backup_s"]:
            self._deploy_drogue(t_s, "timer")
        elif unarmed:
            self._deploy_drogue(t_s, "baro_unarmed")

    def _deploy_drogue(self, t_s: float, trigger: str) -> None:
        ctx = self.ctx
        self.drogue_t_s, self.drogue_trigger = t_s, trigger
        self._save()                                   # before the pulse: a reset now keeps the timers
        ctx.pyro.fire("drogue", trigger)
        ctx.events.emit(Severity.ACTIVITY_HI, "DROGUE_DEPLOY", f"drogue deploy by {trigger}", trigger=trigger,
                        baro_alt_m=self._baro_alt())
        ctx.phases.request(Trigger.DROGUE_DEPLOYED, f"drogue fired ({trigger})")

    def _main(self, t_s: float, ph: Phase) -> None:
        p = self.ctx.params.v
        alt = self._baro_alt()
        baro = self._persist("main", alt is not None and alt <= p["chutes.main_alt_m"])
        trigger = None
        if baro:
            trigger = "baro" if ph is Phase.DROGUE else "baro_no_drogue"
        elif self.drogue_t_s is not None and \
                t_s >= self.drogue_t_s + p[MAIN_TIMER_PARAM.get(self.drogue_trigger, "chutes.main_backup_low_s")]:
            trigger = "timer"
        if trigger is None:
            return
        ctx = self.ctx
        self.main_t_s, self.main_trigger = t_s, trigger
        self._save()
        ctx.pyro.fire("main", trigger)
        ctx.events.emit(Severity.ACTIVITY_HI, "MAIN_DEPLOY", f"main deploy by {trigger}", trigger=trigger,
                        baro_alt_m=alt)
        ctx.phases.request(Trigger.MAIN_DEPLOYED, f"main fired ({trigger})")
