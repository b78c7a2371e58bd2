"""Monitor checks: pure functions of one monitor sample (fsw.fdir.table).

Each check is ``check(s, row, mem) -> bool`` (True = healthy) where ``s`` is the
``Sample`` the monitor task assembles once per 10 Hz run and ``mem`` a dict the
check may keep between samples (windows). No check reads a device itself and
none acts: where a response needs a choice (which barometer the GPS votes out,
what an RCS couple's test showed), the check leaves it in ``mem`` and the
monitor task applies it (``vote``, ``rcs_test`` responses).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fsw.flightmath import RE_M, ecef_to_eci, norm
from fsw.phases import Phase

#: WGS84 polar radius, m: a navigated radius below it less 1 km is below the sea everywhere.
POLAR_RADIUS_M = RE_M - 21_384.7
#: A GPS record older than this is not fresh (nav publishes a fix at 10 Hz), s.
GPS_FRESH_S = 0.5
#: RCS couples by bit of AttitudeRecord.rcs_mask (fsw/tasks/attitude.py _BITS): bit 2a pushes about
#: +axis a, bit 2a+1 about -axis a; couple i's opposite is i ^ 1.
RCS_COUPLES = ("+x", "-x", "+y", "-y", "+z", "-z")
#: The RCS test (RCS_DUTY): consecutive 10 Hz sample pairs with the couple's axis off that show no
#: uncommanded acceleration before the couple is declared failed closed (2 intervals: 0.2 s off) ...
RCS_TEST_PAIRS = 2
#: ... and samples after which a test that could not see such pairs ends inconclusive.
RCS_TEST_MAX_N = 10


def fresh_gps_alt(s):
    """Altitude of a fresh GPS fix, m, or None (no fix, stale, or gps degraded: nav stops publishing)."""
    g = s.gps
    if g.fix is None or s.t_s - g.t_s > GPS_FRESH_S:
        return None
    return g.fix.alt_m


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
    """Two barometers further apart than the agreement limit fail; the GPS altitude, a dissimilar
    third source, votes: ``mem["outlier"]`` is the index of the barometer farther from a fresh GPS
    altitude when the other is within the limit of it (else None: no vote, fusion keeps the higher)."""
    each = s.air.per_sensor_m
    lim = s.p["chutes.baro_disagree_m"]
    vals = [a for a in each if a is not None]
    if len(vals) < 2 or max(vals) - min(vals) <= lim:
        return True
    mem["outlier"] = mem["detail"] = None
    g_alt = fresh_gps_alt(s)
    if g_alt is not None:
        d = sorted((abs(a - g_alt), k) for k, a in enumerate(each) if a is not None)
        (d_near, k_near), (d_far, k_far) = d[0], d[-1]
        if d_near <= lim < d_far:
            mem["outlier"] = k_far
            mem["detail"] = (f"GPS {g_alt:.0f} m: baro.{k_far} {each[k_far]:.0f} m, "
                             f"baro.{k_near} {each[k_near]:.0f} m")
    return False


def gps_innovation(s, row, mem):
    fix, nav = s.gps.fix, s.nav
    if fix is None or not nav.valid or s.t_s - s.gps.t_s > 0.5:
        return True
    r = ecef_to_eci(fix.r_ecef_m, s.gps.t_s)
    d = math.dist(r, nav.r_eci_m)
    return d <= s.p["fdir.gps_max_innovation_m"]


def water_early(s, row, mem):
    """The sea cannot be reached above the arming altitude: wet there is a failed switch. Under the
    main, either altitude source (fused baro, fresh GPS) low enough is the sea (landing arms on either)."""
    if not s.water_wet:
        return True
    if s.phase is Phase.MAIN:
        lim = s.p["landing.water_arm_alt_m"] + s.p["fdir.water_margin_m"]
        alt = s.air.baro_alt_m if s.air.valid else None
        if alt is None or alt <= lim:
            return True
        g_alt = fresh_gps_alt(s)
        return g_alt is not None and g_alt <= lim
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
    """A couple commanded on in more than ``fdir.rcs_max_duty`` of a window is fighting a stuck-open
    opposing couple, is itself failed closed, or is answered backwards; the body rate tells which.

    Evidence: over two consecutive samples with both couples of an axis commanded off (the mask
    is a 10 Hz snapshot of a 50 Hz command), an angular acceleration of at least
    ``fdir.rcs_open_accel_dps2`` about it is an uncommanded torque: the couple pushing that way is
    stuck open. With couple i stuck closed nothing moves, on or off. In steady state the
    controller holds a high-duty couple on (against a stuck-open one the net torque is zero), so
    such samples may never come: then the check asks for a test, ``mem["test"] = i`` (the monitor
    task holds every thruster off) and watches the next samples; in a test the interval since the
    previous sample counts by this sample's mask alone (the hold began right after it), so a
    stuck-open couple is isolated 0.1 s into the test (about 1 deg/s of added rate).

    A failed-closed couple also leaves the rate alone while it is on. If instead, with i on in
    both samples (j off), the rate accelerates against i's torque by the same threshold, the rates
    answer the RCS backwards (a gyro axis of the wrong sign - Genesis 2004 on the rate sensor - or a
    thruster plumbed the wrong way): the attitude loop is positive feedback, nothing to keep
    flying on.

    Fails with ``mem["verdict"]`` = ``("test", i)`` (while testing), ``("open", j)`` (stuck-open
    evidence) or ``("reversed", i)`` (isolate either), ``("closed", i)`` / ``("untested", i)``
    (event only). A couple found failed closed is left out of later windows (its duty is expected)."""
    m = s.att.rcs_mask
    imu = s.imu
    prev = mem.get("prev")
    if imu.valid:
        mem["prev"] = (s.t_s, m, imu.gyro_radps)
        if prev is not None and 0.0 < s.t_s - prev[0] <= 0.25:
            # testing: the hold started right after the previous snapshot (from the next 50 Hz
            # command on), so only this sample's mask counts; >= 60 % of the interval is off
            testing = "test" in mem
            either = m if testing else m | prev[1]
            thr = math.radians(s.p["fdir.rcs_open_accel_dps2"]) * (s.t_s - prev[0])
            g0, g1 = prev[2], imu.gyro_radps
            for ax in range(3):
                bits = either >> 2 * ax & 3
                if bits == 3:
                    continue
                dw = g1[ax] - g0[ax]
                if not bits:                            # both couples off: any torque is uncommanded
                    if dw >= thr:
                        mem["open"] = mem.get("open", 0) | 1 << 2 * ax
                    elif dw <= -thr:
                        mem["open"] = mem.get("open", 0) | 2 << 2 * ax
                    if testing and ax == mem["test"] >> 1:
                        mem["test_pairs"] += 1
                elif m & prev[1] & bits << 2 * ax:      # one couple on in both, the other off in both
                    if (dw <= -thr) if bits == 1 else (dw >= thr):
                        mem["back"] = mem.get("back", 0) | bits << 2 * ax
    else:
        mem.pop("prev", None)
    i = mem.get("test")
    if i is not None:                                   # testing couple i: every thruster held off
        j = i ^ 1
        mem["test_n"] += 1
        if mem.get("open", 0) >> j & 1:
            verdict = ("open", j)
        elif mem["test_pairs"] >= RCS_TEST_PAIRS:
            verdict = ("closed", i)
            mem["closed"] = mem.get("closed", 0) | 1 << i
        elif mem["test_n"] >= RCS_TEST_MAX_N:
            verdict = ("untested", i)
        else:
            mem["verdict"] = ("test", i)
            return False
        del mem["test"]
        mem["verdict"] = verdict
        _rcs_window_reset(mem)
        return False
    counts = mem.get("on")
    if counts is None:
        counts = mem["on"] = [0] * 6
        mem["n"] = 0
    if m:
        for k in range(6):
            if m >> k & 1:
                counts[k] += 1
    n = mem["n"] = mem["n"] + 1
    if n < int(round(s.p["fdir.rcs_duty_window_s"] * 10)):
        return True
    closed = mem.get("closed", 0)
    i = max((k for k in range(6) if not closed >> k & 1), key=counts.__getitem__, default=None)
    duty = 0.0 if i is None else counts[i] / n
    open_seen, back = mem.get("open", 0), mem.get("back", 0)
    _rcs_window_reset(mem)
    if duty <= s.p["fdir.rcs_max_duty"]:
        mem.pop("verdict", None)
        return True
    mem["duty"] = duty
    if open_seen >> (i ^ 1) & 1:
        mem["verdict"] = ("open", i ^ 1)
    elif back >> i & 1:
        mem["verdict"] = ("reversed", i)
    else:
        mem["verdict"] = ("test", i)
        mem.update(test=i, test_n=0, test_pairs=0, open=0)
    return False


def _rcs_window_reset(mem):
    mem["on"] = [0] * 6
    mem["n"] = 0
    mem["open"] = mem["back"] = 0


def rcs_couple_name(k: int) -> str:
    return f"rcs.{k} ({RCS_COUPLES[k]})"


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
