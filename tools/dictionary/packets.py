"""The packet layouts of the dictionary, read from the ``fsw.link`` codec.

- the APID table ``fsw.link.ccsds.APIDS`` and the ``construct`` layouts of
  ``fsw.link`` (primary header, TM/TC secondary headers, ``HK_PACKET``,
  ``TM_PACKET``, ``ACK``, ``TC_PACKET``); housekeeping channels with unit,
  description and limits from ``fsw.link.telemetry.HK_CHANNELS`` (defined in
  ``fsw.link.hk_channels``).
- The primary header's bit fields are ``Computed`` from two 16-bit words in
  the codec; their widths follow from ``MAX_APID`` / ``SEQ_COUNT_MODULO`` and
  are checked against the codec (a header is built with it and taken apart
  with this layout) every time the model is built.

``_packets(event_keys)`` returns every APID's ``Packet`` (TM then TC, fields
with their offsets).
"""
from __future__ import annotations

from dataclasses import replace

from tools.dictionary.model import Field, Packet

_FMT = {"B": ("uint", 8), "H": ("uint", 16), "L": ("uint", 32), "I": ("uint", 32), "Q": ("uint", 64),
        "b": ("int", 8), "h": ("int", 16), "l": ("int", 32), "i": ("int", 32), "q": ("int", 64),
        "f": ("float", 32), "d": ("float", 64)}


def _scalar(subcon) -> tuple[str, int]:
    """(kind, bits) of a big-endian construct FormatField (through Rebuild etc.)."""
    sc = subcon
    while not hasattr(sc, "fmtstr") and hasattr(sc, "subcon"):
        sc = sc.subcon
    fmt = getattr(sc, "fmtstr", None)
    if not fmt or fmt[0] != ">" or fmt[1:] not in _FMT:
        raise TypeError(f"dictionary: no big-endian scalar layout for {subcon!r}")
    return _FMT[fmt[1:]]


_HEADER_DOC = {
    "version": "CCSDS packet version number (000)",
    "type": "packet type: 0 telemetry, 1 telecommand",
    "sec_header_flag": "secondary header flag (1: every ELS-RS packet has one)",
    "apid": "application process identifier",
    "seq_flags": "sequence flags (3: unsegmented)",
    "seq_count": "source sequence count, per APID, wrapping at 2**14",
    "data_length": "octets in the packet data field minus 1",
}


def _primary_header(packet_type: int | None, apid: int | None) -> tuple[Field, ...]:
    """The CCSDS primary header bit fields, checked against the codec's layout."""
    from fsw.link import ccsds
    widths = {"version": 3, "type": 1, "sec_header_flag": 1, "apid": ccsds.MAX_APID.bit_length(),
              "seq_flags": 2, "seq_count": (ccsds.SEQ_COUNT_MODULO - 1).bit_length(),
              "data_length": _scalar(dict((s.name, s) for s in ccsds.PRIMARY_HEADER.subcons)["data_length"])[1]}
    order = ("version", "type", "sec_header_flag", "apid", "seq_flags", "seq_count", "data_length")
    _check_primary_header(order, widths)
    fixed = {"version": 0, "type": packet_type, "sec_header_flag": 1, "apid": apid,
             "seq_flags": ccsds.SEQ_FLAGS_UNSEGMENTED}
    out = []
    for name in order:
        f = Field(f"CCSDS_{name.upper()}", f"header.{name}", "uint", widths[name], _HEADER_DOC[name],
                  unit="octets" if name == "data_length" else "", fixed=fixed.get(name))
        if name == "type":
            f = Field(f.name, f.code, "enum", f.bits, f.description, enum=("TM", "TC"), fixed=packet_type)
        out.append(f)
    return tuple(out)


def _check_primary_header(order, widths) -> None:
    """Build headers with the codec and take them apart with (order, widths): they must agree."""
    from fsw.link import ccsds
    codec_fields = {s.name for s in ccsds.PRIMARY_HEADER.subcons if type(s.subcon).__name__ == "Computed"}
    if codec_fields | {"data_length"} != set(order) or sum(widths.values()) != 8 * ccsds.PRIMARY_HEADER_LEN:
        raise RuntimeError("dictionary: fsw.link.ccsds.PRIMARY_HEADER changed; update tools/dictionary/packets.py")
    for sample in ((1, 0x7FF, 0x3FFF, 0xFFFF), (0, 0x010, 0x1234, 0x0083), (1, 0x100, 1, 0)):
        ptype, apid, seq, length = sample
        raw = ccsds.PRIMARY_HEADER.build(ccsds.header_fields(ptype, apid, seq, length))
        value, pos, got = int.from_bytes(raw, "big"), 8 * len(raw), {}
        for name in order:
            pos -= widths[name]
            got[name] = (value >> pos) & ((1 << widths[name]) - 1)
        want = dict(ccsds.PRIMARY_HEADER.parse(raw))
        if any(got[k] != want[k] for k in order):
            raise RuntimeError(f"dictionary: primary header layout disagrees with the codec: {got} != {want}")


def _struct_fields(struct_, prefix: str, code: str, doc: dict[str, str], units: dict[str, str] | None = None):
    out = []
    for sc in struct_.subcons:
        kind, bits = _scalar(sc.subcon)
        out.append(Field(f"{prefix}{sc.name.upper()}", f"{code}.{sc.name}", kind, bits, doc.get(sc.name, ""),
                         unit=(units or {}).get(sc.name, "")))
    return tuple(out)


def _crc_field() -> Field:
    from fsw.link.ccsds import CRC_FIELD
    kind, bits = _scalar(CRC_FIELD)
    return Field("CRC", "crc", kind, bits,
                 "CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over every octet before it")


def _tm_time() -> tuple[Field, ...]:
    from fsw.link.ccsds import TM_SEC_HEADER
    return _struct_fields(TM_SEC_HEADER, "TM_", "time",
                          {"coarse_s": "mission elapsed time, whole seconds (CUC coarse, 4 octets)",
                           "fine": "mission elapsed time, fraction in 1/65536 s (CUC fine, 2 octets)"},
                          {"coarse_s": "s", "fine": "1/65536 s"})


def _hk_fields() -> tuple[Field, ...]:
    from fsw.link.hk_channels import HK_CHANNELS, HK_STRUCT
    if [s.name for s in HK_STRUCT.subcons] != [c.name for c in HK_CHANNELS]:
        raise RuntimeError("dictionary: HK_STRUCT and HK_CHANNELS disagree")
    out = []
    for c in HK_CHANNELS:
        kind, bits = _scalar(c.type)
        if c.scale != 1.0:  # the exporters would need a calibrator; none today
            raise RuntimeError(f"dictionary: HK channel {c.name} has scale {c.scale}; add a calibrator")
        out.append(Field(c.name, f"hk.{c.name}", "enum" if c.enum else kind, bits, c.description, unit=c.unit,
                         limits=c.limits, enum=tuple(c.enum) if c.enum else None,
                         bit_labels=tuple(c.bits) if c.bits else None))
    return tuple(out)


def _place(fields) -> tuple[Field, ...]:
    """The fields with their offsets filled in."""
    out, pos = [], 0
    for f in fields:
        out.append(replace(f, offset_bits=pos))
        pos = None if (pos is None or f.bits is None) else pos + f.bits
    return tuple(out)


def _blob(name: str, code: str, description: str, tail_octets: int) -> Field:
    return Field(name, code, "blob", None, description, encoding="CBOR", tail_octets=tail_octets)


def _packets(event_keys) -> tuple[Packet, ...]:
    from fsw.link import ccsds
    from fsw.link.tc import COMMAND_IDS, MAC_LEN, TC_PACKET, UNKNOWN_COMMAND_ID
    from fsw.link.telemetry import ACK, HK_PACKET_LEN, AckStatus
    crc = _crc_field()
    out = []
    for a in ccsds.APIDS:
        hdr = _primary_header(int(a.type), a.apid)
        if a.type == ccsds.PacketType.TC:
            sub = {s.name: s.subcon for s in TC_PACKET.subcons}
            sec = _struct_fields(sub["sec"], "TC_", "sec",
                                 {"counter": "anti-replay counter, strictly increasing per key",
                                  "flags": "reserved, 0"})
            sec = tuple(Field(f.name, f.code, f.kind, f.bits, f.description, fixed=0 if f.name == "TC_FLAGS"
                              else None) for f in sec)
            cid = Field("TC_COMMAND_ID", "command_id", *_scalar(sub["command_id"]),
                        "command id (fsw.link.tc.COMMAND_IDS)")
            if not (isinstance(sub["mac"].length, int) and sub["mac"].length == MAC_LEN):
                raise RuntimeError("dictionary: TC_PACKET mac field changed")
            mac = Field("TC_MAC", "mac", "blob", 8 * MAC_LEN,
                        "HMAC-SHA-256 over every octet before it (key configured, never in the repository)")
            args = _blob("TC_ARGS", "args", "command arguments: one CBOR map {argument name: value}",
                         MAC_LEN + ccsds.CRC_LEN)
            out.append(Packet(a.apid, a.name, "TC", a.doc, _place(hdr + sec + (cid, args, mac, crc)), None))
            continue
        time = _tm_time()
        if a.apid == ccsds.APID_HK:
            user, length = _hk_fields(), HK_PACKET_LEN
        elif a.apid == ccsds.APID_ACK:
            sub = {s.name: s.subcon for s in ACK.subcons}
            names = dict(sorted((v, k) for k, v in COMMAND_IDS.items()))
            names[UNKNOWN_COMMAND_ID] = "UNKNOWN"
            user = (Field("ACK_COMMAND_ID", "ack.command_id", "enum", _scalar(sub["command_id"])[1],
                          "acknowledged command id (0xFFFF: could not be identified)",
                          enum_map=tuple(names.items())),
                    Field("ACK_COUNTER", "ack.counter", *_scalar(sub["counter"]), "the command's anti-replay counter"),
                    Field("ACK_STATUS", "ack.status", "enum", _scalar(sub["status"])[1], "acknowledgement status",
                          enum_map=tuple((int(s), s.name) for s in AckStatus)),
                    _blob("ACK_REASON", "ack.reason", "reason: a CBOR text string (empty when none)",
                          ccsds.CRC_LEN))
            length = None
        else:
            doc = {ccsds.APID_EVENT: "one event: CBOR map {" + ", ".join(event_keys) + "}",
                   ccsds.APID_RECORDER: "one flight-recorder record (CBOR)",
                   ccsds.APID_BEACON: "the beacon report (CBOR map)"}.get(a.apid, "CBOR")
            user, length = (_blob(f"{a.name}_DATA", "user_data", doc, ccsds.CRC_LEN),), None
        out.append(Packet(a.apid, a.name, "TM", a.doc, _place(hdr + time + user + (crc,)), length))
    tm = [p for p in out if p.type == "TM"]
    tc = [p for p in out if p.type == "TC"]
    return tuple(tm + tc)
