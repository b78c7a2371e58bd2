"""GPS receiver emulator: the world's GPS model as NMEA 0183 RMC + GGA (hal/protocols/nmea.py).

Requirements
1. ``tick(t_s)`` writes one RMC and one GGA per ``1 / rate_hz`` from the in-process HAL
   GPS (``hal/sim_backend.py``: outages, blackout, reacquisition and scenario faults as
   in SIL). UTC of the epoch is ``utc0_s + t_s`` (seconds of day).
2. No fix: the receiver's own "no fix" sentences (GGA quality 0, RMC status V), as a
   real receiver sends them, so the line is never silent while the receiver is alive.
3. Altitude goes out as MSL with a geoid separation of ``geoid_sep_m`` (the flight side
   adds them back); speed and course over ground from the ECEF velocity.
"""
from __future__ import annotations

import math

from hal.protocols.nmea import gga, rmc


class GpsReceiverEmulator:
    def __init__(self, gps, port, rate_hz: float = 1.0, utc0_s: float = 0.0, date=(2026, 12, 2),
                 geoid_sep_m: float = 0.0):
        self.gps, self.port, self.period_s = gps, port, 1.0 / rate_hz
        self.utc0_s, self.date, self.geoid_sep_m = utc0_s, date, geoid_sep_m
        self._next_s = 0.0
        self.sentences_sent = 0

    def tick(self, t_s: float) -> None:
        if t_s + 1e-9 < self._next_s:
            return
        while self._next_s <= t_s + 1e-9:            # one epoch per tick: a late tick skips epochs
            self._next_s += self.period_s
        f = self.gps.read()
        utc = (self.utc0_s + t_s) % 86400.0
        if not f.valid:
            out = rmc(utc, 0, 0, 0, 0, self.date, valid=False) + gga(utc, 0, 0, 0, quality=0, n_sats=0)
        else:
            la, lo = math.radians(f.lat_deg), math.radians(f.lon_deg)
            vx, vy, vz = f.v_ecef_mps
            ve = -math.sin(lo) * vx + math.cos(lo) * vy
            vn = -math.sin(la) * math.cos(lo) * vx - math.sin(la) * math.sin(lo) * vy + math.cos(la) * vz
            course = math.degrees(math.atan2(ve, vn)) % 360.0
            out = (rmc(utc, f.lat_deg, f.lon_deg, math.hypot(ve, vn), course, self.date)
                   + gga(utc, f.lat_deg, f.lon_deg, f.alt_m - self.geoid_sep_m, n_sats=max(4, f.n_sats),
                         geoid_sep_m=self.geoid_sep_m))
        self.sentences_sent += 2
        self.port.write(out, t_s)
