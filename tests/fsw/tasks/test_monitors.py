"""Monitor task: the table's checks, persistence, responses (degrade, isolate, safe, event), recovery."""
from __future__ import annotations

from fakes import Rig
from fsw.fdir import checks
from fsw.fdir.table import MonitorRow
from fsw.phases import Phase
from fsw.records import AirDataRecord, AttitudeRecord, BurnRecord, HealthRecord, ImuRecord


def health(rig):
    return rig.bus.latest(HealthRecord)


def responses(rig):
    return [e.data["monitor"] for e in rig.named("MONITOR_RESPONSE")]


def good_imu(rig):
    def before(t):
        rig.publish(ImuRecord(t, True, raw_ok=True))
    return before


def test_quiet_flight_trips_nothing():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    rig.run(m, 20.0, before=good_imu(rig))
    assert responses(rig) == [] and health(rig).degraded == frozenset() and m.check_errors == 0


def test_water_early_trips_on_a_wet_switch_in_orbit():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    rig.dev.water.is_wet = True
    rig.run(m, n=9, before=good_imu(rig))
    assert "water" not in health(rig).degraded
    rig.run(m, n=1, before=good_imu(rig))
    assert responses(rig) == ["WATER_EARLY"]
    assert "water" in health(rig).degraded and "WATER_EARLY" in health(rig).tripped
    assert rig.store.get("health.degraded") == ["water"]           # latched across a reset
    rig.dev.water.is_wet = False
    rig.run(m, 30.0, before=good_imu(rig))
    assert "water" in health(rig).degraded                         # no recovery: latched
    rig2 = rig.reboot()
    m2 = rig2.build("monitors")
    assert "water" in rig2.bus.latest(HealthRecord).degraded
    assert "water" in m2.degraded


def test_water_under_the_main_low_is_not_a_fault():
    rig = Rig(Phase.MAIN, t0_s=5000.0)
    m = rig.build("monitors")
    rig.dev.water.is_wet = True

    def before(t):
        good_imu(rig)(t)
        rig.publish(AirDataRecord(t, True, 50.0, 2, (50.0, 50.0)))
    rig.run(m, 3.0, before=before)
    assert "WATER_EARLY" not in responses(rig)


def test_engine_valve_isolates_on_chamber_pressure_without_a_burn():
    rig = Rig(Phase.COAST, t0_s=2000.0)
    m = rig.build("monitors")
    rig.dev.engine.armed = True
    rig.dev.engine.chamber_pressure_pa = 1.5e6                     # stuck-open main valve

    def before(t):
        good_imu(rig)(t)
        rig.publish(BurnRecord(t, True, cutoff_t_s=1500.0, ignition_t_s=1480.0, result="nominal"))
    rig.run(m, n=2, before=before)
    assert rig.dev.engine.calls == []
    rig.run(m, n=1, before=before)
    assert responses(rig) == ["ENGINE_VALVE"]
    assert ("arm", False) in rig.dev.engine.calls and not rig.dev.engine.armed   # isolation valve closed
    assert 0.0 in rig.dev.engine.shutdowns()
    rig.run(m, 5.0, before=before)
    assert responses(rig) == ["ENGINE_VALVE"]                      # the response is applied once


def test_engine_valve_allows_the_timed_closure_and_tail_off():
    rig = Rig(Phase.COAST, t0_s=2000.0)
    m = rig.build("monitors")
    rig.dev.engine.chamber_pressure_pa = 1.5e6

    def before(t):
        good_imu(rig)(t)
        rig.publish(BurnRecord(t, True, cutoff_t_s=2000.4, ignition_t_s=1982.0))
    rig.run(m, n=4, before=before)
    assert "ENGINE_VALVE" not in responses(rig)


def test_engine_valve_is_not_judged_during_the_burn():
    rig = Rig(Phase.DEORBIT_BURN, t0_s=1210.0)
    m = rig.build("monitors")
    rig.dev.engine.chamber_pressure_pa = 2.0e6

    def before(t):
        good_imu(rig)(t)
        rig.publish(BurnRecord(t, True, go=True, ignition_t_s=1200.0))
    rig.run(m, 2.0, before=before)
    assert responses(rig) == []


def test_engine_no_thrust_is_reported():
    rig = Rig(Phase.DEORBIT_BURN, t0_s=1200.0)
    m = rig.build("monitors")
    rig.hal.engine.valve_open = True          # ignition commanded, but no chamber pressure

    def before(t):
        good_imu(rig)(t)
        rig.publish(BurnRecord(t, True, go=True, ignition_t_s=1200.0))
    rig.run(m, 1.9, before=before)
    assert responses(rig) == []
    rig.run(m, 0.2, before=before)
    assert responses(rig) == ["ENGINE_NO_THRUST"]


def test_engine_no_thrust_is_quiet_while_the_valve_is_closed():
    """After a reset mid-burn the valve is closed until the re-light: no pressure is expected."""
    rig = Rig(Phase.DEORBIT_BURN, t0_s=1200.0)
    m = rig.build("monitors")
    rig.hal.engine.valve_open = False

    def before(t):
        good_imu(rig)(t)
        rig.publish(BurnRecord(t, True, go=True, ignition_t_s=1200.0))
    rig.run(m, 5.0, before=before)
    assert responses(rig) == []


def test_rcs_duty_closes_the_latch_and_goes_safe():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")

    def fighting(t):
        good_imu(rig)(t)
        rig.publish(AttitudeRecord(t, True, "damp", None, 0b000001))  # +x couple on every sample
    rig.run(m, 9.9, before=fighting)
    assert rig.dev.rcs.latch_calls == []
    rig.run(m, 0.1, before=fighting)
    assert responses(rig) == ["RCS_DUTY"]
    assert rig.dev.rcs.latch_calls == [False] and not rig.dev.rcs.latch_open
    assert "rcs" in health(rig).degraded and "rcs" in rig.store.get("health.degraded")
    assert rig.phases.phase is Phase.SAFE


def test_rcs_slew_duty_is_normal():
    rig = Rig(Phase.DEORBIT_PREP, t0_s=900.0)
    m = rig.build("monitors")
    n = [0]

    def slewing(t):
        good_imu(rig)(t)
        n[0] += 1
        rig.publish(AttitudeRecord(t, True, "retrograde", 90.0, 0b000100 if n[0] % 10 < 3 else 0))
    rig.run(m, 30.0, before=slewing)
    assert rig.dev.rcs.latch_calls == [] and rig.phases.phase is Phase.DEORBIT_PREP


def test_imu_degraded_then_recovers_after_recover_n_good_samples():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    bad = lambda t: rig.publish(ImuRecord(t, False, raw_ok=False))   # noqa: E731
    rig.run(m, n=4, before=bad)
    assert "imu" not in health(rig).degraded
    rig.run(m, n=1, before=bad)
    assert "imu" in health(rig).degraded and responses(rig) == ["IMU_DATA"]
    assert rig.store.get("health.degraded") in (None, [])          # recoverable: not latched
    rig.run(m, n=49, before=good_imu(rig))
    assert "imu" in health(rig).degraded
    rig.run(m, n=1, before=good_imu(rig))
    assert "imu" not in health(rig).degraded
    assert rig.last("DEVICE_RECOVERED").data["device"] == "imu"
    rig.run(m, n=5, before=bad)                                    # and can trip again
    assert responses(rig) == ["IMU_DATA", "IMU_DATA"]


def test_recovery_needs_consecutive_good_samples():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    bad = lambda t: rig.publish(ImuRecord(t, False, raw_ok=False))   # noqa: E731
    rig.run(m, n=5, before=bad)
    rig.run(m, n=40, before=good_imu(rig))
    rig.run(m, n=1, before=bad)
    rig.run(m, n=40, before=good_imu(rig))
    assert "imu" in health(rig).degraded


def test_power_low_before_the_burn_goes_safe():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    rig.dev.power.soc = 0.10
    rig.run(m, n=10, before=good_imu(rig))
    assert rig.phases.phase is Phase.SAFE and responses(rig) == ["POWER_LOW"]


def test_a_check_that_raises_is_counted_and_treated_as_healthy(monkeypatch):
    def boom(s, row, mem):
        raise ZeroDivisionError("bad check")
    monkeypatch.setattr(checks, "boom", boom, raising=False)
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    table = (MonitorRow("BOOM", "boom", (Phase.SEPARATED,), 1, "safe"),
             MonitorRow("POWER_LOW", "power_low", (Phase.SEPARATED,), 1, "event"))
    m = rig.build("monitors", table=table)
    rig.dev.power.soc = 0.1
    rig.run(m, n=5, before=good_imu(rig))
    assert m.check_errors == 5 and len(rig.named("MONITOR_CHECK_ERROR")) == 1
    assert rig.phases.phase is Phase.SEPARATED                     # not a single point of failure
    assert responses(rig) == ["POWER_LOW"]                         # the other rows still run


def test_pyro_hardware_arm_while_attached_is_reported():
    rig = Rig(Phase.ATTACHED, t0_s=10.0)
    m = rig.build("monitors")
    rig.dev.pyro.hw_armed = True
    rig.run(m, n=3, before=good_imu(rig))
    assert "PYRO_ARM_READBACK" in responses(rig)
    assert rig.phases.phase is Phase.ATTACHED
