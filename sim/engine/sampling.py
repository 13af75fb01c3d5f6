"""Random streams, block samplers and time intervals: what the engine and its events share.

Every random draw of a replication comes from a stream named by its purpose (``node:dostyk:
train``, ``leg:kz_rail``, ``event:suez_blocked:duration``), so a scenario changed in one
place (an event added) draws the same numbers everywhere else: common random numbers.
"""

from __future__ import annotations

import zlib
from typing import Callable

import numpy as np

from sim.model.distributions import Distribution
from sim.model.scenario import Closures, Leg

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

    __slots__ = ("dist", "rng", "buf", "i", "transform")

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
