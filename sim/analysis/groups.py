"""Measures over groups of routes, read off the metrics table: the one definition of a
group's mean transit and of the ratio of two groups' means (e.g. sea over rail).

Both ``routesim validate`` and the transit figures use these, with the groups of a claims
file, so the ratio printed on a figure is the ratio the claim is judged on.
"""

from __future__ import annotations

import math
from typing import Protocol, Sequence

import numpy as np


class Table(Protocol):
    """What is read here of a MetricsTable: per-replication values of a metric."""

    def values(self, kind: str, entity: str, name: str) -> np.ndarray: ...


def group_mean_transit(table: Table, routes: Sequence[str]) -> np.ndarray:
    """Per replication, the mean transit over every counted unit the routes delivered:
    sum(transit_days * containers_counted) / sum(containers_counted); NaN with none."""
    total = count = None
    for rid in routes:
        n = np.asarray(table.values("route", rid, "containers_counted"), dtype=np.float64)
        t = np.asarray(table.values("route", rid, "transit_days"), dtype=np.float64)
        weighted = np.where(n > 0, np.nan_to_num(t) * n, 0.0)  # a route with no deliveries adds nothing
        total = weighted if total is None else total + weighted
        count = n if count is None else count + n
    if total is None:
        raise ValueError("a route group needs at least one route")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.where(count > 0, count, 1.0), math.nan)


def transit_ratio(table: Table, over: Sequence[str], under: Sequence[str]) -> np.ndarray:
    """Per replication, the mean transit of group ``over`` divided by that of ``under``
    (e.g. sea via Suez over northern rail: "2-3x faster"); NaN where either is undefined."""
    top, bottom = group_mean_transit(table, over), group_mean_transit(table, under)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), math.nan)
