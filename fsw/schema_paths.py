"""Schema field paths: parsing and lookup (`Schema.lookup`), and `describe` (one row per leaf path).

`describe` is re-exported by `fsw.schema`; import it from there.
"""

from __future__ import annotations

import re

from fsw.schema_base import ConfigError, Schema, _join
from fsw.schema_containers import ListOf, MapOf, OneOf, Struct
from fsw.schema_leaves import Str, Vec


# -- lookup ------------------------------------------------------------------
_SEGMENT = re.compile(r"(?:^|\.)([^.\[\]']+)|\[(\d*|\*)\]|\['([^']*)'\]")


def _split_path(dotted: str) -> list[tuple[str, str, int]]:
    """Split "a.b[2]['x.y']" into (kind, segment, end); kind is 'key' or 'index'."""
    parts, pos = [], 0
    while pos < len(dotted):
        match = _SEGMENT.match(dotted, pos)
        if match is None:
            raise ConfigError("", dotted, "malformed field path")
        name, index, quoted = match.groups()
        kind = "index" if index is not None else "key"
        parts.append((kind, index if index is not None else name or quoted, match.end()))
        pos = match.end()
    return parts


def _child(node: Schema, kind: str, segment: str, here: str) -> Schema:
    """One lookup step: the node under `node` named by `segment`."""
    if kind == "index" and isinstance(node, (ListOf, Vec)):
        if isinstance(node, Vec) and segment.isdigit() and int(segment) >= node.n:
            raise ConfigError("", here, f"index out of range (vector of {node.n})")
        return node.item if isinstance(node, ListOf) else node.element
    if kind == "key" and isinstance(node, MapOf):
        return node.value
    if kind == "key" and isinstance(node, Struct):
        if segment not in node.fields:
            raise ConfigError("", here, node.unknown("field", segment))
        return node.fields[segment]
    if kind == "key" and isinstance(node, OneOf):
        return _variant_child(node, segment, here)
    if kind == "index":
        raise ConfigError("", here, f"no such element [{segment}] (not a list: {node.type_name})")
    raise ConfigError("", here, f"no such field {segment!r} (not a mapping: {node.type_name})")


def _variant_child(node: OneOf, segment: str, here: str) -> Schema:
    """A field of a OneOf: the tag, a variant by name, or a field shared by variants."""
    if segment == node.tag:
        return Str(choices=list(node.variants), doc=node.doc)
    if segment in node.variants:
        return node.variants[segment]
    found = [v.fields[segment] for v in node.variants.values() if segment in v.fields]
    if not found:
        raise ConfigError("", here, f"unknown field {segment!r} (no variant has it)")
    if any(f != found[0] for f in found):
        raise ConfigError("", here, f"field {segment!r} differs between variants;"
                          f" name the variant first, e.g. '<variant>.{segment}'")
    return found[0]


# -- describe ----------------------------------------------------------------
def describe(schema: Schema, path: str = "") -> list[dict]:
    """Flatten `schema` into one row per leaf.

    Row keys: path, type, unit ("-" for dimensionless numbers, "" for
    non-numbers), min, max, default (None if required), required, doc.
    List items appear as ``name[]`` and map values as ``name.*`` when they are
    containers; a list or map of leaves is one row.  Rows for a `OneOf`
    variant's fields have their doc prefixed with ``[tag=variant]``.
    """
    return _rows(schema, path, "")


def _rows(node: Schema, path: str, prefix: str) -> list[dict]:
    if isinstance(node, Struct):
        return [r for name, f in node.fields.items() for r in _rows(f, _join(path, name), prefix)]
    if isinstance(node, OneOf):
        rows = [_row(node, _join(path, node.tag), prefix, node)]
        for name, variant in node.variants.items():
            sub = f"{prefix}[{node.tag}={name}] "
            for field_name, f in variant.fields.items():
                if field_name != node.tag:
                    rows += _rows(f, _join(path, field_name), sub)
        return rows
    inner = None  # the item schema of a list or map
    if isinstance(node, ListOf):
        inner = node.item
    elif isinstance(node, MapOf):
        inner = node.value
    if inner is not None and isinstance(inner, (Struct, OneOf, ListOf, MapOf)):
        sub_path = f"{path}[]" if isinstance(node, ListOf) else _join(path, "*")
        return _rows(inner, sub_path, prefix)
    return [_row(node, path, prefix, node if inner is None else inner)]


def _row(node: Schema, path: str, prefix: str, leaf: Schema) -> dict:
    """A describe row for `node`; unit and limits come from `leaf` (its item for lists)."""
    unit = getattr(leaf, "unit", None)
    return {
        "path": path,
        "type": node.type_name,
        "unit": "" if unit is None else unit or "-",
        "min": getattr(leaf, "min", None),
        "max": getattr(leaf, "max", None),
        "default": None if node.required else node.default,
        "required": node.required,
        "doc": (prefix + (node.doc or leaf.doc)).strip(),
    }
