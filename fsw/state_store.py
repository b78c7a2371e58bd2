"""Critical state store: what a processor reset must not lose (cf. cFS CDS).

Requirements
CSS-001  Two slots on the medium, each holding a whole image: a header (magic,
         format version, sequence number, payload length, CRC-32C over header
         and payload) and a CBOR payload. A commit writes the image with the
         next sequence number into the slot *not* holding the newest valid
         image, then syncs it (fsync on a file). A torn or corrupt write can
         therefore only spoil the slot being written: the other still holds the
         previous image.
CSS-002  Loading reads both slots, discards any whose header, length, CRC or
         CBOR is bad, and takes the valid one with the highest sequence number.
         The outcome is reported as ``LoadStatus``: ``ok`` (newest slot good),
         ``recovered`` (one slot bad, the other used), ``missing`` (medium
         empty: first power-on) or ``corrupt`` (no valid slot). With
         ``missing`` or ``corrupt`` the store starts from ``SAFE_INITIAL``.
CSS-003  Values are CBOR-encodable scalars, lists and maps. ``put`` stages a
         value and commits at once unless inside ``batch()``, which commits once
         on exit. A failing medium (OSError) never raises into the flight code:
         it is counted in ``write_errors`` and reported to ``on_error``.
CSS-004  An image larger than a slot is refused (counted, reported); the
         previous image stays. A refused value (too large, or not encodable) is
         not kept staged, so the puts after it still commit. A short write is
         an OSError: the commit does not count and the next one rewrites the
         same slot, never the one holding the newest valid image.

The keys the flight app keeps here (each owned by one component):

=====================  ===================================================  ==============
key                    meaning                                              writer
=====================  ===================================================  ==============
``phase``              {phase, entered_t_s}                                 app
``boot``               {power_ons, processor_resets, reset_times_s,         app
                       minimal}
``deorbit``            {go, plan_t_s, ignition_t_s, dv_sensed_mps, burn_s,  deorbit
                       cutoff_t_s, result, ignitions, go_t_s,
                       ground_plan_t_s, dv_target_mps, yaw_deg,
                       dv_pc_mps, pc_burn_s, accel_failed}
``edl``                {onset_t_s, g_arm_t_s, fall_t_s, fall_refused,       chutes
                       baro_above_t_s, baro_in_t_s, drogue_t_s,
                       drogue_trigger, main_t_s, main_trigger}
``landing``            {splash_t_s, trigger}                                landing
``pyro.fired``         channels fired, in order                             pyro manager
``pyro.overrides``     [{channel, t_s, phase}] ground overrides used        pyro manager
``link.counter``       last spent anti-replay counter                       commands
``params.overrides``   {name: value} accepted SET_PARAMs                    parameters
``nav``                {t_s, r_eci_m, v_eci_mps, q_body_eci, accel_bias}    nav
``health.degraded``    devices declared failed by the monitors             monitors
=====================  ===================================================  ==============

The safe initial state (``SAFE_INITIAL``) is an empty image: no phase (the app
then decides from the hardware: berthed -> ATTACHED, free -> SAFE), no go, no
burn, no pyro fired (the pyro board's own fired readback still counts), counter
0, no parameter overrides, no navigation state.
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

import cbor2
import crcmod.predefined
from construct import Bytes, Const, Int8ub, Int16ub, Int32ub, Struct

__all__ = ["CriticalStore", "FileSlots", "MemorySlots", "LoadStatus", "SLOT_SIZE", "SAFE_INITIAL"]

#: Bytes per slot; an image (header + CBOR) must fit. The flight app's image is
#: about 600 bytes; 4 KiB is one flash page / filesystem block.
SLOT_SIZE = 4096
_MAGIC = b"ELCS"
_VERSION = 1
HEADER = Struct(
    "magic" / Const(_MAGIC),
    "version" / Const(_VERSION, Int8ub),
    "seq" / Int32ub,
    "length" / Int16ub,
    "crc" / Int32ub,        # CRC-32C over magic..length (crc field excluded) and the payload
)
_HEADER_LEN = HEADER.sizeof()
_PREFIX = Struct("magic" / Bytes(4), "version" / Int8ub, "seq" / Int32ub, "length" / Int16ub)
_crc32c = crcmod.predefined.mkCrcFun("crc-32c")
#: The documented safe initial state: an empty image (see module doc).
SAFE_INITIAL: dict[str, Any] = {}
_ABSENT = object()


class LoadStatus(str, Enum):
    OK = "ok"
    RECOVERED = "recovered"
    MISSING = "missing"
    CORRUPT = "corrupt"


class MemorySlots:
    """Two slots in memory (unit tests, the ground's decode of a dumped image)."""

    def __init__(self) -> None:
        self.slots = [b"", b""]

    def read(self, i: int) -> bytes:
        return self.slots[i]

    def write(self, i: int, data: bytes) -> None:
        self.slots[i] = bytes(data)


class FileSlots:
    """Two slots in one file: slot i at offset i * SLOT_SIZE; every write is fsync'ed."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    def read(self, i: int) -> bytes:
        if not os.path.exists(self.path):
            return b""
        return os.pread(self._open(), SLOT_SIZE, i * SLOT_SIZE)

    def write(self, i: int, data: bytes) -> None:
        fd = self._open()
        n = os.pwrite(fd, data, i * SLOT_SIZE)
        if n != len(data):      # e.g. the disk filled part-way: the slot is torn, the commit must not count
            raise OSError(errno.EIO, f"short write to slot {i}: {n} of {len(data)} bytes")
        os.fsync(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def encode_image(seq: int, image: dict) -> bytes:
    """Header + CBOR payload of one slot image."""
    payload = cbor2.dumps(image)
    prefix = _PREFIX.build(dict(magic=_MAGIC, version=_VERSION, seq=seq, length=len(payload)))
    crc = _crc32c(prefix + payload)
    return HEADER.build(dict(seq=seq, length=len(payload), crc=crc)) + payload


def decode_slot(raw: bytes) -> tuple[int, dict] | None:
    """(seq, image) of a valid slot, None if empty or bad in any way."""
    if len(raw) < _HEADER_LEN:
        return None
    try:
        h = HEADER.parse(raw[:_HEADER_LEN])
    except Exception:  # noqa: BLE001 - construct raises several error types; any = bad slot
        return None
    end = _HEADER_LEN + h.length
    if end > len(raw):
        return None
    payload = raw[_HEADER_LEN:end]
    if _crc32c(raw[:_HEADER_LEN - 4] + payload) != h.crc:
        return None
    try:
        image = cbor2.loads(payload)
    except Exception:  # noqa: BLE001 - a CRC-valid but undecodable payload is still a bad slot
        return None
    return (h.seq, image) if isinstance(image, dict) else None


@dataclass(frozen=True)
class StoreReport:
    """Outcome of loading: status and the sequence numbers found in each slot (None = bad)."""
    status: LoadStatus
    slot_seqs: tuple[int | None, int | None]


class CriticalStore:
    """Key-value image over two CRC'd slots (CSS-001..004)."""

    def __init__(self, medium, on_error: Callable[[str], None] | None = None) -> None:
        self.medium = medium
        self.on_error = on_error
        self.write_errors = 0
        self.commits = 0
        self._batch = 0
        self._dirty = False
        found = []
        for i in (0, 1):
            try:
                found.append(decode_slot(medium.read(i)))
            except OSError as exc:
                self._error(f"read slot {i}: {exc}")
                found.append(None)
        seqs = tuple(f[0] if f else None for f in found)
        written = [self._raw_nonempty(i) for i in (0, 1)]
        good = [(f[0], i, f[1]) for i, f in enumerate(found) if f is not None]
        if good:
            seq, slot, image = max(good)
            self.image = image
            self._seq, self._slot = seq, slot
            spoiled = any(w and f is None for w, f in zip(written, found))
            status = LoadStatus.RECOVERED if spoiled else LoadStatus.OK
        else:
            self.image = dict(SAFE_INITIAL)
            self._seq, self._slot = 0, 1
            status = LoadStatus.CORRUPT if any(written) else LoadStatus.MISSING
        self.report = StoreReport(status, seqs)

    def _raw_nonempty(self, i: int) -> bool:
        try:
            return bool(self.medium.read(i).strip(b"\x00"))
        except OSError:
            return True         # an unreadable slot is a bad slot, not an empty medium

    def _error(self, msg: str) -> None:
        self.write_errors += 1
        if self.on_error is not None:
            self.on_error(msg)

    # ---- access -----------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return self.image.get(key, default)

    def put(self, key: str, value: Any) -> None:
        """Stage ``key`` and commit (at the end of the enclosing ``batch()``, if any).

        A value the image cannot take (not CBOR-encodable, or the image would outgrow
        its slot) is refused and not kept staged (CSS-003/004): one bad value must not
        block every later commit.
        """
        old = self.image.get(key, _ABSENT)
        self.image[key] = value
        data = self._encode()
        if data is None:
            if old is _ABSENT:
                del self.image[key]
            else:
                self.image[key] = old
            return
        self._dirty = True
        if not self._batch:
            self._write(data)

    @contextmanager
    def batch(self):
        """Group several puts into one commit."""
        self._batch += 1
        try:
            yield self
        finally:
            self._batch -= 1
            if not self._batch and self._dirty:
                self.commit()

    def commit(self) -> bool:
        """Write the image into the other slot (CSS-001); True when written."""
        data = self._encode()
        return data is not None and self._write(data)

    def _encode(self) -> bytes | None:
        """The next slot image, or None (counted, reported) if unencodable or too large."""
        try:
            data = encode_image(self._seq + 1, self.image)
        except Exception as exc:  # noqa: BLE001 - an unencodable value must not stop the flight
            self._error(f"image not encodable: {exc}")
            return None
        if len(data) > SLOT_SIZE:
            self._error(f"image of {len(data)} bytes exceeds the {SLOT_SIZE}-byte slot")
            return None
        return data

    def _write(self, data: bytes) -> bool:
        slot = 1 - self._slot
        try:
            self.medium.write(slot, data + b"\x00" * (SLOT_SIZE - len(data)))
        except OSError as exc:
            self._error(f"write slot {slot}: {exc}")
            return False
        self._seq += 1
        self._slot = slot
        self._dirty = False
        self.commits += 1
        return True

    def close(self) -> None:
        close = getattr(self.medium, "close", None)
        if close is not None:
            close()
