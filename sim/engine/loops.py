"""Shared services: one vehicle carries several routes' cargo along the service's calls.

A shared service (sim.model.sharing) runs its own timetable; each departure's vehicle
calls at every node of the service's path in order.  At a call it first unloads the cargo
whose route leaves the service there (delivered, or handed to the route's next service
when its handling ends), then loads the routes' units waiting there (sim.engine.loading:
allocations first, then first come, first served), within the space left by the cargo
aboard and the background load, which holds its space for the whole run.  It is handled
once per call, queueing like any vehicle; the other routes' cargo aboard is logged as
rider rows (sim.engine.records.NodeLog.rider).

Random times are keyed by the departure's slot on streams of the service
(``loop:<service>:node:<id>``, ``:leg:<id>``, ``:background``), so they do not depend
on which routes' cargo is aboard.
"""

from __future__ import annotations

from array import array
from typing import Generator

import numpy as np

from sim.engine.fleet import FleetState
from sim.engine.loading import EPS, Waiting, board
from sim.engine.queues import BACKGROUND, handle
from sim.engine.records import LoopLog
from sim.engine.sampling import Sampler, run_draws
from sim.engine.trips import start as start_trip
from sim.model.scenario import Route, Segment, Service


class LoopUser:
    """One route's stretch on a shared service: where its cargo waits and where it goes."""

    __slots__ = ("route", "index", "k", "pool", "downstream", "first", "last", "space", "share", "ahead")

    def __init__(self, route: Route, index: int, k: int, pool, downstream, first: int, last: int, space: float,
                 share: float) -> None:
        self.route = route
        self.index = index  # the route's index in the scenario's route order
        self.k = k  # the route's segment index
        self.pool = pool
        self.downstream = downstream
        self.first = first  # call index where it loads
        self.last = last  # call index where it unloads
        self.space = space  # space one unit takes
        self.share = share  # its allocation: share of capacity kept for it at its call
        self.ahead = 0.0  # allocations of routes loading while its cargo is aboard (kept free for them)


class LoopRows:
    """The growing LoopLog of one shared service."""

    def __init__(self) -> None:
        self.legs = (array("q"), array("q"), array("d"), array("d"), array("d"), array("d"))
        self.calls = array("q")
        self.rolled = array("q")

    def leg(self, trip: int, leg: int, depart: float, load: float, background: float, capacity: float) -> None:
        for column, value in zip(self.legs, (trip, leg, depart, load, background, capacity)):
            column.append(value)

    def log(self) -> LoopLog:
        trip, leg, depart, load, background, capacity = (
            np.array(c, dtype=np.int64 if c.typecode == "q" else np.float64) for c in self.legs
        )
        return LoopLog(
            trip, leg, depart, load, background, capacity,
            np.array(self.calls, dtype=np.int64).reshape(-1, 5), np.array(self.rolled, dtype=np.int64).reshape(-1, 3),
        )


class LoopTrips:
    """The Model's part for shared services (sim.engine.simulation.Model mixes it in)."""

    def _loop_user(self, route: Route, k: int, seg: Segment, pool, downstream) -> None:
        """Register a route's stretch on a shared service (instead of a dispatcher of its own)."""
        service = self.scenario.services[seg.service]
        first = _position(service.path, seg.nodes)
        user = LoopUser(
            route, self.route_ids.index(route.id), k, pool, downstream, first, first + len(seg.nodes) - 1,
            self.scenario.unit_space(route), service.allocation.get(route.id, 0.0),
        )
        self.loop_users.setdefault(seg.service, []).append(user)

    def _start_loops(self) -> None:
        """One dispatcher per shared service, once every route has registered its stretch."""
        for sid, users in self.loop_users.items():
            for u in users:
                u.ahead = sum(r.share for r in users if u.first < r.first < u.last)
            self.loop_rows[sid] = LoopRows()
            self.env.process(self._loop_dispatcher(self.scenario.services[sid], users))

    def _loop_dispatcher(self, service: Service, users: list[LoopUser]) -> Generator:
        sid = service.id
        run = service.run
        gate = self.service_gates.get(sid) if self.service_gates else None
        draws = run_draws(self.scenario, f"loop:{sid}", run, self._rng)
        load = service.background_load
        extra = Sampler(load.units, self._rng(f"loop:{sid}:background")) if load is not None and load.units else None
        loading = [[i for i, u in enumerate(users) if u.first == j] for j in range(len(run.nodes))]
        unloading = [[i for i, u in enumerate(users) if u.last == j] for j in range(len(run.nodes))]

        def depart(slot: int, t: float, due: float, planned: float) -> None:
            capacity = service.space if gate is None else gate.space(t, service.space)
            if extra is not None:
                background = min(max(extra.at(slot), 0.0), capacity)
            else:
                background = load.share * capacity if load is not None else 0.0
            fleet = self.fleets.get(sid) if self.fleets else None
            cycle = back = None
            if fleet is not None:
                cycle = fleet.take(planned, t)
                back = self._loop_back(service, fleet, slot)
            trip = self.trips_started
            self.trips_started += 1
            handling, travel = draws.times(slot)
            start_trip(self.env, self._loop_trip(
                service, users, loading, unloading, t, due, trip, handling, travel, draws.pools, capacity, background,
                cycle, back,
            ))

        yield from self._scheduled(sid, run, depart)

    def _loop_back(self, service: Service, fleet: FleetState, slot: int) -> tuple:
        key = ("loop", service.id, 0)
        if key not in self.back_draws:
            spec = fleet.fleet
            way = Segment(service.id, spec.rotation, spec.rotation_legs)
            self.back_draws[key] = self._way_back_draws(f"back:loop:{service.id}", way, spec)
        return self._way_back(self.back_draws[key], slot)

    def _loop_trip(
        self, service: Service, users: list[LoopUser], loading: list[list[int]], unloading: list[list[int]],
        depart: float, due: float, trip: int, handling: list[float | None], travel: list[float], pools: tuple[int, ...],
        capacity: float, background: float, cycle: list[float] | None, back,
    ) -> Generator:
        env = self.env
        sid = service.id
        path, legs = service.path, service.legs
        last = len(path) - 1
        vehicle = service.vehicle
        vehicle_index = self.vehicle_names.index(vehicle)
        rows = self.loop_rows[sid]
        service_gate = self.service_gates.get(sid) if self.service_gates else None
        leg_gates = self.leg_gates
        aboard: dict[int, tuple[list[tuple[int, int]], int, float]] = {}  # user -> (ranges, units, loaded at)
        used = background
        t = depart
        for j, nid in enumerate(path):
            leaving = [i for i in unloading[j] if i in aboard]
            for i in leaving:
                used -= aboard[i][1] * users[i].space
            if loading[j]:
                if t > env.now:
                    yield t  # the routes' pools as they are now
                used = self._board(users, loading[j], aboard, rows, trip, j, t, capacity, used, due, depart, service_gate)
            rec = self.pool_recs.get((nid, pools[j]), self.nodes[nid]) if pools[j] else self.nodes[nid]
            here = list(aboard)
            cargo = [(users[i], aboard[i][0], aboard[i][1]) for i in here]
            duration = handling[j]
            gate = rec.gate
            start, end, handled = yield from handle(env, rec, t, duration, vehicle)
            if gate is not None and (duration is not None or end > t):
                for u, ranges, _ in cargo:
                    gate.watch(trip, u.route.id, ranges, t, start)
            if cargo:
                u, _, n = cargo[0]
                rec.record(t, start, end, n, vehicle_index, u.index, trip, handled, _counted(u, j), pools[j])
                for u, _, n in cargo[1:]:
                    rec.ride(t, end, n, vehicle_index, u.index, trip, _counted(u, j), pools[j])
            else:
                rec.record(t, start, end, 0, vehicle_index, BACKGROUND, trip, handled, False, pools[j])
            t = end
            if leaving:
                if t > env.now:
                    yield t
                for i in leaving:
                    self._unload(users[i], *aboard.pop(i), t)
            if j < last:
                rows.leg(trip, j, t, used - background, background, capacity)
                leg_gate = leg_gates.get(legs[j]) if leg_gates else None
                if leg_gate is None:
                    t += travel[j]
                else:
                    groups = [(users[i].route.id, aboard[i][0]) for i in aboard]
                    first = groups[0] if groups else ("", ())
                    t = leg_gate.travel(t, travel[j], trip, first[0], first[1], groups[1:])
        if cycle is not None:
            yield from self._come_back(service.run, vehicle_index, cycle, back, t)

    def _board(self, users, here: list[int], aboard: dict, rows: LoopRows, trip: int, j: int, now: float,
               capacity: float, used: float, due: float, depart: float, service_gate) -> float:
        """Load the routes waiting at call j; the space used afterwards."""
        groups = []
        for i in here:
            u = users[i]
            fit = int((capacity - used) / u.space + EPS) if capacity > used else 0
            groups.append(Waiting(u.pool.ready_times(now, fit), u.space, u.share * capacity, capacity * (1.0 - u.ahead)))
        counts = board(groups, used)
        for i, n in zip(here, counts):
            u = users[i]
            waiting = u.pool.available(now)
            ranges = u.pool.take(now, n) if n else []
            rows.calls.extend((trip, u.index, j, waiting, n))
            if waiting > n:
                for a, b in u.pool.waiting_ranges(now):
                    rows.rolled.extend((u.index, a, b))
            if not ranges:
                continue
            used += n * u.space
            aboard[i] = (ranges, n, now)
            if u.k == 0:
                departed = self.ledgers[u.route.id].departed
                for a, b in ranges:
                    departed[a:b] = now
            if service_gate is not None:
                service_gate.departed(due, depart, trip, u.route.id, ranges)
        return used

    def _unload(self, u: LoopUser, ranges: list[tuple[int, int]], n: int, loaded: float, t: float) -> None:
        """A route's cargo leaves the vehicle at the end of its stretch, at ``t``."""
        segment, departs, arrives, loads = self.trips[u.route.id]
        segment.append(u.k)
        departs.append(loaded)
        arrives.append(t)
        loads.append(n)
        if u.downstream is None:
            delivered = self.ledgers[u.route.id].delivered
            for a, b in ranges:
                delivered[a:b] = t
        else:
            u.downstream.put(ranges, t)


def _counted(u: LoopUser, j: int) -> bool:
    """A unit counts once per node: not on arriving at the end of a stretch that hands it on."""
    return not (j == u.last and u.downstream is not None)


def _position(path: tuple[str, ...], stretch: tuple[str, ...]) -> int:
    """Where ``stretch`` starts in ``path`` (the loader checked it is a run of it)."""
    n = len(stretch)
    return next(i for i in range(len(path) - n + 1) if path[i:i + n] == stretch)
