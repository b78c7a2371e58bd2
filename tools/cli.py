"""``elsrs``: the command-line entry point (ARCHITECTURE.md, "Command line").

Exit status: 0 success; 1 the run finished but the mission did not land;
2 bad usage or bad input, with one line on stderr naming the file, field or
value and what was expected (no traceback).

Subcommands are plug-ins: ``SUBCOMMANDS`` maps each name to a module that
defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
A module is imported only when its subcommand runs.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from fsw.schema import ConfigError

#: Subcommand -> implementing module.
SUBCOMMANDS = {
    "sil": "tools.cmd_sil",
    "bench": "tools.cmd_bench",
    "dict": "tools.cmd_dict",
    "decode": "tools.cmd_decode",
    "ground": "tools.cmd_ground",
    "montecarlo": "tools.cmd_montecarlo",
    "catalogue": "tools.cmd_catalogue",
    "plan": "tools.cmd_plan",
}

#: One-line help per subcommand (kept here so ``elsrs --help`` imports nothing heavy).
HELP = {
    "sil": "fly one software-in-the-loop mission",
    "bench": "speed and memory figures of the simulator and the SIL loop",
    "dict": "command/telemetry/event dictionary as JSON, XTCE 1.2 or OpenC3 COSMOS definitions",
    "decode": "flight-recorder file or telemetry capture -> JSON lines",
    "ground": "ground console: live telemetry, events, authenticated commands",
    "montecarlo": "a dispersed Monte Carlo campaign of SIL flights, local processes or a Dask cluster",
    "catalogue": "fly the fault catalogue (config/scenarios/faults/): scenario, expected, got, why",
    "plan": "ground deorbit planning with the flight predictor: ignition, dv, entry, splash point",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        sys.stderr.write(f"elsrs: {message} (see elsrs --help)\n")
        raise SystemExit(2)


def _parser(argv) -> tuple[argparse.ArgumentParser, object]:
    p = _Parser(prog="elsrs", description="ELS-RS return-capsule flight software tools")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None     # elsrs has no global options
    module = None
    for name, modname in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=HELP.get(name, ""))
        if name == chosen:
            module = importlib.import_module(modname)
            module.add_arguments(sp)
    return p, module


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, module = _parser(argv)
    args = parser.parse_args(argv)
    try:
        return module.run(args)
    except ConfigError as exc:
        sys.stderr.write(f"elsrs: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"elsrs: {exc.filename or ''}: {exc.strerror}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
