"""Iridium 9603 modem emulator: the world's Iridium model behind the AT command set
(hal/protocols/iridium.py), as the modem answers in verbose mode with echo on.

Requirements
1. Commands: ``AT``, ``AT&K0`` -> OK; ``AT+SBDD0`` -> 0, OK (MO buffer cleared);
   ``AT+SBDWB=<n>`` -> READY, then n bytes + checksum -> 0 (stored), 2 (checksum),
   3 (size: n outside 1-340, answered at once); ``AT+CSQ`` -> +CSQ:<bars of the world's
   model now>; ``AT+SBDIX`` -> after ``session_s`` (a real session takes 10-60 s;
   the modem answers nothing meanwhile) +SBDIX with the MO status of the world's
   session model (SimIridium: the sky view, scenario ``iridium`` faults, the battery's
   session cost); anything else -> ERROR.
2. ``tick(t_s)`` reads what the flight wrote, answers, and sends a pending +SBDIX when
   its session time has passed; it never blocks.
3. ``sessions``: every (t_s, MO status, payload) for tests and the run summary.
"""
from __future__ import annotations

from hal.protocols.iridium import MAX_MO_BYTES, CommandReceived, ModemParser, PayloadReceived


class IridiumModemEmulator:
    def __init__(self, iridium, port, session_s: float = 12.0):
        self.iridium, self.port, self.session_s = iridium, port, session_s
        self.parser = ModemParser()
        self._mo: bytes | None = None
        self._pending_until: float | None = None
        self.sessions: list[tuple[float, int, bytes | None]] = []

    def _send(self, t_s: float, text: str) -> None:
        self.port.write(f"\r\n{text}\r\n".encode("ascii"), t_s)

    def tick(self, t_s: float) -> None:
        for ev in self.parser.feed(self.port.poll(t_s)):
            if isinstance(ev, PayloadReceived):
                if ev.checksum_ok:
                    self._mo = ev.data
                self._send(t_s, "0" if ev.checksum_ok else "2")
                self._send(t_s, "OK")
            elif isinstance(ev, CommandReceived) and self._pending_until is None:
                self._command(t_s, ev)
        if self._pending_until is not None and t_s >= self._pending_until:
            self._pending_until = None
            res = self.iridium.send_sbd(self._mo or b"")
            self.sessions.append((t_s, res.mo_status, self._mo))
            if 0 <= res.mo_status <= 4:
                self._mo = None
            self._send(t_s, f"+SBDIX: {res.mo_status}, {res.momsn}, 0, 0, 0, 0")
            self._send(t_s, "OK")

    def _command(self, t_s: float, c: CommandReceived) -> None:
        self.port.write((c.name + (f"={c.arg}" if c.arg else "")).encode("ascii") + b"\r", t_s)     # echo
        if c.name in ("AT", "AT&K0"):
            self._send(t_s, "OK")
        elif c.name == "AT+SBDD0":
            self._mo = None
            self._send(t_s, "0")
            self._send(t_s, "OK")
        elif c.name == "AT+SBDWB":
            try:
                n = int(c.arg or "")
            except ValueError:
                n = -1
            if not 1 <= n <= MAX_MO_BYTES:
                self._send(t_s, "3")
                self._send(t_s, "OK")
                return
            self.parser.expect_payload(n)
            self._send(t_s, "READY")
        elif c.name == "AT+CSQ":
            self._send(t_s, f"+CSQ:{self.iridium.signal_bars()}")
            self._send(t_s, "OK")
        elif c.name == "AT+SBDIX":
            self._pending_until = t_s + self.session_s
        else:
            self._send(t_s, "ERROR")
