"""Transit-time figures: ECDF and box/violin per route, with the claim band and the ratio of
the scenario's claims file (run.claims); a scenario without one draws neither."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
import matplotlib.ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.groups import group_mean_transit, transit_ratio
from sim.viz.save import subplots
from sim.viz.common import (
    BAND_COLOUR, TICK_FONT, all_routes, day_axis, grid, run_title, scenario_palette, scenario_style, suptitle,
)
from sim.output.figure_data import RunData
from sim.output.metrics_file import read_metrics

VIOLIN_POINTS = 251  # every 4th of the 1001 quantiles: the same shape, a quarter of the work
DEFAULT_TOP = 15.0  # days: the least height of the box plot when there is no claim band


def claim_band(runs: Sequence[RunData]) -> tuple[float, float, str] | None:
    """(low, high, label) of the first run's claims band, or None without a claims file."""
    for run in runs:
        claims = run.scenario.claims
        if claims is not None and claims.band is not None:
            return claims.band
    return None


def sea_rail_ratio(run: RunData) -> tuple[float, float, float, str] | None:
    """(ratio, over days, under days, label) of the run's claims ratio, or None.

    The claims file's ratio claim names two route groups (sea via Suez over northern rail);
    each replication's ratio is sim.analysis.groups.transit_ratio of the run's metrics table,
    the very number ``validate`` judges, and the figure shows its mean over replications.
    """
    claims = run.scenario.claims
    if claims is None or claims.ratio is None:
        return None
    over, under, label = claims.ratio
    if not all(rid in run.scenario.routes for rid in (*over.routes, *under.routes)):
        return None  # a variant without those routes: the ratio is not defined
    table = read_metrics(run.folder)
    ratios = transit_ratio(table, over.routes, under.routes)
    if not np.isfinite(ratios).any():
        return None
    top = group_mean_transit(table, over.routes)
    bottom = group_mean_transit(table, under.routes)
    return float(np.nanmean(ratios)), float(np.nanmean(top)), float(np.nanmean(bottom)), label


def ratio_text(run: RunData, prefix: str = "") -> str:
    """'sea/rail (China→Europe): 36.8 d / 14.3 d = 2.57×', or '' when not defined."""
    found = sea_rail_ratio(run)
    if found is None:
        return ""
    ratio, top, bottom, label = found
    return f"{prefix}{label}: {top:.1f} d / {bottom:.1f} d = {ratio:.2f}×"


RATIO_NOTE = "pooled means of the claims file's route groups; ratio: mean over replications"


def ratio_lines(runs: Sequence[RunData]) -> str:
    """Each run's ratio on a line of its own (named in a comparison), or ''."""
    several = len(runs) > 1
    lines = [t for t in (ratio_text(r, f"{r.label}: " if several else "") for r in runs) if t]
    if not lines:
        return ""
    if several:
        return "\n".join(lines) + f"\n({RATIO_NOTE})"
    return f"{lines[0]}  ({RATIO_NOTE})"


def _band(ax: Axes, vertical: bool, band: tuple[float, float, str] | None) -> None:
    if band is None:
        return
    span = ax.axvspan if vertical else ax.axhspan
    span(band[0], band[1], color=BAND_COLOUR, alpha=0.35, zorder=0, label=band[2])


def _band_handles(band: tuple[float, float, str] | None) -> list:
    return [Patch(color=BAND_COLOUR, alpha=0.35, label=band[2])] if band is not None else []


def _probabilities(q: np.ndarray) -> np.ndarray:
    return np.linspace(0.0, 1.0, q.size)


def _percent_axis(ax: Axes) -> None:
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0%}"))


# ---------------------------------------------------------------------------------------
# ECDF


def transit_ecdf_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Share of cargo units delivered within x days: one panel (a run) or one per route."""
    if len(runs) == 1:
        return _ecdf_single(runs[0], colours)
    return _ecdf_compare(runs, scenario_palette(runs, scenario_colours))


def _ecdf_single(run: RunData, colours: Mapping[str, str]) -> Figure:
    delivered = [rid for rid in run.scenario.routes if run.transit[rid].size]
    crowded = len(delivered) > 8
    fig, ax = subplots(figsize=(13, 7) if crowded else (10, 5.5), layout="constrained")
    band = claim_band([run])
    _band(ax, vertical=True, band=band)
    for rid in delivered:
        q = run.transit[rid]
        ax.plot(q, _probabilities(q), color=colours[rid], lw=1.7, label=rid)
    scale = ""
    if delivered:
        lo = min(float(run.transit[rid][0]) for rid in delivered)
        hi = max(float(run.transit[rid][-1]) for rid in delivered)
        scale = day_axis(ax, lo, hi)
    else:
        ax.text(0.5, 0.5, "no route delivered anything in the measured window", transform=ax.transAxes,
                ha="center", va="center")
    missing = [rid for rid in run.scenario.routes if rid not in delivered]
    if missing and delivered:
        ax.text(0.01, 0.98, "no deliveries: " + ", ".join(missing), transform=ax.transAxes, va="top",
                fontsize=TICK_FONT + 1)
    _percent_axis(ax)
    ax.grid(alpha=0.3, which="major")
    ax.set_xlabel("transit time, origin to destination (days" + (f", {scale})" if scale else ")"))
    ax.set_ylabel("share of units delivered within x days\n(containers; bulk: wagons)")
    suptitle(fig, run_title([run], "transit time distribution per route"))
    ax.set_title(ratio_lines([run]) or " ", fontsize=9.5)
    # Legend in order of median transit, fastest first: it then reads left to right like
    # the curves, which tells apart neighbouring routes of similar colour.
    order = sorted(delivered, key=lambda rid: float(run.transit[rid][run.transit[rid].size // 2]))
    lines = {line.get_label(): line for line in ax.get_lines()}
    handles = _band_handles(band) + [lines[rid] for rid in order]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8.5, title="route (fastest first)",
               title_fontsize=9, frameon=False, ncols=2 if len(handles) > 32 else 1)
    return fig


def _ecdf_compare(runs: Sequence[RunData], scenario_colours: Mapping[str, str]) -> Figure:
    routes = all_routes(runs)
    columns = 4
    fig, axes = grid(len(routes), columns, (4.2, 1.95), top=1.7)
    band = claim_band(runs)
    for i, (ax, rid) in enumerate(zip(axes, routes)):
        drawn = False
        for k, run in enumerate(runs):
            q = run.transit.get(rid, np.empty(0))
            if q.size:
                ax.plot(q, _probabilities(q), color=scenario_colours[run.label], ls=scenario_style(k), lw=1.6,
                        label=run.label)
                drawn = True
        if not drawn:
            ax.text(0.5, 0.5, "no deliveries", transform=ax.transAxes, ha="center", va="center", fontsize=9)
        # The band only where it falls inside the route's own range: it must not squash
        # a 2-day or a 40-day route's curve against one side.
        left, right = ax.get_xlim()
        _band(ax, vertical=True, band=band)
        ax.set_xlim(left, right)
        _percent_axis(ax)
        ax.grid(alpha=0.3)
        ax.set_title(rid, fontsize=9)
        ax.tick_params(labelsize=TICK_FONT)
        if i % columns == 0:
            ax.set_ylabel("share delivered", fontsize=8.5)
        if i + columns >= len(routes):  # the lowest panel of its column
            ax.set_xlabel("transit (days)", fontsize=8.5)
    handles = [Line2D([], [], color=scenario_colours[r.label], ls=scenario_style(k), lw=1.6, label=r.label)
               for k, r in enumerate(runs)]
    handles += _band_handles(band)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    ratios = ratio_lines(runs)
    suptitle(fig, run_title(runs, "transit time distribution per route") + ("\n" + ratios if ratios else ""),
             fontsize=10.5)
    return fig


# ---------------------------------------------------------------------------------------
# Box and violin


def quartiles(q: np.ndarray) -> dict[str, float]:
    """Box statistics read off the 0.1% quantiles: box p25–p75, median, whiskers p5–p95."""
    def at(p: float) -> float:
        return float(q[int(round(p * (q.size - 1)))])

    return {"whislo": at(0.05), "q1": at(0.25), "med": at(0.5), "q3": at(0.75), "whishi": at(0.95)}


def transit_box_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Violin and box (p25–p75, whiskers p5–p95) per route; side-by-side boxes to compare."""
    palette = scenario_palette(runs, scenario_colours)
    routes = all_routes(runs)
    crowded = len(routes) > 8
    several = len(runs) > 1
    slot = (0.8 if crowded else 1.5) * (1 + 0.35 * (len(runs) - 1))
    width = min(18.0, max(8.0, slot * len(routes) + 2.5))
    fig, ax = subplots(figsize=(width, 6.6 if crowded else 5.8), layout="constrained")
    band = claim_band(runs)
    _band(ax, vertical=False, band=band)
    step = 0.8 / len(runs)
    positions = np.arange(1, len(routes) + 1, dtype=float)
    top = band[1] if band is not None else DEFAULT_TOP
    for k, run in enumerate(runs):
        offset = (k - (len(runs) - 1) / 2) * step
        for p, rid in zip(positions + offset, routes):
            q = run.transit.get(rid)
            if q is None:  # a route this scenario does not have: nothing to draw
                continue
            colour = palette[run.label] if several else colours[rid]
            if q.size == 0:
                ax.text(p, (band[1] if band else DEFAULT_TOP) + 1, "no deliveries", ha="center", va="bottom", fontsize=8, rotation=90)
                continue
            top = max(top, float(q[-1]))
            if not several and q[-1] > q[0]:
                sample = q[:: max(1, (q.size - 1) // (VIOLIN_POINTS - 1))]
                body = ax.violinplot([sample], positions=[p], widths=0.8, showextrema=False)["bodies"][0]
                body.set_facecolor(colour)
                body.set_edgecolor(colour)
                body.set_alpha(0.35)
            stats = quartiles(q)
            ax.bxp([{**stats, "fliers": []}], positions=[p], widths=step * 0.55 if several else 0.22,
                   patch_artist=True, showfliers=False,
                   boxprops={"facecolor": colour, "alpha": 0.9 if several else 0.75, "edgecolor": "black"},
                   medianprops={"color": "white" if several else "black", "lw": 1.6})
            if not several:
                ax.annotate(f"{stats['med']:.1f} d", (p, stats["med"]), xytext=(12, 0), textcoords="offset points",
                            va="center", fontsize=8 if crowded else 9,
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8}, zorder=5)
    ax.set_xticks(positions, routes, rotation=35 if crowded else 0, ha="right" if crowded else "center",
                  rotation_mode="anchor" if crowded else "default", fontsize=8.5 if crowded else 9)
    ax.set_xlim(0.4, len(routes) + 0.6)
    ax.set_ylim(0, top * 1.08)
    if band is not None:
        ax.text(0.995, band[1], band[2], transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                fontsize=8.5, color="#9a5b00")
    ax.set_ylabel("transit time, origin to destination (days)")
    ax.set_xlabel("route")
    ax.grid(axis="y", alpha=0.3)
    suptitle(fig, run_title(runs, "transit time per route"))
    ax.set_title(ratio_lines(runs) or " ", fontsize=9.5)
    handles: list = _band_handles(band)
    if several:
        handles += [Patch(color=palette[r.label], label=r.label) for r in runs]
    else:
        handles.append(Patch(color="#999999", alpha=0.35, label="all containers (violin)"))
    handles.append(Patch(facecolor="#cccccc", edgecolor="black", label="box 25th–75th percentile, median line, whiskers 5th–95th"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    return fig
