"""Ground forecast of the descent's wind drift (tools/descent.py) against the simulator."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim import earth
from sim.scenario import load_scenario
from sim.vehicle import vehicle_from_config
from sim.winds import WindProfile, make_wind
from sim.world import World
from tools.descent import descent_drift_m

ROOT = Path(__file__).resolve().parents[2]


def _fly_down(wind: WindProfile, drogue_alt_m: float, main_alt_m: float) -> tuple[float, float]:
    """The simulator's capsule let go under a full drogue at ``drogue_alt_m``, 30 m/s down, with the
    main out below ``main_alt_m``; its ground track's (east, north) displacement to the sea, m."""
    sc = load_scenario(str(ROOT / "config/scenarios/edl.yaml"))
    veh = vehicle_from_config(sc.vehicle)
    env = {**sc.environment, "wind": {"model": "table", "alt_m": list(wind.alt_m), "east_mps": list(wind.east_mps),
                                      "north_mps": list(wind.north_mps)}}
    start = {"kind": "entry_interface", "alt_m": drogue_alt_m, "speed_mps": 30.0, "fpa_deg": -89.0,
             "heading_deg": 0.0, "lat_deg": -37.0, "lon_deg": -157.0}
    w = World(veh, sc.hardware, env, start, {}, seed=1)
    w.dyn.drogue_deploy_t_s = -100.0
    lat0, lon0 = w.truth().lat_deg, w.truth().lon_deg
    t = 0.0
    while not w.splash:
        t += 1.0
        w.advance_to(t)
        if w.dyn.main_deploy_t_s is None and w.truth().alt_m < main_alt_m:
            w.dyn.drogue_deploy_t_s, w.dyn.main_deploy_t_s = None, t - 100.0
    tr = w.truth()
    north = math.radians(tr.lat_deg - lat0) * earth.WGS84_A_M
    east = math.radians(tr.lon_deg - lon0) * earth.WGS84_A_M * math.cos(math.radians(lat0))
    return east, north


def test_a_uniform_wind_drifts_the_descent_by_wind_times_the_descent_time():
    """10 m/s east, 5 m/s south at every height: the forecast is the wind times its own descent
    time; the simulator's capsule (its horizontal speed and lift, the 1 deg off-vertical start and the
    canopy's pendulum left to settle) drifts the same to 3 %."""
    wind = WindProfile([0.0, 40000.0], [10.0, 10.0], [-5.0, -5.0])
    veh = vehicle_from_config(load_scenario(str(ROOT / "config/scenarios/edl.yaml")).vehicle)
    east, north = descent_drift_m(wind, veh, 28000.0, 3000.0)
    assert north == pytest.approx(-0.5 * east, rel=1e-9) and east > 5000.0
    e_sim, n_sim = _fly_down(wind, 28000.0, 3000.0)
    assert e_sim == pytest.approx(east, rel=0.03) and n_sim == pytest.approx(north, rel=0.03)


def test_the_campaign_wind_table_drifts_east_and_no_wind_none():
    """The illustrative mid-latitude profile (sim/winds.py) is westerly aloft: the drift is east, and
    the simulator under it lands within 5 % of the forecast. No wind: no drift."""
    wind = make_wind({"model": "table"})
    veh = vehicle_from_config(load_scenario(str(ROOT / "config/scenarios/edl.yaml")).vehicle)
    east, north = descent_drift_m(wind, veh, 28000.0, 3000.0)
    assert east > 5000.0
    e_sim, n_sim = _fly_down(wind, 28000.0, 3000.0)
    assert math.hypot(e_sim - east, n_sim - north) < 0.05 * math.hypot(east, north)
    assert descent_drift_m(None, veh, 28000.0, 3000.0) == (0.0, 0.0)
