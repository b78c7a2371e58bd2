"""Flight-recorder on-disk format: record framing, scanning and segment files.

The reader side of the flight recorder: how a record is framed (``encode_record``),
how damaged data is scanned (``scan``, ``decode_records``), how segment files are
named and found (``segment_path``, ``list_segments``) and how a whole recorder is
read back (``read_stream``, ``read_recorder``). The writer (``Recorder``: segments,
retention, sync, dump) is ``fsw.recorder``, which re-exports these names;
``tools/decode.py`` reads recordings with this module. No writing happens here.

Record format
-------------
Every record is one self-delimiting frame, all fields big-endian::

    offset  size  field
    0       2     sync word 0xEB 0x90                                (SYNC)
    2       2     L: payload length in octets, 0..65535
    4       4     n: record number (u32)
    8       L     payload: one CBOR map (RFC 8949), e.g. {"kind": "hk", "t_s": ...}
    8+L     2     CRC-16/CCITT-FALSE over octets 2 .. 8+L-1 (length, number, payload)

(``RECORD_HEADER`` is this layout in ``construct``.) The record number grows by
one for every record the software asks to record, across both streams (below),
all segments and all processor resets (at start-up the recorder reads the
newest segments and continues after the highest number it finds). A record
that could not be stored (I/O error, too large, not encodable) still consumes
its number, so a reader sees every loss as a gap in the numbers; the only
number ever reused is that of a record torn by a crash, which no reader can
decode anyway. (u32: at 100 records a second the numbers last 497 days.)

A reader (``scan``) looks for the sync word, checks the CRC over the claimed
length and accepts the frame only if the CRC holds and the payload decodes to a
CBOR map; otherwise it moves on by ONE octet. So it resynchronises after
anything: a torn tail (a frame cut anywhere, its length field included), a
zero-filled tail (what ext4/XFS can leave after a power cut: the size grew,
the data never arrived), corrupt octets in the middle (the damaged record is
lost, its neighbours are not), and records appended after a torn one by the
next boot. Damaged stretches are reported as regions (zero-filled ones
separately).

Files: segments and streams
---------------------------
Records go to two streams, each a numbered series of segment files of at most
``segment_bytes``:

* events (records with ``kind == "event"``): ``<path>.ev000``, ``<path>.ev001``, ...
* everything else (housekeeping): ``<path>`` itself for segment 0, then
  ``<path>.001``, ``<path>.002``, ... (``segment_path``, ``list_segments``)
"""
from __future__ import annotations

import heapq
import os
import re
import struct
from dataclasses import dataclass

import cbor2
import crcmod.predefined
from construct import Bytes, Const, Int16ub, Int32ub, Struct, this

SYNC = b"\xeb\x90"
#: The frame layout (documentation and tests; the hot path uses ``struct``).
RECORD_HEADER = Struct("sync" / Const(SYNC), "length" / Int16ub, "number" / Int32ub)
RECORD = Struct("sync" / Const(SYNC), "length" / Int16ub, "number" / Int32ub,
                "payload" / Bytes(this.length), "crc" / Int16ub)
#: Backwards-compatible name of the header layout.
FRAME_HEADER = RECORD_HEADER
HEADER_LEN = 8
CRC_LEN = 2
OVERHEAD = HEADER_LEN + CRC_LEN
MAX_PAYLOAD = 0xFFFF
NUMBER_MODULO = 1 << 32
_crc16 = crcmod.predefined.mkCrcFun("crc-ccitt-false")
_LEN_NUM = struct.Struct(">HI")

STREAMS = ("hk", "event")


# ---- format ------------------------------------------------------------------------------
def encode_record(record: dict, number: int = 0) -> bytes:
    """One framed record (ValueError if the payload would exceed 65535 octets)."""
    payload = cbor2.dumps(record)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"record of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return _frame(payload, number)


def _frame(payload: bytes, number: int) -> bytes:
    body = _LEN_NUM.pack(len(payload), number % NUMBER_MODULO) + payload
    return SYNC + body + _crc16(body).to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class Found:
    """An intact record at ``offset`` (``size`` octets of frame)."""

    offset: int
    number: int
    record: dict
    size: int


@dataclass(frozen=True, slots=True)
class Damaged:
    """``length`` octets at ``offset`` that hold no intact record; ``zero``: all zero octets."""

    offset: int
    length: int
    zero: bool


def _try_frame(data: bytes, i: int, n: int):
    """(number, record, end) for an intact frame at ``i``, else None."""
    length, number = _LEN_NUM.unpack_from(data, i + 2)
    end = i + OVERHEAD + length
    if end > n or _crc16(data[i + 2:end]) != 0:   # CRC over data + its own CRC is 0 (no final XOR)
        return None
    try:
        record = cbor2.loads(data[i + HEADER_LEN:end - CRC_LEN])
    except Exception:   # noqa: BLE001 - CRC-valid garbage is still garbage
        return None
    if not isinstance(record, dict):
        return None
    return number, record, end


def scan(data: bytes):
    """Yield ``Found`` for every intact record and ``Damaged`` for every stretch between, in file order."""
    data = bytes(data)
    n = len(data)
    explained = 0           # end of the last intact record
    i = 0
    while True:
        j = data.find(SYNC, i)
        if j < 0 or j + OVERHEAD > n:
            break
        got = _try_frame(data, j, n)
        if got is None:
            i = j + 1
            continue
        if j > explained:
            yield _damage(data, explained, j)
        number, record, end = got
        yield Found(j, number, record, end - j)
        explained = i = end
    if explained < n:
        yield _damage(data, explained, n)


def _damage(data: bytes, start: int, end: int) -> Damaged:
    return Damaged(start, end - start, data.count(0, start, end) == end - start)


def decode_records(data: bytes):
    """Yield (offset, record) for every intact record; skips damaged bytes."""
    for item in scan(data):
        if type(item) is Found:
            yield item.offset, item.record


# ---- files -------------------------------------------------------------------------------
def segment_path(base, stream: str, k: int) -> str:
    """File name of segment ``k`` of ``stream`` ("hk" or "event") of the recorder at ``base``."""
    base = os.fspath(base)
    if stream == "hk":
        return base if k == 0 else f"{base}.{k:03d}"
    if stream == "event":
        return f"{base}.ev{k:03d}"
    raise ValueError(f"unknown recorder stream {stream!r}")


def list_segments(base) -> dict[str, list[tuple[int, str]]]:
    """Existing segments of the recorder at ``base``: stream -> [(index, path)] by index."""
    base = os.fspath(base)
    d, name = os.path.split(base)
    out: dict[str, list[tuple[int, str]]] = {s: [] for s in STREAMS}
    if os.path.isfile(base):
        out["hk"].append((0, base))
    pat = re.compile(re.escape(name) + r"\.(ev)?(\d{3,})")
    try:
        names = os.listdir(d or ".")
    except OSError:
        names = []
    for fn in names:
        m = pat.fullmatch(fn)
        if m is None:
            continue
        stream, k = ("event" if m.group(1) else "hk"), int(m.group(2))
        if stream == "hk" and k == 0:
            continue
        p = os.path.join(d, fn)
        if os.path.isfile(p):
            out[stream].append((k, p))
    for s in STREAMS:
        out[s].sort()
    return out


def read_stream(paths, on_error=None):
    """Yield (number, record) from the files of one stream, in order; OSError goes to ``on_error(path, exc)``."""
    for p in paths:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as exc:
            if on_error is not None:
                on_error(p, exc)
            continue
        for item in scan(data):
            if type(item) is Found:
                yield item.number, item.record


def read_recorder(base, on_error=None):
    """Yield (number, record) of every intact record of the recorder at ``base``, both streams merged by number."""
    segs = list_segments(base)
    streams = [read_stream([p for _, p in segs[s]], on_error) for s in STREAMS]
    yield from heapq.merge(*streams, key=lambda nr: nr[0])
