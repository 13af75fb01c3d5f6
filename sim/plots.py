"""Figures of a run, drawn with matplotlib's non-interactive backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

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
    fig, ax = plt.subplots(figsize=(max(8.0, 1.6 * len(routes) + 2.5), 5.6), layout="constrained")
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
            f"median {p50:.1f} d",
            (p, p50),
            xytext=(10, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=5,
        )
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
