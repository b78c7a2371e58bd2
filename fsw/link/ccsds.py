"""CCSDS Space Packets (CCSDS 133.0-B-2) with the ECSS PUS CRC trailer.

Every packet on the ELS-RS link is::

    primary header (6) | secondary header (TM 6, TC 8) | user data | [TC: HMAC (32)] | CRC (2)

all big-endian. The primary header (``PRIMARY_HEADER``) is version 0, type
(0 TM, 1 TC), secondary-header flag 1, an 11-bit APID, sequence flags 3
(unsegmented), a 14-bit sequence count per APID (wrapping at 2**14) and the
data length = octets in the data field - 1. As in ECSS-E-ST-70-41C (PUS), the
last two octets are CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, check value
0x29B1 on ``b"123456789"``) over the whole packet before them; it is the
recorder's CRC function, shared.

TM secondary header (``TM_SEC_HEADER``): mission elapsed time in CCSDS
unsegmented time code (CUC, CCSDS 301.0-B-4) with an implicit P-field (it
would be 0x2E: agency-defined epoch = flight clock zero, 4 coarse octets,
2 fine octets): seconds (u32) + fraction in 1/65536 s (u16).

TC secondary header (``TC_SEC_HEADER``): anti-replay counter (u32, strictly
increasing per key) and 4 reserved flag octets (0). The TC layout after it is
in :mod:`fsw.link.tc`.

APIDs (``APIDS``; one table, also read by the dictionary exporters):

======  ====  ==================  ==========================================
APID    type  name                user data
======  ====  ==================  ==========================================
0x010   TM    HK                  housekeeping channels (fsw.link.telemetry)
0x011   TM    EVENT               CBOR map {t_s, severity, name, message, data}
0x012   TM    ACK                 command acknowledgement (u16 id, u32 counter,
                                  u8 status, CBOR reason text)
0x013   TM    RECORDER            one flight-recorder record (CBOR)
0x014   TM    BEACON              beacon report echo (CBOR map)
0x100   TC    COMMAND             u16 command id + CBOR args map, HMAC trailer
======  ====  ==================  ==========================================

Sans-IO: bytes in, values out; values in, bytes out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from construct import Computed, Int16ub, Int32ub, Rebuild, Struct, this

# CRC-16/CCITT-FALSE, the flight recorder's (one implementation in the tree).
from fsw.recorder_format import _crc16 as crc16

__all__ = [
    "PacketType", "ApidDef", "APIDS", "APID_TABLE", "APID_HK", "APID_EVENT", "APID_ACK",
    "APID_RECORDER", "APID_BEACON", "APID_COMMAND", "PRIMARY_HEADER", "TM_SEC_HEADER",
    "TC_SEC_HEADER", "CRC_FIELD", "PRIMARY_HEADER_LEN", "TM_SEC_HEADER_LEN", "TC_SEC_HEADER_LEN",
    "CRC_LEN", "MAX_APID", "SEQ_COUNT_MODULO", "SEQ_FLAGS_UNSEGMENTED", "CCSDS_MAX_PACKET_LEN",
    "DEFAULT_MAX_PACKET_LEN", "PacketHeader", "crc16", "crc_ok", "parse_header", "split_packets", "check_ids",
    "header_fields", "build_packet",
    "met_to_cuc", "cuc_to_met", "SequenceCounter",
]


class PacketType(IntEnum):
    """Primary-header packet type bit."""

    TM = 0
    TC = 1


@dataclass(frozen=True)
class ApidDef:
    """One application process: its APID, direction, name and what it carries."""

    apid: int
    type: PacketType
    name: str
    doc: str


APIDS: tuple[ApidDef, ...] = (
    ApidDef(0x010, PacketType.TM, "HK", "housekeeping telemetry (fixed channel layout)"),
    ApidDef(0x011, PacketType.TM, "EVENT", "flight event: CBOR {t_s, severity, name, message, data}"),
    ApidDef(0x012, PacketType.TM, "ACK", "command acknowledgement: accepted / rejected / completed"),
    ApidDef(0x013, PacketType.TM, "RECORDER", "flight-recorder dump: one CBOR record per packet"),
    ApidDef(0x014, PacketType.TM, "BEACON", "beacon report echo: CBOR map"),
    ApidDef(0x100, PacketType.TC, "COMMAND", "authenticated telecommand"),
)
APID_TABLE: dict[int, ApidDef] = {a.apid: a for a in APIDS}
APID_HK, APID_EVENT, APID_ACK, APID_RECORDER, APID_BEACON, APID_COMMAND = (a.apid for a in APIDS)

PRIMARY_HEADER_LEN = 6
TM_SEC_HEADER_LEN = 6
TC_SEC_HEADER_LEN = 8
CRC_LEN = 2
MAX_APID = 0x7FF
SEQ_COUNT_MODULO = 1 << 14
SEQ_FLAGS_UNSEGMENTED = 3
#: Largest packet the standard allows (data length field 0xFFFF).
CCSDS_MAX_PACKET_LEN = PRIMARY_HEADER_LEN + 0x10000
#: Largest packet the ELS-RS link sends or accepts (deframer default).
DEFAULT_MAX_PACKET_LEN = 4096

#: CCSDS primary header. The two 16-bit words are the wire fields; the bit
#: fields are computed from them on parse and packed into them on build (a
#: word-level layout compiles to a few ``struct`` calls; ``BitStruct`` would
#: cost ~20 us a header).
PRIMARY_HEADER = Struct(
    "packet_id" / Rebuild(Int16ub, (this.version << 13) | (this.type << 12)
                          | (this.sec_header_flag << 11) | this.apid),
    "packet_seq_ctrl" / Rebuild(Int16ub, (this.seq_flags << 14) | this.seq_count),
    "data_length" / Int16ub,  # octets in the data field - 1
    "version" / Computed(this.packet_id >> 13),                # 3 bits, 0
    "type" / Computed((this.packet_id >> 12) & 1),             # 0 TM, 1 TC
    "sec_header_flag" / Computed((this.packet_id >> 11) & 1),  # 1 on this link
    "apid" / Computed(this.packet_id & 0x7FF),                 # 11 bits
    "seq_flags" / Computed(this.packet_seq_ctrl >> 14),        # 3 = unsegmented
    "seq_count" / Computed(this.packet_seq_ctrl & 0x3FFF),     # 14 bits
)
#: TM secondary header: CUC time, seconds + 1/65536 s.
TM_SEC_HEADER = Struct("coarse_s" / Int32ub, "fine" / Int16ub)
#: TC secondary header: anti-replay counter + reserved flags (0).
TC_SEC_HEADER = Struct("counter" / Int32ub, "flags" / Int32ub)
#: The packet's last two octets.
CRC_FIELD = Int16ub

_HEADER_C = PRIMARY_HEADER.compile()


@dataclass(frozen=True, slots=True)
class PacketHeader:
    """A parsed primary header."""

    version: int
    type: int
    sec_header_flag: int
    apid: int
    seq_flags: int
    seq_count: int
    data_length: int

    @property
    def packet_len(self) -> int:
        """Octets in the whole packet (header + data field)."""
        return PRIMARY_HEADER_LEN + self.data_length + 1


def crc_ok(packet: bytes) -> bool:
    """True when the packet's last two octets are the CRC of everything before.

    CRC-16/CCITT-FALSE has no final XOR, so the CRC of a message followed by its
    big-endian CRC is 0.
    """
    return len(packet) >= CRC_LEN and crc16(packet) == 0


def parse_header(data: bytes) -> PacketHeader:
    """The primary header at the start of ``data``; ValueError if shorter than 6 octets."""
    if len(data) < PRIMARY_HEADER_LEN:
        raise ValueError(f"packet of {len(data)} octets is shorter than the 6-octet primary header")
    h = _HEADER_C.parse(bytes(data[:PRIMARY_HEADER_LEN]))
    return PacketHeader(h.version, h.type, h.sec_header_flag, h.apid, h.seq_flags, h.seq_count,
                        h.data_length)


def split_packets(data: bytes) -> list[bytes]:
    """Cut concatenated bare packets (no marker) at their length fields.

    ValueError naming the offset if the data ends inside a packet.
    """
    out, i, n = [], 0, len(data)
    while i < n:
        if n - i < PRIMARY_HEADER_LEN:
            raise ValueError(f"offset {i}: {n - i} octets left, less than a primary header")
        end = i + parse_header(data[i:i + PRIMARY_HEADER_LEN]).packet_len
        if end > n:
            raise ValueError(f"offset {i}: packet of {end - i} octets, only {n - i} left")
        out.append(bytes(data[i:end]))
        i = end
    return out


def check_ids(apid: int, seq_count: int) -> None:
    """ValueError unless the APID and sequence count fit their fields."""
    if not (isinstance(apid, int) and 0 <= apid <= MAX_APID):
        raise ValueError(f"APID must be in [0, 0x7FF], got {apid!r}")
    if not (isinstance(seq_count, int) and 0 <= seq_count < SEQ_COUNT_MODULO):
        raise ValueError(f"sequence count must be in [0, 16383], got {seq_count!r}")


def header_fields(packet_type: int, apid: int, seq_count: int, data_length: int) -> dict:
    """The build dict of ``PRIMARY_HEADER`` for one of this link's packets (ranges checked)."""
    check_ids(apid, seq_count)
    return {"version": 0, "type": int(packet_type), "sec_header_flag": 1, "apid": apid,
            "seq_flags": SEQ_FLAGS_UNSEGMENTED, "seq_count": seq_count, "data_length": data_length}


def build_packet(packet_type: int, apid: int, seq_count: int, sec_header: bytes, user_data: bytes,
                 max_len: int = CCSDS_MAX_PACKET_LEN) -> bytes:
    """Header + secondary header + user data + CRC. ValueError on out-of-range fields."""
    body_len = len(sec_header) + len(user_data) + CRC_LEN
    if PRIMARY_HEADER_LEN + body_len > max_len:
        raise ValueError(f"packet of {PRIMARY_HEADER_LEN + body_len} octets exceeds {max_len}")
    body = _HEADER_C.build(header_fields(packet_type, apid, seq_count, body_len - 1)) + sec_header + user_data
    return body + crc16(body).to_bytes(2, "big")


def met_to_cuc(t_s: float) -> tuple[int, int]:
    """Mission elapsed time [s] -> (coarse seconds, fine 1/65536 s), rounded to the nearest tick."""
    try:
        t = math.nan if isinstance(t_s, (str, bytes)) else float(t_s)
    except (TypeError, ValueError):
        t = math.nan
    if not (math.isfinite(t) and 0.0 <= t < 2.0 ** 32):
        raise ValueError(f"time must be a finite number of seconds in [0, 2**32), got {t_s!r}")
    ticks = round(t * 65536.0)
    if ticks >= 1 << 48:
        ticks = (1 << 48) - 1
    return ticks >> 16, ticks & 0xFFFF


def cuc_to_met(coarse_s: int, fine: int) -> float:
    """(coarse seconds, fine 1/65536 s) -> seconds."""
    return coarse_s + fine / 65536.0


class SequenceCounter:
    """Source sequence counts, one per APID, each wrapping at 2**14."""

    def __init__(self, start: dict[int, int] | None = None) -> None:
        self._next: dict[int, int] = {}
        for apid, n in (start or {}).items():
            self._next[int(apid)] = int(n) % SEQ_COUNT_MODULO

    def next(self, apid: int) -> int:
        """The count for the next packet of ``apid`` (then advances it)."""
        n = self._next.get(apid, 0)
        self._next[apid] = (n + 1) % SEQ_COUNT_MODULO
        return n

    def peek(self, apid: int) -> int:
        """The count the next packet of ``apid`` will carry."""
        return self._next.get(apid, 0)

    def state(self) -> dict[int, int]:
        """Next count by APID (to persist and restore)."""
        return dict(self._next)
