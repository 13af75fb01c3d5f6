"""Exact quantiles of every route's pooled transit times, in memory that does not grow with
the number of replications.

Pooling a thousand replications' containers into one array to sort it would hold billions of
values.  Instead two passes over the replications (each loaded one at a time): the first
counts transit times into fine bins, the second keeps only the values in the bins where the
wanted ranks fall.  The result is bit for bit what ``numpy.quantile`` (linear method) gives
on the pooled array, which a test checks.
"""

from __future__ import annotations

import math
import weakref
from typing import Iterable, Sequence

import numpy as np

from sim.analysis.statistics import cohort
from sim.engine.simulation import ReplicationResult

# Bins of the first pass: enough that a bin holds a small share of the values, few enough
# that the counts of every route stay small (8 B x BINS each).
BINS = 1 << 15
# Up to this many values in all (8 B each), when the replications are in memory anyway, the
# pooled array is simply built, sorted once and kept for every quantile asked of it: faster
# than two passes (which bin every value twice per call), the same bits.  In memory the
# replications hold about 48 B per container (engine.replications), so the sorted pools add
# a sixth to that; the limit (256 MB) only bounds very long runs that were not spilled.
POOL_LIMIT = 32_000_000


def cohort_transit(result: ReplicationResult, route_id: str, warmup: float, horizon: float) -> np.ndarray:
    """Transit days of a replication's delivered cohort containers on one route."""
    c = cohort(result.ledgers[route_id], warmup, horizon)
    done = ~np.isnan(c.delivered)
    return c.delivered[done] - c.created[done]


def _bins(values: np.ndarray, low: float, scale: float) -> np.ndarray:
    """Bin of each value: monotone in the value (values outside the range go to the end
    bins), so every value of a bin sorts after the values of the bins before it."""
    return np.clip(np.floor((values - low) * scale), 0, BINS - 1).astype(np.int64)


def _range(values: np.ndarray) -> tuple[float, float]:
    """(low, scale) spreading the bins over the range of a replication's values: later
    replications of the same scenario fall in much the same range."""
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    return low, (BINS - 1) / max(high - low, 1e-9)


def _ranks(n: int, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``n`` sorted values, numpy's linear method: the two ranks each quantile sits
    between and its weight on the upper one."""
    virtual = (n - 1) * probs
    below = np.floor(virtual)
    gamma = virtual - below
    lo = np.minimum(below.astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, gamma


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Interpolation written as numpy's quantile writes it (the bits match)."""
    diff = b - a
    out = a + diff * t
    np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out


def pooled_quantiles(
    results: Sequence[ReplicationResult],
    route_ids: Iterable[str],
    warmup: float,
    horizon: float,
    probs: Sequence[float],
) -> dict[str, np.ndarray]:
    """Quantiles at ``probs`` of each route's transit days pooled over all replications
    (NaN where a route delivered nothing)."""
    routes = list(route_ids)
    q = np.asarray(probs, dtype=np.float64)
    if not results:
        return {rid: np.full(q.shape, math.nan) for rid in routes}
    # Replications of one scenario are alike in size: the first tells how big the pool is
    # (without reading every replication back when they wait on disk).
    first = results[0]
    pool = sum(_cohort_size(first, rid, warmup, horizon) for rid in routes) * len(results)
    if getattr(results, "spilled", False) or pool > POOL_LIMIT:
        return _two_passes(results, routes, warmup, horizon, q)
    out = {}
    for rid, values in _sorted_pools(results, routes, warmup, horizon).items():
        if values.size:
            lo, hi, gamma = _ranks(values.size, q)
            out[rid] = _lerp(values[lo], values[hi], gamma)
        else:
            out[rid] = np.full(q.shape, math.nan)
    return out


# The sorted pools of a run's results, kept while the results live: the metrics table (p5,
# p50, p95) and transit_quantiles.csv (every 0.1%) ask for the same pools, and sorting them
# was a tenth of a one-replication run's whole process.
_SORTED: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _sorted_pools(results: Sequence[ReplicationResult], routes: list[str], warmup: float,
                  horizon: float) -> dict[str, np.ndarray]:
    """Each route's pooled transit days, sorted; sorted once per results, routes and window."""
    try:
        memo = _SORTED.setdefault(results, {})
    except TypeError:  # a plain list cannot be weakly referred to: nothing to share
        memo = {}
    out = {}
    for rid in routes:
        key = (rid, warmup, horizon, len(results))
        if key not in memo:
            memo[key] = np.sort(np.concatenate([cohort_transit(r, rid, warmup, horizon) for r in results]))
        out[rid] = memo[key]
    return out


def _cohort_size(result: ReplicationResult, route_id: str, warmup: float, horizon: float) -> int:
    """Containers created in the measured window (an upper bound on those delivered)."""
    lo, hi = np.searchsorted(result.ledgers[route_id].created, [warmup, horizon], side="left")
    return int(hi - lo)


def _two_passes(
    results: Sequence[ReplicationResult], routes: list[str], warmup: float, horizon: float, q: np.ndarray
) -> dict[str, np.ndarray]:
    """pooled_quantiles for more values than memory should hold at once."""
    counts = {rid: np.zeros(BINS, dtype=np.int64) for rid in routes}
    ranges: dict[str, tuple[float, float]] = {}
    for r in results:
        for rid in routes:
            t = cohort_transit(r, rid, warmup, horizon)
            if rid not in ranges and t.size:
                ranges[rid] = _range(t)
            counts[rid] += np.bincount(_bins(t, *ranges.get(rid, (0.0, 1.0))), minlength=BINS)

    wanted: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for rid in routes:
        n = int(counts[rid].sum())
        if n == 0:
            continue
        lo, hi, gamma = _ranks(n, q)
        before = np.concatenate(([0], np.cumsum(counts[rid])))
        bins = np.unique(np.searchsorted(before, np.concatenate((lo, hi)), side="right") - 1)
        wanted[rid] = (lo, hi, gamma, bins)

    kept: dict[str, list[np.ndarray]] = {rid: [] for rid in wanted}
    if wanted:
        for r in results:
            for rid, (_, _, _, bins) in wanted.items():
                t = cohort_transit(r, rid, warmup, horizon)
                kept[rid].append(t[np.isin(_bins(t, *ranges[rid]), bins)])

    out: dict[str, np.ndarray] = {}
    for rid in routes:
        if rid not in wanted:
            out[rid] = np.full(q.shape, math.nan)
            continue
        lo, hi, gamma, bins = wanted[rid]
        values = np.sort(np.concatenate(kept[rid]))
        before = np.concatenate(([0], np.cumsum(counts[rid])))
        # Rank k of the pooled array sits in bin b at offset k - before[b]; the kept values
        # of the bins below b come first in ``values``.
        first = np.concatenate(([0], np.cumsum(counts[rid][bins])))

        def at(k: np.ndarray) -> np.ndarray:
            b = np.searchsorted(before, k, side="right") - 1
            slot = np.searchsorted(bins, b)
            return values[first[slot] + (k - before[b])]

        out[rid] = _lerp(at(lo), at(hi), gamma)
    return out
