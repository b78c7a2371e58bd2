"""Attitude task: mode by phase, rate damping, retrograde pointing error, fallbacks, thrusters off when failed."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import AttitudeRecord, HealthRecord, ImuRecord, NavRecord
from sim.dynamics import quat_from_axes_x

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
    (Phase.ATTACHED, "off"), (Phase.SEPARATED, "star"), (Phase.DEORBIT_PREP, "retrograde"),
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
    rig = Rig(Phase.SAFE, t0_s=10.0)
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


# ---- bank steering (requirement 5) ---------------------------------------------------------------
def _q_axes(x, y, z):
    m = ((x[0], y[0], z[0]), (x[1], y[1], z[1]), (x[2], y[2], z[2]))
    w = math.sqrt(1.0 + m[0][0] + m[1][1] + m[2][2]) / 2.0
    return (w, (m[2][1] - m[1][2]) / (4 * w), (m[0][2] - m[2][0]) / (4 * w), (m[1][0] - m[0][1]) / (4 * w))


# Over the equator at +x moving +y (eastward): up is +x, right of the velocity is -z.
LIFT_UP = _q_axes((0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0))      # body x along v, body z up
LIFT_LEFT = _q_axes((0.0, 1.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0))   # body z toward +z: left


def test_bank_angle_is_zero_with_the_lift_up_and_negative_to_the_left():
    from fsw.tasks.attitude import bank_angle_deg
    assert bank_angle_deg(R, V, LIFT_UP) == pytest.approx(0.0, abs=1e-6)
    assert bank_angle_deg(R, V, LIFT_LEFT) == pytest.approx(-90.0, abs=0.1)


@pytest.mark.parametrize("cmd_deg, q, bit", [(0.0, LIFT_LEFT, 0), (-179.0, LIFT_LEFT, 1), (-90.0, LIFT_LEFT, None),
                                             (60.0, LIFT_UP, 0)])
def test_in_entry_with_a_bank_command_only_the_roll_couple_fires_toward_it(cmd_deg, q, bit):
    """Lift left (-90): a command of 0 rolls positive (about the velocity, toward up), -179 the other
    way round (the shorter way); on the command nothing fires. At any deceleration (the 50 m/s^2 here
    is beyond the rate damping's limit)."""
    from fsw.records import BankRecord
    rig = Rig(Phase.ENTRY, t0_s=10.0)
    a = rig.build("attitude")
    rig.publish(BankRecord(10.0, True, cmd_deg))
    rig.run(a, n=1, before=feed(rig, q=q, accel=50.0))
    rec = att(rig)
    assert rec.mode == "bank"
    assert rec.rcs_mask == (0 if bit is None else 1 << bit)


def test_bank_steering_stops_when_the_imu_or_the_rcs_is_declared_failed():
    from fsw.records import BankRecord
    for degraded in ({"imu"}, {"rcs"}):
        rig = Rig(Phase.ENTRY, t0_s=10.0)
        a = rig.build("attitude")
        rig.publish(BankRecord(10.0, True, 0.0))
        rig.run(a, n=1, before=feed(rig, q=LIFT_LEFT, degraded=degraded))
        assert att(rig).mode == "off" and rig.dev.rcs.masks[-1] == 0


def test_a_roll_rate_beyond_the_guard_stops_the_roll_couple_with_one_event():
    """A roll gyro of the wrong sign drives the bank loop away; beyond 3 x the 15 deg/s limit the
    couple stops, whatever the bank error, and says so once."""
    from fsw.records import BankRecord
    rig = Rig(Phase.ENTRY, t0_s=10.0)
    a = rig.build("attitude")
    rig.publish(BankRecord(10.0, True, 0.0))
    rig.run(a, n=5, before=feed(rig, q=LIFT_LEFT, gyro=(-50.0 * DEG, 0.0, 0.0)))
    assert rig.dev.rcs.masks[-1] == 0 and att(rig).mode == "bank"
    assert len(rig.named("BANK_ROLL_GUARD")) == 1
    rig.run(a, n=1, before=feed(rig, q=LIFT_LEFT, gyro=(-40.0 * DEG, 0.0, 0.0)))
    assert rig.dev.rcs.masks[-1] == 1                 # back inside the guard: steering again


def test_a_roll_couple_firing_past_its_cap_stops_for_good_whatever_the_gyro_says():
    """Requirement 6: a roll gyro frozen at zero never sees the roll, so the bank error never
    closes and the guard above (same gyro) never trips; the couple's own firing time stops it at
    entry.roll_fire_max_s (4 s: 200 ticks at 50 Hz), once, and it stays off after."""
    from fsw.records import BankRecord
    rig = Rig(Phase.ENTRY, t0_s=10.0)
    a = rig.build("attitude")
    cap_s = rig.ctx.params.v["entry.roll_fire_max_s"]
    rig.publish(BankRecord(10.0, True, 0.0))
    n = round(cap_s / a.dt)
    rig.run(a, n=n, before=feed(rig, q=LIFT_LEFT))
    assert rig.dev.rcs.masks[-1] == 1 and not rig.named("BANK_ROLL_CAP")
    rig.run(a, n=2, before=feed(rig, q=LIFT_LEFT))
    assert rig.dev.rcs.masks[-1] == 0
    assert len(rig.named("BANK_ROLL_CAP")) == 1
    sent = len(rig.dev.rcs.masks)
    rig.run(a, n=50, before=feed(rig, q=LIFT_LEFT))          # still a bank error: still off
    assert rig.dev.rcs.masks[sent - 1:] == [0] and len(rig.named("BANK_ROLL_CAP")) == 1


def test_roll_firing_with_breaks_or_reversing_never_reaches_the_cap():
    """Healthy steering pulses (the deadband breaks the firing) or swaps direction: the count
    restarts, so 1.5 caps' worth of firing in two runs does not trip it."""
    from fsw.records import BankRecord
    rig = Rig(Phase.ENTRY, t0_s=10.0)
    a = rig.build("attitude")
    n = round(0.75 * rig.ctx.params.v["entry.roll_fire_max_s"] / a.dt)
    rig.publish(BankRecord(10.0, True, 0.0))
    rig.run(a, n=n, before=feed(rig, q=LIFT_LEFT))                       # fires +roll
    rig.run(a, n=1, before=feed(rig, q=LIFT_LEFT, gyro=(15.0 * DEG, 0.0, 0.0)))   # at the limit: a break
    assert rig.dev.rcs.masks[-1] == 0
    rig.run(a, n=n, before=feed(rig, q=LIFT_LEFT))
    rig.publish(BankRecord(rig.clock.now_s(), True, -179.0))
    rig.run(a, n=n, before=feed(rig, q=LIFT_LEFT))                       # reversed: -roll
    assert rig.dev.rcs.masks[-1] == 2 and not rig.named("BANK_ROLL_CAP")


# ---- star acquisition (requirement 7) ------------------------------------------------------------
def feed_star(rig, q, star_t_s):
    """Nav at R, V with attitude q and the last accepted star solution at star_t_s."""
    def before(t):
        rig.publish(ImuRecord(t, True, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, True))
        rig.publish(NavRecord(t, True, R, V, q, 10.0, 0.01, 0.1, 0.01, star_t_s(t)))
        rig.publish(HealthRecord(t, True, frozenset()))
    return before


# Body +x toward the Earth's centre (-x, the boresight, at the zenith: +x of ECI here; R x V is
# +z, the orbit normal), as a quaternion body->ECI.
NADIR_X = quat_from_axes_x((-1.0, 0.0, 0.0))


def test_star_acquisition_holds_the_boresight_on_the_zenith_while_stars_are_seen():
    from fsw.tasks.attitude import sky_direction
    assert sky_direction(0, R, V) == pytest.approx((1.0, 0.0, 0.0))
    assert sky_direction(1, R, V) == pytest.approx((0.0, 0.0, 1.0))
    assert sky_direction(2, R, V) == pytest.approx((0.0, 0.0, -1.0))
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, 600.0, before=feed_star(rig, NADIR_X, lambda t: t - 1.0))   # a star solution every second
    rec = att(rig)
    assert rec.mode == "star" and rec.att_error_deg == pytest.approx(0.0, abs=1e-6)
    assert not rig.named("ATT_STAR_SEARCH")


def test_no_star_solution_moves_the_boresight_through_the_sky_directions_in_turn():
    """The Sun in the baffle at the zenith: after gnc.star_search_s without an accepted solution
    the tracker goes to the orbit normal, then the anti-normal, then back to the zenith."""
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    search = rig.ctx.params.v["gnc.star_search_s"]
    never = feed_star(rig, NADIR_X, lambda t: -math.inf)
    rig.run(a, search, before=never)
    assert att(rig).att_error_deg == pytest.approx(0.0, abs=1e-6) and not rig.named("ATT_STAR_SEARCH")
    rig.run(a, 1.0, before=never)
    assert [e.data["sky"] for e in rig.named("ATT_STAR_SEARCH")] == ["orbit normal"]
    assert att(rig).att_error_deg == pytest.approx(90.0, abs=1e-3)      # zenith -> normal: a 90 deg slew
    rig.run(a, search + 1.0, before=never)
    rig.run(a, search + 1.0, before=never)
    assert [e.data["sky"] for e in rig.named("ATT_STAR_SEARCH")] == ["orbit normal", "orbit anti-normal", "zenith"]


def test_star_acquisition_stays_where_solutions_resume():
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    search = rig.ctx.params.v["gnc.star_search_s"]
    rig.run(a, search + 1.0, before=feed_star(rig, NADIR_X, lambda t: -math.inf))
    rig.run(a, 3 * search, before=feed_star(rig, NADIR_X, lambda t: t))           # solutions at the normal
    assert len(rig.named("ATT_STAR_SEARCH")) == 1


def test_star_acquisition_without_nav_falls_back_to_damping():
    rig = Rig(Phase.SEPARATED, t0_s=10.0)
    a = rig.build("attitude")
    rig.run(a, n=1, before=feed(rig, nav_valid=False, gyro=(2 * DEG, 0.0, 0.0)))
    assert att(rig).mode == "damp" and rig.dev.rcs.masks[-1] == 0b10


def test_the_tracker_boresight_the_acquisition_assumes_is_the_hardware_profiles():
    import yaml
    from fakes import REPO
    hw = yaml.safe_load((REPO / "config" / "sil.yaml").read_text())
    assert hw["star_tracker"]["boresight_body"] == [-1.0, 0.0, 0.0]
