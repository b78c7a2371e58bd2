"""Fake HAL and a one-task rig for the flight-task unit tests.

The devices implement the ``hal.devices`` protocols with readings a test sets
and every command recorded (engine arm/ignite/shutdown, RCS masks and latch,
pyro arm and fire, Iridium sessions, watchdog kicks). Everything else a task
gets is real: ``RecordBus``, ``CriticalStore`` on ``MemorySlots``, ``EventLog``,
``PhaseMachine``, ``ParamTable`` from config/mission.yaml, ``PyroManager`` with
the onboard envelope, and the SAFE entry actions, wired as ``fsw.app`` wires
them.

    rig = Rig(Phase.ENTRY)
    chutes = rig.build("chutes")               # period from fsw.app.WIRING (0.1 s)
    rig.publish(ImuRecord(rig.now, True, sensed_accel_mps2=35.0))
    rig.run(chutes, seconds=1.0)               # advance the clock one period, run, repeat
    rig.reboot()                               # a processor reset: new rig, same store, devices, clock
"""
from __future__ import annotations

import copy
import functools
from pathlib import Path

from fsw.app import TASKS, WIRING
from fsw.boot import BootRecord
from fsw.bus import RecordBus
from fsw.clock import SimClock
from fsw.context import FlightContext
from fsw.downlink import Downlink
from fsw.events import EventLog
from fsw.link import CommandSigner, TelemetryDecoder, frame
from fsw.mission_schema import MISSION, PARAMS, resolve_guidance_target
from fsw.params import ParamTable
from fsw.phases import Phase, PhaseMachine
from fsw.pressure_alt import pressure_altitude_m
from fsw.pyro import CHANNELS, PyroManager
from fsw.records import WRITERS
from fsw.safe_mode import SafeMode
from fsw.safety.inhibits import make_envelope
from fsw.scheduler import SchedulerStats
from fsw.state_store import CriticalStore, MemorySlots
from fsw.yamlload import load_config
from sim.hardware_schema import HARDWARE
from sim.power import Battery
from hal.devices import (BaroSample, EngineStatus, GpsFix, Hal, ImuSample, PowerStatus, PyroStatus,
                         SbdResult, StarFix)

REPO = Path(__file__).resolve().parents[3]
MISSION_YAML = REPO / "config" / "mission.yaml"
SIL_YAML = REPO / "config" / "sil.yaml"
KEY = bytes(range(32))               # link test key
#: Task name (as in fsw.app.TASKS) -> period s, from the wiring table.
PERIODS = {name: 1.0 / rate for _, rate, names in WIRING for name in names}


@functools.lru_cache(maxsize=1)
def _hardware() -> dict:
    return load_config(SIL_YAML, HARDWARE)


@functools.lru_cache(maxsize=1)
def _mission() -> dict:
    return resolve_guidance_target(load_config(MISSION_YAML, MISSION))


def mission_params() -> dict:
    """The ``params`` tree of config/mission.yaml, validated (a fresh copy)."""
    return copy.deepcopy(_mission()["params"])


# ---- devices ------------------------------------------------------------------------------
class FakeImu:
    def __init__(self, clock):
        self.clock = clock
        self.gyro_radps = (0.0, 0.0, 0.0)
        self.accel_mps2 = (0.0, 0.0, 0.0)
        self.valid = True
        self.reads = 0

    def set(self, gyro=None, accel=None, valid=None):
        if gyro is not None:
            self.gyro_radps = tuple(gyro)
        if accel is not None:
            self.accel_mps2 = tuple(accel)
        if valid is not None:
            self.valid = valid

    def read(self) -> ImuSample:
        self.reads += 1
        return ImuSample(self.clock.now_s(), tuple(self.gyro_radps), tuple(self.accel_mps2), self.valid)


@functools.lru_cache(maxsize=4096)
def pressure_at(alt_m: float) -> float:
    """Static pressure (Pa) whose US76 pressure altitude is ``alt_m`` (inverse of fsw.pressure_alt)."""
    lo, hi = 1.0, 120000.0               # pressure_altitude_m falls as the pressure rises
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if pressure_altitude_m(mid) > alt_m:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


class FakeBaro:
    def __init__(self, clock):
        self.clock = clock
        self.pressure_pa = 101325.0
        self.valid = True

    def set_alt(self, alt_m: float) -> None:
        self.pressure_pa, self.valid = pressure_at(float(alt_m)), True

    def read(self) -> BaroSample:
        return BaroSample(self.clock.now_s(), self.pressure_pa, self.valid)


class FakeGps:
    def __init__(self, clock):
        self.clock = clock
        self.fix = GpsFix(0.0, False)
        self.reads = 0

    def read(self) -> GpsFix:
        self.reads += 1
        return self.fix


class FakeStarTracker:
    """A solution per read when ``valid``; set ``q`` (body->ECI) and, to mark a new
    exposure, let the clock move (t_s is the clock's time)."""

    def __init__(self, clock):
        self.clock = clock
        self.q = (1.0, 0.0, 0.0, 0.0)
        self.valid = False

    def read(self) -> StarFix:
        return StarFix(self.clock.now_s(), self.valid, self.q)


class FakeWater:
    def __init__(self):
        self.is_wet = False

    def wet(self) -> bool:
        return self.is_wet


class FakeStation:
    def __init__(self):
        self.is_attached = False
        self.releases = 0

    def attached(self) -> bool:
        return self.is_attached

    def release(self) -> None:
        self.releases += 1
        self.is_attached = False


class FakeEngine:
    """Records ``("arm", on)``, ``("ignite", accepted)``, ``("shutdown", delay_s)`` in ``calls``."""

    def __init__(self, clock):
        self.clock = clock
        self.calls: list[tuple] = []
        self.refreshes = 0                 # arm-relay keep-alives (dead-man)
        self.armed = False
        self.hw_armed = True
        self.valve_open = False
        self.chamber_pressure_pa = 0.0
        self.refuse_ignition = False

    def arm(self, on: bool) -> None:
        self.calls.append(("arm", bool(on)))
        self.armed = bool(on)
        if not on:
            self.valve_open = False

    def ignite(self) -> bool:
        ok = self.hw_armed and self.armed and not self.refuse_ignition
        self.calls.append(("ignite", ok))
        if ok:
            self.valve_open = True
        return ok

    def shutdown(self, delay_s: float = 0.0) -> None:
        self.calls.append(("shutdown", float(delay_s)))
        if delay_s == 0.0:
            self.valve_open = False

    def refresh(self) -> None:
        self.refreshes += 1

    def status(self) -> EngineStatus:
        return EngineStatus(self.armed, self.chamber_pressure_pa, self.valve_open, self.hw_armed, self.clock.now_s())

    # views
    def arms(self) -> list[bool]:
        return [c[1] for c in self.calls if c[0] == "arm"]

    def ignitions(self) -> int:
        return sum(1 for c in self.calls if c == ("ignite", True))

    def shutdowns(self) -> list[float]:
        return [c[1] for c in self.calls if c[0] == "shutdown"]

    def hardware_defaults(self) -> None:
        """Processor reset: the arm relay drops, the valve closes."""
        self.armed = False
        self.valve_open = False


class FakeRcs:
    def __init__(self):
        self.masks: list[int] = []
        self.latch_calls: list[bool] = []
        self.latch_open = True

    def command(self, mask: int) -> None:
        self.masks.append(int(mask))

    def latch(self, open: bool) -> None:   # noqa: A002 - the protocol's name
        self.latch_calls.append(bool(open))
        self.latch_open = bool(open)


class FakePyro:
    """``requests``: every fire() call; ``pulses``: the channels a pulse went out on."""

    def __init__(self, clock):
        self.clock = clock
        self.hw_armed = True
        self.relay = False
        self.arm_calls: list[bool] = []
        self.requests: list[str] = []
        self.pulses: list[str] = []
        self.continuity = [True] * len(CHANNELS)
        self.latched = [False] * len(CHANNELS)

    def arm(self, on: bool) -> None:
        self.arm_calls.append(bool(on))
        self.relay = bool(on)

    def fire(self, channel: str) -> bool:
        self.requests.append(channel)
        if not (self.hw_armed and self.relay):
            return False
        i = CHANNELS.index(channel)
        self.latched[i] = True
        self.continuity[i] = False
        self.pulses.append(channel)
        return True

    def armed(self) -> bool:
        return self.relay

    def status(self) -> PyroStatus:
        return PyroStatus(self.clock.now_s(), self.hw_armed, self.relay, tuple(self.continuity), tuple(self.latched))


class FakeIridium:
    """Scripted modem: ``bars`` and ``mo_status`` (or a queue ``statuses`` taken one per session);
    each check and session is charged to ``battery`` (sim.power.Battery) when given."""

    def __init__(self, clock=None, battery=None):
        self.clock, self.battery = clock, battery
        self.bars = 5
        self.mo_status = 0
        self.statuses: list[int] = []
        self.sessions: list[bytes] = []
        self.session_t_s: list[float] = []
        self.checks = 0
        self._momsn = 0
        self.session_polls = 0
        self._pending: list | None = None

    def signal_bars(self) -> int:
        self.checks += 1
        if self.battery is not None:
            self.battery.wake(self.clock.now_s())
        return self.bars

    def start_sbd(self, payload: bytes) -> bool:
        """``session_polls``: polls that find the session still running (a real +SBDIX takes 10-60 s)."""
        if self._pending is not None:
            return False
        self._pending = [self.session_polls, self.send_sbd(payload)]
        return True

    def poll_sbd(self) -> SbdResult | None:
        if self._pending is None:
            return None
        if self._pending[0] > 0:
            self._pending[0] -= 1
            return None
        res, self._pending = self._pending[1], None
        return res

    def send_sbd(self, payload: bytes) -> SbdResult:
        self.sessions.append(bytes(payload))
        if self.clock is not None:
            self.session_t_s.append(self.clock.now_s())
        if self.battery is not None:
            self.battery.session(self.clock.now_s())
        st = self.statuses.pop(0) if self.statuses else self.mo_status
        if 0 <= st <= 4:
            self._momsn += 1
        return SbdResult(st, self._momsn)


class FakeLink:
    def __init__(self):
        self.uplink = bytearray()
        self.written: list[bytes] = []

    def read(self) -> bytes:
        data, self.uplink = bytes(self.uplink), bytearray()
        return data

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def downlinked(self) -> list[dict]:
        """Every packet written so far, decoded as the ground would."""
        dec = TelemetryDecoder()
        return dec.feed(b"".join(self.written))


class FakeWatchdog:
    def __init__(self):
        self.kicks = 0
        self.cause = "power_on"

    def kick(self) -> None:
        self.kicks += 1

    def reset_cause(self) -> str:
        return self.cause


class FakePower:
    """The SIL battery model (sim/power.py, config/sil.yaml's power section) on the rig's clock.
    ``soc`` may be assigned (the model is set to that charge); ``reading`` overrides what read()
    returns (a failed sensor); ``modes``: every mode commanded."""

    def __init__(self, clock, soc: float = 0.9):
        self.clock = clock
        self.battery = Battery(dict(_hardware()["power"]))
        self.battery.set_mode("flight", clock.now_s())
        self.bus_v = 28.0
        self.reading = None
        self.modes: list[str] = []
        self.soc = soc

    @property
    def soc(self) -> float:
        return self.battery.soc(self.clock.now_s())

    @soc.setter
    def soc(self, value: float) -> None:
        self.battery.soc(self.clock.now_s())
        self.battery.used_wh = (1.0 - value) * self.battery.cfg["battery_wh"]

    def read(self) -> PowerStatus:
        return PowerStatus(self.bus_v, self.soc if self.reading is None else self.reading)

    def set_mode(self, mode: str) -> None:
        self.modes.append(mode)
        self.battery.set_mode(mode, self.clock.now_s())


class FakeDevices:
    """One of each device, on one clock; ``hal()`` is the ``Hal`` a flight app gets."""

    def __init__(self, clock, n_baros: int = 2):
        self.clock = clock
        self.imu = FakeImu(clock)
        self.baros = tuple(FakeBaro(clock) for _ in range(n_baros))
        self.gps = FakeGps(clock)
        self.water = FakeWater()
        self.station = FakeStation()
        self.engine = FakeEngine(clock)
        self.rcs = FakeRcs()
        self.pyro = FakePyro(clock)
        self.power = FakePower(clock)
        self.iridium = FakeIridium(clock, self.power.battery)
        self.link = FakeLink()
        self.watchdog = FakeWatchdog()
        self.star = FakeStarTracker(clock)

    def hal(self) -> Hal:
        return Hal(self.imu, self.baros, self.gps, self.water, self.station, self.engine, self.rcs, self.pyro,
                   self.iridium, self.link, self.watchdog, self.power, self.star)

    def set_baro_alt(self, alt_m: float | None) -> None:
        """Every barometer at ``alt_m`` (None: every one invalid)."""
        for b in self.baros:
            if alt_m is None:
                b.valid = False
            else:
                b.set_alt(alt_m)

    def processor_reset(self, cause: str = "reset") -> None:
        """Actuators fall to their hardware defaults; the reset cause register says why."""
        self.engine.hardware_defaults()
        self.rcs.command(0)
        self.pyro.relay = False
        self.watchdog.cause = cause


class FakeRecorder:
    name = "recorder"

    def __init__(self):
        self.records_written: list[dict] = []
        self.dropped = 0
        self.syncs = 0

    @property
    def records(self) -> int:
        return len(self.records_written)

    def write(self, record: dict) -> None:
        self.records_written.append(dict(record))

    def request_sync(self) -> None:
        self.syncs += 1

    def iter_records(self):
        return iter(list(enumerate(self.records_written)))

    def run(self, t_s: float) -> None:
        pass


def copy_slots(slots: MemorySlots) -> MemorySlots:
    """A snapshot of a store medium (what a reset at this instant would find)."""
    m = MemorySlots()
    m.slots = list(slots.slots)
    return m


def empty_stats() -> SchedulerStats:
    return SchedulerStats(0, 0, 0, 0, 0.0, {}, {})


# ---- the rig ------------------------------------------------------------------------------
class Rig:
    """A FlightContext over fake devices; builds tasks and steps them on a SimClock.

    ``phase``: the initial phase (ignored when the store holds one, as after a reset).
    ``params``: flat overrides of mission.yaml values (``{"beacon.period_s": 60.0}``).
    """

    def __init__(self, phase: Phase | None = Phase.SEPARATED, *, t0_s: float = 0.0, params: dict | None = None,
                 slots: MemorySlots | None = None, devices: FakeDevices | None = None, clock: SimClock | None = None,
                 boot_kind: str = "power_on", minimal: bool = False):
        self.clock = clock if clock is not None else SimClock(t0_s)
        self.dev = devices if devices is not None else FakeDevices(self.clock)
        self.hal = self.dev.hal()
        self.events = EventLog(self.clock)
        self.slots = slots if slots is not None else MemorySlots()
        self.store = CriticalStore(self.slots)
        self._overrides = dict(params or {})
        self.params = ParamTable(mission_params(), PARAMS, self.store)
        for name, value in self._overrides.items():
            assert name in self.params.v, f"no parameter {name}"
            self.params.v[name] = value
        saved = self.store.get("phase")
        start = Phase(saved["phase"]) if saved else (phase or Phase.SAFE)
        self.phases = PhaseMachine(start, self.clock, self.events)
        if saved:
            self.phases.restore(start, min(self.clock.now_s(), saved["entered_t_s"]))
        else:
            self.store.put("phase", {"phase": start.value, "entered_t_s": self.clock.now_s()})
        self.phases.on_change(lambda c: self.store.put("phase", {"phase": c.to_phase.value, "entered_t_s": c.t_s}))
        self.bus = RecordBus()
        self.pyro = PyroManager(self.hal, self.clock, self.phases, self.events, self.store,
                                make_envelope(self.bus, self.params))
        self.safe = SafeMode(self.hal, self.events, self.phases)
        self.ctx = FlightContext(self.hal, self.clock, self.events, self.phases, self.params, self.bus, self.store,
                                 self.pyro, boot_kind, minimal)
        self.tasks: dict[str, object] = {}
        self.recorder = FakeRecorder()
        self.downlink = Downlink(self.hal, self.clock, self.params)
        self._ports: dict[type, object] = {}
        self._period: dict[int, float] = {}

    # ---- building ----------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.clock.now_s()

    def period(self, task) -> float:
        return self._period[id(task)]

    def build(self, name: str, **ports):
        """One task as fsw.app builds it: its PARAMS checked, its period from the wiring."""
        cls = TASKS[name]
        missing = [p for p in cls.PARAMS if p not in self.params.v]
        assert not missing, f"{name}: unknown parameters {missing}"
        defaults = {}
        if name == "commands":
            defaults = dict(deorbit=self.tasks.get("deorbit"), nav=self.tasks.get("nav"), recorder=self.recorder,
                            downlink=self.downlink, link_key=KEY)
        elif name == "health":
            defaults = dict(recorder=self.recorder, scheduler_stats=empty_stats, restart=lambda n: None)
        elif name == "telemetry":
            defaults = dict(downlink=self.downlink, recorder=self.recorder,
                            boot=BootRecord("power_on", "power_on", 1, 0, False), scheduler_stats=empty_stats,
                            components=lambda: [t for t in self.tasks.values() if hasattr(t, "telemetry")])
        defaults.update(ports)
        task = cls(self.ctx, PERIODS[name], **defaults)
        self.tasks[name] = task
        self._period[id(task)] = PERIODS[name]
        return task

    def publish(self, record) -> None:
        """Put a record on the bus as its writer would (the writer task is not under test)."""
        kind = type(record)
        port = self._ports.get(kind)
        if port is None:
            port = self._ports[kind] = self.bus.port(kind, WRITERS[kind])
        port(record)

    # ---- running -------------------------------------------------------------------------------
    def run(self, task, seconds: float | None = None, *, n: int | None = None, before=None, until=None) -> int:
        """Advance the clock by the task's period and run it, ``n`` times or for ``seconds``.

        ``before(t_s)`` runs each step before the task (publish records, set readings);
        ``until()`` true stops early. Returns the number of steps run."""
        dt = self.period(task)
        steps = n if n is not None else int(round(seconds / dt))
        for k in range(steps):
            self.clock.advance_by(dt)
            t = self.clock.now_s()
            if before is not None:
                before(t)
            task.run(t)
            if until is not None and until():
                return k + 1
        return steps

    def reboot(self, cause: str = "reset", slots: MemorySlots | None = None, **kw) -> "Rig":
        """A processor reset: actuators at hardware defaults, a new rig on the same store (or ``slots``),
        devices and clock; the phase comes from the store."""
        self.dev.processor_reset(cause)
        kw.setdefault("params", self._overrides)
        return Rig(None, slots=slots if slots is not None else self.slots, devices=self.dev, clock=self.clock,
                   boot_kind="power_on" if cause == "power_on" else "processor_reset", **kw)

    # ---- looking ---------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [e.name for e in self.events.history]

    def named(self, name: str) -> list:
        return [e for e in self.events.history if e.name == name]

    def last(self, name: str):
        found = self.named(name)
        return found[-1] if found else None

    def uplink(self, signer: CommandSigner, name: str, args: dict | None = None) -> bytes:
        """Sign, frame and queue one command on the uplink; returns the framed bytes."""
        data = frame(signer.sign(name, args))
        self.dev.link.uplink += data
        return data
