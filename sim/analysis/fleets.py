"""A finite fleet's measures over the window: departures offered, cycle time, where the time goes.

Everything is read from the fleet's cycle rows (sim.engine.fleet.FleetLog): a vehicle is
loaded from its departure to its arrival, turning around until it leaves for the way back
and again from its return until it is ready, on the way back in between, and idle (ready at
the origin) the rest of the time.  Shares are of the fleet's time in the window, N vehicles
times its length, so they add up to 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.records import FleetLog

STATES = ("loaded", "turnaround", "returning", "idle")
LATE_DAYS = 1.0 / 1440.0  # a departure more than a minute after its slot waited for a vehicle


@dataclass(frozen=True)
class FleetStats:
    vehicles: int
    departures: int  # departures in the window
    departures_per_week: float
    cycle_days: float  # mean departure-to-ready of the cycles that began in the window and ended
    shares: dict[str, float]  # STATES -> share of the fleet's time in the window
    departures_delayed: int
    delay_days: float  # mean wait for a vehicle of the delayed departures (NaN: none)


def _overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> float:
    """Total length of the intervals [a, b) inside [lo, hi); NaN bounds count as empty."""
    a = np.nan_to_num(a, nan=hi)
    b = np.nan_to_num(b, nan=lo)
    return float(np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None).sum())


def fleet_stats(log: FleetLog, warmup: float, horizon: float) -> FleetStats:
    """The fleet's measures over [warmup, horizon) (see the module docstring)."""
    span = horizon - warmup
    cycles = log.cycles
    depart = log.depart[cycles]
    inside = (depart >= warmup) & (depart < horizon)
    n = int(inside.sum())
    ready = log.ready[cycles][inside]
    done = np.isfinite(ready)
    cycle = float((ready[done] - depart[inside][done]).mean()) if done.any() else math.nan
    late = (depart - log.planned[cycles])[inside]
    delayed = late > LATE_DAYS
    busy = {
        "loaded": _overlap(log.depart, log.arrive, warmup, horizon),
        "turnaround": _overlap(log.arrive, log.turned, warmup, horizon) + _overlap(log.back, log.ready, warmup, horizon),
        "returning": _overlap(log.turned, log.back, warmup, horizon),
    }
    total = log.vehicles * span
    shares = {k: v / total for k, v in busy.items()}
    idle = 1.0 - sum(shares.values())
    shares["idle"] = idle if idle > 1e-12 else 0.0  # no rounding residue for an always-busy fleet
    return FleetStats(
        vehicles=log.vehicles,
        departures=n,
        departures_per_week=n / (span / 7.0),
        cycle_days=cycle,
        shares=shares,
        departures_delayed=int(delayed.sum()),
        delay_days=float(late[delayed].mean()) if delayed.any() else math.nan,
    )
