"""Random streams, block samplers and time intervals: what the engine and its events share.

Every random draw of a replication comes from a stream named by its purpose (``demand:
rail_xian_duisburg``, ``event:suez_blocked:duration``), so a scenario changed in one place (an
event added) draws the same numbers everywhere else: common random numbers.  A vehicle trip's
handling and travel times are keyed by the trip itself (route, segment, timetable slot; see
TripDraws), not by the order vehicles reach a node: when an event holds some vehicles and the
others overtake them, every trip still gets the numbers its twin without the event got.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sim.model.distributions import Distribution
from sim.model.pools import handling_of, pool_of
from sim.model.scenario import Closures, Leg, Scenario, Segment

SAMPLE_BLOCK = 256


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """An independent generator per (seed, replication, purpose).

    Keyed by name, not by creation order, so two scenarios run with the same seed share
    random numbers wherever they share a node, leg or route (common random numbers).
    """
    key = (replication, zlib.crc32(purpose.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Sampler:
    """Draws from a distribution in blocks: one numpy call per SAMPLE_BLOCK values."""

    __slots__ = ("dist", "rng", "buf", "i", "transform", "block")

    def __init__(
        self,
        dist: Distribution,
        rng: np.random.Generator,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.dist = dist
        self.rng = rng
        self.transform = transform
        self.buf: list[float] = []
        self.i = 0
        self.block = -1  # the block ``buf`` holds, for ``at``

    def at(self, index: int) -> float:
        """The stream's ``index``-th value (0-based), for keyed draws.

        Indices must not go back to an earlier block (only the current one is kept); the
        values skipped over are drawn all the same, so value k is the same whichever
        indices were asked for.  Do not mix with ``__call__`` on one sampler.
        """
        block, offset = divmod(index, SAMPLE_BLOCK)
        if block != self.block:
            if block < self.block:
                raise RuntimeError(f"keyed draw {index} after block {self.block}: indices must not go back")
            while self.block < block:
                values = self.dist.sample(self.rng, SAMPLE_BLOCK)
                self.block += 1
            if self.transform is not None:
                values = self.transform(values)
            self.buf = values.tolist()
        return self.buf[offset]

    def __call__(self) -> float:
        if self.i >= len(self.buf):
            block = self.dist.sample(self.rng, SAMPLE_BLOCK)
            if self.transform is not None:
                block = self.transform(block)
            self.buf = block.tolist()
            self.i = 0
        value = self.buf[self.i]
        self.i += 1
        return value


def travel_sampler(leg: Leg, rng: np.random.Generator) -> Sampler:
    """Travel time of a leg in days: a duration, or its distance at a sampled speed."""
    if leg.duration_days is not None:
        return Sampler(leg.duration_days, rng)
    distance = leg.distance_km
    limit = leg.driving_hours_per_day
    if limit is None:
        return Sampler(leg.speed_km_per_day, rng, lambda v: distance / np.maximum(v, 1e-9))
    return Sampler(
        leg.speed_km_per_day,
        rng,
        lambda v: driving_days(distance / np.maximum(v, 1e-9) * 24.0, limit),
    )


def expected_travel_days(leg: Leg) -> float:
    """A leg's travel time at its mean duration, or its distance at the mean speed with the
    driving-hours limit's rests (what ``travel_sampler`` draws, at the mean)."""
    if leg.duration_days is not None:
        return leg.duration_days.mean
    days = leg.distance_km / max(leg.speed_km_per_day.mean, 1e-9)
    if leg.driving_hours_per_day is None:
        return days
    return float(driving_days(np.float64(days * 24.0), leg.driving_hours_per_day))


@dataclass(frozen=True)
class TripDraws:
    """The random times of the trips of one route segment, keyed by the trip's slot.

    ``handling[j]`` draws the handling at the segment's j-th node (None: not handled there),
    ``travel[j]`` the travel on its j-th leg; each is its own stream (``trip:<route>:<k>:
    node:<id>`` or ``...:leg:<id>``) read at the trip's slot (its timetable index, or its
    departure count for departures when full), so trip j draws value j of each.
    """

    handling: tuple[Sampler | None, ...]
    travel: tuple[Sampler, ...]
    pools: tuple[int, ...] = ()  # per node: the node pool the trip uses (0: the node's own; sim.model.pools)
    # The block of values the samplers hold and their buffers, for ``times`` (one list
    # lookup per value instead of a call of Sampler.at: a trip asks for ten or more).
    _cache: list = field(default_factory=lambda: [-1, (), ()], repr=False, compare=False)

    def times(self, slot: int) -> tuple[list[float | None], list[float]]:
        """The handling (per node; None: not handled) and travel (per leg) of trip ``slot``:
        value ``slot`` of each stream, as ``Sampler.at`` would give it."""
        cache = self._cache
        block, offset = divmod(slot, SAMPLE_BLOCK)
        if block != cache[0]:
            first = block * SAMPLE_BLOCK
            for sampler in (*self.handling, *self.travel):
                if sampler is not None:
                    sampler.at(first)  # loads the block (checks that slots do not go back)
            cache[:] = [block, [None if h is None else h.buf for h in self.handling], [d.buf for d in self.travel]]
        return [None if b is None else b[offset] for b in cache[1]], [b[offset] for b in cache[2]]


def trip_draws(
    scenario: Scenario, route_id: str, k: int, seg: Segment, rng: Callable[[str], np.random.Generator],
    prefix: str = "trip",
) -> TripDraws:
    """The keyed samplers of segment ``k`` of a route (``rng`` maps a purpose to a stream);
    ``prefix`` 'back' for the way back of a fleet's vehicles."""
    path = scenario.routes[route_id].path
    nid = seg.nodes[0]
    # Where the cargo came from: the route's node before (None at its origin, or on the way back).
    i = path.index(nid) if prefix == "trip" and nid in path else 0
    return run_draws(scenario, f"{prefix}:{route_id}:{k}", seg, rng, path[i - 1] if i else None)


def run_draws(
    scenario: Scenario, stem: str, seg: Segment, rng: Callable[[str], np.random.Generator], came: str | None = None,
) -> TripDraws:
    """The keyed samplers of a vehicle's run along ``seg``: streams ``<stem>:node:<id>`` and
    ``<stem>:leg:<id>``; ``came`` is where the vehicle came from before its first node."""
    vehicle = scenario.services[seg.service].vehicle
    handling, pools = [], []
    for j, nid in enumerate(seg.nodes):
        pool = pool_of(scenario.nodes, nid, seg, seg.nodes[j - 1] if j else came)
        dist = handling_of(scenario.nodes[nid], pool, vehicle)
        pools.append(pool)
        handling.append(None if dist is None else Sampler(dist, rng(f"{stem}:node:{nid}")))
    travel = tuple(travel_sampler(scenario.legs[lid], rng(f"{stem}:leg:{lid}")) for lid in seg.legs)
    return TripDraws(tuple(handling), travel, tuple(pools))


def driving_days(hours: np.ndarray, limit: float) -> np.ndarray:
    """Elapsed days for ``hours`` of driving at ``limit`` hours a day, resting in between.

    Each full day of driving is followed by rest until the next day; the last (partial)
    day ends when driving does: 14.3 h at 9 h/day = 1 day + 5.3 h.
    """
    full = np.ceil(hours / limit) - 1.0
    full = np.maximum(full, 0.0)
    return full + (hours - full * limit) / 24.0


def closure_intervals(closures: Closures, end: float, rng: np.random.Generator) -> np.ndarray:
    """Closed periods in [0, end) as an (n, 2) array of merged, sorted [start, stop)."""
    if closures.per_year <= 0:
        return np.empty((0, 2))
    n = rng.poisson(closures.per_year * end / 365.0)
    starts = np.sort(rng.uniform(0.0, end, n))
    stops = starts + np.maximum(closures.duration_days.sample(rng, n), 0.0)
    return merge_intervals(list(zip(starts.tolist(), stops.tolist())))


def reopening(closed: np.ndarray | None, t: float) -> float:
    """``t`` if the service is open then, else the time its closure lifts."""
    if closed is None or closed.size == 0:
        return t
    i = int(np.searchsorted(closed[:, 0], t, side="right")) - 1
    if i >= 0 and t < closed[i, 1]:
        return float(closed[i, 1])
    return t


def merge_intervals(spans: list[tuple[float, float]]) -> np.ndarray:
    """Sorted, merged [start, stop) intervals as an (n, 2) array (empty spans dropped)."""
    merged: list[list[float]] = []
    for a, b in sorted((a, b) for a, b in spans if b > a):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.asarray(merged, dtype=np.float64).reshape(-1, 2)
