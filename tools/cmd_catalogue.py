"""``elsrs catalogue``: fly the fault catalogue (``config/scenarios/faults/``) and print
scenario / expected / got / why (ARCHITECTURE.md, "Command line").

Exit status: 0 every scenario met its expectation; 1 one or more did not (or
crashed); 2 bad input (a catalogue file or an option), with a one-line message;
130 interrupted. Evaluation and running are ``tools.catalogue``.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from fsw.schema import ConfigError


def add_arguments(p) -> None:
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write each scenario's run outputs to DIR/<name>/ and DIR/catalogue.json "
                        "(default: a temporary directory, removed when every scenario passes)")
    p.add_argument("--workers", type=int, default=None, metavar="K",
                   help="fly K scenarios at once in worker processes (default 2)")
    p.add_argument("--only", default=None, metavar="GLOB",
                   help="only the scenarios whose name matches GLOB (e.g. 'fsw_reset_*')")


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(outcomes, width: int) -> list[str]:
    head = ("", "scenario", "expected", "got", "why")
    rows = [("ok" if o.passed else "FAIL", o.name, o.expected, o.got, "; ".join(o.why) or "-") for o in outcomes]
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    indent = sum(w) + 2 * 4
    why_w = max(30, width - indent)
    lines = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head[:4])) + "  " + head[4]]
    lines.append("  ".join("-" * w[i] for i in range(4)) + "  " + "-" * min(why_w, 40))
    for r in rows:
        wrapped = textwrap.wrap(r[4], why_w, break_on_hyphens=False) or ["-"]
        lines.append("  ".join(r[i].ljust(w[i]) for i in range(4)) + "  " + wrapped[0])
        lines.extend(" " * indent + cont for cont in wrapped[1:])
    return lines


def run(args) -> int:
    from tools import catalogue as cat
    workers = cat.DEFAULT_WORKERS if args.workers is None else args.workers
    if workers < 1:
        raise ConfigError("--workers", "", f"expected an integer >= 1, got {workers}")
    paths = cat.discover(cat.CATALOGUE_DIR, args.only)
    if not paths:
        what = f"no scenario matching {args.only!r}" if args.only else "no *.yaml scenario"
        raise ConfigError("--only" if args.only else str(cat.CATALOGUE_DIR), "",
                          f"expected at least one catalogue scenario in {cat.CATALOGUE_DIR}, found {what}")
    entries = cat.load_entries(paths)              # every file validated before anything flies
    temp = args.out is None
    out = Path(tempfile.mkdtemp(prefix="elsrs-catalogue-")) if temp else Path(args.out)
    if not temp:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("--out", "", f"expected a writable directory, got {args.out!r} ({exc.strerror})") from None
    k = min(workers, len(entries))
    print(f"fault catalogue: {_n(len(entries), 'scenario')}, {_n(k, 'worker')}, outputs in {out}", flush=True)
    width = len(str(len(entries)))

    def progress(o, done, total):
        cpu = "" if o.cpu_s is None else f", {o.cpu_s:.0f} s CPU"
        print(f"  [{done:>{width}}/{total}] {'ok  ' if o.passed else 'FAIL'} {o.name} ({o.wall_s:.0f} s{cpu})", flush=True)

    t0 = time.perf_counter()
    try:
        outcomes = cat.run_catalogue(entries, out, workers, on_result=progress)
    except KeyboardInterrupt:
        sys.stderr.write(f"elsrs catalogue: interrupted after {time.perf_counter() - t0:.0f} s (outputs in {out})\n")
        return 130
    wall = time.perf_counter() - t0
    cat.write_report(outcomes, out / "catalogue.json")
    print()
    for line in _table(outcomes, shutil.get_terminal_size((160, 24)).columns):
        print(line)
    passed = sum(o.passed for o in outcomes)
    cpu = sum(o.cpu_s or 0.0 for o in outcomes)
    print(f"\n{passed} of {_n(len(outcomes), 'scenario')} passed in {wall:.0f} s wall, {cpu:.0f} s CPU "
          f"({_n(k, 'worker')})")
    if passed == len(outcomes):
        if temp:
            shutil.rmtree(out, ignore_errors=True)
        return 0
    print(f"run outputs kept in {out}")
    return 1
