"""Flight recorder (fsw/recorder.py): format, crash safety, retention, I/O errors.

The kill test at the end is the Done-when item of issue 5: 100 real child
processes write the recorder and are killed with SIGKILL at a random moment;
the file must always decode to exactly the records the child wrote, losing at
most the one in flight.
"""
from __future__ import annotations

import errno
import json
import math
import os
import random
import selectors
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fsw.recorder as recorder_mod
from fsw.recorder import (OVERHEAD, RECORD, SYNC, Damaged, Found, Recorder, encode_record, list_segments,
                          read_recorder, scan, _crc16)
from tools.decode import decode_all

ROOT = Path(__file__).resolve().parents[2]


def records_on_disk(path) -> dict[int, dict]:
    """number -> record, asserting no number appears twice."""
    out = {}
    for n, r in read_recorder(path):
        assert n not in out, f"record number {n} decoded twice"
        out[n] = r
    return out


def hk(i: int, pad: int = 0) -> dict:
    return {"kind": "hk", "i": i, "t_s": i * 1.0, "phase": "ENTRY", "pad": "x" * pad}


def event(i: int) -> dict:
    return {"kind": "event", "i": i, "t_s": i * 1.0, "severity": "ACTIVITY_HI", "name": "E", "message": "m",
            "data": {"k": i}}


def single_segment(tmp_path, records) -> tuple[Path, bytes, list[Found]]:
    """Housekeeping records written to one segment; the file, its bytes and the frames found in it."""
    path = tmp_path / "rec.bin"
    rec = Recorder(path, max_bytes=64 * 1024 * 1024)
    for r in records:
        rec.write(r)
    rec.close()
    data = path.read_bytes()
    frames = [x for x in scan(data) if type(x) is Found]
    assert len(frames) == len(records) and os.listdir(tmp_path) == ["rec.bin"]
    return path, data, frames


# ---- format --------------------------------------------------------------------------------
def test_round_trip_keeps_every_record_and_numbers_them_from_zero(tmp_path):
    records = []
    for i in range(300):
        r = event(i) if i % 7 == 0 else hk(i, i % 50)
        r["nan"], r["none"], r["blob"], r["nested"] = math.nan, None, bytes([i % 256]) * 3, {"a": [1, 2.5, "s"]}
        records.append(r)
    rec = Recorder(tmp_path / "rec.bin")
    for r in records:
        rec.write(r)
    assert (rec.records, rec.dropped, rec.io_errors, rec.next_number) == (300, 0, 0, 300)
    rec.close()
    got = records_on_disk(tmp_path / "rec.bin")
    assert sorted(got) == list(range(300))
    for n, r in got.items():
        assert math.isnan(r.pop("nan"))
        want = dict(records[n])
        want.pop("nan")
        assert r == want
    segs = list_segments(tmp_path / "rec.bin")
    assert [k for k, _ in segs["hk"]] == [0] and [k for k, _ in segs["event"]] == [0]


def test_frame_layout_and_crc_cover_length_number_and_payload():
    frame = encode_record({"kind": "hk", "a": 1}, number=0x01020304)
    p = RECORD.parse(frame)
    assert frame[:2] == SYNC and p.number == 0x01020304 and p.length == len(frame) - OVERHEAD
    assert p.crc == _crc16(frame[2:-2])
    for i in range(2, len(frame)):       # any single flipped octet after the sync word is rejected
        bad = bytearray(frame)
        bad[i] ^= 0x40
        assert [x for x in scan(bytes(bad)) if type(x) is Found] == []


def test_reset_continues_record_numbers_and_appends(tmp_path):
    path = tmp_path / "rec.bin"
    rec = Recorder(path)
    for i in range(10):
        rec.write(hk(i))
    rec.write(event(10))
    rec.close()
    rec = Recorder(path)                 # processor reset: a new recorder on the same files
    assert rec.next_number == 11
    rec.write(hk(11))
    rec.write(event(12))
    rec.close()
    got = records_on_disk(path)
    assert sorted(got) == list(range(13)) and got[12] == event(12) and got[11] == hk(11)


# ---- crash safety --------------------------------------------------------------------------
def test_torn_tail_of_every_length_loses_only_the_last_record(tmp_path):
    records = [hk(i, 30 + 17 * (i % 3)) for i in range(20)]
    _, data, frames = single_segment(tmp_path, records)
    last = frames[-1]
    head, tail = data[:last.offset], data[last.offset:]
    torn = tmp_path / "torn.bin"
    for cut in range(1, len(tail)):      # 1 octet of sync .. all but the last CRC octet; 2-3: torn length
        torn.write_bytes(head + tail[:cut])
        items, summary = decode_all(torn, "recorder")
        assert [it["record"] for it in items] == records[:-1], cut
        assert [it["n"] for it in items] == list(range(19))
        assert (summary["damaged_regions"], summary["damaged_bytes"], summary["gaps"]) == (1, cut, 0)
        # the next boot appends after the torn bytes; its records decode, numbering continues
        rec = Recorder(torn)
        assert rec.next_number == 19
        rec.write(hk(19))
        rec.write(hk(20))
        rec.close()
        got = records_on_disk(torn)
        assert sorted(got) == list(range(21)) and got[19] == hk(19) and got[18] == records[18]


@pytest.mark.parametrize("zeros", [1, 2, 3, 9, 511, 4096, 70000])
def test_zero_filled_tails_decode_cleanly(tmp_path, zeros):
    records = [hk(i, 10) for i in range(15)]
    _, data, frames = single_segment(tmp_path, records)
    f = tmp_path / "z.bin"
    f.write_bytes(data + bytes(zeros))                      # size grew, data never arrived
    items, summary = decode_all(f)
    assert [it["record"] for it in items] == records
    assert (summary["zero_filled_regions"], summary["zero_filled_bytes"], summary["damaged_regions"]) == (1, zeros, 0)
    last = frames[-1].offset
    for cut in (1, 3, 8, 20):                               # torn record, then zeros
        f.write_bytes(data[:last] + data[last:last + cut] + bytes(zeros))
        items, summary = decode_all(f, "recorder")
        assert [it["record"] for it in items] == records[:-1]
        assert summary["damaged_bytes"] + summary["zero_filled_bytes"] == cut + zeros
    f.write_bytes(data[:last] + bytes(zeros))               # zeros where the last record should be
    rec = Recorder(f)
    assert rec.next_number == 14
    rec.write(hk(14, 10))
    rec.close()
    assert records_on_disk(f) == dict(enumerate(records))


def test_random_corruption_in_the_middle_loses_only_damaged_records(tmp_path):
    rng = random.Random(7)
    records = [hk(i, rng.randrange(80)) for i in range(200)]
    _, data, frames = single_segment(tmp_path, records)
    spans = [(x.offset, x.offset + x.size) for x in frames]
    for trial in range(300):
        buf = bytearray(data)
        damage = []
        for _ in range(rng.randrange(1, 4)):
            start = rng.randrange(len(data) - 20)
            length = rng.randrange(1, 20)
            kind = rng.randrange(3)
            fill = (rng.randbytes(length) if kind == 0 else bytes(length) if kind == 1
                    else (SYNC * length)[:length])
            buf[start:start + length] = fill
            damage.append((start, start + length))
        got = {n: r for n, r in read_recorder_bytes(bytes(buf))}
        for n, r in got.items():
            assert r == records[n], (trial, n)
        hit = {i for i, (a, b) in enumerate(spans) if any(s < b and a < e for s, e in damage)}
        assert set(range(200)) - hit <= set(got), (trial, sorted(set(range(200)) - set(got) - hit))


def read_recorder_bytes(data: bytes):
    for x in scan(data):
        if type(x) is Found:
            yield x.number, x.record


def test_corrupt_length_or_number_field_loses_only_that_record(tmp_path):
    records = [hk(i, 20) for i in range(30)]
    _, data, frames = single_segment(tmp_path, records)
    victim = frames[12].offset
    for patch in (b"\xff\xff", b"\x00\x00", b"\x00\x01"):
        buf = bytearray(data)
        buf[victim + 2:victim + 4] = patch
        got = dict(read_recorder_bytes(bytes(buf)))
        assert sorted(got) == [n for n in range(30) if n != 12]
    buf = bytearray(data)
    buf[victim + 7] ^= 1                 # record number
    assert sorted(dict(read_recorder_bytes(bytes(buf)))) == [n for n in range(30) if n != 12]
    dam = [x for x in scan(bytes(buf)) if type(x) is Damaged]
    assert [(d.offset, d.length) for d in dam] == [(victim, frames[12].size)]


# ---- retention -----------------------------------------------------------------------------
FRAME = 128          # octets per record in the retention tests
SEG = 10 * FRAME     # 10 records per segment


def fixed(kind: str, i: int) -> dict:
    """A record whose frame is exactly FRAME octets."""
    for pad in range(200):
        r = {"kind": kind, "i": f"{i:06d}", "pad": "x" * pad}
        if len(encode_record(r)) == FRAME:
            return r
    raise AssertionError("no padding gives FRAME octets")


def small_recorder(path, **kw) -> Recorder:
    # housekeeping budget 5 segments, events 3 segments, the first segment of each kept
    return Recorder(path, max_bytes=8 * SEG, segment_bytes=SEG, event_bytes=3 * SEG, **kw)


def test_retention_keeps_first_segment_and_newest_housekeeping(tmp_path):
    path = tmp_path / "rec.bin"
    rec = small_recorder(path)
    for i in range(100):
        rec.write(fixed("hk", i))
        assert rec.status()["bytes"] <= rec.max_bytes
    rec.close()
    assert sorted(records_on_disk(path)) == list(range(10)) + list(range(60, 100))
    assert sorted(os.listdir(tmp_path)) == ["rec.bin", "rec.bin.006", "rec.bin.007", "rec.bin.008", "rec.bin.009"]
    assert rec.segments_dropped == 5 and rec.dropped == 0
    assert sum(f.stat().st_size for f in tmp_path.iterdir()) == 5 * SEG
    items, summary = decode_all(path)
    assert (summary["segments_missing"], summary["gaps"], summary["missing_records"]) == (5, 1, 50)


def test_retention_of_events_is_separate_and_housekeeping_cannot_push_them_out(tmp_path):
    path = tmp_path / "rec.bin"
    rec = small_recorder(path)
    n = 0
    events, hks = [], []
    for i in range(40):                  # 40 events, 4 segments of the 3-segment event budget
        rec.write(fixed("event", n))
        events.append(n)
        n += 1
        for _ in range(5):               # 200 housekeeping records, 20 segments
            rec.write(fixed("hk", n))
            hks.append(n)
            n += 1
    rec.close()
    got = records_on_disk(path)
    # events: segment 0 (first 10) kept, segment 1 deleted, segments 2-3 kept
    assert [m for m in events if m in got] == events[:10] + events[20:]
    # housekeeping: segment 0 (first 10) and the newest 4 segments (last 40)
    assert [m for m in hks if m in got] == hks[:10] + hks[-40:]
    assert sorted(os.listdir(tmp_path)) == ["rec.bin", "rec.bin.016", "rec.bin.017", "rec.bin.018", "rec.bin.019",
                                            "rec.bin.ev000", "rec.bin.ev002", "rec.bin.ev003"]


def model(sequence, segment_bytes, budgets, keep_first):
    """Independent statement of the policy: which record numbers survive."""
    streams = {s: {"k": 0, "segs": {0: []}, "size": {0: 0}} for s in budgets}
    for n, (stream, size) in enumerate(sequence):
        st = streams[stream]
        if st["size"][st["k"]] and st["size"][st["k"]] + size > segment_bytes:
            st["k"] += 1
            while sum(st["size"].values()) + segment_bytes > budgets[stream]:
                old = min(k for k in st["size"] if k >= keep_first)
                del st["size"][old], st["segs"][old]
            st["size"][st["k"]], st["segs"][st["k"]] = 0, []
        st["size"][st["k"]] += size
        st["segs"][st["k"]].append(n)
    return sorted(n for st in streams.values() for seg in st["segs"].values() for n in seg)


@pytest.mark.parametrize("keep_first", [0, 1, 2])
def test_retention_matches_the_policy_with_random_sizes_and_a_reset(tmp_path, keep_first):
    rng = random.Random(keep_first)
    path = tmp_path / "rec.bin"
    seg = 2048
    kw = dict(max_bytes=24 * seg, segment_bytes=seg, event_bytes=6 * seg, keep_first=keep_first)
    rec = Recorder(path, **kw)
    seq = []
    for n in range(3000):
        r = event(n) if rng.random() < 0.3 else hk(n, rng.randrange(300))
        if n == 1700:                    # processor reset halfway: retention continues from the files
            rec.close()
            rec = Recorder(path, **kw)
            assert rec.next_number == n
        rec.write(r)
        seq.append(("event" if r["kind"] == "event" else "hk", len(encode_record(r))))
        assert rec.status()["bytes"] <= rec.max_bytes
    rec.close()
    want = model(seq, seg, {"hk": 18 * seg, "event": 6 * seg}, keep_first)
    assert sorted(records_on_disk(path)) == want
    disk = sum(os.path.getsize(p) for ps in list_segments(path).values() for _, p in ps)
    assert disk <= 24 * seg


def test_bad_budgets_are_refused_at_construction(tmp_path):
    with pytest.raises(ValueError, match="segments"):
        Recorder(tmp_path / "r", max_bytes=4 * 2048, segment_bytes=2048)
    with pytest.raises(ValueError, match="segment_bytes"):
        Recorder(tmp_path / "r", max_bytes=4000)


def test_dump_downlinks_every_record_in_number_order(tmp_path):
    class Link:
        def __init__(self):
            self.sent = []

        def downlink(self, d):
            self.sent.append(d)

    path = tmp_path / "rec.bin"
    rec = small_recorder(path)
    for i in range(130):
        rec.write(fixed("event" if i % 3 == 0 else "hk", i))
    link = Link()
    for number, record in rec.iter_records():        # what fsw.downlink.Downlink.start_dump sends
        link.downlink({"kind": "recorder", "n": number, "record": record})
    n = len(link.sent)
    got = records_on_disk(path)
    assert n == len(link.sent) == len(got)
    assert [d["n"] for d in link.sent] == sorted(got)
    assert all(d["kind"] == "recorder" and d["record"] == got[d["n"]] for d in link.sent)
    assert list(Recorder(None).iter_records()) == []


def test_disabled_recorder_is_a_no_op():
    rec = Recorder(None)
    rec.write(hk(0))
    rec.request_sync()
    rec.run(1.0)
    rec.sync()
    rec.close()
    assert (rec.records, rec.dropped, rec.io_errors) == (0, 0, 0)


# ---- I/O errors: counted, reported, never raised -------------------------------------------
@pytest.mark.parametrize("where", ["directory", "under_a_file"])
def test_unwritable_path_is_counted_never_raised(tmp_path, where):
    if where == "directory":
        path = tmp_path / "rec.bin"
        path.mkdir()                                  # the file was replaced by a directory
    else:
        (tmp_path / "plain").write_bytes(b"x")
        path = tmp_path / "plain" / "rec.bin"          # ENOTDIR
    messages = []
    rec = Recorder(path, on_error=messages.append)
    for i in range(10):
        rec.write(event(i) if i % 2 else hk(i))
    rec.request_sync()
    rec.run(1.0)
    rec.sync()
    dumped = len(list(rec.iter_records()))
    rec.close()
    # the housekeeping file cannot be opened; the event stream (its own files) still can, if the directory works
    ok = 5 if where == "directory" else 0
    assert (rec.records, rec.dropped, dumped) == (ok, 10 - ok, ok)
    assert rec.io_errors >= 6 and len(messages) == rec.io_errors and "rec.bin" in rec.last_error


class FlakyOs:
    """``os`` for fsw.recorder whose write/fsync fail on demand."""

    def __init__(self, fail_writes=(), fail_fsync=False):
        self.fail_writes, self.fail_fsync, self.writes, self.fsyncs = set(fail_writes), fail_fsync, 0, 0

    def __getattr__(self, name):
        return getattr(os, name)

    def write(self, fd, data):
        self.writes += 1
        if self.writes in self.fail_writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)

    def fsync(self, fd):
        self.fsyncs += 1
        if self.fail_fsync:
            raise OSError(errno.EIO, "Input/output error")
        return os.fsync(fd)


def test_full_disk_and_fsync_errors_are_counted_and_the_recorder_recovers(tmp_path, monkeypatch):
    flaky = FlakyOs(fail_writes={5, 6, 7}, fail_fsync=True)
    monkeypatch.setattr(recorder_mod, "os", flaky)
    messages = []
    path = tmp_path / "rec.bin"
    rec = Recorder(path, on_error=messages.append)
    for i in range(20):
        rec.write(hk(i))
    rec.request_sync()
    rec.run(1.0)
    rec.close()
    assert (rec.records, rec.dropped) == (17, 3)
    assert rec.io_errors == len(messages) >= 4 and any("Input/output" in m for m in messages)
    got = records_on_disk(path)
    assert sorted(got) == [n for n in range(20) if n not in (4, 5, 6)]   # a gap where they were lost
    items, summary = decode_all(path)
    assert (summary["gaps"], summary["missing_records"]) == (1, 3)


def test_a_raising_or_recursive_error_callback_cannot_break_the_recorder(tmp_path):
    path = tmp_path / "d"
    path.mkdir()
    rec = None

    def callback(msg):
        rec.write(event(0))              # e.g. an event about the error, recorded again
        raise RuntimeError("callback bug")

    rec = Recorder(path, on_error=callback)
    rec.write(hk(0))
    assert rec.callback_errors >= 1 and rec.io_errors >= 2


def test_unencodable_oversize_and_late_records_are_dropped_not_raised(tmp_path):
    path = tmp_path / "rec.bin"
    rec = Recorder(path, max_bytes=32 * 4096, segment_bytes=4096)
    rec.write({"kind": "hk", "bad": object()})
    rec.write({"kind": "hk", "big": "x" * 5000})
    rec.write("not a mapping")
    rec.write(hk(3))
    rec.close()
    rec.write(hk(4))
    assert (rec.records, rec.dropped, rec.io_errors) == (1, 4, 0)
    assert list(records_on_disk(path).items()) == [(3, hk(3))]   # numbers 0-2 are the gap


def test_sync_points_periodic_sync_and_finished_segments(tmp_path, monkeypatch):
    flaky = FlakyOs()
    monkeypatch.setattr(recorder_mod, "os", flaky)
    rec = Recorder(tmp_path / "rec.bin", max_bytes=32 * 1024, segment_bytes=1024, sync_period_s=60.0)
    rec.run(0.0)                         # a new segment file: it and its directory entry are made durable
    base = flaky.fsyncs
    assert base == 2
    rec.write(hk(0))
    rec.run(30.0)
    assert flaky.fsyncs == base          # nothing requested, period not over
    rec.request_sync()
    rec.run(31.0)
    assert flaky.fsyncs == base + 1
    rec.write(hk(1))
    rec.run(90.0)
    assert flaky.fsyncs == base + 1
    rec.run(91.0)                        # 60 s after the last sync, with data written since
    assert flaky.fsyncs == base + 2
    rec.run(200.0)
    assert flaky.fsyncs == base + 2      # nothing new to sync
    for i in range(2, 40):               # rotations: no fsync inside write() (it may run in a fast rate group)
        rec.write(hk(i, 100))
    assert flaky.fsyncs == base + 2 and len(rec._pending) >= 3
    rec.run(201.0)                       # finished segments, the current one and the directory
    assert flaky.fsyncs >= base + 2 + len(rec.segments()["hk"]) and not rec._pending
    rec.close()


def test_file_size_limit_in_a_child_process_is_counted_not_raised(tmp_path):
    """A full file system, simulated by RLIMIT_FSIZE: write() fails with EFBIG."""
    limit = 6000
    child = f"""
import json, resource, sys
sys.path.insert(0, {str(ROOT)!r})
from fsw.recorder import Recorder
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
messages = []
rec = Recorder(sys.argv[1], on_error=messages.append)
for i in range(500):
    rec.write({{"kind": "hk", "i": i, "pad": "y" * 40}})
    if i % 50 == 0:
        rec.request_sync(); rec.run(i)
rec.close()
print(json.dumps({{"records": rec.records, "dropped": rec.dropped, "io_errors": rec.io_errors,
                  "messages": len(messages), "last": rec.last_error}}))
"""
    path = tmp_path / "rec.bin"
    proc = subprocess.run([sys.executable, "-c", child, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    st = json.loads(proc.stdout)
    assert st["records"] + st["dropped"] == 500 and st["records"] > 50 and st["dropped"] > 0
    assert st["io_errors"] == st["messages"] >= st["dropped"] and "File too large" in st["last"]
    assert path.stat().st_size <= limit
    got = records_on_disk(path)
    assert sorted(got) == list(range(st["records"]))   # everything stored decodes; the torn one does not


# ---- the kill test -------------------------------------------------------------------------
RECORD_SRC = '''
import random
def make_record(seed, i):
    r = random.Random(seed * 1000003 + i)
    kind = "event" if r.random() < 0.25 else "hk"
    return {"kind": kind, "i": i, "t_s": i * 0.02, "pad": "x" * r.randrange(0, 200), "v": r.random()}
'''
_ns: dict = {}
exec(RECORD_SRC, _ns)
make_record = _ns["make_record"]

MODES = {
    # plenty of room: segments rotate (16 KiB) but nothing is deleted
    "rotate": dict(max_bytes=64 * 1024 * 1024, segment_bytes=16 * 1024, event_bytes=16 * 1024 * 1024),
    # retention deletes segments all the time while the child is killed
    "retain": dict(max_bytes=256 * 1024, segment_bytes=8 * 1024, event_bytes=64 * 1024),
}

CHILD = RECORD_SRC + f'''
import os, struct, sys
sys.path.insert(0, {str(ROOT)!r})
from fsw.recorder import Recorder
path, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rec = Recorder(path, **{MODES!r}[mode])
i = rec.next_number
while True:
    rec.write(make_record(seed, i))
    os.write(1, struct.pack("<I", i))        # only after write() returned
    i += 1
    if i % 64 == 0:
        rec.request_sync()
    if i % 16 == 0:
        rec.run(i / 16)
'''


#: Acks a retention run must see before its kill timer starts (every ninth run, all in "retain"
#: mode): ~4000 records of ~150 bytes overflow the 256 KiB hk and 64 KiB event budgets, so the
#: kill lands while segments are being deleted however slowly a loaded machine runs the child.
RETAIN_MIN_ACKS = 4000


class Child:
    def __init__(self, path, seed, mode, delay_s, min_acks: int = 1):
        self.path, self.seed, self.mode, self.delay_s = path, seed, mode, delay_s
        self.min_acks = min_acks
        self.errf = open(f"{path}.stderr", "w+")
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(seed), mode],
                                     stdout=subprocess.PIPE, stderr=self.errf, cwd=ROOT)
        self.buf = bytearray()
        self.deadline = None
        self.killed = False
        self.eof = False

    def last_ack(self) -> int:
        k = len(self.buf) // 4
        return struct.unpack_from("<I", self.buf, (k - 1) * 4)[0] if k else -1


def run_children(children, timeout_s=30.0):
    """Read acks, SIGKILL each child ``delay_s`` after its ``min_acks``-th ack, drain to EOF."""
    sel = selectors.DefaultSelector()
    for c in children:
        os.set_blocking(c.proc.stdout.fileno(), False)
        sel.register(c.proc.stdout, selectors.EVENT_READ, c)
    t_end = time.monotonic() + timeout_s
    while any(not c.eof for c in children):
        now = time.monotonic()
        assert now < t_end, "children did not finish"
        for c in children:
            if not c.killed and c.deadline is not None and now >= c.deadline:
                c.proc.kill()            # SIGKILL
                c.killed = True
        waits = [c.deadline - now for c in children if not c.killed and c.deadline is not None]
        for key, _ in sel.select(max(0.0, min(waits, default=0.05))):
            c = key.data
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                c.eof = True
                sel.unregister(key.fileobj)
                continue
            c.buf += chunk
            if c.deadline is None and len(c.buf) >= 4 * c.min_acks:
                c.deadline = time.monotonic() + c.delay_s
    for c in children:
        c.proc.wait()
        c.proc.stdout.close()
        c.errf.seek(0)
        err = c.errf.read()
        c.errf.close()
        assert c.killed and c.proc.returncode == -9, (c.proc.returncode, err)


def expected_window(tmp: Path, seed: int, mode: str, n_acked: int) -> tuple[set, set]:
    """(must survive, may survive) for a kill after record ``n_acked`` returned."""
    if mode == "rotate":
        return set(range(n_acked + 1)), set(range(n_acked + 2))
    # retention deletes whole segments: replay the same records in-process to see which survive
    sim = tmp / "replay.bin"
    rec = Recorder(sim, **MODES[mode])
    for i in range(n_acked + 1):
        rec.write(make_record(seed, i))
    after_n = set(n for n, _ in read_recorder(sim))
    rec.write(make_record(seed, n_acked + 1))
    after_next = set(n for n, _ in read_recorder(sim))
    rec.close()
    for p in tmp.iterdir():
        if p.name.startswith("replay.bin"):
            p.unlink()
    return after_next - {n_acked + 1}, after_n | {n_acked + 1}


def decoded_by_cli(path) -> tuple[list[dict], dict]:
    proc = subprocess.run([sys.executable, "-m", "tools.cli", "decode", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()], json.loads(proc.stderr.splitlines()[-1])


@pytest.mark.timeout(120)
def test_kill_100_writers_with_sigkill_every_file_decodes_losing_at_most_the_last_record(tmp_path):
    """Done-when of issue 5, with real processes and SIGKILL."""
    rng = random.Random(20240605)
    runs = []
    for r in range(100):
        mode = "retain" if r % 3 == 2 else "rotate"
        reboot = mode == "rotate" and r % 5 == 0       # a second child appends after the first was killed
        runs.append((r, mode, reboot, rng.uniform(0.005, 0.2), rng.uniform(0.005, 0.2)))
    t0 = time.monotonic()
    stats = {"runs": 0, "records_checked": 0, "in_flight_present": 0, "torn_tail": 0, "cli": 0,
             "segments_max": 0, "deleted_segments_max": 0}
    for i in range(0, 100, 2):
        batch = runs[i:i + 2]
        dirs = [tmp_path / f"run{r}" for r, *_ in batch]
        for d in dirs:
            d.mkdir()
        children = [Child(d / "rec.bin", r, mode, delay, RETAIN_MIN_ACKS if r % 9 == 8 else 1)
                    for d, (r, mode, _, delay, _) in zip(dirs, batch)]
        run_children(children)
        acked = [c.last_ack() for c in children]
        second = [(Child(d / "rec.bin", r, mode, delay2), k) for k, (d, (r, mode, reboot, _, delay2))
                  in enumerate(zip(dirs, batch)) if reboot]
        if second:
            run_children([c for c, _ in second])
            for c, k in second:
                assert c.last_ack() >= acked[k]
                acked[k] = c.last_ack()
        for d, (r, mode, reboot, *_), n in zip(dirs, batch, acked):
            assert n >= 0
            path = d / "rec.bin"
            use_cli = r % 10 == 0
            items, summary = decoded_by_cli(path) if use_cli else decode_all(path)
            stats["cli"] += use_cli
            got = {}
            for it in items:
                assert it["n"] not in got, (r, it["n"])
                got[it["n"]] = it["record"]
                assert it["record"] == make_record(r, it["n"]), (r, it["n"])
            must, may = expected_window(d, r, mode, n)
            assert must <= set(got) <= may, (r, mode, n, sorted(must - set(got))[:5], sorted(set(got) - may)[:5])
            assert summary["damaged_regions"] <= (2 if reboot else 1), (r, summary)
            stats["runs"] += 1
            stats["records_checked"] += len(got)
            stats["in_flight_present"] += (n + 1) in got
            stats["torn_tail"] += summary["damaged_regions"] > 0
            stats["segments_max"] = max(stats["segments_max"], sum(summary["segments"].values()))
            stats["deleted_segments_max"] = max(stats["deleted_segments_max"], summary["segments_missing"])
    stats["wall_s"] = round(time.monotonic() - t0, 1)
    print("kill test:", json.dumps(stats))
    assert stats["runs"] == 100 and stats["cli"] == 10 and stats["deleted_segments_max"] > 0
