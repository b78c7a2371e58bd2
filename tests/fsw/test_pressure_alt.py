"""Flight-side pressure altitude vs the simulator's independent US76 (NOAA-S/T 76-1562).

The flight code inverts the standard's pressure profile with its own tables;
the simulator computes it forward. Tolerance 1 m (0-80 km): both implement the
same defining equations, so any larger gap is a bug in one of them.
"""
import pytest

from fsw.pressure_alt import pressure_altitude_m
from sim.atmosphere import us76


@pytest.mark.parametrize("alt_m", [0.0, 500.0, 3000.0, 11000.0, 12000.0, 20000.0, 32000.0, 47000.0, 60000.0, 80000.0])
def test_inverts_the_standard(alt_m):
    assert pressure_altitude_m(us76(alt_m).pressure_pa) == pytest.approx(alt_m, abs=1.0)


def test_sea_level_table_value():
    # US76 Table I: 101325 Pa at 0 m; 22632 Pa at 11 km geopotential = 11019 m geometric.
    assert pressure_altitude_m(101325.0) == pytest.approx(0.0, abs=0.01)
    assert pressure_altitude_m(22632.06) == pytest.approx(11019.0, abs=1.0)


def test_monotonic_decreasing_in_pressure():
    ps = [100000.0 * 0.8 ** k for k in range(30)]
    alts = [pressure_altitude_m(p) for p in ps]
    assert all(b > a for a, b in zip(alts, alts[1:]))
