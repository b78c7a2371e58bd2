"""Beacon policy tables: what to do after each +SBDIX outcome, and the report
period the battery allows (no I/O).

Requirements
1. Every MO status of ``+SBDIX`` (REFERENCES.md, Iridium ISU AT command
   reference) falls in one class of ``MO_STATUS``; a code not listed is
   ``transient``. Each class has one response (``RESPONSES``):
   - ``sent`` (0-4): the next report after the period;
   - ``transient`` (gateway, RF and network failures): retry after
     ``beacon.retry_s`` doubled on each consecutive failure, up to the report
     period and ``beacon.retry_max_s`` (a failed report is retried before the
     next one was due, never after);
   - ``wait`` (36: wait 3 min since the last registration, 38: traffic
     management): retry after 180 s, or the backoff if that is longer;
   - ``antenna`` (33 antenna fault, 34 radio disabled): the backoff, and a
     warning, once (a wave over the antenna passes; Beagle 2's covered one
     did not, so it never stops trying);
   - ``message`` (12 too many segments, 14 invalid size): this message is
     refused: dropped, a fresh report at the backoff;
   - ``locked`` (15 access denied, 16 ISU locked, 37 service disabled): retry
     after ``beacon.retry_max_s`` (common libraries give up on 12, 14, 16;
     a beacon must not).
2. ``budget_period_s``: the battery energy left above the reserve, spread over
   the time left of the endurance, pays the sleep load and the wakes; the
   budget period is the shortest mean time between wakes it allows, at most
   ``beacon.max_period_s``; reports go at it or ``beacon.period_s``, the
   longer. Past the endurance the budget is spread over
   another endurance: the beacon paces itself to last, it does not spend out.
3. ``WakeCredit``: the budget period is a mean, spent as a credit of wakes
   (a token bucket): credit accrues at one wake per budget period up to
   ``beacon.burst_wakes``; each wake (signal check, failed or good session)
   costs one; a wake waits for a whole one. So retries after a failure can
   come at the backoff while credit lasts (a fresh splashdown starts full),
   and over hours the wakes never outrun the budget.
"""
from __future__ import annotations

from dataclasses import dataclass

#: +SBDIX MO status -> class (requirement 1); 0-4 are "sent".
MO_STATUS = {
    **{c: "sent" for c in range(5)},
    10: "transient",   # gateway reported the call did not complete in the time allowed
    11: "transient",   # MO message queue at the gateway full
    12: "message",     # MO message has too many segments
    13: "transient",   # gateway reported the session did not complete
    14: "message",     # invalid segment size
    15: "locked",      # access denied
    16: "locked",      # ISU locked, may not make SBD calls
    17: "transient",   # gateway not responding (local session timeout)
    18: "transient",   # connection lost (RF drop)
    19: "transient",   # link failure (protocol error caused termination)
    32: "transient",   # no network service
    33: "antenna",     # antenna fault
    34: "antenna",     # radio disabled
    35: "transient",   # ISU busy
    36: "wait",        # try later: 3 minutes since the last registration
    37: "locked",      # SBD service temporarily disabled
    38: "wait",        # try later: traffic management period
}
#: Fixed wait of the "wait" class, s (36: "must wait 3 minutes since last registration").
WAIT_S = 180.0


def status_class(mo_status: int) -> str:
    return MO_STATUS.get(mo_status, "transient")


def backoff_s(failures: int, retry_s: float, retry_max_s: float) -> float:
    """Retry delay after ``failures`` consecutive failed sessions (>= 1), s."""
    return min(retry_max_s, retry_s * 2.0 ** min(max(failures - 1, 0), 30))


def retry_after_s(cls: str, failures: int, retry_s: float, cap_s: float, locked_s: float) -> float:
    """Requirement 1: the wait before the next session after a failure of class ``cls``: the
    backoff from ``retry_s`` capped at ``cap_s``; ``locked_s`` for a locked modem."""
    if cls == "locked":
        return locked_s
    b = backoff_s(failures, retry_s, cap_s)
    return max(WAIT_S, b) if cls == "wait" else b


def budget_period_s(energy_wh: float, reserve_wh: float, time_left_s: float, sleep_w: float, report_wh: float,
                    max_period_s: float) -> float:
    """Requirement 2: the mean time between wakes, s, that keeps the beacon alive for
    ``time_left_s`` (> 0), at most ``max_period_s``; the report period is the larger of it
    and ``beacon.period_s``."""
    spare_w = (energy_wh - reserve_wh) * 3600.0 / time_left_s - sleep_w
    if spare_w <= 0.0:
        return max_period_s
    return min(max_period_s, report_wh * 3600.0 / spare_w)


@dataclass
class WakeCredit:
    """Requirement 3 (times in s, credit in wakes)."""
    capacity: float
    credit: float
    t_s: float

    def accrue(self, t_s: float, period_s: float) -> None:
        if t_s > self.t_s:
            self.credit = min(self.capacity, self.credit + (t_s - self.t_s) / period_s)
            self.t_s = t_s

    def spend(self) -> None:
        self.credit -= 1.0

    def wait_s(self, period_s: float) -> float:
        """Time until a whole wake is available at the present budget period."""
        return max(0.0, (1.0 - self.credit) * period_s)
