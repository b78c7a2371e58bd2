"""The ``xtce`` exporter: the dictionary as an XTCE 1.2 document (``to_xtce``).

OMG XTCE 1.2 / CCSDS 660.1-G-2, namespace
``http://www.omg.org/spec/XTCE/20180204``, built with ``xml.etree``.
Telemetry: one ParameterType per field (integer with sizeInBits/signed,
IEEE754_1985 big-endian float 32/64, enumerated phase / ack status / command
id, binary blobs), an abstract ``CCSDSPacket`` container (primary header), an
abstract ``ELSRS_TM`` container (CUC time) restricted on type = TM and
secondary header flag = 1, and one concrete container per TM APID restricted
on ``CCSDS_APID``. CBOR user data (events, recorder, beacon, ack reason) is a
binary parameter whose length is computed from the packet data length
(``DynamicValue`` + ``LinearAdjustment``). Commands: an abstract MetaCommand
``ELSRS_TC`` whose CommandContainer is the whole TC packet (header, counter,
flags, command id, CBOR args blob, HMAC, CRC), and one MetaCommand per command
that fixes the header values and the command id by ArgumentAssignment, lists
its documented arguments as typed ArgumentTypes (ranges, units, enumerations,
arrays) and its allowed phases as a TransmissionConstraint on the ``phase``
parameter. The typed arguments are carried on the wire as entries of the CBOR
map in ``TC_ARGS``, not as fixed binary fields, so they have no data encoding;
``SET_PARAM.value`` (any value) is a binary (CBOR) argument.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from tools.dictionary.model import SCHEMA, TARGET, Arg, Command, Dictionary, Field

__all__ = ["XTCE_NS", "XTCE_XSD_URL", "to_xtce"]

XTCE_NS = "http://www.omg.org/spec/XTCE/20180204"
XTCE_XSD_URL = "https://www.omg.org/spec/XTCE/20180204/SpaceSystem.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

_ROOT_CONTAINER = "CCSDSPacket"
_TM_CONTAINER = "ELSRS_TM"
_TC_COMMAND = "ELSRS_TC"
_TC_CONTAINER = "ELSRS_TC_Packet"


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
                    if isinstance(a.default, bool):          # BooleanDataType's default string values
                        init = "True" if a.default else "False"
                    elif isinstance(a.default, (int, float)):
                        init = _num(a.default)
                    else:
                        init = str(a.default)
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
