"""The campaign directory (``--out DIR``).

  campaign.json     what the campaign is: scenario path and content hash, campaign seed
  runs.jsonl        one JSON record per finished run, appended, flushed and fsync'ed as
                    each run finishes: the campaign's ground truth; a resume reads it and
                    flies only the runs it lacks. A line cut short by a kill is dropped.
  runs.csv          rebuilt from runs.jsonl (runs 0 .. N-1, sorted by run, the last record
                    of a run wins)
  failures/run_NNNNN.txt   traceback (or worker exit) of each failed run that raised or crashed

Requirements
1. Resuming into a directory that holds another campaign (different scenario content
   or campaign seed) is an input error, never a silent mix.
2. runs.csv: the issue's columns first (COLUMNS), then the further metrics, then one
   ``draw.<path>`` column per dispersion draw (``[i]`` per element of a vector draw);
   empty cells where a run never got there. Identical campaigns give identical files
   apart from ``wall_time_s``.
"""
from __future__ import annotations

import csv
import fcntl
import dataclasses
import hashlib
import json
import os
from pathlib import Path

from fsw.schema import ConfigError
from tools.montecarlo.worker import EXTRA_METRICS, METRICS

SCHEMA_VERSION = 1
COLUMNS = ("run", "seed", "result", "failure_reasons", *METRICS, "wall_time_s")


def scenario_digest(scenario) -> str:
    """SHA-256 of the validated scenario content (its path excluded)."""
    d = dataclasses.asdict(scenario)
    d.pop("path", None)
    text = json.dumps(d, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class CampaignStore:
    def __init__(self, out_dir: str | Path):
        self.dir = Path(out_dir)
        self.meta_path = self.dir / "campaign.json"
        self.jsonl = self.dir / "runs.jsonl"
        self.csv = self.dir / "runs.csv"
        self.failures = self.dir / "failures"
        self._f = None
        self._lock = None

    # ---- identity --------------------------------------------------------------------------
    def open(self, scenario, campaign_seed: int, runs: int) -> dict:
        """Create the directory or check that it holds this campaign; returns campaign.json.
        Holds an exclusive lock on the directory until ``close``."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.dir / ".lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise ConfigError(str(self.dir), "", "another campaign is running in this directory") from None
        digest = scenario_digest(scenario)
        meta = {"schema": SCHEMA_VERSION, "scenario": scenario.path, "scenario_sha256": digest,
                "campaign_seed": campaign_seed, "runs": runs}
        if self.meta_path.exists():
            try:
                old = json.loads(self.meta_path.read_text())
            except (OSError, ValueError) as exc:
                raise ConfigError(str(self.meta_path), "", f"unreadable campaign file ({exc})") from None
            if old.get("campaign_seed") != campaign_seed:
                raise ConfigError(str(self.meta_path), "campaign_seed",
                                  f"this directory holds the campaign of seed {old.get('campaign_seed')}, not "
                                  f"{campaign_seed}; use another --out")
            if old.get("scenario_sha256") != digest:
                raise ConfigError(str(self.meta_path), "scenario_sha256",
                                  f"this directory holds a campaign of a different scenario ({old.get('scenario')}, "
                                  "or its config files changed since); use another --out")
            meta["runs"] = max(runs, int(old.get("runs", 0)))
        self._write_meta(meta)
        return meta

    def _write_meta(self, meta: dict) -> None:
        tmp = self.meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
        os.replace(tmp, self.meta_path)

    # ---- records -----------------------------------------------------------------------------
    def load(self) -> dict[int, dict]:
        """Finished runs: run -> its last record. Drops a trailing line cut short by a kill."""
        out: dict[int, dict] = {}
        if not self.jsonl.exists():
            return out
        data = self.jsonl.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                rec = json.loads(line)
            except ValueError:
                break
            out[int(rec["run"])] = rec
            good += len(line)
        if good < len(data):                      # a torn tail: cut it so appends start clean
            with open(self.jsonl, "r+b") as f:
                f.truncate(good)
        return out

    def append(self, rec: dict) -> None:
        """Persist one finished run (failure file first, then the record, fsync'ed)."""
        if rec.get("traceback"):
            self.failures.mkdir(exist_ok=True)
            p = self.failure_path(rec["run"])
            p.write_text(f"run {rec['run']}  seed {rec['seed']}  result {rec['result']}\n"
                         + "; ".join(rec["failure_reasons"]) + "\n\n" + rec["traceback"])
        if self._f is None:
            self._f = open(self.jsonl, "a", encoding="utf-8")
        self._f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def failure_path(self, run: int) -> Path:
        return self.failures / f"run_{run:05d}.txt"

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
        if self._lock is not None:
            self._lock.close()          # releases the flock
            self._lock = None

    # ---- runs.csv ----------------------------------------------------------------------------
    def write_csv(self, records: dict[int, dict], runs: int) -> list[dict]:
        """Rebuild runs.csv for runs 0 .. runs-1 that have a record; returns the rows."""
        rows = [flat_row(records[i], self) for i in range(runs) if i in records]
        draw_cols: list[str] = []
        seen = set()
        for r in rows:
            for k in r:
                if k.startswith("draw.") and k not in seen:
                    seen.add(k)
                    draw_cols.append(k)
        cols = [*COLUMNS, *EXTRA_METRICS, *draw_cols]
        tmp = self.csv.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in rows:
                w.writerow([_cell(r.get(c)) for c in cols])
        os.replace(tmp, self.csv)
        return rows


def flat_row(rec: dict, store: CampaignStore | None = None) -> dict:
    """A record as one flat runs.csv row (values, not yet text)."""
    reasons = list(rec.get("failure_reasons") or [])
    if rec.get("traceback") and store is not None:
        reasons.append(f"traceback in {store.failure_path(rec['run']).relative_to(store.dir)}")
    row = {"run": rec["run"], "seed": rec.get("seed"), "result": rec.get("result"),
           "failure_reasons": "; ".join(reasons), "wall_time_s": rec.get("wall_time_s")}
    m = rec.get("metrics") or {}
    for k in (*METRICS, *EXTRA_METRICS):
        row[k] = m.get(k)
    for k, v in (rec.get("draws") or {}).items():
        if isinstance(v, list):
            for i, x in enumerate(v):
                row[f"draw.{k}[{i}]"] = x
        else:
            row[f"draw.{k}"] = v
    return row


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)
