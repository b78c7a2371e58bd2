"""The commands of the dictionary: ``fsw.commands.DICTIONARY`` (argument schemas, allowed phases)
with the ids of ``fsw.link.tc.COMMAND_IDS``, each argument schema as a documented ``Arg``.
"""
from __future__ import annotations

from tools.dictionary.model import Arg, Command

def _arg(name: str, node) -> Arg:
    from fsw.schema import Any_, Bool, Num, Str, Vec
    required = node.required
    default = None if required else node.default
    if isinstance(default, tuple):
        default = list(default)
    unit = getattr(node, "unit", None)
    common = dict(required=required, default=default, doc=node.doc)
    if isinstance(node, Num):
        return Arg(name, "integer" if node.integer else "number", unit, node.min, node.max, node.min_exclusive,
                   node.max_exclusive, None, None, **common)
    if isinstance(node, Vec):
        return Arg(name, "vector", unit, node.min, node.max, False, False, None, node.n, **common)
    if isinstance(node, Str):
        return Arg(name, "string", None, None, None, False, False,
                   tuple(node.choices) if node.choices is not None else None, None, **common)
    if isinstance(node, Bool):
        return Arg(name, "boolean", None, None, None, False, False, None, None, **common)
    if isinstance(node, Any_):
        return Arg(name, "any", None, None, None, False, False, None, None, **common)
    raise TypeError(f"dictionary: no export for argument {name!r} of schema {type(node).__name__}")


def _commands() -> tuple[Command, ...]:
    from fsw.commands import DICTIONARY
    from fsw.link.tc import COMMAND_IDS
    missing = [n for n in DICTIONARY if n not in COMMAND_IDS]
    if missing:
        raise RuntimeError(f"dictionary: commands without an id in fsw.link.tc.COMMAND_IDS: {missing}")
    return tuple(Command(c.name, COMMAND_IDS[c.name], c.doc, tuple(p.value for p in c.phases),
                         tuple(_arg(n, node) for n, node in c.args.fields.items()))
                 for c in DICTIONARY.values())
