"""``elsrs montecarlo``: a dispersed campaign (ARCHITECTURE.md "Command line"; tools/montecarlo/).

Exit status: 0 every run landed; 1 the campaign finished but some run did not
land; 2 bad usage or input; 130 interrupted (run the same command to resume).
"""
from __future__ import annotations

import os
import sys

from fsw.schema import ConfigError


def add_arguments(p) -> None:
    p.add_argument("--scenario", required=True, help="scenario YAML file (its dispersions: block; seed: is the campaign seed)")
    p.add_argument("--runs", type=int, required=True, help="number of runs (run indices 0 .. N-1)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run on an existing Dask distributed cluster (scheduler address, e.g. tcp://host:8786)")
    p.add_argument("--out", required=True, help="campaign directory (runs.csv, runs.jsonl, report.md, PNGs); "
                   "the same command again resumes an interrupted campaign")
    p.add_argument("--seed", type=int, default=None, help="campaign seed (default: the scenario's seed)")
    p.add_argument("--retry-failed", action="store_true",
                   help="on resume, fly again the runs that raised or whose worker crashed")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args) -> int:
    from sim.scenario import load_scenario
    from tools.montecarlo.campaign import TEST_HOOK_ENV, parse_test_hooks, run_campaign
    if args.runs < 1:
        raise ConfigError("--runs", "", f"expected an integer >= 1, got {args.runs}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers", "", f"expected an integer >= 1, got {args.workers}")
    if args.workers is not None and args.dask:
        raise ConfigError("--workers", "", "applies to local worker processes; with --dask the cluster's workers run")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ConfigError("--seed", "", f"expected an integer in [0, 2^63), got {args.seed}")
    sc = load_scenario(args.scenario)
    try:
        hooks = parse_test_hooks(os.environ.get(TEST_HOOK_ENV))
    except ValueError as exc:
        raise ConfigError(TEST_HOOK_ENV, "", str(exc)) from None
    res = run_campaign(sc, args.out, args.runs, workers=args.workers, dask=args.dask, campaign_seed=args.seed,
                       hooks=hooks, progress=not args.no_progress, retry_failed=args.retry_failed)
    counts = ", ".join(f"{k} {v}" for k, v in res.counts.items())
    done = sum(res.counts.values())
    if res.interrupted:
        print(f"interrupted: {done} of {res.runs} runs finished ({counts}); runs.csv written to {res.out_dir}; "
              "run the same command to resume", file=sys.stderr)
        return 130
    print(f"outcomes ({done} runs): {counts}")
    t = res.throughput
    if t:
        print(f"throughput: {t['runs']} runs in {t['wall_s']:.1f} s on {t['executor']}: {t['runs_per_min']:.1f} runs/min, "
              f"aggregate realtime factor {t['aggregate_rtf']:.0f}")
    ell = (res.report or {}).get("ellipse")
    if ell:
        print(f"footprint: mean {ell['mean_east_km']:+.1f} km east, {ell['mean_north_km']:+.1f} km north of target; "
              f"3-sigma ellipse {ell['semi_major_3sigma_km']:.1f} x {ell['semi_minor_3sigma_km']:.1f} km "
              f"(major axis azimuth {ell['major_azimuth_deg']:.0f} deg)")
    print(f"report: {res.out_dir / 'report.md'}")
    return 0 if res.all_landed else 1
