"""Framing of Space Packets on serial byte streams (sans-IO).

On the wire each packet is preceded by the CCSDS attached sync marker
0x1ACFFC1D (CCSDS 131.0-B, ``ASM``)::

    1A CF FC 1D | space packet (primary header ... CRC)

``Deframer.feed(data)`` takes whatever bytes arrived and returns events:
``PacketReceived(packet)`` for every packet whose CRC checks, and
``FrameRejected(reason, n_bytes)`` for every run of octets thrown away:

=============  ==============================================================
reason         cause
=============  ==============================================================
``garbage``    octets before a marker (reported when the marker, or end of
               stream, arrives; one event per run)
``bad_header`` primary-header version not 0
``too_short``  data length too small to hold the CRC
``too_long``   packet longer than ``max_packet_len`` (default 4096 octets)
``crc``        CRC mismatch
``truncated``  end of stream (``eof()``) inside a packet
=============  ==============================================================

After a rejected marker the search restarts one octet after it, so a packet
whose start was swallowed by a damaged one (a corrupt length field, a
truncated packet) is still found. ``n_bytes`` of a rejection counts the octets
dropped with it: from the rejected marker to the next marker held (if none, to
the end of the data held less a possible partial marker).

Byte accounting (always true)::

    bytes_in == packet_bytes + bytes_discarded + buffered

The parser is the state machine ``TRANSITIONS`` (data): HUNT for a marker,
read the HEADER, wait for the BODY.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.link.ccsds import CRC_LEN, DEFAULT_MAX_PACKET_LEN, PRIMARY_HEADER, PRIMARY_HEADER_LEN, crc16
from fsw.schema import ConfigError

__all__ = ["ASM", "PacketReceived", "FrameRejected", "REJECT_REASONS", "Deframer", "frame",
           "TRANSITIONS"]

#: CCSDS attached sync marker.
ASM = b"\x1a\xcf\xfc\x1d"
_ASM_LEN = len(ASM)
REJECT_REASONS = ("garbage", "bad_header", "too_short", "too_long", "crc", "truncated")
_MIN_PACKET_LEN = PRIMARY_HEADER_LEN + CRC_LEN
_HEADER_C = PRIMARY_HEADER.compile()


@dataclass(frozen=True, slots=True)
class PacketReceived:
    """A packet (without the marker) whose CRC checks."""

    packet: bytes


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """``n_bytes`` octets thrown away for ``reason`` (one of REJECT_REASONS)."""

    reason: str
    n_bytes: int


def frame(packet: bytes) -> bytes:
    """Marker + packet: what goes on the line."""
    return ASM + packet


# ---- state machine --------------------------------------------------------------------
HUNT, HEADER, BODY = "HUNT", "HEADER", "BODY"
#: (state, what happened) -> next state. Any other pair is a bug (KeyError).
TRANSITIONS: dict[tuple[str, str], str] = {
    (HUNT, "marker"): HEADER,     # marker found at the read position
    (HEADER, "length_ok"): BODY,  # header plausible, length known
    (HEADER, "reject"): HUNT,     # bad_header / too_short / too_long / truncated
    (BODY, "crc_ok"): HUNT,       # packet emitted
    (BODY, "reject"): HUNT,       # crc / truncated
}


class Deframer:
    """Finds marker-framed packets in a byte stream; ``feed`` bytes, get events."""

    def __init__(self, max_packet_len: int = DEFAULT_MAX_PACKET_LEN) -> None:
        if (isinstance(max_packet_len, bool) or not isinstance(max_packet_len, int)
                or not _MIN_PACKET_LEN <= max_packet_len <= PRIMARY_HEADER_LEN + 0x10000):
            raise ConfigError("", "max_packet_len",
                              f"expected an integer in [{_MIN_PACKET_LEN}, 65542], got {max_packet_len!r}")
        self.max_packet_len = max_packet_len
        self.state = HUNT
        self._buf = bytearray()
        self._pos = 0          # read position in _buf: the marker when in HEADER/BODY
        self._need = 0         # octets (marker + packet) the candidate needs, in BODY
        self._garbage = 0      # octets of the current garbage run, not yet reported
        self.bytes_in = 0
        self.packets = 0
        self.packet_bytes = 0  # marker + packet octets of received packets
        self.bytes_discarded = 0
        self.rejects: dict[str, int] = dict.fromkeys(REJECT_REASONS, 0)

    @property
    def buffered(self) -> int:
        """Octets held: a candidate packet being assembled, or a possible partial marker."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> list:
        """Append ``data``; return the events it completes, in stream order."""
        self.bytes_in += len(data)
        self._buf += data
        return self._run(eof=False)

    def eof(self) -> list:
        """End of stream: reject an incomplete packet, report every octet still held."""
        events = self._run(eof=True)
        self._buf.clear()
        self._pos = 0
        return events

    # ---- internals ------------------------------------------------------------------
    def _go(self, what: str) -> None:
        self.state = TRANSITIONS[(self.state, what)]

    def _run(self, eof: bool) -> list:
        events: list = []
        buf = self._buf
        while True:
            state = self.state
            pos = self._pos
            if state is HUNT:
                if not self._hunt(pos, eof, events):
                    break
            elif state is HEADER:
                start = pos + _ASM_LEN
                if len(buf) - start < PRIMARY_HEADER_LEN:
                    if eof:
                        self._reject("truncated", events, eof)
                        continue
                    break
                h = _HEADER_C.parse(bytes(buf[start:start + PRIMARY_HEADER_LEN]))
                n = PRIMARY_HEADER_LEN + h.data_length + 1
                if h.version != 0:
                    self._reject("bad_header", events)
                elif n < _MIN_PACKET_LEN:
                    self._reject("too_short", events)
                elif n > self.max_packet_len:
                    self._reject("too_long", events)
                else:
                    self._need = _ASM_LEN + n
                    self._go("length_ok")
            else:  # BODY
                end = pos + self._need
                if len(buf) < end:
                    if eof:
                        self._reject("truncated", events, eof)
                        continue
                    break
                packet = bytes(buf[pos + _ASM_LEN:end])
                if crc16(packet) == 0:  # CRC of data + its own CRC is 0 (no final XOR)
                    self.packets += 1
                    self.packet_bytes += self._need
                    self._pos = end
                    self._go("crc_ok")
                    events.append(PacketReceived(packet))
                else:
                    self._reject("crc", events)
        if self._pos > 4096 or self._pos == len(buf):
            del buf[:self._pos]
            self._pos = 0
        return events

    def _hunt(self, pos: int, eof: bool, events: list) -> bool:
        """Skip to the next marker; True when one is at the read position."""
        buf = self._buf
        i = buf.find(ASM, pos)
        if i < 0:
            # keep a possible partial marker, unless the stream has ended
            end = len(buf) if eof else max(pos, len(buf) - (_ASM_LEN - 1))
            self._garbage += end - pos
            self.bytes_discarded += end - pos
            self._pos = end
            if eof and self._garbage:
                self._report_garbage(events)
            return False
        if i > pos:
            self._garbage += i - pos
            self.bytes_discarded += i - pos
            self._pos = i
        if self._garbage:
            self._report_garbage(events)
        self._go("marker")
        return True

    def _report_garbage(self, events: list) -> None:
        self.rejects["garbage"] += 1
        events.append(FrameRejected("garbage", self._garbage))
        self._garbage = 0

    def _reject(self, reason: str, events: list, eof: bool = False) -> None:
        """Drop the candidate at the read position: up to the next marker after it."""
        buf, pos = self._buf, self._pos
        i = buf.find(ASM, pos + 1)
        if i >= 0:
            end = i
        elif eof:
            end = len(buf)
        else:
            end = max(pos + 1, len(buf) - (_ASM_LEN - 1))
        n = end - pos
        self.bytes_discarded += n
        self.rejects[reason] += 1
        self._pos = end
        self._go("reject")
        events.append(FrameRejected(reason, n))
