"""Schema leaves: the nodes that check one value (`Num`, `Bool`, `Str`, `Vec`, `Any_`, `Custom`).

Import them from `fsw.schema`, which re-exports them.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fsw.schema_base import ConfigError, Schema, _did_you_mean


def _fmt(x: float) -> str:
    """Format a limit: 5.0 -> '5', 0.1 -> '0.1'."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


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
