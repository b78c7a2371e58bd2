"""The I/O edges of the ground console: the port (pyserial URLs), the key, the counter file.

Ports are opened with ``serial.serial_for_url``, so one option covers
``/dev/ttyUSB0`` / ``COM3`` (a serial port at ``--baud``), ``socket://host:port``
(TCP client; the baud rate is ignored), ``rfc2217://host:port`` and ``loop://``.

The command key is never in the repository: ``--key-file PATH`` (the raw key
octets, or the key in hex - a file whose stripped content is an even number of
hex digits is read as hex) or the environment variable ``ELSRS_KEY`` (hex). At
least ``fsw.link.auth.MIN_KEY_LEN`` (16) octets.

Every problem here is a ``ConfigError`` (one line, exit status 2).
"""
from __future__ import annotations

import os
import string
from pathlib import Path

from fsw.link.auth import MAX_COUNTER, MIN_KEY_LEN
from fsw.schema import ConfigError

__all__ = ["load_key", "open_port", "read_counter", "write_counter", "KEY_ENV"]

KEY_ENV = "ELSRS_KEY"
_HEX = frozenset(string.hexdigits.encode())


def _from_hex(text: bytes) -> bytes | None:
    t = text.strip()
    if t[:2] in (b"0x", b"0X"):
        t = t[2:]
    if t and len(t) % 2 == 0 and all(c in _HEX for c in t):
        return bytes.fromhex(t.decode())
    return None


def load_key(key_file: str | None, environ=os.environ) -> bytes:
    """The command key from ``key_file`` (raw or hex) or ``$ELSRS_KEY`` (hex)."""
    if key_file:
        try:
            raw = Path(key_file).read_bytes()
        except OSError as exc:
            raise ConfigError(key_file, "", f"cannot read the key file ({exc.strerror or exc})") from None
        key, source = _from_hex(raw), key_file
        if key is None:
            key = raw
    elif environ.get(KEY_ENV, "").strip():
        source = KEY_ENV
        key = _from_hex(environ[KEY_ENV].encode("utf-8", "replace"))
        if key is None:
            raise ConfigError(KEY_ENV, "", "expected the key as an even number of hex digits")
    else:
        raise ConfigError("", "key", f"no command key: give --key-file PATH (raw or hex) or set {KEY_ENV} (hex)")
    if len(key) < MIN_KEY_LEN:
        raise ConfigError(source, "", f"key of {len(key)} octets; expected at least {MIN_KEY_LEN}")
    return key


def read_counter(path: str | None) -> int:
    """The last anti-replay counter stored in ``path`` (0 if there is no file yet)."""
    if not path:
        return 0
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read the counter file ({exc.strerror or exc})") from None
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(path, "", f"expected one integer (the last counter used), got {text[:40]!r}") from None
    if not 0 <= n <= MAX_COUNTER:
        raise ConfigError(path, "", f"counter {n} outside [0, {MAX_COUNTER}]")
    return n


def write_counter(path: str | None, counter: int) -> None:
    """Store the last counter used (write a temporary file, then rename: never half a number)."""
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{counter}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def open_port(url: str, baud: int, timeout_s: float):
    """The port at ``url`` (pyserial URL or device), open; ConfigError naming it if it cannot be opened."""
    import serial  # pyserial; imported here so the sans-IO modules do not need it

    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=timeout_s, write_timeout=5.0)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise ConfigError(url, "", f"cannot open the port ({' '.join(str(exc).split())})") from None
