"""In-memory serial wire: two joined ends with the SerialPort interface (issue 10 item 1:
the wire-in-memory backend; ``elsrs sil --wire`` and the codec tests route bytes through it).

Requirements
1. ``wire_pair()`` gives ends A and B; bytes written at one end are read at the other,
   in order, at the next ``poll``; nothing is lost, duplicated or delayed (faults on
   the wire are injected by the scenario, not here).
2. Each end counts its bytes in and out and is always up (no cable to pull: that is
   the pty test's business).
"""
from __future__ import annotations


class WireEnd:
    def __init__(self) -> None:
        self._rx = bytearray()
        self.peer: WireEnd | None = None
        self.bytes_in = self.bytes_out = 0
        self.up = True

    def poll(self, now_s: float) -> bytes:
        data = bytes(self._rx)
        self._rx.clear()
        self.bytes_in += len(data)
        return data

    def write(self, data: bytes, now_s: float) -> bool:
        self.peer._rx += data
        self.bytes_out += len(data)
        return True

    def telemetry(self) -> dict:
        return {"up": 1, "failures": 0, "reopens": 0, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}


def wire_pair() -> tuple[WireEnd, WireEnd]:
    a, b = WireEnd(), WireEnd()
    a.peer, b.peer = b, a
    return a, b
