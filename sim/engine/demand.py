"""Container arrivals drawn up front with numpy: Poisson or evenly spaced, with monthly
seasonality and compound growth.

Months are the run's real calendar months (sim.model.calendar): a March factor applies to
exactly the days of March, 29 February included.  Calendar day 0 (the start date) is the end
of the warm-up, and the yearly volume is the expected volume of the first measured year
(366 days from 1 January 2020), whatever the warm-up, the seasonality and the growth.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.calendar import Calendar
from sim.model.scenario import Demand


def _weights(demand: Demand, calendar: Calendar, days: np.ndarray) -> np.ndarray:
    """Relative rate on each calendar day: its month's factor times growth at mid-day."""
    season = np.asarray(demand.seasonality)[calendar.month_index(days)]
    trend = np.power(1.0 + demand.growth_per_year, calendar.years(days + 0.5))
    return season * trend


def daily_rates(demand: Demand, calendar: Calendar, days: np.ndarray) -> np.ndarray:
    """Units per day on each calendar day in ``days`` (whole days; the rate is constant in a day).

    Normalised over the days of the first measured year, so that year's expected volume is
    the yearly volume exactly: the mean of the growth curve over that year (today's growth
    normalisation) and the real month lengths are both in the one sum.
    """
    first_year = np.arange(calendar.first_year_days, dtype=np.float64)
    norm = float(_weights(demand, calendar, first_year).sum())
    return demand.units_per_year * _weights(demand, calendar, days) / norm


def _cumulative(demand: Demand, calendar: Calendar, end: float) -> tuple[np.ndarray, np.ndarray]:
    """(grid, cumulative): simulation times of the calendar midnights around [0, end) and the
    expected arrivals from the first of them (the rate steps at midnights)."""
    first = math.floor(calendar.calendar_day(0.0))
    last = math.ceil(calendar.calendar_day(end))
    days = np.arange(first, last, dtype=np.float64)
    # With a whole-day warm-up, grid[0] is exactly 0.
    grid = calendar.sim_time(np.append(days, float(last)))
    cumulative = np.concatenate(([0.0], np.cumsum(daily_rates(demand, calendar, days))))
    return grid, cumulative


def arrival_times(
    demand: Demand, calendar: Calendar, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times in [0, end) of simulation time, by inverting the cumulative rate."""
    grid, cumulative = _cumulative(demand, calendar, end)
    offset = float(np.interp(0.0, grid, cumulative))
    total = float(np.interp(end, grid, cumulative)) - offset
    if total <= 0:
        return np.empty(0, dtype=np.float64)
    if demand.arrivals == "even":
        points = np.arange(int(math.floor(total))) + 0.5
    else:
        points = _sorted_uniforms(rng, rng.poisson(total), total)
    if offset:
        points = points + offset
    times = np.interp(points, cumulative, grid)
    return np.clip(times, 0.0, np.nextafter(end, 0.0))


def _sorted_uniforms(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """n sorted uniforms on [0, scale) without a sort: normalised cumulative exponential
    spacings have the law of the order statistics of n uniforms, in O(n) not O(n log n)."""
    spacings = np.cumsum(rng.standard_exponential(n + 1))
    return spacings[:-1] * (scale / spacings[-1])


def with_demand_events(
    times: np.ndarray,
    demand: Demand,
    calendar: Calendar,
    end: float,
    factors: list[tuple[float, float, float]],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals with the rate multiplied by ``factor`` over each (start, stop, factor).

    Returns the new sorted times and, for each, its index in ``times`` (-1: added).  Outside
    the windows the arrivals are exactly ``times``; inside, a factor k < 1 keeps each arrival
    with probability k (Poisson thinning; every 1/k-th for even arrivals) and k > 1 adds a
    second process of rate (k - 1) times the route's (superposition), drawn from ``rng``
    alone.  Overlapping windows multiply.  A factor of 1 changes nothing at all.
    """
    grid, cumulative = _cumulative(demand, calendar, end)
    cuts = sorted({min(max(x, 0.0), end) for s, e, _ in factors for x in (s, e)})
    keep = np.ones(times.size, dtype=bool)
    added = []
    for a, b in zip(cuts, cuts[1:]):
        k = math.prod(f for s, e, f in factors if s <= a < e)
        if k == 1.0 or b <= a:
            continue
        lo, hi = np.searchsorted(times, [a, b], side="left")
        if k < 1.0:
            if demand.arrivals == "even":
                i = np.arange(hi - lo, dtype=np.float64)
                keep[lo:hi] &= np.floor((i + 1) * k) > np.floor(i * k)
            else:
                keep[lo:hi] &= rng.random(hi - lo) < k
            continue
        mass_a, mass_b = np.interp([a, b], grid, cumulative)
        extra = (mass_b - mass_a) * (k - 1.0)
        if demand.arrivals == "even":
            points = mass_a + (np.arange(int(math.floor(extra))) + 0.5) / (k - 1.0)
        else:
            points = mass_a + _sorted_uniforms(rng, rng.poisson(extra), mass_b - mass_a)
        added.append(np.clip(np.interp(points, cumulative, grid), a, np.nextafter(b, a)))
    rows = np.flatnonzero(keep)
    merged = np.concatenate([times[keep], *added])
    origin = np.concatenate([rows, np.full(merged.size - rows.size, -1, dtype=np.int64)])
    order = np.argsort(merged, kind="stable")  # at a tie the drawn arrival comes first
    return merged[order], origin[order]
