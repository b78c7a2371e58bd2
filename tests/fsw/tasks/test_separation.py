"""Separation monitor: ATTACHED -> SEPARATED only after 3 consecutive open samples of the switch."""
from __future__ import annotations

from fakes import Rig
from fsw.phases import Phase


def station(rig, pattern):
    """Each step the switch reads the next value of ``pattern`` (True: berthed)."""
    it = iter(pattern)

    def before(t):
        rig.dev.station.is_attached = next(it)
    return before


def test_berthed_stays_attached():
    rig = Rig(Phase.ATTACHED)
    s = rig.build("separation")
    rig.dev.station.is_attached = True
    rig.run(s, 10.0)
    assert rig.phases.phase is Phase.ATTACHED


def test_three_consecutive_open_samples_separate():
    rig = Rig(Phase.ATTACHED)
    s = rig.build("separation")
    rig.run(s, n=2, before=station(rig, [False, False]))
    assert rig.phases.phase is Phase.ATTACHED
    rig.run(s, n=1, before=station(rig, [False]))
    assert rig.phases.phase is Phase.SEPARATED
    assert rig.phases.history[-1].reason == "separation switch open"
    assert rig.store.get("phase")["phase"] == "SEPARATED"


def test_a_bouncing_switch_does_not_separate():
    rig = Rig(Phase.ATTACHED)
    s = rig.build("separation")
    bounce = [False, False, True] * 5 + [False, True] * 5
    rig.run(s, n=len(bounce), before=station(rig, bounce))
    assert rig.phases.phase is Phase.ATTACHED
    rig.run(s, n=3, before=station(rig, [False] * 3))
    assert rig.phases.phase is Phase.SEPARATED


def test_does_nothing_once_free():
    rig = Rig(Phase.SAFE)
    s = rig.build("separation")
    rig.run(s, n=5, before=station(rig, [False] * 5))
    assert rig.phases.phase is Phase.SAFE and rig.phases.history == []
