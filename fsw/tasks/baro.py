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
4. A barometer the monitors have declared failed (``baro.<i>`` in the
   HealthRecord) is not used. Publishes AirDataRecord.
5. A unit reading at its low-pressure clamp says "above its range": it
   bounds the fused altitude from below (``CLAMP_ALT_M``), so above ~30 km a
   single unit failed low (bias, stuck, stagnation pressure) cannot pass for
   a low altitude and fire the drogue hypersonic; the monitors degrade a unit
   stuck at its clamp under the canopies. The record says whether a unit read
   at its clamp (``above_range``): the drogue's baro clock needs to have seen it.
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.pressure_alt import pressure_altitude_m
from fsw.records import AirDataRecord, HealthRecord

#: Readings at or below this pressure are the sensor's clamp ("above range"), Pa.
MIN_VALID_PA = 1200.0
MAX_VALID_PA = 115000.0
#: Consecutive implausible samples after which the new level is accepted (a
#: real step, e.g. a sensor leaving its range clamp or recovering from a glitch).
RELOCK_N = 5
#: Pressure altitude of the low-pressure clamp, m (~30.0 km for 1.2 kPa, US76).
CLAMP_ALT_M = pressure_altitude_m(MIN_VALID_PA)


class BaroFusion:
    name = "baro"
    PARAMS = ("chutes.baro_max_rate_mps", "chutes.baro_disagree_m")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.dt = period_s
        self._pub = ctx.bus.port(AirDataRecord, self.name)
        self._names = tuple(f"baro.{i}" for i in range(len(ctx.hal.baros)))
        n = len(ctx.hal.baros)
        self._last: list[tuple[float, float] | None] = [None] * n   # (t_s, alt_m)
        self.rejected = [0] * n
        self._streak = [0] * n

    def run(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        alts = []
        pressures = []
        above = False                    # a unit at its low-pressure clamp: "at least CLAMP_ALT_M up"
        each = [None] * len(self._names)
        degraded = ctx.bus.latest(HealthRecord).degraded
        for i, dev in enumerate(ctx.hal.baros):
            s = dev.read()
            if self._names[i] in degraded:
                continue
            if not (s.valid and math.isfinite(s.pressure_pa) and MIN_VALID_PA < s.pressure_pa < MAX_VALID_PA):
                above = above or (s.valid and math.isfinite(s.pressure_pa) and s.pressure_pa <= MIN_VALID_PA)
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
            pressures.append(s.pressure_pa)
            each[i] = alt
        if not alts:
            self._pub(AirDataRecord(t_s, False, None, 0, tuple(each), above_range=above))
            return
        if len(alts) >= 2 and max(alts) - min(alts) > p["chutes.baro_disagree_m"]:
            alt, pa = max(alts), min(pressures)
        else:
            alt, pa = sum(alts) / len(alts), sum(pressures) / len(pressures)
        if above and alt < CLAMP_ALT_M:
            alt, pa = CLAMP_ALT_M, None  # requirement 5: a unit failed low never outvotes one above range
        self._pub(AirDataRecord(t_s, True, alt, len(alts), tuple(each), pa, above))

    def telemetry(self) -> dict:
        rec = self.ctx.bus.latest(AirDataRecord)
        return {"baro_alt_m": rec.baro_alt_m if rec.valid else float("nan")}
