"""Tests for fsw.events: throttling, subscribers, JSON export, bounds."""

import json
from enum import Enum

import pytest

from fsw.clock import SimClock
from fsw.events import Event, EventLog, Severity


def names(log):
    return [e.name for e in log.history]


def test_severity_levels_match_fprime():
    assert [(s.name, int(s)) for s in Severity] == [
        ("DIAGNOSTIC", 0), ("ACTIVITY_LO", 1), ("ACTIVITY_HI", 2),
        ("WARNING_LO", 3), ("WARNING_HI", 4), ("FATAL", 5)]


def test_emit_stamps_clock_time_and_records():
    clock = SimClock(12.5)
    log = EventLog(clock)
    event = log.emit(Severity.ACTIVITY_LO, "HEATER_ON", "heater 2 on", heater=2)
    assert event == Event(12.5, Severity.ACTIVITY_LO, "HEATER_ON", "heater 2 on", {"heater": 2})
    assert list(log.history) == [event]
    assert log.counts == {"HEATER_ON": 1}


def test_throttling_drops_counts_and_reports_when_window_reopens():
    clock = SimClock()
    log = EventLog(clock, throttle_limit=3, throttle_window_s=10.0)
    results = []
    for i in range(10):
        clock.advance_to(i * 0.5)
        results.append(log.emit(Severity.WARNING_HI, "SENSOR_STALE", f"stale {i}"))
    assert sum(r is not None for r in results) == 3
    assert results[3:] == [None] * 7
    assert log.counts["SENSOR_STALE"] == 3
    assert log.suppressed["SENSOR_STALE"] == 7
    assert "EVENTS_THROTTLED" not in log.counts  # window still open

    clock.advance_to(10.0)  # window opened at t=0 closes
    assert log.emit(Severity.WARNING_HI, "SENSOR_STALE", "stale again") is not None
    assert names(log)[-2:] == ["EVENTS_THROTTLED", "SENSOR_STALE"]
    report = log.history[-2]
    assert report.severity is Severity.WARNING_LO
    assert report.data["event"] == "SENSOR_STALE"
    assert report.data["suppressed"] == 7
    assert report.t_s == 10.0

    # a next window within the limit (3 incl. "stale again") produces no further report
    for i in range(2):
        log.emit(Severity.WARNING_HI, "SENSOR_STALE", "x")
    clock.advance_to(25.0)
    log.emit(Severity.WARNING_HI, "SENSOR_STALE", "x")
    assert log.counts["EVENTS_THROTTLED"] == 1
    assert log.suppressed["SENSOR_STALE"] == 7


def test_throttling_is_per_name():
    clock = SimClock()
    log = EventLog(clock, throttle_limit=2, throttle_window_s=1.0)
    for _ in range(5):
        log.emit(Severity.DIAGNOSTIC, "NOISY", "n")
    assert log.emit(Severity.ACTIVITY_HI, "QUIET", "q") is not None
    assert log.counts == {"NOISY": 2, "QUIET": 1}
    assert log.suppressed == {"NOISY": 3}


def test_report_for_a_name_that_went_silent_via_other_event_or_flush():
    clock = SimClock()
    log = EventLog(clock, throttle_limit=1, throttle_window_s=2.0)
    log.emit(Severity.DIAGNOSTIC, "BURSTY", "b")
    log.emit(Severity.DIAGNOSTIC, "BURSTY", "b")
    clock.advance_to(1.9)
    assert log.flush() == 0
    clock.advance_to(2.0)
    assert log.flush() == 1
    assert log.history[-1].name == "EVENTS_THROTTLED"
    assert log.flush() == 0  # reported only once

    log.emit(Severity.DIAGNOSTIC, "BURSTY", "b")  # opens a window at t=2
    log.emit(Severity.DIAGNOSTIC, "BURSTY", "b")  # dropped
    clock.advance_to(4.5)
    log.emit(Severity.ACTIVITY_LO, "OTHER", "o")  # any later emit reports it first
    assert names(log)[-2:] == ["EVENTS_THROTTLED", "OTHER"]
    assert log.history[-2].data == {"event": "BURSTY", "suppressed": 1, "window_s": 2.0}


def test_subscribers_get_events_in_order_and_a_bad_one_is_contained():
    clock = SimClock()
    log = EventLog(clock)
    got_a, got_b = [], []

    def broken(event):
        raise RuntimeError("downlink queue full")

    log.subscribe(got_a.append)
    log.subscribe(broken)
    log.subscribe(got_b.append)
    emitted = [log.emit(Severity.ACTIVITY_LO, f"EV_{i}", str(i)) for i in range(5)]
    assert got_a == emitted
    assert got_b == emitted
    assert log.subscriber_errors == 5
    log.unsubscribe(got_a.append)
    log.emit(Severity.ACTIVITY_LO, "EV_5", "5")
    assert len(got_a) == 5 and len(got_b) == 6


def test_to_json_dict_is_json_serialisable():
    class Mode(Enum):
        FINE = 1

    clock = SimClock(3.25)
    log = EventLog(clock)
    event = log.emit(Severity.WARNING_HI, "RATE_GROUP_OVERRUN", "slow",
                     group="fast", exec_ms=12.5, ok=False, missing=None,
                     mode=Mode.FINE, sev=Severity.FATAL, obj=object())
    d = event.to_json_dict()
    text = json.dumps(d)
    back = json.loads(text)
    assert back["t_s"] == 3.25
    assert back["severity"] == "WARNING_HI"
    assert back["name"] == "RATE_GROUP_OVERRUN"
    assert back["message"] == "slow"
    assert back["data"]["group"] == "fast"
    assert back["data"]["exec_ms"] == 12.5
    assert back["data"]["ok"] is False and back["data"]["missing"] is None
    assert back["data"]["mode"] == "FINE" and back["data"]["sev"] == "FATAL"
    assert isinstance(back["data"]["obj"], str)


def test_history_is_bounded():
    clock = SimClock()
    log = EventLog(clock, throttle_limit=1000, history_maxlen=50)
    for i in range(120):
        log.emit(Severity.DIAGNOSTIC, "TICK", str(i))
    assert len(log.history) == 50
    assert log.history[0].message == "70"
    assert log.counts["TICK"] == 120


@pytest.mark.parametrize("bad", ["phase_change", "Phase", "PHASE-CHANGE", "", "_X", "X__Y"])
def test_event_names_must_be_upper_snake(bad):
    log = EventLog(SimClock())
    with pytest.raises(ValueError, match="UPPER_SNAKE"):
        log.emit(Severity.DIAGNOSTIC, bad, "m")


@pytest.mark.parametrize("kwargs", [{"throttle_limit": 0}, {"throttle_window_s": 0.0},
                                    {"history_maxlen": 0}])
def test_bad_configuration_rejected(kwargs):
    with pytest.raises(ValueError):
        EventLog(SimClock(), **kwargs)
