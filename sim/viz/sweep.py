"""Figures of a sweep: sensitivity indices as bars with their confidence intervals, each
metric against each parameter, and for a grid of two parameters a heat map per metric.

They take plain data (sim.study builds it), so they need nothing but numpy and matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from sim.viz.common import grid, suptitle, panel_title
from sim.viz.save import subplots

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_PANELS = 6  # metrics (and parameters) per scatter figure beyond which it is unreadable
INDEX_LABELS = {
    "S1": "first order S1", "ST": "total order ST", "mu_star": "Morris mu*", "spearman": "Spearman rank correlation",
}
BAR_INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star",), "lhs": ("spearman",), "grid": ("spearman",)}
COLOURS = ("#1f77b4", "#ff7f0e")


@dataclass(frozen=True)
class SweepData:
    """What the figures show: the design, each point's parameter values and metric means."""

    title: str
    design: str
    parameters: tuple[str, ...]
    metrics: tuple[tuple[str, str], ...]  # (path, unit)
    values: dict[str, list[Any]]  # parameter -> its value at each point
    means: dict[str, np.ndarray]  # metric -> its mean over replications at each point
    indices: tuple[tuple[str, str, str, float, float], ...]  # (metric, parameter, index, value, conf)
    grid_shape: tuple[int, ...] = ()  # a full grid: values per parameter


def _label(path: str, unit: str = "") -> str:
    return f"{path} ({unit})" if unit else path


def _numeric(values: Sequence[Any]) -> np.ndarray | None:
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return out


def indices_figure(data: SweepData) -> "Figure":
    """One panel per metric: each parameter's indices as horizontal bars with 95% CIs."""
    which = BAR_INDICES[data.design]
    fig, axes = grid(len(data.metrics), 2, (5.2, 0.55 * len(data.parameters) + 1.6), top=1.0)
    rows = {(m, p, name): (v, c) for m, p, name, v, c in data.indices}
    y = np.arange(len(data.parameters))
    height = 0.8 / len(which)
    for ax, (metric, unit) in zip(axes, data.metrics):
        drawn = False
        for k, name in enumerate(which):
            vals = np.asarray([rows.get((metric, p, name), (math.nan, math.nan))[0] for p in data.parameters])
            conf = np.asarray([rows.get((metric, p, name), (math.nan, math.nan))[1] for p in data.parameters])
            at = y - 0.4 + height * (k + 0.5)
            ok = np.isfinite(vals)
            if ok.any():
                drawn = True
            ax.barh(at[ok], vals[ok], height * 0.9, color=COLOURS[k % 2], label=INDEX_LABELS[name],
                    xerr=np.where(np.isfinite(conf[ok]), conf[ok], 0), capsize=3, error_kw={"lw": 1})
        ax.set_yticks(y, data.parameters, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="0.3", lw=0.8)
        panel_title(ax, metric, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        if data.design == "morris":
            ax.set_xlabel(f"mu*: mean |change| over the parameter's range ({unit})" if unit else "mu*")
        elif data.design == "sobol":
            ax.set_xlabel("share of the metric's variance")
            ax.set_xlim(-0.1, 1.1)  # a share; estimates and intervals beyond it are cut at the edge
        else:
            ax.set_xlabel("rank correlation with the metric")
            ax.set_xlim(-1.05, 1.05)
        if not drawn:
            means = data.means.get(metric, np.array([]))
            same = means.size and np.all(np.isfinite(means)) and np.ptp(means) == 0
            why = "the metric is the same at every point" if same else "the metric is missing at some points"
            ax.text(0.5, 0.5, f"no indices: {why}", transform=ax.transAxes, ha="center", va="center",
                    fontsize=9, color="0.4")
        else:
            ax.legend(fontsize=8, loc="lower right")
    suptitle(fig, f"{data.title}\nsensitivity indices ({data.design}), bars: 95% confidence intervals")
    return fig


def scatter_figure(data: SweepData) -> "Figure":
    """Each metric (rows) against each parameter (columns), one dot per point."""
    metrics = data.metrics[:MAX_PANELS]
    params = data.parameters[:MAX_PANELS]
    fig, axes = subplots(len(metrics), len(params), figsize=(max(8.0, 3.0 * len(params)), 2.6 * len(metrics) + 1.0),
                         layout="constrained", squeeze=False)
    for i, (metric, unit) in enumerate(metrics):
        y = data.means[metric]
        for j, p in enumerate(params):
            ax = axes[i][j]
            x = _numeric(data.values[p])
            if x is None:  # values that are text: one column per value
                names = list(dict.fromkeys(map(str, data.values[p])))
                x = np.asarray([names.index(str(v)) for v in data.values[p]], dtype=np.float64)
                ax.set_xticks(range(len(names)), names, rotation=30, fontsize=7)
            ax.scatter(x, y, s=10, alpha=0.6, color=COLOURS[0], edgecolors="none")
            if i == len(metrics) - 1:
                ax.set_xlabel(p, fontsize=8)
            if j == 0:
                ax.set_ylabel(_label(metric.rsplit(".", 1)[-1], unit), fontsize=8)
            if j == 0 or len(metrics) > 1:
                panel_title(ax, metric if j == 0 else "", fontsize=8, loc="left")
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
    more = []
    if len(data.metrics) > MAX_PANELS:
        more.append(f"first {MAX_PANELS} of {len(data.metrics)} metrics")
    if len(data.parameters) > MAX_PANELS:
        more.append(f"first {MAX_PANELS} of {len(data.parameters)} parameters")
    note = f" ({'; '.join(more)})" if more else ""
    suptitle(fig, f"{data.title}\neach point's mean over its replications{note}")
    return fig


def heatmap_figure(data: SweepData) -> "Figure":
    """A grid of two parameters: each metric's mean as a colour map over the two."""
    p0, p1 = data.parameters
    x0 = list(dict.fromkeys(data.values[p0]))
    x1 = list(dict.fromkeys(data.values[p1]))
    fig, axes = grid(len(data.metrics), 2, (5.0, 4.0), top=1.0)
    for ax, (metric, unit) in zip(axes, data.metrics):
        z = np.full((len(x1), len(x0)), np.nan)
        for a, b, v in zip(data.values[p0], data.values[p1], data.means[metric]):
            z[x1.index(b), x0.index(a)] = v
        mesh = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(x0)), [f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in x0], fontsize=7)
        ax.set_yticks(range(len(x1)), [f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in x1], fontsize=7)
        ax.set_xlabel(p0, fontsize=8)
        ax.set_ylabel(p1, fontsize=8)
        panel_title(ax, metric, fontsize=9)
        bar = fig.colorbar(mesh, ax=ax)
        bar.set_label(unit or "value", fontsize=8)
        if z.size <= 64:  # few cells: the values themselves
            finite = z[np.isfinite(z)]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0
            for r in range(z.shape[0]):
                for c in range(z.shape[1]):
                    if np.isfinite(z[r, c]):
                        ax.text(c, r, f"{z[r, c]:.3g}", ha="center", va="center", fontsize=7,
                                color="white" if z[r, c] < mid else "black")
    suptitle(fig, f"{data.title}\neach cell: the mean over its replications")
    return fig


def sweep_figures(data: SweepData) -> dict[str, Any]:
    """The sweep's figure builders by file stem (drawn when called)."""
    out = {"indices": lambda: indices_figure(data), "scatter": lambda: scatter_figure(data)}
    if data.design == "grid" and len(data.parameters) == 2:
        out["heatmap"] = lambda: heatmap_figure(data)
    return out
