"""The ``cosmos`` exporter: OpenC3 COSMOS 5/6 ``cmd_tlm`` definitions (``to_cosmos``, ``cosmos_text``).

``to_cosmos`` returns ``{"cmd.txt": ..., "tlm.txt": ...}``. Limits are
converted to COSMOS semantics (COSMOS flags ``value <= red_low``; the flight
code flags ``value < red_low``): integer limits move by one count, float
limits by one ulp, a missing limit becomes the field's extreme value
(``cosmos_limits``). Typed command arguments cannot be written by COSMOS'
binary accessor into a CBOR map, so ``TC_ARGS`` is a BLOCK (default: the empty
map 0xA0) and each argument is described by a ``META ARG`` line.
"""
from __future__ import annotations

import json
import math
import re

from tools.dictionary.model import TARGET, Arg, Command, Dictionary, Field, Packet
from tools.dictionary.packets import _crc_field

__all__ = ["to_cosmos", "cosmos_text", "cosmos_limits"]


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

