"""Flows over time: delivered against demand per week, queues and utilization per day."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.save import subplots
from sim.viz.common import (
    TICK_FONT, all_routes, calendar_axis, grid, outer_labels, run_title, scenario_palette, scenario_style,
    shared_calendar, suptitle, thousands,
)
from sim.output.figure_data import RunData


SINGLE_NODE_COLOUR = "#1b4f72"
FULL_COLOUR = "#000000"
DEMAND_STYLE = (0, (2, 2))


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


def _window_days(run: RunData) -> float:
    return float(run.summary["horizon_days"]) - float(run.summary["warmup_days"])


def throughput_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Per route: delivered per week (solid) and demand per week (dashed); gaps are backlog."""
    palette = scenario_palette(runs, scenario_colours)
    routes = all_routes(runs)
    several = len(runs) > 1
    columns = 4
    fig, axes = grid(len(routes), columns, (4.3, 1.95), top=1.3)
    calendar, window = shared_calendar(runs), max(_window_days(r) for r in runs)
    for ax, rid in zip(axes, routes):
        unit = ""
        for k, run in enumerate(runs):
            if rid not in run.weeks:
                continue
            x, delivered, demand, unit = weekly_rates(run, rid)
            colour = palette[run.label] if several else colours[rid]
            ax.plot(x, delivered, color=colour, lw=1.5, label=f"{run.label} delivered")
            ax.plot(x, demand, color=colour, lw=1.0, ls=DEMAND_STYLE, alpha=0.85, label=f"{run.label} demand")
        ax.set_title(rid, fontsize=9)
        ax.set_ylabel(unit, fontsize=8.5)
        ax.set_ylim(bottom=0)
        thousands(ax)
        calendar_axis(ax, calendar, window)
        ax.xaxis.label.set_fontsize(8.5)
        ax.tick_params(labelsize=TICK_FONT)
        ax.grid(alpha=0.3)
    outer_labels(axes, columns)
    handles = [
        Line2D([], [], color="#444444", lw=1.6, label="delivered per week"),
        Line2D([], [], color="#444444", lw=1.0, ls=DEMAND_STYLE, label="demand (created) per week"),
    ]
    if several:
        handles += [Line2D([], [], color=palette[r.label], lw=1.6, label=r.label) for r in runs]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    suptitle(fig, run_title(runs, "delivered vs demand per week (containers in TEU, bulk in kilotonnes)"))
    return fig


def capacity_nodes(runs: Sequence[RunData]) -> list[str]:
    """Nodes with servers in any run, in the order they first appear."""
    return list(dict.fromkeys(nid for run in runs for nid in run.nodes))


def servers_text(runs: Sequence[RunData], nid: str) -> str:
    """A node's servers in each run: '2 servers' when the runs agree, else 'servers 1 vs 2'
    in the order of the legend ('–' for a run without the node)."""
    counts = [run.nodes[nid].servers if nid in run.nodes else None for run in runs]
    present = list(dict.fromkeys(c for c in counts if c is not None))
    if len(present) == 1 and None not in counts:
        return f"{present[0]} server{'' if present[0] == 1 else 's'}"
    return "servers " + " vs ".join("–" if c is None else str(c) for c in counts)


def bottleneck_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Per capacity-limited node: vehicles queueing and utilization, daily means."""
    palette = scenario_palette(runs, scenario_colours)
    nodes = capacity_nodes(runs)
    title = run_title(runs, "queues and utilization at capacity-limited nodes (daily means)")
    if not nodes:
        fig, ax = subplots(figsize=(10, 3), layout="constrained")
        ax.text(0.5, 0.5, "no capacity-limited nodes in this scenario\n(no node has servers)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        suptitle(fig, title)
        return fig
    several = len(runs) > 1
    calendar, window = shared_calendar(runs), max(_window_days(r) for r in runs)
    fig, axes = subplots(len(nodes), 2, figsize=(14, 1.95 * len(nodes) + 1.3), layout="constrained",
                             squeeze=False, sharex=True)
    for row, nid in zip(axes, nodes):
        queue_ax, util_ax = row
        longest = 0.0
        for k, run in enumerate(runs):
            series = run.nodes.get(nid)
            if series is None:
                continue
            colour = palette[run.label] if several else SINGLE_NODE_COLOUR
            style = scenario_style(k) if several else "-"
            # Plotted at mid-day: the value is the mean over that day.
            queue_ax.plot(series.day + 0.5, series.queue, color=colour, ls=style, lw=1.0, label=run.label)
            util_ax.plot(series.day + 0.5, series.utilization * 100, color=colour, ls=style, lw=1.0, label=run.label)
            longest = max(longest, float(series.queue.max(initial=0.0)))
        owner = next(r for r in runs if nid in r.nodes)
        name = owner.scenario.nodes[nid].name if nid in owner.scenario.nodes else nid
        about = servers_text(runs, nid) if name == nid else f"{nid}, {servers_text(runs, nid)}"
        queue_ax.set_title(f"{name} ({about}): vehicles queueing", fontsize=9, loc="left")
        util_ax.set_title(f"{name}: utilization", fontsize=9, loc="left")
        queue_ax.set_ylabel("vehicles", fontsize=8.5)
        if longest < 0.05:
            # An axis from 0 to 0.05 would magnify a rounding-level blip into a crisis.
            queue_ax.set_ylim(0, 1)
            queue_ax.text(0.5, 0.5, "no queue: vehicles (almost) never wait here", transform=queue_ax.transAxes,
                          ha="center", va="center", fontsize=9, color="#555555")
        else:
            queue_ax.set_ylim(bottom=0)
        util_ax.axhline(100, color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100%)")
        util_ax.set_ylim(0, 110)
        util_ax.set_ylabel("busy servers (%)", fontsize=8.5)
        for ax in row:
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=TICK_FONT)
    for ax in axes[-1]:
        calendar_axis(ax, calendar, window)
    handles = [Line2D([], [], color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100% utilization)")]
    if several:
        handles += [Line2D([], [], color=palette[r.label], ls=scenario_style(k), label=r.label)
                    for k, r in enumerate(runs)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    suptitle(fig, title)
    return fig
