"""Statistics over replications: confidence intervals, per-route and per-node summaries.

Transit statistics use the *cohort*: containers created between the end of the warm-up and
the horizon.  Their state at the horizon (delivered, in transit, waiting) gives the
conservation identity; their transit times come from the whole run, horizon + cool-down,
so late containers are not silently dropped (those still undelivered are counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.engine.records import NodeLog, ReplicationResult, RouteLedger
from sim.model.scenario import Scenario

# Student t 97.5% quantiles for 1..30 degrees of freedom (two-sided 95% intervals).
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
)
_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """97.5% quantile of Student's t: table up to 30 df, Cornish-Fisher expansion above."""
    if df < 1:
        raise ValueError("degrees of freedom must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z, v = _Z975, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def mean_ci95(values: Sequence[float]) -> tuple[float, float | None, float | None]:
    """Mean and t-based 95% confidence interval; (mean, None, None) for fewer than 2 values."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if x.size == 0:
        return math.nan, None, None
    mean = float(x.mean())
    if x.size < 2:
        return mean, None, None
    half = t_quantile_975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half


# ---------------------------------------------------------------------------------------
# One replication


@dataclass
class Cohort:
    """The counted containers of one route in one replication (rows of the ledger)."""

    created: np.ndarray
    departed: np.ndarray
    delivered: np.ndarray
    unit_teu: float
    flow: np.ndarray | None = None  # the flow that booked each (sim.engine.flows); None: no flow chose the route


def cohort(ledger: RouteLedger, warmup: float, horizon: float) -> Cohort:
    """Containers created in [warmup, horizon): the ones that are counted."""
    lo, hi = np.searchsorted(ledger.created, [warmup, horizon], side="left")
    return Cohort(
        ledger.created[lo:hi], ledger.departed[lo:hi], ledger.delivered[lo:hi], ledger.unit_teu,
        None if ledger.flow is None else ledger.flow[lo:hi],
    )


@dataclass
class RouteCounts:
    """A route's containers in one replication, at the horizon and at the end of the run."""

    created: int
    delivered: int  # by the horizon
    in_transit: int  # departed the origin but not delivered at the horizon
    waiting: int  # not yet departed at the horizon
    undelivered_at_end: int  # still not delivered when the run stopped (censored)
    delivered_in_window: int  # any container delivered between warm-up and horizon
    mean_transit: float  # over cohort containers delivered by the end of the run
    mean_wait_departure: float
    transit_count: int  # cohort containers delivered by the end of the run: the transit sample


def route_counts(ledger: RouteLedger, warmup: float, horizon: float) -> RouteCounts:
    """Count a route's cohort by state at the horizon; compute its mean transit."""
    c = cohort(ledger, warmup, horizon)
    delivered_h = c.delivered <= horizon  # NaN compares False
    departed_h = c.departed <= horizon
    done = ~np.isnan(c.delivered)
    transit = c.delivered[done] - c.created[done]
    wait = c.departed[done] - c.created[done]
    in_window = (ledger.delivered >= warmup) & (ledger.delivered <= horizon)
    return RouteCounts(
        created=int(c.created.size),
        delivered=int(delivered_h.sum()),
        in_transit=int((departed_h & ~delivered_h).sum()),
        waiting=int((~departed_h).sum()),
        undelivered_at_end=int((~done).sum()),
        delivered_in_window=int(in_window.sum()),
        mean_transit=float(transit.mean()) if transit.size else math.nan,
        mean_wait_departure=float(wait.mean()) if wait.size else math.nan,
        transit_count=int(transit.size),
    )


@dataclass
class NodeStats:
    """One node in one replication, over the measurement window [warmup, horizon]."""

    visits: int  # vehicles handled here (stopped), arriving in the window
    utilization: float | None  # busy servers / servers; None for unlimited capacity
    mean_in_service: float  # time-average number of vehicles being handled
    mean_wait_days: float  # queueing before handling, vehicles arriving in the window
    mean_handling_days: float
    max_queue: int
    teu_through: float  # cargo passing the node in the window, each unit once
    tonnes_through: float
    trains_through: int  # train visits (stopping or passing) that ended in the window
    vehicles_through: int  # all vehicle visits that ended in the window


def backlog(ledger: RouteLedger, t: float) -> int:
    """Units created by time t and not yet delivered then (waiting or on their way)."""
    created = int(np.searchsorted(ledger.created, t, side="right"))
    delivered = int(np.count_nonzero(ledger.delivered[:created] <= t))
    return created - delivered


SATURATION_SHARE = 0.95  # delivering less than this share of the demand ...
SATURATION_GROWTH = 0.05  # ... while the backlog grows by more than this share of it


def saturation(ledger: RouteLedger, warmup: float, horizon: float) -> tuple[float, float, bool]:
    """(share of the demand due in the window delivered in it, backlog growth per day beyond
    what is under way, saturated?).

    A route is saturated when it delivers clearly less than it should and the difference
    piles up: its capacity, not its transit time, sets what it carries.  "Should" accounts
    for the time on the way: with a transit of T days, the units due in the window are those
    created T days before it, and a route that keeps up has about T days of demand under way
    at any time.  So a route slower than the warm-up (its pipeline still filling when the
    window opens) is not mistaken for one that cannot keep up.  T is the median time from
    the origin's departure to delivery of the units created in the window's first quarter:
    it leaves out the wait for a departure, where a route short of slots piles its backlog
    up, and a queue further on that builds up later does not inflate it.
    """
    c = cohort(ledger, warmup, horizon)
    created = c.created.size
    early = (c.created < warmup + (horizon - warmup) / 4) & ~np.isnan(c.delivered)
    transit = float(np.median(c.delivered[early] - c.departed[early])) if early.any() else 0.0
    due = _created_between(ledger, warmup - transit, horizon - transit)
    delivered = int(np.count_nonzero((ledger.delivered >= warmup) & (ledger.delivered < horizon)))

    def excess(t: float) -> int:  # backlog beyond the units created in the last T days
        return backlog(ledger, t) - _created_between(ledger, t - transit, t)

    growth = excess(horizon) - excess(warmup)
    share = delivered / due if due else 1.0
    saturated = created > 0 and share < SATURATION_SHARE and growth > SATURATION_GROWTH * created
    return share, growth / (horizon - warmup), saturated


def _created_between(ledger: RouteLedger, start: float, end: float) -> int:
    """Units created in [start, end)."""
    lo, hi = np.searchsorted(ledger.created, [start, end], side="left")
    return int(hi - lo)


def node_stats(log: NodeLog, warmup: float, horizon: float, train: int | None = None) -> NodeStats:
    """Utilization, waiting and throughput of a node in the measurement window.

    ``train`` is the index of the 'train' vehicle kind in the run's vehicle names (None if
    the scenario has no trains).
    """
    window = horizon - warmup
    each = np.clip(np.minimum(log.end, horizon) - np.maximum(log.start, warmup), 0, None)
    busy = each.sum()
    limited = each[log.limited].sum() if len(log.pool_servers) > 1 else busy  # of the servers that limit it
    arriving = log.handled & (log.arrive >= warmup) & (log.arrive < horizon)
    done = (log.end >= warmup) & (log.end < horizon)
    passed = done & log.counted
    waits = (log.start - log.arrive)[arriving]
    handling = (log.end - log.start)[arriving]
    return NodeStats(
        visits=int(arriving.sum()),
        utilization=(float(limited) / (log.servers * window)) if log.servers else None,
        mean_in_service=float(busy) / window,
        mean_wait_days=float(waits.mean()) if waits.size else 0.0,
        mean_handling_days=float(handling.mean()) if handling.size else 0.0,
        max_queue=max_queue(log.arrive[log.handled], log.start[log.handled], warmup, horizon),
        teu_through=float(log.teu[passed].sum()),
        tonnes_through=float(log.tonnes[passed].sum()),
        trains_through=int((done & ~log.rider & (log.vehicle == train)).sum()) if train is not None else 0,
        vehicles_through=int((done & ~log.rider).sum()),
    )


def max_queue(arrive: np.ndarray, start: np.ndarray, warmup: float, horizon: float) -> int:
    """Largest number of vehicles waiting at once during [warmup, horizon]."""
    waiting = start > arrive
    if not waiting.any():
        return 0
    a, s = arrive[waiting], start[waiting]
    times = np.concatenate((a, s))
    steps = np.concatenate((np.ones(a.size, np.int64), -np.ones(s.size, np.int64)))
    # At equal times process departures from the queue first.
    order = np.lexsort((steps, times))
    level = np.cumsum(steps[order])
    t = times[order]
    before = level[t < warmup]
    inside = level[(t >= warmup) & (t <= horizon)]
    candidates = [int(before[-1]) if before.size else 0]
    if inside.size:
        candidates.append(int(inside.max()))
    return max(candidates)


# ---------------------------------------------------------------------------------------
# Across replications


def train_index(result: ReplicationResult) -> int | None:
    """Index of the 'train' vehicle kind in a replication's vehicle names, if it has trains."""
    names = result.vehicle_names
    return names.index("train") if "train" in names else None


def interval(values: Sequence[float]) -> dict[str, object]:
    """{'mean': m, 'ci95': [lo, hi]} with None bounds when there is one replication."""
    mean, lo, hi = mean_ci95(values)
    return {"mean": _clean(mean), "ci95": [_clean(lo), _clean(hi)]}


def _clean(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def load_factors(scenario: Scenario, result: ReplicationResult, route_id: str) -> list[float]:
    """Mean load / capacity of the vehicles of each segment that left in the window.

    NaN for a segment with no departure in the window.  1.0 means every vehicle left full.
    """
    s = scenario.settings
    route = scenario.routes[route_id]
    trips = result.trips[route_id]
    out = []
    for k, seg in enumerate(route.segments):
        mine = (trips.segment == k) & (trips.depart >= s.warmup_days) & (trips.depart < s.horizon_days)
        capacity = scenario.service_capacity(route, seg.service)
        out.append(float(trips.containers[mine].mean()) / capacity if mine.any() and capacity else math.nan)
    return out
