"""``elsrs ground``: the ground console (live telemetry, events, authenticated commands).

- ``session``: ``GroundSession``, the sans-IO core (downlink bytes in, state out;
  commands in, signed framed bytes out; the caller's clock).
- ``cmdline``: the operator's command syntax ``NAME key=value ...``.
- ``view``: the screen as text (ANSI colours), a pure function of the session.
- ``console``: the live full-screen console (keyboard model + terminal shell).
- ``batch``: the non-interactive mode (``--send ... --wait-ack S --print-json``).
- ``transport``: port (pyserial URLs), key and counter-file handling.

The CLI glue is ``tools.cmd_ground``.
"""
from tools.ground.cmdline import parse_command_line, parse_value
from tools.ground.session import CommandError, CommandRecord, ChannelValue, GroundSession

__all__ = ["GroundSession", "CommandError", "CommandRecord", "ChannelValue", "parse_command_line", "parse_value"]
