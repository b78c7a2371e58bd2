"""The run verdict (tools/verdict.py): each rule of ARCHITECTURE.md "Run outputs" (`result`)
and issue 8 item 8 ("An honest verdict") can fail a run, and says why with its numbers.

Unit tests judge hand-built facts against the envelope of config/vehicle.yaml; the
end-to-end tests fly the SIL (tools.sil.SilRun, no output files).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from fsw.schema import ConfigError
from fsw.yamlload import load_yaml
from sim.scenario import load_scenario
from sim.vehicle_schema import VEHICLE, check_vehicle
from tools.verdict import (SPLASH_SPEED_LIMIT_MPS, AnomalyLog, Envelope, PyroPulse, Repeated, RunFacts, Splash,
                           anomalies, judge)

REPO = Path(__file__).resolve().parents[2]
VEHICLE_YAML = REPO / "config" / "vehicle.yaml"


@pytest.fixture(scope="module")
def envelope() -> Envelope:
    return Envelope.from_vehicle(check_vehicle(VEHICLE.validate(load_yaml(VEHICLE_YAML))))


def nominal_facts(**changes) -> RunFacts:
    """A clean landing in the shape of the nominal SIL flight (issue 9: drogue at Mach 1.34 /
    28.2 km, main at 3.00 km; splash 6.4 m/s; every channel once, in its phase)."""
    f = RunFacts(
        t_end_s=4909.0, final_phase="LANDED", reached_landed=True,
        splash=Splash(4309.4, 6.4),
        pulses=(PyroPulse("drogue", 3653.2, "ENTRY", mach=1.34, q_pa=1996.0, alt_m=28157.0),
                PyroPulse("main", 3883.3, "DROGUE", mach=0.09, q_pa=418.0, alt_m=2988.0),
                PyroPulse("main_release", 4313.0, "LANDED"),
                PyroPulse("float", 4314.0, "LANDED")),
        beacon_reports=10)
    return replace(f, **changes)


def with_pulse(facts: RunFacts, channel: str, **changes) -> RunFacts:
    return replace(facts, pulses=tuple(replace(p, **changes) if p.channel == channel else p for p in facts.pulses))


# ---- the envelope in config/vehicle.yaml -------------------------------------------------------
def test_envelope_brackets_the_nominal_deployments_and_rejects_hypersonic_ones(envelope):
    # config/vehicle.yaml: issue 9's drogue envelope Mach 0.6-1.6 (DGB practice; Stardust near 1.4),
    # a few kPa; the main rated for the drogue-out terminal q, 1.73 kPa; main between 1 and 6 km.
    d, m = envelope.drogue, envelope.main
    assert d.mach_min == 0.6 and d.mach_max == 1.6               # issue 9 item 5
    assert d.mach_min < 1.34 < 1.4 < d.mach_max                  # today's drogue and Stardust's both inside
    assert not d.mach_min <= 0.37 <= d.mach_max                  # the old 12 km subsonic opening is out
    assert 1996.0 < d.q_max_pa <= 10_000.0
    assert m.alt_min_m <= 1700.0 and 3000.0 <= m.alt_max_m        # timer backup near 1.7 km, plan 3 km
    assert 0.23 < m.mach_max < 1.0                                # drogue-out opening at 6 km; subsonic canopy
    assert 418.0 < 1733.0 < m.q_max_pa                            # under drogue, and drogue out
    assert judge(nominal_facts(), envelope) == ("landed", [])


def test_an_inverted_envelope_range_is_a_config_error():
    cfg = load_yaml(VEHICLE_YAML)
    cfg["deployment_envelope"]["main"]["alt_min_m"] = 7000.0
    with pytest.raises(ConfigError) as e:
        check_vehicle(VEHICLE.validate(cfg))
    assert "deployment_envelope.main.alt_max_m" in str(e.value)


# ---- each rule fails a run, with the numbers -----------------------------------------------------
def test_mach_10_drogue_with_a_soft_landing_is_failed(envelope):
    """Issue 8: 'a canopy opened at Mach 10 also counts as landed' - no more."""
    f = with_pulse(nominal_facts(), "drogue", mach=9.8, q_pa=45_000.0, alt_m=60_000.0)
    result, reasons = judge(f, envelope)
    assert result == "failed"
    assert any("drogue fired at Mach 9.80, above the envelope's 1.60" in r for r in reasons), reasons
    assert any("drogue fired at q 45000 Pa, above the envelope's 4000 Pa" in r for r in reasons), reasons


def test_a_canopy_that_failed_fails_the_run_and_says_why(envelope):
    f = replace(nominal_facts(), canopy_failures=(("drogue", "opened at Mach 2.50, above its 2.2 rating"),))
    result, reasons = judge(f, envelope)
    assert result == "failed"
    assert "drogue canopy failed: opened at Mach 2.50, above its 2.2 rating" in reasons


def test_main_outside_its_altitude_band_or_q_is_failed(envelope):
    low = judge(with_pulse(nominal_facts(), "main", alt_m=450.0), envelope)
    assert low[0] == "failed" and any("main fired at altitude 450 m, below the envelope's 1000 m" in r for r in low[1])
    high = judge(with_pulse(nominal_facts(), "main", alt_m=11_900.0), envelope)
    assert high[0] == "failed" and any("above the envelope's 6000 m" in r for r in high[1])
    hard = judge(with_pulse(nominal_facts(), "main", q_pa=9_000.0), envelope)
    assert hard[0] == "failed" and any("main fired at q 9000 Pa, above the envelope's 2200 Pa" in r for r in hard[1])


def test_reason_shows_enough_digits_to_tell_value_from_limit(envelope):
    _, reasons = judge(with_pulse(nominal_facts(), "drogue", mach=1.604), envelope)
    assert any("Mach 1.604, above the envelope's 1.600" in r for r in reasons), reasons


def test_main_released_before_splashdown_is_failed(envelope):
    """Schiaparelli 2016: the parachute released kilometres up."""
    f = with_pulse(nominal_facts(), "main_release", t_s=4100.0)
    result, reasons = judge(f, envelope)
    assert result == "failed"
    assert any("main canopy released at t = 4100.0 s, 209.4 s before splashdown" in r for r in reasons), reasons


def test_pyro_in_a_phase_its_channel_does_not_allow_is_failed(envelope):
    """fsw.pyro.ALLOWED_PHASES: main only in ENTRY or DROGUE."""
    f = with_pulse(nominal_facts(), "main", phase="COAST")
    result, reasons = judge(f, envelope)
    assert result == "failed"
    assert any("pyro main fired in COAST at t = 3883.3 s; allowed only in ENTRY, DROGUE" in r for r in reasons)
    unknown = judge(with_pulse(nominal_facts(), "float", phase=None), envelope)
    assert unknown[0] == "failed" and any("float fired in an unknown phase" in r for r in unknown[1])


def test_double_fire_is_failed(envelope):
    f = nominal_facts()
    f = replace(f, pulses=f.pulses + (PyroPulse("main", 3990.0, "MAIN", mach=0.02, q_pa=25.0, alt_m=2000.0),))
    result, reasons = judge(f, envelope)
    assert result == "failed"
    assert any("pyro main fired 2 times (t = 3883.3, 3990.0 s)" in r for r in reasons), reasons
    assert any("pyro main fired in MAIN" in r for r in reasons)            # and out of phase, the second time


def test_no_beacon_report_is_failed(envelope):
    """Beagle 2 / Hayabusa: a capsule nobody can find is not recovered."""
    result, reasons = judge(nominal_facts(beacon_reports=0), envelope)
    assert (result, reasons) == ("failed", ["no beacon report delivered after splashdown"])


def test_hard_splash_and_undetected_splash_are_failed(envelope):
    result, reasons = judge(nominal_facts(splash=Splash(4309.4, 12.3)), envelope)
    assert result == "failed" and reasons == [f"vertical splash speed 12.3 m/s, above {SPLASH_SPEED_LIMIT_MPS:.1f} m/s"]
    result, reasons = judge(nominal_facts(reached_landed=False, final_phase="MAIN"), envelope)
    assert result == "failed" and "splashdown not detected by the flight software (phase MAIN)" in reasons


def test_a_task_exception_fails_an_otherwise_clean_landing(envelope):
    exc = Repeated("task nav", "KeyError: 'q_body'", 3412, 1200.02)
    result, reasons = judge(nominal_facts(task_exceptions=(exc,)), envelope)
    assert result == "failed"
    assert reasons == ["task nav raised KeyError: 'q_body' (3412 times, first at t = 1200.02 s)"]


def test_monitor_responses_are_anomalies_of_a_landing_and_reasons_of_a_failure(envelope):
    mon = Repeated("baro.agreement", "degrade baro.1", 1, 3600.5)
    landed = nominal_facts(monitor_responses=(mon,))
    assert judge(landed, envelope) == ("landed", [])
    assert anomalies(landed) == ["monitor baro.agreement: response degrade baro.1 (once, first at t = 3600.50 s)"]
    result, reasons = judge(replace(landed, beacon_reports=0), envelope)
    assert result == "failed" and reasons[-1].startswith("monitor baro.agreement: response degrade baro.1")


# ---- safe_abort ---------------------------------------------------------------------------------
def safe_facts(**changes) -> RunFacts:
    """Inversion Ray 2025: the motor never fired; the capsule holds in SAFE in orbit."""
    f = RunFacts(t_end_s=1400.0, final_phase="SAFE", reached_landed=False, splash=None, pulses=(),
                 beacon_reports=0)
    return replace(f, **changes)


def test_safe_with_no_splash_is_safe_abort(envelope):
    mon = Repeated("engine.chamber_pressure", "SAFE", 1, 1201.0)
    result, reasons = judge(safe_facts(monitor_responses=(mon,)), envelope)
    assert result == "safe_abort"
    assert reasons == ["monitor engine.chamber_pressure: response SAFE (once, first at t = 1201.00 s)"]


def test_safe_with_a_violation_or_a_task_exception_is_failed(envelope):
    fired = safe_facts(pulses=(PyroPulse("float", 1300.0, "SAFE"),))
    result, reasons = judge(fired, envelope)
    assert result == "failed"
    assert reasons[0].startswith("pyro float fired in SAFE") and reasons[-1] == "no splashdown by t = 1400 s (phase SAFE)"
    raised = safe_facts(task_exceptions=(Repeated("task deorbit", "ValueError: x", 1, 900.0),))
    assert judge(raised, envelope)[0] == "failed"


def test_no_splash_outside_safe_is_failed(envelope):
    result, reasons = judge(safe_facts(final_phase="DEORBIT_PREP"), envelope)
    assert (result, reasons) == ("failed", ["no splashdown by t = 1400 s (phase DEORBIT_PREP)"])


def test_anomaly_log_summarises_repeats_by_task_and_exception_type():
    log = AnomalyLog()
    for k in range(500):
        log.task_exception(1200.0 + 0.02 * k, "deorbit", f"KeyError: 'burn' at tick {k}")
    log.task_exception(1300.0, "deorbit", "ZeroDivisionError: float division by zero")
    log.monitor_response(1250.0, "imu.saturation", "switch source")
    lines = anomalies(RunFacts(0.0, "SAFE", False, None, (), 0, log.task_exceptions(), log.monitor_responses()))
    assert lines == ["task deorbit raised KeyError: 'burn' at tick 0 (500 times, first at t = 1200.00 s)",
                     "monitor imu.saturation: response switch source (once, first at t = 1250.00 s)",
                     "task deorbit raised ZeroDivisionError: float division by zero (once, first at t = 1300.00 s)"]


# ---- end to end ---------------------------------------------------------------------------------
def fly(scenario_path: Path) -> dict:
    from tools.sil import SilRun
    return SilRun(load_scenario(str(scenario_path)), out_dir=None, echo=None).run()


def test_main_commanded_at_high_mach_is_not_landed(tmp_path):
    """Issue 8: 'PYRO_FIRE main is accepted in COAST at Mach 9, and the summary still says landed'.
    Either the flight software refuses the command (phase inhibits, issue 8 item 7) and the main is
    not fired then, or it fires and the verdict fails the run, naming the Mach number."""
    doc = {"extends": str(REPO / "config" / "scenarios" / "edl.yaml"),
           "commands": [{"at_s": 60, "name": "PYRO_FIRE", "args": {"channel": "main"}}]}
    path = tmp_path / "early_main.yaml"
    path.write_text(yaml.safe_dump(doc))
    s = fly(path)
    early = [f for f in s["pyro_fires"] if f["channel"] == "main" and f["t_s"] < 100.0]
    if early:
        assert s["main"] is not None
        assert s["result"] == "failed"
        assert any(r.startswith("main fired at Mach ") and "above the envelope's 0.50" in r
                   for r in s["failure_reasons"]), s["failure_reasons"]
        assert any(r.startswith("pyro main fired in COAST") for r in s["failure_reasons"]), s["failure_reasons"]
    else:                                   # refused: no pyro at 60 s; the main waits for its trigger under the drogue
        assert all(f["t_s"] >= 100.0 for f in s["pyro_fires"])
        assert s["main"] is None or s["main"]["mach"] < 0.5


def test_main_fired_by_ground_override_at_mach_23_fails_the_run_naming_mach(tmp_path):
    """The same early main with the authenticated override (issue 8 item 7), so it does fire: the
    capsule still splashes softly under it, and the verdict fails the run on Mach, altitude and phase."""
    doc = {"extends": str(REPO / "config" / "scenarios" / "edl.yaml"),
           "commands": [{"at_s": 60, "name": "PYRO_FIRE", "args": {"channel": "main", "override": True}}]}
    path = tmp_path / "override_main.yaml"
    path.write_text(yaml.safe_dump(doc))
    s = fly(path)
    assert s["main"]["deploy_t_s"] == pytest.approx(60.0, abs=0.1) and s["main"]["mach"] > 10.0
    assert s["result"] == "failed"
    reasons = s["failure_reasons"]
    assert any(r.startswith("main fired at Mach ") and "above the envelope's 0.50" in r for r in reasons), reasons
    assert any(r.startswith("main fired at altitude ") and "above the envelope's 6000 m" in r for r in reasons)
    assert any(r.startswith("pyro main fired in COAST at t = 60.0 s") for r in reasons), reasons
