"""Landing task: water switch armed late (Mars Polar Lander) and confirmed by a second sign, baro-steady
backup, timer backup, post-splash pyros."""
from __future__ import annotations

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import AirDataRecord, EdlRecord, GpsRecord, HealthRecord, LandingRecord
from hal.devices import GpsFix

MAIN_T = 5000.0


def under_main(rig, alt_m, degraded=frozenset()):
    """Each step: the main fired at MAIN_T, the fused baro altitude (None: none usable), the health record."""
    def before(t):
        rig.publish(EdlRecord(t, True, main_t_s=MAIN_T, main_trigger="baro", drogue_t_s=MAIN_T - 200.0))
        a = alt_m() if callable(alt_m) else alt_m
        rig.publish(AirDataRecord(t, a is not None, a, 0 if a is None else 2))
        rig.publish(HealthRecord(t, True, frozenset(degraded)))
    return before


def main_rig(t0_s=MAIN_T + 10.0):
    rig = Rig(Phase.MAIN, t0_s=t0_s)
    return rig, rig.build("landing")


def test_water_transient_above_the_arming_altitude_is_ignored():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True                               # spray, a wet switch, a transient
    rig.run(ld, 3.0, before=under_main(rig, 2000.0))
    assert rig.phases.phase is Phase.MAIN
    alt = iter(range(700, 0, -1))                             # 10 m/s through the arming altitude
    rig.run(ld, 15.0, before=under_main(rig, lambda: float(next(alt))))
    armed = rig.last("SPLASH_DETECT_ARMED")
    assert armed is not None
    assert rig.phases.phase is Phase.MAIN                     # wet, armed, but still falling: no second sign
    n = rig.run(ld, 10.0, before=under_main(rig, 0.0), until=lambda: rig.phases.phase is Phase.LANDED)
    assert rig.phases.phase is Phase.LANDED
    assert n == pytest.approx(50, abs=2)                      # the baro still for landing.confirm_window_s
    assert ld.trigger == "water switch" and rig.last("SPLASHDOWN").data["confirmed_by"] == "baro still"


@pytest.mark.parametrize("alt_m", [300.0, 50.0])
def test_a_wet_transient_under_the_main_declares_nothing(alt_m):
    """A switch wet for seconds while the capsule still falls 6 m/s: no second sign, no
    splashdown, no release (the arming altitude 600 m is passed)."""
    rig, ld = main_rig()
    alt = iter(alt_m + 6.0 - 0.6 * i for i in range(1000))
    rig.dev.water.is_wet = True
    rig.run(ld, 4.0, before=under_main(rig, lambda: next(alt)))
    rig.dev.water.is_wet = False
    rig.run(ld, 3.0, before=under_main(rig, lambda: next(alt)))
    assert rig.phases.phase is Phase.MAIN and rig.dev.pyro.requests == []


def test_a_low_gps_altitude_is_a_second_sign():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True
    alt = iter(30.0 - 0.6 * i for i in range(1000))          # baro still falling (offset day)

    def before(t):
        under_main(rig, lambda: next(alt))(t)
        rig.publish(GpsRecord(t, True, GpsFix(t, True, alt_m=4.0)))
    rig.run(ld, 1.2, before=before, until=lambda: rig.phases.phase is Phase.LANDED)
    assert rig.phases.phase is Phase.LANDED and rig.last("SPLASHDOWN").data["confirmed_by"] == "GPS 4 m"


def test_water_switch_splash_releases_the_main_then_inflates_the_float():
    rig, ld = main_rig()
    rig.run(ld, 1.0, before=under_main(rig, 300.0))
    rig.dev.water.is_wet = True
    rig.run(ld, 6.2, before=under_main(rig, 0.0), until=lambda: rig.phases.phase is Phase.LANDED)
    assert rig.phases.phase is Phase.LANDED
    t_splash = ld.splash_t_s
    assert rig.store.get("landing") == {"splash_t_s": t_splash, "trigger": "water switch"}
    assert rig.bus.latest(LandingRecord).splash_t_s == t_splash
    rig.run(ld, 1.9, before=under_main(rig, 0.0))
    assert rig.dev.pyro.pulses == []
    rig.run(ld, 0.2, before=under_main(rig, 0.0))
    assert rig.dev.pyro.pulses == ["main_release"]
    rig.run(ld, 1.0, before=under_main(rig, 0.0))
    assert rig.dev.pyro.pulses == ["main_release", "float"]
    rig.run(ld, 5.0, before=under_main(rig, 0.0))
    assert rig.dev.pyro.pulses == ["main_release", "float"]   # each once


def test_failed_water_switch_is_not_used_and_baro_steady_lands():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True
    rig.run(ld, 10.0, before=under_main(rig, 100.0, degraded={"water"}))
    assert rig.phases.phase is Phase.MAIN
    rig.run(ld, 31.0, before=under_main(rig, 3.0, degraded={"water"}), until=lambda: rig.phases.phase is Phase.LANDED)
    assert rig.phases.phase is Phase.LANDED and ld.trigger == "baro steady"


def test_descending_baro_is_not_steady():
    rig, ld = main_rig()
    alt = iter(x * 0.6 for x in range(600, 0, -1))           # 6 m/s from 360 m
    rig.run(ld, 40.0, before=under_main(rig, lambda: next(alt, 0.0) + 50.0))
    assert rig.phases.phase is Phase.MAIN


def test_timer_backup_declares_landed_without_releasing_the_main():
    rig, ld = main_rig(t0_s=MAIN_T + 1190.0)
    rig.run(ld, 9.9, before=under_main(rig, None))           # no baro, dry switch
    assert rig.phases.phase is Phase.MAIN
    rig.run(ld, 0.2, before=under_main(rig, None))
    assert rig.phases.phase is Phase.LANDED and ld.trigger == "timer"
    rig.run(ld, 10.0, before=under_main(rig, None))
    assert "main_release" not in rig.dev.pyro.requests       # released in the air it is a lost capsule
    assert rig.dev.pyro.pulses == ["float"]


def test_reset_on_the_water_fires_only_what_has_not_fired():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True
    rig.run(ld, 6.5, before=under_main(rig, 0.0), until=lambda: rig.phases.phase is Phase.LANDED)
    rig.run(ld, 2.5, before=under_main(rig, 0.0))
    assert rig.dev.pyro.pulses == ["main_release"]
    rig2 = rig.reboot()
    assert rig2.phases.phase is Phase.LANDED
    ld2 = rig2.build("landing")
    assert ld2.splash_t_s == ld.splash_t_s
    rig2.run(ld2, 3.0, before=under_main(rig2, 0.0))
    assert rig.dev.pyro.pulses == ["main_release", "float"]


def test_reset_after_a_timer_landing_still_never_releases():
    rig, ld = main_rig(t0_s=MAIN_T + 1199.0)
    rig.run(ld, 1.2, before=under_main(rig, None))
    assert ld.trigger == "timer"
    rig2 = rig.reboot()
    ld2 = rig2.build("landing")
    rig2.run(ld2, 10.0, before=under_main(rig2, None))
    assert "main_release" not in rig.dev.pyro.requests


def test_without_baro_the_switch_arms_once_the_main_is_out():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True
    rig.run(ld, 1.2, before=under_main(rig, None), until=lambda: rig.phases.phase is Phase.LANDED)
    assert rig.phases.phase is Phase.LANDED and ld.trigger == "water switch"


def test_nothing_in_orbit():
    rig = Rig(Phase.COAST, t0_s=100.0)
    ld = rig.build("landing")
    rig.dev.water.is_wet = True
    rig.run(ld, 3.0, before=lambda t: rig.publish(AirDataRecord(t, True, 0.0, 2)))
    assert rig.phases.phase is Phase.COAST and rig.dev.pyro.requests == []


def test_a_fresh_gps_altitude_arms_the_water_switch_when_the_baro_reads_high():
    """Dissimilar arming path: a barometer failed high (fused 5.5 km on the water) must not keep the
    switch unarmed; a fresh GPS fix below landing.water_arm_alt_m arms it. A stale fix does not."""
    rig, ld = main_rig()
    rig.dev.water.is_wet = True
    high = under_main(rig, 5500.0)

    def stale(t):
        high(t)
        rig.publish(GpsRecord(t - 2.0, True, GpsFix(t - 2.0, True, alt_m=3.0)))
    rig.run(ld, 5.0, before=stale)
    assert rig.last("SPLASH_DETECT_ARMED") is None and rig.phases.phase is Phase.MAIN

    def fresh(t):
        high(t)
        rig.publish(GpsRecord(t, True, GpsFix(t, True, alt_m=3.0)))
    rig.run(ld, 1.2, before=fresh, until=lambda: rig.phases.phase is Phase.LANDED)
    assert "GPS 3 m" in rig.last("SPLASH_DETECT_ARMED").message
    assert rig.phases.phase is Phase.LANDED and ld.trigger == "water switch"
    assert rig.now - rig.last("SPLASH_DETECT_ARMED").t_s == pytest.approx(1.0, abs=0.11)   # latch cleared at arming


def test_a_gps_altitude_above_the_arming_altitude_does_not_arm():
    rig, ld = main_rig()
    rig.dev.water.is_wet = True                               # a transient up high
    high = under_main(rig, 2000.0)

    def gps(t):
        high(t)
        rig.publish(GpsRecord(t, True, GpsFix(t, True, alt_m=1990.0)))
    rig.run(ld, 5.0, before=gps)
    assert rig.last("SPLASH_DETECT_ARMED") is None and rig.phases.phase is Phase.MAIN
