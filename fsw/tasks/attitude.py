"""Attitude control task (50 Hz): RCS pointing and rate damping.

Requirements
1. Mode by phase (table ``MODES``): off while attached and under canopies;
   rate damping (detumble) in SEPARATED, SAFE and early ENTRY; body +x
   retrograde (burn attitude) in DEORBIT_PREP and DEORBIT_BURN; body +x along
   the air-relative velocity (heat shield forward) in COAST.
2. Bang-bang law on the rate error with a deadband: commanded rate =
   gain x pointing error, limited to ``gnc.max_rate_dps``.
3. Publishes the pointing error (deg) for the deorbit task's ignition and
   abort checks.
"""
from __future__ import annotations

import math

from fsw.flightmath import air_relative_velocity, cross, dot, norm, rotate_inv
from fsw.phases import Phase

OFF, DAMP, RETRO, ENTRY_ATT = "off", "damp", "retrograde", "entry"
MODES = {
    Phase.ATTACHED: OFF, Phase.SEPARATED: DAMP, Phase.DEORBIT_PREP: RETRO,
    Phase.DEORBIT_BURN: RETRO, Phase.COAST: ENTRY_ATT, Phase.ENTRY: DAMP,
    Phase.DROGUE: OFF, Phase.MAIN: OFF, Phase.LANDED: OFF, Phase.SAFE: DAMP,
}
# Couple bits: (+axis, -axis) for x, y, z.
_BITS = ((0, 1), (2, 3), (4, 5))


class AttitudeTask:
    name = "attitude"

    def __init__(self, ctx):
        self.ctx = ctx

    def run(self, t_s: float) -> None:
        ctx, d, p = self.ctx, self.ctx.data, self.ctx.params.v
        mode = MODES[ctx.phases.phase]
        if mode == DAMP and ctx.phases.phase is Phase.ENTRY and d.sensed_accel_mps2 > p["gnc.entry_rcs_max_accel_mps2"]:
            mode = OFF
        target = None
        if mode in (RETRO, ENTRY_ATT) and d.nav_valid:
            v = d.v_eci_mps if mode == RETRO else air_relative_velocity(d.r_eci_m, d.v_eci_mps)
            sign = -1.0 if mode == RETRO else 1.0
            target = rotate_inv(d.q_body_eci, (sign * v[0], sign * v[1], sign * v[2]))
        elif mode in (RETRO, ENTRY_ATT):
            mode = DAMP
        if mode == OFF:
            d.att_error_deg = None
            self._command(0)
            return
        w_cmd = [0.0, 0.0, 0.0]
        if target is not None:
            tn = norm(target)
            t = (target[0] / tn, target[1] / tn, target[2] / tn)
            e = cross((1.0, 0.0, 0.0), t)
            s = norm(e)
            ang = math.atan2(s, dot((1.0, 0.0, 0.0), t))
            d.att_error_deg = math.degrees(ang)
            axis = (0.0, 1.0, 0.0) if s < 1e-9 else (e[0] / s, e[1] / s, e[2] / s)
            wmax = math.radians(p["gnc.max_rate_dps"])
            rate = min(wmax, p["gnc.point_gain_per_s"] * ang)
            w_cmd = [axis[0] * rate, axis[1] * rate, axis[2] * rate]
        else:
            d.att_error_deg = None
        db = math.radians(p["gnc.rate_deadband_dps"])
        mask = 0
        for i in range(3):
            err = w_cmd[i] - d.gyro_radps[i]
            if err > db:
                mask |= 1 << _BITS[i][0]
            elif err < -db:
                mask |= 1 << _BITS[i][1]
        self._command(mask)

    def _command(self, mask: int) -> None:
        if mask != self.ctx.data.rcs_mask or mask:
            self.ctx.hal.rcs.command(mask)
        self.ctx.data.rcs_mask = mask
