"""Nodes against queueing theory: M/M/1, M/M/c (Erlang C), M/D/1, and a Jackson tandem.

Mean wait in queue, time-average queue length and utilization, each a 99.9% interval over
independent replications that must contain the theoretical value and be narrow: the
bounds are about 1.5 times the half-widths these replications give, and a service rate
10% off moves every one of these values by more than its bound.
"""

from __future__ import annotations

import pytest

from sim.engine.replications import run_experiment
from sim.analysis.series import node_days
from sim.analysis.statistics import node_stats
from verification_models import assert_contains, erlang_c_wait, md1_wait, queue_model, scenario_file

R = 32  # replications of a node model
TANDEM_R = 48  # the tandem's second node runs at 77%: its waits vary more


@pytest.mark.parametrize(
    "model, lam, mu, servers, handling",
    [
        ("M/M/1", 13.0, 20.0, 1, '{ dist = "exponential", mean = 1.2 }'),
        ("M/M/3", 36.0, 15.0, 3, '{ dist = "exponential", mean = 1.6 }'),
        ("M/D/1", 13.0, 20.0, 1, "1.2"),
    ],
)
def test_node_matches_theory(tmp_path, model, lam, mu, servers, handling):
    scenario = scenario_file(tmp_path, queue_model(lam, handling, servers))
    s = scenario.settings
    results = run_experiment(scenario, R, seed=2026)
    wq = md1_wait(lam, mu) if model == "M/D/1" else erlang_c_wait(lam, mu, servers)
    stats = [node_stats(r.nodes["q"], s.warmup_days, s.horizon_days) for r in results]
    days = [node_days(r.nodes["q"], s.calendar, s.horizon_days) for r in results]
    assert_contains([st.mean_wait_days for st in stats], wq, f"{model} Wq", 0.15)
    # Queue length measured on its own (time average of vehicles waiting), against L = lam Wq.
    assert_contains([float(d.queue.mean()) for d in days], lam * wq, f"{model} Lq", 0.15)
    assert_contains([st.utilization for st in stats], lam / (servers * mu), f"{model} rho", 0.02)


TANDEM = """\
[run]
name = "tandem"
horizon_days = 300
warmup_days = 20
cooldown_days = 10

[[nodes]]
id = "q1"
servers = 1
handling_hours = {{ truck = {{ dist = "exponential", mean = {h1} }} }}

[[nodes]]
id = "q2"
servers = 1
handling_hours = {{ truck = {{ dist = "exponential", mean = {h2} }} }}

[[nodes]]
id = "sink"

[[legs]]
id = "l1"
from = "q1"
to = "q2"
mode = "road"
distance_km = 100
duration_days = 0.5

[[legs]]
id = "l2"
from = "q2"
to = "sink"
mode = "road"
distance_km = 100
duration_days = 0.5

[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 2
schedule = {{ when_full = true }}

[[routes]]
id = "r"
path = ["q1", "q2", "sink"]
services = "truck"
[routes.demand]
teu_per_year = {teu}
container_teu = 2
arrivals = "poisson"
"""


def test_jackson_tandem_of_two_mm1_nodes(tmp_path):
    """Poisson trucks through two M/M/1 nodes: sojourn 1/(mu1 - lam) + 1/(mu2 - lam) (Burke)."""
    lam, mu1, mu2 = 10.0, 16.0, 13.0
    text = TANDEM.format(h1=24 / mu1, h2=24 / mu2, teu=lam * 365 * 2)
    scenario = scenario_file(tmp_path, text)
    s = scenario.settings
    results = run_experiment(scenario, TANDEM_R, seed=7)
    theory = 1 / (mu1 - lam) + 1 / (mu2 - lam)
    sojourn = []
    for r in results:
        ledger = r.ledgers["r"]
        counted = (ledger.created >= s.warmup_days) & (ledger.created < s.horizon_days)
        sojourn.append(float((ledger.delivered[counted] - ledger.created[counted]).mean()) - 1.0)  # minus two legs
    assert_contains(sojourn, theory, "tandem sojourn", 0.08)
    # Each node on its own is M/M/1 with the same arrival rate.
    for node, mu in (("q1", mu1), ("q2", mu2)):
        waits = [node_stats(r.nodes[node], s.warmup_days, s.horizon_days).mean_wait_days for r in results]
        assert_contains(waits, lam / mu / (mu - lam), f"{node} Wq", 0.15)
