"""Recovery beacon task (1 Hz): position reports over Iridium SBD after landing.

Requirements
1. In LANDED and in SAFE, a report every ``beacon.period_s``, the first at
   once; after a failed session, retry after ``beacon.retry_s``. The report
   carries the phase, so the ground tells a SAFE hold from a landed capsule.
2. Position from the latest valid GPS fix, else the nav estimate, else none
   (the report still goes: a beacon works whatever else failed - Beagle 2).
3. A session starts only with at least ``beacon.min_bars`` of signal.
4. Report layout (``REPORT``, big-endian, 20 bytes) is fixed with construct and
   decoded by the ground tools with the same definition.
"""
from __future__ import annotations

from construct import Const, Int8ub, Int16ub, Int32sb, Int32ub, Struct

from fsw.events import Severity
from fsw.flightmath import eci_to_latlonalt
from fsw.phases import Phase
from fsw.records import GpsRecord, NavRecord

REPORT = Struct(
    "magic" / Const(b"EB"),
    "version" / Const(1, Int8ub),
    "seq" / Int16ub,
    "t_s" / Int32ub,            # mission elapsed time, s
    "lat_e7" / Int32sb,         # latitude, 1e-7 deg
    "lon_e7" / Int32sb,         # longitude, 1e-7 deg
    "source" / Int8ub,          # 0 none, 1 GPS, 2 nav estimate
    "phase" / Int8ub,           # index in fsw.phases.Phase
    "battery_pct" / Int8ub,
)
_PHASES = list(Phase)
_ACTIVE = (Phase.LANDED, Phase.SAFE)


class BeaconTask:
    name = "beacon"
    PARAMS = ("beacon.period_s", "beacon.retry_s", "beacon.min_bars")

    def __init__(self, ctx, period_s: float):
        self.ctx = ctx
        self.seq = 0
        self.sent = 0
        self.failed = 0
        self.first_sent_t_s: float | None = None
        self._next_t_s: float | None = None

    def run(self, t_s: float) -> None:
        ctx, p = self.ctx, self.ctx.params.v
        if ctx.phases.phase not in _ACTIVE:
            self._next_t_s = None
            return
        if self._next_t_s is None:
            self._next_t_s = t_s
        if t_s < self._next_t_s:
            return
        bars = ctx.hal.iridium.signal_bars()
        if bars < p["beacon.min_bars"]:
            self._next_t_s = t_s + p["beacon.retry_s"]
            return
        payload = self.report(t_s)
        rep = REPORT.parse(payload)
        res = ctx.hal.iridium.send_sbd(payload)
        if res.sent:
            self.sent += 1
            if self.first_sent_t_s is None:
                self.first_sent_t_s = t_s
            self._next_t_s = t_s + p["beacon.period_s"]
            # The reported position rides along in the event, so the ground's recovery view can
            # set it against the splash forecast without the Iridium gateway's copy.
            ctx.events.emit(Severity.ACTIVITY_LO, "BEACON_SENT", f"report {self.seq} sent (MOMSN {res.momsn})",
                            seq=self.seq, momsn=res.momsn, lat_deg=rep.lat_e7 * 1e-7, lon_deg=rep.lon_e7 * 1e-7,
                            source=("none", "gps", "nav")[rep.source])
            self.seq = (self.seq + 1) & 0xFFFF
        else:
            self.failed += 1
            self._next_t_s = t_s + p["beacon.retry_s"]
            ctx.events.emit(Severity.WARNING_LO, "BEACON_FAILED", f"SBD session failed, MO status {res.mo_status}",
                            mo_status=res.mo_status)

    def report(self, t_s: float) -> bytes:
        """Build one position report."""
        bus = self.ctx.bus
        gps, nav = bus.latest(GpsRecord), bus.latest(NavRecord)
        lat = lon = 0.0
        src = 0
        if gps.fix is not None and gps.fix.valid:
            lat, lon, src = gps.fix.lat_deg, gps.fix.lon_deg, 1
        elif nav.valid:
            lat, lon, _ = eci_to_latlonalt(nav.r_eci_m, t_s)
            src = 2
        soc = self.ctx.hal.power.read().battery_soc
        return REPORT.build(dict(seq=self.seq, t_s=int(t_s), lat_e7=int(round(lat * 1e7)),
                                 lon_e7=int(round(lon * 1e7)), source=src,
                                 phase=_PHASES.index(self.ctx.phases.phase),
                                 battery_pct=max(0, min(100, int(soc * 100)))))

    def telemetry(self) -> dict:
        return {"beacon_messages": self.sent}
