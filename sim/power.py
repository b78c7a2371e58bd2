"""Battery and load model of the capsule (SIL power truth).

Requirements
1. Energy drawn is integrated piecewise-exactly in time: a base load by power
   mode (``flight_w`` in "flight": every board on and the processor running
   its 50 Hz loop; ``sleep_w`` in "recovery": the processor suspended between
   beacon wakes, GPS in backup, modem off) plus, in "recovery", a charge per
   wake: ``wake_s`` at ``awake_w`` for each signal check (processor resumed,
   GPS hot fix, modem powered to read its signal) and ``session_s`` at
   ``modem_w`` more for each SBD session. In "flight" the boards are on
   anyway, so checks and sessions add only the session's modem power.
2. State of charge = 1 - used / ``battery_wh``, clipped at 0; the bus voltage
   follows it linearly from ``v_empty`` to ``v_full``.
3. Depends on nothing but the time it is given (the SIL world's and the unit
   tests' clocks drive the same model).
"""
from __future__ import annotations

from dataclasses import dataclass

MODES = ("flight", "recovery")


@dataclass
class Battery:
    """``cfg``: the hardware profile's ``power`` section (sim/hardware_schema.py)."""
    cfg: dict
    used_wh: float = 0.0
    mode: str = "flight"
    _t_s: float = 0.0
    wakes: int = 0
    sessions: int = 0

    def _settle(self, t_s: float) -> None:
        if t_s > self._t_s:
            base = self.cfg["flight_w"] if self.mode == "flight" else self.cfg["sleep_w"]
            self.used_wh += base * (t_s - self._t_s) / 3600.0
            self._t_s = t_s

    def set_mode(self, mode: str, t_s: float) -> None:
        if mode not in MODES:
            raise ValueError(f"power mode: expected one of {', '.join(MODES)}, got {mode!r}")
        self._settle(t_s)
        self.mode = mode

    def wake(self, t_s: float) -> None:
        """One signal check (requirement 1)."""
        self._settle(t_s)
        self.wakes += 1
        if self.mode == "recovery":
            self.used_wh += self.cfg["awake_w"] * self.cfg["wake_s"] / 3600.0

    def session(self, t_s: float) -> None:
        """One SBD session's modem transmit energy (requirement 1)."""
        self._settle(t_s)
        self.sessions += 1
        self.used_wh += self.cfg["modem_w"] * self.cfg["session_s"] / 3600.0

    def soc(self, t_s: float) -> float:
        self._settle(t_s)
        return max(0.0, 1.0 - self.used_wh / self.cfg["battery_wh"])

    def bus_v(self, t_s: float) -> float:
        s = self.soc(t_s)
        return self.cfg["v_empty"] + (self.cfg["v_full"] - self.cfg["v_empty"]) * s
