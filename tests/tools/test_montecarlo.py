"""`elsrs montecarlo` (issue 4): determinism across executors, failures, resume, replay, report.

The expensive part is flying: a 6-run EDL campaign (config/scenarios/edl_mc.yaml) is
flown on 2 local workers and shared by the tests below; its first runs are flown again
on 1 local worker and on a 2-process Dask LocalCluster (run i depends on the seed and i
only, not on how many runs the campaign has, so a shorter campaign must repeat them). Failure and resume tests fly a truncated scenario
(the first 60 s after entry interface) to stay fast; they exercise the same code.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.scenario import load_scenario
from tools.montecarlo.campaign import run_campaign
from tools.montecarlo.store import COLUMNS, CampaignStore
from tools.montecarlo.worker import metrics_from_summary

ROOT = Path(__file__).resolve().parents[2]
EDL_MC = ROOT / "config" / "scenarios" / "edl_mc.yaml"
RUNS = 6
#: Runs flown again on one worker and on Dask for the determinism check.
REPEAT_RUNS = 3
WALL_COLUMNS = ("wall_time_s",)

pytestmark = pytest.mark.timeout(600)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def without_wall(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in WALL_COLUMNS} for r in rows]


def elsrs(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=600, **kw)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(EDL_MC))


@pytest.fixture(scope="module")
def two_workers(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("mc_w2")
    res = run_campaign(scenario, out, RUNS, workers=2, progress=False, echo=lambda *a: None)
    return out, res


@pytest.fixture(scope="module")
def one_worker(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("mc_w1")
    res = run_campaign(scenario, out, REPEAT_RUNS, workers=1, progress=False, echo=lambda *a: None)
    return out, res


@pytest.fixture(scope="module")
def dask_cluster(scenario, tmp_path_factory):
    distributed = pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("mc_dask")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cl:
        res = run_campaign(scenario, out, REPEAT_RUNS + 1, dask=cl.scheduler_address, progress=False,
                           echo=lambda *a: None)
    return out, res


@pytest.fixture()
def short_scenario(tmp_path):
    """edl_mc, stopped 60 s after entry interface: every run 'failed' (no splashdown), ~0.3 s each."""
    p = tmp_path / "short.yaml"
    p.write_text(f"extends: {json.dumps(str(EDL_MC))}\nstop: {{t_s: 60}}\n")
    return p


# -- the campaign -------------------------------------------------------------------------------------------
def test_campaign_writes_one_row_per_run_with_the_contract_columns(two_workers):
    out, res = two_workers
    rows = read_csv(out / "runs.csv")
    assert [int(r["run"]) for r in rows] == list(range(RUNS))
    assert list(rows[0])[:len(COLUMNS)] == list(COLUMNS)
    assert not res.interrupted and res.flown == RUNS and sum(res.counts.values()) == RUNS
    for r in rows:
        assert r["result"] in ("landed", "safe_abort", "failed")
        assert int(r["seed"]) >= 0
        assert float(r["wall_time_s"]) > 0
        if r["result"] == "landed":
            for c in ("splash_lat_deg", "splash_lon_deg", "miss_km", "peak_load_g", "drogue_mach", "main_alt_m",
                      "splash_speed_mps"):
                assert r[c] != "", (r["run"], c)
        assert r["burn_dv_mps"] == ""             # EDL: no deorbit burn -> empty, not 0
    assert len({r["draw.aero.cd_scale"] for r in rows}) == RUNS       # dispersed, run by run
    assert res.throughput["runs_per_min"] > 0 and res.throughput["aggregate_rtf"] > 0


def test_one_worker_two_workers_and_dask_give_identical_runs(one_worker, two_workers, dask_cluster):
    ref = without_wall(read_csv(two_workers[0] / "runs.csv"))
    assert without_wall(read_csv(one_worker[0] / "runs.csv")) == ref[:REPEAT_RUNS]
    assert without_wall(read_csv(dask_cluster[0] / "runs.csv")) == ref[:REPEAT_RUNS + 1]


def test_replay_one_run_with_elsrs_sil_bit_for_bit(two_workers, tmp_path):
    rows = read_csv(two_workers[0] / "runs.csv")
    n = 3
    p = elsrs("sil", "--scenario", str(EDL_MC), "--run", str(n), "--out", str(tmp_path), "--quiet")
    assert p.returncode in (0, 1), p.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    row = rows[n]
    assert str(s["seed"]) == row["seed"] and s["result"] == row["result"]
    for k, v in metrics_from_summary(s).items():
        assert ("" if v is None else repr(v) if isinstance(v, float) else str(v)) == row[k], k
    assert p.returncode == (0 if row["result"] == "landed" else 1)


def test_report_and_plots(two_workers):
    out, res = two_workers
    md = (out / "report.md").read_text()
    for text in ("## Outcomes", "| landed |", "3-sigma ellipse semi-major axis", "footprint.png", "peak_load.png",
                 "splash_speed.png", "chute_deploy.png", "--run N"):
        assert text in md, text
    for png in ("footprint.png", "peak_load.png", "splash_speed.png", "chute_deploy.png"):
        assert (out / png).stat().st_size > 15_000, png
    ell = res.report["ellipse"]
    assert ell is not None and ell["semi_major_3sigma_km"] >= ell["semi_minor_3sigma_km"] > 0
    # The ellipse is drawn: enough pixels of its (reserved) colour in the footprint figure.
    import matplotlib.image as mpimg
    from matplotlib.colors import to_rgb
    from tools.montecarlo.plots import ELLIPSE_COLOR
    img = mpimg.imread(out / "footprint.png")[..., :3]
    near = np.abs(img - np.array(to_rgb(ELLIPSE_COLOR))).max(axis=-1) < 0.08
    assert near.sum() > 300, near.sum()


def test_cli_prints_outcomes_and_exit_status(two_workers, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(two_workers[0], out)             # a finished campaign: the CLI resumes with nothing to fly
    before = (out / "runs.jsonl").read_text()
    p = elsrs("montecarlo", "--scenario", str(EDL_MC), "--runs", str(RUNS), "--out", str(out))
    counts = two_workers[1].counts
    assert f"outcomes ({RUNS} runs): " + ", ".join(f"{k} {v}" for k, v in counts.items()) in p.stdout, p.stdout
    assert p.returncode == (0 if counts["landed"] == RUNS else 1), p.stderr
    assert (out / "runs.jsonl").read_text() == before


# -- failures -----------------------------------------------------------------------------------------------
def test_run_that_raises_and_worker_that_dies_are_failed_with_traceback(short_scenario, tmp_path):
    sc = load_scenario(str(short_scenario))
    marker = tmp_path / "executed.txt"
    res = run_campaign(sc, tmp_path / "out", 8, workers=2, progress=False, echo=lambda *a: None,
                       hooks={"raise": [1], "exit": [4], "marker": str(marker)})
    assert not res.interrupted and sum(res.counts.values()) == 8
    rows = {int(r["run"]): r for r in read_csv(tmp_path / "out" / "runs.csv")}
    assert sorted(rows) == list(range(8))
    assert rows[1]["result"] == "failed" and "RuntimeError: test hook: run 1 raises" in rows[1]["failure_reasons"]
    assert rows[4]["result"] == "failed" and "worker process exited with status 70 while flying run 4" in rows[4]["failure_reasons"]
    assert rows[4]["seed"] and rows[4]["draw.aero.cd_scale"]            # recomputed by the parent
    tb = (tmp_path / "out" / "failures" / "run_00001.txt").read_text()
    assert "Traceback (most recent call last)" in tb and "RuntimeError: test hook" in tb
    assert "exited with status 70" in (tmp_path / "out" / "failures" / "run_00004.txt").read_text()
    for i in (0, 2, 3, 5, 6, 7):
        assert rows[i]["failure_reasons"].startswith("no splashdown"), rows[i]
    assert Counter(marker.read_text().split()) == Counter(str(i) for i in range(8))     # nothing flown twice
    assert (tmp_path / "out" / "report.md").exists()


def test_retry_failed_flies_only_the_crashed_runs_again(short_scenario, tmp_path):
    sc = load_scenario(str(short_scenario))
    marker = tmp_path / "executed.txt"
    out = tmp_path / "out"
    run_campaign(sc, out, 5, workers=2, progress=False, echo=lambda *a: None, hooks={"exit": [2], "marker": str(marker)})
    marker.write_text("")
    res = run_campaign(sc, out, 5, workers=2, progress=False, echo=lambda *a: None, retry_failed=True,
                       hooks={"marker": str(marker)})
    assert marker.read_text().split() == ["2"] and res.flown == 1
    assert read_csv(out / "runs.csv")[2]["failure_reasons"].startswith("no splashdown")


# -- resume -------------------------------------------------------------------------------------------------
def test_interrupted_campaign_resumes_without_redoing_finished_runs(short_scenario, tmp_path):
    out, marker = tmp_path / "out", tmp_path / "executed.txt"
    env = dict(os.environ, ELSRS_MC_TEST_HOOK=f"marker={marker}")
    cmd = [sys.executable, "-m", "tools.cli", "montecarlo", "--scenario", str(short_scenario), "--runs", "24",
           "--workers", "2", "--out", str(out)]
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    jsonl = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if jsonl.exists() and jsonl.read_text().count("\n") >= 4:
            break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)                  # Ctrl-C: the whole process group
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "run the same command to resume" in err
    finished = {json.loads(line)["run"] for line in jsonl.read_text().splitlines()}
    assert 4 <= len(finished) < 24
    assert len(read_csv(out / "runs.csv")) == len(finished)
    # A kill can also leave half a line: the resume drops it.
    with open(jsonl, "a") as f:
        f.write('{"run": 23, "res')
    q = subprocess.run(cmd + ["--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert q.returncode == 1, q.stderr                 # every run 'failed' (stopped at 60 s)
    assert f"({len(finished)} already done, {24 - len(finished)} to fly)" in q.stdout
    executed = Counter(int(x) for x in marker.read_text().split())
    assert all(executed[i] == 1 for i in finished), executed
    assert set(executed) == set(range(24))
    rows = read_csv(out / "runs.csv")
    assert [int(r["run"]) for r in rows] == list(range(24))
    assert {json.loads(x)["run"] for x in jsonl.read_text().splitlines()} == set(range(24))


def test_resume_refuses_another_campaign(short_scenario, tmp_path):
    from fsw.schema import ConfigError
    sc = load_scenario(str(short_scenario))
    out = tmp_path / "out"
    run_campaign(sc, out, 2, workers=1, progress=False, echo=lambda *a: None)
    with pytest.raises(ConfigError, match="seed"):
        run_campaign(sc, out, 2, workers=1, campaign_seed=99, progress=False, echo=lambda *a: None)
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {json.dumps(str(short_scenario))}\nstop: {{t_s: 61}}\n")
    with pytest.raises(ConfigError, match="different scenario"):
        run_campaign(load_scenario(str(other)), out, 2, workers=1, progress=False, echo=lambda *a: None)


def test_store_drops_a_torn_last_line(tmp_path):
    st = CampaignStore(tmp_path)
    good = json.dumps({"run": 0, "result": "landed"}) + "\n"
    (tmp_path / "runs.jsonl").write_text(good + '{"run": 1, "resu')
    assert list(st.load()) == [0]
    assert (tmp_path / "runs.jsonl").read_text() == good


# -- input errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, text", [
    (["--runs", "0"], "--runs"),
    (["--runs", "2", "--workers", "0"], "--workers"),
    (["--runs", "2", "--workers", "2", "--dask", "tcp://127.0.0.1:1"], "--workers"),
    (["--runs", "2", "--dask", "bogus://nowhere"], "--dask"),
])
def test_bad_usage_exits_2_with_one_line(args, text, tmp_path):
    p = elsrs("montecarlo", "--scenario", str(EDL_MC), "--out", str(tmp_path / "o"), "--no-progress", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in p.stderr


def test_bad_scenario_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {json.dumps(str(EDL_MC))}\ndispersions: {{aero: {{cd_scale: {{dist: normal, sigma: -1}}}}}}\n")
    p = elsrs("montecarlo", "--scenario", str(bad), "--runs", "2", "--out", str(tmp_path / "o"))
    assert p.returncode == 2 and str(bad) in p.stderr and "dispersions.aero.cd_scale" in p.stderr


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_200_run_campaign(tmp_path):
    """Issue 4 "Done when": a 200-run EDL campaign finishes and reports (about 10 minutes on 2 cores)."""
    p = elsrs("montecarlo", "--scenario", str(EDL_MC), "--runs", "200", "--out", str(tmp_path), "--no-progress")
    assert p.returncode in (0, 1), p.stderr
    assert "outcomes (200 runs)" in p.stdout
    assert len(read_csv(tmp_path / "runs.csv")) == 200
    assert (tmp_path / "report.md").exists() and (tmp_path / "footprint.png").exists()
