"""Beacon report: the SBD message layout and its builder (no I/O).

Requirements
1. ``REPORT`` (construct, big-endian, 37 bytes, version 2) is the one
   definition of the message; the flight task builds it and the ground decodes
   it with it (``elsrs decode beacon``). It fits an Iridium mobile-originated
   SBD message (``SBD_MO_MAX`` 340 bytes, REFERENCES.md), checked at import.
2. A report says what it is (``kind``: descent = last known state under the
   canopies, surface = floating, safe = a SAFE hold), where the capsule is and
   how old that is: the latest valid GPS fix with its age in seconds (65535:
   that old or more), else the navigated state (age 0), else no position.
3. Velocity east, north, up (0.1 m/s) relative to the Earth, on the local
   geocentric vertical (within 0.2 deg of the geodetic one: a report, not a
   navigation product); when the next report is due (s) and how many sessions
   failed so far, so the recovery team knows when to listen again.
4. Every field is clipped to its range: a wild input builds a report, never
   an exception.
"""
from __future__ import annotations

import math

from construct import Const, Int8ub, Int16sb, Int16ub, Int32sb, Int32ub, Struct

from fsw.flightmath import cross, norm

#: Largest mobile-originated SBD message of the 9602/9603, bytes (REFERENCES.md).
SBD_MO_MAX = 340
KINDS = ("descent", "surface", "safe")
SOURCES = ("none", "gps", "nav")
AGE_MAX_S = 0xFFFF

REPORT = Struct(
    "magic" / Const(b"EB"),
    "version" / Const(2, Int8ub),
    "kind" / Int8ub,            # index in KINDS
    "seq" / Int16ub,
    "t_s" / Int32ub,            # mission elapsed time of the report, s
    "phase" / Int8ub,           # index in fsw.phases.Phase
    "source" / Int8ub,          # index in SOURCES
    "lat_e7" / Int32sb,         # latitude, 1e-7 deg
    "lon_e7" / Int32sb,         # longitude, 1e-7 deg
    "alt_m" / Int32sb,          # altitude above the ellipsoid, m
    "age_s" / Int16ub,          # age of the position, s (AGE_MAX_S: that or older)
    "ve_dmps" / Int16sb,        # velocity east, 0.1 m/s
    "vn_dmps" / Int16sb,        # velocity north, 0.1 m/s
    "vu_dmps" / Int16sb,        # velocity up, 0.1 m/s
    "battery_pct" / Int8ub,
    "next_s" / Int16ub,         # the next report is planned this many seconds later
    "failed" / Int16ub,         # SBD sessions failed since boot
)
assert REPORT.sizeof() <= SBD_MO_MAX, REPORT.sizeof()


def _clip_int(x: float, lo: int, hi: int) -> int:
    if not math.isfinite(x):
        return 0
    return max(lo, min(hi, int(round(x))))


def enu(r, v) -> tuple[float, float, float]:
    """``v`` (Earth-relative, same frame as ``r``) as east, north, up on the geocentric vertical."""
    rn = norm(r)
    if rn < 1.0:
        return (0.0, 0.0, 0.0)
    up = (r[0] / rn, r[1] / rn, r[2] / rn)
    e = cross((0.0, 0.0, 1.0), up)
    en = norm(e)
    e = (1.0, 0.0, 0.0) if en < 1e-9 else (e[0] / en, e[1] / en, e[2] / en)
    n = cross(up, e)
    return tuple(sum(a * b for a, b in zip(v, ax)) for ax in (e, n, up))


def build(*, kind: str, seq: int, t_s: float, phase: int, source: str, lat_deg: float = 0.0, lon_deg: float = 0.0,
          alt_m: float = 0.0, age_s: float = 0.0, v_enu_mps=(0.0, 0.0, 0.0), battery_pct: float = 0.0,
          next_s: float = 0.0, failed: int = 0) -> bytes:
    """One report (requirement 4: every value clipped to its field)."""
    return REPORT.build(dict(
        kind=KINDS.index(kind), seq=seq & 0xFFFF, t_s=_clip_int(t_s, 0, 2**32 - 1), phase=phase,
        source=SOURCES.index(source), lat_e7=_clip_int(lat_deg * 1e7, -900000000, 900000000),
        lon_e7=_clip_int(lon_deg * 1e7, -1800000000, 1800000000), alt_m=_clip_int(alt_m, -2**31, 2**31 - 1),
        age_s=_clip_int(age_s, 0, AGE_MAX_S),
        ve_dmps=_clip_int(v_enu_mps[0] * 10, -32768, 32767), vn_dmps=_clip_int(v_enu_mps[1] * 10, -32768, 32767),
        vu_dmps=_clip_int(v_enu_mps[2] * 10, -32768, 32767), battery_pct=_clip_int(battery_pct, 0, 100),
        next_s=_clip_int(next_s, 0, 0xFFFF), failed=_clip_int(failed, 0, 0xFFFF)))


def parse(payload: bytes) -> dict:
    """A report as a dict in SI units and names (raises construct's error on a bad message)."""
    r = REPORT.parse(payload)
    return {"kind": KINDS[r.kind] if r.kind < len(KINDS) else f"kind {r.kind}", "seq": r.seq, "t_s": r.t_s,
            "phase": r.phase, "source": SOURCES[r.source] if r.source < len(SOURCES) else f"source {r.source}",
            "lat_deg": r.lat_e7 * 1e-7, "lon_deg": r.lon_e7 * 1e-7, "alt_m": r.alt_m, "age_s": r.age_s,
            "v_enu_mps": (r.ve_dmps / 10, r.vn_dmps / 10, r.vu_dmps / 10), "battery_pct": r.battery_pct,
            "next_s": r.next_s, "failed": r.failed}
