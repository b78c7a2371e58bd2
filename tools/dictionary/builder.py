"""``build()``: the dictionary model assembled from the flight code.

Commands (``commands``), packets (``packets``), events (``events``) and the
parameters ``SET_PARAM`` takes: ``fsw.schema.describe(fsw.mission_schema.PARAMS)``.
"""
from __future__ import annotations

from tools.dictionary.commands import _commands
from tools.dictionary.events import _event_keys, _scan_events
from tools.dictionary.model import Dictionary
from tools.dictionary.packets import _packets

__all__ = ["build"]


def build() -> Dictionary:
    """The dictionary, from the flight code."""
    from fsw.events import Severity
    from fsw.mission_schema import PARAMS
    from fsw.phases import Phase
    from fsw.schema import describe
    keys = _event_keys()
    events, unresolved = _scan_events()
    params = []
    for row in describe(PARAMS):
        row = dict(row)
        for k, v in row.items():
            if isinstance(v, tuple):
                row[k] = list(v)
        params.append(row)
    return Dictionary(
        commands=_commands(), packets=_packets(keys), events=events, event_keys=keys,
        event_unresolved=unresolved, severities=tuple((s.name, int(s)) for s in Severity),
        phases=tuple(p.value for p in Phase), parameters=params,
        notes={"events": "names found by scanning fsw/**/*.py for .emit(Severity.X, \"NAME\" ...) "
                         "(including 'A if c else B' forms), plus fsw.events.THROTTLE_EVENT_NAME",
               "command_args": "sent as one CBOR map {name: value} in the TC_ARGS field"})
