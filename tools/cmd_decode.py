"""``elsrs decode FILE``: a flight-recorder file, a telemetry capture or a beacon report -> JSON lines (tools/decode.py)."""
from __future__ import annotations

import os
import sys


def add_arguments(p) -> None:
    p.add_argument("file", help="recorder file (its segments are read too), bare packet stream, framed capture "
                   "or an Iridium gateway .sbd beacon report")
    p.add_argument("--kind", choices=("auto", "recorder", "packets", "framed", "sbd"), default="auto",
                   help="input kind (default: detected from the content)")


def run(args) -> int:
    from tools.decode import main
    try:
        return main(args.file, args.kind)
    except BrokenPipeError:            # e.g. `elsrs decode FILE | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
