"""Time series behind the figures, checked against brute force and the replication records."""

from __future__ import annotations

import io

import numpy as np
import pytest

from scenarios_for_tests import NETWORK, build
from sim.engine.simulation import run_replication
from sim.model.calendar import Calendar
from sim.report.progress import ProgressBar, format_duration
from sim.analysis.series import occupancy_integral, marey_stops, node_days, route_km, route_weeks, window_edges


@pytest.fixture(scope="module")
def network():
    scenario = build(NETWORK)
    return scenario, run_replication(scenario, 5, 0)


def testoccupancy_integral_matches_a_fine_grid():
    rng = np.random.default_rng(3)
    begin = rng.uniform(0, 10, 40)
    end = begin + rng.exponential(1.5, 40)
    at = np.array([0.0, 2.5, 5.0, 7.25, 12.0])
    grid = np.linspace(-1, 12, 130_001)
    covered = ((grid[:, None] >= begin) & (grid[:, None] < end)).sum(axis=1)
    step = grid[1] - grid[0]
    brute = [covered[grid < t].sum() * step for t in at]
    assert np.allclose(occupancy_integral(begin, end, at), brute, atol=40 * step)


def test_window_edges_cover_the_window_with_a_short_last_bin():
    edges = window_edges(80.0, 7.0)
    assert edges[0] == 0 and edges[-1] == 80
    assert np.all(np.diff(edges)[:-1] == 7) and np.diff(edges)[-1] == 80 - 77


def test_weekly_flows_sum_to_the_ledger(network):
    scenario, result = network
    s = scenario.settings
    for rid in scenario.routes:
        w = route_weeks(result, rid, s.calendar, s.horizon_days)
        ledger = result.ledgers[rid]
        created = ((ledger.created >= s.warmup_days) & (ledger.created < s.horizon_days)).sum()
        delivered = ((ledger.delivered >= s.warmup_days) & (ledger.delivered < s.horizon_days)).sum()
        assert w.created.sum() == created
        assert w.delivered.sum() == delivered
        assert w.days.sum() == s.horizon_days - s.warmup_days


def test_daily_utilization_averages_to_the_node_statistic(network):
    scenario, result = network
    s = scenario.settings
    log = result.nodes["dostyk"]
    d = node_days(log, s.calendar, s.horizon_days)
    busy = np.clip(np.minimum(log.end, s.horizon_days) - np.maximum(log.start, s.warmup_days), 0, None).sum()
    assert np.mean(d.busy) == pytest.approx(busy / (s.horizon_days - s.warmup_days))
    h = log.handled
    wait = np.clip(np.minimum(log.start[h], s.horizon_days) - np.maximum(log.arrive[h], s.warmup_days), 0, None).sum()
    assert np.mean(d.queue) == pytest.approx(wait / (s.horizon_days - s.warmup_days))
    assert np.all(d.busy <= d.servers + 1e-9) and np.all(d.queue >= -1e-12)


def test_node_days_refuses_a_node_without_servers(network):
    scenario, result = network
    with pytest.raises(ValueError, match="servers"):
        node_days(result.nodes["duisburg"], Calendar(None, 20.0), 100)


def test_marey_stops_follow_each_trip_along_the_route(network):
    scenario, result = network
    route = scenario.routes["overland"]
    km = route_km(scenario, route)
    assert km == {"xian": 0.0, "dostyk": 3000.0, "duisburg": 5000.0}
    stops = marey_stops(scenario, result, "overland", (0.0, 14))
    assert stops
    trips: dict[int, list] = {}
    for stop in stops:
        trips.setdefault(stop.trip, []).append(stop)
        assert stop.depart >= stop.arrive
    for trip in trips.values():
        kms = [s.km for s in trip]
        assert kms == sorted(kms)
        assert [s.arrive for s in trip] == sorted(s.arrive for s in trip)
        assert len({s.segment for s in trip}) == 1
        assert min(s.arrive for s in trip) < 14
    # Trains run segment 0 (xian -> dostyk), trucks segment 1 (dostyk -> duisburg).
    segments = {s.segment: {t.node for t in trips[s.trip]} for s in stops}
    assert segments == {0: {"xian", "dostyk"}, 1: {"dostyk", "duisburg"}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_waits_a_second_then_shows_count_and_eta():
    out, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(4, out, label="run", clock=clock)
    clock.now = 0.5
    bar.advance()
    assert out.getvalue() == ""  # quick so far: nothing printed
    clock.now = 2.0
    bar.advance()
    assert out.getvalue().endswith("run [############------------] 2/4  ETA 0:02")
    clock.now = 4.0
    bar.advance()
    bar.advance()
    assert out.getvalue().endswith("4/4  done in 0:04\n")


def test_a_quick_run_prints_nothing():
    out, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(3, out, clock=clock)
    for _ in range(3):
        clock.now += 0.2
        bar.advance()
    assert out.getvalue() == ""


def test_durations_read_as_clock_times():
    assert format_duration(7) == "0:07"
    assert format_duration(65) == "1:05"
    assert format_duration(3 * 3600 + 5 * 60 + 9) == "3:05:09"


def test_sorted_histogram_and_histogram_count_as_numpy_histogram_does() -> None:
    from sim.analysis.series import histogram, sorted_histogram

    rng = np.random.default_rng(11)
    for _ in range(300):
        values = np.round(rng.uniform(-5, 50, rng.integers(0, 400)), 1)  # ties on the edges
        edges = np.unique(np.round(rng.uniform(-2, 45, rng.integers(2, 12)), 1))
        if edges.size < 2:
            continue
        expected = np.histogram(values, bins=edges)[0]
        assert np.array_equal(histogram(values, edges), expected)  # in any order
        assert np.array_equal(sorted_histogram(np.sort(values), edges), expected)
