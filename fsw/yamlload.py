"""Load YAML config files strictly, resolve ``extends`` and validate against a schema.

Every failure is a `ConfigError` whose ``str()`` is one complete line naming
the file, e.g. ``bad.yaml: line 3: invalid YAML: mapping values are not
allowed here``.

The loader is PyYAML's SafeLoader with three changes:

* duplicate keys in a mapping are an error (``line N: duplicate key 'x'``);
* booleans are YAML 1.2 style: only true/false (``yes``, ``no``, ``on``,
  ``off`` stay strings, so ``mode: off`` is not silently ``False``);
* ``1e-3`` and ``1e3`` are floats (PyYAML's YAML 1.1 rules need a dot).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from typing import Any

import yaml

from fsw.schema import ConfigError, Schema, show_value

_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _DuplicateKey(Exception):
    def __init__(self, line: int, key: Any) -> None:
        super().__init__(line, key)
        self.line = line
        self.key = key


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and uses YAML 1.2 bools and floats."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *anchor' keys may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: SafeLoader reports it below
            if duplicate:
                raise _DuplicateKey(key_node.start_mark.line + 1, key)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _strict_resolvers() -> dict:
    """SafeLoader's implicit resolvers without YAML 1.1 bools and with 1.2 floats."""
    table = {}
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, _FLOAT_RE if tag == _FLOAT_TAG else regex)
                for tag, regex in resolvers if tag != _BOOL_TAG]
        table[first] = kept
    for first in "tTfF":
        table.setdefault(first, []).append((_BOOL_TAG, _BOOL_RE))
    return table


StrictLoader.yaml_implicit_resolvers = _strict_resolvers()


def load_yaml(path: str | os.PathLike) -> Any:
    """Parse one YAML file (an empty file gives {}); raise ConfigError naming it."""
    source = os.fspath(path)
    text = _read_text(source)
    try:
        data = yaml.load(text, Loader=StrictLoader)
    except _DuplicateKey as exc:
        raise ConfigError(source, "", f"line {exc.line}: duplicate key {show_value(exc.key)}") from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(source, "", _yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise ConfigError(source, "", f"invalid YAML: {first_line}") from None
    return {} if data is None else data


def _read_text(source: str) -> str:
    """The file's text, or a ConfigError saying why it cannot be read."""
    try:
        with open(source, encoding="utf-8-sig") as f:
            return f.read()
    except FileNotFoundError:
        problem = "file not found"
    except IsADirectoryError:
        problem = "is a directory, expected a YAML file"
    except PermissionError:
        problem = "permission denied"
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (bad byte at offset {exc.start})"
    except OSError as exc:
        problem = f"cannot read file: {exc.strerror or exc}"
    raise ConfigError(source, "", problem)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """'line N: invalid YAML: <problem>' from a PyYAML error."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = exc.problem or exc.context or "syntax error"
    if exc.context and problem.startswith("but "):  # "expected X but found Y"
        problem = f"{exc.context}, {problem}"
    return f"{where}invalid YAML: {problem}"


def merge(base: Mapping, override: Mapping) -> dict:
    """Return `base` updated by `override` (neither is modified).

    Mappings merge key by key, recursively; any other value in `override`
    (list, scalar, null) replaces the one in `base`.
    """
    if not isinstance(base, Mapping) or not isinstance(override, Mapping):
        raise TypeError("merge() needs two mappings")
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(out.get(key), Mapping) and isinstance(value, Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_with_extends(path: str | os.PathLike, key: str = "extends") -> dict:
    """Load a mapping, first loading and merging the file named by its `key`, if any.

    The base path is relative to the including file.  Bases may extend further
    bases; a cycle is an error.  The `key` itself is removed from the result.
    """
    return _load_chain(os.fspath(path), key, [])


def _load_chain(source: str, key: str, chain: list[tuple[str, str]]) -> dict:
    """Load `source`; `chain` holds (real path, name) of the files that extend it."""
    data = load_yaml(source)
    if not isinstance(data, dict):
        raise ConfigError(source, "", f"expected a mapping at top level, got {show_value(data)}")
    if key not in data:
        return data
    data = dict(data)
    base_name = data.pop(key)
    if not isinstance(base_name, str) or not base_name.strip():
        raise ConfigError(source, key, f"expected a file path, got {show_value(base_name)}")
    base = os.path.normpath(os.path.join(os.path.dirname(source), base_name))
    chain = chain + [(os.path.realpath(source), source)]
    seen = [real for real, _ in chain]
    if os.path.realpath(base) in seen:
        names = [name for _, name in chain[seen.index(os.path.realpath(base)):]]
        raise ConfigError(source, key, "cycle: " + " -> ".join(names + [base]))
    if not os.path.exists(base):
        raise ConfigError(source, key, f"base file not found: {base}")
    return merge(_load_chain(base, key, chain), data)


def load_config(path: str | os.PathLike, schema: Schema, key: str = "extends") -> dict:
    """Load `path` (resolving `key`) and validate it; errors name `path` as given."""
    source = os.fspath(path)
    data = load_with_extends(source, key)
    try:
        return schema.validate(data)
    except ConfigError as exc:
        raise exc.with_source(source) from None
