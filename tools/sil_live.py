"""A live ground endpoint for a SIL flight: ``elsrs sil --ground-listen HOST:PORT``.

Requirements
1. One TCP client at a time (``elsrs ground --port socket://HOST:PORT``); the
   downlink octets are copied to it, its octets go up the flight link.
2. ``pace`` > 0 paces the simulation at that multiple of real time (1 = real
   time), so an operator can follow and command the flight.
3. Socket I/O is non-blocking and never stops the simulation: a slow client
   loses downlink octets (counted), a lost client is dropped and another may
   connect.
"""
from __future__ import annotations

import socket
import time

from fsw.schema import ConfigError


def parse_endpoint(text: str) -> tuple[str, int]:
    """'HOST:PORT' -> (host, port); ConfigError naming the option otherwise."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("--ground-listen", "", f"expected HOST:PORT (e.g. 127.0.0.1:7000), got {text!r}")
    return host, int(port)


class LiveGround:
    def __init__(self, endpoint: str, pace: float = 0.0):
        host, port = parse_endpoint(endpoint)
        self._srv = socket.create_server((host, port))
        self._srv.setblocking(False)
        self.address = self._srv.getsockname()[:2]
        self._client: socket.socket | None = None
        self.pace = pace
        self._wall0: float | None = None
        self.dropped_octets = 0
        self.clients = 0

    def tee(self, sink):
        """A downlink sink that feeds ``sink`` and the connected client."""
        def both(data: bytes) -> None:
            sink(data)
            if self._client is not None:
                try:
                    n = self._client.send(data)
                    self.dropped_octets += len(data) - n
                except BlockingIOError:
                    self.dropped_octets += len(data)
                except OSError:
                    self._drop()
        return both

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def tick(self, t_s: float, link) -> None:
        """Accept a client, move its octets up the link, and pace the run."""
        if self._client is None:
            try:
                self._client, _ = self._srv.accept()
                self._client.setblocking(False)
                self.clients += 1
            except BlockingIOError:
                pass
        if self._client is not None:
            try:
                data = self._client.recv(65536)
                if data:
                    link.inject(data)
                else:
                    self._drop()
            except BlockingIOError:
                pass
            except OSError:
                self._drop()
        if self.pace > 0.0:
            now = time.monotonic()
            if self._wall0 is None:
                self._wall0 = now - t_s / self.pace
            lag = self._wall0 + t_s / self.pace - now
            if lag > 0.0:
                time.sleep(lag)

    def close(self) -> None:
        self._drop()
        self._srv.close()
