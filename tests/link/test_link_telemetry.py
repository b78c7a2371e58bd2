"""Telemetry packets: housekeeping table, events, acknowledgements, decoder."""
import ast
import math
import struct
from pathlib import Path

import pytest

from fsw.events import Event, EventLog, Severity
from fsw.link import (APID_ACK, APID_EVENT, APID_HK, HK_CHANNELS, AckStatus, DecodeError, TelemetryDecoder,
                      TelemetryEncoder, frame)
from fsw.link.bench import SAMPLE_HK, format_report, run_benchmark
from fsw.link.telemetry import (HK_PACKET_LEN, HK_USER_DATA_LEN, PHASES, Limits, bits_to_mask, mask_to_bits)
from fsw.phases import Phase

REQUIRED = {"phase", "mission_time_s", "nav_valid", "baro_alt_m", "sensed_accel_mps2", "att_error_deg", "bus_v",
            "battery_soc", "overruns", "cmd_accepted", "cmd_rejected", "events_suppressed", "gps_lat_deg",
            "gps_lon_deg", "gps_alt_m", "gps_fix", "pyro_fired", "rcs_mask", "dv_sensed_mps", "recorder_records"}


def _f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


def test_hk_table_has_the_required_channels_and_fills_a_link_efficient_packet():
    names = [c.name for c in HK_CHANNELS]
    assert REQUIRED <= set(names) and len(names) == len(set(names))
    assert HK_USER_DATA_LEN == sum(c.size for c in HK_CHANNELS) >= 100
    assert HK_USER_DATA_LEN / (4 + HK_PACKET_LEN) >= 0.85
    for c in HK_CHANNELS:
        assert c.description and c.scale == 1.0
        if c.limits is not None:
            lows = [v for v in (c.limits.red_low, c.limits.yellow_low) if v is not None]
            highs = [v for v in (c.limits.yellow_high, c.limits.red_high) if v is not None]
            assert lows == sorted(lows) and highs == sorted(highs)
    assert {c.type_code for c in HK_CHANNELS} == {"u8", "u16", "u32", "f32", "f64"}
    by = {c.name: c for c in HK_CHANNELS}
    assert by["phase"].enum == tuple(p.value for p in Phase)
    assert by["pyro_fired"].bits == ("drogue", "main", "main_release", "float")


def test_hk_round_trip_with_every_phase():
    enc, dec = TelemetryEncoder(), TelemetryDecoder()
    for i, phase in enumerate(Phase):
        values = dict(SAMPLE_HK, phase=phase, overruns=i, att_error_deg=1.25 * i)
        d = dec.decode(enc.hk(100.0 + i, values))
        assert (d["apid"], d["kind"], d["seq_count"], d["t_s"]) == (APID_HK, "hk", i, 100.0 + i)
        v = d["data"]
        assert v["phase"] == phase.value
        assert v["mission_time_s"] == 100.0 + i            # f64, defaulted from the packet time
        assert v["gps_lat_deg"] == SAMPLE_HK["gps_lat_deg"]  # f64: exact
        assert v["bus_v"] == _f32(SAMPLE_HK["bus_v"])        # f32: to float precision
        assert v["att_error_deg"] == 1.25 * i and v["overruns"] == i
        assert v["nav_valid"] == 1 and v["pyro_fired"] == 0b0011
        assert mask_to_bits(v["pyro_fired"], ("drogue", "main", "main_release", "float")) == ["drogue", "main"]


def test_unknown_values_are_nan_or_zero_and_bad_values_are_named():
    enc, dec = TelemetryEncoder(), TelemetryDecoder()
    v = dec.decode(enc.hk(5.0, {"att_error_deg": None, "phase": 9}))["data"]
    assert math.isnan(v["att_error_deg"]) and math.isnan(v["baro_alt_m"]) and v["cmd_accepted"] == 0
    assert v["phase"] == "SAFE"
    with pytest.raises(ValueError, match="unknown channel 'bus_volts'"):
        enc.hk(1.0, {"bus_volts": 28.0})
    with pytest.raises(ValueError, match="gps_sats"):
        enc.hk(1.0, {"gps_sats": 300})
    with pytest.raises(ValueError, match="phase"):
        enc.hk(1.0, {"phase": "ORBITING"})
    with pytest.raises(ValueError, match="phase index"):
        enc.hk(1.0, {"phase": len(PHASES)})
    with pytest.raises(ValueError, match="nose"):
        enc.hk(1.0, {"pyro_fired": ["nose"]})
    assert enc.seq.peek(APID_HK) == 1  # failed builds use no sequence count


def test_event_packets_carry_the_event_as_cbor():
    ev = Event(12.5, Severity.WARNING_HI, "PYRO_FIRED", "main fired", {"channel": "main", "ok": True})
    enc, dec = TelemetryEncoder(), TelemetryDecoder()
    d = dec.decode(enc.event(12.5, ev))
    assert (d["apid"], d["kind"], d["t_s"]) == (APID_EVENT, "event", 12.5)
    assert d["data"] == {"t_s": 12.5, "severity": "WARNING_HI", "name": "PYRO_FIRED", "message": "main fired",
                         "data": {"channel": "main", "ok": True}}
    d = dec.decode(enc.event(3.0, {"severity": Severity.FATAL, "name": "X", "message": "m"}))
    assert d["data"]["severity"] == "FATAL" and d["data"]["t_s"] == 3.0 and d["data"]["data"] == {}
    with pytest.raises(ValueError):
        enc.event(1.0, {"severity": "LOUD", "name": "X", "message": ""})
    with pytest.raises(ValueError, match="name"):
        enc.event(1.0, {"severity": 1, "message": ""})
    with pytest.raises(ValueError, match="exceeds"):
        enc.event(1.0, {"severity": 1, "name": "X", "message": "m" * 5000})


def test_ack_packets():
    enc, dec = TelemetryEncoder(), TelemetryDecoder()
    d = dec.decode(enc.ack(7.0, "PYRO_FIRE", 42, AckStatus.REJECTED, "not allowed in ATTACHED"))
    assert d["apid"] == APID_ACK and d["data"] == {"command_id": 10, "command": "PYRO_FIRE", "counter": 42,
                                                   "status": "REJECTED", "reason": "not allowed in ATTACHED"}
    d = dec.decode(enc.ack(7.0, None, None, "REJECTED", "BAD_MAC"))
    assert d["data"]["command_id"] == 0xFFFF and d["data"]["command"] is None and d["data"]["counter"] == 0
    assert dec.decode(enc.ack(8.0, 1, 43, 3))["data"]["status"] == "COMPLETED"


def test_decoder_reads_a_framed_capture_and_counts_gaps_and_damage():
    enc = TelemetryEncoder()
    packets = [enc.hk(float(i), {"overruns": i}) for i in range(10)]
    del packets[4]                                   # lost on the link: a sequence gap
    damaged = bytearray(frame(packets[6]))
    damaged[30] ^= 0x10                              # damaged: rejected by the deframer
    stream = b"".join(frame(p) for p in packets[:6]) + bytes(damaged) + b"".join(frame(p) for p in packets[7:])
    dec = TelemetryDecoder()
    out = []
    for i in range(0, len(stream), 7):
        out += dec.feed(stream[i:i + 7])
    out += dec.eof()
    assert [d["data"]["overruns"] for d in out] == [0, 1, 2, 3, 5, 6, 8, 9]
    assert dec.seq_gaps == {APID_HK: 2} and dec.deframer.rejects["crc"] == 1
    with pytest.raises(DecodeError, match="CRC"):
        dec.decode(bytes(damaged[4:]))
    with pytest.raises(DecodeError):
        dec.decode(packets[0] + b"\x00")
    assert dec.errors == 2


def test_limits_colour_values():
    lim = Limits(22.0, 24.5, 29.0, 30.0)
    assert [lim.state(v) for v in (21.0, 24.0, 27.0, 29.5, 31.0, float("nan"), None)] == \
        ["red", "yellow", "green", "yellow", "red", "unknown", "unknown"]
    assert bits_to_mask(["main", "drogue"], ("drogue", "main")) == 3 and bits_to_mask(5, ()) == 5
    assert bits_to_mask("main", ("drogue", "main")) == 2
    assert len(PHASES) < 256


def test_benchmark_runs_and_reports_the_link_efficiency():
    r = run_benchmark(n_packets=500)
    assert r["encode_pps"] > 0 and r["decode_pps"] > 0
    assert r["hk_user_data_octets"] == HK_USER_DATA_LEN and r["hk_framed_octets"] == HK_PACKET_LEN + 4
    assert r["efficiency_framed"] >= 0.85
    assert r["efficiency_8n1"] == pytest.approx(r["efficiency_framed"] * 0.8)
    assert "packets/s" in format_report(r)


def test_link_package_is_sans_io_and_flight_only():
    """No port, clock, file or process in the codecs; no sim/ or tools/ anywhere in fsw/link."""
    pkg = Path(__file__).resolve().parents[2] / "fsw" / "link"
    for path in pkg.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", path.name
        assert not imported & {"sim", "tools", "hal"}, path.name
        if path.name != "bench.py":
            assert not imported & {"time", "os", "socket", "serial", "subprocess", "threading", "asyncio"}, path.name


def test_event_log_events_encode_directly():
    class _C:
        def now_s(self):
            return 1.5
    log = EventLog(_C())
    enc, dec = TelemetryEncoder(), TelemetryDecoder()
    ev = log.emit(Severity.ACTIVITY_HI, "PHASE_CHANGE", "SEPARATED -> COAST", frm=Phase.SEPARATED)
    assert dec.decode(enc.event(ev.t_s, ev))["data"]["data"] == {"frm": "SEPARATED"}
