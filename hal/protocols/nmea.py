"""NMEA 0183 GGA and RMC sentences from a GPS receiver (sans-IO: bytes in, events out).

On the wire (NMEA 0183 v4.10; REFERENCES.md)::

    $GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47<CR><LF>

Requirements
1. ``NmeaDecoder.feed(data)`` takes whatever bytes arrived and returns events:
   ``GgaReceived`` / ``RmcReceived`` for each sentence whose checksum (XOR of
   every character between ``$`` and ``*``, two hex digits) checks and whose
   fields parse, in SI units and decimal degrees; ``SentenceRejected(reason,
   n_bytes)`` for every run of bytes thrown away.
2. A fix the receiver itself calls invalid is not a fix: GGA quality 0 and RMC
   status ``V`` are rejected as ``void`` (counted like any rejection), so no
   caller can mistake a held last position for a new one.
3. Other sentence types (GSA, GSV, VTG, ...) a receiver sends unasked are
   ``ignored`` rejections: counted, no error.
4. Resynchronisation: every ``$`` starts a new sentence, so garbage or a
   truncated sentence costs only itself. A sentence longer than ``MAX_LEN``
   (82 characters with ``$`` and CR LF, NMEA 0183) without its end is dropped
   as ``too_long``.
5. Byte accounting, always true::

       bytes_in == sentence_bytes + bytes_discarded + buffered

6. ``gga(...)`` and ``rmc(...)`` build sentences (the receiver emulator's
   side); what they build decodes to what went in, to the field's resolution.

==============  =========================================================
reason          cause
==============  =========================================================
``garbage``     bytes outside any ``$ ... <LF>`` sentence
``checksum``    missing or wrong checksum
``malformed``   a field that does not parse, or the wrong field count
``void``        GGA quality 0 or RMC status V (requirement 2)
``ignored``     a valid sentence of a type this decoder does not use
``too_long``    no line end within ``MAX_LEN`` bytes
``truncated``   ``eof()`` inside a sentence
==============  =========================================================
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GgaReceived", "RmcReceived", "SentenceRejected", "NmeaDecoder", "gga", "rmc", "checksum",
           "REJECT_REASONS", "MAX_LEN", "KNOT_MPS"]

#: Longest sentence, bytes, with ``$`` and CR LF (NMEA 0183).
MAX_LEN = 82
#: One knot, m/s (exact: 1852 m per hour).
KNOT_MPS = 1852.0 / 3600.0
REJECT_REASONS = ("garbage", "checksum", "malformed", "void", "ignored", "too_long", "truncated")


@dataclass(frozen=True, slots=True)
class GgaReceived:
    """GGA: position fix. ``utc_s`` seconds of the UTC day; ``alt_m`` above mean sea level;
    ``geoid_sep_m`` geoid above the WGS-84 ellipsoid (ellipsoid height = alt_m + geoid_sep_m)."""
    talker: str
    utc_s: float
    lat_deg: float
    lon_deg: float
    quality: int
    n_sats: int
    hdop: float | None
    alt_m: float
    geoid_sep_m: float | None


@dataclass(frozen=True, slots=True)
class RmcReceived:
    """RMC: recommended minimum. Speed over ground m/s, course over ground deg true (None
    when the receiver leaves it empty), date as (year, month, day)."""
    talker: str
    utc_s: float
    lat_deg: float
    lon_deg: float
    speed_mps: float
    course_deg: float | None
    date: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class SentenceRejected:
    reason: str
    n_bytes: int


def checksum(body: str | bytes) -> int:
    """XOR of every character between ``$`` and ``*``."""
    data = body.encode("ascii") if isinstance(body, str) else body
    c = 0
    for b in data:
        c ^= b
    return c


def _utc(field: str) -> float:
    if len(field) < 6:
        raise ValueError(field)
    h, m, s = int(field[0:2]), int(field[2:4]), float(field[4:])
    if not (0 <= h < 24 and 0 <= m < 60 and 0.0 <= s < 61.0):
        raise ValueError(field)
    return h * 3600.0 + m * 60.0 + s


def _angle(value: str, hemi: str, deg_digits: int, pos: str, neg: str) -> float:
    """ddmm.mmmm (or dddmm.mmmm) and N/S (E/W) -> signed decimal degrees."""
    if hemi not in (pos, neg) or len(value.split(".")[0]) != deg_digits + 2:
        raise ValueError(value)
    deg, minutes = int(value[:deg_digits]), float(value[deg_digits:])
    if not 0.0 <= minutes < 60.0:
        raise ValueError(value)
    out = deg + minutes / 60.0
    if out > (90.0 if deg_digits == 2 else 180.0):
        raise ValueError(value)
    return -out if hemi == neg else out


def _opt_float(field: str) -> float | None:
    return float(field) if field else None


def _parse_gga(talker: str, f: list[str]):
    if len(f) != 14:
        raise ValueError("GGA field count")
    quality = int(f[5]) if f[5] else 0
    if quality == 0:
        return None
    if f[9] != "M" or (f[10] and f[11] != "M"):
        raise ValueError("GGA unit")
    return GgaReceived(talker, _utc(f[0]), _angle(f[1], f[2], 2, "N", "S"), _angle(f[3], f[4], 3, "E", "W"),
                       quality, int(f[6]) if f[6] else 0, _opt_float(f[7]), float(f[8]), _opt_float(f[10]))


def _parse_rmc(talker: str, f: list[str]):
    if len(f) not in (11, 12, 13):            # 2.3 adds the mode indicator, 4.1 the navigational status
        raise ValueError("RMC field count")
    if f[1] == "V":
        return None
    if f[1] != "A" or len(f[8]) != 6:
        raise ValueError("RMC status or date")
    d, mo, y = int(f[8][0:2]), int(f[8][2:4]), int(f[8][4:6])
    if not (1 <= d <= 31 and 1 <= mo <= 12):
        raise ValueError("RMC date")
    return RmcReceived(talker, _utc(f[0]), _angle(f[2], f[3], 2, "N", "S"), _angle(f[4], f[5], 3, "E", "W"),
                       float(f[6]) * KNOT_MPS if f[6] else 0.0, _opt_float(f[7]),
                       (2000 + y if y < 80 else 1900 + y, mo, d))


_PARSERS = {"GGA": _parse_gga, "RMC": _parse_rmc}


class NmeaDecoder:
    """Requirements 1-5. ``counts``: rejections by reason; ``received``: sentences accepted."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.bytes_in = self.sentence_bytes = self.bytes_discarded = 0
        self.received = 0
        self.counts = dict.fromkeys(REJECT_REASONS, 0)

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _reject(self, out: list, reason: str, n: int) -> None:
        if n <= 0:
            return
        self.counts[reason] += 1
        self.bytes_discarded += n
        out.append(SentenceRejected(reason, n))

    def feed(self, data: bytes) -> list:
        self.bytes_in += len(data)
        self._buf += data
        out: list = []
        buf = self._buf
        while buf:
            if buf[0] != 0x24:                                   # '$'
                i = buf.find(b"$")
                n = len(buf) if i < 0 else i
                self._reject(out, "garbage", n)
                del buf[:n]
                continue
            nxt = buf.find(b"$", 1)
            end = buf.find(b"\n")
            if end >= 0 and (nxt < 0 or end < nxt):
                line = bytes(buf[:end + 1])
                del buf[:end + 1]
                self._sentence(out, line)
            elif nxt >= 0:                                       # a new '$' before this one ended
                self._reject(out, "too_long" if nxt > MAX_LEN else "truncated", nxt)
                del buf[:nxt]
            elif len(buf) > MAX_LEN:
                self._reject(out, "too_long", len(buf))
                buf.clear()
            else:
                break
        return out

    def eof(self) -> list:
        out: list = []
        if self._buf:
            self._reject(out, "truncated" if self._buf[0] == 0x24 else "garbage", len(self._buf))
            self._buf.clear()
        return out

    def _sentence(self, out: list, line: bytes) -> None:
        n = len(line)
        if n > MAX_LEN:
            self._reject(out, "too_long", n)
            return
        text = line.rstrip(b"\r\n")
        star = text.rfind(b"*")
        if star < 0 or len(text) - star != 3:
            self._reject(out, "checksum", n)
            return
        body = text[1:star]
        try:
            ok = int(text[star + 1:], 16) == checksum(body)
        except ValueError:
            ok = False
        if not ok:
            self._reject(out, "checksum", n)
            return
        try:
            fields = body.decode("ascii").split(",")
        except UnicodeDecodeError:
            self._reject(out, "malformed", n)
            return
        addr = fields[0]
        parser = _PARSERS.get(addr[-3:]) if len(addr) == 5 else None
        if parser is None:
            self._reject(out, "ignored", n)
            return
        try:
            ev = parser(addr[:2], fields[1:])
        except (ValueError, IndexError):
            self._reject(out, "malformed", n)
            return
        if ev is None:
            self._reject(out, "void", n)
            return
        self.sentence_bytes += n
        self.received += 1
        out.append(ev)


# ---- encoder (requirement 6) -------------------------------------------------------------
def _sentence(body: str) -> bytes:
    return f"${body}*{checksum(body):02X}\r\n".encode("ascii")


def _fmt_utc(utc_s: float) -> str:
    cs = round(utc_s * 100.0) % 8_640_000
    h, rem = divmod(cs, 360_000)
    m, rem = divmod(rem, 6000)
    return f"{h:02d}{m:02d}{rem // 100:02d}.{rem % 100:02d}"


def _fmt_angle(deg: float, deg_digits: int, pos: str, neg: str) -> tuple[str, str]:
    a = abs(deg)
    d = int(a)
    minutes = round((a - d) * 60.0, 5)
    if minutes >= 60.0:
        d, minutes = d + 1, 0.0
    return f"{d:0{deg_digits}d}{minutes:08.5f}", (pos if deg >= 0.0 else neg)


def gga(utc_s: float, lat_deg: float, lon_deg: float, alt_m: float, *, quality: int = 1, n_sats: int = 8,
        hdop: float = 1.0, geoid_sep_m: float = 0.0, talker: str = "GP") -> bytes:
    """A GGA sentence (quality 0 builds the receiver's "no fix" sentence: empty position)."""
    if quality == 0:
        return _sentence(f"{talker}GGA,{_fmt_utc(utc_s)},,,,,0,{n_sats:02d},,,M,,M,,")
    la, ns = _fmt_angle(lat_deg, 2, "N", "S")
    lo, ew = _fmt_angle(lon_deg, 3, "E", "W")
    return _sentence(f"{talker}GGA,{_fmt_utc(utc_s)},{la},{ns},{lo},{ew},{quality},{n_sats:02d},{hdop:.1f},"
                     f"{alt_m:.1f},M,{geoid_sep_m:.1f},M,,")


def rmc(utc_s: float, lat_deg: float, lon_deg: float, speed_mps: float, course_deg: float,
        date: tuple[int, int, int], *, valid: bool = True, talker: str = "GP") -> bytes:
    """An RMC sentence (NMEA 2.3 layout, mode indicator A, or N when void)."""
    y, mo, d = date
    if not valid:
        return _sentence(f"{talker}RMC,{_fmt_utc(utc_s)},V,,,,,,,{d:02d}{mo:02d}{y % 100:02d},,,N")
    la, ns = _fmt_angle(lat_deg, 2, "N", "S")
    lo, ew = _fmt_angle(lon_deg, 3, "E", "W")
    return _sentence(f"{talker}RMC,{_fmt_utc(utc_s)},A,{la},{ns},{lo},{ew},{speed_mps / KNOT_MPS:.2f},"
                     f"{course_deg % 360.0:.1f},{d:02d}{mo:02d}{y % 100:02d},,,A")
