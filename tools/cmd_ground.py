"""``elsrs ground``: ground console over a serial port or TCP (tools/ground/).

Interactive (a terminal, no ``--send``/``--listen``/``--print-json``): the live
console. Otherwise the non-interactive mode (``tools.ground.batch``): exit 0
when every ``--send`` command completed, 1 when one was rejected, timed out or
not sent (or the link was lost), 2 for bad usage or input (one line on stderr,
before the port is opened).
"""
from __future__ import annotations

import sys

HELP = "ground console: live telemetry, events, authenticated commands"

_EPILOG = """\
commands: NAME key=value ...  e.g.  NOOP | SET_PARAM name=beacon.period_s value=60 | PYRO_FIRE channel=main
values are JSON when they parse as JSON (60, 1.5, true, null, [1,2,3]) and strings otherwise.
ports: /dev/ttyUSB0, COM3, socket://HOST:PORT (TCP), rfc2217://HOST:PORT, loop://
key: --key-file PATH (raw octets or hex) or $ELSRS_KEY (hex); at least 16 octets."""


def _seconds(text: str, allow_zero: bool) -> float:
    """A finite number of seconds, > 0 (or >= 0 with ``allow_zero``); else an argparse error."""
    import argparse
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (v >= 0 if allow_zero else v > 0) or v == float("inf"):       # NaN fails both comparisons
        raise argparse.ArgumentTypeError(
            f"expected a {'number of seconds >= 0' if allow_zero else 'positive number of seconds'}, got {text!r}")
    return v


def _positive(text: str) -> float:
    return _seconds(text, allow_zero=False)


def _non_negative(text: str) -> float:
    return _seconds(text, allow_zero=True)


def _baud(text: str) -> int:
    import argparse
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer baud rate, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive baud rate, got {text!r}")
    return v


def add_arguments(p) -> None:
    import argparse
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = _EPILOG
    p.add_argument("--port", required=True, metavar="URL",
                   help="serial device or pyserial URL (socket://host:port for TCP)")
    p.add_argument("--baud", type=_baud, default=115200, metavar="N", help="serial line rate (default 115200)")
    p.add_argument("--key-file", metavar="PATH", help="command key: raw octets or hex (else $ELSRS_KEY, hex)")
    p.add_argument("--counter-file", metavar="PATH",
                   help="file holding the last anti-replay counter used; read at start, updated on every send")
    p.add_argument("--send", action="append", default=[], metavar="CMD",
                   help='send this command (repeatable, in order), e.g. --send "SET_PARAM name=x value=1"')
    p.add_argument("--wait-ack", type=_positive, default=10.0, metavar="S",
                   help="seconds to wait for a command's completion before it times out (default 10)")
    p.add_argument("--listen", type=_non_negative, default=0.0, metavar="S",
                   help="non-interactive: keep receiving this many seconds after the commands")
    p.add_argument("--sync", type=_non_negative, default=2.0, metavar="S",
                   help="non-interactive: before sending, wait up to S seconds for an HK packet to learn the "
                        "flight's last accepted counter (default 2; 0 to skip)")
    p.add_argument("--print-json", action="store_true", help="non-interactive: print the state as JSON lines")
    p.add_argument("--no-color", action="store_true", help="no ANSI colours (also when $NO_COLOR is set)")


def run(args) -> int:
    import os

    from fsw.schema import ConfigError
    from tools.ground.cmdline import parse_command_line
    from tools.ground.session import GroundSession
    from tools.ground.transport import load_key, open_port, read_counter, write_counter

    batch = bool(args.send) or args.listen > 0 or args.print_json
    try:
        key = load_key(args.key_file)
        counter = read_counter(args.counter_file)
        session = GroundSession(key, counter=counter, ack_timeout_s=args.wait_ack)
        commands = []
        for text in args.send:
            name, cargs = parse_command_line(text)
            session.validate(name, cargs)
            commands.append((text, name, cargs))
        if not batch and not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise ConfigError("", "", "the live console needs a terminal; for scripts use --send/--listen "
                                      "with --print-json")
        if not batch and os.name != "posix":
            raise ConfigError("", "", "the live console needs a POSIX terminal; use --send/--listen")
        port = open_port(args.port, args.baud, timeout_s=0.05)
    except ConfigError as exc:
        sys.stderr.write(f"elsrs: ground: {exc}\n")
        return 2

    def on_sent(n: int) -> None:
        write_counter(args.counter_file, n)

    try:
        if batch:
            from tools.ground.batch import run_batch
            return run_batch(port, session, commands, wait_ack_s=args.wait_ack, listen_s=args.listen,
                             sync_s=args.sync, print_json=args.print_json, on_sent=on_sent)
        from tools.ground.console import run_interactive
        color = not args.no_color and not os.environ.get("NO_COLOR")
        return run_interactive(port, session, title=args.port, color=color, on_sent=on_sent)
    finally:
        port.close()
