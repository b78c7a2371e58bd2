"""What every flight task is given: devices, clock, events, phases, parameters, bus, store."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fsw.bus import RecordBus
from fsw.clock import Clock
from fsw.events import EventLog
from fsw.params import ParamTable
from fsw.phases import PhaseMachine
from fsw.state_store import CriticalStore
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
    bus: RecordBus
    store: CriticalStore
    pyro: PyroManager
    #: "power_on" or "processor_reset" (this boot)
    boot_kind: str = "power_on"
    #: minimal safe configuration after repeated resets (fsw.boot)
    minimal: bool = False
