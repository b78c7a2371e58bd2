"""Critical state store (fsw/state_store.py): slot format, crash safety, refusals, I/O errors.

Everything runs on real files (``FileSlots``) unless a test needs a medium that
fails on purpose; those are small real classes, not mocks. The header layout is
cross-checked against an independent decoder (``struct`` and crcmod's generic
CRC engine with the CRC-32C polynomial, checked against the published check
value). The crash test with real killed processes is in test_state_store_kill.py.
"""
from __future__ import annotations

import os
import random
import struct

import cbor2
import crcmod
import pytest

import fsw.state_store as ss
from fsw.state_store import SAFE_INITIAL, SLOT_SIZE, CriticalStore, FileSlots, LoadStatus, MemorySlots, encode_image

# ---- an independent reading of the slot format --------------------------------------------
#: CRC-32C (Castagnoli), reflected, register preset 0xFFFFFFFF (crcmod: initCrc is the preset
#: XORed with xorOut), final XOR 0xFFFFFFFF.
CRC32C = crcmod.mkCrcFun(0x11EDC6F41, rev=True, initCrc=0, xorOut=0xFFFFFFFF)
#: magic, version, seq, payload length, CRC: big-endian, no padding.
HDR = struct.Struct(">4sBIHI")


def parse_slot(raw: bytes):
    """(seq, image) if ``raw`` is a valid slot by the documented format, else None."""
    if len(raw) < HDR.size:
        return None
    magic, version, seq, length, crc = HDR.unpack_from(raw)
    if magic != b"ELCS" or version != 1 or HDR.size + length > len(raw):
        return None
    payload = raw[HDR.size:HDR.size + length]
    if CRC32C(raw[:HDR.size - 4] + payload) != crc:
        return None
    image = cbor2.loads(payload)
    return (seq, image) if isinstance(image, dict) else None


def slot_bytes(path, i: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(i * SLOT_SIZE)
        return f.read(SLOT_SIZE)


def slots_on_disk(path):
    return [parse_slot(slot_bytes(path, i)) for i in (0, 1)]


def write_at(path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def load(path, errors=None) -> CriticalStore:
    return CriticalStore(FileSlots(path), on_error=None if errors is None else errors.append)


FLIGHT_IMAGE = {
    "phase": {"phase": "DEORBIT_BURN", "entered_t_s": 1200.02},
    "boot": {"power_ons": 1, "processor_resets": 2, "reset_times_s": [1201.5, 1203.0], "minimal": False},
    "deorbit": {"go": True, "plan_t_s": 1200.0, "ignition_t_s": 1200.02, "dv_sensed_mps": 41.27, "burn_s": 7.1,
                "cutoff_t_s": None, "result": None, "ignitions": 2},
    "pyro.fired": ["float"],
    "pyro.overrides": [{"channel": "float", "t_s": 62.0, "phase": "DEORBIT_PREP"}],
    "link.counter": 17,
    "params.overrides": {"beacon.period_s": 60.0},
    "nav": {"t_s": 1207.1, "r_eci_m": [6.78e6, -1.5e3, 2.25], "v_eci_mps": [1.0, 7.66e3, -0.5],
            "q_body_eci": [1.0, 0.0, 0.0, 0.0], "accel_bias": [1e-4, -2e-4, 0.0]},
    "health.degraded": [],
}


# ---- format ---------------------------------------------------------------------------------
def test_crc32c_of_the_independent_decoder_and_of_the_store_give_the_published_check_value():
    assert CRC32C(b"123456789") == 0xE3069283
    assert ss._crc32c(b"123456789") == 0xE3069283
    rng = random.Random(3)
    for n in (0, 1, 7, 64, 4081):
        data = rng.randbytes(n)
        assert ss._crc32c(data) == CRC32C(data)


def test_header_layout_matches_an_independent_decoder(tmp_path):
    raw = encode_image(0x01020304, FLIGHT_IMAGE)
    magic, version, seq, length, crc = HDR.unpack_from(raw)
    assert (magic, version, seq, length) == (b"ELCS", 1, 0x01020304, len(raw) - HDR.size)
    assert ss.HEADER.sizeof() == HDR.size == 15
    assert crc == CRC32C(raw[:11] + raw[15:])                  # CRC over magic..length and the payload
    assert cbor2.loads(raw[15:]) == FLIGHT_IMAGE
    assert parse_slot(raw) == (0x01020304, FLIGHT_IMAGE)
    for i in range(len(raw)):                                   # any flipped bit anywhere: a bad slot
        bad = bytearray(raw)
        bad[i] ^= 1 << (i % 8)
        assert ss.decode_slot(bytes(bad)) is None, i

    # what the store writes on a file, slot by slot, is what the independent decoder reads ...
    path = tmp_path / "state.bin"
    store = load(path)
    store.put("pyro.fired", ["drogue"])
    store.close()
    assert os.path.getsize(path) == SLOT_SIZE
    assert parse_slot(slot_bytes(path, 0)) == (1, {"pyro.fired": ["drogue"]})
    used = HDR.size + HDR.unpack_from(slot_bytes(path, 0))[3]
    assert slot_bytes(path, 0)[used:] == bytes(SLOT_SIZE - used)        # padded with zeros to the slot

    # ... and a slot built by hand from the documented format loads in the store
    payload = cbor2.dumps({"phase": {"phase": "COAST", "entered_t_s": 1.5}})
    prefix = struct.pack(">4sBIH", b"ELCS", 1, 9, len(payload))
    write_at(path, SLOT_SIZE, prefix + struct.pack(">I", CRC32C(prefix + payload)) + payload)
    store = load(path)
    assert store.report.status is LoadStatus.OK and store.report.slot_seqs == (1, 9)
    assert store.get("phase") == {"phase": "COAST", "entered_t_s": 1.5}
    store.close()


def test_round_trip_on_a_real_file(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    with store.batch():
        for k, v in FLIGHT_IMAGE.items():
            store.put(k, v)
    extra = {"int": -(2 ** 40), "float": 1e-300, "bool": True, "none": None, "text": "é→∞", "bytes": b"\x00\xff",
             "nested": {"a": [1, [2, {"b": 3.25}]], "": []}}
    store.put("extra", extra)
    assert (store.commits, store.write_errors) == (2, 0)
    store.close()
    again = load(path)
    assert again.report.status is LoadStatus.OK
    assert again.image == {**FLIGHT_IMAGE, "extra": extra}
    assert again.get("missing", 42) == 42
    again.close()


def test_commits_alternate_slots_with_consecutive_sequence_numbers(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    assert store.report.status is LoadStatus.MISSING
    for k in range(1, 8):
        store.put("link.counter", k)
        newest, other = (k - 1) % 2, k % 2                # seq 1 in slot 0, seq 2 in slot 1, ...
        on_disk = slots_on_disk(path)
        assert on_disk[newest] == (k, {"link.counter": k})
        assert on_disk[other] == ((k - 1, {"link.counter": k - 1}) if k > 1 else None)
    store.close()
    # a reboot continues the sequence into the slot not holding the newest image (slot 1 now)
    store = load(path)
    assert store.report == ss.StoreReport(LoadStatus.OK, (7, 6)) and store.get("link.counter") == 7
    store.put("link.counter", 8)
    assert slots_on_disk(path) == [(7, {"link.counter": 7}), (8, {"link.counter": 8})]
    store.close()


# ---- crash safety ---------------------------------------------------------------------------
def three_commits(path):
    """X (seq 1, slot 0), A (seq 2, slot 1); B (seq 3) would go into slot 0. Returns A, B's slot bytes."""
    store = load(path)
    store.put("deorbit", {"dv_sensed_mps": 10.0, "cutoff_t_s": None, "burn_s": 1.7})      # X
    store.put("deorbit", {"dv_sensed_mps": 10.12, "cutoff_t_s": None, "burn_s": 1.72})    # A
    store.close()
    a = {"deorbit": {"dv_sensed_mps": 10.12, "cutoff_t_s": None, "burn_s": 1.72}}
    b = {"deorbit": {"dv_sensed_mps": 10.24, "cutoff_t_s": None, "burn_s": 1.74}}
    raw_b = encode_image(3, b)
    return a, b, raw_b + bytes(SLOT_SIZE - len(raw_b)), len(raw_b)


def test_torn_write_of_every_length_into_the_slot_being_written_recovers_the_previous_image(tmp_path):
    path = tmp_path / "state.bin"
    a, b, slot_b, used = three_commits(path)
    pristine = path.read_bytes()
    statuses = []
    for cut in [*range(1, 40), *range(40, used, 7), used - 1, used, used + 1, SLOT_SIZE]:
        path.write_bytes(pristine)
        write_at(path, 0, slot_b[:cut])           # B torn after `cut` octets over X (the older slot)
        errors = []
        store = load(path, errors)
        torn = slot_bytes(path, 0)
        torn_slot_valid = ss.decode_slot(torn) is not None
        if torn[:used] == slot_b[:used]:          # header and payload complete (X's leftovers may match): B counts
            assert store.report.status is LoadStatus.OK and store.image == b, cut
        else:
            assert store.image == a, cut                         # never anything but a whole image
            # a cut inside the octets B shares with X leaves X intact: nothing is spoiled
            want = LoadStatus.OK if torn_slot_valid else LoadStatus.RECOVERED
            assert store.report.status is want, cut
            statuses.append(want)
        assert errors == [] and store.write_errors == 0
        # the next commit goes into the other slot than the image loaded: over a torn B, never over A
        store.put("link.counter", cut)
        store.close()
        after = slots_on_disk(path)
        if store.report.slot_seqs[0] == 3:
            assert after == [(3, b), (4, {**b, "link.counter": cut})], cut
        else:
            assert after == [(3, {**a, "link.counter": cut}), (2, a)], cut
        assert load(path).report.status is LoadStatus.OK
    # cuts within magic, version and the equal octets of the sequence number leave X whole
    assert statuses.count(LoadStatus.OK) <= 8 and statuses.count(LoadStatus.RECOVERED) >= len(statuses) - 8 > 30


def test_garbled_or_truncated_newest_slot_recovers_the_older_image(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    store.put("phase", {"phase": "SEPARATED", "entered_t_s": 0.2})          # seq 1, slot 0
    store.put("phase", {"phase": "DEORBIT_PREP", "entered_t_s": 2.0})       # seq 2, slot 1
    store.close()
    pristine = path.read_bytes()
    used = HDR.size + HDR.unpack_from(slot_bytes(path, 1))[3]
    rng = random.Random(11)
    for trial in range(200):
        buf = bytearray(pristine)
        start = SLOT_SIZE + rng.randrange(used)
        n = rng.randrange(1, 64)
        buf[start:start + n] = rng.randbytes(n) if trial % 2 else bytes(n)
        if bytes(buf) == pristine:
            continue
        path.write_bytes(bytes(buf))
        store = load(path)
        assert store.report == ss.StoreReport(LoadStatus.RECOVERED, (1, None)), trial
        assert store.get("phase") == {"phase": "SEPARATED", "entered_t_s": 0.2}
        store.close()
    for size in (SLOT_SIZE + 1, SLOT_SIZE + 14, SLOT_SIZE + used - 1):        # file cut inside slot 1
        path.write_bytes(pristine[:size])
        store = load(path)
        assert store.report.status is LoadStatus.RECOVERED and store.get("phase")["phase"] == "SEPARATED"
        store.close()


def test_both_slots_garbled_is_corrupt_and_starts_from_the_safe_initial_state(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    store.put("pyro.fired", ["drogue"])
    store.put("pyro.fired", ["drogue", "main"])
    store.close()
    buf = bytearray(path.read_bytes())
    buf[20] ^= 0xFF
    buf[SLOT_SIZE + 3] ^= 0x01                        # magic of slot 1
    path.write_bytes(bytes(buf))
    store = load(path)
    assert store.report == ss.StoreReport(LoadStatus.CORRUPT, (None, None))
    assert store.image == SAFE_INITIAL == {} and store.get("pyro.fired") is None
    store.put("phase", {"phase": "SAFE", "entered_t_s": 5.0})     # the store works again from seq 1
    store.close()
    again = load(path)
    assert again.report.status is LoadStatus.RECOVERED and again.report.slot_seqs == (1, None)
    assert again.image == {"phase": {"phase": "SAFE", "entered_t_s": 5.0}}
    again.close()
    path.write_bytes(random.Random(5).randbytes(2 * SLOT_SIZE))   # noise in both slots
    assert load(path).report.status is LoadStatus.CORRUPT


def test_missing_or_blank_medium_is_missing_with_the_safe_initial_state(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    assert store.report == ss.StoreReport(LoadStatus.MISSING, (None, None)) and store.image == SAFE_INITIAL
    store.close()
    assert not path.exists()                          # loading never creates the file
    for blank in (b"", bytes(10), bytes(2 * SLOT_SIZE)):
        path.write_bytes(blank)                      # created, never written (a kill before the first commit)
        assert load(path).report.status is LoadStatus.MISSING
    path.write_bytes(bytes(SLOT_SIZE) + b"\x01")      # one stray octet is not a blank medium
    assert load(path).report.status is LoadStatus.CORRUPT
    assert MemorySlots().read(0) == b"" and CriticalStore(MemorySlots()).report.status is LoadStatus.MISSING


# ---- refusals ---------------------------------------------------------------------------------
def test_image_too_large_is_refused_the_previous_image_kept_and_later_puts_still_commit(tmp_path):
    path = tmp_path / "state.bin"
    errors = []
    store = load(path, errors)
    store.put("phase", {"phase": "COAST", "entered_t_s": 83.8})
    before = path.read_bytes()
    fits = next(n for n in range(3900, 4200) if len(encode_image(2, {**store.image, "k": "x" * n})) == SLOT_SIZE)
    store.put("k", "x" * (fits + 1))                   # one octet too many
    assert (store.write_errors, store.commits) == (1, 1) and "exceeds" in errors[0]
    assert "k" not in store.image and path.read_bytes() == before
    store.put("phase", {"phase": "ENTRY", "entered_t_s": 2100.0})      # the store is not blocked by it
    assert (store.write_errors, store.commits) == (1, 2)
    store.put("k", "x" * fits)                          # exactly one slot: accepted
    assert (store.write_errors, store.commits) == (1, 3)
    store.close()
    again = load(path)
    assert again.report.status is LoadStatus.OK and again.get("k") == "x" * fits
    assert again.get("phase")["phase"] == "ENTRY"
    again.close()


class Unencodable:
    pass


@pytest.mark.parametrize("bad", [Unencodable(), {1, Unencodable()}, [1.0, object()], {"f": print}])
def test_unencodable_value_is_refused_and_counted_never_raised(tmp_path, bad):
    path = tmp_path / "state.bin"
    errors = []
    store = load(path, errors)
    store.put("link.counter", 3)
    before = path.read_bytes()
    store.put("nav", bad)                                # must not raise
    assert (store.write_errors, store.commits) == (1, 1) and "not encodable" in errors[0]
    assert store.get("nav") is None and path.read_bytes() == before
    store.put("link.counter", 4)
    store.put("nav", {"t_s": 1.0})
    store.close()
    assert load(path).image == {"link.counter": 4, "nav": {"t_s": 1.0}}


def test_refused_value_inside_a_batch_keeps_the_rest_of_the_batch(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path, [])
    with store.batch():
        store.put("a", 1)
        store.put("b", Unencodable())
        store.put("a", 2)
        store.put("c", "x" * SLOT_SIZE)
    assert (store.commits, store.write_errors) == (1, 2)
    store.close()
    assert load(path).image == {"a": 2}


# ---- medium errors ------------------------------------------------------------------------------
class FailingSlots(MemorySlots):
    """A medium whose writes (or reads) raise OSError while told to, and counts what it is asked."""

    def __init__(self):
        super().__init__()
        self.fail_writes = 0
        self.fail_reads: set[int] = set()
        self.writes: list[int] = []

    def read(self, i):
        if i in self.fail_reads:
            raise OSError(5, "Input/output error")
        return super().read(i)

    def write(self, i, data):
        self.writes.append(i)
        if self.fail_writes:
            self.fail_writes -= 1
            self.slots[i] = bytes(data[:9]) + self.slots[i][9:]    # the failing write also tore the slot
            raise OSError(28, "No space left on device")
        super().write(i, data)


def test_write_errors_are_counted_reported_and_never_touch_the_newest_slot():
    medium = FailingSlots()
    errors = []
    store = CriticalStore(medium, on_error=errors.append)
    store.put("link.counter", 1)                          # seq 1 -> slot 0
    store.put("link.counter", 2)                          # seq 2 -> slot 1
    medium.fail_writes = 3
    for k in (3, 4, 5):
        store.put("link.counter", k)                      # no raise
    assert store.write_errors == 3 and len(errors) == 3 and all("write slot 0" in e for e in errors)
    assert medium.writes == [0, 1, 0, 0, 0]               # every retry into the same slot, never over seq 2
    assert ss.decode_slot(medium.slots[1]) == (2, {"link.counter": 2})
    assert CriticalStore(medium).report == ss.StoreReport(LoadStatus.RECOVERED, (None, 2))
    store.put("link.counter", 6)                          # the medium is back: seq 3, no gap
    assert ss.decode_slot(medium.slots[0]) == (3, {"link.counter": 6}) and store.commits == 3


def test_read_errors_are_counted_and_reported_as_a_bad_slot():
    medium = FailingSlots()
    store = CriticalStore(medium)
    store.put("link.counter", 1)
    store.put("link.counter", 2)
    medium.fail_reads = {1}
    errors = []
    store = CriticalStore(medium, on_error=errors.append)
    assert store.report == ss.StoreReport(LoadStatus.RECOVERED, (1, None)) and store.get("link.counter") == 1
    assert store.write_errors == 1 and "read slot 1" in errors[0]
    medium.fail_reads = {0, 1}
    assert CriticalStore(medium).report.status is LoadStatus.CORRUPT      # unreadable is not blank


def test_unwritable_file_paths_are_counted_never_raised(tmp_path):
    cases = [tmp_path / "no_such_dir" / "state.bin"]      # the directory is missing: fails even as root
    (tmp_path / "a_dir").mkdir()
    cases.append(tmp_path / "a_dir")                      # a directory where the file should be
    if os.path.exists("/dev/full"):
        cases.append("/dev/full")                         # a real device whose every write is ENOSPC
    for path in cases:
        errors = []
        store = load(path, errors)
        store.put("phase", {"phase": "SAFE", "entered_t_s": 1.0})
        store.put("link.counter", 1)
        assert store.commits == 0 and store.write_errors >= 2 and len(errors) == store.write_errors, path
        assert store.get("link.counter") == 1             # still held in memory for the next commit
        store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a read-only file regardless of its mode")
def test_read_only_file_is_counted_never_raised(tmp_path):
    path = tmp_path / "state.bin"
    store = load(path)
    store.put("link.counter", 1)
    store.close()
    path.chmod(0o444)
    errors = []
    store = load(path, errors)
    assert store.report.status is LoadStatus.OK
    store.put("link.counter", 2)
    assert store.commits == 0 and store.write_errors >= 1
    store.close()


class ShortWriteOs:
    """``os`` for fsw.state_store whose pwrite writes only part of the data (a disk filling up)."""

    def __init__(self, short=False):
        self.short = short
        self.fsyncs = 0

    def __getattr__(self, name):
        return getattr(os, name)

    def pwrite(self, fd, data, offset):
        if self.short:
            return os.pwrite(fd, data[:10], offset)
        return os.pwrite(fd, data, offset)

    def fsync(self, fd):
        self.fsyncs += 1
        os.fsync(fd)


def test_every_file_commit_is_fsynced_and_a_short_write_is_an_error(tmp_path, monkeypatch):
    fake = ShortWriteOs()
    monkeypatch.setattr(ss, "os", fake)
    path = tmp_path / "state.bin"
    errors = []
    store = load(path, errors)
    for k in range(1, 6):
        store.put("link.counter", k)
    assert fake.fsyncs == store.commits == 5          # seq 5 in slot 0, seq 4 in slot 1
    fake.short = True
    store.put("link.counter", 6)                      # 10 octets written into slot 1: must not count
    store.put("link.counter", 7)                      # so this one goes into slot 1 again, not over seq 5
    assert store.commits == 5 and store.write_errors == 2 and all("short write" in e for e in errors)
    assert ss.decode_slot(slot_bytes(path, 0)) == (5, {"link.counter": 5})
    fake.short = False
    store.close()
    again = load(path)
    assert again.report == ss.StoreReport(LoadStatus.RECOVERED, (5, None)) and again.get("link.counter") == 5
    again.close()


# ---- batches -------------------------------------------------------------------------------------
class CountingSlots(MemorySlots):
    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, i, data):
        self.writes += 1
        super().write(i, data)


def test_batch_commits_once_on_exit_and_nested_batches_once_at_the_outermost(tmp_path):
    medium = CountingSlots()
    store = CriticalStore(medium)
    with store.batch():
        store.put("a", 1)
        store.put("b", 2)
        assert medium.writes == 0
        with store.batch():
            store.put("c", 3)
        assert medium.writes == 0                     # the inner exit does not commit
    assert medium.writes == store.commits == 1
    assert ss.decode_slot(medium.slots[0]) == (1, {"a": 1, "b": 2, "c": 3})
    with store.batch():
        pass                                          # nothing staged: nothing written
    assert medium.writes == 1
    store.put("d", 4)
    assert medium.writes == 2 and ss.decode_slot(medium.slots[1])[0] == 2
    # on a real file, the same
    path = tmp_path / "state.bin"
    fstore = load(path)
    with fstore.batch():
        for k, v in FLIGHT_IMAGE.items():
            fstore.put(k, v)
    assert fstore.commits == 1 and slots_on_disk(path) == [(1, FLIGHT_IMAGE), None]
    fstore.close()
