"""Health task (1 Hz): task health, the watchdog, housekeeping recording.

Requirements
1. The hardware watchdog is kicked only while every critical task
   (``CRITICAL``) made progress - at least one run without an exception - since
   the last check; a stalled scheduler or a task failing every run stops the
   kicks, and the watchdog then resets the processor.
2. A task that failed every run over the last check (it keeps raising) gets a
   declared response: the first time, its state is restarted (rebuilt from the
   store and the bus: ``restart(name)``); if it keeps failing after that, the
   kicks stop (processor reset). Both are WARNING_HI MONITOR_RESPONSE events
   (monitor TASK_HEALTH). Exceptions themselves are counted by the scheduler.
3. Records one housekeeping record per second in the flight recorder and
   releases event-throttle reports (EventLog.flush).
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.records import AirDataRecord, AttitudeRecord, ImuRecord, NavRecord

#: Tasks whose progress the watchdog kick depends on.
CRITICAL = ("nav", "attitude", "deorbit", "commands", "separation", "baro", "chutes", "landing", "monitors", "beacon")


class HealthTask:
    name = "health"
    PARAMS = ()

    def __init__(self, ctx, period_s: float, *, recorder, scheduler_stats, restart):
        self.ctx, self.recorder, self.stats, self.restart = ctx, recorder, scheduler_stats, restart
        self._last: dict[str, tuple[int, int]] | None = None
        self._restarted: set[str] = set()
        self.kicks = 0
        self.withheld = 0

    def run(self, t_s: float) -> None:
        ctx = self.ctx
        st = self.stats()
        now = {name: (ts.count, ts.errors) for name, ts in st.per_task.items()}
        healthy = True
        if self._last is not None:
            for name in CRITICAL:
                if name not in now or name not in self._last:
                    continue
                runs = now[name][0] - self._last[name][0]
                errors = now[name][1] - self._last[name][1]
                if runs > 0 and errors >= runs:
                    healthy = self._failing(name) and healthy
                elif runs == 0:
                    healthy = False
        self._last = now
        if healthy:
            ctx.hal.watchdog.kick()
            self.kicks += 1
        else:
            self.withheld += 1
        ctx.events.flush()
        self._record(t_s, st)

    def _failing(self, name: str) -> bool:
        """Response to a task failing every run; True if the watchdog may still be kicked."""
        ev = self.ctx.events
        if name not in self._restarted:
            self._restarted.add(name)
            ev.emit(Severity.WARNING_HI, "MONITOR_RESPONSE", f"TASK_HEALTH: task {name} failing every run: state "
                    "restarted", monitor="TASK_HEALTH", response=f"restart {name}")
            self.restart(name)
            return True
        ev.emit(Severity.FATAL, "MONITOR_RESPONSE", f"TASK_HEALTH: task {name} still failing after a restart: "
                "watchdog kicks withheld (processor reset)", monitor="TASK_HEALTH", response="processor reset")
        return False

    def _record(self, t_s: float, st) -> None:
        ctx, bus = self.ctx, self.ctx.bus
        air, imu, att = bus.latest(AirDataRecord), bus.latest(ImuRecord), bus.latest(AttitudeRecord)
        pw = ctx.hal.power.read()
        self.recorder.write({
            "kind": "hk", "t_s": round(t_s, 3), "phase": ctx.phases.phase.value,
            "nav_valid": bus.latest(NavRecord).valid,
            "baro_alt_m": None if air.baro_alt_m is None else round(air.baro_alt_m, 1),
            "accel_mps2": round(imu.sensed_accel_mps2, 3),
            "att_error_deg": None if att.att_error_deg is None else round(att.att_error_deg, 2),
            "bus_v": round(pw.bus_v, 2), "soc": round(pw.battery_soc, 4), "overruns": st.overruns,
        })

    def telemetry(self) -> dict:
        return {}
