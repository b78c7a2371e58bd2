"""Record bus: the latest record of each kind, one writer each (fsw.records).

Requirements
BUS-001  ``port(kind, writer)`` hands the one writer of a kind its publish
         function; a second writer, or a writer other than ``WRITERS[kind]``,
         is refused at wiring (ValueError), never at run time.
BUS-002  ``latest(kind)`` is the newest record (the kind's INITIAL until the
         first publish); ``fresh(kind, t_s, max_age_s)`` is it only if valid and
         no older than ``max_age_s``, else None.
BUS-003  Deterministic: tasks run in the scheduler's fixed order, so a reader
         sees this tick's record (writer earlier in the order) or the previous
         one - the same every run. No allocation on the bus itself per publish.
"""
from __future__ import annotations

from typing import Callable

from fsw.records import INITIAL, WRITERS


class RecordBus:
    def __init__(self) -> None:
        self._latest: dict[type, object] = dict(INITIAL)
        self._writers: dict[type, str] = {}

    def port(self, kind: type, writer: str) -> Callable[[object], None]:
        """The publish function of ``kind`` for its one writer (BUS-001)."""
        if kind not in WRITERS:
            raise ValueError(f"unknown record kind {kind.__name__}")
        if WRITERS[kind] != writer:
            raise ValueError(f"{kind.__name__} is written by {WRITERS[kind]!r}, not {writer!r}")
        if kind in self._writers:
            raise ValueError(f"{kind.__name__} already has its writer {self._writers[kind]!r}")
        self._writers[kind] = writer
        latest = self._latest

        def publish(record) -> None:
            latest[kind] = record
        return publish

    def release(self, kind: type) -> None:
        """Free a kind's writer slot (a task restarted by fault protection re-wires)."""
        self._writers.pop(kind, None)

    def latest(self, kind: type):
        return self._latest[kind]

    def fresh(self, kind: type, t_s: float, max_age_s: float):
        rec = self._latest[kind]
        if rec.valid and t_s - rec.t_s <= max_age_s + 1e-9:
            return rec
        return None
