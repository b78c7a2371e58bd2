"""6-DOF rigid-body equations of motion of the capsule, in plain floats.

Requirements
1. State ``s`` (14 floats): ECI position r (m), ECI velocity v (m/s), attitude
   quaternion q = (w, x, y, z) rotating body vectors into ECI, body rates w (rad/s),
   mass m (kg). Body x is the symmetry axis pointing out through the heat shield;
   the motor thrusts along +x.
2. Forces: gravity (model chosen by the scenario), capsule drag along -v_rel with
   Mach-dependent Cd, parachute drag applied at the riser point, motor thrust.
   Torques: aerodynamic static stability, pitch damping Cmq + Cm_alphadot by Mach
   (``VehicleModel.cmq``), parachute riser moment with the canopy's own damping
   (its drag tilted by the canopy's motion at ``damping_length_m``; the small change
   of the drag force's direction is not applied), RCS couples; Euler's equations
   with a diagonal inertia tensor.
3. Inputs (thrust, RCS torque, canopy states) are held constant over one step,
   except canopy inflation, which is a function of time inside the step.
4. Fixed-step classical RK4; the caller chooses the step (see sim/world.py).
   Plain floats: one numpy 3-vector step costs ~10x more (ARCHITECTURE.md).
   Above the sensible atmosphere (the caller decides: sim/world.py
   AERO_HOLD_Q_PA) the non-gravitational force and torque may be held over the
   step from its first stage (``step(..., hold_aero=True)``): gravity and the
   rigid-body kinematics stay fourth order, and the held drag there is below
   1e-5 m/s^2, so its change over one 20 ms step is below 1e-12 m/s^2.
5. Wind (sim/winds.py): the air moves with the Earth plus the wind, so the
   air-relative velocity is v - w x r - wind_eci, the wind's east/north taken at
   the capsule's geodetic latitude and inertial longitude, from the one geodetic
   conversion ``forces`` makes anyway. Without wind the cost is one ``None``
   check; with wind +0.6 us per call below the top of the table (timeit), none
   above it.
6. Offset centre of mass (``com_lateral_m`` zc, toward body +z): the
   aerodynamic forces act on the symmetry axis, so about the CoM they add the
   moment (0, 0, -zc) x F_body = (zc F_y, -zc F_x, 0). The static moment then
   balances at sin(a) = -C_D zc / (Cm_alpha d): the capsule trims with the flow
   tilted toward +z.
7. Lift (``lift_factor`` k): while the flow meets the forebody (cos a > 0), a
   force q S C_D k sin(a) cos(a) normal to the flow in the plane of the flow and
   the axis, away from the axis' side: toward body +z at the trim of 6. The
   motor thrusts through the CoM (the thrust line is set to the offset).
"""
from __future__ import annotations

import math

from sim.earth import WGS84_A_M, geodetic_lat_alt
from sim.vehicle import VehicleModel
from sim.winds import WindProfile, make_wind

STATE_LEN = 14


class Dynamics:
    """Derivative and RK4 step of the capsule state; actuator inputs are attributes."""

    def __init__(self, vehicle: VehicleModel, gravity, atmosphere, omega_radps: float, wind=None):
        """gravity: f(x, y, z) -> accel ECI; atmosphere: f(alt_m) -> (rho, sound speed);
        wind: None, an ``environment.wind`` mapping or a sim.winds.WindProfile."""
        self.v = vehicle
        self.wind: WindProfile | None = make_wind(wind)
        # Geodetic altitude >= |r| - a everywhere, so beyond this radius the capsule is
        # above the wind table and the wind is zero: no look-up there.
        self._wind_r2 = (WGS84_A_M + max(self.wind.top_m, 0.0)) ** 2 if self.wind is not None else 0.0
        self.gravity = gravity
        self.atmosphere = atmosphere
        self.omega = omega_radps
        self.ixx, self.iyy, self.izz = vehicle.inertia_kgm2
        # Per-call constants of the aerodynamic moments (vehicle values are fixed for a run).
        self._ref_area = vehicle.ref_area_m2
        self._k_static = -vehicle.cm_alpha_per_rad * vehicle.ref_area_m2 * vehicle.diameter_m
        self._k_damp = 0.25 * vehicle.ref_area_m2 * vehicle.diameter_m ** 2     # times Cmq(M)
        self._zc = vehicle.com_lateral_m
        self._lift = vehicle.lift_factor
        # Inputs, held over a step.
        self.thrust_n = 0.0
        self.mdot_kgps = 0.0
        self.rcs_torque_nm = (0.0, 0.0, 0.0)
        self.drogue_deploy_t_s: float | None = None   # None: stowed or cut away
        self.main_deploy_t_s: float | None = None
        self.drogue_cd_scale = 1.0                    # 0 models a canopy that never inflates
        self.main_cd_scale = 1.0

    def forces(self, t: float, s) -> tuple:
        """Non-gravitational force and torque at (t, s).

        Returns (fx, fy, fz) ECI force N, (mx, my, mz) body torque N m, then
        alt_m, rho_kg_m3, v_rel_mps, mach, q_pa, body-frame force (bx, by, bz) N,
        the geodetic latitude, rad, and the cosine of the total angle of attack.
        """
        x, y, z, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz, m = s
        veh = self.v
        lat, alt = geodetic_lat_alt(x, y, z)
        rho, a_sound = self.atmosphere(alt)
        w = self.omega
        # Velocity relative to the air, ECI: v - w x r - wind (requirement 5).
        ux, uy, uz = vx + w * y, vy - w * x, vz
        if self.wind is not None and x * x + y * y + z * z <= self._wind_r2:
            ex, ey, ez = self.wind.eci(x, y, lat, alt)
            ux -= ex; uy -= ey; uz -= ez
        vrel = math.sqrt(ux * ux + uy * uy + uz * uz)
        q = 0.5 * rho * vrel * vrel
        mach = vrel / a_sound
        # Rotation body -> ECI, in the form exact for a quaternion of any norm: RK4's
        # intermediate states carry unnormalised quaternions (norm 1 + (w h / 2)^2 / 2),
        # and the unit-norm form would scale every force by |q|^2 there.
        k2 = 2.0 / (qw * qw + qx * qx + qy * qy + qz * qz)
        r00 = 1 - k2 * (qy * qy + qz * qz); r01 = k2 * (qx * qy - qw * qz); r02 = k2 * (qx * qz + qw * qy)
        r10 = k2 * (qx * qy + qw * qz); r11 = 1 - k2 * (qx * qx + qz * qz); r12 = k2 * (qy * qz - qw * qx)
        r20 = k2 * (qx * qz - qw * qy); r21 = k2 * (qy * qz + qw * qx); r22 = 1 - k2 * (qx * qx + qy * qy)
        bx = by = bz = 0.0     # body-frame force
        mx = my = mz = 0.0     # body-frame torque
        ubx = 1.0              # flow direction's body-x component (cosine of the total angle of attack)
        if vrel > 1e-6 and q > 1e-9:
            # Unit flow direction in body axes (the direction the capsule moves through the air).
            ib = 1.0 / vrel
            ubx = (r00 * ux + r10 * uy + r20 * uz) * ib
            uby = (r01 * ux + r11 * uy + r21 * uz) * ib
            ubz = (r02 * ux + r12 * uy + r22 * uz) * ib
            cda = veh.cd(mach) * self._ref_area
            if self._lift and ubx > 0.0:
                # Lift of the forebody: C_L = lift_factor C_D sin a cos a, along the part of -x_hat
                # normal to the flow, (x_hat - ubx u_hat) reversed (requirement 7).
                kl = -q * cda * self._lift * ubx
                bx += kl * (1.0 - ubx * ubx); by -= kl * ubx * uby; bz -= kl * ubx * ubz
            # Static stability: torque along x_hat x u_hat turns the heat shield into the flow.
            k_static = q * self._k_static
            my -= k_static * ubz
            mz += k_static * uby
            # Pitch/yaw damping: q S d (d / 2V) Cmq w = 0.25 rho V S d^2 Cmq w, Cmq by Mach
            # (positive transonic and subsonic: the blunt capsule's dynamic instability).
            k_damp = rho * vrel * self._k_damp * veh.cmq(mach)
            my += k_damp * wy
            mz += k_damp * wz
            # Canopies. Riser at (-l, 0, 0): torque (-l,0,0) x (-q c u) = q c l (0, -uz, uy).
            t0 = self.drogue_deploy_t_s
            if t0 is not None and self.drogue_cd_scale > 0.0:
                chute = veh.drogue
                c = chute.cd_area_at(t - t0) * self.drogue_cd_scale
                cda += c
                # Swing damping: the canopy (effective lever L = damping_length_m) moves with
                # the capsule's rate, tilting its drag by (0, -L wz, L wy) / V in body axes.
                k = q * c * chute.attach_offset_m
                kr = chute.damping_length_m * ib
                my -= k * (ubz + kr * wy)
                mz += k * (uby - kr * wz)
            t0 = self.main_deploy_t_s
            if t0 is not None and self.main_cd_scale > 0.0:
                chute = veh.main
                c = chute.cd_area_at(t - t0) * self.main_cd_scale
                cda += c
                k = q * c * chute.attach_offset_m
                kr = chute.damping_length_m * ib
                my -= k * (ubz + kr * wy)
                mz += k * (uby - kr * wz)
            fd = -q * cda
            bx += fd * ubx; by += fd * uby; bz += fd * ubz
            if self._zc:
                # The aerodynamic forces act on the axis, zc beside the CoM (at (0, 0, -zc) from it).
                zc = self._zc
                mx += zc * by
                my -= zc * bx
        bx += self.thrust_n
        tx, ty, tz = self.rcs_torque_nm
        mx += tx; my += ty; mz += tz
        fx = r00 * bx + r01 * by + r02 * bz
        fy = r10 * bx + r11 * by + r12 * bz
        fz = r20 * bx + r21 * by + r22 * bz
        return fx, fy, fz, mx, my, mz, alt, rho, vrel, mach, q, bx, by, bz, lat, max(-1.0, min(1.0, ubx))

    def deriv(self, t: float, s) -> tuple:
        """ds/dt at (t, s)."""
        return self.deriv_held(s, self.forces(t, s)[:6])

    def deriv_held(self, s, fm) -> tuple:
        """ds/dt at s with the non-gravitational force (ECI, N) and body torque (N m)
        ``fm`` = (fx, fy, fz, mx, my, mz): evaluated at s (``deriv``) or held from the
        step's first stage (requirement 4)."""
        x, y, z, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz, m = s
        fx, fy, fz, mx, my, mz = fm
        gx, gy, gz = self.gravity(x, y, z)
        im = 1.0 / m
        ixx, iyy, izz = self.ixx, self.iyy, self.izz
        return (
            vx, vy, vz,
            gx + fx * im, gy + fy * im, gz + fz * im,
            0.5 * (-qx * wx - qy * wy - qz * wz),
            0.5 * (qw * wx + qy * wz - qz * wy),
            0.5 * (qw * wy - qx * wz + qz * wx),
            0.5 * (qw * wz + qx * wy - qy * wx),
            (mx - (izz - iyy) * wy * wz) / ixx,
            (my - (ixx - izz) * wz * wx) / iyy,
            (mz - (iyy - ixx) * wx * wy) / izz,
            -self.mdot_kgps,
        )

    def step(self, t: float, s, h: float, hold_aero: bool = False) -> list:
        """One classical RK4 step of size h (s); the quaternion is renormalised.
        ``hold_aero``: force and torque from the first stage, held (requirement 4)."""
        hh = 0.5 * h
        if hold_aero:
            fm = self.forces(t, s)[:6]
            f = self.deriv_held
            k1 = f(s, fm)
            k2 = f(_axpy(s, k1, hh), fm)
            k3 = f(_axpy(s, k2, hh), fm)
            k4 = f(_axpy(s, k3, h), fm)
        else:
            f = self.deriv
            k1 = f(t, s)
            k2 = f(t + hh, _axpy(s, k1, hh))
            k3 = f(t + hh, _axpy(s, k2, hh))
            k4 = f(t + h, _axpy(s, k3, h))
        out = _rk4_sum(s, k1, k2, k3, k4, h / 6.0)
        n = 1.0 / math.sqrt(out[6] ** 2 + out[7] ** 2 + out[8] ** 2 + out[9] ** 2)
        out[6] *= n; out[7] *= n; out[8] *= n; out[9] *= n
        return out


def _axpy(s, k, c: float) -> list:
    """s + c k for the 14-element state. Written out: twice as fast as a
    comprehension over zip(), and this runs three times per RK4 step."""
    return [s[0] + c * k[0], s[1] + c * k[1], s[2] + c * k[2], s[3] + c * k[3],
            s[4] + c * k[4], s[5] + c * k[5], s[6] + c * k[6], s[7] + c * k[7],
            s[8] + c * k[8], s[9] + c * k[9], s[10] + c * k[10], s[11] + c * k[11],
            s[12] + c * k[12], s[13] + c * k[13]]


def _rk4_sum(s, k1, k2, k3, k4, c: float) -> list:
    """s + c (k1 + 2 k2 + 2 k3 + k4), written out like ``_axpy``."""
    return [s[0] + c * (k1[0] + 2.0 * (k2[0] + k3[0]) + k4[0]), s[1] + c * (k1[1] + 2.0 * (k2[1] + k3[1]) + k4[1]),
            s[2] + c * (k1[2] + 2.0 * (k2[2] + k3[2]) + k4[2]), s[3] + c * (k1[3] + 2.0 * (k2[3] + k3[3]) + k4[3]),
            s[4] + c * (k1[4] + 2.0 * (k2[4] + k3[4]) + k4[4]), s[5] + c * (k1[5] + 2.0 * (k2[5] + k3[5]) + k4[5]),
            s[6] + c * (k1[6] + 2.0 * (k2[6] + k3[6]) + k4[6]), s[7] + c * (k1[7] + 2.0 * (k2[7] + k3[7]) + k4[7]),
            s[8] + c * (k1[8] + 2.0 * (k2[8] + k3[8]) + k4[8]), s[9] + c * (k1[9] + 2.0 * (k2[9] + k3[9]) + k4[9]),
            s[10] + c * (k1[10] + 2.0 * (k2[10] + k3[10]) + k4[10]), s[11] + c * (k1[11] + 2.0 * (k2[11] + k3[11]) + k4[11]),
            s[12] + c * (k1[12] + 2.0 * (k2[12] + k3[12]) + k4[12]), s[13] + c * (k1[13] + 2.0 * (k2[13] + k3[13]) + k4[13])]


def quat_from_axes_x(dir_x: tuple[float, float, float], hint_z=(0.0, 0.0, 1.0)):
    """Quaternion (w, x, y, z) whose body x axis points along dir_x (ECI)."""
    x = _unit(dir_x)
    z = _sub(hint_z, _scale(x, _dot(hint_z, x)))
    if _norm(z) < 1e-6:
        z = _sub((1.0, 0.0, 0.0), _scale(x, x[0]))
    z = _unit(z)
    y = _cross(z, x)
    return quat_from_matrix(((x[0], y[0], z[0]), (x[1], y[1], z[1]), (x[2], y[2], z[2])))


def quat_from_matrix(r) -> tuple[float, float, float, float]:
    """Quaternion of a rotation matrix (columns = body axes in ECI), Shepperd's method."""
    tr = r[0][0] + r[1][1] + r[2][2]
    if tr > 0:
        k = 2.0 * math.sqrt(1.0 + tr)
        return 0.25 * k, (r[2][1] - r[1][2]) / k, (r[0][2] - r[2][0]) / k, (r[1][0] - r[0][1]) / k
    if r[0][0] > r[1][1] and r[0][0] > r[2][2]:
        k = 2.0 * math.sqrt(1.0 + r[0][0] - r[1][1] - r[2][2])
        return (r[2][1] - r[1][2]) / k, 0.25 * k, (r[0][1] + r[1][0]) / k, (r[0][2] + r[2][0]) / k
    if r[1][1] > r[2][2]:
        k = 2.0 * math.sqrt(1.0 + r[1][1] - r[0][0] - r[2][2])
        return (r[0][2] - r[2][0]) / k, (r[0][1] + r[1][0]) / k, 0.25 * k, (r[1][2] + r[2][1]) / k
    k = 2.0 * math.sqrt(1.0 + r[2][2] - r[0][0] - r[1][1])
    return (r[1][0] - r[0][1]) / k, (r[0][2] + r[2][0]) / k, (r[1][2] + r[2][1]) / k, 0.25 * k


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a):
    return math.sqrt(_dot(a, a))


def _scale(a, k):
    return a[0] * k, a[1] * k, a[2] * k


def _sub(a, b):
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _unit(a):
    return _scale(a, 1.0 / _norm(a))


def _cross(a, b):
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]
