"""Command authentication and the command receiver's verdicts."""
import secrets

import cbor2
import pytest

from fsw.commands import DICTIONARY
from fsw.link import (APID_COMMAND, COMMAND_IDS, COMMAND_NAMES, AuthError, CommandAccepted, CommandAuthenticator,
                      CommandReceiver, CommandRejected, CommandSigner, RejectReason, TelemetryEncoder, build_tc,
                      crc16, frame)
from fsw.link.ccsds import build_packet
from fsw.schema import ConfigError


@pytest.fixture
def key():
    return secrets.token_bytes(32)


def _recrc(packet: bytes) -> bytes:
    body = packet[:-2]
    return body + crc16(body).to_bytes(2, "big")


# ---- authenticator ---------------------------------------------------------------------
def test_good_command_is_authenticated_and_returns_the_counter_to_persist(key):
    signer, auth = CommandSigner(key), CommandAuthenticator(key)
    assert auth.authenticate(signer.sign("NOOP")) == 1
    assert auth.authenticate(signer.sign("NOOP")) == 2
    assert auth.last_counter == 2 and signer.counter == 2


def test_wrong_key_is_bad_mac(key):
    forged = CommandSigner(secrets.token_bytes(32)).sign("PYRO_FIRE", {"channel": "main"})
    auth = CommandAuthenticator(key)
    with pytest.raises(AuthError) as exc:
        auth.authenticate(forged)
    assert exc.value.reason == "BAD_MAC" and auth.last_counter == 0


def test_replayed_counter_is_refused(key):
    signer, auth = CommandSigner(key), CommandAuthenticator(key)
    p1, p2 = signer.sign("NOOP"), signer.sign("NOOP")
    auth.authenticate(p2)
    for old in (p2, p1):
        with pytest.raises(AuthError) as exc:
            auth.authenticate(old)
        assert exc.value.reason == "REPLAY"
    assert auth.last_counter == 2


def test_counter_persists_across_a_new_authenticator(key):
    signer = CommandSigner(key)
    sent = [signer.sign("NOOP") for _ in range(5)]
    auth = CommandAuthenticator(key)
    for p in sent[:3]:
        persisted = auth.authenticate(p)
    assert persisted == 3
    after_reset = CommandAuthenticator(key, last_counter=persisted)  # e.g. reloaded from NV memory
    for p in sent[:3]:
        with pytest.raises(AuthError, match="REPLAY"):
            after_reset.authenticate(p)
    assert after_reset.authenticate(sent[4]) == 5
    # and a ground signer restarted from its persisted counter keeps going up
    resumed = CommandSigner(key, counter=signer.counter)
    assert after_reset.authenticate(resumed.sign("NOOP")) == 6


def test_tampered_payload_is_bad_mac_even_with_a_fixed_crc(key):
    signer, auth = CommandSigner(key), CommandAuthenticator(key)
    good = signer.sign("PYRO_FIRE", {"channel": "drogue"})
    i = good.index(b"drogue")
    tampered = _recrc(good[:i] + b"main\x00\x00" + good[i + 6:])
    counter_bumped = _recrc(good[:9] + bytes([good[9] + 1]) + good[10:])
    apid_changed = _recrc(good[:1] + bytes([good[1] ^ 1]) + good[2:])
    for bad in (tampered, counter_bumped, apid_changed, _recrc(good[:-3] + bytes([good[-3] ^ 0x80]) + good[-2:])):
        with pytest.raises(AuthError, match="BAD_MAC"):
            auth.authenticate(bad)
    assert auth.authenticate(good) == 1


def test_keys_and_counters_are_checked():
    for bad in (b"short", "a string key of enough length", None):
        with pytest.raises(ConfigError, match="key"):
            CommandSigner(bad)
        with pytest.raises(ConfigError, match="key"):
            CommandAuthenticator(bad)
    with pytest.raises(ValueError, match="last_counter"):
        CommandAuthenticator(bytes(32), last_counter=-1)
    signer = CommandSigner(bytes(32), counter=2 ** 32 - 1)
    with pytest.raises(ValueError, match="exhausted"):
        signer.sign("NOOP")


def test_signer_refuses_commands_the_dictionary_refuses(key):
    signer = CommandSigner(key)
    with pytest.raises(ConfigError):
        signer.sign("SELF_DESTRUCT")
    with pytest.raises(ConfigError, match="channel"):
        signer.sign("PYRO_FIRE", {"channel": "nose"})
    with pytest.raises(ValueError, match="4096"):
        signer.sign("SET_PARAM", {"name": "x", "value": "y" * 5000})
    assert signer.counter == 0  # nothing was used up


# ---- command ids -----------------------------------------------------------------------
def test_every_dictionary_command_has_a_stable_unique_id():
    assert set(COMMAND_IDS) == set(DICTIONARY), "add the new command to fsw.link.tc.COMMAND_IDS"
    ids = list(COMMAND_IDS.values())
    assert len(set(ids)) == len(ids)
    assert all(0 < i < 0xFFFF for i in ids)
    assert COMMAND_NAMES == {v: k for k, v in COMMAND_IDS.items()}
    # the published numbering; changing it breaks every ground system that loaded the dictionary
    assert COMMAND_IDS["NOOP"] == 1 and COMMAND_IDS["PYRO_FIRE"] == 10 and COMMAND_IDS["DUMP_RECORDER"] == 11


# ---- receiver ----------------------------------------------------------------------------
def _one(rx, packet):
    [ev] = rx.feed(frame(packet))
    return ev


def test_receiver_accepts_an_authentic_command_with_normalised_args(key):
    signer, rx = CommandSigner(key), CommandReceiver(key)
    ev = _one(rx, signer.sign("DEORBIT_GO", {"ignition_t_s": 1800}))
    assert ev == CommandAccepted("DEORBIT_GO", {"ignition_t_s": 1800.0}, 1, COMMAND_IDS["DEORBIT_GO"])
    ev = _one(rx, signer.sign("DEORBIT_GO"))
    assert ev.args == {"ignition_t_s": None} and rx.last_counter == 2
    assert rx.counts["ACCEPTED"] == 2


def test_receiver_reason_codes(key):
    signer, rx = CommandSigner(key), CommandReceiver(key)
    cases = []
    first = signer.sign("NOOP")
    cases.append((first, None))
    cases.append((first, RejectReason.REPLAY))
    cases.append((CommandSigner(secrets.token_bytes(32), counter=100).sign("NOOP"), RejectReason.BAD_MAC))
    cases.append((TelemetryEncoder().hk(1.0, {}), RejectReason.NOT_TC))
    cases.append((signer.sign_raw(COMMAND_IDS["NOOP"], cbor2.dumps({}), apid=0x101), RejectReason.WRONG_APID))
    cases.append((signer.sign_raw(0x7777, cbor2.dumps({})), RejectReason.UNKNOWN_COMMAND))
    cases.append((signer.sign("PYRO_FIRE", {"channel": "nose"}, validate=False), RejectReason.BAD_ARGS))
    cases.append((signer.sign("NOOP", {"unexpected": 1}, validate=False), RejectReason.BAD_ARGS))
    cases.append((signer.sign("STATE_VECTOR", {"r_eci_m": [1, 2]}, validate=False), RejectReason.BAD_ARGS))
    cases.append((signer.sign_raw(COMMAND_IDS["NOOP"], b"\xff\xff"), RejectReason.MALFORMED))      # bad CBOR
    cases.append((signer.sign_raw(COMMAND_IDS["NOOP"], cbor2.dumps([1])), RejectReason.MALFORMED))  # not a map
    cases.append((signer.sign_raw(COMMAND_IDS["NOOP"], cbor2.dumps({}) + b"\x00"), RejectReason.MALFORMED))
    cases.append((signer.sign_raw(COMMAND_IDS["SET_PARAM"], cbor2.dumps({"name": "a", "value": {1, 2}})),
                  RejectReason.MALFORMED))  # a CBOR set (tag 258) is not a plain value
    cases.append((signer.sign_raw(COMMAND_IDS["SET_PARAM"], cbor2.dumps({"name": "a", "value": float("nan")})),
                  RejectReason.MALFORMED))
    cases.append((signer.sign_raw(COMMAND_IDS["NOOP"], cbor2.dumps({}), flags=1), RejectReason.MALFORMED))
    cases.append((build_packet(1, APID_COMMAND, 0, bytes(8), bytes(10)), RejectReason.MALFORMED))  # too short
    no_sec = bytearray(signer.sign("NOOP"))
    no_sec[0] &= ~0x08
    cases.append((_recrc(bytes(no_sec)), RejectReason.MALFORMED))
    cases.append((signer.sign("NOOP")[:-1] + b"\x00", RejectReason.BAD_FRAME))
    for packet, reason in cases:
        ev = _one(rx, packet)
        if reason is None:
            assert isinstance(ev, CommandAccepted)
        else:
            assert isinstance(ev, CommandRejected) and ev.reason_code is reason, (reason, ev)
    assert sum(rx.counts.values()) == len(cases)
    assert rx.counts["ACCEPTED"] == 1 and rx.counts["MALFORMED"] == 8 and rx.counts["BAD_ARGS"] == 3


def test_an_authentic_but_rejected_command_uses_up_its_counter(key):
    signer, rx = CommandSigner(key), CommandReceiver(key)
    bad = signer.sign("PYRO_FIRE", {"channel": "nose"}, validate=False)
    ev = _one(rx, bad)
    assert ev.reason_code is RejectReason.BAD_ARGS and ev.counter == 1 and ev.command_id == COMMAND_IDS["PYRO_FIRE"]
    assert rx.last_counter == 1
    assert _one(rx, bad).reason_code is RejectReason.REPLAY


def test_unauthenticated_rejections_carry_no_trusted_fields(key):
    rx = CommandReceiver(key)
    forged = CommandSigner(secrets.token_bytes(32), counter=100).sign("NOOP")
    ev = _one(rx, forged)
    assert ev.command_id is None and ev.counter is None and rx.last_counter == 0


def test_handle_packet_checks_crc_and_length(key):
    signer, rx = CommandSigner(key), CommandReceiver(key)
    p = signer.sign("NOOP")
    assert rx.handle_packet(p[:-1] + bytes([p[-1] ^ 1])).reason_code is RejectReason.BAD_FRAME
    assert rx.handle_packet(p + b"\x00").reason_code is RejectReason.BAD_FRAME
    assert rx.handle_packet(b"").reason_code is RejectReason.BAD_FRAME
    assert isinstance(rx.handle_packet(p), CommandAccepted)


def test_build_tc_matches_the_signer(key):
    assert build_tc(key, 1, 0, COMMAND_IDS["NOOP"], cbor2.dumps({})) == CommandSigner(key).sign("NOOP")
