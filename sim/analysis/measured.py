"""A metric measured over replications: its mean with a Student t 95% interval, clipped to
the range the metric lives in (a share in [0, 1], a count at least 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.analysis.metrics import REGISTRY
from sim.analysis.metrics_table import MetricsTable
from sim.analysis.statistics import mean_ci95


def clean(x: float | None) -> float | None:
    """A finite float, or None (JSON null) for NaN, infinity or nothing."""
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Interval:
    """A mean over replications with its Student t 95% interval (None bounds for one)."""

    mean: float | None
    ci95: tuple[float | None, float | None]

    @classmethod
    def of(cls, values: np.ndarray, bounds: tuple[float | None, float | None] = (None, None)) -> "Interval":
        mean, lo, hi = mean_ci95(values.tolist())
        low, high = bounds
        if lo is not None and low is not None:
            lo = max(lo, low)
        if hi is not None and high is not None:
            hi = min(hi, high)
        return cls(clean(mean), (clean(lo), clean(hi)))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": list(self.ci95)}


def measured(table: MetricsTable, kind: str, entity: str, name: str) -> Interval:
    """The interval of a metric over replications, clipped to the range the metric lives in."""
    metric = REGISTRY.get((kind, name))
    return Interval.of(table.values(kind, entity, name), metric.bounds if metric else (None, None))
