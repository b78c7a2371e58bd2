"""Command task: authenticated uplink, acknowledgements, phase rules, SAFE refusals, pyro inhibits and override."""
from __future__ import annotations

import pytest

from fakes import KEY, Rig
from fsw.link import CommandSigner
from fsw.phases import Phase, Trigger
from fsw.pyro import STORE_OVERRIDES
from fsw.records import AirDataRecord


def commanding(phase, t0_s=500.0, with_deorbit=True, with_nav=True):
    rig = Rig(phase, t0_s=t0_s)
    if with_nav:
        rig.build("nav")
    if with_deorbit:
        rig.build("deorbit")
    return rig, rig.build("commands")


def acks(rig):
    return [(p["data"]["command"], p["data"]["status"], p["data"]["reason"])
            for p in rig.dev.link.downlinked() if p["kind"] == "ack"]


def send(rig, cmd, name, args=None, signer=None):
    signer = signer or send.signer
    rig.uplink(signer, name, args)
    rig.run(cmd, n=1)


@pytest.fixture(autouse=True)
def _signer():
    send.signer = CommandSigner(KEY)


def test_authenticated_command_is_accepted_completed_and_counter_persisted():
    rig, cmd = commanding(Phase.SEPARATED)
    send(rig, cmd, "NOOP")
    assert acks(rig) == [("NOOP", "ACCEPTED", ""), ("NOOP", "COMPLETED", "")]
    assert rig.store.get("link.counter") == 1
    assert cmd.telemetry()["cmd_accepted"] == 1


def test_wrong_key_is_rejected_without_an_ack():
    rig, cmd = commanding(Phase.SEPARATED)
    send(rig, cmd, "NOOP", signer=CommandSigner(bytes(32)))
    assert acks(rig) == [] and cmd.link_rejects == 1 and rig.last("LINK_FRAME_REJECTED") is not None


def test_replay_is_refused_also_after_a_reset():
    rig, cmd = commanding(Phase.SEPARATED)
    frame = rig.uplink(send.signer, "NOOP")
    rig.run(cmd, n=1)
    rig2 = rig.reboot()
    cmd2 = rig2.build("commands", deorbit=None, nav=None)
    rig2.dev.link.uplink += frame
    rig2.run(cmd2, n=1)
    assert rig2.last("CMD_REJECTED") is not None and "replay" in rig2.last("CMD_REJECTED").data["why"].lower()
    assert cmd2.accepted == 0


def test_deorbit_go_in_safe_is_refused_with_the_reason():
    rig, cmd = commanding(Phase.SEPARATED)
    rig.phases.request(Trigger.SAFE_CMD, "ground")
    send(rig, cmd, "DEORBIT_GO")
    status = acks(rig)
    assert status[-1][:2] == ("DEORBIT_GO", "REJECTED")
    assert "SAFE" in status[-1][2] and "RESUME" in status[-1][2]
    assert ("DEORBIT_GO", "COMPLETED", "") not in status
    assert rig.tasks["deorbit"].go is False


def test_deorbit_go_after_resume_is_accepted():
    rig, cmd = commanding(Phase.SAFE)
    send(rig, cmd, "RESUME")
    send(rig, cmd, "DEORBIT_GO")
    assert rig.phases.phase is Phase.SEPARATED
    assert acks(rig)[-1] == ("DEORBIT_GO", "COMPLETED", "")
    assert rig.tasks["deorbit"].go and rig.tasks["deorbit"].plan_t_s == 1200.0


def test_refused_by_the_component_is_acknowledged_as_rejected():
    rig, cmd = commanding(Phase.SEPARATED, t0_s=1300.0)      # past the planned ignition
    send(rig, cmd, "DEORBIT_GO")
    assert acks(rig)[-2:] == [("DEORBIT_GO", "ACCEPTED", ""),
                              ("DEORBIT_GO", "REJECTED", acks(rig)[-1][2])]
    assert "past" in acks(rig)[-1][2]


@pytest.mark.parametrize("name, args", [("ARM", {"device": "pyro"}), ("ARM", {"device": "engine"})])
def test_arm_refused_in_safe(name, args):
    rig, cmd = commanding(Phase.SAFE)
    send(rig, cmd, name, args)
    assert acks(rig)[-1][1] == "REJECTED" and "RESUME" in acks(rig)[-1][2]
    assert rig.dev.pyro.arm_calls == [] and ("arm", True) not in rig.dev.engine.calls


def test_nothing_arms_or_fires_while_attached():
    rig, cmd = commanding(Phase.ATTACHED)
    rig.dev.station.is_attached = True
    for name, args in (("ARM", {"device": "pyro"}), ("ARM", {"device": "engine"}),
                       ("PYRO_FIRE", {"channel": "drogue", "override": True}), ("DEORBIT_GO", None)):
        send(rig, cmd, name, args)
        assert acks(rig)[-1][:2] == (name, "REJECTED")
    assert rig.dev.pyro.requests == [] and rig.dev.pyro.arm_calls == [] and rig.dev.engine.calls == []


def test_pyro_fire_outside_its_phase_is_refused_without_override():
    rig, cmd = commanding(Phase.COAST, t0_s=2500.0)
    send(rig, cmd, "PYRO_FIRE", {"channel": "main"})
    status = acks(rig)[-1]
    assert status[:2] == ("PYRO_FIRE", "REJECTED")
    assert "not allowed in COAST" in status[2] and "override" in status[2]
    assert rig.dev.pyro.pulses == [] and rig.store.get("pyro.fired") in (None, [])


def test_pyro_fire_outside_its_envelope_is_refused_without_override():
    rig, cmd = commanding(Phase.ENTRY, t0_s=3000.0)
    rig.publish(AirDataRecord(rig.now, True, 30000.0, 2))      # no g-arm, high: outside the drogue envelope
    send(rig, cmd, "PYRO_FIRE", {"channel": "drogue"})
    assert "envelope" in acks(rig)[-1][2] and rig.dev.pyro.pulses == []


def test_pyro_fire_with_override_is_accepted_and_recorded():
    rig, cmd = commanding(Phase.COAST, t0_s=2500.0)
    send(rig, cmd, "PYRO_FIRE", {"channel": "main", "override": True})
    assert acks(rig)[-1] == ("PYRO_FIRE", "COMPLETED", "")
    assert rig.dev.pyro.pulses == ["main"]
    assert rig.store.get(STORE_OVERRIDES) == [{"channel": "main", "t_s": pytest.approx(rig.now), "phase": "COAST"}]
    assert rig.last("PYRO_OVERRIDE").data == {"channel": "main", "phase": "COAST"}
    send(rig, cmd, "PYRO_FIRE", {"channel": "main", "override": True})   # never twice, override or not
    assert "already fired" in acks(rig)[-1][2] and rig.dev.pyro.pulses == ["main"]


def test_set_param_checks_limits_and_persists():
    rig, cmd = commanding(Phase.SEPARATED)
    send(rig, cmd, "SET_PARAM", {"name": "beacon.period_s", "value": 60.0})
    assert acks(rig)[-1] == ("SET_PARAM", "COMPLETED", "")
    assert rig.params.v["beacon.period_s"] == 60.0
    assert rig.store.get("params.overrides") == {"beacon.period_s": 60.0}
    send(rig, cmd, "SET_PARAM", {"name": "beacon.no_such", "value": 1})
    assert acks(rig)[-1][1] == "REJECTED" and "unknown" in acks(rig)[-1][2]
    send(rig, cmd, "SET_PARAM", {"name": "beacon.period_s", "value": -5.0})
    assert acks(rig)[-1][1] == "REJECTED" and rig.params.v["beacon.period_s"] == 60.0


def test_safe_and_abort_commands():
    rig, cmd = commanding(Phase.SEPARATED)
    send(rig, cmd, "ABORT", {"reason": "ground says no"})
    assert rig.phases.phase is Phase.SAFE
    send(rig, cmd, "SAFE")
    assert acks(rig)[-1][:2] == ("SAFE", "REJECTED")           # not in SAFE: only in the orbit phases


def test_state_vector_loads_nav_or_says_why_not():
    rig, cmd = commanding(Phase.SEPARATED)
    send(rig, cmd, "STATE_VECTOR", {"r_eci_m": [6778137.0, 0.0, 0.0], "v_eci_mps": [0.0, 7668.0, 0.0],
                                    "q_body_eci": [1.0, 0.0, 0.0, 0.0]})
    assert acks(rig)[-1] == ("STATE_VECTOR", "COMPLETED", "") and rig.tasks["nav"].state[0]
    send(rig, cmd, "STATE_VECTOR", {"r_eci_m": [1.0, 0.0, 0.0], "v_eci_mps": [0.0, 7668.0, 0.0],
                                    "q_body_eci": [1.0, 0.0, 0.0, 0.0]})
    assert acks(rig)[-1][1] == "REJECTED" and "radius" in acks(rig)[-1][2]


def test_deorbit_go_in_minimal_mode_says_why():
    rig, cmd = commanding(Phase.SEPARATED, with_deorbit=False)
    send(rig, cmd, "DEORBIT_GO")
    assert acks(rig)[-1][1] == "REJECTED" and "minimal" in acks(rig)[-1][2]


def test_release_opens_the_latch():
    rig, cmd = commanding(Phase.ATTACHED)
    rig.dev.station.is_attached = True
    send(rig, cmd, "RELEASE")
    assert rig.dev.station.releases == 1 and acks(rig)[-1] == ("RELEASE", "COMPLETED", "")


def test_dump_recorder_downlinks_the_records():
    rig, cmd = commanding(Phase.SEPARATED)
    for i in range(3):
        rig.recorder.write({"kind": "hk", "i": i})
    send(rig, cmd, "DUMP_RECORDER")
    rig.downlink.pump()
    assert rig.last("RECORDER_DUMPED").data["records"] == 3
    assert sum(1 for p in rig.dev.link.downlinked() if p["kind"] == "recorder") == 3
