"""SIL executive: the flight app in lockstep with the simulator, and the run outputs.

Requirements
1. Each 20 ms base tick: advance the world to t, set the flight clock to t, run
   one scheduler tick. Actuator commands act over the following interval.
2. Outputs (ARCHITECTURE.md, "Run outputs"): summary.json, trajectory.csv (1 Hz,
   10 Hz from entry interface to splashdown), events.jsonl, recorder.bin, and
   downlink.bin (the telemetry packets as the ground receives them). Truth
   values come from the simulator, never from flight estimates. The files
   (clearing, periodic flush, atomic summary) are ``tools.run_outputs``.
2a. A stop request (``stop_signal``, set by elsrs sil's SIGINT/SIGTERM handler)
   ends the run at the end of the tick in progress, with an ``interrupted`` summary.
2b. ``result`` and ``failure_reasons`` are tools/verdict.py's ``judge`` on the run's
   facts (truth at each pyro pulse, splash, phases, beacon, task exceptions, monitor
   responses). Addition to the summary contract: ``anomalies`` [str], every task
   exception and monitor response (summarised per kind), whatever the result.
3. Same scenario and seed -> same summary, apart from the wall-time fields
   (``wall_time_s``, ``realtime_factor``, ``scheduler.max_task_ms`` and
   ``scheduler.overruns``, both from the task timer's CPU time).
4. A ``fsw reset`` fault or a watchdog bite is a real processor reset
   (tools/sil_computer.py): the app is torn down, the boards fall to their
   hardware defaults for the boot time, and a new app boots from the state
   store file, the hardware and the clock alone.
"""
from __future__ import annotations

import gc
import math
import time
from pathlib import Path

from fsw.app import BASE_RATE_HZ, FlightApp
from fsw.clock import SimClock
from fsw.phases import Phase
from fsw.tasks.commanding import STORE_COUNTER
from hal.sim_backend import build_sim_hal
from sim.earth import great_circle_km
from sim.faults import TIME_TOL_S
from sim.ground_station import SimGroundStation
from sim.scenario import Scenario
from sim.vehicle import vehicle_from_config
from sim.world import World
from tools.run_outputs import RunOutputs, mark_interrupted
from tools.sil_computer import FlightComputer
from fsw.schema import ConfigError
from tools.timer_window import TimerWindowProbe
from tools.verdict import SPLASH_SPEED_LIMIT_MPS  # noqa: F401  (re-exported: defined with the verdict)
from tools.verdict import AnomalyLog, Envelope, PyroPulse, RunFacts, Splash, anomalies, judge

SCHEMA_VERSION = 1
TICK_S = 1.0 / BASE_RATE_HZ
#: Entry interface altitude, m (ARCHITECTURE.md: about 120 km).
ENTRY_INTERFACE_M = 120_000.0
#: Uplinked initial state vector errors, 1 sigma per axis (station-provided state; the
#: flight filter assumes the same figures: mission params nav.handover_*).
SV_POS_ERR_M = 10.0
SV_VEL_ERR_MPS = 0.02
SV_ATT_ERR_DEG = 1.0
#: A flight started at entry interface hands over the state its own navigation would hold
#: there after an orbit with the star tracker (filter attitude sigma ~0.1 deg, NavRecord).
SV_ATT_ERR_EI_DEG = 0.1
TRAJ_COLUMNS = ("t_s", "phase", "lat_deg", "lon_deg", "alt_m", "speed_mps", "fpa_deg", "mach", "q_pa", "load_g")
#: Scheduler clocks in SIL (fsw/scheduler.py SCH-003): tasks are timed on the cheap
#: monotonic counter (0.1 us a reading against 0.8 us for thread CPU time, and it is
#: read once per task); rate-group budgets are judged on thread CPU time, because the
#: flight computer's CPU is shared with the simulator and whatever else runs on the
#: laptop, and wall time would count other processes' time slices as overruns.
SCHEDULER_TIMERS = {"timer_ns": time.perf_counter_ns, "budget_timer_ns": time.thread_time_ns}
_INITIAL_PHASE = {"attached": Phase.ATTACHED, "separation": Phase.ATTACHED, "entry_interface": Phase.COAST}


def _r(x, nd=4):
    return None if x is None else round(float(x), nd)


def _rotated(q, e):
    """q turned by the small ECI rotation vector e (rad): the hand-over's attitude error."""
    from fsw.gnc.ekf import apply_rotation
    return apply_rotation(q, e)


class SilRun:
    """One SIL flight of a scenario."""

    def __init__(self, scenario: Scenario, seed: int | None = None, out_dir: str | Path | None = None,
                 echo=print, link_key: bytes | None = None, live=None):
        self.sc = scenario
        self.seed = scenario.seed if seed is None else seed
        self.out = Path(out_dir) if out_dir is not None else None
        # Checked and cleared of the previous run's outputs before anything is written there.
        self.outputs = RunOutputs(self.out, TRAJ_COLUMNS) if self.out is not None else None
        #: Set (to the signal number) by a SIGINT/SIGTERM handler: the run stops at the end of its tick.
        self.stop_signal: int | None = None
        self.interrupted_by: int | None = None         # the stop signal, once the loop has obeyed it
        self.echo = echo or (lambda *a, **k: None)
        for k, f in enumerate(scenario.faults):
            if f["target"].startswith("wire."):
                raise ConfigError(scenario.path, f"faults[{k}].target", f"{f['target']!r} acts on a serial line: "
                                  "expected a device target in a SIL run (wire faults need elsrs hil-sim)")
        self.world = World(vehicle_from_config(scenario.vehicle), scenario.hardware, scenario.environment,
                           scenario.start, scenario.mission["station_orbit"], self.seed, scenario.faults)
        w = self.world
        if scenario.start["kind"] == "separation":
            w.attached = False
        n = w.noise.normal
        s = w.s
        att_err = SV_ATT_ERR_EI_DEG if scenario.start["kind"] == "entry_interface" else SV_ATT_ERR_DEG
        sv = {"r_eci_m": [s[i] + SV_POS_ERR_M * n() for i in range(3)],
              "v_eci_mps": [s[3 + i] + SV_VEL_ERR_MPS * n() for i in range(3)],
              "q_body_eci": list(_rotated(tuple(s[6:10]), [math.radians(att_err) * n() for _ in range(3)]))}
        cmds = [(0.0, "STATE_VECTOR", sv)] + [(c["at_s"], c["name"], c["args"]) for c in scenario.commands]
        self.ground = SimGroundStation(None if self.out is None else self.out / "downlink.bin", key=link_key,
                                       commands=cmds, flight_counter=lambda: self.app.store.get(STORE_COUNTER) or 0)
        self.live = live                  # optional tools.sil_live.LiveGround (elsrs sil --ground-listen)
        sink = self.ground.receive if live is None else live.tee(self.ground.receive)
        self.hal = build_sim_hal(w, self.ground.due, sink)
        self.clock = SimClock()
        self.phases: list[dict] = []
        self.pyro_phase: dict[tuple, str] = {}
        self.deploys: dict[str, dict] = {}
        self.burn: dict = {}
        self.pulse_truth: dict[tuple, dict] = {}     # (t_s, channel) -> truth at each drogue/main pulse (verdict)
        self.anomaly_log = AnomalyLog()              # task exceptions and monitor responses (verdict)
        #: navigation error (truth minus the flight filter's estimate) at ignition, entry interface, drogue
        self.nav_errors: dict[str, dict | None] = {"ignition": None, "entry_interface": None, "drogue": None}
        #: truth bounds of each EDL backup timer (tools/timer_window.py)
        self.timer_probe = TimerWindowProbe(scenario.vehicle["deployment_envelope"],
                                            scenario.mission["params"]["entry"]["onset_mps2"],
                                            scenario.mission["params"]["chutes"]["g_fall_mps2"])
        self.initial_phase = _INITIAL_PHASE[scenario.start["kind"]]
        w.faults.on_phase(self.initial_phase.value, 0.0)     # faults tied to the starting phase
        self.fc = FlightComputer(w, self.hal, self.clock, scenario.mission["params"], self.ground.key,
                                 out_dir=self.out, power_on_phase=self.initial_phase, event_sink=self._on_event,
                                 on_boot=lambda app: app.phases.on_change(self._on_phase), echo=self.echo,
                                 timers=SCHEDULER_TIMERS)

    # ---- flight app -----------------------------------------------------------------
    @property
    def app(self) -> FlightApp:
        """The flight app running now (or, while the processor reboots, the one that ran last)."""
        return self.fc.app

    def _on_phase(self, ch) -> None:
        self.phases.append({"phase": ch.to_phase.value, "t_s": _r(ch.t_s, 3)})
        self.world.faults.on_phase(ch.to_phase.value, ch.t_s)
        tr = self.world.truth()
        self.echo(f"  {ch.t_s:9.2f} s  {ch.to_phase.value:<13} alt {tr.alt_m / 1000:8.2f} km  "
                  f"speed {tr.speed_mps:7.1f} m/s  load {tr.load_g:5.2f} g   ({ch.reason})")

    def _on_event(self, e) -> None:
        if self.outputs is not None:
            self.outputs.event(e.to_json_dict())
        name, d = e.name, e.data
        if name == "PYRO_FIRED":
            self.pyro_phase[(round(e.t_s, 6), d["channel"])] = self.app.phases.phase.value
            if d["channel"] in ("drogue", "main"):
                tr = self.world.truth()
                self.deploys[d["channel"]] = {"deploy_t_s": _r(e.t_s, 3), "alt_m": _r(tr.alt_m, 1),
                                              "mach": _r(tr.mach), "q_pa": _r(tr.q_pa, 1), "trigger": d["trigger"],
                                              "aoa_deg": _r(tr.aoa_deg, 2)}
                self.pulse_truth[(round(e.t_s, 6), d["channel"])] = self.deploys[d["channel"]]
                if d["channel"] == "drogue":
                    self.nav_errors["drogue"] = self._nav_error()
                    chutes = self.app.tasks.get("chutes")
                    self.timer_probe.drogue_fired(e.t_s, getattr(chutes, "baro_in_t_s", None))
                else:
                    self.timer_probe.main_fired()
        elif name == "DROGUE_ARMED":
            self.timer_probe.g_arm()
        elif name == "DROGUE_FALL":
            self.timer_probe.load_fall(e.t_s)
        elif name == "TASK_EXCEPTION":
            self.anomaly_log.task_exception(e.t_s, str(d.get("task", "?")), str(d.get("error", e.message)))
        elif name == "MONITOR_RESPONSE":
            self.anomaly_log.monitor_response(e.t_s, str(d.get("monitor", "?")), str(d.get("response", e.message)))
        elif name == "DEORBIT_IGNITION" and not self.burn:        # the first ignition (a resumed burn re-ignites)
            self.burn = {"ignition_t_s": _r(e.t_s, 3), "dv_target_mps": _r(d["dv_target_mps"], 3),
                         "dv0": self.world.burn_dv_mps}
            self.nav_errors["ignition"] = self._nav_error()
        elif name == "DEORBIT_CUTOFF" and self.burn:
            self.burn.update(cutoff_t_s=_r(e.t_s, 3), result=d["result"])
            self.timer_probe.cutoff(e.t_s)

    # ---- main loop ----------------------------------------------------------------------
    def run(self) -> dict:
        """Fly the scenario; returns the summary (and writes the outputs).

        The objects built before the flight (configuration, models, the booted app)
        are frozen out of the cyclic garbage collector for the flight: a full
        collection over them took 14-26 ms inside one 20 ms tick (a rate-group
        overrun in the burn). They are unfrozen after, so a campaign worker that
        flies run after run does not keep them."""
        gc.freeze()
        try:
            return self._run()
        except BaseException:
            self._close(None)           # files, recorder and the ground station closed either way
            raise
        finally:
            gc.unfreeze()

    def _run(self) -> dict:
        w, clock, sc = self.world, self.clock, self.sc
        stop_t = sc.stop["t_s"]
        after = sc.stop["after_landed_s"]
        has_faults = bool(w.faults.faults)
        hung = False
        resets = [f for f in w.faults.faults if f.spec["kind"] == "reset"]
        ei_t = None
        peak = {"load_g": 0.0, "q_pa": 0.0, "heat": 0.0}
        peak_at = None
        chute_out = False
        riser = {"drogue": (0.0, None), "main": (0.0, None)}   # peak riser load N and its time
        next_rec = 0.0
        wall0 = time.perf_counter()
        k = 0
        self.echo(f"ELS-RS SIL: {sc.path} seed {self.seed}")
        while True:
            t = k * TICK_S
            w.advance_to(t)
            clock.advance_to(t)
            if has_faults:
                w.apply_actuator_faults()
                for f in resets:
                    if not f.done and f.start_s is not None and t >= f.start_s - TIME_TOL_S:
                        f.done = True
                        self.fc.reset("reset")
                hung = any(f.spec["kind"] == "hang" for f in w.faults.active(t, "fsw"))
            self.fc.tick(t, hung)
            self.timer_probe.after_tick(w)
            if self.live is not None:
                self.live.tick(t, self.hal.link)
            tr = w.truth()
            if ei_t is None and tr.alt_m <= ENTRY_INTERFACE_M:
                ei_t = next_rec = t
                self.nav_errors["entry_interface"] = self._nav_error()
            self.timer_probe.truth(tr, ei_t is not None)
            if chute_out or w.dyn.drogue_deploy_t_s is not None or w.dyn.main_deploy_t_s is not None:
                chute_out = True           # the entry peak is the capsule's own, before any canopy
                if w.splash is None:
                    for ch, f_n in zip(("drogue", "main"), w.riser_loads_n()):
                        if f_n > riser[ch][0]:
                            riser[ch] = (f_n, t)
            elif ei_t is not None and w.splash is None:
                if tr.load_g > peak["load_g"]:
                    peak["load_g"] = tr.load_g
                    peak_at = tr
                peak["q_pa"] = max(peak["q_pa"], tr.q_pa)
                peak["heat"] = max(peak["heat"], tr.heat_flux_w_m2)
            if t >= next_rec - 1e-9:
                self._record(tr)
                dense = ei_t is not None          # ARCHITECTURE.md: >= 10 Hz from entry interface on
                next_rec = (math.floor(t * 10 + 1e-6) + 1) / 10 if dense else math.floor(t + 1e-9) + 1.0
            k += 1
            if (w.splash is not None and t >= w.splash["t_s"] + after) or t >= stop_t:
                break
            if self.stop_signal is not None:      # SIGINT/SIGTERM: this tick is finished, stop here
                self.interrupted_by = self.stop_signal
                break
        wall = time.perf_counter() - wall0
        for ch, (f_n, at) in riser.items():
            if ch in self.deploys and at is not None:
                self.deploys[ch].update(peak_riser_load_n=_r(f_n, 1), peak_riser_load_t_s=_r(at, 3),
                                        peak_riser_load_g=_r(f_n / (w.s[13] * 9.80665), 3))
            if ch in self.deploys:
                self.deploys[ch]["canopy"] = w.canopy_failed.get(ch, "ok")
        summary = self._summary(t, wall, ei_t, peak, peak_at)
        self._close(summary)
        return summary

    def _nav_error(self) -> dict | None:
        """Truth minus the flight filter's estimate now: position m, velocity m/s, attitude deg,
        with the filter's own 1-sigma figures (None while nav is invalid or the app rebooting)."""
        app = self.fc.app
        nav = None if app is None else app.tasks.get("nav")
        if nav is None or not nav.state[0]:
            return None
        kf, s = nav.kf, self.world.s
        d = abs(sum(a * b for a, b in zip(kf.q, s[6:10])))
        sr, sv, sa, _ = kf.sigmas()
        return {"pos_m": _r(math.dist(kf.r, s[0:3]), 2), "vel_mps": _r(math.dist(kf.v, s[3:6]), 4),
                "att_deg": _r(math.degrees(2.0 * math.acos(min(1.0, d))), 4),
                "sigma_pos_m": _r(sr, 2), "sigma_vel_mps": _r(sv, 4), "sigma_att_deg": _r(math.degrees(sa), 4)}

    def _record(self, tr) -> None:
        if self.outputs is None:
            return
        self.outputs.row(tr.t_s, (f"{tr.t_s:.2f}", self.app.phases.phase.value, f"{tr.lat_deg:.6f}",
                                  f"{tr.lon_deg:.6f}", f"{tr.alt_m:.1f}", f"{tr.speed_mps:.2f}", f"{tr.fpa_deg:.3f}",
                                  f"{tr.mach:.3f}", f"{tr.q_pa:.1f}", f"{tr.load_g:.3f}"))

    # ---- outputs ------------------------------------------------------------------------
    def _summary(self, t_end: float, wall: float, ei_t, peak, peak_at) -> dict:
        w, mission = self.world, self.sc.mission
        reached = {p["phase"] for p in self.phases} | {self.app.phases.phase.value}
        splash = None
        if w.splash is not None:
            tgt = mission["target"]
            splash = {"t_s": _r(w.splash["t_s"], 3), "lat_deg": _r(w.splash["lat_deg"], 6),
                      "lon_deg": _r(w.splash["lon_deg"], 6), "speed_mps": _r(w.splash["speed_mps"], 3),
                      "vertical_speed_mps": _r(w.splash["vertical_speed_mps"], 3),
                      "miss_km": _r(great_circle_km(w.splash["lat_deg"], w.splash["lon_deg"], tgt["lat_deg"], tgt["lon_deg"]), 3)}
        fires = [{"channel": ch, "t_s": _r(t, 3), "phase": self.pyro_phase.get((round(t, 6), ch), "unknown")}
                 for t, ch in w.pyro.log]
        # The verdict (tools/verdict.py) on truth: splash, every pulse with the phase it was
        # commanded in and, for drogue and main, Mach, q and altitude at the pulse.
        pulses = []
        for (t, ch), f in zip(w.pyro.log, fires):
            tr = self.pulse_truth.get((round(t, 6), ch), {})
            pulses.append(PyroPulse(ch, f["t_s"], None if f["phase"] == "unknown" else f["phase"],
                                    mach=tr.get("mach"), q_pa=tr.get("q_pa"), alt_m=tr.get("alt_m")))
        facts = RunFacts(
            t_end_s=t_end, final_phase=self.app.phases.phase.value, reached_landed="LANDED" in reached,
            splash=None if splash is None else Splash(splash["t_s"], splash["vertical_speed_mps"]),
            pulses=tuple(pulses),
            beacon_reports=0 if splash is None else sum(1 for t, _ in w.iridium.delivered if t >= splash["t_s"]),
            canopy_failures=tuple(sorted(w.canopy_failed.items())),
            task_exceptions=self.anomaly_log.task_exceptions(),
            monitor_responses=self.anomaly_log.monitor_responses())
        result, reasons = judge(facts, Envelope.from_vehicle(self.sc.vehicle))
        burn = None
        if self.burn:
            burn = {"ignition_t_s": self.burn["ignition_t_s"], "cutoff_t_s": self.burn.get("cutoff_t_s"),
                    "dv_target_mps": self.burn["dv_target_mps"],
                    "dv_achieved_mps": _r(w.burn_dv_mps - self.burn["dv0"], 3),
                    "result": self.burn.get("result", "incomplete")}
        entry = None
        if ei_t is not None and peak_at is not None:
            entry = {"interface_t_s": _r(ei_t, 3), "peak_load_g": _r(peak["load_g"]), "peak_load_t_s": _r(peak_at.t_s, 3),
                     "peak_load_alt_m": _r(peak_at.alt_m, 1), "peak_load_speed_mps": _r(peak_at.speed_mps, 2),
                     "peak_q_pa": _r(peak["q_pa"], 1), "peak_heat_flux_w_m2": _r(peak["heat"], 1)}
        st = self.app.scheduler.stats()
        beacon_log = w.iridium.delivered
        return {
            "schema": SCHEMA_VERSION, "result": result, "failure_reasons": reasons, "seed": self.seed,
            "scenario": self.sc.path,
            "sim_time_s": _r(t_end, 3), "wall_time_s": _r(wall, 3), "realtime_factor": _r(t_end / max(wall, 1e-9), 1),
            "phases": self.phases,
            "deorbit_burn": burn, "entry": entry,
            "drogue": self.deploys.get("drogue"), "main": self.deploys.get("main"),
            "splashdown": splash,
            "beacon": {"messages_sent": len(beacon_log), "first_sent_t_s": _r(beacon_log[0][0], 3) if beacon_log else None,
                       "after_splash": facts.beacon_reports},
            "pyro_fires": fires,
            "resets": self.fc.resets, "faults_injected": w.faults.count_started(t_end),
            "scheduler": {"overruns": st.overruns, "max_task_ms": _r(st.max_task_ms, 3)},
            "navigation": self.nav_errors,
            "timer_windows": self.timer_probe.windows(),
            "anomalies": anomalies(facts),
        }

    def _close(self, summary: dict | None) -> None:
        self.fc.close()
        self.ground.close()
        if summary is not None and self.interrupted_by is not None:
            mark_interrupted(summary, self.interrupted_by)
        if self.outputs is not None:
            self.outputs.close(summary)


def print_outcome(summary: dict, echo=print) -> None:
    """Short human-readable outcome after the timeline."""
    s = summary
    echo(f"result: {s['result']}" + (f"  ({'; '.join(s['failure_reasons'])})" if s["failure_reasons"] else ""))
    if s["deorbit_burn"]:
        b = s["deorbit_burn"]
        echo(f"  deorbit burn: {b['dv_achieved_mps']:.1f} of {b['dv_target_mps']:.1f} m/s ({b['result']})")
    if s["entry"]:
        e = s["entry"]
        echo(f"  entry: peak {e['peak_load_g']:.2f} g at {e['peak_load_alt_m'] / 1000:.1f} km, "
             f"peak q {e['peak_q_pa'] / 1000:.1f} kPa, peak heat flux {e['peak_heat_flux_w_m2'] / 1e4:.1f} W/cm^2")
    for ch in ("drogue", "main"):
        if s[ch]:
            c = s[ch]
            echo(f"  {ch}: {c['alt_m'] / 1000:.2f} km, Mach {c['mach']:.2f}, q {c['q_pa']:.0f} Pa ({c['trigger']})")
    if s["splashdown"]:
        sp = s["splashdown"]
        echo(f"  splashdown: {sp['lat_deg']:.4f}, {sp['lon_deg']:.4f} at {sp['speed_mps']:.2f} m/s, miss {sp['miss_km']:.1f} km")
    echo(f"  beacon messages: {s['beacon']['messages_sent']} ({s['beacon']['after_splash']} after splashdown); pyro fires: "
         + ", ".join(f"{f['channel']}@{f['t_s']:.1f}" for f in s["pyro_fires"]))
    echo(f"  sim {s['sim_time_s']:.0f} s in {s['wall_time_s']:.1f} s wall: realtime factor {s['realtime_factor']:.0f}; "
         f"overruns {s['scheduler']['overruns']}")
