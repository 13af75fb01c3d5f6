"""The time–space (Marey) chart of one route: each vehicle a line, dwell a flat step."""

from __future__ import annotations

import colorsys
import math
from typing import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.save import subplots
from sim.viz.common import day_axis_label, run_title, scenario_palette, shared_calendar, suptitle
from sim.output.figure_data import RunData
from sim.analysis.series import MareyStop, route_km


SEGMENT_STYLES = ("-", "--", ":", "-.")


def default_marey_route(run: RunData) -> str:
    """The route charted when none is named: the busiest route of the claims file's ratio
    denominator (the study's main rail group), else the busiest container rail route, else
    the route with the most stops."""
    routes = run.scenario.routes

    def teu(rid: str) -> float:
        return run.summary["routes"].get(rid, {}).get("throughput_teu_per_year", {}).get("mean") or 0.0

    rail = [rid for rid, r in routes.items() if r.mode == "rail" and r.demand.cargo == "container"]
    claims = run.scenario.claims
    main = [rid for rid in (claims.ratio[1].routes if claims is not None and claims.ratio else ()) if rid in routes]
    for candidates in (main, rail):
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


def _width(load_factor: float, full: float = 7.0) -> float:
    """Line width of a leg by the vehicle's load factor on it: 0.5 pt empty, ``full`` pt full."""
    return 0.5 + (full - 0.5) * min(max(load_factor, 0.0), 1.0)


def loaded_legs(stops: Sequence[MareyStop], full: float = 7.0) -> tuple[list, list[float]]:
    """The moving legs of the trips (from leaving a stop to reaching the next) and their
    widths by the vehicle's load factor there, all routes' cargo and background included."""
    segments, widths = [], []
    for a, b in zip(stops, stops[1:]):
        if a.trip == b.trip and math.isfinite(a.load):
            segments.append([(a.depart, a.km), (b.arrive, b.km)])
            widths.append(_width(a.load, full))
    return segments, widths


def readable(colour: str) -> str:
    """The colour, darkened if it is pale: a hundred thin lines in light cyan or pale yellow
    would vanish on white.  Hue and saturation stay, so the route is still recognisable."""
    h, lightness, sat = colorsys.rgb_to_hls(*to_rgb(colour))
    if lightness <= 0.6:
        return colour
    return to_hex(colorsys.hls_to_rgb(h, 0.45, sat))


def _short(name: str, width: int = 40) -> str:
    """A node name cut to ``width`` characters: the long official names would eat the plot."""
    return name if len(name) <= width else name[: width - 1].rstrip(" ,/-(") + "…"


def stop_ticks(ax: Axes, stops: Sequence[tuple[str, float]]) -> None:
    """(node name, km) ticks, left of the axis; a name too close to the one below it goes
    to the right-hand axis instead, and one too close on both sides joins the right-hand
    label below it (so no stop goes unnamed and no two names overlap)."""
    if not stops:
        return
    lo, hi = stops[0][1], stops[-1][1]
    gap = 0.045 * (hi - lo) if hi > lo else 1.0  # about one line of 8 pt text on a 5 in axis
    left: list[tuple[float, str]] = []
    right: list[tuple[float, str]] = []
    for name, km in stops:
        if not left or km - left[-1][0] >= gap:
            left.append((km, f"{_short(name)} ({km:,.0f} km)"))
            continue
        # The right-hand names are shorter: they take width from the plot, not the margin.
        label = f"{_short(name, 26)} ({km:,.0f} km)"
        if not right or km - right[-1][0] >= gap:
            right.append((km, label))
        else:  # a second line under the right-hand name below it
            right[-1] = (right[-1][0], f"{right[-1][1]}\n{label}")
    ax.set_yticks([km for km, _ in left], [label for _, label in left], fontsize=8)
    ax.set_yticks([km for _, km in stops], minor=True)  # every stop keeps its grid line
    ax.grid(axis="y", which="both", alpha=0.4)
    if right:
        twin = ax.secondary_yaxis("right")
        twin.set_yticks([km for km, _ in right], [label for _, label in right], fontsize=8)


def marey_figure(
    runs: Sequence[RunData],
    route_id: str,
    colours: Mapping[str, str],
    scenario_colours: Mapping[str, str] | None = None,
) -> Figure:
    """Time against distance for every vehicle of ``route_id`` that left in the first weeks."""
    palette = scenario_palette(runs, scenario_colours)
    several = len(runs) > 1
    base = next((r for r in runs if route_id in r.scenario.routes), None)
    if base is None:
        raise ValueError(f"no scenario has route {route_id!r}")
    fig, axes = subplots(len(runs), 1, figsize=(14, 4.8 * len(runs) + 1.1), layout="constrained",
                             squeeze=False, sharex=True, sharey=True)
    route = base.scenario.routes[route_id]
    km = route_km(base.scenario, route)
    nodes = base.scenario.nodes
    stops = [(nodes[n].name if n in nodes else n, v) for n, v in sorted(km.items(), key=lambda kv: kv[1])]
    lines = [trip_lines(run.marey.get(route_id, [])) for run in runs]
    # A busy route runs a train every few hours: thinner, lighter lines keep them apart
    # (the same in every panel, so that density compares).
    lw, alpha = (0.8, 0.7) if max(len(t) for t in lines) > 80 else (1.1, 0.9)
    # The load bands: as wide as seven points where few trains run, three where many do (they
    # would merge into one smear), and the same in every panel.
    full = 7.0 if max(len(t) for t in lines) <= 40 else 3.0
    for ax, run, trips in zip(axes[:, 0], runs, lines):
        colour = palette[run.label] if several else readable(colours[route_id])
        for trip, (seg, xs, ys) in trips.items():
            ax.plot(xs, ys, color=colour, lw=lw, alpha=alpha, ls=SEGMENT_STYLES[seg % 4], gid=f"trip-{trip}")
        legs = loaded_legs(run.marey.get(route_id, []), full)
        if legs[0]:
            ax.add_collection(LineCollection(legs[0], linewidths=legs[1], colors=colour, alpha=0.25, capstyle="butt"))
        if not trips:
            ax.text(0.5, 0.5, "no vehicle of this route left in the first 4 weeks" if route_id in run.scenario.routes
                    else "this scenario has no such route", transform=ax.transAxes, ha="center", va="center")
        stop_ticks(ax, stops)
        ax.grid(axis="x", alpha=0.2)
        ax.set_ylabel("distance from origin (km)")
        ax.tick_params(axis="x", labelsize=9)
        if several:
            ax.set_title(run.label, loc="left", fontsize=10, color=colour)
    calendar = shared_calendar(runs)
    if calendar is not None and not calendar.dated and any(r.scenario.settings.start_date for r in runs):
        # 1 January of different years: the days line up, the dates do not.
        xlabel = "time (days since 1 January of each scenario's year)"
    else:
        xlabel = day_axis_label(calendar)
    axes[-1, 0].set_xlabel(xlabel)
    handles = [
        Line2D([], [], color="#444444", ls=SEGMENT_STYLES[k % 4],
               label=f"{seg.service} ({base.scenario.services[seg.service].vehicle}): {seg.nodes[0]} → {seg.nodes[-1]}")
        for k, seg in enumerate(route.segments)
    ]
    handles += [Line2D([], [], color="#444444", alpha=0.25, lw=_width(f, full), label=f"load factor {f:.0%} on the leg")
                for f in (0.25, 1.0)]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), frameon=False, fontsize=9)
    suptitle(
        fig,
        f"{route.name} ({route_id})\n"
        f"{run_title(runs, 'every vehicle that left in the first 4 weeks, drawn from replication 1')}\n"
        "sloped = moving (the wider band: the vehicle's load factor on that leg, every route's cargo and background), "
        "flat = dwell at a node",
        fontsize=10.5,
    )
    return fig
