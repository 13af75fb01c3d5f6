"""The data behind a run's figures, written as CSV beside the results (sim.output.run_data reads them back).

Figures are always drawn from these files, never from the in-memory replications, so
``routesim plot RESULTS_DIR`` re-draws exactly what ``run`` drew, and an analyst can plot
the same numbers in any other tool.

Day columns are calendar days (sim.model.calendar): day 0 is the run's start date, the end
of the warm-up.  Each day column that is a point in time has an ISO date column beside it
(the date holding that day; empty when the scenario is undated).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from sim.engine.simulation import ReplicationResult
from sim.output.files import Writer, write_csv
from sim.model.scenario import Scenario
from sim.analysis.series import marey_stops, node_days, route_weeks, transit_quantiles, window_edges
# The time-average of a count of intervals, the same integral as node_days uses (one place).
from sim.analysis.series import occupancy_integral  # the same time-average of a count as node_days uses

RESULTS_FORMAT = 4  # bump when a file the figures read changes meaning or columns
ROUTE_WEEKS = "route_weeks.csv"
NODE_DAYS = "node_days.csv"
MAREY = "marey.csv"
TRANSIT_QUANTILES = "transit_quantiles.csv"
FIGURE_DATA = (ROUTE_WEEKS, NODE_DAYS, MAREY, TRANSIT_QUANTILES)
# Written only when the scenario has [[events]] (then read_run requires it): the events figure.
EVENT_DAYS = "event_days.csv"


# ---------------------------------------------------------------------------------------
# Writing


def route_weeks_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """route_weeks.csv: units, TEU and tonnes created and delivered per route and week."""
    s = scenario.settings
    calendar = s.calendar
    columns = (
        "replication", "route", "week", "start_day", "start_date", "days", "created_units", "delivered_units",
        "created_teu", "delivered_teu", "created_tonnes", "delivered_tonnes",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            for rid, route in scenario.routes.items():
                w = route_weeks(r, rid, calendar, s.horizon_days)
                ledger = r.ledgers[rid]  # its units as counted (a flow-chosen route: their mean load)
                teu, tonnes = ledger.unit_teu, ledger.unit_tonnes
                dates = calendar.iso_dates(w.start_day)
                for i in range(w.start_day.size):
                    c, d = int(w.created[i]), int(w.delivered[i])
                    yield (
                        r.replication, rid, i + 1, float(w.start_day[i]), dates[i], float(w.days[i]),
                        c, d, c * teu, d * teu, c * tonnes, d * tonnes,
                    )

    return lambda path: write_csv(path, columns, rows())


def node_days_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """node_days.csv: queue length and utilization per day at every node with servers."""
    s = scenario.settings
    calendar = s.calendar
    columns = (
        "replication", "node", "day", "date", "servers", "mean_queue_vehicles", "mean_busy_servers", "utilization",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            for nid, node in scenario.nodes.items():
                if not node.servers:
                    continue
                d = node_days(r.nodes[nid], calendar, s.horizon_days)
                dates = calendar.iso_dates(d.start_day)
                for i in range(d.start_day.size):
                    busy = float(d.busy[i])
                    yield (
                        r.replication, nid, float(d.start_day[i]), dates[i], d.servers, round(float(d.queue[i]), 6),
                        round(busy, 6), round(busy / d.servers, 6),
                    )

    return lambda path: write_csv(path, columns, rows())


def marey_writer(scenario: Scenario, results: Sequence[ReplicationResult],
                 window: tuple[float, float] | None = None) -> Writer:
    """marey.csv: every stop of the vehicles that left in ``window`` (start day, days; default
    the first four weeks after the warm-up), replication 0."""
    calendar = scenario.settings.calendar
    columns = (
        "route", "trip", "segment", "node", "km", "arrive_day", "arrive_date", "depart_day", "depart_date", "units",
        "load_factor",
    )

    def rows() -> Iterable[tuple]:
        first = results[0]
        for rid in scenario.routes:
            stops = marey_stops(scenario, first, rid, window)
            arrive = [round(v.arrive, 6) for v in stops]
            depart = [round(v.depart, 6) for v in stops]
            # The date beside a rounded day is the date of that rounded day, so the two
            # columns never disagree about a stop a hair before midnight.
            arrive_dates, depart_dates = calendar.iso_dates(np.array(arrive)), calendar.iso_dates(np.array(depart))
            for k, v in enumerate(stops):
                yield (
                    rid, v.trip, v.segment, v.node, v.km, arrive[k], arrive_dates[k], depart[k], depart_dates[k],
                    v.units, round(v.load, 4) if math.isfinite(v.load) else "",
                )

    return lambda path: write_csv(path, columns, rows())


def transit_quantiles_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """transit_quantiles.csv: quantiles of pooled transit days per route, every 0.1%."""
    s = scenario.settings
    columns = ("route", "probability", "transit_days")

    def rows() -> Iterable[tuple]:
        for rid, q in transit_quantiles(results, scenario.routes, s.warmup_days, s.horizon_days).items():
            probs = np.linspace(0.0, 1.0, q.size)
            for p, value in zip(probs, q):
                yield (rid, round(float(p), 6), round(float(value), 6))

    return lambda path: write_csv(path, columns, rows())


def event_targets(scenario: Scenario) -> tuple[list[str], list[str]]:
    """(nodes, routes) the scenario's events affect, in the order the events figure shows them.

    Nodes: those an event targets.  Routes: those an event targets (demand, divert) first,
    then those running through a targeted node, along a targeted leg or on a targeted
    service, by TEU a year (the busiest first).
    """
    nodes: dict[str, None] = {}
    named: dict[str, None] = {}
    through: dict[str, None] = {}
    for e in scenario.events:
        for t in e.targets:
            if e.section == "nodes":
                nodes[t] = None
            elif e.section == "routes":
                named[t] = None
            for rid, route in scenario.routes.items():
                uses = (
                    (e.section == "nodes" and t in route.path)
                    or (e.section == "legs" and any(t in s.legs for s in route.segments))
                    or (e.section == "services" and any(t == s.service for s in route.segments))
                )
                if uses:
                    through[rid] = None
    rest = sorted((r for r in through if r not in named), key=lambda r: -scenario.routes[r].demand.teu_per_year)
    return list(nodes), list(named) + rest


def event_days_writer(
    scenario: Scenario, results: Sequence[ReplicationResult], targets: tuple[list[str], list[str]] | None = None,
) -> Writer:
    """event_days.csv: per day, the queue at each node and route the events affect, and the
    mean transit of a route's containers by the day they departed its origin.

    Columns: replication; kind (node | route); id; day (calendar day, day 0 = the start
    date) and date (ISO, empty when undated) of the day's start; mean_queue, time-averaged
    over the day: vehicles waiting at the node (for a server or held by a closure; background
    vehicles included), or containers (wagons on bulk routes) waiting at the route's origin
    for their first departure; departed: containers that left the origin that day (empty for
    a node); mean_transit_days: their mean transit, creation to delivery (empty for a node
    or a day without departures; containers not delivered by the end of the run left out).

    ``targets`` (nodes, routes) default to ``event_targets(scenario)``; a run of the same
    scenario without its events (the baseline) passes those of the scenario with them, so
    its series can be drawn dashed beside them (``events_figure``'s ``baseline``, read by
    ``read_event_days``).
    """
    s = scenario.settings
    calendar = s.calendar
    columns = ("replication", "kind", "id", "day", "date", "mean_queue", "departed", "mean_transit_days")
    nodes, routes = targets if targets is not None else event_targets(scenario)

    def rows() -> Iterable[tuple]:
        edges = window_edges(calendar.calendar_day(s.horizon_days), 1.0)
        at = calendar.sim_time(edges)
        dates = calendar.iso_dates(edges[:-1])
        width = np.diff(edges)
        for r in results:
            for nid in nodes:
                log = r.nodes[nid]
                queue = np.diff(occupancy_integral(log.arrive, log.start, at)) / width
                for i in range(width.size):
                    yield (r.replication, "node", nid, float(edges[i]), dates[i], round(float(queue[i]), 6), "", "")
            for rid in routes:
                ledger = r.ledgers[rid]
                left = ~np.isnan(ledger.departed)
                # Containers still at the origin at the end wait until the run ends.
                departed_at = np.where(left, ledger.departed, max(float(at[-1]), float(ledger.created.max(initial=0))))
                queue = np.diff(occupancy_integral(ledger.created, departed_at, at)) / width
                done = left & ~np.isnan(ledger.delivered)
                day = np.floor(calendar.calendar_day(ledger.departed[left])).astype(np.int64)
                inside = (day >= 0) & (day < width.size)
                count = np.bincount(day[inside], minlength=width.size)
                transit = (ledger.delivered - ledger.created)[left][inside]
                ok = done[left][inside]
                total = np.bincount(day[inside][ok], weights=transit[ok], minlength=width.size)
                n_ok = np.bincount(day[inside][ok], minlength=width.size)
                for i in range(width.size):
                    mean = round(float(total[i] / n_ok[i]), 6) if n_ok[i] else ""
                    yield (r.replication, "route", rid, float(edges[i]), dates[i], round(float(queue[i]), 6),
                           int(count[i]), mean)

    return lambda path: write_csv(path, columns, rows())


def figure_data_writers(scenario: Scenario, results: Sequence[ReplicationResult],
                        marey_window: tuple[float, float] | None = None) -> dict[str, Writer]:
    """Every file the figures are drawn from, by file name; marey.csv holds the trips that
    left in ``marey_window`` (the time-space chart's window)."""
    return {
        ROUTE_WEEKS: route_weeks_writer(scenario, results),
        NODE_DAYS: node_days_writer(scenario, results),
        MAREY: marey_writer(scenario, results, marey_window),
        TRANSIT_QUANTILES: transit_quantiles_writer(scenario, results),
        **({EVENT_DAYS: event_days_writer(scenario, results)} if scenario.events else {}),
    }
