"""Deframer: packets come through any chunking; damage is rejected and the stream resynchronises."""
import random

import pytest

from fsw.link import ASM, Deframer, FrameRejected, PacketReceived, TelemetryEncoder, frame
from fsw.link.framing import REJECT_REASONS, TRANSITIONS
from fsw.schema import ConfigError


def _packets(n, seed=0):
    rng = random.Random(seed)
    enc = TelemetryEncoder()
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(enc.hk(float(i), {"bus_v": 27.0, "overruns": i}))
        elif kind == 1:
            out.append(enc.event(float(i), {"severity": 1, "name": "E", "message": "m" * rng.randrange(200),
                                            "data": {}}))
        else:
            out.append(enc.recorder(float(i), {"blob": bytes(rng.randrange(50))}))
    return out


def _accounted(d: Deframer) -> bool:
    return d.bytes_in == d.packet_bytes + d.bytes_discarded + d.buffered


def _received(events):
    return [e.packet for e in events if isinstance(e, PacketReceived)]


def test_clean_stream_in_one_feed_and_byte_by_byte_give_the_same_packets():
    packets = _packets(30)
    stream = b"".join(frame(p) for p in packets)
    d1 = Deframer()
    assert d1.feed(stream) == [PacketReceived(p) for p in packets]
    d2 = Deframer()
    events = []
    for i in range(len(stream)):
        events += d2.feed(stream[i:i + 1])
        assert _accounted(d2)
    assert events == [PacketReceived(p) for p in packets]
    assert d2.packets == 30 and d2.bytes_discarded == 0 and d2.buffered == 0


def test_random_chunking_of_a_stream_with_garbage_gives_the_same_events():
    rng = random.Random(3)
    packets = _packets(50)
    stream = b"".join(rng.randbytes(rng.randrange(0, 40)) + frame(p) for p in packets)
    whole = Deframer().feed(stream)
    d = Deframer()
    events, i = [], 0
    while i < len(stream):
        n = rng.randrange(1, 300)
        events += d.feed(stream[i:i + n])
        i += n
        assert _accounted(d)
    assert events == whole
    assert _received(events) == packets


@pytest.mark.parametrize("seed", range(20))
def test_resynchronises_after_random_garbage_prefixes(seed):
    rng = random.Random(seed)
    packets = _packets(10, seed)
    garbage = [rng.randbytes(rng.randrange(1, 500)) for _ in packets]
    # some garbage full of marker fragments and even whole false markers
    garbage[1] = ASM[:3] + ASM[:2] + ASM + rng.randbytes(5)
    garbage[2] = ASM + bytes(2)
    stream = b"".join(g + frame(p) for g, p in zip(garbage, packets))
    d = Deframer()
    events = d.feed(stream) + d.eof()
    assert _received(events) == packets
    assert all(e.reason != "truncated" for e in events if isinstance(e, FrameRejected))
    assert d.bytes_discarded == sum(map(len, garbage))
    assert sum(e.n_bytes for e in events if isinstance(e, FrameRejected)) == d.bytes_discarded
    assert _accounted(d) and d.buffered == 0


def test_truncated_packet_is_rejected_and_the_next_ones_received():
    packets = _packets(6)
    for cut in (1, 4, 7, 10, 50, len(frame(packets[2])) - 1):
        stream = b"".join(frame(p) for p in packets[:2]) + frame(packets[2])[:cut] \
            + b"".join(frame(p) for p in packets[3:])
        d = Deframer()
        events = d.feed(stream) + d.eof()
        assert _received(events) == packets[:2] + packets[3:], cut
        assert any(isinstance(e, FrameRejected) for e in events)
        assert _accounted(d)


def test_packets_behind_a_truncated_one_come_out_as_traffic_continues():
    # A lone marker takes the next packet's marker for its header (length 0x0810 + 7):
    # the deframer waits for that many octets (never more than max_packet_len), fails
    # the CRC, and finds every packet inside that window again.
    enc = TelemetryEncoder()
    packets = [enc.hk(float(i), {}) for i in range(40)]
    d = Deframer()
    events = d.feed(ASM)
    held = 0
    for p in packets:
        events += d.feed(frame(p))
        held = max(held, d.buffered)
    assert _received(events) == packets
    assert events[0] == FrameRejected("crc", 4)
    assert 0x0810 + 7 - len(frame(packets[0])) < held <= 4 + 4096     # the misread window, less a frame
    assert _accounted(d) and d.buffered == 0


def test_every_single_bit_flip_rejects_only_the_damaged_packet():
    packets = _packets(3)
    target = frame(packets[1])
    for bit in range(len(target) * 8):
        damaged = bytearray(target)
        damaged[bit // 8] ^= 1 << (bit % 8)
        d = Deframer()
        events = d.feed(frame(packets[0]) + bytes(damaged) + frame(packets[2])) + d.eof()
        assert _received(events) == [packets[0], packets[2]], bit
        assert sum(d.rejects.values()) >= 1
        assert _accounted(d) and d.buffered == 0


def test_split_packet_waits_for_the_rest():
    p = _packets(1)[0]
    d = Deframer()
    assert d.feed(frame(p)[:-1]) == []
    assert d.buffered == len(p) + 4 - 1
    assert d.feed(frame(p)[-1:]) == [PacketReceived(p)]


def test_length_beyond_the_maximum_is_rejected_at_once_and_resynchronised():
    enc = TelemetryEncoder()
    big = enc.recorder(1.0, {"blob": bytes(3000)})
    small = enc.hk(2.0, {})
    d = Deframer(max_packet_len=1024)
    events = d.feed(frame(big) + frame(small))
    assert events[0] == FrameRejected("too_long", len(frame(big)))
    assert _received(events) == [small]
    # a corrupt length field does not make the deframer wait for data that will never come
    bogus = ASM + bytes([0x08, 0x10, 0xC0, 0x00, 0xFF, 0xFF])
    d = Deframer()
    assert d.feed(bogus + frame(small)) == [FrameRejected("too_long", len(bogus)), PacketReceived(small)]


def test_bad_version_and_too_short_headers_are_rejected():
    small = TelemetryEncoder().hk(1.0, {})
    d = Deframer()
    events = d.feed(ASM + bytes([0xE8, 0x10, 0xC0, 0, 0, 9]) + frame(small))
    assert events[0].reason == "bad_header" and _received(events) == [small]
    events = d.feed(ASM + bytes([0x08, 0x10, 0xC0, 0, 0, 0]) + frame(small))
    assert events[0].reason == "too_short" and _received(events) == [small]


def test_eof_reports_a_truncated_packet_and_everything_held():
    p = _packets(2)
    d = Deframer()
    assert d.feed(frame(p[0]) + frame(p[1])[:20]) == [PacketReceived(p[0])]
    assert d.eof() == [FrameRejected("truncated", 20)]
    assert d.buffered == 0 and _accounted(d)
    d = Deframer()
    assert d.feed(b"xy" + ASM[:3]) == []
    assert d.eof() == [FrameRejected("garbage", 5)]
    # eof inside a long candidate still finds a complete packet behind its false start
    d = Deframer()
    events = d.feed(ASM + bytes([0x08, 0x10, 0xC0, 0x00, 0x0F, 0x00]) + frame(p[0]))
    assert events == []
    events = d.eof()
    assert _received(events) == [p[0]] and events[0].reason == "truncated"


def test_a_marker_inside_packet_data_does_not_break_the_stream():
    enc = TelemetryEncoder()
    p1 = enc.recorder(1.0, {"blob": ASM * 10})
    p2 = enc.hk(2.0, {})
    assert _received(Deframer().feed(frame(p1) + frame(p2))) == [p1, p2]


def test_counters_and_config():
    assert set(REJECT_REASONS) == set(Deframer().rejects)
    assert all(state in ("HUNT", "HEADER", "BODY") for pair in TRANSITIONS for state in (pair[0],))
    for bad in (0, 7, 70000, 4096.0, True, "4096"):
        with pytest.raises(ConfigError, match="max_packet_len"):
            Deframer(max_packet_len=bad)
