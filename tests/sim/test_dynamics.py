"""Tests for sim.dynamics (6-DOF RK4 equations of motion) and its use in sim.world.

References (cited per test):
- Newton's second law; free fall in a uniform field and radial Kepler fall (closed forms).
- Tsiolkovsky rocket equation dv = Isp g0 ln(m0 / m1).
- Euler's rigid-body equations: torque-free motion conserves the inertial angular
  momentum and the rotational kinetic energy; a spin about a principal axis is steady.
- Terminal descent: equilibrium of drag and weight, v = sqrt(2 m g / (rho Cd A)).
- Static stability of a blunt capsule (Cm_alpha < 0): the aerodynamic moment turns the
  heat shield (body +x) into the flow.
Config values come from config/vehicle.yaml and config/sil.yaml.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from sim import earth
from sim.actuators import EngineModel
from sim.atmosphere import us76
from sim.dynamics import Dynamics, quat_from_axes_x
from sim.world import STEP_OMEGA_H, World

REPO = Path(__file__).resolve().parents[2]
R_START = (earth.WGS84_A_M + 1000.0, 0.0, 0.0)     # any point above the surface, ECI


def vacuum(alt_m: float) -> tuple[float, float]:
    return 0.0, 300.0


def no_gravity(x, y, z):
    return 0.0, 0.0, 0.0


def rot(q):
    """Body -> ECI rotation matrix of q = (w, x, y, z)."""
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def state(r, v, q=(1.0, 0.0, 0.0, 0.0), w=(0.0, 0.0, 0.0), m=40.0):
    return [*r, *v, *q, *w, m]


def run(dyn, s, h, n, t=0.0):
    for i in range(n):
        s = dyn.step(t + i * h, s, h)
    return s


# ---- terminal descent under the main canopy -------------------------------------------

def test_terminal_descent_under_main(vehicle, hardware):
    # Reference: equilibrium of drag and weight, v_t = sqrt(2 m g / (rho Cd_total A_total)),
    # Cd_total A = main Cd S (fully inflated) + capsule Cd(M ~ 0.02) A_ref; rho from US76 at
    # the final altitude; g = |gravity_point| there. World with point gravity, US76, no
    # Earth rotation, main deployed 100 s before t = 0 (fully inflated), start 2000 m,
    # 6 m/s down; integrate (World's physics-based canopy step) to ~100 m.
    # Tolerance 2 % (brief). The quasi-steady lag is tau (dv_t/dt) / v_t ~ 0.65 s x
    # v/(2 H_rho) ~ 2e-4, so a tighter 0.3 % check also holds and catches a missing
    # capsule drag term (0.7 % of v_t).
    env = {"atmosphere": "us76", "gravity": "point", "earth_rotation": False}
    start = {"kind": "entry_interface", "alt_m": 2000.0, "speed_mps": 6.0, "fpa_deg": -90.0,
             "heading_deg": 0.0, "lat_deg": 0.0, "lon_deg": 0.0}
    w = World(vehicle, hardware, env, start, {}, seed=1)
    w.dyn.main_deploy_t_s = -100.0
    assert w.truth().alt_m == pytest.approx(2000.0, abs=1e-6)
    assert w.truth().speed_mps == pytest.approx(6.0, abs=1e-9)
    # Step from the riser-moment stiffness: w h = STEP_OMEGA_H (sim/world.py).
    v = w.vehicle                      # the run's (dispersed) vehicle
    k = w._q_pa * (-v.cm_alpha_per_rad * v.ref_area_m2 * v.diameter_m + v.main.cd_area_m2 * v.main.attach_offset_m)
    assert w.step_size_s() == pytest.approx(STEP_OMEGA_H / math.sqrt(k / min(v.inertia_kgm2)))
    while w.truth().alt_m > 110.0:
        w.advance_to(w.t + 1.0)
    tr = w.truth()
    assert w.splash is None and 90.0 < tr.alt_m <= 110.0
    rho = float(us76(tr.alt_m).density_kg_m3)
    cda = w.vehicle.main.cd_area_m2 + w.vehicle.cd(tr.mach) * w.vehicle.ref_area_m2
    assert vehicle.main.cd_area_m2 == pytest.approx(0.80 * math.pi * 5.0 ** 2 / 4, rel=1e-12)
    g = math.sqrt(sum(c * c for c in earth.gravity_point(*w.s[:3])))
    v_t = math.sqrt(2.0 * w.s[13] * g / (rho * cda))
    assert tr.speed_mps == pytest.approx(v_t, rel=0.02)
    assert tr.speed_mps == pytest.approx(v_t, rel=0.003)
    assert tr.fpa_deg == pytest.approx(-90.0, abs=1e-6)        # straight down, no wind
    # Sensed load at equilibrium is 1 g of drag (weight balanced), within the same 0.3 %.
    assert tr.load_g * earth.G0_MPS2 == pytest.approx(g, rel=0.003)


# ---- free fall in vacuum ---------------------------------------------------------------

def test_coasting_without_gravity_is_a_straight_line(vehicle):
    # Reference: Newton's first law: r(t) = r0 + v0 t. Tolerance 1e-6 m after 100 s
    # (rounding only: RK4 is exact for a linear solution).
    dyn = Dynamics(vehicle, no_gravity, vacuum, 0.0)
    v0 = (12.0, -3.0, 7.5)
    s = run(dyn, state(R_START, v0), 0.1, 1000)
    assert s[:3] == pytest.approx([a + b * 100.0 for a, b in zip(R_START, v0)], abs=1e-6)
    assert s[3:6] == pytest.approx(list(v0), abs=1e-12)


def test_free_fall_uniform_gravity(vehicle):
    # Reference: r(t) = r0 + v0 t + g t^2 / 2 in a uniform field. RK4 integrates a
    # quadratic exactly, so tolerance 1e-6 m / 1e-9 m/s after 30 s (rounding only).
    g = (0.0, 0.0, -9.80665)
    dyn = Dynamics(vehicle, lambda x, y, z: g, vacuum, 0.0)
    v0 = (5.0, 0.0, 20.0)
    s = run(dyn, state(R_START, v0), 0.05, 600)
    t = 30.0
    assert s[:3] == pytest.approx([r + v * t + 0.5 * a * t * t for r, v, a in zip(R_START, v0, g)], abs=1e-6)
    assert s[3:6] == pytest.approx([v + a * t for v, a in zip(v0, g)], abs=1e-9)


def test_radial_free_fall_point_gravity(vehicle):
    # Reference: radial Kepler fall from rest at r0 (energy conservation integrated):
    #   t(r) = sqrt(r0^3 / (2 mu)) [sqrt(xi (1 - xi)) + acos(sqrt(xi))], xi = r / r0,
    #   v(r) = sqrt(2 mu (1/r - 1/r0)).
    # From rest at 1000 km altitude, 400 s of RK4 at 0.5 s, no atmosphere.
    # Tolerance 1e-9 relative on time and speed (RK4 error ~ (h/T)^4, ~1e-13 here).
    mu = earth.GM_M3PS2
    r0 = earth.WGS84_A_M + 1.0e6
    dyn = Dynamics(vehicle, earth.gravity_point, vacuum, 0.0)
    s = run(dyn, state((0.0, r0 * 0.6, r0 * 0.8), (0.0, 0.0, 0.0)), 0.5, 800)
    r = math.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)
    xi = r / r0
    t_closed = math.sqrt(r0 ** 3 / (2 * mu)) * (math.sqrt(xi * (1 - xi)) + math.acos(math.sqrt(xi)))
    assert t_closed == pytest.approx(400.0, rel=1e-9)
    speed = math.sqrt(s[3] ** 2 + s[4] ** 2 + s[5] ** 2)
    assert speed == pytest.approx(math.sqrt(2 * mu * (1 / r - 1 / r0)), rel=1e-9)
    # Straight down: position and velocity stay along the initial radial line.
    assert (s[0], s[1] / r, s[2] / r) == pytest.approx((0.0, 0.6, 0.8), abs=1e-12)
    assert r0 - r > 500e3     # it really fell (~700 km)


# ---- thrust ------------------------------------------------------------------------------

def test_burn_delta_v_matches_rocket_equation(vehicle):
    # Reference: Tsiolkovsky, dv = Isp g0 ln(m0 / m1), with m1 = m0 - mdot t_b and
    # mdot = T / (Isp g0) (actuators.py requirement 3). Gravity none, vacuum, burn of 18 s
    # at the vehicle's 250 N / 245 s with the World's 0.02 s vacuum step.
    # Tolerance 1e-6 relative (RK4 on dv/dt = T / (m0 - mdot t): error ~1e-12).
    eng = EngineModel(vehicle, vehicle.deorbit_propellant_kg)
    eng.armed = True
    assert eng.ignite(0.0, inhibited=False)
    eng.update(vehicle.ignition_delay_s)
    assert eng.burning
    mdot = eng.mdot_kgps()
    assert mdot == pytest.approx(vehicle.thrust_n / (vehicle.isp_s * earth.G0_MPS2), rel=1e-12)
    dyn = Dynamics(vehicle, no_gravity, vacuum, 0.0)
    dyn.thrust_n = eng.thrust_n()
    dyn.mdot_kgps = mdot
    along = (0.6, 0.0, 0.8)
    q = quat_from_axes_x(along)
    m0 = vehicle.initial_mass_kg
    s = run(dyn, state(R_START, (0.0, 0.0, 0.0), q=q, m=m0), 0.02, 900)
    m1 = m0 - mdot * 18.0
    assert s[13] == pytest.approx(m1, rel=1e-12)
    dv = np.array(s[3:6])
    expected = vehicle.isp_s * earth.G0_MPS2 * math.log(m0 / m1)
    assert np.linalg.norm(dv) == pytest.approx(expected, rel=1e-6)
    # Along body +x (the thrust axis), i.e. along `along` in ECI.
    assert dv / np.linalg.norm(dv) == pytest.approx(np.array(along), abs=1e-12)
    assert 90.0 < expected < 120.0     # the deorbit-sized burn the config was sized for


# ---- torque-free rigid body -------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, 2])
def test_pure_spin_about_principal_axis_is_steady(vehicle, axis):
    # Reference: Euler's equations: w x (I w) = 0 for w along a principal axis, so w is
    # constant and the attitude turns uniformly: q(t) = q0 (x) (cos(w t / 2), sin(w t / 2) e).
    # Config inertia (1.30, 1.10, 1.10): every axis is a principal axis of a diagonal tensor.
    # 1000 steps of 0.01 s at 2 rad/s. Tolerance 1e-12 rad/s on w, 1e-12 on |q| - 1,
    # 1e-9 on the quaternion (RK4 phase error ~ (w h)^4 w t / 120 ~ 3e-11).
    dyn = Dynamics(vehicle, no_gravity, vacuum, 0.0)
    w0 = [0.0, 0.0, 0.0]
    w0[axis] = 2.0
    s = run(dyn, state(R_START, (0.0, 0.0, 0.0), w=w0), 0.01, 1000)
    assert s[10:13] == pytest.approx(w0, abs=1e-12)
    assert math.sqrt(sum(c * c for c in s[6:10])) == pytest.approx(1.0, abs=1e-12)
    expected = [math.cos(10.0), 0.0, 0.0, 0.0]
    expected[1 + axis] = math.sin(10.0)
    assert s[6:10] == pytest.approx(expected, abs=1e-9)


def test_torque_free_tumble_conserves_angular_momentum(vehicle):
    # Reference: torque-free Euler equations conserve H = R(q) I w (inertial) and
    # T = w.I w / 2. Asymmetric body (0.9, 1.1, 1.4) kg m^2 tumbling at ~1.8 rad/s;
    # 1000 steps of 0.01 s. Tolerance 1e-6 relative (brief; measured 1.3e-10: RK4 local
    # error ~(|w| h)^5). It fails for a sign or index error in Euler's coupling terms or in
    # the quaternion kinematics (H in ECI then wanders at the percent level).
    veh = dataclasses.replace(vehicle, inertia_kgm2=(0.9, 1.1, 1.4))
    dyn = Dynamics(veh, no_gravity, vacuum, 0.0)
    inertia = np.array(veh.inertia_kgm2)
    q0 = (math.cos(0.3), math.sin(0.3) * 0.6, 0.0, math.sin(0.3) * 0.8)
    s = state(R_START, (0.0, 0.0, 0.0), q=q0, w=(1.2, -0.9, 0.9))

    def h_eci(s):
        return rot(s[6:10]) @ (inertia * np.array(s[10:13]))

    def energy(s):
        w = np.array(s[10:13])
        return 0.5 * w @ (inertia * w)
    h0, e0 = h_eci(s), energy(s)
    w_first = np.array(s[10:13])
    worst_h = worst_e = worst_qn = 0.0
    for i in range(1000):
        s = dyn.step(i * 0.01, s, 0.01)
        worst_h = max(worst_h, np.linalg.norm(h_eci(s) - h0) / np.linalg.norm(h0))
        worst_e = max(worst_e, abs(energy(s) / e0 - 1.0))
        worst_qn = max(worst_qn, abs(math.sqrt(sum(c * c for c in s[6:10])) - 1.0))
    assert worst_h < 1e-6
    assert worst_e < 1e-6
    assert worst_qn < 1e-12
    # It really tumbles: the body rates change a lot (not a trivial steady spin).
    assert np.linalg.norm(np.array(s[10:13]) - w_first) > 0.3


# ---- static aerodynamic stability --------------------------------------------------------

RHO_SL = 1.225      # US76 sea level, kg/m^3
SPEED = 70.0        # m/s: q = 3.0 kPa at sea-level density


def sea_level(alt_m: float) -> tuple[float, float]:
    return RHO_SL, 340.294


def off_axis_state(alpha_deg: float, about=(0.0, 0.0, 1.0), w=(0.0, 0.0, 0.0)):
    """Air-relative velocity along ECI +y; body x rotated alpha about `about` away from it."""
    a = math.radians(alpha_deg)
    u = np.array([0.0, 1.0, 0.0])
    k = np.array(about) / np.linalg.norm(about)
    x = u * math.cos(a) + np.cross(k, u) * math.sin(a) + k * (k @ u) * (1 - math.cos(a))
    q = quat_from_axes_x(tuple(x), hint_z=(0.0, 0.0, 1.0))   # body z near ECI z
    return state(R_START, (0.0, SPEED, 0.0), q=q, w=w)


def body_flow_dir(s):
    rt = rot(s[6:10]).T
    v = np.array(s[3:6])
    return rt @ v / np.linalg.norm(v)


@pytest.mark.parametrize("about", [(0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (1.0, 0.0, 1.0)])
def test_static_stability_torque_turns_heat_shield_into_flow(vehicle, about):
    # Reference: static stability of a capsule with Cm_alpha < 0: the moment about the CoM
    # is |Cm_alpha| q S d sin(alpha) along x_hat x u_hat (body), turning body +x (heat shield)
    # toward the flow. Checked directly on forces() with zero body rates (no damping term),
    # 20 deg off in three planes (flow in the body x-y plane, x-z plane, and mixed, so both
    # pitch and yaw channels are exercised). Tolerance 1e-9 relative on the magnitude;
    # sign strict.
    dyn = Dynamics(vehicle, no_gravity, sea_level, 0.0)
    s = off_axis_state(20.0, about)
    f = dyn.forces(0.0, s)
    torque = np.array(f[3:6])
    ub = body_flow_dir(s)
    assert math.degrees(math.acos(ub[0])) == pytest.approx(20.0, abs=1e-9)
    if about == (1.0, 0.0, 0.0):
        assert abs(ub[1]) < 1e-12 and abs(ub[2]) > 0.3     # pure body-z flow component
    x_cross_u = np.cross([1.0, 0.0, 0.0], ub)
    assert torque @ x_cross_u > 0.0
    q = 0.5 * RHO_SL * SPEED ** 2
    assert f[10] == pytest.approx(q, rel=1e-12)
    expected = -vehicle.cm_alpha_per_rad * q * vehicle.ref_area_m2 * vehicle.diameter_m * math.sin(math.radians(20.0))
    assert np.linalg.norm(torque) == pytest.approx(expected, rel=1e-9)
    assert np.linalg.norm(np.cross(torque, x_cross_u)) < 1e-9 * np.linalg.norm(torque)
    # A trailing canopy (riser aft of the CoM) adds a restoring moment in the same sense:
    # q (Cd S)_main l sin(alpha) (tolerance 1e-9 relative).
    dyn.main_deploy_t_s = -100.0
    torque2 = np.array(dyn.forces(0.0, s)[3:6])
    riser = q * vehicle.main.cd_area_m2 * vehicle.main.attach_offset_m * math.sin(math.radians(20.0))
    assert torque2 @ x_cross_u > 0.0
    assert np.linalg.norm(torque2) == pytest.approx(expected + riser, rel=1e-9)


@pytest.mark.parametrize("mach", [10.0, 0.206])
def test_pitch_damping_by_mach(vehicle, mach):
    # Reference: pitch damping moment q S d (d / 2V) Cmq w = 0.25 rho V S d^2 Cmq(M) w. Hypersonic
    # Cmq < 0 opposes the body rate; subsonic (sea level, 70 m/s) the blunt capsule's Cmq > 0
    # feeds it (dynamic instability; vehicle.yaml aero.cmq_value and its sources). Heat shield
    # into the flow (no static moment). Tolerance 1e-9 relative.
    dyn = Dynamics(vehicle, no_gravity, lambda alt: (RHO_SL, SPEED / mach), 0.0)
    s = off_axis_state(0.0, w=(0.0, 0.4, -0.2))
    torque = np.array(dyn.forces(0.0, s)[3:6])
    k = 0.25 * RHO_SL * SPEED * vehicle.ref_area_m2 * vehicle.diameter_m ** 2 * vehicle.cmq(mach)
    assert torque == pytest.approx([0.0, k * 0.4, -k * 0.2], rel=1e-9, abs=1e-12)
    sense = torque @ np.array([0.0, 0.4, -0.2])
    assert (sense < 0.0) if mach > 2.0 else (sense > 0.0)


def test_angle_of_attack_oscillation_does_not_grow(vehicle):
    # Reference: weathervane stability. Started 20 deg off the air-relative velocity in
    # sea-level air at 70 m/s (q = 3 kPa), gravity none, the capsule oscillates about
    # alpha = 0 (heat shield into the flow). Natural frequency sqrt(|Cm_a| q S d / I) ~ 6
    # rad/s; the speed decays under drag (v^-1/2 adiabatic growth, ~15 %/cycle) but the
    # damping ratio 0.25 rho S d^2 |Cmq| V / (2 sqrt(k I)) ~ 0.05 (27 %/cycle) wins.
    # Assertions: alpha changes sign (oscillation), successive peaks of |alpha| never
    # grow (strict), final amplitude below the start. RK4 at the World's 0.01 s step, 6 s.
    # Mach 5 (sound speed set to V / 5): hypersonic Cmq < 0 (subsonic it is > 0:
    # tests/sim/test_validation_entry.py). At Mach 5 Cd is 1.36, so the speed would decay
    # faster than the damping works; the translational mass is made huge (speed held) and
    # the damping alone must shrink every peak.
    dyn = Dynamics(vehicle, no_gravity, lambda alt: (RHO_SL, SPEED / 5.0), 0.0)
    s = off_axis_state(20.0)
    s[13] = 1e12
    signed = []
    for i in range(600):
        s = dyn.step(i * 0.01, s, 0.01)
        ub = body_flow_dir(s)
        # Pitch plane is the body x-y plane here (rotation about z): signed alpha.
        signed.append(math.degrees(math.atan2(-ub[1], ub[0])))
        assert abs(ub[2]) < 1e-9          # planar motion stays planar
    alpha = np.array(signed)
    assert 19.0 < alpha[0] <= 20.0                   # starts 20 deg off, turning back
    assert alpha.min() < -5.0                         # overshoots to the other side
    assert np.count_nonzero(np.sign(alpha[1:]) != np.sign(alpha[:-1])) >= 4
    mag = np.abs(alpha)
    peaks = [mag[i] for i in range(1, len(mag) - 1) if mag[i] >= mag[i - 1] and mag[i] > mag[i + 1]]
    assert len(peaks) >= 4
    assert all(b < a for a, b in zip([20.0] + peaks, peaks))
    assert peaks[-1] < 15.0



# ---- offset centre of mass and lift (requirements 6 and 7) -----------------------------------

@pytest.mark.parametrize("zc_m", [0.004, -0.006])
def test_an_offset_com_trims_where_the_static_moment_balances_and_lifts_toward_it(vehicle, zc_m):
    # Reference: a blunt body whose CoM sits zc off the axis trims where the static moment
    # Cm_alpha sin(a) q S d balances the axial force's moment Cd q S zc: sin(a) = Cd zc / (|Cm_alpha| d)
    # (sim/dynamics.py requirement 6); there its lift is lift_factor Cd q S sin(a) cos(a), normal to
    # the flow, toward the offset. Checked on forces(): the flow set at that angle, tilted toward
    # body +-z, pitch moment zero (within 2 % of the static moment at that angle: the closed form
    # leaves out the lift's own axial part, lift_factor sin^2 a ~ 1 %), lift / drag
    # = lift_factor sin(a) cos(a) to 1e-9 and on the CoM's side; 2 deg further the moment turns back.
    veh = dataclasses.replace(vehicle, com_lateral_m=zc_m, lift_factor=0.9)
    dyn = Dynamics(veh, no_gravity, sea_level, 0.0)
    mach = SPEED / 340.294
    sin_a = veh.cd(mach) * zc_m / (abs(veh.cm_alpha_per_rad) * veh.diameter_m)
    a_deg = math.degrees(math.asin(sin_a))
    for tilt, sign in ((a_deg, 0.0), (a_deg + 2.0 * math.copysign(1.0, zc_m), -1.0)):
        s = off_axis_state(abs(tilt), about=(1.0, 0.0, 0.0))
        ub = body_flow_dir(s)
        if ub[2] * zc_m < 0:                                        # tilt toward the CoM's side
            s = off_axis_state(-abs(tilt), about=(1.0, 0.0, 0.0))
            ub = body_flow_dir(s)
        assert ub[2] == pytest.approx(math.sin(math.radians(tilt)), rel=1e-9)
        f = dyn.forces(0.0, s)
        m_static = abs(veh.cm_alpha_per_rad) * 0.5 * RHO_SL * SPEED ** 2 * veh.ref_area_m2 * veh.diameter_m * abs(ub[2])
        if sign == 0.0:
            assert abs(f[4]) < 0.02 * m_static      # the lift's own axial part (lift_factor sin^2 a ~ 1 %)
            force = np.array(f[0:3])
            u = np.array([0.0, 1.0, 0.0])
            drag = -force @ u
            lift_vec = force + drag * u
            assert np.linalg.norm(lift_vec) / drag == pytest.approx(0.9 * abs(sin_a) * math.sqrt(1 - sin_a ** 2),
                                                                    rel=1e-9)
            z_eci = rot(s[6:10]) @ np.array([0.0, 0.0, 1.0])
            assert (lift_vec @ z_eci) * zc_m > 0.0
        else:
            # beyond the trim the static moment wins: it turns the flow back toward the trim angle
            assert -f[4] * np.sign(ub[2]) > 0.0
