"""The run directory of a SIL flight (ARCHITECTURE.md, "Run outputs"): checked, cleared, written.

Requirements
1. ``check_out_dir``: before the flight, the directory exists (it is created if
   need be) and a file can be created in it; otherwise a one-line ConfigError
   naming ``--out``, the directory and why.
2. ``clear_previous``: a run into an existing directory first removes the
   previous run's outputs (``OUTPUT_NAMES`` and the recorder's segments), and
   only those: any other file in the directory stays.
3. ``RunOutputs``: events.jsonl and trajectory.csv are buffered in the process
   and handed to the OS at least once per ``FLUSH_PERIOD_S`` of simulated time
   (not per line), so a killed run leaves every complete line readable.
4. summary.json is replaced atomically: a reader sees the old file, no file, or
   the whole new one, never half of it.
5. ``mark_interrupted``: a run stopped by a signal is ``interrupted``, and its
   first failure reason names the signal and the simulated time.
"""
from __future__ import annotations

import csv
import json
import math
import os
import signal
import tempfile
from pathlib import Path

from fsw.recorder_format import list_segments
from fsw.schema import ConfigError

SUMMARY = "summary.json"
TRAJECTORY = "trajectory.csv"
EVENTS = "events.jsonl"
RECORDER = "recorder.bin"
DOWNLINK = "downlink.bin"
STATE = "state.bin"
#: Temporary name summary.json is written under before it replaces the old one.
SUMMARY_TMP = ".summary.json.tmp"
#: Every file a run writes (the recorder's further segments are found by fsw.recorder_format).
OUTPUT_NAMES = (SUMMARY, SUMMARY_TMP, TRAJECTORY, EVENTS, RECORDER, DOWNLINK, STATE)
#: Events and trajectory reach the OS at least this often, in simulated seconds.
FLUSH_PERIOD_S = 1.0


def check_out_dir(out_dir: str | Path) -> Path:
    """Create ``out_dir`` if needed and check a file can be written there; ConfigError otherwise."""
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise ConfigError("--out", "", f"{d}: expected a directory, but it is a file")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--out", "", f"{d}: cannot create the directory ({exc.strerror or exc})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".elsrs-write-check-", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError("--out", "", f"{d}: cannot write in the directory ({exc.strerror or exc})") from None
    return d


def clear_previous(out_dir: Path) -> list[Path]:
    """Remove the previous run's outputs from ``out_dir``; returns what was removed."""
    paths = [out_dir / name for name in OUTPUT_NAMES]
    for segments in list_segments(out_dir / RECORDER).values():
        paths += [Path(p) for _, p in segments]
    removed = []
    for p in dict.fromkeys(paths):
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        removed.append(p)
    return removed


def mark_interrupted(summary: dict, signum: int) -> None:
    """Mark a summary as that of a run stopped by signal ``signum`` (reasons so far kept after it)."""
    name = signal.Signals(signum).name
    summary["result"] = "interrupted"
    summary["failure_reasons"] = [f"interrupted by {name} at t = {summary['sim_time_s']:.2f} s",
                                  *summary["failure_reasons"]]


class RunOutputs:
    """The open output files of one run in a checked, cleared directory."""

    def __init__(self, out_dir: str | Path, trajectory_columns):
        self.dir = check_out_dir(out_dir)
        clear_previous(self.dir)
        self._events = open(self.dir / EVENTS, "w", encoding="utf-8")
        self._traj_f = open(self.dir / TRAJECTORY, "w", newline="", encoding="utf-8")
        self._traj = csv.writer(self._traj_f)
        self._traj.writerow(trajectory_columns)
        self._next_flush_s = FLUSH_PERIOD_S

    def event(self, record: dict) -> None:
        self._events.write(json.dumps(record) + "\n")

    def row(self, t_s: float, fields) -> None:
        """One trajectory row at simulated time ``t_s``; both files flushed once per period."""
        self._traj.writerow(fields)
        if t_s >= self._next_flush_s:
            self.flush()
            self._next_flush_s = (math.floor(t_s / FLUSH_PERIOD_S + 1e-9) + 1) * FLUSH_PERIOD_S

    def flush(self) -> None:
        self._events.flush()
        self._traj_f.flush()

    def close(self, summary: dict | None) -> None:
        """Close the files; write summary.json when there is a summary."""
        self._events.close()
        self._traj_f.close()
        if summary is None:
            return
        tmp = self.dir / SUMMARY_TMP
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
        os.replace(tmp, self.dir / SUMMARY)
