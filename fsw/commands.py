"""Command dictionary: every command's arguments (types, ranges) and allowed phases.

The dictionary (``DICTIONARY``) is data; the flight dispatcher
(fsw/tasks/commanding.py), the link codecs, the ground tools, the dictionary
export and the scenario loader all validate against this one table.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.phases import Phase
from fsw.pyro import CHANNELS
from fsw.schema import Any_, Bool, ConfigError, Num, Str, Struct, Vec

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
         (Phase.SEPARATED,), "go for the deorbit burn (in SAFE: RESUME first, then a new go)"),
    _def("ABORT", {"reason": Str(default="ground abort")}, _ORBIT, "abort the deorbit sequence; go SAFE"),
    _def("SAFE", {}, _ORBIT, "enter SAFE mode"),
    _def("RESUME", {}, (Phase.SAFE,), "leave SAFE for SEPARATED (deorbit can be re-planned)"),
    _def("SET_PARAM", {"name": Str(doc="dotted parameter name, e.g. beacon.period_s"),
                       "value": Any_(doc="new value, checked against the parameter's limits")},
         _ALL, "change a flight parameter"),
    _def("ARM", {"device": Str(choices=("pyro", "engine"))}, _FREE, "close an arm relay"),
    _def("DISARM", {"device": Str(choices=("pyro", "engine"))}, _ALL, "open an arm relay"),
    _def("PYRO_FIRE", {"channel": Str(choices=CHANNELS),
                       "override": Bool(default=False, doc="fire outside the channel's allowed phases and "
                                        "envelope (recorded; never while attached, never twice)")},
         _FREE, "fire one pyro channel (once, ever; only in its allowed phases and envelope unless overridden)"),
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
