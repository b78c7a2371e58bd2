"""Suite-wide collection order: the longest tests first.

The default run spreads tests over 2 xdist workers (README test command). A worker
takes tests in collection order, so a multi-minute flight collected last would run
alone at the end while the other worker idles. Moving the modules whose tests fly
whole missions or campaigns to the front (longest first, measured with
``--durations``) lets the short tests fill in around them. Order only: every test
is independent of the others (xdist already runs them in an arbitrary split).
"""
from __future__ import annotations

#: Modules by descending cost (pytest --durations=25, 2026-12-01).
LONGEST_FIRST = (
    "test_reset_campaign.py", "test_montecarlo.py", "test_sil_e2e.py", "test_state_store_kill.py",
    "test_verdict.py", "test_recorder.py", "test_sil_faults.py", "test_link_fuzz.py", "test_heating.py",
    "test_validation_sil.py", "test_sil_signals.py", "test_catalogue.py", "test_plan.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    key = {id(it): rank.get(it.path.name, len(rank)) for it in items}
    items.sort(key=lambda it: key[id(it)])       # stable: the order within a module is kept
