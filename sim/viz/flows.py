"""Flows over time: delivered against demand per week (a rolling four-week mean for routes
on weekly sailings), and the queues, waits and utilization of the nodes that queue."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.model.scenario import Event, Route, Scenario
from sim.viz.save import subplots
from sim.viz.common import (
    TICK_FONT, all_routes, calendar_axis, grid, outer_labels, panel_title, run_title, scenario_palette, scenario_style,
    shared_calendar, suptitle, thousands,
)
from sim.viz.events import SPAN_COLOURS, _shade, event_span, span_label
from sim.viz.markets import market_panels, route_label
from sim.output.run_data import RunData


SINGLE_NODE_COLOUR = "#1b4f72"
FULL_COLOUR = "#000000"
DEMAND_STYLE = (0, (2, 2))
ROLLING_WEEKS = 4  # weeks averaged for a route on weekly (or rarer) sailings
# A node is drawn when it queues: a mean wait of an hour, or a day whose mean queue is a vehicle.
WAIT_THRESHOLD_HOURS = 1.0
QUEUE_THRESHOLD_VEHICLES = 1.0
THRESHOLD_TEXT = (f"nodes where vehicles queue: mean wait ≥ {WAIT_THRESHOLD_HOURS:g} h "
                  f"or a day's mean queue ≥ {QUEUE_THRESHOLD_VEHICLES:g} vehicle")


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


def sails_weekly(scenario: Scenario, route: Route) -> bool:
    """True when a service of the route leaves once a week or less often: its deliveries
    come in weekly lumps, and a week's total shows the timetable rather than backlog."""
    for seg in route.segments:
        sched = scenario.services[seg.service].schedule
        if sched.kind == "frequency" and sched.headway_days >= 7.0 - 1e-9:
            return True
        if sched.kind == "days" and len(set(sched.days)) <= 1:
            return True
    return False


def rolling(x: np.ndarray, y: np.ndarray, weeks: int = ROLLING_WEEKS) -> tuple[np.ndarray, np.ndarray]:
    """(centre day, mean) of every ``weeks`` consecutive weeks: a sailing's lump spread over
    the weeks around it, so that a gap between delivered and demand is backlog."""
    if y.size < weeks:
        return x, y
    kernel = np.full(weeks, 1.0 / weeks)
    return np.convolve(x, kernel, "valid"), np.convolve(y, kernel, "valid")


def _window_days(run: RunData) -> float:
    """Days of the measured window (horizon less warm-up)."""
    return float(run.summary["horizon_days"]) - float(run.summary["warmup_days"])


def _owner(runs: Sequence[RunData], route_id: str) -> RunData:
    """The first run whose scenario has the route (a comparison may add or drop some)."""
    return next(r for r in runs if route_id in r.scenario.routes)


def throughput_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Per route (by market): delivered (solid) and demand (dashed) per week, a rolling
    four-week mean of both for weekly sailings; a gap between them is backlog."""
    palette = scenario_palette(runs, scenario_colours)
    routes = [rid for p in market_panels([r.scenario for r in runs], all_routes(runs)) for rid in p.routes]
    several = len(runs) > 1
    columns = 4
    fig, axes = grid(len(routes), columns, (4.3, 2.05), top=1.4)
    calendar, window = shared_calendar(runs), max(_window_days(r) for r in runs)
    any_rolling = False
    for ax, rid in zip(axes, routes):
        owner = _owner(runs, rid)
        lumpy = sails_weekly(owner.scenario, owner.scenario.routes[rid])
        any_rolling |= lumpy
        unit = ""
        for k, run in enumerate(runs):
            if rid not in run.weeks:
                continue
            x, delivered, demand, unit = weekly_rates(run, rid)
            if lumpy:
                (xd, delivered), (_, demand) = rolling(x, delivered), rolling(x, demand)
                x = xd
            colour = palette[run.label] if several else colours[rid]
            ax.plot(x, delivered, color=colour, lw=1.5, label=f"{run.label} delivered")
            ax.plot(x, demand, color=colour, lw=1.0, ls=DEMAND_STYLE, alpha=0.85, label=f"{run.label} demand")
        panel_title(ax, route_label(owner.scenario, rid, 54), fontsize=TICK_FONT, loc="left")
        ax.set_ylabel(unit + (f"\n({ROLLING_WEEKS}-week mean)" if lumpy else ""), fontsize=8.5)
        # From zero, with the margin a twentieth of that span: autoscaling's margin is of the
        # data's own span, which left a ship route's peaks on the top edge.
        top = ax.dataLim.y1 if np.isfinite(ax.dataLim.y1) and ax.dataLim.y1 > 0 else 1.0
        ax.set_ylim(0, top * 1.05)
        thousands(ax)
        calendar_axis(ax, calendar, window)
        ax.xaxis.label.set_fontsize(8.5)
        ax.tick_params(labelsize=TICK_FONT)
        ax.grid(alpha=0.3)
        if lumpy:
            ax.text(0.99, 0.04, f"weekly sailings: {ROLLING_WEEKS}-week rolling mean", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=TICK_FONT, color="#555555",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    outer_labels(axes, columns)
    handles = [
        Line2D([], [], color="#444444", lw=1.6, label="delivered per week"),
        Line2D([], [], color="#444444", lw=1.0, ls=DEMAND_STYLE, label="demand (created) per week"),
    ]
    if several:
        handles += [Line2D([], [], color=palette[r.label], lw=1.6, label=r.label) for r in runs]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    what = "delivered vs demand per week (containers in TEU, bulk in kilotonnes)"
    if any_rolling:
        what += f"; routes on weekly sailings: {ROLLING_WEEKS}-week rolling means"
    suptitle(fig, run_title(runs, what))
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


def mean_wait_hours(run: RunData, nid: str) -> float:
    """The node's mean wait for a server over the run (summary.json), in hours (0 if unknown)."""
    days = (run.summary.get("nodes", {}).get(nid) or {}).get("mean_wait_days")
    return 24.0 * float(days) if days is not None else 0.0


def arrivals_per_day(run: RunData, nid: str) -> float:
    """Vehicles arriving a day at the node, the run's mean (summary.json), NaN if unknown."""
    per_year = ((run.summary.get("nodes", {}).get(nid) or {}).get("vehicles_per_year") or {}).get("mean")
    return float(per_year) / 365.0 if per_year else float("nan")


def wait_text(hours: float) -> str:
    """'0.6 h', or '6.3 d' past two days: the unit a reader takes in at once."""
    return f"{hours:.1f} h" if hours < 48.0 else f"{hours / 24.0:.1f} d"


def queues(run: RunData, nid: str) -> bool:
    """True when vehicles queue at the node by the stated threshold (THRESHOLD_TEXT)."""
    series = run.nodes.get(nid)
    peak = float(series.queue.max(initial=0.0)) if series is not None else 0.0
    return mean_wait_hours(run, nid) >= WAIT_THRESHOLD_HOURS or peak >= QUEUE_THRESHOLD_VEHICLES


def queueing_nodes(runs: Sequence[RunData]) -> list[str]:
    """The capacity-limited nodes that queue in any run, in the order they first appear."""
    return [nid for nid in capacity_nodes(runs) if any(nid in r.nodes and queues(r, nid) for r in runs)]


def node_events(scenario: Scenario, nid: str) -> list[Event]:
    """Dated events that change the node: those targeting it, a leg that starts or ends there,
    or a service that calls there (random spells are left out: they differ by replication)."""
    out = []
    for e in scenario.events:
        if e.random is not None:
            continue
        hit = any(
            (e.section == "nodes" and t == nid)
            or (e.section == "legs" and t in scenario.legs and nid in (scenario.legs[t].start, scenario.legs[t].end))
            or (e.section == "services" and t in scenario.services and nid in scenario.services[t].path)
            for t in e.targets
        )
        if hit:
            out.append(e)
    return out


def _event_spans(scenario: Scenario, nid: str) -> list[tuple[float, float, str, str]]:
    """(first day, last day, label, colour) of each dated event at the node, for _shade."""
    colour = {e.id: SPAN_COLOURS[i % len(SPAN_COLOURS)] for i, e in enumerate(scenario.events)}
    return [(*event_span(e, scenario), span_label(e, scenario), colour[e.id]) for e in node_events(scenario, nid)]


def _wait_axis(ax: Axes, rate: float, longest: float) -> None:
    """A right-hand axis of the wait the queue means at the run's mean arrival rate (Little's
    law: wait = queue ÷ arrivals), in hours, or in days when it runs past two days."""
    hours = longest * 24.0 / rate
    per = 24.0 if hours <= 48.0 else 1.0
    unit = "hours" if per == 24.0 else "days"
    twin = ax.secondary_yaxis("right", functions=(lambda q: q * per / rate, lambda w: w * rate / per))
    twin.set_ylabel(f"≈ wait ({unit})", fontsize=8.5)
    twin.tick_params(labelsize=TICK_FONT)


def bottleneck_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Per node that queues (THRESHOLD_TEXT): vehicles queueing, with the wait that means,
    and utilization, daily means; dated events at the node shaded."""
    palette = scenario_palette(runs, scenario_colours)
    limited = capacity_nodes(runs)
    nodes = queueing_nodes(runs)
    title = run_title(runs, "queues, waits and utilization at the nodes that queue (daily means)")
    if not nodes:
        fig, ax = subplots(figsize=(10, 3), layout="constrained")
        why = ("no capacity-limited nodes in this scenario\n(no node has servers)" if not limited else
               f"no node queues: none of the {len(limited)} capacity-limited nodes has a\n"
               f"mean wait ≥ {WAIT_THRESHOLD_HOURS:g} h or a day's mean queue ≥ {QUEUE_THRESHOLD_VEHICLES:g} vehicle")
        ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        suptitle(fig, title)
        return fig
    several = len(runs) > 1
    calendar, window = shared_calendar(runs), max(_window_days(r) for r in runs)
    # The queue panel wider: its title names the node, and the queue is what the figure is about.
    fig, axes = subplots(len(nodes), 2, figsize=(15, 2.1 * len(nodes) + 1.6), layout="constrained",
                         squeeze=False, sharex=True, gridspec_kw={"width_ratios": (3, 2)})
    for row, nid in zip(axes, nodes):
        _node_row(row, runs, nid, palette, several)
    for ax in axes[-1]:
        calendar_axis(ax, calendar, window)
    for row, nid in zip(axes, nodes):
        owner = next(r for r in runs if nid in r.nodes)
        spans = _event_spans(owner.scenario, nid)
        for ax in row:
            _shade(ax, spans)
    handles = [Line2D([], [], color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100% utilization)")]
    if several:
        handles += [Line2D([], [], color=palette[r.label], ls=scenario_style(k), label=r.label)
                    for k, r in enumerate(runs)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    left_out = [n for n in limited if n not in nodes]
    note = f"{THRESHOLD_TEXT}: {len(nodes)} of {len(limited)} capacity-limited nodes"
    if left_out:
        note += f" (not shown: {', '.join(left_out)})"
    suptitle(fig, f"{title}\n{note}\n≈ wait: the queue ÷ the node's mean arrivals per day (Little's law)",
             fontsize=11)
    return fig


def _node_row(row: Sequence[Axes], runs: Sequence[RunData], nid: str, palette: Mapping[str, str],
              several: bool) -> None:
    """One node's queue panel (vehicles, and the wait they mean) and utilization panel."""
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
    waits = " vs ".join(wait_text(mean_wait_hours(r, nid)) for r in runs if nid in r.nodes)
    panel_title(queue_ax, f"{name} ({about}): vehicles queueing; mean wait {waits}", fontsize=9, loc="left")
    panel_title(util_ax, "utilization (the node on the left)", fontsize=9, loc="left")
    queue_ax.set_ylabel("vehicles", fontsize=8.5)
    queue_ax.set_ylim(0, max(longest * 1.1, 1.0))
    rates = [arrivals_per_day(r, nid) for r in runs if nid in r.nodes]
    # One wait scale only when the runs' arrival rates agree (within 5%): else it would be wrong for one.
    if all(np.isfinite(rates)) and max(rates) <= 1.05 * min(rates):
        _wait_axis(queue_ax, float(np.mean(rates)), max(longest * 1.1, 1.0))
    util_ax.axhline(100, color=FULL_COLOUR, ls=":", lw=1.2, label="capacity (100%)")
    util_ax.set_ylim(0, 110)
    util_ax.set_ylabel("busy servers (%)", fontsize=8.5)
    for ax in row:
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=TICK_FONT)
