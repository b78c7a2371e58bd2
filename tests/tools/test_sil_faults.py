"""SIL flights with injected faults: the failures ARCHITECTURE.md says we must survive.

Each flies the real flight app against the simulator in-process and checks what
a user would see in the summary.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.scenario import load_scenario
from tools.sil import SilRun

REPO = Path(__file__).resolve().parents[2]


def fly(tmp_path: Path, base: str = "edl.yaml", **overrides) -> dict:
    doc = {"extends": str(REPO / "config" / "scenarios" / base), **overrides}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc))
    return SilRun(load_scenario(str(path)), out_dir=tmp_path / "out", echo=None).run()


def channels(s: dict) -> list[str]:
    return sorted(f["channel"] for f in s["pyro_fires"])


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/imu_accel_invert_genesis.yaml
def test_genesis_inverted_accelerometer_still_lands(tmp_path):
    """Genesis 2004: deceleration sensing inverted. The magnitude-based g-arm still arms and
    the drag Mach (a magnitude too) still votes."""
    s = fly(tmp_path, faults=[{"target": "imu.accel", "kind": "invert", "at_s": 0}])
    assert s["result"] == "landed", s["failure_reasons"]
    assert "drag" in s["drogue"]["trigger"].split("+")
    assert s["faults_injected"] == 1


def test_both_barometers_lost_timers_deploy_the_chutes(tmp_path):
    """Barometers gone (a common cause: both static ports blocked): no drag Mach and no baro
    altitude. The navigated Mach and the g-arm timer vote the drogue, GPS and the drogue
    timer the main; the verdict holds both inside their envelopes; the water switch lands."""
    s = fly(tmp_path, faults=[{"target": "baro.0", "kind": "dropout", "at_s": 0},
                              {"target": "baro.1", "kind": "dropout", "at_s": 0}])
    assert s["result"] == "landed", s["failure_reasons"]
    assert s["drogue"]["trigger"] == "nav+timer"
    assert s["main"]["trigger"] == "gps+timer"
    assert 0.6 <= s["drogue"]["mach"] <= 1.6
    assert 1000.0 <= s["main"]["alt_m"] <= 6000.0
    assert channels(s) == ["drogue", "float", "main", "main_release"]


def test_no_g_arm_drogue_by_navigated_mach_and_the_baro_range_timer(tmp_path):
    """Accelerometer stuck at entry onset, before the load peak: no g-arm, no drag Mach. The
    navigated Mach (GPS after blackout) and the timer from the barometers' first in-range
    reading fire the drogue inside its envelope."""
    s = fly(tmp_path, faults=[{"target": "imu.accel", "kind": "stuck", "at_phase": "ENTRY", "delay_s": 0}])
    assert s["result"] == "landed", s["failure_reasons"]
    assert s["drogue"]["trigger"] == "nav+timer"
    assert 0.6 <= s["drogue"]["mach"] <= 1.6


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/chute_drogue_no_inflate.yaml
def test_drogue_that_never_inflates_main_still_saves_the_capsule(tmp_path):
    s = fly(tmp_path, faults=[{"target": "chute.drogue", "kind": "no_inflate", "at_s": 0}])
    assert s["main"] is not None
    assert s["splashdown"]["speed_mps"] <= 10.0
    assert s["result"] == "landed", s["failure_reasons"]


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/water_stuck_open.yaml
def test_water_switch_stuck_open_baro_backup_lands(tmp_path):
    s = fly(tmp_path, faults=[{"target": "water", "kind": "stuck_open", "at_s": 0}])
    assert s["result"] == "landed", s["failure_reasons"]
    assert s["beacon"]["after_splash"] >= 1


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/water_transient_main_mpl.yaml
def test_water_switch_transient_high_up_is_ignored(tmp_path):
    """Mars Polar Lander 1999: a spurious touchdown signal before arming must not latch."""
    s = fly(tmp_path, faults=[{"target": "water", "kind": "transient", "at_phase": "MAIN", "delay_s": 5, "duration_s": 3}])
    assert s["result"] == "landed", s["failure_reasons"]
    release = next(f for f in s["pyro_fires"] if f["channel"] == "main_release")
    assert release["t_s"] >= s["splashdown"]["t_s"]


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/fsw_reset_drogue.yaml
def test_reset_under_drogue_does_not_refire_pyros(tmp_path):
    s = fly(tmp_path, faults=[{"target": "fsw", "kind": "reset", "at_phase": "DROGUE", "delay_s": 5}])
    assert s["resets"] == 1
    assert s["result"] == "landed", s["failure_reasons"]
    assert channels(s) == ["drogue", "float", "main", "main_release"]


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/engine_no_ignition_inversion_ray.yaml
def test_motor_that_never_ignites_aborts_to_safe(tmp_path):
    """Inversion Ray 2025: the deorbit motor never fired. The burn aborts, the capsule goes SAFE."""
    s = fly(tmp_path, base="nominal.yaml", stop={"t_s": 1400},
            faults=[{"target": "engine", "kind": "no_ignition", "at_s": 0}])
    assert s["result"] == "safe_abort"
    assert [p["phase"] for p in s["phases"]][-1] == "SAFE"
    assert s["deorbit_burn"]["result"] == "aborted"
    assert s["pyro_fires"] == []


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/attached_commands_fire_nothing.yaml
def test_nothing_fires_while_attached_whatever_is_commanded(tmp_path):
    cmds = [{"at_s": 5, "name": "ARM", "args": {"device": "pyro"}},
            {"at_s": 6, "name": "PYRO_FIRE", "args": {"channel": "drogue"}},
            {"at_s": 7, "name": "ARM", "args": {"device": "engine"}},
            {"at_s": 8, "name": "DEORBIT_GO", "args": {"ignition_t_s": 20}}]
    s = fly(tmp_path, base="nominal.yaml", start={"kind": "attached"}, stop={"t_s": 60}, commands=cmds)
    assert s["pyro_fires"] == []
    assert s["deorbit_burn"] is None
    assert [p["phase"] for p in s["phases"]] == []


@pytest.mark.slow      # the same fault flies in the catalogue (.ci/run): faults/link_uplink_corrupt_go.yaml
def test_corrupted_uplink_command_is_rejected_not_executed(tmp_path):
    s = fly(tmp_path, base="nominal.yaml", stop={"t_s": 400},
            faults=[{"target": "link.uplink", "kind": "corrupt", "at_s": 250, "duration_s": 100}])
    assert [p["phase"] for p in s["phases"]] == ["SEPARATED"]
    events = (tmp_path / "out" / "events.jsonl").read_text()
    assert '"LINK_FRAME_REJECTED"' in events        # CRC failure: counted and reported, not acknowledged
    assert '"DEORBIT_GO"' not in events
