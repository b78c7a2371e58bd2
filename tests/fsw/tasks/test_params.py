"""Every task's declared PARAMS exist in config/mission.yaml, and every parameter a task module reads is
declared: a misspelt or undeclared name fails here in CI, not as a task exception every tick in flight."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from fakes import REPO, mission_params
from fsw.app import TASKS
from fsw.params import flatten

PARAM_NAMES = frozenset(flatten(mission_params()))
GROUPS = sorted({n.split(".")[0] for n in PARAM_NAMES})
#: A string that names a flight parameter ("group.name").
PARAM_RE = re.compile(rf"^(?:{'|'.join(GROUPS)})\.[a-z0-9_]+$")
#: Modules whose parameter reads a task makes on its behalf (the monitor checks run inside the monitor task).
ALSO_READ = {"monitors": ("fsw/fdir/checks.py",)}


def task_source(name: str) -> list[Path]:
    cls = TASKS[name]
    mod = importlib.import_module(cls.__module__)
    return [Path(mod.__file__), *(REPO / p for p in ALSO_READ.get(name, ()))]


def _is_param_table(node: ast.expr) -> bool:
    """``p[...]``, ``<x>.v[...]``, ``<x>.params[...]``, ``s.p[...]``: the ways flight code reads a parameter."""
    if isinstance(node, ast.Name):
        return node.id == "p"
    if isinstance(node, ast.Attribute):
        return node.attr in ("v", "p", "params")
    return False


def param_reads(source: str) -> tuple[set[str], set[str]]:
    """(names read by a literal subscript of a parameter table, every string constant naming a parameter group)."""
    tree = ast.parse(source)
    reads, named = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_param_table(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                reads.add(key.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PARAM_RE.match(node.value):
            named.add(node.value)
    return reads, named


@pytest.mark.parametrize("name", sorted(TASKS))
def test_declared_params_exist_in_mission_yaml(name):
    unknown = sorted(set(TASKS[name].PARAMS) - PARAM_NAMES)
    assert not unknown, f"task {name} declares parameters not in config/mission.yaml: {unknown}"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_parameter_read_is_declared(name):
    declared = set(TASKS[name].PARAMS)
    reads, named = set(), set()
    for path in task_source(name):
        r, n = param_reads(path.read_text())
        reads |= r
        named |= n
    undeclared = sorted(reads - declared)
    assert not undeclared, f"task {name} reads parameters it does not declare in PARAMS: {undeclared}"
    indirect = sorted(named - declared)
    assert not indirect, f"task {name} names parameters (read indirectly) it does not declare: {indirect}"
    unknown = sorted(reads - PARAM_NAMES)
    assert not unknown, f"task {name} reads parameters that do not exist: {unknown}"


def test_the_pyro_envelope_reads_only_existing_parameters():
    reads, named = param_reads((REPO / "fsw/safety/inhibits.py").read_text())
    assert reads and not (reads | named) - PARAM_NAMES


def test_every_task_reads_what_it_declares():
    """Stale declarations hide misspellings too: each declared parameter is read somewhere in the task."""
    for name in TASKS:
        text = "".join(p.read_text() for p in task_source(name))
        unused = [p for p in TASKS[name].PARAMS if p not in text and p not in _indirect_values(name)]
        assert not unused, f"task {name} declares parameters it never reads: {unused}"


def _indirect_values(name: str) -> set[str]:
    """Parameter names held in module-level tables of the task's module (e.g. chutes.MAIN_TIMER_PARAM)."""
    mod = importlib.import_module(TASKS[name].__module__)
    out = set()
    for value in vars(mod).values():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
        for v in items:
            for s in (v if isinstance(v, tuple) else (v,)):
                if isinstance(s, str) and PARAM_RE.match(s):
                    out.add(s)
    return out


def test_the_scan_catches_a_misspelt_read():
    src = '''
class T:
    PARAMS = ("chutes.main_alt_m",)
    def run(self, t):
        p = self.ctx.params.v
        a = p["chutes.main_alt_m"]
        b = self.ctx.params.v["chutes.mian_alt_m"]
        c = f"{p['landing.backup_s']:.0f}"
        d = s.p["fdir.soc_safe"]
        e = p[TABLE["x"]]
TABLE = {"x": "landing.float_delay_s"}
'''
    reads, named = param_reads(src)
    assert reads == {"chutes.main_alt_m", "chutes.mian_alt_m", "landing.backup_s", "fdir.soc_safe"}
    assert "landing.float_delay_s" in named
    assert reads - PARAM_NAMES == {"chutes.mian_alt_m"}


def test_a_misspelt_declaration_fails_the_boot(monkeypatch):
    from fakes import KEY, FakeDevices
    from fsw.app import FlightApp
    from fsw.clock import SimClock
    from fsw.tasks.beacon import BeaconTask
    monkeypatch.setattr(BeaconTask, "PARAMS", (*BeaconTask.PARAMS, "beacon.perod_s"))
    clock = SimClock(0.0)
    with pytest.raises(ValueError, match="beacon.perod_s"):
        FlightApp(FakeDevices(clock).hal(), clock, mission_params(), KEY)
