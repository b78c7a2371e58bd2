"""A Monte Carlo campaign: what to run, running it, resuming it, reporting it.

Requirements
1. Run i of a campaign depends only on the scenario, the campaign seed and i
   (sim/dispersions.py), never on the executor, the worker count or the order.
2. Each finished run is appended to runs.jsonl (fsync'ed) as it finishes; the
   same command again flies only the runs that have no record (``retry_failed``:
   also the runs that raised or whose worker crashed). ``--runs`` may grow.
3. Ctrl-C (SIGINT) or SIGTERM stops the workers, rebuilds runs.csv from what
   finished and returns ``interrupted``; nothing finished is lost.
4. At the end: runs.csv, report.md and the figures, outcome counts; the
   throughput of this session (runs per minute, aggregate realtime factor =
   simulated seconds of the runs flown / campaign wall seconds).
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fsw.schema import ConfigError
from tools.montecarlo.pool import DaskExecutor, LocalExecutor
from tools.montecarlo.report import outcome_counts, write_report
from tools.montecarlo.store import CampaignStore

#: Environment variable of the test-only fault hooks (tools/montecarlo/README.md).
TEST_HOOK_ENV = "ELSRS_MC_TEST_HOOK"


@dataclass
class CampaignResult:
    out_dir: Path
    runs: int
    counts: dict
    interrupted: bool = False
    flown: int = 0                 # runs flown in this session
    skipped: int = 0               # runs already finished (resume)
    throughput: dict | None = None
    report: dict | None = None
    rows: list = field(default_factory=list)

    @property
    def all_landed(self) -> bool:
        return not self.interrupted and self.counts.get("landed", 0) == self.runs


def parse_test_hooks(text: str | None) -> dict | None:
    """``exit=3+5,raise=7,marker=/path`` -> {"exit": [3, 5], "raise": [7], "marker": "/path"}."""
    if not text:
        return None
    out: dict = {}
    for part in text.split(","):
        key, _, val = part.partition("=")
        key = key.strip()
        if key in ("exit", "raise"):
            out[key] = [int(v) for v in val.split("+") if v.strip()]
        elif key == "marker":
            out[key] = val
        elif key:
            raise ValueError(f"{TEST_HOOK_ENV}: unknown hook {key!r} (expected exit, raise, marker)")
    return out


class _Terminated(Exception):
    pass


def run_campaign(scenario, out_dir, runs: int, workers: int | None = None, dask: str | None = None,
                 campaign_seed: int | None = None, hooks: dict | None = None, progress: bool = True,
                 retry_failed: bool = False, dask_client=None, echo=print) -> CampaignResult:
    """Fly (or finish) the campaign; see the module requirements."""
    from tqdm import tqdm
    seed = scenario.seed if campaign_seed is None else campaign_seed
    store = CampaignStore(out_dir)
    meta = store.open(scenario, seed, runs)
    try:
        return _run(store, meta, scenario, out_dir, runs, workers, dask, seed, hooks, progress, retry_failed,
                    dask_client, echo, tqdm)
    finally:
        store.close()


def _run(store, meta, scenario, out_dir, runs, workers, dask, seed, hooks, progress, retry_failed, dask_client,
         echo, tqdm) -> CampaignResult:
    records = store.load()
    redo = {i for i, r in records.items() if retry_failed and r.get("traceback")}
    todo = [i for i in range(runs) if i not in records or i in redo]
    skipped = runs - len(todo)
    if hooks is None:
        hooks = parse_test_hooks(os.environ.get(TEST_HOOK_ENV))

    if dask or dask_client is not None:
        try:
            ex = DaskExecutor(dask, scenario, seed, hooks, client=dask_client)
            where = ex.describe()
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError("--dask", "", f"cannot reach the Dask scheduler at {dask}: {exc}") from None
    else:
        k = workers or os.cpu_count() or 1
        k = max(1, min(k, len(todo) or 1))
        ex = LocalExecutor(scenario, seed, k, hooks, scratch_dir=store.dir / ".workers")
        where = f"{k} local worker process{'es' if k > 1 else ''}"
    echo(f"campaign {scenario.path}: seed {seed}, {runs} runs"
         + (f" ({skipped} already done, {len(todo)} to fly)" if skipped else "") + f", {where}")

    interrupted = False
    flown = 0
    sim_s = 0.0
    run_wall = 0.0
    run_cpu = 0.0
    done_counts = outcome_counts([r for i, r in records.items() if i < runs and i not in redo])
    bar = tqdm(total=runs, initial=skipped, unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, smoothing=0.1)
    old_term = _install_sigterm()
    t0 = time.perf_counter()
    t_last = t0
    try:
        with ex:
            for rec in ex.results(todo):
                store.append(rec)
                records[rec["run"]] = rec
                flown += 1
                t_last = time.perf_counter()
                sim_s += (rec.get("metrics") or {}).get("sim_time_s") or 0.0
                run_wall += rec.get("wall_time_s") or 0.0
                run_cpu += rec.get("cpu_time_s") or 0.0
                done_counts[rec["result"]] = done_counts.get(rec["result"], 0) + 1
                bar.set_postfix({k: v for k, v in done_counts.items() if v}, refresh=False)
                bar.update(1)
    except (KeyboardInterrupt, _Terminated):
        interrupted = True
    finally:
        bar.close()
        _restore_sigterm(old_term)

    rows = store.write_csv(records, runs)
    counts = outcome_counts(rows)
    wall = t_last - t0
    throughput = None
    if flown:
        throughput = {"runs": flown, "wall_s": wall, "runs_per_min": 60.0 * flown / wall if wall > 0 else 0.0,
                      "sim_s": sim_s, "aggregate_rtf": sim_s / wall if wall > 0 else 0.0,
                      "mean_run_wall_s": run_wall / flown, "mean_run_cpu_s": run_cpu / flown, "executor": where}
    result = CampaignResult(Path(out_dir), runs, counts, interrupted, flown, skipped, throughput, None, rows)
    if interrupted:
        return result
    result.report = write_report(out_dir, rows, scenario, meta, throughput if skipped == 0 else None, store)
    return result


def _install_sigterm():
    """SIGTERM ends the campaign like Ctrl-C (main thread only)."""
    def handler(signum, frame):
        raise _Terminated()
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:          # not the main thread
        return None


def _restore_sigterm(old) -> None:
    if old is not None:
        try:
            signal.signal(signal.SIGTERM, old)
        except ValueError:
            pass
