"""Telecommand layout and the stable numbering of the command dictionary.

A TC packet (APID 0x100) is::

    primary header (6) | counter u32 | flags u32 = 0 | command id u16 | args (CBOR map)
                       | HMAC-SHA-256 (32) | CRC-16 (2)

The HMAC covers every octet before it (primary header, secondary header, user
data); the CRC covers every octet before it, HMAC included. ``TC_PACKET`` is the
whole layout; :mod:`fsw.link.auth` builds and checks it.

``COMMAND_IDS`` numbers ``fsw.commands.DICTIONARY``. Ids are part of the ground
interface: never renumber or reuse one; a new command gets the next free id (a
test fails while a dictionary command has none).
"""
from __future__ import annotations

import io
import math

import cbor2
from construct import Bytes, GreedyBytes, Int16ub, Struct, this

from fsw.link.ccsds import CRC_FIELD, CRC_LEN, PRIMARY_HEADER, PRIMARY_HEADER_LEN, TC_SEC_HEADER, TC_SEC_HEADER_LEN

__all__ = ["COMMAND_IDS", "COMMAND_NAMES", "UNKNOWN_COMMAND_ID", "MAC_LEN", "TC_PACKET", "TC_BODY",
           "TC_MIN_PACKET_LEN", "encode_args", "decode_args", "MAX_ARGS_DEPTH"]

#: name -> command id (u16). 0 and 0xFFFF are reserved.
COMMAND_IDS: dict[str, int] = {
    "NOOP": 0x0001,
    "RELEASE": 0x0002,
    "DEORBIT_GO": 0x0003,
    "ABORT": 0x0004,
    "SAFE": 0x0005,
    "RESUME": 0x0006,
    "SET_PARAM": 0x0007,
    "ARM": 0x0008,
    "DISARM": 0x0009,
    "PYRO_FIRE": 0x000A,
    "DUMP_RECORDER": 0x000B,
    "STATE_VECTOR": 0x000C,
}
COMMAND_NAMES: dict[int, str] = {v: k for k, v in COMMAND_IDS.items()}
#: Command id used in acknowledgements when the command could not be identified.
UNKNOWN_COMMAND_ID = 0xFFFF

MAC_LEN = 32
_CMD_ID_LEN = 2
#: Fixed octets of a TC packet; the args field is the rest.
_TC_FIXED = PRIMARY_HEADER_LEN + TC_SEC_HEADER_LEN + _CMD_ID_LEN + MAC_LEN + CRC_LEN
#: Shortest TC packet (empty args field).
TC_MIN_PACKET_LEN = _TC_FIXED
#: Nesting depth allowed in command args (a map of lists is depth 2).
MAX_ARGS_DEPTH = 8

#: Everything the HMAC covers (the args field is whatever follows the id).
TC_BODY = Struct(
    "header" / PRIMARY_HEADER,
    "sec" / TC_SEC_HEADER,
    "command_id" / Int16ub,
    "args" / GreedyBytes,
)
#: A whole TC packet. Parse only packets of at least TC_MIN_PACKET_LEN octets.
TC_PACKET = Struct(
    "header" / PRIMARY_HEADER,
    "sec" / TC_SEC_HEADER,
    "command_id" / Int16ub,
    "args" / Bytes(this.header.data_length + 1 + PRIMARY_HEADER_LEN - _TC_FIXED),
    "mac" / Bytes(MAC_LEN),
    "crc" / CRC_FIELD,
)


def encode_args(args: dict | None) -> bytes:
    """CBOR map of the command's arguments (``None`` -> empty map)."""
    return cbor2.dumps({} if args is None else dict(args))


def decode_args(data: bytes) -> dict:
    """Strictly decode a CBOR args map; ValueError unless it is exactly one map of plain values.

    Plain values: text-keyed maps, arrays, text, integers, finite floats,
    booleans and null, nested at most MAX_ARGS_DEPTH deep. CBOR tags (dates,
    sets, shared references ...) and trailing octets are refused.
    """
    fp = io.BytesIO(data)
    try:
        obj = cbor2.CBORDecoder(fp).decode()
    except Exception as exc:  # noqa: BLE001 - any decoder failure means malformed input
        raise ValueError(f"bad CBOR args: {exc}") from None
    if fp.tell() != len(data):
        raise ValueError(f"{len(data) - fp.tell()} octets after the CBOR args map")
    if not isinstance(obj, dict):
        raise ValueError(f"args must be a CBOR map, got {type(obj).__name__}")
    _check_plain(obj, 1)
    return obj


_LEAVES = (str, int, float, bool, type(None))


def _check_plain(obj, depth: int) -> None:
    if depth > MAX_ARGS_DEPTH:
        raise ValueError(f"args nested deeper than {MAX_ARGS_DEPTH}")
    if type(obj) is dict:
        for k, v in obj.items():
            if type(k) is not str:
                raise ValueError(f"args map keys must be text, got {type(k).__name__}")
            _check_plain(v, depth + 1)
    elif type(obj) is list:
        for v in obj:
            _check_plain(v, depth + 1)
    elif type(obj) not in _LEAVES:
        raise ValueError(f"args may not contain {type(obj).__name__}")
    elif type(obj) is float and not math.isfinite(obj):
        raise ValueError(f"args may not contain {obj!r}")
