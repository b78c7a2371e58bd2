"""Recovery beacon task (1 Hz): position reports over Iridium SBD, from the
canopies to the ship, whatever else failed.

Requirements
1. Regime (table ``REGIMES``, first match wins):
   - ``surface``: in LANDED, or once ``beacon.after_main_s`` has passed since
     the main fired with no splashdown declared (the landing logic's own
     backup may have failed too), in any phase, SAFE included. The power
     supervisor is put in "recovery" mode once on entering it (the processor
     sleeps between wakes); reports every ``report_period_s``
     (fsw/tasks/beacon_policy.py) so that the battery lasts
     ``beacon.endurance_h`` from splashdown;
   - ``safe``: SAFE before that: reports every ``beacon.period_s``;
   - ``descent``: drogue or main out (phase DROGUE or MAIN, or a deploy time
     in the EdlRecord): last-known-state reports every
     ``beacon.descent_period_s``, so a capsule that sinks or whose beacon dies
     at the splash has told where it was going;
   - silent otherwise (no sky for the antenna in orbit and in blackout).
   The first report of a regime goes at once.
2. Position: the latest valid GPS fix with its age, else the navigated state,
   else none - the report still goes (Beagle 2). Layout: beacon_report.py.
3. A session starts only with at least ``beacon.min_bars`` of signal; none is
   a failed wake (backoff, no session).
4. After a failed session the next follows the status table
   (beacon_policy.py: backoff on transient failures, 3 min on "wait",
   ``beacon.retry_max_s`` when locked; a refused message is dropped); in
   surface beaconing every wake also spends the battery budget's credit
   (beacon_policy.WakeCredit): a wake waits for a whole one.
5. A battery reading outside 0..1 or not finite is counted and reported
   (BEACON_POWER_INVALID, once) and the last valid one is used; a power
   supervisor that refuses the mode command is reported (BEACON_POWER_MODE)
   and beaconing goes on.
6. A modem that raises (a serial error, no answer) is a failed wake, reported
   once (BEACON_MODEM_ERROR): the task never stops on it.
7. A session is started and then polled each run, never waited for (a real
   +SBDIX takes 10-60 s); its outcome is handled when it comes, with the cadence
   counted from the session's start. One still running after ``SESSION_TIMEOUT_S``
   is a failed session (MO status -1, transient).
"""
from __future__ import annotations

import math

from fsw.events import Severity
from fsw.flightmath import air_relative_velocity, eci_to_latlonalt
from fsw.phases import Phase
from fsw.records import EdlRecord, GpsRecord, LandingRecord, NavRecord
from fsw.tasks import beacon_report
from fsw.tasks.beacon_policy import WakeCredit, budget_period_s, retry_after_s, status_class
from hal.devices import SbdResult

_PHASES = list(Phase)
#: Regime by phase before the surface rule (requirement 1); None: silent.
REGIMES = {Phase.SAFE: "safe", Phase.DROGUE: "descent", Phase.MAIN: "descent", Phase.LANDED: "surface"}
#: A session still running after this is failed, s (the 9603's +SBDIX gives up within about 60 s).
SESSION_TIMEOUT_S = 90.0


class BeaconTask:
    name = "beacon"
    PARAMS = ("beacon.period_s", "beacon.descent_period_s", "beacon.retry_s", "beacon.retry_max_s",
              "beacon.min_bars", "beacon.after_main_s", "beacon.endurance_h", "beacon.max_period_s",
              "beacon.battery_wh", "beacon.reserve_wh", "beacon.sleep_w", "beacon.report_wh", "beacon.burst_wakes")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.seq = 0
        self.sent = 0
        self.failed = 0
        self.first_sent_t_s: float | None = None
        self.regime: str | None = None
        self.surface_t_s: float | None = None        # start of the endurance (requirement 1)
        self._next_t_s: float | None = None
        self._fails_in_row = 0
        self._fix = None                             # latest valid GPS fix (requirement 2)
        self._soc = 1.0
        self._said: set[str] = set()
        self._credit: WakeCredit | None = None      # surface beaconing's wake budget (requirement 4)
        self._pending: tuple | None = None           # (start t_s, payload, period) of a running session

    # ---- regime ---------------------------------------------------------------------------------
    def _regime(self, t_s: float, p) -> str | None:
        ph = self.ctx.phases.phase
        edl = self.ctx.bus.latest(EdlRecord)
        if ph is Phase.LANDED:
            land = self.ctx.bus.latest(LandingRecord)
            start = land.splash_t_s if land.valid and land.splash_t_s is not None else t_s
            return self._surface(start, "splashdown")
        if edl.main_t_s is not None and t_s >= edl.main_t_s + p["beacon.after_main_s"]:
            return self._surface(edl.main_t_s + p["beacon.after_main_s"], "timer after the main")
        if edl.drogue_t_s is not None or edl.main_t_s is not None:
            return "safe" if ph is Phase.SAFE else "descent"
        return REGIMES.get(ph)

    def _surface(self, start_t_s: float, why: str) -> str:
        if self.surface_t_s is None:
            self.surface_t_s = start_t_s
            self.ctx.events.emit(Severity.ACTIVITY_HI, "BEACON_SURFACE",
                                 f"surface beaconing ({why}): power to recovery mode", why=why)
            try:
                self.ctx.hal.power.set_mode("recovery")
            except Exception as e:  # noqa: BLE001 - requirement 5: the beacon goes on regardless
                self._once(Severity.WARNING_HI, "BEACON_POWER_MODE", f"recovery power mode refused: {e}")
        return "surface"

    # ---- the task -------------------------------------------------------------------------------
    def run(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        gps = ctx.bus.latest(GpsRecord)
        if gps.fix is not None and gps.fix.valid and (self._fix is None or gps.fix.t_s >= self._fix.t_s):
            self._fix = gps.fix
        if self._pending is not None:
            self._poll(t_s)
            return
        regime = self._regime(t_s, p)
        if regime != self.regime:
            self.regime = regime
            self._next_t_s = t_s                     # the first report of a regime goes at once
            self._fails_in_row = 0
        if regime is None or t_s < self._next_t_s:
            return
        self._battery_soc(t_s)
        period, budget = self._period(t_s, p, regime)
        if regime == "surface":
            if self._credit is None:
                self._credit = WakeCredit(p["beacon.burst_wakes"], p["beacon.burst_wakes"], t_s)
            self._credit.accrue(t_s, budget)
            wait = self._credit.wait_s(budget)
            if wait > 0.0:
                self._next_t_s = t_s + wait
                return
            self._credit.spend()
        try:
            bars = ctx.hal.iridium.signal_bars()
        except Exception as e:  # noqa: BLE001 - requirement 6: a modem that errs is a failed wake
            bars = -1
            self._once(Severity.WARNING_HI, "BEACON_MODEM_ERROR", f"modem did not answer: {e}")
        if bars < p["beacon.min_bars"]:
            self._fails_in_row += 1
            self._next_t_s = t_s + self._retry(period, "transient", p)
            return
        payload = self.report(t_s, regime, period)
        try:
            if not ctx.hal.iridium.start_sbd(payload):
                raise RuntimeError("a session is still running")
        except Exception as e:  # noqa: BLE001 - requirement 6
            self._once(Severity.WARNING_HI, "BEACON_MODEM_ERROR", f"modem did not answer: {e}")
            self._outcome(t_s, SbdResult(-1, 0), payload, period)
            return
        self._pending = (t_s, payload, period)
        self._poll(t_s)

    def _poll(self, t_s: float) -> None:
        """Requirement 7."""
        t0, payload, period = self._pending
        try:
            res = self.ctx.hal.iridium.poll_sbd()
        except Exception as e:  # noqa: BLE001 - requirement 6
            self._once(Severity.WARNING_HI, "BEACON_MODEM_ERROR", f"modem did not answer: {e}")
            res = SbdResult(-1, 0)
        if res is None and t_s - t0 < SESSION_TIMEOUT_S:
            return
        self._pending = None
        self._outcome(t0, res if res is not None else SbdResult(-1, 0), payload, period)

    def _outcome(self, t_s: float, res, payload: bytes, period: float) -> None:
        """A session's end; ``t_s`` its start (requirements 4, 7)."""
        ctx, p = self.ctx, self.ctx.params.v
        if res.sent:
            self._sent(t_s, res, payload)
            self._fails_in_row = 0
            self._next_t_s = t_s + period
            return
        self.failed += 1
        self._fails_in_row += 1
        cls = status_class(res.mo_status)
        wait = self._retry(period, cls, p)
        self._next_t_s = t_s + wait
        ctx.events.emit(Severity.WARNING_LO, "BEACON_FAILED",
                        f"SBD session failed, MO status {res.mo_status} ({cls}): next in {wait:.0f} s",
                        mo_status=res.mo_status, cls=cls, retry_s=wait)
        if cls == "antenna":
            self._once(Severity.WARNING_HI, "BEACON_ANTENNA", f"modem reports MO status {res.mo_status} "
                       "(antenna fault or radio disabled): retrying with backoff")
        elif cls == "locked":
            self._once(Severity.WARNING_HI, "BEACON_LOCKED", f"modem reports MO status {res.mo_status} "
                       f"(locked, denied or service disabled): retrying every {p['beacon.retry_max_s']:g} s")
        elif cls == "message":
            self._once(Severity.WARNING_HI, "BEACON_REFUSED", f"gateway refused the {len(payload)}-byte report "
                       f"(MO status {res.mo_status}): dropped, a fresh one follows")

    def _retry(self, period: float, cls: str, p) -> float:
        """Requirement 4."""
        return retry_after_s(cls, self._fails_in_row, p["beacon.retry_s"], min(period, p["beacon.retry_max_s"]),
                             p["beacon.retry_max_s"])

    def _period(self, t_s: float, p, regime: str) -> tuple[float, float]:
        """Report period of the regime and the battery budget's mean time between wakes, s
        (requirement 1; the budget in surface beaconing only)."""
        if regime == "descent":
            return p["beacon.descent_period_s"], 0.0
        if regime == "safe":
            return p["beacon.period_s"], 0.0
        endurance_s = p["beacon.endurance_h"] * 3600.0
        left = endurance_s - (t_s - self.surface_t_s)
        if left <= 0.0:
            left = endurance_s
        budget = budget_period_s(self._soc * p["beacon.battery_wh"], p["beacon.reserve_wh"], left,
                                 p["beacon.sleep_w"], p["beacon.report_wh"], p["beacon.max_period_s"])
        if budget >= p["beacon.max_period_s"]:
            self._once(Severity.WARNING_HI, "BEACON_POWER_LOW", f"battery {self._soc:.0%} cannot keep "
                       f"{p['beacon.endurance_h']:g} h at the {p['beacon.sleep_w']:g} W sleep load: "
                       f"one report every {budget:.0f} s")
        return max(p["beacon.period_s"], budget), budget

    def _battery_soc(self, t_s: float) -> float:
        """Requirement 5."""
        try:
            soc = float(self.ctx.hal.power.read().battery_soc)
        except Exception as e:  # noqa: BLE001 - a power reading that fails must not stop the beacon
            soc, why = math.nan, str(e)
        else:
            why = f"battery state of charge {soc!r}, expected 0..1"
        if math.isfinite(soc) and 0.0 <= soc <= 1.0:
            self._soc = soc
        else:
            self._once(Severity.WARNING_LO, "BEACON_POWER_INVALID", f"{why}: the last valid {self._soc:.2f} used")
        return self._soc

    def _once(self, sev: Severity, name: str, message: str) -> None:
        if name not in self._said:
            self._said.add(name)
            self.ctx.events.emit(sev, name, message)

    def _sent(self, t_s: float, res, payload: bytes) -> None:
        rep = beacon_report.parse(payload)
        self.sent += 1
        if self.first_sent_t_s is None:
            self.first_sent_t_s = t_s
        # The reported position rides along in the event, so the ground's recovery view can
        # set it against the splash forecast without the Iridium gateway's copy.
        self.ctx.events.emit(Severity.ACTIVITY_LO, "BEACON_SENT",
                             f"{rep['kind']} report {self.seq} sent (MOMSN {res.momsn})",
                             seq=self.seq, momsn=res.momsn, kind=rep["kind"], lat_deg=rep["lat_deg"],
                             lon_deg=rep["lon_deg"], alt_m=rep["alt_m"], source=rep["source"], age_s=rep["age_s"],
                             next_s=rep["next_s"])
        self.seq = (self.seq + 1) & 0xFFFF

    def report(self, t_s: float, regime: str = "surface", period_s: float = 0.0) -> bytes:
        """Build one report (requirement 2)."""
        ctx = self.ctx
        nav = ctx.bus.latest(NavRecord)
        pos: dict = {"source": "none"}
        if self._fix is not None:
            f = self._fix
            pos = dict(source="gps", lat_deg=f.lat_deg, lon_deg=f.lon_deg, alt_m=f.alt_m,
                       age_s=max(0.0, t_s - f.t_s), v_enu_mps=beacon_report.enu(f.r_ecef_m, f.v_ecef_mps))
        elif nav.valid:
            lat, lon, alt = eci_to_latlonalt(nav.r_eci_m, t_s)
            pos = dict(source="nav", lat_deg=lat, lon_deg=lon, alt_m=alt, age_s=max(0.0, t_s - nav.t_s),
                       v_enu_mps=beacon_report.enu(nav.r_eci_m, air_relative_velocity(nav.r_eci_m, nav.v_eci_mps)))
        return beacon_report.build(kind=regime, seq=self.seq, t_s=t_s, phase=_PHASES.index(ctx.phases.phase),
                                   battery_pct=100.0 * self._soc, next_s=period_s, failed=self.failed, **pos)

    def telemetry(self) -> dict:
        return {"beacon_messages": self.sent}
