"""Command dispatcher task (10 Hz): authenticated uplink to executed commands.

Requirements
1. Commands arrive as framed, HMAC-authenticated CCSDS TC packets on the link
   byte stream (fsw.link.CommandReceiver); the anti-replay counter is persisted
   in NV memory after every accepted command, so a replay is refused across a
   processor reset too.
2. Every received command is acknowledged by an event and an ACK packet:
   accepted then completed, or rejected with the reason (bad frame, bad MAC,
   replay, unknown name, bad argument, wrong phase, refused by the component).
   A rejected command never executes.
3. Each command is checked against the dictionary (fsw.commands) for its
   arguments and the phases it may run in; a command refused in SAFE says so
   and what to do. Safety is enforced below this layer too (PyroManager, the
   board's hardware arm): no command can fire a pyro or the engine while
   attached, and PYRO_FIRE obeys the channel's phases and envelope unless its
   authenticated ``override`` argument is true (recorded by the PyroManager).
4. The anti-replay counter lives in the critical state store.
"""
from __future__ import annotations

from fsw.commands import DICTIONARY, validate_command
from fsw.events import Severity
from fsw.link import CommandAccepted, CommandReceiver, RejectReason
from fsw.phases import Phase, Trigger
from fsw.schema import ConfigError

#: Store key of the last accepted anti-replay counter.
STORE_COUNTER = "link.counter"
#: Rejections decided before the MAC is checked carry nothing trustworthy (anyone can
#: send garbage): they are counted and reported as (throttled) events, never acknowledged,
#: so junk on the uplink cannot spend the downlink on acknowledgements.
_UNAUTHENTICATED = frozenset({RejectReason.BAD_FRAME, RejectReason.NOT_TC, RejectReason.WRONG_APID,
                              RejectReason.BAD_MAC, RejectReason.MALFORMED})


class CommandTask:
    name = "commands"
    PARAMS = ()

    def __init__(self, ctx, period_s: float, *, deorbit, nav, recorder, downlink, link_key: bytes):
        # ``deorbit`` and ``nav`` are ports: the component, or a function returning the live one
        # (fault protection may rebuild a task; commands must reach the running instance).
        self.ctx, self._deorbit, self._nav, self.recorder, self.downlink = ctx, deorbit, nav, recorder, downlink
        saved = ctx.store.get(STORE_COUNTER)
        try:
            self.receiver = CommandReceiver(link_key, saved or 0)
        except (TypeError, ValueError) as exc:
            # A corrupt NV counter must not stop the flight software: commanding restarts
            # from the highest counter representable, so nothing old can be replayed; the
            # ground must re-key (FATAL event).
            ctx.events.emit(Severity.FATAL, "LINK_COUNTER_CORRUPT", f"NV counter {saved!r}: {exc}")
            self.receiver = CommandReceiver(link_key, 0xFFFFFFFF)
        self.accepted = 0
        self.rejected = 0
        self.link_rejects = 0

    @property
    def deorbit(self):
        return self._deorbit() if callable(self._deorbit) else self._deorbit

    @property
    def nav(self):
        return self._nav() if callable(self._nav) else self._nav

    def run(self, t_s: float) -> None:
        data = self.ctx.hal.link.read()
        if not data:
            return
        before = self.receiver.last_counter
        events = self.receiver.feed(data)
        if self.receiver.last_counter != before:
            # Every counter the receiver spent (also on commands it then refused) is
            # persisted before anything executes, so nothing is replayable after a reset.
            self.ctx.store.put(STORE_COUNTER, self.receiver.last_counter)
        for ev in events:
            if isinstance(ev, CommandAccepted):
                self.execute(ev.name, ev.args, ev.counter)
            elif ev.reason_code in _UNAUTHENTICATED:
                self.link_rejects += 1
                self.rejected += 1
                self.ctx.events.emit(Severity.WARNING_LO, "LINK_FRAME_REJECTED",
                                     f"{ev.reason_code.value}: {ev.detail}", reason=ev.reason_code.value)
            else:
                self._reject(ev.command_id, f"{ev.reason_code.value}: {ev.detail}", ev.counter)

    def _reject(self, name, why: str, counter: int | None = None) -> None:
        """Count, report and acknowledge a refusal; ``name`` is a name, a command id or None."""
        self.rejected += 1
        label = str(name)[:40]
        self.ctx.events.emit(Severity.WARNING_LO, "CMD_REJECTED", f"{label}: {why}", command=label, why=why)
        known = isinstance(name, int) or name in DICTIONARY
        self.downlink.ack(name if known else None, counter, "REJECTED", why)

    def execute(self, name: str, args: dict | None, counter: int | None = None) -> bool:
        """Validate and run one command; True when it completed."""
        try:
            a = validate_command(name, args)
        except ConfigError as exc:
            self._reject(name, str(exc), counter)
            return False
        ph = self.ctx.phases.phase
        if ph not in DICTIONARY[name].phases:
            hint = " (SAFE: RESUME first)" if ph is Phase.SAFE and Phase.SEPARATED in DICTIONARY[name].phases else ""
            self._reject(name, f"not allowed in {ph.value}{hint}", counter)
            return False
        self.accepted += 1
        self.ctx.events.emit(Severity.ACTIVITY_LO, "CMD_ACCEPTED", name, command=name)
        self.downlink.ack(name, counter, "ACCEPTED")
        try:
            why = getattr(self, "_cmd_" + name.lower())(a)
        except Exception as exc:  # noqa: BLE001 - a handler fault must not escape into the scheduler
            why = f"internal error: {type(exc).__name__}: {exc}"
        if why:
            self._reject(name, why, counter)
            return False
        self.ctx.events.emit(Severity.ACTIVITY_LO, "CMD_COMPLETED", name, command=name)
        self.downlink.ack(name, counter, "COMPLETED")
        return True

    # ---- handlers: return None on success, else the reason ---------------------------
    def _cmd_noop(self, a):
        return None

    def _cmd_release(self, a):
        self.ctx.hal.station.release()
        return None

    def _cmd_deorbit_go(self, a):
        if self.deorbit is None:
            return "minimal safe configuration: no deorbit logic (power-on reset needed)"
        return self.deorbit.deorbit_go(a["ignition_t_s"])

    def _cmd_abort(self, a):
        if self.deorbit is not None:
            self.deorbit.abort(a["reason"])
            return None
        return None if self.ctx.phases.request(Trigger.ABORT, a["reason"]) else "phase refused"

    def _cmd_safe(self, a):
        # Engine and arm relays are made safe by the SAFE entry actions (fsw.safe_mode).
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
        if self.ctx.hal.station.attached() or self.ctx.phases.phase is Phase.ATTACHED:
            return "attached to the station"
        if self.ctx.phases.phase is Phase.SAFE:
            return "refused in SAFE: RESUME first"
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
        why = self.ctx.pyro.check(a["channel"], a["override"])
        if why is not None:
            self.ctx.pyro.fire(a["channel"], "command", a["override"])     # counted and evented as refused
            return f"refused: {why}"
        return None if self.ctx.pyro.fire(a["channel"], "command", a["override"]) else "pulse not confirmed"

    def _cmd_dump_recorder(self, a):
        events = self.ctx.events

        def done(n: int) -> None:
            events.emit(Severity.ACTIVITY_LO, "RECORDER_DUMPED", f"{n} records downlinked", records=n)
        if not self.downlink.start_dump(self.recorder.iter_records(), done):
            return "a dump is already in progress"
        return None

    def _cmd_state_vector(self, a):
        return self.nav.initialise(a["r_eci_m"], a["v_eci_mps"], a["q_body_eci"])

    def telemetry(self) -> dict:
        return {"cmd_accepted": self.accepted, "cmd_rejected": self.rejected,
                "cmd_counter": self.receiver.last_counter, "link_rejects": self.link_rejects}
