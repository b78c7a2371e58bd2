"""Fixtures shared by the simulator tests: the repository's vehicle and SIL hardware configs."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fsw.yamlload import load_config
from sim.hardware_schema import HARDWARE
from sim.vehicle import vehicle_from_config
from sim.vehicle_schema import VEHICLE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vehicle():
    """The capsule model of config/vehicle.yaml (undispersed), made axisymmetric: CoM on the axis and
    no lift, the capsule the closed-form references describe. The lifting terms have their own
    references (test_dynamics.py offset CoM, tests/fsw/gnc/test_predictor.py lifting entry)."""
    full = vehicle_from_config(load_config(REPO / "config/vehicle.yaml", VEHICLE))
    return replace(full, com_lateral_m=0.0, lift_factor=0.0)


@pytest.fixture(scope="module")
def hardware():
    """The validated SIL hardware profile, config/sil.yaml."""
    return load_config(REPO / "config/sil.yaml", HARDWARE)
