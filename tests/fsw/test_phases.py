"""Tests for fsw.phases: the transition table, rejections, nominal sequence, restore."""

import itertools

import pytest

from fsw.clock import SimClock
from fsw.events import EventLog, Severity
from fsw.phases import TRANSITIONS, Phase, PhaseChange, PhaseMachine, Trigger

P, T = Phase, Trigger

# The table as specified, written out independently of the implementation.
EXPECTED_ROWS = {
    (P.ATTACHED, T.RELEASED): P.SEPARATED,
    (P.SEPARATED, T.PREP_START): P.DEORBIT_PREP,
    (P.DEORBIT_PREP, T.IGNITION): P.DEORBIT_BURN,
    (P.DEORBIT_BURN, T.CUTOFF): P.COAST,
    (P.COAST, T.DECEL_ONSET): P.ENTRY,
    (P.SAFE, T.DECEL_ONSET): P.ENTRY,
    (P.SEPARATED, T.DECEL_ONSET): P.ENTRY,
    (P.ENTRY, T.DROGUE_DEPLOYED): P.DROGUE,
    (P.ENTRY, T.MAIN_DEPLOYED): P.MAIN,
    (P.DROGUE, T.MAIN_DEPLOYED): P.MAIN,
    (P.MAIN, T.SPLASHDOWN): P.LANDED,
    (P.DROGUE, T.SPLASHDOWN): P.LANDED,
    (P.ENTRY, T.SPLASHDOWN): P.LANDED,
    (P.SEPARATED, T.ABORT): P.SAFE,
    (P.DEORBIT_PREP, T.ABORT): P.SAFE,
    (P.DEORBIT_BURN, T.ABORT): P.SAFE,
    (P.COAST, T.ABORT): P.SAFE,
    (P.SEPARATED, T.SAFE_CMD): P.SAFE,
    (P.DEORBIT_PREP, T.SAFE_CMD): P.SAFE,
    (P.DEORBIT_BURN, T.SAFE_CMD): P.SAFE,
    (P.COAST, T.SAFE_CMD): P.SAFE,
    (P.SAFE, T.RESUME): P.SEPARATED,
}
NOT_IN_TABLE = [pair for pair in itertools.product(Phase, Trigger) if pair not in EXPECTED_ROWS]


def machine(initial, t_s=0.0):
    clock = SimClock(t_s)
    events = EventLog(clock, throttle_limit=1000)
    return clock, events, PhaseMachine(initial, clock, events)


def test_phase_and_trigger_values_are_their_names():
    assert [p.value for p in Phase] == [
        "ATTACHED", "SEPARATED", "DEORBIT_PREP", "DEORBIT_BURN", "COAST",
        "ENTRY", "DROGUE", "MAIN", "LANDED", "SAFE"]
    assert all(t.value == t.name for t in Trigger) and len(Trigger) == 11


def test_table_is_exactly_the_specified_rows():
    assert dict(TRANSITIONS) == EXPECTED_ROWS


def test_table_is_read_only():
    with pytest.raises(TypeError):
        TRANSITIONS[(P.LANDED, T.ABORT)] = P.SAFE  # type: ignore[index]


@pytest.mark.parametrize("src, trigger, dst",
                         [(s, t, d) for (s, t), d in EXPECTED_ROWS.items()],
                         ids=lambda x: getattr(x, "value", None))
def test_every_table_row_transitions(src, trigger, dst):
    clock, events, pm = machine(src, t_s=100.0)
    clock.advance_to(130.0)
    assert pm.request(trigger, "test") is True
    assert pm.phase is dst
    assert pm.entered_t_s == 130.0
    assert pm.history == [PhaseChange(130.0, src, dst, trigger, "test")]
    ev = events.history[-1]
    assert ev.name == "PHASE_CHANGE" and ev.severity is Severity.ACTIVITY_HI
    assert ev.data == {"from": src.value, "to": dst.value, "trigger": trigger.value,
                       "reason": "test"}


@pytest.mark.parametrize("src, trigger", NOT_IN_TABLE, ids=lambda x: x.value)
def test_every_pair_not_in_table_is_rejected(src, trigger):
    clock, events, pm = machine(src, t_s=5.0)
    clock.advance_to(6.0)
    assert pm.request(trigger, "why not") is False
    assert pm.phase is src
    assert pm.entered_t_s == 5.0
    assert pm.history == []
    assert pm.rejected == {trigger: 1}
    (ev,) = events.history
    assert ev.name == "PHASE_TRIGGER_REJECTED" and ev.severity is Severity.WARNING_LO
    assert ev.data == {"phase": src.value, "trigger": trigger.value, "reason": "why not"}


def test_attached_rejects_everything_but_released():
    _, _, pm = machine(P.ATTACHED)
    others = [t for t in Trigger if t is not T.RELEASED]
    assert not any(pm.request(t, "premature") for t in others)
    assert pm.phase is P.ATTACHED
    assert sum(pm.rejected.values()) == len(others)
    assert pm.request(T.RELEASED, "separation switches open")
    assert pm.phase is P.SEPARATED


@pytest.mark.parametrize("phase", [P.ENTRY, P.DROGUE, P.MAIN, P.LANDED])
def test_descent_and_landed_never_go_to_safe(phase):
    _, _, pm = machine(phase)
    for trigger in (T.ABORT, T.SAFE_CMD):
        assert pm.request(trigger, "fault") is False
        assert pm.phase is phase


def test_safe_capsule_that_starts_reentering_flies_its_chutes():
    _, _, pm = machine(P.COAST)
    assert pm.request(T.ABORT, "attitude fault")
    assert pm.request(T.DECEL_ONSET, "0.05 g sensed")
    assert pm.request(T.DROGUE_DEPLOYED, "baro")
    assert pm.phase is P.DROGUE


def test_nominal_sequence_emits_phase_changes_in_order_with_reasons():
    clock, events, pm = machine(P.SEPARATED)
    seen = []
    pm.on_change(seen.append)
    steps = [
        (T.PREP_START, "timeline T-30 min", P.DEORBIT_PREP),
        (T.IGNITION, "burn attitude held, TIG reached", P.DEORBIT_BURN),
        (T.CUTOFF, "delta-v achieved", P.COAST),
        (T.DECEL_ONSET, "0.05 g sensed", P.ENTRY),
        (T.DROGUE_DEPLOYED, "drogue line tension", P.DROGUE),
        (T.MAIN_DEPLOYED, "main line tension", P.MAIN),
        (T.SPLASHDOWN, "impact shock + salt water", P.LANDED),
    ]
    for i, (trigger, reason, expected) in enumerate(steps):
        clock.advance_to(10.0 * (i + 1))
        assert pm.request(trigger, reason)
        assert pm.phase is expected
        clock.advance_to(10.0 * (i + 1) + 4.0)
        assert pm.time_in_phase_s() == pytest.approx(4.0)
    changes = [e for e in events.history if e.name == "PHASE_CHANGE"]
    assert [(e.data["from"], e.data["to"], e.data["reason"]) for e in changes] == [
        ("SEPARATED", "DEORBIT_PREP", "timeline T-30 min"),
        ("DEORBIT_PREP", "DEORBIT_BURN", "burn attitude held, TIG reached"),
        ("DEORBIT_BURN", "COAST", "delta-v achieved"),
        ("COAST", "ENTRY", "0.05 g sensed"),
        ("ENTRY", "DROGUE", "drogue line tension"),
        ("DROGUE", "MAIN", "main line tension"),
        ("MAIN", "LANDED", "impact shock + salt water"),
    ]
    assert [e.t_s for e in changes] == [10.0 * (i + 1) for i in range(7)]
    assert seen == pm.history and len(seen) == 7
    assert pm.rejected == {}


def test_listener_exception_is_reported_and_others_still_called():
    _, events, pm = machine(P.ATTACHED)
    seen = []

    def bad(change):
        raise KeyError("pyro bus")

    pm.on_change(bad)
    pm.on_change(seen.append)
    assert pm.request(T.RELEASED, "sep")
    assert pm.phase is P.SEPARATED and len(seen) == 1
    assert events.counts.get("PHASE_LISTENER_EXCEPTION") == 1


def test_restore_after_reset():
    clock, events, pm = machine(P.ATTACHED, t_s=2.0)
    seen = []
    pm.on_change(seen.append)
    pm.restore(P.COAST, entered_t_s=-120.0)  # entered before this boot
    assert pm.phase is P.COAST
    assert pm.entered_t_s == -120.0
    assert pm.time_in_phase_s() == pytest.approx(122.0)
    assert pm.history == [] and seen == []
    ev = events.history[-1]
    assert ev.name == "PHASE_RESTORED" and ev.severity is Severity.ACTIVITY_HI
    assert ev.data["phase"] == "COAST"
    assert pm.request(T.DECEL_ONSET, "0.05 g")  # the restored phase is live
    assert pm.phase is P.ENTRY


def test_restore_rejects_entry_time_in_the_future():
    _, _, pm = machine(P.ATTACHED, t_s=2.0)
    with pytest.raises(ValueError, match="entered_t_s"):
        pm.restore(P.COAST, entered_t_s=3.0)
    assert pm.phase is P.ATTACHED
