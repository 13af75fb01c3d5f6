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

import math
from array import array
from typing import Generator

import numpy as np
import simpy

from sim.engine.background import background_traffic
from sim.engine.demand import arrival_times, with_demand_events
from sim.engine.flows import flow_arrivals, mean_load, merge_arrivals
from sim.engine.fleet import FleetState, FleetTrips
from sim.engine.loops import LoopRows, LoopTrips, LoopUser
from sim.engine.events import ReplicationEvents, origin_choice, route_plans
from sim.engine.gates import LegGate, ServiceGate
from sim.engine.queues import PACK_VISIT, NodeRecorder, OriginPool, TransferPool, node_log, numpy_of
from sim.engine.records import ReplicationResult, RouteLedger, TripLog
from sim.engine.timetable import timetable
from sim.engine.trips import start as start_trip
from sim.engine.sampling import (
    TripDraws,
    closure_intervals,
    merge_intervals,
    reopening,
    stream,
    trip_draws,
)
from sim.model.scenario import Route, Scenario, Segment




# ---------------------------------------------------------------------------------------
# The model of one replication


class Model(FleetTrips, LoopTrips):
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
        # Shared services (sim.engine.loops): their routes' stretches, by service, and their logs.
        self.loop_users: dict[str, list[LoopUser]] = {}
        self.loop_rows: dict[str, LoopRows] = {}
        riders = {nid for sv in scenario.services.values() if sv.shared for nid in sv.path}
        self.nodes = {
            nid: NodeRecorder(self.env, n.servers, bool(n.pools), nid in riders) for nid, n in scenario.nodes.items()
        }
        # The node pools with servers of their own (sim.model.pools), by (node, pool number);
        # a pool without them queues at the node's own recorder, only its handling differs.
        self.pool_recs = {
            (nid, k): NodeRecorder(self.env, p.servers, True, nid in riders)
            for nid, n in scenario.nodes.items() for k, p in enumerate(n.pools, start=1) if p.servers is not None
        }
        # Handling and travel times per (route, segment log index, segment), keyed by trip
        # slot (sim.engine.sampling.TripDraws), with the segment's plan (_segment_plan);
        # built on a segment's first trip.
        self.draws: dict[tuple[str, int, int], tuple[TripDraws, tuple]] = {}
        # The finite fleets by service (sim.engine.fleet), built with their first dispatcher;
        # a service without ``fleet`` has unlimited vehicles and none here.
        self.fleets: dict[str, FleetState] = {}
        self.back_draws: dict[tuple[str, int, int], tuple] = {}  # FleetTrips._way_back_draws
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
        booked = flow_arrivals(scenario, self.end_time, self._rng) if scenario.flows else {}
        for rid, route in scenario.routes.items():
            created = arrival_times(
                route.demand, s.calendar, self.end_time, self._rng(f"demand:{rid}")
            )
            if self.events is not None and self.events.demand(rid):
                created = self._surge(route, created)
            flow = None
            unit_tonnes = route.demand.unit_tonnes
            if rid in booked:
                own = created.size
                created, flow = merge_arrivals(created, booked[rid])
                unit_tonnes = mean_load(scenario, route, own, booked[rid])
            self.ledgers[rid] = RouteLedger(
                created,
                np.full(created.size, np.nan),
                np.full(created.size, np.nan),
                route.demand.unit_teu,
                unit_tonnes,
                flow,
            )
            self.trips[rid] = (array("q"), array("d"), array("d"), array("q"))
            self._build_route(route)
        self._start_loops()
        for nid, node in scenario.nodes.items():
            if node.background is not None and node.background.vehicles_per_day > 0:
                self.env.process(background_traffic(
                    self.env, self.nodes[nid], node.background, self.end_time,
                    self._rng(f"background:{nid}"), self._rng(f"background:{nid}:handling"),
                ))

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
                if self.scenario.services[seg.service].shared:
                    self._loop_user(route, k, seg, pools[k], downstream)
                else:
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
        capacity = self.scenario.service_capacity(route, seg.service)
        schedule = self.scenario.services[seg.service].schedule
        if schedule.kind == "when_full":
            yield from self._when_full(route, k, seg, pool, downstream, capacity, schedule.max_wait_days, choose, off)
            return
        gate = self.service_gates.get(seg.service) if self.service_gates else None

        def depart(slot: int, t: float, due: float, planned: float) -> None:
            load = capacity if gate is None else gate.capacity(t, route, capacity)
            self._depart(route, k, seg, pool, downstream, load, slot, t, choose, due, planned)

        yield from self._scheduled(seg.service, seg, depart, off)

    def _scheduled(self, service_id: str, seg: Segment, depart, off=None) -> Generator:
        """Run a service's timetable: ``depart(slot, t, due, planned)`` at each departure.

        A departure due in a closure leaves when it lifts; one due with no vehicle of its
        fleet back leaves when one is (``planned``: when it could have gone but for that),
        and the slots that pass meanwhile are that late departure, not new ones; ``off``
        holds the times another service leaves the origin instead (a diversion)."""
        env = self.env
        schedule = self.scenario.services[service_id].schedule
        gate = self.service_gates.get(service_id) if self.service_gates else None
        closed = self.closures.get(service_id)
        fleet = self._fleet(service_id, seg)
        times = timetable(schedule, self.end_time)
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
            if fleet is not None and (yield from fleet.ready()):  # no vehicle back: leave when one is
                t = waited_until = env.now
            depart(slot, t, due, planned)

    def _when_full(self, route, k, seg, pool, downstream, capacity, max_wait, choose=None, off=None) -> Generator:
        env = self.env
        closed = self.closures.get(seg.service)
        gate = self.service_gates.get(seg.service) if self.service_gates else None
        slot = 0  # departures so far: the key of the next trip's random draws
        fleet = self._fleet(seg.service, seg)
        if isinstance(pool, OriginPool):
            at = pool.created.item  # Python floats: numpy scalars' arithmetic is slower, same values
            n = pool.created.size
            while pool.next < n:
                first = at(pool.next)
                load = capacity if gate is None else gate.capacity(max(first, env.now), route, capacity)
                last_needed = pool.next + load - 1
                full_at = at(last_needed) if last_needed < n else math.inf
                due = min(full_at, first + max_wait) if max_wait is not None else full_at
                if off is not None and reopening(off, due) != due:
                    due = reopening(off, due)  # another service leaves the origin until then
                    if not due < self.end_time:
                        return
                    yield env.timeout(due - env.now)
                    continue
                planned = due
                due = reopening(closed, due)
                if not math.isfinite(due) or due >= self.end_time:
                    return
                if due > env.now:
                    yield env.timeout(due - env.now)
                    cutoff = due  # exact, whatever the rounding of env.now
                else:
                    cutoff = env.now
                if fleet is not None and (yield from fleet.ready()):  # loaded only once a vehicle is back
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
            if fleet is not None and not fleet.has_ready():
                wanted = env.now if wanted is None else wanted
                yield fleet.wait()
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
        drawn = self.draws.get((route.id, k, id(seg)))
        if drawn is None:
            drawn = self.draws[(route.id, k, id(seg))] = self._segment_plan(route, k, seg)
        draws, plan = drawn
        # Drawn now, in slot order: vehicles may reach later nodes in another order.
        handling, travel = draws.times(slot)
        start_trip(self.env, self._trip(route, k, seg, ranges, downstream, now, trip, handling, travel, plan, cycle, back))

    def _segment_plan(self, route: Route, k: int, seg: Segment) -> tuple[TripDraws, tuple]:
        """A segment's draws and what every trip over it looks up: the recorder of each node
        (its pool's, where the vehicle's handling is a pool's), the gate of each leg, and
        the vehicle's and route's indices in the logs; built once, on the first trip."""
        draws = trip_draws(self.scenario, route.id, k, seg, self._rng)
        recs, legs = self._stops(seg, draws.pools)
        vehicle = self.scenario.services[seg.service].vehicle
        return draws, (recs, draws.pools, legs, vehicle, self.vehicle_names.index(vehicle), self.route_ids.index(route.id))

    def _stops(self, seg: Segment, pools: tuple[int, ...]) -> tuple[tuple[NodeRecorder, ...], tuple]:
        """The recorder a vehicle over ``seg`` is handled by at each node (its pool's, where
        ``pools`` names one) and the gate of each leg (None: no event changes it)."""
        recs = tuple(
            self.pool_recs.get((nid, pool), self.nodes[nid]) if pool else self.nodes[nid]
            for nid, pool in zip(seg.nodes, pools)
        )
        return recs, tuple(self.leg_gates.get(lid) for lid in seg.legs)

    # -- a vehicle's trip ------------------------------------------------------------

    def _trip(
        self, route: Route, k: int, seg: Segment, ranges, downstream, depart: float, trip: int,
        handling: list[float | None], travel: list[float], plan: tuple, cycle: list[float] | None = None,
        back=None,
    ) -> Generator:
        env = self.env
        recs, pools, leg_gates, vehicle, vehicle_index, route_index = plan
        load = ranges[0][1] - ranges[0][0] if len(ranges) == 1 else sum(stop - start for start, stop in ranges)
        last = len(recs) - 1
        # The vehicle keeps its own exact clock; SimPy's catches up only where vehicles
        # interact (shared servers, the end of the trip), which saves most events.
        t = depart
        for j, rec in enumerate(recs):
            counted = j < last or downstream is None
            duration = handling[j]
            gate = rec.gate
            if duration is None:
                if gate is None:
                    rec.rows += PACK_VISIT(t, t, t, load, vehicle_index, route_index, trip, False, counted, pools[j], False)
                else:  # held at a closed node even if not handled there
                    go = gate.hold(t)
                    rec.record(t, go, go, load, vehicle_index, route_index, trip, bool(go > t), counted, pools[j])
                    if go > t:
                        gate.watch(trip, route.id, ranges, t, go)
                    t = go
            else:
                if rec.free is not None and t > env.now:
                    # Shared servers: arrive in time order so first come is first served.
                    yield t
                if gate is None:
                    start = rec.admit(t, duration)
                    end = start + duration
                else:
                    start, end = gate.admit(t, duration, vehicle)
                    gate.watch(trip, route.id, ranges, t, start)
                rec.rows += PACK_VISIT(t, start, end, load, vehicle_index, route_index, trip, True, counted, pools[j], False)
                t = end
            if j < last:
                leg_gate = leg_gates[j]
                if leg_gate is None:
                    t += travel[j]
                else:
                    t = leg_gate.travel(t, travel[j], trip, route.id, ranges)
        # Only a hand-over must happen in SimPy time: a delivery by the end of the run, and a
        # fleet's way back after it, go on on the vehicle's clock (an event saved); one after
        # the end never fires, as before.
        if t > env.now and (downstream is not None or t > self.end_time):
            yield t
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
            yield from self._come_back(seg, vehicle_index, cycle, back, t)

    # -- run -------------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        self.env.run(until=self.end_time)
        # The ledgers' units: a route some flows chose counts its mean load (sim.engine.flows).
        ledgers = [self.ledgers[r] for r in self.route_ids]
        units = np.array([(l.unit_teu, l.unit_tonnes) for l in ledgers], dtype=np.float64).reshape(-1, 2)
        pools: dict[str, list] = {}
        for (nid, k), rec in self.pool_recs.items():
            pools.setdefault(nid, []).append((k, rec))
        return ReplicationResult(
            replication=self.replication,
            seed=self.seed,
            end_time=self.end_time,
            ledgers=self.ledgers,
            nodes={nid: node_log(self.scenario.nodes[nid], [(0, rec)] + pools.get(nid, []), self.end_time, units)
                   for nid, rec in self.nodes.items()},
            trips={rid: _trip_log(t) for rid, t in self.trips.items()},
            vehicle_names=self.vehicle_names,
            events=self.events.records() if self.events is not None else {},
            fleets={sid: f.log() for sid, f in self.fleets.items()},
            loops={sid: rows.log() for sid, rows in self.loop_rows.items()},
        )


def _trip_log(t: tuple[array, array, array, array]) -> TripLog:
    segment, depart, arrive, loads = t
    return TripLog(
        numpy_of(segment, np.int64),
        numpy_of(depart, np.float64),
        numpy_of(arrive, np.float64),
        numpy_of(loads, np.int64),
    )


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate one replication; a pure function of its arguments."""
    return Model(scenario, seed, replication).run()
