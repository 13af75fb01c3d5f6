"""Sensitivity indices of a sweep's metrics to its parameters, by SALib.

Sobol: first- and total-order indices with their bootstrap confidence half-widths
(SALib.analyze.sobol, on a Saltelli design).  Morris: mu* (mean absolute elementary effect,
per the parameter's whole range), its confidence half-width, and sigma.  Grid and Latin
hypercube: Spearman rank correlations with a Fisher-z confidence half-width (a screening
measure, not a variance share).  Each index is computed on a point's mean over its
replications.  A metric that is missing (NaN) at some point gets no indices (NaN), with the
count of such points recorded; one that is the same at every point has no Sobol index or
rank correlation either (NaN), and Morris effects of exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from sim.study.design import Design

CONFIDENCE = 0.95
RESAMPLES = 1000
# (index name, its confidence half-width's name or "") per design, in table order
INDICES = {
    "sobol": (("S1", "S1_conf"), ("ST", "ST_conf")),
    "morris": (("mu_star", "mu_star_conf"), ("sigma", ""), ("mu", "")),
    "lhs": (("spearman", "spearman_conf"),),
    "grid": (("spearman", "spearman_conf"),),
}
MEANINGS = {
    "S1": "first-order Sobol index: the share of the metric's variance due to this parameter alone",
    "ST": "total-order Sobol index: the share due to this parameter with all its interactions",
    "mu_star": "Morris mu*: mean absolute change of the metric over the parameter's whole range",
    "sigma": "Morris sigma: spread of the elementary effects (interactions, non-linearity)",
    "mu": "Morris mu: mean signed elementary effect",
    "spearman": "Spearman rank correlation of the metric with the parameter over the points",
}


@dataclass(frozen=True)
class Index:
    """One index of one metric to one parameter, with its confidence half-width (NaN: none)."""

    metric: str
    parameter: str
    name: str
    value: float
    conf: float


def indices(design: Design, metric: str, y: np.ndarray, seed: int, second_order: bool = False,
            confidence: float = CONFIDENCE) -> list[Index]:
    """Every index of the design for one metric's per-point values ``y`` (design order)."""
    names = design.problem["names"]
    if y.size == 0 or not np.all(np.isfinite(y)) or (design.name != "morris" and np.ptp(y) == 0):
        # Missing somewhere, or the same everywhere (no variance to share, no ranks): no index.
        return [Index(metric, p, name, math.nan, math.nan) for p in names for name, _ in INDICES[design.name]]
    if design.name == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(design.problem, y, calc_second_order=second_order, num_resamples=RESAMPLES,
                            conf_level=confidence, seed=seed)
        return _rows(metric, names, res, INDICES["sobol"])
    if design.name == "morris":
        from SALib.analyze import morris

        res = morris.analyze(design.problem, design.unit, y, num_resamples=RESAMPLES, conf_level=confidence,
                             num_levels=design.levels, seed=seed)
        return _rows(metric, names, res, INDICES["morris"])
    return _spearman(metric, names, design, y, confidence)


def _rows(metric: str, names: Sequence[str], res: Any, which: Sequence[tuple[str, str]]) -> list[Index]:
    out = []
    for j, p in enumerate(names):
        for name, conf in which:
            value = float(np.asarray(res[name])[j])
            half = float(np.asarray(res[conf])[j]) if conf else math.nan
            out.append(Index(metric, p, name, _clean(value), _clean(half)))
    return out


def _clean(x: float) -> float:
    """Round away the last bits, which differ between BLAS builds; keep NaN as NaN."""
    return float(np.round(x, 12)) if math.isfinite(x) else math.nan


def _spearman(metric: str, names: Sequence[str], design: Design, y: np.ndarray, confidence: float) -> list[Index]:
    n = y.size
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    from scipy.stats import rankdata  # SciPy comes with SALib: average ranks, ties shared

    ry = rankdata(y)
    out = []
    for j, p in enumerate(names):
        column = [v[j] for v in design.values]
        try:
            x = np.asarray(column, dtype=np.float64)
        except (TypeError, ValueError):  # values that are not numbers (text): ranked by position
            order = {v: k for k, v in enumerate(dict.fromkeys(map(repr, column)))}
            x = np.asarray([order[repr(v)] for v in column], dtype=np.float64)
        rx = rankdata(x)
        if n < 4 or np.std(rx) == 0 or np.std(ry) == 0:
            out.append(Index(metric, p, "spearman", math.nan, math.nan))
            continue
        r = float(np.corrcoef(rx, ry)[0, 1])
        r = max(-1.0, min(1.0, r))
        half = math.nan
        if abs(r) < 1:
            lo, hi = math.tanh(math.atanh(r) - z / math.sqrt(n - 3)), math.tanh(math.atanh(r) + z / math.sqrt(n - 3))
            half = (hi - lo) / 2
        out.append(Index(metric, p, "spearman", _clean(r), _clean(half)))
    return out
