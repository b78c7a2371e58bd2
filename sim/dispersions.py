"""Monte Carlo dispersions: the scenario's ``dispersions:`` block, each run's draws,
and the dispersed scenario that the ordinary SIL then flies.

Requirements
1. Every dispersed value is a distribution with its unit (``DIST``):
   ``{dist: normal, sigma: S, mean: M}`` (mean defaults to 0 for an offset, 1 for
   a factor) or ``{dist: uniform, low: L, high: H}``. A drawn value is clamped
   into the limits of the field it changes (the vehicle, hardware, start and
   wind schemas), so a dispersed scenario is always a valid one.
2. Run ``i`` of a campaign with seed ``c`` depends only on ``(c, i)``: its random
   numbers come from ``numpy.random.SeedSequence(c).spawn(n)[i]`` (built directly
   as ``SeedSequence(c, spawn_key=(i,))``, the same sequence for every n > i).
   That child spawns two: ``[0]`` for the dispersion draws, ``[1]`` for the
   run's SIL seed (63 bits), which seeds the world's NoiseSource and with it the
   sensor noise and the vehicle's own per-run error models (engine thrust and
   ignition delay, chute Cd and inflation time: sim/vehicle.py). Each dispersion
   item draws from its own stream, ``SeedSequence(c, spawn_key=(i, 0,
   crc32(item path)))``, so adding or removing one item never changes another's
   draws.
3. ``disperse`` returns a new ``Scenario`` (inputs untouched) whose ``seed`` is
   the run's SIL seed, plus the draws (item path -> drawn offset or factor).
4. Atmosphere: the density the dynamics sees (``sim.world.make_atmosphere``
   hook ``environment["density_factor"]``) is multiplied by
   ``f(h) = exp(b + x(h))``: ``b`` a fully correlated log-density bias (a
   ``DIST``), ``x`` a stationary first-order Gauss-Markov process in geometric
   altitude, ``E[x(h) x(h + d)] = s^2 exp(-|d| / L)`` (``gm_sigma`` s,
   ``gm_corr_length_m`` L), sampled exactly on a grid of step min(1 km, L / 4)
   from -5 km to 200 km (constant beyond) and interpolated linearly in f.
   Speed of sound (Mach) and the barometers' static pressure are not dispersed.
5. Centre of mass: the dynamics has no CoM offset (aerodynamic, parachute and
   thrust forces act about a fixed CoM on the symmetry axis). An AXIAL CoM shift
   ``mass.com_axial_m`` (d, positive aft, toward the backshell) is mapped exactly
   onto what it changes in this model: the drag now acts d ahead of the CoM, so
   ``Cm_alpha += Cd d / D`` (less stable when aft; Cd at the hypersonic plateau,
   the largest value of the Cd table: exact for Mach >= 3, overstating the shift
   by up to 1.7x subsonic, where the chute riser moment dominates), and each
   chute's riser arm becomes ``attach_offset_m - d``. A LATERAL offset
   ``mass.com_lateral_m`` is added to the vehicle's ``mass.com_lateral_m`` (the
   offset sim.dynamics trims and lifts on: trim angle and L/D scale with it).
6. Mass: ``entry_kg`` dispersed additively; the inertia tensor scales with it
   (same geometry); ``deorbit_propellant_kg`` additively.
7. Wind: ``scale`` multiplies the scenario's table (``model: table``); a constant
   ``east_mps`` / ``north_mps`` is added, after the scale, to every row but the
   top one, so the wind still tapers to the top row's value (zero by
   convention) over the last segment; with ``model: none`` the constant is laid
   on the altitudes of sim.winds.DEFAULT_PROFILE (0-30 km), no wind above.
8. The engine and chute error models are the vehicle's own (sim/vehicle.py,
   drawn by the world from the run seed); ``engine:`` and ``chutes:`` override
   their sigmas. ``sensors:`` factors multiply config/sil.yaml error terms.
9. ``faults.reset_at_s`` adds one ``fsw reset`` fault at the drawn mission time
   (clamped at 0) to the scenario's own faults.
"""
from __future__ import annotations

import copy
import math
import zlib
from dataclasses import dataclass, replace

import numpy as np

from fsw.schema import ConfigError, MapOf, Num, OneOf, Str, Struct
from sim.hardware_schema import HARDWARE
from sim.vehicle_schema import VEHICLE
from sim.winds import DEFAULT_PROFILE, WIND

#: Density-factor grid: bottom, top (m) and largest step (m).
DENSITY_GRID_BOTTOM_M = -5000.0
DENSITY_GRID_TOP_M = 200_000.0
DENSITY_GRID_MAX_STEP_M = 1000.0
#: Altitudes (km) at which a run's density factor is recorded with its draws.
DENSITY_RECORD_KM = (10, 40, 70)

#: Hardware error terms (config/sil.yaml paths) a ``sensors:`` factor may scale.
SENSOR_TERMS = tuple(
    [f"imu.{s}_{t}" for s in ("gyro",) for t in ("noise_density_dps_rthz", "bias_dps", "bias_gm_sigma_dph",
                                                 "scale_factor_ppm", "misalignment_deg")]
    + [f"imu.{s}_{t}" for s in ("accel",) for t in ("noise_density_mps2_rthz", "bias_mps2", "bias_gm_sigma_mps2",
                                                    "scale_factor_ppm", "misalignment_deg")]
    + ["baro.noise_pa", "baro.bias_pa", "baro.supersonic_q_frac", "baro.lag_tau_s",
       "gps.pos_noise_m", "gps.vel_noise_mps"])


# ---- schema ------------------------------------------------------------------------------
class _Uniform(Struct):
    def _check(self, value, path):
        out = super()._check(value, path)
        if out["high"] < out["low"]:
            raise ConfigError("", f"{path}.high" if path else "high",
                              f"expected a number >= low ({out['low']:g}), got {out['high']:g}")
        return out


def _dist(unit: str, doc: str, factor: bool = False) -> OneOf:
    what = "factor" if factor else "offset"
    u = f" ({unit})" if unit else ""
    return OneOf("dist", {
        "normal": Struct({
            "sigma": Num(unit, 0.0, None, doc=f"standard deviation of the {what}{u}"),
            "mean": Num(unit, default=1.0 if factor else 0.0, doc=f"mean of the {what}{u}"),
        }),
        "uniform": _Uniform({          # declares the tag itself: OneOf would rebuild a plain Struct otherwise
            "dist": Str(choices=["uniform"], doc="selects the 'uniform' variant"),
            "low": Num(unit, doc=f"lower bound of the {what}{u}"),
            "high": Num(unit, doc=f"upper bound of the {what}{u}"),
        }),
    }, default=None, doc=f"{doc} [{what}{u}: normal {{sigma, mean}} or uniform {{low, high}}]")


def _offset(unit, doc):
    return _dist(unit, doc)


def _factor(doc):
    return _dist("", doc, factor=True)


_CHUTE_SIGMAS = Struct({
    "cd_sigma": Num("-", 0, 0.5, default=None, doc="overrides vehicle chutes.<c>.cd_sigma: 1 sigma of the per-run Cd factor"),
    "inflation_sigma_s": Num("s", 0, 10, default=None, doc="overrides vehicle chutes.<c>.inflation_sigma_s: 1 sigma of the "
                             "per-run inflation time"),
}, default={})

DISPERSIONS = Struct({
    "entry_interface": Struct({
        "alt_m": _offset("m", "entry-interface geodetic altitude"),
        "speed_mps": _offset("m/s", "entry-interface Earth-relative speed"),
        "fpa_deg": _offset("deg", "entry-interface flight-path angle"),
        "heading_deg": _offset("deg", "entry-interface heading"),
        "lat_deg": _offset("deg", "entry-interface geodetic latitude"),
        "lon_deg": _offset("deg", "entry-interface longitude (wrapped to [-180, 180))"),
    }, default={}, doc="start.kind entry_interface only: offsets added to the start state"),
    "separation": Struct({
        "rates_dps": _offset("deg/s", "tip-off body rates, one independent draw per axis added to start.rates_dps "
                             "(start.kind separation only)"),
        "orbit_alt_m": _offset("m", "station orbit altitude at release (mission station_orbit.alt_m)"),
        "orbit_arg_lat_deg": _offset("deg", "station along-track position at release (mission station_orbit.arg_lat_deg)"),
    }, default={}, doc="start.kind separation / attached: the release state"),
    "mass": Struct({
        "entry_kg": _offset("kg", "entry mass; the inertia tensor scales in proportion"),
        "deorbit_propellant_kg": _offset("kg", "deorbit propellant loaded"),
        "com_axial_m": _offset("m", "axial centre-of-mass shift, positive aft (see sim/dispersions.py, requirement 5)"),
        "com_lateral_m": _offset("m", "lateral centre-of-mass offset added to the vehicle's mass.com_lateral_m "
                                 "(trim angle and lift-to-drag ratio scale with it)"),
    }, default={}),
    "aero": Struct({
        "cd_scale": _factor("factor on the whole Cd(Mach) table"),
        "cm_alpha_scale": _factor("factor on the static pitch-moment slope cm_alpha_per_rad"),
        "cmq_scale": _factor("factor on every value of the pitch-damping table cmq_value"),
    }, default={}),
    "atmosphere": Struct({
        "bias": _offset("", "fully correlated log-density offset b: density x exp(b)"),
        "gm_sigma": Num("", 0.0, 1.0, default=0.0, doc="1 sigma of the altitude-correlated log-density "
                        "perturbation (first-order Gauss-Markov in altitude)"),
        "gm_corr_length_m": Num("m", 100.0, 1e6, default=10_000.0, doc="correlation length of that perturbation"),
    }, default={}, doc="density scale exp(b + x(h)) on the atmosphere model (requirement 4)"),
    "wind": Struct({
        "scale": _factor("factor on the environment.wind table (model: table only)"),
        "east_mps": _offset("m/s", "constant eastward wind added to every row of the (scaled) table but the top one "
                            "(requirement 7)"),
        "north_mps": _offset("m/s", "constant northward wind added to every row of the (scaled) table but the top one "
                             "(requirement 7)"),
    }, default={}),
    "engine": Struct({
        "thrust_sigma": Num("-", 0, 0.5, default=None, doc="overrides vehicle engine.thrust_sigma (1 sigma, fraction)"),
        "ignition_delay_sigma_s": Num("s", 0, 5, default=None, doc="overrides vehicle engine.ignition_delay_sigma_s"),
    }, default={}, doc="the vehicle's own per-run engine error model (drawn by the world from the run seed)"),
    "chutes": Struct({"drogue": _CHUTE_SIGMAS, "main": _CHUTE_SIGMAS}, default={},
                     doc="the vehicle's own per-run chute error models (drawn by the world from the run seed)"),
    "faults": Struct({
        "reset_at_s": _offset("s", "time of one processor reset (a fsw reset fault at that mission time): a "
                              "reset-time campaign (issue 8) draws it uniform over the mission"),
    }, default={}, doc="fault draws added to the scenario's faults (requirement 9)"),
    "sensors": MapOf(Str(choices=SENSOR_TERMS), _factor("factor on a config/sil.yaml error term, one independent "
                                                        "draw per element (axis, barometer)"), default={},
                     doc="hardware error-term path -> factor distribution"),
}, default={}, doc="Monte Carlo dispersions (sim/dispersions.py)")


def check_dispersions(disp: dict, start: dict, environment: dict) -> None:
    """Cross-checks against the rest of the scenario; raises ConfigError (path from ``dispersions``)."""
    kind = start["kind"]
    for key, v in disp["entry_interface"].items():
        if v is not None and kind != "entry_interface":
            raise ConfigError("", f"dispersions.entry_interface.{key}",
                              f"start.kind is {kind}; entry-interface dispersions need start.kind entry_interface")
    sep = disp["separation"]
    if sep["rates_dps"] is not None and kind != "separation":
        raise ConfigError("", "dispersions.separation.rates_dps", f"start.kind is {kind}; tip-off rates need separation")
    for key in ("orbit_alt_m", "orbit_arg_lat_deg"):
        if sep[key] is not None and kind == "entry_interface":
            raise ConfigError("", f"dispersions.separation.{key}", "start.kind is entry_interface; no station orbit to disperse")
    if disp["wind"]["scale"] is not None and environment["wind"]["model"] != "table":
        raise ConfigError("", "dispersions.wind.scale", "environment.wind.model is none: no table to scale")


# ---- seeds ---------------------------------------------------------------------------------
def run_sequence(campaign_seed: int, run: int) -> np.random.SeedSequence:
    """``SeedSequence(campaign_seed).spawn(n)[run]`` for any n > run."""
    return np.random.SeedSequence(campaign_seed, spawn_key=(run,))


def run_seed(campaign_seed: int, run: int) -> int:
    """The SIL seed of a campaign run (63 bits, a valid scenario seed)."""
    sim_ss = run_sequence(campaign_seed, run).spawn(2)[1]
    return int(sim_ss.generate_state(1, np.uint64)[0]) >> 1


class _Drawer:
    """Per-item random streams of one run; records every draw."""

    def __init__(self, campaign_seed: int, run: int):
        self.entropy = campaign_seed
        self.key = (run, 0)
        self.draws: dict[str, float | list[float]] = {}

    def rng(self, path: str) -> np.random.Generator:
        ss = np.random.SeedSequence(self.entropy, spawn_key=self.key + (zlib.crc32(path.encode()),))
        return np.random.Generator(np.random.PCG64(ss))

    def draw(self, path: str, spec: dict, n: int | None = None):
        """One value (or n values) of the distribution ``spec``; recorded under ``path``."""
        g = self.rng(path)
        k = 1 if n is None else n
        if spec["dist"] == "normal":
            vals = spec["mean"] + spec["sigma"] * g.standard_normal(k)
        else:
            vals = g.uniform(spec["low"], spec["high"], k)
        out = [float(v) for v in vals]
        self.draws[path] = out[0] if n is None else out
        return out[0] if n is None else out


def _limits(schema, path: str) -> tuple[float, float]:
    node = schema.lookup(path)
    node = getattr(node, "element", None) or getattr(node, "item", None) or node
    lo = -math.inf if node.min is None else node.min
    hi = math.inf if node.max is None else node.max
    return lo, hi


def _clamp(x: float, limits: tuple[float, float]) -> float:
    return min(max(x, limits[0]), limits[1])


# ---- atmosphere ------------------------------------------------------------------------------
class DensityFactor:
    """f(alt_m) = exp(b + x(alt_m)) on a uniform altitude grid, linear between nodes."""

    __slots__ = ("h0", "inv_dh", "f", "last")

    def __init__(self, bias: float, gm_sigma: float, corr_length_m: float, rng: np.random.Generator | None):
        dh = min(DENSITY_GRID_MAX_STEP_M, corr_length_m / 4.0)
        n = int(math.ceil((DENSITY_GRID_TOP_M - DENSITY_GRID_BOTTOM_M) / dh)) + 1
        x = np.zeros(n)
        if gm_sigma > 0.0:
            w = rng.standard_normal(n)
            phi = math.exp(-dh / corr_length_m)
            drive = gm_sigma * math.sqrt(1.0 - phi * phi)
            x[0] = gm_sigma * w[0]                   # stationary start
            for k in range(1, n):
                x[k] = phi * x[k - 1] + drive * w[k]
        self.h0 = DENSITY_GRID_BOTTOM_M
        self.inv_dh = 1.0 / dh
        self.f = tuple(float(v) for v in np.exp(bias + x))
        self.last = n - 1

    def __call__(self, alt_m: float) -> float:
        u = (alt_m - self.h0) * self.inv_dh
        if u <= 0.0:
            return self.f[0]
        i = int(u)
        if i >= self.last:
            return self.f[self.last]
        f0 = self.f[i]
        return f0 + (self.f[i + 1] - f0) * (u - i)


# ---- the dispersed scenario --------------------------------------------------------------------
@dataclass(frozen=True)
class DispersedRun:
    """One campaign run: the scenario to fly (its ``seed`` is the run's SIL seed) and the draws."""
    run: int
    seed: int
    scenario: object
    draws: dict


def disperse(scenario, campaign_seed: int, run: int) -> DispersedRun:
    """Run ``run`` of the campaign ``campaign_seed`` of ``scenario`` (a sim.scenario.Scenario)."""
    if run < 0:
        raise ValueError(f"run index must be >= 0, got {run}")
    d = getattr(scenario, "dispersions", None) or DISPERSIONS.validate({})
    dr = _Drawer(campaign_seed, run)
    start = copy.deepcopy(scenario.start)
    vehicle = copy.deepcopy(scenario.vehicle)
    mission = copy.deepcopy(scenario.mission)
    env = copy.deepcopy(scenario.environment)
    hardware = copy.deepcopy(scenario.hardware)

    # Initial state.
    for key, spec in d["entry_interface"].items():
        if spec is not None:
            v = start[key] + dr.draw(f"entry_interface.{key}", spec)
            if key == "lon_deg":
                v = (v + 180.0) % 360.0 - 180.0
            else:
                lim = (-89.999, 89.999) if key == "lat_deg" else _limits(_START_SCHEMA(), f"entry_interface.{key}")
                v = _clamp(v, lim)
            start[key] = v
    sep = d["separation"]
    if sep["rates_dps"] is not None:
        lim = (-30.0, 30.0)
        start["rates_dps"] = tuple(_clamp(a + b, lim) for a, b in
                                   zip(start["rates_dps"], dr.draw("separation.rates_dps", sep["rates_dps"], 3)))
    orbit = mission["station_orbit"]
    if sep["orbit_alt_m"] is not None:
        orbit["alt_m"] = _clamp(orbit["alt_m"] + dr.draw("separation.orbit_alt_m", sep["orbit_alt_m"]), (150e3, 2000e3))
    if sep["orbit_arg_lat_deg"] is not None:
        orbit["arg_lat_deg"] = _clamp(orbit["arg_lat_deg"] + dr.draw("separation.orbit_arg_lat_deg", sep["orbit_arg_lat_deg"]),
                                      (-360.0, 360.0))

    # Mass and aerodynamics (aero factors first: the CoM shift uses the dispersed Cd).
    m, a = vehicle["mass"], vehicle["aero"]
    spec = d["mass"]["entry_kg"]
    if spec is not None:
        new = _clamp(m["entry_kg"] + dr.draw("mass.entry_kg", spec), (1.0 + 1e-9, 5000.0))
        k = new / m["entry_kg"]
        lim = _limits(VEHICLE, "mass.inertia_kgm2")
        m["inertia_kgm2"] = tuple(_clamp(i * k, lim) for i in m["inertia_kgm2"])
        m["entry_kg"] = new
    spec = d["mass"]["deorbit_propellant_kg"]
    if spec is not None:
        m["deorbit_propellant_kg"] = _clamp(m["deorbit_propellant_kg"] + dr.draw("mass.deorbit_propellant_kg", spec),
                                            _limits(VEHICLE, "mass.deorbit_propellant_kg"))
    ae = d["aero"]
    if ae["cd_scale"] is not None:
        k = dr.draw("aero.cd_scale", ae["cd_scale"])
        lim = _limits(VEHICLE, "aero.cd_value")
        a["cd_value"] = [_clamp(c * k, lim) for c in a["cd_value"]]
    if ae["cm_alpha_scale"] is not None:
        a["cm_alpha_per_rad"] = _clamp(a["cm_alpha_per_rad"] * dr.draw("aero.cm_alpha_scale", ae["cm_alpha_scale"]),
                                       _limits(VEHICLE, "aero.cm_alpha_per_rad"))
    if ae["cmq_scale"] is not None:
        k = dr.draw("aero.cmq_scale", ae["cmq_scale"])
        lim = _limits(VEHICLE, "aero.cmq_value")
        a["cmq_value"] = [_clamp(c * k, lim) for c in a["cmq_value"]]
    spec = d["mass"]["com_axial_m"]
    if spec is not None:
        dx = dr.draw("mass.com_axial_m", spec)
        a["cm_alpha_per_rad"] = _clamp(a["cm_alpha_per_rad"] + max(a["cd_value"]) * dx / a["diameter_m"],
                                       _limits(VEHICLE, "aero.cm_alpha_per_rad"))
        for c in ("drogue", "main"):
            ch = vehicle["chutes"][c]
            ch["attach_offset_m"] = _clamp(ch["attach_offset_m"] - dx, _limits(VEHICLE, "chutes.drogue.attach_offset_m"))

    spec = d["mass"]["com_lateral_m"]
    if spec is not None:
        m = vehicle["mass"]
        m["com_lateral_m"] = _clamp(m["com_lateral_m"] + dr.draw("mass.com_lateral_m", spec),
                                    _limits(VEHICLE, "mass.com_lateral_m"))

    # The vehicle's own per-run error models: sigma overrides.
    for key, v in d["engine"].items():
        if v is not None:
            vehicle["engine"][key] = v
    for c in ("drogue", "main"):
        for key, v in d["chutes"][c].items():
            if v is not None:
                vehicle["chutes"][c][key] = v

    # Atmosphere.
    at = d["atmosphere"]
    if at["bias"] is not None or at["gm_sigma"] > 0.0:
        b = dr.draw("atmosphere.bias", at["bias"]) if at["bias"] is not None else 0.0
        f = DensityFactor(b, at["gm_sigma"], at["gm_corr_length_m"], dr.rng("atmosphere.gm"))
        env["density_factor"] = f
        for km in DENSITY_RECORD_KM:
            dr.draws[f"atmosphere.factor_{km}km"] = f(km * 1000.0)

    # Winds.
    wd, wind = d["wind"], env["wind"]
    if wd["scale"] is not None:
        wind["scale"] = _clamp(dr.draw("wind.scale", wd["scale"]), _limits(WIND, "scale"))
    if wd["east_mps"] is not None or wd["north_mps"] is not None:
        if wind["model"] == "none":
            n = len(DEFAULT_PROFILE["alt_m"])
            wind.update(model="table", alt_m=list(DEFAULT_PROFILE["alt_m"]), east_mps=[0.0] * n, north_mps=[0.0] * n,
                        scale=1.0)
        # Fold the scale into the rows, then add the constant below the top row.
        s = wind["scale"]
        for key in ("east_mps", "north_mps"):
            rows = [v * s for v in wind[key]]
            if wd[key] is not None:
                c = dr.draw(f"wind.{key}", wd[key])
                rows = [r + c for r in rows[:-1]] + rows[-1:]
            lim = _limits(WIND, key)
            wind[key] = [_clamp(r, lim) for r in rows]
        wind["scale"] = 1.0

    # Sensors.
    for term, spec in d["sensors"].items():
        dev, key = term.split(".")
        cur = hardware[dev][key]
        lim = _limits(HARDWARE, term)
        if isinstance(cur, (list, tuple)):
            ks = dr.draw(f"sensors.{term}", spec, len(cur))
            new = [_clamp(v * k, lim) for v, k in zip(cur, ks)]
            hardware[dev][key] = tuple(new) if isinstance(cur, tuple) else new
        else:
            hardware[dev][key] = _clamp(cur * dr.draw(f"sensors.{term}", spec), lim)

    # Fault draws (requirement 9).
    faults = list(scenario.faults)
    spec = d["faults"]["reset_at_s"]
    if spec is not None:
        t = max(0.0, dr.draw("faults.reset_at_s", spec))
        faults.append(_FAULT_SCHEMA().validate({"target": "fsw", "kind": "reset", "at_s": t}, "faults"))

    seed = run_seed(campaign_seed, run)
    sc = replace(scenario, seed=seed, start=start, vehicle=vehicle, mission=mission, environment=env,
                 hardware=hardware, faults=faults)
    return DispersedRun(run, seed, sc, dr.draws)


def _FAULT_SCHEMA():
    from sim.scenario import FAULT     # late: sim.scenario imports this module
    return FAULT


def _START_SCHEMA():
    from sim.scenario import START     # late: sim.scenario imports this module
    return START
