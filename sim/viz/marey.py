"""The time–space (Marey) chart of one route: each vehicle a line, dwell a flat step."""

from __future__ import annotations

import colorsys
import math
import textwrap
from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.save import subplots
from sim.viz.common import day_axis_label, run_title, scenario_palette, shared_calendar, suptitle, panel_title
from sim.viz.events import _day_ticks
from sim.viz.markets import place, route_label
from sim.output.run_data import RunData
from sim.analysis.series import MAREY_DAYS, MareyStop, route_km


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


MAX_TRAINS = 30  # trains a panel draws each in colour; beyond, grey density and a few highlighted
HIGHLIGHTS = 6  # trains drawn in colour, with their load bands, over the grey density
DENSITY_COLOUR = "#9a9a9a"
NAME_WIDTH = 34  # characters a line of a node's name: names are wrapped, never cut
LINE_INCHES = 8 * 1.25 / 72  # height of a line of 8 pt text


def in_window(stops: Sequence[MareyStop], window: tuple[float, float]) -> list[MareyStop]:
    """The stops of the trips that began (first arrival on the route) in [start, start + days)."""
    start, days = window
    begins: dict[int, float] = {}
    for s in stops:
        begins[s.trip] = min(begins.get(s.trip, math.inf), s.arrive)
    keep = {t for t, b in begins.items() if start <= b < start + days}
    return [s for s in stops if s.trip in keep]


def highlighted(trips: Sequence[int], count: int = HIGHLIGHTS) -> set[int]:
    """Every k-th of the trips (in departure order), ``count`` of them, spread over the window."""
    if len(trips) <= count:
        return set(trips)
    picks = np.linspace(0, len(trips) - 1, count).round().astype(int)
    return {trips[i] for i in picks}


def spread(km: Sequence[float], heights: Sequence[float], lo: float, hi: float) -> list[float]:
    """Label heights near each stop's km, moved apart just enough not to overlap
    (``heights``: each label's height in km), kept inside [lo, hi] where they fit."""
    y = list(km)
    for i in range(1, len(y)):  # push up the labels that crowd the one below
        y[i] = max(y[i], y[i - 1] + (heights[i - 1] + heights[i]) / 2)
    if y and y[-1] > hi:  # and back down from the top, if the stack ran over it
        y[-1] = hi
        for i in range(len(y) - 2, -1, -1):
            y[i] = min(y[i], y[i + 1] - (heights[i] + heights[i + 1]) / 2)
    return y


def stop_labels(ax: Axes, stops: Sequence[tuple[str, float]], axis_inches: float) -> None:
    """Every stop's full name and km, wrapped, left of the axis with a leader line to its
    distance: names a few km apart are moved apart, never cut or dropped."""
    if not stops:
        return
    lo, hi = stops[0][1], stops[-1][1]
    span = max(hi - lo, 1.0)
    ax.set_ylim(lo - 0.04 * span, hi + 0.04 * span)
    per_inch = 1.08 * span / axis_inches  # km per inch of the axis
    # A no-break space keeps "(5,563 km)" on one line.
    texts = [textwrap.fill(f"{name} ({km:,.0f}\u00a0km)", NAME_WIDTH, break_on_hyphens=False) for name, km in stops]
    heights = [(t.count("\n") + 1) * LINE_INCHES * per_inch + 0.02 * span for t in texts]
    bottom, top = ax.get_ylim()
    ys = spread([km for _, km in stops], heights, bottom, top)
    ax.set_yticks([km for _, km in stops], [""] * len(stops))
    ax.grid(axis="y", alpha=0.4)
    axis_y = ax.get_yaxis_transform()  # x in axes fraction, y in km
    for text, (_, km), y in zip(texts, stops, ys):
        ax.annotate(text, xy=(0.0, km), xycoords=axis_y, xytext=(-0.035, y), textcoords=axis_y, ha="right",
                    va="center", fontsize=8, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "#666666", "shrinkA": 1, "shrinkB": 0})


def marey_figure(
    runs: Sequence[RunData],
    route_id: str,
    colours: Mapping[str, str],
    scenario_colours: Mapping[str, str] | None = None,
    window: tuple[float, float] | None = None,
) -> Figure:
    """Time against distance for the vehicles of ``route_id`` (one direction: origin to
    destination) that left in ``window`` (start day, days; default the first four weeks after
    the warm-up): each in colour when few, else grey density with a few highlighted."""
    start, days = window if window is not None else (0.0, MAREY_DAYS)
    if days <= 0:
        raise ValueError(f"the time-space chart's window must last more than 0 days, not {days:g}")
    palette = scenario_palette(runs, scenario_colours)
    several = len(runs) > 1
    base = next((r for r in runs if route_id in r.scenario.routes), None)
    if base is None:
        raise ValueError(f"no scenario has route {route_id!r}")
    panel_inches = 5.2
    fig, axes = subplots(len(runs), 1, figsize=(15, panel_inches * len(runs) + 1.3), layout="constrained",
                         squeeze=False, sharex=True, sharey=True)
    route = base.scenario.routes[route_id]
    km = route_km(base.scenario, route)
    nodes = base.scenario.nodes
    stops = [(nodes[n].name if n in nodes else n, v) for n, v in sorted(km.items(), key=lambda kv: kv[1])]
    chosen = [in_window(run.marey.get(route_id, []), (start, days)) for run in runs]
    lines = [trip_lines(c) for c in chosen]
    crowded = max(len(t) for t in lines) > MAX_TRAINS
    # The load bands: as wide as seven points where few trains are drawn, and the same in every panel.
    full = 7.0 if not crowded else 5.0
    latest = start + days
    for ax, run, trips, mine in zip(axes[:, 0], runs, lines, chosen):
        colour = palette[run.label] if several else readable(colours[route_id])
        bright = highlighted(list(trips)) if crowded else set(trips)
        for trip, (seg, xs, ys) in trips.items():
            lit = trip in bright
            ax.plot(xs, ys, color=colour if lit else DENSITY_COLOUR, lw=1.4 if lit else 0.6,
                    alpha=0.95 if lit else 0.45, ls=SEGMENT_STYLES[seg % 4], gid=f"trip-{trip}",
                    zorder=3 if lit else 2)
            latest = max(latest, max(xs))
        legs = loaded_legs([s for s in mine if s.trip in bright], full)
        if legs[0]:
            ax.add_collection(LineCollection(legs[0], linewidths=legs[1], colors=colour, alpha=0.25, capstyle="butt"))
        if not trips:
            ax.text(0.5, 0.5, f"no vehicle of this route left in days {start:g}–{start + days:g}"
                    if route_id in run.scenario.routes else "this scenario has no such route",
                    transform=ax.transAxes, ha="center", va="center")
        ax.grid(axis="x", alpha=0.2)
        ax.set_ylabel("distance from origin (km)", labelpad=2)
        ax.yaxis.set_label_position("right")
        ax.tick_params(axis="x", labelsize=9)
        if several:
            panel_title(ax, run.label, loc="left", fontsize=10, color=colour)
    for ax in axes[:, 0]:
        stop_labels(ax, stops, panel_inches - 0.9)
        ax.axvspan(start, start + days, color="#f2f2f2", zorder=0, lw=0)
    axes[-1, 0].set_xlim(start, latest + 0.5)
    _time_axis(axes[-1, 0], runs, start, latest + 0.5)
    # One run: the legend in the route's colour, as its lines; several: each panel has its own.
    ink = "#444444" if several else readable(colours[route_id])
    fig.legend(handles=_handles(base, route, full, crowded, ink), loc="outside lower center", ncols=3, frameon=False,
               fontsize=9)
    drawn = " vs ".join(str(len(t)) for t in lines)  # per scenario, in the order of the panels
    kinds = {base.scenario.services[seg.service].vehicle for seg in route.segments}
    vehicles = f"{kinds.pop()}s" if len(kinds) == 1 else "vehicles"
    what = (f"the {drawn} {vehicles} that left in days {start:g}–{start + days:g} (shaded), drawn whole, "
            f"from replication 1")
    if crowded:
        what += f"; {HIGHLIGHTS} of them highlighted, the rest grey"
    if not any(lines):  # marey.csv holds the trips of the window the results were written with
        what += "; the results hold no trip that left in this window (routesim run --marey-window writes them)"
    direction = f"{place(base.scenario, route.path[0])} → {place(base.scenario, route.path[-1])}"
    suptitle(
        fig,
        f"{route_label(base.scenario, route_id, 400)} ({route_id}); one direction, {direction}\n"
        f"{run_title(runs, what)}\n"
        "sloped = moving (the wider band: the vehicle's load factor on that leg, every route's cargo and background), "
        "flat = dwell at a node",
        fontsize=10.5,
    )
    return fig


def _time_axis(ax: Axes, runs: Sequence[RunData], lo: float, hi: float) -> None:
    """Dated weekly ticks when the runs share dates, else days since the start."""
    calendar = shared_calendar(runs)
    if calendar is not None and calendar.dated:
        _day_ticks(ax, calendar, lo, hi, "date")
        return
    if calendar is not None and not calendar.dated and any(r.scenario.settings.start_date for r in runs):
        # 1 January of different years: the days line up, the dates do not.
        ax.set_xlabel("time (days since 1 January of each scenario's year)")
    else:
        ax.set_xlabel(day_axis_label(calendar))


def _handles(base: RunData, route, full: float, crowded: bool, ink: str) -> list:
    """Legend: each segment's service (by line style), the load bands, the grey density;
    services and bands in ``ink``, the colour their lines are drawn in."""
    handles = [
        Line2D([], [], color=ink, ls=SEGMENT_STYLES[k % 4],
               label=f"{seg.service} ({base.scenario.services[seg.service].vehicle}): {seg.nodes[0]} → {seg.nodes[-1]}")
        for k, seg in enumerate(route.segments)
    ]
    handles += [Line2D([], [], color=ink, alpha=0.25, lw=_width(f, full), label=f"load factor {f:.0%} on the leg")
                for f in (0.25, 1.0)]
    if crowded:
        handles.append(Line2D([], [], color=DENSITY_COLOUR, lw=0.6, alpha=0.6,
                              label="every other vehicle of the window (grey: how dense the traffic is)"))
    return handles
