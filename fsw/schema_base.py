"""Schema base: `ConfigError`, the `REQUIRED` sentinel, value rendering and the `Schema` node base.

Everything the concrete node types (`fsw.schema_leaves`, `fsw.schema_containers`)
share: the error they raise, how a value and a field path are shown in a message,
and the base class with `validate`, defaults and `lookup`.  Import these names from
`fsw.schema`, which re-exports them.
"""

from __future__ import annotations

import copy
import difflib
import numbers
import re
from collections.abc import Mapping, Sequence
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
        from fsw.schema_paths import _child, _split_path  # not at the top: schema_paths imports this module

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
