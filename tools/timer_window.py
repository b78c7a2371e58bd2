"""Truth windows of the EDL backup timers, measured in every SIL run (summary ``timer_windows``).

A backup timer is a vote (fsw/tasks/chutes.py, TRIGGERS.md): with one primary
source failed *true* (stuck low, spiking) the deployment comes at the timer, so
the timer must not run out before the capsule is inside the envelope; with one
source failed *silent* the deployment waits for the timer, so it must run out
before the capsule leaves the envelope on its own. Each run therefore bounds
each timer from both sides, on simulator truth:

Requirements
1. Drogue, from the sensed load's fall past the g-arm (``chutes.drogue_fall_backup_s``)
   and from the barometers first in range (``chutes.drogue_baro_backup_s``), each
   the flight's own instant: *earliest* = the first instant at
   or below the envelope's ``mach_max`` as flown; *latest* = the instant a fork of
   the simulator taken at the drogue pulse, with the drogue withheld, reaches
   ``mach_min``. A start the flight had not reached by the pulse is taken in that
   fork: the fall when the truth load falls below ``chutes.g_fall_mps2`` (the
   accelerometer's error is mg against 2 g), the barometers' when every unit of
   the fork's copy, read at the flight's 10 Hz, reads above its low clamp (as the
   fusion needs: fsw/tasks/baro.py). The flight's own drogue comes near Mach 1.4,
   before either start in some runs; leaving those runs out would leave out the
   windows' ends.
2. Main, from the drogue pulse (``chutes.main_backup_s``): *earliest* = the first
   instant at or below the envelope's ``alt_max_m`` as flown; *latest* = the
   instant a fork at the main pulse, under the drogue alone, reaches ``alt_min_m``.
3. Entry onset, from cutoff (``entry.onset_backup_s``): *earliest* = the truth
   onset (sensed load at or above ``entry.onset_mps2``); *latest* = the
   barometers first in range (the flight's own instant): the drogue logic runs in
   ENTRY, so an onset declared later starts the baro-range timer late (the case the
   onset timer is for: an accelerometer dead gives neither the onset nor g-arm).
4. A fork never touches the flown simulator and never runs inside a flight task
   (it would count as that task's overrun): it is taken after the tick of the
   pulse (``after_tick``), from a deep copy with engine and RCS off,
   advanced at the simulator's own step in ``FORK_TICK_S`` intervals until its
   condition, splashdown or ``FORK_MAX_S``; a fork that ends without the
   condition gives None.
5. ``windows()`` returns, per timer, its start instant and the two intervals
   (s after the start, None where the run never got there); a campaign takes the
   largest earliest and the smallest latest over its runs
   (tools/montecarlo/report.py).
"""
from __future__ import annotations

import copy

from sim.earth import G0_MPS2

#: Interval at which a fork's condition is checked, s (the flight app's base tick).
FORK_TICK_S = 0.02
#: Longest a fork coasts, s (Mach 1.4 to 0.6 takes ~30-60 s; 3 km to 1 km under the drogue ~90 s).
FORK_MAX_S = 900.0


#: Interval at which a fork reads its barometers, s (the flight's baro task, 10 Hz).
FORK_BARO_S = 0.1


def _fork_until(world, done, drogue_t_s: float | None, each=None) -> float | None:
    """Requirement 4: mission time at which ``done(truth)`` first holds on a copy of ``world``
    with no canopy out but, when ``drogue_t_s`` is given, the drogue deployed then;
    ``each(world, truth)`` sees every checked instant of the fork."""
    w = copy.deepcopy(world)
    w.rcs.command(0)
    w.engine.shutdown(w.t)
    w.dyn.main_deploy_t_s, w.dyn.drogue_deploy_t_s = None, drogue_t_s
    w._truth = None
    t_end = w.t + FORK_MAX_S
    t = w.t
    while t < t_end and w.splash is None:
        t += FORK_TICK_S
        w.advance_to(t)
        tr = w.truth()
        if each is not None:
            each(w, tr)
        if w.splash is None and done(tr):
            return t
    return None


class _ForkStarts:
    """Requirement 1: the drogue clocks' starts a fork finds (those the flight had not reached)."""

    def __init__(self, fall_g: float | None, want_baro: bool):
        self.fall_g, self.want_baro = fall_g, want_baro
        self.fall_t_s = self.baro_in_t_s = None
        self._baro_t = None

    def __call__(self, w, tr) -> None:
        if self.fall_g is not None and self.fall_t_s is None and tr.load_g < self.fall_g:
            self.fall_t_s = tr.t_s
        if self.want_baro and self.baro_in_t_s is None and (self._baro_t is None
                                                            or tr.t_s >= self._baro_t + FORK_BARO_S - 1e-9):
            dt = None if self._baro_t is None else tr.t_s - self._baro_t
            self._baro_t = tr.t_s
            if all(b.read(tr.alt_m, tr.mach, tr.q_pa, dt) > b.min_pa for b in w.baros):
                self.baro_in_t_s = tr.t_s


class TimerWindowProbe:
    """Requirements 1-5 for one run: fed each tick's truth and the flight's events."""

    def __init__(self, envelope: dict, onset_mps2: float, g_fall_mps2: float):
        self.fall_g = g_fall_mps2 / G0_MPS2
        self._armed = False                  # the flight's g-arm: its fall clock can start
        self.mach_max, self.mach_min = envelope["drogue"]["mach_max"], envelope["drogue"]["mach_min"]
        self.alt_max_m, self.alt_min_m = envelope["main"]["alt_max_m"], envelope["main"]["alt_min_m"]
        self.onset_g = onset_mps2 / G0_MPS2
        self._pending: list[str] = []        # forks to take after this tick
        self._coasting = False               # the load fell below the onset level after cutoff
        self.t = {"cutoff": None, "onset": None, "fall": None, "baro_in": None, "mach_max": None,
                  "mach_min_no_drogue": None, "drogue": None, "alt_max": None, "alt_min_no_main": None}

    # ---- inputs ----------------------------------------------------------------------
    def truth(self, tr, entered: bool) -> None:
        """Each tick's truth; ``entered``: the capsule is below the entry interface."""
        t = self.t
        if t["cutoff"] is not None and t["onset"] is None:
            if not self._coasting:
                self._coasting = tr.load_g < self.onset_g      # the motor's tail-off is not the onset
            elif tr.load_g >= self.onset_g:
                t["onset"] = tr.t_s
        if entered and t["mach_max"] is None and tr.mach <= self.mach_max:
            t["mach_max"] = tr.t_s
        if t["drogue"] is not None and t["alt_max"] is None and tr.alt_m <= self.alt_max_m:
            t["alt_max"] = tr.t_s

    def cutoff(self, t_s: float) -> None:
        if self.t["cutoff"] is None:
            self.t["cutoff"] = t_s

    def g_arm(self) -> None:
        self._armed = True

    def load_fall(self, t_s: float) -> None:
        """The flight's fall-clock start (event DROGUE_FALL)."""
        if self.t["fall"] is None:
            self.t["fall"] = t_s

    def drogue_fired(self, t_s: float, baro_in_t_s: float | None) -> None:
        if self.t["drogue"] is None:
            self.t["drogue"], self.t["baro_in"] = t_s, baro_in_t_s
            self._pending.append("drogue")

    def main_fired(self) -> None:
        if self.t["drogue"] is not None and "main" not in self._pending and self.t["alt_min_no_main"] is None:
            self._pending.append("main")

    def after_tick(self, world) -> None:
        """Take the forks of this tick's pulses (requirement 4); ``world`` is still at the pulse."""
        for what in self._pending:
            if what == "drogue":
                t = self.t
                starts = _ForkStarts(self.fall_g if self._armed and t["fall"] is None else None,
                                     t["baro_in"] is None)
                t["mach_min_no_drogue"] = _fork_until(world, lambda tr: tr.mach <= self.mach_min, None, starts)
                t["fall"] = t["fall"] if t["fall"] is not None else starts.fall_t_s
                t["baro_in"] = t["baro_in"] if t["baro_in"] is not None else starts.baro_in_t_s
            else:
                self.t["alt_min_no_main"] = _fork_until(world, lambda tr: tr.alt_m <= self.alt_min_m,
                                                        self.t["drogue"])
        self._pending.clear()

    # ---- output ----------------------------------------------------------------------
    def windows(self) -> dict:
        """Requirement 5."""
        t = self.t

        def since(start, end):
            return None if start is None or end is None else round(end - start, 2)

        def w(start, earliest, latest):
            return {"start_t_s": None if t[start] is None else round(t[start], 3),
                    "earliest_s": since(t[start], t[earliest]), "latest_s": since(t[start], t[latest])}
        return {"onset": w("cutoff", "onset", "baro_in"),
                "drogue_fall": w("fall", "mach_max", "mach_min_no_drogue"),
                "drogue_baro": w("baro_in", "mach_max", "mach_min_no_drogue"),
                "main": w("drogue", "alt_max", "alt_min_no_main")}


def timer_margins(rows_windows: list[dict], timers: dict[str, float]) -> dict:
    """Over a campaign's runs: per timer, the largest earliest, the smallest latest and the
    configured value's margin to each (s; negative: the timer is outside some run's window)."""
    out = {}
    for name, value in timers.items():
        early = [w[name]["earliest_s"] for w in rows_windows if w and w[name]["earliest_s"] is not None]
        late = [w[name]["latest_s"] for w in rows_windows if w and w[name]["latest_s"] is not None]
        e, lt = (max(early) if early else None), (min(late) if late else None)
        out[name] = {"timer_s": value, "earliest_max_s": e, "latest_min_s": lt, "n_earliest": len(early),
                     "n_latest": len(late),
                     "margin_early_s": None if e is None else round(value - e, 2),
                     "margin_late_s": None if lt is None else round(lt - value, 2),
                     "middle_s": None if e is None or lt is None else round(0.5 * (e + lt), 1)}
    return out


#: Timer name (windows() key) -> the flight parameter that sets it.
TIMER_PARAMS = {"onset": "entry.onset_backup_s", "drogue_fall": "chutes.drogue_fall_backup_s",
                "drogue_baro": "chutes.drogue_baro_backup_s", "main": "chutes.main_backup_s"}
