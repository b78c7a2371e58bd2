"""Fault injection (ARCHITECTURE.md, scenario ``faults:``; issue 3 item 5).

Every (target family, kind) pair of ``sim.faults.APPLICABLE`` has an effect test
here: a real ``World`` from the nominal configs, the sim HAL on top of it, and the
devices read exactly as the flight code reads them (``hal.imu.read()``,
``hal.baros[i].read()``, ``hal.gps.read()``, ``hal.water.wet()``, ``hal.engine``,
``hal.pyro.fire()``, ``hal.iridium.send_sbd()``, ``hal.link.poll()``). Each read is
compared with the same read in an identical fault-free world (same seed, same
sequence of reads, so the same noise draws). ``test_every_applicable_pair_has_an_effect_test``
fails when a kind is added to APPLICABLE without a registered effect test here.

Also: fault timing (``at_s``, ``duration_s``, ``at_phase`` + ``delay_s``,
``count_started``) and input errors through ``load_scenario``.
"""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from fsw.clock import SimClock
from fsw.schema import ConfigError
from fsw.link import CommandAccepted, CommandReceiver, RejectReason
from hal.sim_backend import build_sim_hal
from sim.ground_station import SimGroundStation
from sim.earth import enu_axes
from sim.faults import APPLICABLE, FAULT_TARGETS, FaultSchedule, check_fault, family
from sim.scenario import FAULT, load_scenario
from sim.vehicle import vehicle_from_config
from sim.world import World
from tools.sil import TICK_S

ROOT = Path(__file__).resolve().parents[2]
NOMINAL = ROOT / "config" / "scenarios" / "nominal.yaml"
EDL = ROOT / "config" / "scenarios" / "edl.yaml"
SC = load_scenario(str(NOMINAL))
SEED = 11

#: Free flight in orbit just after separation (tip-off rates; motor loaded).
ORBIT = SC.start
#: Low and slow in the atmosphere: baros in range, GPS visible, drag, Iridium antenna clear; Mach
#: 0.44 and q 2.6 kPa, inside every canopy's rating (config/vehicle.yaml fail_mach, fail_q_pa).
LOW = {"kind": "entry_interface", "alt_m": 12_000.0, "speed_mps": 130.0, "fpa_deg": -40.0,
       "heading_deg": 90.0, "lat_deg": -20.0, "lon_deg": 170.0}
#: Body rates given to the LOW capsule so every IMU axis carries a moving signal, rad/s.
LOW_RATES = (0.4, 0.3, -0.25)
#: A few metres above the sea, falling: splashes within a second.
SPLASH = {**LOW, "alt_m": 15.0, "speed_mps": 20.0, "fpa_deg": -80.0}


# ---- harness ---------------------------------------------------------------------------
def spec(target: str, kind: str, **kw) -> dict:
    """A fault entry as load_scenario returns it (schema defaults, checked)."""
    if "at_phase" not in kw:
        kw.setdefault("at_s", 0.0)
    f = FAULT.validate({"target": target, "kind": kind, **kw}, "faults[0]")
    check_fault(f)
    return f


def make(faults=(), start=LOW, commands=(), seed=SEED):
    """A world from the nominal configs and the sim HAL bound to it."""
    w = World(vehicle_from_config(SC.vehicle), SC.hardware, SC.environment, start,
              SC.mission["station_orbit"], seed, faults=[spec(**f) for f in faults])
    if start is LOW:
        w.s[10:13] = list(LOW_RATES)
        w._truth = None
    return w, build_sim_hal(w, SimGroundStation(key=KEY, commands=list(commands)).due)


def tick(w: World, t: float, *more: World) -> None:
    """Advance to t as the SIL executive does: base ticks of TICK_S, and at each tick
    the actuator faults active now are set before the flight code runs, which refreshes
    the engine arm relay's dead-man every tick."""
    for w in (w, *more):
        k = math.floor(w.t / TICK_S + 1e-6) + 1
        while k * TICK_S < t - 1e-9:
            w.engine.refresh(w.t)
            w.advance_to(k * TICK_S)
            w.apply_actuator_faults()
            k += 1
        w.engine.refresh(w.t)
        w.advance_to(t)
        w.apply_actuator_faults()


def body_drag_n(w: World) -> float:
    """Magnitude of the aerodynamic force on the capsule (capsule plus canopies), N."""
    f = w.dyn.forces(w.t, w.s)
    return math.sqrt(f[11] ** 2 + f[12] ** 2 + f[13] ** 2)


def capsule_only_drag_n(w: World) -> float:
    """The same without any canopy."""
    d = w.dyn
    saved = d.drogue_deploy_t_s, d.main_deploy_t_s
    d.drogue_deploy_t_s = d.main_deploy_t_s = None
    try:
        return body_drag_n(w)
    finally:
        d.drogue_deploy_t_s, d.main_deploy_t_s = saved


def norm(v) -> float:
    return math.sqrt(sum(c * c for c in v))


#: (family, kind) -> [pytest.param(check, target)]
EFFECT_CHECKS: dict[tuple[str, str], list] = {}


def effect(fam: str, kind: str, targets):
    """Register an effect test for one (family, kind) pair, run once per target."""
    def register(fn):
        for target in targets:
            assert family(target) == fam, target
            EFFECT_CHECKS.setdefault((fam, kind), []).append(pytest.param(fn, target, id=f"{target}:{kind}"))
        return fn
    return register


# ---- IMU -----------------------------------------------------------------------------------
IMU_TARGETS = [t for t in FAULT_TARGETS if family(t) == "imu"]
T_READ = 0.5
#: Extra noise for the 'noise' kind: 50 times the sensor's own (config/sil.yaml).
IMU_NOISE = {"accel_mps2": 0.2, "gyro_radps": 0.01}


def imu_field(target: str) -> str:
    return "accel_mps2" if target.startswith("imu.accel") else "gyro_radps"


def imu_axes(target: str) -> tuple[int, ...]:
    parts = target.split(".")
    return (0, 1, 2) if len(parts) == 2 else ("xyz".index(parts[2]),)


def imu_pair(target: str, kind: str, t: float = T_READ, **kw):
    """(faulted, clean) IMU samples at t: the flight code's read in both worlds."""
    out = []
    for faults in ([{"target": target, "kind": kind, **kw}], []):
        w, hal = make(faults)
        tick(w, t)
        out.append(hal.imu.read())
    return out


def imu_check(target, kind, value, expect):
    f, c = imu_pair(target, kind, value=value)
    assert f.valid and c.valid
    fld, axes = imu_field(target), imu_axes(target)
    fv, cv = getattr(f, fld), getattr(c, fld)
    for i in range(3):
        if i in axes:
            assert abs(cv[i]) > 1e-4, "test needs a non-zero reading"
            assert fv[i] == pytest.approx(expect(cv[i]), rel=1e-12, abs=1e-15), (i, fv, cv)
        else:
            assert fv[i] == cv[i], f"axis {i} must be untouched by {target}"
    other = "gyro_radps" if fld == "accel_mps2" else "accel_mps2"
    assert getattr(f, other) == getattr(c, other), "the other sensor must be untouched"


@effect("imu", "bias", IMU_TARGETS)
def imu_bias(target):
    imu_check(target, "bias", 0.5, lambda c: c + 0.5)


@effect("imu", "scale", IMU_TARGETS)
def imu_scale(target):
    imu_check(target, "scale", 1.7, lambda c: c * 1.7)


@effect("imu", "invert", IMU_TARGETS)
def imu_invert(target):
    """Genesis: the flight code reads the opposite sign, on the faulted axes only."""
    f, c = imu_pair(target, "invert")
    fld, axes = imu_field(target), imu_axes(target)
    fv, cv = getattr(f, fld), getattr(c, fld)
    for i in range(3):
        assert abs(cv[i]) > 1e-4
        if i in axes:
            assert fv[i] == -cv[i] and math.copysign(1, fv[i]) != math.copysign(1, cv[i])
        else:
            assert fv[i] == cv[i]


@effect("imu", "saturate", IMU_TARGETS)
def imu_saturate(target):
    fld, axes = imu_field(target), imu_axes(target)
    (c,) = imu_pair(target, "bias", value=0.0)[1:]
    cv = getattr(c, fld)
    lim = 0.5 * max(abs(cv[i]) for i in axes)
    f, _ = imu_pair(target, "saturate", value=lim)
    fv = getattr(f, fld)
    assert max(abs(fv[i]) for i in axes) == pytest.approx(lim), "at least one axis is clipped"
    for i in range(3):
        if i in axes:
            assert fv[i] == max(-lim, min(lim, cv[i]))
            assert abs(fv[i]) <= lim
        else:
            assert fv[i] == cv[i]


@effect("imu", "stuck", IMU_TARGETS)
def imu_stuck(target):
    """The reading freezes at its value at fault start while the truth moves on."""
    fld, axes = imu_field(target), imu_axes(target)
    (wf, hf), (wc, hc) = make([{"target": target, "kind": "stuck", "at_s": 0.5}]), make()
    for h in (hf, hc):
        h.rcs.command(0b010101)          # +x, +y, +z couples: every body rate keeps changing
    reads = {}
    for t in (0.25, 0.5, 1.0, 2.0):
        tick(wf, t, wc)
        reads[t] = getattr(hf.imu.read(), fld), getattr(hc.imu.read(), fld)
    assert reads[0.25][0] == reads[0.25][1], "not active before at_s"
    frozen = reads[0.5][0]
    assert frozen == reads[0.5][1], "frozen at the value read at fault start"
    for t in (1.0, 2.0):
        fv, cv = reads[t]
        for i in range(3):
            if i in axes:
                assert fv[i] == frozen[i]
                assert abs(cv[i] - frozen[i]) > 1e-3, "the clean sensor moved"
            else:
                assert fv[i] == cv[i]


@effect("imu", "dropout", IMU_TARGETS)
def imu_dropout(target):
    f, c = imu_pair(target, "dropout")
    assert c.valid is True
    assert f.valid is False


@effect("imu", "noise", IMU_TARGETS)
def imu_noise(target):
    """Extra scatter of the given 1-sigma on the faulted axes (400 reads at one instant)."""
    fld, axes = imu_field(target), imu_axes(target)
    sigma = IMU_NOISE[fld]
    (wf, hf), (wc, hc) = make([{"target": target, "kind": "noise", "value": sigma}]), make()
    tick(wf, T_READ, wc)
    fs = [getattr(hf.imu.read(), fld) for _ in range(400)]
    cs = [getattr(hc.imu.read(), fld) for _ in range(400)]
    for i in range(3):
        sf = statistics.pstdev(v[i] for v in fs)
        sc = statistics.pstdev(v[i] for v in cs)
        assert sc < 0.1 * sigma
        if i in axes:
            assert 0.85 * sigma < sf < 1.15 * sigma, (i, sf)
            mf, mc = statistics.fmean(v[i] for v in fs), statistics.fmean(v[i] for v in cs)
            assert abs(mf - mc) < 5 * sigma / math.sqrt(400), "noise, not a bias"
        else:
            assert sf < 0.1 * sigma, f"axis {i} must not get the extra noise"


# ---- barometers ------------------------------------------------------------------------------
BARO_TARGETS = [t for t in FAULT_TARGETS if family(t) == "baro"]


def baro_reads(target, faults, times=(T_READ,)):
    """Per time: (faulted baro, other baro) pressures and validity; the other is read first."""
    i = int(target.split(".")[1])
    w, hal = make(faults)
    out = []
    for t in times:
        tick(w, t)
        other = hal.baros[1 - i].read()
        mine = hal.baros[i].read()
        out.append((mine, other))
    return out


def baro_check(target, kind, value, expect):
    ((f, fo),) = baro_reads(target, [{"target": target, "kind": kind, "value": value}])
    ((c, co),) = baro_reads(target, [])
    assert f.valid and c.valid
    assert 5_000 < c.pressure_pa < 100_000
    assert f.pressure_pa == pytest.approx(expect(c.pressure_pa), rel=1e-12)
    assert (fo.pressure_pa, fo.valid) == (co.pressure_pa, co.valid), "the other barometer is untouched"


@effect("baro", "bias", BARO_TARGETS)
def baro_bias(target):
    baro_check(target, "bias", 500.0, lambda p: p + 500.0)


@effect("baro", "scale", BARO_TARGETS)
def baro_scale(target):
    baro_check(target, "scale", 0.8, lambda p: 0.8 * p)


@effect("baro", "saturate", BARO_TARGETS)
def baro_saturate(target):
    ((c, _),) = baro_reads(target, [])
    lim = 0.5 * c.pressure_pa
    baro_check(target, "saturate", lim, lambda p: min(p, lim))


@effect("baro", "stuck", BARO_TARGETS)
def baro_stuck(target):
    times = (0.25, 0.5, 2.0, 4.0)
    f = baro_reads(target, [{"target": target, "kind": "stuck", "at_s": 0.5}], times)
    c = baro_reads(target, [], times)
    assert f[0] == c[0] and f[1] == c[1]
    frozen = f[1][0].pressure_pa
    for k in (2, 3):
        assert f[k][0].pressure_pa == frozen
        assert c[k][0].pressure_pa > frozen + 100.0, "the capsule descended: true pressure rose"
        assert f[k][1] == c[k][1]


@effect("baro", "dropout", BARO_TARGETS)
def baro_dropout(target):
    ((f, fo),) = baro_reads(target, [{"target": target, "kind": "dropout"}])
    ((c, co),) = baro_reads(target, [])
    assert c.valid is True and f.valid is False
    assert fo == co


@effect("baro", "noise", BARO_TARGETS)
def baro_noise(target):
    i = int(target.split(".")[1])
    sigma = 300.0                                   # the sensor's own: 3 Pa
    (wf, hf), (wc, hc) = make([{"target": target, "kind": "noise", "value": sigma}]), make()
    tick(wf, T_READ, wc)
    fs = [hf.baros[i].read().pressure_pa for _ in range(400)]
    cs = [hc.baros[i].read().pressure_pa for _ in range(400)]
    assert statistics.pstdev(cs) < 10.0
    assert 0.85 * sigma < statistics.pstdev(fs) < 1.15 * sigma
    assert abs(statistics.fmean(fs) - statistics.fmean(cs)) < 5 * sigma / 20
    assert statistics.pstdev(hf.baros[1 - i].read().pressure_pa for _ in range(100)) < 10.0


# ---- GPS -----------------------------------------------------------------------------------
#: LOW world: visible from t = 0, first fix after the reacquisition time ttff_s (the cold
#: start is set to it below: the LOW capsule would reach the sea before a 210 s cold start;
#: these checks are about the faults, tests/sim/test_sensors.py about the cold start).
T_FIX = SC.hardware["gps"]["ttff_s"] + 1.0


def gps_worlds(faults):
    (wf, hf), (wc, hc) = make(faults), make()
    for w, h in ((wf, hf), (wc, hc)):
        w.gps.cold_start_s = w.gps.ttff_s
        w.gps.max_accel_mps2 = math.inf     # the LOW capsule decelerates at over 4 g at first
        h.gps.read()                     # the receiver starts tracking at t = 0
        tick(w, T_FIX)
    return hf, hc


@effect("gps", "bias", ["gps"])
def gps_bias(target):
    """Offset north (metres) in lat/lon/alt and in the ECEF position the navigation filter uses."""
    hf, hc = gps_worlds([{"target": target, "kind": "bias", "value": 500.0}])
    f, c = hf.gps.read(), hc.gps.read()
    assert c.valid and f.valid
    assert (f.lat_deg - c.lat_deg) * 111_195.0 == pytest.approx(500.0, rel=1e-6)
    assert f.lon_deg == pytest.approx(c.lon_deg, abs=1e-12)
    assert f.alt_m == pytest.approx(c.alt_m, abs=1e-6)
    dr = [a - b for a, b in zip(f.r_ecef_m, c.r_ecef_m)]
    _, north, _ = enu_axes(c.lat_deg, c.lon_deg)
    assert norm(dr) == pytest.approx(500.0, rel=1e-6)
    assert sum(a * b for a, b in zip(dr, north)) == pytest.approx(500.0, rel=1e-6)
    assert f.v_ecef_mps == c.v_ecef_mps


@effect("gps", "dropout", ["gps"])
def gps_dropout(target):
    hf, hc = gps_worlds([{"target": target, "kind": "dropout"}])
    assert hc.gps.read().valid is True
    assert hf.gps.read().valid is False


@effect("gps", "noise", ["gps"])
def gps_noise(target):
    sigma = 300.0                                  # the receiver's own: 4 m
    hf, hc = gps_worlds([{"target": target, "kind": "noise", "value": sigma}])
    fs, cs = [hf.gps.read() for _ in range(300)], [hc.gps.read() for _ in range(300)]
    assert all(x.valid for x in fs + cs)
    _, north, up = enu_axes(cs[0].lat_deg, cs[0].lon_deg)

    def scatter(fixes, axis):
        return statistics.pstdev(sum(a * b for a, b in zip(x.r_ecef_m, axis)) for x in fixes)

    for axis in (north, up):
        assert scatter(cs, axis) < 10.0
        assert 0.8 * sigma < scatter(fs, axis) < 1.2 * sigma, "the ECEF position the filter uses scatters"
    assert 0.8 * sigma < statistics.pstdev(x.lat_deg * 111_195.0 for x in fs) < 1.2 * sigma
    assert statistics.pstdev(x.lat_deg * 111_195.0 for x in cs) < 10.0


# ---- water switch ------------------------------------------------------------------------------
def water_timeline(faults, times):
    w, hal = make(faults, start=SPLASH)
    out = []
    for t in times:
        tick(w, t)
        out.append((w.splash is not None, hal.water.wet()))
    return out


# ---- star tracker ------------------------------------------------------------------------------
def star_worlds(faults):
    """Faulted and clean worlds in orbit, rates held at zero, past the tracker's acquisition."""
    out = []
    for f in (faults, ()):
        w, h = make(f, start=ORBIT)
        w.s[10:13] = [0.0, 0.0, 0.0]
        w._truth = None
        t_acq = SC.hardware["star_tracker"]["acquire_s"] + 1.0
        for k in range(1, int(t_acq / TICK_S) + 1):
            w.t = k * TICK_S                    # attitude held: time advanced for the tracker only
            w._truth = None
            h.star_tracker.read()
        out.append((w, h))
    return out


def _qmul(a, b):
    from sim.star_tracker import quat_mul as qmul
    return qmul(a, b)


def _angle_deg(qa, qb) -> float:
    d = abs(sum(a * b for a, b in zip(qa, qb)))
    return math.degrees(2.0 * math.acos(min(1.0, d)))


def _next(w, h):
    w.t += 1.0
    w._truth = None
    return h.star_tracker.read()


@effect("startracker", "dropout", ["startracker"])
def star_dropout(target):
    (wf, hf), (wc, hc) = star_worlds([{"target": target, "kind": "dropout"}])
    assert _next(wc, hc).valid is True
    assert _next(wf, hf).valid is False


@effect("startracker", "bias", ["startracker"])
def star_bias(target):
    """A rotation of value deg about body y: the solution is that far from the clean one."""
    (wf, hf), (wc, hc) = star_worlds([{"target": target, "kind": "bias", "value": 2.0}])
    f, c = _next(wf, hf), _next(wc, hc)
    assert f.valid and c.valid
    assert _angle_deg(f.q_body_eci, c.q_body_eci) == pytest.approx(2.0, abs=0.01)


@effect("startracker", "noise", ["startracker"])
def star_noise(target):
    (wf, hf), (wc, hc) = star_worlds([{"target": target, "kind": "noise", "value": 1.0}])
    fs = [_angle_deg(_next(wf, hf).q_body_eci, wf.s[6:10]) for _ in range(200)]
    cs = [_angle_deg(_next(wc, hc).q_body_eci, wc.s[6:10]) for _ in range(200)]
    assert max(cs) < 0.05                     # the tracker's own: arcseconds
    # Three axes of 1 deg: the rotation angle has a chi(3) distribution, mean 1.60 deg.
    assert 1.4 < statistics.fmean(fs) < 1.8


@effect("startracker", "stuck", ["startracker"])
def star_stuck(target):
    """The last solution repeated with fresh times while the capsule turns."""
    t_stuck = SC.hardware["star_tracker"]["acquire_s"] + 1.5      # after acquisition
    (wf, hf), _ = star_worlds([{"target": target, "kind": "stuck", "at_s": t_stuck}])
    first = _next(wf, hf)
    assert first.valid
    wf.s[6:10] = list(_qmul(tuple(wf.s[6:10]), (0.9998477, 0.0174524, 0.0, 0.0)))   # turned 2 deg about x
    later = _next(wf, hf)
    assert later.valid and later.t_s > first.t_s and later.q_body_eci == first.q_body_eci


@effect("water", "stuck_open", ["water"])
def water_stuck_open(target):
    """Floating, yet the switch reads dry."""
    times = (0.1, 3.0, 5.0)
    f = water_timeline([{"target": target, "kind": "stuck_open"}], times)
    c = water_timeline([], times)
    assert c == [(False, False), (True, True), (True, True)]
    assert f == [(False, False), (True, False), (True, False)]


@effect("water", "stuck_closed", ["water"])
def water_stuck_closed(target):
    """Still falling, yet the switch reads wet."""
    times = (0.05, 0.1, 3.0)
    f = water_timeline([{"target": target, "kind": "stuck_closed", "at_s": 0.1}], times)
    c = water_timeline([], times)
    assert c == [(False, False), (False, False), (True, True)]
    assert f == [(False, False), (False, True), (True, True)]


@effect("water", "transient", ["water"])
def water_transient(target):
    """Mars Polar Lander: a spurious 'wet' for duration_s only, high above the sea."""
    times = (0.05, 0.1, 0.2, 0.28, 0.3, 0.4)
    f = water_timeline([{"target": target, "kind": "transient", "at_s": 0.1, "duration_s": 0.2}], times)
    c = water_timeline([], times)
    assert [s for s, _ in c] == [False] * len(times)
    assert [x for _, x in c] == [False] * len(times)
    assert [x for _, x in f] == [False, True, True, True, False, False]


# ---- engine ----------------------------------------------------------------------------------
def burn(faults, t_end=0.7):
    """Arm and ignite at 0.1 s as the deorbit task does; state at t_end (delay 0.3 s)."""
    w, hal = make(faults, start=ORBIT)
    tick(w, 0.1)
    hal.engine.arm(True)
    assert hal.engine.ignite() is True, "the command is accepted: the fault is in the motor"
    tick(w, t_end)
    return w, hal.engine.status(), hal.imu.read()


@effect("engine", "no_ignition", ["engine"])
def engine_no_ignition(target):
    """Inversion Ray: no thrust after the ignition delay; the chamber pressure sensor reads 0."""
    wf, sf, imf = burn([{"target": target, "kind": "no_ignition"}], t_end=5.0)
    wc, sc, imc = burn([], t_end=5.0)
    assert sc.chamber_pressure_pa > 1e6 and wc.engine.thrust_n() > 0 and wc.burn_dv_mps > 5.0
    assert imc.accel_mps2[0] > 2.0
    assert sf.armed and sf.chamber_pressure_pa == 0.0
    assert wf.engine.thrust_n() == 0.0 and wf.burn_dv_mps == 0.0
    assert abs(imf.accel_mps2[0]) < 0.05, "the flight code's accelerometer sees no thrust"


@effect("engine", "underperform", ["engine"])
def engine_underperform(target):
    wf, sf, imf = burn([{"target": target, "kind": "underperform", "value": 0.6}])
    wc, sc, imc = burn([])
    assert wc.engine.thrust_n() > 200.0
    assert wf.engine.thrust_n() == pytest.approx(0.6 * wc.engine.thrust_n())
    assert sf.chamber_pressure_pa == pytest.approx(0.6 * sc.chamber_pressure_pa)
    assert imf.accel_mps2[0] == pytest.approx(0.6 * imc.accel_mps2[0], rel=0.01)
    assert wf.burn_dv_mps == pytest.approx(0.6 * wc.burn_dv_mps, rel=0.01)


@effect("engine", "stuck_open", ["engine"])
def engine_stuck_open(target):
    """The main valve does not close on shutdown: the motor thrusts on (the IMU senses it,
    the chamber pressure and the valve read it back) until disarming closes the
    isolation valve -- the flight software's response."""
    runs = []
    for faults in ([{"target": target, "kind": "stuck_open"}], []):
        w, hal = make(faults, start=ORBIT)
        tick(w, 0.1)
        hal.engine.arm(True)
        assert hal.engine.ignite() is True
        tick(w, 1.0)
        dv_on = w.burn_dv_mps
        hal.engine.shutdown()
        tick(w, 2.0)
        shut = (hal.engine.status(), hal.imu.read().accel_mps2[0], w.burn_dv_mps - dv_on,
                w.engine.thrust_n() / w.s[13])
        hal.engine.arm(False)
        dv_disarm = w.burn_dv_mps
        tick(w, 3.0)
        disarmed = (hal.engine.status(), hal.imu.read().accel_mps2[0], w.burn_dv_mps - dv_disarm)
        runs.append((w, shut, disarmed))
    (wf, (sf, af, dvf, a_thrust), (df, adf, ddvf)), (wc, (sc, ac, dvc, _), _) = runs
    assert sc.chamber_pressure_pa == 0.0 and not sc.valve_open and abs(ac) < 0.05 and dvc == 0.0
    assert sf.chamber_pressure_pa > 1e6 and sf.valve_open and sf.armed, "still burning after shutdown"
    assert af > 2.0, "the flight code's accelerometer senses the thrust"
    assert a_thrust > 5.0 and dvf == pytest.approx(a_thrust * 1.0, rel=0.01), "a second of full thrust"
    assert df.chamber_pressure_pa == 0.0 and not df.valve_open and not df.armed
    assert abs(adf) < 0.05 and ddvf == 0.0, "disarmed: the isolation valve stopped the flow"
    assert [e for _, e, _ in wf.engine.log] == ["ignition", "onset", "stuck", "shutdown"]
    assert wf.engine.log[-1][0] == pytest.approx(2.0) and "isolation valve" in wf.engine.log[-1][2]


def test_engine_stuck_open_burns_to_depletion_without_a_disarm():
    """Left armed, a stuck-open motor burns all its propellant (about 21 s at 250 N)."""
    w, hal = make([{"target": "engine", "kind": "stuck_open"}], start=ORBIT)
    tick(w, 0.1)
    hal.engine.arm(True)
    hal.engine.ignite()
    tick(w, 2.0)
    hal.engine.shutdown()
    tick(w, 30.0)
    v = w.vehicle
    assert w.engine.propellant_kg == 0.0 and hal.engine.status().chamber_pressure_pa == 0.0
    assert w.engine.log[-1][1:] == ("shutdown", "propellant depleted")
    m0 = v.initial_mass_kg
    rocket = v.isp_s * 9.80665 * math.log(m0 / (m0 - v.deorbit_propellant_kg))
    assert w.burn_dv_mps == pytest.approx(rocket, rel=1e-3) and w.burn_dv_mps > 120.0


# ---- RCS -----------------------------------------------------------------------------------
@effect("rcs", "stuck_open", [f"rcs.{i}" for i in range(6)])
def rcs_stuck_open(target):
    """With nothing commanded, that couple spins the capsule up about its axis and uses gas,
    until the latch valve closes: then no couple acts, not even a commanded one; reopened,
    the stuck couple fires again."""
    n = int(target.split(".")[1])
    ax, sign = n // 2, (1.0 if n % 2 == 0 else -1.0)
    other = (n + 2) % 6
    runs = []
    for faults in ([{"target": target, "kind": "stuck_open"}], []):
        w, hal = make(faults, start=ORBIT)
        tick(w, 0.0)
        hal.rcs.command(0)
        rates, gas = [], []
        for action, t in ((lambda: None, 1.0), (lambda: (hal.rcs.latch(False), hal.rcs.command(1 << other)), 2.0),
                          (lambda: (hal.rcs.command(0), hal.rcs.latch(True)), 3.0)):
            action()
            w0, g0 = hal.imu.read().gyro_radps, w.rcs.propellant_kg
            tick(w, t)
            rates.append([a - b for a, b in zip(hal.imu.read().gyro_radps, w0)])
            gas.append(g0 - w.rcs.propellant_kg)
        runs.append((rates, gas))
    (rf, gf), (rc, gc) = runs
    one_s = 2 * wc_gas_rate()
    assert gc == [0.0, 0.0, 0.0], "clean: nothing commanded, nothing used"
    assert gf[0] == pytest.approx(one_s, rel=1e-6) and gf[2] == pytest.approx(one_s, rel=1e-6)
    assert gf[1] == 0.0, "latch closed: no gas, even for the commanded couple"
    for k in (0, 2):
        assert sign * (rf[k][ax] - rc[k][ax]) > 0.05, "the stuck couple spins the capsule up"
    assert all(abs(rf[1][i] - rc[1][i]) < 0.005 for i in range(3)), "latch closed: no torque at all"
    assert all(abs(c) < 0.02 for c in rc[1]), "clean, latch closed: the commanded couple does nothing"


def wc_gas_rate() -> float:
    """Gas flow of one open couple (two thrusters), kg/s."""
    v = vehicle_from_config(SC.vehicle)
    return v.rcs_thruster_force_n / (v.rcs_isp_s * 9.80665)


@effect("rcs", "stuck_closed", [f"rcs.{i}" for i in range(6)])
def rcs_stuck_closed(target):
    """That couple's torque is absent; another couple on another axis still works."""
    n = int(target.split(".")[1])
    other = (n + 2) % 6
    ax_n, ax_o = n // 2, other // 2
    dw = []
    for faults in ([{"target": target, "kind": "stuck_closed"}], []):
        w, hal = make(faults, start=ORBIT)
        tick(w, 0.0)
        g0 = hal.imu.read().gyro_radps
        hal.rcs.command(1 << n | 1 << other)
        tick(w, 1.0)
        g1 = hal.imu.read().gyro_radps
        dw.append([a - b for a, b in zip(g1, g0)])
        tq = w.rcs.torque_nm()
        if faults:
            assert tq[ax_n] == 0.0 and tq[ax_o] != 0.0
    (f, c) = dw
    sign = 1.0 if n % 2 == 0 else -1.0
    assert sign * c[ax_n] > 0.05, "clean: the couple spins the capsule up"
    assert abs(f[ax_n]) < 0.05 * abs(c[ax_n]), "faulted: no spin-up on its axis"
    assert f[ax_o] == pytest.approx(c[ax_o], rel=0.05)


# ---- pyros -----------------------------------------------------------------------------------
def fire_in_both(faults, channels, t_fire=0.1, t_end=1.5):
    """Fire channels in order (0.4 s apart) in the faulted and the clean world."""
    out = []
    for fl in (faults, []):
        w, hal = make(fl)
        hal.pyro.arm(True)
        t = t_fire
        for ch in channels:
            tick(w, t)
            assert hal.pyro.fire(ch) is True, "the firing pulse is sent"
            t += 0.4
        tick(w, t_end)
        out.append((w, hal))
    return out


@effect("pyro", "no_fire", [t for t in FAULT_TARGETS if family(t) == "pyro"])
def pyro_no_fire(target):
    ch = target.split(".")[1]
    seq = ["main", "main_release"] if ch == "main_release" else [ch]
    (wf, hf), (wc, hc) = fire_in_both([{"target": target, "kind": "no_fire"}], seq)
    assert [c for _, c in wf.pyro.log] == seq == [c for _, c in wc.pyro.log], "pulses logged in both"
    assert wc.pyro.fired(ch) and not wf.pyro.fired(ch)
    df, dc = wf.dyn, wc.dyn
    if ch == "drogue":
        assert dc.drogue_deploy_t_s is not None and df.drogue_deploy_t_s is None
        assert wc.truth().load_g > 1.2 * wf.truth().load_g, "the drogue's drag is missing"
        assert norm(hc.imu.read().accel_mps2) > 1.2 * norm(hf.imu.read().accel_mps2)
    elif ch == "main":
        assert dc.main_deploy_t_s is not None and df.main_deploy_t_s is None
        assert wc.truth().load_g > 2.0 * wf.truth().load_g
    elif ch == "main_release":
        assert dc.main_deploy_t_s is None, "clean: the main is cut away"
        assert df.main_deploy_t_s is not None, "faulted: the main stays attached"
        assert body_drag_n(wf) > 3.0 * body_drag_n(wc)
    else:
        assert wc.float_inflated is True and wf.float_inflated is False


# ---- chutes ----------------------------------------------------------------------------------
@effect("chute", "no_inflate", ["chute.drogue", "chute.main"])
def chute_no_inflate(target):
    """The pyro fires and the canopy is out, but its drag is absent."""
    ch = target.split(".")[1]
    runs = []
    for faults in ([{"target": target, "kind": "no_inflate"}], []):
        w, hal = make(faults)
        t_end = 0.1 + getattr(w.vehicle, ch).inflation_s + 0.4
        hal.pyro.arm(True)
        tick(w, 0.1)
        assert hal.pyro.fire(ch) is True
        v0, peak, t = w.truth().speed_mps, 0.0, 0.1
        while t < t_end - 1e-9:
            t += TICK_S
            tick(w, t)
            peak = max(peak, norm(hal.imu.read().accel_mps2))     # what the flight code senses
        runs.append((w, v0 - w.truth().speed_mps, peak))
    (wf, dv_f, peak_f), (wc, dv_c, peak_c) = runs
    deployed = "drogue_deploy_t_s" if ch == "drogue" else "main_deploy_t_s"
    assert getattr(wf.dyn, deployed) == pytest.approx(0.1), "the canopy was deployed"
    assert wf.pyro.fired(ch)
    assert body_drag_n(wf) == pytest.approx(capsule_only_drag_n(wf), rel=1e-12), "no canopy drag"
    assert body_drag_n(wc) > 1.5 * capsule_only_drag_n(wc), "clean: the canopy adds drag"
    assert dv_c > 1.3 * dv_f, "clean: the canopy slows the capsule more"
    assert peak_c > 1.3 * peak_f, "clean: the accelerometer senses the opening load"


# ---- Iridium -------------------------------------------------------------------------------
@effect("iridium", "dropout", ["iridium"])
def iridium_dropout(target):
    """No network: MO status 32 on every session and no bars, until the fault ends."""
    (wf, hf), (wc, hc) = make([{"target": target, "kind": "dropout", "duration_s": 1.0}]), make()
    tick(wf, T_READ, wc)
    assert hc.iridium.signal_bars() >= 2
    assert hf.iridium.signal_bars() == 0
    fs = [hf.iridium.send_sbd(b"pos") for _ in range(20)]
    cs = [hc.iridium.send_sbd(b"pos") for _ in range(20)]
    assert any(r.sent for r in cs) and wc.iridium.delivered
    assert [r.mo_status for r in fs] == [32] * 20 and not any(r.sent for r in fs)
    assert wf.iridium.delivered == [] and wf.iridium.attempts == 20
    tick(wf, 1.5)
    assert any(hf.iridium.send_sbd(b"pos").sent for _ in range(20)), "works again after duration_s"


# ---- link ------------------------------------------------------------------------------------
KEY = bytes(range(32))          # a test key; the SIL generates one per run
UPLINK = [(0.2, "NOOP", {}), (0.6, "DEORBIT_GO", {"ignition_t_s": 5000.0})]


def received(rx: CommandReceiver, data: bytes) -> list:
    """Uplink octets through the flight's real receiver -> accepted names / rejection reasons."""
    return [ev.name if isinstance(ev, CommandAccepted) else ev.reason_code for ev in rx.feed(data)]


# ---- serial lines (HIL) ----------------------------------------------------------------------
WIRE_TARGETS = [t for t in FAULT_TARGETS if family(t) == "wire"]


def wire_run(target, kind, value=None):
    """One line through sim/boards/wire_faults.py for 1 s, a 16-byte chunk each 0.1 s, with the
    fault active from 0.3 s to 0.6 s: what arrived, by time, at the far end."""
    import random

    from hal.wire import wire_pair
    from sim.boards.wire_faults import FaultyLine
    sched = FaultSchedule.from_specs([{"target": target, "kind": kind, "at_s": 0.3, "at_phase": None,
                                       "delay_s": 0.0, "duration_s": 0.3, "value": value}])
    a, b = wire_pair()
    line = FaultyLine(a, sched, target, random.Random(3))
    got = []
    for k in range(11):
        t = round(k * 0.1, 9)
        line.write(bytes([k]) * 16, t)
        got.append((t, b.poll(t)))
    return got


def _clean(k):
    return bytes([k]) * 16


@effect("wire", "dropout", WIRE_TARGETS)
def wire_dropout(target):
    got = wire_run(target, "dropout")
    assert [d for _, d in got] == [_clean(k) if not 3 <= k <= 5 else b"" for k in range(11)]


@effect("wire", "corrupt", WIRE_TARGETS)
def wire_corrupt(target):
    got = wire_run(target, "corrupt")
    for k, (_, d) in enumerate(got):
        diff = sum(bin(x ^ y).count("1") for x, y in zip(d, _clean(k)))
        assert len(d) == 16 and diff == (1 if 3 <= k <= 5 else 0), (k, d)


@effect("wire", "delay", WIRE_TARGETS)
def wire_delay(target):
    """Chunks 3-5 (written inside the fault) are held 0.25 s; later chunks wait behind them."""
    got = dict(wire_run(target, "delay", 0.25))
    assert [got[t] for t in (0.3, 0.4, 0.5)] == [b"", b"", b""]
    assert got[0.6] == _clean(3) and got[0.7] == _clean(4)
    assert got[0.8] == _clean(5) + _clean(6) + _clean(7) + _clean(8) and got[0.9] == _clean(9)
    assert b"".join(got.values()) == b"".join(_clean(k) for k in range(11))     # nothing lost, in order


@effect("wire", "stuck", WIRE_TARGETS)
def wire_stuck(target):
    got = wire_run(target, "stuck")
    assert [d for _, d in got] == [bytes(16) if 3 <= k <= 5 else _clean(k) for k in range(11)]


@effect("link", "dropout", ["link.uplink"])
def link_dropout(target):
    """Commands uplinked during the dropout are lost; later ones arrive."""
    got = []
    for faults in ([{"target": target, "kind": "dropout", "duration_s": 0.4}], []):
        w, hal = make(faults, start=ORBIT, commands=UPLINK)
        rx = CommandReceiver(KEY)
        polled = []
        for t in (0.1, 0.2, 0.3, 0.6, 1.0):
            tick(w, t)
            polled.append(received(rx, hal.link.read()))
        got.append(polled)
    assert got[1] == [[], ["NOOP"], [], ["DEORBIT_GO"], []]
    assert got[0] == [[], [], [], ["DEORBIT_GO"], []]


@effect("link", "corrupt", ["link.uplink"])
def link_corrupt(target):
    """A corrupted frame fails its CRC: counted and reported by an event (no ACK: nothing in it
    can be trusted), never executed."""
    from fsw.app import FlightApp
    from fsw.phases import Phase
    for faults, ok in (([{"target": target, "kind": "corrupt", "duration_s": 0.4}], False), ([], True)):
        w, hal = make(faults, start=ORBIT, commands=UPLINK)
        clock = SimClock()
        events = []
        app = FlightApp(hal, clock, SC.mission["params"], KEY, power_on_phase=Phase.SEPARATED,
                        event_sinks=[events.append])
        cmds = app.tasks["commands"]
        tick(w, 0.2)
        clock.advance_to(0.2)
        cmds.run(0.2)
        names = [e.name for e in events if e.name.startswith("CMD_")]
        if ok:
            assert names == ["CMD_ACCEPTED", "CMD_COMPLETED"] and cmds.accepted == 1
        else:
            assert names == [] and cmds.accepted == 0 and cmds.link_rejects == 1
            assert [e.name for e in events if e.name.startswith("LINK_")] == ["LINK_FRAME_REJECTED"]
            assert cmds.receiver.counts[RejectReason.BAD_FRAME.value] == 1
        tick(w, 0.6)
        clock.advance_to(0.6)
        cmds.run(0.6)
        assert cmds.accepted == (2 if ok else 1), "intact after duration_s"
        app.shutdown()


# ---- flight software -------------------------------------------------------------------------
def fly(tmp_path: Path, base: Path = NOMINAL, **overrides) -> tuple[dict, object]:
    from tools.sil import SilRun
    path = tmp_path / "scenario.yaml"
    path.write_text(json.dumps({"extends": str(base), **overrides}))
    run = SilRun(load_scenario(str(path)), echo=None)
    return run.run(), run


@effect("fsw", "reset", ["fsw"])
def fsw_reset(target):
    """A processor reset mid-flight: the SIL executive restarts the flight app once."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        s, run = fly(Path(d), stop={"t_s": 4}, faults=[{"target": target, "kind": "reset", "at_s": 2.0}])
    assert s["resets"] == 1 and s["faults_injected"] == 1
    assert run.app.clock.now_s() == pytest.approx(s["sim_time_s"])
    assert run.app.phases.phase.value == "SEPARATED", "restored from NV memory"


@effect("fsw", "hang", ["fsw"])
def fsw_hang(target):
    """A stalled processor stops kicking the watchdog: it bites after its timeout and the
    flight computer reboots with the reset cause ``watchdog``."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        s, run = fly(Path(d), stop={"t_s": 12},
                     faults=[{"target": target, "kind": "hang", "at_s": 2.0, "duration_s": 5.0}])
    assert s["resets"] == 1 and run.fc.watchdog_bites == 1
    assert run.hal.watchdog.reset_cause() == "watchdog"
    assert run.app.boot.kind == "processor_reset" and run.app.phases.phase.value == "SEPARATED"


# ---- the registry is complete -----------------------------------------------------------------
@pytest.mark.parametrize("check, target", [p for ps in EFFECT_CHECKS.values() for p in ps])
def test_fault_effect_seen_by_flight_software(check, target):
    check(target)


def test_every_applicable_pair_has_an_effect_test():
    pairs = {(fam, k) for fam, kinds in APPLICABLE.items() for k in kinds}
    assert sorted(pairs - set(EFFECT_CHECKS)) == [], "(family, kind) pairs without an effect test"
    assert sorted(set(EFFECT_CHECKS) - pairs) == []


def test_every_fault_target_is_exercised():
    seen = {p.values[1] for ps in EFFECT_CHECKS.values() for p in ps}
    assert sorted(set(FAULT_TARGETS) - seen) == []


# ---- timing ------------------------------------------------------------------------------------
def test_at_s_and_duration_bound_a_sensor_fault():
    """Active from at_s (inclusive) for duration_s (exclusive end), at the tick the flight code reads."""
    (wf, hf), (wc, hc) = make([{"target": "imu.gyro", "kind": "bias", "value": 0.1,
                                "at_s": 1.0, "duration_s": 0.5}]), make()
    diffs = {}
    for k in range(1, 101):
        t = k * 0.02
        tick(wf, t, wc)
        f, c = hf.imu.read().gyro_radps, hc.imu.read().gyro_radps
        diffs[round(t, 2)] = round(f[0] - c[0], 9)
    active = sorted(t for t, d in diffs.items() if d == pytest.approx(0.1))
    assert all(d in (0.0, pytest.approx(0.1)) for d in diffs.values())
    assert active[0] == 1.0 and active[-1] == 1.48 and len(active) == 25
    assert wf.faults.count_started(0.98) == 0 and wf.faults.count_started(1.0) == 1
    assert wf.faults.count_started(2.0) == 1, "an ended fault still counts as injected"


def test_at_s_and_duration_bound_an_actuator_fault():
    """The engine underperforms only inside its window; the chamber pressure follows."""
    w, hal = make([{"target": "engine", "kind": "underperform", "value": 0.5, "at_s": 1.0,
                    "duration_s": 1.0}], start=ORBIT)
    tick(w, 0.1)
    hal.engine.arm(True)
    hal.engine.ignite()
    seen = {}
    for t in (0.6, 0.98, 1.0, 1.5, 1.98, 2.0, 2.5):
        tick(w, t)
        seen[t] = hal.engine.status().chamber_pressure_pa
    full = seen[0.6]
    assert full > 1e6
    assert seen == {0.6: full, 0.98: full, 1.0: 0.5 * full, 1.5: 0.5 * full, 1.98: 0.5 * full,
                    2.0: full, 2.5: full}


def test_at_phase_starts_after_delay_once_the_phase_is_entered():
    w, hal = make([{"target": "imu.accel", "kind": "dropout", "at_phase": "DROGUE", "delay_s": 2.0,
                    "duration_s": 1.0},
                   {"target": "baro.0", "kind": "dropout", "at_s": 0.5}])
    fs = w.faults
    tick(w, 1.0)
    assert hal.imu.read().valid, "not before the phase is entered"
    fs.on_phase("ENTRY", 1.0)
    fs.on_phase("MAIN", 1.0)
    assert fs.count_started(100.0) == 1, "other phases do not start it"
    fs.on_phase("DROGUE", 1.0)
    assert fs.count_started(2.98) == 1 and fs.count_started(3.0) == 2
    fs.on_phase("DROGUE", 50.0)                    # a later re-entry does not move it
    for t, valid in ((2.9, True), (3.0, False), (3.5, False), (3.98, False), (4.0, True), (6.0, True)):
        tick(w, t)
        assert hal.imu.read().valid is valid, t
    assert not hal.baros[0].read().valid and hal.baros[1].read().valid


def test_schedule_reports_only_active_faults_for_a_target():
    fs = FaultSchedule.from_specs([spec("imu.accel.x", "invert", at_s=1.0),
                                   spec("imu.gyro", "invert", at_s=0.0),
                                   spec("rcs.1", "stuck_closed", at_phase="SEPARATED", delay_s=0.5)])
    assert [f.spec["target"] for f in fs.active(2.0, "imu.accel")] == ["imu.accel.x"]
    assert [f.spec["target"] for f in fs.active(0.5, "imu.accel")] == []
    assert [f.spec["target"] for f in fs.active(0.5, "imu")] == ["imu.gyro"]
    assert list(fs.active(10.0, "rcs.")) == []
    fs.on_phase("SEPARATED", 3.0)
    assert list(fs.active(3.4, "rcs.")) == [] and len(list(fs.active(3.5, "rcs."))) == 1
    assert fs.count_started(3.5) == 3


def test_reset_at_phase_in_a_sil_flight(tmp_path):
    s, _ = fly(tmp_path, stop={"t_s": 4},
               faults=[{"target": "fsw", "kind": "reset", "at_phase": "SEPARATED", "delay_s": 1.0}])
    assert [p["phase"] for p in s["phases"]] == ["SEPARATED"]
    assert s["resets"] == 1 and s["faults_injected"] == 1


def test_reset_after_the_stop_time_is_an_input_error(tmp_path):
    with pytest.raises(ConfigError, match=r"faults\[0\]\.at_s: expected a start time before stop.t_s"):
        fly(tmp_path, stop={"t_s": 2}, faults=[{"target": "fsw", "kind": "reset", "at_s": 3.0}])


def test_at_phase_of_the_initial_phase_starts(tmp_path):
    s, _ = fly(tmp_path, base=EDL, stop={"t_s": 2},
               faults=[{"target": "imu.gyro", "kind": "bias", "value": 0.01, "at_phase": "COAST", "delay_s": 0.5}])
    assert s["faults_injected"] == 1


def test_reset_before_any_phase_change_keeps_the_initial_phase(tmp_path):
    s, run = fly(tmp_path, base=EDL, stop={"t_s": 3}, faults=[{"target": "fsw", "kind": "reset", "at_s": 1.0}])
    assert s["resets"] == 1
    assert run.app.phases.phase.value == "COAST"
    assert s["phases"] == []


# ---- input errors ------------------------------------------------------------------------------
def scenario_error(tmp_path: Path, fault: dict) -> ConfigError:
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({"extends": str(NOMINAL), "faults": [fault]}))
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("fault, field", [
    ({"target": "imu.mag", "kind": "bias", "value": 1, "at_s": 0}, "faults[0].target"),
    ({"target": "rcs.6", "kind": "stuck_closed", "at_s": 0}, "faults[0].target"),
    ({"target": "baro.2", "kind": "dropout", "at_s": 0}, "faults[0].target"),
    ({"target": "pyro.drouge", "kind": "no_fire", "at_s": 0}, "faults[0].target"),
    ({"target": "imu.accel", "kind": "explode", "at_s": 0}, "faults[0].kind"),
    ({"target": "imu.accel", "kind": "Bias", "value": 1, "at_s": 0}, "faults[0].kind"),
    ({"target": "gps", "kind": "invert", "at_s": 0}, "faults[0].kind"),
    ({"target": "chute.main", "kind": "no_fire", "at_s": 0}, "faults[0].kind"),
    ({"target": "engine", "kind": "stuck", "at_s": 0}, "faults[0].kind"),
    ({"target": "fsw", "kind": "dropout", "at_s": 0}, "faults[0].kind"),
    ({"target": "baro.0", "kind": "invert", "at_s": 0}, "faults[0].kind"),
    ({"target": "imu.gyro", "kind": "noise", "at_s": 0}, "faults[0].value"),
    ({"target": "imu.gyro", "kind": "saturate", "value": -1.0, "at_s": 0}, "faults[0].value"),
    ({"target": "imu.gyro", "kind": "saturate", "value": 0.0, "at_s": 0}, "faults[0].value"),
    ({"target": "baro.1", "kind": "noise", "value": -5.0, "at_s": 0}, "faults[0].value"),
    ({"target": "imu.accel", "kind": "stuck", "value": 0.0, "at_s": 0}, "faults[0].value"),
    ({"target": "engine", "kind": "underperform", "value": -0.1, "at_s": 0}, "faults[0].value"),
    ({"target": "water", "kind": "stuck_open"}, "faults[0].at_s"),
    ({"target": "water", "kind": "stuck_open", "at_s": 1, "at_phase": "MAIN"}, "faults[0].at_s"),
    ({"target": "water", "kind": "stuck_open", "at_phase": "LANDING"}, "faults[0].at_phase"),
    ({"target": "imu.accel", "kind": "invert", "at_s": 0, "when": 3}, "faults[0]"),
])
def test_bad_fault_is_an_input_error(tmp_path, fault, field):
    exc = scenario_error(tmp_path, fault)
    assert exc.path.startswith(field), exc
    assert "expected" in exc.problem


def test_every_target_and_applicable_kind_loads(tmp_path):
    faults = []
    for t in FAULT_TARGETS:
        for k in APPLICABLE[family(t)]:
            f = {"target": t, "kind": k, "at_s": 1.0}
            if k in ("bias", "scale", "noise", "saturate"):
                f["value"] = 0.5
            if k == "underperform":
                f["value"] = 0.5
            if k == "transient":
                f["duration_s"] = 1.0
            if k == "delay":
                f["value"] = 0.2
            faults.append(f)
    path = tmp_path / "all.yaml"
    path.write_text(json.dumps({"extends": str(NOMINAL), "faults": faults}))
    sc = load_scenario(str(path))
    assert len(sc.faults) == len(faults) == sum(len(APPLICABLE[family(t)]) for t in FAULT_TARGETS)
