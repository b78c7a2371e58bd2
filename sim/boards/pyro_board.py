"""Pyro/valve board emulator: the world's pyro, engine, RCS, station port, water switch and
power supervisor behind the board's protocol (hal/protocols/pyro_board.py).

Requirements
1. ``tick(t_s)`` decodes the flight's COMMAND frames, applies each to the in-process
   device (``hal/sim_backend.py``: the world's hardware arm, relays, valves and
   fire-sense latches decide, as in SIL) and answers with one ACK, whose result says
   why a refused command was refused: ``no_hw_arm`` (separation switch / timer),
   ``not_armed`` (software relay open), ``already_fired`` (the channel's latch),
   ``bad_argument``.
2. STATUS requests get a STATUS frame with the devices' readback.
3. Garbage and corrupt frames are the codec's rejections: nothing is applied.
"""
from __future__ import annotations

from hal.devices import PYRO_CHANNELS
from hal.protocols.pyro_board import POWER_MODES, Command, PyroBoardDecoder, ack, status


class PyroBoardEmulator:
    def __init__(self, pyro, engine, rcs, port, station=None, water=None, power=None):
        self.pyro, self.engine, self.rcs, self.port = pyro, engine, rcs, port
        self.station, self.water, self.power = station, water, power
        self.decoder = PyroBoardDecoder()
        self._seq = {"ack": 0, "status": 0}      # per frame type, as the decoder checks them
        self._latch_open = True
        self._rcs_mask = 0
        self.applied: list[tuple[float, str, str]] = []      # (t_s, op, result)

    def _next(self, kind: str) -> int:
        self._seq[kind] = (self._seq[kind] + 1) & 0xFFFF
        return self._seq[kind]

    def tick(self, t_s: float) -> None:
        tu = int(round(t_s * 1e6))
        out = b""
        for ev in self.decoder.feed(self.port.poll(t_s)):
            if not isinstance(ev, Command):
                continue
            result = self._apply(ev)
            self.applied.append((t_s, ev.op, result))
            out += ack(self._next("ack"), tu, ev.seq, ev.op_code, result)
            if ev.op == "STATUS":
                out += self._status(tu)
        if out:
            self.port.write(out, t_s)

    def _status(self, tu: int) -> bytes:
        p, e = self.pyro.status(), self.engine.status()
        pw = self.power.read() if self.power is not None else None
        return status(self._next("status"), tu, hw_armed=p.hw_armed, pyro_armed=p.armed, engine_armed=e.armed,
                      valve_open=e.valve_open, latch_open=self._latch_open, continuity=p.continuity,
                      fired=p.fired, rcs_mask=self._rcs_mask, chamber_pa=e.chamber_pressure_pa,
                      water_wet=self.water is not None and self.water.wet(),
                      attached=self.station is not None and self.station.attached(),
                      bus_v=pw.bus_v if pw else float("nan"), battery_soc=pw.battery_soc if pw else float("nan"))

    def _apply(self, c: Command) -> str:
        op, v = c.op, c.value
        if op == "PYRO_ARM":
            self.pyro.arm(bool(v))
        elif op == "PYRO_FIRE":
            if not 0 <= c.channel < len(PYRO_CHANNELS):
                return "bad_argument"
            st = self.pyro.status()
            if st.fired[c.channel]:
                return "already_fired"
            if not st.hw_armed:
                return "no_hw_arm"
            if not st.armed:
                return "not_armed"
            return "ok" if self.pyro.fire(PYRO_CHANNELS[c.channel]) else "not_armed"
        elif op == "ENGINE_ARM":
            self.engine.arm(bool(v))
        elif op == "ENGINE_IGNITE":
            st = self.engine.status()
            if not st.hw_armed:
                return "no_hw_arm"
            return "ok" if self.engine.ignite() else "not_armed"
        elif op == "ENGINE_SHUTDOWN":
            self.engine.shutdown(v / 1000.0)
        elif op == "ENGINE_REFRESH":
            self.engine.refresh()
        elif op == "RCS_COMMAND":
            if v >> 6:
                return "bad_argument"
            self._rcs_mask = v
            self.rcs.command(v)
        elif op == "RCS_LATCH":
            self._latch_open = bool(v)
            self.rcs.latch(bool(v))
        elif op == "STATION_RELEASE":
            if self.station is None:
                return "bad_argument"
            self.station.release()
        elif op == "POWER_MODE":
            if self.power is None or not 0 <= v < len(POWER_MODES):
                return "bad_argument"
            self.power.set_mode(POWER_MODES[v])
        elif op != "STATUS":
            return "bad_argument"
        return "ok"
