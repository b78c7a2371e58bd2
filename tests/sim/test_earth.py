"""Tests for sim.earth: WGS84 shape, gravity models, frames, great circles, orbits.

References (cited per test):
- NIMA TR8350.2 (3rd ed., 2000), "Department of Defense World Geodetic System 1984":
  a = 6378137 m, 1/f = 298.257223563, b = 6356752.3142 m, GM = 3.986004418e14 m^3/s^2.
- Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed.: J2 acceleration
  (eq. 8-22), zonal potential, secular nodal regression (eq. 9-41).
- ../shared/REFERENCES.md: J2 = 1.08263e-3; nodal regression about -5.0 deg/day and a
  period of about 92.8 min for a 410 km, 51.64 deg orbit.
Orbit propagations use sim.dynamics.Dynamics (RK4) with a vacuum atmosphere.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim import earth
from sim.dynamics import Dynamics

REPO = Path(__file__).resolve().parents[2]
MU = earth.GM_M3PS2


def vacuum(alt_m: float) -> tuple[float, float]:
    """No atmosphere: zero density (no drag, no aero torque); any sound speed."""
    return 0.0, 300.0


def propagate(vehicle, gravity: str, alt_m: float, inc_deg: float, h: float, n: int):
    """Circular-orbit start at the ascending node; returns (dyn, [(t, state), ...])."""
    dyn = Dynamics(vehicle, earth.gravity_fn(gravity), vacuum, 0.0)
    r, v = earth.circular_orbit_state(alt_m, inc_deg, 0.0, 0.0, gravity)
    s = [*r, *v, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 40.0]
    out = [(0.0, s)]
    t = 0.0
    for i in range(n):
        s = dyn.step(t, s, h)
        t = (i + 1) * h
        out.append((t, s))
    return dyn, out


def ascending_node_times(dyn, traj) -> list[float]:
    """Times where z crosses 0 upward, refined by Newton steps of the integrator itself."""
    times = []
    for (t0, s0), (_, s1) in zip(traj, traj[1:]):
        if s0[2] < 0.0 <= s1[2]:
            tc, sc = t0, s0
            for _ in range(3):
                dt = -sc[2] / sc[5]
                sc = dyn.step(tc, sc, dt)
                tc += dt
            times.append(tc)
    return times


# ---- geodetic conversions --------------------------------------------------------------

LATS = (-90.0, -89.9999, -60.0, -45.0, -10.0, 0.0, 1e-6, 30.0, 51.64, 55.0, 89.9999, 90.0)
LONS = (-179.9, -90.0, 0.0, 37.0, 120.0, 180.0)
ALTS = (0.0, 1.0, 1e3, 1e4, 1e5, 4.1e5, 1e6)


@pytest.mark.parametrize("alt_m", ALTS)
def test_geodetic_round_trip(alt_m):
    # Reference: earth.py requirement 2 (Bowring, "sub-millimetre for altitudes below
    # 1000 km"); geodetic_to_ecef is the closed-form WGS84 forward map (TR8350.2 eq. 4-14).
    # Tolerance: 1 mm in altitude, 1e-9 rad in latitude, 1e-12 rad in longitude (atan2 of
    # an exact forward map) at every latitude (poles and equator included) and longitude.
    for lat in LATS:
        for lon in LONS:
            x, y, z = earth.geodetic_to_ecef(lat, lon, alt_m)
            la, al = earth.geodetic_lat_alt(x, y, z)
            assert al == pytest.approx(alt_m, abs=1e-3), (lat, lon)
            assert la == pytest.approx(math.radians(lat), abs=1e-9), (lat, lon)
            if abs(lat) < 89.0:
                dlon = math.remainder(math.atan2(y, x) - math.radians(lon), 2 * math.pi)
                assert abs(dlon) < 1e-12, (lat, lon)


def test_geodetic_round_trip_dense_latitude_sweep():
    # Same reference and tolerance as above, every 0.5 deg of latitude at 0, 410 and 1000 km
    # (the error of a one-step Bowring solution peaks near +-55 deg and grows with altitude).
    worst_alt = worst_lat = 0.0
    for lat in np.arange(-90.0, 90.001, 0.5):
        for alt_m in (0.0, 4.1e5, 1e6):
            la, al = earth.geodetic_lat_alt(*earth.geodetic_to_ecef(float(lat), 37.0, alt_m))
            worst_alt = max(worst_alt, abs(al - alt_m))
            worst_lat = max(worst_lat, abs(la - math.radians(float(lat))))
    assert worst_alt < 1e-3
    assert worst_lat < 1e-9


def test_wgs84_known_values():
    # Reference: NIMA TR8350.2 Table 3.1/3.3: a = 6378137 m, b = 6356752.3142 m.
    # Tolerance: 1 mm (b is printed to 0.1 mm).
    x, y, z = earth.geodetic_to_ecef(0.0, 0.0, 0.0)
    assert math.sqrt(x * x + y * y + z * z) == pytest.approx(6378137.0, abs=1e-3)
    x, y, z = earth.geodetic_to_ecef(0.0, 90.0, 0.0)
    assert (x, y, z) == pytest.approx((0.0, 6378137.0, 0.0), abs=1e-3)
    x, y, z = earth.geodetic_to_ecef(90.0, 0.0, 0.0)
    assert math.sqrt(x * x + y * y + z * z) == pytest.approx(6356752.314, abs=1e-3)
    x, y, z = earth.geodetic_to_ecef(-90.0, 0.0, 0.0)
    assert z == pytest.approx(-6356752.314, abs=1e-3)
    # And the inverse: points on the ellipsoid have zero altitude (1 mm).
    assert earth.geodetic_alt_m(6378137.0, 0.0, 0.0) == pytest.approx(0.0, abs=1e-3)
    assert earth.geodetic_alt_m(0.0, 0.0, 6356752.3142) == pytest.approx(0.0, abs=1e-3)
    assert earth.geodetic_alt_m(0.0, 0.0, -6356752.3142 - 500.0) == pytest.approx(500.0, abs=1e-3)


def test_eci_ecef_rotation_and_geodetic():
    # Reference: earth.py requirement 1 (ECEF rotates about z; x = Greenwich at t = 0).
    # After a quarter turn the ECI +y axis is the Greenwich meridian. Tolerance 1e-9 m / deg.
    assert earth.eci_to_ecef(0.0, 7e6, 0.0, math.pi / 2) == pytest.approx((7e6, 0.0, 0.0), abs=1e-9)
    assert earth.ecef_to_eci(*earth.eci_to_ecef(1.0, 2.0, 3.0, 0.7), 0.7) == pytest.approx((1.0, 2.0, 3.0), abs=1e-12)
    r = earth.geodetic_to_ecef(35.0, -158.3, 1234.0)
    r_eci = earth.ecef_to_eci(*r, 1.1)
    lat, lon, alt = earth.eci_to_geodetic(*r_eci, 1.1)
    assert (lat, lon, alt) == pytest.approx((35.0, -158.3, 1234.0), abs=1e-6)


# ---- gravity --------------------------------------------------------------------------

def test_gravity_j2_equator_surface_magnitude():
    # Reference: Vallado eq. 8-22 at z = 0, r = a: |g| = GM/a^2 (1 + 1.5 J2) = 9.8143 m/s^2
    # (gravitation only, no centrifugal term). Tolerance 1e-3 m/s^2 against the literal,
    # 1e-12 relative against the closed form.
    gx, gy, gz = earth.gravity_j2(earth.WGS84_A_M, 0.0, 0.0)
    g = math.sqrt(gx * gx + gy * gy + gz * gz)
    assert g == pytest.approx(9.8143, abs=1e-3)
    assert g == pytest.approx(MU / earth.WGS84_A_M ** 2 * (1 + 1.5 * earth.J2), rel=1e-12)
    assert gx < 0.0 and gy == 0.0 and gz == 0.0          # points at the centre


def test_gravity_j2_vs_point_mass_pole_and_equator():
    # Reference: Vallado eq. 8-22. The oblate Earth pulls harder at the equator
    # (+1.5 J2 (Re/r)^2 relative) and less along the pole (-3 J2 (Re/r)^2 relative)
    # than a point mass at the same distance. Tolerance 1e-9 relative on each difference.
    a, b = earth.WGS84_A_M, earth.WGS84_B_M
    k = earth.J2 * earth.RE_J2_M ** 2

    def mag(f, x, y, z):
        return math.sqrt(sum(c * c for c in f(x, y, z)))
    d_eq = mag(earth.gravity_j2, a, 0.0, 0.0) - mag(earth.gravity_point, a, 0.0, 0.0)
    d_pole = mag(earth.gravity_j2, 0.0, 0.0, b) - mag(earth.gravity_point, 0.0, 0.0, b)
    assert d_eq > 0.0 > d_pole
    assert d_eq == pytest.approx(1.5 * k * MU / a ** 4, rel=1e-9)
    assert d_pole == pytest.approx(-3.0 * k * MU / b ** 4, rel=1e-9)
    # At the pole the J2 term adds no sideways pull; at mid-latitude it pulls toward the equator.
    gx, gy, gz = earth.gravity_j2(0.0, 0.0, -b)
    assert gx == 0.0 and gy == 0.0 and gz > 0.0
    # At +45 deg latitude the J2 perturbation has a component toward the equator
    # (along the meridian tangent (1, 0, -1)/sqrt 2): the equatorial bulge pulls sideways.
    x, y, z = 4.5e6, 0.0, 4.5e6
    jx, _, jz = earth.gravity_j2(x, y, z)
    px, _, pz = earth.gravity_point(x, y, z)
    assert (jx - px) - (jz - pz) > 0.0


def test_gravity_point_and_none():
    # Reference: Newton, |g| = GM / r^2, along -r. Tolerance 1e-12 relative.
    g = earth.gravity_point(3e6, -4e6, 0.0)
    assert g == pytest.approx((-MU / 25e12 * 0.6, MU / 25e12 * 0.8, 0.0), rel=1e-12)
    assert earth.gravity_fn("none")(1.0, 2.0, 3.0) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        earth.gravity_fn("j4")


# ---- orbits ----------------------------------------------------------------------------

def test_j2_nodal_regression_rate(vehicle):
    # Reference: Vallado eq. 9-41 / REFERENCES.md: dOmega/dt = -1.5 n J2 (Re/p)^2 cos i,
    # about -5.0 deg/day for 410 km, 51.64 deg. One day of RK4 at 10 s, J2 gravity, no drag,
    # no Earth rotation. RAAN from the angular momentum h = r x v: Omega = atan2(hx, -hy);
    # a least-squares line through all 8641 samples averages out the twice-per-orbit
    # short-period terms. Tolerance 1 % (the closed form is first order in J2 and uses the
    # osculating a of the initial state instead of the mean a: differences O(J2) ~ 0.1-0.5 %).
    dyn, traj = propagate(vehicle, "j2", 410e3, 51.64, 10.0, 8640)
    ts = np.array([t for t, _ in traj])
    raan = []
    incs = []
    for _, s in traj:
        x, y, z, vx, vy, vz = s[:6]
        hx, hy, hz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
        raan.append(math.atan2(hx, -hy))
        incs.append(math.degrees(math.atan2(math.hypot(hx, hy), hz)))
    rate = np.polyfit(ts, np.unwrap(raan), 1)[0]
    a = earth.WGS84_A_M + 410e3
    n = math.sqrt(MU / a ** 3)
    closed = -1.5 * n * earth.J2 * (earth.RE_J2_M / a) ** 2 * math.cos(math.radians(51.64))
    assert rate == pytest.approx(closed, rel=0.01)
    # REFERENCES.md figure: about -5.0 deg/day (tolerance 0.1 deg/day: "about").
    assert math.degrees(rate) * 86400.0 == pytest.approx(-5.0, abs=0.1)
    # J2 has no secular effect on inclination: fitted drift < 1e-3 deg/day (the nodal drift
    # is 5000x that); the osculating short-period wobble is J2-sized, (3/4) J2 (Re/a)^2
    # sin 2i ~ 0.04 deg peak (bound 0.06 deg).
    assert abs(np.polyfit(ts, incs, 1)[0] * 86400.0) < 1e-3
    assert max(abs(i - 51.64) for i in incs) < 0.06


def test_orbital_period_point_mass(vehicle):
    # Reference: Kepler's third law T = 2 pi sqrt(a^3 / mu); for a circular start the
    # node-to-node period equals it exactly. RK4 at 10 s: phase error ~1e-10 per orbit
    # (measured 4e-10 .. 6e-10), so tolerance 1e-8 relative.
    # REFERENCES.md: about 92.8 min at 410 km (tolerance 0.05 min, the figure's rounding).
    dyn, traj = propagate(vehicle, "point", 410e3, 51.64, 10.0, 3 * 560)
    nodes = ascending_node_times(dyn, traj)
    assert len(nodes) >= 2
    a = earth.WGS84_A_M + 410e3
    kepler = 2 * math.pi * math.sqrt(a ** 3 / MU)
    assert kepler / 60.0 == pytest.approx(92.8, abs=0.05)
    periods = [b - c for c, b in zip([0.0] + nodes, nodes)]
    for p in periods:
        assert p == pytest.approx(kepler, rel=1e-8)


def test_orbital_period_with_j2(vehicle):
    # Reference: Kepler's third law; the J2 nodal period differs by O(J2 (Re/a)^2) ~ 1e-3
    # times order-one factors (node motion, perigee motion, osculating vs mean a); measured
    # -0.21 % here. Tolerance 0.5 % (brief), which bounds 3 J2 (Re/a)^2 = 0.29 % + margin.
    dyn, traj = propagate(vehicle, "j2", 410e3, 51.64, 10.0, 3 * 560)
    nodes = ascending_node_times(dyn, traj)
    a = earth.WGS84_A_M + 410e3
    kepler = 2 * math.pi * math.sqrt(a ** 3 / MU)
    for p in (b - c for c, b in zip([0.0] + nodes, nodes)):
        assert p == pytest.approx(kepler, rel=0.005)
        assert p != pytest.approx(kepler, rel=1e-4)   # J2 does change it (not point mass)


def specific_energy_point(s) -> float:
    r = math.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)
    return 0.5 * (s[3] ** 2 + s[4] ** 2 + s[5] ** 2) - MU / r


def specific_energy_j2(s) -> float:
    # Zonal potential U = -mu/r + mu J2 Re^2 (3 z^2/r^2 - 1) / (2 r^3) (Vallado sec. 8.6.1).
    x, y, z = s[0], s[1], s[2]
    r = math.sqrt(x * x + y * y + z * z)
    u = -MU / r + MU * earth.J2 * earth.RE_J2_M ** 2 * (3 * z * z / (r * r) - 1) / (2 * r ** 3)
    return 0.5 * (s[3] ** 2 + s[4] ** 2 + s[5] ** 2) + u


def test_energy_conservation_point_mass(vehicle):
    # Reference: a conservative central force conserves specific energy v^2/2 - mu/r.
    # 10 orbits of RK4 at 5 s (n h = 5.6e-3 rad per step). RK4 is not symplectic: its
    # energy error is a slow secular drift ~ (n h)^4 per orbit; measured 1.0e-11 after
    # 10 orbits at 5 s (3.2e-10 at 10 s). Bound 1e-10 relative: 10x margin, and it
    # fails for a method of order < 4 or a non-conservative force error (a 1e-10
    # relative force error over 10 orbits already breaks it).
    dyn, traj = propagate(vehicle, "point", 410e3, 51.64, 5.0, 10 * 1114)
    e0 = specific_energy_point(traj[0][1])
    drift = max(abs(specific_energy_point(s) / e0 - 1.0) for _, s in traj)
    assert drift < 1e-10
    # Angular momentum of a central force: conserved to the same order (bound 1e-10).
    def hvec(s):
        x, y, z, vx, vy, vz = s[:6]
        return np.array([y * vz - z * vy, z * vx - x * vz, x * vy - y * vx])
    h0 = hvec(traj[0][1])
    assert np.linalg.norm(hvec(traj[-1][1]) - h0) / np.linalg.norm(h0) < 1e-10


def test_energy_conservation_j2(vehicle):
    # Reference: the J2 field is the gradient of the zonal potential above and is static in
    # ECI (axisymmetric about z), so v^2/2 + U is conserved. A sign or factor error in
    # gravity_j2's J2 terms breaks this at the 1e-6 level (J2 energy term ~1e-3 of mu/r,
    # oscillating by ~1e-3 of itself or more). 10 orbits, RK4 at 10 s: bound 1e-9 relative
    # (measured ~3e-10, the same RK4 truncation as the point-mass case).
    dyn, traj = propagate(vehicle, "j2", 410e3, 51.64, 10.0, 10 * 557)
    e0 = specific_energy_j2(traj[0][1])
    drift = max(abs(specific_energy_j2(s) / e0 - 1.0) for _, s in traj)
    assert drift < 1e-9
    # The point-mass energy is not conserved under J2 (sanity check that J2 is on).
    ep0 = specific_energy_point(traj[0][1])
    assert max(abs(specific_energy_point(s) / ep0 - 1.0) for _, s in traj) > 1e-5


def test_circular_orbit_state():
    # Reference: circular speed sqrt(mu / r), velocity perpendicular to r, inclination from
    # h = r x v (cos i = hz / |h|). Tolerance 1e-9 relative / 1e-9 deg.
    r, v = earth.circular_orbit_state(410e3, 51.64, 30.0, 70.0, "point")
    rn, vn = np.linalg.norm(r), np.linalg.norm(v)
    assert rn == pytest.approx(earth.WGS84_A_M + 410e3, rel=1e-12)
    assert vn == pytest.approx(math.sqrt(MU / rn), rel=1e-12)
    assert abs(np.dot(r, v)) / (rn * vn) < 1e-12
    h = np.cross(r, v)
    assert math.degrees(math.acos(h[2] / np.linalg.norm(h))) == pytest.approx(51.64, abs=1e-9)
    assert math.degrees(math.atan2(h[0], -h[1])) == pytest.approx(30.0, abs=1e-9)


def test_relative_velocity():
    # Reference: v_rel = v - omega x r with omega = (0, 0, w). Exact.
    w = earth.OMEGA_EARTH_RADPS
    assert earth.relative_velocity(7e6, 0.0, 0.0, 0.0, 7e6 * w, 0.0) == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    assert earth.relative_velocity(0.0, 7e6, 0.0, 0.0, 0.0, 5.0) == pytest.approx((7e6 * w, 0.0, 5.0), rel=1e-15)


# ---- great circles -------------------------------------------------------------------

def test_great_circle_london_paris():
    # Reference: haversine on the IUGG mean sphere R = 6371.0088 km; London (51.5074 N,
    # 0.1278 W) to Paris (48.8566 N, 2.3522 E) = 343.5 km. Tolerance 0.5 %.
    d = earth.great_circle_km(51.5074, -0.1278, 48.8566, 2.3522)
    assert d == pytest.approx(343.5, rel=0.005)
    assert earth.great_circle_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(d, rel=1e-12)


def test_great_circle_zero_and_antipodes():
    # Reference: zero distance for one point; pi R (= 20015.1 km) for antipodes on the
    # mean sphere. Tolerance 1e-9 km for zero; 1e-7 relative (2 m) at antipodes: haversine
    # is ill-conditioned there (asin near 1 turns a 1e-16 rounding of h into ~1e-8 rad;
    # measured 0.19 m), exact for the pole pair and the quarter circle.
    assert earth.great_circle_km(-37.0, -158.3, -37.0, -158.3) == pytest.approx(0.0, abs=1e-9)
    anti = math.pi * 6371.0088
    assert earth.great_circle_km(10.0, 20.0, -10.0, -160.0) == pytest.approx(anti, rel=1e-7)
    assert earth.great_circle_km(90.0, 0.0, -90.0, 0.0) == pytest.approx(anti, rel=1e-9)
    # Quarter circumference: equator to pole.
    assert earth.great_circle_km(0.0, 45.0, 90.0, 0.0) == pytest.approx(anti / 2, rel=1e-9)
