"""Pyro manager: the only path from flight logic to a pyro channel.

Requirements
1. No pyro fires while attached to the station (separation switch closed or
   phase ATTACHED), whatever is commanded.
2. Every channel fires at most once, also across processor resets: the channel
   is marked fired in NV memory *before* the pulse, so a reset between marking
   and firing errs on the side of not firing twice.
3. The arm relay closes late (first fire request after leaving ATTACHED) unless
   ground armed it earlier; every refusal is an event and a counter.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase

NV_FIRED = "pyro.fired"
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
    def __init__(self, hal, phases, events):
        self.hal, self.phases, self.events = hal, phases, events
        self.refused: dict[str, int] = {}

    def fired(self, channel: str) -> bool:
        """True once the channel has been fired (persisted)."""
        return channel in (self.hal.nv.get(NV_FIRED) or [])

    def _refuse(self, channel: str, why: str) -> bool:
        self.refused[why] = self.refused.get(why, 0) + 1
        self.events.emit(Severity.WARNING_HI, "PYRO_REFUSED", f"{channel}: {why}", channel=channel, why=why)
        return False

    def arm(self, on: bool) -> bool:
        if on and (self.phases.phase is Phase.ATTACHED or self.hal.station.attached()):
            return self._refuse("all", "attached to the station")
        self.hal.pyro.arm(on)
        self.events.emit(Severity.ACTIVITY_HI, "PYRO_ARMED" if on else "PYRO_DISARMED", "pyro arm relay " + ("closed" if on else "open"))
        return True

    def fire(self, channel: str, trigger: str) -> bool:
        """Fire a channel once; returns True when the pulse was sent."""
        if channel not in CHANNELS:
            return self._refuse(channel, "unknown channel")
        if self.phases.phase is Phase.ATTACHED or self.hal.station.attached():
            return self._refuse(channel, "attached to the station")
        if self.fired(channel):
            return self._refuse(channel, "already fired")
        if not self.hal.pyro.armed():
            self.arm(True)
        fired = list(self.hal.nv.get(NV_FIRED) or [])
        fired.append(channel)
        self.hal.nv.put(NV_FIRED, fired)
        ok = self.hal.pyro.fire(channel)
        self.events.emit(Severity.ACTIVITY_HI if ok else Severity.WARNING_HI,
                         "PYRO_FIRED" if ok else "PYRO_FIRE_FAILED",
                         f"{channel} ({trigger})", channel=channel, trigger=trigger)
        return ok
