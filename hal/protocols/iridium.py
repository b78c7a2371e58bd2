"""Iridium 9602/9603-class SBD modem: the AT commands this job uses (sans-IO).

The flight side sends a mobile-originated (MO) message in one session
(Iridium ISU AT Command Reference; REFERENCES.md)::

    AT&K0            -> OK                       flow control off (3-wire UART)
    AT+SBDD0         -> 0, OK                    clear the MO buffer
    AT+SBDWB=<n>     -> READY                    then n bytes + 2-byte checksum
                     -> 0 | 1 | 2 | 3, OK        ok | timeout | bad checksum | bad size
    AT+CSQ           -> +CSQ:<0-5>, OK           signal bars
    AT+SBDIX         -> +SBDIX: <MO status>,<MOMSN>,<MT status>,<MTMSN>,<MT length>,<MT queued>, OK

Requirements
1. ``ResponseParser.feed(data)`` turns modem output into response events:
   ``Ok``, ``Error``, ``Ready``, ``WriteStatus(code)``, ``Csq(bars)``,
   ``SbdixStatus(...)``; a command echo is skipped (counted); any other line is a
   ``LineRejected(reason, n_bytes)``. Lines longer than ``MAX_LINE`` are dropped.
   Byte accounting: ``bytes_in == line_bytes + bytes_discarded + buffered``.
2. ``SbdSession`` is the flight side of one MO send, a state machine written as
   the table ``SESSION``: ``start()`` gives the first bytes to write, each
   ``receive(data)`` the next bytes (or none) as responses arrive; ``result``
   is None while it runs, then an ``SbdOutcome``. Nothing blocks and there is
   no clock inside: the caller calls ``timeout()`` when its deadline passes
   (a real ``+SBDIX`` takes 10-60 s). A session with fewer than
   ``min_bars`` bars ends without ``+SBDIX``.
3. MO status 0-4 is success; 10-19, 32-38 are failures the caller retries with
   backoff; ``FATAL_MO`` (12, 14, 16: message too large, bad size, ISU locked)
   are not retried.
4. ``sbd_checksum`` is the 16-bit sum of the payload bytes, high byte first.
   Payloads are 1-340 bytes (``MAX_MO_BYTES``).
5. ``ModemParser`` is the modem's side (the emulator's): it parses command
   lines and, after ``READY``, the binary payload with its checksum, into
   ``CommandReceived(name, arg)`` and ``PayloadReceived(data, checksum_ok)``.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Ok", "Error", "Ready", "WriteStatus", "Csq", "SbdixStatus", "LineRejected", "ResponseParser",
           "SbdSession", "SbdOutcome", "SESSION", "ModemParser", "CommandReceived", "PayloadReceived",
           "sbd_checksum", "command", "MAX_MO_BYTES", "FATAL_MO", "MAX_LINE"]

MAX_MO_BYTES = 340
MAX_LINE = 128
#: MO status codes not worth a retry (message too large for the gateway, bad size, ISU locked).
FATAL_MO = (12, 14, 16)


@dataclass(frozen=True, slots=True)
class Ok:
    pass


@dataclass(frozen=True, slots=True)
class Error:
    pass


@dataclass(frozen=True, slots=True)
class Ready:
    pass


@dataclass(frozen=True, slots=True)
class WriteStatus:
    """After an SBDWB payload: 0 ok, 1 timeout, 2 checksum, 3 size (also SBDD's 0 / 1)."""
    code: int


@dataclass(frozen=True, slots=True)
class Csq:
    bars: int


@dataclass(frozen=True, slots=True)
class SbdixStatus:
    mo_status: int
    momsn: int
    mt_status: int
    mtmsn: int
    mt_length: int
    mt_queued: int

    @property
    def sent(self) -> bool:
        return 0 <= self.mo_status <= 4


@dataclass(frozen=True, slots=True)
class LineRejected:
    reason: str          # "unknown", "malformed", "too_long"
    n_bytes: int


def sbd_checksum(payload: bytes) -> bytes:
    """Requirement 4: 16-bit sum of the bytes, high byte first."""
    return (sum(payload) & 0xFFFF).to_bytes(2, "big")


def command(text: str) -> bytes:
    """An AT command line (terminated by CR, as the modem expects)."""
    return text.encode("ascii") + b"\r"


def _split_lines(buf: bytearray) -> list[bytes]:
    """Whole lines at the front of ``buf``, each ending at its CR or LF, removed from it (the
    other half of a CR LF pair comes out as an empty line: framing, not content)."""
    out = []
    while True:
        ends = [i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0]
        if not ends:
            return out
        i = min(ends) + 1
        out.append(bytes(buf[:i]))
        del buf[:i]


class ResponseParser:
    """Requirement 1 (the flight side of the UART)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.bytes_in = self.line_bytes = self.bytes_discarded = 0
        self.echoes = 0
        self.rejected = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list:
        self.bytes_in += len(data)
        self._buf += data
        out: list = []
        for raw in _split_lines(self._buf):
            text = raw.strip(b"\r\n").strip()
            if not text:
                self.line_bytes += len(raw)                 # the blank framing lines of verbose mode
                continue
            ev = self._parse(text)
            if ev is None:
                self.rejected += 1
                self.bytes_discarded += len(raw)
                out.append(LineRejected("malformed" if text[:1] == b"+" else "unknown", len(raw)))
                continue
            self.line_bytes += len(raw)
            if ev != "echo":
                out.append(ev)
        if len(self._buf) > MAX_LINE:
            n = len(self._buf)
            self._buf.clear()
            self.rejected += 1
            self.bytes_discarded += n
            out.append(LineRejected("too_long", n))
        return out

    def _parse(self, text: bytes):
        if text == b"OK":
            return Ok()
        if text == b"ERROR":
            return Error()
        if text == b"READY":
            return Ready()
        if text.upper().startswith(b"AT"):
            self.echoes += 1
            return "echo"
        if text in (b"0", b"1", b"2", b"3"):
            return WriteStatus(int(text))
        try:
            if text.startswith(b"+CSQ:"):
                bars = int(text[5:])
                return Csq(bars) if 0 <= bars <= 5 else None
            if text.startswith(b"+SBDIX:"):
                f = [int(x) for x in text[7:].split(b",")]
                if len(f) != 6 or min(f) < 0:
                    return None
                return SbdixStatus(*f)
        except ValueError:
            return None
        return None


# ---- flight side: one MO send (requirement 2) -----------------------------------------------
@dataclass(frozen=True, slots=True)
class SbdOutcome:
    """How a session ended. ``sent``: the gateway has it. ``retry``: worth trying again later.
    ``mo_status``: the +SBDIX code (None if the session never got that far)."""
    sent: bool
    retry: bool
    reason: str
    mo_status: int | None = None
    bars: int | None = None


#: state -> {response type: (next state or outcome marker, bytes to send)}. The payload step
#: (WRITE -> DATA) sends the message itself. Anything not in a state's row fails the session.
SESSION = {
    "FLOW":  {Ok: ("CLEAR", "AT+SBDD0")},
    "CLEAR": {WriteStatus: ("CLEAR_OK", None)},
    "CLEAR_OK": {Ok: ("WRITE", "AT+SBDWB")},
    "WRITE": {Ready: ("DATA", "<payload>")},
    "DATA":  {WriteStatus: ("DATA_OK", None)},
    "DATA_OK": {Ok: ("CSQ", "AT+CSQ")},
    "CSQ":   {Csq: ("CSQ_OK", None)},
    "CSQ_OK": {Ok: ("SESSION", "AT+SBDIX")},
    "SESSION": {SbdixStatus: ("SESSION_OK", None)},
    "SESSION_OK": {Ok: ("DONE", None)},
}


class SbdSession:
    """Requirement 2. ``payload``: 1-340 bytes; ``min_bars``: bars needed to try +SBDIX."""

    def __init__(self, payload: bytes, min_bars: int = 2) -> None:
        if not 1 <= len(payload) <= MAX_MO_BYTES:
            raise ValueError(f"SBD payload of {len(payload)} bytes: expected 1-{MAX_MO_BYTES}")
        self.payload, self.min_bars = bytes(payload), min_bars
        self.parser = ResponseParser()
        self.state = "IDLE"
        self.result: SbdOutcome | None = None
        self._bars: int | None = None
        self._sbdix: SbdixStatus | None = None
        self.trace: list[str] = []          # every state entered, in order (telemetry, tests)

    def start(self) -> bytes:
        self.state = "FLOW"
        self.trace.append(self.state)
        return command("AT&K0")

    def timeout(self) -> None:
        """The caller's deadline for the current step passed."""
        if self.result is None:
            self._end(False, True, f"timeout in {self.state}")

    def receive(self, data: bytes) -> bytes:
        """Feed modem output; returns the bytes to write next (b"" if none)."""
        out = b""
        for ev in self.parser.feed(data):
            if self.result is not None:
                break
            out += self._step(ev)
        return out

    def _end(self, sent: bool, retry: bool, reason: str) -> None:
        self.state = "DONE"
        self.result = SbdOutcome(sent, retry, reason, None if self._sbdix is None else self._sbdix.mo_status,
                                 self._bars)

    def _step(self, ev) -> bytes:
        if isinstance(ev, LineRejected):
            return b""                                        # counted by the parser; wait for the answer
        row = SESSION.get(self.state, {})
        nxt = row.get(type(ev))
        if nxt is None:
            self._end(False, True, f"{type(ev).__name__} in {self.state}")
            return b""
        if isinstance(ev, WriteStatus) and ev.code != 0:
            what = "clear" if self.state == "CLEAR" else "write"
            self._end(False, True, f"{what} status {ev.code}")
            return b""
        if isinstance(ev, Csq):
            self._bars = ev.bars
        if isinstance(ev, SbdixStatus):
            self._sbdix = ev
        state, send = nxt
        self.state = state
        self.trace.append(state)
        if state == "DONE":
            s = self._sbdix
            if s.sent:
                self._end(True, False, f"sent, MOMSN {s.momsn}")
            else:
                self._end(False, s.mo_status not in FATAL_MO, f"+SBDIX MO status {s.mo_status}")
            return b""
        if state == "SESSION" and self._bars is not None and self._bars < self.min_bars:
            self._end(False, True, f"signal {self._bars} bars (need {self.min_bars})")
            return b""
        if send is None:
            return b""
        if send == "AT+SBDWB":
            return command(f"AT+SBDWB={len(self.payload)}")
        if send == "<payload>":
            return self.payload + sbd_checksum(self.payload)
        return command(send)


# ---- modem side (requirement 5) ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CommandReceived:
    name: str            # e.g. "AT", "AT&K0", "AT+CSQ", "AT+SBDWB", "AT+SBDIX", "AT+SBDD0"
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class PayloadReceived:
    data: bytes
    checksum_ok: bool


class ModemParser:
    """Requirement 5: command lines; after ``expect_payload(n)``, n + 2 binary bytes."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._want: int | None = None
        self.rejected = 0

    def expect_payload(self, n: int) -> None:
        self._want = n

    def feed(self, data: bytes) -> list:
        self._buf += data
        out: list = []
        while self._buf:
            if self._want is not None:
                if len(self._buf) < self._want + 2:
                    break
                n = self._want
                body, cks = bytes(self._buf[:n]), bytes(self._buf[n:n + 2])
                del self._buf[:n + 2]
                self._want = None
                out.append(PayloadReceived(body, cks == sbd_checksum(body)))
                continue
            i = self._buf.find(b"\r")
            if i < 0:
                if len(self._buf) > MAX_LINE:
                    self._buf.clear()
                    self.rejected += 1
                break
            line = bytes(self._buf[:i]).strip(b"\n ").decode("ascii", "replace")
            del self._buf[:i + 1]
            if not line:
                continue
            up = line.upper()
            if not up.startswith("AT"):
                self.rejected += 1
                continue
            name, _, arg = up.partition("=")
            out.append(CommandReceived(name, arg or None))
        return out
