"""Little's law (L = lambda W) at every node and over the whole network of the bundled 2020
scenario, and invariants of its event log (every vehicle visit).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.simulation import run_replication
from sim.model.loader import load_scenario
from sim.analysis.series import occupancy_integral
from sim.analysis.summary import summary_document as summarize


@pytest.fixture(scope="module")
def run2020():
    scenario = load_scenario("china_europe_2020")
    return scenario, run_replication(scenario, 2020, 0)


def _time_average(begin: np.ndarray, end: np.ndarray, w0: float, w1: float) -> float:
    area = np.diff(occupancy_integral(begin, end, np.array([w0, w1])))[0]
    return float(area) / (w1 - w0)


def test_littles_law_at_every_node(run2020):
    scenario, r = run2020
    s = scenario.settings
    w0, w1 = s.warmup_days, s.horizon_days
    checked = 0
    for nid, log in r.nodes.items():
        h = log.handled
        if not h.any():
            continue
        arrive, end = log.arrive[h], log.end[h]
        inside = (arrive >= w0) & (arrive < w1)
        big_l = _time_average(arrive, end, w0, w1)
        lam = inside.sum() / (w1 - w0)
        w = float((end - arrive)[inside].mean())
        # The two sides differ only by the visits straddling the window's ends: at most
        # their whole sojourn, spread over the window.
        straddle = ((arrive < w0) & (end > w0)) | ((arrive < w1) & (end > w1))
        bound = float((end - arrive)[straddle].sum()) / (w1 - w0)
        assert abs(big_l - lam * w) <= bound + 1e-9, nid
        assert big_l == pytest.approx(lam * w, rel=0.03, abs=1e-3), nid
        checked += 1
    assert checked >= 30


def test_littles_law_for_the_whole_network(run2020):
    scenario, r = run2020
    s = scenario.settings
    w0, w1 = s.warmup_days, s.horizon_days
    begins, ends, inside_transit, arrivals = [], [], [], 0
    for ledger in r.ledgers.values():
        end = np.where(np.isnan(ledger.delivered), r.end_time, ledger.delivered)
        begins.append(ledger.created)
        ends.append(end)
        inside = (ledger.created >= w0) & (ledger.created < w1)
        arrivals += int(inside.sum())
        inside_transit.append((end - ledger.created)[inside])
    big_l = _time_average(np.concatenate(begins), np.concatenate(ends), w0, w1)
    lam = arrivals / (w1 - w0)
    w = float(np.concatenate(inside_transit).mean())
    # Boxes on their way at the window's ends: a few weeks of flow against a year, and the
    # December and January flows differ (seasonality), hence 2%.
    assert big_l == pytest.approx(lam * w, rel=0.02)


def test_every_visit_starts_after_it_arrives_and_ends_after_it_starts(run2020):
    _, r = run2020
    for nid, log in r.nodes.items():
        for name in ("arrive", "start", "end"):
            assert np.isfinite(getattr(log, name)).all(), (nid, name)
        assert (log.start >= log.arrive).all() and (log.end >= log.start).all(), nid
        passing = ~log.handled & ~log.rider  # a rider row ends when its vehicle's handling does
        assert (log.end[passing] == log.arrive[passing]).all(), nid  # passing through
        assert (log.start[log.rider] == log.end[log.rider]).all(), nid  # riders take no server time


def test_every_trip_visits_its_nodes_in_order_and_arrives(run2020):
    scenario, r = run2020
    visits: dict[int, list[tuple[float, float, str]]] = {}
    for nid, log in r.nodes.items():
        vehicles = ~log.rider  # a shared vehicle's other cargo rides on its row (NodeLog.rider)
        for trip, a, e in zip(log.trip[vehicles].tolist(), log.arrive[vehicles].tolist(), log.end[vehicles].tolist()):
            visits.setdefault(trip, []).append((a, e, nid))
    route_ids = list(scenario.routes)
    trips_logged = sum(t.depart.size for t in r.trips.values())
    assert trips_logged > 0
    finished = 0
    for rid, trips in r.trips.items():
        route = scenario.routes[rid]
        for seg_index in np.unique(trips.segment):
            length = len(route.segments[seg_index].nodes)
            assert length >= 2
    for trip, stops in visits.items():
        if trip < 0:  # vehicles without cargo: background traffic, a fleet's empties on their way back
            continue
        stops.sort()
        for (a1, e1, _), (a2, _, _) in zip(stops, stops[1:]):
            assert a2 >= e1 - 1e-9, trip  # no vehicle is at two nodes at once
        finished += 1
    assert finished >= trips_logged * 0.99  # every trip that ended left a trail of visits
    assert route_ids


def test_node_dwell_sums_to_the_summary(run2020):
    scenario, r = run2020
    s = scenario.settings
    summary = summarize(scenario, [r])
    w0, w1 = s.warmup_days, s.horizon_days
    for nid, log in r.nodes.items():
        node = summary["nodes"][nid]
        if not log.servers:
            continue
        busy = np.clip(np.minimum(log.end, w1) - np.maximum(log.start, w0), 0, None).sum()
        assert node["utilization"] == pytest.approx(busy / (log.servers * (w1 - w0)), rel=1e-12)
        arriving = log.handled & (log.arrive >= w0) & (log.arrive < w1)
        assert node["mean_wait_days"] == pytest.approx(float((log.start - log.arrive)[arriving].mean()), rel=1e-12)
