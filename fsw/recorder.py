"""Flight recorder: an append-only black box of events and housekeeping.

Requirements
1. Each record is framed ``sync(2) | length(2) | CBOR payload | CRC-16/CCITT-FALSE(2)``
   (layout in ``FRAME_HEADER``), so a reader resynchronises after a torn or
   corrupt record and decodes everything else.
2. Records are written as they occur; ``request_sync`` (every phase change)
   marks a sync point that the 1 Hz recorder task makes durable with fsync, so
   disk latency never lands in a fast rate group; close syncs too. A crash
   loses at most the records since the last sync point.
3. The file is bounded by ``max_bytes``; past it, further records are counted as
   dropped (never overwriting what is recorded - the early flight matters most
   to an inquiry).
"""
from __future__ import annotations

import os

import cbor2
import crcmod.predefined
from construct import Const, Int16ub, Struct

SYNC = b"\xeb\x90"
FRAME_HEADER = Struct("sync" / Const(SYNC), "length" / Int16ub)
_crc16 = crcmod.predefined.mkCrcFun("crc-ccitt-false")
MAX_PAYLOAD = 0xFFFF


def encode_record(record: dict) -> bytes:
    """One framed record."""
    payload = cbor2.dumps(record)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"record of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return FRAME_HEADER.build({"length": len(payload)}) + payload + _crc16(payload).to_bytes(2, "big")


def decode_records(data: bytes):
    """Yield (offset, record) for every intact record; skips damaged bytes."""
    i, n = 0, len(data)
    while True:
        i = data.find(SYNC, i)
        if i < 0 or i + 4 > n:
            return
        length = int.from_bytes(data[i + 2:i + 4], "big")
        end = i + 4 + length
        if end + 2 <= n:
            payload = data[i + 4:end]
            if _crc16(payload).to_bytes(2, "big") == data[end:end + 2]:
                try:
                    yield i, cbor2.loads(payload)
                    i = end + 2
                    continue
                except Exception:   # CRC-valid garbage is still garbage
                    pass
        i += 1


class Recorder:
    def __init__(self, path: str | os.PathLike | None, max_bytes: int = 64 * 1024 * 1024):
        self.path = path
        self.max_bytes = max_bytes
        self.records = 0
        self.dropped = 0
        self._size = 0
        self._sync_wanted = False
        self._f = open(path, "ab") if path is not None else None
        if self._f is not None:
            self._size = self._f.tell()

    def write(self, record: dict) -> None:
        if self._f is None:
            return
        frame = encode_record(record)
        if self._size + len(frame) > self.max_bytes:
            self.dropped += 1
            return
        self._f.write(frame)
        self._size += len(frame)
        self.records += 1

    name = "recorder"

    def request_sync(self) -> None:
        """Ask for an fsync at the next run of the recorder task."""
        self._sync_wanted = True

    def run(self, t_s: float) -> None:
        """Recorder task (1 Hz): flush every second, fsync when a sync point was requested."""
        if self._f is None:
            return
        if self._sync_wanted:
            self._sync_wanted = False
            self.sync()
        else:
            self._f.flush()

    def sync(self) -> None:
        """Flush and fsync: everything written so far survives a crash."""
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())

    def close(self) -> None:
        if self._f is not None:
            self.sync()
            self._f.close()
            self._f = None

    def dump(self, link) -> int:
        """Downlink every recorded record; returns the count."""
        if self.path is None:
            return 0
        self.sync()
        with open(self.path, "rb") as f:
            recs = [r for _, r in decode_records(f.read())]
        for r in recs:
            link.downlink({"kind": "recorder", "record": r})
        return len(recs)
