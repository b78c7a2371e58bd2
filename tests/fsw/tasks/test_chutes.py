"""Chute task: entry onset, g-arm, drogue and main by two-of-three votes (each source failing), resets."""
from __future__ import annotations

import pytest

from fakes import Rig, mission_params
from fsw.phases import Phase
from fsw.records import AirDataRecord, BurnRecord, EdlRecord, FlowRecord, GpsRecord, ImuRecord
from fsw.tasks.chutes import G_ARM_N
from hal.devices import GpsFix

G_ARM = 35.0                # m/s^2, above chutes.g_arm_mps2 (29.4)


ABOVE = "above"             # the barometers at their low clamp: above their range (~30 km)


def air(rig, alt_m):
    """Each step: the fused baro altitude (None: no baro usable; ABOVE: at their clamp)."""
    def before(t):
        a = alt_m() if callable(alt_m) else alt_m
        if a is ABOVE:
            rig.publish(AirDataRecord(t, False, None, 0, above_range=True))
        else:
            rig.publish(AirDataRecord(t, a is not None, a, 0 if a is None else 2))
    return before


def sensed(rig, accel, alt_m=None, valid=True):
    def before(t):
        rig.publish(ImuRecord(t, valid, sensed_accel_mps2=accel, raw_ok=valid))
        air(rig, alt_m)(t)
    return before


def entry(t0_s=3000.0, **kw):
    rig = Rig(Phase.ENTRY, t0_s=t0_s, **kw)
    return rig, rig.build("chutes")


def arm(rig, c):
    rig.run(c, n=G_ARM_N - 1, before=sensed(rig, G_ARM, None))
    assert c.g_arm_t_s is None                         # one sample above 3 g is a spike, not the peak
    rig.run(c, n=1, before=sensed(rig, G_ARM, None))
    assert c.g_arm_t_s == pytest.approx(rig.now)
    assert rig.last("DROGUE_ARMED") is not None


def test_coast_enters_entry_on_persistent_deceleration():
    rig = Rig(Phase.COAST, t0_s=3000.0)
    c = rig.build("chutes")
    rig.run(c, 0.5, before=sensed(rig, 0.6))
    rig.run(c, n=1, before=sensed(rig, 0.1))                 # a dip restarts the persistence
    rig.run(c, 0.9, before=sensed(rig, 0.6))
    assert rig.phases.phase is Phase.COAST
    rig.run(c, 0.3, before=sensed(rig, 0.6))
    assert rig.phases.phase is Phase.ENTRY
    assert rig.store.get("edl")["onset_t_s"] == pytest.approx(rig.phases.entered_t_s)


def test_coast_enters_entry_by_timer_after_cutoff():
    rig = Rig(Phase.COAST, t0_s=3000.0)
    c = rig.build("chutes")

    def before(t):
        rig.publish(BurnRecord(t, True, cutoff_t_s=3000.0 - (ONSET_BACKUP_S - 1.0)))
        sensed(rig, 0.0)(t)
    rig.run(c, 0.9, before=before)
    assert rig.phases.phase is Phase.COAST
    rig.run(c, 0.2, before=before)
    assert rig.phases.phase is Phase.ENTRY


def test_safe_capsule_that_decelerates_still_enters():
    rig = Rig(Phase.SAFE, t0_s=3000.0)
    c = rig.build("chutes")
    rig.run(c, 1.2, before=sensed(rig, 2.0))
    assert rig.phases.phase is Phase.ENTRY


_CHUTES = mission_params()["chutes"]           # the timers as config/mission.yaml sets them
FALL_BACKUP_S = _CHUTES["drogue_fall_backup_s"]
G_FALL = _CHUTES["g_fall_mps2"]
G_FALL_MIN_S = _CHUTES["g_fall_min_s"]
ONSET_BACKUP_S = mission_params()["entry"]["onset_backup_s"]
BARO_BACKUP_S = _CHUTES["drogue_baro_backup_s"]
MAIN_BACKUP_S = _CHUTES["main_backup_s"]


def flow(rig, nav=None, drag=None, sigma=0.03, q_pa=2000.0, nav_alt_m=None, accel=35.0, alt_m=ABOVE):
    """Each step: the two Mach solutions (None: unusable), the load and the baro altitude.
    ``nav``/``drag`` may be callables of t."""
    def before(t):
        n = nav(t) if callable(nav) else nav
        d = drag(t) if callable(drag) else drag
        rig.publish(FlowRecord(t, True, nav_alt_m, n, None if n is None else q_pa, None if n is None else sigma,
                               d, None if d is None else q_pa, None if d is None else sigma))
        sensed(rig, accel, alt_m)(t)
    return before


def fall(rig, c, hold_s=G_FALL_MIN_S + 10.0):
    """Armed, the load held above 2 g for ``hold_s``, then below it: the fall clock starts."""
    arm(rig, c)
    rig.run(c, hold_s, before=flow(rig))
    assert c.fall_t_s is None
    rig.run(c, n=G_ARM_N, before=flow(rig, accel=G_FALL - 1.0))
    assert c.fall_t_s == pytest.approx(rig.now) and rig.last("DROGUE_FALL") is not None
    assert rig.store.get("edl")["fall_t_s"] == c.fall_t_s and rig.bus.latest(EdlRecord).fall_t_s == c.fall_t_s
    return c.fall_t_s


def test_drogue_needs_two_mach_votes():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 5.0, before=flow(rig, nav=1.3, drag=2.5))         # one vote: nothing
    assert rig.dev.pyro.pulses == [] and c.drogue_votes(rig.now) == ("nav",)
    rig.run(c, n=2, before=flow(rig, nav=1.3, drag=1.35))
    assert rig.dev.pyro.pulses == []                              # persistence 3
    rig.run(c, n=1, before=flow(rig, nav=1.3, drag=1.35))
    assert rig.dev.pyro.pulses == ["drogue"] and rig.phases.phase is Phase.DROGUE
    assert c.drogue_trigger == "nav+drag" and rig.last("DROGUE_DEPLOY").data["trigger"] == "nav+drag"
    assert rig.store.get("edl")["drogue_t_s"] == pytest.approx(rig.now)
    assert rig.bus.latest(EdlRecord).drogue_trigger == "nav+drag"


def test_a_vote_persistence_restarts_when_a_source_drops_out():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=2, before=flow(rig, nav=1.3, drag=1.3))
    rig.run(c, n=1, before=flow(rig, nav=1.3, drag=None))        # a drag sample lost
    rig.run(c, n=2, before=flow(rig, nav=1.3, drag=1.3))
    assert rig.dev.pyro.pulses == []
    rig.run(c, n=1, before=flow(rig, nav=1.3, drag=1.3))
    assert rig.dev.pyro.pulses == ["drogue"]


@pytest.mark.parametrize("fault", ["stuck_low", "spike", "inverted_sign"])
def test_a_mach_source_failed_early_waits_for_a_healthy_vote(fault):
    """Navigated Mach stuck at 0.9 (or spiking to it, or sign-inverted) from high supersonic:
    the drag solution still reads Mach 3 -> 1.5, no drogue until it votes. A spiking or
    negative source never holds a vote, so the drag vote then waits for the timer."""
    rig, c = entry()
    t_fall = fall(rig, c)
    t0 = rig.now
    bad = {"stuck_low": 0.9, "spike": lambda t: 0.9 if int((t - t0) * 10) % 7 == 0 else 3.0,
           "inverted_sign": -1.2}[fault]
    rig.run(c, 20.0, before=flow(rig, nav=bad, drag=lambda t: 3.0 - 0.075 * (t - t0)))
    assert rig.dev.pyro.pulses == []                              # drag at 1.5: still above 1.4
    rig.run(c, 2.0, before=flow(rig, nav=bad, drag=1.38))
    if fault == "stuck_low":
        assert rig.dev.pyro.pulses == ["drogue"] and c.drogue_trigger == "nav+drag"
        return
    assert rig.dev.pyro.pulses == []
    rig.run(c, t_fall + FALL_BACKUP_S - rig.now - 0.2, before=flow(rig, nav=bad, drag=1.3, accel=15.0))
    assert rig.dev.pyro.pulses == []
    rig.run(c, 0.5, before=flow(rig, nav=bad, drag=1.3, accel=15.0))
    assert rig.dev.pyro.pulses == ["drogue"] and c.drogue_trigger == "drag+timer"


def test_an_uncertain_mach_solution_does_not_vote():
    """1.30 with a 0.2 sigma: its 2-sigma bound 1.70 is above chutes.drogue_mach_ceiling 1.6."""
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 5.0, before=flow(rig, nav=1.3, drag=1.3, sigma=0.2))
    assert rig.dev.pyro.pulses == [] and c.drogue_votes(rig.now) == ()
    rig.run(c, 0.5, before=flow(rig, nav=1.3, drag=1.3, sigma=0.1))
    assert rig.dev.pyro.pulses == ["drogue"]


def test_a_mach_vote_above_the_dynamic_pressure_ceiling_does_not_count():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 5.0, before=flow(rig, nav=1.3, drag=1.3, q_pa=3600.0))
    assert rig.dev.pyro.pulses == []


@pytest.mark.parametrize("silent", ["nav", "drag"])
def test_drogue_by_timer_with_one_mach_source_silent(silent):
    """A Mach source dead (or stuck high): the other votes at Mach 1.4, the fall clock is the
    second vote chutes.drogue_fall_backup_s after the load fell below 2 g (barometers still above
    their range: no baro clock)."""
    rig, c = entry()
    t_fall = fall(rig, c)
    kw = {"nav": 1.3, "drag": 1.3, silent: (None if silent == "nav" else 5.0), "accel": 15.0}
    rig.run(c, FALL_BACKUP_S - 0.2, before=flow(rig, **kw))
    assert rig.dev.pyro.pulses == []
    rig.run(c, 0.5, before=flow(rig, **kw))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert c.drogue_t_s == pytest.approx(t_fall + FALL_BACKUP_S + 0.2, abs=0.11)
    assert "timer" in c.drogue_trigger and c.baro_in_t_s is None


@pytest.mark.parametrize("first", ["fall", "baro"])
def test_the_timer_votes_when_its_first_clock_runs_out(first):
    """The fall and baro clocks each bound the drogue on their own; the timer votes at the earlier.
    "baro": the barometers come into range 10 s before the load falls below 2 g."""
    rig, c = entry()
    arm(rig, c)
    rig.run(c, G_FALL_MIN_S, before=flow(rig, nav=1.3))
    if first == "baro":
        rig.run(c, n=1, before=flow(rig, nav=1.3, alt_m=29500.0))
        rig.run(c, 10.0, before=flow(rig, nav=1.3, alt_m=28000.0))
    alt = 28000.0 if first == "baro" else ABOVE
    rig.run(c, n=G_ARM_N, before=flow(rig, nav=1.3, accel=15.0, alt_m=alt))
    t_fall = c.fall_t_s
    if first == "fall":
        rig.run(c, 10.0, before=flow(rig, nav=1.3, accel=15.0))
        rig.run(c, n=1, before=flow(rig, nav=1.3, accel=15.0, alt_m=29500.0))
    t_in = c.baro_in_t_s
    assert t_fall is not None and t_in is not None and (t_in < t_fall) == (first == "baro")
    expect = min(t_fall + FALL_BACKUP_S, t_in + BARO_BACKUP_S)
    assert expect == pytest.approx(t_fall + FALL_BACKUP_S if first == "fall" else t_in + BARO_BACKUP_S)
    rig.run(c, expect - rig.now - 0.2, before=flow(rig, nav=1.3, accel=15.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == []
    rig.run(c, 0.5, before=flow(rig, nav=1.3, accel=15.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == ["drogue"] and c.drogue_trigger == "nav+timer"
    assert c.drogue_t_s == pytest.approx(expect + 0.2, abs=0.11)


def test_a_fall_soon_after_the_g_arm_is_refused():
    """An accelerometer that dies through the peak (reads zero, flagged valid) looks like the load's
    fall: sooner than chutes.g_fall_min_s after the g-arm it is refused for the flight, so the fall
    clock cannot vote early; the baro clock still bounds the drogue."""
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 20.0, before=flow(rig))
    rig.run(c, G_FALL_MIN_S + 30.0, before=flow(rig, nav=1.3, accel=0.0))
    assert c.fall_t_s is None and c.fall_refused and rig.store.get("edl")["fall_refused"] is True
    assert rig.last("DROGUE_FALL_REFUSED") is not None and rig.dev.pyro.pulses == []
    rig.run(c, n=1, before=flow(rig, nav=1.3, accel=0.0, alt_m=29500.0))
    t_in = c.baro_in_t_s
    rig.run(c, BARO_BACKUP_S + 0.5, before=flow(rig, nav=1.3, accel=0.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == ["drogue"] and c.drogue_trigger == "nav+timer"
    assert c.drogue_t_s == pytest.approx(t_in + BARO_BACKUP_S + 0.2, abs=0.11)
    rig2 = rig.reboot()                                      # the refusal outlives a reset
    assert rig2.build("chutes").fall_refused


def test_invalid_accelerometer_samples_are_no_fall():
    """Samples flagged invalid (a dropout) neither start the fall clock nor refuse it."""
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 5.0, before=sensed(rig, 0.0, ABOVE, valid=False))
    assert c.fall_t_s is None and not c.fall_refused
    rig.run(c, G_FALL_MIN_S, before=flow(rig))
    rig.run(c, n=G_ARM_N, before=flow(rig, accel=G_FALL - 1.0))
    assert c.fall_t_s == pytest.approx(rig.now)


def test_barometers_in_range_from_orbit_start_no_clock():
    """A static port blocked on the ground: both units read sea-level pressure from power-on, never
    their clamp. The baro clock would run out 25 s into entry, at Mach 20, beside a drag Mach fooled
    by the same pressure: it never starts (BARO_RANGE_IMPLAUSIBLE)."""
    rig, c = entry()
    arm(rig, c)
    rig.run(c, 60.0, before=flow(rig, drag=0.2, alt_m=10.0))
    assert c.baro_in_t_s is None and rig.last("BARO_RANGE_IMPLAUSIBLE") is not None
    assert rig.dev.pyro.pulses == [] and c.drogue_votes(rig.now) == ("drag",)


def test_genesis_accelerometer_never_arms_timer_counts_from_the_baros_in_range():
    """Genesis 2004: the g-switch never closed. No g-arm and no drag solution (the
    accelerometer is the failed part): the navigated Mach and a timer from the barometers'
    first in-range reading fire the drogue."""
    rig, c = entry()
    rig.run(c, 10.0, before=flow(rig, nav=1.3, accel=0.0))             # above the baro range
    assert rig.dev.pyro.pulses == [] and c.g_arm_t_s is None and c.fall_t_s is None
    rig.run(c, n=1, before=flow(rig, nav=1.3, accel=0.0, alt_m=29500.0))
    t_in = c.baro_in_t_s
    assert t_in == pytest.approx(rig.now)
    rig.run(c, BARO_BACKUP_S - 0.2, before=flow(rig, nav=1.3, accel=0.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == []
    rig.run(c, 0.5, before=flow(rig, nav=1.3, accel=0.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == ["drogue"] and c.drogue_trigger == "nav+timer"


def test_timer_alone_fires_nothing():
    rig, c = entry()
    fall(rig, c)
    rig.run(c, n=1, before=flow(rig, accel=15.0, alt_m=29500.0))
    rig.run(c, max(FALL_BACKUP_S, BARO_BACKUP_S) + 30.0, before=flow(rig, accel=15.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == [] and c.drogue_votes(rig.now) == ("timer",)


def test_inverted_accelerometer_still_arms():
    """The g-arm uses the magnitude nav publishes; a sign-inverted axis gives the same magnitude."""
    rig, c = entry()
    rig.run(c, n=G_ARM_N, before=lambda t: rig.publish(ImuRecord(t, True, accel_body_mps2=(-35.0, 0.0, 0.0),
                                                           sensed_accel_mps2=35.0, raw_ok=True)))
    assert c.g_arm_t_s is not None


def gps(rig, alt_m, age_s=0.0):
    def before(t):
        if alt_m is not None:
            rig.publish(GpsRecord(t, True, GpsFix(t - age_s, True, alt_m=alt_m)))
    return before


def descent(rig, baro_m, gps_m, nav_alt_m=None, age_s=0.0):
    def before(t):
        flow(rig, nav_alt_m=nav_alt_m, alt_m=baro_m)(t)
        gps(rig, gps_m, age_s)(t)
    return before


def under_drogue():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=3, before=flow(rig, nav=1.3, drag=1.3))
    assert rig.phases.phase is Phase.DROGUE
    return rig, c


def test_main_by_baro_and_gps_under_the_drogue():
    rig, c = under_drogue()
    rig.run(c, 5.0, before=descent(rig, 3500.0, 3400.0))
    rig.run(c, 5.0, before=descent(rig, 2900.0, 3400.0))          # one vote
    assert rig.dev.pyro.pulses == ["drogue"]
    rig.run(c, n=3, before=descent(rig, 2900.0, 2950.0))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c.main_trigger == "baro+gps" and rig.phases.phase is Phase.MAIN


@pytest.mark.parametrize("fault", ["baro_low", "gps_low"])
def test_one_altitude_source_failed_low_does_not_fire_the_main(fault):
    rig, c = under_drogue()
    baro, g = (0.0, 8000.0) if fault == "baro_low" else (8000.0, 0.0)
    rig.run(c, 60.0, before=descent(rig, baro, g))
    assert rig.dev.pyro.pulses == ["drogue"]


def test_navigated_altitude_votes_in_place_of_a_stale_gps():
    rig, c = under_drogue()
    rig.run(c, 5.0, before=descent(rig, 2900.0, 2900.0, nav_alt_m=5000.0, age_s=5.0))
    assert rig.dev.pyro.pulses == ["drogue"]                      # the stale fix does not vote
    rig.run(c, 0.5, before=descent(rig, 2900.0, 2900.0, nav_alt_m=2950.0, age_s=5.0))
    assert rig.dev.pyro.pulses == ["drogue", "main"] and c.main_trigger == "baro+nav"


def test_main_timer_is_a_vote_not_a_trigger():
    rig, c = under_drogue()
    t_d = c.drogue_t_s
    rig.run(c, MAIN_BACKUP_S + 20.0, before=descent(rig, None, None))   # both altitudes gone
    assert rig.dev.pyro.pulses == ["drogue"]
    rig.run(c, 0.5, before=descent(rig, None, 2900.0))
    assert rig.dev.pyro.pulses == ["drogue", "main"] and c.main_trigger == "gps+timer"
    assert c.main_t_s > t_d + MAIN_BACKUP_S


def test_main_without_a_drogue_by_two_altitude_votes():
    rig, c = entry()
    rig.run(c, n=3, before=descent(rig, 2900.0, 2900.0))
    assert rig.dev.pyro.pulses == ["main"] and c.main_trigger == "baro+gps(no drogue)"


def test_main_timer_resumes_from_the_store_after_a_reset():
    rig, c = under_drogue()
    t_d = c.drogue_t_s
    rig.run(c, 100.0, before=descent(rig, None, 2900.0))
    rig2 = rig.reboot()
    assert rig2.phases.phase is Phase.DROGUE
    c2 = rig2.build("chutes")
    assert c2.drogue_t_s == t_d and c2.drogue_trigger == "nav+drag"
    assert rig2.bus.latest(EdlRecord).drogue_t_s == t_d       # visible at once, before the first run
    rig2.run(c2, MAIN_BACKUP_S - 100.0 - 0.2, before=descent(rig2, None, 2900.0))
    assert rig.dev.pyro.pulses == ["drogue"]                  # drogue not fired again
    rig2.run(c2, 0.5, before=descent(rig2, None, 2900.0))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c2.main_t_s == pytest.approx(t_d + MAIN_BACKUP_S + 0.2, abs=0.11)  # the timer ran on


def test_drogue_fall_clock_resumes_from_the_store():
    rig, c = entry()
    t_fall = fall(rig, c)
    rig.run(c, 10.0, before=flow(rig, nav=1.3, accel=15.0))
    rig2 = rig.reboot()
    c2 = rig2.build("chutes")
    assert c2.fall_t_s == t_fall
    rig2.run(c2, t_fall + FALL_BACKUP_S - rig2.now + 0.5, before=flow(rig2, nav=1.3, accel=15.0))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert c2.drogue_t_s == pytest.approx(t_fall + FALL_BACKUP_S + 0.2, abs=0.11)


def test_a_reset_above_the_baro_range_keeps_what_the_barometers_read():
    """The barometers read above their range, then the processor resets: after the boot their
    first in-range reading starts the baro clock (the new app never saw them at the clamp)."""
    rig, c = entry()
    rig.run(c, 2.0, before=flow(rig, nav=1.3, accel=0.0))
    assert c.baro_above_t_s is not None
    rig2 = rig.reboot()
    c2 = rig2.build("chutes")
    rig2.run(c2, n=1, before=flow(rig2, nav=1.3, accel=0.0, alt_m=29000.0))
    assert c2.baro_in_t_s == pytest.approx(rig2.now)


def test_no_chute_from_coast_or_orbit():
    for phase in (Phase.SEPARATED, Phase.DEORBIT_BURN, Phase.COAST):
        rig = Rig(phase, t0_s=100.0)
        c = rig.build("chutes")
        rig.run(c, n=3, before=sensed(rig, 0.0, 500.0))       # a wild baro reading in orbit
        assert rig.dev.pyro.requests == []


def test_baro_range_timer_resumes_from_the_store_after_a_reset():
    """No g-arm (accelerometer dead): a processor reset after the barometers came into range
    keeps the timer's start; the drogue fires at the same time as without the reset."""
    rig, c = entry()
    rig.run(c, 1.0, before=flow(rig, nav=1.3, accel=0.0))
    rig.run(c, n=1, before=flow(rig, nav=1.3, accel=0.0, alt_m=29500.0))
    t_in = c.baro_in_t_s
    rig.run(c, 10.0, before=flow(rig, nav=1.3, accel=0.0, alt_m=27000.0))
    rig2 = rig.reboot()
    c2 = rig2.build("chutes")
    assert c2.baro_in_t_s == t_in and c2.g_arm_t_s is None
    rig2.run(c2, BARO_BACKUP_S - 10.0 + 0.5, before=flow(rig2, nav=1.3, accel=0.0, alt_m=25000.0))
    assert rig.dev.pyro.pulses == ["drogue"] and c2.drogue_trigger == "nav+timer"
    assert c2.drogue_t_s == pytest.approx(t_in + BARO_BACKUP_S + 0.2, abs=0.11)
