"""An event's impact in one replication, measured against the same replication without events.

The baseline is ``without_events(scenario)`` run with the same seed and replication index
(common random numbers), so each container pairs with its twin there (``baseline_rows``) and
the difference of their deliveries is the event's doing, container by container.  Everything
here is numpy over the ledgers and node logs: no Python loop over containers or vehicles.

Definitions (the metric meanings in sim.analysis.metrics say the same in one line each):
- affected containers: those on the vehicle trips the event held, delayed, slowed or
  diverted (its EventRecord); for a demand surge, the containers it added (no twin).
- extra delay: delivered with the event minus delivered without it (days), over the
  affected containers that have a twin (for a surge: the twinned containers created in its
  window, whose vehicles the added ones crowd); a container undelivered when either run
  stopped has no extra delay (it would be a guess) and is counted in ``undelivered``.
- the target's queue: vehicles waiting (arrived, not yet handled or let through) at a target
  node, all traffic counted; containers waiting at the origin of a target route, or of the
  routes a target service leaves the origin on.  Legs, and events starting after the run
  stopped: not measured (NaN).
- pre-event level: the baseline run's queue at the same instant.  CRN makes the two runs
  identical until the event starts and identical again once its backlog is gone, so the
  baseline at time t is the queue the target would have had at t; a mean over the days
  before the event would ignore seasonality and the baseline's own waves.
- recovery: days from the event's end to the first instant at which the queue is at most
  110% of the baseline's then (0 when it never rose); NaN, with ``recovered`` 0, when that
  does not happen before the run stops.
- peak queue: the largest queue from the event's start to its recovery (or the run's end).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.events import EventRecord, baseline_rows
from sim.engine.simulation import ReplicationResult
from sim.model.scenario import Scenario

RECOVERED_WITHIN = 0.10  # back within 10% of the baseline's queue
NAMES = (
    "containers_affected", "extra_delay_days", "extra_delay_days.p95", "containers_undelivered",
    "peak_queue", "recovery_days", "recovered", "containers_diverted",
)


def expand(ranges: np.ndarray) -> np.ndarray:
    """The ledger rows of [start, stop) ranges given as an (n, 2) array, sorted and unique."""
    if ranges.size == 0:
        return np.empty(0, np.int64)
    lengths = ranges[:, 1] - ranges[:, 0]
    keep = lengths > 0
    starts, lengths = ranges[keep, 0], lengths[keep]
    offsets = np.cumsum(lengths) - lengths
    rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    return np.unique(rows)


def queue(up: np.ndarray, down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The step function 'how many with up <= t < down' as (times, level from each time on);
    a NaN ``down`` is never (still waiting when the run stopped)."""
    down = np.where(np.isnan(down), math.inf, down)
    waits = down > up
    up, down = up[waits], down[waits]
    t = np.concatenate([up, down])
    step = np.concatenate([np.ones(up.size, np.int64), -np.ones(down.size, np.int64)])
    order = np.lexsort((step, t))  # at one instant, leaving before arriving
    times, levels = t[order], np.cumsum(step[order])
    last = np.r_[times[1:] != times[:-1], True] if times.size else np.empty(0, bool)
    return times[last], levels[last]


def level_at(steps: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The queue of ``steps`` (see queue) at each time of ``x``."""
    times, levels = steps
    i = np.searchsorted(times, x, side="right") - 1
    return np.where(i >= 0, levels[np.maximum(i, 0)] if levels.size else 0, 0)


def target_queue(scenario: Scenario, result: ReplicationResult, record: EventRecord) -> tuple[np.ndarray, np.ndarray] | None:
    """The queue at the event's targets in one run (see the module docstring), or None."""
    ups, downs = [], []
    if record.section == "legs":  # the vehicles the closure held at the leg's start
        return queue(record.holds[:, 0], record.holds[:, 1])
    if record.section == "nodes":
        for nid in record.targets:
            log = result.nodes[nid]
            ups.append(log.arrive)
            downs.append(log.start)
    elif record.section in ("routes", "services"):
        if record.section == "routes":
            routes = list(record.targets)
        else:
            routes = [r.id for r in scenario.routes.values() if r.segments[0].service in record.targets]
        if not routes:
            return None
        for rid in routes:
            ledger = result.ledgers[rid]
            ups.append(ledger.created)
            downs.append(ledger.departed)
    else:
        return None
    return queue(np.concatenate(ups), np.concatenate(downs))


def _recovery(with_q, base_q, start: float, end: float, stop: float) -> tuple[float, float, bool]:
    """(peak queue, recovery days, recovered) of the target's queue (see the module docstring)."""
    candidates = np.concatenate([[end], with_q[0], base_q[0]])
    candidates = np.unique(candidates[(candidates >= end) & (candidates < stop)])
    recovered_at = math.nan
    if candidates.size:
        ok = level_at(with_q, candidates) <= (1.0 + RECOVERED_WITHIN) * level_at(base_q, candidates) + 1e-9
        if ok.any():
            recovered_at = float(candidates[np.argmax(ok)])
    until = recovered_at if math.isfinite(recovered_at) else stop
    times = with_q[0]
    inside = np.concatenate([[start], times[(times > start) & (times < until)]])
    peak = float(level_at(with_q, inside).max()) if start < stop else 0.0
    if not math.isfinite(recovered_at):
        return peak, math.nan, False
    return peak, recovered_at - end, True


def event_impact(scenario: Scenario, result: ReplicationResult, base: ReplicationResult) -> dict[str, dict[str, float]]:
    """Each event's impact metrics (NAMES) in one replication, against its baseline ``base``."""
    out: dict[str, dict[str, float]] = {}
    for ident, record in result.events.items():
        affected = undelivered = 0
        extra_parts = []
        for rid, ranges in record.rows.items():
            rows = expand(ranges)
            twin = baseline_rows(result, rid)[rows]
            paired = twin >= 0
            affected += int(rows.size - paired.sum()) if record.kind == "demand" else int(rows.size)
            with_ = result.ledgers[rid].delivered[rows[paired]]
            without = base.ledgers[rid].delivered[twin[paired]]
            both = ~(np.isnan(with_) | np.isnan(without))
            undelivered += int((~both).sum())
            extra_parts.append(with_[both] - without[both])
        extra = np.concatenate(extra_parts) if extra_parts else np.empty(0)
        values = {
            "containers_affected": float(affected),
            "extra_delay_days": float(extra.mean()) if extra.size else math.nan,
            "extra_delay_days.p95": float(np.percentile(extra, 95)) if extra.size else math.nan,
            "containers_undelivered": float(undelivered),
            "containers_diverted": float(record.containers()) if record.kind == "divert" else 0.0,
        }
        with_q = target_queue(scenario, result, record) if record.start < result.end_time else None
        if with_q is None:  # an event that starts only after the run stopped, or no queue to watch
            values.update(peak_queue=math.nan, recovery_days=math.nan, recovered=math.nan)
        else:
            # Without events nothing is held at a leg; elsewhere the same targets' queue.
            base_q = (np.empty(0), np.empty(0, np.int64)) if record.section == "legs" else target_queue(scenario, base, record)
            end = min(record.end, result.end_time)
            peak, days, ok = _recovery(with_q, base_q, record.start, end, result.end_time)
            values.update(peak_queue=peak, recovery_days=days, recovered=float(ok))
        out[ident] = values
    return out
