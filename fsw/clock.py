"""Flight-software time sources.

Requirements:
  CLK-001  Flight logic obtains time only from a ``Clock`` handed to it, as
           seconds since application start (``now_s``); it never reads the
           wall clock.
  CLK-002  ``SimClock`` is advanced explicitly by the simulator executive, in
           lockstep with the simulation; it never runs backwards.
  CLK-003  ``MonotonicClock`` reads the host monotonic clock (immune to wall
           clock steps), is zero at construction, and can sleep until an
           absolute time on its own time base.
"""

from __future__ import annotations

import math
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SimClock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells flight software the time."""

    def now_s(self) -> float:
        """Seconds since application start [s]."""
        ...


class SimClock:
    """Simulated clock, set by the simulator executive (SIL)."""

    __slots__ = ("_t_s",)

    def __init__(self, t0_s: float = 0.0) -> None:
        """Start at ``t0_s`` [s]."""
        t0_s = float(t0_s)
        if not math.isfinite(t0_s):
            raise ValueError(f"SimClock t0_s must be finite, got {t0_s!r}")
        self._t_s = t0_s

    def now_s(self) -> float:
        """Current simulated time [s]."""
        return self._t_s

    def advance_to(self, t_s: float) -> None:
        """Set the time to ``t_s`` [s]; ValueError if earlier than now or not finite."""
        t_s = float(t_s)
        if not t_s >= self._t_s:  # also rejects NaN
            raise ValueError(
                f"SimClock cannot run backwards: advance_to({t_s!r}) < now {self._t_s!r}")
        if t_s == math.inf:
            raise ValueError("SimClock cannot advance to infinity")
        self._t_s = t_s

    def advance_by(self, dt_s: float) -> None:
        """Advance the time by ``dt_s`` >= 0 [s]."""
        self.advance_to(self._t_s + dt_s)

    def __repr__(self) -> str:
        return f"SimClock(t_s={self._t_s!r})"


class MonotonicClock:
    """Real clock from ``time.monotonic()``, zero at construction (flight)."""

    __slots__ = ("_epoch_s",)

    def __init__(self) -> None:
        self._epoch_s = time.monotonic()

    def now_s(self) -> float:
        """Seconds since construction [s]."""
        return time.monotonic() - self._epoch_s

    def sleep_until(self, t_s: float) -> None:
        """Sleep until ``now_s() >= t_s`` [s]; returns at once if already past."""
        while True:
            remaining_s = t_s - (time.monotonic() - self._epoch_s)
            if remaining_s <= 0.0:
                return
            time.sleep(remaining_s)

    def __repr__(self) -> str:
        return f"MonotonicClock(now_s={self.now_s():.6f})"
