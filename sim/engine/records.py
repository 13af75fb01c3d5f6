"""The plain records one replication produces: per-unit ledgers, node visits, vehicle trips.

No SimPy objects: everything downstream (statistics, files, figures) reads only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.event_records import EventRecord


@dataclass
class RouteLedger:
    """Per-unit timestamps (days) of one route, all units (containers or wagons) drawn.

    ``departed`` is the first departure from the origin; NaN means not yet.
    """

    created: np.ndarray
    departed: np.ndarray
    delivered: np.ndarray
    unit_teu: float
    unit_tonnes: float
    # The flow (index into scenario.flows) each unit was booked by, -1: the route's own
    # demand; None when no flow chose the route (sim.engine.flows).
    flow: np.ndarray | None = None


@dataclass
class NodeLog:
    """Every vehicle visit to a node: arrival, start of handling, end of handling, load.

    ``handled`` marks visits where the vehicle stopped to be handled (the rest passed
    through).  ``counted`` marks visits whose load counts as passing the node: all but a
    vehicle's arrival at a transfer node, where the load is counted again as it leaves on
    the next service, so each unit counts once at every node of its path.
    """

    arrive: np.ndarray
    start: np.ndarray
    end: np.ndarray
    containers: np.ndarray  # units carried: containers, or wagons on bulk routes
    teu: np.ndarray
    tonnes: np.ndarray
    vehicle: np.ndarray  # index into ``ReplicationResult.vehicle_names``
    route: np.ndarray  # index into the scenario's route order
    trip: np.ndarray  # the vehicle trip (numbered per replication), to follow one vehicle
    handled: np.ndarray
    counted: np.ndarray
    servers: int | None  # servers that limit it: the node's and its pools' own, added (None: no limit)
    # The node pool of each visit (0: the node's own servers and handling; k: its k-th pool,
    # sim.model.pools) and each pool's servers (None: unlimited); all 0 and (servers,) without pools.
    pool: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    pool_servers: tuple[int | None, ...] = ()
    # Rows that are not a vehicle of their own: the cargo of another route aboard a shared
    # vehicle (sim.engine.loops) whose visit the row before it logs; they take no server
    # time (start = end) and count for their cargo, not as vehicles.
    rider: np.ndarray = field(default_factory=lambda: np.empty(0, bool))

    def __post_init__(self) -> None:
        if self.rider.size != self.arrive.size:
            self.rider = np.zeros(self.arrive.size, bool)

    def part(self, pool: int) -> "NodeLog":
        """The visits of one pool as a node log of their own, with that pool's servers."""
        mine = self.pool == pool
        arrays = {name: getattr(self, name)[mine] for name in (
            "arrive", "start", "end", "containers", "teu", "tonnes", "vehicle", "route", "trip", "handled", "counted", "pool",
            "rider")}
        servers = self.pool_servers[pool] if pool < len(self.pool_servers) else self.servers
        return NodeLog(**arrays, servers=servers, pool_servers=(servers,))

    @property
    def limited(self) -> np.ndarray:
        """Visits to a part of the node with a server limit (all of them at a node without pools)."""
        if len(self.pool_servers) <= 1:
            return np.full(self.arrive.size, self.servers is not None)
        ok = np.array([s is not None for s in self.pool_servers])
        return ok[self.pool]

    @property
    def background(self) -> np.ndarray:
        """Rows of background traffic (vehicles without modelled cargo): trip -1."""
        return self.trip < 0


@dataclass
class TripLog:
    """Every vehicle trip of a route segment: departure, arrival at the segment end, load."""

    segment: np.ndarray
    depart: np.ndarray
    arrive: np.ndarray
    containers: np.ndarray


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


@dataclass
class LoopLog:
    """What a shared service's vehicles carried (sim.engine.loops), in its units (TEU or wagons).

    One row per departure and leg: when it left the leg's first node, the modelled cargo
    and the background load aboard, and the capacity then.  ``calls``: one row per
    departure and route loading at a call: (trip, route index, call index, units waiting
    then, units boarded).  ``rolled``: (route index, first row, stop row) of the units
    left waiting at a call when its vehicle left, so that each unit rolled over can be
    counted once however many departures it missed.
    """

    trip: np.ndarray
    leg: np.ndarray
    depart: np.ndarray
    load: np.ndarray
    background: np.ndarray
    capacity: np.ndarray
    calls: np.ndarray
    rolled: np.ndarray


@dataclass
class ReplicationResult:
    """Everything one replication produced; plain arrays, no SimPy objects."""

    replication: int
    seed: int
    end_time: float
    ledgers: dict[str, RouteLedger]
    nodes: dict[str, NodeLog]
    trips: dict[str, TripLog]
    vehicle_names: tuple[str, ...]
    # What each dated event did (sim.engine.event_records.EventRecord), by event id; empty without events.
    events: dict[str, EventRecord] = field(default_factory=dict)
    # Each event's impact against the same replication without events, by event id and metric
    # name (sim.analysis.impact); empty unless the run measured it.
    impact: dict[str, dict[str, float]] = field(default_factory=dict)
    # Each finite fleet's cycles (sim.engine.fleet.FleetLog), by service id; empty without fleets.
    fleets: dict[str, FleetLog] = field(default_factory=dict)
    # Each shared service's loads per leg and its calls (LoopLog), by service id; empty without them.
    loops: dict[str, LoopLog] = field(default_factory=dict)
