"""Boot record: power-on versus processor reset, counts, the repeated-reset rule.

Requirements
BOOT-001 The reset cause comes from the hardware (``hal.watchdog.reset_cause()``:
         ``power_on``, ``watchdog`` or ``reset``), never from the store alone; a
         processor reset with a lost store is still a processor reset.
BOOT-002 Power-ons and processor resets are counted in the store (``boot``), with
         the times of recent processor resets.
BOOT-003 The ``fdir.max_processor_resets``-th processor reset within
         ``fdir.reset_window_s`` (cFS: the third) boots the minimal safe
         configuration (fsw.app): parameter overrides dropped, no deorbit logic;
         EDL, landing and beacon keep flying. Judged on the flight image's own
         parameter values, not on possibly bad overrides.
"""
from __future__ import annotations

from dataclasses import dataclass

STORE_KEY = "boot"


@dataclass(frozen=True)
class BootRecord:
    kind: str                 # "power_on" | "processor_reset"
    cause: str                # power_on | watchdog | reset
    power_ons: int
    processor_resets: int
    minimal: bool


def boot(store, cause: str, t_s: float, max_resets: int, window_s: float) -> BootRecord:
    """Update and commit the boot record for this boot (BOOT-001..003)."""
    rec = dict(store.get(STORE_KEY) or {})
    power_ons = int(rec.get("power_ons", 0))
    resets = int(rec.get("processor_resets", 0))
    times = [float(t) for t in rec.get("reset_times_s", [])]
    minimal = bool(rec.get("minimal", False))
    if cause == "power_on":
        power_ons += 1
        times, minimal = [], False
        kind = "power_on"
    else:
        resets += 1
        times = [t for t in times if t_s - t <= window_s] + [t_s]
        minimal = minimal or len(times) >= max_resets
        kind = "processor_reset"
    store.put(STORE_KEY, {"power_ons": power_ons, "processor_resets": resets, "reset_times_s": times[-20:],
                          "minimal": minimal, "last_cause": cause, "last_t_s": t_s})
    return BootRecord(kind, cause, power_ons, resets, minimal)
