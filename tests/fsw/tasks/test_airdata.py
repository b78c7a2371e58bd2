"""Air data: the navigated and the drag / static-pressure Mach solutions, and their checks.

References: US Standard Atmosphere 1976 (NOAA-S/T 76-1562) at 28 km geometric: pressure
1616.1 Pa, density 2.5076e-2 kg/m^3, speed of sound 300.4 m/s; q = (gamma / 2) p M^2 with
gamma = 1.4 (ideal-gas identity, Anderson, Modern Compressible Flow, eq. 3.49 form).
"""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.flightmath import OMEGA_E_RADPS, RE_M
from fsw.phases import Phase
from fsw.records import AirDataRecord, EdlRecord, FlowRecord, ImuRecord, NavRecord
from fsw.tasks.airdata import RELOCK_N, _cd

P_28KM_PA, RHO_28KM, A_28KM_MPS = 1616.1, 2.5076e-2, 300.4
MASS_KG, AREA_M2 = 40.0, 0.2827           # mission.yaml airdata.mass_kg, guidance.ref_area_m2


@pytest.fixture
def rig():
    return Rig(Phase.ENTRY, t0_s=0.0)


def decel_for(rig, mach, p_pa=P_28KM_PA):
    """The sensed drag of the capsule flying at ``mach`` in static pressure ``p_pa``."""
    v = rig.params.v
    q = 0.7 * p_pa * mach * mach
    return q * _cd(v["guidance.cd_mach"], v["guidance.cd_value"], mach) * AREA_M2 / MASS_KG


def inputs(rig, accel, p_pa=P_28KM_PA, nav_speed_mps=None, sigma_v=5.0):
    def before(t):
        rig.publish(ImuRecord(t, True, sensed_accel_mps2=accel, raw_ok=True))
        rig.publish(AirDataRecord(t, True, 28000.0, 2, (), p_pa))
        if nav_speed_mps is not None:
            # On the equator at 28 km, moving north (no Earth-rotation term across it).
            r = (RE_M + 28000.0, 0.0, 0.0)
            v = (0.0, OMEGA_E_RADPS * r[0], nav_speed_mps)
            rig.publish(NavRecord(t, True, r, v, sigma_v_mps=sigma_v, sigma_speed_mps=sigma_v))
    return before


@pytest.mark.parametrize("mach", [0.7, 1.0, 1.4, 2.0])
def test_drag_solution_inverts_the_drag_equation(rig, mach):
    a = rig.build("airdata")
    rig.run(a, n=1, before=inputs(rig, decel_for(rig, mach)))
    f = rig.bus.latest(FlowRecord)
    assert f.drag_mach == pytest.approx(mach, abs=2e-3)
    assert f.drag_q_pa == pytest.approx(0.7 * P_28KM_PA * mach * mach, rel=5e-3)
    assert 0.02 * mach < f.drag_sigma_mach < 0.06 * mach


def test_navigated_solution_against_us76(rig):
    a = rig.build("airdata")
    rig.run(a, n=1, before=inputs(rig, 20.0, nav_speed_mps=1.4 * A_28KM_MPS))
    f = rig.bus.latest(FlowRecord)
    assert f.nav_alt_m == pytest.approx(28000.0, abs=1.0)
    assert f.nav_mach == pytest.approx(1.4, rel=0.005)          # onboard table within 0.5 % of US76
    assert f.nav_q_pa == pytest.approx(0.5 * RHO_28KM * (1.4 * A_28KM_MPS) ** 2, rel=0.01)
    assert f.nav_sigma_mach == pytest.approx(math.hypot(5.0 / A_28KM_MPS, 15.0 / A_28KM_MPS,
                                                         1.4 * 0.015), rel=0.01)


def test_navigated_solution_not_used_when_too_uncertain(rig):
    a = rig.build("airdata")
    rig.run(a, n=1, before=inputs(rig, 20.0, nav_speed_mps=400.0, sigma_v=200.0))
    assert rig.bus.latest(FlowRecord).nav_mach is None


@pytest.mark.parametrize("why", ["no_drag", "stale_imu", "no_pressure", "canopy_out"])
def test_drag_solution_absent_when_an_input_is_unusable(rig, why):
    a = rig.build("airdata")
    accel = 0.5 if why == "no_drag" else decel_for(rig, 1.4)

    def before(t):
        if why != "stale_imu":
            rig.publish(ImuRecord(t, True, sensed_accel_mps2=accel, raw_ok=True))
        rig.publish(AirDataRecord(t, True, 28000.0, 2, (), None if why == "no_pressure" else P_28KM_PA))
        if why == "canopy_out":
            rig.publish(EdlRecord(t, True, drogue_t_s=t - 1.0))
    rig.run(a, n=1, before=before)
    assert rig.bus.latest(FlowRecord).drag_mach is None


def test_a_jump_is_rejected_then_a_lasting_level_accepted(rig):
    """A spike (Mach 1.4 -> 3 in 0.1 s: 16 /s against airdata.max_mach_rate_ps 1 /s) is
    rejected and counted; a level that lasts RELOCK_N samples is taken."""
    a = rig.build("airdata")
    rig.run(a, n=3, before=inputs(rig, decel_for(rig, 1.4)))
    rig.run(a, n=1, before=inputs(rig, decel_for(rig, 3.0)))
    assert rig.bus.latest(FlowRecord).drag_mach is None
    assert a.rejected["drag"] == 1 and rig.last("AIRDATA_REJECTED").data["solution"] == "drag"
    rig.run(a, n=1, before=inputs(rig, decel_for(rig, 1.4)))
    assert rig.bus.latest(FlowRecord).drag_mach == pytest.approx(1.4, abs=2e-3)
    rig.run(a, n=RELOCK_N, before=inputs(rig, decel_for(rig, 3.0)))
    assert rig.bus.latest(FlowRecord).drag_mach == pytest.approx(3.0, abs=5e-3)
