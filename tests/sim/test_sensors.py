"""Tests for sim.sensors: seeded noise, IMU, barometer and GPS receiver models.

References (cited per test):
- sim/sensors.py requirements 1-4 and the hardware profile config/sil.yaml
  (limits in sim/hardware_schema.py).
- US Standard Atmosphere 1976: sea-level pressure 101325 Pa; 287.14 Pa at 40 km (Table I).
- REFERENCES.md: GPS receivers stop reporting above the COCOM limits, 18 km and 515 m/s.
- Sampling statistics of N normal draws: std error of the mean 1/sqrt(N), of the
  standard deviation ~1/sqrt(2N).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fsw.yamlload import load_config
from sim.atmosphere import us76
from sim.hardware_schema import HARDWARE
from sim.sensors import BaroModel, GpsModel, ImuModel, NoiseSource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hw():
    return load_config(REPO / "config/sil.yaml", HARDWARE)


def noise(seed: int) -> NoiseSource:
    return NoiseSource(np.random.Generator(np.random.PCG64(seed)))


# ---- NoiseSource ---------------------------------------------------------------------

def test_noise_same_seed_same_sequence():
    # Reference: sensors.py requirement 1 (bit-for-bit reproducibility per seed). Exact,
    # across the 4096-draw block boundary and with uniform() interleaved.
    a, b = noise(7), noise(7)
    seq_a = [a.normal() if i % 5 else a.uniform() for i in range(10000)]
    seq_b = [b.normal() if i % 5 else b.uniform() for i in range(10000)]
    assert seq_a == seq_b


def test_noise_different_seed_different_sequence():
    # Reference: sensors.py requirement 1. Independent streams: not a single equal draw in
    # the first 1000 (a coincidence has probability ~0 for continuous doubles).
    a, b = noise(7), noise(8)
    xs = [a.normal() for _ in range(1000)]
    ys = [b.normal() for _ in range(1000)]
    assert all(x != y for x, y in zip(xs, ys))


def test_noise_normal_statistics():
    # Reference: N(0, 1). 100k draws: |mean| < 0.01 (1 % of sigma; 3.2 standard errors)
    # and std within 1 % of 1 (4.5 standard errors of the sample std).
    n = noise(12345)
    x = np.array([n.normal() for _ in range(100_000)])
    assert abs(x.mean()) < 0.01
    assert x.std() == pytest.approx(1.0, rel=0.01)


def test_noise_uniform_range_and_statistics():
    # Reference: U[0, 1): mean 1/2, variance 1/12. 100k draws: mean within 0.005 (5.5
    # standard errors of 0.00091), std within 1 %, every draw in [0, 1].
    n = noise(99)
    u = np.array([n.uniform() for _ in range(100_000)])
    assert u.min() >= 0.0 and u.max() <= 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.005)
    assert u.std() == pytest.approx(math.sqrt(1 / 12), rel=0.01)


# ---- IMU -------------------------------------------------------------------------------

def ideal_axes(cfg: dict) -> dict:
    """The profile with scale-factor, misalignment and bias-instability terms off (the
    tests below isolate saturation, constant bias, white noise and quantisation; the
    other terms are tested in tests/sim/test_error_models.py)."""
    return dict(cfg, gyro_scale_factor_ppm=(0.0, 0.0, 0.0), accel_scale_factor_ppm=(0.0, 0.0, 0.0),
                gyro_misalignment_deg=(0.0,) * 6, accel_misalignment_deg=(0.0,) * 6,
                gyro_bias_gm_sigma_dph=0.0, accel_bias_gm_sigma_mps2=0.0)


def white_sigma(cfg: dict) -> tuple[float, float]:
    """Per-sample white-noise sigma, rad/s and m/s^2: noise density x sqrt(rate_hz)."""
    r = math.sqrt(cfg["rate_hz"])
    return math.radians(cfg["gyro_noise_density_dps_rthz"]) * r, cfg["accel_noise_density_mps2_rthz"] * r


def test_imu_saturates_at_configured_range(hw):
    # Reference: sensors.py requirement 2; sil.yaml ranges 500 deg/s and 392 m/s^2.
    # Truth far beyond the range reads exactly +-range (clip after noise and bias).
    cfg = ideal_axes(hw["imu"])
    imu = ImuModel(cfg, noise(1))
    g_max = math.radians(cfg["gyro_range_dps"])
    a_max = cfg["accel_range_mps2"]
    r = imu.read((20.0, -20.0, 0.0), (1000.0, -1000.0, 0.0))
    assert r.gyro_radps[0] == g_max and r.gyro_radps[1] == -g_max
    assert r.accel_mps2[0] == a_max and r.accel_mps2[1] == -a_max
    assert abs(r.gyro_radps[2]) < 1e-3 and abs(r.accel_mps2[2]) < 0.1    # in range: not clipped
    # Just inside the range stays unclipped (within 10 noise sigmas).
    gs, as_ = white_sigma(cfg)
    r = imu.read((0.99 * g_max, 0.0, 0.0), (0.99 * a_max, 0.0, 0.0))
    assert r.gyro_radps[0] == pytest.approx(0.99 * g_max, abs=10 * gs + 1e-4)
    assert r.accel_mps2[0] == pytest.approx(0.99 * a_max, abs=10 * as_ + 0.01)
    # The full profile (scale factor, misalignment on) saturates at the same limits.
    r = ImuModel(hw["imu"], noise(1)).read((20.0, -20.0, 0.0), (1000.0, -1000.0, 0.0))
    assert r.gyro_radps[:2] == (g_max, -g_max) and r.accel_mps2[:2] == (a_max, -a_max)


def test_imu_bias_appears_in_mean(hw):
    # Reference: sensors.py requirement 2 (constant bias + white noise). With zero truth,
    # the mean of N = 20000 samples equals the configured bias within 5 standard errors
    # (sigma / sqrt(N), sigma = noise density x sqrt(rate)); sil.yaml biases are 100-700
    # standard errors away from zero, so the test fails if the bias is dropped or applied
    # with the wrong sign or units. The Gauss-Markov bias is off here: its slow wander
    # would dominate the standard error.
    cfg = ideal_axes(hw["imu"])
    imu = ImuModel(cfg, noise(3))
    n = 20000
    reads = [imu.read((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)) for _ in range(n)]
    g = np.array([r.gyro_radps for r in reads])
    a = np.array([r.accel_mps2 for r in reads])
    gs, as_ = white_sigma(cfg)
    g_se = gs / math.sqrt(n)
    a_se = as_ / math.sqrt(n)
    assert g.mean(axis=0) == pytest.approx(np.radians(cfg["gyro_bias_dps"]), abs=5 * g_se)
    assert a.mean(axis=0) == pytest.approx(np.array(cfg["accel_bias_mps2"]), abs=5 * a_se)
    assert g.std(axis=0) == pytest.approx(np.full(3, gs), rel=0.03)
    assert a.std(axis=0) == pytest.approx(np.full(3, as_), rel=0.03)


def test_imu_quantisation_to_lsb(hw):
    # Reference: sensors.py requirement 2 (quantisation to the LSB). Profile with
    # LSB 0.05 deg/s and 0.01 m/s^2: every output is an integer number of LSBs (to 1e-9
    # LSB, float rounding) and, with noise off, the nearest one to truth + bias.
    cfg = ideal_axes(hw["imu"])
    cfg.update(gyro_lsb_dps=0.05, accel_lsb_mps2=0.01)
    imu = ImuModel(cfg, noise(5))
    g_lsb, a_lsb = math.radians(0.05), 0.01
    for _ in range(200):
        r = imu.read((0.123, -0.456, 0.789), (9.81, -1.234, 3.3333))
        for v in r.gyro_radps:
            assert abs(v / g_lsb - round(v / g_lsb)) < 1e-9
        for v in r.accel_mps2:
            assert abs(v / a_lsb - round(v / a_lsb)) < 1e-9
    cfg.update(gyro_noise_density_dps_rthz=0.0, accel_noise_density_mps2_rthz=0.0)
    imu = ImuModel(cfg, noise(5))
    w, f = (0.123, -0.456, 0.789), (9.81, -1.234, 3.3333)
    r = imu.read(w, f)
    for v, t, b in zip(r.gyro_radps, w, cfg["gyro_bias_dps"]):
        assert v == pytest.approx(round((t + math.radians(b)) / g_lsb) * g_lsb, abs=1e-12)
        assert abs(v - (t + math.radians(b))) <= g_lsb / 2 + 1e-12
    for v, t, b in zip(r.accel_mps2, f, cfg["accel_bias_mps2"]):
        assert v == pytest.approx(round((t + b) / a_lsb) * a_lsb, abs=1e-12)
        assert abs(v - (t + b)) <= a_lsb / 2 + 1e-12


# ---- barometer --------------------------------------------------------------------------

def test_baro_sea_level_reads_standard_pressure_plus_bias(hw):
    # Reference: US76 sea level 101325 Pa; sil.yaml biases +12 / -8 Pa, noise 3 Pa.
    # Each reading within 5 sigma (15 Pa) of 101325 + bias; the mean of 2000 readings
    # within 5 standard errors (0.34 Pa), which separates the two biases clearly.
    cfg = hw["baro"]
    src = noise(11)
    for bias in cfg["bias_pa"]:
        baro = BaroModel(cfg, src, bias)
        p = np.array([baro.read(0.0) for _ in range(2000)])
        assert np.all(np.abs(p - (101325.0 + bias)) < 5 * cfg["noise_pa"])
        assert p.mean() == pytest.approx(101325.0 + bias, abs=5 * cfg["noise_pa"] / math.sqrt(2000))


def test_baro_follows_us76_in_range(hw):
    # Reference: US76 Table I: 5 km 54048 Pa, 11 km 22699 Pa (0.1 %); reading = table +
    # bias within 5 sigma noise + 0.1 % table tolerance.
    cfg = hw["baro"]
    baro = BaroModel(cfg, noise(2), cfg["bias_pa"][0])
    for alt, p_ref in ((5000.0, 54048.0), (11000.0, 22699.0)):
        assert baro.read(alt) == pytest.approx(p_ref + cfg["bias_pa"][0], abs=5 * cfg["noise_pa"] + 1e-3 * p_ref)


def test_baro_clamps_at_range_limits(hw):
    # Reference: sensors.py requirement 3 (clamped to the sensor range; low clamp means
    # "above range"). US76 at 40 km is 287 Pa < min_pa 1200 Pa -> reads exactly min_pa;
    # at 80 km and 300 km too. Below sea level at -4 km (~159 kPa) > max_pa 120 kPa ->
    # exactly max_pa. Exact comparisons.
    cfg = hw["baro"]
    baro = BaroModel(cfg, noise(4), cfg["bias_pa"][0])
    assert float(us76(40000.0).pressure_pa) < cfg["min_pa"]
    for alt in (40000.0, 80000.0, 300000.0):
        assert baro.read(alt) == cfg["min_pa"]
    assert float(us76(-4000.0).pressure_pa) > cfg["max_pa"]
    assert baro.read(-4000.0) == cfg["max_pa"]


# ---- GPS ---------------------------------------------------------------------------------

R_ECEF = (6378137.0 + 1000.0, 0.0, 0.0)
V_ECEF = (0.0, 5.0, 0.0)


def gps_read(gps, t, alt, speed):
    return gps.read(t, 0.0, 0.0, alt, R_ECEF, V_ECEF, speed)


def acquire(gps, t0, alt=1000.0, speed=5.0):
    """Keep reading in view from t0 until past ttff; returns the time after acquisition."""
    t = t0
    while t <= t0 + gps.ttff_s:
        gps_read(gps, t, alt, speed)
        t += 1.0
    return t


def cots(hw) -> dict:
    """The COCOM-limited COTS receiver option (sil.yaml comment; REFERENCES.md 18 km / 515 m/s)."""
    return dict(hw["gps"], max_alt_m=18000.0, max_speed_mps=515.0, cold_start_s=None, max_accel_mps2=1e4)


def test_gps_cocom_limits(hw):
    # Reference: REFERENCES.md COCOM limits 18 km / 515 m/s (the COTS option). With a long-held
    # fix, a reading above either limit is invalid; at the limits themselves (not above)
    # the receiver still tracks. Exact boundaries.
    cfg = cots(hw)
    gps = GpsModel(cfg, noise(1))
    assert gps.visible(18000.0, 515.0)
    assert not gps.visible(18000.1, 10.0)
    assert not gps.visible(1000.0, 515.1)
    assert not gps.visible(25000.0, 600.0)
    t = acquire(gps, 0.0)
    assert gps_read(gps, t, 1000.0, 5.0).valid
    assert not gps_read(gps, t + 1.0, 18500.0, 5.0).valid
    t = acquire(gps, t + 2.0)
    assert not gps_read(gps, t, 1000.0, 520.0).valid


def test_gps_time_to_first_fix(hw):
    # Reference: sensors.py requirement 4: after an outage a fix returns only after ttff_s
    # (30 s in sil.yaml) of continuous visibility. Readings every 0.5 s: invalid before
    # t_visible + ttff, valid from then on; an interruption restarts the clock. (COTS
    # option: no separate cold start, so the first fix also takes ttff_s.)
    cfg = cots(hw)
    gps = GpsModel(cfg, noise(2))
    assert not gps_read(gps, 0.0, 25000.0, 5.0).valid      # out of view (above 18 km)
    t_vis = 10.0
    for k in range(0, 61):
        t = t_vis + 0.5 * k                                 # 10 .. 40 s
        r = gps_read(gps, t, 17000.0, 300.0)
        assert r.valid == (t - t_vis >= cfg["ttff_s"]), t
    assert gps_read(gps, 45.0, 17000.0, 300.0).valid
    # Outage, then visible again: another full ttff before the next fix.
    assert not gps_read(gps, 46.0, 17000.0, 600.0).valid
    for t in (47.0, 60.0, 76.5):
        assert not gps_read(gps, t, 5000.0, 200.0).valid
    assert gps_read(gps, 77.0, 5000.0, 200.0).valid


def test_space_receiver_tracks_in_orbit_after_its_cold_start(hw):
    # Reference: sil.yaml space receiver (issue 9: fixes in orbit, no COCOM cut-off):
    # 410 km and 7.66 km/s are inside its limits; the first fix after power-on comes
    # cold_start_s (CanX-2's 3.5 min aided warm start) after the sky is first seen, and
    # a later outage costs only the ttff_s reacquisition.
    cfg = hw["gps"]
    assert cfg["max_alt_m"] > 1e6 and cfg["max_speed_mps"] > 8000.0
    gps = GpsModel(cfg, noise(5))
    cold = cfg["cold_start_s"]
    assert cold > cfg["ttff_s"]
    for t in range(0, int(cold)):
        assert not gps_read(gps, float(t), 410e3, 7660.0).valid, t
    assert gps_read(gps, cold, 410e3, 7660.0).valid
    assert not gps_read(gps, cold + 1.0, 70e3, 7000.0).valid       # blackout
    t = cold + 2.0
    assert not gps_read(gps, t, 410e3, 7660.0).valid
    assert not gps_read(gps, t + cfg["ttff_s"] - 0.5, 410e3, 7660.0).valid
    assert gps_read(gps, t + cfg["ttff_s"], 410e3, 7660.0).valid


def test_gps_loses_lock_under_high_dynamics(hw):
    # Reference: sensors.py requirement 4: no fix while the sensed acceleration exceeds
    # max_accel_mps2 (4 g in sil.yaml: a chute opening shock), then the reacquisition time.
    cfg = dict(hw["gps"], cold_start_s=None)
    gps = GpsModel(cfg, noise(6))
    lim = cfg["max_accel_mps2"]
    t = acquire(gps, 0.0)
    assert gps.read(t, 0.0, 0.0, 5000.0, R_ECEF, V_ECEF, 100.0, lim).valid          # at the limit: tracks
    assert not gps.read(t + 0.5, 0.0, 0.0, 5000.0, R_ECEF, V_ECEF, 100.0, lim + 0.1).valid
    assert not gps.read(t + 1.0, 0.0, 0.0, 5000.0, R_ECEF, V_ECEF, 100.0, 9.8).valid   # reacquiring
    assert gps.read(t + 1.0 + cfg["ttff_s"], 0.0, 0.0, 5000.0, R_ECEF, V_ECEF, 100.0, 9.8).valid


def test_gps_fix_is_near_truth(hw):
    # Reference: sil.yaml noise 4 m per axis, 0.1 m/s per axis. A valid fix is within 6
    # sigma per axis of truth, carries satellites, and the noise is not zero.
    cfg = cots(hw)
    gps = GpsModel(cfg, noise(3))
    t = acquire(gps, 0.0)
    r = gps_read(gps, t, 1000.0, 5.0)
    assert r.valid and r.n_sats > 0
    for a, b in zip(r.r_ecef_m, R_ECEF):
        assert abs(a - b) < 6 * cfg["pos_noise_m"]
    for a, b in zip(r.v_ecef_mps, V_ECEF):
        assert abs(a - b) < 6 * cfg["vel_noise_mps"]
    assert r.alt_m == pytest.approx(1000.0, abs=6 * cfg["pos_noise_m"])
    assert r.r_ecef_m != R_ECEF


def test_gps_blackout(hw):
    # Reference: sensors.py requirement 4 (no fix in plasma blackout: speed above
    # blackout_speed_mps 3000 and altitude below blackout_max_alt_m 100 km). The sil.yaml
    # space receiver: orbit-like conditions track, blackout loses the fix, and
    # after blackout the fix returns only after ttff.
    cfg = dict(hw["gps"], cold_start_s=None)
    gps = GpsModel(cfg, noise(4))
    t = acquire(gps, 0.0, alt=410e3, speed=7660.0)
    assert gps_read(gps, t, 410e3, 7660.0).valid              # above the blackout ceiling
    assert gps_read(gps, t + 1, 100e3, 7600.0).valid          # at the ceiling: not below it
    assert not gps_read(gps, t + 2, 70e3, 7000.0).valid       # blackout
    assert not gps_read(gps, t + 3, 40e3, 3000.1).valid
    assert not gps_read(gps, t + 4, 35e3, 2900.0).valid       # out of blackout: reacquiring
    assert gps_read(gps, t + 4 + cfg["ttff_s"], 25e3, 1500.0).valid
    assert gps.visible(50e3, 3000.0) and not gps.visible(50e3, 3000.1)
    assert gps.visible(100e3, 5000.0) and not gps.visible(99e3, 5000.0)
