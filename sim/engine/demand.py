"""Container arrivals drawn up front with numpy: Poisson or evenly spaced, with monthly
seasonality and compound growth.

Calendar day 0 (1 January) is the end of the warm-up, so the demand's yearly volume is the
expected volume of the first measured year whatever the warm-up; the run starts at calendar day ``-warmup_days``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.scenario import Demand

DAYS_PER_YEAR = 365.0
_MONTH_STARTS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


def month_of(calendar_day: np.ndarray) -> np.ndarray:
    """Month index 0..11 of each calendar day (365-day years, day 0 = 1 January)."""
    day_of_year = np.mod(np.floor(calendar_day), DAYS_PER_YEAR)
    return np.searchsorted(_MONTH_STARTS, day_of_year, side="right") - 1


def growth_norm(growth: float) -> float:
    """Mean of (1+g)^(t/365) over the first year, so the first year holds the yearly volume."""
    if abs(growth) < 1e-12:
        return 1.0
    return growth / math.log1p(growth)


def daily_rates(demand: Demand, start_day: float, n_days: int) -> np.ndarray:
    """Containers per day for each whole simulated day (rate constant within a day)."""
    base = demand.units_per_year / DAYS_PER_YEAR
    calendar = start_day + np.arange(n_days) + 0.5
    season = np.asarray(demand.seasonality)[month_of(calendar)]
    trend = np.power(1.0 + demand.growth_per_year, calendar / DAYS_PER_YEAR)
    return base * season * trend / growth_norm(demand.growth_per_year)


def arrival_times(
    demand: Demand, start_day: float, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times in [0, end) of simulation time, by inverting the cumulative rate."""
    n_days = int(math.ceil(end))
    rates = daily_rates(demand, start_day, n_days)
    grid = np.arange(n_days + 1, dtype=np.float64)
    cumulative = np.concatenate(([0.0], np.cumsum(rates)))
    total = float(np.interp(end, grid, cumulative))
    if total <= 0:
        return np.empty(0, dtype=np.float64)
    if demand.arrivals == "even":
        points = np.arange(int(math.floor(total))) + 0.5
    else:
        # Sorted uniforms without a sort: normalised cumulative exponential spacings have
        # the law of the order statistics of n uniforms, in O(n) instead of O(n log n).
        spacings = np.cumsum(rng.standard_exponential(rng.poisson(total) + 1))
        points = spacings[:-1] * (total / spacings[-1])
    times = np.interp(points, cumulative, grid)
    return np.minimum(times, np.nextafter(end, 0.0))
