"""The flight application: components built in one fixed start-up order and wired
to the scheduler from a table (F Prime-style topology declared as data).

Requirements
1. ``WIRING`` fixes which task runs in which rate group and in what order; each
   task's period is its group's (no task has a period literal of its own).
2. Start-up order: events -> critical state store (load, report) -> boot record
   (power-on or processor reset, counts, minimal mode) -> parameters (with the
   store's overrides unless minimal) -> phase (from the store; else from the
   hardware) -> bus -> pyro manager -> SAFE entry actions -> recorder ->
   downlink -> tasks in wiring order -> scheduler.
3. Every task declares the parameters it reads (``PARAMS``); an unknown name
   fails the boot (ValueError) rather than raising in the task every tick.
4. Every phase change is committed to the store and fsync'ed in the recorder.
5. A missing or corrupt store is reported (WARNING_HI STORE_LOST) and the app
   starts from the store's documented safe initial state: phase ATTACHED if the
   station's switch reads berthed, else ``power_on_phase`` at a power-on, SAFE
   after a processor reset (physics still takes a SAFE capsule to ENTRY and
   its chutes).
6. Minimal safe configuration (fsw.boot): no deorbit task; a burn in progress is
   ended (underburn if half the dv is in, else abort to SAFE); EDL, landing,
   beacon, telemetry and commanding keep running.
7. ``restart_task(name)`` rebuilds one task's state from the store and the bus
   (fault protection's response to a task that keeps raising).
8. The app reaches hardware only through the ``Hal`` it is given and time only
   through the clock it is given; it runs unchanged in SIL, HIL and flight.
"""
from __future__ import annotations

from fsw.boot import boot
from fsw.bus import RecordBus
from fsw.clock import Clock
from fsw.context import FlightContext
from fsw.downlink import Downlink
from fsw.events import EventLog, Severity
from fsw.mission_schema import PARAMS
from fsw.params import ParamTable, flatten
from fsw.phases import Phase, PhaseMachine, Trigger
from fsw.pyro import PyroManager
from fsw.recorder import Recorder
from fsw.records import WRITERS
from fsw.safe_mode import SafeMode
from fsw.safety.inhibits import make_envelope
from fsw.scheduler import RateGroup, Scheduler
from fsw.state_store import CriticalStore, LoadStatus, MemorySlots
from fsw.tasks.attitude import AttitudeTask
from fsw.tasks.baro import BaroFusion
from fsw.tasks.beacon import BeaconTask
from fsw.tasks.airdata import AirDataTask
from fsw.tasks.chutes import ChuteTask
from fsw.tasks.commanding import CommandTask
from fsw.tasks.deorbit import UNDERBURN_FRACTION, DeorbitTask
from fsw.tasks.health import HealthTask
from fsw.tasks.entry_guidance import EntryGuidanceTask
from fsw.tasks.guidance import GuidanceTask
from fsw.tasks.landing import LandingTask
from fsw.tasks.monitors import MonitorTask
from fsw.tasks.nav import NavTask
from fsw.tasks.separation import SeparationTask
from fsw.tasks.telemetry import TelemetryTask
from hal.devices import Hal

#: Base (fastest) rate of the scheduler, Hz.
BASE_RATE_HZ = 50.0
#: Rate groups: (name, rate Hz, tasks in execution order).
WIRING = (
    ("rg50", 50.0, ("nav", "attitude", "deorbit")),
    ("rg10", 10.0, ("commands", "separation", "baro", "monitors", "airdata", "chutes", "landing", "guidance", "entry_guidance",
                      "telemetry")),
    ("rg1", 1.0, ("beacon", "health", "recorder")),
)
#: Task name -> class (each takes ``(ctx, period_s, **ports)``).
TASKS = {
    "nav": NavTask, "attitude": AttitudeTask, "deorbit": DeorbitTask, "commands": CommandTask,
    "separation": SeparationTask, "baro": BaroFusion, "monitors": MonitorTask, "airdata": AirDataTask, "chutes": ChuteTask,
    "landing": LandingTask, "guidance": GuidanceTask, "entry_guidance": EntryGuidanceTask,
    "telemetry": TelemetryTask, "beacon": BeaconTask, "health": HealthTask,
}
#: Tasks left out of the minimal safe configuration.
NOT_IN_MINIMAL = ("deorbit", "guidance", "entry_guidance")
STORE_PHASE = "phase"


class FlightApp:
    def __init__(self, hal: Hal, clock: Clock, params: dict, link_key: bytes, *,
                 store=None, power_on_phase: Phase = Phase.ATTACHED, recorder_path=None, event_sinks=(),
                 timer_ns=None, budget_timer_ns=None):
        """``store``: the state store's medium (fsw.state_store.FileSlots / MemorySlots); None: in memory.
        ``timer_ns`` / ``budget_timer_ns``: the scheduler's task and budget clocks (fsw/scheduler.py)."""
        self.hal, self.clock = hal, clock
        self.events = EventLog(clock)
        for sink in event_sinks:
            self.events.subscribe(sink)
        self.store = CriticalStore(store if store is not None else MemorySlots(),
                                   on_error=lambda msg: self.events.emit(Severity.WARNING_HI, "STORE_IO_ERROR", msg[:200]))
        self._bad_phase: str | None = None
        defaults = flatten(params)
        self.boot = boot(self.store, hal.watchdog.reset_cause(), clock.now_s(),
                         defaults["fdir.max_processor_resets"], defaults["fdir.reset_window_s"])
        self.resets = self.boot.processor_resets
        self.params = ParamTable(params, PARAMS, self.store, load_overrides=not self.boot.minimal)
        self.phases = PhaseMachine(self._boot_phase(power_on_phase), clock, self.events)
        self._report_boot()
        self.bus = RecordBus()
        self.pyro = PyroManager(hal, clock, self.phases, self.events, self.store, make_envelope(self.bus, self.params))
        self.safe = SafeMode(hal, self.events, self.phases)
        self.recorder = Recorder(recorder_path, on_error=lambda msg: self.events.emit(
            Severity.WARNING_HI, "RECORDER_IO_ERROR", msg[:200]))
        self.downlink = Downlink(hal, clock, self.params)
        self.events.subscribe(lambda e: self.recorder.write({"kind": "event", **e.to_json_dict()}))
        self.events.subscribe(self.downlink.event)
        self.phases.on_change(self._phase_changed)
        self.ctx = FlightContext(hal, clock, self.events, self.phases, self.params, self.bus, self.store, self.pyro,
                                 self.boot.kind, self.boot.minimal)
        self._link_key = link_key
        self.scheduler: Scheduler | None = None
        self.tasks: dict[str, object] = {}
        self._periods: dict[str, float] = {}
        wired = []
        for group, rate, names in WIRING:
            members = []
            for name in names:
                if self.boot.minimal and name in NOT_IN_MINIMAL:
                    continue
                self._periods[name] = 1.0 / rate
                members.append(self.recorder if name == "recorder" else self._build(name))
            wired.append(RateGroup(group, rate, tuple(members)))
        kw = {} if timer_ns is None else {"timer_ns": timer_ns}
        if budget_timer_ns is not None:
            kw["budget_timer_ns"] = budget_timer_ns
        self.scheduler = Scheduler(clock, self.events, BASE_RATE_HZ, wired, **kw)
        if self.boot.minimal:
            self._enter_minimal()
        self.events.emit(Severity.ACTIVITY_HI, "FSW_BOOT", f"flight software started in {self.phases.phase.value} "
                         f"({self.boot.kind}, cause {self.boot.cause})", phase=self.phases.phase.value,
                         boot=self.boot.kind, cause=self.boot.cause, resets=self.boot.processor_resets)

    # ---- start-up ---------------------------------------------------------------------
    def _boot_phase(self, power_on_phase: Phase) -> Phase:
        saved = self.store.get(STORE_PHASE)
        if saved is not None:
            try:
                return Phase(saved["phase"])
            except (KeyError, TypeError, ValueError):
                self._bad_phase = repr(saved)[:80]      # reported with the boot (requirement 5)
        if self.hal.station.attached():
            return Phase.ATTACHED
        return power_on_phase if self.boot.kind == "power_on" else Phase.SAFE

    def _report_boot(self) -> None:
        ev, rep = self.events, self.store.report
        if self._bad_phase is not None:
            ev.emit(Severity.WARNING_HI, "STORE_LOST", f"stored phase {self._bad_phase} unreadable: safe initial "
                    f"state, phase {self.phases.phase.value}", status="bad phase")
        if rep.status is LoadStatus.RECOVERED:
            ev.emit(Severity.WARNING_HI, "STORE_RECOVERED", f"state store: one slot bad, resumed from the other "
                    f"(slot seqs {rep.slot_seqs})", status=rep.status.value)
        elif rep.status is LoadStatus.CORRUPT or (rep.status is LoadStatus.MISSING and self.boot.kind != "power_on"):
            ev.emit(Severity.WARNING_HI, "STORE_LOST", f"state store {rep.status.value}: safe initial state, phase "
                    f"{self.phases.phase.value}", status=rep.status.value)
        saved = self.store.get(STORE_PHASE)
        if saved is not None and saved.get("phase") == self.phases.phase.value:
            entered = min(self.clock.now_s(), float(saved.get("entered_t_s", self.clock.now_s())))
            self.phases.restore(self.phases.phase, entered)
        else:
            self.store.put(STORE_PHASE, {"phase": self.phases.phase.value, "entered_t_s": self.clock.now_s()})
        if self.boot.minimal:
            ev.emit(Severity.WARNING_HI, "MINIMAL_MODE", f"{self.boot.processor_resets} processor resets: minimal "
                    "safe configuration (no deorbit logic, parameter overrides dropped)")

    def _build(self, name: str):
        cls = TASKS[name]
        unknown = [p for p in getattr(cls, "PARAMS", ()) if p not in self.params.v]
        if unknown:
            raise ValueError(f"task {name}: unknown parameter(s) {', '.join(unknown)}")
        period = self._periods[name]
        ports = {}
        if name == "commands":
            ports = dict(deorbit=lambda: self.tasks.get("deorbit"), nav=lambda: self.tasks["nav"], recorder=self.recorder,
                         downlink=self.downlink, link_key=self._link_key)
        elif name == "health":
            ports = dict(recorder=self.recorder, scheduler_stats=lambda: self.scheduler.stats(),
                         restart=self.restart_task)
        elif name == "telemetry":
            ports = dict(downlink=self.downlink, recorder=self.recorder, boot=self.boot,
                         scheduler_stats=lambda: self.scheduler.stats(),
                         components=lambda: [t for t in self.tasks.values() if hasattr(t, "telemetry")])
        task = cls(self.ctx, period, **ports)
        self.tasks[name] = task
        return task

    def _enter_minimal(self) -> None:
        ph = self.phases.phase
        if ph is Phase.DEORBIT_BURN:
            burn = self.store.get("deorbit") or {}
            self.hal.engine.shutdown()
            self.hal.engine.arm(False)
            dv_target = burn.get("dv_target_mps") or self.params.v["deorbit.dv_mps"]
            if burn.get("dv_sensed_mps", 0.0) >= UNDERBURN_FRACTION * dv_target:
                self.phases.request(Trigger.CUTOFF, "minimal mode: burn ended as an underburn")
            else:
                self.phases.request(Trigger.ABORT, "minimal mode: burn aborted")
        elif ph in (Phase.SEPARATED, Phase.DEORBIT_PREP):
            self.phases.request(Trigger.ABORT, "minimal mode")

    @property
    def nav(self):
        return self.tasks["nav"]

    @property
    def beacon(self):
        return self.tasks["beacon"]

    @property
    def deorbit(self):
        return self.tasks.get("deorbit")

    # ---- run time ----------------------------------------------------------------------
    def restart_task(self, name: str) -> None:
        """Rebuild one task's state from the store and the bus (requirement 7)."""
        old = self.tasks.get(name)
        if old is None or name == "recorder":
            return
        for kind in _published_by(name):
            self.bus.release(kind)
        listener = getattr(old, "_phase_changed", None)
        if listener is not None:
            self.phases.off_change(listener)
        new = self._build(name)
        self.scheduler.replace_task(name, new)
        self.events.emit(Severity.WARNING_HI, "TASK_RESTARTED", f"task {name} state rebuilt", task=name)

    def _phase_changed(self, change) -> None:
        self.store.put(STORE_PHASE, {"phase": change.to_phase.value, "entered_t_s": change.t_s})
        self.recorder.request_sync()

    def tick(self) -> None:
        """Run one base period of the scheduler (the executive sets the clock first)."""
        self.scheduler.tick()

    def shutdown(self) -> None:
        self.recorder.close()
        self.store.close()


def _published_by(task: str):
    return [kind for kind, writer in WRITERS.items() if writer == task]
