"""Fault injection: which faults exist, which apply to which device, and when they act.

Requirements
1. ``FAULT_TARGETS`` and ``FAULT_KINDS`` are the scenario contract's vocabulary;
   ``APPLICABLE`` says which kinds each target family takes. Anything else is an
   input error (``check_fault``), never silently ignored.
2. A fault is active from ``at_s`` (or entering ``at_phase`` plus ``delay_s``) for
   ``duration_s`` (default: to the end of the run).
3. Sensor faults transform what the flight software reads (``SensorFaults``);
   actuator faults change the device models (sim/actuators.py: an ``engine``
   ``stuck_open`` main valve burns on after shutdown until the engine is disarmed;
   a ``rcs.N`` ``stuck_open`` couple fires until the RCS latch valve closes);
   ``fsw reset`` restarts the flight software (the SIL executive does it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fsw.schema import ConfigError

_AXES = ("x", "y", "z")
FAULT_TARGETS = (
    "imu.accel", *(f"imu.accel.{a}" for a in _AXES), "imu.gyro", *(f"imu.gyro.{a}" for a in _AXES),
    "baro.0", "baro.1", "gps", "startracker", "water", "engine", *(f"rcs.{i}" for i in range(6)),
    "pyro.drogue", "pyro.main", "pyro.main_release", "pyro.float",
    "chute.drogue", "chute.main", "iridium", "link.uplink", "fsw",
    *(f"wire.{line}" for line in ("sensor_board", "gps", "iridium", "vehicle_board", "ground")),
)
FAULT_KINDS = ("bias", "scale", "invert", "stuck", "dropout", "noise", "saturate", "transient",
               "no_ignition", "underperform", "stuck_open", "stuck_closed", "no_fire",
               "no_inflate", "corrupt", "reset", "hang", "delay")

_SENSOR = ("bias", "scale", "invert", "stuck", "dropout", "noise", "saturate")
#: Target family -> applicable kinds.
APPLICABLE = {
    "imu": _SENSOR,
    "baro": ("bias", "scale", "stuck", "dropout", "noise", "saturate"),
    "gps": ("bias", "dropout", "noise"),
    "startracker": ("bias", "dropout", "noise", "stuck"),          # bias, noise: deg (hal/sim_backend.py)
    "water": ("stuck_open", "stuck_closed", "transient"),
    "engine": ("no_ignition", "underperform", "stuck_open"),     # stuck_open: the main oxidiser valve
    "rcs": ("stuck_closed", "stuck_open"),                        # per couple; stuck_open until the latch closes
    "pyro": ("no_fire",),
    "chute": ("no_inflate",),
    "iridium": ("dropout",),
    "link": ("dropout", "corrupt"),
    "fsw": ("reset", "hang"),
    # Serial lines (HIL: sim/boards/wire_faults.py): nothing through, one bit flipped per
    # chunk, every byte held back, the line stuck at break (zeros in place of the data).
    "wire": ("dropout", "corrupt", "delay", "stuck"),
}
#: Tolerance of fault start and end times, s: tick times are k * 0.02 and
#: at_s + duration_s sums carry rounding (0.1 + 0.2 > 0.3), so compare with slack.
TIME_TOL_S = 1e-9
#: Kinds that need a ``value`` (its meaning).
NEEDS_VALUE = {"bias": "offset in the sensor's unit", "scale": "factor", "noise": "extra 1-sigma noise",
               "saturate": "clip limit", "underperform": "thrust fraction 0..1",
               "delay": "seconds each byte is held on the line"}


def family(target: str) -> str:
    return target.split(".")[0]


def check_fault(f: dict) -> None:
    """Raise ConfigError if a validated fault entry is inconsistent."""
    fam = family(f["target"])
    if f["kind"] not in APPLICABLE[fam]:
        raise ConfigError("", "kind", f"expected one of {', '.join(APPLICABLE[fam])} for target "
                                      f"{f['target']!r}, got {f['kind']!r}")
    if f["kind"] in NEEDS_VALUE and f["value"] is None:
        raise ConfigError("", "value", f"expected a number ({NEEDS_VALUE[f['kind']]}) for kind {f['kind']!r}")
    if f["kind"] not in NEEDS_VALUE and f["value"] is not None:
        # e.g. a 'stuck' fault freezes the last reading; a value would be silently ignored.
        raise ConfigError("", "value", f"expected no value for kind {f['kind']!r} (it takes none), "
                                       f"got {f['value']}")
    if f["kind"] == "underperform" and not 0.0 <= f["value"] <= 1.0:
        raise ConfigError("", "value", f"expected a thrust fraction in [0, 1], got {f['value']}")
    if f["kind"] == "saturate" and not f["value"] > 0.0:
        raise ConfigError("", "value", f"expected a positive clip limit for kind 'saturate', got {f['value']}")
    if f["kind"] == "delay" and not 0.0 <= f["value"] <= 60.0:
        raise ConfigError("", "value", f"expected a line delay in [0, 60] s, got {f['value']}")
    if f["kind"] == "noise" and f["value"] < 0.0:
        raise ConfigError("", "value", f"expected a non-negative 1-sigma for kind 'noise', got {f['value']}")
    if (f["at_s"] is None) == (f["at_phase"] is None):
        raise ConfigError("", "at_s", "expected exactly one of at_s or at_phase")
    if f["kind"] == "transient" and f["duration_s"] is None:
        raise ConfigError("", "duration_s", "expected a duration for a transient")


@dataclass
class ActiveFault:
    spec: dict
    start_s: float | None = None      # resolved start time
    done: bool = False                # one-shot faults (reset) already applied
    stuck: tuple | None = None        # frozen value for 'stuck'


@dataclass
class FaultSchedule:
    """Resolves fault timing against simulation time and flight phase."""
    faults: list[ActiveFault] = field(default_factory=list)

    @classmethod
    def from_specs(cls, specs: list[dict]) -> "FaultSchedule":
        return cls([ActiveFault(dict(s), s["at_s"]) for s in specs])

    def on_phase(self, phase: str, t_s: float) -> None:
        """Called by the executive on every flight phase change."""
        for f in self.faults:
            if f.start_s is None and f.spec["at_phase"] == phase:
                f.start_s = t_s + f.spec["delay_s"]

    def active(self, t_s: float, target_prefix: str):
        """Active faults whose target starts with ``target_prefix``: start <= t < start + duration."""
        for f in self.faults:
            if f.start_s is None or t_s < f.start_s - TIME_TOL_S or not f.spec["target"].startswith(target_prefix):
                continue
            d = f.spec["duration_s"]
            if d is not None and t_s >= f.start_s + d - TIME_TOL_S:
                continue
            yield f

    def count_started(self, t_s: float) -> int:
        """Faults whose start time has come (summary ``faults_injected``)."""
        return sum(1 for f in self.faults if f.start_s is not None and t_s >= f.start_s - TIME_TOL_S)


def apply_vector(faults, t_s: float, family_prefix: str, values: tuple, noise) -> tuple[tuple, bool]:
    """Apply active sensor faults of a 3-axis sensor; returns (values, valid)."""
    out = list(values)
    valid = True
    for f in faults.active(t_s, family_prefix):
        parts = f.spec["target"].split(".")
        axes = range(3) if len(parts) == 2 else (_AXES.index(parts[2]),)
        kind, v = f.spec["kind"], f.spec["value"]
        if kind == "dropout":
            valid = False
            continue
        if kind == "stuck":
            if f.stuck is None:
                f.stuck = tuple(out)
            for i in axes:
                out[i] = f.stuck[i]
            continue
        for i in axes:
            if kind == "bias":
                out[i] += v
            elif kind == "scale":
                out[i] *= v
            elif kind == "invert":
                out[i] = -out[i]
            elif kind == "noise":
                out[i] += v * noise.normal()
            elif kind == "saturate":
                out[i] = max(-v, min(v, out[i]))
    return tuple(out), valid


def apply_scalar(faults, t_s: float, target: str, value: float, noise) -> tuple[float, bool]:
    """Apply active faults of a scalar sensor (a barometer)."""
    out, valid = apply_vector(faults, t_s, target, (value, 0.0, 0.0), noise)
    return out[0], valid
