"""Device interfaces of the flight computer: the only way flight code reaches hardware.

Every backend (the in-process simulator, serial boards, flight hardware)
implements these protocols. Readings are frozen dataclasses in SI units; a
reading a device could not produce has ``valid = False`` rather than raising.
The flight code must treat every value as untrusted (range checks live in fsw).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

#: Pyro channels, in the order of the board's outputs.
PYRO_CHANNELS = ("drogue", "main", "main_release", "float")

#: RCS torque channels (bit i of the command mask): +x, -x, +y, -y, +z, -z couples.
RCS_CHANNELS = ("+x", "-x", "+y", "-y", "+z", "-z")


@dataclass(frozen=True, slots=True)
class ImuSample:
    """Body rates (rad/s) and specific force (m/s^2), body axes."""
    t_s: float
    gyro_radps: tuple[float, float, float]
    accel_mps2: tuple[float, float, float]
    valid: bool = True


@dataclass(frozen=True, slots=True)
class BaroSample:
    """Static pressure, Pa."""
    t_s: float
    pressure_pa: float
    valid: bool = True


@dataclass(frozen=True, slots=True)
class GpsFix:
    """Receiver navigation solution; ECEF position (m) and velocity (m/s)."""
    t_s: float
    valid: bool
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    r_ecef_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    v_ecef_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    n_sats: int = 0


@dataclass(frozen=True, slots=True)
class StarFix:
    """Star tracker solution: body->ECI quaternion at the exposure time ``t_s`` (s).
    A tracker's output is held between updates: a reading with the same ``t_s`` as
    the last is the same measurement, not a new one."""
    t_s: float
    valid: bool
    q_body_eci: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """Engine readback. ``armed``: the software arm relay (series isolation valve);
    ``hw_armed``: the pyro/valve board's hardware arm (separation switch open and
    separation timer run out); ``valve_open``: the oxidiser path is open (main valve
    and isolation valve); the chamber pressure follows the actual thrust, Pa."""
    armed: bool
    chamber_pressure_pa: float
    valve_open: bool = False
    hw_armed: bool = False
    t_s: float = 0.0


@dataclass(frozen=True, slots=True)
class PyroStatus:
    """Pyro board readback; per-channel tuples in PYRO_CHANNELS order.

    ``hw_armed``: the board's hardware arm (separation switch open and separation
    timer run out), which the flight software cannot set; ``armed``: its software
    arm relay; ``continuity``: the initiator's bridgewire is intact (False once
    fired, or for an open initiator); ``fired``: the fire-sense latch, a firing
    pulse went out on that channel."""
    t_s: float
    hw_armed: bool
    armed: bool
    continuity: tuple[bool, bool, bool, bool] = (True, True, True, True)
    fired: tuple[bool, ...] = (False, False, False, False)


@dataclass(frozen=True, slots=True)
class PowerStatus:
    bus_v: float
    battery_soc: float   # state of charge, 0..1


@dataclass(frozen=True, slots=True)
class SbdResult:
    """Outcome of an Iridium SBD session (AT+SBDIX): MO status 0-4 = sent."""
    mo_status: int
    momsn: int

    @property
    def sent(self) -> bool:
        return 0 <= self.mo_status <= 4


class Imu(Protocol):
    def read(self) -> ImuSample: ...


class Baro(Protocol):
    def read(self) -> BaroSample: ...


class Gps(Protocol):
    def read(self) -> GpsFix: ...


class StarTracker(Protocol):
    def read(self) -> StarFix: ...


class WaterSwitch(Protocol):
    def wet(self) -> bool: ...


class StationPort(Protocol):
    """Berthing latch and separation switch."""
    def attached(self) -> bool: ...
    def release(self) -> None: ...


class Engine(Protocol):
    """Hybrid motor behind the pyro/valve board: isolation valve (powered by the arm
    relay through the hardware arm) in series with the main oxidiser valve."""
    def arm(self, on: bool) -> None:
        """Close or open the arm relay. ``arm(False)`` closes the isolation valve and
        stops the oxidiser flow even when the main valve is stuck open (after a timed
        shutdown still pending, at that shutdown's instant)."""
    def ignite(self) -> bool:
        """Open the main valve and fire the igniter; False when refused (no hardware
        arm, not armed, or an ignition still active). Restartable after a shutdown
        while propellant remains; thrust follows after the ignition delay."""
    def shutdown(self, delay_s: float = 0.0) -> None:
        """Close the main valve now, or after ``delay_s`` (s) by the valve driver's timer."""
    def refresh(self) -> None:
        """Keep-alive of the arm relay: the board drops the arm (closing the isolation valve)
        when it is not refreshed within its dead-man time, so a stalled flight computer
        cannot leave the motor burning. Call it every cycle while the engine is armed."""
    def status(self) -> EngineStatus: ...


class Rcs(Protocol):
    def command(self, mask: int) -> None: ...
    def latch(self, open: bool) -> None:
        """Open or close the latch valve feeding every couple (a latching valve: open
        at power-on, keeps its state across a processor reset). Closed, no couple
        produces torque, whatever is commanded or stuck."""


class Pyro(Protocol):
    def arm(self, on: bool) -> None:
        """Close or open the software arm relay (a pulse also needs the hardware arm)."""
    def fire(self, channel: str) -> bool:
        """Send a firing pulse; False when the board refused (no hardware arm, relay open)."""
    def armed(self) -> bool: ...
    def status(self) -> PyroStatus: ...


class Iridium(Protocol):
    """SBD modem. A session (AT+SBDIX) takes 10-60 s on a real modem: it is started, then
    polled, never waited for."""
    def signal_bars(self) -> int:
        """Signal 0-5 (the latest the modem reported)."""
    def start_sbd(self, payload: bytes) -> bool:
        """Begin sending ``payload`` (1-340 bytes); False if a session is still running."""
    def poll_sbd(self) -> SbdResult | None:
        """The outcome of the session started last, once it has ended (then None again
        until the next start); None while it runs."""


class Link(Protocol):
    """Station/ground link: a byte stream of framed CCSDS packets (fsw.link)."""
    def read(self) -> bytes:
        """Uplink octets received since the last read (b"" if none)."""
    def write(self, data: bytes) -> None:
        """Queue downlink octets."""


class Watchdog(Protocol):
    """Hardware watchdog and reset-cause register of the flight computer."""
    def kick(self) -> None: ...
    def reset_cause(self) -> str:
        """Why the processor last started: ``power_on``, ``watchdog`` (a bite) or ``reset``
        (an external / commanded processor reset)."""


class Power(Protocol):
    def read(self) -> PowerStatus: ...
    def set_mode(self, mode: str) -> None:
        """"flight" (every board on, the processor running) or "recovery" (the processor suspended
        between beacon wakes, GPS in backup, modem off): the power supervisor's duty cycle."""


@dataclass(frozen=True)
class Hal:
    """The complete device set handed to the flight app."""
    imu: Imu
    baros: tuple[Baro, ...]
    gps: Gps
    water: WaterSwitch
    station: StationPort
    engine: Engine
    rcs: Rcs
    pyro: Pyro
    iridium: Iridium
    link: Link
    watchdog: Watchdog
    power: Power
    #: absolute attitude reference (None: the profile has none; nav runs on the gyro alone)
    star_tracker: StarTracker | None = None
