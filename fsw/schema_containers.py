"""Schema containers: `Struct`, `OneOf`, `ListOf` and `MapOf`.

They check mappings and lists and build the field path used in error messages
(``chute.drogue.cd``, ``faults[1].target``).  Import them from `fsw.schema`, which
re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fsw.schema_base import ConfigError, Schema, _did_you_mean, _join, show_value
from fsw.schema_leaves import Str


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
