"""The SimPy engine: vehicles are processes, containers are rows of numpy arrays.

One replication is a pure function of (scenario, seed, replication index).  Container
arrivals are drawn up front; a departure takes the containers waiting for it as a slice
(they leave in arrival order, up to the vehicle's capacity; the rest roll over), and
timestamps are written for the whole slice at once.  Vehicles queue FIFO for the servers
of the nodes they are handled at, which is where congestion comes from.  Because service
is first come, first served, a vehicle's start is known when it arrives (a heap of the
servers' free-at times), and between such nodes a vehicle advances its own exact clock
instead of waiting on SimPy events.

Ties: at the origin a container created exactly at a departure time makes that departure;
at a transfer a container delivered at the very instant the next vehicle leaves may miss
it, depending on event order.  With continuous time distributions such ties have
probability zero; they matter only in hand-built deterministic scenarios.

The model runs ``cooldown_days`` past the horizon, with demand continuing, so that
containers created before the horizon can finish their journey; the state at the horizon
is read back from the timestamps.

Dated events (sim.engine.events) attach gates to the nodes, legs and services they change
and reshape demand and paths; without events none of that code runs.  A node's background
traffic is one more process feeding its servers.
"""

from __future__ import annotations

import heapq
from array import array
from collections import deque
from typing import Generator

import numpy as np
import simpy

from sim.engine.demand import arrival_times, with_demand_events
from sim.engine.fleet import FleetState, startup_ready
from sim.engine.events import LegGate, ReplicationEvents, ServiceGate, origin_choice, route_plans
from sim.engine.packing import PackedResult, pack, unpack  # noqa: F401  (re-exported: tests import them from here)
from sim.engine.records import NodeLog, ReplicationResult, RouteLedger, TripLog
from sim.engine.sampling import (  # noqa: F401  (driving_days: tests and benchmarks import it from here)
    Sampler,
    TripDraws,
    closure_intervals,
    driving_days,
    merge_intervals,
    reopening,
    stream,
    trip_draws,
)
from sim.model.scenario import Background, Route, Scenario, Segment

# Node-log rows of background traffic have this vehicle, route and trip: no modelled cargo.
BACKGROUND = -1



# ---------------------------------------------------------------------------------------
# Waiting containers


class OriginPool:
    """Containers waiting at a route's origin: a prefix pointer into the arrival array."""

    def __init__(self, created: np.ndarray) -> None:
        self.created = created
        self.next = 0  # first container not yet loaded

    def available(self, now: float) -> int:
        return int(np.searchsorted(self.created, now, side="right")) - self.next

    def take(self, now: float, capacity: int) -> list[tuple[int, int]]:
        n = min(self.available(now), capacity)
        if n <= 0:
            return []
        start = self.next
        self.next += n
        return [(start, start + n)]


class TransferPool:
    """Containers waiting at a transfer node, as FIFO ranges of ledger rows."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.ranges: deque[list] = deque()  # [start, stop, ready_time]
        self.count = 0
        self.changed = env.event()

    def put(self, ranges: list[tuple[int, int]], now: float) -> None:
        for start, stop in ranges:
            self.ranges.append([start, stop, now])
            self.count += stop - start
        old, self.changed = self.changed, self.env.event()
        old.succeed()

    def available(self, now: float) -> int:
        return self.count

    def first_ready(self) -> float:
        return self.ranges[0][2]

    def take(self, now: float, capacity: int) -> list[tuple[int, int]]:
        taken: list[tuple[int, int]] = []
        while capacity > 0 and self.ranges:
            head = self.ranges[0]
            n = min(capacity, head[1] - head[0])
            taken.append((head[0], head[0] + n))
            head[0] += n
            capacity -= n
            self.count -= n
            if head[0] == head[1]:
                self.ranges.popleft()
        return taken


# ---------------------------------------------------------------------------------------
# The model of one replication


class _NodeRecorder:
    __slots__ = (
        "free", "arrive", "start", "end", "containers", "vehicle", "route", "trip", "servers", "handled",
        "counted", "gate", "pool_log",
    )

    def __init__(self, env: simpy.Environment, servers: int | None, pools: bool = False) -> None:
        self.servers = servers
        # At a node with pools, the pool (sim.model.pools) of each visit; None elsewhere.
        self.pool_log = array("q") if pools else None
        self.gate = None  # a sim.engine.events.NodeGate when events change this node
        # First-come-first-served servers: the k-th vehicle to arrive is the k-th to start,
        # so its start is known on arrival: when the earliest-free server frees up.  A heap
        # of the servers' free-at times replaces simpy.Resource and its request/release events.
        self.free: list[float] | None = [-np.inf] * servers if servers else None
        # C arrays, not lists: a visit is logged as raw machine numbers, so no float or
        # int object outlives the call.  Lists of hundreds of thousands of such objects
        # made garbage collection and memory traffic grow faster than the run (4x volume
        # took 4.6-4.9 times as long).
        self.arrive = array("d")
        self.start = array("d")
        self.end = array("d")
        self.containers = array("q")
        self.vehicle = array("q")
        self.route = array("q")
        self.trip = array("q")
        self.handled = array("b")
        self.counted = array("b")

    def record(
        self, arrive: float, start: float, end: float, load: int, vehicle: int, route: int,
        trip: int, handled: bool, counted: bool, pool: int = 0,
    ) -> None:
        if self.pool_log is not None:
            self.pool_log.append(pool)
        self.arrive.append(arrive)
        self.start.append(start)
        self.end.append(end)
        self.containers.append(load)
        self.vehicle.append(vehicle)
        self.route.append(route)
        self.trip.append(trip)
        self.handled.append(handled)
        self.counted.append(counted)

    def admit(self, arrive: float, duration: float) -> float:
        """Start of handling of a vehicle arriving now that will hold a server ``duration``."""
        free = self.free
        if free is None:
            return arrive
        start = free[0] if free[0] > arrive else arrive
        heapq.heapreplace(free, start + duration)
        return start


class Model:
    """Builds the SimPy processes of one replication and runs them."""

    def __init__(self, scenario: Scenario, seed: int, replication: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        s = scenario.settings
        self.end_time = s.horizon_days + s.cooldown_days
        self.env = simpy.Environment()
        self.vehicle_names = tuple(sorted({sv.vehicle for sv in scenario.services.values()}))
        self.route_ids = tuple(scenario.routes)
        # Dated events, their windows drawn from their own streams; None when there are none,
        # and then nothing below looks at them (a scenario without events runs as before).
        self.events = ReplicationEvents(scenario, self._rng, self.end_time) if scenario.events else None
        self.nodes = {nid: _NodeRecorder(self.env, n.servers, bool(n.pools)) for nid, n in scenario.nodes.items()}
        # The node pools with servers of their own (sim.model.pools), by (node, pool number);
        # a pool without them queues at the node's own recorder, only its handling differs.
        self.pool_recs = {
            (nid, k): _NodeRecorder(self.env, p.servers, True)
            for nid, n in scenario.nodes.items() for k, p in enumerate(n.pools, start=1) if p.servers is not None
        }
        # Handling and travel times per (route, segment log index, segment), keyed by trip
        # slot (sim.engine.sampling.TripDraws); built on a segment's first trip.
        self.draws: dict[tuple[str, int, int], TripDraws] = {}
        # The finite fleets by service (sim.engine.fleet), built with their first dispatcher;
        # a service without ``fleet`` has unlimited vehicles and none here.
        self.fleets: dict[str, FleetState] = {}
        self.back_draws: dict[tuple[str, int, int], tuple[TripDraws, Sampler | None]] = {}
        self.closures = {
            sid: closure_intervals(sv.closures, self.end_time, self._rng(f"closures:{sid}"))
            for sid, sv in scenario.services.items()
            if sv.closures is not None
        }
        self.leg_gates: dict[str, LegGate] = {}
        self.service_gates: dict[str, ServiceGate] = {}
        if self.events is not None:
            self._gates()
        self.ledgers: dict[str, RouteLedger] = {}
        self.trips: dict[str, tuple[array, array, array, array]] = {}
        self.trips_started = 0
        for rid, route in scenario.routes.items():
            created = arrival_times(
                route.demand, s.calendar, self.end_time, self._rng(f"demand:{rid}")
            )
            if self.events is not None and self.events.demand(rid):
                created = self._surge(route, created)
            self.ledgers[rid] = RouteLedger(
                created,
                np.full(created.size, np.nan),
                np.full(created.size, np.nan),
                route.demand.unit_teu,
                route.demand.unit_tonnes,
            )
            self.trips[rid] = (array("q"), array("d"), array("d"), array("q"))
            self._build_route(route)
        for nid, node in scenario.nodes.items():
            if node.background is not None and node.background.vehicles_per_day > 0:
                self.env.process(self._background(nid, node.background))

    def _rng(self, purpose: str) -> np.random.Generator:
        return stream(self.seed, self.replication, purpose)

    def _gates(self) -> None:
        """Attach the events' gates to the nodes, legs and services they target."""
        events = self.events
        for nid, rec in self.nodes.items():
            rec.gate = events.node_gate(nid, rec.free)
        for (nid, k), rec in self.pool_recs.items():
            rec.gate = events.node_gate(nid, rec.free, k)
        for lid in self.scenario.legs:
            gate = events.leg_gate(lid)
            if gate is not None:
                self.leg_gates[lid] = gate
        for sid in self.scenario.services:
            gate = events.service_gate(sid)
            if gate is not None:
                self.service_gates[sid] = gate
            dated = events.service_closures(sid)
            if dated:  # one mechanism for random and dated closures: merged intervals
                random = self.closures.get(sid, np.empty((0, 2)))
                self.closures[sid] = merge_intervals([*map(tuple, random.tolist()), *dated])

    def _surge(self, route: Route, created: np.ndarray) -> np.ndarray:
        """The route's arrivals with its demand events applied; each event records the
        containers created in its window and every container's row without the events."""
        spans = self.events.demand(route.id)
        times, base_rows = with_demand_events(
            created, route.demand, self.scenario.settings.calendar, self.end_time,
            [(s, e, f) for s, e, f, _ in spans], self._rng(f"events:demand:{route.id}"),
        )
        for s, e, _, rec in spans:
            lo, hi = np.searchsorted(times, [s, e], side="left")
            rec.add_rows(route.id, [(int(lo), int(hi))])
            rec.base_rows[route.id] = base_rows
        return times

    def _build_route(self, route: Route) -> None:
        ledger = self.ledgers[route.id]
        origin = OriginPool(ledger.created)
        diverts = self.events.diverts(route.id) if self.events is not None else []
        if not diverts:
            pools: list = [origin]
            pools += [TransferPool(self.env) for _ in route.segments[1:]]
            for k, seg in enumerate(route.segments):
                downstream = pools[k + 1] if k + 1 < len(pools) else None
                self.env.process(self._dispatcher(route, k, seg, pools[k], downstream))
            return
        # Diverted: each plan (the route's own path, each diversion's) has its own transfer
        # pools and departures after the first; the origin's departures choose the plan in
        # force when they leave.
        plans = route_plans(route, diverts)
        for plan in plans:
            pools = [TransferPool(self.env) for _ in plan.segments[1:]]
            plan.pools = pools
            for k, seg in enumerate(plan.segments[1:], start=1):
                downstream = pools[k] if k < len(pools) else None
                self.env.process(self._dispatcher(route, plan.log_index[k], seg, pools[k - 1], downstream))
        for service, (off, choose) in origin_choice(plans, self.end_time).items():
            seg = next(p.segments[0] for p in plans if p.segments[0].service == service)
            self.env.process(self._dispatcher(route, 0, seg, origin, None, choose, off))

    # -- departures ------------------------------------------------------------------

    def _dispatcher(self, route: Route, k: int, seg: Segment, pool, downstream, choose=None, off=None) -> Generator:
        service = self.scenario.services[seg.service]
        capacity = self.scenario.service_capacity(route, seg.service)
        schedule = service.schedule
        env = self.env
        gate = self.service_gates.get(seg.service) if self.service_gates else None
        if schedule.kind == "when_full":
            yield from self._when_full(route, k, seg, pool, downstream, capacity, schedule.max_wait_days, choose, off)
            return
        closed = self.closures.get(seg.service)
        fleet = self._fleet(seg)
        times = self._timetable(schedule)
        if gate is not None and gate.headways:
            times = gate.timetable(times, self.end_time)
        waited_until = -np.inf
        for slot, t in enumerate(times):
            if off is not None and reopening(off, t) != t:
                continue  # another service leaves the origin then (a diversion)
            if t <= waited_until:
                continue  # passed while the departure before waited for a vehicle: that one was it
            due = t
            t = reopening(closed, t)
            if t >= self.end_time:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            planned = t
            if fleet is not None and not fleet.idle:
                while not fleet.idle:  # no vehicle back: leave when one is
                    yield fleet.changed
                t = waited_until = env.now
            load = capacity if gate is None else gate.capacity(t, route, capacity)
            self._depart(route, k, seg, pool, downstream, load, slot, t, choose, due, planned)

    def _timetable(self, schedule) -> Generator[float, None, None]:
        if schedule.kind == "frequency":
            t = schedule.offset_days
            j = 0
            while t < self.end_time:
                yield t
                j += 1
                t = schedule.offset_days + j * schedule.headway_days
        else:
            week = 0
            while True:
                for d in schedule.days:
                    t = week * 7.0 + d
                    if t >= self.end_time:
                        return
                    yield t
                week += 1

    def _when_full(self, route, k, seg, pool, downstream, capacity, max_wait, choose=None, off=None) -> Generator:
        env = self.env
        closed = self.closures.get(seg.service)
        gate = self.service_gates.get(seg.service) if self.service_gates else None
        slot = 0  # departures so far: the key of the next trip's random draws
        fleet = self._fleet(seg)
        if isinstance(pool, OriginPool):
            created = pool.created
            n = created.size
            while pool.next < n:
                first = created[pool.next]
                load = capacity if gate is None else gate.capacity(max(first, env.now), route, capacity)
                last_needed = pool.next + load - 1
                full_at = created[last_needed] if last_needed < n else np.inf
                due = min(full_at, first + max_wait) if max_wait is not None else full_at
                if off is not None and reopening(off, due) != due:
                    due = reopening(off, due)  # another service leaves the origin until then
                    if not due < self.end_time:
                        return
                    yield env.timeout(due - env.now)
                    continue
                planned = due
                due = reopening(closed, due)
                if not np.isfinite(due) or due >= self.end_time:
                    return
                if due > env.now:
                    yield env.timeout(due - env.now)
                    cutoff = due  # exact, whatever the rounding of env.now
                else:
                    cutoff = env.now
                if fleet is not None and not fleet.idle:
                    while not fleet.idle:  # loaded only once a vehicle is back
                        yield fleet.changed
                    cutoff = env.now
                self._depart(route, k, seg, pool, downstream, load, slot, cutoff, choose, planned, due)
                slot += 1
            return
        held = wanted = None  # since when closed, since when waiting for a vehicle
        while True:
            if pool.count == 0:
                yield pool.changed
                continue
            lifts = reopening(closed, env.now)
            if lifts > env.now:
                held = env.now if held is None else held
                yield env.timeout(lifts - env.now)
                continue
            if fleet is not None and not fleet.idle:
                wanted = env.now if wanted is None else wanted
                yield fleet.changed
                continue
            load = capacity if gate is None else gate.capacity(env.now, route, capacity)
            if pool.count >= load:
                self._depart(route, k, seg, pool, downstream, load, slot, None, None, held, wanted)
                slot += 1
                held = wanted = None
                continue
            if max_wait is None:
                yield pool.changed
                continue
            due = pool.first_ready() + max_wait
            if due <= env.now:
                self._depart(route, k, seg, pool, downstream, load, slot, None, None, held, wanted)
                slot += 1
                held = wanted = None
                continue
            yield env.any_of([pool.changed, env.timeout(due - env.now)])

    def _depart(
        self, route: Route, k: int, seg: Segment, pool, downstream, capacity: int, slot: int,
        cutoff: float | None = None, choose=None, due: float | None = None, planned: float | None = None,
    ) -> None:
        """A departure of segment k now (``cutoff``: exactly then) with what waits for it.

        ``due`` is the slot before any closure moved it (for the events' records);
        ``planned`` the time it was ready to go but for a vehicle of its fleet (the slot,
        or when the load gathered), so that the wait for a vehicle can be measured."""
        # The scheduled time is exact; env.now may differ from it by rounding of timeouts.
        now = self.env.now if cutoff is None else cutoff
        ranges = pool.take(now, capacity)
        if not ranges:
            return  # nothing to carry: the departure is cancelled
        trip = self.trips_started
        self.trips_started += 1
        if k == 0:
            departed = self.ledgers[route.id].departed
            for start, stop in ranges:
                departed[start:stop] = now
        if choose is not None:  # a diverted route: the plan in force now
            plan = choose(now)
            k, seg = plan.log_index[0], plan.segments[0]
            downstream = plan.pools[0] if plan.pools else None
            if plan.recorder is not None:
                plan.recorder.add(trip, route.id, ranges)
        if self.service_gates:
            gate = self.service_gates.get(seg.service)
            if gate is not None:
                gate.departed(now if due is None else due, now, trip, route.id, ranges)
        fleet = self.fleets.get(seg.service) if self.fleets else None
        cycle = back = None
        if fleet is not None:
            cycle = fleet.take(now if planned is None else planned, now)
            back = self._back_draws(route, k, seg, fleet, slot)
        draws = self.draws.get((route.id, k, id(seg)))
        if draws is None:
            draws = self.draws[(route.id, k, id(seg))] = trip_draws(self.scenario, route.id, k, seg, self._rng)
        # Drawn now, in slot order: vehicles may reach later nodes in another order.
        handling = [None if h is None else h.at(slot) for h in draws.handling]
        travel = [d.at(slot) for d in draws.travel]
        self.env.process(self._trip(route, k, seg, ranges, downstream, now, trip, handling, travel, draws.pools, cycle, back))

    # -- a vehicle's trip ------------------------------------------------------------

    def _trip(
        self, route: Route, k: int, seg: Segment, ranges, downstream, depart: float, trip: int,
        handling: list[float | None], travel: list[float], pools: tuple[int, ...], cycle: list[float] | None = None,
        back=None,
    ) -> Generator:
        env = self.env
        vehicle = self.scenario.services[seg.service].vehicle
        vehicle_index = self.vehicle_names.index(vehicle)
        route_index = self.route_ids.index(route.id)
        load = sum(stop - start for start, stop in ranges)
        last = len(seg.nodes) - 1
        leg_gates = self.leg_gates
        # The vehicle keeps its own exact clock; SimPy's catches up only where vehicles
        # interact (shared servers, the end of the trip), which saves most events.
        t = depart
        for j, node_id in enumerate(seg.nodes):
            rec = self.pool_recs.get((node_id, pools[j]), self.nodes[node_id]) if pools[j] else self.nodes[node_id]
            counted = j < last or downstream is None
            duration = handling[j]
            gate = rec.gate
            if duration is None:
                if gate is None:
                    rec.record(t, t, t, load, vehicle_index, route_index, trip, False, counted, pools[j])
                else:  # held at a closed node even if not handled there
                    go = gate.hold(t)
                    rec.record(t, go, go, load, vehicle_index, route_index, trip, bool(go > t), counted, pools[j])
                    if go > t:
                        gate.watch(trip, route.id, ranges, t, go)
                    t = go
            else:
                if rec.free is not None and t > env.now:
                    # Shared servers: arrive in time order so first come is first served.
                    yield env.timeout(t - env.now)
                if gate is None:
                    start = rec.admit(t, duration)
                    end = start + duration
                else:
                    start, end = gate.admit(t, duration, vehicle)
                    gate.watch(trip, route.id, ranges, t, start)
                rec.record(t, start, end, load, vehicle_index, route_index, trip, True, counted, pools[j])
                t = end
            if j < last:
                leg_id = seg.legs[j]
                leg_gate = leg_gates.get(leg_id) if leg_gates else None
                if leg_gate is None:
                    t += travel[j]
                else:
                    t = leg_gate.travel(t, travel[j], trip, route.id, ranges)
        if t > env.now:
            yield env.timeout(t - env.now)
        segment, departs, arrives, loads = self.trips[route.id]
        segment.append(k)
        departs.append(depart)
        arrives.append(t)
        loads.append(load)
        if downstream is None:
            delivered = self.ledgers[route.id].delivered
            for start, stop in ranges:
                delivered[start:stop] = t
        else:
            downstream.put(ranges, t)
        if cycle is not None:
            yield from self._come_back(seg, vehicle_index, cycle, back)

    # -- a vehicle of a fleet coming back --------------------------------------------

    def _fleet(self, seg: Segment) -> FleetState | None:
        """The fleet of a segment's service (built on first use), or None: unlimited vehicles."""
        fleet = self.scenario.services[seg.service].fleet
        if fleet is None:
            return None
        state = self.fleets.get(seg.service)
        if state is None:
            state = self.fleets[seg.service] = FleetState(self.env, fleet, startup_ready(self.scenario, seg, fleet))
        return state

    def _back_draws(self, route: Route, k: int, seg: Segment, fleet: FleetState, slot: int) -> tuple:
        """The way back of trip ``slot`` of segment k: its nodes and legs, their keyed draws
        (handling at the nodes between the ends, travel) and its two turnarounds."""
        key = (route.id, k, id(seg))
        drawn = self.back_draws.get(key)
        if drawn is None:
            spec = fleet.fleet
            if seg in self.scenario.routes[route.id].segments:
                way = Segment(seg.service, spec.rotation, spec.rotation_legs)
            else:  # a diverted trip comes back the way it went
                way = Segment(seg.service, tuple(reversed(seg.nodes)), tuple(reversed(seg.legs)))
            turn = spec.turnaround
            drawn = self.back_draws[key] = (
                way, trip_draws(self.scenario, route.id, k, way, self._rng, prefix="back"),
                None if turn is None else Sampler(turn, self._rng(f"back:{route.id}:{k}:turnaround")),
            )
        way, draws, turn = drawn
        handling = [None if h is None else h.at(slot) for h in draws.handling]
        travel = [d.at(slot) for d in draws.travel]
        turns = (0.0, 0.0) if turn is None else (max(turn.at(2 * slot), 0.0), max(turn.at(2 * slot + 1), 0.0))
        return way, handling, travel, draws.pools, turns

    def _come_back(self, seg: Segment, vehicle_index: int, cycle: list[float], back) -> Generator:
        """Turn around, travel the way back (queueing where it is handled), turn around at the
        origin, and be ready again.  Empty: its visits are logged as traffic without cargo."""
        env = self.env
        way, handling, travel, pools, (turn_end, turn_origin) = back
        t = float(env.now)  # a Python float: the node logs take machine numbers
        cycle[3] = t
        t += turn_end
        cycle[4] = t
        leg_gates = self.leg_gates
        last = len(way.nodes) - 1
        for j in range(1, last + 1):
            leg_id = way.legs[j - 1]
            leg_gate = leg_gates.get(leg_id) if leg_gates else None
            t = t + travel[j - 1] if leg_gate is None else leg_gate.travel(t, travel[j - 1], BACKGROUND, "", ())
            if j == last:
                break  # the origin: the turnaround there, not handling (loading is the next trip's)
            nid = way.nodes[j]
            rec = self.pool_recs.get((nid, pools[j]), self.nodes[nid]) if pools[j] else self.nodes[nid]
            duration, gate = handling[j], rec.gate
            if duration is None:
                go = t if gate is None else gate.hold(t)
                rec.record(t, go, go, 0, vehicle_index, BACKGROUND, BACKGROUND, bool(go > t), False, pools[j])
                t = go
                continue
            if rec.free is not None and t > env.now:
                yield env.timeout(t - env.now)  # shared servers: first come, first served
            if gate is None:
                start = rec.admit(t, duration)
                end = start + duration
            else:
                start, end = gate.admit(t, duration, self.scenario.services[seg.service].vehicle)
            rec.record(t, start, end, 0, vehicle_index, BACKGROUND, BACKGROUND, True, False, pools[j])
            t = end
        cycle[5] = t
        t += turn_origin
        cycle[6] = t
        if t > env.now:
            yield env.timeout(t - env.now)
        self.fleets[seg.service].put(int(cycle[0]))

    def _background(self, node_id: str, background: Background) -> Generator:
        """Vehicles without modelled cargo taking the node's servers: Poisson arrivals over the
        run, drawn up front from the node's own streams, queueing with the others."""
        env = self.env
        rec = self.nodes[node_id]
        rng = self._rng(f"background:{node_id}")
        n = int(rng.poisson(background.vehicles_per_day * self.end_time))
        arrivals = np.sort(rng.uniform(0.0, self.end_time, n)).tolist()
        sampler = Sampler(background.handling, self._rng(f"background:{node_id}:handling"))
        for t in arrivals:
            if t > env.now:
                yield env.timeout(t - env.now)
            duration = sampler()
            if rec.gate is None:
                start = rec.admit(t, duration)
                end = start + duration
            else:
                start, end = rec.gate.admit(t, duration, None)
            rec.record(t, start, end, 0, BACKGROUND, BACKGROUND, BACKGROUND, True, False)

    # -- run -------------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        self.env.run(until=self.end_time)
        return ReplicationResult(
            replication=self.replication,
            seed=self.seed,
            end_time=self.end_time,
            ledgers=self.ledgers,
            nodes={nid: self._node_log(nid) for nid in self.nodes},
            trips={rid: _trip_log(t) for rid, t in self.trips.items()},
            vehicle_names=self.vehicle_names,
            events=self.events.records() if self.events is not None else {},
            fleets={sid: f.log() for sid, f in self.fleets.items()},
        )

    def _node_log(self, nid: str) -> NodeLog:
        node = self.scenario.nodes[nid]
        parts = [(0, self.nodes[nid])] + [(k, r) for (n, k), r in self.pool_recs.items() if n == nid]

        def column(name: str, dtype: type) -> np.ndarray:
            return np.concatenate([_numpy(getattr(r, name), dtype) for _, r in parts])

        arrive = column("arrive", np.float64)
        pool = column("pool_log", np.int64) if node.pools else np.zeros(arrive.size, np.int64)
        # Visits are logged on arrival, with their start and end: first come, first served
        # fixes both then. Keep every vehicle that arrived within the run, also those still
        # queueing or being handled when it stopped, so a saturated node's waits and queue
        # count the vehicles stuck in it instead of only those it got through.  With pools,
        # their visits merge in arrival order.
        keep = arrive < self.end_time
        if len(parts) > 1:
            keep = np.flatnonzero(keep)
            keep = keep[np.argsort(arrive[keep], kind="stable")]
        containers = column("containers", np.int64)[keep]
        route = column("route", np.int64)[keep]
        demands = [self.scenario.routes[r].demand for r in self.route_ids]
        teu = np.array([d.unit_teu for d in demands], dtype=np.float64)
        tonnes = np.array([d.unit_tonnes for d in demands], dtype=np.float64)
        pool_servers = (node.servers, *(p.servers if p.servers is not None else node.servers for p in node.pools))
        limits = [node.servers] + [r.servers for k, r in parts if k]
        limited = [n for n in limits if n is not None]
        return NodeLog(
            arrive=arrive[keep],
            start=column("start", np.float64)[keep],
            end=column("end", np.float64)[keep],
            containers=containers,
            # Background rows (route -1) carry nothing: index 0 for them, times 0 containers.
            teu=containers * teu[np.maximum(route, 0)],
            tonnes=containers * tonnes[np.maximum(route, 0)],
            vehicle=column("vehicle", np.int64)[keep],
            route=route,
            trip=column("trip", np.int64)[keep],
            handled=column("handled", np.int8)[keep].astype(bool),
            counted=column("counted", np.int8)[keep].astype(bool),
            servers=sum(limited) if limited else None,
            pool=pool[keep],
            pool_servers=pool_servers,
        )


def _numpy(values: array, dtype: type) -> np.ndarray:
    """A C array as a numpy array of the same machine numbers (copied: the log is final)."""
    if not len(values):
        return np.empty(0, dtype)
    return np.frombuffer(values, dtype=dtype).copy()


def _trip_log(t: tuple[array, array, array, array]) -> TripLog:
    segment, depart, arrive, loads = t
    return TripLog(
        _numpy(segment, np.int64),
        _numpy(depart, np.float64),
        _numpy(arrive, np.float64),
        _numpy(loads, np.int64),
    )


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate one replication; a pure function of its arguments."""
    return Model(scenario, seed, replication).run()
