"""Each dated event in the summary: what it was (targets, dates, length, factor) and, when
its impact was measured, its impact metrics over replications; and which events were in
force at the same time on a shared target or route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field as dataclasses_field
from typing import Any, Mapping

import numpy as np

from sim.analysis.metrics import vocabulary
from sim.analysis.metrics_table import MetricsTable
from sim.model.calendar import Calendar
from sim.model.distributions import Fixed
from sim.model.scenario import Scenario


from sim.analysis.measured import Interval, measured


@dataclass(frozen=True)
class EventSummary:
    """One dated event: what it was, and its impact metrics over replications (each a mean
    with its 95% interval; ``recovered``'s mean is the share of replications that recovered)."""

    name: str
    kind: str
    targets: tuple[str, ...]  # "nodes.suez", ...
    start_day: float | None  # calendar day (None: a random closure, no dates)
    start_date: str | None
    duration_days: float | None  # a fixed duration; None: random (the mean is in the scenario) or open-ended
    source: str
    impact: Mapping[str, Interval]
    # A random closure: {"per_year", "mean_duration_days"} (its dates differ by replication);
    # None, and no "random" key in summary.json, for a dated event.
    random: Mapping[str, float] | None = None
    # A dated event of random length (duration_days a distribution): its mean and description.
    duration_random: Mapping[str, Any] | None = None
    factor: float | None = None  # a demand event's factor
    queue_unit: str = ""  # what its peak_queue counts: "vehicles" (node, leg) or "containers" (route, service)
    recovered_runs: tuple[int, int] | None = None  # (replications recovered, replications measured)
    # Other events in force at the same time (their windows, and the recoveries measured, overlap)
    # on a shared target or route: {event id: what they share}.  Both are measured against the run
    # without ALL events, so each one's impact includes the other's.
    overlaps: Mapping[str, str] = dataclasses_field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "targets": list(self.targets), "start_day": self.start_day,
            "start_date": self.start_date, "duration_days": self.duration_days, "source": self.source,
            "queue_unit": self.queue_unit,
        }
        if self.random is not None:
            out["random"] = dict(self.random)
        if self.duration_random is not None:
            out["duration_random"] = dict(self.duration_random)
        if self.factor is not None:
            out["factor"] = self.factor
        if self.overlaps:
            out["overlaps"] = dict(self.overlaps)
        if self.recovered_runs is not None and self.impact:
            out["recovered_runs"] = list(self.recovered_runs)
        return {**out, **{k: v.to_dict() for k, v in self.impact.items()}}


QUEUE_UNITS = {"nodes": "vehicles", "legs": "vehicles", "routes": "containers", "services": "containers"}


def event_summary(scenario: Scenario, table: MetricsTable, event_id: str,
                  overlaps: Mapping[str, str] | None = None) -> EventSummary:
    """An event's summary: its definition and, when its impact was measured, its rows of the
    metrics table (each interval clipped to its metric's range, Metric.bounds)."""
    e = next(e for e in scenario.events if e.id == event_id)
    calendar = Calendar.of(scenario.settings)
    day = float(calendar.calendar_day(e.start))
    was_measured = event_id in table.entities("event")
    impact = {}
    for m in vocabulary():
        if m.kind != "event" or not was_measured:
            continue
        impact[m.name] = measured(table, "event", event_id, m.name)
    recovered = table.values("event", event_id, "recovered") if was_measured else np.empty(0)
    recovered = recovered[np.isfinite(recovered)]
    random_length = e.duration is not None and not isinstance(e.duration, Fixed)
    return EventSummary(
        name=e.name or e.id, kind=e.kind, targets=tuple(f"{e.section}.{t}" for t in e.targets),
        # A random closure has no dates: its spells differ by replication (see "random").
        start_day=None if e.random is not None else day,
        start_date=None if e.random is not None else (calendar.iso(day) or None),
        duration_days=float(e.duration.value) if isinstance(e.duration, Fixed) else None,
        source=e.source,
        impact=impact,
        random=None if e.random is None else {"per_year": e.random.per_year, "mean_duration_days": float(e.random.duration_days.mean)},
        duration_random={"mean_days": float(e.duration.mean), "dist": e.duration.describe()} if random_length else None,
        factor=float(e.factor) if e.kind == "demand" else None,
        queue_unit=QUEUE_UNITS.get(e.section, ""),
        recovered_runs=(int(recovered.sum()), int(recovered.size)) if recovered.size else None,
        overlaps=dict(overlaps or {}),
    )


def _routes_touched(scenario: Scenario, e: Any) -> set[str]:
    """The routes an event's targets lie on."""
    out = set()
    for r in scenario.routes.values():
        on = {
            "nodes": lambda t: t in r.path,
            "legs": lambda t: any(t in seg.legs for seg in r.segments),
            "services": lambda t: any(t == seg.service for seg in r.segments),
            "routes": lambda t: t == r.id,
        }[e.section]
        if any(on(t) for t in e.targets):
            out.add(r.id)
    return out


def event_overlaps(scenario: Scenario, table: MetricsTable) -> dict[str, dict[str, str]]:
    """For each event, the others in force at the same time on a shared target or route:
    {event: {other: what they share}}.  An event is in force from its start to its end (a
    random length: its mean) plus, when measured, its mean recovery (until the run ends when a
    replication did not recover); random spells and open-ended events, the whole run on."""
    spans = {}
    for e in scenario.events:
        end = math.inf if e.duration is None else e.start + float(e.duration.mean)
        if math.isfinite(end) and e.id in table.entities("event"):
            rec = table.values("event", e.id, "recovered")
            days = table.values("event", e.id, "recovery_days")
            rec, days = rec[np.isfinite(rec)], days[np.isfinite(days)]
            if rec.size and rec.min() < 1:
                end = math.inf
            elif days.size:
                end += float(days.mean())
        spans[e.id] = (e.start, end)
    routes = {e.id: _routes_touched(scenario, e) for e in scenario.events}
    out: dict[str, dict[str, str]] = {e.id: {} for e in scenario.events}
    for i, a in enumerate(scenario.events):
        for b in scenario.events[i + 1:]:
            (a0, a1), (b0, b1) = spans[a.id], spans[b.id]
            if not (a0 < b1 and b0 < a1):
                continue
            targets = sorted(set(a.targets) & set(b.targets)) if a.section == b.section else []
            shared = sorted(routes[a.id] & routes[b.id])
            if targets:
                what = f"{a.section}.{targets[0]}"
            elif shared:
                what = f"routes.{shared[0]}" + (f" +{len(shared) - 1} more" if len(shared) > 1 else "")
            else:
                continue
            out[a.id][b.id] = out[b.id][a.id] = what
    return out
