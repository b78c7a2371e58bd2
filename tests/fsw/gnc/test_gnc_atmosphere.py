"""Onboard atmosphere table (fsw/gnc/atmosphere.py) against the US Standard Atmosphere 1976.

Published values: NOAA-S/T 76-1562 (1976), Table I (geometric altitude): density at
0 km 1.2250, 10 km 4.1351e-1, 30 km 1.8410e-2, 50 km 1.0269e-3, 70 km 8.2829e-5,
100 km 5.604e-7 kg/m^3; speed of sound at 0 km 340.29, 10 km 299.53, 50 km 329.80 m/s.
Between nodes, the table is checked against the independent implementation in
sim/atmosphere.py (the one the simulator flies).
"""
import math

import pytest

from fsw.gnc.atmosphere import density_sound_speed
from sim.atmosphere import us76

PUBLISHED = [(0.0, 1.2250, 340.29), (10e3, 4.1351e-1, 299.53), (30e3, 1.8410e-2, None),
             (50e3, 1.0269e-3, 329.80), (70e3, 8.2829e-5, None), (100e3, 5.604e-7, None)]


@pytest.mark.parametrize("alt_m, rho, a", PUBLISHED)
def test_nodes_match_the_published_standard(alt_m, rho, a):
    got_rho, got_a = density_sound_speed(alt_m)
    assert got_rho == pytest.approx(rho, rel=2e-3)
    if a is not None:
        assert got_a == pytest.approx(a, abs=0.2)


def test_between_nodes_within_two_percent_of_us76():
    """Log-linear between 2 km nodes: within 0.5 % except across the tropopause kink
    (11 km, where the lapse rate jumps), 1.5 % there."""
    worst = 0.0
    for i in range(0, 1500):
        z = 100.0 * i + 37.0
        ref = us76(z)
        rho, a = density_sound_speed(z)
        worst = max(worst, abs(rho / ref.density_kg_m3 - 1.0))
        assert a == pytest.approx(ref.speed_of_sound_mps, rel=1e-2)
        if not 10e3 < z < 12e3:
            assert rho == pytest.approx(ref.density_kg_m3, rel=5e-3), z
    assert worst < 0.02


def test_outside_the_table_and_bad_input():
    assert density_sound_speed(-500.0) == density_sound_speed(0.0)
    assert density_sound_speed(float("nan")) == density_sound_speed(0.0)
    rho_top, _ = density_sound_speed(150e3)
    rho_up, _ = density_sound_speed(170e3)
    assert 0.0 < rho_up < rho_top and rho_up == pytest.approx(us76(170e3).density_kg_m3, rel=0.5)
    assert density_sound_speed(20e3, 1.05)[0] == pytest.approx(1.05 * density_sound_speed(20e3)[0])
    assert math.isfinite(density_sound_speed(1e9)[0])
