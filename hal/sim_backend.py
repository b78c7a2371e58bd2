"""In-process simulator backend of the HAL: each device reads or drives a ``sim.World``.

Requirements
1. Devices see the world at its current time only; the SIL executive advances the
   world and the flight clock together, so the flight code sees what a real
   flight computer would see at that instant.
2. Station inhibits and the pyro/valve board's hardware arm are applied by the
   world's device models (hardware), not here; this layer reads them back.
3. Uplinked commands are delivered at their scheduled time, in schedule order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.earth import G0_MPS2, enu_axes
from sim.faults import apply_scalar, apply_vector
from hal.devices import (BaroSample, EngineStatus, GpsFix, Hal, ImuSample,
                         PowerStatus, PyroStatus, SbdResult, StarFix)
from sim.star_tracker import quat_mul, small_rotation

class SimImu:
    def __init__(self, world):
        self.w = world

    def read(self) -> ImuSample:
        tr = self.w.truth()
        w = self.w
        r = w.imu.read(tr.rates_body, tr.specific_force_body, w.t)     # held between samples at imu rate_hz
        if not w.faults.faults:
            return ImuSample(w.t, r.gyro_radps, r.accel_mps2, True)
        g, gv = apply_vector(w.faults, w.t, "imu.gyro", r.gyro_radps, w.noise)
        a, av = apply_vector(w.faults, w.t, "imu.accel", r.accel_mps2, w.noise)
        return ImuSample(w.t, g, a, gv and av)


class SimBaro:
    def __init__(self, world, index: int):
        self.w, self.i = world, index
        self._last_t_s: float | None = None      # previous read: the port lag integrates over the gap

    def read(self) -> BaroSample:
        w = self.w
        tr = w.truth()
        dt = None if self._last_t_s is None else w.t - self._last_t_s
        self._last_t_s = w.t
        raw = w.baros[self.i].read(tr.alt_m, tr.mach, tr.q_pa, dt)
        if not w.faults.faults:
            return BaroSample(w.t, raw, True)
        p, ok = apply_scalar(w.faults, w.t, f"baro.{self.i}", raw, w.noise)
        return BaroSample(w.t, p, ok)


class SimGps:
    def __init__(self, world):
        self.w = world

    def read(self) -> GpsFix:
        w = self.w
        tr = w.truth()
        r, v = w.ecef_state()
        g = w.gps.read(w.t, tr.lat_deg, tr.lon_deg, tr.alt_m, r, v, tr.speed_mps, tr.load_g * G0_MPS2)
        # Position faults, metres east / north / up: a bias is an offset to the north,
        # noise extra scatter on each axis. They move the whole solution (the ECEF
        # position the navigation filter uses as well as lat/lon/alt).
        de = dn = du = 0.0
        for f in w.faults.active(w.t, "gps"):
            kind, val = f.spec["kind"], f.spec["value"]
            if kind == "dropout":
                return GpsFix(w.t, False)
            if kind == "bias":
                dn += val
            else:
                de += val * w.noise.normal()
                dn += val * w.noise.normal()
                du += val * w.noise.normal()
        if not g.valid:
            return GpsFix(w.t, False)
        lat, lon, alt, r_m = g.lat_deg, g.lon_deg, g.alt_m, g.r_ecef_m
        if de or dn or du:
            e_ax, n_ax, u_ax = enu_axes(lat, lon)
            r_m = tuple(c + de * a + dn * b + du * u for c, a, b, u in zip(r_m, e_ax, n_ax, u_ax))
            lat += dn / 111_195.0      # metres north -> degrees
            lon += de / (111_195.0 * max(0.01, math.cos(math.radians(g.lat_deg))))
            alt += du
        return GpsFix(w.t, True, lat, lon, alt, r_m, g.v_ecef_mps, g.n_sats)


class SimStarTracker:
    """Faults (target ``startracker``): ``dropout`` no solution; ``stuck`` the last
    solution repeated with fresh times; ``bias`` a rotation of ``value`` deg about
    body y (normal to the boresight); ``noise`` ``value`` deg more scatter per axis."""

    def __init__(self, world):
        self.w = world
        self._stuck: tuple | None = None
        self._last: StarFix | None = None        # the faulted output of the current exposure

    def read(self) -> StarFix:
        w = self.w
        s = w.s
        f = w.star_tracker.read(w.t, (s[6], s[7], s[8], s[9]), (s[0], s[1], s[2]), (s[10], s[11], s[12]),
                                w.truth().alt_m)
        if not w.faults.faults:
            return StarFix(f.t_s, f.valid, f.q_body_eci)
        if self._last is not None and self._last.t_s == f.t_s:
            return self._last                     # the tracker holds its output between exposures
        self._last = self._faulted(f)
        return self._last

    def _faulted(self, f) -> StarFix:
        w = self.w
        q, valid = f.q_body_eci, f.valid
        active = w.faults.active(w.t, "startracker")
        if not active:
            self._stuck = None
        for fault in active:
            kind, val = fault.spec["kind"], fault.spec["value"]
            if kind == "dropout":
                return StarFix(f.t_s, False, q)
            if kind == "stuck":
                if self._stuck is None:
                    self._stuck = (q, valid)
                q, valid = self._stuck
            elif kind == "bias":
                q = quat_mul(q, small_rotation((0.0, math.radians(val), 0.0)))
            elif kind == "noise":
                n = w.noise.normal
                q = quat_mul(q, small_rotation(tuple(math.radians(val) * n() for _ in range(3))))
        return StarFix(f.t_s, valid, q)


class SimWater:
    def __init__(self, world):
        self.w = world

    def wet(self) -> bool:
        w = self.w
        wet = w.water.wet(w.t, None if w.splash is None else w.splash["t_s"])
        for f in self.w.faults.active(self.w.t, "water"):
            wet = f.spec["kind"] != "stuck_open"     # stuck_closed and transient read wet
        return wet


class SimStation:
    def __init__(self, world):
        self.w = world

    def attached(self) -> bool:
        return self.w.attached

    def release(self) -> None:
        self.w.release()


class SimEngine:
    def __init__(self, world):
        self.w = world

    def arm(self, on: bool) -> None:
        w = self.w
        w.engine.arm(bool(on), w.t, w.attached)

    def ignite(self) -> bool:
        w = self.w
        return w.engine.ignite(w.t, w.attached, w.hw_armed())

    def shutdown(self, delay_s: float = 0.0) -> None:
        w = self.w
        w.engine.shutdown(w.t, w.t + delay_s if delay_s > 0.0 else None)

    def refresh(self) -> None:
        self.w.engine.refresh(self.w.t)

    def status(self) -> EngineStatus:
        w = self.w
        e, hw = w.engine, w.hw_armed()
        return EngineStatus(e.armed, e.chamber_pressure_pa(), e.valve_open(hw), hw, w.t)


class SimRcs:
    def __init__(self, world):
        self.w = world

    def command(self, mask: int) -> None:
        self.w.rcs.command(0 if self.w.splash is not None else mask)

    def latch(self, open: bool) -> None:
        self.w.rcs.latch(open)


class SimPyro:
    def __init__(self, world):
        self.w = world

    def arm(self, on: bool) -> None:
        self.w.pyro.armed = bool(on)

    def armed(self) -> bool:
        return self.w.pyro.armed

    def fire(self, channel: str) -> bool:
        return self.w.fire_pyro(channel)

    def status(self) -> PyroStatus:
        w = self.w
        p = w.pyro
        return PyroStatus(w.t, w.hw_armed(), p.armed, p.continuity(), p.pulsed())


class SimIridium:
    def __init__(self, world):
        self.w = world
        self._result: SbdResult | None = None

    def _clear(self) -> bool:
        # The patch antenna on the back cover sees the sky once floating, and in
        # descent below 20 km outside blackout.
        w = self.w
        return w.splash is not None or (w.truth().alt_m < 20_000.0 and w.truth().speed_mps < 600.0)

    def signal_bars(self) -> int:
        self.w.battery.wake(self.w.t)
        if any(self.w.faults.active(self.w.t, "iridium")):
            return 0                                           # dropout: no network, no bars
        return self.w.iridium.bars(self._clear())

    def start_sbd(self, payload: bytes) -> bool:
        """The world's session model decides at the start; the outcome is there at the first
        poll (SIL's sessions take no flight time: the battery model charges their duration)."""
        if self._result is not None:
            return False
        self._result = self.send_sbd(payload)
        return True

    def poll_sbd(self) -> SbdResult | None:
        res, self._result = self._result, None
        return res

    def send_sbd(self, payload: bytes) -> SbdResult:
        """One whole session on the world's model (the modem emulator's too)."""
        self.w.battery.session(self.w.t)
        if any(self.w.faults.active(self.w.t, "iridium")):
            self.w.iridium.attempts += 1
            return SbdResult(32, self.w.iridium.momsn)       # no network
        st, momsn = self.w.iridium.session(self.w.t, payload, self._clear())
        return SbdResult(st, momsn)


@dataclass
class SimLink:
    """The station/ground link as a byte stream.

    Uplink: framed TC packets from ``source(t_s)`` (the simulated ground station
    signs them when due) and octets ``inject``-ed by a live ground console;
    ``link.uplink`` faults drop frames (dropout) or flip one octet in each
    (corrupt: the CRC then rejects the frame). Downlink octets go to ``sink``.
    """
    world: object
    source: object = None                             # callable(t_s) -> list of framed packets
    sink: object = None                               # callable(bytes) or None
    _live: bytearray = field(default_factory=bytearray)

    def inject(self, data: bytes) -> None:
        """Octets from a live ground console, delivered at the next read."""
        self._live += data

    def read(self) -> bytes:
        t = self.world.t
        frames = self.source(t) if self.source is not None else []
        if self._live:
            frames.append(bytes(self._live))
            self._live.clear()
        if not frames:
            return b""
        kinds = {f.spec["kind"] for f in self.world.faults.active(t, "link.uplink")}
        out = bytearray()
        for frame in frames:
            if "dropout" in kinds:
                continue
            frame = bytearray(frame)
            if "corrupt" in kinds:
                frame[len(frame) // 2] ^= 0x5A
            out += frame
        return bytes(out)

    def write(self, data: bytes) -> None:
        if self.sink is not None:
            self.sink(data)


class SimWatchdog:
    """The watchdog timer and reset-cause register; the SIL executive resets the processor
    when ``expired`` (no kick for ``timeout_s``) and sets ``cause`` for the next boot."""
    def __init__(self, world, timeout_s: float = 5.0):
        self.w = world
        self.timeout_s = timeout_s
        self.last_kick_t_s = 0.0
        self.cause = "power_on"

    def kick(self) -> None:
        self.last_kick_t_s = self.w.t

    def reset_cause(self) -> str:
        return self.cause

    def expired(self) -> bool:
        return self.w.t - self.last_kick_t_s > self.timeout_s


class SimPower:
    def __init__(self, world):
        self.w = world

    def read(self) -> PowerStatus:
        b = self.w.battery
        return PowerStatus(b.bus_v(self.w.t), b.soc(self.w.t))

    def set_mode(self, mode: str) -> None:
        self.w.battery.set_mode(mode, self.w.t)


def build_sim_hal(world, uplink_source=None, downlink_sink=None) -> Hal:
    """Bind a HAL device set to a world; ``uplink_source(t_s)`` gives the framed TC
    packets due (sim.ground_station.SimGroundStation.due), ``downlink_sink``
    receives the downlink octets."""
    return Hal(
        imu=SimImu(world),
        baros=tuple(SimBaro(world, i) for i in range(len(world.baros))),
        gps=SimGps(world),
        water=SimWater(world),
        station=SimStation(world),
        engine=SimEngine(world),
        rcs=SimRcs(world),
        pyro=SimPyro(world),
        iridium=SimIridium(world),
        link=SimLink(world, uplink_source, downlink_sink),
        watchdog=SimWatchdog(world, world.flight_computer["watchdog_timeout_s"]),
        power=SimPower(world),
        star_tracker=SimStarTracker(world) if world.star_tracker is not None else None,
    )
