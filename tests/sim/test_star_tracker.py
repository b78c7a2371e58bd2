"""Star tracker model and the Sun's direction (sim/star_tracker.py)."""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pytest

from fsw.yamlload import load_config
from sim.hardware_schema import HARDWARE
from sim.sensors import NoiseSource
from sim.star_tracker import (StarTrackerModel, quat_mul, days_since_j2000, gmst_rad, sun_unit_sim_eci,
                              sun_unit_true_eci)

REPO = Path(__file__).resolve().parents[2]
CFG = load_config(REPO / "config/sil.yaml", HARDWARE)["star_tracker"]
R_ORBIT = (6378137.0 + 410e3, 0.0, 0.0)
#: Boresight (body -x) along ECI +y: 90 deg from nadir, 20 deg above the 410 km limb.
Q_LEVEL = (math.cos(math.pi / 4), 0.0, 0.0, -math.sin(math.pi / 4))   # body -x -> ECI +y
SUN_AWAY = (0.0, -1.0, 0.0)


def noise(seed):
    return NoiseSource(np.random.Generator(np.random.PCG64(seed)))


def tracker(sun=SUN_AWAY, **over):
    return StarTrackerModel(dict(CFG, **over), noise(1), sun)


def rot_angle_deg(qa, qb):
    return math.degrees(2.0 * math.acos(min(1.0, abs(sum(a * b for a, b in zip(qa, qb))))))


def body_error_arcsec(q_meas, q_true):
    """Body-frame rotation vector q_true^-1 q_meas, arcsec."""
    d = quat_mul((q_true[0], -q_true[1], -q_true[2], -q_true[3]), q_meas)
    s = 1.0 if d[0] >= 0 else -1.0
    return tuple(2.0 * s * c * 206264.806 for c in d[1:])


def test_sun_at_the_2026_march_equinox_and_june_solstice():
    # Reference: USNO / Astronomical Almanac 2026: March equinox 2026-03-20 14:46 UTC (the Sun
    # at right ascension 0, declination 0), June solstice 2026-06-21 08:24 UTC (declination
    # +23.44 deg, right ascension 90 deg). The low-precision formulae are good to 0.01 deg;
    # a minute of timing is 0.0007 deg of Sun.
    s = sun_unit_true_eci(days_since_j2000("2026-03-20T14:46:00Z"))
    assert math.degrees(math.asin(s[2])) == pytest.approx(0.0, abs=0.02)
    assert math.degrees(math.atan2(s[1], s[0])) == pytest.approx(0.0, abs=0.02)
    s = sun_unit_true_eci(days_since_j2000("2026-06-21T08:24:00Z"))
    assert math.degrees(math.asin(s[2])) == pytest.approx(23.436, abs=0.02)
    assert math.degrees(math.atan2(s[1], s[0])) == pytest.approx(90.0, abs=0.02)


def test_gmst_against_vallado_example_3_5():
    # Reference: Vallado, Fundamentals of Astrodynamics and Applications, Example 3-5:
    # 1992 August 20, 12:14 UT1 -> GMST 152.578788 deg.
    assert math.degrees(gmst_rad(days_since_j2000("1992-08-20T12:14:00Z"))) == pytest.approx(152.5788, abs=0.002)


def test_sun_in_the_simulator_frame_is_turned_by_gmst():
    # The simulator's ECI has x through Greenwich at t = 0: the Sun's right ascension less GMST.
    ep = "2026-03-20T14:46:00Z"
    s = sun_unit_sim_eci(ep)
    g = gmst_rad(days_since_j2000(ep))
    assert math.atan2(s[1], s[0]) == pytest.approx(math.remainder(0.0 - g, math.tau), abs=4e-4)
    assert math.hypot(*s) == pytest.approx(1.0)


def acquired(st, q=Q_LEVEL, r=R_ORBIT, w=(0.0, 0.0, 0.0), alt=410e3, t0=0.0):
    """Read until acquired; returns the next read time."""
    t = t0
    while t <= t0 + CFG["acquire_s"] + 1.0:
        st.read(t, q, r, w, alt)
        t += st.period_s
    return t


def test_noise_matches_the_datasheet_sigmas_about_each_axis():
    # Reference: sil.yaml (BCT Nano Star Tracker datasheet): 6 arcsec cross-boresight, 40 arcsec
    # about the boresight (body x here), 1 sigma, plus the constant alignment bias.
    st = tracker()
    t = acquired(st)
    errs = []
    for k in range(2000):
        f = st.read(t + k * st.period_s, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3)
        assert f.valid
        errs.append(body_error_arcsec(f.q_body_eci, Q_LEVEL))
    for axis, sigma in ((0, CFG["roll_sigma_arcsec"]), (1, CFG["cross_sigma_arcsec"]), (2, CFG["cross_sigma_arcsec"])):
        xs = [e[axis] for e in errs]
        assert statistics.pstdev(xs) == pytest.approx(sigma, rel=0.08)
        assert statistics.fmean(xs) == pytest.approx(CFG["bias_arcsec"][axis], abs=4 * sigma / math.sqrt(2000) + 0.5)


def test_held_between_updates_and_stamped_with_the_exposure_time():
    st = tracker()
    t = acquired(st)
    a = st.read(t, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3)
    b = st.read(t + 0.4 * st.period_s, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3)
    c = st.read(t + st.period_s, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3)
    assert a == b and c.t_s == pytest.approx(t + st.period_s) and c.q_body_eci != a.q_body_eci


@pytest.mark.parametrize("case", ["rate", "sun", "earth", "low"])
def test_no_solution_outside_its_limits_then_reacquisition(case):
    # Reference: requirement 3 and the sil.yaml limits (1 deg/s, 45 deg Sun, 15 deg above the limb,
    # 120 km). Each limit crossed just beyond; inside it, solutions after acquire_s again.
    q, r, w, alt, sun = Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3, SUN_AWAY
    if case == "rate":
        w = (0.0, 0.0, math.radians(CFG["max_rate_dps"]) * 1.01)
    elif case == "sun":
        a = math.radians(CFG["sun_exclusion_deg"] - 1.0)           # 44 deg off the boresight (+y)
        sun = (math.sin(a), math.cos(a), 0.0)
    elif case == "earth":
        # Boresight turned down towards nadir (-x) until 14 deg above the limb (limb 70.2 deg from nadir).
        limb = math.asin(6378137.0 / R_ORBIT[0])
        tilt = math.pi / 2 - (limb + math.radians(CFG["earth_exclusion_deg"] - 1.0))
        q = quat_mul((math.cos(tilt / 2), 0.0, 0.0, math.sin(tilt / 2)), Q_LEVEL)    # about ECI z, towards -x
    else:
        alt = CFG["min_alt_m"] - 1.0
    st = tracker()
    t = acquired(st)
    assert st.read(t, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3).valid
    t += st.period_s
    st.sun = sun                                   # the Sun moves into the baffle (case sun)
    for k in range(10):
        assert not st.read(t + k * st.period_s, q, r, w, alt).valid, case
    st.sun = SUN_AWAY
    t += 10 * st.period_s
    back = [st.read(t + k * st.period_s, Q_LEVEL, R_ORBIT, (0.0, 0.0, 0.0), 410e3).valid for k in range(30)]
    first = back.index(True)
    assert first * st.period_s == pytest.approx(CFG["acquire_s"], abs=st.period_s)
