"""Faults on a serial line between a board and the flight computer (HIL), from the scenario's
``faults:`` list with targets ``wire.<line>`` (sim/faults.py).

Requirements
1. ``FaultyLine`` wraps one end of a line (the emulator's) and applies the active
   faults of its target to the bytes in both directions:
   - ``dropout``: nothing gets through (the flight sees a silent line);
   - ``corrupt``: one bit of each chunk written is flipped (the codec's CRC or
     checksum must reject the frame it lands in);
   - ``delay``: every byte is held ``value`` s before it is delivered, in order;
   - ``stuck``: the line is held at break: zeros in place of every byte.
2. Faults follow the schedule's timing (``at_s`` / ``at_phase``, ``duration_s``);
   what is held by a delay when it ends is still delivered, and bytes written after
   it wait behind it: the line keeps its order.
3. Counters: ``dropped``, ``corrupted``, ``delayed``, ``stuck`` bytes.
"""
from __future__ import annotations


class FaultyLine:
    def __init__(self, port, faults, target: str, rng):
        self.port, self.faults, self.target, self.rng = port, faults, target, rng
        self._held_out: list[tuple[float, bytes]] = []       # (release t_s, bytes) toward the flight
        self._held_in: list[tuple[float, bytes]] = []        # toward the board
        self.dropped = self.corrupted = self.delayed = self.stuck = 0

    def _active(self, t_s: float) -> dict:
        return {f.spec["kind"]: f.spec["value"] for f in self.faults.active(t_s, self.target)}

    def _transform(self, data: bytes, t_s: float, held: list) -> bytes:
        act = self._active(t_s)
        if data and "dropout" in act:
            self.dropped += len(data)
            data = b""
        if data and "stuck" in act:
            self.stuck += len(data)
            data = bytes(len(data))
        if data and "corrupt" in act:
            b = bytearray(data)
            b[self.rng.randrange(len(b))] ^= 1 << self.rng.randrange(8)
            self.corrupted += 1
            data = bytes(b)
        if data and "delay" in act:
            self.delayed += len(data)
            held.append((max(t_s + act["delay"], held[-1][0] if held else 0.0), data))
            data = b""
        out = b""
        while held and held[0][0] <= t_s + 1e-9:
            out += held.pop(0)[1]
        if data and held:                    # a delay line keeps order: new bytes wait behind held ones
            held.append((held[-1][0], data))
            data = b""
        return out + data

    def write(self, data: bytes, t_s: float) -> bool:
        out = self._transform(data, t_s, self._held_out)
        return self.port.write(out, t_s) if out else True

    def poll(self, t_s: float) -> bytes:
        return self._transform(self.port.poll(t_s), t_s, self._held_in)

    def telemetry(self) -> dict:
        return {**self.port.telemetry(), "dropped": self.dropped, "corrupted": self.corrupted,
                "delayed": self.delayed, "stuck": self.stuck}
