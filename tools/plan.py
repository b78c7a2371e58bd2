"""Ground deorbit planning with the flight predictor (``elsrs plan``).

Requirements
1. The release state comes from the scenario (the simulator's initial state:
   the station orbit at mission time 0, or the entry-interface state), the
   target from the mission (or ``--target``), the vehicle and limits from the
   flight parameter table: the same inputs and the same code
   (fsw/gnc/predictor.py, fsw/gnc/targeting.py) as the onboard guidance.
2. A separation or attached scenario is targeted from its first DEORBIT_GO
   time as sim/ground_plan.py does (the plan a ``plan`` go carries). An
   entry-interface scenario has no burn to plan: its splash point is predicted.
3. Returns the plan as a dict (``elsrs plan --json`` prints it); ``go`` is False
   with ``why`` when the target cannot be reached.
4. The descent's wind drift under the scenario's wind (tools/descent.py), from
   the predicted drogue altitude, beside the drift the flight parameters carry
   (``guidance.drift_*``, which the predictions above include): the figure to
   upload with the day's forecast.
"""
from __future__ import annotations

import math

from fsw.gnc.predictor import Prediction, predict, vehicle_data
from fsw.gnc.targeting import great_circle_km
from fsw.params import flatten
from sim.ground_plan import HORIZON_S, plan_burn, release_world
from sim.scenario import Scenario, go_time_s
from sim.vehicle import vehicle_from_config
from sim.winds import make_wind
from tools.descent import descent_drift_m


def _prediction(p: Prediction) -> dict:
    r = lambda x, n: None if x is None else round(x, n)     # noqa: E731
    return {"splash_lat_deg": r(p.splash_lat_deg, 5), "splash_lon_deg": r(p.splash_lon_deg, 5),
            "drogue_alt_t_s": r(p.splash_t_s, 1), "entry_interface_t_s": r(p.entry_t_s, 1),
            "entry_speed_mps": r(p.entry_speed_mps, 1), "entry_fpa_deg": r(p.entry_fpa_deg, 3),
            "perigee_alt_m": r(p.perigee_alt_m, 0), "peak_decel_g": r(p.peak_decel_mps2 / 9.80665, 2)}


def _drift(sc: Scenario, params: dict, p: Prediction) -> dict:
    """Requirement 4."""
    e, n = descent_drift_m(make_wind(sc.environment.get("wind")), vehicle_from_config(sc.vehicle),
                           p.drogue_alt_m or 0.0, params["chutes.main_alt_m"])
    return {"east_m": round(e, 0), "north_m": round(n, 0), "flown_east_m": params["guidance.drift_east_m"],
            "flown_north_m": params["guidance.drift_north_m"]}


def plan(sc: Scenario, target: tuple[float, float] | None = None, horizon_s: float = HORIZON_S) -> dict:
    """The ground plan for a scenario (requirements 1-3)."""
    params = flatten(sc.mission["params"])
    lat, lon = target if target is not None else (params["guidance.target_lat_deg"], params["guidance.target_lon_deg"])
    w = release_world(sc.vehicle, sc.hardware, sc.environment, sc.start, sc.mission["station_orbit"], sc.seed)
    out = {"scenario": sc.path, "target": {"lat_deg": lat, "lon_deg": lon}, "start": sc.start["kind"]}
    if sc.start["kind"] == "entry_interface":
        p = predict(0.0, tuple(w.s[0:3]), tuple(w.s[3:6]), vehicle_data(params, w.s[13]), None)
        out.update(burn=None, prediction=_prediction(p), go=p.splash_lat_deg is not None, why=p.why,
                   miss_km=None if p.splash_lat_deg is None else round(
                       great_circle_km(p.splash_lat_deg, p.splash_lon_deg, lat, lon), 2),
                   descent_drift=_drift(sc, params, p))
        return out
    gp = plan_burn(w, params, lat, lon, go_time_s(sc.commands), horizon_s)
    sol, why, b = gp.solution, gp.why, gp.solution.burn
    out.update(burn={"ignition_t_s": round(b.ignition_t_s, 2), "dv_mps": round(b.dv_mps, 3),
                     "yaw_deg": round(b.yaw_deg, 3), "burn_s": round(sol.prediction.burn_s, 2),
                     "dv_along_mps": params["deorbit.dv_mps"]},
               prediction=_prediction(sol.prediction), miss_km=None if math.isinf(sol.miss_km) else round(sol.miss_km, 3),
               go=not why, why=why, iterations=sol.iterations, descent_drift=_drift(sc, params, sol.prediction))
    return out


def render(d: dict) -> list[str]:
    """The plan as lines for a console."""
    t = d["target"]
    lines = [f"ELS-RS deorbit plan: {d['scenario']} (start {d['start']})",
             f"  target            {t['lat_deg']:.4f}, {t['lon_deg']:.4f}"]
    b, p = d["burn"], d["prediction"]
    if b is not None:
        lines += [f"  ignition          {b['ignition_t_s']:.2f} s mission time",
                  f"  delta-v           {b['dv_mps']:.2f} m/s (retrograde {b['dv_along_mps']:.1f}), yaw {b['yaw_deg']:+.2f} deg, "
                  f"burn {b['burn_s']:.1f} s",
                  f"  perigee after     {p['perigee_alt_m'] / 1000:.1f} km"]
    if p["entry_interface_t_s"] is not None:
        lines.append(f"  entry interface   {p['entry_interface_t_s']:.1f} s, {p['entry_speed_mps']:.0f} m/s, "
                     f"flight-path {p['entry_fpa_deg']:.2f} deg; peak {p['peak_decel_g']:.1f} g")
    if p["splash_lat_deg"] is not None:
        lines.append(f"  splash (drogue)   {p['splash_lat_deg']:.4f}, {p['splash_lon_deg']:.4f}, "
                     f"predicted miss {d['miss_km']:.2f} km")
    dr = d.get("descent_drift")
    if dr is not None:
        lines.append(f"  descent drift     {dr['east_m'] / 1000:+.1f} km east, {dr['north_m'] / 1000:+.1f} km north "
                     f"(scenario wind); flown with {dr['flown_east_m'] / 1000:+.1f}, {dr['flown_north_m'] / 1000:+.1f} "
                     "(guidance.drift_*)")
    lines.append("  go" if d["go"] else f"  NO-GO: {d['why']}")
    return lines
