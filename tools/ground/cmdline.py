"""Operator command syntax: ``NAME key=value ...`` -> (name, args).

- Words are split like a shell (``shlex``): quote a value with spaces,
  ``ABORT reason="lost lock"``.
- The name is case-insensitive (``noop`` = ``NOOP``).
- A value is read as JSON when it is JSON: numbers (``60``, ``-1.5e3``),
  ``true`` / ``false`` / ``null``, arrays (``r_eci_m=[6771000,0,0]``);
  anything else is a string (``channel=main``, ``name=beacon.period_s``). To
  send a string that looks like a number, quote it for JSON inside shell
  quotes: ``value='"60"'``.

Only the syntax is checked here; the dictionary check is ``GroundSession.validate``.
"""
from __future__ import annotations

import json
import shlex

from tools.ground.session import CommandError

__all__ = ["parse_command_line", "parse_value"]


def _no_constants(name: str):
    raise ValueError(name)


def parse_value(raw: str):
    """One ``key=value`` value: JSON if it parses as JSON (NaN/Infinity excluded), else the text."""
    if raw == "":
        return ""
    if raw[0] in "-0123456789[{\"tfn":
        try:
            return json.loads(raw, parse_constant=_no_constants)
        except ValueError:
            pass
    return raw


def parse_command_line(text: str) -> tuple[str, dict]:
    """``"SET_PARAM name=beacon.period_s value=60"`` -> ``("SET_PARAM", {"name": ..., "value": 60})``.

    ``CommandError`` on a syntax error (unbalanced quote, a word without ``=``, a repeated key).
    """
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise CommandError("", "", f"cannot split {text.strip()!r}: {exc}") from None
    if not words:
        raise CommandError("", "", "empty command line")
    name = words[0].upper()
    args: dict = {}
    for w in words[1:]:
        key, sep, raw = w.partition("=")
        if not sep or not key:
            raise CommandError(name, "", f"expected key=value, got {w!r}")
        if key in args:
            raise CommandError(name, f"args.{key}", "given twice")
        args[key] = parse_value(raw)
    return name, args
