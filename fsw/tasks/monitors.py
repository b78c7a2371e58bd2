"""Monitor task (10 Hz): runs the monitor table, applies responses, publishes health.

Requirements
1. Every row of fsw.fdir.table.TABLE is evaluated in its phases on one
   ``Sample`` per run (bus records and device readbacks, each read once).
2. A row that fails ``persistence`` consecutive samples trips: its response is
   applied once (degrade / isolate / safe / event) and reported as a
   WARNING_HI ``MONITOR_RESPONSE`` event with ``monitor`` and ``response``.
3. A degraded device recovers after ``recover_n`` consecutive good samples of
   the row that degraded it (0: latched). Latched degradations are kept in the
   state store, so a processor reset does not re-trust a failed device.
4. A check that raises is counted and treated as healthy (reported once): a
   monitor must never become a single point of failure.
5. Publishes HealthRecord (degraded devices, rows tripped now).
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.fdir import checks
from fsw.fdir.table import TABLE
from fsw.phases import Trigger
from fsw.records import AirDataRecord, AttitudeRecord, BurnRecord, GpsRecord, HealthRecord, ImuRecord, NavRecord

STORE_KEY = "health.degraded"


class MonitorTask:
    name = "monitors"
    PARAMS = ("fdir.accel_range_mps2", "fdir.max_rate_dps", "fdir.baro_stuck_window_s", "fdir.baro_stuck_min_drop_m",
              "chutes.baro_disagree_m", "fdir.gps_max_innovation_m", "landing.water_arm_alt_m", "fdir.water_margin_m",
              "fdir.engine_pc_off_pa", "deorbit.thrust_check_s", "fdir.rcs_duty_window_s", "fdir.rcs_max_duty",
              "fdir.soc_safe")

    def __init__(self, ctx, period_s: float, table=TABLE):
        self.ctx = ctx
        self.dt = period_s
        self.table = table
        self._fns = tuple(getattr(checks, row.check) for row in table)
        self._bad = [0] * len(table)
        self._good = [0] * len(table)
        self._mem = [dict() for _ in table]
        self._tripped = [False] * len(table)
        self.check_errors = 0
        self.responses = 0
        self.latched = set(ctx.store.get(STORE_KEY) or [])
        self.degraded: dict[str, int] = {name: -1 for name in self.latched}    # device -> row index (-1: store)
        self._pub = ctx.bus.port(HealthRecord, self.name)
        self._pub(HealthRecord(ctx.clock.now_s(), True, frozenset(self.degraded), ()))

    def _sample(self, t_s: float) -> checks.Sample:
        ctx, bus, hal = self.ctx, self.ctx.bus, self.ctx.hal
        return checks.Sample(t_s, ctx.phases.phase, ctx.params.v, bus.latest(ImuRecord), bus.latest(AirDataRecord),
                             bus.latest(NavRecord), bus.latest(GpsRecord), bus.latest(AttitudeRecord),
                             bus.latest(BurnRecord), hal.water.wet(), hal.engine.status(), hal.pyro.status(),
                             hal.power.read().battery_soc)

    def run(self, t_s: float) -> None:
        s = self._sample(t_s)
        ph = s.phase
        tripped = []
        for i, row in enumerate(self.table):
            if ph not in row.phases:
                self._bad[i] = 0
                continue
            try:
                ok = self._fns[i](s, row, self._mem[i])
            except Exception as exc:  # noqa: BLE001 - requirement 4
                self.check_errors += 1
                if self.check_errors == 1:
                    self.ctx.events.emit(Severity.WARNING_HI, "MONITOR_CHECK_ERROR",
                                         f"{row.monitor}: {type(exc).__name__}: {exc}", monitor=row.monitor)
                ok = True
            if ok:
                self._bad[i] = 0
                self._good[i] += 1
                if self._tripped[i] and row.recover_n and self._good[i] >= row.recover_n:
                    self._recover(i, row)
                continue
            self._good[i] = 0
            self._bad[i] += 1
            if self._bad[i] >= row.persistence and not self._tripped[i]:
                self._trip(i, row)
            if self._tripped[i]:
                tripped.append(row.monitor)
        self._pub(HealthRecord(t_s, True, frozenset(self.degraded), tuple(tripped)))

    def _trip(self, i: int, row) -> None:
        ctx = self.ctx
        self._tripped[i] = True
        self.responses += 1
        what = row.response + (f" {row.target}" if row.target else "")
        if row.response == "degrade":
            self.degraded[row.target] = i
            if not row.recover_n:
                self.latched.add(row.target)
                ctx.store.put(STORE_KEY, sorted(self.latched))
        elif row.response == "isolate":
            self._isolate(row.target)
        elif row.response == "safe":
            ctx.phases.request(Trigger.ABORT, f"monitor {row.monitor}")
        ctx.events.emit(Severity.WARNING_HI, "MONITOR_RESPONSE", f"{row.monitor}: {what}", monitor=row.monitor,
                        response=what)

    def _isolate(self, target: str) -> None:
        ctx = self.ctx
        if target == "engine":
            ctx.hal.engine.shutdown()
            ctx.hal.engine.arm(False)             # closes the series isolation valve
        elif target == "rcs":
            ctx.hal.rcs.latch(False)
            self.degraded["rcs"] = -1
            self.latched.add("rcs")
            ctx.store.put(STORE_KEY, sorted(self.latched))
            if ctx.phases.can(Trigger.ABORT):
                ctx.phases.request(Trigger.ABORT, "RCS isolated")

    def _recover(self, i: int, row) -> None:
        self._tripped[i] = False
        if self.degraded.get(row.target) == i:
            del self.degraded[row.target]
            self.ctx.events.emit(Severity.ACTIVITY_HI, "DEVICE_RECOVERED", f"{row.target} back in use ({row.monitor})",
                                 monitor=row.monitor, device=row.target)

    def telemetry(self) -> dict:
        return {"monitor_responses": self.responses}
