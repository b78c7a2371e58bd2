"""Campaign throughput figure for ``elsrs bench`` (issue 4, item 4).

A real campaign of the EDL Monte Carlo scenario (config/scenarios/edl_mc.yaml:
entry interface to 30 s after splashdown, flight software in the loop at its
flight rates, every dispersion on) on local worker processes, in a temporary
directory. Runs per minute = runs / campaign wall time; aggregate realtime
factor = simulated seconds of all runs / campaign wall time. The figure
includes process start-up and the per-run dispersion set-up, not the report.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sim.scenario import load_scenario
from tools.montecarlo.campaign import run_campaign

EDL_MC = Path(__file__).resolve().parents[2] / "config" / "scenarios" / "edl_mc.yaml"


def campaign_throughput(runs: int = 10, workers: int | None = None, scenario: Path = EDL_MC) -> dict:
    """Fly a small campaign and return its throughput figures."""
    workers = workers or os.cpu_count() or 1
    sc = load_scenario(str(scenario))
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_campaign(sc, out, runs, workers=workers, progress=False, echo=lambda *a: None)
        wall = time.perf_counter() - t0
    t = res.throughput
    return {"scenario": scenario.name, "runs": runs, "workers": workers, "cpu_count": os.cpu_count(),
            "wall_s": round(t["wall_s"], 2), "runs_per_min": round(t["runs_per_min"], 1),
            "aggregate_rtf": round(t["aggregate_rtf"], 1), "mean_sim_s": round(t["sim_s"] / runs, 1),
            "mean_run_wall_s": round(t["mean_run_wall_s"], 2),
            "mean_run_cpu_s": round(t["mean_run_cpu_s"], 2),
            "total_wall_s": round(wall, 2), "outcomes": res.counts,
            "load_avg_1min": round(os.getloadavg()[0], 2)}
