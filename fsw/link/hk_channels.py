"""The housekeeping channel table (data): ``Channel``, ``Limits``, the channels, bit masks, converters.

Housekeeping (APID 0x010) user data is one sample of every channel in
``HK_CHANNELS``, in table order, big-endian, no padding (``HK_STRUCT``). Each
channel is data: name, construct type, unit, scale (engineering value = raw *
scale; 1 for every channel today: floats are IEEE-754 f32, or f64 where f32
would lose needed precision - times, latitude, longitude), description, limits
(red/yellow, low/high; ``None`` where there is no limit) and, for enumerations
and bit masks, the labels.

``bits_to_mask``/``mask_to_bits`` turn bit labels into masks and back. The
per-channel converters (value -> raw field value; ``None`` -> the "unknown"
value, NaN for a float channel, 0 for an integer one) and the scaled-channel
list are what the codec in ``fsw.link.telemetry`` applies; that module
re-exports the public names here.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from construct import ConstructError, Float32b, Float64b, Int8ub, Int16ub, Int32ub, Struct

from fsw.phases import Phase
from fsw.pyro import CHANNELS as PYRO_CHANNELS

__all__ = ["Limits", "Channel", "HK_CHANNELS", "HK_CHANNEL_TABLE", "HK_STRUCT", "HK_USER_DATA_LEN", "PHASES",
           "RCS_THRUSTERS", "ARM_BITS", "bits_to_mask", "mask_to_bits"]

U8, U16, U32, F32, F64 = Int8ub, Int16ub, Int32ub, Float32b, Float64b
_FLOAT_TYPES = (F32, F64)
_TYPE_CODES = {U8: "u8", U16: "u16", U32: "u32", F32: "f32", F64: "f64"}

#: Phase index on the link: position in fsw.phases.Phase.
PHASES: tuple[str, ...] = tuple(p.value for p in Phase)
#: RCS thrusters, bit i of ``rcs_mask`` (rcs.0 ... rcs.5).
RCS_THRUSTERS: tuple[str, ...] = tuple(f"rcs.{i}" for i in range(6))
#: Bits of ``arm_mask``.
ARM_BITS: tuple[str, ...] = ("pyro_armed", "engine_armed", "attached")


@dataclass(frozen=True)
class Limits:
    """Alarm limits in engineering units; a value beyond red_* is red, beyond yellow_* yellow."""

    red_low: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_high: float | None = None

    def state(self, value) -> str:
        """'red', 'yellow', 'green', or 'unknown' (NaN / None)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "unknown"
        if (self.red_low is not None and value < self.red_low) or (self.red_high is not None and value > self.red_high):
            return "red"
        if ((self.yellow_low is not None and value < self.yellow_low)
                or (self.yellow_high is not None and value > self.yellow_high)):
            return "yellow"
        return "green"


@dataclass(frozen=True)
class Channel:
    """One housekeeping channel."""

    name: str
    type: object          # construct field (U8 ... F64)
    unit: str
    scale: float
    description: str
    limits: Limits | None = None
    enum: tuple[str, ...] | None = None   # labels by raw value
    bits: tuple[str, ...] | None = None   # labels by bit number (bit 0 = LSB)

    @property
    def is_float(self) -> bool:
        return self.type in _FLOAT_TYPES

    @property
    def size(self) -> int:
        return self.type.sizeof()

    @property
    def type_code(self) -> str:
        """'u8', 'u16', 'u32', 'f32' or 'f64' (big-endian on the wire), for dictionary exporters."""
        return _TYPE_CODES[self.type]


def _lim(red_low=None, yellow_low=None, yellow_high=None, red_high=None) -> Limits:
    return Limits(red_low, yellow_low, yellow_high, red_high)


_RATE = _lim(-30.0, -10.0, 10.0, 30.0)
_ANY = _lim(yellow_high=0)  # a counter of things that should not happen: yellow once non-zero

#: The housekeeping table: (name, type, unit, scale, description, limits, extras). Order = wire order.
HK_CHANNEL_TABLE: tuple[tuple, ...] = (
    ("phase", U8, "", 1, "mission phase (index into fsw.phases.Phase)", None, {"enum": PHASES}),
    ("mission_time_s", F64, "s", 1, "flight clock time of the sample", None, {}),
    ("phase_time_s", F32, "s", 1, "time since the current phase began", None, {}),
    ("nav_valid", U8, "", 1, "navigation solution valid (0/1)", None, {}),
    ("baro_alt_m", F32, "m", 1, "barometric altitude (NaN above the baro range)", _lim(-200.0, -50.0), {}),
    ("sensed_accel_mps2", F32, "m/s^2", 1, "sensed non-gravitational acceleration magnitude",
     _lim(yellow_high=100.0, red_high=150.0), {}),
    ("att_error_deg", F32, "deg", 1, "attitude error from the commanded attitude (NaN if none)",
     _lim(yellow_high=5.0, red_high=15.0), {}),
    ("speed_mps", F32, "m/s", 1, "navigation speed (Earth-relative)", None, {}),
    ("vert_speed_mps", F32, "m/s", 1, "navigation vertical speed, up positive", None, {}),
    ("rate_x_dps", F32, "deg/s", 1, "body rate about x", _RATE, {}),
    ("rate_y_dps", F32, "deg/s", 1, "body rate about y", _RATE, {}),
    ("rate_z_dps", F32, "deg/s", 1, "body rate about z", _RATE, {}),
    ("bus_v", F32, "V", 1, "main bus voltage", _lim(22.0, 24.5, 29.0, 30.0), {}),
    ("battery_soc", F32, "", 1, "battery state of charge, 0..1", _lim(0.15, 0.3), {}),
    ("overruns", U32, "count", 1, "scheduler overruns", _ANY, {}),
    ("max_task_ms", F32, "ms", 1, "longest task execution so far", None, {}),
    ("cmd_accepted", U32, "count", 1, "commands accepted", None, {}),
    ("cmd_rejected", U32, "count", 1, "commands rejected (any reason)", _ANY, {}),
    ("cmd_counter", U32, "count", 1, "last accepted anti-replay counter", None, {}),
    ("link_rejects", U32, "count", 1, "uplink frames rejected before authentication", None, {}),
    ("events_emitted", U32, "count", 1, "events emitted", None, {}),
    ("events_suppressed", U32, "count", 1, "events dropped by throttling", _ANY, {}),
    ("gps_fix", U8, "", 1, "GPS fix (0 none, 1 fix)", None, {}),
    ("gps_sats", U8, "count", 1, "GPS satellites used", None, {}),
    ("gps_lat_deg", F64, "deg", 1, "GPS latitude (NaN without fix)", None, {}),
    ("gps_lon_deg", F64, "deg", 1, "GPS longitude (NaN without fix)", None, {}),
    ("gps_alt_m", F32, "m", 1, "GPS altitude (NaN without fix)", None, {}),
    ("arm_mask", U8, "", 1, "arm relays and berthing: bit 0 pyro armed, 1 engine armed, 2 attached",
     None, {"bits": ARM_BITS}),
    ("pyro_fired", U8, "", 1, "pyro channels fired: bit 0 drogue, 1 main, 2 main_release, 3 float",
     None, {"bits": tuple(PYRO_CHANNELS)}),
    ("rcs_mask", U8, "", 1, "RCS thrusters commanded on: bit i = rcs.i", None, {"bits": RCS_THRUSTERS}),
    ("dv_sensed_mps", F32, "m/s", 1, "deorbit delta-v sensed so far", None, {}),
    ("recorder_records", U32, "count", 1, "flight-recorder records written", None, {}),
    ("recorder_dropped", U32, "count", 1, "flight-recorder records dropped (file full)", _ANY, {}),
    ("resets", U16, "count", 1, "processor resets", _ANY, {}),
    ("beacon_messages", U16, "count", 1, "beacon messages sent", None, {}),
    ("monitor_responses", U16, "count", 1, "fault-protection monitor responses (fsw.fdir.table)", _ANY, {}),
    ("mach_nav", F32, "", 1, "Mach number from the navigated state (NaN: unusable; fsw/tasks/airdata.py)", None, {}),
    ("mach_drag", F32, "", 1, "Mach number from sensed drag and static pressure (NaN: unusable)", None, {}),
    ("bank_cmd_deg", F32, "deg", 1, "entry guidance's bank command, positive lift right (NaN: not steering; "
     "fsw/tasks/entry_guidance.py)", None, {}),
    ("bank_reversals", U8, "count", 1, "bank reversals flown", None, {}),
    ("drag_ratio", F32, "", 1, "entry guidance's sensed-over-modelled drag ratio", None, {}),
)
HK_CHANNELS: tuple[Channel, ...] = tuple(
    Channel(name, typ, unit, float(scale), doc, limits, **extra)
    for name, typ, unit, scale, doc, limits, extra in HK_CHANNEL_TABLE)
_BY_NAME = {c.name: c for c in HK_CHANNELS}

#: HK user data: one sample of every channel.
HK_STRUCT = Struct(*[c.name / c.type for c in HK_CHANNELS])
HK_USER_DATA_LEN = HK_STRUCT.sizeof()
_NAN = math.nan


def bits_to_mask(value, labels: tuple[str, ...]) -> int:
    """An int mask from an int, one bit label, or an iterable of bit labels."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = (value,)
    mask = 0
    for label in value:
        try:
            mask |= 1 << labels.index(label)
        except ValueError:
            raise ValueError(f"unknown bit {label!r}; expected one of {', '.join(labels)}") from None
    return mask


def mask_to_bits(mask: int, labels: tuple[str, ...]) -> list[str]:
    """Labels of the bits set in ``mask``."""
    return [label for i, label in enumerate(labels) if mask >> i & 1]


def _phase_index(value) -> int:
    if isinstance(value, Phase):
        return PHASES.index(value.value)
    if isinstance(value, str):
        try:
            return PHASES.index(value)
        except ValueError:
            raise ValueError(f"unknown phase {value!r}") from None
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(PHASES):
        raise ValueError(f"phase index must be in [0, {len(PHASES) - 1}], got {value!r}")
    return value


def _converter(c: Channel):
    """value -> raw field value, for one channel."""
    if c.name == "phase":
        return _phase_index
    if c.bits is not None:
        labels = c.bits
        return lambda v: 0 if v is None else bits_to_mask(v, labels)
    if c.is_float:
        if c.scale != 1.0:
            s = c.scale
            return lambda v: _NAN if v is None else v / s
        return lambda v: _NAN if v is None else v
    if c.scale != 1.0:
        s = c.scale
        return lambda v: 0 if v is None else round(v / s)
    return lambda v: 0 if v is None else v


_CONVERT = {c.name: _converter(c) for c in HK_CHANNELS}
_HK_UNKNOWN = {c.name: (_NAN if c.is_float else 0) for c in HK_CHANNELS}
_SCALED = tuple((c.name, c.scale) for c in HK_CHANNELS if c.scale != 1.0)


def _bad_channel(raw: dict) -> str | None:
    """Which channel value does not fit its field (for the error message)."""
    for c in HK_CHANNELS:
        try:
            c.type.build(raw[c.name])
        except (ConstructError, struct.error) as exc:
            return f"channel {c.name!r}: cannot encode {raw[c.name]!r} ({exc})"
    return None
