"""Fault catalogue (issue 8, item 9): the expect: schema, the expectation checker on
synthetic summaries, the catalogue's coverage, and real runs through the runner and
the command line (exit codes 0 / 1 / 2)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fsw.phases import Phase
from fsw.schema import ConfigError
from sim.faults import APPLICABLE, family
from sim.scenario import load_scenario
from tools import catalogue as cat
from tools import cli

REPO = Path(__file__).resolve().parents[2]
FAULTS = REPO / "config" / "scenarios" / "faults"
ALL4 = ["drogue", "main", "main_release", "float"]


def expect(**kw) -> dict:
    e = {"result": "landed", "pyro_fired": None, "phases_include": [], "phases_exclude": [],
         "events_include": [], "events_exclude": [], "deorbit_burn": None, "burn_dv_tol_pct": None,
         "max_miss_km": None}
    e.update(kw)
    return e


SUMMARY = {
    "result": "landed", "failure_reasons": [],
    "phases": [{"phase": p, "t_s": t} for p, t in (("SEPARATED", 0.2), ("DEORBIT_PREP", 900.0), ("DEORBIT_BURN", 1200.0),
                                                  ("COAST", 1217.6), ("ENTRY", 3243.6), ("DROGUE", 3653.2),
                                                  ("MAIN", 3883.3), ("LANDED", 4311.0))],
    "deorbit_burn": {"ignition_t_s": 1200.0, "cutoff_t_s": 1217.6, "dv_target_mps": 105.0,
                     "dv_achieved_mps": 104.9, "result": "nominal"},
    "pyro_fires": [{"channel": "drogue", "t_s": 3653.2, "phase": "ENTRY"}, {"channel": "main", "t_s": 3883.3, "phase": "DROGUE"},
                   {"channel": "main_release", "t_s": 4313.0, "phase": "LANDED"},
                   {"channel": "float", "t_s": 4314.0, "phase": "LANDED"}],
}
EVENTS = [{"t_s": 0.0, "name": "FSW_BOOT"}, {"t_s": 4326.0, "name": "BEACON_SENT"}]


def summary(**kw) -> dict:
    s = copy.deepcopy(SUMMARY)
    s.update(kw)
    return s


# ---- the checker on synthetic summaries -------------------------------------------------
def test_a_run_that_meets_every_expectation_passes():
    e = expect(pyro_fired=ALL4, phases_include=["DROGUE", "MAIN", "LANDED"], phases_exclude=["SAFE"],
               events_include=["BEACON_SENT"], events_exclude=["PYRO_REFUSED"], deorbit_burn=True, burn_dv_tol_pct=2)
    assert cat.check(e, summary(), EVENTS) == []


def test_result_mismatch_fails():
    assert cat.check(expect(result="safe_abort"), summary()) == ["expected result safe_abort, got landed"]


def test_pyro_never_fired_fails():
    s = summary(pyro_fires=SUMMARY["pyro_fires"][1:])
    assert cat.check(expect(pyro_fired=ALL4), s) == ["pyro never fired: drogue"]
    assert cat.check(expect(pyro_fired=ALL4), summary(pyro_fires=[])) == \
        ["pyro never fired: drogue, main, main_release, float"]


def test_pyro_fired_twice_fails():
    s = summary(pyro_fires=SUMMARY["pyro_fires"] + [{"channel": "main", "t_s": 3990.0, "phase": "MAIN"}])
    (msg,) = cat.check(expect(pyro_fired=ALL4), s)
    assert msg.startswith("pyro main fired 2 times") and "MAIN@3990.0s" in msg


def test_pyro_that_must_not_fire_fails():
    (msg,) = cat.check(expect(pyro_fired=[]), summary(pyro_fires=[{"channel": "main", "t_s": 2000.0, "phase": "COAST"}]))
    assert msg == "pyro main fired in COAST at t = 2000.0 s (expected not to)"


def test_unchecked_pyros_are_not_judged():
    assert cat.check(expect(pyro_fired=None), summary(pyro_fires=[])) == []


def test_missing_and_forbidden_phases_fail():
    s = summary(phases=SUMMARY["phases"][:4] + [{"phase": "SAFE", "t_s": 1300.0}])
    bad = cat.check(expect(phases_include=["DROGUE", "MAIN"], phases_exclude=["SAFE"]), s)
    assert bad == ["never entered DROGUE, MAIN", "entered SAFE at t = 1300.0 s (expected never to)"]


def test_missing_and_forbidden_events_fail():
    bad = cat.check(expect(events_include=["MONITOR_RESPONSE"], events_exclude=["FSW_BOOT"]), summary(), EVENTS)
    assert bad == ["no MONITOR_RESPONSE event", "event FSW_BOOT at t = 0.0 s (expected none)"]


def test_expected_events_without_an_event_log_fail():
    assert cat.check(expect(events_include=["BEACON_SENT"]), summary(), None) == \
        ["no flight events (events.jsonl) to check the expected events against"]


def test_burn_presence_is_checked_both_ways():
    assert cat.check(expect(deorbit_burn=True), summary(deorbit_burn=None)) == ["no deorbit burn (expected one)"]
    assert cat.check(expect(deorbit_burn=True, burn_dv_tol_pct=2), summary(deorbit_burn=None)) == \
        ["no deorbit burn (expected one)"]
    assert cat.check(expect(deorbit_burn=False), summary()) == \
        ["deorbit burn ignited at t = 1200.0 s (expected none)"]


def test_burn_dv_outside_tolerance_fails():
    burn = dict(SUMMARY["deorbit_burn"], dv_achieved_mps=128.6)
    assert cat.check(expect(burn_dv_tol_pct=2), summary(deorbit_burn=burn)) == \
        ["burn dv 128.6 of 105.0 m/s (+22.5 %, tolerance 2 %)"]
    assert cat.check(expect(burn_dv_tol_pct=2), summary(deorbit_burn=None)) == \
        ["no deorbit burn (expected dv within 2 % of target)"]


def test_splash_beyond_the_miss_limit_fails():
    sp = {"t_s": 4311.0, "lat_deg": -37.3, "lon_deg": -157.8, "miss_km": 31.4}
    assert cat.check(expect(max_miss_km=25), summary(splashdown=sp)) == \
        ["splash 31.4 km from the target (expected within 25 km)"]
    assert cat.check(expect(max_miss_km=25), summary(splashdown=dict(sp, miss_km=12.0))) == []
    assert cat.check(expect(max_miss_km=25), summary(splashdown=None)) == \
        ["no splashdown (expected one within 25 km of the target)"]


def test_why_lists_failed_expectations_then_the_runs_own_reasons():
    o = cat.Outcome("x", "x.yaml", "landed", "failed", ["expected result landed, got failed"],
                    ["vertical splash speed 53.0 m/s above 10 m/s"])
    assert not o.passed
    assert o.why == ["expected result landed, got failed", "vertical splash speed 53.0 m/s above 10 m/s"]


def test_read_events_skips_a_torn_last_line(tmp_path):
    p = tmp_path / "events.jsonl"
    p.write_text('{"t_s": 1.0, "name": "FSW_BOOT"}\n{"t_s": 2.0, "na')
    assert [e["name"] for e in cat.read_events(p)] == ["FSW_BOOT"]


# ---- the expect: schema ---------------------------------------------------------------
def scenario_file(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"extends: {REPO / 'config' / 'scenarios' / 'edl.yaml'}\n" + text)
    return p


@pytest.mark.parametrize("text, field", [
    ("expect: {result: landd}", "expect.result"),
    ("expect: {pyro_fired: [drogue]}", "expect"),                                   # result is required
    ("expect: {result: landed, phases_include: [DROUGE]}", "expect.phases_include[0]"),
    ("expect: {result: landed, pyro_fired: [chute]}", "expect.pyro_fired[0]"),
    ("expect: {result: landed, pyro_fired: [main, main]}", "expect.pyro_fired"),
    ("expect: {result: landed, phases_include: [SAFE], phases_exclude: [SAFE]}", "expect.phases_exclude"),
    ("expect: {result: landed, events_include: [not an event]}", "expect.events_include[0]"),
    ("expect: {result: landed, burn_dv_tol_pct: -1}", "expect.burn_dv_tol_pct"),
    ("expect: {result: landed, deorbit_burn: false, burn_dv_tol_pct: 2}", "expect.burn_dv_tol_pct"),
    ("expect: {result: landed, bogus: 1}", "expect"),
])
def test_a_bad_expect_is_an_input_error_naming_file_and_field(tmp_path, text, field):
    p = scenario_file(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        load_scenario(str(p))
    msg = str(ei.value)
    assert "\n" not in msg and msg.startswith(f"{p}: {field}:"), msg


def test_expect_is_optional_and_defaults_are_filled(tmp_path):
    assert load_scenario(str(REPO / "config" / "scenarios" / "nominal.yaml")).expect is None
    e = load_scenario(str(scenario_file(tmp_path, "expect: {result: safe_abort}"))).expect
    assert e == expect(result="safe_abort")


# ---- the catalogue itself -------------------------------------------------------------
def test_the_catalogue_loads_and_covers_every_device_kind_and_phase():
    entries = cat.load_entries(cat.discover())
    assert len(entries) >= 45
    used: set[tuple[str, str]] = set()
    targets: set[str] = set()
    reset_phases: set[str] = set()
    for e in entries:
        sc = load_scenario(e.path)
        for f in sc.faults:
            used.add((family(f["target"]), f["kind"]))
            targets.add(f["target"])
            if f["kind"] == "reset":
                reset_phases.add(f["at_phase"] or sc.start["kind"])
    # Serial-line faults (wire.*) act on the bytes between boards and flight computer,
    # so they exist only where there are lines: hardware-in-the-loop. SIL refuses them
    # (tests/tools/test_cli_input.py) and their effects are tested in
    # tests/sim/test_faults.py; the SIL catalogue cannot carry them.
    sil = {fam: kinds for fam, kinds in APPLICABLE.items() if fam != "wire"}
    missing = sorted(f"{fam} {k}" for fam, kinds in sil.items() for k in kinds if (fam, k) not in used)
    assert not missing, f"fault kinds with no catalogue scenario: {missing}"
    for t in ("imu.accel", "imu.gyro", "baro.0", "baro.1", "gps", "water", "engine", "chute.drogue", "chute.main",
              "iridium", "link.uplink", "fsw", "pyro.drogue", "pyro.main", "pyro.main_release", "pyro.float"):
        assert t in targets, t
    assert any(t.startswith("imu.accel.") for t in targets) and any(t.startswith("imu.gyro.") for t in targets)
    assert any(t.startswith("rcs.") for t in targets)
    every = {p.value for p in Phase}
    assert every <= reset_phases, f"no reset in {sorted(every - reset_phases)}"
    names = {e.name for e in entries}
    assert {"fsw_reset_entry_before_peak", "fsw_reset_entry_after_peak", "fsw_reset_deorbit_burn"} <= names


def test_every_catalogue_file_starts_with_its_header():
    for p in cat.discover():
        lines = p.read_text().splitlines()
        head = []
        for line in lines:
            if not line.startswith("#"):
                break
            head.append(line)
        text = " ".join(head)
        assert len(head) >= 2 and "Must" in text, f"{p.name}: no comment header stating what must happen"


def test_discover_filters_by_glob():
    names = [p.stem for p in cat.discover(only="fsw_reset_*")]
    assert names and all(n.startswith("fsw_reset_") for n in names)
    assert cat.discover(only="no_such_*") == []


# ---- real runs ------------------------------------------------------------------------
ATTACHED = FAULTS / "attached_commands_fire_nothing.yaml"


def catalogue_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "faults"
    d.mkdir()
    for name, text in files.items():
        (d / f"{name}.yaml").write_text(f"extends: {ATTACHED}\n" + text)
    return d


def test_runner_flies_scenarios_in_workers_and_judges_them(tmp_path):
    d = catalogue_dir(tmp_path, {"kept": "", "wrong": "expect: {result: landed}\n"})
    entries = cat.load_entries(cat.discover(d))
    seen = []
    out = cat.run_catalogue(entries, tmp_path / "out", workers=2, on_result=lambda o, n, t: seen.append((o.name, n, t)))
    assert [o.name for o in out] == ["kept", "wrong"]
    kept, wrong = out
    assert kept.passed and kept.got == "failed" and kept.expected == "failed"
    assert kept.reasons and "no splashdown" in kept.reasons[0]
    assert not wrong.passed and wrong.failed == ["expected result landed, got failed"]
    assert sorted(n for _, n, _ in seen) == [1, 2] and all(t == 2 for *_, t in seen)
    assert (tmp_path / "out" / "kept" / "summary.json").is_file()


def test_a_scenario_that_crashes_the_runner_is_a_failed_outcome(tmp_path):
    d = catalogue_dir(tmp_path, {"gone": ""})
    entries = cat.load_entries(cat.discover(d))
    (d / "gone.yaml").unlink()                           # the worker cannot even load it now
    (o,) = cat.run_catalogue(entries, tmp_path / "out", workers=1)
    assert not o.passed and o.got == "error"
    assert len(o.failed) == 1 and o.failed[0].startswith("exception: ") and "\n" not in o.failed[0]
    assert (tmp_path / "out" / "gone" / "traceback.txt").is_file()


def test_fly_turns_an_exception_into_a_one_line_reason(tmp_path, monkeypatch):
    import tools.sil

    class Boom:
        def __init__(self, *a, **k):
            raise RuntimeError("boom\nsecond line")
    monkeypatch.setattr(tools.sil, "SilRun", Boom)
    o = cat.fly(ATTACHED, tmp_path / "out")
    assert o.got == "error" and o.failed == ["exception: RuntimeError: boom second line"]


def test_cli_exit_0_when_all_pass_and_1_when_one_fails(tmp_path, monkeypatch, capsys):
    d = catalogue_dir(tmp_path, {"kept": "", "wrong": "expect: {pyro_fired: [drogue]}\n"})
    monkeypatch.setattr(cat, "CATALOGUE_DIR", d)
    assert cli.main(["catalogue", "--only", "kept", "--out", str(tmp_path / "o1")]) == 0
    out = capsys.readouterr().out
    assert "1 of 1 scenario passed" in out and "scenario" in out and "expected" in out and "why" in out
    report = json.loads((tmp_path / "o1" / "catalogue.json").read_text())
    assert report["passed"] == 1 and report["scenarios"][0]["name"] == "kept"

    assert cli.main(["catalogue", "--workers", "2", "--out", str(tmp_path / "o2")]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 scenarios passed" in out
    row = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert "wrong" in row and "pyro never fired: drogue" in row


def test_cli_default_out_is_a_temp_dir_removed_when_all_pass(tmp_path, monkeypatch, capsys):
    d = catalogue_dir(tmp_path, {"kept": ""})
    monkeypatch.setattr(cat, "CATALOGUE_DIR", d)
    assert cli.main(["catalogue"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    out_dir = Path(first.rsplit("outputs in ", 1)[1])
    assert not out_dir.exists()


@pytest.mark.parametrize("files, argv, needle", [
    ({"bad": "expect: {result: landed, phases_exclude: [SAEF]}\n"}, [], "bad.yaml: expect.phases_exclude[0]:"),
    ({"noexp": "expect: null\n"}, [], "noexp.yaml: expect:"),
    ({"kept": ""}, ["--only", "zzz*"], "--only"),
    ({"kept": ""}, ["--workers", "0"], "--workers"),
])
def test_cli_bad_input_is_exit_2_with_one_line(tmp_path, monkeypatch, capsys, files, argv, needle):
    d = catalogue_dir(tmp_path, files)
    monkeypatch.setattr(cat, "CATALOGUE_DIR", d)
    assert cli.main(["catalogue", *argv, "--out", str(tmp_path / "o")]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and needle in err and "Traceback" not in captured.err, err
    assert captured.out == ""                              # nothing flew
