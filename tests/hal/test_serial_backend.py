"""hal/serial_backend.py: the HIL and flight profiles validate without the simulator, a bad
field is a one-line error naming it, and a serial HAL built on pty pairs reads a board."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fsw.schema import ConfigError
from hal.protocols.sensor_board import imu_frame
from hal.serial_backend import build_serial_hal, load_serial_profile


@pytest.mark.parametrize("name", ["hil", "flight"])
def test_profiles_load(name):
    p = load_serial_profile(f"config/{name}.yaml")
    assert p["backend"] == "serial" and p["lines"]["iridium"]["baud"] == 19200 and p["stale"]["imu_s"] == 0.1


def test_the_flight_profile_loads_without_the_simulator():
    code = ("import sys; from hal.serial_backend import load_serial_profile; load_serial_profile('config/flight.yaml');"
            "bad = [m for m in sys.modules if m == 'sim' or m.startswith('sim.')]; print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_bad_field_names_itself(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("backend: serial\nlines:\n  sensor_board: {url: /dev/ttyS1, baud: 12}\n  gps: {url: a}\n"
                 "  iridium: {url: b}\n  vehicle_board: {url: c}\n  ground: {url: d}\n")
    with pytest.raises(ConfigError, match=r"lines\.sensor_board\.baud") as e:
        load_serial_profile(f)
    assert "\n" not in str(e.value)


def test_a_serial_hal_on_ptys_reads_the_sensor_board(tmp_path):
    p = load_serial_profile("config/hil.yaml")
    masters = {}
    for name in p["lines"]:
        m, s = os.openpty()
        masters[name] = m
        p["lines"][name]["url"] = os.ttyname(s)
        os.close(s)
    t = [10.0]
    hal = build_serial_hal(p, lambda: t[0])
    assert not hal.imu.read().valid                    # opens the line; nothing yet
    os.write(masters["sensor_board"], imu_frame(1, 0, (0.0, 0.0, 0.01), (0.0, 0.0, -9.81)))
    for _ in range(200):
        t[0] += 0.001
        s = hal.imu.read()
        if s.valid:
            break
    assert s.valid and s.accel_mps2[2] == pytest.approx(-9.81, rel=1e-6)
    assert hal.station.attached() and not hal.water.wet()      # no vehicle-board readback: the safe side
    assert hal.watchdog.reset_cause() == "power_on"
    for m in masters.values():
        os.close(m)
