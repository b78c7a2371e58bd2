"""Entry guidance task: bank steering of the lifting capsule (fsw/tasks/entry_guidance.py).

The navigated state is the lifting capsule's entry-interface state of config/scenarios/edl.yaml;
targets are placed along and across the great circle through the splash point the plan's bank gives,
by geometry, not where a flight landed.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from fakes import Rig
from fsw.flightmath import OMEGA_E_RADPS, RE_M, eci_to_latlonalt
from fsw.gnc.predictor import modelled_decel_mps2, predict, vehicle_data
from fsw.phases import Phase
from fsw.records import BankRecord, ImuRecord, NavRecord
from fsw.tasks.entry_guidance import range_errors_km

REPO = Path(__file__).resolve().parents[3]
LIFT = {"guidance.lift_to_drag": 0.10}


@pytest.fixture(scope="module")
def entry_state():
    from sim.scenario import load_scenario
    from sim.vehicle import vehicle_from_config
    from sim.world import World
    sc = load_scenario(str(REPO / "config/scenarios/edl.yaml"))
    w = World(vehicle_from_config(sc.vehicle), sc.hardware, sc.environment, sc.start, sc.mission["station_orbit"],
              sc.seed)
    return tuple(w.s[0:3]), tuple(w.s[3:6])


def _unit(lat, lon):
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def _latlon(u):
    return math.degrees(math.asin(u[2])), math.degrees(math.atan2(u[1], u[0]))


def moved(here, splash, along_km=0.0, right_km=0.0):
    """The point ``along_km`` beyond ``splash`` on the great circle from ``here`` and ``right_km``
    to its right (small offsets)."""
    c, s = _unit(*here), _unit(*splash)
    n = (c[1] * s[2] - c[2] * s[1], c[2] * s[0] - c[0] * s[2], c[0] * s[1] - c[1] * s[0])
    nn = math.sqrt(sum(x * x for x in n))
    n = tuple(x / nn for x in n)                                   # left of the track
    t = (n[1] * s[2] - n[2] * s[1], n[2] * s[0] - n[0] * s[2], n[0] * s[1] - n[1] * s[0])   # along the track
    k = 1000.0 / RE_M
    p = tuple(a + along_km * k * b - right_km * k * d for a, b, d in zip(s, t, n))
    pn = math.sqrt(sum(x * x for x in p))
    return _latlon(tuple(x / pn for x in p))


def planned_splash(rig, r, v):
    veh = vehicle_data(rig.params.v, rig.params.v["airdata.mass_kg"])
    p = predict(0.0, r, v, veh, None)
    return (p.splash_lat_deg, p.splash_lon_deg)


def _spin(a, t):
    """ECI vector a turned with the Earth for t s: the state keeps its place over the ground, so
    every solution sees the same problem."""
    c, s = math.cos(OMEGA_E_RADPS * t), math.sin(OMEGA_E_RADPS * t)
    return (c * a[0] - s * a[1], s * a[0] + c * a[1], a[2])


def feed(rig, r, v, accel=0.0):
    def before(t):
        rig.publish(NavRecord(t, True, _spin(r, t), _spin(v, t), (1.0, 0.0, 0.0, 0.0)))
        rig.publish(ImuRecord(t, True, (0.0, 0.0, 0.0), (accel, 0.0, 0.0), accel, True))
    return before


def rig_aimed(entry_state, along_km=0.0, right_km=0.0, **params):
    r, v = entry_state
    rig = Rig(Phase.ENTRY, params={**LIFT, **params})
    here = eci_to_latlonalt(r, 0.0)[:2]
    lat, lon = moved(here, planned_splash(rig, r, v), along_km, right_km)
    rig.params.v["guidance.target_lat_deg"], rig.params.v["guidance.target_lon_deg"] = lat, lon
    return rig, rig.build("entry_guidance")


def test_range_errors_along_and_across_the_track():
    """Eastbound along the equator: 0.01 deg of longitude beyond the target is 1.11 km long; south
    of it is right of the track."""
    down, cross = range_errors_km((0.0, 0.0), (0.0, 10.0), (0.0, 10.01))
    assert down == pytest.approx(1.112, abs=0.01) and cross == pytest.approx(0.0, abs=1e-6)
    down, cross = range_errors_km((0.0, 0.0), (0.0, 10.0), (-0.1, 10.0))
    assert cross == pytest.approx(11.12, abs=0.05) and abs(down) < 0.1


def test_a_ballistic_capsule_or_a_capsule_outside_entry_gets_no_bank(entry_state):
    r, v = entry_state
    for phase, params in ((Phase.ENTRY, {"guidance.lift_to_drag": 0.0}), (Phase.COAST, LIFT), (Phase.DROGUE, LIFT)):
        rig = Rig(phase, params=params)
        g = rig.build("entry_guidance")
        rig.run(g, 5.0, before=feed(rig, r, v))
        assert not rig.bus.latest(BankRecord).valid, (phase, params)


@pytest.mark.parametrize("along_km, sign", [(+80.0, +1), (-80.0, -1)])
def test_the_bank_opens_for_a_farther_target_and_closes_for_a_nearer_one(entry_state, along_km, sign):
    """Plan's bank 70 deg (cos 0.34): a target 80 km beyond its splash needs more lift up (a smaller
    bank), one 80 km short less (a larger bank); within a few solutions the predicted downrange error
    (of the bank flown before the last secant step) is under 1 km, and the work is spread over many
    10 Hz runs."""
    rig, g = rig_aimed(entry_state, along_km)
    r, v = entry_state
    runs = rig.run(g, 30.0, before=feed(rig, r, v))
    rec = rig.bus.latest(BankRecord)
    assert rec.valid and g.solutions >= 4 and runs > 2 * g.solutions
    assert sign * (70.0 - abs(rec.bank_cmd_deg)) > 10.0, rec
    assert abs(rec.downrange_err_km) < 1.0, rec


def test_cross_range_beyond_the_deadband_on_the_lift_side_reverses_the_bank_once(entry_state):
    """The first bank lifts right; a target 10 km left of the splash puts the predicted splash 10 km
    right of it (beyond the 3 km deadband): one reversal, to the left. The same error with the lift
    now pushing left does not reverse again."""
    rig, g = rig_aimed(entry_state, right_km=-10.0)
    r, v = entry_state
    rig.run(g, 30.0, before=feed(rig, r, v))
    rec = rig.bus.latest(BankRecord)
    assert rec.bank_cmd_deg < 0.0 and rec.crossrange_err_km == pytest.approx(10.0, abs=1.5)
    assert g.reversals == 1 and len(rig.named("BANK_REVERSAL")) == 1


def _low_state():
    """70 km up over the equator, 7 km/s horizontal: drag ~30 m/s^2 in the onboard model."""
    return (RE_M + 70e3, 0.0, 0.0), (0.0, 7000.0, 0.0)


@pytest.mark.parametrize("factor, rejected", [(1.1, False), (3.0, True), (0.0, True)])
def test_the_drag_ratio_follows_the_sensed_drag_and_rejects_a_faulty_accelerometer(factor, rejected):
    """Sensed deceleration 1.1x the modelled: the ratio moves toward 1.1 by the filter gain each
    solution. 3x (a spiking or mis-scaled accelerometer) or 0 (a dead one): rejected, the ratio
    stays 1, one ENTRY_DRAG_REJECTED, and steering ends on the plan's bank (BANK_HELD)."""
    r, v = _low_state()
    rig = Rig(Phase.ENTRY, params={**LIFT, "guidance.target_lat_deg": 0.0, "guidance.target_lon_deg": 20.0})
    g = rig.build("entry_guidance")
    modelled = modelled_decel_mps2(r, v, vehicle_data(rig.params.v, rig.params.v["airdata.mass_kg"]))
    assert modelled > 10.0
    rig.run(g, 13.0, before=feed(rig, r, v, accel=factor * modelled))
    ratio = g.telemetry()["drag_ratio"]
    if rejected:
        assert ratio == 1.0 and len(rig.named("ENTRY_DRAG_REJECTED")) == 1 and g.drag_rejected == 1
        assert len(rig.named("BANK_HELD")) == 1 and g.solutions == 0
        assert abs(rig.bus.latest(BankRecord).bank_cmd_deg) == pytest.approx(70.0)
    else:
        n = 4                                   # solutions at 0, 4, 8, 12 s
        assert ratio == pytest.approx(1.0 + 0.1 * (1.0 - 0.7 ** n), rel=1e-6)
        assert not rig.named("ENTRY_DRAG_REJECTED")


def test_below_the_end_speed_the_bank_is_held(entry_state):
    rig, g = rig_aimed(entry_state, +80.0)
    slow = (0.0, 1000.0, 0.0)                  # 1000 m/s inertial, ~1400 m/s... air-relative below 1500
    r = (RE_M + 35e3, 0.0, 0.0)
    rig.run(g, 10.0, before=feed(rig, r, slow))
    assert g.solutions == 0 and len(rig.named("BANK_HELD")) == 1
    assert rig.bus.latest(BankRecord).bank_cmd_deg == pytest.approx(70.0)


def test_navigation_lost_in_entry_ends_steering_on_the_plans_bank(entry_state):
    """Steered away from the plan (a target 80 km short), then navigation goes invalid: after 2 s
    the bank returns to the plan's 70 deg and stays there when navigation comes back."""
    rig, g = rig_aimed(entry_state, -80.0)
    r, v = entry_state
    rig.run(g, 12.0, before=feed(rig, r, v))
    assert abs(rig.bus.latest(BankRecord).bank_cmd_deg) > 80.0
    def lost(t):
        rig.publish(NavRecord(t, False))
    rig.run(g, 2.5, before=lost)
    held = rig.named("BANK_HELD")
    assert len(held) == 1 and "navigation" in held[0].message
    rig.run(g, 10.0, before=feed(rig, r, v))
    assert abs(rig.bus.latest(BankRecord).bank_cmd_deg) == pytest.approx(70.0) and len(rig.named("BANK_HELD")) == 1
