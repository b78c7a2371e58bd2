"""The ground session (sans-IO): downlink bytes in, console state out; commands in, uplink bytes out.

``GroundSession`` holds what a ground console shows and knows nothing of ports,
terminals or clocks (h11 style). The I/O shell (``tools.ground.console``,
``tools.ground.batch``) reads the port and feeds the bytes here, writes the
bytes ``command`` returns, and passes the time it reads from its own clock.

Downlink (``feed``): marker-framed CCSDS packets, any chunking, garbage in
between, decoded with ``fsw.link.TelemetryDecoder``:

- HK: the latest value of every channel of ``fsw.link.HK_CHANNELS`` with its
  unit and its limit state (``Limits.state``: ``green`` / ``yellow`` / ``red``;
  ``unknown`` for NaN or no sample yet; ``none`` for a channel without limits).
- EVENT: appended to a bounded event log (oldest dropped, counted).
- ACK: matched to the command it acknowledges (see below).
- BEACON, RECORDER: counted; the last beacon report is kept.

Uplink (``command``): the command is checked against ``fsw.commands.DICTIONARY``
first (a bad name or bad args raise ``CommandError`` and nothing is signed or
sent), then signed with ``fsw.link.CommandSigner`` (the caller's key),
framed, and recorded as ``sent``.

Acknowledgement status of a command::

    sent ──ACCEPTED──► accepted ──COMPLETED──► completed
      │                   │
      ├──COMPLETED────────┼──────────────────► completed
      └──REJECTED─────────┴──────────────────► rejected (reason)
    sent / accepted ── no terminal ack ack_timeout_s after sending (tick) ──► timed_out

``completed`` and ``rejected`` are final. A terminal ack that arrives after the
timeout still lands (``late`` is set). Acks are matched, in this order:

1. by anti-replay counter (the ack's u32 counter; every signed command has its
   own, so this is exact);
2. if the ack's counter is 0 (not trusted by the flight, e.g. a rejection
   before the MAC check) but it names a command id: the oldest command with
   that id still waiting for its first ack;
3. a rejection that names neither (``BAD_MAC``, ``BAD_FRAME``): the command
   waiting for its first ack, if there is exactly one;

otherwise the ack is kept as unmatched (``unmatched_acks``) and logged.

Anti-replay counter: the signer continues from ``counter`` (the last one used).
The HK channel ``cmd_counter`` is the flight's last accepted counter; the
session moves its signer past it (``sync_counter``), so a console restarted
without its counter file is not rejected as a replay once one HK packet has
been received.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from fsw.commands import DICTIONARY, validate_command
from fsw.gnc.targeting import great_circle_km
from fsw.link import (APID_TABLE, HK_CHANNELS, CommandSigner, TelemetryDecoder, frame)
from fsw.link.auth import MAX_COUNTER
from fsw.link.tc import COMMAND_IDS, UNKNOWN_COMMAND_ID
from fsw.schema import ConfigError

__all__ = ["CommandError", "ChannelValue", "CommandRecord", "GroundSession", "STATUSES", "FINAL_STATUSES",
           "json_safe"]

SENT, ACCEPTED, REJECTED, COMPLETED, TIMED_OUT = "sent", "accepted", "rejected", "completed", "timed_out"
STATUSES = (SENT, ACCEPTED, REJECTED, COMPLETED, TIMED_OUT)
#: Statuses after which the command no longer waits for anything.
FINAL_STATUSES = frozenset((REJECTED, COMPLETED, TIMED_OUT))


#: Largest forward step of the anti-replay counter the session takes from telemetry.
MAX_SYNC_JUMP = 1 << 16
#: Counters kept out of reach of telemetry-driven syncs (left for deliberate use).
SYNC_RESERVE = 1 << 20

class CommandError(ConfigError):
    """A command the dictionary refuses (nothing was sent). One line: ``command NAME: field: problem``."""

    def __init__(self, name: str, path: str, problem: str) -> None:
        super().__init__(f"command {name}" if name else "command", path, problem)


@dataclass
class ChannelValue:
    """The latest sample of one HK channel."""

    name: str
    unit: str
    value: object = None          # engineering value; None until a sample arrives
    limit: str = "unknown"        # green | yellow | red | unknown (no data) | none (no limits)
    t_s: float | None = None      # packet time of the sample (flight clock)
    labels: list[str] | None = None  # bit labels set, for bit-mask channels

    def to_json(self) -> dict:
        d = {"value": json_safe(self.value), "unit": self.unit, "limit": self.limit, "t_s": self.t_s}
        if self.labels is not None:
            d["labels"] = self.labels
        return d


@dataclass
class CommandRecord:
    """One command sent in this session and what the flight said about it."""

    seq: int                      # 1, 2, ... in this session
    name: str
    args: dict
    command_id: int
    counter: int                  # anti-replay counter it was signed with
    sent_s: float
    timeout_s: float
    status: str = SENT
    reason: str = ""
    updated_s: float | None = None
    late: bool = False            # a terminal ack arrived after the timeout
    matched_by: str | None = None  # how the first ack was matched: counter | command_id | only_pending
    acks: list[dict] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def text(self) -> str:
        """The command as an operator would type it."""
        return " ".join([self.name, *(f"{k}={_arg_text(v)}" for k, v in self.args.items())])

    def to_json(self) -> dict:
        return {"seq": self.seq, "name": self.name, "args": json_safe(self.args), "command_id": self.command_id,
                "counter": self.counter, "status": self.status, "reason": self.reason, "sent_s": self.sent_s,
                "updated_s": self.updated_s, "late": self.late, "matched_by": self.matched_by,
                "acks": json_safe(self.acks)}


def _arg_text(v) -> str:
    if isinstance(v, str):
        return v if v and all(c.isalnum() or c in "._-/:" for c in v) else repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_arg_text(x) for x in v) + "]"
    return str(v)


def json_safe(obj):
    """``obj`` with NaN/inf floats as None and tuples as lists (strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return obj.hex()
    return obj


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


class GroundSession:
    """Downlink decoding, telemetry/event/command state and command signing, without I/O.

    ``key``: the command authentication key (bytes, at least 16 octets).
    ``counter``: the last anti-replay counter used with this key (persisted by the caller).
    ``ack_timeout_s``: a command without a terminal ack this long after sending times out.
    ``max_events`` / ``max_commands``: bounds of the event log and the command history.
    """

    def __init__(self, key: bytes, *, counter: int = 0, ack_timeout_s: float = 10.0, max_events: int = 500,
                 max_commands: int = 200, sync_counter: bool = True) -> None:
        if not (isinstance(ack_timeout_s, (int, float)) and ack_timeout_s > 0):
            raise ValueError(f"ack_timeout_s must be a positive number, got {ack_timeout_s!r}")
        self._signer = CommandSigner(key, counter)
        self._decoder = TelemetryDecoder()
        self.ack_timeout_s = float(ack_timeout_s)
        self.sync_counter = sync_counter
        self.channels: dict[str, ChannelValue] = {
            c.name: ChannelValue(c.name, c.unit, limit="unknown") for c in HK_CHANNELS}
        self._channel_defs = {c.name: c for c in HK_CHANNELS}
        self.hk_t_s: float | None = None         # packet time of the latest HK sample
        self.hk_rx_s: float | None = None        # caller's clock when it arrived
        self.events: deque[dict] = deque(maxlen=max_events)
        self.events_dropped = 0                  # fell off the bounded log
        self.commands: deque[CommandRecord] = deque(maxlen=max_commands)
        self.unmatched_acks: deque[dict] = deque(maxlen=100)
        self.last_beacon: dict | None = None
        #: the flight's recovery forecast (SPLASH_FORECAST after cutoff) and the last beacon
        #: position (BEACON_SENT), each {"t_s", "lat_deg", "lon_deg", ...} or None
        self.forecast: dict | None = None
        self.beacon_fix: dict | None = None
        self.packets_by_kind: dict[str, int] = {}
        self.bytes_out = 0
        self.commands_sent = 0
        self.refused_syncs = 0                    # forged or implausible cmd_counter values ignored
        self.flight_counter: int | None = None   # HK cmd_counter: the flight's last accepted counter
        self._seq = 0

    # ---- downlink -------------------------------------------------------------------
    def feed(self, data: bytes, now_s: float | None = None) -> list[dict]:
        """Downlink bytes (any chunking) -> the packets they completed, decoded; state updated.

        ``now_s`` (the caller's clock) stamps ack arrivals; it does not time anything out
        (``tick`` does).
        """
        packets = self._decoder.feed(bytes(data))
        for p in packets:
            self._on_packet(p, now_s)
        return packets

    def eof(self, now_s: float | None = None) -> list[dict]:
        """End of the downlink stream: a partial packet is counted as rejected."""
        packets = self._decoder.eof()
        for p in packets:
            self._on_packet(p, now_s)
        return packets

    def _on_packet(self, p: dict, now_s) -> None:
        kind = p["kind"]
        self.packets_by_kind[kind] = self.packets_by_kind.get(kind, 0) + 1
        if kind == "hk":
            self._on_hk(p, now_s)
        elif kind == "event":
            self._log(p["data"] if isinstance(p["data"], dict) else {"message": str(p["data"])}, p["t_s"])
        elif kind == "ack":
            self._on_ack(p["data"], p["t_s"], now_s)
        elif kind == "beacon":
            self.last_beacon = p["data"] if isinstance(p["data"], dict) else {"report": p["data"]}

    def _on_hk(self, p: dict, now_s) -> None:
        t = p["t_s"]
        self.hk_t_s, self.hk_rx_s = t, now_s
        for name, value in p["data"].items():
            ch = self.channels.get(name)
            if ch is None:
                continue
            c = self._channel_defs[name]
            ch.value, ch.t_s = value, t
            if value is None or _is_nan(value):
                ch.limit = "unknown"
            elif c.limits is None:
                ch.limit = "none"
            else:
                ch.limit = c.limits.state(value)
            if c.bits is not None and isinstance(value, int):
                ch.labels = [lab for i, lab in enumerate(c.bits) if value >> i & 1]
        fc = p["data"].get("cmd_counter")
        if isinstance(fc, int) and not isinstance(fc, bool):
            self.flight_counter = fc
            if self.sync_counter and self._signer.counter < fc <= MAX_COUNTER:
                # HK is not authenticated: a forged cmd_counter must not exhaust the
                # counter space. Follow the flight only by plausible steps, and never
                # into the last SYNC_RESERVE counters.
                jump = fc - self._signer.counter
                if jump <= MAX_SYNC_JUMP and fc <= MAX_COUNTER - SYNC_RESERVE:
                    self._signer.counter = fc
                else:
                    self.refused_syncs += 1

    def _log(self, ev: dict, t_s) -> None:
        entry = {"t_s": ev.get("t_s", t_s), "severity": str(ev.get("severity", "")), "name": str(ev.get("name", "")),
                 "message": str(ev.get("message", "")), "data": ev.get("data") or {}}
        if len(self.events) == self.events.maxlen:
            self.events_dropped += 1
        self.events.append(entry)
        d = entry["data"] if isinstance(entry["data"], dict) else {}
        if entry["name"] == "SPLASH_FORECAST" and _is_num(d.get("lat_deg")) and _is_num(d.get("lon_deg")):
            self.forecast = {"t_s": entry["t_s"], "lat_deg": d["lat_deg"], "lon_deg": d["lon_deg"],
                             "miss_km": d.get("miss_km") if _is_num(d.get("miss_km")) else None,
                             "splash_t_s": d.get("splash_t_s") if _is_num(d.get("splash_t_s")) else None}
        elif entry["name"] == "BEACON_SENT" and _is_num(d.get("lat_deg")) and _is_num(d.get("lon_deg")):
            self.beacon_fix = {"t_s": entry["t_s"], "lat_deg": d["lat_deg"], "lon_deg": d["lon_deg"],
                               "source": str(d.get("source", "")), "kind": str(d.get("kind", "")),
                               "age_s": d.get("age_s") if _is_num(d.get("age_s")) else None}

    def recovery(self) -> dict:
        """The recovery view: forecast splash point (its miss from the target as the flight
        computed it) and the last beaconed position with its distance from the forecast, km."""
        out = {"forecast": self.forecast, "beacon": self.beacon_fix, "beacon_from_forecast_km": None}
        f, b = self.forecast, self.beacon_fix
        if f is not None and b is not None:
            out["beacon_from_forecast_km"] = great_circle_km(f["lat_deg"], f["lon_deg"], b["lat_deg"], b["lon_deg"])
        return out

    def recovery_text(self) -> str:
        """One line for the displays."""
        r = self.recovery()
        f, b = r["forecast"], r["beacon"]
        parts = []
        if f is None:
            parts.append("recovery forecast: none yet")
        else:
            miss = "" if f["miss_km"] is None else f", {f['miss_km']:.1f} km from the target"
            parts.append(f"recovery forecast: {f['lat_deg']:.4f}, {f['lon_deg']:.4f}{miss}")
        if b is not None:
            far = "" if r["beacon_from_forecast_km"] is None else f", {r['beacon_from_forecast_km']:.1f} km from the forecast"
            what = ", ".join(x for x in (b.get("kind"), b["source"]) if x)
            age = "" if b.get("age_s") is None else f" ({b['age_s']:.0f} s old)"
            parts.append(f"beacon ({what}) {b['lat_deg']:.4f}, {b['lon_deg']:.4f}{age}{far}")
        return "; ".join(parts)

    # ---- acknowledgements -----------------------------------------------------------
    def _on_ack(self, a: dict, t_s, now_s) -> None:
        status, reason = a.get("status"), a.get("reason") or ""
        ack = {"status": status, "reason": str(reason), "t_s": t_s, "rx_s": now_s}
        rec, how = self._match(a, status)
        if rec is None:
            self.unmatched_acks.append({**ack, "command_id": a.get("command_id"), "command": a.get("command"),
                                        "counter": a.get("counter")})
            self._log({"t_s": t_s, "severity": "WARNING_LO", "name": "GROUND_UNMATCHED_ACK",
                       "message": f"{status} for command {a.get('command') or a.get('command_id')} counter "
                                  f"{a.get('counter')} matches no command sent: {reason}"}, t_s)
            return
        rec.acks.append(ack)
        if rec.matched_by is None:
            rec.matched_by = how
        self._apply(rec, status, str(reason), now_s)

    def _match(self, a: dict, status):
        counter, cid = a.get("counter") or 0, a.get("command_id")
        if counter:
            for rec in reversed(self.commands):
                if rec.counter == counter:
                    return rec, "counter"
            return None, None
        waiting = [r for r in self.commands if not r.acks]
        if cid is not None and cid != UNKNOWN_COMMAND_ID:
            for rec in waiting:
                if rec.command_id == cid:
                    return rec, "command_id"
            return None, None
        if status == "REJECTED" and len(waiting) == 1:
            return waiting[0], "only_pending"
        return None, None

    @staticmethod
    def _apply(rec: CommandRecord, status, reason: str, now_s) -> None:
        if rec.status in (REJECTED, COMPLETED):
            return  # final: a duplicate or out-of-order ack is kept in rec.acks only
        late = rec.status == TIMED_OUT
        if status == "ACCEPTED":
            if rec.status == SENT:
                rec.status, rec.updated_s = ACCEPTED, now_s
            return
        if status == "COMPLETED":
            rec.status, rec.reason = COMPLETED, ""
        elif status == "REJECTED":
            rec.status, rec.reason = REJECTED, reason or "rejected (no reason given)"
        else:
            return
        rec.updated_s, rec.late = now_s, late

    def tick(self, now_s: float) -> list[CommandRecord]:
        """Time out commands without a terminal ack ``timeout_s`` after sending; returns the ones timed out now."""
        out = []
        for rec in self.commands:
            if rec.status in (SENT, ACCEPTED) and now_s - rec.sent_s >= rec.timeout_s:
                was = rec.status
                rec.status, rec.updated_s = TIMED_OUT, now_s
                rec.reason = (f"no ack within {rec.timeout_s:g} s" if was == SENT
                              else f"accepted, no completion within {rec.timeout_s:g} s")
                out.append(rec)
        return out

    def abandon(self, reason: str, now_s: float | None = None) -> list[CommandRecord]:
        """The link is gone: every command still waiting times out now with ``reason``."""
        out = []
        for rec in self.commands:
            if rec.status in (SENT, ACCEPTED):
                rec.status, rec.reason, rec.updated_s = TIMED_OUT, reason, now_s
                out.append(rec)
        return out

    # ---- uplink ---------------------------------------------------------------------
    @staticmethod
    def validate(name, args: dict | None = None) -> tuple[str, dict]:
        """(name, args) checked against the dictionary; ``CommandError`` if refused."""
        if not isinstance(name, str) or name not in DICTIONARY:
            raise CommandError(str(name), "", f"unknown command; expected one of {', '.join(DICTIONARY)}")
        if args is not None and not isinstance(args, dict):
            raise CommandError(name, "args", f"expected a mapping, got {type(args).__name__}")
        try:
            validate_command(name, args or {})
        except ConfigError as exc:
            raise CommandError(name, exc.path, exc.problem) from None
        if name not in COMMAND_IDS:
            raise CommandError(name, "", "has no command id on the link")
        return name, dict(args or {})

    def command(self, name: str, args: dict | None = None, now_s: float = 0.0, *,
                timeout_s: float | None = None) -> bytes:
        """Validate, sign and frame one command; record it as sent. Returns the bytes to write.

        Raises ``CommandError`` (nothing recorded, counter unchanged) if the dictionary refuses it.
        The caller must write the returned bytes: the counter is consumed.
        """
        name, args = self.validate(name, args)
        try:
            packet = self._signer.sign(name, args, validate=False)
        except ValueError as exc:  # counter exhausted, packet too long
            raise CommandError(name, "", str(exc)) from None
        self._seq += 1
        self.commands.append(CommandRecord(self._seq, name, args, COMMAND_IDS[name], self._signer.counter,
                                           float(now_s), float(timeout_s or self.ack_timeout_s)))
        data = frame(packet)
        self.bytes_out += len(data)
        self.commands_sent += 1
        return data

    @property
    def counter(self) -> int:
        """The last anti-replay counter used (persist it with the key)."""
        return self._signer.counter

    # ---- views ----------------------------------------------------------------------
    @property
    def pending(self) -> list[CommandRecord]:
        return [r for r in self.commands if not r.final]

    def link_stats(self) -> dict:
        d = self._decoder
        return {
            "bytes_in": d.deframer.bytes_in,
            "bytes_out": self.bytes_out,
            "packets": d.packets,
            "packets_by_kind": dict(self.packets_by_kind),
            "frame_rejects": {k: v for k, v in d.deframer.rejects.items() if v},
            "bytes_discarded": d.deframer.bytes_discarded,
            "decode_errors": d.errors,
            "seq_gaps": {(APID_TABLE[a].name if a in APID_TABLE else f"{a:#05x}"): n
                         for a, n in sorted(d.seq_gaps.items())},
            "commands_sent": self.commands_sent,
            "unmatched_acks": len(self.unmatched_acks),
            "events_dropped": self.events_dropped,
            "counter": self.counter,
            "flight_counter": self.flight_counter,
        }

    def telemetry(self) -> dict:
        return {"t_s": self.hk_t_s, "channels": {n: c.to_json() for n, c in self.channels.items()}}

    def snapshot(self) -> dict:
        """Everything, as strict-JSON-able data."""
        return {"telemetry": self.telemetry(), "events": json_safe(list(self.events)),
                "commands": [r.to_json() for r in self.commands], "link": json_safe(self.link_stats()),
                "beacon": json_safe(self.last_beacon), "recovery": json_safe(self.recovery())}

    def json_lines(self) -> list[dict]:
        """The state as JSON-lines records: telemetry, each event, each command, link."""
        out = [{"type": "telemetry", **json_safe(self.telemetry())}]
        out += [{"type": "event", **json_safe(e)} for e in self.events]
        out += [{"type": "command", **r.to_json()} for r in self.commands]
        out.append({"type": "link", **json_safe(self.link_stats())})
        if self.last_beacon is not None:
            out.append({"type": "beacon", "report": json_safe(self.last_beacon)})
        if self.forecast is not None or self.beacon_fix is not None:
            out.append({"type": "recovery", **json_safe(self.recovery())})
        return out
