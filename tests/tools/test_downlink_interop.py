"""Interoperability with a ground system we did not write (issue 5, "Done when").

A real `elsrs sil` run writes downlink.bin (bare CCSDS packets as the ground
receives them). `space_packet_parser` (an independent XTCE packet parser),
driven only by our `elsrs dict --format xtce` document, decodes it; every HK
value must equal what `elsrs decode` prints for the same packet (NaN, which
`elsrs decode` prints as null, included). All three steps are real processes.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

spp = pytest.importorskip("space_packet_parser")
REPO = Path(__file__).resolve().parents[2]


def elsrs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_space_packet_parser_reads_a_sil_downlink_like_elsrs_decode(tmp_path):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(yaml.safe_dump({"extends": str(REPO / "config/scenarios/edl.yaml"), "stop": {"t_s": 240.0}}))
    run = elsrs("sil", "--scenario", str(scenario), "--out", str(tmp_path / "run"), "--quiet")
    assert run.returncode == 1, run.stderr                 # stopped before landing, by design
    xtce = tmp_path / "elsrs.xtce.xml"
    assert elsrs("dict", "--format", "xtce", "--out", str(xtce)).returncode == 0
    dec = elsrs("decode", str(tmp_path / "run" / "downlink.bin"))
    assert dec.returncode == 0, dec.stderr
    ours = [json.loads(line) for line in dec.stdout.splitlines()]
    definition = spp.XtcePacketDefinition.from_xtce(xtce)
    with open(tmp_path / "run" / "downlink.bin", "rb") as f:
        theirs = [definition.parse_bytes(raw) for raw in spp.ccsds_generator(f)]
    assert len(theirs) == len(ours) > 100
    hk = 0
    for mine, other in zip(ours, theirs):
        assert other["CCSDS_APID"] == mine["apid"] and other["CCSDS_SEQ_COUNT"] == mine["seq_count"]
        if mine["kind"] != "hk":
            continue
        hk += 1
        for name, value in mine["data"].items():
            theirs_v = other[name]
            if value is None:                               # NaN in the packet
                assert isinstance(theirs_v, float) and math.isnan(theirs_v), name
            else:
                assert theirs_v == value, (name, theirs_v, value)
    assert hk > 100
    phases = {m["data"]["phase"] for m in ours if m["kind"] == "hk"}
    assert {"COAST", "ENTRY"} <= phases
