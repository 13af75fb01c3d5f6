"""The gates dated events put on a node, a leg or a service of one replication: what is in
force at each moment (servers, handling times, closures, speeds, departures per week,
capacity), and the trips each touched, written into its event's Recorder.

Time-varying servers keep the engine's first-come-first-served shortcut: see sim.engine.events.
"""

from __future__ import annotations

import heapq
import math
from typing import Any, Iterator, Sequence

import numpy as np

from sim.engine.sampling import reopening
from sim.model.scenario import Route, Service


from sim.engine.event_records import Recorder


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


def value_at(stretches: Sequence[tuple[float, float, Any]], t: float) -> Any:
    """The payload of the stretch holding ``t``, or None (stretches are few and sorted)."""
    for a, b, payload in stretches:
        if t < a:
            return None
        if t < b:
            return payload
    return None


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
        change = value_at(self.handling, start)
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
            value = value_at(stretches, t)
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
        change = value_at(self.travel_changes, go)
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
        change = value_at(self.capacities, t)
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
        change = value_at(self.capacities, t)
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
