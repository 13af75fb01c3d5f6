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


def arrival_times(
    demand: Demand, calendar: Calendar, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times in [0, end) of simulation time, by inverting the cumulative rate."""
    # The rate steps at calendar midnights; the grid holds them in simulation time (with a
    # whole-day warm-up, grid[0] is exactly 0).
    first = math.floor(calendar.calendar_day(0.0))
    last = math.ceil(calendar.calendar_day(end))
    days = np.arange(first, last, dtype=np.float64)
    grid = calendar.sim_time(np.append(days, float(last)))
    cumulative = np.concatenate(([0.0], np.cumsum(daily_rates(demand, calendar, days))))
    offset = float(np.interp(0.0, grid, cumulative))
    total = float(np.interp(end, grid, cumulative)) - offset
    if total <= 0:
        return np.empty(0, dtype=np.float64)
    if demand.arrivals == "even":
        points = np.arange(int(math.floor(total))) + 0.5
    else:
        # Sorted uniforms without a sort: normalised cumulative exponential spacings have
        # the law of the order statistics of n uniforms, in O(n) instead of O(n log n).
        spacings = np.cumsum(rng.standard_exponential(rng.poisson(total) + 1))
        points = spacings[:-1] * (total / spacings[-1])
    if offset:
        points = points + offset
    times = np.interp(points, cumulative, grid)
    return np.clip(times, 0.0, np.nextafter(end, 0.0))
