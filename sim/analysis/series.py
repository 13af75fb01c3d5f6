"""Time series and distributions of a run, computed from the replication records.

These feed the figures and the files they are re-drawn from: route flows per week, queue
length and utilization per day at capacity-limited nodes, the vehicles of one route in
time and distance (a Marey chart), and quantiles of transit time.  All times are calendar
days (sim.model.calendar): day 0 is the start date, the end of the warm-up.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from sim.engine.records import NodeLog, ReplicationResult
from sim.model.calendar import Calendar
from sim.model.scenario import Route, Scenario
from sim.analysis.quantiles import pooled_quantiles

WEEK_DAYS = 7.0
QUANTILE_STEPS = 1000  # transit quantiles every 0.1%: the ECDF to within one pixel
MAREY_DAYS = 28.0  # trips that leave in the first four weeks of the window


def window_edges(length: float, width: float) -> np.ndarray:
    """Bin edges (calendar days from day 0 to ``length``) of width ``width``; the last bin
    may be shorter.  Weeks begin on the start date's weekday, not on Mondays."""
    edges = np.arange(0.0, length, width)
    return np.append(edges, length)


@dataclass(frozen=True)
class RouteWeeks:
    """Units created and delivered per week on one route, in one replication."""

    start_day: np.ndarray  # calendar day each week begins
    days: np.ndarray
    created: np.ndarray
    delivered: np.ndarray


def route_weeks(result: ReplicationResult, route_id: str, calendar: Calendar, horizon: float) -> RouteWeeks:
    """Units of ``route_id`` created, and delivered, in each week of the measured window
    (simulation time up to ``horizon``)."""
    ledger = result.ledgers[route_id]
    edges = window_edges(calendar.calendar_day(horizon), WEEK_DAYS)
    created = sorted_histogram(calendar.calendar_day(ledger.created), edges)  # created is in order
    delivered_at = calendar.calendar_day(ledger.delivered[~np.isnan(ledger.delivered)])
    delivered = histogram(delivered_at, edges)
    return RouteWeeks(edges[:-1], np.diff(edges), created, delivered)


def sorted_histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``numpy.histogram(values, edges)[0]`` for values already sorted: two binary searches
    per edge instead of numpy's sort of the values (the last bin includes its right edge)."""
    at = np.searchsorted(values, edges, side="left")
    at[-1] = np.searchsorted(values, edges[-1], side="right")
    return np.diff(at)


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``numpy.histogram(values, edges)[0]`` for values in any order: each value's bin found
    among the few edges, then counted, instead of sorting the values (deliveries are not in
    order; sorting a route's year of them was most of route_weeks.csv's time)."""
    bins = np.searchsorted(edges, values, side="right") - 1
    bins[values == edges[-1]] = edges.size - 2  # the last bin includes its right edge
    inside = (bins >= 0) & (bins < edges.size - 1)
    return np.bincount(bins[inside], minlength=edges.size - 1)


def occupancy_integral(begin: np.ndarray, end: np.ndarray, at: np.ndarray) -> np.ndarray:
    """∫_{-inf}^{t} (number of intervals [begin, end) covering u) du, for each t in ``at``.

    Each interval contributes clip(t - begin, 0) - clip(t - end, 0); summed with sorted
    endpoints and prefix sums, O(n log n) for any number of intervals.
    """

    def ramp(points: np.ndarray) -> np.ndarray:
        points = np.sort(points)
        prefix = np.concatenate(([0.0], np.cumsum(points)))
        k = np.searchsorted(points, at, side="left")
        return k * at - prefix[k]

    return ramp(begin) - ramp(end)


@dataclass(frozen=True)
class NodeDays:
    """Daily means at one capacity-limited node in one replication."""

    start_day: np.ndarray  # calendar day
    queue: np.ndarray  # vehicles waiting for a server, time-averaged over the day
    busy: np.ndarray  # servers busy, time-averaged over the day
    servers: int


def node_days(log: NodeLog, calendar: Calendar, horizon: float) -> NodeDays:
    """Queue length and busy servers at a node, averaged over each calendar day of the window."""
    if not log.servers:
        raise ValueError("node_days needs a node with servers")
    edges = window_edges(calendar.calendar_day(horizon), 1.0)
    at = calendar.sim_time(edges)
    h = log.handled
    width = np.diff(edges)
    queue = np.diff(occupancy_integral(log.arrive[h], log.start[h], at)) / width
    busy = np.diff(occupancy_integral(log.start[h], log.end[h], at)) / width
    return NodeDays(edges[:-1], queue, busy, log.servers)


@dataclass(frozen=True)
class MareyStop:
    """One vehicle at one node of a route: when it arrived and when it left."""

    trip: int
    segment: int
    node: str
    km: float
    arrive: float
    depart: float
    units: int
    # The vehicle's load factor on the leg it leaves this stop by: the cargo of every route
    # aboard and any background load, over its capacity (NaN: the trip ends here).
    load: float = math.nan


def route_km(scenario: Scenario, route: Route) -> dict[str, float]:
    """Distance of each node of a route from its origin, km along the route's legs."""
    km = {route.path[0]: 0.0}
    total = 0.0
    for seg in route.segments:
        for j, leg_id in enumerate(seg.legs):
            total += scenario.legs[leg_id].distance_km
            km[seg.nodes[j + 1]] = total
    return km


def marey_stops(
    scenario: Scenario, result: ReplicationResult, route_id: str, window: tuple[float, float] | None = None,
) -> list[MareyStop]:
    """Every stop of every vehicle trip of one route that began in ``window`` (start day,
    days; default the first MAREY_DAYS after the warm-up): calendar days [start, start + days).

    Only the trips the chart draws are built (a year of a busy route holds thousands),
    each followed to the end of the trip, in trip then distance order.
    """
    calendar = scenario.settings.calendar
    route = scenario.routes[route_id]
    index = list(scenario.routes).index(route_id)
    km = route_km(scenario, route)
    nodes = list(dict.fromkeys(route.path))
    rows = {node: np.flatnonzero(result.nodes[node].route == index) for node in nodes}
    trip_of = np.concatenate([result.nodes[n].trip[rows[n]] for n in nodes]).astype(np.int64)
    if trip_of.size == 0:
        return []
    arrive_of = calendar.calendar_day(np.concatenate([result.nodes[n].arrive[rows[n]] for n in nodes]))
    # A trip begins when it is first seen on the route: its earliest arrival anywhere on it.
    trips, which = np.unique(trip_of, return_inverse=True)
    begins = np.full(trips.size, np.inf)
    np.minimum.at(begins, which, arrive_of)
    start, days = window if window is not None else (0.0, MAREY_DAYS)
    keep = trips[(begins >= start) & (begins < start + days)]
    visits: list[MareyStop] = []
    for node in nodes:
        log = result.nodes[node]
        mine = rows[node][np.isin(log.trip[rows[node]], keep)]
        arrive, depart = calendar.calendar_day(log.arrive[mine]), calendar.calendar_day(log.end[mine])
        for j, i in enumerate(mine):
            visits.append(
                MareyStop(int(log.trip[i]), 0, node, km[node], float(arrive[j]), float(depart[j]), int(log.containers[i]))
            )
    segment_of: dict[str, int] = {}
    for k, seg in enumerate(route.segments):
        for node in seg.nodes:
            segment_of.setdefault(node, k)
    # A trip runs the segment that ends at its farthest node (a transfer node belongs to
    # the segment that unloads there).
    last_node: dict[int, MareyStop] = {}
    for v in visits:
        if v.trip not in last_node or v.km > last_node[v.trip].km:
            last_node[v.trip] = v
    segment = {t: segment_of[v.node] for t, v in last_node.items()}
    order = {node: k for k, node in enumerate(route.path)}
    rank = {int(t): i for i, t in enumerate(keep)}
    loads = _leg_loads(scenario, result, route)
    stops = [
        MareyStop(v.trip, segment[v.trip], v.node, v.km, v.arrive, v.depart, v.units,
                  loads(v.trip, segment[v.trip], v.node, v.units))
        for v in visits
    ]
    stops.sort(key=lambda v: (rank[v.trip], v.km, order[v.node]))
    return stops


def _leg_loads(scenario: Scenario, result: ReplicationResult, route: Route):
    """(trip, segment, node, units) -> the vehicle's load factor on the leg leaving the node:
    a shared service's from its log (every route's cargo and the background), any other
    service's from the route's own units (it carries nothing else)."""
    logged: dict[str, dict[tuple[int, int], float]] = {}
    for seg in route.segments:
        log = result.loops.get(seg.service)
        if log is not None and seg.service not in logged:
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = (log.load + log.background) / log.capacity
            logged[seg.service] = dict(zip(zip(log.trip.tolist(), log.leg.tolist()), factor.tolist()))

    def load(trip: int, k: int, node: str, units: int) -> float:
        seg = route.segments[k]
        if node == seg.nodes[-1]:
            return math.nan  # the trip (of this segment) ends here
        service = scenario.services[seg.service]
        if seg.service in logged:
            return logged[seg.service].get((trip, service.path.index(node)), math.nan)
        capacity = scenario.service_capacity(route, seg.service)
        return units / capacity if capacity else math.nan

    return load


def transit_quantiles(
    results: Sequence[ReplicationResult], route_ids: Iterable[str], warmup: float, horizon: float
) -> dict[str, np.ndarray]:
    """Per route, quantiles of pooled transit days at probabilities 0, 0.001, ..., 1
    (an empty array for a route that delivered nothing)."""
    q = pooled_quantiles(results, route_ids, warmup, horizon, np.linspace(0.0, 1.0, QUANTILE_STEPS + 1))
    return {rid: (np.empty(0) if np.isnan(v).all() else v) for rid, v in q.items()}
