"""Command authentication: HMAC-SHA-256 with a strictly increasing anti-replay counter.

The ground builds commands with a ``CommandSigner``; the flight side checks them
with a ``CommandAuthenticator``. The key is the caller's (configured, never in
the repository); the last accepted counter is a plain int the caller persists
(the flight app keeps it in non-volatile memory so a processor reset cannot
re-open old commands).

A TC packet is authentic when the HMAC-SHA-256 (all 32 octets, compared in
constant time) of everything before the MAC matches, and fresh when its counter
is greater than the last accepted one. Layout: :mod:`fsw.link.tc`.
"""
from __future__ import annotations

import hmac
import struct

from construct import ConstructError

from fsw.commands import validate_command
from fsw.link.ccsds import (APID_COMMAND, CRC_LEN, DEFAULT_MAX_PACKET_LEN, PRIMARY_HEADER_LEN, PacketType,
                            SequenceCounter, crc16, header_fields)
from fsw.link.tc import COMMAND_IDS, MAC_LEN, TC_BODY, TC_MIN_PACKET_LEN, encode_args
from fsw.schema import ConfigError

__all__ = ["MIN_KEY_LEN", "MAX_COUNTER", "check_key", "compute_mac", "build_tc", "AuthError",
           "CommandSigner", "CommandAuthenticator"]

#: Shortest key accepted, octets (RFC 2104: at least the hash output, 32, is recommended).
MIN_KEY_LEN = 16
MAX_COUNTER = 0xFFFFFFFF
_TC_BODY_C = TC_BODY.compile()


def check_key(key) -> bytes:
    """The key as bytes; ConfigError if it is not bytes of at least MIN_KEY_LEN octets."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise ConfigError("", "key", f"expected bytes, got {type(key).__name__}")
    key = bytes(key)
    if len(key) < MIN_KEY_LEN:
        raise ConfigError("", "key", f"expected at least {MIN_KEY_LEN} octets, got {len(key)}")
    return key


def _check_counter(counter, what: str) -> int:
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter <= MAX_COUNTER:
        raise ValueError(f"{what} must be an integer in [0, 2**32 - 1], got {counter!r}")
    return counter


def compute_mac(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA-256 of ``data`` (32 octets)."""
    return hmac.digest(key, data, "sha256")


def build_tc(key: bytes, counter: int, seq_count: int, command_id: int, args_cbor: bytes, *,
             apid: int = APID_COMMAND, flags: int = 0) -> bytes:
    """One authenticated TC packet from raw fields (``CommandSigner`` is the usual way)."""
    data_length = TC_MIN_PACKET_LEN - PRIMARY_HEADER_LEN + len(args_cbor) - 1
    try:
        body = _TC_BODY_C.build({"header": header_fields(PacketType.TC, apid, seq_count, data_length),
                                 "sec": {"counter": counter, "flags": flags},
                                 "command_id": command_id, "args": args_cbor})
    except (ConstructError, struct.error) as exc:
        raise ValueError(f"cannot build the TC packet: {exc}") from None
    body += compute_mac(key, body)
    return body + crc16(body).to_bytes(2, "big")


class AuthError(ValueError):
    """A TC packet failed authentication; ``reason`` is BAD_MAC, REPLAY or MALFORMED."""

    def __init__(self, reason: str, detail: str, counter: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.counter = reason, detail, counter


class CommandSigner:
    """Builds authenticated TC packets with an increasing counter (ground side).

    ``counter`` is the last counter used (persist it with the key); the next
    packet carries ``counter + 1``.
    """

    def __init__(self, key: bytes, counter: int = 0, seq_count: int = 0, *,
                 max_packet_len: int = DEFAULT_MAX_PACKET_LEN) -> None:
        self._key = check_key(key)
        self.counter = _check_counter(counter, "counter")
        self._seq = SequenceCounter({APID_COMMAND: seq_count})
        self.max_packet_len = max_packet_len

    def sign(self, name: str, args: dict | None = None, *, validate: bool = True) -> bytes:
        """The TC packet (unframed) for command ``name``; ConfigError if it fails the dictionary."""
        if validate:
            validate_command(name, args)
        if name not in COMMAND_IDS:
            raise ConfigError("", "name", f"no command id for {name!r}")
        return self.sign_raw(COMMAND_IDS[name], encode_args(args))

    def sign_raw(self, command_id: int, args_cbor: bytes, *, apid: int = APID_COMMAND,
                 flags: int = 0) -> bytes:
        """A TC packet from a raw command id and args field (test and tooling use)."""
        if self.counter >= MAX_COUNTER:
            raise ValueError("anti-replay counter exhausted: change the key")
        if TC_MIN_PACKET_LEN + len(args_cbor) > self.max_packet_len:
            raise ValueError(f"command of {TC_MIN_PACKET_LEN + len(args_cbor)} octets exceeds the "
                             f"{self.max_packet_len}-octet packet limit")
        counter = self.counter + 1
        packet = build_tc(self._key, counter, self._seq.next(apid), command_id, args_cbor,
                          apid=apid, flags=flags)
        self.counter = counter
        return packet


class CommandAuthenticator:
    """Checks TC packets' HMAC and anti-replay counter (flight side).

    ``authenticate(packet)`` returns the packet's counter, now also
    ``last_counter``, for the caller to persist; it raises ``AuthError``
    (BAD_MAC, REPLAY, MALFORMED) otherwise and leaves ``last_counter`` alone.
    """

    def __init__(self, key: bytes, last_counter: int = 0) -> None:
        self._key = check_key(key)
        self.last_counter = _check_counter(last_counter, "last_counter")

    def authenticate(self, packet: bytes) -> int:
        if len(packet) < TC_MIN_PACKET_LEN:
            raise AuthError("MALFORMED", f"TC packet of {len(packet)} octets, shorter than "
                                         f"{TC_MIN_PACKET_LEN}")
        end = len(packet) - CRC_LEN
        body, mac = packet[:end - MAC_LEN], packet[end - MAC_LEN:end]
        if not hmac.compare_digest(compute_mac(self._key, body), mac):
            raise AuthError("BAD_MAC", "HMAC does not match")
        counter = int.from_bytes(packet[PRIMARY_HEADER_LEN:PRIMARY_HEADER_LEN + 4], "big")
        if counter <= self.last_counter:
            raise AuthError("REPLAY", f"counter {counter} <= last accepted {self.last_counter}", counter)
        self.last_counter = counter
        return counter
