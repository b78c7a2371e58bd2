"""One campaign run, as executed in a worker process (local or Dask).

``fly(scenario, campaign_seed, run)`` disperses the scenario for that run
(sim/dispersions.py), flies it with the ordinary SIL (tools/sil.py, no output
files) and returns a JSON-able record. Its ``result`` and ``failure_reasons`` are
the SIL summary's, i.e. the verdict of tools/verdict.py: a campaign judges a run
exactly as ``elsrs sil`` does, and nothing here or in the report recomputes it. It never raises for a run that fails:
an exception inside the run becomes a ``failed`` record with its traceback.
A worker process that dies is recorded by the executor (``crash_record``).

Record keys: run, seed, result, failure_reasons, traceback (or None), metrics
(the runs.csv metric columns), draws (dispersion path -> drawn value), wall_time_s,
cpu_time_s (the worker process's CPU time for the run), worker ("host:pid").
"""
from __future__ import annotations

import os
import socket
import time
import traceback

from sim.dispersions import disperse, run_seed
from tools.timer_window import TIMER_PARAMS

#: runs.csv columns taken from the SIL summary (ARCHITECTURE.md "Run outputs"), in order.
METRICS = ("splash_lat_deg", "splash_lon_deg", "miss_km", "peak_load_g", "peak_heat_flux_w_m2",
           "drogue_mach", "drogue_alt_m", "drogue_q_pa", "main_mach", "main_alt_m", "main_q_pa",
           "splash_speed_mps", "burn_dv_mps")
#: Further summary values kept per run (after the required columns in runs.csv).
#: ``anomalies``: the summary's anomalies (task exceptions, monitor responses) joined with "; ".
#: ``nav_<quantity>_<moment>``: truth minus the flight filter's estimate (summary "navigation").
NAV_MOMENTS = {"ign": "ignition", "ei": "entry_interface", "drogue": "drogue"}
NAV_QUANTITIES = {"pos_err_m": "pos_m", "vel_err_mps": "vel_mps", "att_err_deg": "att_deg"}
EXTRA_METRICS = ("splash_vertical_speed_mps", "sim_time_s", "splash_t_s", "peak_q_pa", "drogue_trigger", "main_trigger", "resets",
                 "anomalies", "burn_dv_target_mps", "pyro_fire_counts",
                 *(f"nav_{q}_{m}" for m in NAV_MOMENTS for q in NAV_QUANTITIES),
                 *(f"timer_{t}_{b}_s" for t in TIMER_PARAMS for b in ("earliest", "latest")))


def _get(d, key):
    return None if d is None else d.get(key)


def metrics_from_summary(s: dict) -> dict:
    """The per-run values of a SIL summary (None where the run never got there)."""
    sp, en, dr, mn, b = s.get("splashdown"), s.get("entry"), s.get("drogue"), s.get("main"), s.get("deorbit_burn")
    return {
        "splash_lat_deg": _get(sp, "lat_deg"), "splash_lon_deg": _get(sp, "lon_deg"), "miss_km": _get(sp, "miss_km"),
        "peak_load_g": _get(en, "peak_load_g"), "peak_heat_flux_w_m2": _get(en, "peak_heat_flux_w_m2"),
        "drogue_mach": _get(dr, "mach"), "drogue_alt_m": _get(dr, "alt_m"), "drogue_q_pa": _get(dr, "q_pa"),
        "main_mach": _get(mn, "mach"), "main_alt_m": _get(mn, "alt_m"), "main_q_pa": _get(mn, "q_pa"),
        "splash_speed_mps": _get(sp, "speed_mps"), "burn_dv_mps": _get(b, "dv_achieved_mps"),
        "splash_vertical_speed_mps": _get(sp, "vertical_speed_mps"),
        "sim_time_s": s.get("sim_time_s"), "splash_t_s": _get(sp, "t_s"), "peak_q_pa": _get(en, "peak_q_pa"),
        "drogue_trigger": _get(dr, "trigger"), "main_trigger": _get(mn, "trigger"), "resets": s.get("resets"),
        "anomalies": "; ".join(s.get("anomalies") or []) or None,
        "burn_dv_target_mps": _get(b, "dv_target_mps"),
        #: pulses per channel, e.g. "drogue:1 main:1 main_release:1 float:1"
        "pyro_fire_counts": " ".join(f"{ch}:{n}" for ch, n in sorted(_counts(s.get("pyro_fires") or []).items()))
        or None,
        **{f"nav_{q}_{m}": _get((s.get("navigation") or {}).get(moment), key)
           for m, moment in NAV_MOMENTS.items() for q, key in NAV_QUANTITIES.items()},
        #: truth bounds of each backup timer (tools/timer_window.py), s after the timer's start
        **{f"timer_{t}_{b}_s": _get((s.get("timer_windows") or {}).get(t), f"{b}_s")
           for t in TIMER_PARAMS for b in ("earliest", "latest")},
    }


def _counts(fires: list) -> dict:
    out: dict = {}
    for f in fires:
        out[f["channel"]] = out.get(f["channel"], 0) + 1
    return out


def _vehicle_draws(world_vehicle, nominal) -> dict:
    """The vehicle's own per-run error-model draws (sim/vehicle.py), as realised in the world."""
    v, n = world_vehicle, nominal
    return {
        "vehicle.thrust_factor": v.thrust_dispersion,
        "vehicle.ignition_delay_s": v.ignition_delay_s,
        "vehicle.drogue_cd_factor": v.drogue.cd_area_m2 / n.drogue.cd_area_m2 if n.drogue.cd_area_m2 else None,
        "vehicle.drogue_inflation_s": v.drogue.inflation_s,
        "vehicle.main_cd_factor": v.main.cd_area_m2 / n.main.cd_area_m2 if n.main.cd_area_m2 else None,
        "vehicle.main_inflation_s": v.main.inflation_s,
    }


def _test_hook(hooks: dict | None, run: int) -> None:
    """Test-only fault injection (tools/montecarlo/README.md, "Test hooks")."""
    if not hooks:
        return
    marker = hooks.get("marker")
    if marker:
        fd = os.open(marker, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{run}\n".encode())
        finally:
            os.close(fd)
    if run in hooks.get("exit", ()):
        os._exit(70)                   # a hard crash: no exception, no result
    if run in hooks.get("raise", ()):
        raise RuntimeError(f"test hook: run {run} raises")


def _base(run: int, seed) -> dict:
    return {"run": run, "seed": seed, "result": "failed", "failure_reasons": [], "traceback": None,
            "metrics": {}, "draws": {}, "wall_time_s": None, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def fly(scenario, campaign_seed: int, run: int, hooks: dict | None = None) -> dict:
    """Fly run ``run`` of the campaign; always returns a record."""
    from sim.vehicle import vehicle_from_config
    from tools.sil import SilRun
    t0, c0 = time.perf_counter(), time.process_time()
    rec = _base(run, run_seed(campaign_seed, run))
    try:
        d = disperse(scenario, campaign_seed, run)
        rec["draws"] = dict(d.draws)
        _test_hook(hooks, run)
        sil = SilRun(d.scenario, seed=d.seed, out_dir=None, echo=None)
        rec["draws"].update(_vehicle_draws(sil.world.vehicle, vehicle_from_config(d.scenario.vehicle)))
        summary = sil.run()
        rec["result"] = summary["result"]
        rec["failure_reasons"] = list(summary["failure_reasons"])
        rec["metrics"] = metrics_from_summary(summary)
    except Exception as exc:  # noqa: BLE001 - a failing run is a result, not a campaign error
        rec["result"] = "failed"
        rec["failure_reasons"] = [f"exception: {type(exc).__name__}: {exc}"]
        rec["traceback"] = traceback.format_exc()
    rec["wall_time_s"] = round(time.perf_counter() - t0, 3)
    rec["cpu_time_s"] = round(time.process_time() - c0, 3)
    return rec


def crash_record(scenario, campaign_seed: int, run: int, reason: str, detail: str = "") -> dict:
    """Record of a run whose worker died (or whose task was lost): its seed and draws are
    recomputed here (they depend only on the campaign seed and the run index)."""
    rec = _base(run, run_seed(campaign_seed, run))
    rec["worker"] = None
    try:
        rec["draws"] = dict(disperse(scenario, campaign_seed, run).draws)
    except Exception:  # noqa: BLE001 - keep the crash record whatever happens
        pass
    rec["failure_reasons"] = [" ".join(reason.split())]
    rec["traceback"] = (detail.rstrip() + "\n") if detail.strip() else \
        "(no Python traceback: the worker process ended without raising; a fatal signal would have left its stack here)\n"
    return rec
