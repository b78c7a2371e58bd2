"""Chute task: entry onset, g-arm, drogue by baro / timer / unarmed baro (Genesis), main, resets."""
from __future__ import annotations

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import AirDataRecord, BurnRecord, EdlRecord, ImuRecord
from fsw.tasks.chutes import G_ARM_N

G_ARM = 35.0                # m/s^2, above chutes.g_arm_mps2 (29.4)


def air(rig, alt_m):
    """Each step: the load (m/s^2) and the fused baro altitude (None: no baro usable)."""
    def before(t):
        a = alt_m() if callable(alt_m) else alt_m
        rig.publish(AirDataRecord(t, a is not None, a, 0 if a is None else 2))
    return before


def sensed(rig, accel, alt_m=None):
    def before(t):
        rig.publish(ImuRecord(t, True, sensed_accel_mps2=accel, raw_ok=True))
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
        rig.publish(BurnRecord(t, True, cutoff_t_s=3000.0 - 2299.0))
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


def test_drogue_by_baro_after_g_arm():
    rig, c = entry()
    rig.run(c, 5.0, before=sensed(rig, 5.0, 11000.0))         # below 12 km but not armed: nothing
    assert rig.dev.pyro.pulses == [] and rig.phases.phase is Phase.ENTRY
    arm(rig, c)
    rig.run(c, n=2, before=sensed(rig, 20.0, 11000.0))
    assert rig.dev.pyro.pulses == []                          # persistence 3
    rig.run(c, n=1, before=sensed(rig, 20.0, 11000.0))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert rig.phases.phase is Phase.DROGUE
    assert c.drogue_trigger == "baro" and rig.last("DROGUE_DEPLOY").data["trigger"] == "baro"
    assert rig.store.get("edl")["drogue_t_s"] == pytest.approx(rig.now)
    assert rig.bus.latest(EdlRecord).drogue_trigger == "baro"


def test_drogue_baro_persistence_restarts_on_a_high_sample():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=2, before=sensed(rig, 20.0, 11000.0))
    rig.run(c, n=1, before=sensed(rig, 20.0, 12500.0))
    rig.run(c, n=2, before=sensed(rig, 20.0, 11000.0))
    assert rig.dev.pyro.pulses == []
    rig.run(c, n=1, before=sensed(rig, 20.0, 11000.0))
    assert rig.dev.pyro.pulses == ["drogue"]


def test_drogue_by_timer_when_the_baros_are_gone():
    rig, c = entry()
    arm(rig, c)
    t_arm = c.g_arm_t_s
    rig.run(c, 249.8, before=sensed(rig, 10.0, None))
    assert rig.dev.pyro.pulses == []
    rig.run(c, 0.3, before=sensed(rig, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert c.drogue_trigger == "timer" and c.drogue_t_s == pytest.approx(t_arm + 250.0, abs=0.11)
    assert rig.phases.phase is Phase.DROGUE


def test_genesis_accelerometer_never_arms_drogue_by_unarmed_baro():
    """Genesis 2004: the g-switch never closed. The unarmed baro trigger (lower) still fires the drogue."""
    rig, c = entry()
    rig.run(c, 10.0, before=sensed(rig, 5.0, lambda: 9500.0))
    assert rig.dev.pyro.pulses == [] and c.g_arm_t_s is None
    rig.run(c, n=3, before=sensed(rig, 5.0, 8900.0))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert c.drogue_trigger == "baro_unarmed" and rig.phases.phase is Phase.DROGUE


def test_inverted_accelerometer_still_arms():
    """The g-arm uses the magnitude nav publishes; a sign-inverted axis gives the same magnitude."""
    rig, c = entry()
    rig.run(c, n=G_ARM_N, before=lambda t: rig.publish(ImuRecord(t, True, accel_body_mps2=(-35.0, 0.0, 0.0),
                                                           sensed_accel_mps2=35.0, raw_ok=True)))
    assert c.g_arm_t_s is not None


def test_main_by_baro_under_the_drogue():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=3, before=sensed(rig, 10.0, 11000.0))
    assert rig.phases.phase is Phase.DROGUE
    rig.run(c, 5.0, before=sensed(rig, 10.0, 3500.0))
    assert rig.dev.pyro.pulses == ["drogue"]
    rig.run(c, n=3, before=sensed(rig, 10.0, 2900.0))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c.main_trigger == "baro" and rig.phases.phase is Phase.MAIN


def test_main_timer_after_a_baro_drogue_and_after_a_backup_drogue():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=3, before=sensed(rig, 10.0, 11000.0))
    t_d = c.drogue_t_s
    rig.run(c, 274.8, before=sensed(rig, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue"]
    rig.run(c, 0.3, before=sensed(rig, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c.main_trigger == "timer" and c.main_t_s == pytest.approx(t_d + 275.0, abs=0.11)

    rig, c = entry()                                          # drogue low, by the unarmed baro
    rig.run(c, n=3, before=sensed(rig, 5.0, 8900.0))
    t_d = c.drogue_t_s
    rig.run(c, 170.2, before=sensed(rig, 5.0, None))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c.main_t_s == pytest.approx(t_d + 170.0, abs=0.11)


def test_main_timer_resumes_from_the_store_after_a_reset():
    rig, c = entry()
    arm(rig, c)
    rig.run(c, n=3, before=sensed(rig, 10.0, 11000.0))
    t_d = c.drogue_t_s
    rig.run(c, 100.0, before=sensed(rig, 10.0, None))
    rig2 = rig.reboot()
    assert rig2.phases.phase is Phase.DROGUE
    c2 = rig2.build("chutes")
    assert c2.drogue_t_s == t_d and c2.drogue_trigger == "baro"
    assert rig2.bus.latest(EdlRecord).drogue_t_s == t_d       # visible at once, before the first run
    rig2.run(c2, 174.8, before=sensed(rig2, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue"]                  # drogue not fired again
    rig2.run(c2, 0.3, before=sensed(rig2, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue", "main"]
    assert c2.main_t_s == pytest.approx(t_d + 275.0, abs=0.11)  # the timer ran on from the deploy


def test_drogue_timer_resumes_from_the_g_arm_in_the_store():
    rig, c = entry()
    arm(rig, c)
    t_arm = c.g_arm_t_s
    rig.run(c, 200.0, before=sensed(rig, 10.0, None))
    rig2 = rig.reboot()
    c2 = rig2.build("chutes")
    rig2.run(c2, 50.3, before=sensed(rig2, 10.0, None))
    assert rig.dev.pyro.pulses == ["drogue"]
    assert c2.drogue_t_s == pytest.approx(t_arm + 250.0, abs=0.11)


def test_no_chute_from_coast_or_orbit():
    for phase in (Phase.SEPARATED, Phase.DEORBIT_BURN, Phase.COAST):
        rig = Rig(phase, t0_s=100.0)
        c = rig.build("chutes")
        rig.run(c, n=3, before=sensed(rig, 0.0, 500.0))       # a wild baro reading in orbit
        assert rig.dev.pyro.requests == []
