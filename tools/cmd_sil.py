"""``elsrs sil``: one software-in-the-loop flight (ARCHITECTURE.md, "Run outputs")."""
from __future__ import annotations

from fsw.schema import ConfigError


def add_arguments(p) -> None:
    p.add_argument("--scenario", default="config/scenarios/nominal.yaml", help="scenario YAML file")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--out", default=None,
                   help="output directory (summary.json, trajectory.csv, events.jsonl, recorder.bin)")
    p.add_argument("--quiet", action="store_true", help="no timeline on the terminal")
    p.add_argument("--run", type=int, default=None, metavar="N",
                   help="replay run N of the scenario's Monte Carlo campaign, bit for bit (its dispersions; "
                   "--seed then names the campaign seed, default the scenario's)")
    p.add_argument("--ground-listen", metavar="HOST:PORT", default=None,
                   help="serve the flight link on TCP for `elsrs ground --port socket://HOST:PORT`")
    p.add_argument("--key-file", default=None,
                   help="link key (hex or raw, >= 16 octets) shared with the ground console; required with --ground-listen")
    p.add_argument("--pace", type=float, default=0.0,
                   help="run at this multiple of real time (0: as fast as possible)")


def run(args) -> int:
    from sim.scenario import load_scenario
    from tools.sil import SilRun, print_outcome
    sc = load_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", "", f"expected an integer >= 0, got {args.seed}")
    if args.run is not None:              # Monte Carlo replay (tools/montecarlo/README.md)
        from sim.dispersions import disperse
        if args.run < 0:
            raise ConfigError("--run", "", f"expected an integer >= 0, got {args.run}")
        d = disperse(sc, sc.seed if args.seed is None else args.seed, args.run)
        sc, args.seed = d.scenario, d.seed
    echo = (lambda *a, **k: None) if args.quiet else print
    key = live = None
    if args.ground_listen is not None:
        from tools.ground.transport import load_key
        from tools.sil_live import LiveGround
        if args.key_file is None:
            raise ConfigError("--key-file", "", "expected a key file with --ground-listen (the console signs with it)")
        key = load_key(args.key_file)
        live = LiveGround(args.ground_listen, args.pace)
        echo(f"ground link on tcp {live.address[0]}:{live.address[1]}")
    try:
        summary = SilRun(sc, seed=args.seed, out_dir=args.out, echo=echo, link_key=key, live=live).run()
    finally:
        if live is not None:
            live.close()
    print_outcome(summary, print)
    return 0 if summary["result"] == "landed" else 1
