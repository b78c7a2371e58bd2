"""`elsrs ground` against a real SIL flight over TCP (issue 5: ground console over TCP).

Two real processes: `elsrs sil --ground-listen` flies the nominal scenario at 20x
real time and serves its link; `elsrs ground` connects with the shared key,
sends commands and waits for the flight's acknowledgements.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ground_console_commands_a_sil_flight(tmp_path):
    key = tmp_path / "link.key"
    key.write_text(os.urandom(32).hex())
    port = _free_port()
    sil = subprocess.Popen([sys.executable, "-m", "tools.cli", "sil", "--scenario", "config/scenarios/nominal.yaml",
                            "--ground-listen", f"127.0.0.1:{port}", "--key-file", str(key), "--pace", "20",
                            "--quiet", "--out", str(tmp_path / "run")], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        g = subprocess.run([sys.executable, "-m", "tools.cli", "ground", "--port", f"socket://127.0.0.1:{port}",
                            "--key-file", str(key), "--send", "NOOP",
                            "--send", "SET_PARAM name=beacon.period_s value=90", "--send", "RESUME",
                            "--wait-ack", "10", "--print-json"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        sil.kill()
        sil.wait()
    lines = [json.loads(x) for x in g.stdout.splitlines() if x.strip()]
    commands = {c["name"]: c for c in lines if c.get("type") == "command"}
    assert g.returncode == 1, g.stderr                       # one command was rejected
    assert commands["NOOP"]["status"] == "completed"
    assert commands["SET_PARAM"]["status"] == "completed"
    assert commands["RESUME"]["status"] == "rejected"        # not allowed in SEPARATED: the flight refused it
    assert "not allowed in SEPARATED" in commands["RESUME"]["reason"]
    tm = next(x for x in lines if x.get("type") == "telemetry")["channels"]
    assert tm["phase"]["value"] == "SEPARATED"
    assert tm["cmd_counter"]["value"] >= 3                    # the station's STATE_VECTOR, then ours
    assert tm["overruns"]["value"] == 0
