"""Deorbit targeting: the ignition time, delta-v and burn yaw that put the predicted splash on the target.

Requirements
1. Unknowns: ignition time (moves the splash along the ground track, ~8 km per
   second) and burn yaw toward the orbit normal (moves it across: ~0.7 km per
   degree for a 105 m/s burn from 410 km, whose splash is nearly half an orbit
   later, where an out-of-plane velocity change has little effect; ~20 km of
   reach at 30 deg). The delta-v is chosen
   so that its retrograde component equals the corridor's ``dv_along_mps``
   (``dv = dv_along / cos(yaw)``): the entry flight-path angle and perigee stay
   those of the planned corridor whatever the yaw.
2. ``search`` scans ignition times over a horizon (``samples_per_rev`` per orbit)
   for the pass whose yaw-free splash comes closest to the target; ``solve``
   refines from a guess by Newton iteration on the north/east miss with a
   finite-difference Jacobian, steps limited, until the miss is below
   ``tol_km``.
3. A target is reachable when the solution converges with |yaw| <= ``max_yaw_deg``
   and ignition at or after ``earliest_t_s``; otherwise the solution says why and
   ``converged`` is False (the go/no-go refuses it).
4. Pure computation (sans-IO); every prediction is fsw/gnc/predictor.py.
   ``solve_iter`` is the sliced form a cooperative task drives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fsw.gnc.predictor import Burn, Prediction, VehicleData, predict_iter, run_to_end

#: Mean Earth radius for miss distances, km.
EARTH_R_KM = 6371.0
#: Finite-difference steps of the Jacobian: ignition time (s), yaw (deg).
D_T_S, D_YAW_DEG = 2.0, 1.0
#: Newton step limits per iteration: ignition time (s), yaw (deg).
MAX_DT_S, MAX_DYAW_DEG = 120.0, 10.0


@dataclass(frozen=True, slots=True)
class Solution:
    """A targeted burn and its prediction."""
    burn: Burn
    prediction: Prediction
    miss_km: float
    iterations: int
    converged: bool
    why: str = ""


def no_go(sol: "Solution", max_miss_km: float, max_perigee_alt_m: float, max_dv_mps: float) -> str:
    """Go/no-go of a solution: '' when it may fly, else the first failed check (converged, or
    short of convergence with a splash inside the miss limit; predicted miss, post-burn
    perigee, dv against the propellant, each at most its limit)."""
    pr = sol.prediction
    # A solution the Newton iteration left short of its 0.5 km tolerance still flies when its
    # own prediction (a full splash) lands within the miss limit: the limit is the go/no-go
    # criterion, the tolerance only the solver's stopping rule.
    if not sol.converged and not (pr.splash_lat_deg is not None and sol.miss_km <= max_miss_km):
        return sol.why
    if sol.miss_km > max_miss_km:
        return f"predicted miss {sol.miss_km:.1f} km above {max_miss_km:g} km"
    if pr.perigee_alt_m > max_perigee_alt_m:
        return f"predicted perigee {pr.perigee_alt_m / 1000:.1f} km above {max_perigee_alt_m / 1000:g} km"
    if sol.burn.dv_mps > max_dv_mps:
        return f"dv {sol.burn.dv_mps:.1f} m/s above the propellant limit {max_dv_mps:g} m/s"
    return ""


def miss_ne_km(p: Prediction, lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Predicted splash minus target, km north and east (local flat approximation)."""
    dn = math.radians(p.splash_lat_deg - lat_deg) * EARTH_R_KM
    dlon = (p.splash_lon_deg - lon_deg + 180.0) % 360.0 - 180.0
    de = math.radians(dlon) * EARTH_R_KM * math.cos(math.radians(lat_deg))
    return dn, de


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """Haversine distance, km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_R_KM * math.asin(min(1.0, math.sqrt(a)))


def _burn(t_ig: float, yaw_deg: float, dv_along_mps: float) -> Burn:
    return Burn(t_ig, dv_along_mps / math.cos(math.radians(yaw_deg)), yaw_deg)


def _miss(p: Prediction, lat, lon) -> float:
    return math.inf if p.splash_lat_deg is None else great_circle_km(p.splash_lat_deg, p.splash_lon_deg, lat, lon)


def search(t_s, r, v, veh: VehicleData, lat_deg, lon_deg, dv_along_mps: float, earliest_t_s: float,
           horizon_s: float, *, samples_per_rev: int = 16, density_scale: float = 1.0) -> float:
    """Ignition time (s) within [earliest, earliest + horizon] whose yaw-free splash is nearest the target."""
    period = 2.0 * math.pi * math.sqrt(max(1.0, sum(c * c for c in r)) ** 3 / 3.986004418e14)
    n = max(2, int(math.ceil(horizon_s / period * samples_per_rev)))
    best_t, best = earliest_t_s, math.inf
    for i in range(n + 1):
        t_ig = earliest_t_s + horizon_s * i / n
        d = _miss(run_to_end(predict_iter(t_s, r, v, veh, _burn(t_ig, 0.0, dv_along_mps),
                                          density_scale=density_scale)), lat_deg, lon_deg)
        if d < best:
            best_t, best = t_ig, d
    return best_t


def solve(t_s, r, v, veh: VehicleData, lat_deg, lon_deg, dv_along_mps: float, t_guess_s: float, *,
          earliest_t_s: float, max_yaw_deg: float = 30.0, tol_km: float = 0.5, max_iter: int = 10,
          density_scale: float = 1.0) -> Solution:
    """Newton refinement of (ignition time, yaw) from t_guess_s (requirement 2)."""
    return run_to_end(solve_iter(t_s, r, v, veh, lat_deg, lon_deg, dv_along_mps, t_guess_s,
                                 earliest_t_s=earliest_t_s, max_yaw_deg=max_yaw_deg, tol_km=tol_km,
                                 max_iter=max_iter, density_scale=density_scale))


def solve_iter(t_s, r, v, veh: VehicleData, lat_deg, lon_deg, dv_along_mps: float, t_guess_s: float, *,
               earliest_t_s: float, max_yaw_deg: float = 30.0, tol_km: float = 0.5, max_iter: int = 10,
               density_scale: float = 1.0):
    """``solve`` as a sliced computation (fsw/gnc/predictor.py ``predict_iter``); returns the Solution."""
    t_ig, yaw = max(t_guess_s, earliest_t_s), 0.0

    def fly(t_ig_, yaw_):
        return (yield from predict_iter(t_s, r, v, veh, _burn(t_ig_, yaw_, dv_along_mps), density_scale=density_scale))

    p = yield from fly(t_ig, yaw)
    for it in range(1, max_iter + 1):
        if p.splash_lat_deg is None:
            return Solution(_burn(t_ig, yaw, dv_along_mps), p, math.inf, it, False, f"no splash: {p.why}")
        m = miss_ne_km(p, lat_deg, lon_deg)
        miss = math.hypot(*m)
        if miss <= tol_km:
            break
        pt = yield from fly(t_ig + D_T_S, yaw)
        py = yield from fly(t_ig, yaw + D_YAW_DEG)
        if pt.splash_lat_deg is None or py.splash_lat_deg is None:
            return Solution(_burn(t_ig, yaw, dv_along_mps), p, miss, it, False, "no splash in a Jacobian probe")
        mt, my = miss_ne_km(pt, lat_deg, lon_deg), miss_ne_km(py, lat_deg, lon_deg)
        a, c = (mt[0] - m[0]) / D_T_S, (mt[1] - m[1]) / D_T_S          # d(north, east)/d t_ig
        b, d = (my[0] - m[0]) / D_YAW_DEG, (my[1] - m[1]) / D_YAW_DEG  # d(north, east)/d yaw
        det = a * d - b * c
        if abs(det) < 1e-12:
            return Solution(_burn(t_ig, yaw, dv_along_mps), p, miss, it, False, "singular targeting Jacobian")
        dt = -(d * m[0] - b * m[1]) / det
        dy = -(-c * m[0] + a * m[1]) / det
        t_ig = max(earliest_t_s, t_ig + max(-MAX_DT_S, min(MAX_DT_S, dt)))
        yaw = max(-max_yaw_deg, min(max_yaw_deg, yaw + max(-MAX_DYAW_DEG, min(MAX_DYAW_DEG, dy))))
        p = yield from fly(t_ig, yaw)
    else:
        it = max_iter
    miss = _miss(p, lat_deg, lon_deg)
    burn = _burn(t_ig, yaw, dv_along_mps)
    if miss > tol_km:
        why = f"predicted miss {miss:.1f} km after {it} iterations"
        if abs(yaw) >= max_yaw_deg - 1e-9:
            why += f" (yaw at its {max_yaw_deg:g} deg limit: target out of cross-range reach on this pass)"
        return Solution(burn, p, miss, it, False, why)
    return Solution(burn, p, miss, it, True)
