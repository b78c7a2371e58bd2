"""Ground decoder behind ``elsrs decode FILE [--kind auto|recorder|packets|framed|sbd]``.

Inputs
- ``recorder``: a flight-recorder file (``fsw.recorder``). Given the recorder's
  base file (``recorder.bin``) it reads the whole segment set - housekeeping
  segments ``recorder.bin``, ``recorder.bin.001``, ... and event segments
  ``recorder.bin.ev000``, ... - and merges the streams by record number. Given a
  single segment (``recorder.bin.004``) it reads just that one.
- ``packets``: bare CCSDS packets back to back (``downlink.bin``): cut with
  ``fsw.link.split_packets``; if that fails (a truncated or damaged stream) the
  decoder resynchronises on the next octet where a plausible header starts a
  packet whose CRC checks.
- ``framed``: an ASM-framed byte capture (a serial capture): ``fsw.link.Deframer``.
- ``sbd``: one beacon report as the Iridium gateway delivers it (the ``.sbd``
  attachment of a mobile-originated message): ``fsw.tasks.beacon_report``.
- ``auto`` (default): the kind that explains the most octets of the first
  64 KiB, provided it explains at least 3 records/packets or half of the
  non-zero octets; otherwise the content is "not recognised" (exit 2) -
  except an empty or all-zero file that has recorder segments beside it
  (segment 0 zero-filled by a power cut): that is read as a recorder set.

Output: one JSON object per line on stdout, in file order (a recorder set: in
record-number order):
- recorder: ``{"n", "stream" ("hk"|"event"), "file", "offset", "record"}``
- sbd: the report (``beacon_report.parse``: kind, seq, t_s, phase by name,
  source, lat_deg, lon_deg, alt_m, age_s, v_enu_mps, battery_pct, next_s, failed)
- packets / framed: ``{"offset", "apid", "kind", "seq_count", "t_s", "data"}``
  (``fsw.link.TelemetryDecoder``'s dict; ``offset`` of the packet, or of its
  marker when framed).
JSON has no NaN or infinity: non-finite floats are written as ``null``; byte
strings as lowercase hex text; other non-JSON values as their ``str``.

Then ONE summary line on stderr, a JSON object: ``kind``, ``file``, counts of
records/packets, damaged regions skipped and their octets (zero-filled regions
counted apart for the recorder), gaps in record numbers (and records missing
in them; leading numbers count, a recorder starts at 0), missing segments
(deleted by retention), sequence-count gaps per APID for packets.

Exit status: 0 decoded (damage is reported in the summary, not an error); 2 a
missing or unreadable file, or content not recognised, with one line on stderr.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass

from fsw.link import APID_TABLE, ASM, Deframer, DecodeError, FrameRejected, PacketReceived, TelemetryDecoder
from fsw.link import crc16, split_packets
from fsw.link.ccsds import DEFAULT_MAX_PACKET_LEN, PRIMARY_HEADER_LEN
from fsw.phases import Phase
from fsw.recorder_format import SYNC, STREAMS, Damaged, Found, list_segments, scan
from fsw.tasks import beacon_report

KINDS = ("auto", "recorder", "packets", "framed", "sbd")
#: Octets examined by auto-detection.
SAMPLE_BYTES = 64 * 1024
_SEGMENT_NAME = re.compile(r".+\.(ev)?(\d{3,})")
_MIN_PACKET = PRIMARY_HEADER_LEN + 2


class InputError(Exception):
    """Bad input: the one-line message for stderr."""


@dataclass
class Decoded:
    """``items``: a generator of output dicts; ``summary`` is complete once it is exhausted."""

    kind: str
    items: object
    summary: dict


# ---- JSON ------------------------------------------------------------------------------
def _plain(obj):
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else _key(k)): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex()
    return str(obj)


def _key(k) -> str:
    if isinstance(k, (bytes, bytearray)):
        return bytes(k).hex()
    return str(_plain(k))


def to_json(obj) -> str:
    """One line of JSON; NaN/inf -> null, bytes -> hex."""
    try:
        return json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps(_plain(obj), allow_nan=False)


# ---- recorder --------------------------------------------------------------------------
def _recorder_files(path: str) -> dict[str, list[tuple[int, str]]]:
    name = os.path.basename(path)
    m = _SEGMENT_NAME.fullmatch(name)
    base = path[: len(path) - len(name)] + name[: name.rfind(".")] if m else None
    if m and base is not None and (os.path.isfile(base) or any(list_segments(base).values())):
        stream = "event" if m.group(1) else "hk"
        return {"hk": [], "event": [], stream: [(int(m.group(2)), path)]}
    segs = list_segments(path)
    if not segs["hk"] or segs["hk"][0] != (0, path):
        segs["hk"] = [(0, path)] + [s for s in segs["hk"] if s[1] != path]
    return segs


def _stream_items(stream: str, files, summary: dict):
    for k, p in files:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as exc:
            summary["unreadable_segments"].append(f"{p}: {exc.strerror or exc}")
            continue
        summary["bytes"] += len(data)
        name = os.path.basename(p)
        for item in scan(data):
            if type(item) is Found:
                yield item.number, {"n": item.number, "stream": stream, "file": name, "offset": item.offset,
                                    "record": item.record}
            elif item.zero:
                summary["zero_filled_regions"] += 1
                summary["zero_filled_bytes"] += item.length
            else:
                summary["damaged_regions"] += 1
                summary["damaged_bytes"] += item.length


def decode_recorder(path: str) -> Decoded:
    path = os.fspath(path)
    segs = _recorder_files(path)
    missing = 0
    for s in STREAMS:
        ks = [k for k, _ in segs[s]]
        if ks:
            missing += ks[-1] + 1 - len(ks)
    summary = {"kind": "recorder", "file": path, "bytes": 0, "segments": {s: len(segs[s]) for s in STREAMS},
               "segments_missing": missing, "records": 0, "first_number": None, "last_number": None,
               "gaps": 0, "missing_records": 0, "out_of_order": 0, "damaged_regions": 0, "damaged_bytes": 0,
               "zero_filled_regions": 0, "zero_filled_bytes": 0, "unreadable_segments": []}

    def items():
        import heapq
        streams = [_stream_items(s, segs[s], summary) for s in STREAMS]
        last = -1
        for number, item in heapq.merge(*streams, key=lambda x: x[0]):
            if number > last + 1:
                summary["gaps"] += 1
                summary["missing_records"] += number - last - 1
            elif number <= last:
                summary["out_of_order"] += 1
            last = max(last, number)
            if summary["first_number"] is None:
                summary["first_number"] = number
            summary["last_number"] = last
            summary["records"] += 1
            yield item

    return Decoded("recorder", items(), summary)


# ---- bare packets ----------------------------------------------------------------------
def _packet_at(data: bytes, i: int, n: int, max_len: int) -> int:
    """End of a CRC-valid packet of a known APID at ``i``, else -1."""
    if n - i < _MIN_PACKET:
        return -1
    pid = data[i] << 8 | data[i + 1]
    spec = APID_TABLE.get(pid & 0x7FF)
    if pid >> 13 or spec is None or (pid >> 12) & 1 != spec.type:
        return -1
    end = i + PRIMARY_HEADER_LEN + (data[i + 4] << 8 | data[i + 5]) + 1
    if end > n or end - i > max_len or end - i < _MIN_PACKET or crc16(data[i:end]) != 0:
        return -1
    return end


def _scan_packets(data: bytes, max_len: int = DEFAULT_MAX_PACKET_LEN):
    """Yield (offset, packet) and (offset, length) damage tuples (packet None) by resynchronising."""
    n, i, bad = len(data), 0, None
    while i < n:
        end = _packet_at(data, i, n, max_len)
        if end < 0:
            if bad is None:
                bad = i
            i += 1
            continue
        if bad is not None:
            yield bad, None, i - bad
            bad = None
        yield i, data[i:end], end - i
        i = end
    if bad is not None:
        yield bad, None, n - bad


def decode_packets(data: bytes, path: str = "") -> Decoded:
    summary = {"kind": "packets", "file": path, "bytes": len(data), "packets": 0, "undecodable": 0,
               "damaged_regions": 0, "damaged_bytes": 0, "seq_gaps": {}}

    def clean():
        """split_packets when the stream is intact, else None."""
        try:
            packets = split_packets(data)
        except ValueError:
            return None
        dec, out, off = TelemetryDecoder(), [], 0
        for p in packets:
            try:
                d = dec.decode(p)
            except DecodeError:
                return None
            out.append({"offset": off, **d})
            off += len(p)
        return dec, out

    def items():
        got = clean() if data else (TelemetryDecoder(), [])
        if got is not None:
            dec, out = got
            summary["packets"] = len(out)
            yield from out
        else:
            dec = TelemetryDecoder()
            for off, packet, length in _scan_packets(data):
                if packet is None:
                    summary["damaged_regions"] += 1
                    summary["damaged_bytes"] += length
                    continue
                try:
                    d = dec.decode(packet)
                except DecodeError:
                    summary["undecodable"] += 1
                    continue
                summary["packets"] += 1
                yield {"offset": off, **d}
        summary["seq_gaps"] = {f"{a:#05x}": g for a, g in sorted(dec.seq_gaps.items())}

    return Decoded("packets", items(), summary)


# ---- framed capture --------------------------------------------------------------------
def decode_framed(data: bytes, path: str = "") -> Decoded:
    summary = {"kind": "framed", "file": path, "bytes": len(data), "packets": 0, "undecodable": 0,
               "damaged_regions": 0, "damaged_bytes": 0, "rejects": {}, "seq_gaps": {}}

    def items():
        deframer, dec = Deframer(), TelemetryDecoder()
        off = 0
        for ev in deframer.feed(data) + deframer.eof():
            if type(ev) is PacketReceived:
                at = off
                off += len(ASM) + len(ev.packet)
                try:
                    d = dec.decode(ev.packet, check_crc=False)
                except DecodeError:
                    summary["undecodable"] += 1
                    continue
                summary["packets"] += 1
                yield {"offset": at, **d}
            elif type(ev) is FrameRejected:
                off += ev.n_bytes
                summary["damaged_regions"] += 1
                summary["damaged_bytes"] += ev.n_bytes
                summary["rejects"][ev.reason] = summary["rejects"].get(ev.reason, 0) + 1
        summary["seq_gaps"] = {f"{a:#05x}": g for a, g in sorted(dec.seq_gaps.items())}

    return Decoded("framed", items(), summary)


# ---- detection -------------------------------------------------------------------------
def scores(sample: bytes) -> dict[str, tuple[int, int]]:
    """kind -> (octets explained, records/packets found) in ``sample``."""
    found = list(scan(sample))
    rec = [x for x in found if type(x) is Found]
    zero = sum(x.length for x in found if type(x) is Damaged and x.zero)
    d = Deframer()
    d.feed(sample)
    bare = [length for _, p, length in _scan_packets(sample) if p is not None]
    return {"recorder": (sum(x.size for x in rec) + (zero if rec else 0), len(rec)),
            "framed": (d.packet_bytes, d.packets),
            "packets": (sum(bare), len(bare))}


def detect(sample: bytes) -> str | None:
    """The kind of ``sample`` (see the module doc), or None."""
    s = scores(sample)
    kind = max(s, key=lambda k: s[k][0])
    explained, units = s[kind]
    nonzero = len(sample) - sample.count(0)
    if units and (units >= 3 or explained * 2 >= nonzero):
        return kind
    return None


def detect_zero(sample: bytes) -> bool:
    """True for an empty or all-zero sample."""
    return sample.count(0) == len(sample)


# ---- entry -----------------------------------------------------------------------------
def _read(path: str) -> bytes:
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a recorder file or a telemetry capture")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def decode(path, kind: str = "auto") -> Decoded:
    """Open ``path`` as ``kind``; InputError (one line) for a missing/unreadable file or unknown content."""
    path = os.fspath(path)
    if kind not in KINDS:
        raise InputError(f"--kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    data = _read(path)
    if kind == "sbd" or (kind == "auto" and _is_sbd(data)):
        return decode_sbd(data, path)
    if kind == "auto":
        sample = data[:SAMPLE_BYTES]
        kind = detect(sample)
        if kind is None:
            segs = _recorder_files(path)
            if len(segs["hk"]) + len(segs["event"]) > 1 and detect_zero(sample):
                kind = "recorder"      # segment 0 empty or zero-filled, the rest of the set is there
            else:
                what = "empty file" if not data else (
                    f"content not recognised in the first {len(sample)} bytes (starting {sample[:8].hex(' ')})")
                raise InputError(f"{path}: {what}: expected flight-recorder records (sync {SYNC.hex(' ')}), "
                                 f"bare CCSDS packets or an ASM-framed capture ({ASM.hex(' ')}); "
                                 f"--kind forces one")
    if kind == "recorder":
        return decode_recorder(path)
    if kind == "packets":
        return decode_packets(data, path)
    return decode_framed(data, path)


def _is_sbd(data: bytes) -> bool:
    return len(data) == beacon_report.REPORT.sizeof() and data[:3] == b"EB\x02"


def decode_sbd(data: bytes, path: str = "") -> Decoded:
    """One beacon report (an Iridium gateway ``.sbd`` file)."""
    if not _is_sbd(data):
        raise InputError(f"{path}: {len(data)} bytes starting {data[:3].hex(' ') or '(nothing)'}: expected a "
                         f"{beacon_report.REPORT.sizeof()}-byte beacon report starting 45 42 02 (\"EB\", version 2)")
    rep = beacon_report.parse(data)
    phases = list(Phase)
    rep["phase"] = phases[rep["phase"]].value if rep["phase"] < len(phases) else f"phase {rep['phase']}"
    return Decoded("sbd", iter([rep]), {"kind": "sbd", "file": path, "reports": 1})


def decode_all(path, kind: str = "auto") -> tuple[list[dict], dict]:
    """Every output dict and the summary."""
    d = decode(path, kind)
    items = list(d.items)
    return items, d.summary


def main(path, kind: str = "auto", out=None, err=None) -> int:
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        d = decode(path, kind)
    except InputError as exc:
        err.write(f"elsrs decode: {exc}\n")
        return 2
    write = out.write
    buf = []
    for item in d.items:
        buf.append(to_json(item))
        if len(buf) >= 512:
            write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        write("\n".join(buf) + "\n")
    out.flush()
    err.write(to_json(d.summary) + "\n")
    return 0
