"""The simulated ground station (and station uplink) at the far end of the SIL link.

Requirements
1. Scenario commands are signed (HMAC-SHA-256, increasing anti-replay counter)
   and framed exactly as a real ground station sends them, at their scheduled
   time, so SIL commands go through the flight link's real receiver. Each is
   signed when it is sent, with a counter above the last one the flight
   reports accepting (``flight_counter``: what a real ground learns from the
   ``cmd_counter`` HK channel), so a live console on the same link
   (``elsrs sil --ground-listen``) and the scenario never replay each other.
2. Downlink octets are deframed; every intact packet is appended, bare (no
   sync marker), to ``downlink.bin`` - what a ground system receives after
   deframing (ARCHITECTURE.md run outputs; issue 5).
3. The key is generated per run unless given, and never written anywhere.
"""
from __future__ import annotations

import os

from fsw.link import CommandSigner, Deframer, PacketReceived, frame


class SimGroundStation:
    def __init__(self, downlink_path=None, key: bytes | None = None, commands=(), flight_counter=None):
        """commands: [(at_s, name, args)]; flight_counter: callable -> last counter the flight accepted."""
        self.key = key if key is not None else os.urandom(32)
        self._signer = CommandSigner(self.key)
        self._pending = sorted(commands, key=lambda c: c[0])      # stable: scenario order kept at equal times
        self._next = 0
        self._flight_counter = flight_counter or (lambda: 0)
        self._deframer = Deframer()
        self._out = open(downlink_path, "wb") if downlink_path is not None else None
        self.packets = 0
        self.octets = 0
        self.rejected = 0

    def due(self, t_s: float) -> list[bytes]:
        """Framed, signed TC packets of the commands due at t_s."""
        out = []
        while self._next < len(self._pending) and self._pending[self._next][0] <= t_s + 1e-9:
            _, name, args = self._pending[self._next]
            self._next += 1
            self._signer.counter = max(self._signer.counter, self._flight_counter())
            out.append(frame(self._signer.sign(name, args)))
        return out

    def receive(self, data: bytes) -> None:
        """Downlink octets from the flight link."""
        self.octets += len(data)
        for ev in self._deframer.feed(data):
            if isinstance(ev, PacketReceived):
                self.packets += 1
                if self._out is not None:
                    self._out.write(ev.packet)
            else:
                self.rejected += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
