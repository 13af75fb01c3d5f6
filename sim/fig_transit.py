"""Transit-time figures: ECDF and box/violin per route, the 14–15 day claim, sea/rail ratio."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .colours import SCENARIO_STYLES
from .fig_common import BAND_COLOUR, BAND_LABEL, CLAIM_BAND_DAYS, grid, run_title
from .figdata import RunData

import matplotlib.pyplot as plt  # noqa: E402  (fig_common selected the Agg backend)

# ISO 3166 codes counted as Europe for the China→Europe sea/rail ratio.
EUROPE = frozenset(
    "AT BE BG BY CH CZ DE DK EE ES FI FR GB GR HR HU IE IT LT LU LV NL NO PL PT RO RS SE SI SK TR UA".split()
)


def sea_rail_ratio(run: RunData) -> tuple[float, float, float] | None:
    """(sea / rail, sea days, rail days) China→Europe, or None without both kinds of route.

    Sea: the fastest sea route from a Chinese node to a European one (the usual routing; a
    Cape diversion in the same scenario is an alternative, not extra traffic).  Rail: the
    container-weighted mean transit of all such rail routes, as a shipper would meet it.
    """
    nodes = run.scenario.nodes
    sea: list[float] = []
    rail: list[tuple[float, float]] = []
    for rid, r in run.summary["routes"].items():
        route = run.scenario.routes.get(rid)
        if route is None or route.demand.cargo != "container":
            continue
        if nodes[route.path[0]].country != "CN" or nodes[route.path[-1]].country not in EUROPE:
            continue
        mean, weight = r["transit_days"].get("mean"), r.get("containers_counted") or 0
        if mean is None or weight <= 0:
            continue
        if r["mode"] == "sea":
            sea.append(mean)
        elif r["mode"] == "rail":
            rail.append((mean, weight))
    if not sea or not rail:
        return None
    sea_days = min(sea)
    rail_days = sum(m * w for m, w in rail) / sum(w for _, w in rail)
    return sea_days / rail_days, sea_days, rail_days


def ratio_text(run: RunData, prefix: str = "") -> str:
    """'sea/rail (China→Europe): 36.8 d / 14.3 d = 2.57×', or '' when not defined."""
    found = sea_rail_ratio(run)
    if found is None:
        return ""
    ratio, sea, rail = found
    return (
        f"{prefix}China→Europe sea/rail: fastest sea route {sea:.1f} d / rail routes "
        f"(container-weighted) {rail:.1f} d = {ratio:.2f}×"
    )


def _ratio_lines(runs: Sequence[RunData]) -> str:
    several = len(runs) > 1
    return "\n".join(t for t in (ratio_text(r, f"{r.label}: " if several else "") for r in runs) if t)


def _band(ax: Axes, vertical: bool) -> None:
    span = ax.axvspan if vertical else ax.axhspan
    span(*CLAIM_BAND_DAYS, color=BAND_COLOUR, alpha=0.35, zorder=0, label=BAND_LABEL)


def _probabilities(q: np.ndarray) -> np.ndarray:
    return np.linspace(0.0, 1.0, q.size)


def shared_routes(runs: Sequence[RunData]) -> list[str]:
    """Routes of the first run that every other run has too, in the first run's order."""
    return [rid for rid in runs[0].scenario.routes if all(rid in r.scenario.routes for r in runs[1:])]


# ---------------------------------------------------------------------------------------
# ECDF


def transit_ecdf_figure(runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str]) -> Figure:
    """Share of containers delivered within x days: one panel (a run) or one per route."""
    if len(runs) == 1:
        return _ecdf_single(runs[0], colours)
    return _ecdf_compare(runs, scenario_colours)


def _ecdf_axes(ax: Axes) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3, which="both")


def _ecdf_single(run: RunData, colours: Mapping[str, str]) -> Figure:
    fig, ax = plt.subplots(figsize=(13, 7), layout="constrained")
    _band(ax, vertical=True)
    for rid in run.scenario.routes:
        q = run.transit[rid]
        if q.size:
            ax.plot(q, _probabilities(q), color=colours[rid], lw=1.8, label=rid, drawstyle="steps-post")
    _ecdf_axes(ax)
    ax.set_xlabel("transit time, origin to destination (days, log scale)")
    ax.set_ylabel("share of containers delivered within x days")
    fig.suptitle(run_title([run], "transit time distribution per route"))
    ax.set_title(_ratio_lines([run]) or " ", fontsize=10)
    fig.legend(loc="outside right upper", fontsize=8.5, title="route", frameon=False)
    return fig


def _ecdf_compare(runs: Sequence[RunData], scenario_colours: Mapping[str, str]) -> Figure:
    routes = shared_routes(runs)
    fig, axes = grid(len(routes), 4, (4.2, 2.6), top=1.6)
    for ax, rid in zip(axes, routes):
        for k, run in enumerate(runs):
            q = run.transit[rid]
            if q.size:
                ax.plot(q, _probabilities(q), color=scenario_colours[run.label], ls=SCENARIO_STYLES[k % 4],
                        lw=1.6, label=run.label, drawstyle="steps-post")
        # The band only where it falls inside the route's own range: it must not squash
        # a 2-day or a 40-day route's curve against one side.
        left, right = ax.get_xlim()
        _band(ax, vertical=True)
        ax.set_xlim(left, right)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.grid(alpha=0.3)
        ax.set_title(rid, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("transit (days)", fontsize=8)
        ax.set_ylabel("share delivered", fontsize=8)
    handles = [Line2D([], [], color=scenario_colours[r.label], ls=SCENARIO_STYLES[k % 4], label=r.label)
               for k, r in enumerate(runs)]
    handles.append(Patch(color=BAND_COLOUR, alpha=0.35, label=BAND_LABEL))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    fig.suptitle(run_title(runs, "transit time distribution per route") + "\n" + _ratio_lines(runs), fontsize=11)
    return fig


# ---------------------------------------------------------------------------------------
# Box and violin


def _quartiles(q: np.ndarray) -> dict[str, float]:
    """Box statistics read off the 0.1% quantiles."""
    at = lambda p: float(q[int(round(p * (q.size - 1)))])  # noqa: E731
    return {"whislo": at(0.05), "q1": at(0.25), "med": at(0.5), "q3": at(0.75), "whishi": at(0.95)}


def transit_box_figure(runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str]) -> Figure:
    """Violin and box (p25–p75, whiskers p5–p95) per route; side-by-side boxes to compare."""
    routes = shared_routes(runs)
    crowded = len(routes) > 8
    several = len(runs) > 1
    slot = (0.8 if crowded else 1.5) * (1 + 0.35 * (len(runs) - 1))
    width = min(18.0, max(8.0, slot * len(routes) + 2.5))
    fig, ax = plt.subplots(figsize=(width, 6.6 if crowded else 5.8), layout="constrained")
    _band(ax, vertical=False)
    step = 0.8 / len(runs)
    positions = np.arange(1, len(routes) + 1, dtype=float)
    top = CLAIM_BAND_DAYS[1]
    for k, run in enumerate(runs):
        offset = (k - (len(runs) - 1) / 2) * step
        for p, rid in zip(positions + offset, routes):
            q = run.transit[rid]
            colour = scenario_colours[run.label] if several else colours[rid]
            if q.size == 0:
                ax.text(p, CLAIM_BAND_DAYS[1], "no deliveries", ha="center", va="bottom", fontsize=8, rotation=90)
                continue
            top = max(top, float(q[-1]))
            if not several and q[-1] > q[0]:
                body = ax.violinplot([q], positions=[p], widths=0.8, showextrema=False)["bodies"][0]
                body.set_facecolor(colour)
                body.set_edgecolor(colour)
                body.set_alpha(0.35)
            stats = _quartiles(q)
            ax.bxp([{**stats, "fliers": []}], positions=[p], widths=step * 0.55 if several else 0.22,
                   patch_artist=True, showfliers=False,
                   boxprops={"facecolor": colour, "alpha": 0.9 if several else 0.75, "edgecolor": "black"},
                   medianprops={"color": "white" if several else "black", "lw": 1.6})
            if not several:
                ax.annotate(f"{stats['med']:.1f} d", (p, stats["med"]), xytext=(12, 0), textcoords="offset points",
                            va="center", fontsize=7.5 if crowded else 9,
                            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8}, zorder=5)
    ax.set_xticks(positions, routes, rotation=35 if crowded else 0, ha="right" if crowded else "center",
                  fontsize=8.5 if crowded else 9)
    ax.set_xlim(0.4, len(routes) + 0.6)
    ax.set_ylim(0, top * 1.08)
    ax.set_ylabel("transit time, origin to destination (days)")
    ax.set_xlabel("route")
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(run_title(runs, "transit time per route"))
    ax.set_title(_ratio_lines(runs) or " ", fontsize=9.5)
    handles: list = [Patch(color=BAND_COLOUR, alpha=0.35, label=BAND_LABEL)]
    if several:
        handles += [Patch(color=scenario_colours[r.label], label=r.label) for r in runs]
    else:
        handles.append(Patch(color="#999999", alpha=0.35, label="all containers (violin)"))
    handles.append(Patch(facecolor="#cccccc", edgecolor="black", label="box 25th–75th pct, whiskers 5th–95th, median"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    return fig
