"""Flight-side math: vectors, quaternions, gravity, Earth frames.

The flight software carries its own models rather than importing the
simulator's (fsw/ must not know sim/): in flight these run on the flight
computer, and an independent implementation lets the simulator's truth catch
errors in either. Frame conventions are the mission's (same as the simulator
by interface agreement): ECI z polar, x through Greenwich at mission time 0.
"""
from __future__ import annotations

import math

MU_M3PS2 = 3.986004418e14       # Earth GM, m^3/s^2 (WGS84)
J2 = 1.08263e-3                 # second zonal harmonic (REFERENCES.md)
RE_M = 6378137.0                # WGS84 equatorial radius, m
E2 = 6.69437999014e-3           # WGS84 first eccentricity squared
OMEGA_E_RADPS = 7.292115e-5     # Earth rotation rate, rad/s
G0 = 9.80665                    # standard gravity, m/s^2

Vec = tuple[float, float, float]
Quat = tuple[float, float, float, float]   # (w, x, y, z), body -> ECI


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm(a: Vec) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def rotate(q: Quat, v: Vec) -> Vec:
    """Body vector -> ECI."""
    w, x, y, z = q
    tx = 2.0 * (y * v[2] - z * v[1])
    ty = 2.0 * (z * v[0] - x * v[2])
    tz = 2.0 * (x * v[1] - y * v[0])
    return (v[0] + w * tx + y * tz - z * ty, v[1] + w * ty + z * tx - x * tz, v[2] + w * tz + x * ty - y * tx)


def rotate_inv(q: Quat, v: Vec) -> Vec:
    """ECI vector -> body."""
    return rotate((q[0], -q[1], -q[2], -q[3]), v)


def quat_integrate(q: Quat, w: Vec, dt: float) -> Quat:
    """Propagate a body->ECI quaternion by body rates w (rad/s) over dt (exact for constant w)."""
    ang = norm(w) * dt
    if ang < 1e-12:
        return q
    h = 0.5 * ang
    s = math.sin(h) / (ang / dt) if ang > 0 else 0.0
    dw, dx, dy, dz = math.cos(h), w[0] * s, w[1] * s, w[2] * s
    a, b, c, d = q
    r = (a * dw - b * dx - c * dy - d * dz, a * dx + b * dw + c * dz - d * dy,
         a * dy - b * dz + c * dw + d * dx, a * dz + b * dy - c * dx + d * dw)
    n = 1.0 / math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2 + r[3] ** 2)
    return (r[0] * n, r[1] * n, r[2] * n, r[3] * n)


def gravity(r: Vec) -> Vec:
    """Point mass + J2 gravitational acceleration in ECI, m/s^2."""
    x, y, z = r
    r2 = x * x + y * y + z * z
    rr = math.sqrt(r2)
    k = MU_M3PS2 / (r2 * rr)
    f = 1.5 * J2 * (RE_M * RE_M / r2)
    s = 5.0 * z * z / r2
    return (-k * x * (1 + f * (1 - s)), -k * y * (1 + f * (1 - s)), -k * z * (1 + f * (3 - s)))


def ecef_to_eci(v: Vec, t_s: float) -> Vec:
    a = OMEGA_E_RADPS * t_s
    c, s = math.cos(a), math.sin(a)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1], v[2])


def eci_to_latlonalt(r: Vec, t_s: float) -> tuple[float, float, float]:
    """ECI position -> geodetic lat (deg), lon (deg), altitude (m); 3 fixed-point iterations."""
    a = OMEGA_E_RADPS * t_s
    c, s = math.cos(a), math.sin(a)
    x, y, z = c * r[0] + s * r[1], -s * r[0] + c * r[1], r[2]
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - E2))
    h = 0.0
    for _ in range(3):
        sl = math.sin(lat)
        n = RE_M / math.sqrt(1 - E2 * sl * sl)
        h = p / max(1e-9, math.cos(lat)) - n
        lat = math.atan2(z, p * (1 - E2 * n / (n + h)))
    return math.degrees(lat), math.degrees(math.atan2(y, x)), h


def air_relative_velocity(r: Vec, v: Vec) -> Vec:
    """Velocity relative to the rotating atmosphere, m/s (ECI components)."""
    return (v[0] + OMEGA_E_RADPS * r[1], v[1] - OMEGA_E_RADPS * r[0], v[2])
