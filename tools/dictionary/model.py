"""The dictionary model: the types one ``Dictionary`` is made of, and the names every exporter shares.

``Field`` (one packet field, in wire order), ``Packet``, ``Arg`` (a documented
command argument), ``Command``, ``EventName`` and ``Dictionary`` (the whole
model, as ``tools.dictionary.builder.build()`` assembles it from the flight
code); ``SCHEMA`` (version of the JSON layout) and ``TARGET`` (the space
system / COSMOS target name).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SCHEMA", "TARGET", "Field", "Packet", "Arg", "Command", "EventName", "Dictionary"]

#: Version of the JSON layout.
SCHEMA = 1
#: Space system / COSMOS target name.
TARGET = "ELSRS"


@dataclass(frozen=True)
class Field:
    """One field of a packet, in wire order.

    ``kind``: ``uint``, ``int``, ``float``, ``enum`` (unsigned integer with
    labels) or ``blob`` (octets; ``bits`` None when the length follows from
    the packet length: everything up to ``tail_octets`` before the end).
    """

    name: str                 # ground mnemonic, unique in the dictionary
    code: str                 # where it is in the codec: "header.apid", "hk.bus_v", ...
    kind: str
    bits: int | None
    description: str = ""
    unit: str = ""
    limits: object = None     # fsw.link.telemetry.Limits or None
    enum: tuple[str, ...] | None = None                # labels by raw value (0, 1, ...)
    enum_map: tuple[tuple[int, str], ...] | None = None  # sparse labels (value, label)
    bit_labels: tuple[str, ...] | None = None          # bit 0 = LSB
    fixed: int | None = None  # the value this link always sends
    encoding: str = ""        # "CBOR" for CBOR blobs
    tail_octets: int | None = None
    offset_bits: int | None = None   # from the start of the packet; None after a variable-length field

    @property
    def labels(self) -> tuple[tuple[int, str], ...] | None:
        if self.enum is not None:
            return tuple(enumerate(self.enum))
        return self.enum_map


@dataclass(frozen=True)
class Packet:
    apid: int
    name: str
    type: str                 # "TM" | "TC"
    description: str
    fields: tuple[Field, ...]
    length_octets: int | None  # None when variable

    def user_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.code.split(".")[0] not in ("header", "time", "sec"))


@dataclass(frozen=True)
class Arg:
    """A documented command argument (an entry of the CBOR args map)."""

    name: str
    type: str                 # number | integer | string | boolean | vector | any
    unit: str | None
    min: float | None
    max: float | None
    min_exclusive: bool
    max_exclusive: bool
    choices: tuple[str, ...] | None
    length: int | None        # vector length
    required: bool
    default: object
    doc: str


@dataclass(frozen=True)
class Command:
    name: str
    id: int
    description: str
    phases: tuple[str, ...]
    args: tuple[Arg, ...]


@dataclass(frozen=True)
class EventName:
    name: str
    severities: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass
class Dictionary:
    commands: tuple[Command, ...]
    packets: tuple[Packet, ...]          # every APID, TM then TC, in APID-table order
    events: tuple[EventName, ...]
    event_keys: tuple[str, ...]
    event_unresolved: tuple[str, ...]
    severities: tuple[tuple[str, int], ...]
    phases: tuple[str, ...]
    parameters: list[dict]
    notes: dict = field(default_factory=dict)

    def packet(self, name: str) -> Packet:
        return next(p for p in self.packets if p.name == name)

    @property
    def tm_packets(self) -> tuple[Packet, ...]:
        return tuple(p for p in self.packets if p.type == "TM")

    @property
    def tc_packet(self) -> Packet:
        return next(p for p in self.packets if p.type == "TC")
