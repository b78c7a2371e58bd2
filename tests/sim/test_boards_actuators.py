"""sim/boards: the Iridium modem and the pyro/valve board emulators in front of the world's
devices, driven by the flight-side codecs over an in-memory wire (hal/wire.py)."""
from __future__ import annotations

import math

import pytest

from hal.protocols.iridium import SbdSession
from hal.protocols.pyro_board import BoardStatus, PyroBoardClient
from hal.sim_backend import build_sim_hal
from hal.wire import wire_pair
from sim.boards.iridium_modem import IridiumModemEmulator
from sim.boards.pyro_board import PyroBoardEmulator
from sim.earth import geodetic_alt_m
from sim.scenario import load_scenario
from sim.vehicle import vehicle_from_config
from sim.world import World


def world(path="config/scenarios/edl.yaml"):
    sc = load_scenario(path)
    return World(vehicle_from_config(sc.vehicle), sc.hardware, sc.environment, sc.start,
                 sc.mission["station_orbit"], sc.seed), sc


def landed_world():
    """The EDL flown by the simulator alone, canopies fired from truth (as tools/bench.py does)."""
    w, sc = world()
    p = sc.mission["params"]["chutes"]
    w.pyro.armed = True
    t = 0.0
    while w.splash is None and t < 3000.0:
        t += 0.5
        w.advance_to(t)
        alt = geodetic_alt_m(*w.s[0:3])
        if alt < 40e3 and w.dyn.drogue_deploy_t_s is None and w.truth().mach <= p["drogue_mach"]:
            w.fire_pyro("drogue")
        if alt <= p["main_alt_m"] and w.dyn.main_deploy_t_s is None:
            w.fire_pyro("main")
    assert w.splash is not None
    return w


def run_session(w, modem, flight_end, payload, t0, session_s):
    """One MO session; returns it, the time it ended and how long its +SBDIX took."""
    s = SbdSession(payload)
    flight_end.write(s.start(), t0)
    t = t0
    t_ix = None
    while s.result is None and t < t0 + session_s + 30.0:
        t += 0.1
        w.advance_to(t)
        modem.tick(t)
        out = s.receive(flight_end.poll(t))
        if out:
            flight_end.write(out, t)
        if s.state == "SESSION" and t_ix is None:
            t_ix = t
    return s, t, (None if t_ix is None else t - t_ix)


def test_a_floating_capsule_sends_through_the_modem():
    w = landed_world()
    hal = build_sim_hal(w)
    board_end, flight_end = wire_pair()
    modem = IridiumModemEmulator(hal.iridium, board_end, session_s=12.0)
    sent = 0
    t = w.t
    for k in range(10):                          # the world's 85 % session success: retried as the beacon would
        s, t, ix_s = run_session(w, modem, flight_end, b"report %d" % k, t, 12.0)
        assert s.result is not None and ix_s >= 12.0 - 1e-9       # the answer waits for the session
        sent += s.result.sent
        if s.result.sent:
            assert w.iridium.delivered[-1][1] == b"report %d" % k
        else:
            assert s.result.retry and s.result.mo_status in (13, 32)
    assert sent >= 5 and [x[2] for x in modem.sessions if x[1] == 0] == [d[1] for d in w.iridium.delivered]


def test_no_sky_no_session_at_120_km():
    w, _ = world()
    hal = build_sim_hal(w)
    board_end, flight_end = wire_pair()
    modem = IridiumModemEmulator(hal.iridium, board_end)
    s, _, _ = run_session(w, modem, flight_end, b"x", 0.0, 12.0)
    assert not s.result.sent and "0 bars" in s.result.reason and modem.sessions == []


def test_pyro_board_refuses_without_the_hardware_arm_and_fires_once_with_it():
    w, _ = world()                               # EDL start: released, hardware arm per the world
    hal = build_sim_hal(w)
    board_end, flight_end = wire_pair()
    board = PyroBoardEmulator(hal.pyro, hal.engine, hal.rcs, board_end)
    cl = PyroBoardClient()

    def exchange(*cmds):
        for op, kw in cmds:
            flight_end.write(cl.command(op, **kw)[1], w.t)
        board.tick(w.t)
        return cl.feed(flight_end.poll(w.t))

    st = [e for e in exchange(("STATUS", {})) if isinstance(e, BoardStatus)][0]
    assert st.hw_armed == w.hw_armed() and st.continuity == (True, True, True, True)
    acks = exchange(("PYRO_FIRE", {"channel": 0}))
    assert acks[0].result == ("not_armed" if st.hw_armed else "no_hw_arm") and not w.pyro.pulsed()[0]
    acks = exchange(("PYRO_ARM", {"value": 1}), ("PYRO_FIRE", {"channel": 0}), ("PYRO_FIRE", {"channel": 0}))
    if st.hw_armed:
        assert [a.result for a in acks] == ["ok", "ok", "already_fired"] and w.pyro.pulsed()[0]
    else:
        assert [a.result for a in acks] == ["ok", "no_hw_arm", "no_hw_arm"]
    assert cl.pending() == {} and board.decoder.rejects["crc"] == 0


def test_serial_pyro_engine_and_rcs_through_the_board_emulator():
    """The HAL side (hal/serial_actuators.py) in front of the emulator: commands confirmed by the
    board's readback, a second fire of a channel refused before the wire, a silent board unarmed."""
    from hal.serial_actuators import (PyroBoardLink, SerialEngine, SerialPower, SerialPyro, SerialRcs,
                                      SerialStation, SerialWater)
    w, _ = world()
    hal = build_sim_hal(w)
    board_end, flight_end = wire_pair()
    board = PyroBoardEmulator(hal.pyro, hal.engine, hal.rcs, board_end, hal.station, hal.water, hal.power)
    link = PyroBoardLink(flight_end, lambda: w.t)
    pyro, engine, rcs = SerialPyro(link), SerialEngine(link), SerialRcs(link)
    station, water, power = SerialStation(link), SerialWater(link), SerialPower(link)

    def cycle(n=3):
        for _ in range(n):
            w.advance_to(w.t + 0.1)
            link.service()
            board.tick(w.t)
            link.service()

    assert station.attached() and not water.wet()      # no readback yet: the safe side
    cycle()
    assert pyro.status().hw_armed == w.hw_armed() and not pyro.armed()
    assert station.attached() == w.attached and water.wet() == hal.water.wet()
    assert power.read().battery_soc == pytest.approx(hal.power.read().battery_soc, abs=1e-4)   # a 0.1 s old readback
    assert not pyro.fire("drogue")                      # relay open: refused before the wire
    pyro.arm(True)
    cycle()
    assert pyro.armed() and w.pyro.armed
    assert pyro.fire("drogue") is w.hw_armed()
    cycle()
    assert w.pyro.pulsed()[0] is w.hw_armed() and pyro.status().fired[0] is w.hw_armed()
    assert not pyro.fire("drogue")                      # the fire-sense latch: never twice
    assert not engine.ignite()                          # engine relay open
    rcs.command(0b000101)
    cycle()
    assert link.status[1].rcs_mask == 0b000101 and link.client.acks_missed == 0
    t_quiet = w.t
    while w.t < t_quiet + 1.0:                          # the board falls silent
        w.advance_to(w.t + 0.1)
        link.service()
    assert not pyro.armed() and pyro.status().continuity == (False,) * 4 and link.client.acks_missed > 0
    assert station.attached() and not water.wet() and math.isnan(power.read().bus_v)


def test_serial_iridium_device_through_the_modem_emulator():
    """The HAL device (hal/serial_iridium.py) against the modem emulator and a floating world:
    start, poll until the +SBDIX answer (after the modem's session time), sent; a silent modem
    ends the session by the step timeout."""
    from hal.serial_iridium import SerialIridium
    w = landed_world()
    hal = build_sim_hal(w)
    board_end, flight_end = wire_pair()
    modem = IridiumModemEmulator(hal.iridium, board_end, session_s=15.0)
    dev = SerialIridium(flight_end, lambda: w.t)
    results = []
    for k in range(6):
        assert dev.start_sbd(b"report %d" % k) and not dev.start_sbd(b"again")   # one at a time
        t0, res = w.t, None
        while res is None:
            w.advance_to(w.t + 0.1)
            modem.tick(w.t)
            res = dev.poll_sbd()
        results.append((res.mo_status, w.t - t0))
    assert all(dt >= 15.0 for _, dt in results) and any(st == 0 for st, _ in results)
    assert dev.signal_bars() >= 2 and dev.timeouts == 0
    assert [d[1] for d in w.iridium.delivered] == [b"report %d" % k for k, (st, _) in enumerate(results) if st == 0]
    silent = SerialIridium(wire_pair()[0], lambda: w.t, step_timeout_s=2.0)
    silent.start_sbd(b"x")
    t0 = w.t
    res = None
    while res is None and w.t < t0 + 10.0:
        w.advance_to(w.t + 0.1)
        res = silent.poll_sbd()
    assert res is not None and res.mo_status == -1 and 2.0 < w.t - t0 < 2.5 and silent.timeouts == 1


def test_wire_faults_on_a_line():
    """sim/boards/wire_faults.py: dropout silences, corrupt is caught by the codec's CRC, delay
    holds bytes in order, stuck sends break (zeros); each only while the fault is active."""
    import random

    from hal.protocols.sensor_board import SensorBoardDecoder, imu_frame
    from sim.boards.wire_faults import FaultyLine
    from sim.faults import FaultSchedule

    def spec(kind, at, dur, value=None):
        return {"target": "wire.sensor_board", "kind": kind, "at_s": at, "at_phase": None, "delay_s": 0.0,
                "duration_s": dur, "value": value}
    faults = FaultSchedule.from_specs([spec("dropout", 1.0, 1.0), spec("corrupt", 2.0, 1.0),
                                       spec("delay", 3.0, 1.0, 0.5), spec("stuck", 4.0, 1.0)])
    board_end, flight_end = wire_pair()
    line = FaultyLine(board_end, faults, "wire.sensor_board", random.Random(1))
    dec = SensorBoardDecoder()
    got = {}
    for k in range(250):                                 # 5 s at 50 Hz, one frame per tick
        t = k * 0.02
        line.write(imu_frame(k, k, (0, 0, 0), (0, 0, 0)), t)
        for ev in dec.feed(flight_end.poll(t)):
            if hasattr(ev, "seq"):
                got[ev.seq] = t
    second = {s: [k for k in got if s <= k * 0.02 < s + 1.0 - 1e-9] for s in range(5)}
    assert len(second[0]) == 50 and second[1] == []                          # dropout
    assert second[2] == [] and line.corrupted == 50                          # every corrupted frame rejected
    assert dec.rejects["crc"] + dec.rejects["bad_type"] + dec.rejects["garbage"] >= 40
    assert len(second[3]) == 50 and all(abs(got[k] - k * 0.02 - 0.5) < 1e-6 for k in second[3])   # held 0.5 s
    assert second[4] == [] and line.stuck == 50 * 36                          # break: zeros
    assert dec.bytes_in == dec.frame_bytes + dec.bytes_discarded + dec.buffered
