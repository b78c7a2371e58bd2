"""Attitude control task (50 Hz): RCS pointing and rate damping.

Requirements
1. Mode by phase (table ``MODES``): off while attached and under canopies;
   rate damping (detumble) in SEPARATED, SAFE and early ENTRY; body +x (the
   thrust axis) along the planned burn direction in DEORBIT_PREP and
   DEORBIT_BURN (fsw/gnc/predictor.py ``burn_direction``: the retrograde yawed by
   the plan's yaw, BurnRecord); body +x along
   the air-relative velocity (heat shield forward) in COAST.
2. Bang-bang law on the rate error with a deadband: commanded rate =
   gain x pointing error, limited to ``gnc.max_rate_dps``.
3. Without valid navigation a pointing mode falls back to rate damping; with
   the IMU declared failed, or the RCS isolated by the monitors, the thrusters
   stay off.
4. Publishes AttitudeRecord: mode, pointing error (deg) for the deorbit task's
   ignition and abort checks, and the RCS mask commanded.
"""
from __future__ import annotations

import math

from fsw.flightmath import air_relative_velocity, cross, dot, norm, rotate_inv
from fsw.gnc.predictor import burn_direction
from fsw.phases import Phase
from fsw.records import AttitudeRecord, BurnRecord, HealthRecord, ImuRecord, NavRecord

OFF, DAMP, RETRO, ENTRY_ATT = "off", "damp", "retrograde", "entry"
MODES = {
    Phase.ATTACHED: OFF, Phase.SEPARATED: DAMP, Phase.DEORBIT_PREP: RETRO,
    Phase.DEORBIT_BURN: RETRO, Phase.COAST: ENTRY_ATT, Phase.ENTRY: DAMP,
    Phase.DROGUE: OFF, Phase.MAIN: OFF, Phase.LANDED: OFF, Phase.SAFE: DAMP,
}
# Couple bits: (+axis, -axis) for x, y, z.
_BITS = ((0, 1), (2, 3), (4, 5))
_X = (1.0, 0.0, 0.0)


class AttitudeTask:
    name = "attitude"
    PARAMS = ("gnc.entry_rcs_max_accel_mps2", "gnc.max_rate_dps", "gnc.point_gain_per_s", "gnc.rate_deadband_dps")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._mask = -1                      # unknown after boot: the first command always goes out
        self._pub = ctx.bus.port(AttitudeRecord, self.name)

    def run(self, t_s: float) -> None:
        ctx, p, bus = self.ctx, self.ctx.params.v, self.ctx.bus
        imu = bus.latest(ImuRecord)
        nav = bus.latest(NavRecord)
        degraded = bus.latest(HealthRecord).degraded
        ph = ctx.phases.phase
        mode = MODES[ph]
        if mode == DAMP and ph is Phase.ENTRY and imu.sensed_accel_mps2 > p["gnc.entry_rcs_max_accel_mps2"]:
            mode = OFF
        if "imu" in degraded or "rcs" in degraded or not imu.valid:
            mode = OFF
        target = None
        if mode in (RETRO, ENTRY_ATT):
            if nav.valid:
                if mode == RETRO:
                    d = burn_direction(nav.r_eci_m, nav.v_eci_mps, bus.latest(BurnRecord).yaw_deg)
                else:
                    d = air_relative_velocity(nav.r_eci_m, nav.v_eci_mps)
                target = rotate_inv(nav.q_body_eci, d)
            else:
                mode = DAMP
        if mode == OFF:
            self._command(0)
            self._pub(AttitudeRecord(t_s, True, mode, None, 0))
            return
        w_cmd = (0.0, 0.0, 0.0)
        err_deg = None
        if target is not None:
            tn = norm(target)
            t = (target[0] / tn, target[1] / tn, target[2] / tn)
            e = cross(_X, t)
            s = norm(e)
            ang = math.atan2(s, dot(_X, t))
            err_deg = math.degrees(ang)
            axis = (0.0, 1.0, 0.0) if s < 1e-9 else (e[0] / s, e[1] / s, e[2] / s)
            rate = min(math.radians(p["gnc.max_rate_dps"]), p["gnc.point_gain_per_s"] * ang)
            w_cmd = (axis[0] * rate, axis[1] * rate, axis[2] * rate)
        db = math.radians(p["gnc.rate_deadband_dps"])
        mask = 0
        gyro = imu.gyro_radps
        for i in range(3):
            err = w_cmd[i] - gyro[i]
            if err > db:
                mask |= 1 << _BITS[i][0]
            elif err < -db:
                mask |= 1 << _BITS[i][1]
        self._command(mask)
        self._pub(AttitudeRecord(t_s, True, mode, err_deg, mask))

    def _command(self, mask: int) -> None:
        if mask != self._mask or mask:
            self.ctx.hal.rcs.command(mask)
        self._mask = mask

    def telemetry(self) -> dict:
        rec = self.ctx.bus.latest(AttitudeRecord)
        return {"att_error_deg": float("nan") if rec.att_error_deg is None else rec.att_error_deg,
                "rcs_mask": rec.rcs_mask}
