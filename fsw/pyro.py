"""Pyro manager: the only path from flight logic to a pyro channel.

Requirements
1. No pyro fires while attached to the station (separation switch closed or
   phase ATTACHED), whatever is commanded - with or without override.
2. Every channel fires at most once, ever: the channel is marked fired in the
   critical state store (committed) *before* the pulse, so a reset between
   marking and firing errs on the side of not firing twice; the board's own
   fired readback is checked too (a lost store does not re-enable a channel).
   A pulse the board refused, with its fire-sense latch confirming none went
   out, un-marks the channel (it was never used).
3. A channel fires only in its allowed phases (``ALLOWED_PHASES``) and inside
   its onboard envelope (fsw.safety.inhibits.ENVELOPE), unless the request
   carries the ground's authenticated override; an override is recorded in
   the store and raised as a WARNING_HI event.
4. The software arm relay closes late (first fire request after leaving
   ATTACHED) unless ground armed it earlier; the board's hardware arm
   (separation switch plus timer) is a second inhibit the software cannot
   defeat. Every refusal is an event and a counter.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase

STORE_FIRED = "pyro.fired"
STORE_OVERRIDES = "pyro.overrides"
CHANNELS = ("drogue", "main", "main_release", "float")
#: Phases in which each channel may fire (autonomously, or by a ground PYRO_FIRE without
#: the authenticated override). The SIL verdict judges every firing against this table.
#: drogue: only in ENTRY (the drogue trigger moves the phase to DROGUE); main: ENTRY
#: (drogue failed, main by backup) or DROGUE; main_release and float: only after
#: splashdown (LANDED): a canopy released in the air is a lost capsule.
ALLOWED_PHASES: dict[str, tuple[Phase, ...]] = {
    "drogue": (Phase.ENTRY,),
    "main": (Phase.ENTRY, Phase.DROGUE),
    "main_release": (Phase.LANDED,),
    "float": (Phase.LANDED,),
}


class PyroManager:
    def __init__(self, hal, clock, phases, events, store, envelope=None):
        """``envelope(channel) -> None | why`` is the onboard envelope check (fsw.safety.inhibits)."""
        self.hal, self.clock, self.phases, self.events, self.store = hal, clock, phases, events, store
        self.envelope = envelope
        self.refused: dict[str, int] = {}

    def _board_fired(self, channel: str, unknown: bool = False) -> bool:
        """The board's fire-sense readback; ``unknown`` is returned when it cannot answer."""
        try:
            st = self.hal.pyro.status()
        except Exception:  # noqa: BLE001 - a board that cannot answer must not stop the check
            return unknown
        return bool(st.fired[CHANNELS.index(channel)])

    def fired(self, channel: str) -> bool:
        """True once the channel has been fired (store or board readback)."""
        return channel in (self.store.get(STORE_FIRED) or []) or self._board_fired(channel)

    def _refuse(self, channel: str, why: str) -> bool:
        self.refused[why] = self.refused.get(why, 0) + 1
        self.events.emit(Severity.WARNING_HI, "PYRO_REFUSED", f"{channel}: {why}", channel=channel, why=why)
        return False

    def attached(self) -> bool:
        return self.phases.phase is Phase.ATTACHED or self.hal.station.attached()

    def arm(self, on: bool) -> bool:
        if on and self.attached():
            return self._refuse("all", "attached to the station")
        self.hal.pyro.arm(on)
        self.events.emit(Severity.ACTIVITY_HI, "PYRO_ARMED" if on else "PYRO_DISARMED", "pyro arm relay " + ("closed" if on else "open"))
        return True

    def check(self, channel: str, override: bool = False) -> str | None:
        """Why ``channel`` may not fire now (None: it may)."""
        if channel not in CHANNELS:
            return "unknown channel"
        if self.attached():
            return "attached to the station"
        if self.fired(channel):
            return "already fired"
        if override:
            return None
        ph = self.phases.phase
        if ph not in ALLOWED_PHASES[channel]:
            return (f"not allowed in {ph.value} (allowed: {', '.join(p.value for p in ALLOWED_PHASES[channel])}); "
                    "override needed")
        if self.envelope is not None:
            why = self.envelope(channel)
            if why is not None:
                return f"outside the envelope: {why}; override needed"
        return None

    def fire(self, channel: str, trigger: str, override: bool = False) -> bool:
        """Fire a channel once; returns True when the pulse was sent."""
        why = self.check(channel, override)
        if why is not None:
            return self._refuse(channel, why)
        if not self.hal.pyro.armed():
            self.arm(True)
        with self.store.batch():
            self.store.put(STORE_FIRED, [*(self.store.get(STORE_FIRED) or []), channel])
            if override:
                rec = {"channel": channel, "t_s": self.clock.now_s(), "phase": self.phases.phase.value}
                self.store.put(STORE_OVERRIDES, [*(self.store.get(STORE_OVERRIDES) or []), rec])
        if override:
            self.events.emit(Severity.WARNING_HI, "PYRO_OVERRIDE", f"{channel} fired by ground override in "
                             f"{self.phases.phase.value}", channel=channel, phase=self.phases.phase.value)
        ok = self.hal.pyro.fire(channel)
        if not ok and not self._board_fired(channel, unknown=True):
            # The board refused and its fire-sense latch confirms no pulse went out (no hardware
            # arm, relay open): the channel is still unused, so the mark is taken back.
            with self.store.batch():
                fired = list(self.store.get(STORE_FIRED) or [])
                if channel in fired:
                    fired.remove(channel)
                    self.store.put(STORE_FIRED, fired)
        self.events.emit(Severity.ACTIVITY_HI if ok else Severity.WARNING_HI,
                         "PYRO_FIRED" if ok else "PYRO_FIRE_FAILED",
                         f"{channel} ({trigger})", channel=channel, trigger=trigger)
        return ok
