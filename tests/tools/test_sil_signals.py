"""Interrupted, killed and repeated `elsrs sil` runs, as real processes (issue 8, item 10).

Contract (ARCHITECTURE.md, "Command line" and "Run outputs"):
- SIGINT / SIGTERM end the run at the end of a tick: one line "interrupted at t = <sim time> s"
  on stderr, summary.json with ``result: interrupted`` as far as the run got, exit 130 / 143,
  no traceback.
- events.jsonl and trajectory.csv reach the OS at least once per simulated second, so a
  SIGKILL leaves every complete line readable.
- A run into an existing --out first removes the previous run's outputs, and only those.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fsw.recorder import read_recorder
from tools.sil import TRAJ_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
EDL = ROOT / "config" / "scenarios" / "edl.yaml"          # entry interface -> ENTRY near t = 176 s
NOMINAL = ROOT / "config" / "scenarios" / "nominal.yaml"
TICK_S = 0.02

pytestmark = pytest.mark.timeout(120)


def elsrs_cmd() -> list[str]:
    """The installed console script beside this interpreter (.venv/bin/elsrs), else the module."""
    script = Path(sys.executable).with_name("elsrs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tools.cli"]


def start_sil(out: Path, scenario: Path = EDL) -> subprocess.Popen:
    return subprocess.Popen([*elsrs_cmd(), "sil", "--scenario", str(scenario), "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def entry_t_s(lines: list[str]) -> float:
    """Simulation time of the ENTRY line of the timeline (its first field), s."""
    return float(lines[-1].split()[0])


def wait_for_stdout(proc: subprocess.Popen, word: str) -> list[str]:
    """Read the timeline until a line containing ``word``; returns the lines read."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if word in line:
            return lines
    proc.wait(timeout=10)
    pytest.fail(f"run ended (rc {proc.returncode}) before {word!r} on stdout: {lines} {proc.stderr.read()}")


def complete_lines(path: Path) -> list[str]:
    """Every newline-terminated line of a file (a last, unterminated one is left out)."""
    text = path.read_text(encoding="utf-8")
    return text.split("\n")[:-1]


def trajectory_rows(path: Path) -> list[dict]:
    lines = complete_lines(path)
    assert lines, f"{path} has no complete line"
    rows = list(csv.reader(lines))
    assert tuple(rows[0]) == TRAJ_COLUMNS
    out = []
    for r in rows[1:]:
        assert len(r) == len(TRAJ_COLUMNS), r
        d = dict(zip(TRAJ_COLUMNS, r))
        for k in TRAJ_COLUMNS:
            if k != "phase":
                d[k] = float(d[k])
        out.append(d)
    return out


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in complete_lines(path)]


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_the_run_cleanly_with_an_interrupted_summary(tmp_path, sig, status):
    out = tmp_path / "run"
    proc = start_sil(out)
    t_entry = entry_t_s(wait_for_stdout(proc, "ENTRY"))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == status, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    m = re.fullmatch(rf"interrupted at t = (\d+\.\d\d) s by {sig.name}.*", lines[0])
    assert m, lines[0]
    t_stop = float(m.group(1))
    assert t_stop >= t_entry

    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["result"] == "interrupted"
    assert sig.name in s["failure_reasons"][0] and "interrupted" in s["failure_reasons"][0]
    assert s["sim_time_s"] == pytest.approx(t_stop, abs=0.01)
    assert round(s["sim_time_s"] / TICK_S, 6) == pytest.approx(round(s["sim_time_s"] / TICK_S), abs=1e-3)  # a whole tick
    assert [p["phase"] for p in s["phases"]] == ["ENTRY"]             # as far as the run got
    assert s["entry"] is not None and s["splashdown"] is None

    # The files are closed whole: the trajectory runs (10 Hz after entry interface) to the stop.
    rows = trajectory_rows(out / "trajectory.csv")
    assert rows[-1]["t_s"] == pytest.approx(t_stop, abs=0.1 + 1e-6)
    assert (out / "trajectory.csv").read_text(encoding="utf-8").endswith("\n")
    assert any(e["name"] == "PHASE_CHANGE" and e["data"]["to"] == "ENTRY" for e in events(out / "events.jsonl"))


def test_sigkill_mid_flight_leaves_readable_outputs_and_no_stale_summary(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"result": "landed"}\n')      # a previous run's verdict
    proc = start_sil(out)
    try:
        t_entry = entry_t_s(wait_for_stdout(proc, "ENTRY"))
        # Wait until the trajectory on disk is past the next whole simulated second after
        # ENTRY: the events written by then (the ENTRY phase change) must be on disk too.
        deadline = time.monotonic() + 60
        while True:
            rows = trajectory_rows(out / "trajectory.csv")
            if rows and rows[-1]["t_s"] >= t_entry + 1.5:
                break
            assert time.monotonic() < deadline and proc.poll() is None, "the trajectory never reached the disk"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    rows = trajectory_rows(out / "trajectory.csv")                    # every complete line parses
    ts = [r["t_s"] for r in rows]
    assert ts == sorted(ts) and ts[-1] >= t_entry + 1.5
    evs = events(out / "events.jsonl")                                 # every complete line is JSON
    assert any(e["name"] == "PHASE_CHANGE" and e["data"]["to"] == "ENTRY" for e in evs)
    assert not (out / "summary.json").exists(), "a previous run's summary survived beside the killed run"


def test_rerun_into_the_same_out_replaces_only_the_previous_outputs(tmp_path):
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {json.dumps(str(NOMINAL))}\nstop: {{t_s: 3}}\n", encoding="utf-8")
    out = tmp_path / "run"
    cmd = [*elsrs_cmd(), "sil", "--scenario", str(short), "--out", str(out), "--quiet"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert first.returncode == 1, first.stderr
    records_first = [r for _, r in read_recorder(out / "recorder.bin")]
    assert records_first

    # Left-overs of an older, longer run, and files that are not run outputs at all.
    (out / "recorder.bin.001").write_bytes(b"old housekeeping segment")
    (out / "recorder.bin.ev007").write_bytes(b"old event segment")
    (out / "state.bin").write_bytes(b"old state store")
    keep = {"notes.txt": b"my notes", "recorder.bin.bak": b"a copy", "summary.json.orig": b"{}"}
    for name, data in keep.items():
        (out / name).write_bytes(data)

    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1, second.stderr
    # The recorder holds this run's records only (it used to be appended to).
    assert [r for _, r in read_recorder(out / "recorder.bin")] == records_first
    assert not (out / "recorder.bin.001").exists() and not (out / "recorder.bin.ev007").exists()
    assert not (out / "state.bin").exists() or (out / "state.bin").read_bytes() != b"old state store"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["sim_time_s"] == pytest.approx(3.0, abs=0.05)
    for name, data in keep.items():
        assert (out / name).read_bytes() == data, f"{name} is not a run output and must stay"
