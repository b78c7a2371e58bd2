"""Deorbit targeting (fsw/gnc/targeting.py): any reachable target, any release time.

Targets are placed from the orbit's geometry, not from where a flight landed: the
configured recovery box for releases 60 s early, on time and 60 s late (the dispersed
release time: in 60 s the Earth turns the ground track ~22 km east at 37 deg S, ~17 km
of it across the track), and points 300 km up and down the ground track from it and
8 km across it. Each must be hit by the predictor to 0.5 km with the yaw inside its
30 deg limit. A burn nearly half an orbit before splash has little cross-range reach
(~0.7 km per degree of yaw, ~20 km at 30 deg); a target 400 km across the track is out
of it and must be refused with that reason.
"""
import math

import pytest

from fsw.gnc.predictor import Burn, predict
from fsw.gnc.targeting import great_circle_km, miss_ne_km, search, solve

from test_predictor import VEH, circular

TARGET = (-37.32, -157.82)          # config/mission.yaml recovery box
DV_ALONG = 105.0


def offset(lat, lon, north_km, east_km):
    return (lat + math.degrees(north_km / 6371.0),
            lon + math.degrees(east_km / (6371.0 * math.cos(math.radians(lat)))))


def track_axes(target):
    """Unit (north, east) along the ground track near the target, and across it: from the
    yaw-free splash point's motion with the ignition time (the orbit's geometry)."""
    r, v = circular()
    p1, p2 = (predict(0.0, r, v, VEH, Burn(t, DV_ALONG)) for t in (1200.0, 1210.0))
    dn, de = miss_ne_km(p2, p1.splash_lat_deg, p1.splash_lon_deg)
    n = math.hypot(dn, de)
    return (dn / n, de / n), (de / n, -dn / n)


def cases():
    (an, ae), (cn, ce) = track_axes(TARGET)
    out = [("configured", TARGET, shift) for shift in (-60.0, 0.0, 60.0)]
    out += [("300 km up-track", offset(*TARGET, -300 * an, -300 * ae), 0.0),
            ("300 km down-track", offset(*TARGET, 300 * an, 300 * ae), 0.0),
            ("8 km cross-track", offset(*TARGET, 8 * cn, 8 * ce), 0.0)]
    return out


CASES = cases()


@pytest.mark.parametrize("name, target, release_shift_s", CASES, ids=[f"{c[0]} {c[2]:+.0f}s" for c in CASES])
def test_reachable_targets_are_hit_for_any_release_time(name, target, release_shift_s):
    """A release shifted in time puts the station elsewhere on its orbit against the rotating Earth."""
    r, v = circular(u_deg=math.degrees(release_shift_s * 1.13e-3))
    t_guess = search(0.0, r, v, VEH, *target, DV_ALONG, earliest_t_s=600.0, horizon_s=5600.0, samples_per_rev=24)
    sol = solve(0.0, r, v, VEH, *target, DV_ALONG, t_guess, earliest_t_s=600.0)
    assert sol.converged, sol.why
    assert sol.miss_km <= 0.5 and abs(sol.burn.yaw_deg) <= 30.0
    p = predict(0.0, r, v, VEH, sol.burn)
    assert great_circle_km(p.splash_lat_deg, p.splash_lon_deg, *target) <= 0.5
    # The corridor holds: the retrograde part of the delta-v is the planned one.
    assert sol.burn.dv_mps * math.cos(math.radians(sol.burn.yaw_deg)) == pytest.approx(DV_ALONG)


def test_target_out_of_cross_range_reach_is_refused_with_why():
    _, (cn, ce) = track_axes(TARGET)
    far = offset(*TARGET, 400 * cn, 400 * ce)
    r, v = circular()
    t_guess = search(0.0, r, v, VEH, *far, DV_ALONG, earliest_t_s=600.0, horizon_s=5600.0)
    sol = solve(0.0, r, v, VEH, *far, DV_ALONG, t_guess, earliest_t_s=600.0, max_yaw_deg=30.0)
    assert not sol.converged and "cross-range" in sol.why and sol.miss_km > 100.0


def test_ignition_never_before_the_earliest_time():
    r, v = circular()
    sol = solve(0.0, r, v, VEH, *TARGET, DV_ALONG, 100.0, earliest_t_s=2000.0)
    assert sol.burn.ignition_t_s >= 2000.0


def _solution(miss_km, converged, splash=True):
    from fsw.gnc.predictor import Burn, Prediction
    from fsw.gnc.targeting import Solution
    pr = Prediction(-37.0 if splash else None, -157.0 if splash else None, 3600.0 if splash else None, 1218.0, 18.0,
                    40e3, 3240.0, 7600.0, -1.3, 60.0, 700, "" if splash else "no entry")
    return Solution(Burn(1200.0, 105.0, 0.0), pr, miss_km, 10, converged, "" if converged else
                    f"predicted miss {miss_km:.1f} km after 10 iterations")


@pytest.mark.parametrize("miss_km, converged, splash, go", [
    (0.3, True, True, True),
    (2.1, False, True, True),        # the solver's 0.5 km tolerance not reached, the 5 km limit met
    (6.0, False, True, False),       # beyond the limit: no-go
    (math.inf, False, False, False), # no splash at all
])
def test_no_go_judges_the_miss_limit_not_the_solver_tolerance(miss_km, converged, splash, go):
    # Campaign mission_mc run 4 (seed 4242): 2.1 km after 10 iterations was a no-go and the
    # capsule never came home, though 2.1 km is inside guidance.max_miss_km (5 km).
    from fsw.gnc.targeting import no_go
    why = no_go(_solution(miss_km, converged, splash), 5.0, 100e3, 130.0)
    assert (why == "") == go, why
