"""Campaign figures (PNG, matplotlib with the headless Agg backend)."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
from matplotlib.patches import Ellipse  # noqa: E402

#: The 3-sigma ellipse's colour (used by nothing else in the footprint plot).
ELLIPSE_COLOR = "#dc143c"
DPI = 110
_RESULT_STYLE = {"landed": ("tab:blue", "o"), "safe_abort": ("tab:green", "s"), "failed": ("tab:orange", "x")}


def footprint(path, east_km, north_km, results, ellipse: dict | None, target_label: str, title: str) -> None:
    """Splash points in the target's local tangent plane (km), the target and the 3-sigma ellipse."""
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    for res in sorted(set(results)):
        color, marker = _RESULT_STYLE.get(res, ("tab:gray", "d"))
        xs = [e for e, r in zip(east_km, results) if r == res]
        ys = [n for n, r in zip(north_km, results) if r == res]
        ax.scatter(xs, ys, s=14, c=color, marker=marker, alpha=0.75, label=f"{res} ({len(xs)})", zorder=3)
    ax.scatter([0.0], [0.0], s=220, marker="*", c="black", label=f"target: {target_label}", zorder=4)
    if ellipse is not None:
        ax.add_patch(Ellipse((ellipse["mean_east_km"], ellipse["mean_north_km"]),
                             width=2 * ellipse["semi_major_3sigma_km"], height=2 * ellipse["semi_minor_3sigma_km"],
                             angle=ellipse["major_angle_from_east_deg"], fill=False, lw=2.2, ec=ELLIPSE_COLOR,
                             label="3-sigma dispersion ellipse", zorder=2))
        ax.plot([ellipse["mean_east_km"]], [ellipse["mean_north_km"]], "+", color=ELLIPSE_COLOR, ms=12, mew=2,
                zorder=5)
        a, b = ellipse["semi_major_3sigma_km"], ellipse["semi_minor_3sigma_km"]
        pad = 1.15 * max(a, b)
        xs = list(east_km) + [0.0, ellipse["mean_east_km"] - pad, ellipse["mean_east_km"] + pad]
        ys = list(north_km) + [0.0, ellipse["mean_north_km"] - pad, ellipse["mean_north_km"] + pad]
        _square_limits(ax, xs, ys)
    else:
        _square_limits(ax, list(east_km) + [0.0], list(north_km) + [0.0])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("east of target (km)")
    ax.set_ylabel("north of target (km)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _square_limits(ax, xs, ys) -> None:
    if not xs:
        return
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) / 2 * 1.08
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)


def histogram(path, values, title: str, xlabel: str, limit: float | None = None, limit_label: str = "") -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    _hist(ax, values, xlabel)
    if limit is not None:
        ax.axvline(limit, color="tab:red", ls="--", lw=1.5, label=limit_label)
        ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _hist(ax, values, xlabel: str) -> None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if vals:
        bins = max(5, min(40, int(math.sqrt(len(vals)) * 2)))
        ax.hist(vals, bins=bins, color="tab:blue", alpha=0.8, edgecolor="white")
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("runs")
    ax.grid(True, alpha=0.3)


def chute_conditions(path, series: dict[str, dict[str, list]], title: str) -> None:
    """2 x 3 histograms: drogue and main deploy Mach, dynamic pressure, altitude."""
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.5))
    cols = (("mach", "Mach", 1.0), ("q_pa", "dynamic pressure (kPa)", 1e-3), ("alt_m", "altitude (km)", 1e-3))
    for r, chute in enumerate(("drogue", "main")):
        for c, (key, label, k) in enumerate(cols):
            vals = [None if v is None else v * k for v in series.get(chute, {}).get(key, [])]
            _hist(axes[r][c], vals, f"{chute} deploy {label}")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
