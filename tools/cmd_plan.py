"""``elsrs plan``: ground deorbit planning with the flight predictor (tools/plan.py).

Exit status: 0 a plan that passes the onboard go/no-go; 1 no plan reaches the
target (the reason is printed); 2 bad input, with one line naming it.
"""
from __future__ import annotations

import json

from fsw.schema import ConfigError


def add_arguments(p) -> None:
    p.add_argument("--scenario", default="config/scenarios/nominal.yaml", metavar="FILE",
                   help="scenario giving the release state, mission and vehicle (default: nominal)")
    p.add_argument("--target", default=None, metavar="LAT,LON",
                   help="target splash point in degrees (default: the mission's target)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")


def _target(text: str | None):
    if text is None:
        return None
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise ConfigError("--target", "", f"expected LAT,LON in degrees, got {text!r}") from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ConfigError("--target", "", f"expected latitude in [-90, 90] and longitude in [-180, 180], got {text!r}")
    return lat, lon


def run(args) -> int:
    from sim.scenario import load_scenario
    from tools.plan import plan, render
    target = _target(args.target)
    d = plan(load_scenario(args.scenario), target)
    if args.json:
        print(json.dumps(d, indent=1))
    else:
        print("\n".join(render(d)))
    return 0 if d["go"] else 1
