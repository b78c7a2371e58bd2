"""Monitor task (10 Hz): runs the monitor table, applies responses, publishes health.

Requirements
1. Every row of fsw.fdir.table.TABLE is evaluated in its phases on one
   ``Sample`` per run (bus records and device readbacks, each read once).
2. A row that fails ``persistence`` consecutive samples trips: its response is
   applied once (degrade / isolate / safe / event) and reported as a
   WARNING_HI ``MONITOR_RESPONSE`` event with ``monitor`` and ``response``.
3. A degraded device recovers after ``recover_n`` consecutive good samples of
   the row that degraded it (0: latched). Latched degradations are kept in the
   state store, so a processor reset does not re-trust a failed device. A row
   that would degrade a device already latched trips silently.
4. A check that raises is counted and treated as healthy (reported once): a
   monitor must never become a single point of failure.
5. Publishes HealthRecord (degraded devices, rows tripped now).
6. ``vote`` and ``rcs_test`` rows act on the choice their check leaves in its
   ``mem``, on every failing sample of the tripped row, each new choice once:
   ``vote`` degrades ``<target>.<outlier>`` (latched, stored) or, with no
   outlier named yet, reports once that it keeps the fusion's choice;
   ``rcs_test`` holds every thruster off while its check tests a couple (the
   RCS listed degraded, not latched nor stored), isolates the RCS on a
   stuck-open or reversed-response verdict and reports a failed-closed (or
   inconclusive) couple, lifting the hold. A row leaving its phases lifts a
   hold it placed.
"""
from __future__ import annotations

from fsw.events import Severity
from fsw.fdir import checks
from fsw.fdir.checks import rcs_couple_name
from fsw.fdir.table import TABLE
from fsw.phases import Trigger
from fsw.records import AirDataRecord, AttitudeRecord, BurnRecord, GpsRecord, HealthRecord, ImuRecord, NavRecord

STORE_KEY = "health.degraded"
#: Responses whose choice the check makes (requirement 6).
_CHOSEN = ("vote", "rcs_test")


class MonitorTask:
    name = "monitors"
    PARAMS = ("fdir.accel_range_mps2", "fdir.max_rate_dps", "fdir.baro_stuck_window_s", "fdir.baro_stuck_min_drop_m",
              "chutes.baro_disagree_m", "fdir.gps_max_innovation_m", "landing.water_arm_alt_m", "fdir.water_margin_m",
              "fdir.engine_pc_off_pa", "deorbit.thrust_check_s", "fdir.rcs_duty_window_s", "fdir.rcs_max_duty",
              "fdir.rcs_open_accel_dps2", "fdir.soc_safe")

    def __init__(self, ctx, period_s: float, table=TABLE):
        self.ctx = ctx
        self.dt = period_s
        self.table = table
        self._fns = tuple(getattr(checks, row.check) for row in table)
        self._bad = [0] * len(table)
        self._good = [0] * len(table)
        self._mem = [dict() for _ in table]
        self._tripped = [False] * len(table)
        self._acted = [None] * len(table)           # vote / rcs_test: the check's choice last acted on
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
                if self._acted[i] is not None and self.degraded.get(row.target) == i:
                    self._lift(i, row)                  # a test's hold must not outlive its phases
                    self._mem[i].pop("test", None)
                    self._tripped[i], self._acted[i] = False, None
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
            if self._bad[i] >= row.persistence:
                if not self._tripped[i]:
                    self._trip(i, row)
                elif row.response in _CHOSEN:
                    self._follow(i, row)
            if self._tripped[i]:
                tripped.append(row.monitor)
        self._pub(HealthRecord(t_s, True, frozenset(self.degraded), tuple(tripped)))

    def _trip(self, i: int, row) -> None:
        ctx = self.ctx
        self._tripped[i] = True
        if row.response in _CHOSEN:
            self._acted[i] = None
            self._follow(i, row)
            return
        if row.response == "degrade" and row.target in self.latched:
            return                 # already failed for good (e.g. voted out, so now also "unusable"): no news
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

    def _respond(self, row, what: str, detail: str | None = None) -> None:
        self.responses += 1
        msg = f"{row.monitor}: {what}" + (f" ({detail})" if detail else "")
        self.ctx.events.emit(Severity.WARNING_HI, "MONITOR_RESPONSE", msg, monitor=row.monitor, response=what)

    def _follow(self, i: int, row) -> None:
        """Requirement 6: act once on each new choice the row's check made."""
        mem = self._mem[i]
        if row.response == "vote":
            k = mem.get("outlier")
            if k is None:
                if self._acted[i] is None:
                    self._acted[i] = "none"
                    self._respond(row, "event", "no fresh GPS altitude to vote: fusion keeps the higher")
                return
            if self._acted[i] == k:
                return
            self._acted[i] = k
            dev = f"{row.target}.{k}"
            if dev in self.latched:
                return
            self.degraded[dev] = i
            self.latched.add(dev)
            self.ctx.store.put(STORE_KEY, sorted(self.latched))
            self._respond(row, f"degrade {dev}", f"GPS vote: {mem.get('detail')}")
            return
        verdict = mem.get("verdict")                    # rcs_test
        if verdict is None or verdict == self._acted[i]:
            return
        self._acted[i] = verdict
        kind, k = verdict
        duty = f"{rcs_couple_name(k ^ 1 if kind == 'open' else k)} on {100 * mem.get('duty', 1.0):.0f} % of the window"
        if kind == "test":
            self.degraded[row.target] = i               # attitude holds every thruster off
            self._respond(row, f"test {row.target}", f"{duty}: thrusters held off")
        elif kind == "open":
            self._isolate(row.target)
            self._respond(row, f"isolate {row.target}", f"{rcs_couple_name(k)} stuck open; {duty}")
        elif kind == "reversed":
            self._isolate(row.target)
            self._respond(row, f"isolate {row.target}", f"the rate answers {rcs_couple_name(k)} backwards "
                          f"(gyro sign or thruster); {duty}")
        else:
            self._lift(i, row)
            what = "failed closed" if kind == "closed" else "test inconclusive"
            self._respond(row, f"event {rcs_couple_name(k)} {what}", f"{duty}; the other couples stay in use")

    def _lift(self, i: int, row) -> None:
        if self.degraded.get(row.target) == i:
            del self.degraded[row.target]

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
