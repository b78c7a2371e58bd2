"""Health task: the watchdog is kicked only while critical tasks make progress; a task failing every run is
restarted, then (still failing) the kicks stop. Driven by the real rate-group scheduler."""
from __future__ import annotations

from dataclasses import replace

from fakes import Rig
from fsw.phases import Phase
from fsw.scheduler import RateGroup, Scheduler, SchedulerStats, TaskStats


class Good:
    def __init__(self, name):
        self.name, self.runs = name, 0

    def run(self, t_s):
        self.runs += 1


class Raising:
    def __init__(self, name):
        self.name = name

    def run(self, t_s):
        raise RuntimeError("stuck pointer")


class Flight:
    """nav and baro (critical) at 10 Hz and the health task at 1 Hz on a real Scheduler (50 Hz base)."""

    def __init__(self, baro=None, fix_on_restart=True):
        self.rig = Rig(Phase.SEPARATED, t0_s=100.0)
        self.restarts = []
        self.fix_on_restart = fix_on_restart
        self.health = self.rig.build("health", scheduler_stats=lambda: self.sched.stats(), restart=self.restart)
        self.sched = Scheduler(self.rig.clock, self.rig.events, 50.0, [
            RateGroup("rg10", 10.0, (Good("nav"), baro or Good("baro"))),
            RateGroup("rg1", 1.0, (self.health,)),
        ])

    def restart(self, name):
        self.restarts.append(name)
        if self.fix_on_restart:
            self.sched.replace_task(name, Good(name))

    def fly(self, seconds):
        for _ in range(int(round(seconds * 50))):
            self.sched.tick()
            self.rig.clock.advance_by(0.02)

    @property
    def kicks(self):
        return self.rig.dev.watchdog.kicks


def responses(rig):
    return [(e.severity.name, e.data["response"]) for e in rig.named("MONITOR_RESPONSE")]


def test_healthy_tasks_keep_the_watchdog_kicked_and_hk_recorded():
    f = Flight()
    f.fly(10.0)
    assert f.kicks == 10 and f.health.withheld == 0
    hk = [r for r in f.rig.recorder.records_written if r["kind"] == "hk"]
    assert len(hk) == 10 and hk[-1]["phase"] == "SEPARATED"


def test_a_task_failing_every_run_is_restarted_and_the_kicks_go_on():
    f = Flight(baro=Raising("baro"))
    f.fly(3.0)
    assert f.restarts == ["baro"]
    assert responses(f.rig) == [("WARNING_HI", "restart baro")]
    assert f.kicks == 3
    assert f.sched.stats().per_task["baro"].errors == 11          # counted by the scheduler until restarted


def test_a_task_still_failing_after_its_restart_stops_the_kicks():
    f = Flight(baro=Raising("baro"), fix_on_restart=False)
    f.fly(2.0)
    assert f.restarts == ["baro"] and f.kicks == 2
    f.fly(3.0)
    assert f.restarts == ["baro"]                                  # restarted once only
    assert ("FATAL", "processor reset") in responses(f.rig)
    assert f.kicks == 2 and f.health.withheld == 3                 # the watchdog will bite


def test_a_task_failing_now_and_then_is_not_a_failed_task():
    class Flaky:
        name, n = "baro", 0

        def run(self, t_s):
            self.n += 1
            if self.n % 3 == 0:
                raise RuntimeError("sometimes")
    f = Flight(baro=Flaky())
    f.fly(5.0)
    assert f.restarts == [] and f.kicks == 5


def test_a_critical_task_making_no_progress_withholds_the_kick():
    """A stalled task (its run count stands still) is no progress: no kick, the watchdog resets."""
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    runs = {"n": 0}

    def stats():
        runs["n"] += 10
        per = {"nav": TaskStats(runs["n"], 0.1, 0.1, 0), "chutes": TaskStats(7, 0.1, 0.1, 0)}   # chutes stalled
        return SchedulerStats(runs["n"], 0, 0, 0, 0.1, per, {})
    h = rig.build("health", scheduler_stats=stats)
    rig.run(h, n=1)
    assert rig.dev.watchdog.kicks == 1                             # first check: nothing to compare yet
    rig.run(h, n=3)
    assert rig.dev.watchdog.kicks == 1 and h.withheld == 3


def test_non_critical_tasks_do_not_hold_the_watchdog():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    frozen = SchedulerStats(1, 0, 0, 0, 0.1, {"telemetry": TaskStats(5, 0.1, 0.1, 5)}, {})
    h = rig.build("health", scheduler_stats=lambda: replace(frozen))
    rig.run(h, n=4)
    assert rig.dev.watchdog.kicks == 4


def test_in_the_flight_app_a_task_raising_every_run_is_rebuilt_and_flies_on():
    """The app's own wiring: health -> FlightApp.restart_task -> a new task from the store and the bus."""
    from fakes import KEY, FakeDevices, mission_params
    from fsw.app import FlightApp
    from fsw.clock import SimClock
    clock = SimClock(100.0)
    dev = FakeDevices(clock)
    app = FlightApp(dev.hal(), clock, mission_params(), KEY, power_on_phase=Phase.SEPARATED)
    old = app.tasks["baro"]
    app.scheduler.replace_task("baro", Raising("baro"))           # the running instance goes bad
    for _ in range(150):
        app.tick()
        clock.advance_by(0.02)
    assert [e.data["task"] for e in app.events.history if e.name == "TASK_RESTARTED"] == ["baro"]
    assert app.tasks["baro"] is not old
    errors = app.scheduler.stats().per_task["baro"].errors
    for _ in range(100):
        app.tick()
        clock.advance_by(0.02)
    assert app.scheduler.stats().per_task["baro"].errors == errors  # the rebuilt task runs clean
    assert dev.watchdog.kicks == 5
