"""Navigation task: state vector, IMU sample checks, propagation, GPS, bias, restore after a reset."""
from __future__ import annotations

import math

import pytest

from fakes import Rig, copy_slots
from fsw.flightmath import MU_M3PS2, OMEGA_E_RADPS, eci_to_latlonalt
from fsw.phases import Phase
from fsw.records import HealthRecord, ImuRecord, NavRecord
from hal.devices import GpsFix

R0 = 6778137.0
V0 = math.sqrt(MU_M3PS2 / R0)
STATE = ((R0, 0.0, 0.0), (0.0, V0, 0.0), (1.0, 0.0, 0.0, 0.0))


def nav_rig(phase=Phase.SEPARATED, t0_s=100.0, **kw):
    rig = Rig(phase, t0_s=t0_s, **kw)
    nav = rig.build("nav")
    return rig, nav


def loaded(phase=Phase.SEPARATED, t0_s=100.0, **kw):
    rig, nav = nav_rig(phase, t0_s, **kw)
    assert nav.initialise(*STATE) is None
    return rig, nav


def eci_to_ecef(v, t_s):
    a = OMEGA_E_RADPS * t_s
    c, s = math.cos(a), math.sin(a)
    return (c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2])


def gps_fix_for(r_eci, v_eci, t_s, **kw) -> GpsFix:
    """The fix a receiver would give at the ECI state (ECEF, Earth-relative velocity)."""
    v_rel = (v_eci[0] + OMEGA_E_RADPS * r_eci[1], v_eci[1] - OMEGA_E_RADPS * r_eci[0], v_eci[2])
    lat, lon, alt = eci_to_latlonalt(r_eci, t_s)
    return GpsFix(t_s, True, lat, lon, alt, eci_to_ecef(r_eci, t_s), eci_to_ecef(v_rel, t_s), 9, **kw)


def test_invalid_until_a_state_vector_and_silent_at_power_on():
    rig, nav = nav_rig()
    rig.run(nav, 1.0)
    assert not rig.bus.latest(NavRecord).valid and nav.telemetry() == {"nav_valid": 0}
    assert rig.last("NAV_LOST") is None
    assert nav.initialise(*STATE) is None
    rig.run(nav, n=1)
    assert rig.bus.latest(NavRecord).valid and nav.telemetry() == {"nav_valid": 1}


@pytest.mark.parametrize("r, v, q, why", [
    ((1.0e6, 0.0, 0.0), STATE[1], STATE[2], "radius"),
    (STATE[0], (0.0, 13000.0, 0.0), STATE[2], "speed"),
    (STATE[0], STATE[1], (0.9, 0.0, 0.0, 0.0), "quaternion"),
])
def test_implausible_state_vector_is_refused(r, v, q, why):
    rig, nav = nav_rig()
    assert why in nav.initialise(r, v, q)
    assert not nav.state[0]


def test_coasts_on_the_orbit_model():
    rig, nav = loaded()
    rig.run(nav, 60.0)
    rec = rig.bus.latest(NavRecord)
    assert math.dist(rec.r_eci_m, (0, 0, 0)) == pytest.approx(R0, rel=2e-4)     # circular: radius holds
    ang = math.atan2(rec.r_eci_m[1], rec.r_eci_m[0])
    assert ang == pytest.approx(V0 / R0 * 60.0, rel=1e-2)


@pytest.mark.parametrize("gyro, accel", [
    ((40.0, 0.0, 0.0), (0.0, 0.0, 0.0)),              # beyond any credible rate
    ((0.0, 0.0, 0.0), (0.0, 3000.0, 0.0)),            # beyond any credible specific force
    ((0.0, 0.0, 0.0), (float("nan"), 0.0, 0.0)),
    ((float("inf"), 0.0, 0.0), (0.0, 0.0, 0.0)),
])
def test_out_of_range_imu_sample_is_rejected_and_not_integrated(gyro, accel):
    rig, nav = loaded(Phase.COAST)
    rig.run(nav, n=1)
    q_before = rig.bus.latest(NavRecord).q_body_eci
    rig.dev.imu.set(gyro=gyro, accel=accel)
    rig.run(nav, n=1)
    imu = rig.bus.latest(ImuRecord)
    assert not imu.valid and not imu.raw_ok
    assert imu.sensed_accel_mps2 == 0.0 and imu.raw_accel_mps2 == (0.0, 0.0, 0.0)
    assert nav.bad_samples == 1 and rig.last("IMU_SAMPLE_REJECTED") is not None
    nr = rig.bus.latest(NavRecord)
    assert nr.valid and nr.q_body_eci == pytest.approx(q_before)          # the bad rate did not spin it
    assert all(math.isfinite(c) for c in nr.r_eci_m + nr.v_eci_mps)


def test_invalid_flag_rejects_the_sample():
    rig, nav = loaded()
    rig.dev.imu.set(valid=False)
    rig.run(nav, n=1)
    assert not rig.bus.latest(ImuRecord).valid and nav.bad_samples == 1


def test_imu_declared_failed_is_not_used_but_still_reported_raw():
    rig, nav = loaded(Phase.COAST)
    rig.dev.imu.set(accel=(50.0, 0.0, 0.0))
    rig.run(nav, n=1, before=lambda t: rig.publish(HealthRecord(t, True, frozenset({"imu"}))))
    imu = rig.bus.latest(ImuRecord)
    assert not imu.valid and imu.raw_ok and nav.bad_samples == 0


def test_burn_acceleration_is_integrated_along_the_body_axis():
    burn, nav = loaded(Phase.DEORBIT_BURN)
    coast, ref = loaded(Phase.DEORBIT_BURN)           # same instants, no thrust
    burn.dev.imu.set(accel=(5.9, 0.0, 0.0))           # body +x = ECI +x with the identity attitude
    burn.run(nav, 1.0)
    coast.run(ref, 1.0)
    imu = burn.bus.latest(ImuRecord)
    assert imu.sensed_accel_mps2 == pytest.approx(5.9) and imu.accel_body_mps2[0] == pytest.approx(5.9)
    va, vc = burn.bus.latest(NavRecord).v_eci_mps, coast.bus.latest(NavRecord).v_eci_mps
    assert va[0] - vc[0] == pytest.approx(5.9, abs=0.02)
    assert va[1] - vc[1] == pytest.approx(0.0, abs=0.02)


def test_small_accelerations_are_not_integrated_in_coast():
    rig, nav = loaded(Phase.COAST)
    ref = loaded(Phase.COAST)
    rig.dev.imu.set(accel=(0.1, 0.0, 0.0))            # below gnc.accel_threshold_mps2: bias, not thrust
    rig.run(nav, 10.0)
    ref[0].run(ref[1], 10.0)
    assert rig.bus.latest(NavRecord).v_eci_mps == pytest.approx(ref[0].bus.latest(NavRecord).v_eci_mps)


def test_accelerometer_bias_is_estimated_in_quiet_free_flight_and_stored():
    rig, nav = loaded(Phase.SEPARATED)
    rig.dev.imu.set(accel=(0.05, -0.02, 0.01))
    rig.run(nav, 2.0)
    imu = rig.bus.latest(ImuRecord)
    assert imu.accel_body_mps2 == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    rig.run(nav, 10.0)
    assert rig.store.get("nav")["bias"] == pytest.approx([0.05, -0.02, 0.01])


def test_gps_fix_pulls_the_state():
    rig, nav = nav_rig(t0_s=100.0)
    off = (STATE[0][0] + 1000.0, 0.0, 0.0)
    assert nav.initialise(off, STATE[1], STATE[2]) is None
    ref = loaded(t0_s=100.0)

    def before(t):
        ref[0].clock.advance_to(t)
        ref[1].run(t)
        truth = ref[0].bus.latest(NavRecord)
        rig.dev.gps.fix = gps_fix_for(truth.r_eci_m, truth.v_eci_mps, t)
    rig.run(nav, n=5, before=before)
    err = math.dist(rig.bus.latest(NavRecord).r_eci_m, ref[0].bus.latest(NavRecord).r_eci_m)
    assert err == pytest.approx(800.0, abs=5.0)                         # gain 0.2, one fix in 5 runs
    assert rig.bus.latest(NavRecord).valid


def test_implausible_gps_fix_is_rejected():
    rig, nav = loaded()
    rig.dev.gps.fix = GpsFix(rig.now, True, 95.0, 0.0, 400e3, (1.0e6, 0.0, 0.0), (0.0, 0.0, 0.0), 8)
    rig.run(nav, n=5)
    assert nav.rejected_fixes == 1 and rig.last("GPS_FIX_REJECTED") is not None
    assert rig.bus.latest(NavRecord).r_eci_m[0] == pytest.approx(R0, rel=1e-3)


def test_restored_from_the_stored_nav_image_after_a_reset():
    rig, nav = loaded(t0_s=100.0)
    rig.run(nav, 25.0)                                 # images at ~100, 110, 120 s
    snapshot = copy_slots(rig.slots)                   # what the store holds at the reset (t = 125 s)
    saved_t = rig.store.get("nav")["t_s"]
    assert 115.0 < saved_t <= 125.0
    rig.run(nav, 20.0)                                 # truth: the old nav keeps flying to t = 145 s
    truth = rig.bus.latest(NavRecord)
    rig2 = rig.reboot(slots=snapshot)
    nav2 = rig2.build("nav")
    ev = rig2.last("NAV_RESTORED")
    assert ev is not None and ev.data["age_s"] == pytest.approx(rig.now - saved_t, abs=1e-3)
    valid, r, v, _ = nav2.state                        # at boot, propagated to now (t = 145 s)
    assert valid
    assert math.dist(r, truth.r_eci_m) < 5.0
    assert math.dist(v, truth.v_eci_mps) < 0.01
    rig2.run(nav2, n=1)
    assert rig2.bus.latest(NavRecord).valid


def test_stored_nav_image_too_old_is_not_used():
    rig, nav = loaded(t0_s=100.0)
    rig.run(nav, 1.0)
    rig.clock.advance_by(601.0)
    rig2 = rig.reboot()
    nav2 = rig2.build("nav")
    assert not nav2.state[0] and "old" in rig2.last("NAV_LOST").message


def test_reset_without_a_stored_image_says_nav_lost():
    rig, nav = nav_rig()
    rig2 = rig.reboot()
    rig2.build("nav")
    assert rig2.last("NAV_LOST") is not None and not rig2.bus.latest(NavRecord).valid


def test_saves_faster_in_the_dynamic_phases():
    rig, nav = loaded(Phase.DEORBIT_PREP)
    before = rig.store.commits
    rig.run(nav, 10.0)
    dyn = rig.params.v["fdir.nav_save_dynamic_s"]
    assert dyn < rig.params.v["fdir.nav_save_s"]
    assert rig.store.commits - before == pytest.approx(10.0 / dyn, abs=1)


def test_implausible_nav_declared_by_the_monitors_recovers_on_a_new_state_vector():
    """NAV_PLAUSIBLE (Schiaparelli 2016): nav below the sea is dropped; a new STATE_VECTOR restores it."""
    rig = Rig(Phase.COAST, t0_s=100.0)
    nav, mon = rig.build("nav"), rig.build("monitors")
    under = (6.0e6 + 200e3, 0.0, 0.0)                  # 160 km below the polar radius
    assert nav.initialise(under, (0.0, 7000.0, 0.0), STATE[2]) is None

    def tick(n):                                       # nav at 50 Hz, monitors every 5th (10 Hz), as wired
        for _ in range(n):
            rig.run(nav, n=4)
            rig.run(nav, n=1)
            mon.run(rig.now)
    tick(2)
    assert "NAV_PLAUSIBLE" in [e.data["monitor"] for e in rig.named("MONITOR_RESPONSE")]
    assert not rig.bus.latest(NavRecord).valid and rig.last("NAV_LOST") is not None
    assert nav.initialise(*STATE) is None              # the ground uplinks a good state
    tick(20)
    assert rig.bus.latest(NavRecord).valid and "nav" not in rig.bus.latest(HealthRecord).degraded
