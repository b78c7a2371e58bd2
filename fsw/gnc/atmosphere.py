"""Onboard atmosphere: density and speed of sound against geometric altitude.

Requirements
1. Flight code owns its model (fsw/ does not import the simulator): a table of the
   U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562) every 2 km from 0 to 150 km,
   density (kg/m^3) and speed of sound (m/s), interpolated log-linearly in density
   and linearly in sound speed. Tabulated once from an independent US76
   implementation (sim/atmosphere.py); tests/fsw/gnc/test_gnc_atmosphere.py checks
   the table against the standard's published values and the interpolation
   between nodes (within 0.5 % in density, 1.5 % across the tropopause kink
   at 11 km).
2. Below 0 m the first node's values hold; above 150 km density follows the last
   scale height (it is below 2.1e-9 kg/m^3 there, drag under 1e-3 m/s^2 on this
   vehicle) and the sound speed holds.
3. ``density_scale`` multiplies the density everywhere (guidance may fold a
   navigation-estimated density ratio in; 1.0 is the standard).
"""
from __future__ import annotations

import math

#: Node spacing, m.
STEP_M = 2000.0
#: (altitude km, density kg/m^3, speed of sound m/s), US76 every 2 km.
TABLE = (
    (    0, 1.22500e+00,  340.3),
    (    2, 1.00655e+00,  332.5),
    (    4, 8.19346e-01,  324.6),
    (    6, 6.60111e-01,  316.5),
    (    8, 5.25786e-01,  308.1),
    (   10, 4.13510e-01,  299.5),
    (   12, 3.11938e-01,  295.1),
    (   14, 2.27856e-01,  295.1),
    (   16, 1.66471e-01,  295.1),
    (   18, 1.21647e-01,  295.1),
    (   20, 8.89099e-02,  295.1),
    (   22, 6.45098e-02,  296.4),
    (   24, 4.69379e-02,  297.7),
    (   26, 3.42566e-02,  299.1),
    (   28, 2.50763e-02,  300.4),
    (   30, 1.84102e-02,  301.7),
    (   32, 1.35552e-02,  303.0),
    (   34, 9.88740e-03,  306.5),
    (   36, 7.25792e-03,  310.1),
    (   38, 5.36656e-03,  313.7),
    (   40, 3.99568e-03,  317.2),
    (   42, 2.99476e-03,  320.7),
    (   44, 2.25885e-03,  324.1),
    (   46, 1.71415e-03,  327.5),
    (   48, 1.31670e-03,  329.8),
    (   50, 1.02688e-03,  329.8),
    (   52, 8.05616e-04,  328.8),
    (   54, 6.39004e-04,  325.4),
    (   56, 5.04450e-04,  322.0),
    (   58, 3.96264e-04,  318.6),
    (   60, 3.09678e-04,  315.1),
    (   62, 2.40710e-04,  311.6),
    (   64, 1.86051e-04,  308.0),
    (   66, 1.42958e-04,  304.4),
    (   68, 1.09169e-04,  300.7),
    (   70, 8.28286e-05,  297.1),
    (   72, 6.23732e-05,  293.4),
    (   74, 4.63853e-05,  290.7),
    (   76, 3.43108e-05,  288.0),
    (   78, 2.52385e-05,  285.3),
    (   80, 1.84580e-05,  282.5),
    (   82, 1.34183e-05,  279.8),
    (   84, 9.69387e-06,  276.9),
    (   86, 6.95782e-06,  274.1),
    (   88, 4.87510e-06,  274.2),
    (   90, 3.41631e-06,  274.3),
    (   92, 2.39257e-06,  274.6),
    (   94, 1.66989e-06,  275.5),
    (   96, 1.16197e-06,  277.2),
    (   98, 8.07085e-07,  279.6),
    (  100, 5.60405e-07,  282.8),
    (  102, 3.93527e-07,  286.9),
    (  104, 2.76875e-07,  292.2),
    (  106, 1.95351e-07,  298.7),
    (  108, 1.38140e-07,  307.3),
    (  110, 9.70760e-08,  320.1),
    (  112, 6.83764e-08,  337.2),
    (  114, 4.97515e-08,  353.8),
    (  116, 3.72011e-08,  369.7),
    (  118, 2.84679e-08,  385.0),
    (  120, 2.22213e-08,  399.9),
    (  122, 1.76651e-08,  414.1),
    (  124, 1.42788e-08,  427.4),
    (  126, 1.17070e-08,  440.1),
    (  128, 9.71702e-09,  452.0),
    (  130, 8.15224e-09,  463.4),
    (  132, 6.90434e-09,  474.2),
    (  134, 5.89669e-09,  484.6),
    (  136, 5.07399e-09,  494.5),
    (  138, 4.39561e-09,  503.9),
    (  140, 3.83121e-09,  513.0),
    (  142, 3.35783e-09,  521.8),
    (  144, 2.95784e-09,  530.1),
    (  146, 2.61758e-09,  538.2),
    (  148, 2.32634e-09,  546.0),
    (  150, 2.07562e-09,  553.5),
)
_LN_RHO = tuple(math.log(r) for _, r, _ in TABLE)
_A = tuple(a for _, _, a in TABLE)
_TOP_M = (len(TABLE) - 1) * STEP_M
_TOP_SLOPE = (_LN_RHO[-1] - _LN_RHO[-2]) / STEP_M      # ln rho per metre above the table


def density_sound_speed(alt_m: float, density_scale: float = 1.0) -> tuple[float, float]:
    """Density (kg/m^3) and speed of sound (m/s) at geometric altitude alt_m (m)."""
    if alt_m >= _TOP_M:
        return density_scale * math.exp(_LN_RHO[-1] + _TOP_SLOPE * (alt_m - _TOP_M)), _A[-1]
    if not alt_m > 0.0:                                  # also NaN: the surface values
        return density_scale * TABLE[0][1], _A[0]
    x = alt_m / STEP_M
    i = int(x)
    f = x - i
    return (density_scale * math.exp(_LN_RHO[i] + f * (_LN_RHO[i + 1] - _LN_RHO[i])),
            _A[i] + f * (_A[i + 1] - _A[i]))
