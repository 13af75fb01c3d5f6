"""Properties that hold for every valid scenario, checked on random ones (hypothesis).

Scenarios are drawn as TOML documents — a chain of nodes, some capacity-limited, legs with
fixed or random times, timetabled or depart-when-full services, one or two routes — and
go through the same loader as users' files.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.simulation import run_replication
from sim.model.loader import build_scenario
from sim.analysis.statistics import node_stats, route_counts

HANDLING = st.one_of(
    st.floats(0.5, 12).map(lambda h: round(h, 3)),
    st.floats(0.5, 12).map(lambda m: {"dist": "exponential", "mean": round(m, 3)}),
    st.tuples(st.floats(0.5, 4), st.floats(4.5, 8), st.floats(8.5, 16)).map(
        lambda t: {"dist": "triangular", "min": round(t[0], 3), "mode": round(t[1], 3), "max": round(t[2], 3)}
    ),
)
DURATION = st.one_of(
    st.floats(0.2, 5).map(lambda d: round(d, 3)),
    st.floats(0.2, 5).map(lambda m: {"dist": "lognormal", "mean": round(m, 3), "cv": 0.3}),
)
SCHEDULE = st.one_of(
    st.integers(1, 14).map(lambda n: {"departures_per_week": n}),
    st.just({"when_full": True}),
    st.floats(0.2, 4).map(lambda w: {"when_full": True, "max_wait_days": round(w, 3)}),
)


@st.composite
def scenarios(draw) -> dict:
    """A random valid scenario document: a chain of 2-4 nodes and 1-2 routes along it."""
    n = draw(st.integers(2, 4))
    nodes = []
    for i in range(n):
        node = {"id": f"n{i}", "handling_hours": {"train": draw(HANDLING)}}
        servers = draw(st.one_of(st.none(), st.integers(1, 3)))
        if servers is not None:
            node["servers"] = servers
        nodes.append(node)
    legs = [
        {"id": f"l{i}", "from": f"n{i}", "to": f"n{i + 1}", "mode": "rail", "distance_km": 500,
         "duration_days": draw(DURATION)}
        for i in range(n - 1)
    ]
    routes, services = [], []
    for k in range(draw(st.integers(1, 2))):
        start = draw(st.integers(0, n - 2))
        stop = draw(st.integers(start + 1, n - 1))
        services.append({"id": f"s{k}", "vehicle": "train", "capacity_teu": draw(st.integers(2, 60)) * 2,
                         "schedule": draw(SCHEDULE)})
        routes.append({
            "id": f"r{k}", "path": [f"n{i}" for i in range(start, stop + 1)], "services": f"s{k}",
            "demand": {"teu_per_year": draw(st.integers(200, 8000)), "container_teu": 2,
                       "arrivals": draw(st.sampled_from(["poisson", "even"]))},
        })
    run = {"name": "random", "horizon_days": 60, "warmup_days": 10, "cooldown_days": 40, "replications": 1}
    return {"run": run, "nodes": nodes, "legs": legs, "services": services, "routes": routes}


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(doc=scenarios(), seed=st.integers(0, 2**32))
def test_conservation_order_and_fifo(doc, seed):
    scenario = build_scenario(doc, source="<hypothesis>")
    s = scenario.settings
    r = run_replication(scenario, seed, 0)
    for rid, ledger in r.ledgers.items():
        c = route_counts(ledger, s.warmup_days, s.horizon_days)
        assert c.created == c.delivered + c.in_transit + c.waiting  # conservation at the horizon
        departed = ~np.isnan(ledger.departed)
        delivered = ~np.isnan(ledger.delivered)
        assert (delivered <= departed).all()  # nothing arrives that never left
        assert (ledger.departed[departed] >= ledger.created[departed]).all()
        assert (ledger.delivered[delivered] >= ledger.departed[delivered]).all()
        assert (np.diff(ledger.created) >= 0).all()
        # Containers leave their origin in the order they arrived (FIFO loading).
        assert (np.diff(ledger.departed[departed]) >= 0).all()
    for nid, log in r.nodes.items():
        assert (log.start >= log.arrive).all() and (log.end >= log.start).all()  # no negative duration
        if log.servers:
            h = log.handled
            order = np.argsort(log.arrive[h], kind="stable")
            assert (np.diff(log.start[h][order]) >= -1e-12).all(), nid  # first come, first served


@FAST
@given(doc=scenarios(), seed=st.integers(0, 2**32))
def test_same_seed_same_results(doc, seed):
    scenario = build_scenario(doc, source="<hypothesis>")
    a, b = run_replication(scenario, seed, 0), run_replication(scenario, seed, 0)
    for rid in a.ledgers:
        for name in ("created", "departed", "delivered"):
            np.testing.assert_array_equal(getattr(a.ledgers[rid], name), getattr(b.ledgers[rid], name))
    for nid in a.nodes:
        np.testing.assert_array_equal(a.nodes[nid].end, b.nodes[nid].end)


QUEUE = {
    "run": {"name": "q", "horizon_days": 80, "warmup_days": 5, "cooldown_days": 5},
    "legs": [{"id": "out", "from": "q", "to": "sink", "mode": "road", "distance_km": 50, "duration_days": 0.5}],
    "services": [{"id": "truck", "vehicle": "truck", "capacity_teu": 2, "schedule": {"when_full": True}}],
}


@settings(max_examples=30, deadline=None)
@given(
    servers=st.integers(1, 4),
    per_day=st.floats(2, 40),
    handling=st.floats(0.5, 6),
    exponential=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_more_servers_never_increase_the_mean_wait(servers, per_day, handling, exponential, seed):
    """Same seed (common random numbers: same arrivals, same handling draws in the same
    order): each vehicle's FCFS wait can only fall when a server is added."""

    def waits(c: int) -> float:
        h = {"dist": "exponential", "mean": handling} if exponential else handling
        doc = {
            **QUEUE,
            "nodes": [{"id": "q", "servers": c, "handling_hours": {"truck": h}}, {"id": "sink"}],
            "routes": [{"id": "r", "path": ["q", "sink"], "services": "truck",
                        "demand": {"teu_per_year": per_day * 365 * 2, "container_teu": 2, "arrivals": "poisson"}}],
        }
        scenario = build_scenario(doc, source="<hypothesis>")
        r = run_replication(scenario, seed, 0)
        return node_stats(r.nodes["q"], 5, 80).mean_wait_days

    assert waits(servers + 1) <= waits(servers) + 1e-12
