"""The time–space (Marey) chart of one route: each vehicle a line, dwell a flat step."""

from __future__ import annotations

from typing import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .fig_transit import EUROPE
from .figdata import RunData
from .series import MareyStop, route_km

import matplotlib.pyplot as plt  # noqa: E402  (fig_common selected the Agg backend)

SEGMENT_STYLES = ("-", "--", ":", "-.")


def default_marey_route(run: RunData) -> str:
    """The route charted when none is named: the busiest China→Europe container rail route,
    else the busiest rail route, else the route with the most stops."""
    nodes, routes = run.scenario.nodes, run.scenario.routes

    def teu(rid: str) -> float:
        return run.summary["routes"].get(rid, {}).get("throughput_teu_per_year", {}).get("mean") or 0.0

    rail = [rid for rid, r in routes.items() if r.mode == "rail" and r.demand.cargo == "container"]
    to_europe = [rid for rid in rail
                 if nodes[routes[rid].path[0]].country == "CN" and nodes[routes[rid].path[-1]].country in EUROPE]
    for candidates in (to_europe, rail):
        if candidates:
            return max(candidates, key=lambda rid: (teu(rid), -list(routes).index(rid)))
    return max(routes, key=lambda rid: (len(routes[rid].path), -list(routes).index(rid)))


def trip_lines(stops: Sequence[MareyStop]) -> dict[int, tuple[int, list[float], list[float]]]:
    """Per trip: (segment, times, km) of its polyline, arrive then depart at every stop."""
    lines: dict[int, tuple[int, list[float], list[float]]] = {}
    for s in stops:
        seg, xs, ys = lines.setdefault(s.trip, (s.segment, [], []))
        xs += [s.arrive, s.depart]
        ys += [s.km, s.km]
    return lines


def marey_figure(
    runs: Sequence[RunData], route_id: str, colours: Mapping[str, str], scenario_colours: Mapping[str, str]
) -> Figure:
    """Time against distance for every vehicle of ``route_id`` that left in the first weeks."""
    several = len(runs) > 1
    fig, axes = plt.subplots(len(runs), 1, figsize=(14, 5.2 * len(runs) + 0.8), layout="constrained",
                             squeeze=False, sharex=True, sharey=True)
    base = runs[0]
    route = base.scenario.routes[route_id]
    km = route_km(base.scenario, route)
    for ax, run in zip(axes[:, 0], runs):
        colour = scenario_colours[run.label] if several else colours[route_id]
        for trip, (seg, xs, ys) in trip_lines(run.marey.get(route_id, [])).items():
            ax.plot(xs, ys, color=colour, lw=1.0, alpha=0.8, ls=SEGMENT_STYLES[seg % 4], gid=f"trip-{trip}")
        ticks = sorted(km.items(), key=lambda kv: kv[1])
        ax.set_yticks([v for _, v in ticks], [f"{run.scenario.nodes[n].name} ({v:,.0f} km)" if n in run.scenario.nodes
                                              else n for n, v in ticks], fontsize=8)
        ax.grid(axis="y", alpha=0.4)
        ax.grid(axis="x", alpha=0.2)
        ax.set_ylabel("distance from origin (km)")
        if several:
            ax.set_title(run.label, loc="left", fontsize=10, color=colour)
    years = {r.summary.get("year") for r in runs}
    if len(years) > 1:
        xlabel = "time (days since 1 January of each scenario's year)"
    elif None in years:
        xlabel = "time (days since the end of the warm-up)"
    else:
        xlabel = f"time (days since 1 January {years.pop()})"
    axes[-1, 0].set_xlabel(xlabel)
    handles = [
        Line2D([], [], color="#444444", ls=SEGMENT_STYLES[k % 4],
               label=f"{seg.service} ({base.scenario.services[seg.service].vehicle}): {seg.nodes[0]} → {seg.nodes[-1]}")
        for k, seg in enumerate(route.segments)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), frameon=False, fontsize=9)
    reps = "replication 1"
    fig.suptitle(
        f"{route.name} ({route_id}): every vehicle that left in the first 4 weeks, {reps}\n"
        "sloped = moving, flat = dwell at a node (handling, queueing, gauge change)",
        fontsize=11,
    )
    return fig
