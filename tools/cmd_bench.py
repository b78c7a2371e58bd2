"""``elsrs bench``: speed and memory figures (tools/bench.py)."""
from __future__ import annotations


def add_arguments(p) -> None:
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args) -> int:
    from tools.bench import run as bench
    bench(as_json=args.json)
    return 0
