"""Navigation filter: an error-state extended Kalman filter (multiplicative attitude error).

Requirements
1. Error state, 15 elements: ``[dr, dv, dth, dbc, dbm]`` - position m and
   velocity m/s (ECI), attitude rad (ECI frame: ``C_true = (I + [dth x]) C_est``,
   C body->ECI), and the gyro bias rad/s (body) in two parts: ``bc`` the turn-on
   bias, a random constant, and ``bm`` the in-run instability, a first-order
   Gauss-Markov process. The full state (r, v, q, bg = bc + bm) is propagated by
   the nav task's strapdown at the IMU rate; this filter owns its covariance.
   One Gauss-Markov state for both would let the turn-on uncertainty decay with
   the in-run correlation time while no star tracker sees: the filter then
   believed 1.4 deg while its attitude was 6 deg off (mission campaign run 38,
   the tracker blinded by the Earth), and gated out the star solutions that
   would have saved it.
2. Covariance propagation over the interval since the last one, with the mean
   ECI specific force the strapdown integrated (``accumulate``)::

       F = [[0, I, 0, 0, 0], [G, 0, -[f x], 0, 0], [0, 0, 0, -C, -C],
            [0, 0, 0, 0, 0], [0, 0, 0, 0, -I / tau]]
       Phi = I + F h + (F h)^2 / 2,   P <- Phi P Phi' + Q h

   G the point-mass gravity gradient; Q from spectral densities (``Tuning``):
   velocity (unmodelled acceleration, plus the accelerometer's noise and a
   scale-factor share of the specific force while it is integrated), attitude
   (angle random walk), in-run bias (Gauss-Markov drive); none on the turn-on
   bias.
3. Measurements, each gated on its squared Mahalanobis distance
   ``d2 = nu' S^-1 nu`` against a chi-square bound (``Tuning.gate_*``): GPS
   position and velocity (ECI), star-tracker attitude, altitude. A rejected
   measurement changes nothing and is reported to the caller (it counts and
   raises the event).
4. Update in Joseph form (P stays symmetric positive definite); the correction is
   applied to the full state and the error state restarts at zero.
5. Pure: no clock, no I/O, no bus. numpy for the 15 x 15 algebra only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from fsw.flightmath import MU_M3PS2

N = 15
_I3 = np.eye(3)
_POS, _VEL, _ATT, _BC, _BM = slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 12), slice(12, 15)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Filter tunables (mission params ``nav.*``; units in the names)."""
    accel_psd_m2ps3: float          # unmodelled acceleration, (m/s^2)^2 / Hz
    accel_noise_psd_m2ps3: float    # accelerometer white noise while integrated (VRW^2)
    accel_sf_frac: float            # accelerometer scale-factor uncertainty, fraction of the specific force
    arw_psd_rad2ps: float           # gyro angle random walk, rad^2 / s
    gyro_sf_frac: float             # gyro scale-factor and misalignment uncertainty, fraction of the rate
    gyro_bias_sigma_radps: float    # steady-state sigma of the gyro bias instability (in-run)
    gyro_bias_tau_s: float          # its correlation time
    gate_gps: float                 # chi-square gate, 6 degrees of freedom
    gate_att: float                 # chi-square gate, 3 degrees of freedom
    gate_alt: float                 # chi-square gate, 1 degree of freedom


class Innovation(NamedTuple):
    """Outcome of one measurement: accepted, squared Mahalanobis distance, innovation norm."""
    accepted: bool
    d2: float
    size: float


def skew(v) -> np.ndarray:
    return np.array(((0.0, -v[2], v[1]), (v[2], 0.0, -v[0]), (-v[1], v[0], 0.0)))


def quat_to_dcm(q) -> np.ndarray:
    """Body->ECI direction-cosine matrix of a (w, x, y, z) quaternion."""
    w, x, y, z = q
    return np.array(((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
                     (2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
                     (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y))))


def quat_mul(a, b):
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw)


def attitude_error(q_meas, q_est) -> tuple[float, float, float]:
    """Small ECI rotation vector e (rad) with q_meas = dq(e) x q_est."""
    d = quat_mul(q_meas, (q_est[0], -q_est[1], -q_est[2], -q_est[3]))
    if d[0] < 0.0:
        d = (-d[0], -d[1], -d[2], -d[3])
    return 2.0 * d[1], 2.0 * d[2], 2.0 * d[3]


def apply_rotation(q, e):
    """q rotated by the small ECI rotation vector e (rad), normalised."""
    r = quat_mul((1.0, 0.5 * e[0], 0.5 * e[1], 0.5 * e[2]), q)
    n = 1.0 / math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2] + r[3] * r[3])
    return (r[0] * n, r[1] * n, r[2] * n, r[3] * n)


class NavFilter:
    """Covariance and measurement updates of the navigation state; see the requirements."""

    def __init__(self, tuning: Tuning):
        self.tune = tuning
        self.P = np.zeros((N, N))
        self.r = (0.0, 0.0, 0.0)
        self.v = (0.0, 0.0, 0.0)
        self.q = (1.0, 0.0, 0.0, 0.0)
        self.bg = (0.0, 0.0, 0.0)
        self._h = 0.0                       # time accumulated since the last covariance step, s
        self._f = [0.0, 0.0, 0.0]           # integral of the ECI specific force over it, m/s
        self._integrated_s = 0.0            # of which with the accelerometer integrated, s
        self._loose = 0.0                   # integral of the squared specific force NOT integrated, m^2/s^3
        self._w2 = 0.0                      # integral of the squared body rate, rad^2/s
        self._sig: tuple | None = None      # sigmas() of the covariance object _sig_of
        self._sig_of = None

    # ---- state --------------------------------------------------------------------------
    def reset(self, r, v, q, bg, sigma_r_m: float, sigma_v_mps: float, sigma_att_rad: float,
              sigma_bg_radps: float) -> None:
        """Start from a state with a diagonal covariance of the given 1-sigma figures
        (``sigma_bg_radps``: the turn-on bias; the in-run part starts at its steady state)."""
        self.r, self.v, self.q, self.bg = tuple(r), tuple(v), tuple(q), tuple(bg)
        d = [sigma_r_m ** 2] * 3 + [sigma_v_mps ** 2] * 3 + [sigma_att_rad ** 2] * 3 + [sigma_bg_radps ** 2] * 3 \
            + [self.tune.gyro_bias_sigma_radps ** 2] * 3
        self.P = np.diag(d)
        self._h, self._f, self._integrated_s, self._loose, self._w2 = 0.0, [0.0, 0.0, 0.0], 0.0, 0.0, 0.0

    def reset_translation(self, r, v, sigma_r_m: float, sigma_v_mps: float) -> None:
        """Replace position and velocity (and their covariance), keeping attitude and bias."""
        self.r, self.v = tuple(r), tuple(v)
        P = self.P.copy()              # a new object: sigmas() caches per covariance object
        P[0:6, :] = 0.0
        P[:, 0:6] = 0.0
        P[_POS, _POS] = _I3 * sigma_r_m ** 2
        P[_VEL, _VEL] = _I3 * sigma_v_mps ** 2
        self.P = P

    def accumulate(self, f_eci, dt: float, integrated: bool, sensed_mps2: float, rate2: float) -> None:
        """Record one strapdown step: ECI specific force used (m/s^2), step s, whether the
        accelerometer was integrated, the sensed specific-force magnitude (m/s^2) and the
        squared body rate (rad^2/s^2). A specific force sensed but not integrated (below the
        nav threshold: drag high up) is unmodelled acceleration for the covariance."""
        self._h += dt
        self._w2 += rate2 * dt
        if not integrated:
            self._loose += sensed_mps2 * sensed_mps2 * dt
        self._f[0] += f_eci[0] * dt
        self._f[1] += f_eci[1] * dt
        self._f[2] += f_eci[2] * dt
        if integrated:
            self._integrated_s += dt

    def sigmas(self) -> tuple[float, float, float, float]:
        """RSS 1-sigma of position m, velocity m/s, attitude rad and gyro bias rad/s (of the
        covariance as last propagated or updated; computed once per change)."""
        P = self.P
        if self._sig is None or self._sig_of is not P:
            d = np.diag(P).tolist()
            bias = sum(d[9:15]) + 2.0 * float(np.trace(P[_BC, _BM]))      # variance of bc + bm
            self._sig = (math.sqrt(max(0.0, d[0] + d[1] + d[2])), math.sqrt(max(0.0, d[3] + d[4] + d[5])),
                         math.sqrt(max(0.0, d[6] + d[7] + d[8])), math.sqrt(max(0.0, bias)))
            self._sig_of = P
            self._pvv = P[3:6, 3:6].tolist()
        return self._sig

    def speed_sigma(self, u) -> float:
        """1-sigma of the speed along the unit vector ``u`` (m/s): the velocity covariance
        projected on it. An attitude error moves the velocity mostly across the flight path,
        where the speed (and the Mach number) hardly changes."""
        self.sigmas()
        p = self._pvv
        x = (p[0][0] * u[0] + p[0][1] * u[1] + p[0][2] * u[2]) * u[0] + \
            (p[1][0] * u[0] + p[1][1] * u[1] + p[1][2] * u[2]) * u[1] + \
            (p[2][0] * u[0] + p[2][1] * u[1] + p[2][2] * u[2]) * u[2]
        return math.sqrt(max(0.0, x))

    # ---- propagation --------------------------------------------------------------------
    def propagate(self) -> None:
        """Propagate the covariance over the interval accumulated since the last call."""
        h = self._h
        if h <= 0.0:
            return
        t = self.tune
        f = np.array(self._f) / h
        r = np.array(self.r)
        rn = float(np.linalg.norm(r))
        u = r / rn
        G = MU_M3PS2 / rn ** 3 * (3.0 * np.outer(u, u) - _I3)
        F = np.zeros((N, N))
        F[_POS, _VEL] = _I3
        F[_VEL, _POS] = G
        F[_VEL, _ATT] = -skew(f)
        C = quat_to_dcm(self.q)
        F[_ATT, _BC] = -C
        F[_ATT, _BM] = -C
        F[_BM, _BM] = -_I3 / t.gyro_bias_tau_s
        Fh = F * h
        phi = np.eye(N) + Fh + 0.5 * Fh @ Fh
        share = self._integrated_s / h
        fn2 = float(f @ f)
        # A specific force held over the interval but not integrated (or a scale error of the
        # one integrated) is a velocity error growing as a h: spectral density a^2 h.
        q_vel = (t.accel_psd_m2ps3 + share * t.accel_noise_psd_m2ps3
                 + (share * t.accel_sf_frac ** 2 * fn2 + self._loose / h) * h)
        qd = np.zeros(N)
        qd[3:6] = q_vel
        qd[6:9] = t.arw_psd_rad2ps + t.gyro_sf_frac ** 2 * (self._w2 / h) * h
        qd[12:15] = 2.0 * t.gyro_bias_sigma_radps ** 2 / t.gyro_bias_tau_s
        Q = np.diag(qd * h)
        # Position picks up the velocity noise integrated over the interval (first order).
        Q[_POS, _POS] += _I3 * q_vel * h ** 3 / 3.0
        Q[_POS, _VEL] += _I3 * q_vel * h ** 2 / 2.0
        Q[_VEL, _POS] += _I3 * q_vel * h ** 2 / 2.0
        self.P = phi @ self.P @ phi.T + Q
        self.P = 0.5 * (self.P + self.P.T)
        self._h, self._f, self._integrated_s, self._loose, self._w2 = 0.0, [0.0, 0.0, 0.0], 0.0, 0.0, 0.0

    # ---- measurement updates ------------------------------------------------------------
    def _update(self, H: np.ndarray, nu: np.ndarray, R: np.ndarray, gate: float) -> Innovation:
        P = self.P
        PHt = P @ H.T
        S = H @ PHt + R
        try:
            Sinv_nu = np.linalg.solve(S, nu)
        except np.linalg.LinAlgError:
            return Innovation(False, math.inf, float(np.linalg.norm(nu)))
        d2 = float(nu @ Sinv_nu)
        size = float(np.linalg.norm(nu))
        if not d2 <= gate:
            return Innovation(False, d2, size)
        K = np.linalg.solve(S, PHt.T).T
        dx = K @ nu
        IKH = np.eye(N) - K @ H
        self.P = IKH @ P @ IKH.T + K @ R @ K.T
        self.P = 0.5 * (self.P + self.P.T)
        self._correct(dx)
        return Innovation(True, d2, size)

    def _correct(self, dx: np.ndarray) -> None:
        r, v, bg = self.r, self.v, self.bg
        self.r = (r[0] + dx[0], r[1] + dx[1], r[2] + dx[2])
        self.v = (v[0] + dx[3], v[1] + dx[4], v[2] + dx[5])
        self.q = apply_rotation(self.q, (dx[6], dx[7], dx[8]))
        self.bg = (bg[0] + dx[9] + dx[12], bg[1] + dx[10] + dx[13], bg[2] + dx[11] + dx[14])

    def update_gps(self, r_eci, v_eci, sigma_r_m: float, sigma_v_mps: float) -> Innovation:
        """Fuse a GPS position (m) and velocity (m/s), both ECI."""
        H = np.zeros((6, N))
        H[0:3, 0:3] = _I3
        H[3:6, 3:6] = _I3
        nu = np.array((r_eci[0] - self.r[0], r_eci[1] - self.r[1], r_eci[2] - self.r[2],
                       v_eci[0] - self.v[0], v_eci[1] - self.v[1], v_eci[2] - self.v[2]))
        R = np.diag([sigma_r_m ** 2] * 3 + [sigma_v_mps ** 2] * 3)
        return self._update(H, nu, R, self.tune.gate_gps)

    def update_attitude(self, q_meas, sigma_body_rad) -> Innovation:
        """Fuse a measured body->ECI quaternion with per-body-axis 1-sigma errors (rad)."""
        H = np.zeros((3, N))
        H[:, _ATT] = _I3
        nu = np.array(attitude_error(q_meas, self.q))
        C = quat_to_dcm(self.q)
        R = C @ np.diag([s * s for s in sigma_body_rad]) @ C.T
        return self._update(H, nu, R, self.tune.gate_att)

    def update_altitude(self, alt_meas_m: float, alt_est_m: float, up_eci, sigma_m: float) -> Innovation:
        """Fuse a measured altitude (m) given the estimate's altitude and local up (ECI unit)."""
        H = np.zeros((1, N))
        H[0, 0:3] = up_eci
        nu = np.array((alt_meas_m - alt_est_m,))
        return self._update(H, nu, np.array(((sigma_m * sigma_m,),)), self.tune.gate_alt)
