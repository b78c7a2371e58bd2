"""``elsrs``: the command-line entry point (ARCHITECTURE.md, "Command line").

Exit status: 0 success; 1 the run finished but the mission did not land;
2 bad usage or bad input, with one line on stderr naming the file, field or
value and what was expected (no traceback).
"""
from __future__ import annotations

import argparse
import sys

from fsw.schema import ConfigError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        sys.stderr.write(f"elsrs: {message} (see elsrs --help)\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="elsrs", description="ELS-RS return-capsule flight software tools")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("sil", help="fly one software-in-the-loop mission")
    s.add_argument("--scenario", default="config/scenarios/nominal.yaml", help="scenario YAML file")
    s.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    s.add_argument("--out", default=None, help="output directory (summary.json, trajectory.csv, events.jsonl, recorder.bin)")
    s.add_argument("--quiet", action="store_true", help="no timeline on the terminal")
    b = sub.add_parser("bench", help="speed and memory figures of the simulator and the SIL loop")
    b.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def _cmd_sil(args) -> int:
    from sim.scenario import load_scenario
    from tools.sil import SilRun, print_outcome
    sc = load_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", "", f"expected an integer >= 0, got {args.seed}")
    echo = (lambda *a, **k: None) if args.quiet else print
    summary = SilRun(sc, seed=args.seed, out_dir=args.out, echo=echo).run()
    print_outcome(summary, print)
    return 0 if summary["result"] == "landed" else 1


def _cmd_bench(args) -> int:
    from tools.bench import run
    run(as_json=args.json)
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"sil": _cmd_sil, "bench": _cmd_bench}[args.command](args)
    except ConfigError as exc:
        sys.stderr.write(f"elsrs: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"elsrs: {exc.filename or ''}: {exc.strerror}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
