"""Command dictionary and command dispatcher task (10 Hz).

Requirements
1. The dictionary (``DICTIONARY``) is data: each command's argument schema
   (types, ranges) and the phases in which it may execute. The ground tools and
   the scenario loader validate against the same table.
2. Every received command is acknowledged by an event: CMD_ACCEPTED then
   CMD_COMPLETED, or CMD_REJECTED with the reason (unknown name, bad argument,
   wrong phase, refused by the component). A rejected command never executes.
3. Safety is enforced below this layer too (PyroManager, HAL inhibits): a
   command cannot fire a pyro or the engine while attached.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.events import Severity
from fsw.phases import Phase, Trigger
from fsw.pyro import CHANNELS
from fsw.schema import Any_, ConfigError, Num, Str, Struct, Vec

_ALL = tuple(Phase)
_FREE = tuple(p for p in Phase if p is not Phase.ATTACHED)
_ORBIT = (Phase.SEPARATED, Phase.DEORBIT_PREP, Phase.DEORBIT_BURN, Phase.COAST)


@dataclass(frozen=True)
class CommandDef:
    name: str
    args: Struct
    phases: tuple[Phase, ...]
    doc: str


def _def(name, fields, phases, doc):
    return CommandDef(name, Struct(fields), tuple(phases), doc)


DICTIONARY: dict[str, CommandDef] = {c.name: c for c in (
    _def("NOOP", {}, _ALL, "no operation; acknowledged"),
    _def("RELEASE", {}, (Phase.ATTACHED,), "open the berthing latch (station release)"),
    _def("DEORBIT_GO", {"ignition_t_s": Num("s", 0, 1e7, default=None, doc="ignition time; default the plan")},
         (Phase.SEPARATED, Phase.SAFE), "go for the deorbit burn"),
    _def("ABORT", {"reason": Str(default="ground abort")}, _ORBIT, "abort the deorbit sequence; go SAFE"),
    _def("SAFE", {}, _ORBIT, "enter SAFE mode"),
    _def("RESUME", {}, (Phase.SAFE,), "leave SAFE for SEPARATED (deorbit can be re-planned)"),
    _def("SET_PARAM", {"name": Str(doc="dotted parameter name, e.g. beacon.period_s"),
                       "value": Any_(doc="new value, checked against the parameter's limits")},
         _ALL, "change a flight parameter"),
    _def("ARM", {"device": Str(choices=("pyro", "engine"))}, _FREE, "close an arm relay"),
    _def("DISARM", {"device": Str(choices=("pyro", "engine"))}, _ALL, "open an arm relay"),
    _def("PYRO_FIRE", {"channel": Str(choices=CHANNELS)}, _FREE, "fire one pyro channel (once, ever)"),
    _def("DUMP_RECORDER", {}, _ALL, "downlink the flight recorder"),
    _def("STATE_VECTOR", {"r_eci_m": Vec(3, "m"), "v_eci_mps": Vec(3, "m/s"),
                          "q_body_eci": Vec(4, "-", -1.0, 1.0)},
         _ALL, "load the navigation state (ECI position, velocity, attitude)"),
)}


def validate_command(name: str, args: dict | None) -> dict:
    """Check a command against the dictionary; returns normalised args or raises ConfigError."""
    if name not in DICTIONARY:
        raise ConfigError("", "name", f"expected one of {', '.join(DICTIONARY)}, got {name!r}")
    return DICTIONARY[name].args.validate(args or {}, "args")


class CommandTask:
    name = "commands"

    def __init__(self, ctx, deorbit, nav, recorder):
        self.ctx, self.deorbit, self.nav, self.recorder = ctx, deorbit, nav, recorder
        self.accepted = 0
        self.rejected = 0

    def run(self, t_s: float) -> None:
        for cmd in self.ctx.hal.link.poll():
            self.execute(cmd.name, cmd.args)

    def _reject(self, name: str, why: str) -> None:
        self.rejected += 1
        self.ctx.events.emit(Severity.WARNING_LO, "CMD_REJECTED", f"{name}: {why}", command=str(name)[:40], why=why)

    def execute(self, name: str, args: dict | None) -> bool:
        """Validate and run one command; True when it completed."""
        try:
            a = validate_command(name, args)
        except ConfigError as exc:
            self._reject(name, str(exc))
            return False
        ph = self.ctx.phases.phase
        if ph not in DICTIONARY[name].phases:
            self._reject(name, f"not allowed in {ph.value}")
            return False
        self.accepted += 1
        self.ctx.events.emit(Severity.ACTIVITY_LO, "CMD_ACCEPTED", name, command=name)
        why = getattr(self, "_cmd_" + name.lower())(a)
        if why:
            self._reject(name, why)
            return False
        self.ctx.events.emit(Severity.ACTIVITY_LO, "CMD_COMPLETED", name, command=name)
        return True

    # ---- handlers: return None on success, else the reason ---------------------------
    def _cmd_noop(self, a):
        return None

    def _cmd_release(self, a):
        self.ctx.hal.station.release()
        return None

    def _cmd_deorbit_go(self, a):
        return self.deorbit.deorbit_go(a["ignition_t_s"])

    def _cmd_abort(self, a):
        self.deorbit.abort(a["reason"])
        return None

    def _cmd_safe(self, a):
        if self.ctx.phases.phase in (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN):
            self.ctx.hal.engine.shutdown()
            self.ctx.hal.engine.arm(False)
        return None if self.ctx.phases.request(Trigger.SAFE_CMD, "ground command") else "phase refused"

    def _cmd_resume(self, a):
        return None if self.ctx.phases.request(Trigger.RESUME, "ground command") else "phase refused"

    def _cmd_set_param(self, a):
        why = self.ctx.params.set(a["name"], a["value"])
        if why is None:
            self.ctx.events.emit(Severity.ACTIVITY_HI, "PARAM_SET", f"{a['name']} = {a['value']}", param=a["name"],
                                 value=str(a["value"]))
        return why

    def _cmd_arm(self, a):
        if self.ctx.hal.station.attached():
            return "attached to the station"
        if a["device"] == "pyro":
            return None if self.ctx.pyro.arm(True) else "refused"
        self.ctx.hal.engine.arm(True)
        return None

    def _cmd_disarm(self, a):
        if a["device"] == "pyro":
            self.ctx.pyro.arm(False)
        else:
            self.ctx.hal.engine.arm(False)
        return None

    def _cmd_pyro_fire(self, a):
        return None if self.ctx.pyro.fire(a["channel"], "command") else "refused"

    def _cmd_dump_recorder(self, a):
        n = self.recorder.dump(self.ctx.hal.link) if self.recorder else 0
        self.ctx.events.emit(Severity.ACTIVITY_LO, "RECORDER_DUMPED", f"{n} records downlinked", records=n)
        return None

    def _cmd_state_vector(self, a):
        self.nav.initialise(a["r_eci_m"], a["v_eci_mps"], a["q_body_eci"])
        return None
