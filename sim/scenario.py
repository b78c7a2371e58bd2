"""Scenario files (ARCHITECTURE.md, "Scenario file"): schema, loading, validation.

Requirements
1. ``extends`` merges mappings key by key; lists and scalars replace the base's.
2. ``vehicle:`` (and ``mission:``) override config/vehicle.yaml (mission.yaml)
   and the merged result is validated with the vehicle (mission) schema, errors
   naming ``vehicle.<path>`` in the scenario file.
3. Every command name and its arguments are checked against the flight command
   dictionary; every fault target and kind against the fault tables. Unknown
   names are input errors, never ignored.
4. A fault that starts (``at_s``) at or after ``stop.t_s``, and a SET_PARAM whose
   name or value the flight parameter table would refuse, are input errors.
5. A DEORBIT_GO whose ``ignition_t_s`` is ``plan`` carries the ground's plan
   (sim/ground_plan.py) for the mission target from the release state as
   written, resolved at load: a campaign's dispersed runs all receive the go the
   ground sent for the planned release. A target the plan cannot reach is an
   input error.
6. All errors are ``ConfigError``: one line naming the file, the field and what
   was expected.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from fsw.commands import validate_command
from fsw.mission_schema import MISSION, PARAMS, resolve_guidance_target
from fsw.params import flatten
from fsw.phases import Phase
from fsw.pyro import CHANNELS
from fsw.schema import Any_, Bool, ConfigError, ListOf, Num, OneOf, Str, Struct, Vec
from fsw.yamlload import load_config, load_with_extends, merge
from sim.dispersions import DISPERSIONS, check_dispersions
from sim.faults import FAULT_KINDS, FAULT_TARGETS, check_fault
from sim.hardware_schema import HARDWARE
from sim.star_tracker import DEFAULT_EPOCH_UTC
from sim.vehicle_schema import VEHICLE, check_vehicle
from sim.winds import WIND

#: The repository's config directory (vehicle, mission and hardware defaults).
CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def _n(unit, lo=None, hi=None, doc="", **kw):
    return Num(unit, lo, hi, doc=doc, **kw)


START = OneOf("kind", {
    "separation": Struct({
        "rates_dps": Vec(3, "deg/s", -30, 30, default=(0.8, -0.5, 0.3), doc="body rates just after separation (tip-off)"),
    }),
    "attached": Struct({}),
    "entry_interface": Struct({
        "alt_m": _n("m", 50e3, 300e3, "geodetic altitude"),
        "speed_mps": _n("m/s", 1000, 12000, "speed relative to the rotating Earth"),
        "fpa_deg": _n("deg", -90, 0, "flight-path angle of the Earth-relative velocity (negative: descending)"),
        "heading_deg": _n("deg", -360, 360, "azimuth of the Earth-relative velocity from north, clockwise"),
        "lat_deg": _n("deg", -90, 90, "geodetic latitude"),
        "lon_deg": _n("deg", -180, 180, "longitude"),
        "aoa_deg": _n("deg", 0, 90, "initial total angle of attack (body +x tilted from the air-relative "
                      "velocity, in the pitch plane)", default=0.0),
        "rates_dps": Vec(3, "deg/s", -30, 30, default=(0.0, 0.0, 0.0), doc="initial body rates"),
    }),
}, default={"kind": "separation"}, doc="initial condition")

ENVIRONMENT = Struct({
    "gravity": Str(choices=("j2", "point", "none"), default="j2", doc="gravity model"),
    "atmosphere": Str(choices=("us76", "exponential"), default="us76", doc="atmosphere model"),
    "rho0_kg_m3": _n("kg/m^3", 0.0, 10.0, "exponential atmosphere: density at zero altitude", default=1.225),
    "scale_height_m": _n("m", 1000, 20000, "exponential atmosphere: scale height", default=7200.0),
    "earth_rotation": Bool(default=True, doc="rotate the Earth and the atmosphere"),
    "epoch_utc": Str(pattern=r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", default=DEFAULT_EPOCH_UTC,
                     doc="UTC date and time of simulation time 0 (ISO 8601, ...Z): sets the Sun's direction "
                     "(star tracker exclusion)"),
    "wind": WIND,
}, default={})

STOP = Struct({
    "after_landed_s": _n("s", 0, 1e6, "stop this long after splashdown", default=600.0),
    "t_s": _n("s", 1, 1e6, "stop at this simulation time at the latest", default=20000.0),
}, default={})

COMMAND = Struct({
    "at_s": _n("s", 0, 1e7, "uplink time"),
    "name": Str(doc="command name from the flight dictionary (elsrs dict)"),
    "args": Any_(default={}, doc="command arguments (DEORBIT_GO ignition_t_s: plan = the ground's plan for the "
                                 "target, sim/ground_plan.py)"),
})

FAULT = Struct({
    "target": Str(choices=FAULT_TARGETS, doc="device or channel"),
    "kind": Str(choices=FAULT_KINDS, doc="fault kind"),
    "at_s": _n("s", 0, 1e7, "start time", default=None),
    "at_phase": Str(choices=tuple(p.value for p in Phase), default=None, doc="start on entering this phase ..."),
    "delay_s": _n("s", 0, 1e6, "... plus this delay", default=0.0),
    "duration_s": _n("s", 0, 1e7, "how long the fault lasts (default: to the end)", default=None),
    "value": _n("", None, None, "magnitude (bias, scale, stuck value, saturation limit, thrust fraction ...)", default=None),
})

#: ``expect:`` -- the scenario's expected outcome, checked against the run outputs by
#: ``elsrs catalogue`` (tools/catalogue.py); ignored by ``elsrs sil`` and Monte Carlo.
#: ``result: failed`` means "no landing by design" (a run that never leaves the station).
EXPECT = Struct({
    "result": Str(choices=("landed", "safe_abort", "failed"), doc="summary result"),
    "pyro_fired": ListOf(Str(choices=CHANNELS), default=None,
                         doc="exactly these pyro channels fired, each exactly once ([]: none fired)"),
    "phases_include": ListOf(Str(choices=tuple(p.value for p in Phase)), default=[],
                             doc="phases the flight software must enter"),
    "phases_exclude": ListOf(Str(choices=tuple(p.value for p in Phase)), default=[],
                             doc="phases it must never enter"),
    "events_include": ListOf(Str(pattern=r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"), default=[],
                             doc="flight event names that must occur (events.jsonl)"),
    "events_exclude": ListOf(Str(pattern=r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"), default=[],
                             doc="flight event names that must not occur"),
    "deorbit_burn": Bool(default=None, doc="true: a deorbit burn ignited; false: none did"),
    "burn_dv_tol_pct": _n("%", 0, 100, "deorbit burn truth dv within this % of its target", default=None),
    "max_miss_km": _n("km", 0, 20000, "truth splash point within this distance of the mission target",
                      default=None),
}, default=None, doc="expected outcome (elsrs catalogue)")


def check_expect(e: dict) -> None:
    """Raise ConfigError (field path under ``expect``) if an expectation contradicts itself."""
    fired = e["pyro_fired"] or []
    for ch in fired:
        if fired.count(ch) > 1:
            raise ConfigError("", "expect.pyro_fired", f"expected each channel once (each fires exactly once), "
                                                        f"got {ch!r} {fired.count(ch)} times")
    for a, b in (("phases_include", "phases_exclude"), ("events_include", "events_exclude")):
        both = sorted(set(e[a]) & set(e[b]))
        if both:
            raise ConfigError("", f"expect.{b}", f"expected no name also in {a}, got {', '.join(both)}")
    if e["burn_dv_tol_pct"] is not None and e["deorbit_burn"] is False:
        raise ConfigError("", "expect.burn_dv_tol_pct", "expected no burn tolerance with deorbit_burn: false")


SCENARIO = Struct({
    "seed": _n("", 0, 2**63 - 1, "random seed of the run", integer=True, default=0),
    "start": START,
    "vehicle": Any_(default={}, doc="overrides of config/vehicle.yaml"),
    "mission": Any_(default={}, doc="overrides of config/mission.yaml"),
    "environment": ENVIRONMENT,
    "stop": STOP,
    "commands": ListOf(COMMAND, default=[]),
    "faults": ListOf(FAULT, default=[]),
    "dispersions": DISPERSIONS,
    "expect": EXPECT,
})


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with its merged vehicle, mission and hardware configs."""
    path: str
    seed: int
    start: dict
    environment: dict
    stop: dict
    commands: list
    faults: list
    vehicle: dict
    mission: dict
    hardware: dict
    dispersions: dict = field(default_factory=lambda: DISPERSIONS.validate({}))   # Monte Carlo only
    expect: dict | None = None        # expected outcome (elsrs catalogue), None when not stated


def _overridden(source: str, base_file: Path, override, schema, key: str) -> dict:
    base = load_with_extends(base_file)
    if not isinstance(override, dict):
        raise ConfigError(source, key, f"expected a mapping of overrides of {base_file.name}, got {override!r}")
    try:
        return schema.validate(merge(base, override), key)
    except ConfigError as exc:
        # Name the scenario when the override is at fault, the base file otherwise.
        head = exc.path.split(".")[1] if "." in exc.path else ""
        if head:
            at_fault = head in override
        else:  # at the top level: an unknown key that the override brought in
            at_fault = any(k not in getattr(schema, "fields", {}) for k in override)
        culprit = source if override and at_fault else str(base_file)
        raise exc.with_source(culprit) from None


def _check_set_param(src: str, where: str, args: dict, params: dict) -> None:
    """A scenario SET_PARAM must be one the flight app accepts (fsw.params.ParamTable.set)."""
    names = flatten(params)
    name = args["name"]
    if name not in names:
        close = difflib.get_close_matches(name, list(names), n=1) if isinstance(name, str) else []
        hint = f"; did you mean {close[0]!r}?" if close else " (mission.yaml params, e.g. beacon.period_s)"
        raise ConfigError(src, f"{where}.name", f"expected a flight parameter name, got {name!r}{hint}")
    try:
        PARAMS.lookup(name).validate(args["value"], name)
    except ConfigError as exc:
        raise ConfigError(src, f"{where}.value", f"{name}: {exc.problem}") from None


#: The DEORBIT_GO ``ignition_t_s`` value that asks for the ground's plan (requirement 5).
PLAN = "plan"


def go_time_s(commands: list) -> float:
    """Uplink time of the scenario's first DEORBIT_GO, s (0 with none)."""
    return min((c["at_s"] for c in commands if c["name"] == "DEORBIT_GO"), default=0.0)


def _plan_go(src: str, where: str, c: dict, vehicle: dict, mission: dict, hardware: dict, sc: dict) -> None:
    """Requirement 5: replace ``plan`` by the ground's ignition time."""
    from sim.ground_plan import plan_burn, release_world
    params = flatten(mission["params"])
    lat, lon = params["guidance.target_lat_deg"], params["guidance.target_lon_deg"]
    if lat is None or lon is None:
        raise ConfigError(src, where, "expected a mission target for the ground's plan (mission.target), got none")
    if sc["start"]["kind"] == "entry_interface":
        raise ConfigError(src, where, "expected a separation or attached start for the ground's plan, got entry_interface")
    w = release_world(vehicle, hardware, sc["environment"], sc["start"], mission["station_orbit"], sc["seed"])
    gp = plan_burn(w, params, lat, lon, c["at_s"])
    if gp.why:
        raise ConfigError(src, where, f"expected a target the ground's plan reaches, got no-go: {gp.why}")
    c["args"]["ignition_t_s"] = round(gp.solution.burn.ignition_t_s, 3)


def load_scenario(path: str, config_dir: Path = CONFIG_DIR, hardware_file: str = "sil.yaml") -> Scenario:
    """Load and validate a scenario file; raises ConfigError."""
    raw = load_with_extends(path)
    try:
        sc = SCENARIO.validate(raw)
    except ConfigError as exc:
        raise exc.with_source(str(path)) from None
    src = str(path)
    vehicle = _overridden(src, config_dir / "vehicle.yaml", sc["vehicle"], VEHICLE, "vehicle")
    try:
        check_vehicle(vehicle)
    except ConfigError as exc:
        raise ConfigError(src if sc["vehicle"] else str(config_dir / "vehicle.yaml"), "vehicle." + exc.path, exc.problem) from None
    mission = _overridden(src, config_dir / "mission.yaml", sc["mission"], MISSION, "mission")
    resolve_guidance_target(mission)
    hardware = load_config(config_dir / hardware_file, HARDWARE)
    for i, c in enumerate(sc["commands"]):
        planned = (c["name"] == "DEORBIT_GO" and isinstance(c["args"], dict)
                   and c["args"].get("ignition_t_s") == PLAN)
        try:
            c["args"] = validate_command(c["name"], {k: v for k, v in c["args"].items() if k != "ignition_t_s"}
                                         if planned else c["args"])
        except ConfigError as exc:
            field = "name" if exc.path == "name" else exc.path
            raise ConfigError(src, f"commands[{i}].{field}", exc.problem) from None
        if c["name"] == "SET_PARAM":
            _check_set_param(src, f"commands[{i}].args", c["args"], mission["params"])
        if planned:
            _plan_go(src, f"commands[{i}].args.ignition_t_s", c, vehicle, mission, hardware, sc)
    for i, f in enumerate(sc["faults"]):
        try:
            check_fault(f)
        except ConfigError as exc:
            raise ConfigError(src, f"faults[{i}]" + (f".{exc.path}" if exc.path else ""), exc.problem) from None
        if f["at_s"] is not None and f["at_s"] >= sc["stop"]["t_s"]:
            raise ConfigError(src, f"faults[{i}].at_s", f"expected a start time before stop.t_s "
                              f"({sc['stop']['t_s']:g} s, when the run ends), got {f['at_s']:g}")
    try:
        check_dispersions(sc["dispersions"], sc["start"], sc["environment"])
    except ConfigError as exc:
        raise exc.with_source(src) from None
    if sc["expect"] is not None:
        try:
            check_expect(sc["expect"])
        except ConfigError as exc:
            raise exc.with_source(src) from None
    return Scenario(src, sc["seed"], sc["start"], sc["environment"], sc["stop"], sc["commands"],
                    sc["faults"], vehicle, mission, hardware, sc["dispersions"], sc["expect"])
