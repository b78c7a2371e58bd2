"""The flight application: components built in one fixed start-up order and wired
to the scheduler from a table (F Prime-style topology declared as data).

Requirements
1. ``RATE_GROUPS`` fixes which task runs in which group and in what order.
2. Start-up order: boot count -> events -> phase machine (restored from NV
   after a reset) -> parameters (with NV overrides) -> data bus -> pyro manager
   -> recorder -> downlink -> tasks -> scheduler.
3. Every phase change is persisted to NV memory and fsync'ed in the recorder.
4. The app reaches hardware only through the ``Hal`` it is given and time only
   through the clock it is given; it runs unchanged in SIL, HIL and flight.
"""
from __future__ import annotations

from fsw.clock import Clock
from fsw.tasks.commanding import CommandTask
from fsw.context import FlightContext
from fsw.databus import FlightData
from fsw.downlink import Downlink
from fsw.events import EventLog, Severity
from fsw.mission_schema import PARAMS
from fsw.params import ParamTable
from fsw.phases import Phase, PhaseMachine
from fsw.pyro import PyroManager
from fsw.recorder import Recorder
from fsw.scheduler import RateGroup, Scheduler
from fsw.tasks.attitude import AttitudeTask
from fsw.tasks.baro import BaroFusion
from fsw.tasks.beacon import BeaconTask
from fsw.tasks.chutes import ChuteTask
from fsw.tasks.deorbit import DeorbitTask
from fsw.tasks.health import HealthTask
from fsw.tasks.landing import LandingTask
from fsw.tasks.nav import NavTask
from fsw.tasks.separation import SeparationTask
from fsw.tasks.telemetry import TelemetryTask
from hal.devices import Hal

#: Base (fastest) rate of the scheduler, Hz.
BASE_RATE_HZ = 50.0
#: Rate groups: (name, rate Hz, tasks in execution order).
RATE_GROUPS = (
    ("rg50", 50.0, ("nav", "attitude", "deorbit")),
    ("rg10", 10.0, ("commands", "separation", "baro", "chutes", "landing", "telemetry")),
    ("rg1", 1.0, ("beacon", "health", "recorder")),
)
NV_PHASE = "phase"
NV_BOOTS = "boot.count"


class FlightApp:
    def __init__(self, hal: Hal, clock: Clock, params: dict, link_key: bytes, *,
                 initial_phase: Phase = Phase.ATTACHED, recorder_path=None, event_sinks=(), timer_ns=None):
        self.hal, self.clock = hal, clock
        boots = (hal.nv.get(NV_BOOTS) or 0) + 1
        hal.nv.put(NV_BOOTS, boots)
        self.resets = boots - 1
        self.events = EventLog(clock)
        for sink in event_sinks:
            self.events.subscribe(sink)
        self.phases = PhaseMachine(initial_phase, clock, self.events)
        saved = hal.nv.get(NV_PHASE)
        if saved is not None:
            self.phases.restore(Phase(saved["phase"]), min(clock.now_s(), saved["entered_t_s"]))
        self.params = ParamTable(params, PARAMS, hal.nv)
        self.data = FlightData()
        self.pyro = PyroManager(hal, self.phases, self.events)
        self.recorder = Recorder(recorder_path, on_error=lambda msg: self.events.emit(
            Severity.WARNING_HI, "RECORDER_IO_ERROR", msg[:200]))
        self.downlink = Downlink(hal, clock, self.params)
        self.events.subscribe(lambda e: self.recorder.write({"kind": "event", **e.to_json_dict()}))
        self.events.subscribe(self.downlink.event)
        self.phases.on_change(self._phase_changed)
        ctx = FlightContext(hal, clock, self.events, self.phases, self.params, self.data, self.pyro)
        self.ctx = ctx
        self.nav = NavTask(ctx, 1.0 / 50.0)
        self.deorbit = DeorbitTask(ctx, 1.0 / 50.0)
        self.beacon = BeaconTask(ctx)
        self.scheduler: Scheduler | None = None
        tasks = {
            "nav": self.nav,
            "attitude": AttitudeTask(ctx),
            "deorbit": self.deorbit,
            "commands": CommandTask(ctx, self.deorbit, self.nav, self.recorder, self.downlink, link_key),
            "separation": SeparationTask(ctx),
            "baro": BaroFusion(ctx, 0.1),
            "chutes": ChuteTask(ctx, 0.1),
            "landing": LandingTask(ctx, 0.1),
            "beacon": self.beacon,
            "health": HealthTask(ctx, self.recorder, lambda: self.scheduler.stats()),
            "recorder": self.recorder,
            "telemetry": TelemetryTask(self),
        }
        self.tasks = tasks
        groups = [RateGroup(name, rate, tuple(tasks[t] for t in names)) for name, rate, names in RATE_GROUPS]
        kw = {} if timer_ns is None else {"timer_ns": timer_ns}
        self.scheduler = Scheduler(clock, self.events, BASE_RATE_HZ, groups, **kw)
        self.events.emit(Severity.ACTIVITY_HI, "FSW_BOOT", f"flight software started in {self.phases.phase.value}",
                         phase=self.phases.phase.value)

    def _phase_changed(self, change) -> None:
        self.hal.nv.put(NV_PHASE, {"phase": change.to_phase.value, "entered_t_s": change.t_s})
        self.recorder.request_sync()

    def tick(self) -> None:
        """Run one base period of the scheduler (the executive sets the clock first)."""
        self.scheduler.tick()

    def shutdown(self) -> None:
        self.recorder.close()
