"""Confidence intervals for the statistical checks: does the simulation contain the theory?

A check runs R independent replications and asserts that the two-sided Student t interval
of the replication means contains the theoretical value, and that the interval is narrow
(a relative half-width bound) so that a wrong model cannot pass on a loose interval.

The level is 99.9%, not 95%: with some twenty such checks, 95% intervals make one of them
fail by chance on about every second reseed (a change in the engine's order of draws is a
reseed), and a suite that flakes teaches people to ignore it.  At 99.9% the chance that
any of twenty fails is about 2%; the replications are raised so that the intervals stay
tight.

The t quantile is exact (no scipy): for an integer number of degrees of freedom the t
distribution function has a closed form as a finite sum (Abramowitz and Stegun 26.7.3-4),
which is inverted by bisection.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

LEVEL = 0.999  # two-sided


def _central_t(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` (integer >= 1) degrees of freedom."""
    theta = math.atan(t / math.sqrt(df))
    s, c2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            term = math.cos(theta)
            total = term
            for k in range(3, df - 1, 2):  # cos(theta) * prod (k - 1) / k * cos^2 ...
                term *= (k - 1) / k * c2
                total += term
        return 2 / math.pi * (theta + s * total) if df > 1 else 2 * theta / math.pi
    total, term = 1.0, 1.0
    for k in range(2, df - 1, 2):
        term *= (k - 1) / k * c2
        total += term
    return s * total


def t_quantile(level: float, df: int | None) -> float:
    """The t with P(|T| <= t) = ``level``; ``df=None`` for the normal distribution."""
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    if df is not None and (df < 1 or int(df) != df):
        raise ValueError("degrees of freedom must be an integer >= 1")
    central = (lambda t: math.erf(t / math.sqrt(2))) if df is None else (lambda t: _central_t(t, int(df)))
    lo, hi = 0.0, 1.0
    while central(hi) < level:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if central(mid) < level:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * hi:
            break
    return (lo + hi) / 2


def interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """(mean, half-width) of the two-sided t interval of the replication values."""
    x = np.asarray(values, dtype=np.float64)
    assert x.size >= 2, "need at least two replications"
    assert np.isfinite(x).all(), f"non-finite replication value in {x}"
    return float(x.mean()), t_quantile(level, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)


def assert_contains(values: Sequence[float], theory: float, what: str, max_half_width: float,
                    level: float = LEVEL) -> None:
    """The ``level`` t interval holds ``theory`` and is at most ``max_half_width`` of it
    (relative) wide on each side."""
    mean, half = interval(values, level)
    assert half <= max_half_width * abs(theory), (
        f"{what}: {level:.1%} interval ±{half:.4g} wider than {max_half_width:.0%} of {theory:.4g}"
    )
    assert abs(mean - theory) <= half, (
        f"{what}: theory {theory:.5g} outside {mean:.5g} ± {half:.4g} ({level:.1%}, {len(values)} replications)"
    )
