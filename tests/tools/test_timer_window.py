"""tools/timer_window.py: campaign margins of each backup timer against its truth windows."""
from __future__ import annotations

from tools.timer_window import TIMER_PARAMS, timer_margins


def _w(early, late):
    return {t: {"earliest_s": early, "latest_s": late} for t in TIMER_PARAMS}


def test_margins_take_the_largest_earliest_and_the_smallest_latest():
    m = timer_margins([_w(140.0, 180.0), _w(150.0, 170.0), _w(None, 175.0), None],
                      {t: 160.0 for t in TIMER_PARAMS})["drogue_fall"]
    assert (m["earliest_max_s"], m["latest_min_s"]) == (150.0, 170.0)
    assert (m["margin_early_s"], m["margin_late_s"], m["middle_s"]) == (10.0, 10.0, 160.0)
    assert (m["n_earliest"], m["n_latest"]) == (2, 3)


def test_a_timer_outside_one_runs_window_has_a_negative_margin():
    m = timer_margins([_w(150.0, 170.0), _w(120.0, 135.0)], {t: 160.0 for t in TIMER_PARAMS})["main"]
    assert m["margin_late_s"] == -25.0 and m["margin_early_s"] == 10.0
    # No window at all (no run got there): nothing to say, not a pass.
    m = timer_margins([None], {t: 160.0 for t in TIMER_PARAMS})["onset"]
    assert m["earliest_max_s"] is None and m["margin_early_s"] is None and m["middle_s"] is None
