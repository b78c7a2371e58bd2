"""``elsrs dict``: the command / telemetry / event dictionary (tools/dictionary/).

``elsrs dict --format json|xtce|cosmos [--out PATH]``

Prints to stdout by default. ``--out`` writes a file for ``json`` and ``xtce``;
for ``cosmos`` it names a target directory and writes ``PATH/cmd_tlm/cmd.txt``
and ``PATH/cmd_tlm/tlm.txt`` (on stdout the two files come as one text, each
introduced by a ``# ===== file: cmd_tlm/<name> =====`` comment line, so the
text is itself one valid COSMOS definition file).
"""
from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ("json", "xtce", "cosmos")


def add_arguments(p) -> None:
    p.add_argument("--format", choices=FORMATS, default="json",
                   help="json (the model), xtce (XTCE 1.2 XML) or cosmos (OpenC3 COSMOS cmd_tlm); default json")
    p.add_argument("--out", metavar="PATH",
                   help="write to PATH instead of stdout (a file; for cosmos a target directory)")


def run(args) -> int:
    from tools import dictionary as dic
    d = dic.build()
    if args.out is None:
        sys.stdout.write(dic.render(d, args.format))
        return 0
    out = Path(args.out)
    if args.format == "cosmos":
        folder = out / "cmd_tlm"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in dic.to_cosmos(d).items():
            (folder / name).write_text(text, encoding="utf-8")
    else:
        out.write_text(dic.render(d, args.format), encoding="utf-8")
    return 0
