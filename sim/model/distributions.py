"""Probability distributions for times and speeds, each knowing its own mean and variance.

A distribution is an immutable value: it draws samples from a generator it is handed, so it
never owns random state.  Scenario files write them as small tables, e.g.
``{ dist = "lognormal", mean = 1.5, cv = 0.4 }``; a bare number means a fixed value.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from sim.model.errors import ScenarioError, kind_of

#: keys a distribution table may carry purely as documentation
DOC_KEYS = frozenset({"source", "note", "notes"})


class Distribution:
    """Base class: ``sample``, ``mean``, ``variance`` and ``scaled``."""

    name = "distribution"

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values as a float64 array."""
        raise NotImplementedError

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The values at cumulative probabilities ``u`` (the inverse CDF), so a design drawn
        on the unit cube (sim.study) becomes draws of this distribution."""
        raise NotImplementedError

    def scaled(self, factor: float) -> "Distribution":
        """The distribution of ``factor * X`` (used to convert hours to days)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human-readable form for tables and reports."""
        return f"{self.name}(mean={self.mean:g}, sd={self.std:g})"


@dataclass(frozen=True)
class Fixed(Distribution):
    value: float
    name = "fixed"

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=np.float64)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=np.float64)

    def scaled(self, factor: float) -> "Fixed":
        return Fixed(self.value * factor)

    def describe(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    name = "uniform"

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=np.float64)

    def scaled(self, factor: float) -> "Uniform":
        return Uniform(self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Triangular(Distribution):
    low: float
    mode: float
    high: float
    name = "triangular"

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.low == self.high:
            return np.full(size, self.low, dtype=np.float64)
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        u = np.asarray(u, dtype=np.float64)
        if a == b:
            return np.full(u.shape, a)
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < split, left, right)

    def scaled(self, factor: float) -> "Triangular":
        return Triangular(self.low * factor, self.mode * factor, self.high * factor)


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _big_phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal(loc, scale) conditioned on being >= 0: times and speeds are never negative."""

    loc: float
    scale: float
    name = "normal"

    def _moments(self) -> tuple[float, float]:
        if self.scale == 0:
            return self.loc, 0.0
        alpha = -self.loc / self.scale
        tail = 1 - _big_phi(alpha)
        lam = _phi(alpha) / tail
        mean = self.loc + self.scale * lam
        var = self.scale**2 * (1 + alpha * lam - lam * lam)
        return mean, var

    @property
    def mean(self) -> float:
        return self._moments()[0]

    @property
    def variance(self) -> float:
        return self._moments()[1]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        out = rng.normal(self.loc, self.scale, size)
        bad = out < 0
        # Rejection is cheap because the loader requires loc > 0 (at most half is redrawn).
        while bad.any():
            out[bad] = rng.normal(self.loc, self.scale, int(bad.sum()))
            bad = out < 0
        return out

    def quantile(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        if self.scale == 0:
            return np.full(u.shape, self.loc)
        below = _big_phi(-self.loc / self.scale)  # the mass cut off at zero
        unit = statistics.NormalDist()
        p = np.clip(below + u * (1 - below), 1e-300, 1 - 1e-16)
        return np.maximum(0.0, self.loc + self.scale * np.vectorize(unit.inv_cdf, otypes=[float])(p))

    def scaled(self, factor: float) -> "TruncatedNormal":
        return TruncatedNormal(self.loc * factor, self.scale * factor)

    def describe(self) -> str:
        return f"normal(mean={self.loc:g}, sd={self.scale:g}, >=0)"


@dataclass(frozen=True)
class _MeanCV(Distribution):
    """A positive distribution given by its mean and coefficient of variation."""

    mu_: float
    cv: float

    @property
    def mean(self) -> float:
        return self.mu_

    @property
    def variance(self) -> float:
        return (self.cv * self.mu_) ** 2

    def scaled(self, factor: float) -> "_MeanCV":
        return type(self)(self.mu_ * factor, self.cv)

    def describe(self) -> str:
        return f"{self.name}(mean={self.mu_:g}, cv={self.cv:g})"


@dataclass(frozen=True)
class Lognormal(_MeanCV):
    name = "lognormal"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mu_) - sigma2 / 2, math.sqrt(sigma2), size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        p = np.clip(np.asarray(u, dtype=np.float64), 1e-300, 1 - 1e-16)
        z = np.vectorize(statistics.NormalDist().inv_cdf, otypes=[float])(p)
        return np.exp(math.log(self.mu_) - sigma2 / 2 + math.sqrt(sigma2) * z)


@dataclass(frozen=True)
class Gamma(_MeanCV):
    name = "gamma"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1 / self.cv**2
        return rng.gamma(shape, self.mu_ / shape, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import gammaincinv  # SciPy comes with the sweep extra (SALib needs it)

        shape = 1 / self.cv**2
        return gammaincinv(shape, np.asarray(u, dtype=np.float64)) * (self.mu_ / shape)


@dataclass(frozen=True)
class Exponential(Distribution):
    mu_: float
    name = "exponential"

    @property
    def mean(self) -> float:
        return self.mu_

    @property
    def variance(self) -> float:
        return self.mu_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mu_, size)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return -self.mu_ * np.log1p(-np.clip(np.asarray(u, dtype=np.float64), 0.0, 1 - 1e-16))

    def scaled(self, factor: float) -> "Exponential":
        return Exponential(self.mu_ * factor)

    def describe(self) -> str:
        return f"exponential(mean={self.mu_:g})"


@dataclass(frozen=True)
class Empirical(Distribution):
    values: tuple[float, ...]
    weights: tuple[float, ...]
    name = "empirical"

    def _probs(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._probs(), self.values))

    @property
    def variance(self) -> float:
        v = np.asarray(self.values, dtype=np.float64)
        return float(np.dot(self._probs(), (v - self.mean) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=np.float64), size=size, p=self._probs())

    def quantile(self, u: np.ndarray) -> np.ndarray:
        order = np.argsort(self.values, kind="stable")
        values = np.asarray(self.values, dtype=np.float64)[order]
        cdf = np.cumsum(self._probs()[order])
        at = np.searchsorted(cdf, np.asarray(u, dtype=np.float64), side="right")
        return values[np.minimum(at, values.size - 1)]

    def scaled(self, factor: float) -> "Empirical":
        return Empirical(tuple(v * factor for v in self.values), self.weights)


# ---------------------------------------------------------------------------------------
# Parsing scenario tables into distributions


# No time, speed or share in a freight scenario comes near this; larger values are typos
# or fuzz, and their squares would overflow the moment formulas.
MAX_PARAMETER = 1e9


def _bounded(value: float, path: str) -> float:
    if abs(value) > MAX_PARAMETER:
        raise ScenarioError(f"must be at most {MAX_PARAMETER:g} in size, got {value:g}", path)
    return float(value)


def _number(table: Mapping[str, Any], key: str, path: str) -> float:
    if key not in table:
        raise ScenarioError(f"missing required key '{key}'", f"{path}")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"must be a number, got {kind_of(value)}", f"{path}.{key}")
    if not math.isfinite(value):
        raise ScenarioError(f"must be a finite number, got {value}", f"{path}.{key}")
    return _bounded(value, f"{path}.{key}")



def _need(cond: bool, message: str, path: str) -> None:
    if not cond:
        raise ScenarioError(message, path)


def _fixed(t: Mapping[str, Any], p: str) -> Distribution:
    v = _number(t, "value", p)
    _need(v >= 0, f"must be >= 0, got {v:g}", f"{p}.value")
    return Fixed(v)


def _uniform(t: Mapping[str, Any], p: str) -> Distribution:
    lo, hi = _number(t, "min", p), _number(t, "max", p)
    _need(lo >= 0, f"must be >= 0, got {lo:g}", f"{p}.min")
    _need(lo <= hi, f"min ({lo:g}) must not exceed max ({hi:g})", p)
    return Uniform(lo, hi)


def _triangular(t: Mapping[str, Any], p: str) -> Distribution:
    lo, mode, hi = _number(t, "min", p), _number(t, "mode", p), _number(t, "max", p)
    _need(lo >= 0, f"must be >= 0, got {lo:g}", f"{p}.min")
    _need(lo <= hi, f"min ({lo:g}) must not exceed max ({hi:g})", p)
    _need(lo <= mode <= hi, f"mode ({mode:g}) must lie between min ({lo:g}) and max ({hi:g})", p)
    return Triangular(lo, mode, hi)


def _normal(t: Mapping[str, Any], p: str) -> Distribution:
    mean = _number(t, "mean", p)
    _need(mean > 0, f"must be > 0, got {mean:g}", f"{p}.mean")
    if ("sd" in t) == ("cv" in t):
        raise ScenarioError("give exactly one of 'sd' or 'cv'", p)
    if "sd" in t:
        sd = _number(t, "sd", p)
        _need(sd >= 0, f"must be >= 0, got {sd:g}", f"{p}.sd")
    else:
        cv = _number(t, "cv", p)
        _need(cv >= 0, f"must be >= 0, got {cv:g}", f"{p}.cv")
        sd = cv * mean
    return TruncatedNormal(mean, sd)


def _mean_cv(t: Mapping[str, Any], p: str) -> tuple[float, float]:
    mean = _number(t, "mean", p)
    _need(mean > 0, f"must be > 0, got {mean:g}", f"{p}.mean")
    cv = _number(t, "cv", p)
    _need(cv >= 0, f"must be >= 0, got {cv:g}", f"{p}.cv")
    return mean, cv


def _lognormal(t: Mapping[str, Any], p: str) -> Distribution:
    mean, cv = _mean_cv(t, p)
    return Fixed(mean) if cv == 0 else Lognormal(mean, cv)


def _gamma(t: Mapping[str, Any], p: str) -> Distribution:
    mean, cv = _mean_cv(t, p)
    return Fixed(mean) if cv == 0 else Gamma(mean, cv)


def _exponential(t: Mapping[str, Any], p: str) -> Distribution:
    mean = _number(t, "mean", p)
    _need(mean > 0, f"must be > 0, got {mean:g}", f"{p}.mean")
    return Exponential(mean)


def _numbers(t: Mapping[str, Any], key: str, p: str) -> tuple[float, ...]:
    raw = t.get(key)
    if not isinstance(raw, list) or not raw:
        raise ScenarioError("must be a non-empty array of numbers", f"{p}.{key}")
    out = []
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ScenarioError(f"must be a finite number, got {v!r}", f"{p}.{key}[{i}]")
        _need(v >= 0, f"must be >= 0, got {v:g}", f"{p}.{key}[{i}]")
        out.append(_bounded(v, f"{p}.{key}[{i}]"))
    return tuple(out)


def _empirical(t: Mapping[str, Any], p: str) -> Distribution:
    values = _numbers(t, "values", p)
    weights = _numbers(t, "weights", p) if "weights" in t else tuple(1.0 for _ in values)
    _need(
        len(weights) == len(values),
        f"'weights' has {len(weights)} entries but 'values' has {len(values)}",
        p,
    )
    _need(sum(weights) > 0, "weights must not all be zero", f"{p}.weights")
    return Empirical(values, weights)


_PARSERS: dict[str, tuple[Callable[[Mapping[str, Any], str], Distribution], frozenset[str]]] = {
    "fixed": (_fixed, frozenset({"value"})),
    "uniform": (_uniform, frozenset({"min", "max"})),
    "triangular": (_triangular, frozenset({"min", "mode", "max"})),
    "normal": (_normal, frozenset({"mean", "sd", "cv"})),
    "lognormal": (_lognormal, frozenset({"mean", "cv"})),
    "gamma": (_gamma, frozenset({"mean", "cv"})),
    "exponential": (_exponential, frozenset({"mean"})),
    "empirical": (_empirical, frozenset({"values", "weights"})),
}

DISTRIBUTION_NAMES = tuple(_PARSERS)


def parse_distribution(value: Any, path: str) -> Distribution:
    """Turn a scenario value (number or ``{dist = ...}`` table) into a Distribution.

    Raises ScenarioError naming ``path`` for anything malformed.
    """
    from sim.model.suggest import unknown_key_message  # local: avoids a cycle at import time

    if isinstance(value, bool):
        raise ScenarioError("must be a number or a distribution table, got a boolean", path)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ScenarioError(f"must be a finite number, got {value}", path)
        if value < 0:
            raise ScenarioError(f"must be >= 0, got {value:g}", path)
        return Fixed(_bounded(value, path))
    if not isinstance(value, Mapping):
        raise ScenarioError(
            f"must be a number or a distribution table like "
            f'{{ dist = "lognormal", mean = 1.5, cv = 0.4 }}, got {kind_of(value)}',
            path,
        )
    kind = value.get("dist")
    if not isinstance(kind, str):
        raise ScenarioError(
            f"a distribution table needs 'dist', one of: {', '.join(DISTRIBUTION_NAMES)}", path
        )
    if kind not in _PARSERS:
        raise ScenarioError(
            unknown_key_message(kind, DISTRIBUTION_NAMES, what="distribution"), f"{path}.dist"
        )
    parser, allowed = _PARSERS[kind]
    for key in value:
        if key != "dist" and key not in allowed and key not in DOC_KEYS:
            raise ScenarioError(
                unknown_key_message(key, sorted(allowed | DOC_KEYS), what=f"{kind} parameter"),
                f"{path}.{key}",
            )
    return parser(value, path)
