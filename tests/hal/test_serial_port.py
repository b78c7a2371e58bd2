"""hal/serial_port.py on real ttys (pty pairs) and pyserial's loop:// transport: data both ways,
a pulled cable (the far end closed) taking the line down without an exception, and its
recovery when plugged back, paced by the caller's clock."""
from __future__ import annotations

import os
import select

import pytest

from hal.serial_port import SerialPort


class Pty:
    """A pty pair whose slave is reached through a stable symlink (as /dev/serial/by-id is)."""

    def __init__(self, link: str):
        self.link = link
        self.plug()

    def plug(self) -> None:
        self.master, slave = os.openpty()
        self.slave_name = os.ttyname(slave)
        os.close(slave)                       # the port under test opens it by name
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(self.slave_name, self.link)

    def pull(self) -> None:
        os.close(self.master)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def recv(self, timeout_s: float = 1.0) -> bytes:
        r, _, _ = select.select([self.master], [], [], timeout_s)
        return os.read(self.master, 4096) if r else b""


def poll_until(port: SerialPort, now_s: float, want: int, tries: int = 200) -> bytes:
    got = b""
    for _ in range(tries):
        got += port.poll(now_s)
        if len(got) >= want:
            break
        select.select([], [], [], 0.005)
    return got


def test_loop_transport_round_trip():
    p = SerialPort("loop://")
    assert p.write(b"\xa5\x5a frame", 0.0)
    assert poll_until(p, 0.0, 9) == b"\xa5\x5a frame" and p.up


def test_pty_both_ways(tmp_path):
    pty = Pty(str(tmp_path / "imu"))
    p = SerialPort(pty.link, 115200)
    assert p.poll(0.0) == b"" and p.up
    pty.send(b"$GPGGA,...\r\n")
    assert poll_until(p, 0.0, 12) == b"$GPGGA,...\r\n"
    assert p.write(b"AT+CSQ\r", 0.0) and pty.recv() == b"AT+CSQ\r"
    assert p.low_latency is False and "low latency" in p.low_latency_note     # a pty has no ASYNC_LOW_LATENCY
    p.close()
    pty.pull()


def test_a_pulled_cable_goes_down_and_recovers_when_plugged_back(tmp_path):
    pty = Pty(str(tmp_path / "gps"))
    p = SerialPort(pty.link, reopen_s=1.0)
    assert p.poll(10.0) == b""                  # opened (pyserial flushes what came before)
    pty.send(b"before")
    assert poll_until(p, 10.0, 6) == b"before"
    pty.pull()                                                   # the far end is gone
    for _ in range(5):                                           # silence, never an exception
        assert p.poll(10.1) == b""
    assert not p.up and p.failures == 1 and p.last_error.startswith("read ")
    pty.plug()                                                   # plugged back: a new tty behind the link
    assert p.poll(10.5) == b"" and not p.up                      # not before reopen_s on the caller's clock
    assert p.poll(11.2) == b"" and p.up
    pty.send(b"after")
    assert poll_until(p, 11.2, 5) == b"after"
    assert p.up and p.reopens == 1 and p.telemetry()["failures"] == 1
    p.close()
    pty.pull()


def test_a_missing_device_is_a_failure_not_an_exception(tmp_path):
    p = SerialPort(str(tmp_path / "nothing"), reopen_s=2.0)
    assert p.poll(0.0) == b"" and not p.up and p.failures == 1 and "open" in p.last_error
    assert p.write(b"x", 1.0) is False and p.failures == 1      # no retry before reopen_s
    p.poll(2.0)
    assert p.failures == 2


@pytest.mark.parametrize("url", ["socket://127.0.0.1:9", "bogus://x"])
def test_other_transports_fail_cleanly(url):
    p = SerialPort(url)
    assert p.poll(0.0) == b"" and not p.up and p.last_error
