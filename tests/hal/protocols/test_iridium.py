"""hal/protocols/iridium.py: responses as the ISU AT Command Reference gives them, the SBD
checksum, one MO session against a scripted modem built on the modem-side parser (success,
each +SBDIX failure class, weak signal, bad write status, timeouts), and a fuzz."""
from __future__ import annotations

import random

import pytest

from hal.protocols.iridium import (FATAL_MO, SESSION, CommandReceived, Csq, LineRejected, ModemParser, Ok,
                                   PayloadReceived, Ready, ResponseParser, SbdixStatus, SbdSession, WriteStatus,
                                   sbd_checksum)


def test_sbd_checksum_is_the_16_bit_sum_high_byte_first():
    """ISU AT Command Reference, +SBDWB: "hello" sums to 0x0214 -> 02 14."""
    assert sbd_checksum(b"hello") == b"\x02\x14"
    assert sbd_checksum(b"\xff" * 340) == (340 * 255 & 0xFFFF).to_bytes(2, "big")    # wraps at 16 bits


def test_verbose_responses_with_echo():
    p = ResponseParser()
    out = p.feed(b"AT+CSQ\r\r\n+CSQ:4\r\n\r\nOK\r\n"
                 b"AT+SBDIX\r\r\n+SBDIX: 32, 7, 0, 0, 0, 0\r\n\r\nOK\r\n")
    assert out == [Csq(4), Ok(), SbdixStatus(32, 7, 0, 0, 0, 0), Ok()]
    assert p.echoes == 2 and p.bytes_in == p.line_bytes + p.bytes_discarded + p.buffered


def test_bad_lines_are_rejected_and_counted():
    p = ResponseParser()
    out = p.feed(b"+CSQ:9\r\n+SBDIX: 1,2,3\r\nSBDRING\r\n" + b"x" * 200)
    assert [e.reason for e in out] == ["malformed", "malformed", "unknown", "too_long"]
    assert p.rejected == 4 and p.bytes_in == p.line_bytes + p.bytes_discarded + p.buffered


class ScriptedModem:
    """The modem side of the UART from the modem-side parser: answers as a 9603 does in verbose
    mode with echo on; ``mo_statuses`` are the +SBDIX MO codes of successive sessions."""

    def __init__(self, bars=4, mo_statuses=(0,), write_code=None, silent_on=None):
        self.p, self.bars, self.mo = ModemParser(), bars, list(mo_statuses)
        self.write_code, self.silent_on = write_code, silent_on
        self.momsn, self.received = 0, []

    def __call__(self, data: bytes) -> bytes:
        out = b""
        for ev in self.p.feed(data):
            if isinstance(ev, PayloadReceived):
                self.received.append(ev.data)
                code = self.write_code if self.write_code is not None else (0 if ev.checksum_ok else 2)
                out += f"\r\n{code}\r\n\r\nOK\r\n".encode()
                continue
            assert isinstance(ev, CommandReceived)
            if ev.name == self.silent_on:
                return out
            out += ev.name.encode() + (b"=" + ev.arg.encode() if ev.arg else b"") + b"\r"     # echo
            if ev.name == "AT+SBDWB":
                self.p.expect_payload(int(ev.arg))
                out += b"\r\nREADY\r\n"
            elif ev.name == "AT+SBDD0":
                out += b"\r\n0\r\n\r\nOK\r\n"
            elif ev.name == "AT+CSQ":
                out += f"\r\n+CSQ:{self.bars}\r\n\r\nOK\r\n".encode()
            elif ev.name == "AT+SBDIX":
                mo = self.mo.pop(0)
                self.momsn += 1
                out += f"\r\n+SBDIX: {mo}, {self.momsn}, 0, 0, 0, 0\r\n\r\nOK\r\n".encode()
            else:
                out += b"\r\nOK\r\n"
        return out


def fly(session: SbdSession, modem, chunk=None) -> list[bytes]:
    """Run a session to its end; ``chunk`` splits the modem's output into pieces of that size."""
    sent = [session.start()]
    pending = sent[0]
    for _ in range(50):
        if session.result is not None or not pending:
            break
        reply = modem(pending)
        pieces = [reply] if chunk is None else [reply[i:i + chunk] for i in range(0, len(reply), chunk)] or [b""]
        pending = b"".join(session.receive(x) for x in pieces)
        sent.append(pending)
    return sent


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_a_session_sends_the_message(chunk):
    modem = ScriptedModem()
    s = SbdSession(b"ELSRS beacon report")
    fly(s, modem, chunk)
    assert s.result.sent and not s.result.retry and s.result.mo_status == 0 and s.result.bars == 4
    assert modem.received == [b"ELSRS beacon report"]


@pytest.mark.parametrize("mo,retry", [(1, False), (4, False), (10, True), (13, True), (18, True), (32, True),
                                      (35, True), (36, True), (12, False), (14, False), (16, False)])
def test_sbdix_status_classes(mo, retry):
    s = SbdSession(b"x")
    fly(s, ScriptedModem(mo_statuses=(mo,)))
    assert s.result.mo_status == mo
    if mo <= 4:
        assert s.result.sent                      # 1-4: sent, with an MT side note
    else:
        assert not s.result.sent and s.result.retry is retry and (mo in FATAL_MO) is (not retry)


def test_weak_signal_skips_the_session():
    modem = ScriptedModem(bars=1)
    s = SbdSession(b"x", min_bars=2)
    sent = fly(s, modem)
    assert not s.result.sent and s.result.retry and "1 bars" in s.result.reason
    assert not any(b"SBDIX" in x for x in sent)


@pytest.mark.parametrize("code", [1, 2, 3])
def test_a_refused_write_ends_the_session(code):
    s = SbdSession(b"x")
    fly(s, ScriptedModem(write_code=code))
    assert not s.result.sent and s.result.reason == f"write status {code}"


def test_a_silent_modem_is_the_callers_timeout():
    s = SbdSession(b"x")
    fly(s, ScriptedModem(silent_on="AT+SBDIX"))
    assert s.result is None and s.state == "SESSION"          # waiting: nothing blocks
    s.timeout()
    assert not s.result.sent and s.result.retry and s.result.reason == "timeout in SESSION"


def test_payload_size_limits():
    SbdSession(b"x" * 340)
    for n in (0, 341):
        with pytest.raises(ValueError, match="expected 1-340"):
            SbdSession(b"x" * n)


def test_a_good_session_walks_the_whole_table_in_order():
    s = SbdSession(b"x")
    fly(s, ScriptedModem())
    assert s.trace == ["FLOW", *[nxt for nxt, _ in (row[k] for row in SESSION.values() for k in row)]]
    assert s.trace[-1] == "DONE" and set(SESSION) <= set(s.trace)


def test_fuzz_responses():
    """10 000 random and mutated response chunks: no exception, bytes accounted for."""
    rng = random.Random(9603)
    good = [b"\r\nOK\r\n", b"\r\n+CSQ:3\r\n", b"\r\n+SBDIX: 0, 1, 0, 0, 0, 0\r\n", b"\r\nREADY\r\n", b"\r\n0\r\n",
            b"AT+CSQ\r"]
    p = ResponseParser()
    for _ in range(10_000):
        x = bytearray(rng.choice(good))
        if rng.random() < 0.5:
            x[rng.randrange(len(x))] = rng.randrange(256)
        if rng.random() < 0.2:
            x = bytearray(rng.randbytes(rng.randrange(1, 30)))
        for ev in p.feed(bytes(x)):
            assert isinstance(ev, (Ok, Csq, SbdixStatus, Ready, WriteStatus, LineRejected)) or type(ev).__name__ == "Error"
        assert p.bytes_in == p.line_bytes + p.bytes_discarded + p.buffered
