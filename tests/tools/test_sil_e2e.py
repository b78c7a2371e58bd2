"""End-to-end SIL flights through the `elsrs sil` command (issue 2, "Done when")."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOMINAL_PHASES = ["SEPARATED", "DEORBIT_PREP", "DEORBIT_BURN", "COAST", "ENTRY", "DROGUE", "MAIN", "LANDED"]
CHANNELS = ("drogue", "main", "main_release", "float")
WALL_FIELDS = ("wall_time_s", "realtime_factor")


def elsrs_sil(scenario: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", "sil", "--scenario", scenario, "--out", str(out), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def nominal_twice(tmp_path_factory):
    """The nominal scenario flown twice, concurrently, in separate processes."""
    outs = [tmp_path_factory.mktemp(f"nominal{i}") for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda o: elsrs_sil("config/scenarios/nominal.yaml", o), outs))
    return procs, outs


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_nominal_lands_through_every_phase_in_order(nominal_twice):
    procs, outs = nominal_twice
    assert procs[0].returncode == 0, procs[0].stderr
    s = _summary(outs[0])
    assert s["schema"] == 1
    assert s["result"] == "landed", s["failure_reasons"]
    assert s["failure_reasons"] == [] and isinstance(s["anomalies"], list)   # issue 8: an empty honest verdict
    assert [p["phase"] for p in s["phases"]] == NOMINAL_PHASES
    times = [p["t_s"] for p in s["phases"]]
    assert times == sorted(times)


def test_nominal_meets_issue_figures(nominal_twice):
    s = _summary(nominal_twice[1][0])
    assert s["splashdown"]["speed_mps"] <= 10.0           # issue 2: splash at most 10 m/s
    assert s["drogue"]["mach"] <= 1.5                       # drogue at Mach <= 1.5
    assert s["main"]["alt_m"] >= 1500.0                     # main at or above 1.5 km
    # Last-known-state reports under the canopies (issue 9 item 7), then reports afloat.
    assert s["beacon"]["first_sent_t_s"] < s["splashdown"]["t_s"]
    assert s["beacon"]["after_splash"] >= 1 and s["beacon"]["messages_sent"] > s["beacon"]["after_splash"]
    assert s["scheduler"]["overruns"] == 0
    fired = [f["channel"] for f in s["pyro_fires"]]
    assert sorted(fired) == sorted(CHANNELS), fired     # each channel exactly once
    # The deorbit burn delivered its target within 2 % (truth vs the sensed cutoff).
    b = s["deorbit_burn"]
    assert b["result"] == "nominal"
    assert abs(b["dv_achieved_mps"] - b["dv_target_mps"]) / b["dv_target_mps"] < 0.02
    # Entry: REFERENCES.md, shallow ballistic entries from LEO peak at 5-9 g.
    assert 4.0 < s["entry"]["peak_load_g"] < 10.0
    assert s["splashdown"]["miss_km"] < 50.0


def test_nominal_pyros_fire_in_the_right_phases(nominal_twice):
    s = _summary(nominal_twice[1][0])
    phase_of = {f["channel"]: f["phase"] for f in s["pyro_fires"]}
    assert phase_of == {"drogue": "ENTRY", "main": "DROGUE", "main_release": "LANDED", "float": "LANDED"}


def test_same_seed_gives_identical_summary(nominal_twice):
    a, b = (_summary(o) for o in nominal_twice[1])
    for s in (a, b):
        for k in WALL_FIELDS:
            s.pop(k)
        # Host timing, not flight behaviour: max_task_ms is wall time; overruns count rate groups
        # over budget on the host's CPU clock, which contention on a shared machine inflates (an
        # overrun only raises an event: no flight decision reads it).
        s.pop("scheduler")
    assert a == b


def test_trajectory_csv_rates_and_columns(nominal_twice):
    out = nominal_twice[1][0]
    s = _summary(out)
    with open(out / "trajectory.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["t_s", "phase", "lat_deg", "lon_deg", "alt_m", "speed_mps", "fpa_deg", "mach", "q_pa", "load_g"]
    t = [float(r["t_s"]) for r in rows]
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert max(gaps) <= 1.0 + 1e-6                            # at least 1 Hz throughout
    ei = s["entry"]["interface_t_s"]
    dense = [g for a, g in zip(t, gaps) if a >= ei]
    assert dense and max(dense) <= 0.1 + 1e-6                 # at least 10 Hz from entry interface on
    assert float(rows[-1]["alt_m"]) == pytest.approx(0.0, abs=1.0)


def test_events_jsonl_records_phase_changes(nominal_twice):
    out = nominal_twice[1][0]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    changes = [e["data"]["to"] for e in events if e["name"] == "PHASE_CHANGE"]
    assert changes == NOMINAL_PHASES
    assert (out / "recorder.bin").stat().st_size > 0


def test_terminal_timeline_and_outcome(nominal_twice):
    out = nominal_twice[0][0].stdout
    for ph in NOMINAL_PHASES:
        assert ph in out
    assert "result: landed" in out
    assert "realtime factor" in out


def test_timer_windows_bound_each_backup_timer_on_truth(nominal_twice):
    """tools/timer_window.py: each window is ordered, the flight's own detections sit where truth
    says, and the main's no-main fork descends as a closed-form terminal descent under the drogue."""
    from sim.atmosphere import density_sound_speed
    s = _summary(nominal_twice[1][0])
    tw, phase_t = s["timer_windows"], {p["phase"]: p["t_s"] for p in s["phases"]}
    for name in ("onset", "drogue_fall", "drogue_baro", "main"):
        assert tw[name]["earliest_s"] < tw[name]["latest_s"], (name, tw[name])
    # Onset: the flight declares ENTRY after its 1 s persistence, about 1 s after the truth onset
    # (less by the accelerometer noise's early crossings of the slowly rising load, more by its 10 Hz sampling).
    assert 0.5 <= phase_t["ENTRY"] - (tw["onset"]["start_t_s"] + tw["onset"]["earliest_s"]) <= 2.0
    assert tw["onset"]["start_t_s"] == s["deorbit_burn"]["cutoff_t_s"]
    assert tw["main"]["start_t_s"] == s["drogue"]["deploy_t_s"]
    # Drogue withheld: Mach 0.6 comes after the pulse, and the nav+drag pulse sits inside each window.
    # Both clocks start near 30 km (the load's 2 g fall, the barometers' 1.2 kPa clamp): within 25 s
    # of each other, whether the flight or the drogue-withheld fork saw them.
    for name in ("drogue_fall", "drogue_baro"):
        assert tw[name]["earliest_s"] <= s["drogue"]["deploy_t_s"] - tw[name]["start_t_s"] <= tw[name]["latest_s"]
    assert abs(tw["drogue_fall"]["start_t_s"] - tw["drogue_baro"]["start_t_s"]) < 25.0
    # Main withheld: from the pulse to 1 km under drogue and capsule at their terminal speed,
    # v = sqrt(2 m g0 / (rho (CdA_drogue + CdA_capsule))), rho from US Standard Atmosphere 1976:
    # drogue 0.55 x pi 1.3^2 / 4, capsule subsonic Cd 0.80 x 0.2827 m^2 (config/vehicle.yaml), 40 kg.
    cda, m, t, h = 0.55 * 3.14159265 * 1.3 ** 2 / 4 + 0.80 * 0.2827, 40.0, 0.0, s["main"]["alt_m"]
    while h > 1000.0:
        t += 1.0 / (2.0 * m * 9.80665 / (density_sound_speed(h)[0] * cda)) ** 0.5
        h -= 1.0
    forked = tw["main"]["start_t_s"] + tw["main"]["latest_s"] - s["main"]["deploy_t_s"]
    assert abs(forked - t) / t < 0.07, (forked, t)


def test_edl_scenario_flies_from_entry_interface_to_landed(tmp_path):
    p = elsrs_sil("config/scenarios/edl.yaml", tmp_path, "--quiet")
    assert p.returncode == 0, p.stdout + p.stderr
    s = _summary(tmp_path)
    assert s["result"] == "landed"
    assert [x["phase"] for x in s["phases"]] == ["ENTRY", "DROGUE", "MAIN", "LANDED"]
    assert s["deorbit_burn"] is None
    assert s["entry"]["interface_t_s"] == 0.0


def test_downlink_bin_holds_the_telemetry_as_the_ground_receives_it(nominal_twice):
    """Issue 5: downlink.bin is bare CCSDS packets; every one passes its CRC and decodes;
    the scenario's commands went up the authenticated link and were acknowledged."""
    from fsw.link import TelemetryDecoder, split_packets
    out = nominal_twice[1][0]
    dec = TelemetryDecoder()
    packets = [dec.decode(p) for p in split_packets((out / "downlink.bin").read_bytes())]
    kinds = {k: sum(1 for p in packets if p["kind"] == k) for k in ("hk", "event", "ack")}
    assert kinds["hk"] > 1000 and kinds["event"] > 10
    acks = [(p["data"]["command"], p["data"]["status"]) for p in packets if p["kind"] == "ack"]
    assert ("DEORBIT_GO", "ACCEPTED") in acks and ("DEORBIT_GO", "COMPLETED") in acks
    assert not any(status == "REJECTED" for _, status in acks)
    s = _summary(out)
    entry_hk = [p for p in packets if p["kind"] == "hk" and p["data"]["phase"] == "ENTRY"]
    span = s["drogue"]["deploy_t_s"] - [x["t_s"] for x in s["phases"] if x["phase"] == "ENTRY"][0]
    assert len(entry_hk) == pytest.approx(span / 0.2, rel=0.05)        # 5 Hz HK in dynamic phases (mission.yaml)
