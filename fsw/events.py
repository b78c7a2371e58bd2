"""Flight event log (F Prime style events).

Requirements:
  EVT-001  Each event carries the clock time [s], a severity (F Prime's six
           levels), an UPPER_SNAKE name, a human message and JSON-able
           scalar data.
  EVT-002  Events are time-stamped from the injected Clock, never the wall
           clock.
  EVT-003  Each event name is throttled: at most ``throttle_limit`` events of
           one name per ``throttle_window_s`` of clock time; the excess is
           dropped and counted, and once that name's window has closed one
           WARNING_LO ``EVENTS_THROTTLED`` event reports how many were dropped.
  EVT-004  Subscribers receive every emitted event, in emission order; a
           subscriber that raises is counted and never breaks the emitter.
  EVT-005  Memory is bounded: the history is a bounded deque.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Callable

from fsw.clock import Clock

__all__ = ["Severity", "Event", "EventLog", "THROTTLE_EVENT_NAME"]

THROTTLE_EVENT_NAME = "EVENTS_THROTTLED"
_NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_SCALARS = (str, int, float, bool, type(None))


class Severity(IntEnum):
    """F Prime event severities, increasing with urgency."""

    DIAGNOSTIC = 0
    ACTIVITY_LO = 1
    ACTIVITY_HI = 2
    WARNING_LO = 3
    WARNING_HI = 4
    FATAL = 5


@dataclass(frozen=True, slots=True)
class Event:
    """One emitted event; ``t_s`` is clock time [s]."""

    t_s: float
    severity: Severity
    name: str
    message: str
    data: dict

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for ``json.dumps`` (severity as its name)."""
        return {
            "t_s": self.t_s,
            "severity": self.severity.name,
            "name": self.name,
            "message": self.message,
            "data": dict(self.data),
        }


def _scalar(value: Any) -> Any:
    """Coerce an event data value to a plain JSON scalar."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    try:  # numpy scalars and the like
        f = float(value)
    except (TypeError, ValueError):
        return repr(value)
    return f


class EventLog:
    """Time-stamped, throttled, bounded event log with subscribers."""

    def __init__(self, clock: Clock, throttle_limit: int = 20,
                 throttle_window_s: float = 10.0, history_maxlen: int = 10000) -> None:
        """``throttle_limit`` events per name per ``throttle_window_s`` [s] of clock time."""
        if int(throttle_limit) != throttle_limit or throttle_limit < 1:
            raise ValueError(f"throttle_limit must be an integer >= 1, got {throttle_limit!r}")
        if not (math.isfinite(throttle_window_s) and throttle_window_s > 0.0):
            raise ValueError(f"throttle_window_s must be > 0 s, got {throttle_window_s!r}")
        if int(history_maxlen) != history_maxlen or history_maxlen < 1:
            raise ValueError(f"history_maxlen must be an integer >= 1, got {history_maxlen!r}")
        self._clock = clock
        self.throttle_limit = int(throttle_limit)
        self.throttle_window_s = float(throttle_window_s)
        self.history: deque[Event] = deque(maxlen=int(history_maxlen))
        self.counts: dict[str, int] = {}
        """Events emitted, by name."""
        self.suppressed: dict[str, int] = {}
        """Events dropped by throttling, by name (cumulative)."""
        self.subscriber_errors = 0
        """Exceptions raised by subscriber callbacks (swallowed)."""
        self._subscribers: list[Callable[[Event], None]] = []
        self._known_names: set[str] = {THROTTLE_EVENT_NAME}
        self._win_start_s: dict[str, float] = {}
        self._win_count: dict[str, int] = {}
        self._pending: dict[str, int] = {}  # dropped since last EVENTS_THROTTLED report
        self._next_report_s = math.inf       # earliest close of a window with drops

    # -- subscription -------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` for every emitted event, in order."""
        if not callable(callback):
            raise TypeError(f"subscriber must be callable, got {callback!r}")
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        """Stop calling ``callback``; ValueError if not subscribed."""
        self._subscribers.remove(callback)

    # -- emission -----------------------------------------------------------
    def emit(self, severity: Severity, name: str, message: str, **data: Any) -> Event | None:
        """Emit an event stamped with ``clock.now_s()``; None if throttled."""
        t_s = self._clock.now_s()
        if self._pending and t_s >= self._next_report_s:
            self._report_throttled(t_s)
        if name not in self._known_names:
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise ValueError(f"event name must be UPPER_SNAKE, got {name!r}")
            self._known_names.add(name)
        start_s = self._win_start_s.get(name)
        if start_s is None or t_s - start_s >= self.throttle_window_s:
            self._win_start_s[name] = t_s
            self._win_count[name] = 1
        else:
            n = self._win_count[name]
            if n >= self.throttle_limit:
                self.suppressed[name] = self.suppressed.get(name, 0) + 1
                self._pending[name] = self._pending.get(name, 0) + 1
                close_s = start_s + self.throttle_window_s
                if close_s < self._next_report_s:
                    self._next_report_s = close_s
                return None
            self._win_count[name] = n + 1
        return self._publish(t_s, severity, name, message, data)

    def flush(self) -> int:
        """Report drops for every throttle window already closed; returns reports emitted.

        Reports are also made lazily by ``emit``; call this periodically (e.g.
        from a 1 Hz task) so a name that falls silent is still reported.
        """
        if not self._pending:
            return 0
        t_s = self._clock.now_s()
        if t_s < self._next_report_s:
            return 0
        return self._report_throttled(t_s)

    def _report_throttled(self, t_s: float) -> int:
        window_s = self.throttle_window_s
        due = [n for n in self._pending if self._win_start_s[n] + window_s <= t_s]
        for name in due:
            dropped = self._pending.pop(name)
            self._publish(t_s, Severity.WARNING_LO, THROTTLE_EVENT_NAME,
                          f"{dropped} {name} event(s) suppressed in the last {window_s:g} s",
                          {"event": name, "suppressed": dropped, "window_s": window_s})
        self._next_report_s = min(
            (self._win_start_s[n] + window_s for n in self._pending), default=math.inf)
        return len(due)

    def _publish(self, t_s: float, severity: Severity, name: str, message: str,
                 data: dict) -> Event:
        for value in data.values():
            if type(value) not in _SCALARS:
                data = {k: _scalar(v) for k, v in data.items()}
                break
        event = Event(t_s, Severity(severity), name, str(message), data)
        self.counts[name] = self.counts.get(name, 0) + 1
        self.history.append(event)
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a bad subscriber must not break flight code
                self.subscriber_errors += 1
        return event
