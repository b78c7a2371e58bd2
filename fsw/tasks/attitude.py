"""Attitude control task (50 Hz): RCS pointing and rate damping.

Requirements
1. Mode by phase (table ``MODES``): off while attached and under canopies;
   star acquisition in SEPARATED (requirement 7); rate damping (detumble) in
   SAFE and early ENTRY; body +x (the
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
5. Bank (ENTRY with a valid BankRecord from fsw/tasks/entry_guidance.py and
   valid navigation): the lift axis (body +z, toward the offset CoM) is rolled
   to the commanded bank about the air-relative velocity: commanded roll rate =
   ``entry.roll_gain_per_s`` x the bank error (shortest way round), limited to
   ``entry.max_roll_rate_dps``; only the roll couple fires (the capsule trims in
   pitch and yaw by itself). The error is published as the pointing error.
   This holds at any deceleration (``gnc.entry_rcs_max_accel_mps2`` applies to
   rate damping only). A measured roll rate beyond ``ROLL_GUARD`` x the limit
   (a roll gyro of the wrong sign drives the loop away, an RCS valve stuck
   open spins the capsule) stops the roll couple (BANK_ROLL_GUARD, once): the
   capsule then flies its lift averaged out, ballistic, not spun up further.
6. Roll-couple firing cap, independent of the gyro (the guard above reads the
   roll gyro, so a roll gyro stuck, or reading low, defeats it: the bank error
   never closes and the couple fires on): the roll couple commanded on in the
   same direction for longer than ``entry.roll_fire_max_s`` without a break
   stops bank steering's roll couple for the rest of the flight
   (BANK_ROLL_CAP). Healthy steering never fires that long: spinning up from
   the roll-rate limit one way to the limit the other way is the longest
   continuous firing the loop asks for (mission.yaml gives the figures).
   Not persisted: a processor reset in ENTRY gives the capsule one more cap's
   worth of spin-up before it trips again.
7. Star acquisition (SEPARATED, valid navigation): the star tracker looks out
   of the backshell along body -x (config/sil.yaml ``boresight_body``); the
   boresight is held on one sky direction of ``STAR_SKY`` - zenith, then the
   orbit normal, then the anti-normal - and moves to the next when the filter
   has accepted no star solution for ``gnc.star_search_s`` (Sun in the baffle).
   Zenith is 90 deg from the Earth's limb, the orbit normals 20 deg above it at
   410 km, beyond the 15 deg keep-out; the Sun cannot be within 45 deg of all
   three, so one of them always sees stars. Left to drift (rate damping only), a
   tracker can stare at the Earth for the whole wait: a 100-run campaign showed
   a 6 deg attitude error at ignition and a 42 km miss that way.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import air_relative_velocity, cross, dot, norm, rotate, rotate_inv
from fsw.gnc.predictor import burn_direction
from fsw.phases import Phase
from fsw.records import AttitudeRecord, BankRecord, BurnRecord, HealthRecord, ImuRecord, NavRecord

OFF, DAMP, RETRO, ENTRY_ATT, BANK, STAR = "off", "damp", "retrograde", "entry", "bank", "star"
MODES = {
    Phase.ATTACHED: OFF, Phase.SEPARATED: STAR, Phase.DEORBIT_PREP: RETRO,
    Phase.DEORBIT_BURN: RETRO, Phase.COAST: ENTRY_ATT, Phase.ENTRY: DAMP,
    Phase.DROGUE: OFF, Phase.MAIN: OFF, Phase.LANDED: OFF, Phase.SAFE: DAMP,
}
# Couple bits: (+axis, -axis) for x, y, z.
_BITS = ((0, 1), (2, 3), (4, 5))
_X = (1.0, 0.0, 0.0)
_Z = (0.0, 0.0, 1.0)
#: Roll rate guard of bank steering, multiple of entry.max_roll_rate_dps (requirement 5).
ROLL_GUARD = 3.0
#: Sky directions the star tracker is held on in turn (requirement 7).
STAR_SKY = ("zenith", "orbit normal", "orbit anti-normal")


def sky_direction(which: int, r, v) -> tuple[float, float, float]:
    """Unit vector (frame of r, v) of STAR_SKY[which]."""
    d = r if which == 0 else cross(r, v)
    n = norm(d)
    k = -1.0 if which == 2 else 1.0
    return (k * d[0] / n, k * d[1] / n, k * d[2] / n)


def bank_angle_deg(r, v, q_body_eci) -> float | None:
    """Bank of the lift axis (body +z) about the air-relative velocity, deg: 0 with it up (away
    from the Earth's centre), positive to the right of the velocity; None if undefined."""
    u = air_relative_velocity(r, v)
    un = norm(u)
    if un < 1.0:
        return None
    u = (u[0] / un, u[1] / un, u[2] / un)
    k = dot(r, u)
    up = (r[0] - k * u[0], r[1] - k * u[1], r[2] - k * u[2])
    right = cross(u, up)
    z = rotate(q_body_eci, _Z)
    k = dot(z, u)
    lift = (z[0] - k * u[0], z[1] - k * u[1], z[2] - k * u[2])
    if norm(lift) < 1e-6:
        return None
    return math.degrees(math.atan2(dot(lift, right) / norm(right), dot(lift, up) / norm(up)))


class AttitudeTask:
    name = "attitude"
    PARAMS = ("gnc.entry_rcs_max_accel_mps2", "gnc.max_rate_dps", "gnc.point_gain_per_s", "gnc.rate_deadband_dps",
              "entry.roll_gain_per_s", "entry.max_roll_rate_dps", "entry.roll_fire_max_s", "gnc.star_search_s")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._mask = -1                      # unknown after boot: the first command always goes out
        self._roll_guard_said = False
        self._roll_bit = 0                   # roll couple bit fired on the last tick (0: none)
        self._roll_on_s = 0.0                # how long it has fired without a break, s
        self._roll_capped = False            # requirement 6: latched for the rest of the flight
        self._sky = 0                        # requirement 7: index in STAR_SKY
        self._sky_t_s: float | None = None   # when the boresight was sent there
        self._pub = ctx.bus.port(AttitudeRecord, self.name)

    def run(self, t_s: float) -> None:
        ctx, p, bus = self.ctx, self.ctx.params.v, self.ctx.bus
        imu = bus.latest(ImuRecord)
        nav = bus.latest(NavRecord)
        degraded = bus.latest(HealthRecord).degraded
        ph = ctx.phases.phase
        mode = MODES[ph]
        bank = bus.latest(BankRecord)
        if ph is Phase.ENTRY and bank.valid and nav.valid:
            mode = BANK
        elif mode == DAMP and ph is Phase.ENTRY and imu.sensed_accel_mps2 > p["gnc.entry_rcs_max_accel_mps2"]:
            mode = OFF
        if "imu" in degraded or "rcs" in degraded or not imu.valid:
            mode = OFF
        if mode == BANK:
            self._bank(t_s, p, nav, imu, bank.bank_cmd_deg)
            return
        target = None
        if mode in (RETRO, ENTRY_ATT, STAR):
            if nav.valid:
                if mode == RETRO:
                    d = burn_direction(nav.r_eci_m, nav.v_eci_mps, bus.latest(BurnRecord).yaw_deg)
                elif mode == STAR:
                    b = self._star_sky(t_s, nav, p["gnc.star_search_s"])
                    d = (-b[0], -b[1], -b[2])        # +x opposite the boresight
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

    def _bank(self, t_s: float, p, nav, imu, cmd_deg: float) -> None:
        """Requirement 5: roll the lift axis to the commanded bank."""
        now = bank_angle_deg(nav.r_eci_m, nav.v_eci_mps, nav.q_body_eci)
        err_deg = 0.0 if now is None else (cmd_deg - now + 180.0) % 360.0 - 180.0
        lim = math.radians(p["entry.max_roll_rate_dps"])
        w_cmd = max(-lim, min(lim, p["entry.roll_gain_per_s"] * math.radians(err_deg)))
        err = w_cmd - imu.gyro_radps[0]
        db = math.radians(p["gnc.rate_deadband_dps"])
        mask = 1 << _BITS[0][0] if err > db else (1 << _BITS[0][1] if err < -db else 0)
        if abs(imu.gyro_radps[0]) > ROLL_GUARD * lim:
            mask = 0
            if not self._roll_guard_said:
                self._roll_guard_said = True
                self.ctx.events.emit(Severity.WARNING_HI, "BANK_ROLL_GUARD",
                                     f"roll rate {math.degrees(imu.gyro_radps[0]):.1f} deg/s beyond "
                                     f"{ROLL_GUARD:g} x {p['entry.max_roll_rate_dps']:g} deg/s: roll couple stopped",
                                     roll_rate_dps=round(math.degrees(imu.gyro_radps[0]), 2))
        mask = self._roll_cap(mask, p["entry.roll_fire_max_s"])
        self._command(mask)
        self._pub(AttitudeRecord(t_s, True, BANK, abs(err_deg), mask))

    def _star_sky(self, t_s: float, nav, search_s: float) -> tuple[float, float, float]:
        """Requirement 7: the sky direction for the boresight now (ECI unit vector)."""
        if self._sky_t_s is None:
            self._sky_t_s = t_s
        if t_s - max(self._sky_t_s, nav.star_t_s) > search_s:
            self._sky = (self._sky + 1) % len(STAR_SKY)
            self._sky_t_s = t_s
            self.ctx.events.emit(Severity.ACTIVITY_LO, "ATT_STAR_SEARCH",
                                 f"no star solution for {search_s:g} s: tracker to the {STAR_SKY[self._sky]}",
                                 sky=STAR_SKY[self._sky])
        return sky_direction(self._sky, nav.r_eci_m, nav.v_eci_mps)

    def _roll_cap(self, mask: int, cap_s: float) -> int:
        """Requirement 6: the roll couple's continuous firing time, from the commands alone."""
        if self._roll_capped:
            return 0
        if mask and mask == self._roll_bit:
            self._roll_on_s += self.dt
        else:
            self._roll_bit, self._roll_on_s = mask, (self.dt if mask else 0.0)
        if self._roll_on_s > cap_s + 1e-9:
            self._roll_capped = True
            self.ctx.events.emit(Severity.WARNING_HI, "BANK_ROLL_CAP",
                                 f"roll couple fired {self._roll_on_s:.2f} s without a break (limit {cap_s:g} s): "
                                 "roll gyro suspect, roll couple stopped for the rest of the flight",
                                 fired_s=round(self._roll_on_s, 2))
            return 0
        return mask

    def _command(self, mask: int) -> None:
        if mask != self._mask or mask:
            self.ctx.hal.rcs.command(mask)
        self._mask = mask

    def telemetry(self) -> dict:
        rec = self.ctx.bus.latest(AttitudeRecord)
        return {"att_error_deg": float("nan") if rec.att_error_deg is None else rec.att_error_deg,
                "rcs_mask": rec.rcs_mask}
