"""Tests for fsw.clock: SimClock never runs backwards; MonotonicClock tracks real time."""

import math
import time

import pytest

from fsw.clock import Clock, MonotonicClock, SimClock


def test_simclock_starts_at_t0_and_advances():
    clock = SimClock(t0_s=5.0)
    assert clock.now_s() == 5.0
    clock.advance_to(7.5)
    assert clock.now_s() == 7.5
    clock.advance_to(7.5)  # standing still is allowed
    assert clock.now_s() == 7.5
    clock.advance_by(0.5)
    assert clock.now_s() == 8.0


@pytest.mark.parametrize("bad_t_s", [7.4999, 0.0, -1.0, math.nan, math.inf])
def test_simclock_refuses_to_go_backwards_or_to_nonsense(bad_t_s):
    clock = SimClock(t0_s=7.5)
    with pytest.raises(ValueError):
        clock.advance_to(bad_t_s)
    assert clock.now_s() == 7.5


def test_simclock_refuses_negative_step():
    clock = SimClock()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_by(-0.01)


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(SimClock(), Clock)
    assert isinstance(MonotonicClock(), Clock)


def test_monotonic_clock_is_zero_at_construction_and_advances():
    clock = MonotonicClock()
    t1 = clock.now_s()
    assert 0.0 <= t1 < 0.5
    time.sleep(0.02)
    t2 = clock.now_s()
    assert t2 - t1 >= 0.019


def test_monotonic_sleep_until_waits_for_target():
    clock = MonotonicClock()
    target_s = clock.now_s() + 0.03
    clock.sleep_until(target_s)
    assert clock.now_s() >= target_s
    assert clock.now_s() < target_s + 0.5


def test_monotonic_sleep_until_returns_at_once_when_past():
    clock = MonotonicClock()
    time.sleep(0.01)
    start = time.perf_counter()
    clock.sleep_until(0.0)
    clock.sleep_until(-100.0)
    assert time.perf_counter() - start < 0.005
