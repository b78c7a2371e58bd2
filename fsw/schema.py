"""Declarative configuration schema: every tunable with its unit, limits and doc.

A schema is a tree of nodes.  Leaves (`Num`, `Bool`, `Str`, `Vec`, `Any_`,
`Custom`) check one value; containers (`Struct`, `OneOf`, `ListOf`, `MapOf`)
check mappings and lists and build the field path used in error messages
(``chute.drogue.cd``, ``faults[1].target``).

Every node takes two keyword-only arguments:

* ``doc``: the parameter's documentation (shown by `describe`);
* ``default``: `REQUIRED` (the key must be present), a value (used when the
  key is absent; validated and normalised when the schema is built, so a bad
  default fails at import time), or ``None`` (the key is optional: absent
  gives ``None`` and an explicit ``null`` is accepted).

A whole `Struct` is made optional with ``default={}``: validating the empty
mapping at build time fills every field's default (and fails if a field is
required).  `validate` raises `ConfigError` with an empty source; the loader
fills it in.  No I/O happens here.

Layout: `fsw.schema_base` (`ConfigError`, `REQUIRED`, `show_value`, the `Schema`
base), `fsw.schema_leaves`, `fsw.schema_containers` and `fsw.schema_paths`
(field-path lookup and `describe`).  Import from this module, which re-exports
them all.
"""

from fsw.schema_base import REQUIRED, ConfigError, Schema, show_value
from fsw.schema_containers import ListOf, MapOf, OneOf, Struct
from fsw.schema_leaves import Any_, Bool, Custom, Num, Str, Vec
from fsw.schema_paths import describe

__all__ = [
    "REQUIRED", "ConfigError", "Schema", "show_value",
    "Num", "Bool", "Str", "Vec", "Any_", "Custom",
    "Struct", "OneOf", "ListOf", "MapOf",
    "describe",
]
