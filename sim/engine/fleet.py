"""A service's finite fleet during one run: the vehicles back at the origin, and each cycle's times.

A vehicle's cycle: it departs loaded, arrives at the end of its run, turns around there,
travels the rotation back (queueing at its nodes like any vehicle), turns around at the
origin and is then ready (idle) until it departs again.  Only a ready vehicle can depart;
a departure due with none ready leaves when one is.

Start-up: the run begins as if the service had been running steadily with its N vehicles,
each departure one headway h after the one before (h the timetable's, or the expected cycle
divided by N when that is longer or the service leaves when full).  The vehicle that left m
headways before the start (m = 1..N) is then on its cycle and is ready at T - m h (T the
expected cycle time from the distributions' means, no queueing), or at once when that has
passed.  It is counted as on its way back until then, without visiting nodes on the way.
"""

from __future__ import annotations

import heapq
import math
from typing import Generator

import numpy as np
import simpy

from sim.engine.queues import BACKGROUND, PACK_VISIT, handle, signal
from sim.engine.records import FleetLog
from sim.engine.sampling import Sampler, expected_travel_days, run_draws
from sim.model.scenario import Fleet, Route, Scenario, Segment

NOT_YET = math.inf  # a state not reached when the run stopped


class FleetState:
    """The ready vehicles of one service at its origin, and the cycle rows of the run.

    A vehicle coming back is put with the time it will be ready (``put_at``), computed on
    its own clock, so its return costs no SimPy event unless a departure waits for it:
    ``has_ready`` counts those whose time has come.  A departure with none waits on
    ``changed``, which ``wait`` turns into a Timeout at the first return to come (one
    event: the return and the departure's wake-up at once), or which fires now when a
    vehicle is put back ready at once.
    """

    def __init__(self, env: simpy.Environment, fleet: Fleet, ready_at: list[float]) -> None:
        self.env = env
        self.fleet = fleet
        self.idle: list[int] = []  # vehicles ready at the origin, first back first out
        self.later: list[tuple[float, int, int]] = []  # (ready at, order put, vehicle): a heap
        self._put = 0
        self.changed = env.event()  # what a departure waits on: unfired, or armed (a Timeout)
        self._wake_at = math.inf  # when the armed ``changed`` fires (inf: not armed)
        self._release_at = None  # the armed event's first callback, which releases the vehicle
        self.rows: list[list[float]] = []
        for vehicle, at in enumerate(ready_at):
            if at > 0.0:
                self.rows.append([vehicle, math.nan, math.nan, math.nan, 0.0, at, at])
            self.put_at(vehicle, at)

    def take(self, planned: float, now: float) -> list[float]:
        """A ready vehicle departs now for a slot due at ``planned``: its cycle row, to fill in."""
        self._release(self.env.now)
        vehicle = self.idle.pop(0)
        row = [vehicle, planned, now, NOT_YET, NOT_YET, NOT_YET, NOT_YET]
        self.rows.append(row)
        return row

    def put_at(self, vehicle: int, at: float) -> None:
        """A vehicle is ready at the origin at ``at`` (now or later)."""
        if at <= self.env.now:
            self.idle.append(vehicle)
            self._wake_now()
            return
        heapq.heappush(self.later, (at, self._put, vehicle))
        self._put += 1
        if at < self._wake_at and self._waiting():  # wake whoever waits when this one is back
            self._arm(at)

    def has_ready(self) -> bool:
        """Whether a vehicle is ready at the origin now."""
        self._release(self.env.now)
        return bool(self.idle)

    def wait(self) -> simpy.Event:
        """What a departure with no vehicle ready (``has_ready`` False) waits for: the first
        return to come, or a vehicle put back ready at once."""
        if self.later and self.later[0][0] < self._wake_at:
            self._arm(self.later[0][0])
        return self.changed

    def ready(self) -> Generator:
        """In a dispatcher (``yield from``): wait until a vehicle is ready at the origin;
        True if it had to wait (the departure then leaves now, not at its slot)."""
        if self.has_ready():
            return False
        while True:
            yield self.wait()
            if self.has_ready():
                return True

    def _release(self, upto: float) -> None:
        later = self.later
        while later and later[0][0] <= upto:
            self.idle.append(heapq.heappop(later)[2])

    def _waiting(self) -> list:
        return [c for c in self.changed.callbacks if c is not self._release_at]

    def _arm(self, at: float) -> None:
        """Make ``changed`` a Timeout at ``at``, taking along whoever waits on it already
        (the one it replaces, armed later or not at all, then fires for nobody)."""
        old = self.changed
        armed = self.env.timeout(at - self.env.now)

        def release(_event: simpy.Event) -> None:
            self._release(at)  # exactly: env.now may round a hair below ``at``
            self.changed, self._wake_at, self._release_at = self.env.event(), math.inf, None

        armed.callbacks.append(release)
        armed.callbacks.extend(self._waiting())
        old.callbacks.clear()
        self.changed, self._wake_at, self._release_at = armed, at, release

    def _wake_now(self) -> None:
        """Wake whoever waits, now; an armed ``changed`` stays armed for those who come later."""
        if self._release_at is None:
            signal(self)
            return
        waiting = self._waiting()
        if waiting:
            now = self.env.event()
            now.callbacks.extend(waiting)
            self.changed.callbacks[:] = [self._release_at]
            now.succeed()

    def log(self) -> FleetLog:
        a = np.array(self.rows, dtype=np.float64).reshape(-1, 7)
        order = np.lexsort((a[:, 0], np.nan_to_num(a[:, 2], nan=-1.0)))  # by departure (start-up first)
        a = a[order]
        return FleetLog(self.fleet.vehicles, a[:, 0].astype(np.int64), *(np.ascontiguousarray(a[:, i]) for i in range(1, 7)))


def expected_run_days(scenario: Scenario, seg: Segment) -> float:
    """A vehicle's expected time over a segment without queueing: handling at its nodes and travel."""
    return expected_cycle_days(scenario, seg, None)


def expected_cycle_days(scenario: Scenario, seg: Segment, fleet: Fleet | None) -> float:
    """A cycle's expected length without queueing: the run out (handling at its nodes,
    travel), a turnaround at each end, the way back (travel, handling at the nodes between);
    without a fleet, the run out alone."""
    vehicle = scenario.services[seg.service].vehicle

    def handling(nid: str) -> float:
        dist = scenario.nodes[nid].handling.get(vehicle)
        return dist.mean if dist is not None else 0.0

    def travel(lid: str) -> float:
        return expected_travel_days(scenario.legs[lid])

    out = sum(handling(n) for n in seg.nodes) + sum(travel(lid) for lid in seg.legs)
    if fleet is None:
        return out
    back = sum(handling(n) for n in fleet.rotation[1:-1]) + sum(travel(lid) for lid in fleet.rotation_legs)
    turnaround = fleet.turnaround.mean if fleet.turnaround is not None else 0.0
    return out + back + 2.0 * turnaround


def headway_days(scenario: Scenario, service_id: str) -> float | None:
    """The timetable's mean headway, or None for a service that leaves when full."""
    schedule = scenario.services[service_id].schedule
    if schedule.kind == "frequency":
        return schedule.headway_days
    if schedule.kind == "days":
        return 7.0 / len(schedule.days)
    return None


def startup_ready(scenario: Scenario, seg: Segment, fleet: Fleet) -> list[float]:
    """When each vehicle is first ready at the origin (see the module docstring)."""
    cycle = expected_cycle_days(scenario, seg, fleet)
    n = fleet.vehicles
    h = headway_days(scenario, seg.service)
    h = cycle / n if h is None else max(h, cycle / n)
    # The vehicle that left m headways ago is ready at cycle - m h: the latest leavers last.
    return sorted(max(0.0, cycle - m * h) for m in range(1, n + 1))


class FleetTrips:
    """The Model's part for finite fleets (sim.engine.simulation.Model mixes it in): a
    service's FleetState, and the way back of each vehicle, queueing like any vehicle."""

    def _fleet(self, service_id: str, seg: Segment) -> FleetState | None:
        """The fleet of a service (built on first use, its start-up spread along ``seg`` or
        the service's own run), or None: unlimited vehicles."""
        service = self.scenario.services[service_id]
        fleet = service.fleet
        if fleet is None:
            return None
        state = self.fleets.get(service_id)
        if state is None:
            run = service.run if service.path else seg
            state = self.fleets[service_id] = FleetState(self.env, fleet, startup_ready(self.scenario, run, fleet))
        return state

    def _back_draws(self, route: Route, k: int, seg: Segment, fleet: FleetState, slot: int) -> tuple:
        """The way back of trip ``slot`` of segment k of a route: its rotation (a diverted
        trip comes back the way it went), drawn as ``_way_back`` says."""
        key = (route.id, k, id(seg))
        if key not in self.back_draws:
            spec = fleet.fleet
            if seg in self.scenario.routes[route.id].segments:
                way = Segment(seg.service, spec.rotation, spec.rotation_legs)
            else:
                way = Segment(seg.service, tuple(reversed(seg.nodes)), tuple(reversed(seg.legs)))
            self.back_draws[key] = self._way_back_draws(f"back:{route.id}:{k}", way, spec)
        return self._way_back(self.back_draws[key], slot)

    def _way_back_draws(self, stem: str, way: Segment, spec: Fleet) -> tuple:
        """The keyed draws of a way back: handling at the nodes between its ends, travel,
        and the two turnarounds (streams ``<stem>:node:..``, ``:leg:..``, ``:turnaround``)."""
        turn = spec.turnaround
        draws = run_draws(self.scenario, stem, way, self._rng)
        recs, legs = self._stops(way, draws.pools)  # looked up once for every trip
        return (
            way, draws, None if turn is None else Sampler(turn, self._rng(f"{stem}:turnaround")), recs, legs,
        )

    @staticmethod
    def _way_back(drawn: tuple, slot: int) -> tuple:
        """Trip ``slot``'s values of a way back's draws."""
        way, draws, turn, recs, legs = drawn
        handling, travel = draws.times(slot)
        turns = (0.0, 0.0) if turn is None else (max(turn.at(2 * slot), 0.0), max(turn.at(2 * slot + 1), 0.0))
        return way, handling, travel, draws.pools, turns, recs, legs

    def _come_back(self, seg: Segment, vehicle_index: int, cycle: list[float], back, t: float) -> Generator:
        """From its arrival at ``t`` (its own clock), turn around, travel the way back
        (queueing where it is handled), turn around at the origin, and be ready again.
        Empty: its visits are logged as traffic without cargo."""
        env = self.env
        way, handling, travel, pools, (turn_end, turn_origin), recs, leg_gates = back
        t = float(t)  # a Python float: the node logs take machine numbers
        cycle[3] = t
        t += turn_end
        cycle[4] = t
        vehicle = self.scenario.services[seg.service].vehicle
        last = len(way.nodes) - 1
        for j in range(1, last + 1):
            leg_gate = leg_gates[j - 1]
            t = t + travel[j - 1] if leg_gate is None else leg_gate.travel(t, travel[j - 1], BACKGROUND, "", ())
            if j == last:
                break  # the origin: the turnaround there, not handling (loading is the next trip's)
            rec = recs[j]
            duration = handling[j]
            if rec.gate is not None:
                start, end, handled = yield from handle(env, rec, t, duration, vehicle)
            elif duration is None:
                start = end = t
                handled = False
            else:  # handle() without a gate, inlined: a way back visits every node of the rotation
                if rec.free is not None and t > env.now:
                    yield t
                start = rec.admit(t, duration)
                end = start + duration
                handled = True
            rec.rows += PACK_VISIT(t, start, end, 0, vehicle_index, BACKGROUND, BACKGROUND, handled, False, pools[j], False)
            t = end
        cycle[5] = t
        t += turn_origin
        cycle[6] = t
        self.fleets[seg.service].put_at(int(cycle[0]), t)
