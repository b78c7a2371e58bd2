"""``elsrs bench``: speed and memory figures of the simulator and the SIL loop.

Measures, on this machine:
1. simulator steps per second (6-DOF RK4, EDL, no flight software);
2. the entry-to-splashdown realtime factor of the simulator alone: the EDL
   scenario flown by the world with the chutes fired from truth altitude at the
   flight parameters' trigger altitudes (the bench stands in for the flight app);
3. the nominal mission's realtime factor with the flight software in the loop
   at its flight rates (a real ``elsrs sil`` process);
4. that process's peak resident memory (``getrusage`` of the child).
5. Monte Carlo campaign throughput: runs per minute and aggregate realtime
   factor of a small EDL campaign on local worker processes
   (tools/montecarlo/bench.py).
Figures vary a few percent run to run; the README quotes them.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.earth import geodetic_alt_m
from sim.scenario import load_scenario
from sim.vehicle import vehicle_from_config
from sim.world import World

REPO = Path(__file__).resolve().parents[1]
EDL = REPO / "config" / "scenarios" / "edl.yaml"
NOMINAL = REPO / "config" / "scenarios" / "nominal.yaml"
#: Chunk the bench advances the world by, s (the world picks its own steps inside).
CHUNK_S = 0.1


def simulator_alone(scenario: Path = EDL) -> dict:
    """Fly the EDL scenario with the simulator alone; chutes fired from truth: the drogue at
    the flight's drogue Mach (below 40 km), the main at its altitude."""
    sc = load_scenario(str(scenario))
    w = World(vehicle_from_config(sc.vehicle), sc.hardware, sc.environment, sc.start,
              sc.mission["station_orbit"], sc.seed)
    p = sc.mission["params"]["chutes"]
    w.pyro.armed = True
    t = 0.0
    wall0 = time.perf_counter()
    while w.splash is None and t < sc.stop["t_s"]:
        t += CHUNK_S
        w.advance_to(t)
        alt = geodetic_alt_m(*w.s[0:3])
        if alt < 40e3 and w.dyn.drogue_deploy_t_s is None and w.dyn.main_deploy_t_s is None \
                and w.truth().mach <= p["drogue_mach"]:
            w.fire_pyro("drogue")
        if alt <= p["main_alt_m"] and w.dyn.main_deploy_t_s is None:
            w.fire_pyro("main")
    wall = time.perf_counter() - wall0
    sim_t = w.splash["t_s"] if w.splash else t
    return {"sim_time_s": round(sim_t, 1), "wall_time_s": round(wall, 3), "steps": w.steps,
            "steps_per_s": round(w.steps / wall), "realtime_factor": round(sim_t / wall, 1),
            "splash_speed_mps": None if w.splash is None else round(w.splash["speed_mps"], 2)}


def sil_process(scenario: Path = NOMINAL) -> dict:
    """One ``elsrs sil`` run in a child process: its realtime factor and peak RSS."""
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([sys.executable, "-m", "tools.cli", "sil", "--scenario", str(scenario),
                            "--out", out, "--quiet"], cwd=REPO, capture_output=True, text=True)
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss     # largest child so far, KiB
        if p.returncode not in (0, 1):
            raise RuntimeError(f"elsrs sil failed: {p.stderr.strip()}")
        s = json.loads((Path(out) / "summary.json").read_text())
    return {"result": s["result"], "sim_time_s": s["sim_time_s"], "wall_time_s": s["wall_time_s"],
            "realtime_factor": s["realtime_factor"],
            "peak_rss_mb": round(rss_kb / 1024, 1)}


def run(as_json: bool = False, echo=print) -> dict:
    sim = simulator_alone()
    sil = sil_process()
    from tools.montecarlo.bench import campaign_throughput
    mc = campaign_throughput()
    out = {"simulator_alone_edl": sim, "sil_nominal": sil, "campaign_edl_mc": mc}
    if as_json:
        echo(json.dumps(out, indent=2))
        return out
    echo("ELS-RS benchmark (this machine)")
    echo(f"  simulator steps per second (EDL, 6-DOF RK4):     {sim['steps_per_s']:>10,}")
    echo(f"  simulator alone, entry to splashdown:            realtime factor {sim['realtime_factor']:,.0f} "
         f"({sim['sim_time_s']:.0f} s in {sim['wall_time_s']:.2f} s, {sim['steps']:,} steps)")
    echo(f"  nominal mission, flight software in the loop:    realtime factor {sil['realtime_factor']:,.0f} "
         f"({sil['sim_time_s']:.0f} s in {sil['wall_time_s']:.1f} s, result {sil['result']})")
    echo(f"  peak resident memory of that SIL run:            {sil['peak_rss_mb']:.0f} MB")
    echo(f"  Monte Carlo campaign, EDL (edl_mc), FSW in loop: {mc['runs_per_min']:.1f} runs/min, aggregate realtime "
         f"factor {mc['aggregate_rtf']:,.0f} ({mc['runs']} runs on {mc['workers']} workers in {mc['wall_s']:.1f} s; "
         f"{mc['mean_run_cpu_s']:.2f} s CPU per run)")
    return out
