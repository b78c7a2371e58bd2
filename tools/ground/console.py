"""The live console: a full-screen ANSI view redrawn a few times a second, a command line at the bottom.

Why ANSI and not curses: the screen is a pure function of the session
(``tools.ground.view.render``), so tests check it as text; a full redraw of
a ~50-line screen a few times a second is cheap on any terminal; and it needs
nothing beyond ``termios`` (cbreak mode, no echo) and ``select`` for the
keyboard. curses would add a second screen model, is not in the Windows
standard library, and makes the rendering hard to test outside a terminal.

``ConsoleModel`` is the keyboard logic without I/O: line editing (printable
keys, Backspace, Ctrl-U clears, Up/Down history, Tab completes a command
name), local commands (``help``, ``help NAME``, ``quit``), and confirmation of
hazardous commands (``RELEASE``, ``DEORBIT_GO``, ``ARM``, ``PYRO_FIRE``: the
first Enter only arms the send, a second Enter sends it, anything else cancels).
``run_interactive`` is the thin shell: terminal mode, port reads, redraws.
"""
from __future__ import annotations

import os
import sys
import time

from fsw.commands import DICTIONARY
from tools.ground.cmdline import parse_command_line
from tools.ground.session import CommandError, GroundSession
from tools.ground.view import render

__all__ = ["ConsoleModel", "HAZARDOUS", "run_interactive", "command_help"]

#: Commands that need a second Enter in the interactive console.
HAZARDOUS = frozenset(("RELEASE", "DEORBIT_GO", "ARM", "PYRO_FIRE", "STATE_VECTOR", "SET_PARAM"))


def command_help(name: str | None = None) -> str:
    """One line: every command name, or one command's arguments."""
    if name is None:
        return "commands: " + " ".join(DICTIONARY) + "   (help NAME for its arguments; quit to leave)"
    d = DICTIONARY.get(name.upper())
    if d is None:
        return f"unknown command {name!r}; " + command_help()
    parts = []
    for k, node in d.args.fields.items():
        parts.append(f"{k}=<{node.expectation()}>" if node.required else f"[{k}=<{node.expectation()}>]")
    return f"{d.name} {' '.join(parts)}  - {d.doc}"


class ConsoleModel:
    """Keys in, frames to write out (and what the screen shows below the tables)."""

    def __init__(self, session: GroundSession, hazardous=HAZARDOUS, on_sent=None) -> None:
        self.session = session
        self.hazardous = frozenset(hazardous)
        self.line = ""
        self.message = command_help()
        self.history: list[str] = []
        self.quit = False
        self._hist_pos: int | None = None
        self._esc = ""
        self._confirm: tuple[str, str, dict] | None = None   # (text, name, args) waiting for Enter
        self._on_sent = on_sent

    def keys(self, text: str, now_s: float) -> list[bytes]:
        """Typed characters (escape sequences may be split across calls) -> frames to write."""
        out: list[bytes] = []
        for ch in text:
            if self._esc or ch == "\x1b":
                self._esc += ch
                seq = self._esc
                if seq in ("\x1b", "\x1b[", "\x1bO"):
                    continue
                self._esc = ""
                if seq in ("\x1b[A", "\x1bOA"):
                    self._history(-1)
                elif seq in ("\x1b[B", "\x1bOB"):
                    self._history(+1)
                continue
            if ch in "\r\n":
                out += self.submit(self.line, now_s)
            elif ch in "\x7f\x08":
                self.line = self.line[:-1]
            elif ch == "\x15":
                self.line = ""
            elif ch == "\x04":
                if not self.line:
                    self.quit = True
            elif ch == "\t":
                self._complete()
            elif ch.isprintable():
                self.line += ch
        return out

    def _history(self, step: int) -> None:
        if not self.history:
            return
        pos = len(self.history) if self._hist_pos is None else self._hist_pos
        pos = min(len(self.history), max(0, pos + step))
        self._hist_pos = pos
        self.line = self.history[pos] if pos < len(self.history) else ""

    def _complete(self) -> None:
        if " " in self.line.strip():
            return
        word = self.line.strip().upper()
        names = [n for n in DICTIONARY if n.startswith(word)]
        if len(names) == 1:
            self.line = names[0] + " "
        elif names:
            self.message = " ".join(names)

    def submit(self, text: str, now_s: float) -> list[bytes]:
        """Enter pressed with ``text`` on the line."""
        self.line, self._hist_pos = "", None
        text = text.strip()
        confirm, self._confirm = self._confirm, None
        if confirm is not None and (not text or text == confirm[0]):
            return self._send(*confirm, now_s)
        if confirm is not None:
            self.message = f"cancelled: {confirm[0]}"
        if not text:
            return []
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        word = text.split()[0].lower()
        if word in ("quit", "exit"):
            self.quit = True
            return []
        if word in ("help", "?"):
            rest = text.split()[1:]
            self.message = command_help(rest[0] if rest else None)
            return []
        try:
            name, args = parse_command_line(text)
            self.session.validate(name, args)
        except CommandError as exc:
            self.message = f"not sent: {exc}"
            return []
        if name in self.hazardous:
            self._confirm = (text, name, args)
            self.message = f"{text} is hazardous: press Enter again to send it, anything else cancels"
            return []
        return self._send(text, name, args, now_s)

    def _send(self, text: str, name: str, args: dict, now_s: float) -> list[bytes]:
        try:
            data = self.session.command(name, args, now_s)
        except CommandError as exc:
            self.message = f"not sent: {exc}"
            return []
        self.message = f"sent {text} (counter {self.session.counter})"
        if self._on_sent is not None:
            self._on_sent(self.session.counter)
        return [data]


def run_interactive(port, session: GroundSession, *, title: str = "", color: bool = True,
                    refresh_s: float = 0.25, on_sent=None) -> int:
    """The live console on the controlling terminal until ``quit`` / Ctrl-D / Ctrl-C. Returns 0."""
    import select
    import shutil
    import termios
    import tty

    import serial

    fd = sys.stdin.fileno()
    out = sys.stdout
    model = ConsoleModel(session, on_sent=on_sent)
    saved = termios.tcgetattr(fd)
    t0 = time.monotonic()
    last_draw = -1.0
    dirty = True
    link_error = ""
    port.timeout = 0
    try:
        tty.setcbreak(fd)
        out.write("\x1b[?1049h\x1b[H\x1b[2J")   # alternate screen
        while not model.quit:
            now = time.monotonic() - t0
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                last_draw = -1e9      # echo keys at once
                typed = os.read(fd, 1024).decode("utf-8", "replace")
                for data in model.keys(typed, now):
                    try:
                        port.write(data)
                    except (serial.SerialException, OSError) as exc:
                        link_error = f"link: write failed: {exc}"
                dirty = True
            if not link_error:
                try:
                    data = port.read(4096)
                except (serial.SerialException, OSError) as exc:
                    link_error = f"link lost: {exc}"
                    session.abandon("link lost", now)
                    data = b""
                if data:
                    session.feed(data, now)
                    dirty = True
            if session.tick(now):
                dirty = True
            if dirty and now - last_draw >= refresh_s:
                size = shutil.get_terminal_size((100, 40))
                msg = link_error or model.message
                lines = render(session, size.columns, size.lines, title=title, input_line=model.line,
                               message=msg, color=color, now_s=now)
                out.write("\x1b[H" + "\x1b[K\n".join(lines) + "\x1b[K")
                out.flush()
                last_draw, dirty = now, False
    except KeyboardInterrupt:
        pass
    finally:
        out.write("\x1b[?1049l")
        out.flush()
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return 0
