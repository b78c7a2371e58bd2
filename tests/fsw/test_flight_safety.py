"""Flight-app safety and command handling against the real simulator backend.

The flight app runs with the in-process sim HAL (the real devices of SIL, no
mocks); a restart is a new FlightApp on the same HAL and the same state-store
file, as on the flight computer after a processor reset.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from fsw.app import FlightApp
from fsw.clock import SimClock
from fsw.phases import Phase
from fsw.state_store import FileSlots
from hal.sim_backend import build_sim_hal
from sim.scenario import load_scenario
from sim.vehicle import vehicle_from_config
from sim.world import World

REPO = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))      # test key; the SIL generates one per run


STORE = {}


@pytest.fixture
def rig(tmp_path):
    sc = load_scenario(str(REPO / "config/scenarios/nominal.yaml"))
    world = World(vehicle_from_config(sc.vehicle), sc.hardware, sc.environment, {"kind": "attached"},
                  sc.mission["station_orbit"], seed=1)
    hal = build_sim_hal(world)
    clock = SimClock()
    events = []
    STORE["path"] = tmp_path / "state.bin"
    app = FlightApp(hal, clock, sc.mission["params"], KEY, store=FileSlots(STORE["path"]), event_sinks=[events.append])
    return world, hal, clock, app, events, sc


def reboot(hal, clock, sc, app, **kw):
    """Processor reset: the old app is gone; a new one boots on the same store file."""
    app.shutdown()
    hal.watchdog.cause = "reset"
    return FlightApp(hal, clock, sc.mission["params"], KEY, store=FileSlots(STORE["path"]), **kw)


def names(events):
    return [e.name for e in events]


def advance(world, clock, app, seconds):
    t = clock.now_s()
    for k in range(1, int(round(seconds * 50)) + 1):
        world.advance_to(t + k * 0.02)
        clock.advance_to(t + k * 0.02)
        app.tick()


def test_pyro_command_refused_while_attached(rig):
    world, hal, clock, app, events, _ = rig
    cmds = app.tasks["commands"]
    assert not cmds.execute("PYRO_FIRE", {"channel": "drogue"})      # phase ATTACHED: not allowed
    assert not cmds.execute("ARM", {"device": "pyro"})
    assert world.pyro.log == []
    assert app.pyro.fire("drogue", "test") is False                   # below the command layer too
    assert world.pyro.log == []
    assert "PYRO_REFUSED" in names(events)


def test_pyro_fires_once_even_across_a_restart(rig):
    world, hal, clock, app, events, sc = rig
    world.release()
    advance(world, clock, app, 1.0)
    assert app.phases.phase is Phase.SEPARATED
    cmds = app.tasks["commands"]
    assert not cmds.execute("PYRO_FIRE", {"channel": "float"})                   # not in its phases (LANDED)
    assert not cmds.execute("PYRO_FIRE", {"channel": "float", "override": True})  # board: hardware arm timer
    assert world.pyro.log == []
    advance(world, clock, app, sc.hardware["pyro_board"]["sep_timer_s"])
    assert cmds.execute("PYRO_FIRE", {"channel": "float", "override": True})
    assert not cmds.execute("PYRO_FIRE", {"channel": "float", "override": True})
    app2 = reboot(hal, clock, sc, app)                                    # processor reset
    assert app2.phases.phase is Phase.SEPARATED                        # restored from the store
    assert not app2.tasks["commands"].execute("PYRO_FIRE", {"channel": "float", "override": True})
    assert [c for _, c in world.pyro.log] == ["float"]
    assert app2.store.get("pyro.overrides")[0]["channel"] == "float"     # the override is on record


@pytest.mark.parametrize("name,args,why", [
    ("SELF_DESTRUCT", {}, "expected one of"),
    ("PYRO_FIRE", {"channel": "parachute"}, "channel"),
    ("SET_PARAM", {"name": "beacon.period_s"}, "value"),
    ("DEORBIT_GO", {"ignition_t_s": "soon"}, "ignition_t_s"),
    ("RESUME", {}, "not allowed in ATTACHED"),
])
def test_bad_commands_rejected_counted_never_executed(rig, name, args, why):
    world, hal, clock, app, events, _ = rig
    cmds = app.tasks["commands"]
    assert cmds.execute(name, args) is False
    assert cmds.rejected == 1 and cmds.accepted == 0
    rejected = [e for e in events if e.name == "CMD_REJECTED"]
    assert len(rejected) == 1 and why in rejected[0].message
    assert world.pyro.log == [] and app.phases.phase is Phase.ATTACHED


def test_set_param_checks_limits_and_survives_restart(rig):
    world, hal, clock, app, events, sc = rig
    cmds = app.tasks["commands"]
    assert not cmds.execute("SET_PARAM", {"name": "beacon.period_s", "value": 1.0})    # below 5 s limit
    assert not cmds.execute("SET_PARAM", {"name": "beacon.nope", "value": 60})
    assert cmds.execute("SET_PARAM", {"name": "beacon.period_s", "value": 45})
    assert app.params["beacon.period_s"] == 45.0
    app2 = reboot(hal, clock, sc, app)
    assert app2.params["beacon.period_s"] == 45.0


def test_release_command_separates(rig):
    world, hal, clock, app, events, _ = rig
    assert app.tasks["commands"].execute("RELEASE", {})
    advance(world, clock, app, 1.0)
    assert not world.attached
    assert app.phases.phase is Phase.SEPARATED


def test_dump_recorder_downlinks_every_record_within_the_link_budget(rig, tmp_path):
    """DUMP_RECORDER sends the whole recorder down as recorder packets, spread over
    several telemetry-task runs by the link budget, then reports RECORDER_DUMPED."""
    from fsw.link import Deframer, PacketReceived, TelemetryDecoder
    world, hal, clock, _, events, sc = rig
    down = bytearray()
    hal.link.sink = down.extend
    app = FlightApp(hal, clock, sc.mission["params"], KEY, recorder_path=tmp_path / "rec.bin",
                    event_sinks=[events.append])
    for i in range(300):                  # ~60 kB of records: ~10 s at the 5.76 kB/s budget (mission.yaml)
        app.recorder.write({"kind": "test", "i": i, "pad": "x" * 150})
    app.recorder.sync()
    written = app.recorder.records
    assert app.tasks["commands"].execute("DUMP_RECORDER", {})
    advance(world, clock, app, 30.0)
    done = [e for e in events if e.name == "RECORDER_DUMPED"]
    assert len(done) == 1 and done[0].data["records"] >= written
    dec = TelemetryDecoder()
    got = [dec.decode(ev.packet) for ev in Deframer().feed(bytes(down)) if isinstance(ev, PacketReceived)]
    dumped = [p["data"]["record"] for p in got if p["kind"] == "recorder"]
    assert [r["i"] for r in dumped if r.get("kind") == "test"] == list(range(300))
    assert done[0].t_s > 5.0                                   # it took several seconds of budget
    assert not any(e.name == "CMD_REJECTED" for e in events)


def test_bad_state_vector_is_refused_and_nav_untouched(rig):
    """A STATE_VECTOR that passes the dictionary but is physically impossible (zero
    quaternion, radius inside the Earth) is refused with its reason; nav keeps its state."""
    world, hal, clock, app, events, _ = rig
    cmds = app.tasks["commands"]
    good = {"r_eci_m": [6.78e6, 0.0, 0.0], "v_eci_mps": [0.0, 7660.0, 0.0], "q_body_eci": [1.0, 0.0, 0.0, 0.0]}
    assert cmds.execute("STATE_VECTOR", good)
    state0 = app.nav.state
    for bad, why in (({**good, "q_body_eci": [0.0, 0.0, 0.0, 0.0]}, "quaternion norm"),
                     ({**good, "r_eci_m": [1.0e6, 0.0, 0.0]}, "position radius")):
        assert not cmds.execute("STATE_VECTOR", bad)
        assert why in [e for e in events if e.name == "CMD_REJECTED"][-1].message
        assert app.nav.state == state0 and state0[0]


def test_uplink_junk_is_counted_not_acknowledged(rig):
    """Frames that fail before authentication (here: random bytes and a bad CRC) are
    counted and reported by events, but never acknowledged: junk cannot spend the downlink."""
    import random
    from fsw.link import Deframer, PacketReceived, TelemetryDecoder
    world, hal, clock, app, events, _ = rig
    down = bytearray()
    hal.link.sink = down.extend
    rnd = random.Random(5)
    junk = bytes(rnd.randrange(256) for _ in range(4000)) + b"\x1a\xcf\xfc\x1d" + bytes(40)
    hal.link.inject(junk)
    advance(world, clock, app, 0.2)
    cmds = app.tasks["commands"]
    assert cmds.link_rejects >= 1 and cmds.accepted == 0
    dec = TelemetryDecoder()
    kinds = [dec.decode(ev.packet)["kind"] for ev in Deframer().feed(bytes(down)) if isinstance(ev, PacketReceived)]
    assert "ack" not in kinds
    assert any(e.name == "LINK_FRAME_REJECTED" for e in events)


def test_dump_skips_a_record_too_large_for_a_packet(rig, tmp_path):
    world, hal, clock, _, events, sc = rig
    app = FlightApp(hal, clock, sc.mission["params"], KEY, recorder_path=tmp_path / "rec.bin",
                    event_sinks=[events.append])
    app.recorder.write({"kind": "test", "i": 0})
    app.recorder.write({"kind": "test", "i": 1, "pad": "x" * 6000})   # > 4096-octet packet limit
    app.recorder.write({"kind": "test", "i": 2})
    app.recorder.sync()
    assert app.tasks["commands"].execute("DUMP_RECORDER", {})
    advance(world, clock, app, 3.0)
    assert [e.name for e in events].count("RECORDER_DUMPED") == 1
    assert app.downlink.errors >= 1
    assert app.tasks["commands"].execute("DUMP_RECORDER", {})          # not stuck "in progress"


def test_hk_survives_an_out_of_range_value(rig):
    """One impossible value (a 300-satellite GPS fix) is saturated; the HK packet still goes."""
    from hal.devices import GpsFix
    world, hal, clock, app, events, _ = rig
    from fsw.records import GpsRecord
    app.bus._latest[GpsRecord] = GpsRecord(0.0, True, GpsFix(0.0, True, 1.0, 2.0, 3.0, (7e6, 0.0, 0.0),
                                                             (0.0, 0.0, 0.0), 300))
    tm = app.tasks["telemetry"]
    sent = app.downlink.sent_packets
    tm.run(clock.now_s())
    assert app.downlink.sent_packets == sent + 1 and tm.saturated >= 1 and app.downlink.errors == 0


def test_unreadable_stored_phase_boots_the_safe_initial_state_and_says_so(rig):
    """A store whose image is valid but whose phase is garbage: the app boots from the
    hardware (berthed -> ATTACHED) and raises STORE_LOST instead of trusting it silently."""
    from fsw.state_store import CriticalStore
    world, hal, clock, app, events, sc = rig
    app.shutdown()
    store = CriticalStore(FileSlots(STORE["path"]))
    store.put("phase", {"phase": "ORBITING_MARS", "entered_t_s": 0.0})
    store.close()
    got = []
    hal.watchdog.cause = "reset"
    app2 = FlightApp(hal, clock, sc.mission["params"], KEY, store=FileSlots(STORE["path"]), event_sinks=[got.append])
    assert app2.phases.phase is Phase.ATTACHED
    lost = [e for e in got if e.name == "STORE_LOST"]
    assert len(lost) == 1 and "ORBITING_MARS" in lost[0].message
