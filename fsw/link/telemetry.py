"""Telemetry packets: housekeeping, events, acknowledgements; ``TelemetryEncoder``/``TelemetryDecoder`` (sans-IO).

Housekeeping (APID 0x010). The user data is one sample of every channel in
``HK_CHANNELS``, in table order, big-endian, no padding (``HK_STRUCT``; 127
octets, one sample per packet: with the 18 octets of marker, headers and CRC
that is 87.6 % payload on the line). The channel table (``Channel``,
``Limits``, types, units, limits, labels) and its converters live in
``fsw.link.hk_channels``; their public names are re-exported here.

A float channel whose value is unknown (``None``, e.g. attitude error before
the attitude is known) is sent as NaN; an integer channel as 0. Channels the
caller does not give get that "unknown" value too; ``mission_time_s`` defaults
to the packet time. An unknown channel name is a ValueError.

Other TM user data:

- EVENT (0x011): CBOR map ``{t_s, severity (name), name, message, data}``.
- ACK (0x012): ``ACK`` = command id u16 (0xFFFF when unknown), counter u32,
  status u8 (``AckStatus``: 1 accepted, 2 rejected, 3 completed), reason: CBOR
  text string (empty when none).
- RECORDER (0x013): one flight-recorder record, CBOR.
- BEACON (0x014): the beacon report, a CBOR map.

``TelemetryEncoder`` builds packets (one sequence count per APID);
``TelemetryDecoder`` turns packets (or a marker-framed capture) back into dicts.
"""
from __future__ import annotations

import struct
from enum import IntEnum

import cbor2
from construct import Bytes, ConstructError, GreedyBytes, Int8ub, Int16ub, Int32ub, Struct, this

from fsw.events import Event, Severity
from fsw.link.ccsds import (APID_ACK, APID_BEACON, APID_COMMAND, APID_EVENT, APID_HK, APID_RECORDER,
                            APID_TABLE, CRC_FIELD, CRC_LEN, DEFAULT_MAX_PACKET_LEN, PRIMARY_HEADER,
                            PRIMARY_HEADER_LEN, SEQ_COUNT_MODULO, TM_SEC_HEADER, TM_SEC_HEADER_LEN,
                            PacketType, SequenceCounter, build_packet, crc16, cuc_to_met, header_fields,
                            met_to_cuc)
from fsw.link.framing import Deframer, PacketReceived, frame
from fsw.link.hk_channels import (ARM_BITS, HK_CHANNEL_TABLE, HK_CHANNELS, HK_STRUCT, HK_USER_DATA_LEN, PHASES,
                                  RCS_THRUSTERS, _CONVERT, _HK_UNKNOWN, _SCALED, Channel, Limits, _bad_channel,
                                  bits_to_mask, mask_to_bits)
from fsw.link.tc import COMMAND_IDS, COMMAND_NAMES, TC_MIN_PACKET_LEN, TC_PACKET, UNKNOWN_COMMAND_ID, decode_args

__all__ = ["Limits", "Channel", "HK_CHANNELS", "HK_CHANNEL_TABLE", "HK_STRUCT", "HK_PACKET", "HK_BODY",
           "HK_USER_DATA_LEN", "HK_PACKET_LEN", "TM_PACKET", "ACK", "AckStatus", "PHASES", "RCS_THRUSTERS",
           "ARM_BITS", "TelemetryEncoder", "TelemetryDecoder", "DecodeError", "bits_to_mask", "mask_to_bits"]

#: HK packet without its CRC (what the CRC covers).
HK_BODY = Struct("header" / PRIMARY_HEADER, "time" / TM_SEC_HEADER, "hk" / HK_STRUCT)
HK_PACKET = Struct("header" / PRIMARY_HEADER, "time" / TM_SEC_HEADER, "hk" / HK_STRUCT, "crc" / CRC_FIELD)
HK_PACKET_LEN = PRIMARY_HEADER_LEN + TM_SEC_HEADER_LEN + HK_USER_DATA_LEN + CRC_LEN
_HK_DATA_LENGTH = HK_PACKET_LEN - PRIMARY_HEADER_LEN - 1
#: Any TM packet; the user data is opaque here.
TM_PACKET = Struct(
    "header" / PRIMARY_HEADER,
    "time" / TM_SEC_HEADER,
    "user_data" / Bytes(this.header.data_length + 1 - TM_SEC_HEADER_LEN - CRC_LEN),
    "crc" / CRC_FIELD,
)
#: Acknowledgement user data.
ACK = Struct("command_id" / Int16ub, "counter" / Int32ub, "status" / Int8ub, "reason" / GreedyBytes)


class AckStatus(IntEnum):
    ACCEPTED = 1
    REJECTED = 2
    COMPLETED = 3


class DecodeError(ValueError):
    """A packet the telemetry decoder cannot turn into a dict."""


_HK_BODY_C = HK_BODY.compile()
_HK_PACKET_C = HK_PACKET.compile()
_TM_PACKET_C = TM_PACKET.compile()
_TM_SEC_C = TM_SEC_HEADER.compile()
_HEADER_C = PRIMARY_HEADER.compile()
_TC_PACKET_C = TC_PACKET.compile()
_ACK_C = ACK.compile()


def _severity_name(value) -> str:
    if isinstance(value, str):
        if value not in Severity.__members__:
            raise ValueError(f"unknown severity {value!r}")
        return value
    return Severity(value).name


class TelemetryEncoder:
    """Builds TM packets; keeps a source sequence count per APID (wrapping at 2**14)."""

    def __init__(self, seq_counts: dict[int, int] | None = None,
                 max_packet_len: int = DEFAULT_MAX_PACKET_LEN) -> None:
        self.seq = SequenceCounter(seq_counts)
        self.max_packet_len = max_packet_len

    @staticmethod
    def frame(packet: bytes) -> bytes:
        """Marker + packet, for a serial line."""
        return frame(packet)

    def hk(self, t_s: float, values: dict) -> bytes:
        """One housekeeping packet (see the module doc for missing and unknown channels)."""
        coarse, fine = met_to_cuc(t_s)
        raw = dict(_HK_UNKNOWN)
        raw["mission_time_s"] = t_s
        try:
            for name, value in values.items():
                raw[name] = _CONVERT[name](value)
        except KeyError as exc:
            raise ValueError(f"HK: unknown channel {exc.args[0]!r}") from None
        header = header_fields(PacketType.TM, APID_HK, self.seq.peek(APID_HK), _HK_DATA_LENGTH)
        try:
            body = _HK_BODY_C.build({"header": header, "time": {"coarse_s": coarse, "fine": fine}, "hk": raw})
        except (ConstructError, struct.error) as exc:
            raise ValueError(f"HK: {_bad_channel(raw) or exc}") from None
        self.seq.next(APID_HK)
        return body + crc16(body).to_bytes(2, "big")

    def event(self, t_s: float, event) -> bytes:
        """An event packet from an ``fsw.events.Event`` or a mapping with the same keys."""
        if isinstance(event, Event):
            event = event.to_json_dict()
        try:
            d = {"t_s": float(event.get("t_s", t_s)), "severity": _severity_name(event["severity"]),
                 "name": str(event["name"]), "message": str(event.get("message", "")),
                 "data": dict(event.get("data") or {})}
        except KeyError as exc:
            raise ValueError(f"event lacks {exc.args[0]!r}") from None
        return self._tm(APID_EVENT, t_s, self._cbor(d))

    def ack(self, t_s: float, command, counter: int | None, status, reason: str = "") -> bytes:
        """An acknowledgement. ``command`` is a name, an id or None (unknown)."""
        if command is None:
            cid = UNKNOWN_COMMAND_ID
        elif isinstance(command, str):
            cid = COMMAND_IDS.get(command, UNKNOWN_COMMAND_ID)
        else:
            cid = int(command)
        st = AckStatus[status] if isinstance(status, str) else AckStatus(status)
        try:
            user = _ACK_C.build({"command_id": cid, "counter": counter or 0, "status": int(st),
                                 "reason": cbor2.dumps(str(reason))})
        except (ConstructError, struct.error) as exc:
            raise ValueError(f"ACK: {exc}") from None
        return self._tm(APID_ACK, t_s, user)

    def recorder(self, t_s: float, record) -> bytes:
        """One flight-recorder record for the dump."""
        return self._tm(APID_RECORDER, t_s, self._cbor(record))

    def beacon(self, t_s: float, report: dict) -> bytes:
        """An echo of a beacon report."""
        return self._tm(APID_BEACON, t_s, self._cbor(dict(report)))

    @staticmethod
    def _cbor(obj) -> bytes:
        try:
            return cbor2.dumps(obj)
        except Exception as exc:  # noqa: BLE001 - cbor2 raises several types
            raise ValueError(f"cannot encode as CBOR: {exc}") from None

    def _tm(self, apid: int, t_s: float, user_data: bytes) -> bytes:
        coarse, fine = met_to_cuc(t_s)
        packet = build_packet(PacketType.TM, apid, self.seq.peek(apid),
                              _TM_SEC_C.build({"coarse_s": coarse, "fine": fine}), user_data,
                              max_len=self.max_packet_len)
        self.seq.next(apid)
        return packet


class TelemetryDecoder:
    """Turns packets back into dicts ``{apid, kind, seq_count, t_s, data}``.

    ``kind`` is the APID's name in lower case (hk, event, ack, recorder, beacon,
    command). TC packets decode to ``{command_id, command, counter, args}``
    without authentication (the ground does not need the key to read its own
    uplink). Counters: ``packets``, ``errors``, ``seq_gaps`` (missing sequence
    counts by APID).
    """

    def __init__(self, max_packet_len: int = DEFAULT_MAX_PACKET_LEN) -> None:
        self.deframer = Deframer(max_packet_len)
        self.packets = 0
        self.errors = 0
        self.seq_gaps: dict[int, int] = {}
        self._last_seq: dict[int, int] = {}

    def feed(self, data: bytes) -> list[dict]:
        """Decode a marker-framed stream (any chunking); damaged data is counted, not returned."""
        return self._decode_events(self.deframer.feed(data))

    def eof(self) -> list[dict]:
        return self._decode_events(self.deframer.eof())

    def _decode_events(self, events) -> list[dict]:
        out = []
        for ev in events:
            if type(ev) is PacketReceived:
                try:
                    out.append(self.decode(ev.packet, check_crc=False))
                except DecodeError:
                    pass                # counted in self.errors by decode()
        return out

    def decode(self, packet: bytes, check_crc: bool = True) -> dict:
        """One bare packet -> dict; DecodeError (counted in ``errors``) if it is not one of ours."""
        try:
            d = self._decode(bytes(packet), check_crc)
        except DecodeError:
            self.errors += 1
            raise
        self.packets += 1
        apid, seq = d["apid"], d["seq_count"]
        last = self._last_seq.get(apid)
        if last is not None:
            gap = (seq - last - 1) % SEQ_COUNT_MODULO
            if gap:
                self.seq_gaps[apid] = self.seq_gaps.get(apid, 0) + gap
        self._last_seq[apid] = seq
        return d

    def _decode(self, packet: bytes, check_crc: bool) -> dict:
        n = len(packet)
        if n < PRIMARY_HEADER_LEN + CRC_LEN:
            raise DecodeError(f"packet of {n} octets is too short")
        if check_crc and crc16(packet) != 0:
            raise DecodeError("CRC mismatch")
        h = _HEADER_C.parse(packet[:PRIMARY_HEADER_LEN])
        if PRIMARY_HEADER_LEN + h.data_length + 1 != n:
            raise DecodeError(f"length field says {PRIMARY_HEADER_LEN + h.data_length + 1} octets, "
                              f"packet has {n}")
        apid = h.apid
        spec = APID_TABLE.get(apid)
        if spec is None or h.version != 0 or h.type != spec.type:
            raise DecodeError(f"not an ELS-RS packet (version {h.version}, type {h.type}, APID {apid:#05x})")
        if apid == APID_HK:
            if n != HK_PACKET_LEN:
                raise DecodeError(f"HK packet of {n} octets, expected {HK_PACKET_LEN}")
            p = _HK_PACKET_C.parse(packet)
            values = dict(p.hk)
            ph = values["phase"]
            if ph < len(PHASES):
                values["phase"] = PHASES[ph]
            for name, scale in _SCALED:
                values[name] *= scale
            t = p.time
            return {"apid": apid, "kind": "hk", "seq_count": h.seq_count,
                    "t_s": t.coarse_s + t.fine / 65536.0, "data": values}
        if apid == APID_COMMAND:
            return self._decode_tc(packet, h)
        if n < PRIMARY_HEADER_LEN + TM_SEC_HEADER_LEN + CRC_LEN:
            raise DecodeError(f"TM packet of {n} octets is too short")
        p = _TM_PACKET_C.parse(packet)
        user = p.user_data
        try:
            if apid == APID_ACK:
                a = _ACK_C.parse(user)
                data = {"command_id": a.command_id, "command": COMMAND_NAMES.get(a.command_id),
                        "counter": a.counter, "status": AckStatus(a.status).name,
                        "reason": cbor2.loads(a.reason) if a.reason else ""}
            else:
                data = cbor2.loads(user)
        except Exception as exc:  # noqa: BLE001 - any failure means the packet is not ours
            raise DecodeError(f"bad {spec.name} user data: {exc}") from None
        return {"apid": apid, "kind": spec.name.lower(), "seq_count": h.seq_count,
                "t_s": cuc_to_met(p.time.coarse_s, p.time.fine), "data": data}

    @staticmethod
    def _decode_tc(packet: bytes, h) -> dict:
        if len(packet) < TC_MIN_PACKET_LEN:
            raise DecodeError(f"TC packet of {len(packet)} octets is too short")
        p = _TC_PACKET_C.parse(packet)
        try:
            args = decode_args(p.args)
        except ValueError as exc:
            raise DecodeError(str(exc)) from None
        return {"apid": h.apid, "kind": "command", "seq_count": h.seq_count, "t_s": None,
                "data": {"command_id": p.command_id, "command": COMMAND_NAMES.get(p.command_id),
                         "counter": p.sec.counter, "args": args}}
