"""Board framing shared by our serial boards (sensor board, pyro/valve board): sans-IO.

Big-endian, laid out with ``construct``::

    sync (2 B) | type u8 | seq u16 | time_us u32 | payload (by type) | CRC-16/CCITT-FALSE u16

The CRC (``crcmod`` ``crc-ccitt-false``: poly 0x1021, init 0xFFFF) covers type to payload.
Each board module declares its sync and its table of payload layouts by type.

Requirements
1. ``BoardDecoder.feed(data)`` returns the board's message for each frame whose CRC
   checks, and ``FrameRejected(reason, n_bytes)`` for every run of bytes thrown away:
   ``garbage`` (bytes before a sync, reported when the run ends), ``bad_type``,
   ``crc``, ``duplicate``, ``truncated`` (``eof()`` inside a frame). After a rejected
   sync the search restarts one byte after it, so a frame swallowed by a damaged one
   is still found.
2. Sequence numbers run per frame type (mod 2^16); a forward jump is reported once as
   ``FramesLost(type, n)`` and counted in ``lost`` (the line dropped frames), a repeat
   as a ``duplicate`` rejection; a backward jump (the sender restarted) restarts the count.
3. Byte accounting, always true: ``bytes_in == frame_bytes + bytes_discarded + buffered``.
"""
from __future__ import annotations

from dataclasses import dataclass

import crcmod.predefined
from construct import Byte, Int16ub, Int32ub, Struct

__all__ = ["BoardFraming", "BoardDecoder", "FrameRejected", "FramesLost", "REJECT_REASONS", "crc16"]

REJECT_REASONS = ("garbage", "bad_type", "crc", "duplicate", "truncated")
crc16 = crcmod.predefined.mkCrcFun("crc-ccitt-false")
_HEADER = Struct("type" / Byte, "seq" / Int16ub, "time_us" / Int32ub).compile()
_HEADER_LEN = 7


@dataclass(frozen=True, slots=True)
class FrameRejected:
    reason: str
    n_bytes: int


@dataclass(frozen=True, slots=True)
class FramesLost:
    """Requirement 2: ``n`` frames of ``frame_type`` never arrived (a sequence jump)."""
    frame_type: int
    n: int


class BoardFraming:
    """One board's sync and payload table; builds frames."""

    def __init__(self, sync: bytes, payloads: dict) -> None:
        self.sync = sync
        self.payloads = {t: s.compile() for t, s in payloads.items()}
        self.frame_len = {t: len(sync) + _HEADER_LEN + s.sizeof() + 2 for t, s in payloads.items()}

    def build(self, ftype: int, seq: int, time_us: int, fields: dict) -> bytes:
        body = (_HEADER.build({"type": ftype, "seq": seq & 0xFFFF, "time_us": time_us & 0xFFFFFFFF})
                + self.payloads[ftype].build(fields))
        return self.sync + body + crc16(body).to_bytes(2, "big")


class BoardDecoder:
    """Requirements 1-3; ``message(ftype, seq, time_us, payload)`` makes the board's event."""

    def __init__(self, framing: BoardFraming, message) -> None:
        self.framing, self._message = framing, message
        self._buf = bytearray()
        self._garbage = 0                  # bytes of the garbage run not yet reported (already counted)
        self.bytes_in = self.frame_bytes = self.bytes_discarded = 0
        self.frames = 0
        self.lost = dict.fromkeys(framing.payloads, 0)
        self.rejects = dict.fromkeys(REJECT_REASONS, 0)
        self._last_seq: dict[int, int] = {}

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _reject(self, out: list, reason: str, n: int) -> None:
        self.rejects[reason] += 1
        self.bytes_discarded += n
        out.append(FrameRejected(reason, n))

    def _end_garbage(self, out: list) -> None:
        if self._garbage:
            self.rejects["garbage"] += 1
            out.append(FrameRejected("garbage", self._garbage))
            self._garbage = 0

    def _drop(self, n: int) -> None:
        self._garbage += n
        self.bytes_discarded += n
        del self._buf[:n]

    def feed(self, data: bytes) -> list:
        self.bytes_in += len(data)
        self._buf += data
        out: list = []
        buf, sync, lens = self._buf, self.framing.sync, self.framing.frame_len
        head = len(sync) + _HEADER_LEN
        while buf:
            i = buf.find(sync)
            if i < 0:
                self._drop(len(buf) - (1 if buf[-1:] == sync[:1] else 0))   # keep a sync split across reads
                break
            if i:
                self._drop(i)
            if len(buf) < head:
                break
            ftype = buf[len(sync)]
            n = lens.get(ftype)
            if n is None:
                self._end_garbage(out)
                self._reject(out, "bad_type", 1)
                del buf[:1]
                continue
            if len(buf) < n:
                break
            frame = bytes(buf[:n])
            if crc16(frame[len(sync):-2]) != int.from_bytes(frame[-2:], "big"):
                self._end_garbage(out)
                self._reject(out, "crc", 1)
                del buf[:1]
                continue
            self._end_garbage(out)
            del buf[:n]
            self._frame(out, ftype, frame, head)
        return out

    def eof(self) -> list:
        out: list = []
        self._end_garbage(out)
        if self._buf:
            self._reject(out, "truncated", len(self._buf))
            self._buf.clear()
        return out

    def _frame(self, out: list, ftype: int, frame: bytes, head: int) -> None:
        h = _HEADER.parse(frame[len(self.framing.sync):head])
        last = self._last_seq.get(ftype)
        if last is not None:
            gap = (h.seq - last) & 0xFFFF
            if gap == 0:
                self._reject(out, "duplicate", len(frame))
                return
            if 1 < gap < 0x8000:                      # a backward jump: the sender restarted
                self.lost[ftype] += gap - 1
                out.append(FramesLost(ftype, gap - 1))
        self._last_seq[ftype] = h.seq
        self.frames += 1
        self.frame_bytes += len(frame)
        out.append(self._message(ftype, h.seq, h.time_us, self.framing.payloads[ftype].parse(frame[head:-2])))
