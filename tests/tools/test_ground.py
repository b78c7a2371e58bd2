"""`elsrs ground`: the sans-IO ground session against the real link codecs, the screen, the
keyboard model, key handling, and the non-interactive CLI over a real TCP socket.

No mocks: downlink is built with ``fsw.link.TelemetryEncoder`` and framed as on the line;
uplink is checked with ``fsw.link.CommandReceiver``.
"""
from __future__ import annotations

import json
import math
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fsw.link import CommandAccepted, CommandReceiver, CommandRejected, TelemetryEncoder, frame
from tools.ground import CommandError, GroundSession, parse_command_line
from tools.ground.console import ConsoleModel, command_help
from tools.ground.transport import load_key, open_port, read_counter, write_counter
from tools.ground.view import RED, YELLOW, render, strip_ansi
from tools.ground.batch import text_report

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(1, 33))          # test-only key, made up here
OTHER_KEY = bytes(range(101, 133))

pytestmark = pytest.mark.timeout(60)

HK_VALUES = {"phase": "SEPARATED", "bus_v": 31.0, "att_error_deg": 7.0, "battery_soc": 0.8,
             "rate_x_dps": -12.0, "baro_alt_m": None, "overruns": 0, "cmd_rejected": 2,
             "arm_mask": ("pyro_armed",), "gps_lat_deg": 12.5}


def _garbage(rng: random.Random, n: int) -> bytes:
    g = bytes(rng.randrange(256) for _ in range(n))
    return g.replace(b"\x1a", b"\x00")   # no accidental marker start


def _feed_split(session: GroundSession, stream: bytes, rng: random.Random, now_s: float = 0.0) -> list:
    cuts = sorted(rng.sample(range(1, len(stream)), min(40, len(stream) - 1)))
    out = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)]):
        out += session.feed(stream[a:b], now_s)
    return out


def _flight_replies(rx: CommandReceiver, uplink: bytes) -> list:
    events = rx.feed(uplink)
    assert all(isinstance(e, CommandAccepted) for e in events), events
    return events


# ---- downlink: telemetry, limits, events, statistics ---------------------------------
def test_telemetry_values_and_limit_states_from_split_streams_with_garbage():
    rng = random.Random(5)
    enc = TelemetryEncoder()
    stream = _garbage(rng, 37)
    stream += frame(enc.hk(10.0, dict(HK_VALUES, bus_v=27.0)))
    stream += _garbage(rng, 11)
    stream += frame(enc.event(10.5, {"severity": "WARNING_HI", "name": "BUS_OVERVOLT", "message": "bus 31 V",
                                     "data": {"v": 31.0}}))
    stream += frame(enc.hk(11.0, HK_VALUES))
    stream += _garbage(rng, 5)
    stream += frame(enc.event(11.5, {"severity": "ACTIVITY_LO", "name": "HELLO", "message": "hi"}))
    s = GroundSession(KEY)
    packets = _feed_split(s, stream, rng)
    assert [p["kind"] for p in packets] == ["hk", "event", "hk", "event"]

    ch = s.channels
    assert ch["bus_v"].value == 31.0 and ch["bus_v"].limit == "red" and ch["bus_v"].unit == "V"
    assert ch["att_error_deg"].value == 7.0 and ch["att_error_deg"].limit == "yellow"
    assert ch["battery_soc"].limit == "green"
    assert ch["rate_x_dps"].limit == "yellow"
    assert math.isnan(ch["baro_alt_m"].value) and ch["baro_alt_m"].limit == "unknown"   # NaN = no data
    assert ch["cmd_rejected"].limit == "yellow" and ch["overruns"].limit == "green"
    assert ch["phase"].value == "SEPARATED" and ch["phase"].limit == "none"
    assert ch["arm_mask"].labels == ["pyro_armed"]
    assert ch["gps_lat_deg"].value == 12.5 and ch["bus_v"].t_s == 11.0 and s.hk_t_s == 11.0
    assert [(e["name"], e["severity"]) for e in s.events] == [("BUS_OVERVOLT", "WARNING_HI"),
                                                              ("HELLO", "ACTIVITY_LO")]
    stats = s.link_stats()
    assert stats["packets"] == 4 and stats["packets_by_kind"] == {"hk": 2, "event": 2}
    assert stats["frame_rejects"]["garbage"] == 3 and stats["bytes_discarded"] == 37 + 11 + 5
    assert stats["seq_gaps"] == {}


def test_channels_without_data_yet_are_unknown_and_sequence_gaps_are_counted_per_apid():
    s = GroundSession(KEY)
    assert all(c.value is None and c.limit == "unknown" for c in s.channels.values())
    enc = TelemetryEncoder()
    hks = [frame(enc.hk(float(i), HK_VALUES)) for i in range(6)]
    evs = [frame(enc.event(float(i), {"severity": "DIAGNOSTIC", "name": f"E{i}"})) for i in range(4)]
    s.feed(b"".join([hks[0], hks[1], hks[4], hks[5], evs[0], evs[3]]))
    assert s.link_stats()["seq_gaps"] == {"HK": 2, "EVENT": 2}
    # a corrupted packet is a CRC reject, not a value
    bad = bytearray(frame(enc.hk(9.0, dict(HK_VALUES, bus_v=20.0))))
    bad[30] ^= 0xFF
    s.feed(bytes(bad))
    assert s.channels["bus_v"].value == 31.0 and s.link_stats()["frame_rejects"].get("crc") == 1


def test_event_log_is_bounded():
    s = GroundSession(KEY, max_events=5)
    enc = TelemetryEncoder()
    s.feed(b"".join(frame(enc.event(float(i), {"severity": "DIAGNOSTIC", "name": f"E{i}"})) for i in range(12)))
    assert [e["name"] for e in s.events] == [f"E{i}" for i in range(7, 12)]
    assert s.events_dropped == 7


# ---- uplink: dictionary, signing, flight receiver -------------------------------------
def test_commands_are_accepted_by_the_flight_receiver_with_the_same_key_only():
    s = GroundSession(KEY)
    up = s.command("SET_PARAM", {"name": "beacon.period_s", "value": 60}, now_s=1.0)
    up += s.command("PYRO_FIRE", {"channel": "main"}, now_s=1.0)
    up += s.command("NOOP", None, now_s=1.0)
    good = CommandReceiver(KEY).feed(up)
    assert [(e.name, e.args, e.counter) for e in good] == [
        ("SET_PARAM", {"name": "beacon.period_s", "value": 60}, 1),
        ("PYRO_FIRE", {"channel": "main", "override": False}, 2),          # defaults filled in by the dictionary
        ("NOOP", {}, 3)]
    bad = CommandReceiver(OTHER_KEY).feed(up)
    assert [e.reason_code.value for e in bad] == ["BAD_MAC"] * 3
    assert [r.status for r in s.commands] == ["sent"] * 3 and s.counter == 3
    # replaying the same bytes to the good receiver is refused
    assert all(isinstance(e, CommandRejected) for e in CommandReceiver(KEY, last_counter=3).feed(up))


@pytest.mark.parametrize("name, args, fragment", [
    ("FIRE_EVERYTHING", {}, "unknown command"),
    ("PYRO_FIRE", {"channel": "nose"}, "args.channel"),
    ("PYRO_FIRE", {}, "missing required key 'channel'"),
    ("NOOP", {"x": 1}, "unknown key 'x'"),
    ("DEORBIT_GO", {"ignition_t_s": -5}, "args.ignition_t_s"),
    ("STATE_VECTOR", {"r_eci_m": [1, 2], "v_eci_mps": [0, 0, 0], "q_body_eci": [1, 0, 0, 0]}, "r_eci_m"),
])
def test_bad_commands_raise_before_anything_is_signed_or_sent(name, args, fragment):
    s = GroundSession(KEY)
    with pytest.raises(CommandError) as exc:
        s.command(name, args, now_s=0.0)
    msg = str(exc.value)
    assert fragment in msg and name in msg and "\n" not in msg
    assert s.counter == 0 and not s.commands and s.bytes_out == 0


def test_command_line_syntax():
    assert parse_command_line("SET_PARAM name=beacon.period_s value=60") == (
        "SET_PARAM", {"name": "beacon.period_s", "value": 60})
    assert parse_command_line("pyro_fire channel=main") == ("PYRO_FIRE", {"channel": "main"})
    assert parse_command_line('ABORT reason="lost lock"') == ("ABORT", {"reason": "lost lock"})
    assert parse_command_line("SET_PARAM name=x value=-1.5e3") == ("SET_PARAM", {"name": "x", "value": -1500.0})
    assert parse_command_line("SET_PARAM name=x value=true")[1]["value"] is True
    assert parse_command_line("SET_PARAM name=x value='\"60\"'")[1]["value"] == "60"
    assert parse_command_line("SET_PARAM name=x value=NaN")[1]["value"] == "NaN"   # text, not a float
    assert parse_command_line("STATE_VECTOR r_eci_m=[6771000,0,0] v_eci_mps=[0,7670,0] "
                              "q_body_eci=[1,0,0,0]")[1]["r_eci_m"] == [6771000, 0, 0]
    for bad in ("", "   ", "NOOP x", "NOOP =1", "SET_PARAM name=a name=b", 'ABORT reason="open'):
        with pytest.raises(CommandError):
            parse_command_line(bad)


# ---- acknowledgements -------------------------------------------------------------------
def test_acks_are_matched_to_their_commands_and_silent_commands_time_out():
    s = GroundSession(KEY, ack_timeout_s=5.0)
    rx, enc = CommandReceiver(KEY), TelemetryEncoder()
    up = s.command("NOOP", None, now_s=0.0)                                   # 1: accepted, never completed
    up += s.command("SET_PARAM", {"name": "beacon.period_s", "value": 60}, now_s=0.5)   # 2: completed
    up += s.command("PYRO_FIRE", {"channel": "main"}, now_s=1.0)              # 3: rejected by the flight
    up += s.command("DUMP_RECORDER", None, now_s=1.5)                         # 4: no ack at all
    c1, c2, c3, _ = _flight_replies(rx, up)
    down = b"".join(frame(p) for p in (
        enc.ack(2.0, c3.name, c3.counter, "ACCEPTED"),
        enc.ack(2.0, c2.name, c2.counter, "ACCEPTED"),
        enc.ack(2.1, c3.name, c3.counter, "REJECTED", "not allowed in ATTACHED"),
        enc.ack(2.2, c1.name, c1.counter, "ACCEPTED"),
        enc.ack(2.3, c2.name, c2.counter, "COMPLETED"),
    ))
    _feed_split(s, b"\x00garbage" + down, random.Random(9), now_s=2.5)
    r1, r2, r3, r4 = s.commands
    assert (r1.status, r2.status, r3.status, r4.status) == ("accepted", "completed", "rejected", "sent")
    assert r3.reason == "not allowed in ATTACHED" and r2.reason == ""
    assert {r.matched_by for r in (r1, r2, r3)} == {"counter"} and r4.matched_by is None
    assert [a["status"] for a in r3.acks] == ["ACCEPTED", "REJECTED"] and r3.acks[0]["rx_s"] == 2.5

    assert s.tick(4.9) == [] and r1.status == "accepted"                   # not yet
    assert s.tick(5.0) == [r1] and r1.status == "timed_out" and "accepted" in r1.reason
    assert s.tick(6.5) == [r4] and r4.status == "timed_out" and "no ack within 5 s" in r4.reason
    assert (r2.status, r3.status) == ("completed", "rejected")             # final states stay
    assert not s.pending

    # a completion arriving after the timeout still lands, marked late
    s.feed(frame(enc.ack(9.0, c1.name, c1.counter, "COMPLETED")), now_s=9.0)
    assert r1.status == "completed" and r1.late
    # a duplicate ack does not change a final state
    s.feed(frame(enc.ack(9.1, c3.name, c3.counter, "COMPLETED")), now_s=9.1)
    assert r3.status == "rejected" and len(r3.acks) == 3


def test_acks_without_a_trusted_counter():
    s = GroundSession(KEY)
    enc = TelemetryEncoder()
    s.command("NOOP", None, now_s=0.0)
    # rejected before the MAC check: no counter, no command id; the only command waiting takes it
    s.feed(frame(enc.ack(1.0, None, None, "REJECTED", "BAD_MAC: HMAC does not match")), now_s=1.0)
    (r1,) = s.commands
    assert r1.status == "rejected" and r1.reason.startswith("BAD_MAC") and r1.matched_by == "only_pending"
    # with two waiting it is ambiguous: kept as unmatched, logged, nothing changes
    s.command("NOOP", None, now_s=2.0)
    s.command("SAFE", None, now_s=2.0)
    s.feed(frame(enc.ack(3.0, None, None, "REJECTED", "BAD_MAC")), now_s=3.0)
    assert [r.status for r in s.commands] == ["rejected", "sent", "sent"]
    assert len(s.unmatched_acks) == 1 and s.events[-1]["name"] == "GROUND_UNMATCHED_ACK"
    # a counter that is not ours is never attributed by name
    s.feed(frame(enc.ack(3.5, "SAFE", 999, "COMPLETED")), now_s=3.5)
    assert s.commands[2].status == "sent" and len(s.unmatched_acks) == 2
    # a command id without a counter: the oldest waiting command with that id
    s.feed(frame(enc.ack(4.0, "SAFE", None, "ACCEPTED")), now_s=4.0)
    assert s.commands[2].status == "accepted" and s.commands[2].matched_by == "command_id"


def test_signer_continues_after_the_flight_counter_from_hk():
    rx, enc = CommandReceiver(KEY, last_counter=41), TelemetryEncoder()
    s = GroundSession(KEY)                      # a console restarted without its counter file
    assert isinstance(rx.feed(s.command("NOOP", None, 0.0))[0], CommandRejected)   # REPLAY
    s.feed(frame(enc.hk(1.0, dict(HK_VALUES, cmd_counter=41))))
    assert s.flight_counter == 41
    (ev,) = rx.feed(s.command("NOOP", None, 1.0))
    assert isinstance(ev, CommandAccepted) and ev.counter == 42 and s.counter == 42


def test_state_as_strict_json_lines():
    s = GroundSession(KEY)
    enc = TelemetryEncoder()
    s.feed(frame(enc.hk(1.0, HK_VALUES)) + frame(enc.event(1.0, {"severity": "FATAL", "name": "X"})))
    s.command("STATE_VECTOR", {"r_eci_m": [1, 2, 3], "v_eci_mps": [0, 0, 0], "q_body_eci": [1, 0, 0, 0]}, 0.0)
    recs = [json.loads(json.dumps(r, allow_nan=False)) for r in s.json_lines()]
    assert [r["type"] for r in recs] == ["telemetry", "event", "command", "link"]
    assert recs[0]["channels"]["baro_alt_m"] == {"value": None, "unit": "m", "limit": "unknown", "t_s": 1.0}
    assert recs[0]["channels"]["bus_v"]["limit"] == "red"
    assert recs[2]["args"]["r_eci_m"] == [1, 2, 3] and recs[2]["status"] == "sent"


# ---- screen and keyboard -----------------------------------------------------------------
def test_screen_colours_values_by_limit_and_fits_the_terminal():
    s = GroundSession(KEY)
    enc = TelemetryEncoder()
    s.feed(frame(enc.hk(1.0, HK_VALUES)) + frame(enc.event(1.0, {"severity": "WARNING_HI", "name": "HOT"})))
    s.command("NOOP", None, 0.0)
    for width, height in ((80, 24), (120, 50), (200, 60)):
        lines = render(s, width, height, input_line="SET_PARAM name=x", message="hello")
        assert len(lines) == height
        assert all(len(strip_ansi(line)) <= width for line in lines)
        assert lines[-1] == "> SET_PARAM name=x" and lines[-2].startswith("hello")
    lines = render(s, 120, 50)
    text = "\n".join(lines)
    bus = next(line for line in lines if "bus_v" in line)
    assert f"{RED}{'31'.rjust(14)}" in bus                            # above red high: red
    att = next(line for line in lines if "att_error_deg" in line)
    assert f"{YELLOW}{'7'.rjust(14)}" in att
    assert "HOT" in text and "NOOP" in text and "sent" in text
    plain = render(s, 120, 50, color=False)
    assert not any("\x1b" in line for line in plain)


def test_console_keyboard_model_sends_and_confirms_hazardous_commands():
    s = GroundSession(KEY)
    m = ConsoleModel(s)
    assert m.keys("noop\r", 0.0) and s.commands[-1].name == "NOOP"
    assert m.keys("PYRO_FIRE channel=main\r", 1.0) == [] and "hazardous" in m.message   # armed, not sent
    (data,) = m.keys("\r", 1.5)                                                        # second Enter sends
    (ev,) = CommandReceiver(KEY, last_counter=1).feed(data)
    assert isinstance(ev, CommandAccepted) and ev.name == "PYRO_FIRE"
    assert s.commands[-1].name == "PYRO_FIRE" and s.commands[-1].args == {"channel": "main"}
    assert m.keys("ARM device=pyro\r", 2.0) == []
    assert m.keys("DISARM device=pyro\r", 2.0)                       # other text: the ARM is dropped
    assert [r.name for r in s.commands] == ["NOOP", "PYRO_FIRE", "DISARM"]
    assert m.keys("PYRO_FIRE channel=nose\r", 3.0) == [] and m.message.startswith("not sent:")
    assert m.keys("FOO\r", 3.0) == [] and "unknown command" in m.message
    m.keys("help pyro_fire\r", 3.0)
    assert m.message.startswith("PYRO_FIRE channel=<one of drogue, main")
    m.keys("SET_PARAM name=a value=1x\x7f\r", 4.0)                   # backspace edits
    assert "hazardous" in m.message                                   # SET_PARAM confirms too
    m.keys("\r", 4.5)
    assert s.commands[-1].args == {"name": "a", "value": 1}
    m.keys("\x1b[A", 5.0)                                             # history: last line back
    assert m.line == "SET_PARAM name=a value=1"
    m.keys("\x15SET_P\t", 5.0)                                        # Ctrl-U, Tab completes
    assert m.line == "SET_PARAM "
    m.keys("\x15quit\r", 6.0)
    assert m.quit
    assert "NOOP" in command_help()


# ---- key, counter file, port -------------------------------------------------------------
def test_key_from_file_raw_or_hex_or_environment(tmp_path):
    raw = tmp_path / "raw.key"
    raw.write_bytes(KEY)
    hexf = tmp_path / "hex.key"
    hexf.write_text(KEY.hex() + "\n")
    assert load_key(str(raw), {}) == KEY and load_key(str(hexf), {}) == KEY
    assert load_key(None, {"ELSRS_KEY": KEY.hex()}) == KEY
    assert load_key(str(raw), {"ELSRS_KEY": OTHER_KEY.hex()}) == KEY       # the file wins
    short = tmp_path / "short.key"
    short.write_text("00112233")
    for key_file, env, fragment in ((None, {}, "no command key"), (str(tmp_path / "nope"), {}, "cannot read"),
                                    (str(short), {}, "expected at least 16"),
                                    (None, {"ELSRS_KEY": "xyz"}, "hex digits")):
        with pytest.raises(Exception) as exc:
            load_key(key_file, env)
        assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_counter_file_round_trip(tmp_path):
    path = str(tmp_path / "counter")
    assert read_counter(path) == 0
    write_counter(path, 17)
    assert read_counter(path) == 17
    Path(path).write_text("seventeen")
    with pytest.raises(Exception, match="expected one integer"):
        read_counter(path)


def test_session_over_a_pyserial_loop_port():
    port = open_port("loop://", 115200, timeout_s=0.05)
    try:
        enc = TelemetryEncoder()
        port.write(b"noise" + frame(enc.hk(3.0, HK_VALUES)) + frame(enc.ack(3.0, "NOOP", 1, "COMPLETED")))
        s = GroundSession(KEY)
        s.command("NOOP", None, 0.0)
        s.feed(port.read(4096), now_s=0.1)
        assert s.channels["bus_v"].limit == "red" and s.commands[0].status == "completed"
    finally:
        port.close()


# ---- the CLI over a real TCP socket --------------------------------------------------------
class FlightSide(threading.Thread):
    """The flight end of the link on 127.0.0.1: real CommandReceiver and TelemetryEncoder.

    Streams HK every 50 ms; acknowledges each accepted command with ACCEPTED, an event and
    COMPLETED (unless ``ack`` is False), each rejected one with REJECTED and the reason.
    """

    def __init__(self, key: bytes, *, ack: bool = True, last_counter: int = 0) -> None:
        super().__init__(daemon=True)
        self.key, self.ack, self.last_counter = key, ack, last_counter
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.stopping = threading.Event()
        self.received: list = []
        self.enc = TelemetryEncoder()
        self.t_s = 100.0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                try:
                    self._serve(conn)
                except OSError:
                    pass
        self.server.close()

    def _serve(self, conn) -> None:
        rx = CommandReceiver(self.key, self.last_counter)
        conn.settimeout(0.05)
        next_hk = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_hk:
                next_hk = time.monotonic() + 0.05
                self.t_s += 0.05
                conn.sendall(frame(self.enc.hk(self.t_s, dict(HK_VALUES, cmd_counter=rx.last_counter,
                                                               cmd_accepted=rx.counts["ACCEPTED"]))))
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            for ev in rx.feed(data):
                self.received.append(ev)
                self.last_counter = rx.last_counter
                if not self.ack:
                    continue
                t = self.t_s
                if isinstance(ev, CommandAccepted):
                    out = [self.enc.ack(t, ev.command_id, ev.counter, "ACCEPTED"),
                           self.enc.event(t, {"severity": "ACTIVITY_LO", "name": "CMD_ACCEPTED",
                                              "message": ev.name}),
                           self.enc.ack(t, ev.command_id, ev.counter, "COMPLETED")]
                else:
                    out = [self.enc.ack(t, ev.command_id, ev.counter, "REJECTED",
                                        f"{ev.reason_code.value}: {ev.detail}")]
                conn.sendall(b"".join(frame(p) for p in out))

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


@pytest.fixture
def flight():
    servers = []

    def start(**kw) -> FlightSide:
        f = FlightSide(KEY, **kw)
        f.start()
        servers.append(f)
        return f
    yield start
    for f in servers:
        f.stop()


@pytest.fixture
def key_file(tmp_path) -> Path:
    p = tmp_path / "ground.key"
    p.write_text(KEY.hex())
    return p


def run_ground(*args: str, env_key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ELSRS_KEY"}
    if env_key is not None:
        env["ELSRS_KEY"] = env_key
    return subprocess.run([sys.executable, "-m", "tools.cli", "ground", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def _records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_cli_sends_noop_over_tcp_and_prints_completed_status_and_telemetry(flight, key_file):
    f = flight()
    proc = run_ground("--port", f"socket://127.0.0.1:{f.port}", "--key-file", str(key_file),
                      "--send", "NOOP", "--wait-ack", "5", "--print-json")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    recs = _records(proc.stdout)
    tlm = next(r for r in recs if r["type"] == "telemetry")
    assert tlm["channels"]["bus_v"] == {"value": 31.0, "unit": "V", "limit": "red", "t_s": tlm["t_s"]}
    assert tlm["channels"]["phase"]["value"] == "SEPARATED"
    (cmd,) = [r for r in recs if r["type"] == "command"]
    assert (cmd["name"], cmd["status"], cmd["counter"], cmd["matched_by"]) == ("NOOP", "completed", 1, "counter")
    assert [a["status"] for a in cmd["acks"]] == ["ACCEPTED", "COMPLETED"]
    assert any(r["type"] == "event" and r["name"] == "CMD_ACCEPTED" for r in recs)
    assert next(r for r in recs if r["type"] == "link")["packets_by_kind"]["hk"] >= 1
    assert [e.name for e in f.received] == ["NOOP"]

    # a second console run (no counter file) continues after the flight's counter, learnt from HK
    proc = run_ground("--port", f"socket://127.0.0.1:{f.port}", "--send", "NOOP",
                      "--send", "SET_PARAM name=beacon.period_s value=60", "--wait-ack", "5", "--print-json",
                      env_key=KEY.hex())
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    cmds = [r for r in _records(proc.stdout) if r["type"] == "command"]
    assert [(c["name"], c["status"], c["counter"]) for c in cmds] == [("NOOP", "completed", 2),
                                                                       ("SET_PARAM", "completed", 3)]
    assert f.received[-1].args == {"name": "beacon.period_s", "value": 60}


def test_cli_rejection_timeout_and_plain_report(flight, key_file, tmp_path):
    f = flight()
    other = tmp_path / "other.key"
    other.write_bytes(OTHER_KEY)
    proc = run_ground("--port", f"socket://127.0.0.1:{f.port}", "--key-file", str(other),
                      "--send", "NOOP", "--send", "SAFE", "--wait-ack", "5", "--print-json")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    cmds = [r for r in _records(proc.stdout) if r["type"] == "command"]
    assert [(c["name"], c["status"]) for c in cmds] == [("NOOP", "rejected"), ("SAFE", "not_sent")]
    assert cmds[0]["reason"].startswith("BAD_MAC")
    assert proc.stderr.count("\n") == 1 and "rejected" in proc.stderr and "Traceback" not in proc.stderr
    assert [e.reason_code.value for e in f.received] == ["BAD_MAC"]

    silent = flight(ack=False)
    counter = tmp_path / "counter"
    t0 = time.monotonic()
    proc = run_ground("--port", f"socket://127.0.0.1:{silent.port}", "--key-file", str(key_file),
                      "--counter-file", str(counter), "--send", "NOOP", "--wait-ack", "0.5")
    assert proc.returncode == 1 and time.monotonic() - t0 < 15
    assert "timed_out" in proc.stdout and "bus_v" in proc.stdout and "red" in proc.stdout   # plain report
    assert read_counter(str(counter)) == 1 and isinstance(silent.received[0], CommandAccepted)


def test_cli_bad_usage_and_input_exit_2_with_one_line(tmp_path, key_file):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()                                   # nothing listens there
    url = f"socket://127.0.0.1:{port}"
    short = tmp_path / "short.key"
    short.write_bytes(b"0123")
    cases = [
        ((url, "--send", "NOOP"), "no command key"),
        ((url, "--key-file", str(short), "--send", "NOOP"), "at least 16"),
        ((url, "--key-file", str(key_file), "--send", "PYRO_FIRE channel=nose"), "args.channel"),
        ((url, "--key-file", str(key_file), "--send", "LAUNCH"), "unknown command"),
        ((url, "--key-file", str(key_file), "--send", "NOOP"), "cannot open the port"),
        ((url, "--key-file", str(key_file), "--send", "NOOP", "--wait-ack", "-1"), "--wait-ack"),
    ]
    for args, fragment in cases:
        proc = run_ground("--port", *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.endswith("\n") and proc.stderr.count("\n") == 1, proc.stderr
        assert fragment in proc.stderr and "Traceback" not in proc.stderr and proc.stdout == ""


def test_forged_counter_in_hk_cannot_exhaust_the_counter():
    """HK is not authenticated: a cmd_counter of 2**32-1 must not push the signer there."""
    s = GroundSession(KEY)
    enc = TelemetryEncoder()
    s.feed(enc.frame(enc.hk(1.0, {"cmd_counter": 0xFFFFFFFF})), 1.0)
    assert s.refused_syncs == 1
    data = s.command("NOOP", {}, 2.0)
    (ev,) = CommandReceiver(KEY, last_counter=0).feed(data)
    assert isinstance(ev, CommandAccepted) and ev.counter == 1
    s.feed(enc.frame(enc.hk(3.0, {"cmd_counter": 40})), 3.0)          # a plausible step is followed
    assert s.command("NOOP", {}, 4.0) and s.commands[-1].counter == 41


def test_recovery_forecast_against_the_beacon():
    """Issue 9: after cutoff the flight downlinks its predicted splash point (SPLASH_FORECAST);
    the ground shows it with its miss from the target and, once the beacon reports, how far
    the capsule is from it. Reference distance: haversine on the 6371.0088 km mean radius,
    0.1 deg of latitude = 11.119 km."""
    s = GroundSession(KEY)
    enc = TelemetryEncoder()
    assert s.recovery() == {"forecast": None, "beacon": None, "beacon_from_forecast_km": None}
    s.feed(frame(enc.event(1218.5, {"severity": "ACTIVITY_HI", "name": "SPLASH_FORECAST",
                                    "message": "splash predicted", "data": {"lat_deg": -37.4, "lon_deg": -157.7,
                                                                            "miss_km": 17.5, "splash_t_s": 4313.0}})))
    assert s.recovery()["forecast"]["miss_km"] == 17.5
    assert "17.5 km from the target" in s.recovery_text()
    s.feed(frame(enc.event(4315.0, {"severity": "ACTIVITY_LO", "name": "BEACON_SENT", "message": "report 0 sent",
                                    "data": {"seq": 0, "momsn": 1, "lat_deg": -37.5, "lon_deg": -157.7,
                                             "source": "gps"}})))
    r = s.recovery()
    assert r["beacon_from_forecast_km"] == pytest.approx(11.119, abs=0.01)
    assert "11.1 km from the forecast" in s.recovery_text()
    assert any("recovery forecast" in line for line in render(s, 120, 40, color=False))
    assert "recovery forecast" in text_report(s)
    # A forecast without a position (no splash predicted) is not taken for one.
    s.feed(frame(enc.event(1300.0, {"severity": "WARNING_HI", "name": "SPLASH_FORECAST", "message": "no splash",
                                    "data": {"why": "no entry"}})))
    assert s.recovery()["forecast"]["lat_deg"] == -37.4
