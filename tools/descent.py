"""Ground forecast of the descent's wind drift (``elsrs plan``): the figure the flight's
``guidance.drift_*`` parameters carry.

Requirements
1. From the drogue Mach point's altitude down to the sea, the capsule falls at its
   terminal speed sqrt(2 m g / (rho CdA)): capsule and drogue above
   ``chutes.main_alt_m``, capsule and main below (US76 density, the vehicle's
   canopy areas, the capsule's entry mass), and moves with the wind: the drift is
   the integral of wind(h) / v_t(h) dh. Inflation transients, the transonic
   deceleration from the drogue Mach and the capsule's own lift are left out
   (tests/tools/test_plan.py measures what that leaves against the simulator).
2. Sans-IO: a wind profile (sim/winds.py) and a vehicle model in, metres out.
"""
from __future__ import annotations

import math

from fsw.flightmath import G0
from sim.atmosphere import us76
from sim.vehicle import VehicleModel
from sim.winds import WindProfile

#: Integration step in altitude, m.
STEP_M = 50.0


def descent_drift_m(wind: WindProfile | None, vehicle: VehicleModel, drogue_alt_m: float,
                    main_alt_m: float) -> tuple[float, float]:
    """(east, north) drift m of a descent from ``drogue_alt_m`` to the sea (requirement 1)."""
    if wind is None or drogue_alt_m <= 0.0:
        return 0.0, 0.0
    east = north = 0.0
    m = vehicle.entry_mass_kg
    capsule = vehicle.cd(0.3) * vehicle.ref_area_m2
    h = drogue_alt_m
    while h > 0.0:
        dh = min(STEP_M, h)
        mid = h - 0.5 * dh
        cda = capsule + (vehicle.drogue.cd_area_m2 if mid > main_alt_m else vehicle.main.cd_area_m2)
        rho = float(us76(mid).density_kg_m3)
        v_t = math.sqrt(2.0 * m * G0 / (rho * cda))
        we, wn = wind.enu(mid)
        east += we * dh / v_t
        north += wn * dh / v_t
        h -= dh
    return east, north
