"""The events figure: per affected node and route, the daily queue and the transit of
containers by departure date, with each event's span shaded and labelled."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.model.calendar import Calendar
from sim.model.distributions import Fixed
from sim.model.scenario import Event, Scenario
from sim.model.text import counted
from sim.viz.common import TICK_FONT, day_axis_label, suptitle, thousands, panel_title
from sim.viz.save import subplots
from sim.output.figure_data import event_targets
from sim.output.run_data import EventDays, RunData

MAX_ROUTES = 6  # route rows drawn (the event's own routes first, then the busiest through it)
SPAN_COLOURS = ("#e74c3c", "#3498db", "#f39c12", "#27ae60", "#8e44ad", "#16a085")
NODE_COLOUR = "#1b4f72"
MARGIN_DAYS = 21.0  # shown before the first and after the last event of a panel


def has_events(runs: Sequence[RunData]) -> bool:
    """True when some run's scenario has events (the figure is drawn only then)."""
    return any(run.scenario.events for run in runs)


def event_span(e: Event, scenario: Scenario) -> tuple[float, float]:
    """(first, last) calendar day of an event: a random duration is shown by its mean, an
    open-ended event until the end of the measured window."""
    s = scenario.settings
    start = s.calendar.calendar_day(e.start)
    end = start + e.duration.mean if e.duration is not None else s.calendar.calendar_day(s.horizon_days)
    return float(start), float(end)


def span_label(e: Event, scenario: Scenario) -> str:
    """'Ever Given blocks Suez, 2021-03-23 – 2021-03-29': the event's name and dates."""
    if e.random is not None:  # no dates: spells differ by replication
        return f"{e.name or e.id}, random ({e.random.per_year:g}/yr)"
    first, last = event_span(e, scenario)
    calendar = scenario.settings.calendar
    if e.duration is None:
        until = "run end"
    else:
        # The last day in force (the end is the first day no longer affected).
        until = calendar.iso(np.ceil(last) - 1) if calendar.dated else f"day {last:g}"
    since = calendar.iso(np.floor(first)) if calendar.dated else f"day {first:g}"
    mean = " (mean duration)" if e.duration is not None and not _fixed(e) else ""
    return f"{e.name or e.id}, {since} – {until}{mean}"


def _fixed(e: Event) -> bool:
    return isinstance(e.duration, Fixed)


def events_of(scenario: Scenario, kind: str, ident: str) -> list[Event]:
    """The events that change a node (those targeting it) or a route (targeting it, a node
    on its path, a leg or a service it uses)."""
    out = []
    for e in scenario.events:
        if kind == "node":
            hit = e.section == "nodes" and ident in e.targets
        else:
            route = scenario.routes[ident]
            hit = any(
                (e.section == "routes" and t == ident)
                or (e.section == "nodes" and t in route.path)
                or (e.section == "legs" and any(t in s.legs for s in route.segments))
                or (e.section == "services" and any(t == s.service for s in route.segments))
                for t in e.targets
            )
        if hit:
            out.append(e)
    return out


def _shade(ax: Axes, spans: Sequence[tuple[float, float, str, str]]) -> None:
    """Each span shaded in its colour and labelled at the top (staggered when several spans
    share a panel, so that labels do not overlap); call after the x range is set."""
    lo, hi = ax.get_xlim()
    for k, (first, last, label, colour) in enumerate(spans):
        ax.axvspan(first, last, color=colour, alpha=0.18, lw=0, label="_nolegend_")
        ax.axvline(first, color=colour, lw=0.8, alpha=0.7)
        # A span in the right part of the panel is labelled leftwards from its end, so that
        # its label is not cut at the panel's edge.
        right = first > lo + 0.55 * (hi - lo)
        x, ha, text = (min(last, hi), "right", label + " ") if right else (max(first, lo), "left", " " + label)
        ax.text(x, 0.97 - 0.12 * k, text, transform=ax.get_xaxis_transform(), ha=ha, va="top",
                fontsize=TICK_FONT, color=colour, clip_on=True,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})


def _day_ticks(ax: Axes, calendar: Calendar, lo: float, hi: float, what: str) -> None:
    """Dated ticks: weekly ('23 Mar') on a short range, monthly ('Mar') on a long one."""
    ax.set_xlim(lo, hi)
    if not calendar.dated:
        ax.set_xlabel(day_axis_label(calendar))
        return
    days = np.arange(np.ceil(lo), np.floor(hi) + 1)
    dates = [calendar.date(d) for d in days]
    if hi - lo <= 120:
        ticks = [(d, f"{x.day} {x:%b}") for d, x in zip(days, dates) if x.weekday() == 0]
    else:
        ticks = [(d, f"{x:%b}") for d, x in zip(days, dates) if x.day == 1]
        if len(ticks) > 13:
            ticks = ticks[::3]
    ax.set_xticks([t for t, _ in ticks], [s for _, s in ticks])
    years = sorted({dates[0].year, dates[-1].year}) if dates else []
    ax.set_xlabel(f"{'departure date' if what == 'transit' else 'date'} ({'–'.join(str(y) for y in years)})")


def events_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], baseline: Mapping[tuple[str, str], EventDays] | None = None,
) -> Figure:
    """Per affected node: vehicles queueing per day; per affected route: containers waiting at
    its origin per day and their mean transit by departure day; event spans shaded.

    Drawn from the first run with events.  ``baseline`` (the same series of the scenario run
    without its events, with the same seed; read like RunData.event_days) is drawn dashed
    beside each line when given: the hook for a run that carries its no-event baseline.
    """
    run = next(r for r in runs if r.scenario.events)
    scenario = run.scenario
    calendar = scenario.settings.calendar
    nodes, routes = event_targets(scenario)
    routes = routes[:MAX_ROUTES]
    span_colour = {e.id: SPAN_COLOURS[i % len(SPAN_COLOURS)] for i, e in enumerate(scenario.events)}
    # Panels: a node takes one cell, a route a row of two (queue | transit).
    cells: list[tuple[str, str, str]] = [("node", nid, "queue") for nid in nodes]
    if len(cells) % 2:
        cells.append(("", "", ""))
    for rid in routes:
        cells += [("route", rid, "queue"), ("route", rid, "transit")]
    rows = max(1, len(cells) // 2)
    fig, axes = subplots(rows, 2, figsize=(13.0, 2.5 * rows + 1.0), layout="constrained", squeeze=False)
    for ax, (kind, ident, what) in zip(axes.flat, cells):
        if not kind:
            ax.set_visible(False)
            continue
        series = run.event_days.get((kind, ident))
        if series is None:
            ax.set_visible(False)
            continue
        colour = NODE_COLOUR if kind == "node" else colours.get(ident, NODE_COLOUR)
        base = (baseline or {}).get((kind, ident))
        for data, style, label in ((series, "-", "with the events"), (base, "--", "without the events (same seed)")):
            if data is None:
                continue
            y = data.queue if what == "queue" else data.transit
            # Days without departures (a weekly ship) are gaps: join the days that have one.
            ok = np.isfinite(y)
            sparse = ok.sum() < 0.5 * ok.size
            ax.plot(data.day[ok] + 0.5, y[ok], color=colour, lw=1.3 if style == "-" else 1.0, ls=style,
                    marker="o" if sparse else None, ms=3, label=label)
        mine = events_of(scenario, kind, ident)
        # Random spells differ by replication and the daily means blur them: not shaded, named.
        spans = [(*event_span(e, scenario), span_label(e, scenario), span_colour[e.id]) for e in mine if e.random is None]
        randoms = [span_label(e, scenario) for e in mine if e.random is not None]
        name = scenario.nodes[ident].name if kind == "node" else ident
        if kind == "node":
            panel_title(ax, f"{name}: vehicles queueing", fontsize=10, loc="left")
            ax.set_ylabel("vehicles (daily mean)")
        elif what == "queue":
            unit = "wagons" if scenario.routes[ident].demand.cargo == "bulk" else "containers"
            panel_title(ax, f"{name}: waiting at the origin", fontsize=10, loc="left")
            ax.set_ylabel(f"{unit} (daily mean)")
        else:
            panel_title(ax, f"{name}: transit by departure day", fontsize=10, loc="left")
            ax.set_ylabel("mean transit (days)")
        if what == "queue":
            thousands(ax)
        ax.set_ylim(bottom=0)
        # Room above the data for the staggered labels.
        top = ax.get_ylim()[1]
        ax.set_ylim(0, top * (1.15 + 0.15 * len(spans)) if top > 0 else 1.0)
        lo = min((s[0] for s in spans), default=0.0) - MARGIN_DAYS
        hi = max((s[1] for s in spans), default=float(series.day[-1] + 1)) + 2 * MARGIN_DAYS
        _day_ticks(ax, calendar, max(0.0, lo), min(float(series.day[-1] + 1), hi), what)
        _shade(ax, spans)
        if randoms:
            ax.text(0.01, 0.97 - 0.09 * len(spans), "; ".join(randoms) + ": spells differ by replication (not shaded)",
                    transform=ax.transAxes, fontsize=TICK_FONT - 1, va="top", color="0.3")
        ax.tick_params(labelsize=TICK_FONT)
        ax.xaxis.label.set_size(TICK_FONT)
        ax.grid(alpha=0.3)
        if base is not None:
            ax.legend(fontsize=TICK_FONT, loc="center right")
    more = len(event_targets(scenario)[1]) - len(routes)
    tail = f"; {more} more affected routes in event_days.csv" if more > 0 else ""
    suptitle(fig, f"{run.label}: events, queues and transit by day (means of "
                  f"{counted(run.summary.get('replications') or 0, 'replication')}, seed {run.summary.get('seed')}){tail}")
    return fig
