"""SAFE mode entry actions (ARCHITECTURE.md, "Fault protection").

Requirements
1. Entering SAFE (ground SAFE, ABORT, a monitor's response) makes the actuators
   safe at once: engine valve closed and disarmed, pyro arm relay open.
   The attitude task rate-damps (its mode table), the beacon reports and the
   telemetry keeps flowing; the deorbit task cancels its go itself.
2. Leaving SAFE needs the ground's RESUME, and a new DEORBIT_GO after it.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.phases import Phase


class SafeMode:
    def __init__(self, hal, events, phases):
        self.hal, self.events = hal, events
        self.entries = 0
        phases.on_change(self._changed)

    def _changed(self, change) -> None:
        if change.to_phase is not Phase.SAFE:
            return
        self.entries += 1
        self.hal.engine.shutdown()
        self.hal.engine.arm(False)
        self.hal.pyro.arm(False)
        self.events.emit(Severity.WARNING_HI, "SAFE_ENTERED", f"SAFE ({change.reason}): engine closed and disarmed, "
                         "pyro relay open; waiting for the ground", reason=change.reason)
