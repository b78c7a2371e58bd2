"""Onboard deployment envelope: the software inhibit behind every pyro channel.

Requirements
INH-001  A pyro channel fires (autonomously or by a ground PYRO_FIRE without
         override) only inside its envelope, judged from the flight app's own
         records (the flight software cannot see truth):
         - drogue: the entry load peak has passed (g-arm) or the barometers
           read inside their range (fused altitude below ``CLAMP_ALT_M``, ~30 km);
         - main: the drogue is out, or the fused barometric altitude is at or
           below ``chutes.main_inhibit_alt_m`` (a main opened higher meets a
           dynamic pressure it is not rated for);
         - main_release, float: splashdown has been sensed.
INH-002  The phase table (fsw.pyro.ALLOWED_PHASES), the station inhibit and the
         fire-once rule are checked by the PyroManager before this; the pyro
         board's hardware arm (separation switch plus timer) is independent of
         all software.
"""
from __future__ import annotations

from fsw.records import AirDataRecord, EdlRecord, LandingRecord
from fsw.tasks.baro import CLAMP_ALT_M


def make_envelope(bus, params):
    """``envelope(channel) -> None | why`` over the bus records (INH-001)."""
    p = params.v

    def envelope(channel: str) -> str | None:
        air = bus.latest(AirDataRecord)
        edl = bus.latest(EdlRecord)
        alt = air.baro_alt_m if air.valid else None
        if channel == "drogue":
            if edl.g_arm_t_s is None and not (alt is not None and alt < CLAMP_ALT_M - 1.0):
                return "entry load peak not passed and the barometers not inside their range"
        elif channel == "main":
            if edl.drogue_t_s is None and not (alt is not None and alt <= p["chutes.main_inhibit_alt_m"]):
                return "no drogue and barometric altitude not below chutes.main_inhibit_alt_m"
        elif bus.latest(LandingRecord).splash_t_s is None:
            return "splashdown not sensed"
        return None
    return envelope
