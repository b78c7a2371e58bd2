"""report.md and the figures of a campaign.

Footprint: every splash point (any result) is projected into the local tangent
plane (east, north, km) at the mission target: ECEF difference of the two
WGS84 points at zero altitude, dotted with the target's east and north axes.
The dispersion ellipse is that of the sample covariance C of those points,
centred on their mean: semi-axes 3 sqrt(eigenvalues of C) ("3 sigma"; for a
bivariate normal it holds 98.9 % of the points), orientation of the major
axis from the eigenvector. It needs at least 3 splash points.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from sim.earth import enu_axes, geodetic_to_ecef
from fsw.params import flatten
from tools.montecarlo import plots
from tools.timer_window import TIMER_PARAMS, timer_margins
from tools.verdict import SPLASH_SPEED_LIMIT_MPS

RESULTS = ("landed", "safe_abort", "failed")
#: Plots written by ``write_report`` (file -> what it shows).
FIGURES = {
    "footprint.png": "splash footprint with the target and the 3-sigma ellipse",
    "peak_load.png": "peak sensed load during entry",
    "splash_speed.png": "vertical splashdown speed, against the verdict's limit",
    "chute_deploy.png": "drogue and main deploy conditions (Mach, q, altitude)",
}
#: Statistics rows of the report: (column, label, unit, scale).
STAT_ROWS = (
    ("miss_km", "miss distance", "km", 1.0),
    ("peak_load_g", "peak load", "g", 1.0),
    ("peak_heat_flux_w_m2", "peak heat flux", "W/cm^2", 1e-4),
    ("peak_q_pa", "peak dynamic pressure", "kPa", 1e-3),
    ("drogue_mach", "drogue deploy Mach", "-", 1.0),
    ("drogue_q_pa", "drogue deploy q", "Pa", 1.0),
    ("drogue_alt_m", "drogue deploy altitude", "km", 1e-3),
    ("main_mach", "main deploy Mach", "-", 1.0),
    ("main_q_pa", "main deploy q", "Pa", 1.0),
    ("main_alt_m", "main deploy altitude", "km", 1e-3),
    ("splash_speed_mps", "splash speed", "m/s", 1.0),
    ("splash_vertical_speed_mps", "vertical splash speed", "m/s", 1.0),
    ("burn_dv_mps", "deorbit burn delta-v", "m/s", 1.0),
    ("sim_time_s", "simulated time", "s", 1.0),
    ("wall_time_s", "wall time per run", "s", 1.0),
)


def outcome_counts(rows) -> dict[str, int]:
    c = Counter(r["result"] for r in rows)
    out = {k: c.get(k, 0) for k in RESULTS}
    out.update({k: v for k, v in sorted(c.items()) if k not in out})
    return out


def tangent_plane_km(lat_deg, lon_deg, lat0_deg: float, lon0_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(east, north) km of points relative to (lat0, lon0), local tangent plane at zero altitude."""
    p0 = np.array(geodetic_to_ecef(lat0_deg, lon0_deg, 0.0))
    e, n, _ = (np.array(v) for v in enu_axes(lat0_deg, lon0_deg))
    pts = np.array([geodetic_to_ecef(a, b, 0.0) for a, b in zip(lat_deg, lon_deg)]).reshape(-1, 3) - p0
    return pts @ e / 1000.0, pts @ n / 1000.0


def dispersion_ellipse(east_km, north_km, k_sigma: float = 3.0) -> dict | None:
    """Mean, covariance and the k-sigma ellipse of 2-D points (None below 3 points)."""
    if len(east_km) < 3:
        return None
    xy = np.vstack([east_km, north_km])
    mean = xy.mean(axis=1)
    cov = np.cov(xy)
    vals, vecs = np.linalg.eigh(cov)          # ascending
    vals = np.clip(vals, 0.0, None)
    major = vecs[:, 1]
    ang = math.degrees(math.atan2(major[1], major[0]))
    ang = (ang + 90.0) % 180.0 - 90.0          # an axis: direction modulo 180 deg
    return {"mean_east_km": float(mean[0]), "mean_north_km": float(mean[1]),
            "cov_km2": [[float(cov[0, 0]), float(cov[0, 1])], [float(cov[1, 0]), float(cov[1, 1])]],
            "semi_major_3sigma_km": float(k_sigma * math.sqrt(vals[1])),
            "semi_minor_3sigma_km": float(k_sigma * math.sqrt(vals[0])),
            "major_angle_from_east_deg": float(ang),
            "major_azimuth_deg": float((90.0 - ang) % 180.0),
            "n": int(xy.shape[1])}


def _stats(vals):
    v = np.array([x for x in vals if x is not None], dtype=float)
    if v.size == 0:
        return None
    return {"n": int(v.size), "mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "min": float(v.min()), "p05": float(np.percentile(v, 5)), "p50": float(np.percentile(v, 50)),
            "p95": float(np.percentile(v, 95)), "max": float(v.max())}


def _g(x) -> str:
    return "" if x is None else f"{x:.4g}"


def write_report(out_dir: str | Path, rows: list[dict], scenario, meta: dict, throughput: dict | None,
                 store=None) -> dict:
    """Write report.md and the PNGs; returns the summary figures (counts, ellipse, files)."""
    out = Path(out_dir)
    tgt = scenario.mission["target"]
    counts = outcome_counts(rows)
    spl = [r for r in rows if r.get("splash_lat_deg") is not None and r.get("splash_lon_deg") is not None]
    east, north = tangent_plane_km([r["splash_lat_deg"] for r in spl], [r["splash_lon_deg"] for r in spl],
                                   tgt["lat_deg"], tgt["lon_deg"])
    ell = dispersion_ellipse(east, north)
    name = Path(scenario.path).name
    n = len(rows)
    plots.footprint(out / "footprint.png", east, north, [r["result"] for r in spl], ell,
                    tgt.get("name", "target"), f"Splash footprint: {name}, {n} runs")
    plots.histogram(out / "peak_load.png", [r.get("peak_load_g") for r in rows], f"Peak load: {name}, {n} runs",
                    "peak sensed load (g)")
    # The verdict judges the vertical component (tools/verdict.py); the limit line is its limit.
    plots.histogram(out / "splash_speed.png", [r.get("splash_vertical_speed_mps") for r in rows],
                    f"Vertical splashdown speed: {name}, {n} runs", "vertical splash speed (m/s)",
                    limit=SPLASH_SPEED_LIMIT_MPS, limit_label=f"limit {SPLASH_SPEED_LIMIT_MPS:g} m/s")
    series = {c: {k: [r.get(f"{c}_{k}") for r in rows] for k in ("mach", "q_pa", "alt_m")} for c in ("drogue", "main")}
    plots.chute_conditions(out / "chute_deploy.png", series, f"Chute deploy conditions: {name}, {n} runs")

    L = [f"# Monte Carlo campaign: {name}", ""]
    L += [f"- scenario: `{scenario.path}` (sha256 `{meta['scenario_sha256'][:16]}...`)",
          f"- campaign seed: {meta['campaign_seed']}; runs in this report: {n} of {meta['runs']} requested",
          f"- replay any run bit for bit: `elsrs sil --scenario {scenario.path} --run N"
          + (f" --seed {meta['campaign_seed']}" if meta["campaign_seed"] != scenario.seed else "") + "`",
          f"- target: {tgt.get('name', '')} ({tgt['lat_deg']:.4f}, {tgt['lon_deg']:.4f})", ""]
    L += ["## Outcomes", "", "| result | runs | share |", "|---|---:|---:|"]
    for k, v in counts.items():
        L.append(f"| {k} | {v} | {100.0 * v / n if n else 0:.1f} % |")
    L.append(f"| **total** | **{n}** | |")
    L.append("")
    L += _verdict_lines(scenario, rows)
    if throughput:
        t = throughput
        L += ["## Throughput", "",
              f"{t['runs']} runs in {t['wall_s']:.1f} s wall on {t['executor']}: "
              f"**{t['runs_per_min']:.1f} runs/min**, aggregate realtime factor **{t['aggregate_rtf']:.0f}** "
              f"({t['sim_s']:.0f} s simulated; per run in its worker: mean {t['mean_run_wall_s']:.2f} s wall, "
              f"{t.get('mean_run_cpu_s', 0.0):.2f} s CPU).", ""]
    L += ["## Splash footprint", "", "![footprint](footprint.png)", ""]
    if ell is not None:
        L += [f"{ell['n']} splash points in the local tangent plane at the target (east, north; km).", "",
              "| quantity | value |", "|---|---:|",
              f"| mean splash point, east of target | {ell['mean_east_km']:.2f} km |",
              f"| mean splash point, north of target | {ell['mean_north_km']:.2f} km |",
              f"| 3-sigma ellipse semi-major axis | {ell['semi_major_3sigma_km']:.2f} km |",
              f"| 3-sigma ellipse semi-minor axis | {ell['semi_minor_3sigma_km']:.2f} km |",
              f"| major-axis azimuth (from north, clockwise) | {ell['major_azimuth_deg']:.1f} deg |",
              f"| 1-sigma east / north | {math.sqrt(ell['cov_km2'][0][0]):.2f} / {math.sqrt(ell['cov_km2'][1][1]):.2f} km |",
              "", "Ellipse: 3 x sqrt(eigenvalues) of the sample covariance of the splash points, centred on "
              "their mean (98.9 % of a bivariate normal population).", ""]
    else:
        L += [f"Only {len(spl)} splash points: no dispersion ellipse (needs 3).", ""]
    L += ["## Statistics", "", "| quantity | unit | n | mean | sigma | min | 5 % | median | 95 % | max |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for col, label, unit, k in STAT_ROWS:
        s = _stats([None if r.get(col) is None else r[col] * k for r in rows])
        if s is None:
            L.append(f"| {label} | {unit} | 0 | | | | | | | |")
            continue
        L.append(f"| {label} | {unit} | {s['n']} | {_g(s['mean'])} | {_g(s['std'])} | {_g(s['min'])} | "
                 f"{_g(s['p05'])} | {_g(s['p50'])} | {_g(s['p95'])} | {_g(s['max'])} |")
    L += ["", "## Loads, splash speed and chute deploy conditions", "",
          "![peak load](peak_load.png)", "", "![splash speed](splash_speed.png)", "",
          "![chute deploy conditions](chute_deploy.png)", ""]
    trig = Counter((r.get("drogue_trigger"), r.get("main_trigger")) for r in rows)
    L += ["Chute triggers (drogue, main): "
          + ", ".join(f"{a or '-'}/{b or '-'} {v}" for (a, b), v in sorted(trig.items(), key=lambda x: -x[1])), ""]
    L += _timer_lines(scenario, rows)
    bad = [r for r in rows if r["result"] != "landed"]
    L += ["## Runs that did not land", ""]
    if not bad:
        L += ["None.", ""]
    else:
        L += ["| run | seed | result | reasons |", "|---:|---:|---|---|"]
        for r in bad[:200]:
            L.append(f"| {r['run']} | {r['seed'] if r['seed'] is not None else ''} | {r['result']} | "
                     f"{(r['failure_reasons'] or '').replace('|', '/')} |")
        if len(bad) > 200:
            L.append(f"| ... | | | {len(bad) - 200} more in runs.csv |")
        L.append("")
    L += ["## Dispersions", "", "Scenario `dispersions:` (items not listed are not dispersed; units and "
          "distributions: sim/dispersions.py, tools/montecarlo/README.md):", "", "```"]
    L += _dispersion_lines(scenario.dispersions) or ["(none: sensor noise and the vehicle's own error models only)"]
    L += ["```", "", "Files: `runs.csv` (one row per run), `runs.jsonl` (full records), `failures/` (tracebacks), "
          + ", ".join(f"`{f}`" for f in FIGURES) + ".", ""]
    (out / "report.md").write_text("\n".join(L))
    return {"counts": counts, "ellipse": ell, "figures": list(FIGURES)}


def _timer_lines(scenario, rows) -> list[str]:
    """Backup-timer windows over the campaign (tools/timer_window.py) against the flown values."""
    params = flatten(scenario.mission["params"])
    wins = [{t: {f"{b}_s": r.get(f"timer_{t}_{b}_s") for b in ("earliest", "latest")} for t in TIMER_PARAMS}
            for r in rows]
    m = timer_margins(wins, {t: params[p] for t, p in TIMER_PARAMS.items()})
    L = ["## Backup-timer windows (truth)", "",
         "Each timer is a vote: with a primary source failed true it fires the deployment, so it must not run out "
         "before the earliest instant inside the envelope (largest over the runs); with a source failed silent the "
         "deployment waits for it, so it must run out before the latest (smallest over the runs; drogue and main: "
         "from a fork of the simulator with that canopy withheld). Times in s after the timer's start.", "",
         "| timer | parameter | value | earliest, max (n) | latest, min (n) | margins early / late | middle |",
         "|---|---|---:|---:|---:|---:|---:|"]
    for t, p in TIMER_PARAMS.items():
        x = m[t]
        f = lambda v: "-" if v is None else f"{v:.1f}"      # noqa: E731
        L.append(f"| {t} | `{p}` | {x['timer_s']:g} | {f(x['earliest_max_s'])} ({x['n_earliest']}) | "
                 f"{f(x['latest_min_s'])} ({x['n_latest']}) | {f(x['margin_early_s'])} / {f(x['margin_late_s'])} | "
                 f"{f(x['middle_s'])} |")
    return L + [""]


def _verdict_lines(scenario, rows) -> list[str]:
    """How `result` was judged (the SIL verdict, tools/verdict.py) and the envelope it used."""
    env = scenario.vehicle["deployment_envelope"]
    d, m = env["drogue"], env["main"]
    odd = sum(1 for r in rows if r["result"] == "landed" and r.get("anomalies"))
    return ["Each run's result is the SIL verdict (tools/verdict.py, as `elsrs sil`): `landed` only if it "
            "splashed, the flight software reached LANDED, the vertical splash speed was at most "
            f"{SPLASH_SPEED_LIMIT_MPS:g} m/s, every deployment was inside the envelope, no pyro fired twice or "
            "outside its allowed phase, the main was released only after splashdown, a beacon report was "
            "delivered and no task raised. Deployment envelope (config/vehicle.yaml, truth at the pyro pulse): "
            f"drogue Mach {d['mach_min']:g}-{d['mach_max']:g}, q at most {d['q_max_pa']:g} Pa; main "
            f"{m['alt_min_m']:g}-{m['alt_max_m']:g} m, Mach at most {m['mach_max']:g}, q at most {m['q_max_pa']:g} Pa.",
            "", f"Landed runs with anomalies (task exceptions or monitor responses; runs.csv `anomalies`): {odd}.", ""]


def _dispersion_lines(d: dict, indent: str = "") -> list[str]:
    lines = []
    for k, v in d.items():
        if v is None or v == {} or (k == "gm_corr_length_m" and not d.get("gm_sigma")) or (k == "gm_sigma" and v == 0.0):
            continue
        if isinstance(v, dict) and "dist" in v:
            args = ", ".join(f"{a}: {b:g}" for a, b in v.items() if a != "dist")
            lines.append(f"{indent}{k}: {v['dist']}({args})")
        elif isinstance(v, dict):
            sub = _dispersion_lines(v, indent + "  ")
            if sub:
                lines.append(f"{indent}{k}:")
                lines += sub
        else:
            lines.append(f"{indent}{k}: {v:g}" if isinstance(v, float) else f"{indent}{k}: {v}")
    return lines
