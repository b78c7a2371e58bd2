"""Flight parameter table (like F Prime's PrmDb): values from mission.yaml ``params``.

Requirements
1. Tasks read parameters by dotted name (``beacon.period_s``) from a flat dict.
2. ``set`` validates the new value against the same schema limits as the file
   and is refused (with the reason) otherwise; an accepted change is persisted
   in NV memory so it survives a processor reset.
"""
from __future__ import annotations

from typing import Any

from fsw.schema import ConfigError, Schema

NV_KEY = "params.overrides"


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    out: dict[str, Any] = {}
    for k, v in tree.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out


class ParamTable:
    """Validated flat parameter values; ``v[name]`` is the fast read path."""

    def __init__(self, values: dict, schema: Schema, nv=None, load_overrides: bool = True):
        """``nv``: the critical state store (get/put); ``load_overrides`` False boots on the
        flight image's own values (the minimal safe configuration), still persisting new ones."""
        self.schema = schema
        self.v: dict[str, Any] = flatten(values)
        self.nv = nv
        if nv is not None and not load_overrides:
            nv.put(NV_KEY, {})
        elif nv is not None:
            for name, value in (nv.get(NV_KEY) or {}).items():
                if name in self.v:
                    self.v[name] = value

    def __getitem__(self, name: str) -> Any:
        return self.v[name]

    def set(self, name: str, value: Any) -> str | None:
        """Change a parameter; returns None when accepted, else the reason."""
        if name not in self.v:
            return f"unknown parameter {name!r}"
        try:
            new = self.schema.lookup(name).validate(value, name)
        except ConfigError as exc:
            return str(exc)
        self.v[name] = new
        if self.nv is not None:
            over = self.nv.get(NV_KEY) or {}
            over[name] = new
            self.nv.put(NV_KEY, over)
        return None
