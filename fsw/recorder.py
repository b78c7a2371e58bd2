"""Flight recorder: an append-only black box of events and housekeeping.

This module is the writer: the ``Recorder`` (segments, retention, sync); DUMP_RECORDER reads it back
with ``iter_records`` (fsw.downlink.Downlink.start_dump).
The record format, segment naming and the reader (``encode_record``, ``scan``,
``decode_records``, ``read_recorder``, ``list_segments``, ...) are in
``fsw.recorder_format`` and are re-exported here.

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

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import cbor2

# The format and the reader, re-exported: ``from fsw.recorder import scan`` etc. keep working.
from fsw.recorder_format import (CRC_LEN, FRAME_HEADER, HEADER_LEN, MAX_PAYLOAD, NUMBER_MODULO, OVERHEAD, RECORD,
                                 RECORD_HEADER, STREAMS, SYNC, Damaged, Found, _crc16, _frame, decode_records,
                                 encode_record, list_segments, read_recorder, read_stream, scan, segment_path)

__all__ = [
    "Recorder", "DEFAULT_MAX_BYTES", "MAX_SEGMENT_BYTES", "MIN_SEGMENT_BYTES",
    # re-exported from fsw.recorder_format
    "SYNC", "RECORD_HEADER", "RECORD", "FRAME_HEADER", "HEADER_LEN", "CRC_LEN", "OVERHEAD", "MAX_PAYLOAD",
    "NUMBER_MODULO", "STREAMS", "_crc16", "encode_record", "Found", "Damaged", "scan",
    "decode_records", "segment_path", "list_segments", "read_stream", "read_recorder",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_SEGMENT_BYTES = 1024 * 1024
MIN_SEGMENT_BYTES = 1024


# ---- writer ------------------------------------------------------------------------------
@dataclass
class _Stream:
    name: str
    budget: int
    k: int = 0                                         # segment being written
    fd: int | None = None
    sizes: dict[int, int] = field(default_factory=dict)  # index -> octets on disk


class Recorder:
    """The flight recorder (retention and error policy in the module doc, format in ``fsw.recorder_format``).

    ``write(record)`` appends a record; ``run(t_s)`` is the 1 Hz recorder task;
    ``request_sync()`` marks a sync point for it; ``sync()``/``close()`` make
    everything durable now; ``iter_records()`` reads every intact record back.
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
