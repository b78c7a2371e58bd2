"""`elsrs dict`: the dictionary model and its JSON, XTCE 1.2 and OpenC3 COSMOS exports (issue 5).

- The XTCE document validates against the XTCE 1.2 schema shipped inside
  ``space_packet_parser`` (the OMG file, unmodified), with lxml.
- Interoperability: a bare packet stream (what ``downlink.bin`` holds) built by
  ``fsw.link.TelemetryEncoder`` is decoded by ``space_packet_parser`` driven by
  OUR XTCE document, and every value equals ``TelemetryDecoder``'s (floats bit
  for bit, NaN and -0.0 included).
- The XTCE command container, walked with its own sizes, takes apart a TC
  packet built by ``CommandSigner`` exactly as ``fsw.link.tc.TC_PACKET`` does.
- JSON and COSMOS carry every command and HK channel; COSMOS limits flag the
  same values as the flight ``Limits``.
- The CLI prints, writes, and refuses a bad format with exit 2 and one line.
"""
from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import cbor2
import pytest

lxml_etree = pytest.importorskip("lxml.etree")
spp = pytest.importorskip("space_packet_parser")

from fsw.commands import DICTIONARY  # noqa: E402
from fsw.link import APID_HK, CommandSigner, TelemetryDecoder, TelemetryEncoder, split_packets  # noqa: E402
from fsw.link.tc import COMMAND_IDS, TC_PACKET  # noqa: E402
from fsw.link.telemetry import HK_CHANNELS, HK_PACKET_LEN, PHASES  # noqa: E402
from tools import dictionary as dic  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NS = {"x": dic.XTCE_NS}
XSD = Path(spp.__file__).resolve().parent / "xtce" / "schemas" / "SpaceSystem.xsd"

pytestmark = pytest.mark.timeout(120)

# The XTCE XSD imports the W3C xml.xsd (for xml:base) by URL; lxml never goes to
# the network, so the import is served from this stand-in with the same declarations.
_XML_NAMESPACE_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="lang" type="xs:language"/>
  <xs:attribute name="space">
    <xs:simpleType><xs:restriction base="xs:NCName">
      <xs:enumeration value="default"/><xs:enumeration value="preserve"/>
    </xs:restriction></xs:simpleType>
  </xs:attribute>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>"""


class _XmlNamespaceResolver(lxml_etree.Resolver):
    def resolve(self, url, pubid, context):
        if url == "http://www.w3.org/2001/03/xml.xsd":
            return self.resolve_string(_XML_NAMESPACE_XSD, context)
        return None


# ---------------------------------------------------------------- fixtures ---------
@pytest.fixture(scope="module")
def model():
    return dic.build()


@pytest.fixture(scope="module")
def xtce_text(model):
    return dic.to_xtce(model)


@pytest.fixture(scope="module")
def xtce_file(xtce_text, tmp_path_factory):
    path = tmp_path_factory.mktemp("xtce") / "elsrs.xml"
    path.write_text(xtce_text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def xtce_tree(xtce_file):
    return lxml_etree.parse(str(xtce_file))


@pytest.fixture(scope="module")
def definition(xtce_file):
    return spp.XtcePacketDefinition.from_xtce(xtce_file)


@pytest.fixture(scope="module")
def as_json(model):
    return json.loads(dic.to_json(model))


@pytest.fixture(scope="module")
def cosmos(model):
    return dic.to_cosmos(model)


def same(a, b) -> bool:
    """Equal; floats bit for bit (NaN, -0.0 and infinities included)."""
    if isinstance(a, float) or isinstance(b, float):
        return struct.pack(">d", float(a)) == struct.pack(">d", float(b))
    return a == b


# ---------------------------------------------------------------- XTCE schema -----
def test_xtce_validates_against_the_xtce_1_2_schema(xtce_tree):
    xsd = lxml_etree.parse(str(XSD))
    assert xsd.getroot().get("targetNamespace") == dic.XTCE_NS
    assert xsd.getroot().get("version") == "1.2"
    parser = lxml_etree.XMLParser(no_network=True)
    parser.resolvers.add(_XmlNamespaceResolver())
    schema = lxml_etree.XMLSchema(lxml_etree.parse(str(XSD), parser))
    ok = schema.validate(xtce_tree)
    assert ok, "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:20])


def test_xtce_passes_space_packet_parser_schema_and_structure_checks(xtce_file, xtce_tree):
    result = spp.validate_xtce(xtce_file, level="all", print_results=False, raise_on_error=False,
                               local_xsd=XSD, allow_schema_download=False)
    # space_packet_parser's structure check knows telemetry SequenceContainers only: a command's
    # CommandContainer that extends the abstract TC command's container (the XTCE green book
    # pattern) is reported as a missing reference. Accept exactly those, after checking the
    # referenced CommandContainer exists.
    command_containers = {c.get("name") for c in xtce_tree.getroot().iterfind(".//x:CommandContainer", NS)}
    errors = [e for e in result.errors
              if not (e.error_code == "MISSING_CONTAINER_REFERENCE"
                      and e.message.endswith(f"'{dic._TC_CONTAINER}'") and dic._TC_CONTAINER in command_containers)]
    assert not errors, "\n".join(map(str, errors))
    assert all(e.error_code == "MISSING_CONTAINER_REFERENCE" for e in result.errors)


def test_xtce_describes_every_packet_command_and_channel(xtce_tree, model):
    root = xtce_tree.getroot()
    containers = {c.get("name"): c for c in root.iterfind(".//x:ContainerSet/x:SequenceContainer", NS)}
    assert containers["CCSDSPacket"].get("abstract") == "true"
    for p in model.tm_packets:
        rc = containers[p.name].find("x:BaseContainer/x:RestrictionCriteria/x:Comparison", NS)
        assert (rc.get("parameterRef"), rc.get("value")) == ("CCSDS_APID", str(p.apid))
    hk = [e.get("parameterRef") for e in containers["HK"].iterfind("x:EntryList/x:ParameterRefEntry", NS)]
    assert hk == [c.name for c in HK_CHANNELS] + ["CRC"]
    types = {t.get("name"): t for t in root.find(".//x:TelemetryMetaData/x:ParameterTypeSet", NS)}
    for c in HK_CHANNELS:
        t = types[f"{c.name}_Type"]
        if c.enum:
            assert t.tag == f"{{{dic.XTCE_NS}}}EnumeratedParameterType"
            labels = [e.get("label") for e in t.iterfind("x:EnumerationList/x:Enumeration", NS)]
            assert labels == list(c.enum)
        elif c.is_float:
            enc = t.find("x:FloatDataEncoding", NS)
            assert enc.get("sizeInBits") == str(8 * c.size) and enc.get("encoding") == "IEEE754_1985"
        else:
            enc = t.find("x:IntegerDataEncoding", NS)
            assert t.get("signed") == "false" and enc.get("sizeInBits") == str(8 * c.size)
        if c.unit:
            assert t.find("x:UnitSet/x:Unit", NS).text == c.unit
        assert (t.find("x:DefaultAlarm", NS) is not None) == (c.limits is not None)
    commands = {m.get("name"): m for m in root.iterfind(".//x:MetaCommandSet/x:MetaCommand", NS)}
    for name, cdef in DICTIONARY.items():
        mc = commands[name]
        assign = {a.get("argumentName"): a.get("argumentValue")
                  for a in mc.iterfind("x:BaseMetaCommand/x:ArgumentAssignmentList/x:ArgumentAssignment", NS)}
        assert assign["TC_COMMAND_ID"] == str(COMMAND_IDS[name])
        args = [a.get("name") for a in mc.iterfind("x:ArgumentList/x:Argument", NS)]
        assert args == list(cdef.args.fields)
        constraint = mc.find("x:TransmissionConstraintList", NS)
        if len(cdef.phases) == len(PHASES):
            assert constraint is None
        else:
            values = {v.text for v in constraint.iterfind(".//x:Value", NS)} | {
                c.get("value") for c in constraint.iterfind(".//x:Comparison", NS)}
            assert values == {p.value for p in cdef.phases}


# ---------------------------------------------------------------- interoperability -
HK_SAMPLES = [
    (0.0, {}),  # everything unknown: NaN floats, zero integers, phase 0
    (1234.5678, {
        "phase": "ENTRY", "phase_time_s": 12.75, "nav_valid": 1, "baro_alt_m": -120.5, "sensed_accel_mps2": 98.1,
        "att_error_deg": None, "speed_mps": 7500.25, "vert_speed_mps": -150.125, "rate_x_dps": -45.0,
        "rate_y_dps": 0.0, "rate_z_dps": -0.0, "bus_v": 28.1, "battery_soc": 0.55, "overruns": 3,
        "max_task_ms": 1.5, "cmd_accepted": 12, "cmd_rejected": 2, "cmd_counter": 77, "link_rejects": 4294967295,
        "events_emitted": 1000, "events_suppressed": 5, "gps_fix": 1, "gps_sats": 9,
        "gps_lat_deg": -33.868820123456789, "gps_lon_deg": 151.20929012345678, "gps_alt_m": -12.5,
        "arm_mask": ["pyro_armed", "engine_armed"], "pyro_fired": ("drogue", "main"), "rcs_mask": 0b101010,
        "dv_sensed_mps": 101.5, "recorder_records": 100000, "recorder_dropped": 0, "resets": 65535,
        "beacon_messages": 7}),
    (86400.25, {"phase": "SAFE", "speed_mps": math.inf, "vert_speed_mps": -math.inf, "rate_x_dps": 1e-45,
                "gps_lat_deg": math.nan, "mission_time_s": -1.0, "bus_v": -3.4e38}),
    (5.5, {"phase": "ATTACHED", "arm_mask": "attached", "battery_soc": 1.0}),
]


def _stream() -> list[bytes]:
    """HK packets (sequence count wrapping) interleaved with event, ack, recorder and beacon packets."""
    enc = TelemetryEncoder(seq_counts={APID_HK: 16382})
    out = []
    for i, (t, values) in enumerate(HK_SAMPLES):
        out.append(enc.hk(t, values))
        out.append(enc.event(t + 0.5, {"severity": "WARNING_HI" if i % 2 else "ACTIVITY_LO", "name": f"EV_{i}",
                                       "message": f"message {i} " * i, "data": {"i": i, "x": -1.5 * i}}))
        if i == 1:
            out.append(enc.ack(t, "PYRO_FIRE", 42, "REJECTED", "not allowed in ATTACHED"))
            out.append(enc.ack(t, None, None, "REJECTED", ""))
            out.append(enc.recorder(t, {"kind": "hk", "n": 3}))
            out.append(enc.beacon(t, {"lat_deg": -10.5, "lon_deg": 20.25}))
    return out


def test_space_packet_parser_decodes_downlink_with_our_xtce(definition, tmp_path):
    packets = _stream()
    downlink = tmp_path / "downlink.bin"
    downlink.write_bytes(b"".join(packets))          # bare CCSDS packets back to back
    ours = TelemetryDecoder()
    expected = [ours.decode(p) for p in split_packets(downlink.read_bytes())]
    with downlink.open("rb") as f, warnings.catch_warnings():
        warnings.simplefilter("error")                 # e.g. "bits parsed did not match the length"
        theirs = [definition.parse_bytes(raw) for raw in spp.ccsds_generator(f)]
    assert len(theirs) == len(expected) == len(packets)
    kinds = [e["kind"] for e in expected]
    assert kinds.count("hk") == len(HK_SAMPLES) and {"event", "ack", "recorder", "beacon"} <= set(kinds)
    for raw, mine, other in zip(packets, expected, theirs):
        assert other["CCSDS_APID"] == mine["apid"]
        assert other["CCSDS_SEQ_COUNT"] == mine["seq_count"]
        assert other["CCSDS_DATA_LENGTH"] == len(raw) - 7
        assert (other["CCSDS_VERSION"], other["CCSDS_TYPE"], other["CCSDS_SEC_HEADER_FLAG"],
                other["CCSDS_SEQ_FLAGS"]) == (0, "TM", 1, 3)
        assert same(other["TM_COARSE_S"] + other["TM_FINE"] / 65536.0, mine["t_s"])
        assert other["CRC"] == int.from_bytes(raw[-2:], "big")
        data = mine["data"]
        if mine["kind"] == "hk":
            assert len(raw) == HK_PACKET_LEN
            for c in HK_CHANNELS:
                assert same(other[c.name], data[c.name]), (c.name, other[c.name], data[c.name])
                assert isinstance(other[c.name], float) == c.is_float, c.name
        elif mine["kind"] == "ack":
            assert other["ACK_COMMAND_ID"] == (data["command"] or "UNKNOWN")
            assert other["ACK_COMMAND_ID"].raw_value == data["command_id"]
            assert (other["ACK_COUNTER"], other["ACK_STATUS"]) == (data["counter"], data["status"])
            assert cbor2.loads(other["ACK_REASON"]) == data["reason"]
        else:  # CBOR user data: the parser yields the blob
            blob = other[f"{mine['kind'].upper()}_DATA"]
            assert isinstance(blob, bytes) and cbor2.loads(blob) == data
    seqs = [m["seq_count"] for m in expected if m["kind"] == "hk"]
    assert seqs == [16382, 16383, 0, 1]                # wrapped, and the XTCE header agrees


def test_hk_values_cover_the_interesting_cases():
    """The interoperability sample really exercises NaN, infinities, -0.0, negatives and extremes."""
    dec = TelemetryDecoder()
    values = [dec.decode(TelemetryEncoder().hk(t, v))["data"] for t, v in HK_SAMPLES]
    floats = [v for d in values for v in d.values() if isinstance(v, float)]
    assert any(math.isnan(x) for x in floats) and any(x < 0 for x in floats)
    assert any(math.isinf(x) for x in floats) and any(x == 0 and math.copysign(1, x) < 0 for x in floats)
    assert {d["phase"] for d in values} >= {"ATTACHED", "ENTRY", "SAFE"}


def _xtce_sizes(tree):
    """argument name -> (argument type element) for the abstract TC MetaCommand."""
    root = tree.getroot()
    types = {t.get("name"): t for t in root.find(".//x:CommandMetaData/x:ArgumentTypeSet", NS)}
    base = root.find(".//x:MetaCommand[@name='ELSRS_TC']", NS)
    args = {a.get("name"): types[a.get("argumentTypeRef")] for a in base.iterfind("x:ArgumentList/x:Argument", NS)}
    entries = [e.get("argumentRef") for e in base.iterfind("x:CommandContainer/x:EntryList/x:ArgumentRefEntry", NS)]
    return args, entries


def test_xtce_command_container_takes_apart_a_signed_tc_packet(xtce_tree):
    args, entries = _xtce_sizes(xtce_tree)
    signer = CommandSigner(b"k" * 32, counter=41, seq_count=5)
    root = xtce_tree.getroot()
    for name, cmd_args in (("NOOP", None), ("PYRO_FIRE", {"channel": "main"}),
                           ("STATE_VECTOR", {"r_eci_m": [7e6, -1.5, 0.0], "v_eci_mps": [1.0, 2.0, 3.0],
                                             "q_body_eci": [1.0, 0.0, 0.0, 0.0]})):
        pkt = signer.sign(name, cmd_args)
        bits, pos, got = int.from_bytes(pkt, "big"), 0, {}
        total = 8 * len(pkt)
        for entry in entries:
            t = args[entry]
            int_enc = t.find("x:IntegerDataEncoding", NS)
            if int_enc is not None:
                n = int(int_enc.get("sizeInBits"))
            else:
                size = t.find("x:BinaryDataEncoding/x:SizeInBits", NS)
                fixed = size.find("x:FixedValue", NS)
                if fixed is not None:
                    n = int(fixed.text)
                else:
                    ref = size.find("x:DynamicValue/x:ArgumentInstanceRef", NS).get("argumentRef")
                    adj = size.find("x:DynamicValue/x:LinearAdjustment", NS)
                    n = int(float(adj.get("slope")) * got[ref] + float(adj.get("intercept")))
            got[entry] = (bits >> (total - pos - n)) & ((1 << n) - 1)
            if int_enc is None:
                got[entry] = got[entry].to_bytes(n // 8, "big")
            pos += n
        assert pos == total
        p = TC_PACKET.parse(pkt)
        assert (got["CCSDS_APID"], got["CCSDS_TYPE"], got["CCSDS_SEQ_COUNT"]) == (p.header.apid, 1, p.header.seq_count)
        assert (got["TC_COUNTER"], got["TC_FLAGS"], got["TC_COMMAND_ID"]) == (p.sec.counter, 0, COMMAND_IDS[name])
        assert got["TC_ARGS"] == p.args and cbor2.loads(got["TC_ARGS"]) == (cmd_args or {})
        assert (got["TC_MAC"], got["CRC"]) == (p.mac, p.crc)
        mc = root.find(f".//x:MetaCommand[@name='{name}']", NS)
        for a in mc.iterfind("x:BaseMetaCommand/x:ArgumentAssignmentList/x:ArgumentAssignment", NS):
            assert got[a.get("argumentName")] == int(a.get("argumentValue")), a.get("argumentName")


# ---------------------------------------------------------------- JSON ------------
def test_json_has_every_command_with_its_id(as_json):
    cmds = {c["name"]: c for c in as_json["commands"]}
    assert list(cmds) == list(DICTIONARY)
    for name, cdef in DICTIONARY.items():
        c = cmds[name]
        assert c["id"] == COMMAND_IDS[name]
        assert c["allowed_phases"] == [p.value for p in cdef.phases]
        assert [a["name"] for a in c["args"]] == list(cdef.args.fields)
    channel = next(a for a in cmds["PYRO_FIRE"]["args"] if a["name"] == "channel")
    assert channel["choices"] == ["drogue", "main", "main_release", "float"] and channel["required"]
    ign = cmds["DEORBIT_GO"]["args"][0]
    assert (ign["type"], ign["unit"], ign["min"], ign["max"], ign["required"]) == ("number", "s", 0, 1e7, False)
    vec = next(a for a in cmds["STATE_VECTOR"]["args"] if a["name"] == "q_body_eci")
    assert (vec["type"], vec["length"], vec["min"], vec["max"]) == ("vector", 4, -1.0, 1.0)


def test_json_has_every_hk_channel_with_unit_and_limits(as_json):
    hk = next(p for p in as_json["telemetry"] if p["name"] == "HK")
    assert hk["apid"] == APID_HK and hk["length_octets"] == HK_PACKET_LEN
    fields = {f["name"]: f for f in hk["fields"]}
    for c in HK_CHANNELS:
        f = fields[c.name]
        assert f["unit"] == c.unit and f["description"] == c.description
        assert f["type"] == c.type_code and f["bits"] == 8 * c.size
        if c.limits is None:
            assert f["limits"] is None
        else:
            assert f["limits"] == {"red_low": c.limits.red_low, "yellow_low": c.limits.yellow_low,
                                   "yellow_high": c.limits.yellow_high, "red_high": c.limits.red_high}
    assert fields["phase"]["enum"] == {str(i): p for i, p in enumerate(PHASES)}


def test_json_layout_offsets_take_apart_a_real_hk_packet(as_json):
    """The JSON field table alone (offset, bits, type) decodes a packet like the codec does."""
    hk = next(p for p in as_json["telemetry"] if p["name"] == "HK")
    t, values = HK_SAMPLES[1]
    pkt = TelemetryEncoder().hk(t, values)
    want = TelemetryDecoder().decode(pkt)["data"]
    assert sum(f["bits"] for f in hk["fields"]) == 8 * len(pkt)
    for f in hk["fields"]:
        raw = pkt[f["offset_bits"] // 8:(f["offset_bits"] + f["bits"] + 7) // 8]
        if f["code"].startswith("hk."):
            if f["type"].startswith("f"):
                value = struct.unpack(">f" if f["bits"] == 32 else ">d", raw)[0]
            else:
                value = int.from_bytes(raw, "big")
                value = f["enum"][str(value)] if "enum" in f else value
            assert same(value, want[f["name"]]), f["name"]


def test_json_events_and_parameters(as_json):
    ev = as_json["events"]
    names = {e["name"]: e for e in ev["names"]}
    for name in ("CMD_ACCEPTED", "CMD_REJECTED", "CMD_COMPLETED", "PHASE_CHANGE", "PYRO_FIRED",
                 "PYRO_FIRE_FAILED", "PYRO_ARMED", "PYRO_DISARMED", "EVENTS_THROTTLED"):
        assert name in names, name
    assert names["PYRO_FIRED"]["severities"] == ["ACTIVITY_HI"]
    assert names["PYRO_FIRE_FAILED"]["severities"] == ["WARNING_HI"]
    assert ev["keys"] == ["t_s", "severity", "name", "message", "data"]
    assert isinstance(ev["unresolved_sites"], list)
    params = {p["path"] for p in as_json["parameters"]}
    assert {"beacon.period_s", "chutes.main_alt_m", "deorbit.dv_mps"} <= params


def test_json_is_stable(model):
    assert dic.to_json(model) == dic.to_json(dic.build())
    assert dic.to_xtce(model) == dic.to_xtce(dic.build())


# ---------------------------------------------------------------- COSMOS ----------
def _blocks(text: str, keyword: str) -> dict[str, list[str]]:
    """'TELEMETRY ELSRS HK ...' / 'COMMAND ELSRS NOOP ...' -> the block's lines."""
    blocks, current = {}, None
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in ("TELEMETRY", "COMMAND"):
            current = None
            if words[0] == keyword:
                assert (words[1], words[3]) == (dic.TARGET, "BIG_ENDIAN")
                current = blocks.setdefault(words[2], [])
        elif current is not None and words and not words[0].startswith("#"):
            current.append(line)
    return blocks


def _items(lines: list[str]) -> dict[str, dict]:
    items, last = {}, None
    for line in lines:
        w = line.split()
        if w[0] in ("APPEND_ITEM", "APPEND_ID_ITEM"):
            last = items[w[1]] = {"bits": int(w[2]), "type": w[3], "keyword": w[0], "limits": None}
            if w[0] == "APPEND_ID_ITEM":
                last["id"] = int(w[4])
        elif w[0] == "ITEM":
            last = items[w[1]] = {"offset": int(w[2]), "bits": int(w[3]), "type": w[4], "limits": None}
        elif w[0] == "LIMITS":
            assert w[1:4] == ["DEFAULT", "1", "ENABLED"]
            last["limits"] = tuple(float(x) for x in w[4:8])
        elif w[0] == "UNITS":
            last["units"] = w[2]
    return items


def _cosmos_state(value, lim) -> str:
    """COSMOS' handle_limits_values (packet.rb), without green/blue."""
    red_low, yellow_low, yellow_high, red_high = lim
    if value > yellow_low:
        if value < yellow_high:
            return "green"
        return "yellow" if value < red_high else "red"
    return "yellow" if value > red_low else "red"


def test_cosmos_every_hk_channel_has_an_item_with_its_size_type_units_and_limits(cosmos):
    hk = _items(_blocks(cosmos["tlm.txt"], "TELEMETRY")["HK"])
    assert hk["CCSDS_APID"] == {"bits": 11, "type": "UINT", "keyword": "APPEND_ID_ITEM", "limits": None,
                                "id": APID_HK}
    for c in HK_CHANNELS:
        item = hk[c.name.upper()]
        assert item["bits"] == 8 * c.size, c.name
        assert item["type"] == ("FLOAT" if c.is_float else "UINT"), c.name
        assert item.get("units", "") == c.unit, c.name
        assert (item["limits"] is not None) == (c.limits is not None), c.name
        if c.limits is None:
            continue
        lows = [x for x in (c.limits.red_low, c.limits.yellow_low) if x is not None]
        highs = [x for x in (c.limits.yellow_high, c.limits.red_high) if x is not None]
        probes = {-1e30, 1e30, 0.0, 1.0, 65535.0, 4294967295.0}
        for x in lows + highs:
            probes |= {x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), x - 1, x + 1, x - 0.5, x + 0.5}
        for v in sorted(probes):
            if not c.is_float:
                if v != int(v) or not 0 <= v < 1 << (8 * c.size):
                    continue
                v = int(v)
            assert _cosmos_state(v, item["limits"]) == c.limits.state(v), (c.name, v, item["limits"])
    assert sum(i["bits"] for i in hk.values()) == 8 * HK_PACKET_LEN


def test_cosmos_blob_packets_keep_the_crc_at_the_end(cosmos):
    tlm = _blocks(cosmos["tlm.txt"], "TELEMETRY")
    for name in ("EVENT", "RECORDER", "BEACON"):
        items = _items(tlm[name])
        assert items[f"{name}_DATA"]["bits"] == -16 and items[f"{name}_DATA"]["type"] == "BLOCK"
        assert items["CRC"] == {"offset": -16, "bits": 16, "type": "UINT", "limits": None}
    ack = "\n".join(tlm["ACK"])
    assert "STATE PYRO_FIRE 10" in ack and "STATE UNKNOWN 65535" in ack and "STATE REJECTED 2" in ack


def test_cosmos_every_command_has_a_command_block(cosmos):
    cmds = _blocks(cosmos["cmd.txt"], "COMMAND")
    assert list(cmds) == list(DICTIONARY)
    for name, cdef in DICTIONARY.items():
        lines = [line.split() for line in cmds[name]]
        cid = COMMAND_IDS[name]
        assert ["APPEND_ID_PARAMETER", "TC_COMMAND_ID", "16", "UINT", str(cid), str(cid), str(cid)] in \
            [w[:7] for w in lines]
        assert ["APPEND_PARAMETER", "CCSDS_APID", "11", "UINT", "256", "256", "256"] in [w[:7] for w in lines]
        assert any(w[:5] == ["APPEND_PARAMETER", "TC_ARGS", "-272", "BLOCK", "0xA0"] for w in lines)
        assert any(w[:4] == ["PARAMETER", "TC_MAC", "-272", "256"] for w in lines)
        assert any(w[:4] == ["PARAMETER", "CRC", "-16", "16"] for w in lines)
        assert ["META", "ALLOWED_PHASES", *[p.value for p in cdef.phases]] in lines
        assert [w[2] for w in lines if w[:2] == ["META", "ARG"]] == list(cdef.args.fields)


def test_cosmos_single_text_has_file_separators(model):
    text = dic.render(model, "cosmos")
    assert "# ===== file: cmd_tlm/cmd.txt =====" in text and "# ===== file: cmd_tlm/tlm.txt =====" in text


# ---------------------------------------------------------------- CLI -------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", "dict", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_cli_prints_json():
    proc = run_cli("--format", "json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert [c["name"] for c in d["commands"]] == list(DICTIONARY)


def test_cli_bad_format_exits_2_with_one_line():
    proc = run_cli("--format", "nope")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.endswith("\n") and "\n" not in proc.stderr[:-1], repr(proc.stderr)
    assert "nope" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_writes_files(tmp_path):
    proc = run_cli("--format", "xtce", "--out", str(tmp_path / "elsrs.xml"))
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    tree = lxml_etree.parse(str(tmp_path / "elsrs.xml"))
    assert tree.getroot().tag == f"{{{dic.XTCE_NS}}}SpaceSystem"
    proc = run_cli("--format", "cosmos", "--out", str(tmp_path / "ELSRS"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ELSRS" / "cmd_tlm" / "cmd.txt").read_text().count("\nCOMMAND ELSRS ") == len(DICTIONARY)
    assert "TELEMETRY ELSRS HK BIG_ENDIAN" in (tmp_path / "ELSRS" / "cmd_tlm" / "tlm.txt").read_text()
    proc = run_cli("--format", "json", "--out", str(tmp_path / "missing" / "d.json"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr


def test_xtce_document_reads_back_from_a_stream(xtce_text):
    """from_xtce also takes a file object (a ground tool may hold the document in memory)."""
    d = spp.XtcePacketDefinition.from_xtce(io.BytesIO(xtce_text.encode()))
    assert {"HK", "EVENT", "ACK", "RECORDER", "BEACON"} <= set(d.containers)
