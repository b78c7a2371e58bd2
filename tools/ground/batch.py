"""Non-interactive ground session for scripts and tests (``elsrs ground --send ... --wait-ack S``).

1. If there are commands and ``sync_s`` > 0: read the downlink until the first
   HK packet (at most ``sync_s``), so the signer continues after the flight's
   last accepted anti-replay counter (HK ``cmd_counter``).
2. Send the commands one at a time, in order; after each, read until it is
   completed, rejected or timed out (``wait_ack_s`` after sending). The first
   one that does not complete stops the script: the rest are reported as
   ``not_sent`` (a later command may depend on it: ARM before PYRO_FIRE).
3. Keep reading for ``listen_s`` more seconds (telemetry, events).
4. Print the state: JSON lines (``print_json``: one ``telemetry`` record, one
   per ``event``, one per ``command``, then ``link``) or a plain-text report.

Exit status: 0 every command completed; 1 one was rejected, timed out or not
sent, or the link was lost.
"""
from __future__ import annotations

import json
import sys
import time

from tools.ground.session import COMPLETED, GroundSession, json_safe
from tools.ground.view import format_value

__all__ = ["run_batch", "text_report"]


def run_batch(port, session: GroundSession, commands: list[tuple[str, str, dict]], *, wait_ack_s: float,
              listen_s: float = 0.0, sync_s: float = 2.0, print_json: bool = False, out=None, err=None,
              clock=time.monotonic, on_sent=None) -> int:
    """``commands``: (text, name, args), already validated. Returns the exit status."""
    import serial

    out = out or sys.stdout
    err = err or sys.stderr
    t0 = clock()
    link_error = ""

    def now() -> float:
        return clock() - t0

    def pump(done, seconds: float) -> None:
        nonlocal link_error
        deadline = now() + seconds
        while not link_error and not done():
            try:
                data = port.read(4096)
            except (serial.SerialException, OSError) as exc:
                link_error = f"link lost: {' '.join(str(exc).split())}"
                session.abandon("link lost", now())
                return
            t = now()
            if data:
                session.feed(data, t)
            session.tick(t)
            if t >= deadline:
                return

    if commands and sync_s > 0:
        pump(lambda: session.hk_t_s is not None, sync_s)
    not_sent: list[tuple[str, str, dict]] = []
    failed = None
    for i, (text, name, args) in enumerate(commands):
        if link_error or failed is not None:
            not_sent = commands[i:]
            break
        data = session.command(name, args, now(), timeout_s=wait_ack_s)
        rec = session.commands[-1]
        if on_sent is not None:
            on_sent(session.counter)
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            link_error = f"link lost: {' '.join(str(exc).split())}"
            session.abandon("link lost: not sent", now())
        pump(lambda: rec.final, wait_ack_s + 1.0)
        if rec.status != COMPLETED:
            failed = rec
    if listen_s > 0 and not link_error:
        pump(lambda: False, listen_s)

    if print_json:
        for rec in session.json_lines():
            out.write(json.dumps(rec, allow_nan=False) + "\n")
        for text, name, args in not_sent:
            out.write(json.dumps({"type": "command", "name": name, "args": json_safe(args), "status": "not_sent",
                                  "reason": "an earlier command did not complete"}, allow_nan=False) + "\n")
    else:
        out.write(text_report(session, not_sent))
    out.flush()

    if link_error:
        err.write(f"elsrs: ground: {link_error}\n")
        return 1
    if failed is not None:
        extra = f"; {len(not_sent)} later command(s) not sent" if not_sent else ""
        err.write(f"elsrs: ground: {failed.text}: {failed.status}: {failed.reason}{extra}\n")
        return 1
    return 0


def text_report(session: GroundSession, not_sent=()) -> str:
    """The state as plain text (no colours): telemetry, events, commands, link."""
    lines = [f"telemetry at t = {'--' if session.hk_t_s is None else format(session.hk_t_s, '.3f')} s"]
    for ch in session.channels.values():
        lines.append(f"  {ch.name:<18} {format_value(ch):>14} {ch.unit:<6} {ch.limit}")
    lines.append(f"events ({len(session.events)})")
    for e in session.events:
        lines.append(f"  {e['t_s']!s:>10} {e['severity']:<11} {e['name']:<22} {e['message']}")
    lines.append(f"commands ({len(session.commands) + len(not_sent)})")
    for rec in session.commands:
        reason = f"  {rec.reason}" if rec.reason else ""
        lines.append(f"  {rec.seq:>3} counter {rec.counter:<6} {rec.text:<40} {rec.status}{reason}")
    for text, _, _ in not_sent:
        lines.append(f"      {'':<14} {text:<40} not_sent")
    if session.forecast is not None or session.beacon_fix is not None:
        lines.append(session.recovery_text())
    s = session.link_stats()
    lines.append(f"link: {s['packets']} packets {s['packets_by_kind']}, frame rejects {s['frame_rejects']}, "
                 f"decode errors {s['decode_errors']}, sequence gaps {s['seq_gaps']}")
    return "\n".join(lines) + "\n"
