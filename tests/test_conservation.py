"""Conservation and reproducibility on a small stochastic network (tests/scenarios_for_tests.py
NETWORK): an overland route with a transfer from trains to when-full trucks through an
overloaded border, and a sea route whose weekly ship is too small, cut by the horizon while
many containers are on their way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

import numpy as np
import pytest

from scenarios_for_tests import NETWORK, ROLLOVER, build, entry
from sim.engine.simulation import ReplicationResult, run_replication
from sim.engine.replications import run_experiment
from sim.analysis.statistics import node_stats, route_counts
from sim.analysis.summary import summary_document as summarize

SEED = 5
REPS = 3


@pytest.fixture(scope="module")
def network():
    return build(NETWORK)


@pytest.fixture(scope="module")
def results(network):
    return [run_replication(network, SEED, i) for i in range(REPS)]


def by_time(times, weights=None) -> Counter:
    """Multiset of times (rounded to 1e-9 days) with optional weights."""
    out: Counter = Counter()
    for i, t in enumerate(np.asarray(times, dtype=np.float64)):
        out[round(float(t), 9)] += 1 if weights is None else int(weights[i])
    return out


def test_every_container_is_delivered_in_transit_or_waiting_at_the_horizon(network, results) -> None:
    s = network.settings
    w, h = s.warmup_days, s.horizon_days
    for r in results:
        for rid in network.routes:
            ledger = r.ledgers[rid]
            counts = route_counts(ledger, w, h)
            # Independently from the timestamps: the cohort is created in [warm-up, horizon).
            cohort = (ledger.created >= w) & (ledger.created < h)
            departed = cohort & (ledger.departed <= h)
            delivered = cohort & (ledger.delivered <= h)
            assert counts.created == cohort.sum() > 0
            assert counts.delivered == delivered.sum()
            assert counts.in_transit == (departed & ~delivered).sum()
            assert counts.waiting == (cohort & ~departed).sum()
            assert counts.created == counts.delivered + counts.in_transit + counts.waiting
            assert counts.delivered <= counts.created
            assert counts.undelivered_at_end == (cohort & np.isnan(ledger.delivered)).sum()
            # The scenario is built so the horizon catches containers on their way.
            assert counts.in_transit > 0, rid
        sea = route_counts(r.ledgers["sea"], w, h)
        assert sea.waiting > 0 and sea.undelivered_at_end > 0  # the ship is too small


def test_timestamps_are_in_order(network, results) -> None:
    for r in results:
        for rid in network.routes:
            ledger = r.ledgers[rid]
            assert (np.diff(ledger.created) >= 0).all()
            assert (ledger.created >= 0).all() and (ledger.created < r.end_time).all()
            went = ~np.isnan(ledger.departed)
            came = ~np.isnan(ledger.delivered)
            assert not (came & ~went).any(), "delivered without departing"
            assert (ledger.departed[went] >= ledger.created[went]).all(), "departed before created"
            assert (ledger.delivered[came] > ledger.departed[came]).all(), "delivered before departing"
            assert (ledger.delivered[came] <= r.end_time).all()
            # Departures from the origin are first in, first out: departure times never
            # decrease, and once a container is left behind so are all created after it.
            assert (np.diff(ledger.departed[went]) >= 0).all()
            if not went.all():
                assert not went[int(np.argmin(went)):].any()


def test_trip_loads_account_for_every_container_moved(network, results) -> None:
    for r in results:
        for rid, route in network.routes.items():
            ledger, trips = r.ledgers[rid], r.trips[rid]
            last = len(route.segments) - 1
            for k, seg in enumerate(route.segments):
                loads = trips.containers[trips.segment == k]
                assert (loads >= 1).all()
                assert (loads <= network.service_capacity(route, seg.service)).all()
            # Last segment: its finished trips carried exactly the delivered containers,
            # and each delivery time is a trip's arrival with that trip's load.
            final = trips.segment == last
            came = ~np.isnan(ledger.delivered)
            assert trips.containers[final].sum() == came.sum()
            assert by_time(ledger.delivered[came]) == by_time(trips.arrive[final], trips.containers[final])
            # First segment: each finished trip carried the containers that left at its
            # departure time; the rest that left are on trips still running at the end.
            first = trips.segment == 0
            went = ~np.isnan(ledger.departed)
            left = by_time(ledger.departed[went])
            finished = by_time(trips.depart[first], trips.containers[first])
            for t, n in finished.items():
                assert left[t] == n
            assert trips.containers[first].sum() <= went.sum()
            if last > 0:  # containers cannot leave a transfer that they never reached
                assert trips.containers[final].sum() <= trips.containers[first].sum()

        # The sea trip takes a fixed time (no queue: one ship a week, handled in 1 + 1.5 days):
        # what left and is not delivered must have left less than that before the end.
        sea = r.ledgers["sea"]
        voyage = 1.0 + 10000 / 15 / 24 + 1.5
        np.testing.assert_allclose(r.trips["sea"].arrive - r.trips["sea"].depart, voyage, atol=1e-9)
        afloat = ~np.isnan(sea.departed) & np.isnan(sea.delivered)
        assert afloat.any()
        assert (sea.departed[afloat] + voyage >= r.end_time - 1e-9).all()
        # The ship sails on day 2 of each week.
        went = ~np.isnan(sea.departed)
        np.testing.assert_allclose(np.mod(sea.departed[went], 7.0), 2.0, atol=1e-9)


def test_node_logs_are_consistent(network, results) -> None:
    for r in results:
        for nid, node in network.nodes.items():
            log = r.nodes[nid]
            assert (log.start >= log.arrive).all() and (log.end >= log.start).all()
            if node.servers is None:
                assert (log.start == log.arrive).all()
            else:  # never more vehicles in service than servers
                events = np.concatenate((log.start, log.end))
                steps = np.concatenate((np.ones(log.start.size), -np.ones(log.end.size)))
                order = np.lexsort((steps, events))
                assert np.cumsum(steps[order]).max() <= node.servers
            st = node_stats(log, network.settings.warmup_days, network.settings.horizon_days)
            if node.servers is not None:
                assert 0 < st.utilization <= 1
        # Every container through the border came on a train (gauge change) and left on a truck.
        dostyk = r.nodes["dostyk"]
        kinds = np.array(r.vehicle_names)[dostyk.vehicle]
        assert set(kinds) == {"train", "truck"}


# ---------------------------------------------------------------------------------------
# Reproducibility


def assert_same_result(a: ReplicationResult, b: ReplicationResult) -> None:
    assert (a.replication, a.seed, a.end_time, a.vehicle_names) == (b.replication, b.seed, b.end_time, b.vehicle_names)
    for group in ("ledgers", "nodes", "trips"):
        ga, gb = getattr(a, group), getattr(b, group)
        assert ga.keys() == gb.keys()
        for key in ga:
            for f in fields(ga[key]):
                x, y = getattr(ga[key], f.name), getattr(gb[key], f.name)
                if isinstance(x, np.ndarray):
                    assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (group, key, f.name)
                else:
                    assert x == y, (group, key, f.name)


def test_same_seed_gives_identical_arrays(network, results) -> None:
    again = run_replication(network, SEED, 1)
    assert_same_result(results[1], again)


def test_worker_count_does_not_change_results(network, results) -> None:
    serial = run_experiment(network, REPS, SEED, workers=1)
    parallel = run_experiment(network, REPS, SEED, workers=2)
    assert [r.replication for r in parallel] == list(range(REPS))
    for a, b, c in zip(serial, parallel, results):
        assert_same_result(a, b)
        assert_same_result(a, c)


def test_different_seeds_and_replications_differ(network, results) -> None:
    other_seed = run_replication(network, SEED + 1, 0)
    for rid in network.routes:
        a, b = results[0].ledgers[rid].created, other_seed.ledgers[rid].created
        assert a.size != b.size or not np.array_equal(a, b)
        c = results[1].ledgers[rid].created
        assert a.size != c.size or not np.array_equal(a, c)
    assert not np.array_equal(results[0].nodes["dostyk"].end[:50], other_seed.nodes["dostyk"].end[:50])


def test_routes_draw_from_their_own_streams(network, results) -> None:
    """Changing the sea route's demand leaves the overland route's random numbers alone."""
    busier = build(NETWORK, lambda doc: entry(doc, "routes", "sea")["demand"].update(teu_per_year=9000))
    other = run_replication(busier, SEED, 0)
    assert other.ledgers["sea"].created.size > results[0].ledgers["sea"].created.size
    for f in ("created", "departed", "delivered"):
        np.testing.assert_array_equal(getattr(other.ledgers["overland"], f), getattr(results[0].ledgers["overland"], f))


# ---------------------------------------------------------------------------------------
# Warm-up


def test_warmup_containers_are_not_counted() -> None:
    """ROLLOVER with a 10-day warm-up: containers k = 0..9 are simulated but not counted."""

    def warmup(doc: dict) -> None:
        doc["run"]["warmup_days"] = 10

    scenario = build(ROLLOVER, warmup)
    result = run_replication(scenario, 0, 0)
    ledger = result.ledgers["r"]
    assert ledger.created[0] == pytest.approx(0.5)  # warm-up containers are in the ledger
    counts = route_counts(ledger, 10.0, 30.0)
    # Cohort k = 10..29 (created 10.5 .. 29.5); k <= 13 delivered by 30, k = 14, 15 in transit.
    assert (counts.created, counts.delivered, counts.in_transit, counts.waiting) == (20, 4, 2, 14)
    # Container k leaves at 3.75 + 3.5 (k // 2) and arrives 2.75 days later (see test_corridor):
    # the backlog grows, so counting warm-up containers would lower the mean.
    transit = lambda k: 3.75 + 3.5 * (k // 2) + 2.75 - (k + 0.5)  # noqa: E731
    assert counts.mean_transit == pytest.approx(np.mean([transit(k) for k in range(10, 30)]))
    assert counts.mean_transit != pytest.approx(np.mean([transit(k) for k in range(30)]))
    # Deliveries in the window [10, 30] count whatever their creation: trains m = 1..6
    # arrive at 6.5 + 3.5 m, carrying k = 2..13.
    assert counts.delivered_in_window == 12

    summary = summarize(scenario, [result])
    assert summary["routes"]["r"]["at_horizon_teu"]["created"]["mean"] == 40  # 20 x 2 TEU
    assert summary["routes"]["r"]["containers_counted"] == 20
    # Node a sees trains leave at 3.75 + 3.5 m; those before day 10 are not visits.
    stats = node_stats(result.nodes["a"], 10.0, 30.0)
    departures = 3.75 + 3.5 * np.arange(20)
    assert stats.visits == ((departures >= 10) & (departures < 30)).sum() == 6
