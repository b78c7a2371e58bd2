"""``elsrs sil``: one software-in-the-loop flight (ARCHITECTURE.md, "Run outputs")."""
from __future__ import annotations

from fsw.schema import ConfigError


def add_arguments(p) -> None:
    p.add_argument("--scenario", default="config/scenarios/nominal.yaml", help="scenario YAML file")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--out", default=None,
                   help="output directory (summary.json, trajectory.csv, events.jsonl, recorder.bin)")
    p.add_argument("--quiet", action="store_true", help="no timeline on the terminal")


def run(args) -> int:
    from sim.scenario import load_scenario
    from tools.sil import SilRun, print_outcome
    sc = load_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", "", f"expected an integer >= 0, got {args.seed}")
    echo = (lambda *a, **k: None) if args.quiet else print
    summary = SilRun(sc, seed=args.seed, out_dir=args.out, echo=echo).run()
    print_outcome(summary, print)
    return 0 if summary["result"] == "landed" else 1
