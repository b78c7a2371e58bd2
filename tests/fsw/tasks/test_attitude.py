"""Attitude task: mode by phase, rate damping, retrograde pointing error, fallbacks, thrusters off when failed."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import AttitudeRecord, HealthRecord, ImuRecord, NavRecord

R = (6778137.0, 0.0, 0.0)
V = (0.0, 7668.0, 0.0)
DEG = math.pi / 180.0


def q_about_z(angle_rad):
    return (math.cos(angle_rad / 2), 0.0, 0.0, math.sin(angle_rad / 2))


def feed(rig, gyro=(0.0, 0.0, 0.0), q=(1.0, 0.0, 0.0, 0.0), nav_valid=True, imu_valid=True, accel=0.0,
         degraded=frozenset()):
    def before(t):
        rig.publish(ImuRecord(t, imu_valid, tuple(gyro), (accel, 0.0, 0.0), abs(accel), imu_valid))
        rig.publish(NavRecord(t, nav_valid, R, V, q))
        rig.publish(HealthRecord(t, True, frozenset(degraded)))
    return before


def att(rig):
    return rig.bus.latest(AttitudeRecord)


@pytest.mark.parametrize("phase, mode", [
    (Phase.ATTACHED, "off"), (Phase.SEPARATED, "damp"), (Phase.DEORBIT_PREP, "retrograde"),
    (Phase.DEORBIT_BURN, "retrograde"), (Phase.COAST, "entry"), (Phase.ENTRY, "damp"),
    (Phase.DROGUE, "off"), (Phase.MAIN, "off"), (Phase.LANDED, "off"), (Phase.SAFE, "damp"),
])
def test_mode_by_phase(phase, mode):
    rig = Rig(phase, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig))
    assert att(rig).mode == mode


def test_off_commands_the_thrusters_off_once():
    rig = Rig(Phase.ATTACHED, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, n=10, before=feed(rig, gyro=(0.2, 0.0, 0.0)))
    assert rig.dev.rcs.masks == [0]                   # the first command always goes out, then no chatter


def test_rate_damping_fires_against_the_rate():
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig, gyro=(2 * DEG, -2 * DEG, 0.1 * DEG)))
    mask = rig.dev.rcs.masks[-1]
    assert mask == 0b0110                             # -x couple (bit 1), +y couple (bit 2); z in the deadband
    assert att(rig).rcs_mask == mask and att(rig).att_error_deg is None
    rig.run(a, n=1, before=feed(rig))
    assert rig.dev.rcs.masks[-1] == 0


def test_retrograde_error_and_commands_in_prep():
    rig = Rig(Phase.DEORBIT_PREP, t0_s=900.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig))                 # body +x along ECI +x, retrograde is ECI -y: 90 deg
    assert att(rig).att_error_deg == pytest.approx(90.0)
    assert att(rig).rcs_mask != 0
    assert a.telemetry()["att_error_deg"] == pytest.approx(90.0)
    rig.run(a, n=1, before=feed(rig, q=q_about_z(-math.pi / 2 + 1 * DEG)))   # body +x rotated to -y, 1 deg off
    assert att(rig).att_error_deg == pytest.approx(1.0, abs=1e-6)


def test_slew_rate_limited_to_max_rate():
    rig = Rig(Phase.DEORBIT_PREP, t0_s=900.0)
    a = rig.build("attitude")
    max_rate = 3.0 * DEG                              # gnc.max_rate_dps
    rig.run(a, n=1, before=feed(rig, gyro=(0.0, 0.0, -max_rate)))   # already slewing at the limit about -z
    assert att(rig).rcs_mask & 0b110000 == 0          # no more z torque at the limit (inside the deadband)
    rig.run(a, n=1, before=feed(rig, gyro=(0.0, 0.0, -max_rate - 1.0 * DEG)))
    assert att(rig).rcs_mask & 0b010000               # too fast: +z couple brakes


def test_pointing_without_nav_falls_back_to_damping():
    rig = Rig(Phase.DEORBIT_PREP, t0_s=900.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig, nav_valid=False))
    assert att(rig).mode == "damp" and att(rig).att_error_deg is None   # no error: deorbit will not ignite


@pytest.mark.parametrize("kw", [dict(imu_valid=False), dict(degraded={"imu"}), dict(degraded={"rcs"})])
def test_failed_imu_or_isolated_rcs_keeps_the_thrusters_off(kw):
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, n=5, before=feed(rig, gyro=(5 * DEG, 0.0, 0.0), **kw))
    assert att(rig).mode == "off" and set(rig.dev.rcs.masks) == {0}


def test_entry_rcs_off_at_high_load():
    rig = Rig(Phase.ENTRY, t0_s=3000.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig, gyro=(2 * DEG, 0.0, 0.0), accel=20.0))
    assert att(rig).mode == "off" and rig.dev.rcs.masks[-1] == 0
    rig.run(a, n=1, before=feed(rig, gyro=(2 * DEG, 0.0, 0.0), accel=1.0))
    assert att(rig).mode == "damp" and rig.dev.rcs.masks[-1] != 0


def test_entry_attitude_points_along_the_air_relative_velocity_in_coast():
    rig = Rig(Phase.COAST, t0_s=2000.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig, q=q_about_z(math.pi / 2)))   # body +x along ECI +y (prograde)
    assert att(rig).att_error_deg < 1.0              # the air-relative velocity is within a degree of it
