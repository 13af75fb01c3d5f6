"""Flows over time: delivered against demand per week, queues and utilization per day."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .colours import SCENARIO_STYLES
from .fig_common import calendar_axis, grid, run_title, thousands
from .fig_transit import shared_routes
from .figdata import RunData

import matplotlib.pyplot as plt  # noqa: E402  (fig_common selected the Agg backend)

SINGLE_NODE_COLOUR = "#1b4f72"
FULL_COLOUR = "#000000"


def weekly_rates(run: RunData, route_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(mid-week day, delivered per week, demand per week, unit) of one route.

    Container routes in TEU, bulk routes in kilotonnes.  A last, partial week is left out:
    a day or two scaled up to a week would swing with the timing of a single ship.
    """
    w = run.weeks[route_id]
    whole = w.days >= 7.0 - 1e-9
    bulk = run.scenario.routes[route_id].demand.cargo == "bulk"
    if bulk:
        delivered, created, unit = w.delivered_tonnes / 1000.0, w.created_tonnes / 1000.0, "kt/week"
    else:
        delivered, created, unit = w.delivered_teu, w.created_teu, "TEU/week"
    return (w.start_day + w.days / 2)[whole], delivered[whole], created[whole], unit


def _common_year(runs: Sequence[RunData]) -> int | None:
    """The year shared by every run, or None (then the axis shows months without a year)."""
    years = {r.summary.get("year") for r in runs}
    return years.pop() if len(years) == 1 else None


def _window_days(run: RunData) -> float:
    return float(run.summary["horizon_days"]) - float(run.summary["warmup_days"])


def throughput_figure(runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str]) -> Figure:
    """Per route: delivered per week (solid) and demand per week (dashed); gaps are backlog."""
    routes = shared_routes(runs)
    several = len(runs) > 1
    fig, axes = grid(len(routes), 4, (4.3, 2.5), top=1.4)
    for ax, rid in zip(axes, routes):
        unit = ""
        for k, run in enumerate(runs):
            x, delivered, demand, unit = weekly_rates(run, rid)
            colour = scenario_colours[run.label] if several else colours[rid]
            ax.plot(x, delivered, color=colour, lw=1.5, label=f"{run.label} delivered")
            ax.plot(x, demand, color=colour, lw=1.0, ls=(0, (2, 2)), alpha=0.8, label=f"{run.label} demand")
        ax.set_title(rid, fontsize=9)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_ylim(bottom=0)
        thousands(ax)
        calendar_axis(ax, _common_year(runs), _window_days(runs[0]))
        ax.xaxis.label.set_fontsize(8)
        ax.tick_params(labelsize=7.5)
        ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], color="#444444", lw=1.6, label="delivered per week"),
        Line2D([], [], color="#444444", lw=1.0, ls=(0, (2, 2)), label="demand (created) per week"),
    ]
    if several:
        handles += [Line2D([], [], color=scenario_colours[r.label], lw=1.6, label=r.label) for r in runs]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    fig.suptitle(run_title(runs, "delivered vs demand per week (TEU; bulk routes in kilotonnes)"))
    return fig


def capacity_nodes(runs: Sequence[RunData]) -> list[str]:
    """Nodes with servers in any run, in the order they first appear."""
    return list(dict.fromkeys(nid for run in runs for nid in run.nodes))


def bottleneck_figure(runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str]) -> Figure:
    """Per capacity-limited node: vehicles queueing and utilization, daily means."""
    nodes = capacity_nodes(runs)
    title = run_title(runs, "queues and utilization at capacity-limited nodes (daily means)")
    if not nodes:
        fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        ax.text(0.5, 0.5, "no capacity-limited nodes in this scenario\n(no node has servers)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        fig.suptitle(title)
        return fig
    several = len(runs) > 1
    fig, axes = plt.subplots(len(nodes), 2, figsize=(14, 2.2 * len(nodes) + 1.3), layout="constrained",
                             squeeze=False, sharex=True)
    for row, nid in zip(axes, nodes):
        queue_ax, util_ax = row
        for k, run in enumerate(runs):
            series = run.nodes.get(nid)
            if series is None:
                continue
            colour = scenario_colours[run.label] if several else SINGLE_NODE_COLOUR
            style = SCENARIO_STYLES[k % 4] if several else "-"
            queue_ax.plot(series.day + 0.5, series.queue, color=colour, ls=style, lw=1.1, label=run.label)
            util_ax.plot(series.day + 0.5, series.utilization * 100, color=colour, ls=style, lw=1.1, label=run.label)
        name = runs[0].scenario.nodes[nid].name if nid in runs[0].scenario.nodes else nid
        servers = next(r.nodes[nid].servers for r in runs if nid in r.nodes)
        queue_ax.set_title(f"{name} ({nid}, {servers} servers): vehicles queueing", fontsize=9, loc="left")
        util_ax.set_title(f"{name}: utilization", fontsize=9, loc="left")
        queue_ax.set_ylabel("vehicles", fontsize=8)
        queue_ax.set_ylim(bottom=0)
        util_ax.axhline(100, color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100%)")
        util_ax.set_ylim(0, 110)
        util_ax.set_ylabel("busy servers (%)", fontsize=8)
        for ax in row:
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        calendar_axis(ax, _common_year(runs), _window_days(runs[0]))
    handles = [Line2D([], [], color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100% utilization)")]
    if several:
        handles += [Line2D([], [], color=scenario_colours[r.label], ls=SCENARIO_STYLES[k % 4], label=r.label)
                    for k, r in enumerate(runs)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    fig.suptitle(title)
    return fig
