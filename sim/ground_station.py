"""The simulated ground station (and station uplink) at the far end of the SIL link.

Requirements
1. Scenario commands are signed (HMAC-SHA-256, increasing anti-replay counter)
   and framed exactly as a real ground station would send them, in time order,
   so SIL commands go through the flight link's real receiver.
2. Downlink octets are deframed; every intact packet is appended, bare (no
   sync marker), to ``downlink.bin`` - what a ground system receives after
   deframing (ARCHITECTURE.md run outputs; issue 5).
3. The key is generated per run and never written anywhere.
"""
from __future__ import annotations

import os

from fsw.link import CommandSigner, Deframer, PacketReceived, frame


class SimGroundStation:
    def __init__(self, downlink_path=None, key: bytes | None = None):
        self.key = key if key is not None else os.urandom(32)
        self._signer = CommandSigner(self.key)
        self._deframer = Deframer()
        self._out = open(downlink_path, "wb") if downlink_path is not None else None
        self.packets = 0
        self.octets = 0
        self.rejected = 0

    def uplink(self, commands: list[tuple[float, str, dict]]) -> list[tuple[float, bytes]]:
        """[(at_s, name, args)] -> the schedule of framed, signed TC packets (time order kept)."""
        out = []
        for at_s, name, args in sorted(commands, key=lambda c: c[0]):
            out.append((at_s, frame(self._signer.sign(name, args))))
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
