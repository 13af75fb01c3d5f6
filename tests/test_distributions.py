"""Distributions: means and variances against textbook formulas, samples against both.

Sample checks use n = 400,000 draws and a tolerance of 5 standard errors: for the mean
sqrt(Var/n); for the variance sqrt((m4 - s^4)/n) with m4 the sample's fourth central moment
(the large-sample variance of the sample variance); for a probability sqrt(p(1-p)/n).
A correct implementation fails one such check with probability below 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    TruncatedNormal,
    Uniform,
    parse_distribution,
)
from sim.model.errors import ScenarioError

N = 400_000
Z = 5.0
_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy 2 renamed trapz


def Phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def phi(x: float) -> float:
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def truncnorm_moments(mu: float, sigma: float) -> tuple[float, float]:
    """Mean and variance of N(mu, sigma^2) conditioned on X >= 0 (Johnson & Kotz).

    With a = -mu/sigma and lam = phi(a) / (1 - Phi(a)) (the inverse Mills ratio):
    E = mu + sigma*lam and Var = sigma^2 * (1 + a*lam - lam^2).
    """
    a = -mu / sigma
    lam = phi(a) / (1.0 - Phi(a))
    return mu + sigma * lam, sigma**2 * (1.0 + a * lam - lam**2)


def numeric_moments(pdf, lo: float, hi: float, n: int = 400_001) -> tuple[float, float]:
    """Mean and variance of a density on [lo, hi] by the trapezoid rule (a second opinion)."""
    x = np.linspace(lo, hi, n)
    f = pdf(x)
    mass = _trapezoid(f, x)
    mean = _trapezoid(x * f, x) / mass
    var = _trapezoid((x - mean) ** 2 * f, x) / mass
    return float(mean), float(var)


# Each case: the scenario table, the class it must parse to, and the textbook mean and variance
# computed here from the parameters (not from the class).
TRI = (1.0, 2.0, 6.0)  # min, mode, max
TN = (1.0, 1.5)  # loc, sd: truncation at zero removes a quarter of the mass
EMP_VALUES, EMP_WEIGHTS = (1.0, 2.0, 5.0), (1.0, 1.0, 2.0)

CASES = {
    "fixed": ({"dist": "fixed", "value": 3.5}, Fixed, 3.5, 0.0),
    "uniform": ({"dist": "uniform", "min": 2.0, "max": 8.0}, Uniform, 5.0, 36.0 / 12.0),
    "triangular": (
        {"dist": "triangular", "min": TRI[0], "mode": TRI[1], "max": TRI[2]},
        Triangular,
        sum(TRI) / 3.0,
        # a=1, c=2, b=6: (a^2 + b^2 + c^2 - ab - ac - bc) / 18 = (1 + 36 + 4 - 6 - 2 - 12) / 18
        21.0 / 18.0,
    ),
    "normal": ({"dist": "normal", "mean": TN[0], "sd": TN[1]}, TruncatedNormal, *truncnorm_moments(*TN)),
    "normal_cv": ({"dist": "normal", "mean": 10.0, "cv": 0.2}, TruncatedNormal, *truncnorm_moments(10.0, 2.0)),
    "lognormal": ({"dist": "lognormal", "mean": 4.0, "cv": 0.5}, Lognormal, 4.0, (0.5 * 4.0) ** 2),
    "gamma": ({"dist": "gamma", "mean": 3.0, "cv": 0.5}, Gamma, 3.0, (0.5 * 3.0) ** 2),
    "exponential": ({"dist": "exponential", "mean": 2.5}, Exponential, 2.5, 2.5**2),
    "empirical": (
        {"dist": "empirical", "values": list(EMP_VALUES), "weights": list(EMP_WEIGHTS)},
        Empirical,
        # probabilities 1/4, 1/4, 1/2: mean 0.25 + 0.5 + 2.5; E[X^2] = 0.25 + 1 + 12.5
        3.25,
        13.75 - 3.25**2,
    ),
}


def draw(dist, seed: int = 12345) -> np.ndarray:
    return dist.sample(np.random.default_rng(seed), N)


def within(p_hat: float, p: float) -> bool:
    return abs(p_hat - p) <= Z * math.sqrt(p * (1 - p) / N)


@pytest.mark.parametrize("case", list(CASES))
def test_mean_and_variance_are_the_textbook_values(case: str) -> None:
    table, cls, mean, var = CASES[case]
    dist = parse_distribution(table, "x")
    assert type(dist) is cls
    assert dist.mean == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert dist.variance == pytest.approx(var, rel=1e-12, abs=1e-12)
    assert dist.std == pytest.approx(math.sqrt(var), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_large_sample_matches_mean_and_variance(case: str) -> None:
    table, _, mean, var = CASES[case]
    x = draw(parse_distribution(table, "x"))
    assert x.shape == (N,) and x.dtype == np.float64
    assert (x >= 0).all()
    if var == 0:
        assert (x == mean).all()
        return
    se_mean = math.sqrt(var / N)
    assert abs(x.mean() - mean) <= Z * se_mean, (x.mean(), mean, se_mean)
    s2 = x.var(ddof=1)
    m4 = float(np.mean((x - x.mean()) ** 4))
    se_var = math.sqrt((m4 - s2**2) / N)
    assert abs(s2 - var) <= Z * se_var, (s2, var, se_var)


def test_truncated_normal_formula_agrees_with_integration_and_shape() -> None:
    loc, sd = TN
    pdf = lambda x: np.exp(-0.5 * ((x - loc) / sd) ** 2)  # noqa: E731 (unnormalised)
    mean, var = numeric_moments(pdf, 0.0, loc + 12 * sd)
    dist = parse_distribution({"dist": "normal", "mean": loc, "sd": sd}, "x")
    assert dist.mean == pytest.approx(mean, rel=1e-7)
    assert dist.variance == pytest.approx(var, rel=1e-7)
    # Shape: P(X < loc | X >= 0) = (1/2 - Phi(-loc/sd)) / (1 - Phi(-loc/sd)).
    x = draw(dist)
    a = -loc / sd
    assert within(float((x < loc).mean()), (0.5 - Phi(a)) / (1 - Phi(a)))


def test_triangular_formula_agrees_with_integration_and_shape() -> None:
    a, c, b = TRI
    pdf = lambda x: np.where(x < c, (x - a) / (c - a), (b - x) / (b - c))  # noqa: E731
    mean, var = numeric_moments(pdf, a, b)
    dist = parse_distribution({"dist": "triangular", "min": a, "mode": c, "max": b}, "x")
    assert dist.mean == pytest.approx(mean, rel=1e-7)
    assert dist.variance == pytest.approx(var, rel=1e-6)
    x = draw(dist)
    assert a <= x.min() and x.max() <= b
    assert within(float((x <= c).mean()), (c - a) / (b - a))


def test_uniform_stays_in_its_range_and_is_flat() -> None:
    x = draw(parse_distribution({"dist": "uniform", "min": 2, "max": 8}, "x"))
    assert 2 <= x.min() and x.max() <= 8
    assert within(float((x <= 3.5).mean()), 0.25)


def test_lognormal_is_lognormal_with_the_given_mean_and_cv() -> None:
    m, cv = 4.0, 0.5
    x = draw(parse_distribution({"dist": "lognormal", "mean": m, "cv": cv}, "x"))
    s2 = math.log(1 + cv**2)  # log X ~ Normal(ln m - s2/2, s2)
    logs = np.log(x)
    assert abs(logs.mean() - (math.log(m) - s2 / 2)) <= Z * math.sqrt(s2 / N)
    assert abs(logs.var(ddof=1) - s2) <= Z * s2 * math.sqrt(2 / N)


def test_gamma_has_the_gamma_shape() -> None:
    # cv = 0.5 is shape k = 1/cv^2 = 4, scale mean/4; for integer k the CDF is Erlang's:
    # P(X <= mean) = 1 - exp(-4) * sum_{i<4} 4^i / i!  (a lognormal would give 0.593).
    x = draw(parse_distribution({"dist": "gamma", "mean": 3.0, "cv": 0.5}, "x"))
    p = 1 - math.exp(-4) * sum(4**i / math.factorial(i) for i in range(4))
    assert within(float((x <= 3.0).mean()), p)


def test_exponential_is_memoryless_shaped() -> None:
    x = draw(parse_distribution({"dist": "exponential", "mean": 2.5}, "x"))
    assert within(float((x > 2.5).mean()), math.exp(-1))
    assert within(float((x > 5.0).mean()), math.exp(-2))


def test_empirical_draws_each_value_with_its_weight() -> None:
    x = draw(parse_distribution({"dist": "empirical", "values": [1, 2, 5], "weights": [1, 1, 2]}, "x"))
    assert set(np.unique(x)) == {1.0, 2.0, 5.0}
    for value, p in ((1.0, 0.25), (2.0, 0.25), (5.0, 0.5)):
        assert within(float((x == value).mean()), p)
    # Without weights every value is equally likely.
    even = parse_distribution({"dist": "empirical", "values": [2, 4]}, "x")
    assert even.mean == 3.0 and even.variance == 1.0


@pytest.mark.parametrize("case", [c for c in CASES if c != "normal_cv"])
def test_scaled_is_the_distribution_of_factor_times_x(case: str) -> None:
    """Hours become days by scaling: mean by the factor, variance by its square."""
    table, cls, mean, var = CASES[case]
    dist = parse_distribution(table, "x").scaled(1 / 24)
    assert type(dist) is cls
    assert dist.mean == pytest.approx(mean / 24, rel=1e-12, abs=1e-15)
    assert dist.variance == pytest.approx(var / 576, rel=1e-12, abs=1e-15)
    if var:
        x = draw(dist)
        assert abs(x.mean() - mean / 24) <= Z * math.sqrt(var / 576 / N)


def test_normal_by_cv_uses_sd_equal_cv_times_mean() -> None:
    assert parse_distribution({"dist": "normal", "mean": 10, "cv": 0.2}, "x") == TruncatedNormal(10.0, 2.0)


@pytest.mark.parametrize("kind", ["lognormal", "gamma"])
def test_zero_cv_is_fixed(kind: str) -> None:
    assert parse_distribution({"dist": kind, "mean": 7, "cv": 0}, "x") == Fixed(7.0)


def test_bare_number_is_fixed() -> None:
    for value in (3, 3.5, 0):
        dist = parse_distribution(value, "x")
        assert dist == Fixed(float(value))
        assert dist.mean == value and dist.variance == 0
        assert (dist.sample(np.random.default_rng(0), 5) == value).all()


def test_doc_keys_are_allowed_in_a_distribution_table() -> None:
    dist = parse_distribution({"dist": "exponential", "mean": 2, "source": "a report", "note": "n"}, "x")
    assert dist == Exponential(2.0)


# ---------------------------------------------------------------------------------------
# Bad parameters: ScenarioError naming the key path and what is wrong


BAD = [
    # (value, path in the message, fragments of the message)
    ({"dist": "lognormal", "mean": 5, "cv": -0.1}, "h.cv", ["must be >= 0", "-0.1"]),
    ({"dist": "gamma", "mean": 5, "cv": -1}, "h.cv", ["must be >= 0"]),
    ({"dist": "normal", "mean": 5, "cv": -0.5}, "h.cv", ["must be >= 0"]),
    ({"dist": "normal", "mean": 5, "sd": -1}, "h.sd", ["must be >= 0"]),
    ({"dist": "triangular", "min": 5, "mode": 4, "max": 3}, "h", ["min (5) must not exceed max (3)"]),
    ({"dist": "triangular", "min": 1, "mode": 9, "max": 3}, "h", ["mode (9) must lie between min (1) and max (3)"]),
    ({"dist": "uniform", "min": 4, "max": 2}, "h", ["min (4) must not exceed max (2)"]),
    ({"dist": "uniform", "min": -1, "max": 2}, "h.min", ["must be >= 0"]),
    ({"dist": "lognormall", "mean": 5, "cv": 0.3}, "h.dist", ["unknown distribution 'lognormall'", "did you mean 'lognormal'"]),
    ({"dist": "gama", "mean": 5, "cv": 0.3}, "h.dist", ["did you mean 'gamma'"]),
    ({"dist": "uniform", "min": 1}, "h", ["missing required key 'max'"]),
    ({"dist": "exponential"}, "h", ["missing required key 'mean'"]),
    ({"mean": 5}, "h", ["needs 'dist'", "lognormal"]),
    ({"dist": "gamma", "mean": "5", "cv": 0.3}, "h.mean", ["must be a number, got a string"]),
    ({"dist": "gamma", "mean": 5, "cv": True}, "h.cv", ["must be a number, got a boolean"]),
    ({"dist": "lognormal", "mean": 5, "sd": 1}, "h.sd", ["unknown lognormal parameter 'sd'"]),
    ({"dist": "exponential", "mean": 0}, "h.mean", ["must be > 0, got 0"]),
    ({"dist": "normal", "mean": 5, "sd": 1, "cv": 0.2}, "h", ["exactly one of 'sd' or 'cv'"]),
    ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "h", ["'weights' has 1 entries but 'values' has 2"]),
    ({"dist": "empirical", "values": []}, "h.values", ["non-empty array"]),
    ({"dist": "empirical", "values": [1, "x"]}, "h.values[1]", ["must be a finite number"]),
    ({"dist": "empirical", "values": [1, 2], "weights": [0, 0]}, "h.weights", ["must not all be zero"]),
    ("six", "h", ["must be a number or a distribution table", "got a string"]),
    ([1, 2], "h", ["got an array"]),
    (True, "h", ["got a boolean"]),
    (-2, "h", ["must be >= 0, got -2"]),
    (float("nan"), "h", ["must be a finite number"]),
]


@pytest.mark.parametrize("value, path, fragments", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_parameters_raise_scenario_error_naming_the_path(value, path, fragments) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_distribution(value, "h")
    exc = info.value
    assert exc.key == path
    message = str(exc)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message, message
