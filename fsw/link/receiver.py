"""Command receiver (sans-IO): uplink bytes in, accepted / rejected commands out.

``CommandReceiver.feed(data)`` runs the bytes through a ``Deframer`` and checks
each packet in this order, stopping at the first failure:

==================  ===================================================
reason code         check
==================  ===================================================
``BAD_FRAME``       marker, length and CRC (every deframer rejection)
``NOT_TC``          packet type is TC
``WRONG_APID``      APID is 0x100
``MALFORMED``       secondary-header flag 1, unsegmented, long enough
``BAD_MAC``         HMAC-SHA-256 over the packet matches the key
``REPLAY``          counter > last accepted counter
``MALFORMED``       reserved flags 0
``UNKNOWN_COMMAND`` command id is in the dictionary
``MALFORMED``       args field is one plain CBOR map
``BAD_ARGS``        ``fsw.commands.validate_command`` accepts the args
==================  ===================================================

Nothing is decoded before the MAC has been checked. An authentic, fresh packet
consumes its counter even if a later check rejects it (it cannot be replayed);
``last_counter`` is then the value to persist. Phase checks are the flight
app's (CommandTask), not the receiver's.

Every deframer event becomes exactly one receiver event, so::

    sum(counts.values()) == events returned
    deframer.bytes_in == deframer.packet_bytes + deframer.bytes_discarded + deframer.buffered
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fsw.commands import validate_command
from fsw.link.auth import AuthError, CommandAuthenticator
from fsw.link.ccsds import (APID_COMMAND, DEFAULT_MAX_PACKET_LEN, PRIMARY_HEADER, PRIMARY_HEADER_LEN,
                            SEQ_FLAGS_UNSEGMENTED, PacketType, crc16)
from fsw.link.framing import Deframer, FrameRejected
from fsw.link.tc import COMMAND_NAMES, TC_MIN_PACKET_LEN, TC_PACKET, decode_args

__all__ = ["RejectReason", "CommandAccepted", "CommandRejected", "CommandReceiver"]

_HEADER_C = PRIMARY_HEADER.compile()
_TC_PACKET_C = TC_PACKET.compile()


class RejectReason(str, Enum):
    """Why a frame or packet was not accepted as a command; the value is the name."""

    BAD_FRAME = "BAD_FRAME"
    NOT_TC = "NOT_TC"
    WRONG_APID = "WRONG_APID"
    BAD_MAC = "BAD_MAC"
    REPLAY = "REPLAY"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    BAD_ARGS = "BAD_ARGS"
    MALFORMED = "MALFORMED"


@dataclass(frozen=True)
class CommandAccepted:
    """An authentic, fresh, well-formed command; ``args`` normalised by the dictionary."""

    name: str
    args: dict
    counter: int
    command_id: int


@dataclass(frozen=True)
class CommandRejected:
    """A frame or packet refused. ``command_id``/``counter`` are set once they are trusted (after the MAC)."""

    reason_code: RejectReason
    detail: str
    command_id: int | None = None
    counter: int | None = None


class CommandReceiver:
    """Authenticates and decodes uplinked commands; keeps counts by outcome."""

    def __init__(self, key: bytes, last_counter: int = 0, *,
                 max_packet_len: int = DEFAULT_MAX_PACKET_LEN) -> None:
        self.deframer = Deframer(max_packet_len)
        self._auth = CommandAuthenticator(key, last_counter)
        self.counts: dict[str, int] = {"ACCEPTED": 0, **{r.value: 0 for r in RejectReason}}

    @property
    def last_counter(self) -> int:
        """Last accepted anti-replay counter: persist it after every feed that changed it."""
        return self._auth.last_counter

    def feed(self, data: bytes) -> list:
        """Bytes from the uplink -> CommandAccepted / CommandRejected events, in order."""
        return [self._on_frame_event(ev) for ev in self.deframer.feed(data)]

    def eof(self) -> list:
        """End of the stream: whatever is left is rejected."""
        return [self._on_frame_event(ev) for ev in self.deframer.eof()]

    def handle_packet(self, packet: bytes):
        """One bare packet (no marker; CRC checked here) -> one event."""
        packet = bytes(packet)
        if len(packet) < PRIMARY_HEADER_LEN + 2 or crc16(packet) != 0:
            return self._reject(RejectReason.BAD_FRAME, "CRC mismatch or packet too short")
        h = _HEADER_C.parse(packet[:PRIMARY_HEADER_LEN])
        if h.data_length + 1 + PRIMARY_HEADER_LEN != len(packet):
            return self._reject(RejectReason.BAD_FRAME, "length field does not match the packet")
        return self._check(packet)

    # ---- internals ------------------------------------------------------------------
    def _on_frame_event(self, ev):
        if type(ev) is FrameRejected:
            return self._reject(RejectReason.BAD_FRAME, f"{ev.reason} ({ev.n_bytes} octets)")
        return self._check(ev.packet)

    def _reject(self, reason: RejectReason, detail: str, command_id=None, counter=None) -> CommandRejected:
        self.counts[reason.value] += 1
        return CommandRejected(reason, detail, command_id, counter)

    def _check(self, packet: bytes):
        """A CRC-checked packet -> one event."""
        h = _HEADER_C.parse(packet[:PRIMARY_HEADER_LEN])
        if h.type != PacketType.TC:
            return self._reject(RejectReason.NOT_TC, f"TM packet on APID {h.apid:#05x}")
        if h.apid != APID_COMMAND:
            return self._reject(RejectReason.WRONG_APID, f"APID {h.apid:#05x}, expected {APID_COMMAND:#05x}")
        if h.sec_header_flag != 1 or h.seq_flags != SEQ_FLAGS_UNSEGMENTED or len(packet) < TC_MIN_PACKET_LEN:
            return self._reject(RejectReason.MALFORMED,
                                f"not a TC layout (secondary header flag {h.sec_header_flag}, "
                                f"sequence flags {h.seq_flags}, {len(packet)} octets)")
        try:
            counter = self._auth.authenticate(packet)
        except AuthError as exc:
            return self._reject(RejectReason(exc.reason), exc.detail, counter=exc.counter)
        p = _TC_PACKET_C.parse(packet)
        cid = p.command_id
        if p.sec.flags != 0:
            return self._reject(RejectReason.MALFORMED, f"reserved flags {p.sec.flags:#010x}", cid, counter)
        name = COMMAND_NAMES.get(cid)
        if name is None:
            return self._reject(RejectReason.UNKNOWN_COMMAND, f"command id {cid:#06x}", cid, counter)
        try:
            args = decode_args(p.args)
        except ValueError as exc:
            return self._reject(RejectReason.MALFORMED, f"{name}: {exc}", cid, counter)
        try:
            args = validate_command(name, args)
        except Exception as exc:  # noqa: BLE001 - ConfigError normally; anything else is still bad args
            return self._reject(RejectReason.BAD_ARGS, f"{name}: {exc}", cid, counter)
        self.counts["ACCEPTED"] += 1
        return CommandAccepted(name, args, counter, cid)
