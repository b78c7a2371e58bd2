"""Fault catalogue (issue 8, item 9): fly every scenario of ``config/scenarios/faults/``
and judge each against the expected outcome its file states (``expect:``).

Requirements
1. Every catalogue file is a scenario (sim/scenario.py) with an ``expect:`` mapping;
   a file without one, or with a bad one, is an input error (``ConfigError``), found
   before anything flies.
2. ``check(expect, summary, events)`` is pure: it returns the failed expectations as
   one-line texts (empty: the run met every one). The run's own ``failure_reasons``
   are not expectations; they are reported beside them (``Outcome.reasons``).
3. ``run_catalogue`` flies the scenarios in worker processes, at most ``workers`` at
   once, each into ``out_root/<name>/``. A scenario that raises, kills its worker or
   overruns ``timeout_s`` is a failed outcome with a one-line reason (the traceback,
   if any, in ``<name>/traceback.txt``); the others go on.
4. Nothing here prints: ``tools/cmd_catalogue.py`` is the command line.

Expectation keys (the schema is ``sim.scenario.EXPECT``):
  result            summary ``result`` (``landed`` | ``safe_abort`` | ``failed``; ``failed``
                    means "no landing, by design": a capsule kept on the station)
  pyro_fired        exactly these channels fired, each exactly once ([]: none)
  phases_include    phases entered (summary ``phases``)
  phases_exclude    phases never entered
  events_include    flight event names that occur in events.jsonl
  events_exclude    flight event names that never occur
  deorbit_burn      true: a deorbit burn ignited; false: none did
  burn_dv_tol_pct   the burn's truth dv within this % of its target
"""
from __future__ import annotations

import fnmatch
import json
import multiprocessing as mp
import signal
import time
import traceback
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait as mp_wait
from pathlib import Path

from fsw.schema import ConfigError

#: The catalogue: one scenario per file.
CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "config" / "scenarios" / "faults"
DEFAULT_WORKERS = 2
#: Wall-clock limit of one scenario, s (a full mission takes ~15-40 s; a hung flight
#: app must not hang the catalogue or CI).
TIMEOUT_S = 900.0
#: Preloaded by the forkserver, so each scenario's process starts ready.
PRELOAD = ["tools.catalogue", "tools.sil", "sim.scenario"]
#: Longest one-line reason kept from an exception.
MAX_REASON = 300


@dataclass(frozen=True)
class Entry:
    """A validated catalogue scenario."""
    name: str
    path: str
    expect: dict
    faults: tuple = ()


@dataclass
class Outcome:
    """How one catalogue scenario went."""
    name: str
    path: str
    expected: str                    # expect.result
    got: str                         # summary result, or "error" / "crashed" / "timeout"
    failed: list = field(default_factory=list)     # failed expectations (empty: passed)
    reasons: list = field(default_factory=list)    # the summary's failure_reasons
    wall_s: float = 0.0
    cpu_s: float | None = None       # CPU time of the flight's process (None: it died)
    out_dir: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def why(self) -> list[str]:
        """The failed expectations, then the run's own failure reasons."""
        return list(self.failed) + [r for r in self.reasons if r not in self.failed]


# ---- discovery and loading --------------------------------------------------------------
def discover(directory: str | Path | None = None, only: str | None = None) -> list[Path]:
    """The catalogue's scenario files (``*.yaml``), sorted; ``only``: a glob on the name
    (file name without ``.yaml``) or on the file name."""
    d = Path(directory) if directory is not None else CATALOGUE_DIR
    files = sorted(p for p in d.glob("*.yaml") if p.is_file())
    if only is not None:
        files = [p for p in files if fnmatch.fnmatchcase(p.stem, only) or fnmatch.fnmatchcase(p.name, only)]
    return files


def load_entry(path: str | Path) -> Entry:
    """Load and validate one catalogue scenario; ConfigError if it is not one."""
    from sim.scenario import load_scenario
    sc = load_scenario(str(path))
    if sc.expect is None:
        raise ConfigError(str(path), "expect", "expected an 'expect:' mapping (the expected outcome) "
                                               "in a fault catalogue scenario")
    return Entry(Path(path).stem, str(path), sc.expect, tuple(describe_fault(f) for f in sc.faults))


def load_entries(paths) -> list[Entry]:
    return [load_entry(p) for p in paths]


def describe_fault(f: dict) -> str:
    """A fault in a few words: ``imu.accel invert at DROGUE+5s for 2s``."""
    when = f"at {f['at_s']:g}s" if f["at_s"] is not None else \
        f"at {f['at_phase']}" + (f"+{f['delay_s']:g}s" if f["delay_s"] else "")
    val = "" if f["value"] is None else f" {f['value']:g}"
    dur = "" if f["duration_s"] is None else f" for {f['duration_s']:g}s"
    return f"{f['target']} {f['kind']}{val} {when}{dur}"


# ---- judging ----------------------------------------------------------------------------
def _at(t) -> str:
    return "" if t is None else f" at t = {t:.1f} s"


def read_events(path: str | Path) -> list[dict]:
    """Flight events from events.jsonl (a torn last line, as a killed run leaves, is skipped)."""
    out = []
    with open(path) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict) and "name" in e:
                out.append(e)
    return out


def check(expect: dict, summary: dict, events: list[dict] | None = None) -> list[str]:
    """Failed expectations of a run, one line each; [] when it met them all.

    ``events``: the run's flight events (``read_events``); needed only when the
    expectation names events (without them those expectations fail)."""
    bad: list[str] = []
    e = expect
    if summary.get("result") != e["result"]:
        bad.append(f"expected result {e['result']}, got {summary.get('result')}")
    if e.get("pyro_fired") is not None:
        fires = summary.get("pyro_fires") or []
        count: dict[str, list] = {}
        for f in fires:
            count.setdefault(f["channel"], []).append(f)
        never = [ch for ch in e["pyro_fired"] if ch not in count]
        if never:
            bad.append("pyro never fired: " + ", ".join(never))
        for ch in e["pyro_fired"]:
            n = len(count.get(ch, []))
            if n > 1:
                bad.append(f"pyro {ch} fired {n} times (" +
                           ", ".join(f"{f.get('phase', '?')}@{f['t_s']:.1f}s" for f in count[ch]) + ")")
        for ch, fs in count.items():
            if ch not in e["pyro_fired"]:
                f = fs[0]
                bad.append(f"pyro {ch} fired" + (f" {len(fs)} times" if len(fs) > 1 else "") +
                           f" in {f.get('phase', '?')}{_at(f.get('t_s'))} (expected not to)")
    entered = {}
    for p in summary.get("phases") or []:
        entered.setdefault(p["phase"], p.get("t_s"))
    missing = [p for p in e.get("phases_include") or [] if p not in entered]
    if missing:
        bad.append("never entered " + ", ".join(missing))
    for p in e.get("phases_exclude") or []:
        if p in entered:
            bad.append(f"entered {p}{_at(entered[p])} (expected never to)")
    if e.get("events_include") or e.get("events_exclude"):
        if events is None:
            bad.append("no flight events (events.jsonl) to check the expected events against")
        else:
            seen = {}
            for ev in events:
                seen.setdefault(ev["name"], ev.get("t_s"))
            missing = [n for n in e.get("events_include") or [] if n not in seen]
            if missing:
                bad.append("no " + ", ".join(missing) + " event" + ("s" if len(missing) > 1 else ""))
            for n in e.get("events_exclude") or []:
                if n in seen:
                    bad.append(f"event {n}{_at(seen[n])} (expected none)")
    burn = summary.get("deorbit_burn")
    if e.get("deorbit_burn") is True and burn is None:
        bad.append("no deorbit burn (expected one)")
    if e.get("deorbit_burn") is False and burn is not None:
        bad.append(f"deorbit burn ignited{_at(burn.get('ignition_t_s'))} (expected none)")
    tol = e.get("burn_dv_tol_pct")
    if tol is not None and not (burn is None and e.get("deorbit_burn") is True):   # said once already
        if burn is None:
            bad.append(f"no deorbit burn (expected dv within {tol:g} % of target)")
        else:
            dv, target = burn.get("dv_achieved_mps"), burn.get("dv_target_mps")
            if dv is None or not target:
                bad.append("deorbit burn dv not reported")
            else:
                err = 100.0 * (dv - target) / target
                if abs(err) > tol:
                    bad.append(f"burn dv {dv:.1f} of {target:.1f} m/s ({err:+.1f} %, tolerance {tol:g} %)")
    lim = e.get("max_miss_km")
    if lim is not None:
        sp = summary.get("splashdown")
        if sp is None or sp.get("miss_km") is None:
            bad.append(f"no splashdown (expected one within {lim:g} km of the target)")
        elif sp["miss_km"] > lim:
            bad.append(f"splash {sp['miss_km']:.1f} km from the target (expected within {lim:g} km)")
    return bad


# ---- flying -----------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 3] + "..."


def fly(path: str | Path, out_dir: str | Path) -> Outcome:
    """Fly one catalogue scenario into ``out_dir`` and judge it; never raises for a
    scenario that fails (an exception is a failed outcome)."""
    from sim.scenario import load_scenario
    from tools.sil import SilRun
    path, out = Path(path), Path(out_dir)
    t0, c0 = time.perf_counter(), time.process_time()
    o = Outcome(path.stem, str(path), "?", "error", out_dir=str(out))
    try:
        sc = load_scenario(str(path))
        if sc.expect is None:
            raise ConfigError(str(path), "expect", "expected an 'expect:' mapping")
        o.expected = sc.expect["result"]
        summary = SilRun(sc, out_dir=out, echo=None).run()
        o.got = summary["result"]
        o.reasons = list(summary.get("failure_reasons") or [])
        ev = None
        if sc.expect["events_include"] or sc.expect["events_exclude"]:
            ev = read_events(out / "events.jsonl")
        o.failed = check(sc.expect, summary, ev)
    except Exception as exc:  # noqa: BLE001 - a scenario that crashes the runner is a failed scenario
        o.got = "error"
        o.failed = [f"exception: {_one_line(exc)}"]
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "traceback.txt").write_text(traceback.format_exc())
        except OSError:
            pass                         # the one-line reason above is the verdict; the file is a courtesy
    o.wall_s = round(time.perf_counter() - t0, 2)
    o.cpu_s = round(time.process_time() - c0, 2)
    return o


def _child(conn, path: str, out_dir: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)          # Ctrl-C is the parent's to handle
    o = fly(path, out_dir)
    try:
        conn.send(asdict(o))
    finally:
        conn.close()


def _exit_text(code) -> str:
    if code is not None and code < 0:
        try:
            return f"worker process killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker process killed by signal {-code}"
    return f"worker process exited with status {code} without a result"


class _Job:
    def __init__(self, ctx, entry: Entry, out_dir: Path):
        self.entry, self.out_dir = entry, out_dir
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_child, args=(child, entry.path, str(out_dir)), daemon=True,
                                name=f"catalogue:{entry.name}")
        self.t0 = time.monotonic()
        self.proc.start()
        child.close()

    def outcome(self, got: str, reason: str) -> Outcome:
        return Outcome(self.entry.name, self.entry.path, self.entry.expect["result"], got, [reason],
                       wall_s=round(time.monotonic() - self.t0, 2), out_dir=str(self.out_dir))

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5.0)
        self.conn.close()


def run_catalogue(entries: list[Entry], out_root: str | Path, workers: int = DEFAULT_WORKERS,
                  on_result=None, timeout_s: float = TIMEOUT_S) -> list[Outcome]:
    """Fly ``entries`` in at most ``workers`` processes at once, each into
    ``out_root/<name>``; ``on_result(outcome, done, total)`` is called as each ends.
    Returns the outcomes in the order of ``entries``."""
    out_root = Path(out_root)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    pending = list(entries)
    pending.reverse()
    running: dict = {}                  # conn -> _Job
    results: dict[str, Outcome] = {}
    n = max(1, int(workers))
    try:
        while pending or running:
            while pending and len(running) < n:
                e = pending.pop()
                job = _Job(ctx, e, out_root / e.name)
                running[job.conn] = job
            sentinels = {j.proc.sentinel: j for j in running.values()}
            now = time.monotonic()
            wait_s = max(0.1, min(j.t0 + timeout_s for j in running.values()) - now)
            ready = mp_wait(list(running) + list(sentinels), timeout=wait_s)
            finished = []
            for obj in ready:
                job = running.get(obj) or sentinels.get(obj)
                if job is None or job in finished:
                    continue
                o = None
                try:
                    if job.conn.poll():
                        o = Outcome(**job.conn.recv())
                except (EOFError, OSError):
                    o = None
                if o is None:
                    job.proc.join(5.0)
                    if job.proc.is_alive():
                        continue              # woken before its result arrived
                    o = job.outcome("crashed", _exit_text(job.proc.exitcode))
                finished.append(job)
                results[job.entry.name] = o
            for job in list(running.values()):
                if job not in finished and time.monotonic() - job.t0 > timeout_s:
                    finished.append(job)
                    results[job.entry.name] = job.outcome("timeout", f"no result after {timeout_s:g} s (killed)")
            for job in finished:
                del running[job.conn]
                job.kill()
                if on_result is not None:
                    on_result(results[job.entry.name], len(results), len(entries))
    finally:
        for job in running.values():
            job.kill()
    return [results[e.name] for e in entries]


def write_report(outcomes: list[Outcome], path: str | Path) -> None:
    """The catalogue's outcomes as JSON (``catalogue.json`` beside the runs)."""
    rows = [{**asdict(o), "passed": o.passed, "why": o.why} for o in outcomes]
    doc = {"schema": 1, "passed": sum(o.passed for o in outcomes), "total": len(outcomes), "scenarios": rows}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")
