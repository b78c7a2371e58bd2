"""Health task (1 Hz): watchdog, housekeeping telemetry and recording.

Requirements
1. Kicks the hardware watchdog once per second: a stalled scheduler stops the
   kicks and the watchdog resets the processor.
2. Records one housekeeping record per second in the flight recorder (the HK
   telemetry packets are the telemetry task's).
3. Releases event-throttle reports (EventLog.flush).
"""
from __future__ import annotations


class HealthTask:
    name = "health"

    def __init__(self, ctx, recorder, scheduler_stats):
        self.ctx, self.recorder, self.stats = ctx, recorder, scheduler_stats

    def run(self, t_s: float) -> None:
        ctx, d = self.ctx, self.ctx.data
        ctx.hal.watchdog.kick()
        ctx.events.flush()
        pw = ctx.hal.power.read()
        hk = {
            "kind": "hk", "t_s": round(t_s, 3), "phase": ctx.phases.phase.value,
            "nav_valid": d.nav_valid, "baro_alt_m": None if d.baro_alt_m is None else round(d.baro_alt_m, 1),
            "accel_mps2": round(d.sensed_accel_mps2, 3), "att_error_deg": None if d.att_error_deg is None else round(d.att_error_deg, 2),
            "bus_v": round(pw.bus_v, 2), "soc": round(pw.battery_soc, 4), "overruns": self.stats().overruns,
        }
        self.recorder.write(hk)
