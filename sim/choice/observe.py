"""Door-to-door times of each option as the simulation delivered them, per booking period.

Booking periods cut the run at every dated event's start and (mean) end: within a period
shippers expect the times that the containers booked in it actually took (pooled over the
replications), so a closure moves cargo for its duration and congestion moves it for the
whole run.  A container still undelivered when the run stops counts with the time it had
spent so far (a lower bound).  An option with nothing booked in a period is expected to take
what it took over the whole run; one with nothing booked at all, what it took in the
previous iteration, and failing that its free-flow time.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from sim.choice.cost import OptionTimes
from sim.engine.fleet import expected_run_days, headway_days
from sim.engine.simulation import ReplicationResult
from sim.model.scenario import Route, Scenario


def booking_cuts(scenario: Scenario) -> tuple[float, ...]:
    """The booking periods' bounds in simulation time: 0, every dated event's start and
    mean end inside the measured horizon, and the horizon."""
    s = scenario.settings
    inner = set()
    for e in scenario.events:
        if e.random is not None:
            continue  # random spells have no dates to book by
        inner.add(e.start)
        if e.duration is not None:
            inner.add(e.start + e.duration.mean)
    cuts = sorted(x for x in inner if 0.0 < x < s.horizon_days)
    return (0.0, *cuts, s.horizon_days)


def free_flow(scenario: Scenario, route: Route) -> OptionTimes:
    """The route's time without queues: every run at its mean plus half a headway per service."""
    days = 0.0
    for seg in route.segments:
        days += expected_run_days(scenario, seg)
        h = headway_days(scenario, seg.service)
        days += 0.5 * h if h is not None else 0.0
    return OptionTimes(days, days, days, 0)


def _times(values: np.ndarray) -> OptionTimes:
    p50, p95 = np.quantile(values, [0.5, 0.95])
    return OptionTimes(float(values.mean()), float(p50), float(p95), int(values.size))


def observed_times(
    scenario: Scenario, results: Sequence[ReplicationResult], route_ids: Sequence[str], cuts: Sequence[float],
) -> dict[str, list[OptionTimes | None]]:
    """Per route, the times of the units created in each period (None: none created)."""
    edges = np.asarray(cuts, dtype=np.float64)
    parts: dict[str, list[list[np.ndarray]]] = {rid: [[] for _ in cuts[1:]] for rid in route_ids}
    for r in results:
        for rid in route_ids:
            ledger = r.ledgers[rid]
            created = ledger.created
            done = np.where(np.isnan(ledger.delivered), r.end_time, ledger.delivered) - created
            period = np.searchsorted(edges, created, side="right") - 1
            keep = (period >= 0) & (period < edges.size - 1)
            for p in np.unique(period[keep]).tolist():
                parts[rid][p].append(done[period == p])
    return {rid: [_times(np.concatenate(ps)) if ps else None for ps in periods] for rid, periods in parts.items()}


def expected_times(
    scenario: Scenario, results: Sequence[ReplicationResult], route_ids: Sequence[str], cuts: Sequence[float],
    previous: dict[str, list[OptionTimes]] | None = None,
) -> dict[str, list[OptionTimes]]:
    """Per route and period, the times shippers expect (see the module docstring for the fallbacks)."""
    by_period = observed_times(scenario, results, route_ids, cuts)
    whole = observed_times(scenario, results, route_ids, (cuts[0], cuts[-1]))
    out = {}
    for rid in route_ids:
        row = []
        for p, t in enumerate(by_period[rid]):
            if t is None:
                t = whole[rid][0]
            if t is None and previous is not None:
                t = previous[rid][p]
            if t is None:
                t = free_flow(scenario, scenario.routes[rid])
            row.append(t)
        out[rid] = row
    return out


def finite(t: OptionTimes) -> bool:
    return math.isfinite(t.mean)
