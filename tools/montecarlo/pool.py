"""Executors of a campaign: local worker processes, or an existing Dask cluster.

Both yield one record per run (tools/montecarlo/worker.py), in completion order,
and never lose a run: a run that raises comes back as a ``failed`` record from
the worker; a worker process that dies is recorded as ``failed`` by the
executor, with its exit status (and, for a fatal signal, the Python stack that
``faulthandler`` wrote), and the campaign goes on.

Local executor
  K processes (``multiprocessing``, forkserver start method: workers fork from a
  clean server that has preloaded the simulator, never from the parent with its
  progress-bar thread). Each worker holds ONE run at a time over its own pipe,
  so when a worker dies the run it held is known exactly: that run is recorded
  as failed, a replacement worker starts, and no other run is touched or redone
  (a ``concurrent.futures.ProcessPoolExecutor`` breaks as a whole on a worker
  death, failing every pending future, and cannot tell which run killed it).
  Workers ignore SIGINT: Ctrl-C reaches the parent, which terminates them.

Dask executor
  ``distributed.Client(address)``; runs are submitted in a sliding window (4 per
  worker thread), the scenario inside each task. A task whose worker
  dies is retried by Dask (``distributed.scheduler.allowed-failures``, default
  3) and then fails with ``KilledWorker``: recorded as ``failed``. The workers
  must be able to import this package (``pip install -e .`` on every worker
  host); use one thread per worker process (``--nthreads 1``): a SIL run is
  pure Python and holds the GIL.
"""
from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import signal
import uuid
from collections import deque
from itertools import islice
from multiprocessing.connection import wait as mp_wait
from pathlib import Path

from tools.montecarlo.worker import crash_record, fly

#: Preloaded by the forkserver (so a (re)started worker is ready at once).
PRELOAD = ["tools.montecarlo.worker", "tools.sil", "sim.dispersions"]
#: Seconds to reach the Dask scheduler before giving up (an input error).
DASK_CONNECT_TIMEOUT_S = 10
#: Seconds to wait for a worker to exit after being told to (then it is killed).
JOIN_S = 5.0


def _worker_main(conn, scenario, campaign_seed: int, hooks, fault_log: str | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if fault_log:
        faulthandler.enable(open(fault_log, "w"))       # noqa: SIM115 - lives as long as the process
    while True:
        try:
            run = conn.recv()
        except (EOFError, OSError):
            return
        if run is None:
            return
        rec = fly(scenario, campaign_seed, run, hooks)
        try:
            conn.send(rec)
        except OSError:
            return


def _describe_exit(code) -> str:
    if code is None:
        return "worker process stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker process killed by {name}"
    return f"worker process exited with status {code}"


class _Worker:
    def __init__(self, ctx, scenario, campaign_seed, hooks, fault_log):
        self.conn, child = ctx.Pipe(duplex=True)
        self.fault_log = fault_log
        self.proc = ctx.Process(target=_worker_main, args=(child, scenario, campaign_seed, hooks, fault_log),
                                daemon=True)
        self.proc.start()
        child.close()
        self.run: int | None = None

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.terminate()
            else:
                self.conn.send(None)
        except OSError:
            pass
        self.proc.join(0.0 if kill else JOIN_S)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(JOIN_S)
        self.conn.close()
        self._drop_log()

    def _drop_log(self) -> None:
        if self.fault_log:
            try:
                os.unlink(self.fault_log)
            except OSError:
                pass

    def death_detail(self) -> str:
        self.proc.join(JOIN_S)
        text = ""
        if self.fault_log:
            try:
                text = Path(self.fault_log).read_text(errors="replace").strip()
            except OSError:
                pass
        self.conn.close()
        self._drop_log()
        return text


def _receive(w: _Worker):
    """The worker's result if one is waiting, else None (also when its pipe is closed)."""
    try:
        if w.conn.poll():
            return w.conn.recv()
    except (EOFError, OSError):
        pass
    return None


class LocalExecutor:
    """Runs on ``workers`` local processes; ``results(runs)`` yields records."""

    def __init__(self, scenario, campaign_seed: int, workers: int, hooks: dict | None = None,
                 scratch_dir: str | Path | None = None):
        self.sc, self.seed, self.n, self.hooks = scenario, campaign_seed, max(1, int(workers)), hooks
        self.scratch = Path(scratch_dir) if scratch_dir is not None else None
        self.ctx = mp.get_context("forkserver")
        self.ctx.set_forkserver_preload(PRELOAD)
        self._active: dict = {}          # conn -> _Worker
        self._count = 0
        self.crashes = 0

    def _spawn(self) -> _Worker:
        self._count += 1
        log = None
        if self.scratch is not None:
            self.scratch.mkdir(parents=True, exist_ok=True)
            log = str(self.scratch / f"worker_{os.getpid()}_{self._count}.log")
        return _Worker(self.ctx, self.sc, self.seed, self.hooks, log)

    def results(self, runs):
        pending = deque(runs)
        active = self._active
        idle_deaths = 0                    # workers that died holding no run, in a row
        while pending or active:
            while pending and len(active) < self.n:
                w = self._spawn()
                active[w.conn] = w
                self._assign(w, pending)
            sentinels = {w.proc.sentinel: w for w in active.values()}
            handled = set()
            for obj in mp_wait(list(active) + list(sentinels)):
                w = active.get(obj) or sentinels.get(obj)
                if w is None or id(w) in handled or w.conn not in active:
                    continue
                handled.add(id(w))
                rec = _receive(w)
                if rec is not None:
                    idle_deaths = 0
                    w.run = None
                    yield rec
                    if pending:
                        self._assign(w, pending)
                    else:
                        del active[w.conn]
                        w.stop()
                    continue
                if w.proc.is_alive():
                    continue                   # woken without a result: the pipe closes as it exits
                del active[w.conn]
                run = w.run
                detail = w.death_detail()
                if run is None:
                    idle_deaths += 1
                    if idle_deaths > 3 * self.n:
                        raise RuntimeError(f"worker processes die before flying any run "
                                           f"({_describe_exit(w.proc.exitcode)}): {detail}")
                    continue
                self.crashes += 1
                reason = f"{_describe_exit(w.proc.exitcode)} while flying run {run}"
                yield crash_record(self.sc, self.seed, run, reason, detail)

    def _assign(self, w: _Worker, pending: deque) -> None:
        run = pending.popleft()
        try:
            w.conn.send(run)
        except OSError:
            pending.appendleft(run)        # never started: another worker takes it
            w.run = None
            return
        w.run = run

    def close(self) -> None:
        """Stop every worker now (interruption or the end of the campaign)."""
        for w in list(self._active.values()):
            w.stop(kill=True)
        self._active.clear()
        if self.scratch is not None:
            try:
                self.scratch.rmdir()           # only if empty: a crash's log stays until read
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class DaskExecutor:
    """Runs on an existing Dask distributed cluster at ``address``."""

    def __init__(self, address, scenario, campaign_seed: int, hooks: dict | None = None, client=None):
        from distributed import Client
        self.sc, self.seed, self.hooks = scenario, campaign_seed, hooks
        self.client = client if client is not None else Client(address, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
        self._own_client = client is None
        self._futures: dict = {}
        self.crashes = 0

    def describe(self) -> str:
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        return f"Dask cluster {info.get('address', '?')}: {len(workers)} workers, {threads} threads"

    def results(self, runs):
        from distributed import as_completed
        client = self.client
        info = client.scheduler_info()
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
        window = 4 * threads
        token = uuid.uuid4().hex[:12]
        it = iter(runs)
        done = as_completed()
        tries: dict[int, int] = {}

        def submit(run: int) -> None:
            # The scenario travels inside each task (~20 kB), not scattered: scattered data
            # dies with the worker holding it, and every later task would fail with it.
            tries[run] = tries.get(run, 0) + 1
            f = client.submit(fly, self.sc, self.seed, run, self.hooks, key=f"elsrs-mc-{token}-{run}-{tries[run]}",
                              pure=False)
            self._futures[f] = run
            done.add(f)

        for run in islice(it, window):
            submit(run)
        for f in done:
            run = self._futures.pop(f)
            rec = None
            if f.status == "finished":
                try:
                    rec = f.result()
                except Exception as exc:  # noqa: BLE001 - result lost in transit (worker gone): fly again
                    if tries[run] < 3:
                        f.release()
                        submit(run)
                        continue
                    rec = crash_record(self.sc, self.seed, run, f"dask result lost: {type(exc).__name__}: {exc}")
            else:
                self.crashes += 1
                try:
                    exc = f.exception()
                except Exception as e:  # noqa: BLE001 - cancelled and the like
                    exc = e
                rec = crash_record(self.sc, self.seed, run, f"dask task failed: {type(exc).__name__}: {exc}",
                                   "".join(_format_tb(f)))
            f.release()
            yield rec
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)

    def close(self) -> None:
        if self._futures:
            try:
                self.client.cancel(list(self._futures))
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
            self._futures.clear()
        if self._own_client:
            self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _format_tb(future) -> list[str]:
    import traceback
    try:
        tb = future.traceback()
    except Exception:  # noqa: BLE001
        return []
    return traceback.format_tb(tb) if tb is not None else []
