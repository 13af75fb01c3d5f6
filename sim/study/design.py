"""The points of a sweep: a full grid, or a Latin hypercube, Sobol (Saltelli) or Morris
design drawn by SALib on the unit cube and mapped through each parameter's range or
distribution (sim.study.spec.Parameter.from_unit).

Sobol indices are unchanged by a one-to-one map of each input, so sampling the unit cube and
mapping it gives the indices of the parameters as distributed; Morris elementary effects are
per unit of each parameter's whole range (its [0, 1] image).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.errors import SWEEP_EXTRA, UsageError
from sim.study.spec import SweepSpec

SALIB_MISSING = "the {design} design needs SALib: " + SWEEP_EXTRA


@dataclass(frozen=True)
class Design:
    """The points of a sweep in order: ``values[i][j]`` is parameter j at point i; ``unit``
    the same on the unit cube (what SALib's analysis reads), None for a grid."""

    name: str
    problem: dict[str, Any]
    values: tuple[tuple[Any, ...], ...]
    unit: np.ndarray | None
    levels: int = 4  # Morris's grid levels (its analysis needs them)

    def __len__(self) -> int:
        return len(self.values)


def problem(spec: SweepSpec) -> dict[str, Any]:
    """SALib's problem: every parameter on [0, 1] (mapped to its values afterwards)."""
    return {
        "num_vars": len(spec.parameters),
        "names": [p.path for p in spec.parameters],
        "bounds": [[0.0, 1.0]] * len(spec.parameters),
    }


def make_design(spec: SweepSpec) -> Design:
    """The design's points; the same spec (and seed) always gives the same points."""
    prob = problem(spec)
    if spec.design == "grid":
        values = tuple(itertools.product(*(p.grid() for p in spec.parameters)))
        return Design("grid", prob, values, None)
    unit = _unit_sample(spec, prob)
    if spec.design == "morris":
        # Unbounded distributions have no value at 0 or 1: Morris's levels sit at the
        # centres of equal slices instead (an affine map, so effects keep their ratios).
        levels = spec.morris_levels
        for j, p in enumerate(spec.parameters):
            if p.dist is not None:
                unit[:, j] = (0.5 + unit[:, j] * (levels - 1)) / levels
    columns = [p.from_unit(unit[:, j]) for j, p in enumerate(spec.parameters)]
    return Design(spec.design, prob, tuple(zip(*columns)), unit, spec.morris_levels)


def _unit_sample(spec: SweepSpec, prob: dict[str, Any]) -> np.ndarray:
    try:
        from SALib.sample import latin, morris, sobol
    except ImportError:
        raise UsageError(SALIB_MISSING.format(design=spec.design)) from None
    n, seed = spec.sample_count, spec.seed
    if spec.design == "lhs":
        return np.asarray(latin.sample(prob, n, seed=seed), dtype=np.float64)
    if spec.design == "sobol":
        return np.asarray(sobol.sample(prob, n, calc_second_order=spec.second_order, seed=seed), dtype=np.float64)
    return np.asarray(morris.sample(prob, n, num_levels=spec.morris_levels, seed=seed), dtype=np.float64)


def point_seed(seed: int, index: int) -> int:
    """The seed of point ``index`` when points do not share random numbers: a pure function
    of (seed, index), so it is the same whichever worker runs the point."""
    state = np.random.SeedSequence([seed, index]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
