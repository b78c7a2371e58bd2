"""hal/protocols/nmea.py: the published example sentences, rejections with resync and byte
accounting, interoperability both ways with pynmea2 (an independent parser and builder), and
a fuzz of random and mutated bytes."""
from __future__ import annotations

import random

import pynmea2
import pytest

from hal.protocols.nmea import (KNOT_MPS, GgaReceived, NmeaDecoder, RmcReceived, SentenceRejected, checksum, gga,
                                rmc)

# NMEA 0183 examples as published (REFERENCES.md; gpsinformation.org "NMEA data", D. DePriest).
GGA_EXAMPLE = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
RMC_EXAMPLE = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"


def accounted(d: NmeaDecoder) -> bool:
    return d.bytes_in == d.sentence_bytes + d.bytes_discarded + d.buffered


def test_published_gga_example():
    """12:35:19 UTC, 48 deg 07.038' N, 11 deg 31.000' E, GPS fix, 8 satellites, HDOP 0.9,
    545.4 m above mean sea level, geoid 46.9 m above the ellipsoid; checksum 0x47."""
    assert checksum(GGA_EXAMPLE[1:-5]) == 0x47
    (ev,) = NmeaDecoder().feed(GGA_EXAMPLE)
    assert isinstance(ev, GgaReceived) and ev.talker == "GP"
    assert ev.utc_s == 12 * 3600 + 35 * 60 + 19
    assert ev.lat_deg == pytest.approx(48 + 7.038 / 60, abs=1e-12)
    assert ev.lon_deg == pytest.approx(11 + 31.0 / 60, abs=1e-12)
    assert (ev.quality, ev.n_sats, ev.hdop, ev.alt_m, ev.geoid_sep_m) == (1, 8, 0.9, 545.4, 46.9)


def test_published_rmc_example():
    """Active, 22.4 knots over ground, course 84.4 deg true, 23 March 1994; checksum 0x6A."""
    assert checksum(RMC_EXAMPLE[1:-5]) == 0x6A
    (ev,) = NmeaDecoder().feed(RMC_EXAMPLE)
    assert isinstance(ev, RmcReceived)
    assert ev.speed_mps == pytest.approx(22.4 * 1852 / 3600, abs=1e-12)     # 11.52 m/s
    assert (ev.course_deg, ev.date) == (84.4, (1994, 3, 23))
    assert ev.lat_deg == pytest.approx(48.1173) and ev.lon_deg == pytest.approx(11.516667, abs=1e-6)


def test_south_and_west_are_negative():
    ev = NmeaDecoder().feed(gga(0.0, -37.5, -157.25, 10.0))[0]
    assert ev.lat_deg == pytest.approx(-37.5) and ev.lon_deg == pytest.approx(-157.25)


def test_void_fixes_are_rejected_not_reported():
    d = NmeaDecoder()
    out = d.feed(gga(100.0, 0.0, 0.0, 0.0, quality=0) + rmc(100.0, 0, 0, 0, 0, (2026, 12, 2), valid=False))
    assert [type(e) for e in out] == [SentenceRejected, SentenceRejected]
    assert [e.reason for e in out] == ["void", "void"] and d.counts["void"] == 2 and d.received == 0
    assert accounted(d)


def test_bad_checksum_garbage_and_truncation_cost_only_themselves():
    bad = GGA_EXAMPLE.replace(b"*47", b"*48")
    cut = RMC_EXAMPLE[:30]                                  # a sentence cut off by the next '$'
    d = NmeaDecoder()
    out = d.feed(b"\x00\xffnoise" + bad + cut + GGA_EXAMPLE + b"$GPGSV,1,1,00*79\r\n" + RMC_EXAMPLE)
    kinds = [e.reason if isinstance(e, SentenceRejected) else type(e).__name__ for e in out]
    assert kinds == ["garbage", "checksum", "truncated", "GgaReceived", "ignored", "RmcReceived"]
    assert out[0].n_bytes == 7 and out[1].n_bytes == len(bad) and out[2].n_bytes == 30
    assert accounted(d) and d.buffered == 0


def test_a_sentence_split_anywhere_decodes_once():
    for cut in range(1, len(GGA_EXAMPLE)):
        d = NmeaDecoder()
        out = d.feed(GGA_EXAMPLE[:cut]) + d.feed(GGA_EXAMPLE[cut:])
        assert len(out) == 1 and isinstance(out[0], GgaReceived), cut
        assert accounted(d)


def test_an_endless_line_is_dropped_as_too_long():
    d = NmeaDecoder()
    out = d.feed(b"$GPGGA," + b"1" * 200)
    assert [e.reason for e in out] == ["too_long"] and d.buffered == 0 and accounted(d)
    assert isinstance(d.feed(GGA_EXAMPLE)[0], GgaReceived)


def test_malformed_fields_are_rejected():
    for body in ("GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",   # hemisphere
                 "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,abc,M,46.9,M,,",     # altitude
                 "GPGGA,256199,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",   # hour 25
                 "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,231394,003.1,W",  # month 13
                 "GPGGA,123519,4807.038,N"):                                         # too few fields
        out = NmeaDecoder().feed(f"${body}*{checksum(body):02X}\r\n".encode())
        assert [e.reason for e in out] == ["malformed"], body


# ---- interoperability with pynmea2 -------------------------------------------------------
@pytest.mark.parametrize("lat,lon,alt", [(-37.3123, -157.8051, 12.5), (51.4779, -0.0015, 45.0),
                                         (0.0001, 179.9999, -3.2), (-89.9, 0.5, 8848.9)])
def test_our_sentences_parse_in_pynmea2(lat, lon, alt):
    g = pynmea2.parse(gga(45296.25, lat, lon, alt, n_sats=11, hdop=0.8, geoid_sep_m=-24.1).decode().strip(),
                      check=True)
    assert (g.latitude, g.longitude) == (pytest.approx(lat, abs=1e-7), pytest.approx(lon, abs=1e-7))
    assert float(g.altitude) == pytest.approx(alt) and int(g.num_sats) == 11 and int(g.gps_qual) == 1
    assert (g.timestamp.hour, g.timestamp.minute, g.timestamp.second) == (12, 34, 56)
    r = pynmea2.parse(rmc(45296.25, lat, lon, 7.5, 271.0, (2026, 12, 2)).decode().strip(), check=True)
    assert r.status == "A" and float(r.spd_over_grnd) == pytest.approx(7.5 / KNOT_MPS, abs=0.006)
    assert r.datestamp.isoformat() == "2026-12-02" and float(r.true_course) == 271.0


def test_pynmea2_sentences_parse_here():
    g = pynmea2.GGA("GN", "GGA", ("092750.000", "5321.6802", "N", "00630.3372", "W", "1", "08", "1.03",
                                  "61.7", "M", "55.2", "M", "", ""))
    r = pynmea2.RMC("GN", "RMC", ("092750.000", "A", "5321.6802", "N", "00630.3372", "W", "0.02", "31.66",
                                  "280511", "", "", "A"))
    out = NmeaDecoder().feed((str(g) + "\r\n" + str(r) + "\r\n").encode())
    assert [type(e) for e in out] == [GgaReceived, RmcReceived]
    assert out[0].talker == "GN" and out[0].lat_deg == pytest.approx(g.latitude, abs=1e-12)
    assert out[0].lon_deg == pytest.approx(g.longitude, abs=1e-12) and out[0].alt_m == 61.7
    assert out[1].date == (2011, 5, 28) and out[1].course_deg == 31.66


# ---- fuzz --------------------------------------------------------------------------------
def test_fuzz_random_and_mutated_bytes():
    """20 000 chunks: valid sentences, mutated ones (bit flips, cuts, inserts) and random bytes.
    No exception; every byte accounted for; every sentence accepted was a valid one fed whole."""
    rng = random.Random(20261202)
    d = NmeaDecoder()
    valid = [GGA_EXAMPLE, RMC_EXAMPLE, gga(1.0, -37.3, -157.8, 5.0), rmc(2.0, 10.0, 20.0, 3.0, 90.0, (2026, 1, 1))]
    fed_whole = 0
    for _ in range(20_000):
        s = bytearray(rng.choice(valid))
        kind = rng.random()
        if kind < 0.3:
            fed_whole += 1
        elif kind < 0.55:
            s[rng.randrange(len(s))] ^= 1 << rng.randrange(8)
        elif kind < 0.7:
            s = s[:rng.randrange(1, len(s))]
        elif kind < 0.85:
            s[rng.randrange(len(s)):rng.randrange(len(s))] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
        else:
            s = bytearray(rng.randbytes(rng.randrange(1, 40)))
        for ev in d.feed(bytes(s)):
            assert isinstance(ev, (GgaReceived, RmcReceived, SentenceRejected))
        assert accounted(d)
    d.eof()
    assert accounted(d) and d.buffered == 0
    # A flipped bit almost always breaks the checksum; a whole valid sentence is accepted unless
    # garbage with no line end ran into it: accepted at most whole + the rare undetected flips.
    assert 0.8 * fed_whole < d.received <= fed_whole * 1.05
