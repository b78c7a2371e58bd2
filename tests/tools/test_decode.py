"""`elsrs decode`: recorder files, bare packet streams and framed captures -> JSON lines.

Contract (ARCHITECTURE.md, "Command line"; tools/decode.py): one JSON object per
line on stdout, one JSON summary line on stderr, exit 0; a missing/unreadable
file or unrecognised content exits 2 with ONE line on stderr and no traceback.
"""
from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fsw.link import ASM, TelemetryDecoder, TelemetryEncoder, frame
from fsw.recorder import Recorder, list_segments
from tools.decode import SAMPLE_BYTES, decode_all, detect, to_json

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", "decode", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def _no_nan(token):
    raise AssertionError(f"{token} is not JSON")


def parse_ok(proc) -> tuple[list[dict], dict]:
    """Check the success contract; return (stdout objects, stderr summary)."""
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    items = [json.loads(line, parse_constant=_no_nan) for line in proc.stdout.splitlines()]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return items, json.loads(lines[0], parse_constant=_no_nan)


def one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.endswith("\n") and "\n" not in proc.stderr[:-1], repr(proc.stderr)
    return proc.stderr[:-1]


def packets(n: int = 40, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    enc = TelemetryEncoder()
    out = []
    for i in range(n):
        k = i % 5
        t = 10.0 + i
        if k == 0:
            out.append(enc.hk(t, {"bus_v": 27.5, "overruns": i, "phase": "ENTRY"}))   # unknown floats: NaN
        elif k == 1:
            out.append(enc.event(t, {"severity": "WARNING_HI", "name": "E", "message": "m" * rng.randrange(80),
                                     "data": {"i": i}}))
        elif k == 2:
            out.append(enc.ack(t, "NOOP", i, "ACCEPTED"))
        elif k == 3:
            out.append(enc.recorder(t, {"kind": "hk", "i": i, "blob": bytes(rng.randrange(20))}))
        else:
            out.append(enc.beacon(t, {"lat_deg": 1.5, "lon_deg": -3.0, "n": i}))
    return out


def reference(pkts: list[bytes]) -> list[dict]:
    """What TelemetryDecoder makes of the packets, through the same JSON rules."""
    dec = TelemetryDecoder()
    return [json.loads(to_json(dec.decode(p))) for p in pkts]


def strip(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in it.items() if k != "offset"} for it in items]


# ---- recorder ------------------------------------------------------------------------------
def test_recorder_file_decodes_to_json_lines_with_a_summary(tmp_path):
    path = tmp_path / "recorder.bin"
    rec = Recorder(path)
    for i in range(50):
        if i % 4 == 0:
            rec.write({"kind": "event", "t_s": i, "severity": "ACTIVITY_HI", "name": "PHASE", "message": "m",
                       "data": {"x": math.nan}})
        else:
            rec.write({"kind": "hk", "t_s": i * 1.0, "att_error_deg": math.nan, "baro_alt_m": None,
                       "inf": math.inf, "raw": b"\x00\xff"})
    rec.close()
    items, summary = parse_ok(run_cli(str(path)))
    assert [it["n"] for it in items] == list(range(50))
    assert all(it["stream"] == ("event" if it["n"] % 4 == 0 else "hk") for it in items)
    hk = items[1]["record"]
    assert hk == {"kind": "hk", "t_s": 1.0, "att_error_deg": None, "baro_alt_m": None, "inf": None, "raw": "00ff"}
    assert items[0]["record"]["data"] == {"x": None} and items[0]["file"] == "recorder.bin.ev000"
    assert summary["kind"] == "recorder" and summary["records"] == 50
    assert (summary["gaps"], summary["damaged_regions"], summary["segments"]) == (0, 0, {"hk": 1, "event": 1})


def test_recorder_damage_and_gaps_are_reported(tmp_path):
    path = tmp_path / "recorder.bin"
    rec = Recorder(path)
    for i in range(30):
        rec.write({"kind": "hk", "i": f"{i:03d}", "pad": "p" * 20})   # equal-size records
    rec.close()
    data = bytearray(path.read_bytes())
    size = len(data) // 30
    data[5 * size + 12] ^= 0xFF                        # record 5 damaged
    data[20 * size:22 * size] = bytes(2 * size)        # records 20-21 zeroed
    path.write_bytes(bytes(data) + b"\xeb\x90\x00")    # and a torn tail
    items, summary = parse_ok(run_cli(str(path)))
    assert [it["n"] for it in items] == [n for n in range(30) if n not in (5, 20, 21)]
    assert (summary["gaps"], summary["missing_records"]) == (2, 3)
    assert summary["damaged_regions"] == 2 and summary["damaged_bytes"] == size + 3
    assert (summary["zero_filled_regions"], summary["zero_filled_bytes"]) == (1, 2 * size)


def test_segment_set_and_single_segment(tmp_path):
    path = tmp_path / "recorder.bin"
    rec = Recorder(path, max_bytes=16 * 1024, segment_bytes=1024, event_bytes=4 * 1024)
    for i in range(400):
        rec.write({"kind": "event" if i % 10 == 0 else "hk", "i": i, "pad": "q" * 30})
    rec.close()
    segs = list_segments(path)
    items, summary = decode_all(path)
    kept = [n for n, _ in rec.iter_records()]
    assert [it["n"] for it in items] == kept
    assert summary["missing_records"] == 400 - len(kept) > 0 and summary["segments_missing"] == rec.segments_dropped
    assert summary["segments"] == {"hk": len(segs["hk"]), "event": len(segs["event"])}
    k, one = segs["hk"][-1]
    items1, summary1 = parse_ok(run_cli(one))
    assert {it["file"] for it in items1} == {os.path.basename(one)}
    assert [it["n"] for it in items1] == [it["n"] for it in items if it["file"] == os.path.basename(one)]


# ---- packets -------------------------------------------------------------------------------
def test_bare_packet_stream_decodes_like_the_telemetry_decoder(tmp_path):
    pkts = packets(40)
    f = tmp_path / "downlink.bin"
    f.write_bytes(b"".join(pkts))
    items, summary = parse_ok(run_cli(str(f)))
    assert strip(items) == reference(pkts)
    assert [it["offset"] for it in items] == [sum(map(len, pkts[:i])) for i in range(40)]
    assert items[0]["kind"] == "hk" and items[0]["data"]["bus_v"] == 27.5 and items[0]["data"]["baro_alt_m"] is None
    assert [it["kind"] for it in items[:5]] == ["hk", "event", "ack", "recorder", "beacon"]
    assert summary == {"kind": "packets", "file": str(f), "bytes": f.stat().st_size, "packets": 40,
                       "undecodable": 0, "damaged_regions": 0, "damaged_bytes": 0, "seq_gaps": {}}


def test_damaged_bare_stream_resynchronises(tmp_path):
    pkts = packets(30, seed=1)
    rng = random.Random(5)
    junk = rng.randbytes(37)
    broken = bytearray(pkts[10])
    broken[9] ^= 0x55                                    # CRC fails
    stream = b"".join(pkts[:10]) + bytes(broken) + b"".join(pkts[11:20]) + junk + b"".join(pkts[20:]) + pkts[0][:9]
    f = tmp_path / "downlink.bin"
    f.write_bytes(stream)
    items, summary = parse_ok(run_cli(str(f), "--kind", "packets"))
    keep = pkts[:10] + pkts[11:]
    dec = TelemetryDecoder()
    assert [it["data"] for it in items] == [json.loads(to_json(dec.decode(p)))["data"] for p in keep]
    assert summary["packets"] == 29 and summary["damaged_regions"] == 3
    assert summary["damaged_bytes"] == len(broken) + len(junk) + 9
    assert summary["seq_gaps"]  # the lost packet shows as a sequence-count gap of its APID


def test_framed_capture_with_garbage_skips_and_counts_it(tmp_path):
    pkts = packets(50, seed=2)
    rng = random.Random(9)
    parts, garbage_runs, garbage_bytes = [], 0, 0
    for i, p in enumerate(pkts):
        if i % 7 == 3:
            g = rng.randbytes(rng.randrange(1, 60)).replace(ASM, b"")
            if i == 17:
                g = ASM + g                               # a false marker too
            parts.append(g)
            garbage_runs += 1
            garbage_bytes += len(g)
        parts.append(frame(p))
    f = tmp_path / "serial.cap"
    f.write_bytes(b"".join(parts))
    items, summary = parse_ok(run_cli(str(f)))
    assert summary["kind"] == "framed" and summary["packets"] == 50
    assert strip(items) == reference(pkts)
    data = f.read_bytes()
    assert all(data[it["offset"]:it["offset"] + 4] == ASM for it in items)
    assert summary["damaged_regions"] == garbage_runs and summary["damaged_bytes"] == garbage_bytes
    assert summary["undecodable"] == 0 and summary["seq_gaps"] == {}


def test_recorder_dump_downlinked_as_framed_packets_round_trips(tmp_path):
    path = tmp_path / "recorder.bin"
    rec = Recorder(path)
    for i in range(20):
        rec.write({"kind": "event" if i % 3 == 0 else "hk", "i": i})

    class Link:
        def __init__(self):
            self.enc, self.bytes = TelemetryEncoder(), b""

        def downlink(self, d):
            self.bytes += frame(self.enc.recorder(1.0, {"n": d["n"], "record": d["record"]}))

    link = Link()
    for number, record in rec.iter_records():        # what fsw.downlink.Downlink.start_dump sends
        link.downlink({"n": number, "record": record})
    assert len(link.bytes) > 0
    cap = tmp_path / "dump.cap"
    cap.write_bytes(link.bytes)
    items, summary = decode_all(cap)
    assert summary["kind"] == "framed" and [it["data"]["n"] for it in items] == list(range(20))
    assert [it["data"]["record"]["i"] for it in items] == list(range(20))


# ---- detection -----------------------------------------------------------------------------
def test_auto_detection_by_content(tmp_path):
    pkts = packets(20)
    path = tmp_path / "recorder.bin"
    rec = Recorder(path)
    for i in range(20):
        rec.write({"kind": "hk", "i": i})
    rec.close()
    assert detect(path.read_bytes()) == "recorder"
    assert detect(b"".join(pkts)) == "packets"
    assert detect(b"".join(frame(p) for p in pkts)) == "framed"
    assert detect(b"\x55" * 3 + b"".join(frame(p) for p in pkts)) == "framed"
    assert detect(random.Random(1).randbytes(SAMPLE_BYTES)) is None
    assert detect(bytes(1000)) is None and detect(b"") is None
    # a name says nothing: a packet stream called recorder.bin is decoded as packets
    other = tmp_path / "x" / "recorder.bin"
    other.parent.mkdir()
    other.write_bytes(b"".join(pkts))
    assert decode_all(other)[1]["kind"] == "packets"
    # segment 0 zero-filled by a power cut: the other segments still make it a recorder set
    rec = Recorder(path)
    rec.write({"kind": "event", "i": 99})
    rec.close()
    path.write_bytes(bytes(300))
    items, summary = decode_all(path)
    assert summary["kind"] == "recorder" and [it["record"]["i"] for it in items] == [99]
    assert summary["zero_filled_bytes"] == 300


def test_kind_can_be_forced(tmp_path):
    f = tmp_path / "downlink.bin"
    f.write_bytes(b"".join(packets(10)))
    items, summary = parse_ok(run_cli(str(f), "--kind", "framed"))
    assert items == [] and summary["packets"] == 0 and summary["damaged_bytes"] == f.stat().st_size
    items, summary = parse_ok(run_cli(str(f), "--kind", "recorder"))
    assert items == [] and summary["records"] == 0


# ---- errors --------------------------------------------------------------------------------
def test_missing_file_exits_2_with_one_line(tmp_path):
    line = one_line_error(run_cli(str(tmp_path / "nope.bin")))
    assert "nope.bin" in line and "no such file" in line


def test_directory_exits_2_with_one_line(tmp_path):
    line = one_line_error(run_cli(str(tmp_path)))
    assert str(tmp_path) in line and "directory" in line


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_exits_2_with_one_line(tmp_path):
    f = tmp_path / "locked.bin"
    f.write_bytes(b"".join(packets(5)))
    f.chmod(0)
    line = one_line_error(run_cli(str(f)))
    assert "locked.bin" in line and "cannot read" in line


@pytest.mark.parametrize("content", [b"", bytes(4096), b"hello, this is a text file\n" * 40, "random"])
def test_unrecognised_content_exits_2_with_one_line(tmp_path, content):
    if content == "random":
        content = random.Random(3).randbytes(5000)
    f = tmp_path / "mystery.dat"
    f.write_bytes(content)
    line = one_line_error(run_cli(str(f)))
    assert "mystery.dat" in line and "expected" in line and "--kind" in line


def test_bad_kind_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "tools.cli", "decode", "x", "--kind", "xml"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    one_line_error(proc)


def test_help_lists_decode():
    proc = subprocess.run([sys.executable, "-m", "tools.cli", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "decode" in proc.stdout


# ---- beacon reports (an Iridium gateway .sbd attachment) ----------------------------------------
def test_sbd_beacon_report_decodes_and_matches_an_independent_struct_layout(tmp_path):
    """The flight builder's bytes, read back by `elsrs decode` and by a plain ``struct`` reading
    of the layout written out by hand (an implementation independent of construct)."""
    import struct
    from fsw.tasks.beacon_report import build
    p = build(kind="surface", seq=12, t_s=4521.0, phase=8, source="gps", lat_deg=-37.3123, lon_deg=-157.8051,
              alt_m=2.0, age_s=37.0, v_enu_mps=(0.3, -0.5, 0.0), battery_pct=86.0, next_s=120, failed=3)
    f = tmp_path / "300434063000000_000012.sbd"
    f.write_bytes(p)
    items, summary = parse_ok(run_cli(str(f)))
    assert summary == {"kind": "sbd", "file": str(f), "reports": 1}
    r = items[0]
    assert (r["kind"], r["seq"], r["t_s"], r["phase"], r["source"]) == ("surface", 12, 4521, "LANDED", "gps")
    assert r["lat_deg"] == pytest.approx(-37.3123) and r["age_s"] == 37 and r["next_s"] == 120
    fields = struct.unpack(">2sBBHIBBiiiHhhhBHH", p)
    assert fields == (b"EB", 2, 1, 12, 4521, 8, 1, -373123000, -1578051000, 2, 37, 3, -5, 0, 86, 120, 3)


def test_a_file_that_is_no_beacon_report_exits_2_with_one_line(tmp_path):
    f = tmp_path / "bad.sbd"
    f.write_bytes(b"EB\x01" + bytes(17))             # a version-1 (20-byte) report
    msg = one_line_error(run_cli("--kind", "sbd", str(f)))
    assert "20 bytes starting 45 42 01" in msg and "37-byte beacon report" in msg
