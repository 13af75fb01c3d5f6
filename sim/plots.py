"""Figures of a run, drawn with matplotlib's non-interactive backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .validation import format_value, unit_suffix  # noqa: E402

CLAIM_BAND_DAYS = (14.0, 15.0)
MODE_COLOURS = {
    "rail": "#c0392b",
    "sea": "#1f5f99",
    "road": "#7d6608",
    "air": "#6c3483",
    "multimodal": "#1e8449",
}
MAX_POINTS_PER_ROUTE = 20_000


def transit_figure(
    transit: Mapping[str, np.ndarray],
    modes: Mapping[str, str],
    title: str,
) -> Figure:
    """One violin per route (transit days), medians marked, the 14–15 day claim shaded."""
    routes = list(transit)
    # Many routes: a narrower slot each (the figure stays readable at 100% zoom, at most
    # 18 inches wide), shorter median labels and rotated route names.
    crowded = len(routes) > 8
    width = min(18.0, max(8.0, (0.8 if crowded else 1.6) * len(routes) + 2.5))
    fig, ax = plt.subplots(figsize=(width, 6.4 if crowded else 5.6), layout="constrained")
    band = ax.axhspan(*CLAIM_BAND_DAYS, color="#f5b041", alpha=0.35, zorder=0)
    positions = np.arange(1, len(routes) + 1)
    drawn = [(p, rid) for p, rid in zip(positions, routes) if transit[rid].size > 1]
    if drawn:
        parts = ax.violinplot(
            [_thin(transit[rid]) for _, rid in drawn],
            positions=[p for p, _ in drawn],
            widths=0.8,
            showextrema=False,
        )
        for body, (_, rid) in zip(parts["bodies"], drawn):
            colour = MODE_COLOURS.get(modes[rid], "#555555")
            body.set_facecolor(colour)
            body.set_edgecolor(colour)
            body.set_alpha(0.55)
    top = max((float(np.max(v)) for v in transit.values() if v.size), default=CLAIM_BAND_DAYS[1])
    for p, rid in zip(positions, routes):
        values = transit[rid]
        if values.size == 0:
            ax.text(p, CLAIM_BAND_DAYS[1], "no deliveries", ha="center", va="bottom", fontsize=9)
            continue
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        ax.vlines(p, p5, p95, color="black", lw=1.2, zorder=3)
        ax.scatter([p], [p50], s=46, color="white", edgecolor="black", zorder=4)
        ax.annotate(
            f"{p50:.1f} d" if crowded else f"median {p50:.1f} d",
            (p, p50),
            xytext=(10, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5 if crowded else 9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=5,
        )
    if crowded:
        ax.set_xticks(positions, routes, rotation=35, ha="right", fontsize=8.5)
    else:
        ax.set_xticks(positions, [_wrap(rid) for rid in routes])
    ax.set_xlim(0.4, len(routes) + 0.9)
    ax.set_ylim(0, top * 1.08)
    ax.set_ylabel("transit time, origin to destination (days)")
    ax.set_xlabel("route")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    used = sorted({modes[r] for r in routes})
    handles = [Patch(color=MODE_COLOURS.get(m, "#555555"), alpha=0.55, label=m) for m in used]
    handles.append(band)
    band.set_label("14–15 days (founding claim)")
    handles.append(Line2D([], [], color="black", lw=1.2, marker="o", mfc="white", label="median, 5th–95th pct"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    return fig


def _thin(values: np.ndarray) -> np.ndarray:
    """A deterministic, evenly spaced subset of the sorted values, for a fast violin."""
    if values.size <= MAX_POINTS_PER_ROUTE:
        return values
    ordered = np.sort(values)
    idx = np.linspace(0, ordered.size - 1, MAX_POINTS_PER_ROUTE).round().astype(np.int64)
    return ordered[idx]


def _wrap(label: str, width: int = 14) -> str:
    if len(label) <= width or "_" not in label:
        return label
    parts, lines, line = label.split("_"), [], ""
    for part in parts:
        candidate = f"{line}_{part}" if line else part
        if len(candidate) > width and line:
            lines.append(line + "_")
            line = part
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines)


def save(fig: Figure, path: Path) -> None:
    """Save without metadata that changes between runs, then free the figure."""
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)


PASS_COLOUR = "#1e8449"
FAIL_COLOUR = "#c0392b"


def validation_figure(records: list[dict], title: str) -> Figure:
    """One panel per claim: its tolerance band, the article's value and the simulated mean
    with its 95% CI, green if it passes, red if not.

    ``records`` are the claim records of validation.json (see validation.outcome_record).
    """
    cols = 2
    rows = (len(records) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12, 1.75 * rows + 1.4), layout="constrained", squeeze=False)
    for ax, rec in zip(axes.flat, records):
        _claim_panel(ax, rec)
    for ax in list(axes.flat)[len(records):]:
        ax.set_visible(False)
    fig.suptitle(title)
    handles = [
        Patch(color="#f5b041", alpha=0.35, label="tolerance band"),
        Line2D([], [], ls="none", marker="D", color="black", mfc="white", label="article's value"),
        Line2D([], [], color=PASS_COLOUR, marker="o", label="simulated mean, 95% CI (pass)"),
        Line2D([], [], color=FAIL_COLOUR, marker="o", label="simulated mean, 95% CI (fail)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=9, frameon=False)
    return fig


def _claim_panel(ax, rec: dict) -> None:
    tol, sim = rec["tolerance"], rec["simulated"]
    mean = sim["mean"]
    lo, hi = sim["ci95"]
    points = [v for v in (mean, lo, hi, tol["low"], tol["high"], rec["article_value"]) if v is not None]
    left, right = min(points), max(points)
    pad = 0.25 * (right - left) if right > left else max(abs(right), 1.0) * 0.25
    left, right = left - pad, right + pad
    band_lo = tol["low"] if tol["low"] is not None else left
    band_hi = tol["high"] if tol["high"] is not None else right
    ax.axvspan(band_lo, band_hi, color="#f5b041", alpha=0.35, zorder=0)
    colour = PASS_COLOUR if rec["passed"] else FAIL_COLOUR
    if mean is not None:
        xerr = None if lo is None else [[mean - lo], [hi - mean]]
        ax.errorbar([mean], [0], xerr=xerr, fmt="o", color=colour, capsize=5, ms=7, zorder=3)
        ax.annotate(
            format_value(mean, rec["unit"]) + unit_suffix(rec["unit"]), (mean, 0), xytext=(0, 11), textcoords="offset points",
            ha="center", va="bottom", fontsize=8.5, color=colour,
        )
    else:
        ax.text(0.5, 0.5, "no simulated value", transform=ax.transAxes, ha="center", va="center", color=colour)
    if rec["article_value"] is not None:
        ax.plot([rec["article_value"]], [0], "D", color="black", mfc="white", ms=7, zorder=4)
    ax.set_xlim(left, right)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    unit = {"%": "growth (%)", "share": "utilization (busy time / capacity)", "ratio": "sea / rail (ratio)"}
    ax.set_xlabel(unit.get(rec["unit"], rec["unit"]), fontsize=9)
    verdict = "PASS" if rec["passed"] else "FAIL"
    ax.set_title(f"{rec['id']}. {rec['claim']} — {verdict}", fontsize=9.5, loc="left", color=colour)
    ax.tick_params(axis="x", labelsize=8)
    if rec["unit"] == "TEU":
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
    if rec["unit"] == "share":
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
