"""The ``json`` exporter: the dictionary model as plain data, keys in a fixed order (``to_dict``, ``to_json``)."""
from __future__ import annotations

import json

from tools.dictionary.model import SCHEMA, TARGET, Arg, Dictionary, Field, Packet

__all__ = ["to_dict", "to_json"]


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
