"""Pyro/valve board (the vehicle interface board): arm, fire, valve, RCS, station-release and
power-mode commands with acknowledgements, and a status readback that also carries the
discrete inputs (water switch, separation switch) and the power supervisor's readings
(sans-IO), in the board framing of ``_framing.py``::

    C3 3C | type u8 | seq u16 | time_us u32 | payload | CRC-16/CCITT-FALSE u16

==========  ====  =====================================================================
message     type  payload
==========  ====  =====================================================================
COMMAND     0x10  op u8, channel u8, value u32     (flight -> board)
ACK         0x80  cmd_seq u16, op u8, result u8    (board -> flight, one per COMMAND)
STATUS      0x81  flags u8, continuity u8, fired u8, rcs_mask u8, chamber_pa f32,
                  bus_v f32, battery_soc f32
==========  ====  =====================================================================

``op`` (``OPS``): PYRO_ARM value 0/1, PYRO_FIRE channel 0-3 (``PYRO_CHANNELS``),
ENGINE_ARM value 0/1, ENGINE_IGNITE, ENGINE_SHUTDOWN value = delay ms, ENGINE_REFRESH
(the arm relay's dead-man keep-alive), RCS_COMMAND value = couple mask, RCS_LATCH value
0/1, STATION_RELEASE (the berthing latch), POWER_MODE value 0 flight / 1 recovery,
STATUS (the board answers with a STATUS frame besides the ACK).

``result`` (``RESULTS``): 0 ok, 1 no hardware arm (separation switch / timer), 2 software
arm relay open, 3 bad argument, 4 channel already fired (the fire-sense latch).

STATUS ``flags``: bit 0 hardware arm, 1 pyro arm relay, 2 engine arm relay, 3 oxidiser
path open, 4 RCS latch valve open, 5 water switch wet, 6 attached to the station
(separation switch closed); ``continuity`` / ``fired``: bit i for channel i.

Requirements
1. ``PyroBoardClient`` (the flight side) builds COMMAND frames, numbering them, and
   keeps each one pending until its ACK arrives: ``feed(data)`` returns ``Ack``,
   ``BoardStatus`` and the framing's rejections; an ACK for no pending command is an
   ``unexpected_ack`` rejection (counted). There is no clock inside: ``pending()``
   lists what still waits, and the caller retires what its deadline passed
   (``expire(seq)``), counting it as a missed acknowledgement.
2. ``PyroBoardDecoder`` (the board's side) parses COMMAND frames into ``Command``;
   ``ack(...)`` and ``status(...)`` build the board's answers.
3. Every frame type passes the framing's checks (CRC, sequence, resync, byte accounting).
"""
from __future__ import annotations

from dataclasses import dataclass

from construct import Byte, Float32b, Int16ub, Int32ub, Struct

from hal.devices import PYRO_CHANNELS
from hal.protocols._framing import BoardDecoder, BoardFraming, FrameRejected, FramesLost

__all__ = ["OPS", "RESULTS", "Command", "Ack", "BoardStatus", "PyroBoardClient", "PyroBoardDecoder", "ack",
           "status", "FRAMING", "FrameRejected", "FramesLost", "TYPE_COMMAND", "TYPE_ACK", "TYPE_STATUS"]

SYNC = b"\xc3\x3c"
TYPE_COMMAND, TYPE_ACK, TYPE_STATUS = 0x10, 0x80, 0x81
OPS = {"PYRO_ARM": 1, "PYRO_FIRE": 2, "ENGINE_ARM": 3, "ENGINE_IGNITE": 4, "ENGINE_SHUTDOWN": 5,
       "ENGINE_REFRESH": 6, "RCS_COMMAND": 7, "RCS_LATCH": 8, "STATUS": 9, "STATION_RELEASE": 10,
       "POWER_MODE": 11}
POWER_MODES = ("flight", "recovery")
OP_NAMES = {v: k for k, v in OPS.items()}
RESULTS = {0: "ok", 1: "no_hw_arm", 2: "not_armed", 3: "bad_argument", 4: "already_fired"}
FRAMING = BoardFraming(SYNC, {
    TYPE_COMMAND: Struct("op" / Byte, "channel" / Byte, "value" / Int32ub),
    TYPE_ACK: Struct("cmd_seq" / Int16ub, "op" / Byte, "result" / Byte),
    TYPE_STATUS: Struct("flags" / Byte, "continuity" / Byte, "fired" / Byte, "rcs_mask" / Byte,
                        "chamber_pa" / Float32b, "bus_v" / Float32b, "battery_soc" / Float32b),
})


@dataclass(frozen=True, slots=True)
class Command:
    seq: int
    op: str              # OPS name, or "op<code>" for a code the table does not know
    channel: int
    value: int
    op_code: int


@dataclass(frozen=True, slots=True)
class Ack:
    cmd_seq: int
    op: str
    result: str          # RESULTS value

    @property
    def ok(self) -> bool:
        return self.result == "ok"


@dataclass(frozen=True, slots=True)
class BoardStatus:
    """The board's readback; per-channel tuples in PYRO_CHANNELS order."""
    time_us: int
    hw_armed: bool
    pyro_armed: bool
    engine_armed: bool
    valve_open: bool
    latch_open: bool
    continuity: tuple[bool, ...]
    fired: tuple[bool, ...]
    rcs_mask: int
    chamber_pa: float
    water_wet: bool = False
    attached: bool = False
    bus_v: float = float("nan")
    battery_soc: float = float("nan")


def _bits(mask: int) -> tuple[bool, ...]:
    return tuple(bool(mask >> i & 1) for i in range(len(PYRO_CHANNELS)))


def _mask(flags) -> int:
    return sum(1 << i for i, f in enumerate(flags) if f)


def _message(ftype: int, seq: int, time_us: int, p):
    if ftype == TYPE_COMMAND:
        return Command(seq, OP_NAMES.get(p.op, f"op{p.op}"), p.channel, p.value, p.op)
    if ftype == TYPE_ACK:
        return Ack(p.cmd_seq, OP_NAMES.get(p.op, f"op{p.op}"), RESULTS.get(p.result, f"result{p.result}"))
    f = p.flags
    return BoardStatus(time_us, bool(f & 1), bool(f & 2), bool(f & 4), bool(f & 8), bool(f & 16),
                       _bits(p.continuity), _bits(p.fired), p.rcs_mask, p.chamber_pa, bool(f & 32), bool(f & 64),
                       p.bus_v, p.battery_soc)


# ---- board side (requirement 2) ----------------------------------------------------------------
class PyroBoardDecoder(BoardDecoder):
    def __init__(self) -> None:
        super().__init__(FRAMING, _message)


def ack(seq: int, time_us: int, cmd_seq: int, op: str | int, result: str = "ok") -> bytes:
    """``op``: an OPS name or the raw code being acknowledged."""
    code = next(k for k, v in RESULTS.items() if v == result)
    return FRAMING.build(TYPE_ACK, seq, time_us, {"cmd_seq": cmd_seq, "op": OPS[op] if isinstance(op, str) else op,
                                                  "result": code})


def status(seq: int, time_us: int, *, hw_armed: bool, pyro_armed: bool, engine_armed: bool, valve_open: bool,
           latch_open: bool, continuity, fired, rcs_mask: int = 0, chamber_pa: float = 0.0, water_wet: bool = False,
           attached: bool = False, bus_v: float = float("nan"), battery_soc: float = float("nan")) -> bytes:
    flags = _mask((hw_armed, pyro_armed, engine_armed, valve_open, latch_open, water_wet, attached))
    return FRAMING.build(TYPE_STATUS, seq, time_us, {"flags": flags, "continuity": _mask(continuity),
                                                     "fired": _mask(fired), "rcs_mask": rcs_mask,
                                                     "chamber_pa": chamber_pa, "bus_v": bus_v,
                                                     "battery_soc": battery_soc})


# ---- flight side (requirement 1) ---------------------------------------------------------------
class PyroBoardClient:
    def __init__(self) -> None:
        self._decoder = BoardDecoder(FRAMING, _message)
        self._seq = 0
        self._pending: dict[int, str] = {}
        self.acks_missed = 0
        self.unexpected_acks = 0

    @property
    def decoder(self) -> BoardDecoder:
        return self._decoder

    def command(self, op: str, channel: int = 0, value: int = 0, time_us: int = 0) -> tuple[int, bytes]:
        """(seq, frame) of a new command; it stays pending until acknowledged or expired."""
        if op not in OPS:
            raise ValueError(f"pyro board op {op!r}: expected one of {', '.join(OPS)}")
        if op == "PYRO_FIRE" and not 0 <= channel < len(PYRO_CHANNELS):
            raise ValueError(f"pyro channel {channel}: expected 0-{len(PYRO_CHANNELS) - 1}")
        self._seq = (self._seq + 1) & 0xFFFF
        self._pending[self._seq] = op
        return self._seq, FRAMING.build(TYPE_COMMAND, self._seq, time_us,
                                        {"op": OPS[op], "channel": channel, "value": value & 0xFFFFFFFF})

    def pending(self) -> dict[int, str]:
        return dict(self._pending)

    def expire(self, seq: int) -> None:
        """The caller's deadline for ``seq`` passed without its ACK."""
        if self._pending.pop(seq, None) is not None:
            self.acks_missed += 1

    def feed(self, data: bytes) -> list:
        out = []
        for ev in self._decoder.feed(data):
            if isinstance(ev, Ack):
                if self._pending.get(ev.cmd_seq) != ev.op:
                    self.unexpected_acks += 1
                    out.append(FrameRejected("unexpected_ack", 0))
                    continue
                del self._pending[ev.cmd_seq]
            if isinstance(ev, Command):                     # a board never sends commands
                out.append(FrameRejected("unexpected_command", 0))
                continue
            out.append(ev)
        return out
