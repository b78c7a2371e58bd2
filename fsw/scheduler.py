"""Rate-group cooperative scheduler (cf. F Prime ActiveRateGroup, cFS SCH).

Requirements:
  SCH-001  Configuration is validated at construction (ValueError): at least
           one group; every group rate divides the base rate exactly; each
           offset lies within its group's period; budgets are positive; group
           and task names are unique.
  SCH-002  Base tick k (k = 0, 1, 2, ...) runs every group with
           ``k % (base_rate / rate) == offset_ticks``, groups in declared
           order, tasks in declared order, all with ``t_s = clock.now_s()``.
  SCH-003  Each task's execution time is measured on ``timer_ns`` (count,
           max, mean); a group whose execution in one tick exceeds its budget,
           measured on ``budget_timer_ns`` (default: the same clock; SIL: thread
           CPU time), is counted as an overrun and reported (WARNING_HI
           RATE_GROUP_OVERRUN).
  SCH-004  A task that raises is counted and reported (WARNING_HI
           TASK_EXCEPTION); the remaining tasks still run; the scheduler never
           crashes on an ``Exception``.
  SCH-005  A tick whose clock reading is more than one base period after its
           scheduled time ``t0 + k / base_rate`` is a cycle slip: the missed
           ticks are skipped (not burst), each counted, and one WARNING_HI
           CYCLE_SLIP is reported. ``t0`` is the clock reading at tick 0.
  SCH-006  The tick path is lean: the per-tick schedule is precomputed, one
           timer reading per task (plus one budget-clock reading per due group
           when a separate budget clock is given, a second only when the task
           clock already shows the budget exceeded), no allocation or logging on
           the nominal path.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence, runtime_checkable

from fsw.clock import Clock, MonotonicClock
from fsw.events import EventLog, Severity

__all__ = ["Task", "RateGroup", "Scheduler", "SchedulerStats", "TaskStats"]

_MAX_TABLE_LEN = 100_000   # precomputed schedule size limit [ticks]
_RATE_RTOL = 1e-9          # tolerance for "rate divides base rate exactly"
_SLIP_RTOL = 1e-6          # float tolerance on lateness, in base periods


@runtime_checkable
class Task(Protocol):
    """A unit of cooperative work; ``run`` must return promptly."""

    name: str

    def run(self, t_s: float) -> None:
        """Do one cycle of work at clock time ``t_s`` [s]."""
        ...


@dataclass(frozen=True)
class RateGroup:
    """Tasks run together at ``rate_hz`` [Hz] on base tick ``offset_ticks`` of each period."""

    name: str
    rate_hz: float
    tasks: tuple[Task, ...]
    budget_s: float | None = None   # None -> the group's period 1/rate_hz [s]
    offset_ticks: int = 0


@dataclass(frozen=True)
class TaskStats:
    """Execution statistics of one task; times in ms."""

    count: int
    max_ms: float
    mean_ms: float
    errors: int


@dataclass(frozen=True)
class SchedulerStats:
    """Scheduler counters; ``ticks`` counts executed ticks (skipped ones are cycle slips)."""

    ticks: int
    overruns: int
    cycle_slips: int
    task_errors: int
    max_task_ms: float
    per_task: dict[str, TaskStats] = field(default_factory=dict)
    per_group_overruns: dict[str, int] = field(default_factory=dict)


class _TaskSlot:
    """Mutable per-task bookkeeping (internal)."""

    __slots__ = ("name", "run", "max_ns", "total_ns", "errors")

    def __init__(self, task: Task) -> None:
        self.name: str = task.name
        self.run = task.run
        self.max_ns = 0
        self.total_ns = 0
        self.errors = 0


class _GroupSlot:
    """Mutable per-group bookkeeping (internal)."""

    __slots__ = ("name", "divisor", "offset", "budget_ns", "tasks", "runs", "overruns")

    def __init__(self, name: str, divisor: int, offset: int, budget_s: float,
                 tasks: tuple[_TaskSlot, ...]) -> None:
        self.name = name
        self.divisor = divisor
        self.offset = offset
        self.budget_ns = budget_s * 1e9
        self.tasks = tasks
        self.runs = 0
        self.overruns = 0


class Scheduler:
    """Cooperative rate-group executive driven by ``tick()`` once per base period."""

    def __init__(self, clock: Clock, events: EventLog, base_rate_hz: float,
                 groups: Sequence[RateGroup],
                 timer_ns: Callable[[], int] = time.perf_counter_ns,
                 budget_timer_ns: Callable[[], int] | None = None) -> None:
        """Validate the configuration and precompute the tick schedule (ValueError if invalid)."""
        if not (isinstance(base_rate_hz, (int, float)) and math.isfinite(base_rate_hz)
                and base_rate_hz > 0):
            raise ValueError(f"base_rate_hz must be a finite rate > 0 Hz, got {base_rate_hz!r}")
        groups = tuple(groups)
        if not groups:
            raise ValueError("scheduler needs at least one rate group")
        self._clock = clock
        self._events = events
        self._timer_ns = timer_ns
        self._budget_timer_ns = budget_timer_ns
        self.base_rate_hz = float(base_rate_hz)
        self.period_s = 1.0 / self.base_rate_hz
        self._groups = tuple(self._build_group(g, self.base_rate_hz) for g in groups)
        self._check_unique([g.name for g in self._groups], "rate group")
        self._check_unique([t.name for g in self._groups for t in g.tasks], "task")
        self._tasks = tuple(t for g in self._groups for t in g.tasks)

        table_len = math.lcm(*(g.divisor for g in self._groups))
        self._table_len = table_len
        self._table: list[tuple[_GroupSlot, ...]] | None = None
        if table_len <= _MAX_TABLE_LEN:
            self._table = [tuple(g for g in self._groups if i % g.divisor == g.offset)
                           for i in range(table_len)]

        self._k = 0                      # index of the next tick
        self._t0_s: float | None = None  # clock reading at tick 0 [s]
        self._slip_threshold_s = self.period_s * (1.0 + _SLIP_RTOL)
        self._overruns = 0
        self._cycle_slips = 0

    @staticmethod
    def _build_group(group: RateGroup, base_rate_hz: float) -> _GroupSlot:
        name = group.name
        if not isinstance(name, str) or not name:
            raise ValueError(f"rate group name must be a non-empty string, got {name!r}")
        rate = group.rate_hz
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate group {name!r}: rate_hz must be > 0 Hz, got {rate!r}")
        ratio = base_rate_hz / rate
        divisor = round(ratio)
        if divisor < 1 or abs(ratio - divisor) > _RATE_RTOL * ratio:
            raise ValueError(
                f"rate group {name!r}: rate {rate:g} Hz does not divide the base rate "
                f"{base_rate_hz:g} Hz exactly (base/rate = {ratio:g}, must be an integer >= 1)")
        offset = group.offset_ticks
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < divisor:
            raise ValueError(
                f"rate group {name!r}: offset_ticks must be an integer in [0, {divisor - 1}] "
                f"(its period is {divisor} base ticks), got {offset!r}")
        budget_s = 1.0 / rate if group.budget_s is None else group.budget_s
        if not (isinstance(budget_s, (int, float)) and math.isfinite(budget_s) and budget_s > 0):
            raise ValueError(f"rate group {name!r}: budget_s must be > 0 s, got {budget_s!r}")
        slots = []
        for task in tuple(group.tasks):
            task_name = getattr(task, "name", None)
            if not isinstance(task_name, str) or not task_name:
                raise ValueError(f"rate group {name!r}: task {task!r} has no string 'name'")
            if not callable(getattr(task, "run", None)):
                raise ValueError(f"rate group {name!r}: task {task_name!r} has no run(t_s) method")
            slots.append(_TaskSlot(task))
        return _GroupSlot(name, divisor, offset, float(budget_s), tuple(slots))

    @staticmethod
    def _check_unique(names: list[str], what: str) -> None:
        seen: set[str] = set()
        dups = sorted({n for n in names if n in seen or seen.add(n)})
        if dups:
            raise ValueError(f"duplicate {what} name(s): {', '.join(map(repr, dups))}")

    # -- executive ----------------------------------------------------------
    def tick(self) -> None:
        """Run the groups due at this base tick; call once per period after setting the clock."""
        t_s = self._clock.now_s()
        k = self._k
        t0_s = self._t0_s
        if t0_s is None:
            self._t0_s = t_s
        elif t_s - t0_s - k / self.base_rate_hz > self._slip_threshold_s:
            k = self._slip(k, t_s - t0_s - k / self.base_rate_hz)
        self._k = k + 1
        table = self._table
        if table is not None:
            due = table[k % self._table_len]
        else:
            due = tuple(g for g in self._groups if k % g.divisor == g.offset)
        if not due:
            return
        timer = self._timer_ns
        budget_timer = self._budget_timer_ns
        t_prev = timer()
        for group in due:
            t_start = t_prev
            if budget_timer is not None:
                b_start = budget_timer()
            for slot in group.tasks:
                try:
                    slot.run(t_s)
                except Exception as exc:  # noqa: BLE001 - SCH-004
                    t_prev = self._task_failed(slot, group, exc, t_prev)
                    continue
                t_next = timer()
                dt = t_next - t_prev
                slot.total_ns += dt
                if dt > slot.max_ns:
                    slot.max_ns = dt
                t_prev = t_next
            group.runs += 1
            if t_prev - t_start > group.budget_ns:
                # Over on the task clock; the budget clock (CPU time) decides.
                exec_ns = t_prev - t_start if budget_timer is None else budget_timer() - b_start
                if exec_ns > group.budget_ns:
                    t_prev = self._overrun(group, exec_ns, k)

    def _slip(self, k: int, late_s: float) -> int:
        """Skip the ticks whose time has passed; returns the index of the tick to run now."""
        skipped = int(late_s * self.base_rate_hz + _SLIP_RTOL)
        self._cycle_slips += skipped
        self._events.emit(
            Severity.WARNING_HI, "CYCLE_SLIP",
            f"tick {k} ran {late_s * 1e3:.3f} ms late; skipped {skipped} tick(s)",
            tick=k, late_ms=late_s * 1e3, skipped=skipped)
        return k + skipped

    def _task_failed(self, slot: _TaskSlot, group: _GroupSlot, exc: Exception,
                     t_prev: int) -> int:
        dt = self._timer_ns() - t_prev
        slot.total_ns += dt
        if dt > slot.max_ns:
            slot.max_ns = dt
        slot.errors += 1
        self._events.emit(
            Severity.WARNING_HI, "TASK_EXCEPTION",
            f"task {slot.name} in rate group {group.name} raised {type(exc).__name__}: {exc}",
            task=slot.name, group=group.name, error=f"{type(exc).__name__}: {exc}")
        return self._timer_ns()

    def _overrun(self, group: _GroupSlot, exec_ns: int, k: int) -> int:
        self._overruns += 1
        group.overruns += 1
        exec_ms = exec_ns * 1e-6
        budget_ms = group.budget_ns * 1e-6
        self._events.emit(
            Severity.WARNING_HI, "RATE_GROUP_OVERRUN",
            f"rate group {group.name} took {exec_ms:.3f} ms, budget {budget_ms:.3f} ms",
            group=group.name, exec_ms=exec_ms, budget_ms=budget_ms, tick=k)
        return self._timer_ns()

    def run_realtime(self, clock: MonotonicClock, should_stop: Callable[[], bool]) -> None:
        """Flight loop: sleep until each tick's scheduled time, then ``tick()``.

        ``clock`` must be the scheduler's own clock. Ticks missed by waking more
        than one period late are skipped and counted as cycle slips (SCH-005).
        ``should_stop`` is polled once per tick, before it runs.
        """
        if clock is not self._clock:
            raise ValueError("run_realtime: clock must be the clock the Scheduler was built with")
        sleep_until = clock.sleep_until
        while not should_stop():
            if self._t0_s is not None:
                sleep_until(self._t0_s + self._k / self.base_rate_hz)
                if should_stop():
                    return
            self.tick()

    def replace_task(self, name: str, task: Task) -> None:
        """Swap the task object run in slot ``name`` (its counters carry on); KeyError if unknown."""
        for slot in self._tasks:
            if slot.name == name:
                slot.run = task.run
                return
        raise KeyError(name)

    # -- reporting ----------------------------------------------------------
    @property
    def tick_index(self) -> int:
        """Index k of the next tick to run."""
        return self._k

    def stats(self) -> SchedulerStats:
        """Snapshot of the counters."""
        per_task: dict[str, TaskStats] = {}
        for group in self._groups:
            runs = group.runs
            for slot in group.tasks:
                per_task[slot.name] = TaskStats(
                    count=runs,
                    max_ms=slot.max_ns * 1e-6,
                    mean_ms=slot.total_ns * 1e-6 / runs if runs else 0.0,
                    errors=slot.errors)
        return SchedulerStats(
            ticks=self._k - self._cycle_slips,
            overruns=self._overruns,
            cycle_slips=self._cycle_slips,
            task_errors=sum(s.errors for s in self._tasks),
            max_task_ms=max((s.max_ms for s in per_task.values()), default=0.0),
            per_task=per_task,
            per_group_overruns={g.name: g.overruns for g in self._groups})
