"""The console screen as text (pure: session in, lines out; no terminal here).

``render`` lays out, for a ``width`` x ``height`` terminal:

- a status line: link statistics, phase, flight time, anti-replay counter;
- the telemetry table (channel, value, unit), as many columns as fit, each
  value coloured by its limit state (green / yellow / red; dim without data);
- the newest events (coloured by severity);
- the newest commands with their acknowledgement status;
- a message line and the ``>`` prompt with what the operator is typing.

Colours are ANSI SGR codes (``color=False`` for plain text). The console
(``tools.ground.console``) writes the lines; tests read them.
"""
from __future__ import annotations

import math
import re

from tools.ground.session import GroundSession

__all__ = ["render", "format_value", "strip_ansi", "LIMIT_COLORS"]

RESET = "\x1b[0m"
GREEN, YELLOW, RED, DIM, BOLD, REVERSE = "\x1b[32m", "\x1b[1;33m", "\x1b[1;31m", "\x1b[2m", "\x1b[1m", "\x1b[7m"
LIMIT_COLORS = {"green": GREEN, "yellow": YELLOW, "red": RED, "unknown": DIM, "none": ""}
SEVERITY_COLORS = {"FATAL": RED, "WARNING_HI": RED, "WARNING_LO": YELLOW, "DIAGNOSTIC": DIM}
STATUS_COLORS = {"completed": GREEN, "accepted": YELLOW, "sent": YELLOW, "rejected": RED, "timed_out": RED}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

NAME_W, VALUE_W, UNIT_W = 18, 14, 6
CELL_W = NAME_W + 1 + VALUE_W + 1 + UNIT_W
GAP = 3


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def format_value(ch) -> str:
    """A channel's value as table text ('--' without data)."""
    v = ch.value
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "--"
    if ch.labels is not None:
        return ",".join(ch.labels) if ch.labels else "none"
    if isinstance(v, float):
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    return str(v)


def _fit(text: str, width: int, right: bool = False) -> str:
    text = text.replace("\n", " ").replace("\r", " ").replace("\x1b", "?")
    if len(text) > width:
        text = text[:max(0, width - 1)] + "~" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and code else text


def _cell(ch, color: bool) -> str:
    value = _fit(format_value(ch), VALUE_W, right=True)
    return (f"{_fit(ch.name, NAME_W)} {_paint(value, LIMIT_COLORS.get(ch.limit, ''), color)} "
            f"{_fit(ch.unit, UNIT_W)}")


def _t(t) -> str:
    return "--" if t is None else f"{t:.1f}"


def render(session: GroundSession, width: int = 100, height: int = 40, *, title: str = "", input_line: str = "",
           message: str = "", color: bool = True, now_s: float | None = None) -> list[str]:
    """The screen as ``height`` lines of at most ``width`` visible characters.

    ``now_s`` (the caller's clock, as given to ``GroundSession.feed``) shows how old the last HK is.
    """
    width, height = max(40, width), max(12, height)
    s = session.link_stats()
    phase = session.channels["phase"].value
    rej = sum(s["frame_rejects"].values()) + s["decode_errors"]
    gaps = sum(s["seq_gaps"].values())
    age = ""
    if now_s is not None and session.hk_rx_s is not None:
        age = f" (HK {max(0.0, now_s - session.hk_rx_s):.0f} s ago)"
    status = (f" ELS-RS ground {title}  phase {phase or '--'}  t {_t(session.hk_t_s)} s{age}  "
              f"pkts {s['packets']}  rejects {rej}  gaps {gaps}  counter {s['counter']}")
    lines = [_paint(_fit(status, width), REVERSE, color)]
    recovery = session.forecast is not None or session.beacon_fix is not None

    # layout: title, tlm, events header + events, commands header + commands, message, prompt
    chans = list(session.channels.values())
    cols = max(1, (width + GAP) // (CELL_W + GAP))
    tlm_rows = math.ceil(len(chans) / cols)
    spare = height - 1 - 2 - 2 - int(recovery)   # title, message+prompt, two section headers, recovery
    n_cmds = min(len(session.commands), max(2, spare // 5))
    n_events = max(2, spare // 4)
    tlm_show = max(1, min(tlm_rows, spare - n_cmds - n_events))
    n_events = max(0, spare - tlm_show - n_cmds)

    for r in range(tlm_show):
        cells = [_cell(chans[c * tlm_rows + r], color) for c in range(cols) if c * tlm_rows + r < len(chans)]
        lines.append((" " * GAP).join(cells))
    if tlm_show < tlm_rows:
        lines[-1] = _fit(f"... {len(chans) - tlm_show * cols} more channels (enlarge the window)", width)

    if recovery:
        lines.append(_paint(_fit(session.recovery_text(), width), BOLD, color))
    lines.append(_paint(_fit(f"-- events ({len(session.events)}, newest last) ", width, ), BOLD, color))
    events = list(session.events)[-n_events:] if n_events else []
    for e in events:
        text = _fit(f"{_t(e.get('t_s')):>9} {e['severity']:<11} {e['name']:<22} {e['message']}", width)
        lines.append(_paint(text, SEVERITY_COLORS.get(e["severity"], ""), color))
    lines += [""] * (n_events - len(events))

    lines.append(_paint(_fit(f"-- commands ({len(session.commands)}, newest last; "
                             f"ack timeout {session.ack_timeout_s:g} s) ", width), BOLD, color))
    cmds = list(session.commands)[-n_cmds:] if n_cmds else []
    for rec in cmds:
        head = f"{rec.seq:>3} #{rec.counter:<6} {_fit(rec.text, 40)} "
        st = _fit(rec.status + ("*" if rec.late else ""), 10)
        tail = _fit(rec.reason, max(0, width - len(head) - 11))
        lines.append(head + _paint(st, STATUS_COLORS.get(rec.status, ""), color) + " " + tail)
    lines += [""] * (n_cmds - len(cmds))

    lines = lines[:height - 2]
    lines += [""] * (height - 2 - len(lines))
    lines.append(_fit(message, width))
    prompt = "> " + input_line
    lines.append(prompt[-(width - 1):] if len(prompt) >= width else prompt)
    return lines
