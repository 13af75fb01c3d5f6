"""The choice rules: shares of a flow's options given their generalised costs."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def logit_shares(cost: Sequence[float], scale: float) -> np.ndarray:
    """Multinomial logit: share_i = exp(-scale c_i) / sum_j exp(-scale c_j).

    Computed from the cheapest option (c - min c), so costs of any size give no overflow;
    an option of infinite cost gets a share of exactly 0.
    """
    c = np.asarray(cost, dtype=np.float64)
    finite = np.isfinite(c)
    if not finite.any():
        return np.full(c.size, 1.0 / c.size)
    z = np.where(finite, -scale * (c - c[finite].min()), -np.inf)
    w = np.exp(z)
    return w / w.sum()


def cheapest_shares(cost: Sequence[float]) -> np.ndarray:
    """All to the cheapest option; options tied (to a cent per TEU) share equally."""
    c = np.asarray(cost, dtype=np.float64)
    best = np.isclose(c, np.nanmin(c), rtol=0.0, atol=0.01) if np.isfinite(c).any() else np.ones(c.size, bool)
    return best / best.sum()


def choose(rule: str, cost: Sequence[float], scale: float | None, fixed: Sequence[float] | None) -> np.ndarray:
    """The shares a flow's rule gives (``fixed``: its own shares, whatever the costs)."""
    if rule == "fixed":
        return np.asarray(fixed, dtype=np.float64)
    if rule == "cheapest":
        return cheapest_shares(cost)
    return logit_shares(cost, float(scale))
