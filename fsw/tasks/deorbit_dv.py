"""Deorbit task, its delta-v sources (fsw/tasks/deorbit.py requirements 3 and 4): the
chamber-pressure model, the accelerometer's axial reading and the GPS vote.

A mixin of ``DeorbitTask``: it uses the task's burn state, context and store.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.flightmath import G0
from fsw.gnc.burn_dv import ACCEL_OUT, GPS_OUT, gps_dv_noise_mps, gps_inertial_velocity, vote
from fsw.records import GpsRecord, NavRecord


class BurnDvSources:
    def _gps_vote(self, t_s: float, dt: float) -> bool:
        """Requirement 3b: GPS-measured dv, and the two-of-three vote with the accelerometer and
        the chamber pressure. Returns True when this cycle's work is done (a source switched)."""
        ctx, p = self.ctx, self.ctx.params.v
        nav = ctx.bus.latest(NavRecord)
        if nav.valid:
            self._gps.cycle(nav.r_eci_m, dt)
        g = ctx.bus.latest(GpsRecord)
        if not (g.valid and g.fix is not None and g.t_s == t_s) or self._gps_voted_out:
            return False
        if self._gps_ref is None:
            self._gps_ref = (self.dv_sensed_mps, self.dv_ax_raw_mps, self.dv_pc_mps)
        self._gps.fix(gps_inertial_velocity(g.fix, t_s), t_s)
        dv_gps = self._gps.dv_mps
        if dv_gps is None:
            return False
        base, ax0, pc0 = self._gps_ref
        d_acc, d_pc = self.dv_ax_raw_mps - ax0, self.dv_pc_mps - pc0
        if self._dv_source == "gps":
            self.dv_sensed_mps = base + dv_gps            # the GPS measures; the pressure model interpolates
            if d_pc > 1.0:
                self._pc_gain = dv_gps / d_pc
            return False
        verdict = vote(d_acc, d_pc, dv_gps, p["deorbit.xcheck_min_dv_mps"], p["deorbit.xcheck_tol_frac"],
                       gps_dv_noise_mps(p["nav.gps_vel_sigma_mps"]))
        if verdict == GPS_OUT:
            self._gps_voted_out = True
            ctx.events.emit(Severity.WARNING_LO, "BURN_DV_XCHECK", f"GPS dv {dv_gps:.2f} m/s disagrees with the "
                            f"accelerometer ({d_acc:.2f}) and the chamber pressure ({d_pc:.2f}): GPS not used",
                            out="gps", dv_gps_mps=round(dv_gps, 3), dv_accel_mps=round(d_acc, 3), dv_pc_mps=round(d_pc, 3))
        elif verdict == ACCEL_OUT:
            if self.accel_x_scale is None and dv_gps > 0.0:
                self.accel_x_scale = d_acc / dv_gps
            self._accel_failed = True
            self._dv_source = "gps"
            self._pc_gain = dv_gps / d_pc if d_pc > 1.0 else 1.0
            self.dv_sensed_mps = base + dv_gps
            ctx.events.emit(Severity.WARNING_HI, "BURN_DV_XCHECK", f"accelerometer dv {d_acc:.2f} m/s disagrees with "
                            f"the GPS ({dv_gps:.2f}) and the chamber pressure ({d_pc:.2f}): dv from the GPS",
                            out="accelerometer", dv_gps_mps=round(dv_gps, 3), dv_accel_mps=round(d_acc, 3),
                            dv_pc_mps=round(d_pc, 3))
            self._save()
            return True
        return False

    def _pc_accel(self, pc: float, dt: float) -> float:
        """Thrust acceleration from the chamber pressure, m/s^2: thrust in proportion to it
        over the mass the motor has left (full-thrust seconds x nominal mass flow); the
        full-thrust time is accumulated over dt (s)."""
        p = self.ctx.params.v
        frac = pc / p["deorbit.pc_nominal_pa"]
        m = p["guidance.mass_kg"] - p["guidance.thrust_n"] / (p["guidance.isp_s"] * G0) * self.pc_burn_s
        self.pc_burn_s += frac * dt
        return frac * p["guidance.thrust_n"] / max(m, 1.0)

    def _axial_accel(self, imu, pc: float, a_pc: float) -> float:
        """Axial acceleration, m/s^2: the accelerometer's; once it disagreed with the motor,
        the chamber-pressure model ``a_pc``; while the IMU is lost, the chamber pressure scaled
        by the last good accelerometer-to-pressure ratio (else ``a_pc``)."""
        p = self.ctx.params.v
        if self._accel_failed:
            return a_pc * self._pc_gain
        if imu.valid:
            ax = imu.accel_body_mps2[0]
            if pc > p["fdir.engine_pc_off_pa"] and ax > p["deorbit.min_accel_mps2"]:
                self._accel_per_pa = ax / pc
            self._dv_source = "accelerometer"
            return ax
        if self._dv_source != "chamber pressure":
            self._dv_source = "chamber pressure"
            self.ctx.events.emit(Severity.WARNING_HI, "BURN_DV_SOURCE", "accelerometer lost: dv integrated from "
                                 "the chamber pressure", source=self._dv_source)
        return pc * self._accel_per_pa if self._accel_per_pa is not None else a_pc
