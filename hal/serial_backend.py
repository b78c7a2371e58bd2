"""Serial HAL backend: the device set of a flight computer or a HIL bench, built from a
``backend: serial`` hardware profile (config/hil.yaml, config/flight.yaml), issue 10 item 3.

Requirements
1. The profile is validated by ``PROFILE`` (this module and fsw.schema only: a flight
   computer boots without the simulator); every line is a pyserial URL with its baud
   rate, so a profile can name UARTs, ptys or sockets.
2. ``build_serial_hal(profile, now_s)`` opens nothing at build time: each line opens on
   first use and reopens after a failure (hal/serial_port.py), so a board that is off
   at boot is picked up when it comes on.
3. Lines: ``sensor_board`` (IMU and both barometers), ``gps`` (NMEA), ``iridium``
   (9603), ``vehicle_board`` (pyro/valve board: pyros, engine, RCS, station port,
   water switch, power), ``ground`` (the framed CCSDS link, passed through as bytes).
4. ``watchdog.device``: the Linux watchdog (``/dev/watchdog``: written to kick, "V"
   written before close disarms it: the magic close), its reset cause read from the
   driver's ``bootstatus`` (WDIOF_CARDRESET: the last boot was a bite). With no device
   (a HIL bench on a laptop) there is no watchdog, and the reset cause is reported as
   ``power_on``: said, not pretended.
5. No star tracker line: navigation runs on the gyro alone in this profile (the sim
   profile's tracker has no wire protocol yet).
"""
from __future__ import annotations

import os

from fsw.schema import Num, Str, Struct
from fsw.yamlload import load_config
from hal.devices import Hal
from hal.serial_actuators import (PyroBoardLink, SerialEngine, SerialPower, SerialPyro, SerialRcs, SerialStation,
                                  SerialWater)
from hal.serial_iridium import SerialIridium
from hal.serial_port import SerialPort
from hal.serial_sensors import SensorBoardLink, SerialBaro, SerialGps, SerialImu


def _line(baud: int, doc: str):
    return Struct({"url": Str(doc=f"pyserial URL of the {doc} line (a device path, socket://host:port, loop://)"),
                   "baud": Num("Bd", 1200, 4_000_000, doc="baud rate (8N1)", integer=True, default=baud)})


PROFILE = Struct({
    "backend": Str(choices=("serial",), doc="HAL backend of this profile"),
    "lines": Struct({
        "sensor_board": _line(460800, "sensor board (IMU, barometers)"),
        "gps": _line(115200, "GPS receiver (NMEA 0183)"),
        "iridium": _line(19200, "Iridium 9603 modem"),
        "vehicle_board": _line(115200, "pyro/valve board"),
        "ground": _line(115200, "station/ground link"),
    }),
    "reopen_s": Num("s", 0.05, 60, doc="a failed line is reopened at most this often", default=1.0),
    "stale": Struct({
        "imu_s": Num("s", 0.005, 1, doc="IMU reading older than this is invalid (5 samples at 50 Hz)", default=0.1),
        "baro_s": Num("s", 0.05, 5, doc="barometer reading older than this is invalid", default=0.3),
        "gps_s": Num("s", 0.1, 30, doc="GPS fix older than this is invalid", default=1.5),
        "board_s": Num("s", 0.05, 5, doc="pyro/valve board readback older than this reads the safe side",
                       default=0.5),
    }, default={}),
    "watchdog": Struct({
        "device": Str(doc="Linux watchdog device (e.g. /dev/watchdog); null: none", default=None),
        "bootstatus": Str(doc="the driver's bootstatus file", default="/sys/class/watchdog/watchdog0/bootstatus"),
    }, default={}),
})

#: Linux watchdog bootstatus flag: the last reboot was caused by the watchdog (linux/watchdog.h).
WDIOF_CARDRESET = 0x0020


def load_serial_profile(path) -> dict:
    return load_config(path, PROFILE)


class SerialLink:
    """The ground link: framed CCSDS packets as bytes (fsw.link deframes them)."""

    def __init__(self, port, now_s):
        self.port, self.now_s = port, now_s

    def read(self) -> bytes:
        return self.port.poll(self.now_s())

    def write(self, data: bytes) -> None:
        self.port.write(data, self.now_s())


class LinuxWatchdog:
    """Requirement 4."""

    def __init__(self, device: str | None, bootstatus: str):
        self.device, self._fd = device, None
        self._cause = "power_on"
        if device is not None:
            try:
                with open(bootstatus) as f:
                    self._cause = "watchdog" if int(f.read().strip() or 0) & WDIOF_CARDRESET else "power_on"
            except (OSError, ValueError):
                pass
            self._fd = os.open(device, os.O_WRONLY)

    def kick(self) -> None:
        if self._fd is not None:
            os.write(self._fd, b"k")

    def reset_cause(self) -> str:
        return self._cause

    def close(self) -> None:
        """Orderly stop: the magic close disarms the watchdog."""
        if self._fd is not None:
            os.write(self._fd, b"V")
            os.close(self._fd)
            self._fd = None


def build_serial_hal(profile: dict, now_s) -> Hal:
    """Requirements 2, 3, 5."""
    lines, st, re_s = profile["lines"], profile["stale"], profile["reopen_s"]

    def port(name: str) -> SerialPort:
        return SerialPort(lines[name]["url"], lines[name]["baud"], reopen_s=re_s)
    sensors = SensorBoardLink(port("sensor_board"), now_s, stale_s=st["imu_s"])
    board = PyroBoardLink(port("vehicle_board"), now_s, stale_s=st["board_s"])
    wd = profile["watchdog"]
    return Hal(imu=SerialImu(sensors), baros=(SerialBaro(sensors, 0, st["baro_s"]), SerialBaro(sensors, 1, st["baro_s"])),
               gps=SerialGps(port("gps"), now_s, stale_s=st["gps_s"]), water=SerialWater(board),
               station=SerialStation(board), engine=SerialEngine(board), rcs=SerialRcs(board), pyro=SerialPyro(board),
               iridium=SerialIridium(port("iridium"), now_s), link=SerialLink(port("ground"), now_s),
               watchdog=LinuxWatchdog(wd["device"], wd["bootstatus"]), power=SerialPower(board), star_tracker=None)
