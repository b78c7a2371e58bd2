"""Monte Carlo dispersions (sim/dispersions.py): schema, seeds, draws, the dispersed scenario."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from fsw.schema import ConfigError
from sim.atmosphere import density_sound_speed
from sim.dispersions import (DISPERSIONS, DensityFactor, disperse, run_seed, run_sequence)
from sim.hardware_schema import HARDWARE
from sim.scenario import load_scenario
from sim.vehicle_schema import VEHICLE, check_vehicle
from sim.world import make_atmosphere

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "config" / "scenarios"
EDL_MC = SCEN / "edl_mc.yaml"


def write(tmp_path: Path, text: str, base: Path = SCEN / "edl.yaml", name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"extends: {json.dumps(str(base))}\n" + text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def mc():
    return load_scenario(str(EDL_MC))


# -- seeds --------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [8, 50, 1000])
def test_run_sequence_is_the_spawned_child(n):
    kids = np.random.SeedSequence(2024).spawn(n)
    for i in (0, 3, 7):
        assert np.array_equal(kids[i].generate_state(8), run_sequence(2024, i).generate_state(8))


def test_run_seeds_differ_and_fit_a_scenario_seed():
    seeds = [run_seed(7, i) for i in range(200)]
    assert len(set(seeds)) == 200
    assert all(0 <= s < 2**63 for s in seeds)
    assert run_seed(7, 5) == run_seed(7, 5) != run_seed(8, 5)


def test_draws_depend_only_on_campaign_seed_and_run(mc):
    a = [disperse(mc, 11, i) for i in (4, 0, 9)]
    b = [disperse(mc, 11, i) for i in (9, 4, 0)]       # another order, as another worker would
    by_run = {d.run: d for d in b}
    for d in a:
        assert d.draws == by_run[d.run].draws
        assert d.seed == by_run[d.run].seed == run_seed(11, d.run)
        assert d.scenario == by_run[d.run].scenario or _same(d.scenario, by_run[d.run].scenario)
    assert disperse(mc, 11, 0).draws != disperse(mc, 11, 1).draws
    assert disperse(mc, 11, 0).draws != disperse(mc, 12, 0).draws


def _same(a, b) -> bool:
    """Scenarios equal apart from the density-factor object (compared by value)."""
    fa, fb = a.environment.get("density_factor"), b.environment.get("density_factor")
    if (fa is None) != (fb is None) or (fa is not None and fa.f != fb.f):
        return False
    ea = {k: v for k, v in a.environment.items() if k != "density_factor"}
    eb = {k: v for k, v in b.environment.items() if k != "density_factor"}
    return ea == eb and a.start == b.start and a.vehicle == b.vehicle and a.hardware == b.hardware


def test_each_item_has_its_own_stream(tmp_path):
    both = load_scenario(str(write(tmp_path, "dispersions:\n  mass: {entry_kg: {dist: normal, sigma: 1}}\n"
                                             "  aero: {cd_scale: {dist: normal, sigma: 0.1}}\n", name="a.yaml")))
    one = load_scenario(str(write(tmp_path, "dispersions:\n  aero: {cd_scale: {dist: normal, sigma: 0.1}}\n",
                                  name="b.yaml")))
    for i in range(5):
        assert disperse(both, 3, i).draws["aero.cd_scale"] == disperse(one, 3, i).draws["aero.cd_scale"]


def test_inputs_untouched_and_no_dispersions_is_the_scenario(mc):
    before = json.dumps([mc.start, mc.vehicle, mc.environment, mc.hardware, mc.mission], sort_keys=True, default=repr)
    disperse(mc, 1, 0)
    assert json.dumps([mc.start, mc.vehicle, mc.environment, mc.hardware, mc.mission], sort_keys=True,
                      default=repr) == before
    plain = load_scenario(str(SCEN / "edl.yaml"))
    d = disperse(plain, plain.seed, 4)
    assert d.draws == {}
    assert d.scenario.seed == d.seed == run_seed(plain.seed, 4)
    assert (d.scenario.start, d.scenario.vehicle, d.scenario.hardware) == (plain.start, plain.vehicle, plain.hardware)
    assert "density_factor" not in d.scenario.environment


# -- distributions -------------------------------------------------------------------------------
def test_normal_and_uniform_statistics(tmp_path):
    sc = load_scenario(str(write(tmp_path, "dispersions:\n"
                                 "  entry_interface: {speed_mps: {dist: normal, sigma: 2.0, mean: 1.0},\n"
                                 "                    fpa_deg: {dist: uniform, low: -0.1, high: 0.3}}\n")))
    sp, fpa = [], []
    for i in range(600):
        d = disperse(sc, 5, i)
        sp.append(d.draws["entry_interface.speed_mps"])
        fpa.append(d.draws["entry_interface.fpa_deg"])
        assert d.scenario.start["speed_mps"] == pytest.approx(sc.start["speed_mps"] + sp[-1])
    assert np.mean(sp) == pytest.approx(1.0, abs=0.3)
    assert np.std(sp) == pytest.approx(2.0, rel=0.1)
    assert min(fpa) >= -0.1 and max(fpa) <= 0.3
    assert np.mean(fpa) == pytest.approx(0.1, abs=0.02)


def test_longitude_wraps(tmp_path):
    sc = load_scenario(str(write(tmp_path, "dispersions:\n  entry_interface: {lon_deg: {dist: uniform, low: -2, high: -1.5}}\n")))
    lon = disperse(sc, 0, 0).scenario.start["lon_deg"]      # -179.38 - 1.5.. -> +179..
    assert -180.0 <= lon < 180.0 and lon > 170.0


# -- schema -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, field", [
    ("  mass: {entry_kg: {dist: gauss, sigma: 1}}\n", "dispersions.mass.entry_kg.dist"),
    ("  mass: {entry_kg: {dist: normal, sigma: -1}}\n", "dispersions.mass.entry_kg.sigma"),
    ("  mass: {entry_kg: {dist: normal}}\n", "dispersions.mass.entry_kg"),
    ("  aero: {cd_scale: {dist: uniform, low: 1.2, high: 0.8}}\n", "dispersions.aero.cd_scale.high"),
    ("  sensors: {imu.gyro_bias: {dist: normal, sigma: 1}}\n", "dispersions.sensors"),
    ("  atmosphere: {gm_sigma: 2}\n", "dispersions.atmosphere.gm_sigma"),
    ("  engine: {thrust_sigma: 0.9}\n", "dispersions.engine.thrust_sigma"),
    ("  separation: {rates_dps: {dist: normal, sigma: 1}}\n", "dispersions.separation.rates_dps"),
    ("  wind: {scale: {dist: normal, sigma: 0.2}}\n", "dispersions.wind.scale"),
    ("  winds: {}\n", "dispersions"),
])
def test_bad_dispersions_are_one_line_input_errors(tmp_path, text, field):
    p = write(tmp_path, "dispersions:\n" + text)
    with pytest.raises(ConfigError) as info:
        load_scenario(str(p))
    msg = str(info.value)
    assert str(p) in msg and "\n" not in msg
    assert info.value.path == field, msg


def test_entry_interface_dispersions_need_an_entry_start(tmp_path):
    p = write(tmp_path, "dispersions:\n  entry_interface: {fpa_deg: {dist: normal, sigma: 0.1}}\n",
              base=SCEN / "nominal.yaml")
    with pytest.raises(ConfigError, match="entry_interface") as info:
        load_scenario(str(p))
    assert info.value.path == "dispersions.entry_interface.fpa_deg"


def test_separation_dispersions(tmp_path):
    p = write(tmp_path, "dispersions:\n  separation: {rates_dps: {dist: normal, sigma: 0.5},\n"
              "                orbit_alt_m: {dist: normal, sigma: 100}, orbit_arg_lat_deg: {dist: normal, sigma: 0.01}}\n",
              base=SCEN / "nominal.yaml")
    sc = load_scenario(str(p))
    d = disperse(sc, 1, 2)
    assert len(d.draws["separation.rates_dps"]) == 3
    assert d.scenario.start["rates_dps"] == pytest.approx(
        [a + b for a, b in zip(sc.start["rates_dps"], d.draws["separation.rates_dps"])])
    o, o0 = d.scenario.mission["station_orbit"], sc.mission["station_orbit"]
    assert o["alt_m"] == pytest.approx(o0["alt_m"] + d.draws["separation.orbit_alt_m"])
    assert o["arg_lat_deg"] == pytest.approx(o0["arg_lat_deg"] + d.draws["separation.orbit_arg_lat_deg"])


def test_schema_describes_every_item_with_a_unit():
    from fsw.schema import describe
    rows = describe(DISPERSIONS, "dispersions")
    paths = {r["path"] for r in rows}
    for p in ("dispersions.entry_interface.alt_m.sigma", "dispersions.mass.com_axial_m.low",
              "dispersions.atmosphere.gm_corr_length_m", "dispersions.chutes.main.cd_sigma"):
        assert p in paths, sorted(paths)
    units = {r["path"]: r["unit"] for r in rows}
    assert units["dispersions.entry_interface.speed_mps.sigma"] == "m/s"
    assert units["dispersions.mass.com_axial_m.sigma"] == "m"


# -- mass, aero, chutes, engine, sensors ------------------------------------------------------------------
def test_vehicle_dispersions_and_com_mapping(tmp_path):
    sc = load_scenario(str(write(tmp_path, "dispersions:\n"
                                 "  mass: {entry_kg: {dist: uniform, low: 2, high: 2},\n"
                                 "         com_axial_m: {dist: uniform, low: 0.01, high: 0.01},\n"
                                 "         com_lateral_m: {dist: uniform, low: -0.001, high: -0.001}}\n"
                                 "  aero: {cd_scale: {dist: uniform, low: 1.1, high: 1.1},\n"
                                 "         cm_alpha_scale: {dist: uniform, low: 0.5, high: 0.5}}\n"
                                 "  engine: {thrust_sigma: 0.05, ignition_delay_sigma_s: 0.2}\n"
                                 "  chutes: {main: {cd_sigma: 0.1}}\n")))
    v0 = sc.vehicle
    v = disperse(sc, 0, 0).scenario.vehicle
    assert v["mass"]["entry_kg"] == pytest.approx(v0["mass"]["entry_kg"] + 2)
    assert v["mass"]["com_lateral_m"] == pytest.approx(v0["mass"]["com_lateral_m"] - 0.001)
    k = v["mass"]["entry_kg"] / v0["mass"]["entry_kg"]
    assert v["mass"]["inertia_kgm2"] == pytest.approx([i * k for i in v0["mass"]["inertia_kgm2"]])
    assert v["aero"]["cd_value"] == pytest.approx([c * 1.1 for c in v0["aero"]["cd_value"]])
    cd_max = max(v0["aero"]["cd_value"]) * 1.1
    assert v["aero"]["cm_alpha_per_rad"] == pytest.approx(
        0.5 * v0["aero"]["cm_alpha_per_rad"] + cd_max * 0.01 / v0["aero"]["diameter_m"])
    for c in ("drogue", "main"):
        assert v["chutes"][c]["attach_offset_m"] == pytest.approx(v0["chutes"][c]["attach_offset_m"] - 0.01)
    assert v["engine"]["thrust_sigma"] == 0.05 and v["engine"]["ignition_delay_sigma_s"] == 0.2
    assert v["chutes"]["main"]["cd_sigma"] == 0.1
    assert v["chutes"]["drogue"]["cd_sigma"] == v0["chutes"]["drogue"]["cd_sigma"]
    check_vehicle(VEHICLE.validate(v))


def test_drawn_values_are_clamped_to_the_schemas(tmp_path):
    sc = load_scenario(str(write(tmp_path, "dispersions:\n"
                                 "  aero: {cm_alpha_scale: {dist: uniform, low: -5, high: -5}}\n"
                                 "  sensors: {imu.gyro_bias_dps: {dist: uniform, low: 1e6, high: 1e6},\n"
                                 "            baro.noise_pa: {dist: uniform, low: -3, high: -3}}\n")))
    d = disperse(sc, 0, 0)
    assert d.scenario.vehicle["aero"]["cm_alpha_per_rad"] == 0.0          # never unstable
    assert d.scenario.hardware["imu"]["gyro_bias_dps"] == (10.0, -10.0, 10.0)
    assert d.scenario.hardware["baro"]["noise_pa"] == 0.0
    HARDWARE.validate(d.scenario.hardware)


def test_sensor_factors_one_draw_per_element(mc):
    d = disperse(mc, 2024, 0)
    f = d.draws["sensors.baro.bias_pa"]
    assert len(f) == len(mc.hardware["baro"]["bias_pa"])
    assert d.scenario.hardware["baro"]["bias_pa"] == pytest.approx([b * k for b, k in zip(mc.hardware["baro"]["bias_pa"], f)])
    g = d.draws["sensors.imu.gyro_bias_dps"]
    assert len(g) == 3 and len(set(g)) == 3


# -- winds ----------------------------------------------------------------------------------------------
def test_wind_scale_and_constant(mc):
    d = disperse(mc, 2024, 1)
    w, w0 = d.scenario.environment["wind"], mc.environment["wind"]
    s, ce, cn = d.draws["wind.scale"], d.draws["wind.east_mps"], d.draws["wind.north_mps"]
    assert w["scale"] == 1.0
    assert w["east_mps"][:-1] == pytest.approx([v * s + ce for v in w0["east_mps"][:-1]])
    assert w["north_mps"][:-1] == pytest.approx([v * s + cn for v in w0["north_mps"][:-1]])
    assert w["east_mps"][-1] == w0["east_mps"][-1] * s


def test_constant_wind_without_a_table(tmp_path):
    sc = load_scenario(str(write(tmp_path, "dispersions:\n  wind: {east_mps: {dist: uniform, low: 3, high: 3}}\n")))
    w = disperse(sc, 0, 0).scenario.environment["wind"]
    assert w["model"] == "table"
    assert w["east_mps"][:-1] == [3.0] * (len(w["alt_m"]) - 1) and w["east_mps"][-1] == 0.0
    assert w["north_mps"] == [0.0] * len(w["alt_m"])


# -- atmosphere -----------------------------------------------------------------------------------------
def test_density_factor_is_a_gauss_markov_process_in_altitude():
    sigma, L = 0.1, 8000.0
    rng = np.random.Generator(np.random.PCG64(1))
    h1, h2 = 30_000.0, 38_000.0            # one correlation length apart
    x1, x2 = [], []
    for _ in range(3000):
        f = DensityFactor(0.0, sigma, L, rng)
        x1.append(math.log(f(h1)))
        x2.append(math.log(f(h2)))
    assert np.std(x1) == pytest.approx(sigma, rel=0.06)
    assert np.mean(x1) == pytest.approx(0.0, abs=0.01)
    assert np.corrcoef(x1, x2)[0, 1] == pytest.approx(math.exp(-1.0), abs=0.05)


def test_density_factor_bias_and_grid_ends():
    f = DensityFactor(0.2, 0.0, 5000.0, None)
    for h in (-10e3, 0.0, 55_555.0, 300e3):
        assert f(h) == pytest.approx(math.exp(0.2))


def test_atmosphere_hook_scales_density_only(mc):
    d = disperse(mc, 2024, 3)
    env = d.scenario.environment
    atm = make_atmosphere(env)
    f = env["density_factor"]
    for h in (0.0, 12_345.0, 60e3, 119e3):
        rho0, a0 = density_sound_speed(h)
        rho, a = atm(h)
        assert rho == pytest.approx(rho0 * f(h), rel=1e-12)
        assert a == a0
    assert make_atmosphere(mc.environment) is density_sound_speed     # the undispersed path is unchanged
    for km in (10, 40, 70):
        assert d.draws[f"atmosphere.factor_{km}km"] == f(km * 1000.0)
