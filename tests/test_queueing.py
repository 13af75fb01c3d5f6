"""A single capacity-limited node against queueing theory: M/M/1 and M/D/1.

Each container is its own truck (a when-full service for one container), so trucks reach
node q as a Poisson process of rate lam and queue there for one server with handling rate mu.
Theory for the mean wait in queue: M/M/1 Wq = rho / (mu - lam); M/D/1 (Pollaczek-Khinchine
with zero service variance) Wq = rho / (2 mu (1 - rho)); utilization rho = lam / mu in both.

R independent replications give R per-replication mean waits; their 99.9% t-interval must
contain the theoretical value (99.9%, so that a reseed does not make the suite flake), and
must be narrow (half-width < 15% of the value) so that a wrong model, e.g. a second server,
a missing queue or a service rate 10% off, cannot pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios_for_tests import SINGLE_QUEUE, build, entry
from sim.engine.replications import run_experiment
from intervals import assert_contains, interval
from sim.analysis.statistics import mean_ci95, node_stats, t_quantile_975
from sim.analysis.summary import summary_document as summarize

LAM = 13.0  # trucks a day
MU = 20.0  # handled a day: mean handling 1.2 h
RHO = LAM / MU  # 0.65
R = 20


def queue_scenario(handling):
    def edit(doc: dict) -> None:
        entry(doc, "nodes", "q")["handling_hours"] = {"truck": handling}
        entry(doc, "routes", "r")["demand"]["teu_per_year"] = LAM * 365 * 2  # 2-TEU containers

    return build(SINGLE_QUEUE, edit)


@pytest.mark.parametrize(
    "model, handling, wq",
    [
        ("M/M/1", {"dist": "exponential", "mean": 24 / MU}, RHO / (MU - LAM)),
        ("M/D/1", 24 / MU, RHO / (2 * MU * (1 - RHO))),
    ],
)
def test_single_server_node_matches_queueing_theory(model, handling, wq) -> None:
    scenario = queue_scenario(handling)
    s = scenario.settings
    results = run_experiment(scenario, replications=R, seed=2024)
    stats = [node_stats(r.nodes["q"], s.warmup_days, s.horizon_days) for r in results]

    # Every truck carries one container and arrives the moment the container is created.
    for r in results:
        log = r.nodes["q"]
        assert (log.containers == 1).all()
        np.testing.assert_allclose(log.arrive, r.ledgers["r"].created[: log.arrive.size], rtol=0, atol=1e-9)
        assert (np.diff(log.start) >= 0).all() and (log.start[1:] >= log.end[:-1] - 1e-12).all()  # one server, FIFO

    waits = [st.mean_wait_days for st in stats]
    assert_contains(waits, wq, f"{model} Wq", 0.15)
    utils = [st.utilization for st in stats]
    assert_contains(utils, RHO, f"{model} rho", 0.03 / RHO)

    # Secondary checks, on the same 99.9% intervals (about 3.9 standard errors).
    handling_mean, half_h = interval([st.mean_handling_days for st in stats])
    assert abs(handling_mean - 1 / MU) <= half_h + 1e-12
    visits, half_v = interval([st.visits / (s.horizon_days - s.warmup_days) for st in stats])
    assert abs(visits - LAM) <= half_v  # lam arrivals a day in the window

    # summarize() reports the same figures with its own 95% intervals, computed by hand here
    # (a consistency check: whether a 95% interval holds the theory is left to chance).
    node = summarize(scenario, results)["nodes"]["q"]
    for key, values in (("mean_wait_days", waits), ("utilization", utils)):
        x = np.asarray(values)
        half95 = t_quantile_975(R - 1) * float(x.std(ddof=1)) / math.sqrt(R)
        assert node[key] == pytest.approx(float(x.mean()), rel=1e-12), key
        assert node[f"{key}_ci95"] == pytest.approx([x.mean() - half95, x.mean() + half95], rel=1e-6), key
    assert node["servers"] == 1


def test_mean_ci95_by_hand() -> None:
    # 1, 2, 3, 4: mean 2.5, sd sqrt(5/3), t(3) = 3.182446, half = t * sd / 2.
    mean, lo, hi = mean_ci95([1.0, 2.0, 3.0, 4.0])
    half = 3.182446 * math.sqrt(5 / 3) / 2
    assert (mean, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half), rel=1e-6)
    assert mean_ci95([7.0]) == (7.0, None, None)
    m, lo, hi = mean_ci95([1.0, float("nan"), 3.0])  # non-finite values are left out
    assert m == 2.0 and lo == pytest.approx(2.0 - 12.706205) and hi == pytest.approx(2.0 + 12.706205)


def test_t_quantiles_match_tables() -> None:
    # Student t 97.5% quantiles from standard tables; above 30 df the Cornish-Fisher expansion.
    from sim.analysis.statistics import t_quantile_975

    for df, table in [(1, 12.7062), (4, 2.7764), (19, 2.0930), (30, 2.0423), (40, 2.0211), (60, 2.0003), (120, 1.9799)]:
        assert t_quantile_975(df) == pytest.approx(table, abs=6e-5)
