"""The events of the dictionary: the names the flight code emits, and the EVENT packet's keys.

Names are found by scanning ``fsw/**/*.py`` for ``.emit(Severity.X, "NAME"``
(conditional forms ``A if c else B`` too) plus
``fsw.events.THROTTLE_EVENT_NAME``; emit calls whose name is not a literal are
listed as ``unresolved_sites``. The EVENT packet's CBOR keys come from a sample
event run through ``TelemetryEncoder``/``TelemetryDecoder``.
"""
from __future__ import annotations

import re
from pathlib import Path

from tools.dictionary.model import EventName

_EMIT_SITE = re.compile(r"\.emit\(")
_EMIT = re.compile(
    r"""\.emit\(\s*
        Severity\.(?P<sev1>[A-Z_]+)(?:\s+if\s+[^,]+?\s+else\s+Severity\.(?P<sev2>[A-Z_]+))?\s*,\s*
        "(?P<name1>[A-Z][A-Z0-9_]*)"(?:\s+if\s+[^,]+?\s+else\s+"(?P<name2>[A-Z][A-Z0-9_]*)")?""", re.X)


def _scan_events() -> tuple[tuple[EventName, ...], tuple[str, ...]]:
    """Event names emitted by the flight code (``fsw/``), by scanning its source."""
    import fsw
    from fsw.events import THROTTLE_EVENT_NAME, Severity
    root = Path(fsw.__file__).resolve().parent
    found: dict[str, tuple[set, list]] = {}
    unresolved = []

    def add(name, sev, where):
        sevs, srcs = found.setdefault(name, (set(), []))
        sevs.add(sev)
        srcs.append(where)

    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root.parent).as_posix()
        for site in _EMIT_SITE.finditer(text):
            where = f"{rel}:{text.count(chr(10), 0, site.start()) + 1}"
            m = _EMIT.match(text, site.start())
            if m is None:
                if not re.match(r"\.emit\(self\b", text[site.start():]):  # `def emit(self, ...)`
                    unresolved.append(where)
                continue
            s1, s2 = m["sev1"], m["sev2"] or m["sev1"]
            add(m["name1"], s1, where)
            if m["name2"]:
                add(m["name2"], s2, where)
            elif m["sev2"]:
                add(m["name1"], s2, where)
    add(THROTTLE_EVENT_NAME, Severity.WARNING_LO.name, "fsw/events.py (THROTTLE_EVENT_NAME)")
    order = {s.name: int(s) for s in Severity}
    events = tuple(EventName(n, tuple(sorted(sevs, key=order.__getitem__)), tuple(srcs))
                   for n, (sevs, srcs) in sorted(found.items()))
    return events, tuple(unresolved)


def _event_keys() -> tuple[str, ...]:
    """The EVENT packet's CBOR keys, from a sample event through the codec."""
    from fsw.link.telemetry import TelemetryDecoder, TelemetryEncoder
    pkt = TelemetryEncoder().event(0.0, {"severity": "DIAGNOSTIC", "name": "SAMPLE", "message": "", "data": {}})
    return tuple(TelemetryDecoder().decode(pkt)["data"])
