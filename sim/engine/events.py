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
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from sim.engine.event_records import EventRecord, Recorder
from sim.engine.gates import LegGate, NodeGate, ServiceGate, pieces, server_steps, value_at
from sim.engine.sampling import Sampler, closure_intervals, merge_intervals, travel_sampler
from sim.model.distributions import Fixed
from sim.model.scenario import Event, Route, Scenario, Segment

Rng = Callable[[str], np.random.Generator]


# ---------------------------------------------------------------------------------------
# Random spells and event windows


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
            active = value_at(stretches, t)
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
