"""What every flight task is given: devices, clock, events, phases, parameters, data."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fsw.clock import Clock
from fsw.databus import FlightData
from fsw.events import EventLog
from fsw.params import ParamTable
from fsw.phases import PhaseMachine
from hal.devices import Hal

if TYPE_CHECKING:
    from fsw.pyro import PyroManager


@dataclass
class FlightContext:
    hal: Hal
    clock: Clock
    events: EventLog
    phases: PhaseMachine
    params: ParamTable
    data: FlightData
    pyro: PyroManager
