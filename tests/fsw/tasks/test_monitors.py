"""Monitor task: the table's checks, persistence, responses (degrade, isolate, safe, event, vote,
rcs_test), recovery."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.fdir import checks
from fsw.fdir.table import TABLE, MonitorRow
from fsw.phases import Phase, Trigger
from fsw.records import AirDataRecord, AttitudeRecord, BurnRecord, GpsRecord, HealthRecord, ImuRecord
from hal.devices import GpsFix


def health(rig):
    return rig.bus.latest(HealthRecord)


def responses(rig):
    return [e.data["monitor"] for e in rig.named("MONITOR_RESPONSE")]


def what(rig):
    return [e.data["response"] for e in rig.named("MONITOR_RESPONSE")]


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


# ---- RCS_DUTY: stuck open or failed closed --------------------------------------------------------
#: Couple authority, deg/s^2: 0.25 N m over the inertia of config/vehicle.yaml (1.30, 1.10, 1.10 kg m^2).
AUTHORITY_DPS2 = (0.25 / 1.30 * 180 / math.pi, 0.25 / 1.10 * 180 / math.pi, 0.25 / 1.10 * 180 / math.pi)


class RcsPlant:
    """The controller and the body at the monitor rate: the controller commands ``cmd(step)`` (a mask)
    unless the monitors hold the thrusters off ("rcs" degraded, as attitude.py does); couples in
    ``stuck_open`` push whatever is commanded (while the latch is open), those in ``failed`` never
    do. Each 0.1 s the rate changes by the authority of the couples that pushed over it (the mask
    in force since the previous monitor run), and the plant publishes the gyro and the mask."""

    def __init__(self, rig, cmd, stuck_open=0, failed=0, rate_dps=(0.0, 0.0, 0.0), gyro_sign=(1.0, 1.0, 1.0)):
        self.rig, self.stuck_open, self.failed, self.gyro_sign = rig, stuck_open, failed, gyro_sign
        self.cmd = cmd if callable(cmd) else (lambda k, m=cmd: m)
        self.rate = [math.radians(r) for r in rate_dps]
        self.k = 0
        self.masks = []

    def __call__(self, t):
        rig = self.rig
        held = "rcs" in rig.bus.latest(HealthRecord).degraded
        mask = 0 if held else self.cmd(self.k)
        on = (mask | self.stuck_open) & ~self.failed if rig.dev.rcs.latch_open else 0
        if self.k:
            for c in range(6):
                if on >> c & 1:
                    ax = c >> 1
                    self.rate[ax] += (-1.0 if c & 1 else 1.0) * math.radians(AUTHORITY_DPS2[ax]) * 0.1
        self.k += 1
        self.masks.append(mask)
        rig.publish(ImuRecord(t, True, tuple(g * w for g, w in zip(self.gyro_sign, self.rate)), raw_ok=True))
        rig.publish(AttitudeRecord(t, True, "damp", None, mask))


@pytest.mark.parametrize("i", range(6))
def test_rcs_duty_against_a_stuck_open_couple_tests_then_isolates(i):
    """Couple i fights a stuck-open couple j = i ^ 1: net torque zero while i is on, so the rate never
    tells; the test holds every thruster off and j's torque shows at once: isolate, then SAFE."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    plant = RcsPlant(rig, 1 << i, stuck_open=1 << (i ^ 1))
    rig.run(m, n=99, before=plant)
    assert responses(rig) == [] and rig.dev.rcs.latch_calls == []
    rig.run(m, n=1, before=plant)                                  # the 10 s window is full
    assert what(rig) == ["test rcs"]
    assert "rcs" in health(rig).degraded and rig.store.get("health.degraded") in (None, [])   # a hold, not latched
    assert rig.dev.rcs.latch_calls == [] and rig.phases.phase is Phase.SEPARATED
    rig.run(m, n=1, before=plant)                                  # 0.1 s of j alone
    assert what(rig) == ["test rcs", "isolate rcs"]
    assert f"rcs.{i ^ 1} ({checks.RCS_COUPLES[i ^ 1]}) stuck open" in rig.named("MONITOR_RESPONSE")[-1].message
    assert rig.dev.rcs.latch_calls == [False] and not rig.dev.rcs.latch_open
    assert "rcs" in health(rig).degraded and "rcs" in rig.store.get("health.degraded")
    assert rig.phases.phase is Phase.SAFE
    ax = i >> 1
    assert abs(math.degrees(plant.rate[ax])) == pytest.approx(0.1 * AUTHORITY_DPS2[ax])   # 0.1 s of spin-up, no more
    rig.run(m, 20.0, before=plant)
    assert what(rig) == ["test rcs", "isolate rcs"]                # once


@pytest.mark.parametrize("i", range(6))
def test_rcs_couple_failed_closed_is_an_event_and_the_rcs_stays_in_use(i):
    """Couple i never fires: commanded on, the rate does not respond; held off, it does not move
    either. Event only; the thrusters come back at once and later windows leave couple i out."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    plant = RcsPlant(rig, 1 << i, failed=1 << i, rate_dps=(0.8, -0.3, 0.3))
    rig.run(m, n=100, before=plant)
    assert what(rig) == ["test rcs"]
    rig.run(m, n=1, before=plant)
    assert what(rig) == ["test rcs"]                               # one interval is not enough
    rig.run(m, n=1, before=plant)
    name = f"rcs.{i} ({checks.RCS_COUPLES[i]})"
    assert what(rig) == ["test rcs", f"event {name} failed closed"]
    assert "rcs" not in health(rig).degraded                       # hold lifted: the controller goes on
    assert plant.masks[-3:] == [1 << i, 0, 0]                     # held off 0.2 s
    rig.run(m, n=1, before=plant)
    assert plant.masks[-1] == 1 << i
    rig.run(m, 60.0, before=plant)                                 # still on all the time: known, not news
    assert what(rig) == ["test rcs", f"event {name} failed closed"]
    assert rig.dev.rcs.latch_calls == [] and rig.phases.phase is Phase.SEPARATED
    assert rig.store.get("health.degraded") in (None, [])


def test_rcs_stuck_open_seen_without_a_test_when_the_couple_was_off():
    """Samples where the high-duty couple and its opposite were both off and the rate ran toward the
    opposite one are evidence enough: isolate at the end of the window, no test."""
    rig = Rig(Phase.DEORBIT_PREP, t0_s=900.0)
    m = rig.build("monitors")
    plant = RcsPlant(rig, lambda k: 0 if 50 <= k < 54 else 1 << 4, stuck_open=1 << 5)   # +z fights -z
    rig.run(m, n=100, before=plant)
    assert what(rig) == ["isolate rcs"]
    assert not rig.dev.rcs.latch_open and rig.phases.phase is Phase.SAFE


@pytest.mark.parametrize("i", range(6))
def test_rcs_rate_answering_a_couple_backwards_isolates_without_a_test(i):
    """A gyro axis mounted inverted (Genesis 2004, on the rate sensor): damping is positive feedback,
    the couple stays on and the measured rate runs away against its torque. Not a failed-closed
    couple (that leaves the rate alone): isolate at the end of the window, then SAFE."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    sign = [1.0, 1.0, 1.0]
    sign[i >> 1] = -1.0
    plant = RcsPlant(rig, 1 << i, gyro_sign=sign)
    rig.run(m, n=100, before=plant)
    assert responses(rig) == ["GYRO_RATE", "RCS_DUTY"]            # past 30 deg/s within the window
    assert what(rig)[1] == "isolate rcs"
    assert f"answers rcs.{i} ({checks.RCS_COUPLES[i]}) backwards" in rig.last("MONITOR_RESPONSE").message
    assert not rig.dev.rcs.latch_open and rig.phases.phase is Phase.SAFE


def test_rcs_slow_drift_is_not_evidence_of_a_stuck_couple():
    """Below fdir.rcs_open_accel_dps2 (a quarter of the couple authority) an acceleration with the
    couples off is not a stuck-open thruster: the high-duty couple is tested, and found closed."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")
    plant = RcsPlant(rig, 1 << 2, failed=1 << 2)
    thr = rig.params.v["fdir.rcs_open_accel_dps2"]
    assert thr == pytest.approx(AUTHORITY_DPS2[1] / 4, rel=0.1)

    def drifting(t):
        plant(t)
        plant.rate[1] -= math.radians(0.8 * thr) * 0.1             # a disturbance toward -y
    rig.run(m, n=102, before=drifting)
    assert what(rig) == ["test rcs", "event rcs.2 (+y) failed closed"]
    assert rig.dev.rcs.latch_open


def test_rcs_test_hold_is_lifted_when_free_flight_ends():
    rig = Rig(Phase.COAST, t0_s=1300.0)
    m = rig.build("monitors")
    plant = RcsPlant(rig, 1 << 3, failed=1 << 3)
    rig.run(m, n=100, before=plant)
    assert "rcs" in health(rig).degraded
    assert rig.phases.request(Trigger.DECEL_ONSET, "test")
    rig.run(m, n=1, before=plant)
    assert "rcs" not in health(rig).degraded and rig.phases.phase is Phase.ENTRY
    assert what(rig) == ["test rcs"]


def test_rcs_test_that_sees_no_quiet_samples_is_inconclusive():
    """A controller that does not honour the hold (or an IMU that goes invalid) leaves the test without
    samples: after 1 s it ends inconclusive, event only, the hold lifted."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    m = rig.build("monitors")

    def stubborn(t):
        rig.publish(ImuRecord(t, True, raw_ok=True))
        rig.publish(AttitudeRecord(t, True, "damp", None, 0b000001))   # +x on every sample, hold or not
    rig.run(m, n=100 + checks.RCS_TEST_MAX_N, before=stubborn)
    assert what(rig) == ["test rcs", "event rcs.0 (+x) test inconclusive"]
    assert "rcs" not in health(rig).degraded and rig.dev.rcs.latch_open


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


# ---- BARO_AGREE: the GPS votes ---------------------------------------------------------------------
def descent(rig, baros, gps_alt=None, gps_age_s=0.0):
    """Each step: the per-sensor baro altitudes (fused: the higher when they disagree, as baro.py does)
    and, if ``gps_alt`` is given (a callable of t, or a value), a GPS fix ``gps_age_s`` old."""
    def before(t):
        rig.publish(ImuRecord(t, True, raw_ok=True))
        each = tuple(baros(t) if callable(baros) else baros)
        used = [a for a in each if a is not None]
        rig.publish(AirDataRecord(t, bool(used), max(used) if used else None, len(used), each))
        g = gps_alt(t) if callable(gps_alt) else gps_alt
        if g is not None:
            rig.publish(GpsRecord(t - gps_age_s, True, GpsFix(t - gps_age_s, True, alt_m=g)))
    return before


def test_baro_disagreement_is_voted_by_a_fresh_gps_altitude():
    rig = Rig(Phase.MAIN, t0_s=900.0)   # constant altitudes: not in DROGUE (BARO_STUCK)
    m = rig.build("monitors")
    before = descent(rig, (8000.0, 12500.0), gps_alt=8040.0)       # baro.1 reads 4.5 km high
    rig.run(m, n=29, before=before)
    assert responses(rig) == []
    rig.run(m, n=1, before=before)
    assert what(rig) == ["degrade baro.1"]
    assert "GPS 8040 m" in rig.last("MONITOR_RESPONSE").message
    assert "baro.1" in health(rig).degraded and rig.store.get("health.degraded") == ["baro.1"]
    rig.run(m, 10.0, before=before)
    assert what(rig) == ["degrade baro.1"]                         # once
    m2 = rig.reboot().build("monitors")
    assert "baro.1" in m2.degraded                                 # latched across a reset


def test_baro_vote_names_the_low_unit_when_it_is_the_one_off():
    rig = Rig(Phase.MAIN, t0_s=900.0)
    m = rig.build("monitors")
    rig.run(m, 3.0, before=descent(rig, (2100.0, 1200.0), gps_alt=2080.0))   # baro.1 900 m low
    assert what(rig) == ["degrade baro.1"]
    rig = Rig(Phase.MAIN, t0_s=900.0)
    m = rig.build("monitors")
    rig.run(m, 3.0, before=descent(rig, (1200.0, 2100.0), gps_alt=2080.0))   # baro.0 900 m low
    assert what(rig) == ["degrade baro.0"]


def test_baro_disagreement_without_gps_is_an_event_then_voted_when_a_fix_comes():
    """Above 18 km (or in blackout) the GPS has no fix: event only, fusion keeps the higher; the row
    keeps listening and votes as soon as a fresh fix comes while the units still disagree."""
    rig = Rig(Phase.ENTRY, t0_s=500.0)
    m = rig.build("monitors")
    rig.run(m, 10.0, before=descent(rig, (20000.0, 26000.0)))
    assert what(rig) == ["event"]
    assert "no fresh GPS" in rig.last("MONITOR_RESPONSE").message
    assert not any(d.startswith("baro") for d in health(rig).degraded)
    rig.run(m, 5.0, before=descent(rig, (16000.0, 21000.0), gps_alt=15980.0, gps_age_s=2.0))   # stale: no vote
    assert what(rig) == ["event"]
    rig.run(m, n=1, before=descent(rig, (15900.0, 20900.0), gps_alt=15890.0))
    assert what(rig) == ["event", "degrade baro.1"]


def test_gps_agreeing_with_neither_barometer_does_not_vote():
    rig = Rig(Phase.MAIN, t0_s=900.0)   # constant altitudes: not in DROGUE (BARO_STUCK)
    m = rig.build("monitors")
    rig.run(m, 5.0, before=descent(rig, (8000.0, 10000.0), gps_alt=9000.0))  # 1 km from each (limit 600 m)
    assert what(rig) == ["event"]
    assert not any(d.startswith("baro") for d in health(rig).degraded)


def test_baro_agreement_again_rearms_the_vote():
    rig = Rig(Phase.MAIN, t0_s=900.0)   # constant altitudes: not in DROGUE (BARO_STUCK)
    m = rig.build("monitors")
    rig.run(m, 4.0, before=descent(rig, (8000.0, 9000.0)))
    rig.run(m, 2.0, before=descent(rig, (7000.0, 7100.0)))
    rig.run(m, 4.0, before=descent(rig, (6000.0, 7000.0), gps_alt=6010.0))
    assert what(rig) == ["event", "degrade baro.1"]


def test_baro_vote_with_the_fusion_task_gives_the_good_altitude_and_no_second_response():
    """baro.py and the monitors together: one unit scaled (reads 4.5 km high), the GPS fix agrees with
    the other; after the vote the fused altitude is the good unit's, and the voted-out unit, now
    unusable to the fusion, does not trip BARO_1_DATA a second time."""
    rig = Rig(Phase.DROGUE, t0_s=600.0)
    baro = rig.build("baro")
    m = rig.build("monitors")
    alt = [9000.0]

    def before(t):
        alt[0] -= 2.5                                              # 25 m/s under the drogue
        rig.dev.baros[0].set_alt(alt[0])
        rig.dev.baros[1].set_alt(alt[0] + 4500.0)
        rig.publish(ImuRecord(t, True, raw_ok=True))
        rig.publish(GpsRecord(t, True, GpsFix(t, True, alt_m=alt[0] + 30.0)))
        baro.run(t)
    rig.run(m, 2.0, before=before)
    assert rig.bus.latest(AirDataRecord).baro_alt_m == pytest.approx(alt[0] + 4500.0, abs=1.0)   # the higher
    rig.run(m, 10.0, before=before)
    assert what(rig) == ["degrade baro.1"]
    assert rig.bus.latest(AirDataRecord).baro_alt_m == pytest.approx(alt[0], abs=1.0)
    assert rig.bus.latest(AirDataRecord).n_used == 1


def test_water_wet_under_the_main_with_a_baro_high_but_gps_at_the_sea_is_not_a_fault():
    """Landing arms the switch on a fresh GPS altitude too; WATER_EARLY agrees with it."""
    rig = Rig(Phase.MAIN, t0_s=1100.0)
    m = rig.build("monitors")
    rig.dev.water.is_wet = True
    rig.run(m, 3.0, before=descent(rig, (5500.0,), gps_alt=2.0))
    assert "WATER_EARLY" not in responses(rig)
    rig.run(m, 3.0, before=descent(rig, (5500.0,), gps_alt=2.0, gps_age_s=3.0))   # stale fix: failed switch
    assert "WATER_EARLY" in responses(rig)


def test_table_docstring_lists_every_row():
    import fsw.fdir.table as table
    doc = table.__doc__
    for row in TABLE:
        name = row.monitor
        if row.arg is not None and f"_{row.arg}_" in name:
            name = name.replace(f"_{row.arg}_", "_<i>_")
        assert f"| {name} |" in doc, name
