"""Horizontal wind: a steady profile of east/north wind versus altitude.

Scenario switch (ARCHITECTURE.md, scenario ``environment:``)::

    environment:
      wind:
        model: table                 # none (default) | table
        alt_m:     [0, 1000, ...]    # WGS84 geodetic (geometric) altitude, strictly increasing
        east_mps:  [5, 8, ...]       # air velocity toward the east (a westerly wind is positive)
        north_mps: [0, 0, ...]       # air velocity toward the north (a southerly wind is positive)
        scale: 1.0                   # factor on the whole profile (Monte Carlo dispersions)

Requirements
1. ``model: none`` (the default) is no wind at all: sim.dynamics then uses its
   wind-free path, chosen once at construction, unchanged and at no extra cost.
2. ``model: table``: east and north components are interpolated linearly in
   altitude between the rows; below the first row the first row holds; above
   the last row the wind is zero (the last row should therefore normally be
   zero, or the wind steps to zero there). Components, not speed and
   direction, are interpolated, so a turning wind passes through the straight
   line between its end points.
3. Without a table in the scenario the rows default to ``DEFAULT_PROFILE``, an
   illustrative mid-latitude zonal profile (see there).
4. Validation (``WIND``): all three lists the same length, altitudes strictly
   increasing; a ``ConfigError`` names the field (``environment.wind.east_mps``).
5. Per-derivative cost (the integrator calls this millions of times per flight):
   plain floats, the scale factor folded into the table at construction, slopes
   precomputed, one C ``bisect`` per call.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping

from fsw.schema import ConfigError, ListOf, Num, Str, Struct

WIND_MODELS = ("none", "table")

#: Illustrative mid-latitude zonal (west-to-east) wind profile, m/s versus m.
#: NOT a climatological dataset: its shape follows the textbook zonal-mean
#: picture (Holton, "An Introduction to Dynamic Meteorology", ch. 6: the mean
#: jet core lies just below the tropopause, ~200-300 hPa, i.e. 10-12 km, at
#: 30-45 deg latitude): a light westerly at the surface, growing through the
#: troposphere to a ~40 m/s jet core at 11.5 km, decaying above the tropopause
#: to light stratospheric winds and to zero at 30 km, the top of the table
#: (above it the model gives no wind). Use a measured sounding or a
#: climatology (e.g. NASA TM-4511, Terrestrial Environment (Climatic)
#: Criteria Guidelines) in the scenario for anything quantitative.
DEFAULT_PROFILE = {
    "alt_m": (0.0, 1000.0, 3000.0, 6000.0, 9000.0, 11500.0, 14000.0, 17000.0, 20000.0, 25000.0, 30000.0),
    "east_mps": (5.0, 8.0, 13.0, 22.0, 33.0, 40.0, 32.0, 18.0, 8.0, 4.0, 0.0),
    "north_mps": (0.0,) * 11,
}


class _WindSchema(Struct):
    """The wind mapping plus its cross-field checks (lengths, increasing altitudes)."""

    def _check(self, value, path):
        out = super()._check(value, path)
        at = (lambda key: f"{path}.{key}") if path else (lambda key: key)
        alts = out["alt_m"]
        for key in ("east_mps", "north_mps"):
            if len(out[key]) != len(alts):
                raise ConfigError("", at(key), f"expected {len(alts)} values (one per alt_m entry), got {len(out[key])}")
        for i, (a, b) in enumerate(zip(alts, alts[1:])):
            if b <= a:
                raise ConfigError("", at(f"alt_m[{i + 1}]"),
                                  f"expected strictly increasing altitudes, got {b:g} m after {a:g} m")
        return out


WIND = _WindSchema({
    "model": Str(choices=WIND_MODELS, default="none",
                 doc="none: no wind; table: east/north wind interpolated linearly in altitude, zero above the last row"),
    "alt_m": ListOf(Num("m", -1000.0, 300e3), min_len=2, default=list(DEFAULT_PROFILE["alt_m"]),
                    doc="WGS84 geodetic (geometric) altitude of each row, strictly increasing"),
    "east_mps": ListOf(Num("m/s", -300.0, 300.0), min_len=2, default=list(DEFAULT_PROFILE["east_mps"]),
                       doc="air velocity toward the east at each row (a westerly wind is positive)"),
    "north_mps": ListOf(Num("m/s", -300.0, 300.0), min_len=2, default=list(DEFAULT_PROFILE["north_mps"]),
                        doc="air velocity toward the north at each row (a southerly wind is positive)"),
    "scale": Num("", 0.0, 10.0, default=1.0, doc="factor on the whole profile (dispersions)"),
}, default={}, doc="horizontal wind (default: none; the table defaults to an illustrative mid-latitude zonal profile)")


class WindProfile:
    """East/north wind versus geodetic altitude, linear between rows, zero above the top."""

    __slots__ = ("alt_m", "east_mps", "north_mps", "top_m", "_de", "_dn")

    def __init__(self, alt_m, east_mps, north_mps, scale: float = 1.0):
        if not (len(alt_m) == len(east_mps) == len(north_mps)) or len(alt_m) < 1:
            raise ValueError("wind table: alt_m, east_mps, north_mps must be non-empty and equally long")
        if any(b <= a for a, b in zip(alt_m, alt_m[1:])):
            raise ValueError("wind table: alt_m must be strictly increasing")
        self.alt_m = tuple(float(a) for a in alt_m)
        self.east_mps = tuple(float(e) * scale for e in east_mps)
        self.north_mps = tuple(float(n) * scale for n in north_mps)
        self.top_m = self.alt_m[-1]
        a, e, n = self.alt_m, self.east_mps, self.north_mps
        # Slopes per segment (m/s per m); the last entry is unused padding.
        self._de = tuple((e[i + 1] - e[i]) / (a[i + 1] - a[i]) for i in range(len(a) - 1)) + (0.0,)
        self._dn = tuple((n[i + 1] - n[i]) / (a[i + 1] - a[i]) for i in range(len(a) - 1)) + (0.0,)

    def enu(self, alt_m: float) -> tuple[float, float]:
        """(east, north) wind in m/s at a geodetic altitude."""
        a = self.alt_m
        if alt_m > self.top_m:
            return 0.0, 0.0
        if alt_m <= a[0]:
            return self.east_mps[0], self.north_mps[0]
        i = bisect_right(a, alt_m) - 1
        d = alt_m - a[i]
        return self.east_mps[i] + self._de[i] * d, self.north_mps[i] + self._dn[i] * d

    def eci(self, x: float, y: float, lat_rad: float, alt_m: float) -> tuple[float, float, float]:
        """Wind velocity in ECI (m/s) at ECI position (x, y, .) of geodetic latitude/altitude.

        East and north at the point's geodetic latitude lat and inertial longitude
        lon = atan2(y, x): east = (-sin lon, cos lon, 0),
        north = (-sin lat cos lon, -sin lat sin lon, cos lat).
        """
        # enu() inlined: this runs in every derivative call below the top of the table.
        a = self.alt_m
        if alt_m > self.top_m:
            return 0.0, 0.0, 0.0
        if alt_m <= a[0]:
            e, n = self.east_mps[0], self.north_mps[0]
        else:
            i = bisect_right(a, alt_m) - 1
            d = alt_m - a[i]
            e, n = self.east_mps[i] + self._de[i] * d, self.north_mps[i] + self._dn[i] * d
        if not (e or n):
            return 0.0, 0.0, 0.0
        p = math.hypot(x, y)
        if p > 1e-3:
            clon, slon = x / p, y / p
        else:                      # on the axis: east/north undefined; take longitude 0
            clon, slon = 1.0, 0.0
        slat, clat = math.sin(lat_rad), math.cos(lat_rad)
        return -e * slon - n * slat * clon, e * clon - n * slat * slon, n * clat


def make_wind(spec) -> WindProfile | None:
    """The wind model of an ``environment.wind`` mapping (validated here), or None for no wind.

    ``spec`` may also be None (no wind) or a ready ``WindProfile``. A table
    scaled by 0 or entirely zero is no wind (None): the wind-free path.
    """
    if spec is None or isinstance(spec, WindProfile):
        return spec
    if not isinstance(spec, Mapping):
        raise TypeError(f"wind: expected a mapping, a WindProfile or None, got {spec!r}")
    w = WIND.validate(spec, "environment.wind")
    if w["model"] == "none" or w["scale"] == 0.0:
        return None
    if not any(w["east_mps"]) and not any(w["north_mps"]):
        return None
    return WindProfile(w["alt_m"], w["east_mps"], w["north_mps"], w["scale"])
