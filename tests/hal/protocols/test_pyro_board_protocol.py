"""hal/protocols/pyro_board.py: commands through the board's decoder and back, the status
bit layout against an independent packing, acknowledgement bookkeeping, and a fuzz."""
from __future__ import annotations

import random
import struct

import pytest

from hal.protocols._framing import crc16
from hal.protocols.pyro_board import (OPS, Ack, BoardStatus, Command, FrameRejected, PyroBoardClient,
                                      PyroBoardDecoder, ack, status)


def board_answer(frames: bytes, result="ok") -> tuple[list, bytes]:
    """The board's side: decode commands, acknowledge each (and a STATUS request with a status)."""
    dec = PyroBoardDecoder()
    cmds = [e for e in dec.feed(frames) if isinstance(e, Command)]
    out = b""
    for i, c in enumerate(cmds):
        out += ack(i, 1000 + i, c.seq, c.op, result)
        if c.op == "STATUS":
            out += status(100 + i, 2000, hw_armed=True, pyro_armed=True, engine_armed=False, valve_open=False,
                          latch_open=True, continuity=(False, True, True, True), fired=(True, False, False, False),
                          rcs_mask=0b101, chamber_pa=12.5)
    return cmds, out


def test_commands_reach_the_board_and_acks_clear_them():
    cl = PyroBoardClient()
    s1, f1 = cl.command("PYRO_ARM", value=1)
    s2, f2 = cl.command("PYRO_FIRE", channel=1)
    s3, f3 = cl.command("ENGINE_SHUTDOWN", value=250)
    assert set(cl.pending()) == {s1, s2, s3}
    cmds, answer = board_answer(f1 + f2 + f3)
    assert [(c.op, c.channel, c.value) for c in cmds] == [("PYRO_ARM", 0, 1), ("PYRO_FIRE", 1, 0),
                                                          ("ENGINE_SHUTDOWN", 0, 250)]
    evs = cl.feed(answer)
    assert [type(e) for e in evs] == [Ack, Ack, Ack] and all(e.ok for e in evs)
    assert cl.pending() == {}


def test_status_readback():
    cl = PyroBoardClient()
    _, f = cl.command("STATUS")
    st = [e for e in cl.feed(board_answer(f)[1]) if isinstance(e, BoardStatus)][0]
    assert (st.hw_armed, st.pyro_armed, st.engine_armed, st.valve_open, st.latch_open) == (True, True, False, False, True)
    assert st.continuity == (False, True, True, True) and st.fired == (True, False, False, False)
    assert st.rcs_mask == 0b101 and st.chamber_pa == 12.5 and st.time_us == 2000


def test_status_layout_matches_an_independent_packing():
    body = struct.pack(">BHIBBBBfff", 0x81, 3, 77, 0b1010011, 0b1110, 0b0001, 0, 0.0, 27.5, 0.75)
    assert status(3, 77, hw_armed=True, pyro_armed=True, engine_armed=False, valve_open=False, latch_open=True,
                  continuity=(False, True, True, True), fired=(True, False, False, False), attached=True,
                  bus_v=27.5, battery_soc=0.75) \
        == b"\xc3\x3c" + body + crc16(body).to_bytes(2, "big")


def test_a_refusal_is_reported_with_its_reason():
    cl = PyroBoardClient()
    _, f = cl.command("PYRO_FIRE", channel=0)
    (a,) = cl.feed(board_answer(f, result="no_hw_arm")[1])
    assert not a.ok and a.result == "no_hw_arm" and cl.pending() == {}


def test_an_ack_for_nothing_pending_is_rejected_and_a_missing_one_expires():
    cl = PyroBoardClient()
    seq, _ = cl.command("PYRO_FIRE", channel=2)
    out = cl.feed(ack(0, 0, seq + 5, "PYRO_FIRE") + ack(1, 0, seq, "RCS_LATCH"))   # wrong seq, wrong op
    assert out == [FrameRejected("unexpected_ack", 0)] * 2 and cl.unexpected_acks == 2
    assert seq in cl.pending()
    cl.expire(seq)
    assert cl.pending() == {} and cl.acks_missed == 1


def test_bad_commands_are_refused_before_the_wire():
    cl = PyroBoardClient()
    with pytest.raises(ValueError, match="expected one of"):
        cl.command("SELF_DESTRUCT")
    with pytest.raises(ValueError, match="expected 0-3"):
        cl.command("PYRO_FIRE", channel=4)


def test_fuzz_the_board_decoder():
    """10 000 command frames, a third of them damaged, plus random bytes: no exception, every
    byte accounted for, no damaged command decoded (a 1-bit flip always breaks the CRC)."""
    rng = random.Random(11)
    cl, dec = PyroBoardClient(), PyroBoardDecoder()
    good = 0
    for _ in range(10_000):
        _, f = cl.command(rng.choice(list(OPS)), channel=rng.randrange(4), value=rng.randrange(1 << 32))
        f = bytearray(f)
        r = rng.random()
        if r < 0.66:
            good += 1
        elif r < 0.9:
            f[rng.randrange(2, len(f))] ^= 1 << rng.randrange(8)
        else:
            f = bytearray(rng.randbytes(rng.randrange(1, 30)))
        dec.feed(bytes(f))
        assert dec.bytes_in == dec.frame_bytes + dec.bytes_discarded + dec.buffered
    assert 0.95 * good <= dec.frames <= good
