"""An event's impact in one replication, measured against the same replication without events.

The baseline is ``without_events(scenario)`` run with the same seed and replication index
(common random numbers), so each container pairs with its twin there (``baseline_rows``) and
the difference of their deliveries is the event's doing, container by container.  Everything
here is numpy over the ledgers and node logs: no Python loop over containers or vehicles.

Definitions (the metric meanings in sim.analysis.metrics say the same in one line each):
- the event's routes: those whose path (or a diversion's) runs through a target node, leg or
  service, and a demand or divert event's target routes.
- affected containers: on the event's routes, delivered more than a minute earlier or later
  than their twin, or delivered in one run only, and created before the route is calm again;
  the containers on the vehicles it held, slowed or diverted, whatever their delivery; and
  the containers a surge added (no twin).  That counts the containers the event held
  and also those queued behind its backlog once it ended.  A route is calm again from the
  first container created after the event's end from which CALM_DAYS of creations are all
  delivered as their twins; when that never happens (a departure pattern shifted for good,
  trains leaving when full with other companions) the target's recovery (below) bounds the
  count instead, or the run's end.  The random times are keyed per vehicle trip (sim.engine.sampling.TripDraws), so a
  container no event reached is delivered at exactly its twin's time, and a difference is
  the event's doing.
- extra delay: delivered with the event minus delivered without it (days), over the
  affected containers delivered in both runs (negative when the event made them earlier: a
  capacity added, or a surge filling trains sooner); a container undelivered when either run
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

from sim.engine.event_records import EventRecord
from sim.engine.events import baseline_rows
from sim.engine.simulation import ReplicationResult
from sim.model.scenario import Scenario

RECOVERED_WITHIN = 0.10  # back within 10% of the baseline's queue
CHANGED_DAYS = 1.0 / 1440.0  # a delivery more than a minute from its twin's has changed
CALM_DAYS = 14.0  # two weekly sailings delivered as without the event: the backlog is gone
NAMES = (
    "containers_affected", "extra_delay_days", "extra_delay_days.p95", "containers_undelivered",
    "peak_queue", "recovery_days", "recovered", "containers_diverted", "containers_removed",
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


def event_routes(scenario: Scenario, record: EventRecord) -> list[str]:
    """The routes an event can reach (see the module docstring), in scenario order."""
    if record.section == "routes":
        reach = set(record.targets)
    else:
        targets = set(record.targets)
        paths = {rid: list(route.segments) for rid, route in scenario.routes.items()}
        for event in scenario.events:
            for rid, segs in event.segments.items():
                paths[rid] += segs
        field_of = {"nodes": "nodes", "legs": "legs"}.get(record.section)
        reach = {
            rid for rid, segs in paths.items()
            if any(targets & set(getattr(seg, field_of) if field_of else (seg.service,)) for seg in segs)
        }
    return [rid for rid in scenario.routes if rid in reach or rid in record.rows]


def calm_from(created: np.ndarray, changed: np.ndarray, after: float, days: float = CALM_DAYS) -> float:
    """The creation time of the first unit created at or after ``after`` from which ``days`` of
    creations are all unchanged; inf when there is none (``created`` sorted)."""
    first = int(np.searchsorted(created, after, side="left"))
    if first >= created.size:
        return math.inf
    seen = np.concatenate([[0], np.cumsum(changed[first:])])
    times = created[first:]
    stop = np.searchsorted(times, times + days, side="left")  # the window of each candidate
    whole = times + days <= created[-1]  # a window the run saw to its end
    calm = (seen[stop] == seen[:-1]) & ~changed[first:] & whole
    return float(times[np.argmax(calm)]) if calm.any() else math.inf


def _delays(
    scenario: Scenario, result: ReplicationResult, base: ReplicationResult, record: EventRecord, fallback: float
) -> tuple[int, int, np.ndarray]:
    """(affected, undelivered, extra delays of the affected delivered in both runs); ``fallback``
    bounds the creations counted on a route that is never calm again."""
    affected = undelivered = 0
    parts = []
    end = min(record.end, result.end_time)
    for rid in event_routes(scenario, record):
        ledger, twin = result.ledgers[rid], baseline_rows(result, rid)
        paired = twin >= 0
        if record.kind == "demand":  # the containers it added, created in its window
            affected += int((~paired).sum())
        rows = np.flatnonzero(paired)
        with_ = ledger.delivered[rows]
        without = base.ledgers[rid].delivered[twin[rows]]
        lost = np.isnan(with_) != np.isnan(without)  # delivered in one run only
        diff = with_ - without
        changed = (np.abs(diff) > CHANGED_DAYS) | lost  # NaN compares False
        created = ledger.created[rows]
        until = calm_from(created, changed, end)
        counted = created < (until if math.isfinite(until) else fallback)
        # The containers the event touched count too, whatever their delivery (a diverted one
        # that neither run delivered); with no delivery in either run they are undelivered.
        touched = np.zeros(ledger.created.size, bool)
        if rid in record.rows and record.kind != "demand":
            touched[expand(record.rows[rid])] = True
        touched = touched[rows]
        lost = (lost & counted) | (touched & (np.isnan(with_) | np.isnan(without)))
        changed = ((changed & counted) | touched) & ~lost
        affected += int(lost.sum() + changed.sum())
        undelivered += int(lost.sum())
        parts.append(diff[changed])
    return affected, undelivered, np.concatenate(parts) if parts else np.empty(0)


def _removed(result: ReplicationResult, base: ReplicationResult, record: EventRecord) -> int:
    """Containers of the run without events that a demand cut took away: those with no twin
    in the run with it (0 for a surge, which only adds)."""
    removed = 0
    for rid in record.targets:
        twin = baseline_rows(result, rid)
        removed += base.ledgers[rid].created.size - np.unique(twin[twin >= 0]).size
    return removed


def event_impact(scenario: Scenario, result: ReplicationResult, base: ReplicationResult) -> dict[str, dict[str, float]]:
    """Each event's impact metrics (NAMES) in one replication, against its baseline ``base``."""
    out: dict[str, dict[str, float]] = {}
    stop = result.end_time
    for ident, record in result.events.items():
        values: dict[str, float] = {}
        with_q = target_queue(scenario, result, record) if record.start < stop else None
        until = stop  # the creations counted on a route never calm again: until the target recovers
        if with_q is None:  # an event that starts only after the run stopped, or no queue to watch
            values.update(peak_queue=math.nan, recovery_days=math.nan, recovered=math.nan)
        else:
            # Without events nothing is held at a leg; elsewhere the same targets' queue.
            base_q = (np.empty(0), np.empty(0, np.int64)) if record.section == "legs" else target_queue(scenario, base, record)
            end = min(record.end, stop)
            peak, days, ok = _recovery(with_q, base_q, record.start, end, stop)
            values.update(peak_queue=peak, recovery_days=days, recovered=float(ok))
            if ok:
                until = end + days
        affected, undelivered, extra = _delays(scenario, result, base, record, until)
        values.update({
            "containers_affected": float(affected),
            "extra_delay_days": float(extra.mean()) if extra.size else math.nan,
            "extra_delay_days.p95": float(np.percentile(extra, 95)) if extra.size else math.nan,
            "containers_undelivered": float(undelivered),
            "containers_diverted": float(record.containers()) if record.kind == "divert" else 0.0,
            "containers_removed": float(_removed(result, base, record)) if record.kind == "demand" else 0.0,
        })
        out[ident] = {name: values[name] for name in NAMES}
    return out
