"""The simulated flight computer of a SIL run: power-on, processor resets, watchdog.

Requirements
1. Power-on boots a FlightApp on the HAL, the clock and the critical state
   store - a real file (``state.bin`` in the run directory, or in a private
   temporary directory when the run writes no outputs), written with fsync.
2. A processor reset (the ``fsw reset`` fault, or a watchdog bite) tears the app
   down at once: nothing of it survives but the store file, the hardware and
   the clock. The boards fall to their hardware defaults (valve closed, RCS
   off, pyro relay open: ``World.processor_reset_outputs``) and the processor
   is down for the hardware profile's ``flight_computer.boot_s``; then a new
   FlightApp boots, told the reset cause by the hardware's reset-cause
   register (``reset`` or ``watchdog``). A reset while booting restarts the boot.
3. The watchdog (``flight_computer.watchdog_timeout_s``) restarts its timer at
   each boot and bites when the app stops kicking it - for instance while an
   ``fsw hang`` fault stalls the processor (no task runs at all).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from fsw.app import FlightApp
from fsw.state_store import FileSlots

STORE_FILE = "state.bin"


class FlightComputer:
    def __init__(self, world, hal, clock, params: dict, link_key: bytes, *, out_dir: Path | None,
                 power_on_phase, event_sink, on_boot, echo, timers: dict):
        """``timers``: the flight app's scheduler clocks (``timer_ns``, ``budget_timer_ns``)."""
        self.world, self.hal, self.clock = world, hal, clock
        self.params, self.key = params, link_key
        self._tmp = None
        if out_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="elsrs-fc-")
            out_dir = Path(self._tmp.name)
        self.store_path = Path(out_dir) / STORE_FILE
        self.recorder_path = None if self._tmp is not None else Path(out_dir) / "recorder.bin"
        self.power_on_phase = power_on_phase
        self.event_sink, self.on_boot, self.echo, self.timers = event_sink, on_boot, echo, timers
        self.boot_s = world.flight_computer["boot_s"]
        self.resets = 0
        self.watchdog_bites = 0
        self._up_at_s: float | None = None
        self.app: FlightApp = self._boot()            # power-on

    def _boot(self) -> FlightApp:
        self.hal.watchdog.last_kick_t_s = self.clock.now_s()   # the watchdog timer restarts with the processor
        app = FlightApp(self.hal, self.clock, self.params, self.key, store=FileSlots(self.store_path),
                        power_on_phase=self.power_on_phase, recorder_path=self.recorder_path,
                        event_sinks=[self.event_sink], **self.timers)
        self.on_boot(app)
        return app

    @property
    def up(self) -> bool:
        return self._up_at_s is None

    def reset(self, cause: str = "reset") -> None:
        """Processor reset now (requirement 2)."""
        t = self.clock.now_s()
        self.resets += 1
        self.echo(f"  {t:9.2f} s  ** processor reset ({cause}); boot {self.boot_s:.1f} s **")
        if self.up:
            self.app.shutdown()
        self.world.processor_reset_outputs()
        self.hal.watchdog.cause = cause
        self._up_at_s = t + self.boot_s

    def tick(self, t_s: float, hung: bool = False) -> None:
        """One base tick of the flight computer at clock time ``t_s``; ``hung``: stalled (fsw hang)."""
        if self._up_at_s is not None:
            if t_s < self._up_at_s - 1e-9:
                return
            self._up_at_s = None
            self.app = self._boot()
        if self.hal.watchdog.expired():
            self.watchdog_bites += 1
            self.reset("watchdog")
            return
        if not hung:
            self.app.tick()

    def close(self) -> None:
        if self.up:
            self.app.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()
