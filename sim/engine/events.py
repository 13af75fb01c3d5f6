"""Dated events in one replication: closures, capacity changes, demand surges, diversions.

The Model (sim.engine.simulation) builds one ReplicationEvents per replication from the
scenario's events and asks it for
- a NodeGate per node an event targets: servers that change over time (a closure is zero
  servers), handling times that change, and vehicles held at a closed node;
- a LegGate per leg: vehicles held at its start while it is closed, speeds that change;
- a ServiceGate per service: departures per week and vehicle capacity that change (its
  closures join the random ``closures`` of the service: one mechanism for both);
- random closures of a service (``random = {...}``): spells drawn per replication from the
  very stream and function a service's ``closures`` key uses (draw_spells), so the key is
  shorthand for the event; the event's record has the spells and what they held;
- each route's demand stretches (applied in sim.engine.demand) and diversions.
Every gate writes what it touched into its event's Recorder: the vehicle trips held,
delayed, slowed or diverted and the ledger rows of the containers they carried.

Time-varying servers keep the engine's first-come-first-served shortcut (a vehicle's start
is known on arrival): a vehicle's tentative start is checked against the next change of
servers, and a change is applied, lazily, as soon as a start would reach it.  A cut from c
to c' servers withdraws the c - c' servers that free up first (each finishes the vehicle it
holds), which is exactly "start when fewer than c' are busy"; a rise gives them back.

Random numbers: an event draws only from its own streams (``event:<id>:...``), so every
other draw of the replication is the one the scenario without the event makes (common
random numbers).  Where an event replaces a drawn time (``set`` handling or speed) the
usual draw is still taken and discarded, so the draws after it stay aligned.  Draws are
taken in the order vehicles need them, so once an event has reordered the vehicles at a
node or on a leg, later vehicles there may swap draws with each other: the pairing is exact
for fixed times and approximate (same distribution, strongly correlated) for random ones.

Measuring an impact: run ``without_events(scenario)`` with the same seed beside the
scenario; ``baseline_rows`` pairs each container with its twin there (a demand surge adds
containers without one), and ``ReplicationResult.events[id]`` (an EventRecord) says which
vehicle trips and containers the event touched.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from sim.engine.sampling import Sampler, closure_intervals, merge_intervals, reopening, travel_sampler
from sim.model.distributions import Fixed
from sim.model.scenario import Event, Route, Scenario, Segment, Service

Rng = Callable[[str], np.random.Generator]


# ---------------------------------------------------------------------------------------
# What an event did


@dataclass
class EventRecord:
    """What one event did in one replication: plain arrays, sent with the result.

    ``start`` and ``end`` are simulation days (``end`` drawn when the duration is random, the
    run's end when open-ended).  ``trips`` are the vehicle trips (numbers as in the node
    logs) the event held, delayed, slowed or diverted; ``rows[route]`` the [start, stop)
    ledger rows of the containers they carried, as an (n, 2) array (for a demand event: the
    containers created in its window).  ``base_rows[route]`` (demand events only) gives, for
    each container of that route's ledger, its row in the ledger of the same replication
    without demand events (-1: a container the surge added), so containers can be paired.

    A random closure (``random`` True) has ``spells``, the (n, 2) [start, end) closed spells
    drawn in this replication (merged, sorted); then ``start`` is the first spell's start and
    ``end`` the last one's end (both the run's end when none was drawn).  A dated event has
    one spell, [start, end).
    """

    id: str
    kind: str
    section: str
    targets: tuple[str, ...]
    start: float
    end: float
    trips: np.ndarray
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    base_rows: dict[str, np.ndarray] = field(default_factory=dict)
    spells: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    random: bool = False
    # Vehicles a leg closure held at the leg's start: (ready, released) days, one row each.
    holds: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    def containers(self, route: str | None = None) -> int:
        """Containers (or wagons) on what the event touched, on one route or all."""
        parts = [self.rows.get(route, np.empty((0, 2), np.int64))] if route is not None else list(self.rows.values())
        return int(sum(int((r[:, 1] - r[:, 0]).sum()) for r in parts if r.size))


class Recorder:
    """Collects an event's touches during the run (C arrays: no Python object per touch)."""

    __slots__ = ("event", "start", "end", "spells", "trips", "rows", "base_rows", "holds")

    def __init__(self, event: Event, start: float, end: float, spells: np.ndarray | None = None) -> None:
        self.event = event
        self.start = start
        self.end = end
        self.spells = np.array([[start, end]]) if spells is None else spells
        self.trips = array("q")
        self.rows: dict[str, array] = {}
        self.base_rows: dict[str, np.ndarray] = {}
        self.holds = array("d")

    def add(self, trip: int, route_id: str, ranges: Sequence[tuple[int, int]]) -> None:
        """One vehicle trip touched, carrying these ledger rows of a route."""
        self.trips.append(trip)
        self.add_rows(route_id, ranges)

    def hold(self, ready: float, released: float) -> None:
        """A vehicle held at a closed leg's start from ``ready`` until ``released``."""
        self.holds.append(ready)
        self.holds.append(released)

    def add_rows(self, route_id: str, ranges: Sequence[tuple[int, int]]) -> None:
        """Containers touched without a vehicle (created in a demand event's window)."""
        rows = self.rows.get(route_id)
        if rows is None:
            rows = self.rows[route_id] = array("q")
        for a, b in ranges:
            rows.append(a)
            rows.append(b)

    def finish(self) -> EventRecord:
        e = self.event
        return EventRecord(
            e.id, e.kind, e.section, e.targets, self.start, self.end,
            np.unique(np.frombuffer(self.trips, dtype=np.int64)) if len(self.trips) else np.empty(0, np.int64),
            {r: np.frombuffer(a, dtype=np.int64).reshape(-1, 2).copy() for r, a in self.rows.items()},
            dict(self.base_rows),
            self.spells,
            e.random is not None,
            np.frombuffer(self.holds, dtype=np.float64).reshape(-1, 2).copy(),
        )


# ---------------------------------------------------------------------------------------
# Stretches of time


def pieces(spans: Sequence[tuple[float, float, Any]]) -> list[tuple[float, float, Any]]:
    """Disjoint [a, b) stretches in which one of ``spans`` (start, stop, payload) is in
    force; where spans overlap, the one that started last wins (then the later listed)."""
    cuts = sorted({x for s, e, _ in spans for x in (s, e) if math.isfinite(x)})
    out: list[tuple[float, float, Any]] = []
    for a, b in zip(cuts, cuts[1:]):
        active = [(s, i) for i, (s, e, _) in enumerate(spans) if s <= a < e]
        if not active:
            continue
        payload = spans[max(active)[1]][2]
        if out and out[-1][1] == a and out[-1][2] is payload:
            out[-1] = (out[-1][0], b, payload)
        else:
            out.append((a, b, payload))
    return out


def _at(stretches: Sequence[tuple[float, float, Any]], t: float) -> Any:
    """The payload of the stretch holding ``t``, or None (stretches are few and sorted)."""
    for a, b, payload in stretches:
        if t < a:
            return None
        if t < b:
            return payload
    return None


def draw_spells(event: Event, end_time: float, rng: Rng) -> np.ndarray:
    """A random closure's spells in one replication, drawn exactly as a service's ``closures``
    key draws them (same function, same ``closures:<service>`` stream): the key is shorthand
    for the event, and results do not change when one is written as the other."""
    return closure_intervals(event.random, end_time, rng(f"closures:{event.targets[0]}"))


def draw_windows(events: Sequence[Event], end_time: float, rng: Rng) -> dict[str, tuple[float, float]]:
    """Each event's [start, end) in simulation days for one replication: a random duration
    is drawn from the event's own stream; open-ended events last until the run ends (a
    random closure: from its first spell to its last, see draw_spells)."""
    out = {}
    for e in events:
        if e.random is not None:
            continue  # its spells are drawn by ReplicationEvents
        if e.duration is None:
            stop = max(end_time, e.start)
        elif isinstance(e.duration, Fixed):
            stop = e.start + e.duration.value
        else:
            stop = e.start + max(0.0, float(e.duration.sample(rng(f"event:{e.id}:duration"), 1)[0]))
        out[e.id] = (e.start, stop)
    return out


# ---------------------------------------------------------------------------------------
# Nodes


class NodeGate:
    """A node some event targets: its servers, handling times and closures over time.

    ``free`` is the node recorder's heap of the servers' free-at times (None: no limit),
    changed in place; ``steps`` the (time, servers) changes in time order.
    """

    __slots__ = ("free", "withdrawn", "closed", "steps", "next", "handling", "watchers")

    def __init__(
        self,
        free: list[float] | None,
        closed: np.ndarray | None,
        steps: list[tuple[float, int]],
        handling: list[tuple[float, float, Any]],
        watchers: list[tuple[float, float, Recorder]],
    ) -> None:
        self.free = free
        self.withdrawn: list[float] = []  # free-at times of the servers taken away
        self.closed = closed
        self.steps = steps
        self.next = 0
        self.handling = handling
        self.watchers = watchers

    def admit(self, arrive: float, duration: float, vehicle: str | None) -> tuple[float, float]:
        """(start, end) of handling of a vehicle arriving now (first come, first served)."""
        free = self.free
        if free is None:
            start = reopening(self.closed, arrive)
        else:
            steps = self.steps
            while True:
                start = (free[0] if free[0] > arrive else arrive) if free else math.inf
                if self.next < len(steps) and steps[self.next][0] <= start:
                    self._change(*steps[self.next])
                    self.next += 1
                    continue
                break
        duration = self._handling(start, duration, vehicle)
        end = start + duration
        if free is not None:
            heapq.heapreplace(free, end)
        return start, end

    def _change(self, at: float, servers: int) -> None:
        free, withdrawn = self.free, self.withdrawn
        while len(free) > servers:  # the first to free up go: the others keep working
            heapq.heappush(withdrawn, heapq.heappop(free))
        while len(free) < servers:  # back (free once their last vehicle is done), or new
            back = heapq.heappop(withdrawn) if withdrawn else at
            heapq.heappush(free, back if back > at else at)

    def _handling(self, start: float, duration: float, vehicle: str | None) -> float:
        change = _at(self.handling, start)
        if change is None:
            return duration
        factor, samplers = change
        sampler = samplers.get(vehicle) if vehicle is not None else None
        return (sampler() if sampler is not None else duration) * factor

    def hold(self, arrive: float) -> float:
        """When a vehicle passing through (not handled here) may go on: at once, or at the reopening."""
        return reopening(self.closed, arrive)

    def watch(self, trip: int, route_id: str, ranges: Sequence[tuple[int, int]], arrive: float, start: float) -> None:
        """Record a vehicle that reached the node before an event's end and started after its start."""
        for s, e, rec in self.watchers:
            if arrive < e and start >= s:
                rec.add(trip, route_id, ranges)


def server_steps(base: int, closures: Sequence[tuple[float, float]], changes: Sequence[tuple[float, float, int]]) -> list[tuple[float, int]]:
    """(time, servers) whenever the number of servers changes: zero while closed, else the
    latest-started capacity event's value, else ``base``."""
    stretches = pieces(changes)
    cuts = sorted({x for s, e in closures for x in (s, e)} | {x for a, b, _ in stretches for x in (a, b)})
    steps: list[tuple[float, int]] = []
    level = base
    for t in cuts:
        if any(s <= t < e for s, e in closures):
            now = 0
        else:
            value = _at(stretches, t)
            now = base if value is None else value
        if now != level:
            steps.append((t, now))
            level = now
    return steps


# ---------------------------------------------------------------------------------------
# Legs


class LegGate:
    """A leg some event targets: held while closed, slower or faster while changed."""

    __slots__ = ("closed", "travel_changes", "held", "changed")

    def __init__(
        self,
        closed: np.ndarray | None,
        travel_changes: list[tuple[float, float, Any]],
        held: list[tuple[float, float, Recorder]],
        changed: list[tuple[float, float, Recorder]],
    ) -> None:
        self.closed = closed
        self.travel_changes = travel_changes
        self.held = held
        self.changed = changed

    def travel(
        self, t: float, days: float, trip: int, route_id: str, ranges: Sequence[tuple[int, int]],
        more: Sequence[tuple[str, Sequence[tuple[int, int]]]] = (),
    ) -> float:
        """Arrival at the leg's far end of a vehicle ready to leave its start at ``t`` that
        would take ``days`` without the leg's events (its own keyed draw); ``more``: other
        routes' cargo aboard a shared vehicle, as (route id, ranges)."""
        go = reopening(self.closed, t)
        change = _at(self.travel_changes, go)
        if change is not None:
            factor, alternative = change
            if alternative is not None:
                days = alternative()
            days /= factor
        # An empty vehicle on its way back (no ranges) queues, but carries no one to record.
        cargo = [(route_id, ranges), *more]
        for s, e, rec in self.held:
            if s <= t < e and go > t:
                for rid, rows in cargo:
                    if rows:
                        rec.add(trip, rid, rows)
                rec.hold(t, go)
        for s, e, rec in self.changed:
            if s <= go < e:
                for rid, rows in cargo:
                    if rows:
                        rec.add(trip, rid, rows)
        return go + days


# ---------------------------------------------------------------------------------------
# Services


class ServiceGate:
    """A service some event targets: departures per week, capacity and closure records."""

    __slots__ = ("service", "headways", "capacities", "held", "changed")

    def __init__(
        self,
        service: Service,
        headways: list[tuple[float, float, float]],
        capacities: list[tuple[float, float, Any]],
        held: list[tuple[float, float, Recorder]],
        changed: list[tuple[float, float, Recorder]],
    ) -> None:
        self.service = service
        self.headways = headways
        self.capacities = capacities
        self.held = held
        self.changed = changed

    def timetable(self, base: Iterator[float], end_time: float) -> Iterator[float]:
        """The departures: the base timetable outside the changed stretches and, inside one,
        every new headway from the last departure before it."""
        stretches = self.headways
        i, last = 0, None

        def inside(a: float, b: float, headway: float) -> Iterator[float]:
            u = a if last is None else last + max(1, math.ceil((a - last) / headway - 1e-9)) * headway
            while u < min(b, end_time):
                yield u
                u += headway

        for t in base:
            while i < len(stretches) and t >= stretches[i][0]:
                for u in inside(*stretches[i]):
                    yield u
                    last = u
                i += 1
            if i and t < stretches[i - 1][1]:
                continue  # replaced by the stretch's own departures
            yield t
            last = t
        for stretch in stretches[i:]:
            for u in inside(*stretch):
                yield u
                last = u

    def capacity(self, t: float, route: Route, units: int) -> int:
        """Vehicle capacity in the route's units for a departure at ``t``."""
        change = _at(self.capacities, t)
        if change is None:
            return units
        kind, value = change
        service = self.service
        if route.demand.cargo == "bulk":
            wagons = value if kind == "set" else service.capacity_wagons * value
            return max(1, int(round(wagons)))
        teu = value if kind == "set" else service.capacity_teu * value
        return max(1, int(teu / route.demand.unit_teu + 1e-9))

    def space(self, t: float, base: float) -> float:
        """A shared vehicle's capacity in its own units (TEU or wagons) for a departure at ``t``."""
        change = _at(self.capacities, t)
        if change is None:
            return base
        kind, value = change
        return float(value) if kind == "set" else base * value

    def departed(self, due: float, t: float, trip: int, route_id: str, ranges: Sequence[tuple[int, int]]) -> None:
        """Record a departure due at ``due`` that left at ``t``."""
        for s, e, rec in self.held:
            if s <= due < e and t > due:
                rec.add(trip, route_id, ranges)
        for s, e, rec in self.changed:
            if s <= t < e:
                rec.add(trip, route_id, ranges)


# ---------------------------------------------------------------------------------------
# Diversions


@dataclass(eq=False)
class Plan:
    """One way a route's containers go: its segments, with the index each has in the trip
    log (the route's own segments first; a segment of a diverted path run by the same
    service as one of the route's shares its index, so load factors count it)."""

    segments: tuple[Segment, ...]
    log_index: tuple[int, ...]
    recorder: Recorder | None = None  # None: the route's own path
    start: float = 0.0
    end: float = math.inf
    pools: list = field(default_factory=list)  # its transfer pools, filled in by the Model


def route_plans(route: Route, diverts: Sequence[tuple[Event, Recorder]]) -> list[Plan]:
    """The route's own path, then one plan per diversion of it."""
    own = {seg.service: k for k, seg in enumerate(route.segments)}
    plans = [Plan(route.segments, tuple(range(len(route.segments))))]
    extra = len(route.segments)
    for event, rec in diverts:
        segs = event.segments[route.id]
        index = []
        for seg in segs:
            if seg.service in own:
                index.append(own[seg.service])
            else:
                index.append(extra)
                extra += 1
        plans.append(Plan(segs, tuple(index), rec, rec.start, rec.end))
    return plans


def origin_choice(plans: Sequence[Plan], end_time: float) -> dict[str, tuple[np.ndarray, Callable[[float], Plan]]]:
    """For each service that leaves the route's origin on some plan: the intervals in which
    it does not (another plan's service is leaving then), and the plan a departure at t follows."""
    stretches = pieces([(p.start, min(p.end, end_time), p) for p in plans[1:]])
    diverted = merge_intervals([(a, b) for a, b, _ in stretches])
    out = {}
    for service in dict.fromkeys(p.segments[0].service for p in plans):
        mine = [p for p in plans if p.segments[0].service == service]
        on = [(a, b) for a, b, p in stretches if p in mine]
        if plans[0] in mine:
            on += [tuple(g) for g in complement(diverted)]

        def choose(t: float, mine: list[Plan] = mine) -> Plan:
            active = _at(stretches, t)
            return active if active in mine else mine[0]

        out[service] = (complement(merge_intervals(on)), choose)
    return out


def complement(intervals: np.ndarray) -> np.ndarray:
    """The gaps of sorted, merged intervals in [0, inf), as an (n, 2) array."""
    gaps, cursor = [], 0.0
    for a, b in intervals.tolist():
        if a > cursor:
            gaps.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < math.inf:
        gaps.append((cursor, math.inf))
    return np.asarray(gaps, dtype=np.float64).reshape(-1, 2)


# ---------------------------------------------------------------------------------------
# One replication's events


class ReplicationEvents:
    """Every event of a scenario, its window drawn, turned into gates for one replication."""

    def __init__(self, scenario: Scenario, rng: Rng, end_time: float) -> None:
        self.scenario = scenario
        self.end_time = end_time
        windows = draw_windows(scenario.events, end_time, rng)
        self.recorders = {}
        for e in scenario.events:
            if e.random is None:
                self.recorders[e.id] = Recorder(e, *windows[e.id])
            else:
                spells = draw_spells(e, end_time, rng)
                first, last = (float(spells[0, 0]), float(spells[-1, 1])) if spells.size else (end_time, end_time)
                self.recorders[e.id] = Recorder(e, first, last, spells)
        self.rng = rng
        by_target: dict[tuple[str, str], list[tuple[Event, Recorder]]] = {}
        # An event that starts when the run has ended changes nothing, not even the starts a
        # saturated node has scheduled past the end (it keeps its empty record).
        for e in (e for e in scenario.events if self.recorders[e.id].start < end_time):
            for ident in e.targets:
                by_target.setdefault((e.section, ident), []).append((e, self.recorders[e.id]))
        self.by_target = by_target

    def _on(self, section: str, ident: str, kind: str | None = None) -> list[tuple[Event, Recorder]]:
        return [(e, r) for e, r in self.by_target.get((section, ident), []) if kind is None or e.kind == kind]

    # -- nodes -------------------------------------------------------------------------

    def node_gate(self, node_id: str, free: list[float] | None, pool: int = 0) -> NodeGate | None:
        """The gate of a node events target (None if none does); ``free`` is its server heap.

        ``pool`` k > 0: the gate of the node's k-th pool with servers of its own, which its
        closures close and its handling changes change; a change of servers is the node's own."""
        events = self._on("nodes", node_id)
        if not events:
            return None
        node = self.scenario.nodes[node_id]
        base = node.pools[pool - 1].servers if pool else node.servers
        closures = [(r.start, r.end) for e, r in events if e.kind == "closure"]
        servers = [] if pool else [
            (r.start, r.end, _servers(node.servers, e)) for e, r in events if e.kind == "capacity" and _touches(e, "servers")
        ]
        handling = [
            (r.start, r.end, self._handling_change(node_id, e))
            for e, r in events if e.kind == "capacity" and _touches(e, "handling_hours")
        ]
        return NodeGate(
            free,
            merge_intervals(closures) if closures else None,
            server_steps(base, closures, servers) if base else [],
            pieces(handling),
            [(r.start, r.end, r) for e, r in events],
        )

    def _handling_change(self, node_id: str, e: Event) -> tuple[float, dict[str, Sampler]]:
        samplers = {
            vehicle: Sampler(dist, self.rng(f"event:{e.id}:node:{node_id}:{vehicle}"))
            for vehicle, dist in e.set.get("handling_hours", {}).items()
        }
        return e.scale.get("handling_hours", 1.0), samplers

    # -- legs --------------------------------------------------------------------------

    def leg_gate(self, leg_id: str) -> LegGate | None:
        """The gate of a leg events target, or None."""
        events = self._on("legs", leg_id)
        if not events:
            return None
        leg = self.scenario.legs[leg_id]
        closures = [(r.start, r.end) for e, r in events if e.kind == "closure"]
        changes = []
        for e, r in events:
            if e.kind != "capacity":
                continue
            alternative = None
            if e.set:
                timing = {"speed_km_per_day": None, "duration_days": None, **e.set}
                alternative = travel_sampler(dataclasses.replace(leg, **timing), self.rng(f"event:{e.id}:leg:{leg_id}"))
            changes.append((r.start, r.end, (e.scale.get("speed", 1.0), alternative)))
        return LegGate(
            merge_intervals(closures) if closures else None,
            pieces(changes),
            [(r.start, r.end, r) for e, r in events if e.kind == "closure"],
            [(r.start, r.end, r) for e, r in events if e.kind == "capacity"],
        )

    # -- services ----------------------------------------------------------------------

    def service_closures(self, service_id: str) -> list[tuple[float, float]]:
        """The closed spells of a service's closure events, dated and random (joined to the
        random closures of its ``closures`` key by the caller)."""
        return [(a, b) for e, r in self._on("services", service_id, "closure") for a, b in r.spells.tolist()]

    def service_gate(self, service_id: str) -> ServiceGate | None:
        """The gate of a service events target, or None."""
        events = self._on("services", service_id)
        if not events:
            return None
        service = self.scenario.services[service_id]
        headways, capacities = [], []
        for e, r in events:
            if e.kind != "capacity":
                continue
            if _touches(e, "departures_per_week"):
                per_week = e.set.get("departures_per_week", 7.0 / service.schedule.headway_days)
                headways.append((r.start, r.end, 7.0 / (per_week * e.scale.get("departures_per_week", 1.0))))
            for key in ("capacity_teu", "capacity_wagons"):
                if key in e.set:
                    capacities.append((r.start, r.end, ("set", e.set[key] * e.scale.get(key, 1.0))))
                elif key in e.scale:
                    capacities.append((r.start, r.end, ("scale", e.scale[key])))
        return ServiceGate(
            service,
            pieces(headways),
            pieces(capacities),
            [(a, b, r) for e, r in events if e.kind == "closure" for a, b in r.spells.tolist()],
            [(r.start, r.end, r) for e, r in events if e.kind == "capacity"],
        )

    # -- routes ------------------------------------------------------------------------

    def demand(self, route_id: str) -> list[tuple[float, float, float, Recorder]]:
        """(start, end, factor, recorder) of the demand events on a route."""
        return [(r.start, r.end, e.factor, r) for e, r in self._on("routes", route_id, "demand")]

    def diverts(self, route_id: str) -> list[tuple[Event, Recorder]]:
        """The diversions of a route."""
        return self._on("routes", route_id, "divert")

    def records(self) -> dict[str, EventRecord]:
        """Every event's record, in the scenario's order."""
        return {ident: rec.finish() for ident, rec in self.recorders.items()}


def _touches(e: Event, key: str) -> bool:
    return key in e.set or key in e.scale


def _servers(base: int | None, e: Event) -> int:
    """Servers while a capacity event is in force: set, or the base scaled (rounded, >= 1)."""
    value = e.set.get("servers", base)
    return max(1, int(round(value * e.scale.get("servers", 1.0))))


def baseline_rows(result: Any, route_id: str) -> np.ndarray:
    """For each container of a route's ledger in ``result`` (a ReplicationResult), its row in
    the ledger of the same replication of ``without_events(scenario)`` (-1: added by a demand
    surge).  The identity unless a demand event targets the route: then containers pair by
    this, and a surge's additions have no partner."""
    for record in result.events.values():
        rows = record.base_rows.get(route_id)
        if rows is not None:
            return rows
    return np.arange(result.ledgers[route_id].created.size, dtype=np.int64)


def without_events(scenario: Scenario) -> Scenario:
    """The same scenario without any of its ``[[events]]``, random closure events included
    (a service's ``closures`` key and background traffic stay: they are the network, not
    measured events): run with the same seed, it is the baseline an event is measured
    against, drawing the same random numbers wherever the event does not reach."""
    raw = {k: v for k, v in scenario.raw.items() if k != "events"}
    return dataclasses.replace(scenario, events=(), raw=raw)
