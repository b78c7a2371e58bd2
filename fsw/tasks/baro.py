"""Barometric altitude fusion (10 Hz), used by the chute and landing triggers.

Requirements
1. Each barometer's pressure is converted to pressure altitude (US76 inverse).
   A reading that is non-finite or at/below the sensor's low clamp is invalid.
2. A sample implying a climb or descent faster than ``chutes.baro_max_rate_mps``
   since that sensor's last accepted sample is rejected as implausible
   (Schiaparelli 2016: sanity-check every estimate), counted and reported;
   after ``RELOCK_N`` consecutive rejections the new level is accepted.
3. Two valid sensors within ``chutes.baro_disagree_m`` are averaged; further
   apart, the HIGHER altitude is used, so a failed sensor can delay a trigger
   (covered by the timer backups) but never fire one early.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.pressure_alt import pressure_altitude_m

#: Readings at or below this pressure are the sensor's clamp ("above range"), Pa.
MIN_VALID_PA = 1200.0
MAX_VALID_PA = 115000.0
#: Consecutive implausible samples after which the new level is accepted (a
#: real step, e.g. a sensor leaving its range clamp or recovering from a glitch).
RELOCK_N = 5


class BaroFusion:
    name = "baro"

    def __init__(self, ctx, dt_s: float):
        self.ctx = ctx
        self.dt = dt_s
        n = len(ctx.hal.baros)
        self._last: list[tuple[float, float] | None] = [None] * n   # (t_s, alt_m)
        self.rejected = [0] * n
        self._streak = [0] * n

    def run(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        alts = []
        for i, dev in enumerate(ctx.hal.baros):
            s = dev.read()
            if not (s.valid and math.isfinite(s.pressure_pa) and MIN_VALID_PA < s.pressure_pa < MAX_VALID_PA):
                continue
            alt = pressure_altitude_m(s.pressure_pa)
            last = self._last[i]
            if last is not None and abs(alt - last[1]) > p["chutes.baro_max_rate_mps"] * max(self.dt, t_s - last[0]):
                self.rejected[i] += 1
                self._streak[i] += 1
                ctx.events.emit(Severity.WARNING_LO, "BARO_SAMPLE_REJECTED",
                                f"baro {i}: implausible jump {last[1]:.0f} -> {alt:.0f} m", sensor=i)
                if self._streak[i] < RELOCK_N:
                    continue
            self._streak[i] = 0
            self._last[i] = (t_s, alt)
            alts.append(alt)
        d = ctx.data
        if not alts:
            d.baro_valid, d.baro_alt_m = False, None
            return
        if len(alts) >= 2 and max(alts) - min(alts) > p["chutes.baro_disagree_m"]:
            d.baro_alt_m = max(alts)
        else:
            d.baro_alt_m = sum(alts) / len(alts)
        d.baro_valid = True
