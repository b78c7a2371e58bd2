"""Serial HAL device of the Iridium 9603 modem (hal/protocols/iridium.py), issue 10 items 1, 3.

Requirements
1. ``start_sbd(payload)`` begins an ``SbdSession`` on the line and returns at once;
   ``poll_sbd()`` drives it with what the modem sent since, and gives the outcome as
   an ``SbdResult`` when it ends (MO status; -1 when the session ended before +SBDIX:
   a refused write, weak signal, no answer), None while it runs.
2. A step with no answer within ``step_timeout_s`` (``sbdix_timeout_s`` for +SBDIX,
   which takes 10-60 s) ends the session (``SbdSession.timeout``): a silent modem never
   holds the beacon.
3. ``signal_bars()`` is the +CSQ of the last session (the modem's own count before its
   +SBDIX); before any, ``assumed_bars`` so that the first session is tried (it reads
   +CSQ itself and ends without +SBDIX on weak signal).
"""
from __future__ import annotations

from hal.devices import SbdResult
from hal.protocols.iridium import SbdSession


class SerialIridium:
    def __init__(self, port, now_s, *, step_timeout_s: float = 2.0, sbdix_timeout_s: float = 75.0,
                 min_bars: int = 2, assumed_bars: int = 2):
        self.port, self.now_s = port, now_s
        self.step_timeout_s, self.sbdix_timeout_s, self.min_bars = step_timeout_s, sbdix_timeout_s, min_bars
        self._bars = assumed_bars
        self._s: SbdSession | None = None
        self._step_t_s = 0.0
        self._state = None
        self.sessions = self.timeouts = 0

    def signal_bars(self) -> int:
        return self._bars

    def start_sbd(self, payload: bytes) -> bool:
        if self._s is not None:
            return False
        t = self.now_s()
        self._s = SbdSession(payload, self.min_bars)
        self._state, self._step_t_s = None, t
        self.sessions += 1
        if not self.port.write(self._s.start(), t):
            self._s.timeout()
        return True

    def poll_sbd(self) -> SbdResult | None:
        s = self._s
        if s is None:
            return None
        t = self.now_s()
        if s.result is None:
            out = s.receive(self.port.poll(t))
            if out:
                self.port.write(out, t)
            if s.state != self._state:
                self._state, self._step_t_s = s.state, t
            limit = self.sbdix_timeout_s if s.state == "SESSION" else self.step_timeout_s
            if s.result is None and t - self._step_t_s > limit:
                self.timeouts += 1
                s.timeout()
        if s.result is None:
            return None
        self._s = None
        r = s.result
        if r.bars is not None:
            self._bars = r.bars
        return SbdResult(r.mo_status if r.mo_status is not None else -1, 0)
