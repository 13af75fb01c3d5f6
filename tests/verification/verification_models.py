"""Scenario files and theory for the verification suite.

Every model is a TOML scenario written to disk and loaded the way users load theirs, so the
checks cover the loader as well as the engine.  Every check runs R independent replications
and asserts that the Student t 99.9% interval of the per-replication means contains the
theoretical value, and that the interval is narrow enough to catch a wrong model
(``intervals.assert_contains``: 99.9% so that a reseed does not make the suite flake).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.model.loader import load_scenario
from sim.model.scenario import Scenario

from intervals import assert_contains, interval  # noqa: F401  (the checks import them from here)


def scenario_file(directory: Path, text: str, name: str = "model.toml") -> Scenario:
    """Write a scenario file and load it through the public loader."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(str(path))


# ---------------------------------------------------------------------------------------
# Single node with c servers: trucks of one container each reach it as a Poisson process.


def queue_model(lam: float, handling_hours: str, servers: int, horizon: float = 300.0) -> str:
    """A node 'q' with ``servers`` servers fed by Poisson trucks at ``lam`` a day."""
    return f"""\
[run]
name = "queue"
horizon_days = {horizon}
warmup_days = 20
cooldown_days = 5

[[nodes]]
id = "q"
servers = {servers}
handling_hours = {{ truck = {handling_hours} }}

[[nodes]]
id = "sink"

[[legs]]
id = "out"
from = "q"
to = "sink"
mode = "road"
distance_km = 50
duration_days = 0.5

[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 2
schedule = {{ when_full = true }}

[[routes]]
id = "r"
path = ["q", "sink"]
services = "truck"
[routes.demand]
teu_per_year = {lam * 365 * 2}
container_teu = 2
arrivals = "poisson"
"""


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C): P(wait) / (c mu - lam)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def md1_wait(lam: float, mu: float) -> float:
    """Mean wait in queue of M/D/1 (Pollaczek–Khinchine with zero service variance)."""
    rho = lam / mu
    return rho / (2 * mu * (1 - rho))


# ---------------------------------------------------------------------------------------
# Dispatch rules


def rolled_over_fraction(per_cycle: float, capacity: int, support: int = 400) -> float:
    """Share of containers that miss the first departure after they arrive.

    Arrivals per cycle A ~ Poisson(per_cycle); a departure takes up to ``capacity``, the
    backlog B first (FIFO).  B' = max(0, B + A - C) is a Markov chain; a new arrival misses
    its departure when B + A > C, and min(A, B + A - C) of them do.  Stationary B by
    iterating the chain on a truncated support.
    """
    k = np.arange(support)
    log_p = k * math.log(per_cycle) - per_cycle - np.array([math.lgamma(i + 1) for i in k])
    p_a = np.exp(log_p)
    b = np.zeros(support)
    b[0] = 1.0
    for _ in range(20_000):
        total = np.convolve(b, p_a)[:support]
        nxt = np.zeros(support)
        nxt[0] = total[: capacity + 1].sum()
        nxt[1 : support - capacity] = total[capacity + 1 :]
        if np.abs(nxt - b).sum() < 1e-13:
            b = nxt
            break
        b = nxt
    bb, aa = np.meshgrid(k, k, indexing="ij")
    missed = np.minimum(aa, np.maximum(0, bb + aa - capacity))
    return float((b[:, None] * p_a[None, :] * missed).sum() / per_cycle)


def when_full_wait(lam: float, n: int, max_wait: float | None) -> float:
    """Mean wait for departure when a vehicle leaves with n containers or T after the first.

    A load starts with an arrival at 0; later arrivals are Poisson(lam); it leaves at
    D = min(S_{n-1}, T).  By renewal reward, mean wait = E[∫_0^D N(t) dt] / E[1 + K], with
    N(t) = 1 + M(t) containers waiting and K = min(n - 1, M(T)) later arrivals in the load:
    E[∫] = ∫_0^T Σ_{k<n-1} (1 + k) P(M(t) = k) dt.  Without T it is (n - 1) / (2 lam).
    """
    if max_wait is None:
        return (n - 1) / (2 * lam)
    t = np.linspace(0.0, max_wait, 200_001)
    k = np.arange(n - 1)
    log_fact = np.array([math.lgamma(i + 1) for i in k])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = k[None, :] * np.log(lam * t[:, None]) - lam * t[:, None] - log_fact[None, :]
    p = np.exp(log_p)
    p[0, :] = 0.0
    p[0, 0] = 1.0
    integrand = (p * (1 + k)[None, :]).sum(axis=1)
    area = float(np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(t)))
    # E[min(n - 1, M(T))] = (n - 1) - sum over c < n - 1 of (n - 1 - c) P(M(T) = c): exact.
    count = np.arange(n - 1)
    log_pt = count * math.log(lam * max_wait) - lam * max_wait - np.array([math.lgamma(i + 1) for i in count])
    expected_k = float((n - 1) - ((n - 1 - count) * np.exp(log_pt)).sum())
    return area / (1 + expected_k)
