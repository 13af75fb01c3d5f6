"""Where the engine's units and vehicles wait: containers at a route's origin and at its
transfers (as ranges of ledger rows), vehicles at a node's servers (first come, first served,
every visit logged as machine numbers)."""

from __future__ import annotations

import heapq
import struct
from array import array
from collections import deque
from typing import Generator

import numpy as np
import simpy

from sim.engine.records import NodeLog
from sim.model.scenario import Node

# Node-log rows of vehicles without modelled cargo (background traffic, a fleet's empties on
# their way back) have this route and trip.
BACKGROUND = -1


# ---------------------------------------------------------------------------------------
# Waiting containers


class OriginPool:
    """Containers waiting at a route's origin: a prefix pointer into the arrival array."""

    def __init__(self, created: np.ndarray) -> None:
        self.created = created
        self.next = 0  # first container not yet loaded

    def available(self, now: float) -> int:
        return int(self.created.searchsorted(now, side="right")) - self.next  # the method: no dispatch layer

    def take(self, now: float, capacity: int) -> list[tuple[int, int]]:
        n = min(self.available(now), capacity)
        if n <= 0:
            return []
        start = self.next
        self.next += n
        return [(start, start + n)]

    def ready_times(self, now: float, limit: int) -> np.ndarray:
        """When the first ``limit`` units waiting now became ready (FIFO order)."""
        return self.created[self.next : self.next + max(0, min(self.available(now), limit))]

    def waiting_ranges(self, now: float) -> list[tuple[int, int]]:
        """The ledger rows of every unit waiting now."""
        stop = self.next + self.available(now)
        return [(self.next, stop)] if stop > self.next else []


def signal(holder) -> None:
    """Wake whoever waits on ``holder.changed`` (a departure waiting for cargo or a vehicle)
    and arm a fresh event; with nobody waiting the event stays as it is, unfired, which
    saves the SimPy step of an event nobody hears (a waiter checks before it waits)."""
    old = holder.changed
    if old.callbacks:
        holder.changed = holder.env.event()
        old.succeed()


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
        signal(self)

    def available(self, now: float) -> int:
        return self.count

    def first_ready(self) -> float:
        return self.ranges[0][2]

    def ready_times(self, now: float, limit: int) -> np.ndarray:
        """When the first ``limit`` units waiting now became ready (FIFO order)."""
        times, counts, total = [], [], 0
        for start, stop, ready in self.ranges:
            if total >= limit:
                break
            n = min(stop - start, limit - total)
            times.append(ready)
            counts.append(n)
            total += n
        return np.repeat(np.array(times, dtype=np.float64), np.array(counts, dtype=np.int64))

    def waiting_ranges(self, now: float) -> list[tuple[int, int]]:
        """The ledger rows of every unit waiting now."""
        return [(start, stop) for start, stop, _ in self.ranges]

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
# Vehicles at nodes


# One vehicle visit as NodeRecorder packs it: little-endian, no padding, so numpy reads the
# bytes back as a structured array of exactly these fields.
VISIT = np.dtype([
    ("arrive", "<f8"), ("start", "<f8"), ("end", "<f8"), ("containers", "<i8"), ("vehicle", "<i8"),
    ("route", "<i8"), ("trip", "<i8"), ("handled", "?"), ("counted", "?"), ("pool", "<i8"), ("rider", "?"),
])
# (arrive, start, end, containers, vehicle, route, trip, handled, counted, pool, rider); the
# engine's hottest loop (a trip's node visits) appends to ``NodeRecorder.rows`` with it itself.
PACK_VISIT = struct.Struct("<dddqqqq??q?").pack
assert struct.calcsize("<dddqqqq??q?") == VISIT.itemsize


class NodeRecorder:
    """A node's (or a node pool's) servers and the log of every vehicle visit to it."""

    __slots__ = ("free", "rows", "servers", "gate", "pools", "riders")

    def __init__(self, env: simpy.Environment, servers: int | None, pools: bool = False, riders: bool = False) -> None:
        self.servers = servers
        self.pools = pools  # the node has pools (sim.model.pools): the pool column means something
        # At a node shared vehicles call at, the rider column tells whether a row is another
        # route's cargo aboard the vehicle of the row before (sim.engine.loops).
        self.riders = riders
        self.gate = None  # a sim.engine.gates.NodeGate when events change this node
        # First-come-first-served servers: the k-th vehicle to arrive is the k-th to start,
        # so its start is known on arrival: when the earliest-free server frees up.  A heap
        # of the servers' free-at times replaces simpy.Resource and its request/release events.
        self.free: list[float] | None = [-np.inf] * servers if servers else None
        # Visits packed as raw machine numbers, one fixed-size record each (VISIT), by one
        # call: no float or int object outlives the call (lists of hundreds of thousands of
        # them made garbage collection grow faster than the run: 4x volume took 4.6-4.9
        # times as long), and one pack is ~3x faster than an append per column.
        self.rows = bytearray()

    def record(
        self, arrive: float, start: float, end: float, load: int, vehicle: int, route: int,
        trip: int, handled: bool, counted: bool, pool: int = 0,
    ) -> None:
        self.rows += PACK_VISIT(arrive, start, end, load, vehicle, route, trip, handled, counted, pool, False)

    def ride(self, arrive: float, end: float, load: int, vehicle: int, route: int, trip: int, counted: bool,
             pool: int = 0) -> None:
        """Log the cargo of another route aboard the vehicle just logged (see NodeLog.rider)."""
        self.rows += PACK_VISIT(arrive, end, end, load, vehicle, route, trip, False, counted, pool, True)

    def column(self, name: str, dtype: type) -> np.ndarray:
        """One column of the visits logged, as a numpy array of ``dtype`` (a copy)."""
        return np.frombuffer(self.rows, dtype=VISIT)[name].astype(dtype)

    def admit(self, arrive: float, duration: float) -> float:
        """Start of handling of a vehicle arriving now that will hold a server ``duration``."""
        free = self.free
        if free is None:
            return arrive
        start = free[0] if free[0] > arrive else arrive
        heapq.heapreplace(free, start + duration)
        return start


def handle(env: simpy.Environment, rec: NodeRecorder, t: float, duration: float | None, vehicle: str) -> Generator:
    """A vehicle reaching ``rec`` at ``t``: held while it is closed if it only passes
    (``duration`` None), else queued first come, first served and handled.  Returns
    (start, end, handled); waits in SimPy time only where servers are shared."""
    gate = rec.gate
    if duration is None:
        go = t if gate is None else gate.hold(t)
        return go, go, bool(go > t)
    if rec.free is not None and t > env.now:
        yield t  # shared servers: arrive in time order (a trip's wait, see sim.engine.trips)
    if gate is None:
        start = rec.admit(t, duration)
        return start, start + duration, True
    start, end = gate.admit(t, duration, vehicle)
    return start, end, True


def node_log(node: Node, parts: list[tuple[int, NodeRecorder]], end_time: float, units: np.ndarray) -> NodeLog:
    """A node's visits as a NodeLog: its own recorder's and its pools' (``parts``: (pool
    number, recorder)); ``units`` holds each route's (TEU, tonnes) per unit, by route index."""

    def column(name: str, dtype: type) -> np.ndarray:
        arrays = [r.column(name, dtype) for _, r in parts]
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    arrive = column("arrive", np.float64)
    pool = column("pool", np.int64) if node.pools else np.zeros(arrive.size, np.int64)
    riders = all(r.riders for _, r in parts)
    rider = column("rider", np.int8).astype(bool) if riders else np.zeros(arrive.size, bool)
    # Visits are logged on arrival, with their start and end: first come, first served
    # fixes both then. Keep every vehicle that arrived within the run, also those still
    # queueing or being handled when it stopped, so a saturated node's waits and queue
    # count the vehicles stuck in it instead of only those it got through.  With pools,
    # their visits merge in arrival order.
    keep = arrive < end_time
    if len(parts) > 1:
        keep = np.flatnonzero(keep)
        keep = keep[np.argsort(arrive[keep], kind="stable")]
    containers = column("containers", np.int64)[keep]
    route = column("route", np.int64)[keep]
    teu, tonnes = units[:, 0], units[:, 1]
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
        rider=rider[keep],
    )


def numpy_of(values: array, dtype: type) -> np.ndarray:
    """A C array as a numpy array of the same machine numbers (copied: the log is final)."""
    if not len(values):
        return np.empty(0, dtype)
    return np.frombuffer(values, dtype=dtype).copy()
