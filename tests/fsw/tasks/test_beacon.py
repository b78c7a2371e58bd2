"""Beacon task: reports in LANDED and SAFE with the phase, position source, period, retry, signal."""
from __future__ import annotations

import pytest

from fakes import Rig
from fsw.phases import Phase, Trigger
from fsw.records import GpsRecord, NavRecord
from fsw.tasks.beacon import REPORT
from hal.devices import GpsFix

PHASES = list(Phase)


def reports(rig):
    return [REPORT.parse(p) for p in rig.dev.iridium.sessions]


def beacon(phase, t0_s=6000.0, **kw):
    rig = Rig(phase, t0_s=t0_s, **kw)
    return rig, rig.build("beacon")


@pytest.mark.parametrize("phase", [Phase.SEPARATED, Phase.COAST, Phase.ENTRY, Phase.MAIN])
def test_silent_before_landing_unless_safe(phase):
    rig, b = beacon(phase)
    rig.run(b, 300.0)
    assert rig.dev.iridium.sessions == []


@pytest.mark.parametrize("phase", [Phase.LANDED, Phase.SAFE])
def test_reports_at_once_then_every_period_with_the_phase(phase):
    rig, b = beacon(phase)
    rig.run(b, n=1)
    assert len(rig.dev.iridium.sessions) == 1
    assert PHASES[reports(rig)[0].phase] is phase
    rig.run(b, 119.0)
    assert len(rig.dev.iridium.sessions) == 1
    rig.run(b, 1.0)
    assert len(rig.dev.iridium.sessions) == 2
    assert [r.seq for r in reports(rig)] == [0, 1]
    assert b.sent == 2 and b.telemetry() == {"beacon_messages": 2}
    assert rig.last("BEACON_SENT") is not None


def test_reports_gps_position_else_nav_else_none():
    rig, b = beacon(Phase.LANDED)
    rig.run(b, n=1)
    assert reports(rig)[-1].source == 0
    rig.publish(NavRecord(rig.now, True, (6378137.0, 0.0, 0.0), (0.0, 0.0, 0.0)))
    rig.run(b, 120.0)
    assert reports(rig)[-1].source == 2
    rig.publish(GpsRecord(rig.now, True, GpsFix(rig.now, True, -37.32, -157.82, 0.0, n_sats=8)))
    rig.run(b, 120.0)
    r = reports(rig)[-1]
    assert r.source == 1 and r.lat_e7 == -373200000 and r.lon_e7 == -1578200000
    assert r.battery_pct == 90


def test_failed_session_is_retried_sooner():
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.mo_status = 32                     # no network service
    rig.run(b, n=1)
    assert b.failed == 1 and b.sent == 0 and rig.last("BEACON_FAILED") is not None
    rig.run(b, 14.0)
    assert len(rig.dev.iridium.sessions) == 1
    rig.dev.iridium.mo_status = 0
    rig.run(b, 1.0)
    assert len(rig.dev.iridium.sessions) == 2 and b.sent == 1
    assert b.first_sent_t_s == pytest.approx(rig.now)


def test_no_session_without_signal():
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.bars = 1
    rig.run(b, 60.0)
    assert rig.dev.iridium.sessions == []
    rig.dev.iridium.bars = 3
    rig.run(b, 15.0)
    assert len(rig.dev.iridium.sessions) == 1


def test_entering_safe_starts_reporting_at_once():
    rig, b = beacon(Phase.SEPARATED, t0_s=500.0)
    rig.run(b, 10.0)
    rig.phases.request(Trigger.SAFE_CMD, "ground")
    rig.run(b, n=1)
    assert [PHASES[r.phase] for r in reports(rig)] == [Phase.SAFE]


def test_period_parameter_is_honoured():
    rig, b = beacon(Phase.LANDED, params={"beacon.period_s": 30.0})
    rig.run(b, 61.0)
    assert len(rig.dev.iridium.sessions) == 3
