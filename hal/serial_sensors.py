"""Serial HAL devices of the sensor board and the GPS receiver (issue 10 item 3).

Requirements
1. Each device polls its line (``hal/serial_port.py``) when read, feeds the bytes to
   its sans-IO codec (``hal/protocols``) and keeps the newest message, stamped with
   the flight clock at its arrival (``now_s()``, s).
2. A reading is ``valid`` only if its message is at most ``stale_s`` old and the
   board flags it good: a silent line (a pulled cable, a dead board) makes every
   reading invalid within ``stale_s``, never a held value passed off as new.
3. The sensor board's IMU and barometers share one line and one decoder: whichever
   device is read first each cycle drains the line for all of them.
4. Codec rejections and lost frames stay counted in the codec; ``telemetry()`` gives
   the line's and the codec's counters.
5. The GPS device turns each valid GGA into a ``GpsFix`` (altitude above the WGS-84
   ellipsoid: MSL altitude plus the geoid separation), with its ECEF position; the
   velocity comes from the RMC of the same epoch (horizontal: speed and course over
   ground), vertical from successive GGA altitudes over at least ``min_dt_s``.
"""
from __future__ import annotations

import math

from hal.devices import BaroSample, GpsFix, ImuSample
from hal.protocols.nmea import GgaReceived, NmeaDecoder, RmcReceived
from hal.protocols.sensor_board import BaroFrame, ImuFrame, SensorBoardDecoder

#: WGS-84 ellipsoid (NIMA TR8350.2).
WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
_E2 = WGS84_F * (2.0 - WGS84_F)


def geodetic_to_ecef(lat_deg: float, lon_deg: float, h_m: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    n = WGS84_A_M / math.sqrt(1.0 - _E2 * math.sin(la) ** 2)
    return ((n + h_m) * math.cos(la) * math.cos(lo), (n + h_m) * math.cos(la) * math.sin(lo),
            (n * (1.0 - _E2) + h_m) * math.sin(la))


class SensorBoardLink:
    """Requirements 1, 3, 4: the board's line, decoded; the newest IMU frame and baro frame per unit."""

    def __init__(self, port, now_s, stale_s: float = 0.1):
        self.port, self.now_s, self.stale_s = port, now_s, stale_s
        self.decoder = SensorBoardDecoder()
        self.imu: tuple[float, ImuFrame] | None = None
        self.baro: dict[int, tuple[float, BaroFrame]] = {}
        self._polled_s: float | None = None

    def poll(self) -> float:
        t = self.now_s()
        if t != self._polled_s:
            self._polled_s = t
            for ev in self.decoder.feed(self.port.poll(t)):
                if isinstance(ev, ImuFrame):
                    self.imu = (t, ev)
                elif isinstance(ev, BaroFrame):
                    self.baro[ev.unit] = (t, ev)
        return t

    def telemetry(self) -> dict:
        d = self.decoder
        return {**self.port.telemetry(), "frames": d.frames, "rejected": sum(d.rejects.values()),
                "lost": sum(d.lost.values())}


class SerialImu:
    """Requirement 2."""

    def __init__(self, link: SensorBoardLink):
        self.link = link

    def read(self) -> ImuSample:
        t = self.link.poll()
        if self.link.imu is None:
            return ImuSample(t, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)
        t_rx, f = self.link.imu
        ok = f.gyro_ok and f.accel_ok and t - t_rx <= self.link.stale_s
        return ImuSample(t_rx, f.gyro_radps, f.accel_mps2, ok)


class SerialBaro:
    """Requirement 2, for barometer ``unit``."""

    def __init__(self, link: SensorBoardLink, unit: int, stale_s: float = 0.3):
        self.link, self.unit, self.stale_s = link, unit, stale_s

    def read(self) -> BaroSample:
        t = self.link.poll()
        got = self.link.baro.get(self.unit)
        if got is None:
            return BaroSample(t, float("nan"), False)
        t_rx, f = got
        return BaroSample(t_rx, f.pressure_pa, f.ok and t - t_rx <= self.stale_s)


class SerialGps:
    """Requirements 1, 2, 5."""

    def __init__(self, port, now_s, stale_s: float = 1.5, min_dt_s: float = 0.5):
        self.port, self.now_s, self.stale_s, self.min_dt_s = port, now_s, stale_s, min_dt_s
        self.decoder = NmeaDecoder()
        self._fix: GpsFix | None = None
        self._rmc: RmcReceived | None = None
        self._last_alt: tuple[float, float] | None = None      # (utc_s, ellipsoid height m) of the last GGA
        self._vu_mps = 0.0

    def read(self) -> GpsFix:
        t = self.now_s()
        for ev in self.decoder.feed(self.port.poll(t)):
            if isinstance(ev, RmcReceived):
                self._rmc = ev
            elif isinstance(ev, GgaReceived):
                self._fix = self._make(t, ev)
        f = self._fix
        if f is None:
            return GpsFix(t, False)
        if t - f.t_s > self.stale_s:
            return GpsFix(f.t_s, False, f.lat_deg, f.lon_deg, f.alt_m, f.r_ecef_m, f.v_ecef_mps, f.n_sats)
        return f

    def _make(self, t_rx: float, g: GgaReceived) -> GpsFix:
        h = g.alt_m + (g.geoid_sep_m or 0.0)
        if self._last_alt is not None:
            dt = (g.utc_s - self._last_alt[0]) % 86400.0
            if dt >= self.min_dt_s:
                self._vu_mps = (h - self._last_alt[1]) / dt
                self._last_alt = (g.utc_s, h)
        else:
            self._last_alt = (g.utc_s, h)
        r = self._rmc
        ve = vn = 0.0
        if r is not None and abs(r.utc_s - g.utc_s) < 1e-3 and r.course_deg is not None:
            c = math.radians(r.course_deg)
            ve, vn = r.speed_mps * math.sin(c), r.speed_mps * math.cos(c)
        la, lo = math.radians(g.lat_deg), math.radians(g.lon_deg)
        vu = self._vu_mps
        # ENU -> ECEF
        v = (-math.sin(lo) * ve - math.sin(la) * math.cos(lo) * vn + math.cos(la) * math.cos(lo) * vu,
             math.cos(lo) * ve - math.sin(la) * math.sin(lo) * vn + math.cos(la) * math.sin(lo) * vu,
             math.cos(la) * vn + math.sin(la) * vu)
        return GpsFix(t_rx, True, g.lat_deg, g.lon_deg, h, geodetic_to_ecef(g.lat_deg, g.lon_deg, h), v, g.n_sats)

    def telemetry(self) -> dict:
        d = self.decoder
        return {**self.port.telemetry(), "sentences": d.received, "rejected": sum(d.counts.values())}
