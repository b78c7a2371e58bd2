"""hal/serial_sensors.py over pyserial's loop:// and a real pty: board frames and NMEA in,
HAL readings out, stale when the line goes silent; the GPS fix's ECEF position against the
WGS-84 closed form at known points."""
from __future__ import annotations

import math
import os

import pytest

from hal.protocols.nmea import gga, rmc
from hal.protocols.sensor_board import baro_frame, imu_frame
from hal.serial_port import SerialPort
from hal.serial_sensors import SensorBoardLink, SerialBaro, SerialGps, SerialImu, geodetic_to_ecef


class Clock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


def test_board_frames_become_readings_and_go_stale():
    clock, port = Clock(), SerialPort("loop://")
    link = SensorBoardLink(port, clock, stale_s=0.1)
    imu, b0, b1 = SerialImu(link), SerialBaro(link, 0), SerialBaro(link, 1)
    assert not imu.read().valid and not b0.read().valid                 # nothing yet
    port.write(imu_frame(1, 5, (0.1, 0.0, 0.0), (0.0, 0.0, -9.8)) + baro_frame(1, 5, 0, 50000.0)
               + baro_frame(2, 5, 1, 50010.0, ok=False), clock())
    clock.t += 0.02
    s = imu.read()
    assert s.valid and s.t_s == clock.t and s.gyro_radps == pytest.approx((0.1, 0.0, 0.0))
    assert b0.read().pressure_pa == 50000.0 and b0.read().valid
    assert not b1.read().valid                                          # the board says unit 1 is bad
    clock.t += 0.15                                                     # the line goes quiet
    assert not imu.read().valid and imu.read().t_s == pytest.approx(100.02)   # held, but flagged
    assert b0.read().valid                                              # baro stale after 0.3 s
    clock.t += 0.2
    assert not b0.read().valid


def test_garbage_on_the_line_is_counted_and_frames_still_arrive():
    clock, port = Clock(), SerialPort("loop://")
    link = SensorBoardLink(port, clock)
    port.write(b"\x00\x01\x02" + imu_frame(1, 0, (0, 0, 0), (0, 0, 0)), clock())
    clock.t += 0.01
    assert SerialImu(link).read().valid
    assert link.telemetry()["rejected"] == 1 and link.telemetry()["frames"] == 1


def test_geodetic_to_ecef_closed_form():
    """WGS-84: on the equator at lon 0, x = a + h; at the pole, z = b + h = a (1 - f) + h."""
    assert geodetic_to_ecef(0.0, 0.0, 100.0) == pytest.approx((6378237.0, 0.0, 0.0))
    x, y, z = geodetic_to_ecef(90.0, 0.0, 0.0)
    assert abs(x) < 1e-6 and z == pytest.approx(6356752.314245, abs=1e-5)


def test_gps_fix_from_gga_and_rmc_through_a_pty(tmp_path):
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)
    clock = Clock()
    gps = SerialGps(SerialPort(name), clock)
    assert not gps.read().valid
    for k in range(3):                      # 1 Hz epochs, climbing 5 m/s, 10 m/s due east
        t_utc = 3600.0 + k
        os.write(master, rmc(t_utc, -37.31, -157.80, 10.0, 90.0, (2026, 12, 2))
                 + gga(t_utc, -37.31, -157.80, 100.0 + 5.0 * k, geoid_sep_m=10.0))
        clock.t += 1.0
        for _ in range(100):
            f = gps.read()
            if f.valid and f.alt_m == pytest.approx(110.0 + 5.0 * k):
                break
    assert f.valid and f.alt_m == pytest.approx(120.0)
    assert f.r_ecef_m == pytest.approx(geodetic_to_ecef(-37.31, -157.80, 120.0), abs=0.05)
    lo = math.radians(-157.80)
    la = math.radians(-37.31)
    east = (-math.sin(lo), math.cos(lo), 0.0)
    up = (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))
    assert sum(a * b for a, b in zip(f.v_ecef_mps, east)) == pytest.approx(10.0, abs=0.01)
    assert sum(a * b for a, b in zip(f.v_ecef_mps, up)) == pytest.approx(5.0, abs=0.01)
    clock.t += 2.0                                                      # no sentence for 2 s
    assert not gps.read().valid
    os.close(master)
