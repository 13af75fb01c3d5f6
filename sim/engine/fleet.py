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

import math
from dataclasses import dataclass
from typing import Generator

import numpy as np
import simpy

from sim.model.scenario import Fleet, Scenario, Segment

NOT_YET = math.inf  # a state not reached when the run stopped


@dataclass
class FleetLog:
    """One row per vehicle cycle of a service (times in days; inf: not reached by the run's end).

    ``planned`` is the departure's slot (NaN for the start-up rows, which only say when a
    vehicle already on its way back at the start is ready); a departure later than its slot
    waited for a vehicle.  States: loaded [depart, arrive), turning around [arrive, turned)
    and [back, ready), on the way back [turned, back), idle from ready to its next departure.
    """

    vehicles: int
    vehicle: np.ndarray
    planned: np.ndarray
    depart: np.ndarray
    arrive: np.ndarray
    turned: np.ndarray
    back: np.ndarray
    ready: np.ndarray

    @property
    def cycles(self) -> np.ndarray:
        """Rows that are real departures (not the start-up rows)."""
        return ~np.isnan(self.planned)


class FleetState:
    """The ready vehicles of one service at its origin, and the cycle rows of the run."""

    def __init__(self, env: simpy.Environment, fleet: Fleet, ready_at: list[float]) -> None:
        self.env = env
        self.fleet = fleet
        self.idle: list[int] = []  # vehicles ready at the origin, first back first out
        self.changed = env.event()
        self.rows: list[list[float]] = []
        for vehicle, at in enumerate(ready_at):
            if at <= 0.0:
                self.idle.append(vehicle)
            else:
                self.rows.append([vehicle, math.nan, math.nan, math.nan, 0.0, at, at])
                env.process(self._ready_later(vehicle, at))

    def _ready_later(self, vehicle: int, at: float) -> Generator:
        yield self.env.timeout(at)
        self.put(vehicle)

    def take(self, planned: float, now: float) -> list[float]:
        """A ready vehicle departs now for a slot due at ``planned``: its cycle row, to fill in."""
        vehicle = self.idle.pop(0)
        row = [vehicle, planned, now, NOT_YET, NOT_YET, NOT_YET, NOT_YET]
        self.rows.append(row)
        return row

    def put(self, vehicle: int) -> None:
        """A vehicle is ready at the origin now."""
        self.idle.append(vehicle)
        old, self.changed = self.changed, self.env.event()
        old.succeed()

    def log(self) -> FleetLog:
        a = np.array(self.rows, dtype=np.float64).reshape(-1, 7)
        order = np.lexsort((a[:, 0], np.nan_to_num(a[:, 2], nan=-1.0)))  # by departure (start-up first)
        a = a[order]
        return FleetLog(self.fleet.vehicles, a[:, 0].astype(np.int64), *(np.ascontiguousarray(a[:, i]) for i in range(1, 7)))


def expected_cycle_days(scenario: Scenario, seg: Segment, fleet: Fleet) -> float:
    """A cycle's expected length without queueing: the run out (handling at its nodes,
    travel), a turnaround at each end, the way back (travel, handling at the nodes between)."""
    vehicle = scenario.services[seg.service].vehicle

    def handling(nid: str) -> float:
        dist = scenario.nodes[nid].handling.get(vehicle)
        return dist.mean if dist is not None else 0.0

    def travel(lid: str) -> float:
        leg = scenario.legs[lid]
        if leg.duration_days is not None:
            return leg.duration_days.mean
        return leg.distance_km / max(leg.speed_km_per_day.mean, 1e-9)

    out = sum(handling(n) for n in seg.nodes) + sum(travel(lid) for lid in seg.legs)
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
