"""Flight recorder: an append-only black box of events and housekeeping.

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

Retention policy (on-disk total never above ``max_bytes``)
----------------------------------------------------------
``max_bytes`` is split into an event budget (``event_bytes``, a quarter by
default) and a housekeeping budget (the rest). Within each stream, before a
new segment is opened, the OLDEST segments are deleted until the stream's
segments plus the new one fit its budget, EXCEPT the first ``keep_first``
segments (default 1), which are never deleted. So each stream keeps:

1. its first segment: boot, checkout, separation - the baseline an inquiry
   compares everything against;
2. its newest segments, as many as the budget holds: the last hours before
   whatever happened (entry, descent, the anomaly) - what an inquiry needs most;
3. only the middle of a long mission (days berthed at the station, waiting for
   the deorbit go) can be lost, oldest first.

Why this and not "stop when full": on this mission the capsule can sit
attached for days before the hour that matters; a recorder that stops when
full would be full of berthed housekeeping at entry. A ring that keeps the
newest data is what aviation recorders do (the last 25 hours); pinning the
first segment keeps the start. Events get their own budget so a housekeeping
stream can never push out the narrative, and the event log is throttled
(``fsw.events``), so the event budget lasts far longer than the housekeeping
ring. With the default 64 MiB: 48 one-MiB housekeeping segments (about two
days of 1 Hz housekeeping) and 16 of events. Records are never overwritten
inside a file; a whole segment is deleted, and the gap in record numbers says
exactly how many records went with it.

Crash safety and durability
---------------------------
* A record is written with ONE unbuffered ``write()`` (``O_APPEND``): once
  ``write`` returns, the record is in the kernel and survives the death of the
  process. A kill at any moment loses at most the record being written.
* Power loss: ``request_sync`` (every phase change) marks a sync point that the
  1 Hz recorder task (``run``) makes durable with fsync; ``run`` also fsyncs at
  least every ``sync_period_s`` of flight time, and ``close`` syncs. A finished
  segment is fsynced and closed by ``run`` too, so disk latency never lands in a
  fast rate group (a rotation there only opens and possibly deletes a file).
  Power loss loses at most the records since the last sync.

Errors
------
Recorder I/O never raises into the scheduler. Every failed open, write, fsync
or delete is counted in ``io_errors`` (text in ``last_error``) and reported to
the ``on_error(message)`` callback (a callback that raises, or that records and
fails again, cannot recurse or break the recorder); the record is counted in
``dropped``. After a failed write the segment is reopened at the next write.
A record that cannot be encoded or is larger than a segment is dropped and
counted too.
"""
from __future__ import annotations

import heapq
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

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
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_SEGMENT_BYTES = 1024 * 1024
MIN_SEGMENT_BYTES = 1024


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


# ---- writer ------------------------------------------------------------------------------
@dataclass
class _Stream:
    name: str
    budget: int
    k: int = 0                                         # segment being written
    fd: int | None = None
    sizes: dict[int, int] = field(default_factory=dict)  # index -> octets on disk


class Recorder:
    """The flight recorder (format, retention and error policy in the module doc).

    ``write(record)`` appends a record; ``run(t_s)`` is the 1 Hz recorder task;
    ``request_sync()`` marks a sync point for it; ``sync()``/``close()`` make
    everything durable now; ``dump(link)`` downlinks the whole recorder.
    Counters: ``records`` (stored by this instance), ``dropped`` (asked for but
    not stored), ``io_errors``, ``segments_dropped`` (deleted by retention).
    ``path=None`` records nothing.
    """

    name = "recorder"

    def __init__(self, path: str | os.PathLike | None, max_bytes: int = DEFAULT_MAX_BYTES, *,
                 segment_bytes: int | None = None, event_bytes: int | None = None, keep_first: int = 1,
                 sync_period_s: float | None = 60.0, on_error=None):
        self.path = None if path is None else os.fspath(path)
        self.max_bytes = int(max_bytes)
        if segment_bytes is None:
            segment_bytes = min(MAX_SEGMENT_BYTES, self.max_bytes // 32)
        self.segment_bytes = int(segment_bytes)
        if event_bytes is None:
            event_bytes = self.max_bytes // 4
        self.event_bytes = int(event_bytes)
        self.keep_first = int(keep_first)
        self.sync_period_s = sync_period_s
        self.on_error = on_error
        if self.segment_bytes < MIN_SEGMENT_BYTES:
            raise ValueError(f"recorder segment_bytes must be >= {MIN_SEGMENT_BYTES}, got {self.segment_bytes} "
                             f"(max_bytes {self.max_bytes})")
        if self.keep_first < 0:
            raise ValueError(f"recorder keep_first must be >= 0, got {self.keep_first}")
        hk_bytes = self.max_bytes - self.event_bytes
        need = (self.keep_first + 2) * self.segment_bytes
        if min(hk_bytes, self.event_bytes) < need:
            raise ValueError(f"recorder budgets (housekeeping {hk_bytes}, events {self.event_bytes} bytes) "
                             f"must each hold keep_first + 2 = {self.keep_first + 2} segments of "
                             f"{self.segment_bytes} bytes")
        self.records = 0
        self.dropped = 0
        self.io_errors = 0
        self.segments_dropped = 0
        self.last_error: str | None = None
        self.callback_errors = 0
        self._in_callback = False
        self._sync_wanted = False
        self._last_sync_t: float | None = None
        self._dirty = False
        self._dir_dirty = False
        self._pending: list[int] = []   # fds of finished segments, fsynced and closed by run()
        self._closed = self.path is None
        self._hk = _Stream("hk", hk_bytes)
        self._ev = _Stream("event", self.event_bytes)
        self._streams = (self._hk, self._ev)
        self.next_number = 0
        if self.path is not None:
            self._discover()
            self._open(self._hk)

    # ---- public --------------------------------------------------------------------------
    def write(self, record: dict) -> None:
        """Append one record (never raises on I/O; see the module doc)."""
        if self.path is None:
            return
        if self._closed:
            self.dropped += 1
            return
        number = self.next_number
        self.next_number = (number + 1) % NUMBER_MODULO
        try:
            if not isinstance(record, Mapping):
                raise TypeError(f"a record is a mapping, got {type(record).__name__}")
            payload = cbor2.dumps(record)
        except Exception as exc:  # noqa: BLE001 - cbor2 raises several types
            self._drop(f"record {number} not encodable: {exc}")
            return
        frame = _frame(payload, number) if len(payload) <= MAX_PAYLOAD else b""
        if not frame or len(frame) > self.segment_bytes:
            self._drop(f"record {number} of {len(payload) + OVERHEAD} bytes exceeds the segment "
                       f"({self.segment_bytes} bytes)")
            return
        s = self._ev if record.get("kind") == "event" else self._hk
        size = s.sizes.get(s.k, 0)
        if size > 0 and size + len(frame) > self.segment_bytes:
            self._rotate(s)
        if s.fd is None and not self._open(s):
            self.dropped += 1
            return
        if self._write_all(s, frame):
            self.records += 1
            self._dirty = True
        else:
            self.dropped += 1

    def request_sync(self) -> None:
        """Ask for an fsync at the next run of the recorder task."""
        self._sync_wanted = True

    def run(self, t_s: float) -> None:
        """Recorder task (1 Hz): fsync at sync points, every ``sync_period_s`` and after a segment change."""
        if self._closed:
            return
        if self._last_sync_t is None:
            self._last_sync_t = t_s
        due = (self.sync_period_s is not None and self._dirty
               and t_s - self._last_sync_t >= self.sync_period_s)
        if self._sync_wanted or due or self._pending or self._dir_dirty:
            self._sync_wanted = False
            self._last_sync_t = t_s
            self.sync()

    def sync(self) -> None:
        """fsync everything written so far (and the directory after a segment change)."""
        if self.path is None:
            return
        pending, self._pending = self._pending, []
        for fd in pending:
            self._fsync(fd, "fsync of a finished segment")
            self._close_fd(fd)
        for s in self._streams:
            if s.fd is not None:
                self._fsync(s.fd, f"fsync {segment_path(self.path, s.name, s.k)}")
        if self._dir_dirty:
            self._dir_dirty = False
            try:
                dfd = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
            except OSError as exc:
                self._fail(f"fsync of the recorder directory: {exc}")
        self._dirty = False

    def close(self) -> None:
        """Sync and close; later writes are counted as dropped."""
        if self._closed:
            return
        self.sync()
        for s in self._streams:
            if s.fd is not None:
                self._close_fd(s.fd)
                s.fd = None
        self._closed = True

    def iter_records(self):
        """(number, record) of every intact record on disk, both streams merged by number."""
        if self.path is None:
            return iter(())
        return read_recorder(self.path, lambda p, exc: self._fail(f"read {p}: {exc}"))

    def dump(self, link) -> int:
        """Downlink every recorded record as ``{"kind": "recorder", "n", "record"}``; returns the count."""
        count = 0
        for number, record in self.iter_records():
            link.downlink({"kind": "recorder", "n": number, "record": record})
            count += 1
        return count

    def segments(self) -> dict[str, list[int]]:
        """Segment indices on disk per stream, as this recorder accounts them."""
        return {s.name: sorted(s.sizes) for s in self._streams}

    def status(self) -> dict:
        """Counters for housekeeping."""
        return {"records": self.records, "dropped": self.dropped, "io_errors": self.io_errors,
                "segments_dropped": self.segments_dropped, "next_number": self.next_number,
                "bytes": sum(sum(s.sizes.values()) for s in self._streams)}

    # ---- internals -----------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        self.io_errors += 1
        self.last_error = message
        cb = self.on_error
        if cb is not None and not self._in_callback:
            self._in_callback = True
            try:
                cb(message)
            except Exception:  # noqa: BLE001 - a broken callback must not break the recorder
                self.callback_errors += 1
            finally:
                self._in_callback = False

    def _drop(self, message: str) -> None:
        self.dropped += 1
        self.last_error = message

    def _discover(self) -> None:
        """Segments left by an earlier boot, and the next record number."""
        try:
            segs = list_segments(self.path)
        except OSError as exc:
            self._fail(f"list {self.path}: {exc}")
            return
        last = -1
        for s in self._streams:
            for k, p in segs[s.name]:
                try:
                    s.sizes[k] = os.stat(p).st_size
                except OSError as exc:
                    self._fail(f"stat {p}: {exc}")
            s.k = max(s.sizes, default=0)
            for k, p in reversed(segs[s.name]):      # newest segment holding a record
                numbers = [nr[0] for nr in read_stream([p], lambda p_, e: self._fail(f"read {p_}: {e}"))]
                if numbers:
                    last = max(last, max(numbers))
                    break
        self.next_number = (last + 1) % NUMBER_MODULO

    def _open(self, s: _Stream) -> bool:
        p = segment_path(self.path, s.name, s.k)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            self._fail(f"open {p}: {exc}")
            return False
        try:
            size = os.fstat(fd).st_size
        except OSError as exc:
            self._fail(f"stat {p}: {exc}")
            self._close_fd(fd)
            return False
        if s.k not in s.sizes:
            self._dir_dirty = True
        s.fd, s.sizes[s.k] = fd, size
        return True

    def _write_all(self, s: _Stream, frame: bytes) -> bool:
        view, done, n = memoryview(frame), 0, len(frame)
        try:
            while done < n:
                w = os.write(s.fd, view[done:])
                if w <= 0:
                    raise OSError(0, "write returned 0")
                done += w
        except OSError as exc:
            s.sizes[s.k] = s.sizes.get(s.k, 0) + done
            self._fail(f"write {segment_path(self.path, s.name, s.k)}: {exc}")
            self._close_fd(s.fd)      # reopened at the next write
            s.fd = None
            return False
        s.sizes[s.k] = s.sizes.get(s.k, 0) + n
        return True

    def _rotate(self, s: _Stream) -> None:
        """Finish the segment being written, make room, and start the next one."""
        if s.fd is not None:
            self._pending.append(s.fd)
            s.fd = None
            if len(self._pending) > 8:      # run() is not being called: do not hoard descriptors
                fd = self._pending.pop(0)
                self._fsync(fd, "fsync of a finished segment")
                self._close_fd(fd)
        s.k += 1
        while sum(s.sizes.values()) + self.segment_bytes > s.budget:
            victims = [k for k in s.sizes if k >= self.keep_first and k != s.k]
            if not victims:
                break
            k = min(victims)
            p = segment_path(self.path, s.name, k)
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
            except OSError as exc:
                self._fail(f"delete {p}: {exc}")
                break
            del s.sizes[k]
            self.segments_dropped += 1
            self._dir_dirty = True

    def _fsync(self, fd: int, what: str) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            self._fail(f"{what}: {exc}")

    @staticmethod
    def _close_fd(fd: int) -> None:
        try:
            os.close(fd)
        except OSError:
            pass
