"""The pyro/valve board through the sim HAL: hardware arm, readback, processor-reset
defaults, motor restart (sim/actuators.py requirements 2-5 and 9; sim/world.py
``hw_armed``, ``processor_reset_outputs``).

Every check drives a real ``World`` from the nominal configs through
``hal.sim_backend.build_sim_hal``, as the flight code does, and looks at what a
user would notice: the pulse on the board's log, a canopy or flotation bag out or
not, thrust sensed or not, the delta-v the motor delivered, the status readback.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from fsw.schema import ConfigError
from hal.devices import PYRO_CHANNELS
from hal.sim_backend import build_sim_hal
from sim.hardware_schema import HARDWARE
from sim.scenario import FAULT, load_scenario
from sim.faults import check_fault
from sim.vehicle import vehicle_from_config
from sim.world import World

ROOT = Path(__file__).resolve().parents[2]
SC = load_scenario(str(ROOT / "config" / "scenarios" / "nominal.yaml"))
TICK_S = 0.02                      # the SIL base tick
SEED = 5
SEP_TIMER_S = SC.hardware["pyro_board"]["sep_timer_s"]
ATTACHED = {"kind": "attached"}
SEPARATION = {**SC.start, "kind": "separation"}
ENTRY = {"kind": "entry_interface", "alt_m": 12_000.0, "speed_mps": 250.0, "fpa_deg": -40.0,
         "heading_deg": 90.0, "lat_deg": -20.0, "lon_deg": 170.0}
G0 = 9.80665


def make(start, faults=(), seed=SEED, sep_timer_s=None):
    hw = SC.hardware
    if sep_timer_s is not None:
        hw = copy.deepcopy(hw)
        hw["pyro_board"]["sep_timer_s"] = sep_timer_s
    specs = []
    for f in faults:
        f = FAULT.validate({"at_s": 0.0, **f}, "faults[0]")
        check_fault(f)
        specs.append(f)
    w = World(vehicle_from_config(SC.vehicle), hw, SC.environment, start, SC.mission["station_orbit"],
              seed, faults=specs)
    return w, build_sim_hal(w)


def tick(w: World, t: float, alive: bool = True) -> None:
    """Advance to t in SIL base ticks, setting the actuator faults at each; ``alive``: the
    flight computer refreshes the engine arm relay every tick, as the deorbit task does."""
    k = math.floor(w.t / TICK_S + 1e-6) + 1
    while k * TICK_S < t - 1e-9:
        if alive:
            w.engine.refresh(w.t)
        w.advance_to(k * TICK_S)
        w.apply_actuator_faults()
        k += 1
    if alive:
        w.engine.refresh(w.t)
    w.advance_to(t)
    w.apply_actuator_faults()


def events(w: World, kind: str) -> list:
    return [e for e in w.engine.log if e[1] == kind]


# ---- hardware arm --------------------------------------------------------------------------
@pytest.mark.parametrize("timer_s", [None, 15.0], ids=["profile", "15s"])
def test_nothing_fires_until_the_separation_timer_has_run_since_release(timer_s):
    """Attached: station inhibit. Released at 1 s: the software arm relays are closed, yet a
    pyro fired 1 s after release, or just before the timer runs out, is refused by the board
    and the motor does not light; once the timer has run, both work."""
    sep = SEP_TIMER_S if timer_s is None else timer_s
    w, hal = make(ATTACHED, sep_timer_s=timer_s)
    hal.pyro.arm(True)
    hal.engine.arm(True)
    tick(w, 0.5)
    assert hal.pyro.fire("float") is False and w.pyro.refused[-1][2] == "station inhibit"
    st = hal.pyro.status()
    assert (st.hw_armed, st.armed) == (False, True)
    assert hal.engine.status().armed is False, "the station inhibit holds the engine arm relay open"
    tick(w, 1.0)
    hal.station.release()
    tick(w, 2.0)
    hal.engine.arm(True)
    assert hal.pyro.fire("float") is False
    assert w.pyro.refused[-1][2].startswith("hardware arm off: separation timer")
    assert hal.engine.ignite() is False and w.engine.refused[-1] == (2.0, "ignite: hardware arm off")
    st, es = hal.pyro.status(), hal.engine.status()
    assert st == type(st)(2.0, False, True, (True,) * 4, (False,) * 4)
    assert (es.hw_armed, es.armed, es.valve_open) == (False, True, False)
    tick(w, 1.0 + sep - TICK_S)
    assert hal.pyro.fire("drogue") is False and not hal.pyro.status().hw_armed
    tick(w, 3.0)
    assert w.engine.thrust_n() == 0.0 and w.burn_dv_mps == 0.0 and w.float_inflated is False
    tick(w, 1.0 + sep)
    assert hal.pyro.status().hw_armed and hal.engine.status().hw_armed
    assert hal.pyro.fire("float") is True and w.float_inflated is True
    assert w.pyro.log == [(1.0 + sep, "float")], "the only pulse the board sent"
    assert hal.engine.ignite() is True
    tick(w, 1.0 + sep + 1.0)
    es = hal.engine.status()
    assert es.valve_open and es.chamber_pressure_pa > 1e6 and w.burn_dv_mps > 3.0


def test_the_engine_arm_relay_drops_when_the_flight_computer_stops_refreshing_it():
    """Valve-board dead-man (hardware profile pyro_board.valve_deadman_s): a stalled processor
    cannot leave the motor burning. Refreshed, the burn goes on; unrefreshed, the relay drops
    (isolation valve closed) within the dead-man time and thrust stops."""
    w, hal = make(SEPARATION)
    deadman = w.engine.deadman_s
    assert deadman == pytest.approx(0.2)
    hal.engine.arm(True)
    assert hal.engine.ignite() is True
    tick(w, 2.0)
    assert w.engine.thrust_n() > 0.0 and hal.engine.status().armed
    dv0 = w.burn_dv_mps
    tick(w, 3.0, alive=False)                                 # no refresh: the processor is hung
    es = hal.engine.status()
    assert not es.armed and not es.valve_open and w.engine.thrust_n() == 0.0
    stop = [t for t, what, _ in w.engine.log if what == "deadman"]
    assert len(stop) == 1 and 2.0 + deadman - 1e-6 <= stop[0] <= 2.0 + deadman + 0.021
    accel = w.vehicle.thrust_n * w.vehicle.thrust_dispersion / w.s[13]
    assert w.burn_dv_mps - dv0 <= accel * (deadman + 0.021)  # at most the dead-man's worth of burn


@pytest.mark.parametrize("start, hw_armed", [(ATTACHED, False), (SEPARATION, True), (ENTRY, True)],
                         ids=["attached", "separation", "entry_interface"])
def test_released_starts_have_the_hardware_arm_from_t0(start, hw_armed):
    """Released at start (separation, entry interface): the timer ran out long ago. Even so,
    with the software relay open the board fires nothing."""
    w, hal = make(start)
    tick(w, TICK_S)
    st = hal.pyro.status()
    assert (st.hw_armed, st.armed) == (hw_armed, False)
    assert hal.engine.status().hw_armed is hw_armed
    assert hal.pyro.fire("main") is False
    assert w.pyro.refused[-1][2] == ("station inhibit" if not hw_armed else "not armed")
    assert hal.engine.ignite() is False
    assert w.pyro.log == [] and w.dyn.main_deploy_t_s is None


def test_pyro_status_reads_back_continuity_and_fired():
    """Continuity: intact until fired; an open (dud) initiator reads open from the fault on.
    Fired: the pulse went out, on the dud too (which does nothing)."""
    w, hal = make(ENTRY, faults=[{"target": "pyro.main", "kind": "no_fire", "at_s": 0.5}])
    tick(w, 0.2)
    assert hal.pyro.status().continuity == (True, True, True, True)
    tick(w, 0.5)
    assert hal.pyro.status().continuity == (True, False, True, True)
    hal.pyro.arm(True)
    assert hal.pyro.fire("drogue") and hal.pyro.fire("main")
    st = hal.pyro.status()
    assert PYRO_CHANNELS == ("drogue", "main", "main_release", "float")
    assert st.fired == (True, True, False, False)
    assert st.continuity == (False, False, True, True)
    assert st.t_s == 0.5 and st.hw_armed and st.armed
    assert w.dyn.drogue_deploy_t_s == 0.5 and w.dyn.main_deploy_t_s is None, "the dud main did nothing"


def test_sep_timer_is_a_documented_bounded_tunable():
    hw = copy.deepcopy(SC.hardware)
    for bad in (5.0, 1000.0, "60"):
        hw["pyro_board"]["sep_timer_s"] = bad
        with pytest.raises(ConfigError) as info:
            HARDWARE.validate(hw)
        assert "pyro_board.sep_timer_s" in str(info.value)
    del hw["pyro_board"]
    assert HARDWARE.validate(hw)["pyro_board"]["sep_timer_s"] == 60.0 == SEP_TIMER_S


# ---- processor reset -------------------------------------------------------------------------
def test_processor_reset_outputs_stop_a_running_burn_rcs_and_pyro_arm():
    """The flight computer goes down mid-burn with a timed cutoff pending and a couple firing:
    the valve closes at once (no more delta-v), the engine disarms, the couple closes, the pyro
    relay opens. The hardware arm is the board's and stays."""
    w, hal = make(SEPARATION)
    tick(w, 0.1)
    hal.engine.arm(True)
    hal.pyro.arm(True)
    assert hal.engine.ignite()
    tick(w, 2.0)
    hal.engine.shutdown(delay_s=5.0)           # moot after the reset
    hal.rcs.command(0b000001)
    tick(w, 3.0)
    assert hal.engine.status().chamber_pressure_pa > 1e6 and w.rcs.torque_nm()[0] > 0.0
    w.processor_reset_outputs()
    dv = w.burn_dv_mps
    es, ps = hal.engine.status(), hal.pyro.status()
    assert (es.valve_open, es.armed, es.hw_armed) == (False, False, True)
    assert (ps.armed, ps.hw_armed) == (False, True)
    g0 = hal.imu.read().gyro_radps
    tick(w, 10.0)
    assert w.burn_dv_mps == dv and hal.engine.status().chamber_pressure_pa == 0.0
    assert abs(hal.imu.read().accel_mps2[0]) < 0.05
    assert w.engine.log[-1] == (3.0, "shutdown", "processor reset: valve closed")
    assert abs(hal.imu.read().gyro_radps[0] - g0[0]) < 0.01, "the RCS couple is off"
    assert hal.pyro.fire("float") is False and w.pyro.refused[-1][2] == "not armed"


def test_processor_reset_stops_a_stuck_open_motor():
    """The main valve is stuck open: the reset's engine disarm closes the isolation valve."""
    w, hal = make(SEPARATION, faults=[{"target": "engine", "kind": "stuck_open"}])
    tick(w, 0.1)
    hal.engine.arm(True)
    hal.engine.ignite()
    tick(w, 2.0)
    w.processor_reset_outputs()
    dv = w.burn_dv_mps
    tick(w, 4.0)
    assert w.burn_dv_mps == dv and w.engine.propellant_kg > 1.5
    assert [e for _, e, _ in w.engine.log] == ["ignition", "onset", "stuck", "shutdown"]


def test_rcs_latch_keeps_its_state_across_a_processor_reset():
    """Closed before the reset, the latch is still closed for the rebooted flight software:
    a stuck-open couple stays quiet, and so does a commanded one, until it reopens it."""
    w, hal = make(SEPARATION, faults=[{"target": "rcs.2", "kind": "stuck_open", "at_s": 1.0}])
    tick(w, 0.5)
    hal.rcs.latch(False)
    tick(w, 1.0)
    w.processor_reset_outputs()
    hal = build_sim_hal(w)                     # the rebooted flight app's devices
    hal.rcs.command(0b010000)
    gas = w.rcs.propellant_kg
    g0 = hal.imu.read().gyro_radps
    tick(w, 2.0)
    g1 = hal.imu.read().gyro_radps
    assert w.rcs.propellant_kg == gas and all(abs(a - b) < 0.01 for a, b in zip(g0, g1))
    hal.rcs.latch(True)
    tick(w, 3.0)
    g2 = hal.imu.read().gyro_radps
    assert g2[1] - g1[1] > 0.1 and g2[2] - g1[2] > 0.1, "reopened: stuck +y and commanded +z act"
    assert w.rcs.propellant_kg < gas


# ---- motor restart ----------------------------------------------------------------------------
def burn_in_two(w, hal, first_end_s=3.0, restart_s=6.0, end_s=12.0, reset=True):
    """Ignite at 0.1 s; interrupted at first_end_s (a processor reset, or a shutdown);
    re-ignited by the rebooted flight software at restart_s; shut down at end_s."""
    tick(w, 0.1)
    hal.engine.arm(True)
    assert hal.engine.ignite()
    tick(w, 1.0)
    assert hal.engine.ignite() is False and w.engine.refused[-1] == (1.0, "ignite: ignition in progress")
    tick(w, first_end_s)
    if reset:
        w.processor_reset_outputs()
        hal = build_sim_hal(w)
    else:
        hal.engine.shutdown()
    dv1 = w.burn_dv_mps
    tick(w, restart_s)
    assert w.burn_dv_mps == dv1
    hal.engine.arm(True)
    assert hal.engine.ignite() is True, "restartable while propellant remains"
    tick(w, end_s)
    hal.engine.shutdown()
    tick(w, end_s + 1.0)
    return dv1


def test_a_burn_interrupted_by_a_reset_is_completed_by_a_restart():
    """Each ignition lights after the run's ignition delay; the delta-v of both adds up to
    the rocket equation on the propellant used (truth, across ignitions)."""
    w, hal = make(SEPARATION)
    v = w.vehicle
    m0 = w.s[13]
    dv1 = burn_in_two(w, hal)
    ign, on, off = events(w, "ignition"), events(w, "onset"), events(w, "shutdown")
    assert [t for t, *_ in ign] == [0.1, 6.0]
    assert [t for t, *_ in off] == [3.0, 12.0]
    delay = v.ignition_delay_s
    assert delay != 0.30, "the run's dispersed delay"
    assert [t for t, *_ in on] == pytest.approx([0.1 + delay, 6.0 + delay], abs=1e-9)
    burn_s = (3.0 - 0.1 - delay) + (12.0 - 6.0 - delay)
    mdot = v.thrust_n * v.thrust_dispersion / (v.isp_s * G0)
    used = v.deorbit_propellant_kg - w.engine.propellant_kg
    assert used == pytest.approx(mdot * burn_s, rel=1e-9)
    assert w.burn_dv_mps > 1.5 * dv1 > 0.0
    assert w.burn_dv_mps == pytest.approx(v.isp_s * G0 * math.log(m0 / (m0 - used)), rel=1e-3)


def test_restarted_burn_delivers_what_a_shutdown_restart_does():
    """The reset path and the commanded-shutdown path give the same burn, to the bit."""
    a, ha = make(SEPARATION)
    b, hb = make(SEPARATION)
    burn_in_two(a, ha, reset=True)
    burn_in_two(b, hb, reset=False)
    assert a.burn_dv_mps == b.burn_dv_mps and a.s == b.s
    assert [e[:2] for e in a.engine.log] == [e[:2] for e in b.engine.log]


def test_no_relight_once_the_propellant_is_gone():
    w, hal = make(SEPARATION)
    tick(w, 0.1)
    hal.engine.arm(True)
    hal.engine.ignite()
    tick(w, 30.0)
    assert w.engine.propellant_kg == 0.0
    dv = w.burn_dv_mps
    assert hal.engine.ignite() is True
    tick(w, 32.0)
    assert w.burn_dv_mps == dv and hal.engine.status().chamber_pressure_pa == 0.0
    assert w.engine.log[-1][1:] == ("shutdown", "no propellant")


def test_disarm_right_after_a_timed_cutoff_keeps_the_cutoff_instant():
    """The deorbit task sets the valve driver's timer, then disarms in the same cycle: the
    flow stops at the timed instant, not early -- also with a stuck-open main valve."""
    dvs = []
    for faults, disarm in (([], False), ([], True), ([{"target": "engine", "kind": "stuck_open"}], True)):
        w, hal = make(SEPARATION, faults=faults)
        tick(w, 0.1)
        hal.engine.arm(True)
        hal.engine.ignite()
        tick(w, 2.0)
        hal.engine.shutdown(delay_s=0.013)
        if disarm:
            hal.engine.arm(False)
        tick(w, 3.0)
        assert events(w, "shutdown")[-1][0] == pytest.approx(2.013, abs=1e-9)
        dvs.append(w.burn_dv_mps)
    assert dvs[0] == dvs[1] == dvs[2]


def test_same_seed_same_board_and_motor_history():
    runs = []
    for seed in (SEED, SEED, SEED + 1):
        w, hal = make(ENTRY, seed=seed)
        hal.pyro.arm(True)
        tick(w, 0.3)
        hal.pyro.fire("drogue")
        tick(w, 2.0)
        runs.append((list(w.pyro.log), hal.pyro.status(), list(w.s), w.vehicle.ignition_delay_s))
    assert runs[0] == runs[1]
    assert runs[0][3] != runs[2][3] and runs[0][2] != runs[2][2]
