"""Beacon task (fsw/tasks/beacon.py): regimes (descent, surface, safe, the timer after the main),
position with its age, the +SBDIX status table and backoff, and the 48 h battery budget on the
SIL battery model (sim/power.py, config/sil.yaml)."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.phases import Phase, Trigger
from fsw.records import EdlRecord, GpsRecord, LandingRecord, NavRecord
from fsw.tasks.beacon_policy import WakeCredit
from fsw.tasks.beacon_report import REPORT, SBD_MO_MAX, build, parse
from hal.devices import GpsFix

PHASES = list(Phase)
R_EQ = (6378137.0, 0.0, 0.0)


def reports(rig):
    return [parse(p) for p in rig.dev.iridium.sessions]


def beacon(phase, t0_s=6000.0, **kw):
    rig = Rig(phase, t0_s=t0_s, **kw)
    return rig, rig.build("beacon")


def gaps(ts):
    return [round(b - a, 6) for a, b in zip(ts, ts[1:])]


# ---- regimes (requirement 1) -------------------------------------------------------------------
@pytest.mark.parametrize("phase", [Phase.SEPARATED, Phase.COAST, Phase.ENTRY])
def test_silent_before_the_canopies_unless_safe(phase):
    rig, b = beacon(phase)
    rig.run(b, 300.0)
    assert rig.dev.iridium.sessions == [] and rig.dev.iridium.checks == 0


@pytest.mark.parametrize("phase", [Phase.DROGUE, Phase.MAIN])
def test_under_the_canopies_last_known_state_every_descent_period(phase):
    rig, b = beacon(phase)
    v_eci = (-8.0, 465.1, 0.0)                       # the Earth's rotation at the equator + 8 m/s down
    rig.publish(NavRecord(rig.now, True, (6378137.0 + 2500.0, 0.0, 0.0), v_eci))
    rig.run(b, 61.0)
    reps = reports(rig)
    assert [r["kind"] for r in reps] == ["descent"] * 3
    assert gaps(rig.dev.iridium.session_t_s) == [30.0, 30.0]
    r = reps[0]
    assert r["source"] == "nav" and r["alt_m"] == pytest.approx(2500.0, abs=30.0)
    assert r["v_enu_mps"][2] == pytest.approx(-8.0, abs=0.1)            # descending, earth-relative
    assert abs(r["v_enu_mps"][0]) < 0.5 and r["next_s"] == 30
    assert rig.dev.power.modes == []                                    # still in flight power


def test_landed_reports_at_once_then_every_period_in_recovery_power():
    rig, b = beacon(Phase.LANDED)
    rig.publish(LandingRecord(rig.now, True, rig.now, "water+baro"))
    rig.run(b, n=1)
    assert len(rig.dev.iridium.sessions) == 1 and rig.dev.power.modes == ["recovery"]
    assert len(rig.named("BEACON_SURFACE")) == 1
    rig.run(b, 119.0)
    assert len(rig.dev.iridium.sessions) == 1
    rig.run(b, 1.0)
    reps = reports(rig)
    assert [r["seq"] for r in reps] == [0, 1] and {r["kind"] for r in reps} == {"surface"}
    assert PHASES[reps[0]["phase"]] is Phase.LANDED and reps[0]["next_s"] == 120
    assert b.sent == 2 and b.telemetry() == {"beacon_messages": 2}
    assert rig.last("BEACON_SENT").data["kind"] == "surface"
    assert rig.dev.power.modes == ["recovery"]                          # commanded once


def test_safe_reports_every_period_in_flight_power():
    rig, b = beacon(Phase.SEPARATED, t0_s=500.0)
    rig.run(b, 10.0)
    rig.phases.request(Trigger.SAFE_CMD, "ground")
    rig.run(b, 121.0)
    assert [(r["kind"], PHASES[r["phase"]]) for r in reports(rig)] == [("safe", Phase.SAFE)] * 2
    assert rig.dev.power.modes == []


def test_no_splashdown_declared_surface_beaconing_starts_on_the_timer_after_the_main():
    """The landing logic never declares splashdown (water switch and baro both failed, its own
    backup too): beacon.after_main_s after the main the beacon goes to surface reporting anyway,
    in whatever phase the capsule was left."""
    rig, b = beacon(Phase.MAIN)
    after = rig.ctx.params.v["beacon.after_main_s"]
    rig.publish(EdlRecord(rig.now, True, main_t_s=rig.now, main_trigger="baro+gps"))
    rig.run(b, after - 1.0)
    assert {r["kind"] for r in reports(rig)} == {"descent"} and rig.dev.power.modes == []
    rig.run(b, 2.0)
    assert reports(rig)[-1]["kind"] == "surface" and rig.dev.power.modes == ["recovery"]
    assert "timer" in rig.last("BEACON_SURFACE").data["why"]
    assert b.surface_t_s == pytest.approx(6000.0 + after)


def test_safe_after_the_main_also_reaches_surface_beaconing_on_the_timer():
    rig, b = beacon(Phase.SAFE)
    rig.publish(EdlRecord(rig.now, True, drogue_t_s=rig.now - 400.0, main_t_s=rig.now))
    rig.run(b, n=1)
    assert reports(rig)[-1]["kind"] == "safe"
    rig.run(b, rig.ctx.params.v["beacon.after_main_s"])
    assert reports(rig)[-1]["kind"] == "surface"


# ---- position and its age (requirement 2) --------------------------------------------------------
def test_gps_fix_with_its_age_held_through_later_invalid_fixes_else_nav_else_none():
    rig, b = beacon(Phase.LANDED)
    rig.run(b, n=1)
    assert reports(rig)[-1]["source"] == "none"
    rig.publish(NavRecord(rig.now, True, R_EQ, (0.0, 465.1, 0.0)))
    rig.run(b, 120.0)
    assert reports(rig)[-1]["source"] == "nav"
    t_fix = rig.now
    rig.publish(GpsRecord(t_fix, True, GpsFix(t_fix, True, -37.32, -157.82, 1.0, r_ecef_m=R_EQ,
                                              v_ecef_mps=(0.0, 0.3, -0.5), n_sats=8)))
    rig.run(b, 120.0)
    r = reports(rig)[-1]
    assert r["source"] == "gps" and r["lat_deg"] == pytest.approx(-37.32) and r["lon_deg"] == pytest.approx(-157.82)
    assert r["age_s"] == 120 and r["v_enu_mps"] == pytest.approx((0.3, -0.5, 0.0))   # the fix is 120 s old
    # A wave over the antenna: the receiver loses the fix; the held one goes out with its age.
    rig.publish(GpsRecord(rig.now, True, GpsFix(rig.now, False)))
    rig.run(b, 120.0)
    r = reports(rig)[-1]
    assert r["source"] == "gps" and r["age_s"] == 240 and r["lat_deg"] == pytest.approx(-37.32)


def test_report_fits_an_sbd_message_and_wild_values_build_clipped():
    assert REPORT.sizeof() <= SBD_MO_MAX
    p = build(kind="surface", seq=70000, t_s=-5.0, phase=0, source="gps", lat_deg=math.nan, lon_deg=400.0,
              alt_m=1e12, age_s=1e9, v_enu_mps=(1e6, -1e6, math.inf), battery_pct=140.0, next_s=-3, failed=10**6)
    r = parse(p)
    assert len(p) == REPORT.sizeof()
    assert (r["seq"], r["t_s"], r["lat_deg"], r["lon_deg"]) == (70000 & 0xFFFF, 0, 0.0, 180.0)
    assert r["age_s"] == 0xFFFF and r["battery_pct"] == 100 and r["v_enu_mps"] == (3276.7, -3276.8, 0.0)


# ---- signal and +SBDIX outcomes (requirements 3, 4) --------------------------------------------
def test_no_session_without_signal_and_the_checks_back_off():
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.bars = 1
    rig.run(b, 60.0)
    assert rig.dev.iridium.sessions == [] and rig.dev.iridium.checks == 3        # t 0, 15, 45
    rig.dev.iridium.bars = 3
    rig.run(b, 60.0)
    assert len(rig.dev.iridium.sessions) == 1 and rig.dev.iridium.checks == 4    # t 105


def test_transient_failures_back_off_doubling_to_the_cap_and_success_resets_it():
    rig, b = beacon(Phase.LANDED)
    p = rig.ctx.params.v
    rig.dev.iridium.statuses = [32, 13, 18, 32, 32, 32, 0, 32]
    rig.run(b, 1200.0)
    t = rig.dev.iridium.session_t_s
    r0, per = p["beacon.retry_s"], p["beacon.period_s"]
    assert (r0, per) == (15.0, 120.0)
    # 15, 30, 60 s, then capped at the period: a failed report is retried before the next was due.
    assert gaps(t)[:7] == [r0, 2 * r0, 4 * r0, per, per, per, per]
    assert gaps(t)[7] == r0                                    # the backoff starts again
    assert b.failed == 7 and b.sent >= 1
    assert rig.last("BEACON_FAILED").data["cls"] == "transient"


@pytest.mark.parametrize("status, first_gaps, event", [
    (36, [180.0, 180.0], None), (38, [180.0, 180.0], None),
    (15, [600.0, 600.0], "BEACON_LOCKED"), (16, [600.0, 600.0], "BEACON_LOCKED"), (37, [600.0, 600.0], "BEACON_LOCKED"),
    (33, [15.0, 30.0], "BEACON_ANTENNA"), (12, [15.0, 30.0], "BEACON_REFUSED"), (99, [15.0, 30.0], None)])
def test_each_status_class_has_its_response(status, first_gaps, event):
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.mo_status = status
    rig.run(b, 1300.0)
    t = rig.dev.iridium.session_t_s
    assert gaps(t)[:2] == first_gaps
    assert len(t) >= 3                                         # a beacon never gives up
    if event is not None:
        assert len(rig.named(event)) == 1                      # said once, however often it happens
    rig.dev.iridium.mo_status = 0
    rig.run(b, 700.0)
    assert b.sent >= 1


# ---- power (requirement 5 and the 48 h budget) -------------------------------------------------
def fly_surface(soc_at_splash: float, hours: float = 48.0, fail_every: int = 7):
    """Splashdown at t0 with the battery at ``soc_at_splash``; the beacon alone for ``hours`` at
    1 Hz on the SIL battery model; every ``fail_every``-th session fails (no network)."""
    rig, b = beacon(Phase.LANDED)
    rig.publish(LandingRecord(rig.now, True, rig.now, "water+baro"))
    rig.publish(GpsRecord(rig.now, True, GpsFix(rig.now, True, -37.3, -157.8, 0.0, n_sats=8)))
    rig.dev.power.soc = soc_at_splash
    ird = rig.dev.iridium

    def before(t):
        n = len(ird.sessions) + 1
        ird.mo_status = 32 if n % fail_every == 0 else 0
    rig.run(b, hours * 3600.0, before=before)
    return rig, b, rig.dev.power.soc


def test_48_h_of_surface_beaconing_on_the_charge_left_at_splashdown():
    """The nominal SIL flight reaches splashdown at ~4400 s on 12 W from 120 Wh: soc 0.88. The
    beacon reports every 120 s (the budget allows it) for 48 h and ends above the reserve."""
    rig, b, soc = fly_surface(0.88)
    p = rig.ctx.params.v
    t = rig.dev.iridium.session_t_s
    assert t[-1] - t[0] > 47.9 * 3600.0
    assert max(gaps(t)) <= p["beacon.period_s"]
    assert b.sent > 0.8 * 48 * 3600 / p["beacon.period_s"]
    assert soc * p["beacon.battery_wh"] > p["beacon.reserve_wh"]
    assert not rig.named("BEACON_POWER_LOW")


def test_a_low_battery_stretches_the_period_and_still_lasts_48_h():
    """A SAFE hold before the burn spent most of the charge: 30 % left at splashdown. The budget
    stretches the period (retries after a failure only on saved credit) and the beacon still
    reports at 48 h."""
    rig, b, soc = fly_surface(0.30)
    p = rig.ctx.params.v
    t = rig.dev.iridium.session_t_s
    assert t[-1] - t[0] > 47.0 * 3600.0
    g = sorted(gaps(t))
    assert g[len(g) // 2] > 3 * p["beacon.period_s"]                    # the median gap: ~440 s
    assert len(t) < 48 * 3600.0 / (3 * p["beacon.period_s"])
    assert soc * p["beacon.battery_wh"] > 0.9 * p["beacon.reserve_wh"]
    assert rig.dev.power.soc > 0.0


def test_a_battery_too_low_for_the_sleep_load_reports_at_the_longest_period_and_says_so():
    rig, b = beacon(Phase.LANDED)
    rig.dev.power.soc = 0.11
    rig.run(b, 3 * 3600.0 + 1.0)
    assert gaps(rig.dev.iridium.session_t_s) == [3600.0] * 3
    assert len(rig.named("BEACON_POWER_LOW")) == 1


def test_an_invalid_battery_reading_is_reported_once_and_beaconing_goes_on():
    rig, b = beacon(Phase.LANDED)
    rig.run(b, n=1)
    rig.dev.power.reading = math.nan
    rig.run(b, 241.0)
    assert len(rig.named("BEACON_POWER_INVALID")) == 1 and len(rig.dev.iridium.sessions) == 3
    assert reports(rig)[-1]["battery_pct"] == 90


def test_a_power_supervisor_refusing_recovery_mode_does_not_stop_the_beacon():
    rig, b = beacon(Phase.LANDED)

    def refuse(mode):
        raise OSError("supervisor not answering")
    rig.dev.power.set_mode = refuse
    rig.run(b, 121.0)
    assert len(rig.named("BEACON_POWER_MODE")) == 1 and b.sent == 2


def test_under_the_canopies_no_retry_waits_past_a_descent_period():
    """Minutes to the splash: the backoff stops at beacon.descent_period_s (no signal above 20 km)."""
    rig, b = beacon(Phase.DROGUE)
    rig.dev.iridium.bars = 0
    rig.run(b, 200.0)
    assert rig.dev.iridium.checks == 8                 # t 0, 15, 45, 75, ... 195: 15, then 30 s apart


def test_a_modem_that_raises_is_a_failed_wake_and_the_task_goes_on():
    rig, b = beacon(Phase.LANDED)

    def broken(*a):
        raise OSError("/dev/ttyS2: input/output error")
    rig.dev.iridium.signal_bars = broken
    rig.run(b, 60.0)                                   # raising would fail the test here
    assert len(rig.named("BEACON_MODEM_ERROR")) == 1 and b.sent == 0
    del rig.dev.iridium.signal_bars                    # the modem answers again
    rig.dev.iridium.start_sbd, start = broken, rig.dev.iridium.start_sbd
    rig.run(b, 60.0)
    assert b.failed >= 1 and b.sent == 0
    rig.dev.iridium.start_sbd = start
    rig.dev.iridium.poll_sbd, poll = broken, rig.dev.iridium.poll_sbd
    failed = b.failed
    rig.run(b, 130.0)
    assert b.failed > failed and b.sent == 0            # a poll that raises fails that session
    rig.dev.iridium.poll_sbd = poll
    rig.dev.iridium._pending = None                     # the modem's own state after a power cycle
    rig.run(b, 130.0)
    assert b.sent >= 1


def test_a_session_is_polled_not_waited_for():
    """A real +SBDIX takes 10-60 s: the task starts it, returns, and polls it each run; the next
    report keeps its cadence from the session's start."""
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.session_polls = 20                  # 20 runs at 1 Hz: a 20 s session
    rig.run(b, 10.0)
    assert len(rig.dev.iridium.sessions) == 1 and b.sent == 0 and b._pending is not None
    rig.run(b, 12.0)
    assert b.sent == 1 and b.first_sent_t_s == pytest.approx(rig.dev.iridium.session_t_s[0])
    assert len(rig.dev.iridium.sessions) == 1           # no second session while the first ran


def test_a_session_that_never_ends_times_out():
    from fsw.tasks.beacon import SESSION_TIMEOUT_S
    rig, b = beacon(Phase.LANDED)
    rig.dev.iridium.session_polls = 10 ** 6
    rig.run(b, SESSION_TIMEOUT_S - 1.0)
    assert b.failed == 0 and b._pending is not None
    rig.run(b, 2.0)
    (ev,) = rig.named("BEACON_FAILED")
    assert b.failed == 1 and b.sent == 0 and ev.data["mo_status"] == -1 and b._pending is None


def test_wake_credit_lets_retries_borrow_but_never_outrun_the_budget():
    c = WakeCredit(3.0, 3.0, 0.0)
    for _ in range(3):                         # a fresh splashdown: three wakes at once
        assert c.wait_s(100.0) == 0.0
        c.spend()
    assert c.wait_s(100.0) == pytest.approx(100.0)
    c.accrue(1000.0, 100.0)
    assert c.credit == 3.0                     # capped: idle time saves at most three
    n, t = 0, 1000.0
    while t < 1000.0 + 36000.0:                # ten hours of wakes as fast as the credit allows
        c.accrue(t, 100.0)
        w = c.wait_s(100.0)
        if w == 0.0:
            c.spend()
            n += 1
        t += max(w, 1.0)
    assert n <= 360 + 3


def test_at_the_splash_three_quick_tries_before_the_budget_paces_the_retries():
    """Sessions failing at the splash (the SIL modem fails ~15 %): tries at 0, 15 and 45 s on the
    three saved wakes, then no sooner than the credit allows."""
    rig, b = beacon(Phase.LANDED, params={"beacon.period_s": 60.0})
    rig.dev.power.soc = 0.88
    rig.dev.iridium.mo_status = 13
    rig.run(b, 600.0)
    t = [x - rig.dev.iridium.session_t_s[0] for x in rig.dev.iridium.session_t_s]
    assert t[:3] == [0.0, 15.0, 45.0]
    assert len(t) <= 3 + 600.0 / 60.0
