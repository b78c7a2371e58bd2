"""Space Packet codec: CRC check value and interoperability with `spacepackets`, both directions."""
import hashlib
import hmac
import random
import struct

import cbor2
import pytest

from fsw.commands import validate_command
from fastcrc import crc16 as independent_crc16  # spacepackets' CRC backend, not crcmod
from spacepackets.ccsds.spacepacket import (PacketId, PacketType, SpacePacket, SpacePacketHeader,
                                            parse_space_packets)
from spacepackets.ecss import check_pus_crc

from fsw.link import (APID_ACK, APID_BEACON, APID_COMMAND, APID_EVENT, APID_HK, APID_RECORDER, APIDS,
                      COMMAND_IDS, CommandReceiver, CommandSigner, TelemetryDecoder, TelemetryEncoder, crc16,
                      crc_ok, frame, parse_header, split_packets)
from fsw.link.ccsds import build_packet, cuc_to_met, met_to_cuc
from fsw.link.telemetry import HK_STRUCT
from fsw.recorder import _crc16 as recorder_crc

KEY = random.Random(5).randbytes(32)
TM_APIDS = (APID_HK, APID_EVENT, APID_ACK, APID_RECORDER, APID_BEACON)


def test_crc_is_ccitt_false_with_the_published_check_value():
    # ECSS-E-ST-70-41C annex / REFERENCES.md: CRC-16/CCITT-FALSE("123456789") = 0x29B1
    assert crc16(b"123456789") == 0x29B1
    assert crc16 is recorder_crc  # one CRC implementation in the tree
    assert independent_crc16.ibm_3740(b"123456789") == 0x29B1


def test_apid_table_is_the_documented_one():
    assert {(a.apid, a.type.name, a.name) for a in APIDS} == {
        (0x010, "TM", "HK"), (0x011, "TM", "EVENT"), (0x012, "TM", "ACK"), (0x013, "TM", "RECORDER"),
        (0x014, "TM", "BEACON"), (0x100, "TC", "COMMAND")}


def _our_packets():
    """A mix of TM packets of every APID and sizes, and TC packets."""
    rng = random.Random(1)
    enc = TelemetryEncoder(seq_counts={APID_EVENT: 16380})  # wraps within the run
    out = []
    for i in range(40):
        out.append(enc.hk(i * 0.5, {"phase": "COAST", "bus_v": 27.0}))
        msg = "x" * rng.choice((0, 1, 17, 300, 2000))
        out.append(enc.event(i, {"severity": "ACTIVITY_LO", "name": "TEST_EVENT", "message": msg, "data": {"i": i}}))
        out.append(enc.ack(i, "NOOP", i, "ACCEPTED"))
        out.append(enc.recorder(i, {"kind": "hk", "t_s": i, "blob": "y" * rng.randrange(0, 1000)}))
        out.append(enc.beacon(i, {"lat_deg": 1.5, "lon_deg": 2.5}))
    signer = CommandSigner(KEY, seq_count=16383)
    for i in range(20):
        out.append(signer.sign("SET_PARAM", {"name": "beacon.period_s", "value": "z" * rng.randrange(0, 500)}))
    return out


def test_our_packets_parse_with_spacepackets():
    packets = _our_packets()
    seen_wrap = False
    for p in packets:
        theirs = SpacePacketHeader.unpack(p)
        ours = parse_header(p)
        assert theirs.ccsds_version == 0
        assert theirs.packet_type == PacketType(ours.type)
        assert theirs.apid == ours.apid
        assert theirs.seq_count == ours.seq_count
        assert theirs.data_len == ours.data_length == len(p) - 7
        assert theirs.packet_len == len(p)
        assert theirs.sec_header_flag is True
        assert theirs.seq_flags == 3
        assert check_pus_crc(p)  # independent CRC over the whole packet
        seen_wrap |= ours.seq_count == 0 and ours.apid == APID_EVENT
    assert seen_wrap
    # spacepackets' stream parser finds every packet in the concatenation, with nothing skipped
    ids = [PacketId(PacketType.TM, True, a) for a in TM_APIDS] + [PacketId(PacketType.TC, True, APID_COMMAND)]
    result = parse_space_packets(b"".join(packets) + bytes(6), ids)
    assert [bytes(x) for x in result.tm_list] == packets
    assert split_packets(b"".join(packets)) == packets


def test_sequence_counts_wrap_at_2_pow_14_per_apid():
    enc = TelemetryEncoder(seq_counts={APID_HK: 16382})
    counts = [SpacePacketHeader.unpack(enc.hk(1.0, {})).seq_count for _ in range(4)]
    assert counts == [16382, 16383, 0, 1]
    assert SpacePacketHeader.unpack(enc.ack(1.0, "NOOP", 1, "ACCEPTED")).seq_count == 0  # own count


def _their_tm(apid, seq, t_s, user_data):
    coarse, fine = met_to_cuc(t_s)
    sec = struct.pack(">IH", coarse, fine)
    hdr = SpacePacketHeader(PacketType.TM, apid, seq, data_len=len(sec) + len(user_data) + 2 - 1,
                            sec_header_flag=True)
    body = hdr.pack() + sec + user_data
    crc = independent_crc16.ibm_3740(bytes(body))
    return bytes(SpacePacket(hdr, sec, user_data + crc.to_bytes(2, "big")).pack())


@pytest.mark.parametrize("seq", [0, 1, 8191, 16383])
def test_tm_built_by_spacepackets_decodes_with_ours(seq):
    dec = TelemetryDecoder()
    ev = {"t_s": 3.25, "severity": "WARNING_HI", "name": "PYRO_FIRED", "message": "m" * (seq % 500),
          "data": {"channel": "main"}}
    d = dec.decode(_their_tm(APID_EVENT, seq, 3.25, cbor2.dumps(ev)))
    assert (d["apid"], d["kind"], d["seq_count"], d["t_s"], d["data"]) == (APID_EVENT, "event", seq, 3.25, ev)

    rec = {"kind": "hk", "t_s": 1.0, "payload": "r" * (seq % 3000)}
    d = dec.decode(_their_tm(APID_RECORDER, seq, 7.5, cbor2.dumps(rec)))
    assert (d["kind"], d["seq_count"], d["data"]) == ("recorder", seq, rec)

    values = {c.name: 0 for c in HK_STRUCT.subcons}
    values.update(phase=5, bus_v=26.5, gps_lat_deg=-12.25, pyro_fired=0b11, recorder_records=seq)
    d = dec.decode(_their_tm(APID_HK, seq, 100.0, HK_STRUCT.build(values)))
    assert (d["kind"], d["seq_count"], d["t_s"]) == ("hk", seq, 100.0)
    assert d["data"]["phase"] == "ENTRY" and d["data"]["bus_v"] == 26.5 and d["data"]["gps_lat_deg"] == -12.25
    assert d["data"]["pyro_fired"] == 3 and d["data"]["recorder_records"] == seq


@pytest.mark.parametrize("seq", [0, 77, 16383])
@pytest.mark.parametrize("name,args", [("NOOP", {}), ("PYRO_FIRE", {"channel": "drogue"}),
                                       ("SET_PARAM", {"name": "beacon.period_s", "value": 60})])
def test_tc_built_by_spacepackets_is_accepted_by_our_receiver(seq, name, args):
    counter = 1000 + seq
    sec = struct.pack(">II", counter, 0)
    user = struct.pack(">H", COMMAND_IDS[name]) + cbor2.dumps(args)
    hdr = SpacePacketHeader(PacketType.TC, APID_COMMAND, seq, data_len=len(sec) + len(user) + 32 + 2 - 1,
                            sec_header_flag=True)
    body = bytes(hdr.pack()) + sec + user
    mac = hmac.new(KEY, body, hashlib.sha256).digest()
    crc = independent_crc16.ibm_3740(body + mac).to_bytes(2, "big")
    packet = bytes(SpacePacket(hdr, sec, user + mac + crc).pack())
    rx = CommandReceiver(KEY, last_counter=counter - 1)
    [ev] = rx.feed(frame(packet))
    # The receiver hands on the arguments normalised by the dictionary (defaults filled in).
    assert (ev.name, ev.args, ev.counter) == (name, validate_command(name, args), counter)
    assert {k: ev.args[k] for k in args} == args
    d = TelemetryDecoder().decode(packet)
    assert (d["kind"], d["seq_count"], d["data"]["command"], d["data"]["counter"]) == ("command", seq, name, counter)


def test_our_tc_layout_matches_an_independent_build():
    signer = CommandSigner(KEY, counter=41, seq_count=9)
    ours = signer.sign("ARM", {"device": "pyro"})
    sec = struct.pack(">II", 42, 0)
    user = struct.pack(">H", COMMAND_IDS["ARM"]) + cbor2.dumps({"device": "pyro"})
    hdr = SpacePacketHeader(PacketType.TC, APID_COMMAND, 9, data_len=len(sec) + len(user) + 34 - 1,
                            sec_header_flag=True)
    body = bytes(hdr.pack()) + sec + user
    body += hmac.new(KEY, body, hashlib.sha256).digest()
    assert ours == body + independent_crc16.ibm_3740(body).to_bytes(2, "big")


def test_cuc_time_round_trips_to_a_65536th_of_a_second():
    for t in (0.0, 1.0, 0.5, 1234.56789, 86400.0 * 30 + 0.999999, 2.0 ** 32 - 1):
        c, f = met_to_cuc(t)
        assert abs(cuc_to_met(c, f) - t) <= 0.5 / 65536 + 1e-9
        assert 0 <= f < 65536
    for bad in (-1.0, float("nan"), float("inf"), 2.0 ** 32, "1"):
        with pytest.raises(ValueError):
            met_to_cuc(bad)


def test_header_fields_are_range_checked():
    with pytest.raises(ValueError, match="APID"):
        build_packet(0, 0x800, 0, b"", b"")
    with pytest.raises(ValueError, match="sequence count"):
        build_packet(0, 0x10, 16384, b"", b"")
    p = build_packet(0, 0x7FF, 16383, b"\x00" * 6, b"abc")
    h = SpacePacketHeader.unpack(p)
    assert (h.apid, h.seq_count, h.data_len) == (0x7FF, 16383, 6 + 3 + 2 - 1)
    assert crc_ok(p) and not crc_ok(p[:-1] + bytes([p[-1] ^ 1]))


def test_split_packets_names_the_offset_of_a_truncated_tail():
    enc = TelemetryEncoder()
    a, b = enc.hk(1.0, {}), enc.hk(2.0, {})
    assert split_packets(a + b) == [a, b]
    with pytest.raises(ValueError, match=f"offset {len(a)}"):
        split_packets(a + b[:-1])
