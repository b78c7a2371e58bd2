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
6. The g-arm and deploy times and the drogue trigger are kept in NV memory, so
   the backup timers run on across a processor reset.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.tasks.deorbit import NV_BURN


NV_KEY = "chutes.state"
#: Drogue trigger -> the parameter holding the main backup delay after it.
MAIN_TIMER_PARAM = {"baro": "chutes.main_backup_s", "timer": "chutes.main_backup_low_s",
                    "baro_unarmed": "chutes.main_backup_low_s"}


class ChuteTask:
    name = "chutes"

    def __init__(self, ctx, dt_s: float):
        self.ctx = ctx
        self.dt = dt_s
        self._onset_s = 0.0
        self._below = {"drogue": 0, "drogue_unarmed": 0, "main": 0}
        self._drogue_trigger = "baro"
        saved = ctx.hal.nv.get(NV_KEY) or {}
        d = ctx.data
        d.g_arm_t_s = saved.get("g_arm_t_s")
        d.drogue_t_s = saved.get("drogue_t_s")
        d.main_t_s = saved.get("main_t_s")
        d.cutoff_t_s = (ctx.hal.nv.get(NV_BURN) or {}).get("cutoff_t_s")
        self._drogue_trigger = saved.get("drogue_trigger", "baro")

    def _save(self) -> None:
        d = self.ctx.data
        self.ctx.hal.nv.put(NV_KEY, {"g_arm_t_s": d.g_arm_t_s, "drogue_t_s": d.drogue_t_s, "main_t_s": d.main_t_s,
                                     "drogue_trigger": self._drogue_trigger})

    def run(self, t_s: float) -> None:
        ph = self.ctx.phases.phase
        if ph in (Phase.COAST, Phase.SAFE, Phase.SEPARATED):
            self._entry_onset(t_s, ph)
        d = self.ctx.data
        if ph in (Phase.ENTRY, Phase.DROGUE, Phase.MAIN) and d.g_arm_t_s is None \
                and d.sensed_accel_mps2 >= self.ctx.params.v["chutes.g_arm_mps2"]:
            d.g_arm_t_s = t_s
            self._save()
            self.ctx.events.emit(Severity.ACTIVITY_HI, "DROGUE_ARMED", f"g-arm at {d.sensed_accel_mps2 / 9.80665:.1f} g")
        if ph is Phase.ENTRY:
            self._drogue(t_s)
        if ph in (Phase.ENTRY, Phase.DROGUE):
            self._main(t_s, ph)

    def _entry_onset(self, t_s: float, ph: Phase) -> None:
        ctx, p, d = self.ctx, self.ctx.params.v, self.ctx.data
        if d.sensed_accel_mps2 >= p["entry.onset_mps2"]:
            self._onset_s += self.dt
        else:
            self._onset_s = 0.0
        if self._onset_s >= p["entry.onset_persist_s"]:
            ctx.phases.request(Trigger.DECEL_ONSET, f"sensed deceleration {d.sensed_accel_mps2:.2f} m/s^2")
        elif ph is Phase.COAST and d.cutoff_t_s is not None and t_s >= d.cutoff_t_s + p["entry.onset_backup_s"]:
            ctx.phases.request(Trigger.DECEL_ONSET, "timer backup after cutoff")

    def _persist(self, key: str, below: bool) -> bool:
        self._below[key] = self._below[key] + 1 if below else 0
        return self._below[key] >= self.ctx.params.v["chutes.persist_n"]

    def _drogue(self, t_s: float) -> None:
        p, d = self.ctx.params.v, self.ctx.data
        alt = d.baro_alt_m if d.baro_valid else None
        armed = d.g_arm_t_s is not None
        primary = self._persist("drogue", armed and alt is not None and alt <= p["chutes.drogue_alt_m"])
        unarmed = self._persist("drogue_unarmed", alt is not None and alt <= p["chutes.drogue_unarmed_alt_m"])
        if primary:
            self._deploy_drogue(t_s, "baro")
        elif armed and t_s >= d.g_arm_t_s + p["chutes.drogue_backup_s"]:
            self._deploy_drogue(t_s, "timer")
        elif unarmed:
            self._deploy_drogue(t_s, "baro_unarmed")

    def _deploy_drogue(self, t_s: float, trigger: str) -> None:
        ctx = self.ctx
        ctx.pyro.fire("drogue", trigger)
        ctx.data.drogue_t_s = t_s
        self._drogue_trigger = trigger
        self._save()
        ctx.events.emit(Severity.ACTIVITY_HI, "DROGUE_DEPLOY", f"drogue deploy by {trigger}", trigger=trigger,
                        baro_alt_m=ctx.data.baro_alt_m)
        ctx.phases.request(Trigger.DROGUE_DEPLOYED, f"drogue fired ({trigger})")

    def _main(self, t_s: float, ph: Phase) -> None:
        p, d = self.ctx.params.v, self.ctx.data
        alt = d.baro_alt_m if d.baro_valid else None
        baro = self._persist("main", alt is not None and alt <= p["chutes.main_alt_m"])
        trigger = None
        if baro:
            trigger = "baro" if ph is Phase.DROGUE else "baro_no_drogue"
        elif d.drogue_t_s is not None and t_s >= d.drogue_t_s + p[MAIN_TIMER_PARAM[self._drogue_trigger]]:
            trigger = "timer"
        if trigger is None:
            return
        ctx = self.ctx
        ctx.pyro.fire("main", trigger)
        d.main_t_s = t_s
        self._save()
        ctx.events.emit(Severity.ACTIVITY_HI, "MAIN_DEPLOY", f"main deploy by {trigger}", trigger=trigger,
                        baro_alt_m=d.baro_alt_m)
        ctx.phases.request(Trigger.MAIN_DEPLOYED, f"main fired ({trigger})")
