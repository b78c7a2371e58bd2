"""Monitor checks: pure functions of one monitor sample (fsw.fdir.table).

Each check is ``check(s, row, mem) -> bool`` (True = healthy) where ``s`` is the
``Sample`` the monitor task assembles once per 10 Hz run and ``mem`` a dict the
check may keep between samples (windows). No check reads a device itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fsw.flightmath import RE_M, ecef_to_eci, norm
from fsw.phases import Phase

#: WGS84 polar radius, m: a navigated radius below it less 1 km is below the sea everywhere.
POLAR_RADIUS_M = RE_M - 21_384.7


@dataclass(frozen=True, slots=True)
class Sample:
    """What the monitors see at one instant (bus records plus device readbacks)."""
    t_s: float
    phase: object
    p: dict                  # flight parameters (read only)
    imu: object              # ImuRecord
    air: object              # AirDataRecord
    nav: object              # NavRecord
    gps: object              # GpsRecord
    att: object              # AttitudeRecord
    burn: object             # BurnRecord
    water_wet: bool
    engine: object           # hal EngineStatus
    pyro: object             # hal PyroStatus
    soc: float               # battery state of charge 0..1


def imu_data(s, row, mem):
    return s.imu.raw_ok


def accel_saturated(s, row, mem):
    lim = 0.98 * s.p["fdir.accel_range_mps2"]
    return not any(abs(a) >= lim for a in s.imu.raw_accel_mps2)


def gyro_rate(s, row, mem):
    return norm(s.imu.gyro_radps) <= math.radians(s.p["fdir.max_rate_dps"])


def baro_data(s, row, mem):
    each = s.air.per_sensor_m
    return row.arg < len(each) and each[row.arg] is not None


def baro_stuck(s, row, mem):
    """Under the drogue the capsule falls tens of m/s: a reading that does not fall is stuck."""
    each = s.air.per_sensor_m
    alt = each[row.arg] if row.arg < len(each) else None
    if alt is None:
        mem.clear()
        return True
    win = s.p["fdir.baro_stuck_window_s"]
    if "t0" not in mem:
        mem.update(t0=s.t_s, alt0=alt)
        return True
    if s.t_s - mem["t0"] < win:
        return True
    ok = mem["alt0"] - alt >= s.p["fdir.baro_stuck_min_drop_m"]
    mem.update(t0=s.t_s, alt0=alt)
    return ok


def baro_agree(s, row, mem):
    vals = [a for a in s.air.per_sensor_m if a is not None]
    return len(vals) < 2 or max(vals) - min(vals) <= s.p["chutes.baro_disagree_m"]


def gps_innovation(s, row, mem):
    fix, nav = s.gps.fix, s.nav
    if fix is None or not nav.valid or s.t_s - s.gps.t_s > 0.5:
        return True
    r = ecef_to_eci(fix.r_ecef_m, s.gps.t_s)
    d = math.dist(r, nav.r_eci_m)
    return d <= s.p["fdir.gps_max_innovation_m"]


def water_early(s, row, mem):
    """The sea cannot be reached above the arming altitude: wet there is a failed switch."""
    if not s.water_wet:
        return True
    if s.phase is Phase.MAIN:
        alt = s.air.baro_alt_m if s.air.valid else None
        return alt is None or alt <= s.p["landing.water_arm_alt_m"] + s.p["fdir.water_margin_m"]
    return False


def engine_valve(s, row, mem):
    """Chamber pressure with the valve commanded closed: a stuck-open valve."""
    b = s.burn
    if b.cutoff_t_s is not None and s.t_s < b.cutoff_t_s + 0.5:
        return True                               # timed closure and tail-off
    return s.engine.chamber_pressure_pa <= s.p["fdir.engine_pc_off_pa"]


def engine_no_thrust(s, row, mem):
    b = s.burn
    if b.ignition_t_s is None or s.t_s < b.ignition_t_s + s.p["deorbit.thrust_check_s"]:
        return True
    if not s.engine.valve_open:
        return True                 # valve commanded closed (e.g. waiting to re-light after a reset)
    return s.engine.chamber_pressure_pa > s.p["fdir.engine_pc_off_pa"]


def rcs_duty(s, row, mem):
    """A couple commanded on in nearly every sample of the window fights a stuck-open thruster."""
    n = mem.get("n", 0) + 1
    counts = mem.setdefault("on", [0] * 6)
    m = s.att.rcs_mask
    for i in range(6):
        if m >> i & 1:
            counts[i] += 1
    mem["n"] = n
    window = int(round(s.p["fdir.rcs_duty_window_s"] * 10))
    if n < window:
        return True
    worst = max(counts) / n
    mem.clear()
    return worst <= s.p["fdir.rcs_max_duty"]


def pyro_hw_arm_attached(s, row, mem):
    return not getattr(s.pyro, "hw_armed", False)


def pyro_continuity(s, row, mem):
    st = s.pyro
    cont, fired = getattr(st, "continuity", None), getattr(st, "fired", None)
    if cont is None or fired is None:
        return True
    return all(c or f for c, f in zip(cont, fired))


def power_low(s, row, mem):
    return s.soc >= s.p["fdir.soc_safe"]


def nav_plausible(s, row, mem):
    nav = s.nav
    if not nav.valid:
        return True
    return norm(nav.r_eci_m) >= POLAR_RADIUS_M - 1000.0 and norm(nav.v_eci_mps) < 12_000.0
