"""A shared service's measures over the window: load per leg, and how each route fared at its call.

Read from the service's LoopLog (sim.engine.records): a departure counts in the window when
it leaves its origin in it.  Load factors include the background load (that is what fills
the vehicle); ``units`` is the modelled cargo alone, in the service's units (TEU or wagons).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.records import LoopLog, RouteLedger


@dataclass(frozen=True)
class LegLoad:
    load_factor: float  # mean (cargo + background) / capacity of the departures in the window
    units: float  # mean modelled cargo aboard, in the service's units


@dataclass(frozen=True)
class LoopStats:
    departures: int
    load_factor: float  # mean over the departures' legs
    peak_load_factor: float  # mean over departures of their fullest leg
    background_share: float  # mean background load / capacity
    legs: dict[int, LegLoad]  # by leg index of the service's path

    def leg(self, index: int) -> LegLoad:
        """The load on one leg (NaN when no departure ran it in the window)."""
        return self.legs.get(index, LegLoad(math.nan, math.nan))


def _window_trips(log: LoopLog, warmup: float, horizon: float) -> np.ndarray:
    """The trips whose vehicle left the origin in the window."""
    first = log.leg == 0
    trips, depart = log.trip[first], log.depart[first]
    return trips[(depart >= warmup) & (depart < horizon)]


def loop_stats(log: LoopLog, warmup: float, horizon: float) -> LoopStats:
    """The service's load over [warmup, horizon) (see the module docstring)."""
    trips = _window_trips(log, warmup, horizon)
    mine = np.isin(log.trip, trips)
    cap = np.where(log.capacity > 0, log.capacity, np.nan)
    factor = (log.load + log.background) / cap
    legs = {}
    for leg in np.unique(log.leg).tolist():
        rows = mine & (log.leg == leg)
        legs[int(leg)] = LegLoad(_mean(factor[rows]), _mean(log.load[rows]))
    if mine.any():
        order = np.argsort(log.trip[mine], kind="stable")
        t, f = log.trip[mine][order], factor[mine][order]
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        peak = _mean(np.maximum.reduceat(np.nan_to_num(f, nan=0.0), starts))
    else:
        peak = math.nan
    return LoopStats(
        departures=int(trips.size), load_factor=_mean(factor[mine]), peak_load_factor=peak,
        background_share=_mean((log.background / cap)[mine]), legs=legs,
    )


def rolled_share(log: LoopLog, route_index: int, ledger: RouteLedger, warmup: float, horizon: float) -> float:
    """Share of the route's units created in the window that a departure of the service left
    behind at least once (each unit counted once, however many departures it missed)."""
    n = ledger.created.size
    lo, hi = np.searchsorted(ledger.created, [warmup, horizon], side="left")
    if hi <= lo:
        return math.nan
    mark = np.zeros(n + 1, np.int64)
    rows = log.rolled[log.rolled[:, 0] == route_index]
    np.add.at(mark, rows[:, 1], 1)
    np.add.at(mark, rows[:, 2], -1)
    rolled = np.cumsum(mark)[:n] > 0
    return float(rolled[lo:hi].mean())


def capacity_share(log: LoopLog, route_index: int, unit_space: float, warmup: float, horizon: float) -> float:
    """Mean share of each departure's capacity the route's units took at its call (0 for a
    departure that took none), over the departures in the window."""
    trips = _window_trips(log, warmup, horizon)
    if trips.size == 0:
        return math.nan
    first = log.leg == 0
    capacity = dict(zip(log.trip[first].tolist(), log.capacity[first].tolist()))
    calls = log.calls[(log.calls[:, 1] == route_index) & np.isin(log.calls[:, 0], trips)]
    taken = {}
    for trip, units in zip(calls[:, 0].tolist(), calls[:, 4].tolist()):
        taken[trip] = taken.get(trip, 0) + units
    shares = [taken.get(t, 0) * unit_space / capacity[t] if capacity[t] > 0 else 0.0 for t in trips.tolist()]
    return float(np.mean(shares))


def _mean(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else math.nan
