"""The command / telemetry / event dictionary, built from the flight code, and its exporters.

One in-memory model (``build()`` -> ``Dictionary``) is assembled from the code
that flies, never from a second hand-kept table:

- commands: ``fsw.commands.DICTIONARY`` (argument schemas, allowed phases) and
  the ids of ``fsw.link.tc.COMMAND_IDS``;
- packets: the APID table ``fsw.link.ccsds.APIDS`` and the ``construct``
  layouts of ``fsw.link`` (primary header, TM/TC secondary headers,
  ``HK_PACKET``, ``TM_PACKET``, ``ACK``, ``TC_PACKET``); housekeeping channels
  with unit, description and limits from ``fsw.link.telemetry.HK_CHANNELS``.
  The primary header's bit fields are ``Computed`` from two 16-bit words in
  the codec; their widths follow from ``MAX_APID`` / ``SEQ_COUNT_MODULO`` and
  are checked against the codec (a header is built with it and taken apart
  with this layout) every time the model is built;
- events: the names the flight code emits, found by scanning ``fsw/**/*.py``
  for ``.emit(Severity.X, "NAME"`` (conditional forms ``A if c else B`` too)
  plus ``fsw.events.THROTTLE_EVENT_NAME``; emit calls whose name is not a
  literal are listed as ``unresolved_sites``; the EVENT packet's CBOR keys come
  from a sample event run through ``TelemetryEncoder``/``TelemetryDecoder``;
- parameters: ``fsw.schema.describe(fsw.mission_schema.PARAMS)`` (the names
  ``SET_PARAM`` takes).

Exporters (``render(d, fmt)``):

- ``json``: the model, keys in a fixed order (``to_json``).
- ``xtce``: an XTCE 1.2 document (OMG XTCE 1.2 / CCSDS 660.1-G-2, namespace
  ``http://www.omg.org/spec/XTCE/20180204``) built with ``xml.etree``
  (``to_xtce``). Telemetry: one ParameterType per field (integer with
  sizeInBits/signed, IEEE754_1985 big-endian float 32/64, enumerated phase /
  ack status / command id, binary blobs), an abstract ``CCSDSPacket`` container
  (primary header), an abstract ``ELSRS_TM`` container (CUC time) restricted on
  type = TM and secondary header flag = 1, and one concrete container per TM
  APID restricted on ``CCSDS_APID``. CBOR user data (events, recorder, beacon,
  ack reason) is a binary parameter whose length is computed from the packet
  data length (``DynamicValue`` + ``LinearAdjustment``). Commands: an abstract
  MetaCommand ``ELSRS_TC`` whose CommandContainer is the whole TC packet
  (header, counter, flags, command id, CBOR args blob, HMAC, CRC), and one
  MetaCommand per command that fixes the header values and the command id by
  ArgumentAssignment, lists its documented arguments as typed ArgumentTypes
  (ranges, units, enumerations, arrays) and its allowed phases as a
  TransmissionConstraint on the ``phase`` parameter. The typed arguments are
  carried on the wire as entries of the CBOR map in ``TC_ARGS``, not as fixed
  binary fields, so they have no data encoding; ``SET_PARAM.value`` (any value)
  is a binary (CBOR) argument.
- ``cosmos``: OpenC3 COSMOS 5/6 ``cmd_tlm`` definitions (``to_cosmos`` returns
  ``{"cmd.txt": ..., "tlm.txt": ...}``). Limits are converted to COSMOS
  semantics (COSMOS flags ``value <= red_low``; the flight code flags
  ``value < red_low``): integer limits move by one count, float limits by one
  ulp, a missing limit becomes the field's extreme value. Typed command
  arguments cannot be written by COSMOS' binary accessor into a CBOR map, so
  ``TC_ARGS`` is a BLOCK (default: the empty map 0xA0) and each argument is
  described by a ``META ARG`` line.
"""
from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["SCHEMA", "TARGET", "XTCE_NS", "FORMATS", "Field", "Packet", "Arg", "Command", "EventName",
           "Dictionary", "build", "to_dict", "to_json", "to_xtce", "to_cosmos", "render"]

#: Version of the JSON layout.
SCHEMA = 1
#: Space system / COSMOS target name.
TARGET = "ELSRS"
XTCE_NS = "http://www.omg.org/spec/XTCE/20180204"
XTCE_XSD_URL = "https://www.omg.org/spec/XTCE/20180204/SpaceSystem.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
FORMATS = ("json", "xtce", "cosmos")

_ROOT_CONTAINER = "CCSDSPacket"
_TM_CONTAINER = "ELSRS_TM"
_TC_COMMAND = "ELSRS_TC"
_TC_CONTAINER = "ELSRS_TC_Packet"


# ---------------------------------------------------------------- model ----------
@dataclass(frozen=True)
class Field:
    """One field of a packet, in wire order.

    ``kind``: ``uint``, ``int``, ``float``, ``enum`` (unsigned integer with
    labels) or ``blob`` (octets; ``bits`` None when the length follows from
    the packet length: everything up to ``tail_octets`` before the end).
    """

    name: str                 # ground mnemonic, unique in the dictionary
    code: str                 # where it is in the codec: "header.apid", "hk.bus_v", ...
    kind: str
    bits: int | None
    description: str = ""
    unit: str = ""
    limits: object = None     # fsw.link.telemetry.Limits or None
    enum: tuple[str, ...] | None = None                # labels by raw value (0, 1, ...)
    enum_map: tuple[tuple[int, str], ...] | None = None  # sparse labels (value, label)
    bit_labels: tuple[str, ...] | None = None          # bit 0 = LSB
    fixed: int | None = None  # the value this link always sends
    encoding: str = ""        # "CBOR" for CBOR blobs
    tail_octets: int | None = None
    offset_bits: int | None = None   # from the start of the packet; None after a variable-length field

    @property
    def labels(self) -> tuple[tuple[int, str], ...] | None:
        if self.enum is not None:
            return tuple(enumerate(self.enum))
        return self.enum_map


@dataclass(frozen=True)
class Packet:
    apid: int
    name: str
    type: str                 # "TM" | "TC"
    description: str
    fields: tuple[Field, ...]
    length_octets: int | None  # None when variable

    def user_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.code.split(".")[0] not in ("header", "time", "sec"))


@dataclass(frozen=True)
class Arg:
    """A documented command argument (an entry of the CBOR args map)."""

    name: str
    type: str                 # number | integer | string | boolean | vector | any
    unit: str | None
    min: float | None
    max: float | None
    min_exclusive: bool
    max_exclusive: bool
    choices: tuple[str, ...] | None
    length: int | None        # vector length
    required: bool
    default: object
    doc: str


@dataclass(frozen=True)
class Command:
    name: str
    id: int
    description: str
    phases: tuple[str, ...]
    args: tuple[Arg, ...]


@dataclass(frozen=True)
class EventName:
    name: str
    severities: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass
class Dictionary:
    commands: tuple[Command, ...]
    packets: tuple[Packet, ...]          # every APID, TM then TC, in APID-table order
    events: tuple[EventName, ...]
    event_keys: tuple[str, ...]
    event_unresolved: tuple[str, ...]
    severities: tuple[tuple[str, int], ...]
    phases: tuple[str, ...]
    parameters: list[dict]
    notes: dict = field(default_factory=dict)

    def packet(self, name: str) -> Packet:
        return next(p for p in self.packets if p.name == name)

    @property
    def tm_packets(self) -> tuple[Packet, ...]:
        return tuple(p for p in self.packets if p.type == "TM")

    @property
    def tc_packet(self) -> Packet:
        return next(p for p in self.packets if p.type == "TC")


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
        raise RuntimeError("dictionary: fsw.link.ccsds.PRIMARY_HEADER changed; update tools/dictionary.py")
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
    from fsw.link.telemetry import HK_CHANNELS, HK_STRUCT
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


def _arg(name: str, node) -> Arg:
    from fsw.schema import Any_, Bool, Num, Str, Vec
    required = node.required
    default = None if required else node.default
    if isinstance(default, tuple):
        default = list(default)
    unit = getattr(node, "unit", None)
    common = dict(required=required, default=default, doc=node.doc)
    if isinstance(node, Num):
        return Arg(name, "integer" if node.integer else "number", unit, node.min, node.max, node.min_exclusive,
                   node.max_exclusive, None, None, **common)
    if isinstance(node, Vec):
        return Arg(name, "vector", unit, node.min, node.max, False, False, None, node.n, **common)
    if isinstance(node, Str):
        return Arg(name, "string", None, None, None, False, False,
                   tuple(node.choices) if node.choices is not None else None, None, **common)
    if isinstance(node, Bool):
        return Arg(name, "boolean", None, None, None, False, False, None, None, **common)
    if isinstance(node, Any_):
        return Arg(name, "any", None, None, None, False, False, None, None, **common)
    raise TypeError(f"dictionary: no export for argument {name!r} of schema {type(node).__name__}")


def _commands() -> tuple[Command, ...]:
    from fsw.commands import DICTIONARY
    from fsw.link.tc import COMMAND_IDS
    missing = [n for n in DICTIONARY if n not in COMMAND_IDS]
    if missing:
        raise RuntimeError(f"dictionary: commands without an id in fsw.link.tc.COMMAND_IDS: {missing}")
    return tuple(Command(c.name, COMMAND_IDS[c.name], c.doc, tuple(p.value for p in c.phases),
                         tuple(_arg(n, node) for n, node in c.args.fields.items()))
                 for c in DICTIONARY.values())


_EMIT_SITE = re.compile(r"\.emit\(")
_EMIT = re.compile(
    r"""\.emit\(\s*
        Severity\.(?P<sev1>[A-Z_]+)(?:\s+if\s+[^,]+?\s+else\s+Severity\.(?P<sev2>[A-Z_]+))?\s*,\s*
        "(?P<name1>[A-Z][A-Z0-9_]*)"(?:\s+if\s+[^,]+?\s+else\s+"(?P<name2>[A-Z][A-Z0-9_]*)")?""", re.X)


def _scan_events() -> tuple[tuple[EventName, ...], tuple[str, ...]]:
    """Event names emitted by the flight code (``fsw/``), by scanning its source."""
    import fsw
    from fsw.events import THROTTLE_EVENT_NAME, Severity
    root = Path(fsw.__file__).resolve().parent
    found: dict[str, tuple[set, list]] = {}
    unresolved = []

    def add(name, sev, where):
        sevs, srcs = found.setdefault(name, (set(), []))
        sevs.add(sev)
        srcs.append(where)

    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root.parent).as_posix()
        for site in _EMIT_SITE.finditer(text):
            where = f"{rel}:{text.count(chr(10), 0, site.start()) + 1}"
            m = _EMIT.match(text, site.start())
            if m is None:
                if not re.match(r"\.emit\(self\b", text[site.start():]):  # `def emit(self, ...)`
                    unresolved.append(where)
                continue
            s1, s2 = m["sev1"], m["sev2"] or m["sev1"]
            add(m["name1"], s1, where)
            if m["name2"]:
                add(m["name2"], s2, where)
            elif m["sev2"]:
                add(m["name1"], s2, where)
    add(THROTTLE_EVENT_NAME, Severity.WARNING_LO.name, "fsw/events.py (THROTTLE_EVENT_NAME)")
    order = {s.name: int(s) for s in Severity}
    events = tuple(EventName(n, tuple(sorted(sevs, key=order.__getitem__)), tuple(srcs))
                   for n, (sevs, srcs) in sorted(found.items()))
    return events, tuple(unresolved)


def _event_keys() -> tuple[str, ...]:
    """The EVENT packet's CBOR keys, from a sample event through the codec."""
    from fsw.link.telemetry import TelemetryDecoder, TelemetryEncoder
    pkt = TelemetryEncoder().event(0.0, {"severity": "DIAGNOSTIC", "name": "SAMPLE", "message": "", "data": {}})
    return tuple(TelemetryDecoder().decode(pkt)["data"])


def build() -> Dictionary:
    """The dictionary, from the flight code."""
    from fsw.events import Severity
    from fsw.mission_schema import PARAMS
    from fsw.phases import Phase
    from fsw.schema import describe
    keys = _event_keys()
    events, unresolved = _scan_events()
    params = []
    for row in describe(PARAMS):
        row = dict(row)
        for k, v in row.items():
            if isinstance(v, tuple):
                row[k] = list(v)
        params.append(row)
    return Dictionary(
        commands=_commands(), packets=_packets(keys), events=events, event_keys=keys,
        event_unresolved=unresolved, severities=tuple((s.name, int(s)) for s in Severity),
        phases=tuple(p.value for p in Phase), parameters=params,
        notes={"events": "names found by scanning fsw/**/*.py for .emit(Severity.X, \"NAME\" ...) "
                         "(including 'A if c else B' forms), plus fsw.events.THROTTLE_EVENT_NAME",
               "command_args": "sent as one CBOR map {name: value} in the TC_ARGS field"})


# ---------------------------------------------------------------- JSON -----------
def _limits_dict(lim) -> dict | None:
    if lim is None:
        return None
    return {"red_low": lim.red_low, "yellow_low": lim.yellow_low, "yellow_high": lim.yellow_high,
            "red_high": lim.red_high}


def _field_dict(f: Field, offset_bits: int | None) -> dict:
    d = {"name": f.name, "code": f.code, "type": _type_code(f), "bits": f.bits, "offset_bits": offset_bits}
    if f.kind == "blob" and f.bits is None:
        d["length"] = f"to {f.tail_octets} octets before the end of the packet"
    d["unit"] = f.unit
    d["description"] = f.description
    d["limits"] = _limits_dict(f.limits)
    if f.labels is not None:
        d["enum"] = {str(v): label for v, label in f.labels}
    if f.bit_labels is not None:
        d["bit_labels"] = {str(i): label for i, label in enumerate(f.bit_labels)}
    if f.fixed is not None:
        d["fixed"] = f.fixed
    if f.encoding:
        d["encoding"] = f.encoding
    return d


def _type_code(f: Field) -> str:
    if f.kind == "blob":
        return "bytes"
    prefix = {"uint": "u", "enum": "u", "int": "i", "float": "f"}[f.kind]
    return f"{prefix}{f.bits}"


def _packet_dict(p: Packet) -> dict:
    fields, from_end = [], 0
    for f in reversed(p.fields):
        fd = _field_dict(f, f.offset_bits)
        if f.offset_bits is None and f.bits is not None and from_end is not None:
            from_end -= f.bits
            fd["offset_from_end_bits"] = from_end
        else:
            from_end = None
        fields.append(fd)
    fields.reverse()
    return {"apid": p.apid, "apid_hex": f"0x{p.apid:03X}", "name": p.name, "type": p.type,
            "description": p.description, "length_octets": p.length_octets, "fields": fields}


def _arg_dict(a: Arg) -> dict:
    d = {"name": a.name, "type": a.type, "unit": a.unit, "min": a.min, "max": a.max}
    if a.min_exclusive or a.max_exclusive:
        d["min_exclusive"], d["max_exclusive"] = a.min_exclusive, a.max_exclusive
    if a.choices is not None:
        d["choices"] = list(a.choices)
    if a.length is not None:
        d["length"] = a.length
    d.update(required=a.required, default=a.default, description=a.doc)
    return d


def to_dict(d: Dictionary) -> dict:
    """The model as plain JSON-able data, keys in a fixed order."""
    from fsw.link import ccsds
    return {
        "schema": SCHEMA,
        "space_system": TARGET,
        "byte_order": "big-endian",
        "packet_format": "CCSDS 133.0-B-2 space packet: primary header (6) | secondary header (TM 6, TC 8) "
                         "| user data | [TC: HMAC-SHA-256 (32)] | CRC-16/CCITT-FALSE (2)",
        "crc": {"name": "CRC-16/CCITT-FALSE", "poly": "0x1021", "init": "0xFFFF", "check": "0x29B1",
                "covers": "every octet before it"},
        "time": {"format": "CCSDS CUC (301.0-B-4), implicit P-field 0x2E: 4 coarse octets (s) + 2 fine (1/65536 s)",
                 "epoch": "flight clock zero (mission elapsed time)"},
        "apids": [{"apid": a.apid, "apid_hex": f"0x{a.apid:03X}", "type": a.type.name, "name": a.name,
                   "description": a.doc} for a in ccsds.APIDS],
        "phases": list(d.phases),
        "commands": [{"name": c.name, "id": c.id, "id_hex": f"0x{c.id:04X}", "description": c.description,
                      "allowed_phases": list(c.phases), "args": [_arg_dict(a) for a in c.args]}
                     for c in d.commands],
        "args_encoding": d.notes["command_args"],
        "telecommand": _packet_dict(d.tc_packet),
        "telemetry": [_packet_dict(p) for p in d.tm_packets],
        "events": {
            "apid": ccsds.APID_EVENT,
            "encoding": "CBOR map",
            "keys": list(d.event_keys),
            "severities": [{"name": n, "value": v} for n, v in d.severities],
            "names_source": d.notes["events"],
            "names": [{"name": e.name, "severities": list(e.severities), "sources": list(e.sources)}
                      for e in d.events],
            "unresolved_sites": list(d.event_unresolved),
        },
        "parameters": d.parameters,
    }


def to_json(d: Dictionary) -> str:
    return json.dumps(to_dict(d), indent=2, allow_nan=False) + "\n"


# ---------------------------------------------------------------- XTCE -----------
def _q(tag: str) -> str:
    return f"{{{XTCE_NS}}}{tag}"


def _el(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    e = ET.SubElement(parent, _q(tag), {k: str(v) for k, v in (attrib or {}).items() if v is not None})
    if text is not None:
        e.text = text
    return e


def _num(x) -> str:
    if isinstance(x, bool):
        raise TypeError(x)
    if isinstance(x, int):
        return str(x)
    return repr(float(x))


def _describe(e, long: str | None = None, ancillary: dict | None = None) -> None:
    """NameDescriptionType children (in schema order)."""
    if long:
        _el(e, "LongDescription", text=long)
    if ancillary:
        s = _el(e, "AncillaryDataSet")
        for k, v in ancillary.items():
            _el(s, "AncillaryData", {"name": k}, str(v))


def _unit_set(e, unit: str | None) -> None:
    if unit:
        _el(_el(e, "UnitSet"), "Unit", text=unit)


def _size_in_bits_dynamic(parent, ref_tag: str, ref_attr: str, f: Field) -> None:
    """SizeInBits of a blob that runs to ``tail_octets`` before the end of the packet.

    octets = (data_length + 1 + 6) - offset - tail, so bits = 8 * data_length + 8 * (7 - offset - tail).
    """
    dv = _el(parent, "DynamicValue")
    _el(dv, ref_tag, {ref_attr: "CCSDS_DATA_LENGTH", "useCalibratedValue": "false"})
    _el(dv, "LinearAdjustment", {"slope": "8", "intercept": str(8 * (7 - f.offset_bits // 8 - f.tail_octets))})


def _alarm(e, lim) -> None:
    if lim is None:
        return
    ranges = _el(_el(e, "DefaultAlarm"), "StaticAlarmRanges")
    for tag, lo, hi in (("WarningRange", lim.yellow_low, lim.yellow_high),
                        ("CriticalRange", lim.red_low, lim.red_high)):
        if lo is not None or hi is not None:
            _el(ranges, tag, {"minInclusive": None if lo is None else _num(lo),
                              "maxInclusive": None if hi is None else _num(hi)})


def _parameter_type(ts, f: Field) -> str:
    name = f"{f.name}_Type"
    anc = {f"bit{i}": label for i, label in enumerate(f.bit_labels)} if f.bit_labels else None
    if f.kind in ("uint", "int"):
        e = _el(ts, "IntegerParameterType", {"name": name, "shortDescription": f.description or None,
                                             "signed": str(f.kind == "int").lower(), "sizeInBits": f.bits})
        _describe(e, ancillary=anc)
        _unit_set(e, f.unit)
        _el(e, "IntegerDataEncoding", {"sizeInBits": f.bits,
                                       "encoding": "twosComplement" if f.kind == "int" else "unsigned"})
        _alarm(e, f.limits)
    elif f.kind == "float":
        e = _el(ts, "FloatParameterType", {"name": name, "shortDescription": f.description or None,
                                           "sizeInBits": f.bits})
        _describe(e, ancillary=anc)
        _unit_set(e, f.unit)
        _el(e, "FloatDataEncoding", {"sizeInBits": f.bits, "encoding": "IEEE754_1985",
                                     "byteOrder": "mostSignificantByteFirst"})
        _alarm(e, f.limits)
    elif f.kind == "enum":
        e = _el(ts, "EnumeratedParameterType", {"name": name, "shortDescription": f.description or None})
        _describe(e, ancillary=anc)
        _unit_set(e, f.unit)
        _el(e, "IntegerDataEncoding", {"sizeInBits": f.bits, "encoding": "unsigned"})
        lst = _el(e, "EnumerationList")
        for value, label in f.labels:
            _el(lst, "Enumeration", {"value": value, "label": label})
    elif f.kind == "blob":
        e = _el(ts, "BinaryParameterType", {"name": name, "shortDescription": f.description or None})
        _describe(e, ancillary={"encoding": f.encoding} if f.encoding else None)
        enc = _el(e, "BinaryDataEncoding")
        size = _el(enc, "SizeInBits")
        if f.bits is not None:
            _el(size, "FixedValue", text=str(f.bits))
        else:
            _size_in_bits_dynamic(size, "ParameterInstanceRef", "parameterRef", f)
    else:
        raise TypeError(f.kind)
    return name


def _arg_type(ts, cmd: Command, a: Arg) -> str:
    """A documented argument as an XTCE ArgumentType (no data encoding: it travels in the CBOR map)."""
    name = f"{cmd.name}_{a.name}_ArgType"
    short = a.doc or None
    if a.type in ("number", "vector"):
        elem = name if a.type == "number" else f"{cmd.name}_{a.name}_Element_ArgType"
        e = _el(ts, "FloatArgumentType", {"name": elem, "shortDescription": short, "sizeInBits": 64})
        _unit_set(e, a.unit if a.unit not in (None, "", "-") else None)
        if a.min is not None or a.max is not None:
            lo = "minExclusive" if a.min_exclusive else "minInclusive"
            hi = "maxExclusive" if a.max_exclusive else "maxInclusive"
            _el(_el(e, "ValidRangeSet"), "ValidRange",
                {lo: None if a.min is None else _num(float(a.min)), hi: None if a.max is None else _num(float(a.max))})
        if a.type == "vector":
            arr = _el(ts, "ArrayArgumentType", {"name": name, "shortDescription": short, "arrayTypeRef": elem})
            dim = _el(_el(arr, "DimensionList"), "Dimension")
            _el(_el(dim, "StartingIndex"), "FixedValue", text="0")
            _el(_el(dim, "EndingIndex"), "FixedValue", text=str(a.length - 1))
    elif a.type == "integer":
        e = _el(ts, "IntegerArgumentType", {"name": name, "shortDescription": short, "sizeInBits": 64,
                                            "signed": "true"})
        _unit_set(e, a.unit if a.unit not in (None, "", "-") else None)
        if a.min is not None or a.max is not None:
            lo = None if a.min is None else math.ceil(a.min) + (1 if a.min_exclusive and a.min == int(a.min) else 0)
            hi = None if a.max is None else math.floor(a.max) - (1 if a.max_exclusive and a.max == int(a.max) else 0)
            _el(_el(e, "ValidRangeSet"), "ValidRange", {"minInclusive": lo, "maxInclusive": hi})
    elif a.type == "string" and a.choices is not None:
        e = _el(ts, "EnumeratedArgumentType", {"name": name, "shortDescription": short})
        _describe(e, long="sent as the label text in the CBOR args map")
        lst = _el(e, "EnumerationList")
        for i, label in enumerate(a.choices):
            _el(lst, "Enumeration", {"value": i, "label": label})
    elif a.type == "string":
        _el(ts, "StringArgumentType", {"name": name, "shortDescription": short})
    elif a.type == "boolean":
        _el(ts, "BooleanArgumentType", {"name": name, "shortDescription": short})
    else:  # any: a CBOR value of any plain type
        e = _el(ts, "BinaryArgumentType", {"name": name, "shortDescription": short})
        _describe(e, long="any plain value (number, text, boolean), carried as itself in the CBOR args map",
                  ancillary={"encoding": "CBOR"})
    return name


def _tc_arg_type(ts, f: Field) -> str:
    name = f"{f.name}_ArgType"
    if f.kind in ("uint", "int", "enum"):
        e = _el(ts, "IntegerArgumentType", {"name": name, "shortDescription": f.description or None,
                                            "sizeInBits": f.bits, "signed": str(f.kind == "int").lower()})
        _unit_set(e, f.unit)
        _el(e, "IntegerDataEncoding", {"sizeInBits": f.bits,
                                       "encoding": "twosComplement" if f.kind == "int" else "unsigned"})
    elif f.kind == "blob":
        e = _el(ts, "BinaryArgumentType", {"name": name, "shortDescription": f.description or None})
        _describe(e, ancillary={"encoding": f.encoding} if f.encoding else None)
        size = _el(_el(e, "BinaryDataEncoding"), "SizeInBits")
        if f.bits is not None:
            _el(size, "FixedValue", text=str(f.bits))
        else:
            _size_in_bits_dynamic(size, "ArgumentInstanceRef", "argumentRef", f)
    else:
        raise TypeError(f.kind)
    return name


def _phase_constraint(mc, phases: tuple[str, ...], all_phases: tuple[str, ...]) -> None:
    if set(phases) == set(all_phases):
        return
    tcn = _el(_el(mc, "TransmissionConstraintList"), "TransmissionConstraint")
    if len(phases) == 1:
        _el(tcn, "Comparison", {"parameterRef": "phase", "value": phases[0]})
        return
    ored = _el(_el(tcn, "BooleanExpression"), "ORedConditions")
    for ph in phases:
        c = _el(ored, "Condition")
        _el(c, "ParameterInstanceRef", {"parameterRef": "phase"})
        _el(c, "ComparisonOperator", text="==")
        _el(c, "Value", text=ph)


def to_xtce(d: Dictionary) -> str:
    """The dictionary as an XTCE 1.2 document (UTF-8 text)."""
    root = ET.Element(_q("SpaceSystem"), {"name": TARGET, f"{{{_XSI}}}schemaLocation": f"{XTCE_NS} {XTCE_XSD_URL}"})
    _describe(root, long="ELS-RS return capsule: telemetry and telecommand over CCSDS space packets, "
                         "generated by `elsrs dict --format xtce` from the flight code. All fields big-endian.")
    _el(root, "Header", {"validationStatus": "Working", "version": str(SCHEMA)})

    # ---- telemetry
    tm = _el(root, "TelemetryMetaData")
    ptypes, params, cset = _el(tm, "ParameterTypeSet"), _el(tm, "ParameterSet"), _el(tm, "ContainerSet")
    defined: dict[str, Field] = {}

    def parameter(f: Field) -> str:
        if f.name in defined:
            if _field_sig(defined[f.name]) != _field_sig(f):
                raise RuntimeError(f"dictionary: field {f.name} defined twice differently")
            return f.name
        defined[f.name] = f
        tname = _parameter_type(ptypes, f)
        _el(params, "Parameter", {"name": f.name, "parameterTypeRef": tname,
                                  "shortDescription": f.description or None})
        return f.name

    def container(name, fields, base=None, restriction=None, abstract=False, short=None):
        c = _el(cset, "SequenceContainer", {"name": name, "shortDescription": short,
                                            "abstract": "true" if abstract else None})
        entries = _el(c, "EntryList")
        for f in fields:
            _el(entries, "ParameterRefEntry", {"parameterRef": parameter(f)})
        if base:
            b = _el(c, "BaseContainer", {"containerRef": base})
            if restriction:
                rc = _el(b, "RestrictionCriteria")
                if len(restriction) == 1:
                    _el(rc, "Comparison", restriction[0])
                else:
                    cl = _el(rc, "ComparisonList")
                    for r in restriction:
                        _el(cl, "Comparison", r)

    tm_packets = d.tm_packets
    generic_hdr = tuple(Field(f.name, f.code, f.kind, f.bits, f.description, unit=f.unit, enum=f.enum)
                        for f in tm_packets[0].fields[:7])   # no fixed values: shared by TM and TC
    container(_ROOT_CONTAINER, generic_hdr, abstract=True, short="CCSDS primary header (133.0-B-2)")
    time = tuple(f for f in tm_packets[0].fields if f.code.startswith("time."))
    container(_TM_CONTAINER, time, base=_ROOT_CONTAINER, abstract=True, short="ELS-RS TM: CUC time secondary header",
              restriction=[{"parameterRef": "CCSDS_TYPE", "value": "0", "useCalibratedValue": "false"},
                           {"parameterRef": "CCSDS_SEC_HEADER_FLAG", "value": "1", "useCalibratedValue": "false"}])
    for p in tm_packets:
        user = [f for f in p.fields if not f.code.startswith(("header.", "time."))]
        container(p.name, user, base=_TM_CONTAINER, short=f"{p.description} (APID 0x{p.apid:03X})",
                  restriction=[{"parameterRef": "CCSDS_APID", "value": str(p.apid), "useCalibratedValue": "false"}])

    # ---- commands
    cm = _el(root, "CommandMetaData")
    ats, mcs = _el(cm, "ArgumentTypeSet"), _el(cm, "MetaCommandSet")
    tc = d.tc_packet
    tc_fields = tc.fields
    base = _el(mcs, "MetaCommand", {"name": _TC_COMMAND, "abstract": "true",
                                    "shortDescription": f"{tc.description} (APID 0x{tc.apid:03X})"})
    _describe(base, long="TC packet: primary header | counter u32 | flags u32 = 0 | command id u16 | "
                         "args (one CBOR map, to 34 octets before the end) | HMAC-SHA-256 (32) over every octet "
                         "before it | CRC-16/CCITT-FALSE (2) over every octet before it, HMAC included. The sender "
                         "fills the sequence count, data length, counter, HMAC and CRC.")
    alist = _el(base, "ArgumentList")
    for f in tc_fields:
        _el(alist, "Argument", {"name": f.name, "argumentTypeRef": _tc_arg_type(ats, f),
                                "shortDescription": f.description or None})
    entries = _el(_el(base, "CommandContainer", {"name": _TC_CONTAINER}), "EntryList")
    for f in tc_fields:
        _el(entries, "ArgumentRefEntry", {"argumentRef": f.name})
    for cmd in d.commands:
        mc = _el(mcs, "MetaCommand", {"name": cmd.name, "shortDescription": cmd.description})
        _describe(mc, long=f"{cmd.description}. Command id 0x{cmd.id:04X}. Allowed in: {', '.join(cmd.phases)}. "
                           + ("Arguments travel as one CBOR map {name: value} in TC_ARGS; the typed arguments "
                              "below document its entries." if cmd.args else "No arguments: TC_ARGS is the empty "
                                                                             "CBOR map (0xA0)."),
                  ancillary={"command_id": cmd.id, "allowed_phases": " ".join(cmd.phases)})
        assign = _el(_el(mc, "BaseMetaCommand", {"metaCommandRef": _TC_COMMAND}), "ArgumentAssignmentList")
        for f in tc_fields:
            value = cmd.id if f.name == "TC_COMMAND_ID" else f.fixed
            if value is not None:
                _el(assign, "ArgumentAssignment", {"argumentName": f.name, "argumentValue": value})
        if cmd.args:
            al = _el(mc, "ArgumentList")
            for a in cmd.args:
                init = None
                if a.default is not None and a.type != "vector":
                    init = _num(a.default) if isinstance(a.default, (int, float)) else str(a.default)
                note = ("required" if a.required else "optional") + f"; CBOR map key '{a.name}'"
                _el(al, "Argument", {"name": a.name, "argumentTypeRef": _arg_type(ats, cmd, a),
                                     "initialValue": init, "shortDescription": f"{a.doc} ({note})" if a.doc
                                     else note})
        cc = _el(mc, "CommandContainer", {"name": f"{cmd.name}_Packet"})
        _el(cc, "EntryList")  # the layout is the base's; the typed arguments travel inside TC_ARGS
        _el(cc, "BaseContainer", {"containerRef": _TC_CONTAINER})
        _phase_constraint(mc, cmd.phases, d.phases)

    ET.indent(root, space="  ")
    ET.register_namespace("xtce", XTCE_NS)   # serialise as xtce:Tag (ElementTree's default_namespace
    ET.register_namespace("xsi", _XSI)       # option refuses unqualified attributes)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _field_sig(f: Field):
    return (f.kind, f.bits, f.unit, f.description, f.labels, f.limits, f.tail_octets)


# ---------------------------------------------------------------- COSMOS ---------
_UNIT_NAMES = {"s": "Seconds", "ms": "Milliseconds", "m": "Meters", "m/s": "MetersPerSecond",
               "m/s^2": "MetersPerSecondSquared", "deg": "Degrees", "deg/s": "DegreesPerSecond", "V": "Volts",
               "count": "Count", "octets": "Octets", "1/65536 s": "Ticks"}


def _cq(text: str) -> str:
    """A COSMOS quoted string (double quotes inside become single)."""
    return '"' + str(text).replace('"', "'").replace("\n", " ") + '"'


def _cword(text: str) -> str:
    return text if re.fullmatch(r"[^\s\"']+", text) else _cq(text)


def _ctype(f: Field) -> str:
    return {"uint": "UINT", "enum": "UINT", "int": "INT", "float": "FLOAT", "blob": "BLOCK"}[f.kind]


def _extremes(f: Field) -> tuple[float, float]:
    """Values beyond anything the field can hold (for a missing COSMOS limit)."""
    if f.kind == "float":
        return -1.7976931348623157e308, 1.7976931348623157e308
    if f.kind == "int":
        return -(1 << (f.bits - 1)) - 1, 1 << (f.bits - 1)
    return -1, 1 << f.bits


def cosmos_limits(f: Field) -> tuple | None:
    """(red_low, yellow_low, yellow_high, red_high) in COSMOS semantics, or None.

    COSMOS: red when value <= red_low or >= red_high, yellow when <= yellow_low
    or >= yellow_high. Flight code (Limits.state): red when value < red_low or
    > red_high, yellow when < yellow_low or > yellow_high. So each limit moves
    outwards by one count (integers) or one ulp (floats).
    """
    lim = f.limits
    if lim is None:
        return None
    lo_x, hi_x = _extremes(f)
    if f.kind == "float":
        def down(x):
            return math.nextafter(float(x), -math.inf)

        def up(x):
            return math.nextafter(float(x), math.inf)
    else:
        def down(x):
            return math.ceil(x) - 1

        def up(x):
            return math.floor(x) + 1
    red_low = lo_x if lim.red_low is None else down(lim.red_low)
    red_high = hi_x if lim.red_high is None else up(lim.red_high)
    yellow_low = red_low if lim.yellow_low is None else down(lim.yellow_low)
    yellow_high = red_high if lim.yellow_high is None else up(lim.yellow_high)
    return red_low, yellow_low, yellow_high, red_high


def _cnum(x) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


def _tlm_items(p: Packet) -> list[str]:
    out = [f"TELEMETRY {TARGET} {p.name} BIG_ENDIAN {_cq(f'{p.description} (APID 0x{p.apid:03X})')}"]
    out.append(f"  META APID {p.apid}")
    fields = list(p.fields)
    variable = any(f.bits is None for f in fields)
    for f in fields:
        name, desc = f.name.upper(), _cq(f.description)
        if f.code == "crc" and variable:
            out.append(f"  ITEM {name} -{f.bits} {f.bits} {_ctype(f)} {desc}")
        elif f.bits is None:
            out.append(f"  APPEND_ITEM {name} -{8 * f.tail_octets} {_ctype(f)} {desc}")
        elif f.code == "header.apid":
            out.append(f"  APPEND_ID_ITEM {name} {f.bits} {_ctype(f)} {p.apid} {desc}")
        else:
            out.append(f"  APPEND_ITEM {name} {f.bits} {_ctype(f)} {desc}")
        if f.unit:
            out.append(f"    UNITS {_cword(_UNIT_NAMES.get(f.unit, f.unit))} {_cword(f.unit)}")
        if f.labels is not None:
            for value, label in f.labels:
                out.append(f"    STATE {_cword(label)} {value}")
        if f.bit_labels is not None:
            out.append("    META BITS " + " ".join(f"{i}={b}" for i, b in enumerate(f.bit_labels)))
        if f.encoding:
            out.append(f"    META ENCODING {f.encoding}")
        lim = cosmos_limits(f)
        if lim is not None:
            out.append("    LIMITS DEFAULT 1 ENABLED " + " ".join(_cnum(x) for x in lim))
    return out


def _cmd_items(c: Command, tc: Packet) -> list[str]:
    out = [f"COMMAND {TARGET} {c.name} BIG_ENDIAN {_cq(c.description)}",
           f"  META COMMAND_ID {c.id}",
           "  META ALLOWED_PHASES " + " ".join(c.phases)]
    for a in c.args:
        out.append(f"  META ARG {a.name} {_cq(_arg_text(a))}")
    args_doc = ("CBOR map of the arguments: " + "; ".join(f"{a.name}: {_arg_text(a)}" for a in c.args)
                if c.args else "empty CBOR map (0xA0): no arguments")
    for f in tc.fields:
        desc = f.description
        if f.code == "args":
            out.append(f"  APPEND_PARAMETER {f.name} -{8 * f.tail_octets} BLOCK 0xA0 {_cq(args_doc)}")
            continue
        if f.code == "mac":
            out.append(f"  PARAMETER {f.name} -{f.bits + _crc_field().bits} {f.bits} BLOCK "
                       f"0x{'00' * (f.bits // 8)} {_cq(desc + '; filled by the sender')}")
            continue
        if f.code == "crc":
            out.append(f"  PARAMETER {f.name} -{f.bits} {f.bits} UINT 0 {(1 << f.bits) - 1} 0 "
                       f"{_cq(desc + '; filled by the sender')}")
            continue
        value = c.id if f.name == "TC_COMMAND_ID" else f.fixed
        if value is not None:
            kw = "APPEND_ID_PARAMETER" if f.name == "TC_COMMAND_ID" else "APPEND_PARAMETER"
            out.append(f"  {kw} {f.name} {f.bits} UINT {value} {value} {value} {_cq(desc)}")
        else:
            out.append(f"  APPEND_PARAMETER {f.name} {f.bits} UINT 0 {(1 << f.bits) - 1} 0 "
                       f"{_cq(desc + '; filled by the sender')}")
        if f.labels is not None and value is None:
            for v, label in f.labels:
                out.append(f"    STATE {_cword(label)} {v}")
    return out


def _arg_text(a: Arg) -> str:
    words = [a.type if a.length is None else f"vector of {a.length} numbers"]
    if a.choices is not None:
        words.append("one of " + ", ".join(a.choices))
    if a.min is not None or a.max is not None:
        lo = "(" if a.min_exclusive else "["
        hi = ")" if a.max_exclusive else "]"
        words.append(f"in {lo}{'' if a.min is None else _cnum(a.min)}, {'' if a.max is None else _cnum(a.max)}{hi}")
    if a.unit not in (None, "", "-"):
        words.append(f"({a.unit})")
    words.append("required" if a.required else f"optional, default {json.dumps(a.default)}")
    if a.doc:
        words.append("- " + a.doc)
    return " ".join(words)


_COSMOS_HEADER = """\
# OpenC3 COSMOS 5/6 {kind} definitions for target {target}, generated by `elsrs dict --format cosmos`
# from the flight code (do not edit: regenerate). CCSDS space packets, big-endian.
"""


def to_cosmos(d: Dictionary) -> dict[str, str]:
    """{"cmd.txt": ..., "tlm.txt": ...}: the texts of a COSMOS target's cmd_tlm/ directory."""
    tlm = [_COSMOS_HEADER.format(kind="telemetry", target=TARGET)
           + "# LIMITS are the flight limits converted to COSMOS' <= / >= comparisons (one count or one ulp\n"
             "# outwards; a missing limit is the field's extreme). NaN (unknown) values compare false in COSMOS\n"
             "# and may show as RED_LOW on float channels with limits. CBOR user data is a BLOCK.\n"]
    for p in d.tm_packets:
        tlm.append("\n".join(_tlm_items(p)) + "\n")
    cmd = [_COSMOS_HEADER.format(kind="command", target=TARGET)
           + "# Arguments travel as one CBOR map in TC_ARGS (a BLOCK; COSMOS cannot build it from typed\n"
             "# parameters): each argument is documented by a META ARG line. The sequence count, data length,\n"
             "# counter, HMAC-SHA-256 (TC_MAC) and CRC-16/CCITT-FALSE (CRC) must be filled by the sending\n"
             "# protocol. Ids: TC_COMMAND_ID (APID 0x100).\n"]
    for c in d.commands:
        cmd.append("\n".join(_cmd_items(c, d.tc_packet)) + "\n")
    return {"cmd.txt": "\n".join(cmd), "tlm.txt": "\n".join(tlm)}


def cosmos_text(files: dict[str, str]) -> str:
    """The COSMOS files as one text (still one valid definition file: separators are comments)."""
    parts = []
    for name in ("cmd.txt", "tlm.txt"):
        parts.append(f"# ===== file: cmd_tlm/{name} =====\n" + files[name])
    return "\n".join(parts)


def render(d: Dictionary, fmt: str) -> str:
    if fmt == "json":
        return to_json(d)
    if fmt == "xtce":
        return to_xtce(d)
    if fmt == "cosmos":
        return cosmos_text(to_cosmos(d))
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
