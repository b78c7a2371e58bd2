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
"""

from __future__ import annotations

import copy
import difflib
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Sentinel default: the key must be present."""


class ConfigError(ValueError):
    """A configuration problem, rendered on one line as ``source: path: problem``."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(source, path, problem)
        self.source = _one_line(str(source))
        self.path = _one_line(path)
        self.problem = _one_line(problem)

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.path, self.problem) if part)

    def with_source(self, source: str) -> ConfigError:
        """Return a copy of this error naming `source` as the file."""
        return type(self)(source, self.path, self.problem)


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def show_value(value: Any) -> str:
    """Render a config value for an error message, short and on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        text = repr(list(value))
        return text if len(text) <= 40 else f"a list of {len(value)} items"
    if isinstance(value, (str, numbers.Number)):
        text = repr(value)
    else:
        text = f"{value} ({type(value).__name__})"
    return text if len(text) <= 60 else text[:57] + "..."


def _fmt(x: float) -> str:
    """Format a limit: 5.0 -> '5', 0.1 -> '0.1'."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _join(path: str, key: Any) -> str:
    """Append a mapping key to a path: 'a.b', or "a['odd.key']" for odd keys."""
    if isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_-]+|\*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _did_you_mean(word: Any, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1) if isinstance(word, str) else []
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass
class Schema:
    """Base of all schema nodes; subclasses implement `_check` and `expectation`."""

    doc: str = field(default="", kw_only=True)
    default: Any = field(default=REQUIRED, kw_only=True)
    type_name = "any"  # short type for `describe`

    def __post_init__(self) -> None:
        if self.default is not REQUIRED and self.default is not None:
            try:
                self.default = self._check(self.default, "")
            except ConfigError as exc:
                raise ValueError(f"invalid default for {type(self).__name__}: {exc}") from None

    @property
    def required(self) -> bool:
        """True if the key must be present."""
        return self.default is REQUIRED

    def default_value(self) -> Any:
        """A fresh copy of the (normalised) default."""
        return copy.deepcopy(self.default)

    def validate(self, value: Any, path: str = "") -> Any:
        """Check `value` and return it normalised; raise ConfigError naming `path`."""
        if value is None and self.default is None:
            return None
        return self._check(value, path)

    def lookup(self, dotted: str) -> Schema:
        """Return the node at a field path like 'chute.drogue.cd' or 'faults[0].kind'.

        Raises ConfigError (path = the part that matched) for an unknown path.
        """
        node: Schema = self
        for kind, segment, end in _split_path(dotted):
            node = _child(node, kind, segment, dotted[:end])
        return node

    def expectation(self) -> str:
        """What a valid value looks like: 'a number > 0 (kg)'."""
        return "any value"

    def _check(self, value: Any, path: str) -> Any:
        return value

    def _fail(self, value: Any, path: str, extra: str = "") -> NoReturn:
        raise ConfigError("", path, f"expected {self.expectation()}, got {show_value(value)}{extra}")


# -- leaves ----------------------------------------------------------------
def _is_finite(x: numbers.Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too big for a float
        return False


@dataclass
class Num(Schema):
    """A finite int/float (never bool or str) with a unit and optional limits.

    Returns float, or int when `integer` (then an int is required, not 2.0).
    Use unit "" for dimensionless values.
    """

    unit: str
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    integer: bool = False

    @property
    def type_name(self) -> str:
        return "integer" if self.integer else "number"

    def _check(self, value: Any, path: str) -> float | int:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if ok and self.integer:
            ok = isinstance(value, numbers.Integral)
        elif ok:
            ok = _is_finite(value)
        if not ok or not self._in_range(value):
            self._fail(value, path)
        return int(value) if self.integer else float(value)

    def _in_range(self, x: float) -> bool:
        lo, hi = self.min, self.max
        if lo is not None and (x < lo or (self.min_exclusive and x == lo)):
            return False
        return hi is None or not (x > hi or (self.max_exclusive and x == hi))

    def range_text(self) -> str:
        """'in [0, 5]', '> 0', '<= 10' or ''."""
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            left = "(" if self.min_exclusive else "["
            right = ")" if self.max_exclusive else "]"
            return f"in {left}{_fmt(lo)}, {_fmt(hi)}{right}"
        if lo is not None:
            return f"{'>' if self.min_exclusive else '>='} {_fmt(lo)}"
        if hi is not None:
            return f"{'<' if self.max_exclusive else '<='} {_fmt(hi)}"
        return ""

    def expectation(self) -> str:
        words = ["an integer" if self.integer else "a number", self.range_text()]
        words.append(f"({self.unit})" if self.unit else "")
        return " ".join(w for w in words if w)


@dataclass
class Bool(Schema):
    """true or false; nothing else (not 0/1, not strings)."""

    type_name = "bool"

    def _check(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self._fail(value, path)
        return value

    def expectation(self) -> str:
        return "true or false"


@dataclass
class Str(Schema):
    """A string, optionally one of `choices` and/or fully matching `pattern`."""

    choices: Sequence[str] | None = None
    pattern: str | None = None

    def __post_init__(self) -> None:
        self.choices = tuple(self.choices) if self.choices is not None else None
        self._regex = re.compile(self.pattern) if self.pattern is not None else None
        super().__post_init__()

    @property
    def type_name(self) -> str:
        return "string" if self.choices is None else "one of: " + ", ".join(self.choices)

    def _check(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            self._fail(value, path)
        if self.choices is not None and value not in self.choices:
            self._fail(value, path, _did_you_mean(value, self.choices))
        if self._regex is not None and not self._regex.fullmatch(value):
            self._fail(value, path)
        return value

    def expectation(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(self.choices)
        if self.pattern is not None:
            return f"a string matching {self.pattern!r}"
        return "a string"


@dataclass
class Vec(Schema):
    """Exactly `n` numbers, each within [min, max]; returns a tuple of floats."""

    n: int
    unit: str
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        self.element = Num(self.unit, self.min, self.max)
        super().__post_init__()

    @property
    def type_name(self) -> str:
        return f"vector[{self.n}]"

    def _check(self, value: Any, path: str) -> tuple[float, ...]:
        if not isinstance(value, (list, tuple)) or len(value) != self.n:
            self._fail(value, path)
        return tuple(self.element.validate(x, f"{path}[{i}]") for i, x in enumerate(value))

    def expectation(self) -> str:
        return f"a list of {self.n} numbers" + (f" ({self.unit})" if self.unit else "")


@dataclass
class Any_(Schema):
    """Any value, passed through unchanged."""


@dataclass
class Custom(Schema):
    """A leaf checked by ``fn(value) -> normalised``; ValueError/TypeError means invalid.

    `expected` describes a valid value for the message: 'expected {expected}, got ...'.
    """

    fn: Callable[[Any], Any]
    expected: str

    @property
    def type_name(self) -> str:
        return self.expected

    def _check(self, value: Any, path: str) -> Any:
        try:
            return self.fn(value)
        except ConfigError as exc:  # a nested problem: keep its sub-path
            sep = "." if path and exc.path and not exc.path.startswith("[") else ""
            raise ConfigError("", path + sep + exc.path, exc.problem) from None
        except (ValueError, TypeError) as exc:
            self._fail(value, path, f" ({exc})" if str(exc) else "")

    def expectation(self) -> str:
        return self.expected


# -- containers ------------------------------------------------------------
@dataclass
class Struct(Schema):
    """A mapping with exactly these keys; absent optional keys get their defaults."""

    fields: Mapping[str, Schema]
    type_name = "mapping"

    def __post_init__(self) -> None:
        self.fields = dict(self.fields)
        for name, node in self.fields.items():
            if not isinstance(node, Schema):
                raise TypeError(f"Struct field {name!r} must be a schema node, got {node!r}")
        super().__post_init__()

    def _check(self, value: Any, path: str) -> dict:
        if not isinstance(value, Mapping):
            self._fail(value, path)
        for key in value:
            if key not in self.fields:
                raise ConfigError("", path, self.unknown("key", key))
        out = {}
        for name, node in self.fields.items():
            if name in value:
                out[name] = node.validate(value[name], _join(path, name))
            elif node.required:
                raise ConfigError("", path, f"missing required key {name!r}")
            else:
                out[name] = node.default_value()
        return out

    def unknown(self, noun: str, key: Any) -> str:
        """Message for a key that is not a field."""
        allowed = ", ".join(self.fields)
        hint = _did_you_mean(key, list(self.fields))
        return f"unknown {noun} {show_value(key)} (expected one of: {allowed}){hint}"

    def expectation(self) -> str:
        return "a mapping"


@dataclass
class OneOf(Schema):
    """A tagged union: the value of key `tag` selects which `Struct` variant applies.

    A variant that does not declare the tag field gets ``Str(choices=[name])``.
    """

    tag: str
    variants: Mapping[str, Struct]

    def __post_init__(self) -> None:
        self.variants = {name: self._with_tag(name, v) for name, v in self.variants.items()}
        super().__post_init__()

    def _with_tag(self, name: str, variant: Struct) -> Struct:
        if not isinstance(variant, Struct):
            raise TypeError(f"OneOf variant {name!r} must be a Struct")
        if self.tag in variant.fields:
            return variant
        tag_field = Str(choices=[name], doc=f"selects the {name!r} variant")
        return Struct({self.tag: tag_field, **variant.fields}, doc=variant.doc)

    @property
    def type_name(self) -> str:
        return "one of: " + ", ".join(self.variants)

    def _check(self, value: Any, path: str) -> dict:
        if not isinstance(value, Mapping):
            self._fail(value, path)
        choices = "expected one of " + ", ".join(self.variants)
        if self.tag not in value:
            raise ConfigError("", path, f"missing required key {self.tag!r} ({choices})")
        kind = value[self.tag]
        if not isinstance(kind, str) or kind not in self.variants:
            hint = _did_you_mean(kind, list(self.variants))
            raise ConfigError("", _join(path, self.tag), f"{choices}, got {show_value(kind)}{hint}")
        return self.variants[kind].validate(value, path)

    def expectation(self) -> str:
        return f"a mapping with {self.tag!r} one of " + ", ".join(self.variants)


@dataclass
class ListOf(Schema):
    """A list whose items all match `item`, with min_len <= length <= max_len."""

    item: Schema
    min_len: int = 0
    max_len: int | None = None

    @property
    def type_name(self) -> str:
        return f"list of {self.item.type_name}"

    def _check(self, value: Any, path: str) -> list:
        if not isinstance(value, (list, tuple)):
            self._fail(value, path)
        n = len(value)
        if n < self.min_len or (self.max_len is not None and n > self.max_len):
            raise ConfigError("", path, f"expected {self._length_text()}, got {n}")
        return [self.item.validate(x, f"{path}[{i}]") for i, x in enumerate(value)]

    def _length_text(self) -> str:
        if self.max_len is None:
            return f"a list of at least {self.min_len} items"
        if self.max_len == self.min_len:
            return f"a list of exactly {self.min_len} items"
        return f"a list of {self.min_len} to {self.max_len} items"

    def expectation(self) -> str:
        return "a list"


@dataclass
class MapOf(Schema):
    """A free-form mapping: every key matches `key` (a Str), every value matches `value`."""

    key: Schema
    value: Schema

    @property
    def type_name(self) -> str:
        return f"map of {self.value.type_name}"

    def _check(self, value: Any, path: str) -> dict:
        if not isinstance(value, Mapping):
            self._fail(value, path)
        out = {}
        for key, item in value.items():
            try:
                key = self.key.validate(key, path)
            except ConfigError as exc:
                raise ConfigError("", path, f"bad key {show_value(key)}: {exc.problem}") from None
            out[key] = self.value.validate(item, _join(path, key))
        return out

    def expectation(self) -> str:
        return "a mapping"


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
