"""Earth model of the simulator: WGS84 shape, rotation, gravity, frames.

Requirements
1. Frames: ECI is Earth-centred with z along the rotation axis and x through the
   Greenwich meridian at simulation time 0 (a pseudo-inertial frame: precession,
   nutation and polar motion are neglected over a flight of hours). ECEF rotates
   about z at ``OMEGA_EARTH_RADPS``.
2. Altitude is WGS84 geodetic altitude (Bowring's method, sub-millimetre for
   altitudes below 1000 km).
3. Gravity: ``j2`` (zonal J2), ``point`` (central body) or ``none``.
4. Scalar float code only: these run inside the integrator's derivative,
   millions of times per flight (ARCHITECTURE.md, performance notes).
"""
from __future__ import annotations

import math

#: WGS84 semi-major axis, m (NIMA TR8350.2).
WGS84_A_M = 6378137.0
#: WGS84 flattening, - (NIMA TR8350.2).
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
#: Earth's gravitational parameter, m^3/s^2 (WGS84 / EGM96).
GM_M3PS2 = 3.986004418e14
#: Second zonal harmonic, - (REFERENCES.md: 1.08263e-3; EGM96 C20 unnormalised).
J2 = 1.08263e-3
#: Equatorial radius used with J2, m.
RE_J2_M = WGS84_A_M
#: Earth rotation rate, rad/s (WGS84).
OMEGA_EARTH_RADPS = 7.292115e-5
#: Standard gravity, m/s^2 (CGPM 1901); used for g-loads and Isp.
G0_MPS2 = 9.80665
#: Mean Earth radius for great-circle distances, m (IUGG).
R_MEAN_M = 6371008.8

GRAVITY_MODELS = ("j2", "point", "none")


def gravity_fn(model: str):
    """Return f(x, y, z) -> (ax, ay, az) in m/s^2 for the named model."""
    if model == "j2":
        return gravity_j2
    if model == "point":
        return gravity_point
    if model == "none":
        return _gravity_none
    raise ValueError(f"gravity model: expected one of {GRAVITY_MODELS}, got {model!r}")


def _gravity_none(x: float, y: float, z: float) -> tuple[float, float, float]:
    return 0.0, 0.0, 0.0


def gravity_point(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Central-body gravity, m/s^2."""
    r2 = x * x + y * y + z * z
    k = -GM_M3PS2 / (r2 * math.sqrt(r2))
    return k * x, k * y, k * z


def gravity_j2(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Central-body plus J2 zonal gravity in ECI (z polar), m/s^2 (Vallado eq. 8-22)."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    mu_r3 = GM_M3PS2 / (r2 * r)
    c = 1.5 * J2 * RE_J2_M * RE_J2_M / r2
    zr2 = 5.0 * z * z / r2
    kxy = -mu_r3 * (1.0 + c * (1.0 - zr2))
    kz = -mu_r3 * (1.0 + c * (3.0 - zr2))
    return kxy * x, kxy * y, kz * z


def geodetic_lat_alt(x: float, y: float, z: float) -> tuple[float, float]:
    """Geodetic latitude (rad) and WGS84 altitude (m) of an Earth-centred point.

    Latitude and altitude do not depend on the rotation angle, so ECI input works.
    Bowring (1976) single-iteration closed form.
    """
    p = math.hypot(x, y)
    if p < 1e-3:
        return math.copysign(math.pi / 2, z), abs(z) - WGS84_B_M
    theta = math.atan2(z * WGS84_A_M, p * WGS84_B_M)
    st = math.sin(theta)
    ct = math.cos(theta)
    lat = math.atan2(z + WGS84_EP2 * WGS84_B_M * st * st * st,
                     p - WGS84_E2 * WGS84_A_M * ct * ct * ct)
    sl = math.sin(lat)
    cl = math.cos(lat)
    # Distance along the ellipsoid normal: first-order insensitive to the small latitude
    # error of the single Bowring step (p / cos(lat) - N amplifies it by (N + h) tan(lat),
    # ~8 mm at 1000 km), and valid at every latitude.
    alt = p * cl + z * sl - WGS84_A_M * math.sqrt(1.0 - WGS84_E2 * sl * sl)
    return lat, alt


def geodetic_alt_m(x: float, y: float, z: float) -> float:
    """WGS84 geodetic altitude, m."""
    return geodetic_lat_alt(x, y, z)[1]


def eci_to_ecef(x: float, y: float, z: float, angle_rad: float) -> tuple[float, float, float]:
    """Rotate an ECI vector into ECEF, Earth rotation angle ``angle_rad`` (omega * t)."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return c * x + s * y, -s * x + c * y, z


def ecef_to_eci(x: float, y: float, z: float, angle_rad: float) -> tuple[float, float, float]:
    """Rotate an ECEF vector into ECI, Earth rotation angle ``angle_rad``."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return c * x - s * y, s * x + c * y, z


def eci_to_geodetic(x: float, y: float, z: float, angle_rad: float) -> tuple[float, float, float]:
    """ECI position, Earth rotation angle ``angle_rad`` -> (lat_deg, lon_deg, alt_m)."""
    xe, ye, ze = eci_to_ecef(x, y, z, angle_rad)
    lat, alt = geodetic_lat_alt(xe, ye, ze)
    return math.degrees(lat), math.degrees(math.atan2(ye, xe)), alt


def geodetic_to_ecef(lat_deg: float, lon_deg: float, alt_m: float) -> tuple[float, float, float]:
    """WGS84 geodetic -> ECEF position, m."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    sl, cl = math.sin(lat), math.cos(lat)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * sl * sl)
    return ((n + alt_m) * cl * math.cos(lon), (n + alt_m) * cl * math.sin(lon),
            (n * (1.0 - WGS84_E2) + alt_m) * sl)


def enu_axes(lat_deg: float, lon_deg: float):
    """Unit vectors east, north, up (ECEF components) at a geodetic point."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return (-so, co, 0.0), (-sl * co, -sl * so, cl), (cl * co, cl * so, sl)


def relative_velocity(x, y, z, vx, vy, vz, w=OMEGA_EARTH_RADPS) -> tuple[float, float, float]:
    """ECI velocity relative to the atmosphere rotating at w rad/s, v - w x r, m/s."""
    return vx + w * y, vy - w * x, vz


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> float:
    """Haversine distance on the mean sphere, km."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp = p2 - p1
    dl = math.radians(lon2_deg - lon1_deg)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * R_MEAN_M * math.asin(min(1.0, math.sqrt(h))) / 1000.0


def circular_orbit_state(alt_m: float, inc_deg: float, raan_deg: float, arg_lat_deg: float,
                         gravity: str = "j2"):
    """ECI position (m) and velocity (m/s) on a circular orbit of given altitude.

    The speed is the circular speed of the central body (J2 leaves a small
    eccentricity, as for a real 'circular' station orbit).
    """
    r = WGS84_A_M + alt_m
    v = math.sqrt(GM_M3PS2 / r) if gravity != "none" else 0.0
    i, o, u = (math.radians(a) for a in (inc_deg, raan_deg, arg_lat_deg))
    cu, su, co, so, ci, si = math.cos(u), math.sin(u), math.cos(o), math.sin(o), math.cos(i), math.sin(i)
    pos = (r * (co * cu - so * su * ci), r * (so * cu + co * su * ci), r * su * si)
    vel = (v * (-co * su - so * cu * ci), v * (-so * su + co * cu * ci), v * cu * si)
    return pos, vel
