"""The verdict of a flight: ``landed``, ``safe_abort`` or ``failed``, and every reason why not.

The rule is the "Run outputs" contract of ARCHITECTURE.md (``result``) and issue 8
item 8. It is judged on facts, most of them simulator truth, never on the flight
software's own estimates; the SIL (tools/sil.py) gathers the facts, and Monte Carlo
(tools/montecarlo/) takes its result from the SIL summary, so both judge alike.

Requirements
1. Pure: ``judge(facts, envelope)`` takes the facts of a finished run and returns
   ``(result, failure_reasons)``; no I/O, no clock, no simulator. Same facts, same
   answer, reasons in a fixed order.
2. ``landed`` only if all of:
   a. the capsule splashed (truth) and the flight software reached ``LANDED``;
   b. the vertical splash speed is at most ``SPLASH_SPEED_LIMIT_MPS``;
   c. every drogue and main firing (each pulse, repeated ones too) happened inside
      the deployment envelope of ``config/vehicle.yaml`` (truth Mach, dynamic
      pressure and altitude at the pulse): drogue Mach in [mach_min, mach_max] and
      q <= q_max_pa; main altitude in [alt_min_m, alt_max_m], Mach <= mach_max and
      q <= q_max_pa;
   c2. no canopy failed (the simulator tears one opened above its rating:
      ``chutes.*.fail_mach`` / ``fail_q_pa`` of config/vehicle.yaml);
   d. no pyro channel fired more than once;
   e. every pulse was in a phase its channel allows (``fsw.pyro.ALLOWED_PHASES``);
      a pulse in an unknown phase is not shown to be allowed, so it is a violation;
   f. the main canopy was released (``main_release`` pulse) only at or after the
      truth splashdown time;
   g. at least one beacon report was delivered at or after the truth splashdown
      (reports under the canopies tell where the capsule was going, not that
      its beacon works afloat);
   h. no task raised (flight event ``TASK_EXCEPTION``).
3. ``safe_abort`` when there was no splashdown, the flight software ended in
   ``SAFE``, and none of c-f, h occurred (b, g and a need a splashdown).
4. Otherwise ``failed``.
5. ``failure_reasons`` names every violation with its numbers (e.g. "drogue fired
   at Mach 9.80, above the envelope's 2.00"), every task exception, and, when the
   result is not ``landed``, every monitor response (flight event
   ``MONITOR_RESPONSE``, fields ``monitor`` and ``response``). A landed run's
   monitor responses are anomalies, not failures: a monitor that caught a fault
   and saved the flight is the design working.
6. Repeats are summarised, not listed one by one (a task that raises every tick
   for an hour would otherwise give 180 000 lines): task exceptions by task and
   exception type, monitor responses by monitor and response, each with a count
   and the first time. ``anomalies(facts)`` gives those lines whatever the result
   (summary key ``anomalies``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fsw.pyro import ALLOWED_PHASES

#: Vertical splash speed above which a landing counts as failed, m/s (issue 2: splash at
#: most 10 m/s). Water-entry loads are set by the vertical component; the horizontal
#: drift with the surface wind is reported (``splashdown.speed_mps``) but not judged.
SPLASH_SPEED_LIMIT_MPS = 10.0

LANDED, SAFE_ABORT, FAILED = "landed", "safe_abort", "failed"
#: Channel order of the double-fire reasons (fsw.pyro.CHANNELS).
_CHANNEL_ORDER = ("drogue", "main", "main_release", "float")


# ---- the envelope -------------------------------------------------------------------------
@dataclass(frozen=True)
class DrogueEnvelope:
    mach_min: float
    mach_max: float
    q_max_pa: float


@dataclass(frozen=True)
class MainEnvelope:
    alt_min_m: float
    alt_max_m: float
    mach_max: float
    q_max_pa: float


@dataclass(frozen=True)
class Envelope:
    """Deployment envelope (config/vehicle.yaml ``deployment_envelope``; units and sources there)."""
    drogue: DrogueEnvelope
    main: MainEnvelope

    @classmethod
    def from_vehicle(cls, vehicle: dict) -> "Envelope":
        """From a validated vehicle mapping (sim/vehicle_schema.py)."""
        e = vehicle["deployment_envelope"]
        return cls(DrogueEnvelope(**e["drogue"]), MainEnvelope(**e["main"]))


# ---- the facts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PyroPulse:
    """One firing pulse of a pyro channel (the pyro board's log), with the flight phase it was
    commanded in (None: unknown) and, for drogue and main, truth at the pulse."""
    channel: str
    t_s: float
    phase: str | None
    mach: float | None = None
    q_pa: float | None = None
    alt_m: float | None = None


@dataclass(frozen=True)
class Splash:
    """Truth splashdown."""
    t_s: float
    vertical_speed_mps: float


@dataclass(frozen=True)
class Repeated:
    """Occurrences of one kind of anomaly: ``what`` (task and exception, or monitor), ``detail``
    (the first message, or the response), how many and the first time."""
    what: str
    detail: str
    count: int
    first_t_s: float


@dataclass(frozen=True)
class RunFacts:
    t_end_s: float                      # simulated time at the end of the run
    final_phase: str                    # flight software phase at the end
    reached_landed: bool                # the flight software was ever in LANDED
    splash: Splash | None
    pulses: tuple[PyroPulse, ...]       # in time order
    beacon_reports: int                 # beacon reports delivered at or after the splash (Iridium gateway side)
    task_exceptions: tuple[Repeated, ...] = field(default=())    # what = "task <name>", detail = first "Type: msg"
    monitor_responses: tuple[Repeated, ...] = field(default=())  # what = monitor, detail = response
    canopy_failures: tuple[tuple[str, str], ...] = field(default=())  # (canopy, why): opened above its rating


# ---- the rule -----------------------------------------------------------------------------
def _num(x: float, limit: float, nd: int) -> tuple[str, str]:
    """``x`` and ``limit`` with ``nd`` decimals, or more (up to 6) until they read differently."""
    while nd < 6 and f"{x:.{nd}f}" == f"{limit:.{nd}f}" and x != limit:
        nd += 1
    return f"{x:.{nd}f}", f"{limit:.{nd}f}"


def _outside(label: str, value: float, lo: float | None, hi: float | None, fmt) -> str | None:
    if hi is not None and value > hi:
        v, h = fmt(value, hi)
        return f"{label} {v}, above the envelope's {h}"
    if lo is not None and value < lo:
        v, l_ = fmt(value, lo)
        return f"{label} {v}, below the envelope's {l_}"
    return None


def _mach(x, lim):
    return _num(x, lim, 2)


def _pa(x, lim):
    v, l_ = _num(x, lim, 0)
    return v + " Pa", l_ + " Pa"


def _m(x, lim):
    v, l_ = _num(x, lim, 0)
    return v + " m", l_ + " m"


def envelope_violations(p: PyroPulse, env: Envelope) -> list[str]:
    """Reasons a drogue or main pulse lies outside the envelope (empty: inside, or another channel)."""
    if p.channel == "drogue":
        checks = [("Mach", p.mach, env.drogue.mach_min, env.drogue.mach_max, _mach),
                  ("q", p.q_pa, None, env.drogue.q_max_pa, _pa)]
    elif p.channel == "main":
        checks = [("Mach", p.mach, None, env.main.mach_max, _mach),
                  ("altitude", p.alt_m, env.main.alt_min_m, env.main.alt_max_m, _m),
                  ("q", p.q_pa, None, env.main.q_max_pa, _pa)]
    else:
        return []
    out = []
    for label, value, lo, hi, fmt in checks:
        if value is None:
            out.append(f"{p.channel} fired at t = {p.t_s:.1f} s with no truth {label} recorded")
            continue
        r = _outside(label, value, lo, hi, fmt)
        if r is not None:
            out.append(f"{p.channel} fired at {r} (t = {p.t_s:.1f} s)")
    return out


def _allowed(allowed_phases) -> dict[str, tuple[str, ...]]:
    return {ch: tuple(getattr(ph, "value", ph) for ph in phases) for ch, phases in allowed_phases.items()}


def _repeated_line(r: Repeated, kind: str) -> str:
    times = "once" if r.count == 1 else f"{r.count} times"
    if kind == "task":
        return f"{r.what} raised {r.detail} ({times}, first at t = {r.first_t_s:.2f} s)"
    return f"monitor {r.what}: response {r.detail} ({times}, first at t = {r.first_t_s:.2f} s)"


def anomalies(facts: RunFacts) -> list[str]:
    """Every task exception and monitor response, whatever the result, in order of first time."""
    lines = [(r.first_t_s, 0, _repeated_line(r, "task")) for r in facts.task_exceptions]
    lines += [(r.first_t_s, 1, _repeated_line(r, "monitor")) for r in facts.monitor_responses]
    return [text for _, _, text in sorted(lines)]


def judge(facts: RunFacts, envelope: Envelope, allowed_phases=ALLOWED_PHASES) -> tuple[str, list[str]]:
    """(result, failure_reasons) of a run: the rule in this module's docstring."""
    allowed = _allowed(allowed_phases)
    sp = facts.splash
    landing: list[str] = []          # violations that only a splashed run can have (a, b, g)
    always: list[str] = []           # violations that rule out landed and safe_abort alike (c-f, h)
    if sp is not None:
        if not facts.reached_landed:
            landing.append(f"splashdown not detected by the flight software (phase {facts.final_phase})")
        if sp.vertical_speed_mps > SPLASH_SPEED_LIMIT_MPS:
            v, lim = _num(sp.vertical_speed_mps, SPLASH_SPEED_LIMIT_MPS, 1)
            landing.append(f"vertical splash speed {v} m/s, above {lim} m/s")
    for p in facts.pulses:                                              # c: envelope
        always += envelope_violations(p, envelope)
    always += [f"{ch} canopy failed: {why}" for ch, why in facts.canopy_failures]
    for ch in sorted({p.channel for p in facts.pulses},                 # d: once only
                     key=lambda c: (_CHANNEL_ORDER.index(c) if c in _CHANNEL_ORDER else 99, c)):
        ts = [p.t_s for p in facts.pulses if p.channel == ch]
        if len(ts) > 1:
            always.append(f"pyro {ch} fired {len(ts)} times (t = " + ", ".join(f"{t:.1f}" for t in ts) + " s)")
    for p in facts.pulses:                                              # e: allowed phase
        ok = allowed.get(p.channel, ())
        if p.phase is None or p.phase not in ok:
            where = "in an unknown phase" if p.phase is None else f"in {p.phase}"
            always.append(f"pyro {p.channel} fired {where} at t = {p.t_s:.1f} s; allowed only in "
                          + (", ".join(ok) if ok else "no phase"))
    for p in facts.pulses:                                              # f: release after splash
        if p.channel != "main_release":
            continue
        if sp is None:
            always.append(f"main canopy released at t = {p.t_s:.1f} s with no splashdown")
        elif p.t_s < sp.t_s:
            always.append(f"main canopy released at t = {p.t_s:.1f} s, {sp.t_s - p.t_s:.1f} s before splashdown")
    if sp is not None and facts.beacon_reports < 1:                     # g: beacon
        landing.append("no beacon report delivered after splashdown")
    always += [_repeated_line(r, "task") for r in sorted(facts.task_exceptions, key=lambda r: (r.first_t_s, r.what))]

    if sp is not None and not landing and not always:
        return LANDED, []
    reasons = landing + always
    if sp is None and facts.final_phase == "SAFE" and not always:
        result = SAFE_ABORT
    else:
        result = FAILED
        if sp is None:
            reasons.append(f"no splashdown by t = {facts.t_end_s:.0f} s (phase {facts.final_phase})")
    reasons += [_repeated_line(r, "monitor") for r in sorted(facts.monitor_responses, key=lambda r: (r.first_t_s, r.what))]
    return result, reasons


class AnomalyLog:
    """Gathers task exceptions and monitor responses as they happen, summarised per
    requirement 6 (a task by its name and exception type; a monitor by name and response)."""

    def __init__(self):
        self._tasks: dict[tuple[str, str], list] = {}
        self._monitors: dict[tuple[str, str], list] = {}

    @staticmethod
    def _add(table: dict, key: tuple[str, str], t_s: float, what: str, detail: str) -> None:
        row = table.get(key)
        if row is None:
            table[key] = [what, detail, 1, t_s]
        else:
            row[2] += 1

    def task_exception(self, t_s: float, task: str, error: str) -> None:
        """One TASK_EXCEPTION event (``error``: "Type: message")."""
        self._add(self._tasks, (task, error.split(":", 1)[0]), t_s, f"task {task}", error)

    def monitor_response(self, t_s: float, monitor: str, response: str) -> None:
        """One MONITOR_RESPONSE event."""
        self._add(self._monitors, (monitor, response), t_s, monitor, response)

    def task_exceptions(self) -> tuple[Repeated, ...]:
        return tuple(Repeated(*row) for row in self._tasks.values())

    def monitor_responses(self) -> tuple[Repeated, ...]:
        return tuple(Repeated(*row) for row in self._monitors.values())
