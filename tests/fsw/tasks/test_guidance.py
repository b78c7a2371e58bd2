"""Guidance task: onboard targeting while the go stands, sliced work, go/no-go, the deorbit task
taking (or refusing) each solution, and the recovery forecast after cutoff.

The navigated state is a circular 410 km, 51.64 deg orbit; targets are placed from the orbit's
geometry (tests/fsw/gnc/test_targeting.py), not from where a flight landed.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import BurnRecord, GuidanceRecord, NavRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gnc"))
from test_predictor import circular  # noqa: E402
from test_targeting import TARGET, offset, track_axes  # noqa: E402

T0 = 0.0                   # the go is given at release; ignition planned at 1200 s


def nav_feed(rig, r, v, deorbit=None, epoch_s=T0):
    """Nav's state (r, v) at ``epoch_s``, published each step with that time stamp (fresh for the
    first second: guidance starts its solution there); the deorbit task runs first (it publishes
    the BurnRecord guidance reads), as in rate group order."""
    def before(t):
        rig.publish(NavRecord(epoch_s, True, r, v, (1.0, 0.0, 0.0, 0.0)))
        if deorbit is not None:
            deorbit.run(t)
    return before


def rig_with_go(**params):
    rig = Rig(Phase.SEPARATED, t0_s=T0, params=params)
    d = rig.build("deorbit")
    assert d.deorbit_go(1200.0) is None
    g = rig.build("guidance")
    return rig, d, g


def plans(rig):
    return rig.named("GUIDANCE_SOLUTION")


def test_a_go_gets_an_onboard_solution_spread_over_many_runs_and_the_deorbit_task_takes_it():
    rig, d, g = rig_with_go()
    r, v = circular()
    runs = rig.run(g, 30.0, before=nav_feed(rig, r, v, d), until=lambda: bool(plans(rig)))
    assert runs > 3, "one solution in one run would hold the 10 Hz group for ~100 ms"
    rec = rig.bus.latest(GuidanceRecord)
    assert rec.kind == "plan" and rec.ok, rec.why
    assert rec.miss_km <= 0.5 and abs(rec.yaw_deg) <= 30.0
    assert rec.dv_mps * math.cos(math.radians(rec.yaw_deg)) == pytest.approx(105.0)
    assert rec.ignition_t_s >= T0 + 300.0 + 30.0           # after the prep lead from when it was solved
    rig.run(d, n=1, before=lambda t: None)
    assert d.plan_t_s == pytest.approx(rec.ignition_t_s) and d.yaw_deg == pytest.approx(rec.yaw_deg)
    assert d._dv_target() == pytest.approx(rec.dv_mps)
    assert rig.named("DEORBIT_RETARGETED")
    assert rig.bus.latest(BurnRecord).yaw_deg == pytest.approx(rec.yaw_deg)


def test_an_unreachable_target_is_a_no_go_that_cancels_the_go():
    _, (cn, ce) = track_axes(TARGET)
    lat, lon = offset(*TARGET, 400 * cn, 400 * ce)
    rig, d, g = rig_with_go(**{"guidance.target_lat_deg": lat, "guidance.target_lon_deg": lon})
    r, v = circular()
    rig.run(g, 60.0, before=nav_feed(rig, r, v, d), until=lambda: bool(plans(rig)))
    rec = rig.bus.latest(GuidanceRecord)
    assert not rec.ok and "cross-range" in rec.why
    rig.run(d, n=1)
    assert not d.go
    (ev,) = rig.named("DEORBIT_NO_GO")
    assert "cross-range" in ev.data["why"]
    rig.run(d, 1000.0)                                      # through the old plan: no prep, no arm
    assert rig.phases.phase is Phase.SEPARATED and not rig.dev.engine.armed


def test_no_go_no_computation_and_a_solution_for_another_go_is_ignored():
    rig = Rig(Phase.SEPARATED, t0_s=T0)
    d, g = rig.build("deorbit"), rig.build("guidance")
    r, v = circular()
    rig.run(g, 5.0, before=nav_feed(rig, r, v, d))
    assert plans(rig) == [] and rig.bus.latest(GuidanceRecord).valid is False
    rig = Rig(Phase.SEPARATED, t0_s=T0)                  # no guidance task: the test writes its record
    d = rig.build("deorbit")
    assert d.deorbit_go(1200.0) is None
    rig.publish(GuidanceRecord(rig.now, True, "plan", go_t_s=d.go_t_s - 100.0, ignition_t_s=1300.0, dv_mps=110.0,
                               yaw_deg=5.0, ok=True))
    rig.run(d, n=1)
    assert d.plan_t_s == 1200.0 and d.dv_target_mps is None


def test_the_plan_is_frozen_in_deorbit_prep():
    rig = Rig(Phase.SEPARATED, t0_s=895.0)
    d = rig.build("deorbit")
    assert d.deorbit_go(1200.0) is None
    rig.run(d, 6.0)
    assert rig.phases.phase is Phase.DEORBIT_PREP
    assert rig.named("GUIDANCE_UNAVAILABLE")   # flying the ground's plan
    rig.publish(GuidanceRecord(rig.now, True, "plan", go_t_s=d.go_t_s, ignition_t_s=1250.0, dv_mps=110.0,
                               yaw_deg=5.0, ok=True))
    rig.run(d, n=1)
    assert d.plan_t_s == 1200.0 and d.yaw_deg == 0.0


def test_the_plan_survives_a_processor_reset():
    rig = Rig(Phase.SEPARATED, t0_s=T0)
    d = rig.build("deorbit")
    assert d.deorbit_go(1200.0) is None
    rig.publish(GuidanceRecord(rig.now, True, "plan", go_t_s=d.go_t_s, ignition_t_s=1190.0, dv_mps=105.2,
                               yaw_deg=3.0, ok=True))
    rig.run(d, n=1)
    rig2 = rig.reboot()
    d2 = rig2.build("deorbit")
    assert d2.go and d2.plan_t_s == 1190.0 and d2.yaw_deg == 3.0 and d2._dv_target() == 105.2


def test_after_cutoff_one_recovery_forecast_is_downlinked():
    rig = Rig(Phase.COAST, t0_s=1219.0)
    g = rig.build("guidance")
    # The orbit just after a 105 m/s retrograde burn at apoapsis of the circular orbit.
    r, v = circular()
    k = (math.sqrt(sum(c * c for c in v)) - 105.0) / math.sqrt(sum(c * c for c in v))
    v = tuple(c * k for c in v)
    rig.publish(BurnRecord(rig.now, True, False, 1200.0, 1200.0, 1218.0, 105.0, "nominal", go_t_s=300.0))
    rig.run(g, 60.0, before=nav_feed(rig, r, v, epoch_s=1220.0))
    (ev,) = rig.named("SPLASH_FORECAST")
    rec = rig.bus.latest(GuidanceRecord)
    assert rec.kind == "forecast" and rec.ok and -90 <= rec.splash_lat_deg <= 90
    assert ev.data["lat_deg"] == pytest.approx(rec.splash_lat_deg, abs=1e-4)
    assert rec.perigee_alt_m < 60e3


def test_a_solution_far_from_the_grounds_plan_is_a_no_go():
    """The dissimilar cross-check: a go for 1800 s when the pass that reaches the target ignites
    near 1200 s (a navigation error that large, or a go for another pass) is refused."""
    rig = Rig(Phase.SEPARATED, t0_s=T0)
    d = rig.build("deorbit")
    assert d.deorbit_go(1800.0) is None
    g = rig.build("guidance")
    r, v = circular()
    rig.run(g, 60.0, before=nav_feed(rig, r, v, d), until=lambda: bool(plans(rig)))
    rec = rig.bus.latest(GuidanceRecord)
    assert not rec.ok and "from the ground's plan" in rec.why


def test_no_new_solution_starts_too_close_to_deorbit_prep():
    """A solution started less than COMPUTE_MARGIN_S before the plan's DEORBIT_PREP could only
    find a later pass (its earliest ignition is past the plan): none starts, the plan stands."""
    from fsw.tasks.guidance import COMPUTE_MARGIN_S
    rig = Rig(Phase.SEPARATED, t0_s=1200.0 - 300.0 - COMPUTE_MARGIN_S + 1.0)
    d = rig.build("deorbit")
    assert d.deorbit_go(1200.0) is None
    g = rig.build("guidance")
    r, v = circular()
    rig.run(g, 5.0, before=nav_feed(rig, r, v, d, epoch_s=rig.now))
    assert plans(rig) == [] and g._job is None and d.plan_t_s == 1200.0
