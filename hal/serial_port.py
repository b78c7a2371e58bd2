"""One serial device line, opened by URL, that survives its cable being pulled (issue 10 item 3).

Requirements
1. Opened with pyserial's ``serial_for_url``, so a line in the hardware profile can be a
   UART (``/dev/ttyS1``), a pty, ``socket://host:port`` or ``loop://`` alike; 8N1 at
   the configured baud rate, non-blocking (``timeout=0``): nothing here ever waits.
2. ``poll(now_s)`` returns the bytes that arrived since the last poll (b"" if none);
   ``write(data, now_s)`` queues bytes and returns False if the line is down, or if
   the driver's transmit buffer cannot take them at once (counted in
   ``write_drops``: a busy line, not a failure).
3. A line that fails (open refused, a read or write error, the far end hung up) goes
   ``down``, counted in ``failures`` with the reason kept in ``last_error``; it is
   reopened at most every ``reopen_s`` on the caller's clock (no thread, no sleep),
   and ``reopens`` counts the recoveries. A flight app polling a pulled cable sees
   only silence: its device readings go stale, and recover when the cable is back.
4. Linux low-latency mode (``ASYNC_LOW_LATENCY``) is requested on a real UART; where
   the driver or the transport has none (a pty, a socket), ``low_latency`` is False
   and the reason is kept, never an error.
"""
from __future__ import annotations

import serial

#: Largest read per poll, bytes (a 115 200 Bd line carries 2 304 bytes in a 0.2 s stall).
MAX_READ = 65536


class SerialPort:
    """Requirements 1-4."""

    def __init__(self, url: str, baudrate: int = 115200, *, reopen_s: float = 1.0, low_latency: bool = True):
        self.url, self.baudrate, self.reopen_s, self.want_low_latency = url, baudrate, reopen_s, low_latency
        self._ser = None
        self._next_open_s = float("-inf")
        self.failures = self.reopens = self.opens = 0
        self.bytes_in = self.bytes_out = 0
        self.write_drops = 0
        self.last_error: str | None = None
        self.low_latency: bool | None = None
        self.low_latency_note: str | None = None

    @property
    def up(self) -> bool:
        return self._ser is not None

    def _fail(self, now_s: float, why: str) -> None:
        self.failures += 1
        self.last_error = why
        if self._ser is not None:
            try:
                self._ser.close()
            except (OSError, serial.SerialException):
                pass
        self._ser = None
        self._next_open_s = now_s + self.reopen_s

    def _open(self, now_s: float) -> None:
        if self._ser is not None or now_s < self._next_open_s:
            return
        try:
            # loop:// counts any write as late against a zero write timeout; it never blocks
            wt = None if self.url.startswith("loop://") else 0
            ser = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0, write_timeout=wt,
                                        bytesize=8, parity="N", stopbits=1)
        except (OSError, ValueError, serial.SerialException) as exc:
            self._fail(now_s, f"open {self.url}: {exc}")
            return
        self._ser = ser
        self.opens += 1
        if self.opens > 1:
            self.reopens += 1
        if self.want_low_latency:
            self._set_low_latency(ser)

    def _set_low_latency(self, ser) -> None:
        setter = getattr(ser, "set_low_latency_mode", None)
        if setter is None:
            self.low_latency, self.low_latency_note = False, "transport has no low-latency mode"
            return
        try:
            setter(True)
            self.low_latency, self.low_latency_note = True, None
        except (OSError, ValueError, serial.SerialException) as exc:    # a pty: ENOTTY / EINVAL
            self.low_latency, self.low_latency_note = False, f"driver refused low latency: {exc}"

    def poll(self, now_s: float) -> bytes:
        self._open(now_s)
        if self._ser is None:
            return b""
        try:
            data = self._ser.read(MAX_READ)
        except (OSError, serial.SerialException) as exc:
            self._fail(now_s, f"read {self.url}: {exc}")
            return b""
        self.bytes_in += len(data)
        return data

    def write(self, data: bytes, now_s: float) -> bool:
        self._open(now_s)
        if self._ser is None:
            return False
        try:
            n = self._ser.write(data)
        except serial.SerialTimeoutException:
            self.write_drops += 1
            return False
        except (OSError, serial.SerialException) as exc:
            self._fail(now_s, f"write {self.url}: {exc}")
            return False
        self.bytes_out += n or 0
        return True

    def close(self) -> None:
        if self._ser is not None:
            self._ser.close()
            self._ser = None

    def telemetry(self) -> dict:
        return {"up": int(self.up), "failures": self.failures, "reopens": self.reopens,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}
