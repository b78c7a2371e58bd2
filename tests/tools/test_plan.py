"""`elsrs plan` (issue 9 item 3): ground planning with the flight predictor."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def elsrs(*args):
    return subprocess.run([sys.executable, "-m", "tools.cli", "plan", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_nominal_plan_hits_the_mission_target_and_passes_the_go_no_go():
    p = elsrs("--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    b, pr = d["burn"], d["prediction"]
    # After the scenario's DEORBIT_GO (300 s) plus the 300 s prep lead, within one orbit.
    assert 600.0 <= b["ignition_t_s"] <= 600.0 + 5600.0
    assert d["go"] and d["miss_km"] <= 0.5 and abs(b["yaw_deg"]) <= 30.0
    assert 25e3 < pr["perigee_alt_m"] < 60e3 and -2.0 < pr["entry_fpa_deg"] < -1.0
    assert 7800 < pr["entry_speed_mps"] < 8000           # inertial speed at 120 km from a 410 km orbit


def test_text_output_names_ignition_dv_entry_and_splash():
    p = elsrs()
    assert p.returncode == 0, p.stderr
    for text in ("ignition", "delta-v", "entry interface", "splash (drogue)", "go"):
        assert text in p.stdout, text


def test_unreachable_target_is_no_go_with_exit_1():
    p = elsrs("--target", "10.0,30.0")          # Africa: far from any pass of this orbit within the horizon
    assert p.returncode == 1
    assert "NO-GO" in p.stdout


def test_bad_target_is_one_line_exit_2():
    for bad in ("x", "10", "95,3", "10,200"):
        p = elsrs("--target", bad)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, (bad, p.stderr)
        assert "--target" in p.stderr


def test_entry_interface_scenario_predicts_the_splash_point():
    p = elsrs("--scenario", "config/scenarios/edl.yaml", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["burn"] is None and d["prediction"]["splash_lat_deg"] is not None
