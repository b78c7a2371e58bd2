"""The export formats by name: ``FORMATS`` and ``render(d, fmt)`` (``json``, ``xtce`` or ``cosmos`` text)."""
from __future__ import annotations

from tools.dictionary.cosmos import cosmos_text, to_cosmos
from tools.dictionary.jsonfmt import to_json
from tools.dictionary.model import Dictionary
from tools.dictionary.xtce import to_xtce

__all__ = ["FORMATS", "render"]

FORMATS = ("json", "xtce", "cosmos")


def render(d: Dictionary, fmt: str) -> str:
    if fmt == "json":
        return to_json(d)
    if fmt == "xtce":
        return to_xtce(d)
    if fmt == "cosmos":
        return cosmos_text(to_cosmos(d))
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
