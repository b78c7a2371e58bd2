"""`elsrs sil` input handling, run as a real process (ARCHITECTURE.md, "Command line").

Contract: bad usage or bad input exits with status 2 and ONE line on stderr naming
the file, the field path and what was expected, with no traceback, and before any
flight is simulated. A run that finishes without landing exits with status 1.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fsw.commands import DICTIONARY
from fsw.mission_schema import PARAMS
from fsw.pyro import CHANNELS
from sim.faults import APPLICABLE, FAULT_TARGETS
from sim.scenario import SCENARIO, load_scenario
from sim.vehicle_schema import VEHICLE

ROOT = Path(__file__).resolve().parents[2]
NOMINAL = ROOT / "config" / "scenarios" / "nominal.yaml"
# A JSON string is a valid YAML double-quoted scalar: safe for any path.
EXTENDS = f"extends: {json.dumps(str(NOMINAL))}\n"

pytestmark = pytest.mark.timeout(60)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def run_sil(scenario: Path, out: Path) -> subprocess.CompletedProcess:
    return run_cli("sil", "--scenario", str(scenario), "--out", str(out), "--quiet")


def scenario_file(tmp_path: Path, body: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def input_error(proc: subprocess.CompletedProcess, out: Path | None = None) -> str:
    """Check the bad-input contract; return the single stderr line."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.endswith("\n"), repr(proc.stderr)
    line = proc.stderr[:-1]
    assert line.strip(), "empty error message"
    assert "\n" not in line and "\r" not in line, f"more than one line on stderr: {proc.stderr!r}"
    if out is not None:  # rejected before a flight was simulated
        assert not (out / "summary.json").exists()
    return line


def bad_scenario(tmp_path: Path, body: str) -> tuple[Path, str]:
    """Write a scenario, run it, check the contract; return (path, stderr line)."""
    path = scenario_file(tmp_path, body)
    out = tmp_path / "out"
    line = input_error(run_sil(path, out), out)
    assert str(path) in line, f"the scenario file is not named: {line}"
    return path, line


# -- scenario structure ---------------------------------------------------------
def test_unknown_top_level_key(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "sed: 3\n")
    assert "'sed'" in line
    assert "unknown key" in line
    for key in SCENARIO.fields:
        assert key in line, f"allowed key {key!r} not listed: {line}"


def test_unknown_nested_key_in_vehicle_override(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "vehicle: {mass: {entry_kgg: 40}}\n")
    assert "vehicle.mass" in line
    assert "entry_kgg" in line
    assert "entry_kg," in line or "'entry_kg'" in line  # what is allowed / meant


@pytest.mark.parametrize("override, key, allowed", [
    ("vehicle: {masss: {entry_kg: 40}}", "masss", "mass"),
    ("mission: {paramz: {}}", "paramz", "params"),
], ids=["vehicle", "mission"])
def test_unknown_top_key_in_override_blames_the_scenario(tmp_path, override, key, allowed):
    # Regression: an unknown key at the top of a vehicle/mission override used to be
    # reported against config/vehicle.yaml (mission.yaml) instead of the scenario.
    _, line = bad_scenario(tmp_path, EXTENDS + override + "\n")
    assert f"'{key}'" in line
    assert allowed in line
    assert "config/vehicle.yaml" not in line and "config/mission.yaml" not in line


@pytest.mark.parametrize("body, field, expected", [
    ('seed: "seven"', "seed", "expected an integer"),
    ("seed: 2.5", "seed", "expected an integer"),
    ('stop: {t_s: "long"}', "stop.t_s", "expected a number"),
    ("environment: {earth_rotation: 1}", "environment.earth_rotation", "expected true or false"),
], ids=["seed-string", "seed-float", "stop-t_s-string", "earth_rotation-int"])
def test_wrong_type(tmp_path, body, field, expected):
    _, line = bad_scenario(tmp_path, EXTENDS + body + "\n")
    assert f"{field}:" in line
    assert expected in line


def test_negative_mass(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "vehicle: {mass: {entry_kg: -3}}\n")
    assert "vehicle.mass.entry_kg" in line
    # The expected range and unit, as the schema states them: "a number in (1, 5000] (kg)".
    assert VEHICLE.lookup("mass.entry_kg").expectation() in line
    assert "(kg)" in line
    assert "-3" in line


def test_vehicle_override_leaves_cd_tables_of_unequal_length(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "vehicle: {aero: {cd_value: [1.0, 1.1]}}\n")
    assert "vehicle.aero.cd_value" in line or "vehicle.aero.cd_mach" in line
    assert "expected" in line


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "no_such_scenario.yaml"
    out = tmp_path / "out"
    line = input_error(run_sil(path, out), out)
    assert str(path) in line
    assert "not found" in line


def test_extends_missing_base_file(tmp_path):
    _, line = bad_scenario(tmp_path, "extends: no_such_base.yaml\nseed: 3\n")
    assert "extends" in line
    assert "no_such_base.yaml" in line
    assert "not found" in line


def test_invalid_yaml_names_the_line(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "seed: 7\nstop: {t_s: 5}: 3\ncommands: []\n")
    assert "line 3" in line
    assert "YAML" in line


# -- faults -----------------------------------------------------------------------
def test_unknown_fault_target(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "faults: [{target: imu.acel, kind: bias, value: 1, at_s: 0}]\n")
    assert "faults[0].target" in line
    assert "imu.acel" in line
    for target in FAULT_TARGETS:
        assert target in line, f"valid target {target!r} not listed: {line}"


def test_fault_kind_not_applicable_to_target(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "faults: [{target: water, kind: bias, value: 1, at_s: 0}]\n")
    assert "faults[0].kind" in line
    assert "bias" in line
    for kind in APPLICABLE["water"]:
        assert kind in line


def test_fault_missing_required_value(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "faults: [{target: imu.accel, kind: bias, at_s: 0}]\n")
    assert "faults[0].value" in line
    assert "expected a number" in line


def test_fault_error_names_its_index(tmp_path):
    body = EXTENDS + ("faults:\n"
                      "  - {target: imu.accel, kind: invert, at_s: 0}\n"
                      "  - {target: fsw, kind: reset}\n")
    _, line = bad_scenario(tmp_path, body)
    assert "faults[1].at_s" in line
    assert "at_phase" in line


@pytest.mark.parametrize("at_s", ["100", "150"], ids=["at-stop", "after-stop"])
def test_fault_starting_at_or_after_the_stop_time(tmp_path, at_s):
    body = EXTENDS + f"stop: {{t_s: 100}}\nfaults: [{{target: imu.accel, kind: invert, at_s: {at_s}}}]\n"
    _, line = bad_scenario(tmp_path, body)
    assert "faults[0].at_s" in line
    assert "stop.t_s" in line and "100" in line
    assert at_s in line


def test_fault_starting_before_the_stop_time_loads(tmp_path):
    path = scenario_file(tmp_path, EXTENDS + "stop: {t_s: 100}\nfaults: [{target: imu.accel, kind: invert, at_s: 99}]\n")
    assert load_scenario(str(path)).faults[0]["at_s"] == 99


# -- commands ---------------------------------------------------------------------
def test_unknown_command_name(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "commands: [{at_s: 10, name: DEORBIT_GOO}]\n")
    assert "commands[0].name" in line
    assert "DEORBIT_GOO" in line
    for name in DICTIONARY:
        assert name in line


@pytest.mark.parametrize("command, field, expected", [
    ("{at_s: 10, name: SET_PARAM, args: {name: beacon.period_s}}", "commands[0].args", ["'value'"]),
    ("{at_s: 10, name: PYRO_FIRE, args: {channel: parachute}}", "commands[0].args.channel",
     ["parachute", *CHANNELS]),
    ("{at_s: 10, name: ARM, args: {device: laser}}", "commands[0].args.device", ["laser", "pyro", "engine"]),
], ids=["SET_PARAM-no-value", "PYRO_FIRE-bad-channel", "ARM-bad-device"])
def test_bad_command_argument(tmp_path, command, field, expected):
    _, line = bad_scenario(tmp_path, EXTENDS + f"commands: [{command}]\n")
    assert field in line
    for word in expected:
        assert word in line


def test_set_param_unknown_parameter(tmp_path):
    _, line = bad_scenario(tmp_path, EXTENDS + "commands: [{at_s: 10, name: SET_PARAM, "
                                               "args: {name: beacon.periodd_s, value: 60}}]\n")
    assert "commands[0].args.name" in line
    assert "beacon.periodd_s" in line
    assert "beacon.period_s" in line                               # what was meant


@pytest.mark.parametrize("value", ["0", "1e9", '"often"'], ids=["below", "above", "string"])
def test_set_param_value_the_parameter_table_refuses(tmp_path, value):
    _, line = bad_scenario(tmp_path, EXTENDS + "commands: [{at_s: 10, name: SET_PARAM, "
                                               f"args: {{name: beacon.period_s, value: {value}}}}}]\n")
    assert "commands[0].args.value" in line
    assert "beacon.period_s" in line
    assert PARAMS.lookup("beacon.period_s").expectation() in line  # the limits the flight app applies


def test_set_param_within_limits_loads(tmp_path):
    path = scenario_file(tmp_path, EXTENDS + "commands: [{at_s: 10, name: SET_PARAM, "
                                             "args: {name: beacon.period_s, value: 60}}]\n")
    assert load_scenario(str(path)).commands[0]["args"] == {"name": "beacon.period_s", "value": 60}


# -- command line -------------------------------------------------------------------
def test_argparse_usage_error(tmp_path):
    line = input_error(run_cli("sil", "--seed", "x", "--out", str(tmp_path / "out"), "--quiet"), tmp_path / "out")
    assert "--seed" in line
    assert "'x'" in line


@pytest.mark.parametrize("seed", ["-1", str(2**63)], ids=["negative", "2^63"])
def test_seed_option_outside_the_scenario_seed_range(tmp_path, seed):
    line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--seed", seed, "--out", str(tmp_path / "out"),
                               "--quiet"), tmp_path / "out")
    assert line.startswith("elsrs: --seed: ")
    assert SCENARIO.fields["seed"].expectation() in line      # the same range as a scenario's seed:
    assert seed in line


def test_largest_scenario_seed_is_accepted_on_the_command_line(tmp_path):
    path = scenario_file(tmp_path, EXTENDS + "stop: {t_s: 1}\n")
    out = tmp_path / "out"
    proc = run_cli("sil", "--scenario", str(path), "--seed", str(2**63 - 1), "--out", str(out), "--quiet")
    assert proc.returncode == 1, proc.stderr                      # flew (and did not land in 1 s)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["seed"] == 2**63 - 1


@pytest.mark.parametrize("pace", ["0", "-2", "nan"])
def test_pace_must_be_positive(tmp_path, pace):
    line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--ground-listen", "127.0.0.1:0",
                               "--key-file", str(tmp_path / "key"), "--pace", pace, "--out", str(tmp_path / "out"),
                               "--quiet"), tmp_path / "out")
    assert line.startswith("elsrs: --pace: ")
    assert "> 0" in line
    assert "as fast as possible" in line                           # how to get what 0 used to mean


def test_pace_without_ground_listen_is_refused(tmp_path):
    line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--pace", "2", "--out", str(tmp_path / "out"),
                               "--quiet"), tmp_path / "out")
    assert line.startswith("elsrs: --pace: ")
    assert "--ground-listen" in line


# -- the output directory ------------------------------------------------------------
def test_out_that_is_a_file(tmp_path):
    out = tmp_path / "taken"
    out.write_text("not a directory")
    line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--out", str(out), "--quiet"))
    assert "--out" in line and str(out) in line
    assert "directory" in line
    assert out.read_text() == "not a directory"


def test_out_that_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "run"
    line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--out", str(out), "--quiet"))
    assert "--out" in line and str(out) in line
    assert "cannot create" in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_out_that_is_read_only(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        line = input_error(run_cli("sil", "--scenario", str(NOMINAL), "--out", str(out), "--quiet"))
    finally:
        out.chmod(0o755)
    assert "--out" in line and str(out) in line
    assert "cannot write" in line


# -- a valid run ----------------------------------------------------------------------
def test_valid_short_run_exits_1_and_writes_summary(tmp_path):
    path = scenario_file(tmp_path, EXTENDS + "stop: {t_s: 5}\n")
    out = tmp_path / "out"
    proc = run_sil(path, out)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema"] == 1
    assert summary["result"] == "failed"
    assert summary["failure_reasons"]
    assert summary["seed"] == 7  # from nominal.yaml
    assert summary["sim_time_s"] == pytest.approx(5.0, abs=0.1)


def test_a_wire_fault_in_a_sil_run_is_an_input_error(tmp_path):
    """wire.* faults act on serial lines (HIL): a SIL run has none, so the fault would do nothing."""
    path = scenario_file(tmp_path, EXTENDS + "faults:\n  - {target: wire.gps, kind: dropout, at_s: 10}\n")
    line = input_error(run_sil(path, tmp_path / "out"), tmp_path / "out")
    assert "faults[0].target" in line and "serial line" in line
