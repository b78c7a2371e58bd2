"""Pressure altitude: the barometric altitude the chute triggers use.

Inverts the US Standard Atmosphere 1976 pressure profile (0-86 km, seven
geopotential layers; NOAA-S/T 76-1562, Table 4 base values) to a geometric
altitude. Owned by the flight code (fsw/ does not import the simulator).
"""
from __future__ import annotations

import math

_R0_M = 6356766.0            # effective Earth radius of the standard, m
_G0 = 9.80665                # m/s^2
_R_AIR = 8314.32 / 28.9644   # R* / M0, J/(kg K)
# (base geopotential altitude m, base temperature K, lapse K/m, base pressure Pa)
_LAYERS: list[tuple[float, float, float, float]] = []


def _build() -> None:
    hb, tb, pb = 0.0, 288.15, 101325.0
    for top_m, lapse in ((11000, -0.0065), (20000, 0.0), (32000, 0.001), (47000, 0.0028),
                         (51000, 0.0), (71000, -0.0028), (84852, -0.002)):
        _LAYERS.append((hb, tb, lapse, pb))
        dh = top_m - hb
        if lapse == 0.0:
            pb = pb * math.exp(-_G0 * dh / (_R_AIR * tb))
        else:
            pb = pb * ((tb + lapse * dh) / tb) ** (-_G0 / (_R_AIR * lapse))
        tb += lapse * dh
        hb = float(top_m)


_build()
#: Pressure at the top of the modelled range (84.852 km geopotential), Pa.
P_MIN_PA = _LAYERS[-1][3] * ((_LAYERS[-1][1] + _LAYERS[-1][2] * (84852 - _LAYERS[-1][0])) / _LAYERS[-1][1]) ** (-_G0 / (_R_AIR * _LAYERS[-1][2]))


def pressure_altitude_m(pressure_pa: float) -> float:
    """Geometric altitude (m) at which the standard atmosphere has this pressure.

    Valid for 0.4 Pa .. 107 kPa (about 86 km .. -0.5 km); outside, the
    result is extrapolated from the nearest layer, so callers range-check.
    """
    p = max(pressure_pa, 1e-3)
    for hb, tb, lapse, pb in reversed(_LAYERS):
        if p <= pb or hb == 0.0:
            if lapse == 0.0:
                h = hb - _R_AIR * tb / _G0 * math.log(p / pb)
            else:
                h = hb + tb / lapse * ((p / pb) ** (-_R_AIR * lapse / _G0) - 1.0)
            return _R0_M * h / (_R0_M - h)
    raise AssertionError("unreachable")
