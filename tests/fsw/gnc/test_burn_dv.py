"""Burn delta-v from GPS and the two-of-three vote (fsw/gnc/burn_dv.py)."""
from __future__ import annotations

import math

import pytest

from fsw.flightmath import gravity
from fsw.gnc.burn_dv import ACCEL_OUT, AGREE, GPS_OUT, UNDECIDED, GpsDvMeter, gps_dv_noise_mps, vote

NOISE = gps_dv_noise_mps(0.15)


def test_gps_dv_removes_gravity_exactly_for_a_coasting_state():
    # A free fall over 10 s (no thrust): the velocity changes by the gravity integral alone,
    # so the measured dv is zero (closed form: v(t) - v0 = integral of g dt).
    r = (6.78e6, 0.0, 0.0)
    g = gravity(r)
    m = GpsDvMeter()
    v = [0.0, 7668.0, 0.0]
    m.fix(tuple(v), 0.0)
    for k in range(1, 501):
        m.cycle(r, 0.02)
        v = [v[i] + g[i] * 0.02 for i in range(3)]
        if k % 5 == 0:
            m.fix(tuple(v), k * 0.02)
    assert m.dv_mps == pytest.approx(0.0, abs=1e-9)


def test_gps_dv_measures_a_thrust_along_any_axis():
    r = (6.78e6, 0.0, 0.0)
    g = gravity(r)
    m = GpsDvMeter()
    v = [0.0, 7668.0, 0.0]
    m.fix(tuple(v), 0.0)
    thrust = (0.0, -4.0, 3.0)                       # 5 m/s^2
    for k in range(1, 201):
        m.cycle(r, 0.02)
        v = [v[i] + (g[i] + thrust[i]) * 0.02 for i in range(3)]
    m.fix(tuple(v), 4.0)
    assert m.dv_mps == pytest.approx(20.0, rel=1e-9)


@pytest.mark.parametrize("acc, pc, gps, verdict", [
    (50.0, 50.5, 50.2, AGREE),                     # all within 5 % + noise
    (40.0, 50.5, 50.2, ACCEL_OUT),                 # accelerometer at 0.8: two against one
    (-50.0, 50.5, 50.2, ACCEL_OUT),                # wrong sign
    (50.0, 50.5, 30.0, GPS_OUT),                   # GPS alone disagrees
    (40.0, 60.0, 50.2, UNDECIDED),                 # no two agree: no verdict
    (3.0, 9.0, 5.0, UNDECIDED),                    # below the minimum GPS dv
    (50.0, 50.5, None, UNDECIDED),                 # no GPS
])
def test_vote(acc, pc, gps, verdict):
    assert vote(acc, pc, gps, 10.0, 0.05, NOISE) == verdict


def test_noise_figure_is_three_sigma_of_a_difference_of_two_fixes():
    # 0.15 m/s per axis: one fix's 3-D error sigma 0.15 sqrt(3); the difference of two, sqrt(2) more.
    assert gps_dv_noise_mps(0.15) == pytest.approx(3 * 0.15 * math.sqrt(3) * math.sqrt(2))
