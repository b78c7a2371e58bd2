"""Tests for sim.scenario.load_scenario: defaults, extends, overrides, commands, faults."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fsw.mission_schema import MISSION, resolve_guidance_target
from fsw.schema import ConfigError
from fsw.yamlload import load_yaml
from sim.faults import APPLICABLE, FAULT_KINDS, FAULT_TARGETS, NEEDS_VALUE, family
from sim.scenario import load_scenario
from sim.vehicle_schema import VEHICLE

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
NOMINAL = CONFIG / "scenarios" / "nominal.yaml"
EDL = CONFIG / "scenarios" / "edl.yaml"
EXTENDS = f"extends: {json.dumps(str(NOMINAL))}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> ConfigError:
    """The ConfigError load_scenario raises, checked to be one line naming the file."""
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    text = str(info.value)
    assert text and "\n" not in text and "\r" not in text
    assert str(path) in text
    return info.value


def vehicle_file() -> dict:
    return VEHICLE.validate(load_yaml(CONFIG / "vehicle.yaml"))


# -- defaults -----------------------------------------------------------------------
def test_empty_scenario_gets_defaults(tmp_path):
    sc = load_scenario(str(write(tmp_path / "empty.yaml", "")))
    assert sc.path == str(tmp_path / "empty.yaml")
    assert sc.seed == 0
    assert sc.start["kind"] == "separation"
    assert sc.environment["gravity"] == "j2"
    assert sc.environment["atmosphere"] == "us76"
    assert sc.environment["earth_rotation"] is True
    assert sc.stop["after_landed_s"] == 600
    assert sc.stop["t_s"] > 0
    assert sc.commands == [] and sc.faults == []
    assert sc.vehicle == vehicle_file()
    # The file's mission, with the guidance target filled from its target: (fsw.mission_schema).
    assert sc.mission == resolve_guidance_target(MISSION.validate(load_yaml(CONFIG / "mission.yaml")))
    assert sc.mission["params"]["guidance"]["target_lat_deg"] == sc.mission["target"]["lat_deg"]
    assert isinstance(sc.hardware, dict) and sc.hardware


def test_partial_environment_keeps_other_defaults(tmp_path):
    sc = load_scenario(str(write(tmp_path / "s.yaml", "environment: {gravity: point}\n")))
    assert sc.environment["gravity"] == "point"
    assert sc.environment["atmosphere"] == "us76"
    assert sc.environment["earth_rotation"] is True


def test_nominal_scenario_loads():
    sc = load_scenario(str(NOMINAL))
    assert sc.seed == 7
    assert sc.start["kind"] == "separation"
    assert sc.stop == {"after_landed_s": 600.0, "t_s": 12000.0}


# -- extends ----------------------------------------------------------------------------
def test_edl_extends_nominal():
    sc = load_scenario(str(EDL))
    assert sc.start["kind"] == "entry_interface"
    assert sc.start["alt_m"] == 120000.0
    assert sc.seed == 7                       # from nominal.yaml
    assert sc.stop == {"after_landed_s": 300.0, "t_s": 4000.0}  # edl's mapping replaces both keys
    assert sc.commands == []                  # a list replaces the base's


def test_extends_chain_merges_mappings_and_replaces_lists(tmp_path):
    write(tmp_path / "base" / "a.yaml",
          "seed: 11\nenvironment: {gravity: point}\nstop: {t_s: 50}\n"
          "commands: [{at_s: 1, name: NOOP}, {at_s: 2, name: NOOP}]\n")
    write(tmp_path / "base" / "b.yaml", "extends: a.yaml\nenvironment: {atmosphere: exponential}\n")
    c = write(tmp_path / "c.yaml",
              "extends: base/b.yaml\nstop: {after_landed_s: 5}\ncommands: [{at_s: 3, name: SAFE}]\n")
    sc = load_scenario(str(c))
    assert sc.seed == 11
    assert sc.environment["gravity"] == "point"          # from a
    assert sc.environment["atmosphere"] == "exponential"  # from b
    assert sc.stop == {"after_landed_s": 5.0, "t_s": 50.0}
    assert [cmd["name"] for cmd in sc.commands] == ["SAFE"]


def test_extends_missing_base(tmp_path):
    exc = error_of(write(tmp_path / "s.yaml", "extends: nowhere.yaml\n"))
    assert exc.path == "extends"
    assert "not found" in exc.problem


def test_extends_cycle(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(str(tmp_path / "a.yaml"))


# -- vehicle and mission overrides -------------------------------------------------------
def test_vehicle_override_merges_onto_vehicle_yaml(tmp_path):
    sc = load_scenario(str(write(tmp_path / "s.yaml", EXTENDS + "vehicle: {chutes: {main: {cd: 0.7}}}\n")))
    expected = vehicle_file()
    assert expected["chutes"]["main"]["cd"] != 0.7
    expected["chutes"]["main"]["cd"] = 0.7
    assert sc.vehicle == expected


def test_mission_override_merges_onto_mission_yaml(tmp_path):
    sc = load_scenario(str(write(tmp_path / "s.yaml", "mission: {params: {beacon: {period_s: 60}}}\n")))
    expected = resolve_guidance_target(MISSION.validate(load_yaml(CONFIG / "mission.yaml")))
    expected["params"]["beacon"]["period_s"] = 60.0
    assert sc.mission == expected


@pytest.mark.parametrize("body, path", [
    ("vehicle: {mass: {entry_kg: -3}}", "vehicle.mass.entry_kg"),
    ("vehicle: {mass: {entry_kgg: 40}}", "vehicle.mass"),
    ("vehicle: {masss: {}}", "vehicle"),
    ("vehicle: {aero: {cd_mach: [0.0, 1.0]}}", "vehicle.aero.cd_value"),
    ("vehicle: {aero: {cd_mach: [0.0, 0.0], cd_value: [1.0, 1.0]}}", "vehicle.aero.cd_mach"),
    ("vehicle: [1]", "vehicle"),
    ("mission: {paramz: {}}", "mission"),
])
def test_bad_override_names_the_scenario(tmp_path, body, path):
    exc = error_of(write(tmp_path / "s.yaml", body + "\n"))
    assert exc.source == str(tmp_path / "s.yaml")
    assert exc.path == path


# -- commands -------------------------------------------------------------------------------
def test_command_args_normalised():
    sc = load_scenario(str(NOMINAL))
    go, param = sc.commands
    assert go == {"at_s": 300.0, "name": "DEORBIT_GO", "args": {"ignition_t_s": None}}
    assert param["name"] == "SET_PARAM"
    assert param["args"] == {"name": "beacon.period_s", "value": 60}


@pytest.mark.parametrize("command, path", [
    ("{at_s: 1, name: DEORBIT_GOO}", "commands[0].name"),
    ("{at_s: 1, name: SET_PARAM, args: {name: beacon.period_s}}", "commands[0].args"),
    ("{at_s: 1, name: PYRO_FIRE, args: {channel: parachute}}", "commands[0].args.channel"),
    ("{at_s: -1, name: NOOP}", "commands[0].at_s"),
])
def test_bad_command(tmp_path, command, path):
    exc = error_of(write(tmp_path / "s.yaml", f"commands: [{command}]\n"))
    assert exc.path == path
    assert "expected" in exc.problem or "missing" in exc.problem


# -- faults ---------------------------------------------------------------------------------
@pytest.mark.parametrize("timing, ok", [
    ("at_s: 10", True),
    ("at_phase: DROGUE, delay_s: 5", True),
    ("at_s: 10, at_phase: DROGUE", False),
    ("delay_s: 5", False),
], ids=["at_s", "at_phase", "both", "neither"])
def test_fault_timing_needs_exactly_one_of_at_s_at_phase(tmp_path, timing, ok):
    path = write(tmp_path / "s.yaml", f"faults: [{{target: fsw, kind: reset, {timing}}}]\n")
    if ok:
        (fault,) = load_scenario(str(path)).faults
        assert (fault["at_s"] is None) != (fault["at_phase"] is None)
    else:
        exc = error_of(path)
        assert exc.path == "faults[0].at_s"
        assert "at_phase" in exc.problem


def test_fault_tables_are_consistent():
    families = {family(t) for t in FAULT_TARGETS}
    assert families == set(APPLICABLE)
    for kinds in APPLICABLE.values():
        assert set(kinds) <= set(FAULT_KINDS)
    assert set(NEEDS_VALUE) <= set(FAULT_KINDS)


def _fault_yaml(target: str, kind: str) -> str:
    extra = ", value: 0.5" if kind in NEEDS_VALUE else ""
    extra += ", duration_s: 1" if kind == "transient" else ""
    return f"faults: [{{target: {target}, kind: {kind}, at_s: 0{extra}}}]\n"


@pytest.mark.parametrize("target", FAULT_TARGETS)
def test_every_fault_target_validates(tmp_path, target):
    kind = APPLICABLE[family(target)][0]
    sc = load_scenario(str(write(tmp_path / "s.yaml", _fault_yaml(target, kind))))
    (fault,) = sc.faults
    assert fault["target"] == target and fault["kind"] == kind


@pytest.mark.parametrize("target", FAULT_TARGETS)
def test_inapplicable_fault_kind_is_rejected(tmp_path, target):
    kind = next(k for k in FAULT_KINDS if k not in APPLICABLE[family(target)])
    exc = error_of(write(tmp_path / "s.yaml", _fault_yaml(target, kind)))
    assert exc.path == "faults[0].kind"
    assert target in exc.problem


@pytest.mark.parametrize("fault, path", [
    ("{target: imu.acel, kind: bias, value: 1, at_s: 0}", "faults[0].target"),
    ("{target: imu.accel, kind: bogus, value: 1, at_s: 0}", "faults[0].kind"),
    ("{target: imu.accel, kind: bias, at_s: 0}", "faults[0].value"),
    ("{target: engine, kind: underperform, value: 1.5, at_s: 0}", "faults[0].value"),
    ("{target: water, kind: transient, at_s: 0}", "faults[0].duration_s"),
    ("{target: fsw, kind: reset, at_phase: LANDING}", "faults[0].at_phase"),
])
def test_bad_fault(tmp_path, fault, path):
    exc = error_of(write(tmp_path / "s.yaml", f"faults: [{fault}]\n"))
    assert exc.path == path
    assert "expected" in exc.problem


# -- errors in general -------------------------------------------------------------------------
@pytest.mark.parametrize("body, path", [
    ("sed: 3", ""),
    ('seed: "seven"', "seed"),
    ("seed: -1", "seed"),
    ("start: {kind: orbit}", "start.kind"),
    ("start: {kind: entry_interface, alt_m: 120000}", "start"),
    ("environment: {gravity: newton}", "environment.gravity"),
    ("stop: {t_s: 0}", "stop.t_s"),
])
def test_scenario_field_errors(tmp_path, body, path):
    exc = error_of(write(tmp_path / "s.yaml", body + "\n"))
    assert exc.path == path


def test_invalid_yaml_is_config_error_with_line(tmp_path):
    exc = error_of(write(tmp_path / "s.yaml", "seed: 7\nstop: {t_s: 5}: 3\n"))
    assert "line 2" in exc.problem


def test_a_mission_target_override_moves_the_guidance_target_unless_guidance_sets_its_own(tmp_path):
    sc = load_scenario(str(write(tmp_path / "t.yaml", "mission: {target: {lat_deg: -30.0, lon_deg: -160.0}}\n")))
    g = sc.mission["params"]["guidance"]
    assert (g["target_lat_deg"], g["target_lon_deg"]) == (-30.0, -160.0)
    sc = load_scenario(str(write(tmp_path / "u.yaml", "mission: {target: {lat_deg: -30.0, lon_deg: -160.0}, "
                                                      "params: {guidance: {target_lat_deg: -31.0}}}\n")))
    g = sc.mission["params"]["guidance"]
    assert (g["target_lat_deg"], g["target_lon_deg"]) == (-31.0, -160.0)
