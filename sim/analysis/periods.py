"""Calendar months of the measured window, and what passed each node in each of them.

The months are the run's calendar months (sim.model.calendar): real lengths and leap years
from the start date, or common-year months when the scenario is undated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.records import NodeLog
from sim.model.calendar import Calendar


@dataclass(frozen=True)
class Period:
    """One calendar month of the measured window, in simulation days [start, stop)."""

    label: str  # "2020-01", or "Y1-01" when the scenario names no date
    start: float
    stop: float
    month: int = 0  # 1 = January ... 12 = December
    whole_start: bool = True  # the period starts on the month's first day


def months(calendar: Calendar, end: float) -> list[Period]:
    """The calendar months from the end of the warm-up to simulation time ``end`` (the first
    and the last may be partial: a start date inside a month, a horizon inside a month)."""
    return [
        Period(m.label, calendar.sim_time(m.start), calendar.sim_time(m.stop), m.month, m.whole_start)
        for m in calendar.months(0.0, calendar.calendar_day(end))
    ]


@dataclass
class PeriodCounts:
    """Per-period throughput of one node in one replication (arrays aligned with periods)."""

    teu: np.ndarray
    tonnes: np.ndarray
    trains: np.ndarray
    vehicles: np.ndarray


def node_period_counts(
    log: NodeLog,
    periods: list[Period],
    train: int | None,
    routes: np.ndarray | None = None,
    vehicle: int | None = None,
) -> PeriodCounts:
    """TEU, tonnes, trains and vehicles passing a node in each period.

    A visit counts in the period in which its handling (or passage) ends; cargo counts
    once per node (see NodeLog.counted).  ``routes`` restricts the count to those route
    indices (for example the transit routes of a country), ``vehicle`` to one vehicle kind.
    """
    edges = np.array([p.start for p in periods] + [periods[-1].stop]) if periods else np.zeros(1)
    which = np.searchsorted(edges, log.end, side="right") - 1
    inside = (which >= 0) & (which < len(periods)) & (log.end < edges[-1])
    if routes is not None:
        inside &= np.isin(log.route, routes)
    if vehicle is not None:
        inside &= log.vehicle == vehicle
    n = len(periods)
    cargo = inside & log.counted
    # A shared vehicle is one vehicle whatever routes' cargo it carries (NodeLog.rider).
    vehicles = inside & ~log.rider
    trains = vehicles & (log.vehicle == train) if train is not None else np.zeros_like(inside)
    return PeriodCounts(
        teu=np.bincount(which[cargo], weights=log.teu[cargo], minlength=n)[:n],
        tonnes=np.bincount(which[cargo], weights=log.tonnes[cargo], minlength=n)[:n],
        trains=np.bincount(which[trains], minlength=n)[:n],
        vehicles=np.bincount(which[vehicles], minlength=n)[:n],
    )
