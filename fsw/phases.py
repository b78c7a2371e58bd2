"""ELS-RS mission phase machine, defined by a transition table (data, not code).

Requirements:
  PHS-001  The phase changes only on a (phase, trigger) pair listed in
           ``TRANSITIONS``; every other request is rejected, counted by trigger,
           reported (WARNING_LO PHASE_TRIGGER_REJECTED) and leaves the phase
           unchanged.
  PHS-002  Only RELEASED leaves ATTACHED; ENTRY, DROGUE, MAIN and LANDED never
           go to SAFE; a capsule in SAFE (or SEPARATED) that starts to decelerate
           goes to ENTRY, so it still flies its parachutes.
  PHS-003  Each transition is time-stamped from the injected Clock, recorded in
           ``history``, reported (ACTIVITY_HI PHASE_CHANGE with from, to,
           trigger and reason) and passed to the ``on_change`` listeners; a
           listener that raises is reported and does not stop the others.
  PHS-004  After a processor reset the phase and its entry time can be restored
           (ACTIVITY_HI PHASE_RESTORED), without a history entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Callable, Mapping

from fsw.clock import Clock
from fsw.events import EventLog, Severity

__all__ = ["Phase", "Trigger", "TRANSITIONS", "PhaseChange", "PhaseMachine"]


class Phase(str, Enum):
    """Mission phases; the value is the name."""

    ATTACHED = "ATTACHED"
    SEPARATED = "SEPARATED"
    DEORBIT_PREP = "DEORBIT_PREP"
    DEORBIT_BURN = "DEORBIT_BURN"
    COAST = "COAST"
    ENTRY = "ENTRY"
    DROGUE = "DROGUE"
    MAIN = "MAIN"
    LANDED = "LANDED"
    SAFE = "SAFE"


class Trigger(str, Enum):
    """Events that may cause a phase change; the value is the name."""

    RELEASED = "RELEASED"                # separated from the carrier
    PREP_START = "PREP_START"            # deorbit preparation commanded / timed
    IGNITION = "IGNITION"                # burn attitude reached and ignition time come
    CUTOFF = "CUTOFF"                    # deorbit burn ended
    DECEL_ONSET = "DECEL_ONSET"          # sensed aerodynamic deceleration
    DROGUE_DEPLOYED = "DROGUE_DEPLOYED"
    MAIN_DEPLOYED = "MAIN_DEPLOYED"
    SPLASHDOWN = "SPLASHDOWN"
    ABORT = "ABORT"                      # autonomous abort (fault)
    SAFE_CMD = "SAFE_CMD"                # ground command to SAFE
    RESUME = "RESUME"                    # ground command out of SAFE


def _table() -> dict[tuple[Phase, Trigger], Phase]:
    P, T = Phase, Trigger
    rows = {
        (P.ATTACHED, T.RELEASED): P.SEPARATED,
        (P.SEPARATED, T.PREP_START): P.DEORBIT_PREP,
        (P.DEORBIT_PREP, T.IGNITION): P.DEORBIT_BURN,
        (P.DEORBIT_BURN, T.CUTOFF): P.COAST,
        (P.COAST, T.DECEL_ONSET): P.ENTRY,
        (P.SAFE, T.DECEL_ONSET): P.ENTRY,        # physics wins: still fly the chutes
        (P.SEPARATED, T.DECEL_ONSET): P.ENTRY,   # orbit decay
        (P.ENTRY, T.DROGUE_DEPLOYED): P.DROGUE,
        (P.ENTRY, T.MAIN_DEPLOYED): P.MAIN,      # drogue failed, main by backup
        (P.DROGUE, T.MAIN_DEPLOYED): P.MAIN,
        (P.MAIN, T.SPLASHDOWN): P.LANDED,
        (P.DROGUE, T.SPLASHDOWN): P.LANDED,
        (P.ENTRY, T.SPLASHDOWN): P.LANDED,       # no chute: still beacon
        (P.SAFE, T.RESUME): P.SEPARATED,
    }
    for phase in (P.SEPARATED, P.DEORBIT_PREP, P.DEORBIT_BURN, P.COAST):
        rows[(phase, T.ABORT)] = P.SAFE
        rows[(phase, T.SAFE_CMD)] = P.SAFE
    return rows


TRANSITIONS: Mapping[tuple[Phase, Trigger], Phase] = MappingProxyType(_table())
"""(current phase, trigger) -> next phase. Anything absent is rejected."""


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """One transition; ``t_s`` is clock time [s]."""

    t_s: float
    from_phase: Phase
    to_phase: Phase
    trigger: Trigger
    reason: str


class PhaseMachine:
    """Table-driven mission phase state machine."""

    def __init__(self, initial: Phase, clock: Clock, events: EventLog,
                 table: Mapping[tuple[Phase, Trigger], Phase] = TRANSITIONS) -> None:
        """Start in ``initial``, entered now."""
        for (src, trig), dst in table.items():
            if not (isinstance(src, Phase) and isinstance(trig, Trigger)
                    and isinstance(dst, Phase)):
                raise ValueError(f"bad transition row {(src, trig)!r} -> {dst!r}")
        self._phase = Phase(initial)
        self._clock = clock
        self._events = events
        self._table = table
        self._entered_t_s = clock.now_s()
        self._listeners: list[Callable[[PhaseChange], None]] = []
        self.history: list[PhaseChange] = []
        self.rejected: dict[Trigger, int] = {}
        """Rejected requests, by trigger."""

    @property
    def phase(self) -> Phase:
        """Current phase."""
        return self._phase

    @property
    def entered_t_s(self) -> float:
        """Clock time the current phase was entered [s]."""
        return self._entered_t_s

    def time_in_phase_s(self) -> float:
        """Time spent in the current phase so far [s]."""
        return self._clock.now_s() - self._entered_t_s

    def on_change(self, callback: Callable[[PhaseChange], None]) -> None:
        """Call ``callback(change)`` after every transition."""
        if not callable(callback):
            raise TypeError(f"listener must be callable, got {callback!r}")
        self._listeners.append(callback)

    def off_change(self, callback: Callable[[PhaseChange], None]) -> None:
        """Stop calling ``callback`` (a component rebuilt by fault protection)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def can(self, trigger: Trigger) -> bool:
        """True if ``trigger`` would cause a transition from the current phase."""
        return (self._phase, trigger) in self._table

    def request(self, trigger: Trigger, reason: str) -> bool:
        """Apply ``trigger`` if the table allows it from the current phase.

        Returns True if the phase changed, False if the request was rejected.
        """
        trigger = Trigger(trigger)
        src = self._phase
        dst = self._table.get((src, trigger))
        if dst is None:
            self.rejected[trigger] = self.rejected.get(trigger, 0) + 1
            self._events.emit(
                Severity.WARNING_LO, "PHASE_TRIGGER_REJECTED",
                f"{trigger.value} not valid in {src.value} ({reason})",
                phase=src.value, trigger=trigger.value, reason=reason)
            return False
        t_s = self._clock.now_s()
        change = PhaseChange(t_s, src, dst, trigger, reason)
        self._phase = dst
        self._entered_t_s = t_s
        self.history.append(change)
        self._events.emit(
            Severity.ACTIVITY_HI, "PHASE_CHANGE",
            f"{src.value} -> {dst.value} on {trigger.value} ({reason})",
            **{"from": src.value, "to": dst.value, "trigger": trigger.value,
               "reason": reason})
        for callback in tuple(self._listeners):
            try:
                callback(change)
            except Exception as exc:  # noqa: BLE001 - PHS-003
                self._events.emit(
                    Severity.WARNING_HI, "PHASE_LISTENER_EXCEPTION",
                    f"phase listener {callback!r} raised {type(exc).__name__}: {exc}",
                    listener=repr(callback), error=f"{type(exc).__name__}: {exc}")
        return True

    def restore(self, phase: Phase, entered_t_s: float) -> None:
        """Resume ``phase`` after a processor reset; ``entered_t_s`` [s] on this clock (<= now)."""
        phase = Phase(phase)
        entered_t_s = float(entered_t_s)
        now_s = self._clock.now_s()
        if not (math.isfinite(entered_t_s) and entered_t_s <= now_s):
            raise ValueError(
                f"restore: entered_t_s must be finite and <= now ({now_s!r} s), "
                f"got {entered_t_s!r}")
        self._phase = phase
        self._entered_t_s = entered_t_s
        self._events.emit(
            Severity.ACTIVITY_HI, "PHASE_RESTORED",
            f"phase restored to {phase.value}, entered at t={entered_t_s:.3f} s",
            phase=phase.value, entered_t_s=entered_t_s)
