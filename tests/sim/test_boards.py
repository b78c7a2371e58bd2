"""sim/boards: the world's devices served in the boards' protocols and read back by the serial
HAL devices (hal/serial_sensors.py) over loop:// lines: what the flight reads over the wire is
what SIL's in-process devices give, to the protocol's resolution."""
from __future__ import annotations

import math

import pytest

from hal.serial_port import SerialPort
from hal.serial_sensors import SensorBoardLink, SerialBaro, SerialGps, SerialImu, geodetic_to_ecef
from hal.sim_backend import build_sim_hal
from sim.boards.gps_receiver import GpsReceiverEmulator
from sim.boards.sensor_board import SensorBoardEmulator
from sim.scenario import load_scenario
from sim.vehicle import vehicle_from_config
from sim.world import World


def world(path="config/scenarios/edl.yaml"):
    sc = load_scenario(path)
    return World(vehicle_from_config(sc.vehicle), sc.hardware, sc.environment, sc.start,
                 sc.mission["station_orbit"], sc.seed)


def test_sensor_board_frames_carry_the_worlds_imu_and_baros():
    w = world()
    sim = build_sim_hal(w)
    wire = SerialPort("loop://")
    board = SensorBoardEmulator(sim.imu, sim.baros, wire)
    link = SensorBoardLink(wire, lambda: w.t, stale_s=0.1)
    imu, baros = SerialImu(link), [SerialBaro(link, i) for i in range(len(sim.baros))]
    for k in range(1, 200):
        w.advance_to(k * 0.02)
        board.tick(w.t)
        s = imu.read()
        ref = w.imu.read(w.truth().rates_body, w.truth().specific_force_body, w.t)   # held sample
        assert s.valid and s.accel_mps2 == pytest.approx(ref.accel_mps2, rel=1e-6, abs=1e-6)
        assert s.gyro_radps == pytest.approx(ref.gyro_radps, rel=1e-6, abs=1e-9)
    b = [x.read() for x in baros]
    assert all(x.valid for x in b) and len(b) == 2
    # 120 km: both read at their low clamp (1.2 kPa), the "above range" value.
    assert b[0].pressure_pa == pytest.approx(1200.0, abs=1.0)
    # 3.98 s: IMU frames due at 0, 0.02 ... 3.98 s (200), baro epochs at 0, 0.1 ... 3.9 s (40, two units)
    assert link.decoder.frames == 200 + 40 * 2 and link.telemetry()["rejected"] == 0


def test_gps_emulator_sentences_give_the_worlds_fix():
    w = world("config/scenarios/nominal.yaml")        # in orbit: the space receiver fixes after its 210 s cold start
    sim = build_sim_hal(w)
    wire = SerialPort("loop://")
    sent = []

    class Receiver:                      # the world's receiver, each solution it gave kept
        @staticmethod
        def read():
            sent.append(sim.gps.read())
            return sent[-1]
    rx = GpsReceiverEmulator(Receiver, wire, rate_hz=1.0, geoid_sep_m=20.0)
    gps = SerialGps(wire, lambda: w.t)
    got = None
    for k in range(1, 600):
        w.advance_to(k * 0.5)
        rx.tick(w.t)
        f = gps.read()
        if f.valid and f.t_s == w.t:
            got, ref = f, sent[-1]
    assert got is not None, "no fix over 300 s in orbit"
    # NMEA carries 1e-5 arc-minutes (~2 cm) and 0.1 m of altitude.
    assert got.lat_deg == pytest.approx(ref.lat_deg, abs=1e-6) and got.alt_m == pytest.approx(ref.alt_m, abs=0.06)
    assert math.dist(got.r_ecef_m, geodetic_to_ecef(ref.lat_deg, ref.lon_deg, ref.alt_m)) < 0.1
    # The simulated receiver adds its noise to the ECEF position and, mapped approximately, to
    # its geodetic solution: the two disagree by a fraction of that noise; NMEA carries the latter.
    assert math.dist(got.r_ecef_m, ref.r_ecef_m) < 10.0
    # Horizontal: RMC's course has 0.1 deg (at orbital speed half of it is 7.6 km/s x 0.05 deg =
    # 6.6 m/s across track), its speed 0.01 kn. Vertical: 1 s differences of the noisy heights
    # (sqrt(2) x the receiver's height noise per second): NMEA has no vertical velocity.
    la, lo = math.radians(ref.lat_deg), math.radians(ref.lon_deg)
    up = (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))
    dv = [a - b for a, b in zip(got.v_ecef_mps, ref.v_ecef_mps)]
    dv_up = sum(a * b for a, b in zip(dv, up))
    assert math.sqrt(max(0.0, sum(c * c for c in dv) - dv_up ** 2)) < 6.7
    assert abs(dv_up) < 30.0
