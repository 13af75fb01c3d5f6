"""A replication's result as a few flat arrays, cheap to pickle between processes or spill to disk."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.event_records import EventRecord
from sim.engine.records import FleetLog, LoopLog, NodeLog, ReplicationResult, RouteLedger, TripLog




@dataclass
class PackedResult:
    """A ReplicationResult as a few flat arrays, cheap to pickle between processes.

    Half of a result's bytes are the departure and delivery times of every container,
    which change only once per vehicle load: they travel as runs (value, count), and every
    table as one array per column for all routes or nodes.  ``unpack`` rebuilds the very
    same arrays, bit for bit.
    """

    replication: int
    seed: int
    end_time: float
    vehicle_names: tuple[str, ...]
    route_ids: tuple[str, ...]
    units: np.ndarray  # per route: unit TEU, unit tonnes
    created: np.ndarray
    departed: tuple[np.ndarray, np.ndarray]  # run values, run lengths
    delivered: tuple[np.ndarray, np.ndarray]
    ledger_sizes: np.ndarray
    node_ids: tuple[str, ...]
    servers: tuple[int | None, ...]
    pool_servers: tuple[tuple[int | None, ...], ...]
    node_floats: np.ndarray  # rows: arrive, start, end, teu, tonnes
    node_ints: np.ndarray  # rows: containers, vehicle, route, trip, pool
    node_flags: np.ndarray  # rows: handled, counted, rider
    node_sizes: np.ndarray
    trip_floats: np.ndarray  # rows: depart, arrive
    trip_ints: np.ndarray  # rows: segment, containers
    trip_sizes: np.ndarray
    events: dict[str, EventRecord] = field(default_factory=dict)  # small: sent as they are
    impact: dict[str, dict[str, float]] = field(default_factory=dict)
    fleets: dict[str, FleetLog] = field(default_factory=dict)  # a row per vehicle cycle: small
    loops: dict[str, LoopLog] = field(default_factory=dict)  # a row per departure and leg: small
    flows: dict[str, np.ndarray] = field(default_factory=dict)  # per route a flow chose: each unit's flow


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of identical bit patterns (NaN included) as (values, lengths)."""
    if values.size == 0:
        return values.copy(), np.empty(0, np.int64)
    bits = values.view(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], bits[1:] != bits[:-1])))
    return values[starts], np.diff(np.append(starts, values.size))


def _split(flat: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """``flat`` (columns concatenated along the last axis) cut back into parts of ``sizes``."""
    return np.split(flat, np.cumsum(sizes)[:-1], axis=-1)


def pack(result: ReplicationResult) -> PackedResult:
    """The result as flat arrays (see PackedResult)."""
    ledgers = list(result.ledgers.values())
    nodes = list(result.nodes.values())
    trips = list(result.trips.values())

    def joined(parts: list, *names: str, dtype: type) -> np.ndarray:
        return np.array([np.concatenate([getattr(p, n) for p in parts]) for n in names], dtype=dtype).reshape(
            len(names), -1
        )

    return PackedResult(
        replication=result.replication,
        seed=result.seed,
        end_time=result.end_time,
        vehicle_names=result.vehicle_names,
        route_ids=tuple(result.ledgers),
        units=np.array([(l.unit_teu, l.unit_tonnes) for l in ledgers], dtype=np.float64).reshape(-1, 2),
        created=joined(ledgers, "created", dtype=np.float64)[0],
        departed=_runs(joined(ledgers, "departed", dtype=np.float64)[0]),
        delivered=_runs(joined(ledgers, "delivered", dtype=np.float64)[0]),
        ledger_sizes=np.array([l.created.size for l in ledgers], dtype=np.int64),
        node_ids=tuple(result.nodes),
        servers=tuple(n.servers for n in nodes),
        pool_servers=tuple(n.pool_servers for n in nodes),
        node_floats=joined(nodes, "arrive", "start", "end", "teu", "tonnes", dtype=np.float64),
        node_ints=joined(nodes, "containers", "vehicle", "route", "trip", "pool", dtype=np.int64),
        node_flags=joined(nodes, "handled", "counted", "rider", dtype=bool),
        node_sizes=np.array([n.arrive.size for n in nodes], dtype=np.int64),
        trip_floats=joined(trips, "depart", "arrive", dtype=np.float64),
        trip_ints=joined(trips, "segment", "containers", dtype=np.int64),
        trip_sizes=np.array([t.depart.size for t in trips], dtype=np.int64),
        events=result.events,
        impact=result.impact,
        fleets=result.fleets,
        loops=result.loops,
        flows={rid: l.flow for rid, l in result.ledgers.items() if l.flow is not None},
    )


def unpack(p: PackedResult) -> ReplicationResult:
    """The ReplicationResult that ``pack`` was given, array for array."""
    created = _split(p.created, p.ledger_sizes)
    departed = _split(np.repeat(*p.departed), p.ledger_sizes)
    delivered = _split(np.repeat(*p.delivered), p.ledger_sizes)
    ledgers = {
        rid: RouteLedger(created[i], departed[i], delivered[i], float(p.units[i, 0]), float(p.units[i, 1]), p.flows.get(rid))
        for i, rid in enumerate(p.route_ids)
    }
    floats, ints, flags = (_split(a, p.node_sizes) for a in (p.node_floats, p.node_ints, p.node_flags))
    nodes = {}
    for i, nid in enumerate(p.node_ids):
        arrive, start, end, teu, tonnes = (np.ascontiguousarray(a) for a in floats[i])
        containers, vehicle, route, trip, pool = (np.ascontiguousarray(a) for a in ints[i])
        handled, counted, rider = (np.ascontiguousarray(a) for a in flags[i])
        nodes[nid] = NodeLog(
            arrive, start, end, containers, teu, tonnes, vehicle, route, trip, handled, counted, p.servers[i],
            pool, p.pool_servers[i], rider,
        )
    tf, ti = _split(p.trip_floats, p.trip_sizes), _split(p.trip_ints, p.trip_sizes)
    trips = {
        rid: TripLog(
            np.ascontiguousarray(ti[i][0]), np.ascontiguousarray(tf[i][0]),
            np.ascontiguousarray(tf[i][1]), np.ascontiguousarray(ti[i][1]),
        )
        for i, rid in enumerate(p.route_ids)
    }
    return ReplicationResult(p.replication, p.seed, p.end_time, ledgers, nodes, trips, p.vehicle_names, p.events, p.impact, p.fleets, p.loops)
