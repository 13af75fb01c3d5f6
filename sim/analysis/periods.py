"""Calendar months of the measured window, and what passed each node in each of them.

Calendar day 0 is 1 January and the end of the warm-up (see demand.py); years have 365
days, so a month is the same stretch of simulated days every year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.simulation import NodeLog

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Period:
    """One calendar month of the measured window, in simulation days [start, stop)."""

    label: str  # "2020-01", or "Y1-01" when the scenario names no year
    start: float
    stop: float


def months(warmup: float, horizon: float, year: int | None) -> list[Period]:
    """The calendar months from the end of the warm-up to the horizon (the last may be partial)."""
    periods: list[Period] = []
    start, k = warmup, 0
    while start < horizon - 1e-9:
        y, m = divmod(k, 12)
        label = f"{year + y:04d}-{m + 1:02d}" if year is not None else f"Y{y + 1}-{m + 1:02d}"
        stop = min(start + _MONTH_DAYS[m], horizon)
        periods.append(Period(label, start, stop))
        start, k = start + _MONTH_DAYS[m], k + 1
    return periods


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
    trains = inside & (log.vehicle == train) if train is not None else np.zeros_like(inside)
    return PeriodCounts(
        teu=np.bincount(which[cargo], weights=log.teu[cargo], minlength=n)[:n],
        tonnes=np.bincount(which[cargo], weights=log.tonnes[cargo], minlength=n)[:n],
        trains=np.bincount(which[trains], minlength=n)[:n],
        vehicles=np.bincount(which[inside], minlength=n)[:n],
    )
