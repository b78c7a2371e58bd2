"""Baro fusion: pressure altitude, implausible jumps (Schiaparelli), disagreement takes the higher, failed sensors."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.phases import Phase
from fsw.records import AirDataRecord, HealthRecord
from fsw.tasks.baro import RELOCK_N


@pytest.fixture
def rig():
    return Rig(Phase.DROGUE, t0_s=4000.0)


def set_alts(rig, a0, a1):
    for b, a in zip(rig.dev.baros, (a0, a1)):
        if a is None:
            b.valid = False
        else:
            b.set_alt(a)


def test_two_agreeing_sensors_are_averaged(rig):
    b = rig.build("baro")
    set_alts(rig, 10000.0, 10100.0)
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert rec.valid and rec.n_used == 2
    assert rec.baro_alt_m == pytest.approx(10050.0, abs=1.0)
    assert rec.per_sensor_m[0] == pytest.approx(10000.0, abs=1.0)
    assert b.telemetry()["baro_alt_m"] == pytest.approx(10050.0, abs=1.0)


@pytest.mark.parametrize("alts", [(2500.0, 3500.0), (3500.0, 2500.0)])
def test_disagreeing_sensors_use_the_higher(rig, alts):
    """A failed-low sensor must never fire a chute early: the higher altitude wins."""
    b = rig.build("baro")
    set_alts(rig, *alts)
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert rec.n_used == 2 and rec.baro_alt_m == pytest.approx(3500.0, abs=1.0)


def test_implausible_jump_is_rejected_until_it_persists(rig):
    b = rig.build("baro")
    set_alts(rig, 10000.0, 10000.0)
    rig.run(b, n=1)
    rig.dev.baros[0].set_alt(1000.0)                          # 9 km in 0.1 s
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert rec.per_sensor_m[0] is None and rec.n_used == 1
    assert rec.baro_alt_m == pytest.approx(10000.0, abs=1.0)
    assert b.rejected[0] == 1 and rig.last("BARO_SAMPLE_REJECTED").data["sensor"] == 0
    rig.run(b, n=RELOCK_N - 2)
    assert rig.bus.latest(AirDataRecord).per_sensor_m[0] is None
    rig.run(b, n=1)                                           # the RELOCK_N-th: a real step, accepted
    assert rig.bus.latest(AirDataRecord).per_sensor_m[0] == pytest.approx(1000.0, abs=1.0)


def test_plausible_descent_is_accepted(rig):
    b = rig.build("baro")
    alt = [10000.0]

    def fall(t):
        alt[0] -= 100.0                                       # 1000 m/s, below chutes.baro_max_rate_mps
        set_alts(rig, alt[0], alt[0])
    rig.run(b, n=20, before=fall)
    assert b.rejected == [0, 0]
    assert rig.bus.latest(AirDataRecord).baro_alt_m == pytest.approx(8000.0, abs=1.0)


def test_single_glitch_does_not_reach_the_fusion(rig):
    b = rig.build("baro")
    set_alts(rig, 5000.0, 5000.0)
    rig.run(b, n=3)
    set_alts(rig, -100.0, 5000.0)
    rig.run(b, n=1)
    assert rig.bus.latest(AirDataRecord).baro_alt_m == pytest.approx(5000.0, abs=1.0)
    set_alts(rig, 5000.0, 5000.0)
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert rec.n_used == 2 and rec.baro_alt_m == pytest.approx(5000.0, abs=1.0)


@pytest.mark.parametrize("pressure", [float("nan"), 1000.0, 200000.0, float("inf")])
def test_out_of_range_reading_is_not_used(rig, pressure):
    b = rig.build("baro")
    set_alts(rig, 4000.0, 4000.0)
    rig.dev.baros[1].pressure_pa = pressure
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert rec.n_used == 1 and rec.per_sensor_m[1] is None


def test_no_usable_sensor_publishes_invalid(rig):
    b = rig.build("baro")
    set_alts(rig, None, None)
    rig.run(b, n=1)
    rec = rig.bus.latest(AirDataRecord)
    assert not rec.valid and rec.baro_alt_m is None and rec.n_used == 0
    assert math.isnan(b.telemetry()["baro_alt_m"])


def test_sensor_declared_failed_is_not_used(rig):
    b = rig.build("baro")
    set_alts(rig, 2000.0, 4000.0)
    rig.run(b, n=1, before=lambda t: rig.publish(HealthRecord(t, True, frozenset({"baro.1"}))))
    rec = rig.bus.latest(AirDataRecord)
    assert rec.n_used == 1 and rec.baro_alt_m == pytest.approx(2000.0, abs=1.0)
