"""Separation monitor (10 Hz): ATTACHED -> SEPARATED when release is sensed.

Requirement: the separation switch must read open for ``PERSIST_N``
consecutive samples (a bouncing switch does not release the inhibits).
"""
from __future__ import annotations

from fsw.phases import Phase, Trigger

#: Consecutive 10 Hz samples of an open separation switch.
PERSIST_N = 3


class SeparationTask:
    name = "separation"
    PARAMS = ()

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self._open_n = 0

    def run(self, t_s: float) -> None:
        if self.ctx.phases.phase is not Phase.ATTACHED:
            return
        self._open_n = 0 if self.ctx.hal.station.attached() else self._open_n + 1
        if self._open_n >= PERSIST_N:
            self.ctx.phases.request(Trigger.RELEASED, "separation switch open")
