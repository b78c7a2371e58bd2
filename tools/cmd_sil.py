"""``elsrs sil``: one software-in-the-loop flight (ARCHITECTURE.md, "Run outputs").

Requirements
1. Options are checked before the flight: ``--seed`` in the range of a
   scenario's ``seed:``; ``--run`` >= 0; ``--pace`` a finite number > 0 and only
   with ``--ground-listen`` (omitted: as fast as possible); ``--out`` a directory
   that can be created and written. A bad one exits 2 with one line naming it.
2. SIGINT and SIGTERM stop the run at the end of the tick in progress: the
   summary (as far as the run got) is written with ``result: interrupted``, one
   line "interrupted at t = <sim time> s" goes to stderr, and the exit status is
   128 + the signal number (130, 143). No traceback. A signal that arrives after
   the last tick has nothing left to interrupt: the run's own result stands.
"""
from __future__ import annotations

import contextlib
import math
import signal
import sys

from fsw.schema import ConfigError

#: Signals that end a run cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(p) -> None:
    p.add_argument("--scenario", default="config/scenarios/nominal.yaml", help="scenario YAML file")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--out", default=None,
                   help="output directory (summary.json, trajectory.csv, events.jsonl, recorder.bin, downlink.bin); "
                   "a previous run's outputs there are replaced")
    p.add_argument("--quiet", action="store_true", help="no timeline on the terminal")
    p.add_argument("--run", type=int, default=None, metavar="N",
                   help="replay run N of the scenario's Monte Carlo campaign, bit for bit (its dispersions; "
                   "--seed then names the campaign seed, default the scenario's)")
    p.add_argument("--ground-listen", metavar="HOST:PORT", default=None,
                   help="serve the flight link on TCP for `elsrs ground --port socket://HOST:PORT`")
    p.add_argument("--key-file", default=None,
                   help="link key (hex or raw, >= 16 octets) shared with the ground console; required with --ground-listen")
    p.add_argument("--pace", type=float, default=None,
                   help="with --ground-listen: run at this multiple of real time, > 0 (omitted: as fast as possible)")


class _StopOnSignal:
    """Signal handler that asks the run (once there is one) to stop at the end of its tick."""

    def __init__(self):
        self.signum: int | None = None
        self.sil = None

    def __call__(self, signum, frame) -> None:
        self.signum = signum
        if self.sil is not None:
            self.sil.stop_signal = signum

    def attach(self, sil) -> None:
        self.sil = sil
        sil.stop_signal = self.signum        # a signal that came during the set-up

    @contextlib.contextmanager
    def installed(self):
        old = {s: signal.signal(s, self) for s in STOP_SIGNALS}
        try:
            yield self
        finally:
            for s, h in old.items():
                signal.signal(s, h)


def _check_options(args) -> None:
    from sim.scenario import SCENARIO
    if args.seed is not None:
        seed = SCENARIO.fields["seed"]
        try:
            seed.validate(args.seed, "--seed")
        except ConfigError:
            raise ConfigError("--seed", "", f"expected {seed.expectation()} (the range of a scenario's seed:), "
                              f"got {args.seed}") from None
    if args.run is not None and args.run < 0:
        raise ConfigError("--run", "", f"expected an integer >= 0, got {args.run}")
    if args.pace is not None:
        if not (math.isfinite(args.pace) and args.pace > 0.0):
            raise ConfigError("--pace", "", f"expected a multiple of real time > 0 (omit --pace to run as fast "
                              f"as possible), got {args.pace:g}")
        if args.ground_listen is None:
            raise ConfigError("--pace", "", "expected only with --ground-listen (it paces the live link)")
    if args.ground_listen is not None and args.key_file is None:
        raise ConfigError("--key-file", "", "expected a key file with --ground-listen (the console signs with it)")


def run(args) -> int:
    stop = _StopOnSignal()
    with stop.installed():
        return _fly(args, stop)


def _fly(args, stop: _StopOnSignal) -> int:
    from sim.scenario import load_scenario
    from tools.run_outputs import SUMMARY, check_out_dir
    from tools.sil import SilRun, print_outcome
    _check_options(args)
    sc = load_scenario(args.scenario)
    if args.run is not None:              # Monte Carlo replay (tools/montecarlo/README.md)
        from sim.dispersions import disperse
        d = disperse(sc, sc.seed if args.seed is None else args.seed, args.run)
        sc, args.seed = d.scenario, d.seed
    key = None
    if args.ground_listen is not None:
        from tools.ground.transport import load_key
        key = load_key(args.key_file)
    if args.out is not None:
        check_out_dir(args.out)
    echo = (lambda *a, **k: None) if args.quiet else print
    live = None
    if args.ground_listen is not None:
        from tools.sil_live import LiveGround
        live = LiveGround(args.ground_listen, args.pace or 0.0)
        echo(f"ground link on tcp {live.address[0]}:{live.address[1]}")
    try:
        sil = SilRun(sc, seed=args.seed, out_dir=args.out, echo=echo, link_key=key, live=live)
        stop.attach(sil)
        summary = sil.run()
    finally:
        if live is not None:
            live.close()
    if summary["result"] == "interrupted":
        name = signal.Signals(sil.interrupted_by).name
        where = f"; partial summary in {sil.outputs.dir / SUMMARY}" if sil.outputs is not None else ""
        sys.stdout.flush()
        sys.stderr.write(f"interrupted at t = {summary['sim_time_s']:.2f} s by {name}{where}\n")
        return 128 + sil.interrupted_by
    print_outcome(summary, print)
    return 0 if summary["result"] == "landed" else 1
