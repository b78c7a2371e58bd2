"""The ground's deorbit plan: ignition time for a target from the planned release state.

Requirements
1. The release state is the simulator's initial state of the scenario as
   written (the station orbit at mission time 0): what the ground knows, not a
   campaign run's dispersed release.
2. The plan is the onboard guidance's own solution (fsw/gnc/targeting.py
   ``search`` then ``solve``, the vehicle and limits from the flight parameter
   table): the first ignition at or after the go time plus
   ``deorbit.prep_lead_s`` plus the onboard compute margin whose pass brings
   the splash nearest the target, searched over ``horizon_s``.
3. ``why`` is the onboard go/no-go (''  when it may fly) but for the
   cross-check against the ground's plan, which this is.
Used by ``elsrs plan`` (tools/plan.py) and by a scenario DEORBIT_GO whose
``ignition_t_s`` is ``plan`` (sim/scenario.py): the ground sends the go for its
plan, so a mission file with only the target changed flies a consistent go.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.gnc.predictor import vehicle_data
from fsw.gnc.targeting import Solution, no_go, search, solve
from fsw.tasks.guidance import COMPUTE_MARGIN_S
from sim.vehicle import vehicle_from_config
from sim.world import World

#: Search horizon for the ignition time after the earliest one, s (about one orbit).
HORIZON_S = 5600.0


@dataclass(frozen=True)
class GroundPlan:
    solution: Solution
    why: str                 # '' when the plan may fly, else the first failed go/no-go check


def release_world(vehicle: dict, hardware: dict, environment: dict, start: dict, orbit: dict, seed: int) -> World:
    """The simulator at mission time 0 for these inputs (requirement 1)."""
    return World(vehicle_from_config(vehicle), hardware, environment, start, orbit, seed)


def plan_burn(w: World, params: dict, lat_deg: float, lon_deg: float, go_t_s: float,
              horizon_s: float = HORIZON_S) -> GroundPlan:
    """Requirements 2-3 for the release state of ``w`` and the flat flight parameter table ``params``."""
    r, v = tuple(w.s[0:3]), tuple(w.s[3:6])
    earliest = go_t_s + params["deorbit.prep_lead_s"] + COMPUTE_MARGIN_S
    veh = vehicle_data(params)
    guess = search(0.0, r, v, veh, lat_deg, lon_deg, params["deorbit.dv_mps"], earliest, horizon_s)
    sol = solve(0.0, r, v, veh, lat_deg, lon_deg, params["deorbit.dv_mps"], guess, earliest_t_s=earliest,
                max_yaw_deg=params["guidance.max_yaw_deg"])
    return GroundPlan(sol, no_go(sol, params["guidance.max_miss_km"], params["guidance.max_perigee_alt_m"],
                                 params["guidance.max_dv_mps"]))
