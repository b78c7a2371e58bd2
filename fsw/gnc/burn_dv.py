"""Burn delta-v from GPS, and the vote between the three dissimilar delta-v sources.

Requirements
1. GPS-measured delta-v: the change of the GPS inertial velocity since the burn's
   first fix, less the gravity integral over the same time (gravity from the
   navigated position, accumulated every flight-software cycle), m/s. Burn restarts
   after a processor reset start a new reference (the meter is not persisted: the
   store's sensed dv carries the burn across).
2. The vote (``vote``), once the GPS has measured at least ``min_dv_mps``: each of
   the accelerometer's and the chamber pressure's dv is judged against the GPS's
   with a tolerance of ``tol_frac`` of it plus the GPS's own noise. The
   accelerometer is out when it disagrees and the chamber pressure agrees (two
   against one); the GPS is out when both others agree with each other and not
   with it. No verdict without a majority.
3. Pure: no clock, no I/O.
"""
from __future__ import annotations

import math

from fsw.flightmath import OMEGA_E_RADPS, ecef_to_eci, gravity


def gps_dv_noise_mps(vel_sigma_mps: float) -> float:
    """3-sigma noise of a GPS delta-v, m/s: the difference of two fixes of vel_sigma_mps per axis."""
    return 3.0 * math.sqrt(2.0 * 3.0) * vel_sigma_mps


ACCEL_OUT, GPS_OUT, AGREE, UNDECIDED = "accelerometer out", "gps out", "agree", "undecided"


def gps_inertial_velocity(fix, t_s: float):
    """Inertial (ECI) velocity of a GPS fix, m/s: the ECEF velocity plus omega x r."""
    r = ecef_to_eci(fix.r_ecef_m, t_s)
    vr = ecef_to_eci(fix.v_ecef_mps, t_s)
    w = OMEGA_E_RADPS
    return vr[0] - w * r[1], vr[1] + w * r[0], vr[2]


class GpsDvMeter:
    """Requirement 1."""

    def __init__(self):
        self._v0 = None                  # inertial velocity of the first fix, m/s
        self._g = [0.0, 0.0, 0.0]        # gravity integral since it, m/s
        self.dv_mps: float | None = None # latest GPS delta-v magnitude
        self.t_s: float | None = None    # its time

    def cycle(self, r_nav_eci, dt_s: float) -> None:
        """Accumulate gravity over one flight-software cycle (after the first fix)."""
        if self._v0 is None:
            return
        g = gravity(r_nav_eci)
        self._g[0] += g[0] * dt_s
        self._g[1] += g[1] * dt_s
        self._g[2] += g[2] * dt_s

    def fix(self, v_inertial, t_s: float) -> None:
        """A fresh GPS fix taken at this cycle's time."""
        if self._v0 is None:
            self._v0 = tuple(v_inertial)
            return
        d = [v_inertial[i] - self._v0[i] - self._g[i] for i in range(3)]
        self.dv_mps = math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
        self.t_s = t_s


def vote(dv_accel_mps: float, dv_pc_mps: float, dv_gps_mps: float | None, min_dv_mps: float,
         tol_frac: float, noise_mps: float) -> str:
    """Requirement 2: which source, if any, is out (``noise_mps``: gps_dv_noise_mps)."""
    if dv_gps_mps is None or dv_gps_mps < min_dv_mps:
        return UNDECIDED
    tol = tol_frac * dv_gps_mps + noise_mps
    acc_ok = abs(dv_accel_mps - dv_gps_mps) <= tol
    pc_ok = abs(dv_pc_mps - dv_gps_mps) <= tol
    if acc_ok:
        return AGREE
    if pc_ok:
        return ACCEL_OUT
    if abs(dv_accel_mps - dv_pc_mps) <= tol_frac * max(abs(dv_pc_mps), 1.0) + noise_mps:
        return GPS_OUT
    return UNDECIDED
