"""Deterministic corridors: every container's timestamps computed by hand.

All scenarios create container k (k = 0, 1, ...) at day k + 0.5 (even arrivals, one a day);
see tests/scenarios_for_tests.py for each network.  With fixed times nothing is random, so
every delivered container's departure and delivery time is checked exactly (to rounding).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scenarios_for_tests import (
    ROLLOVER,
    TRANSFER_CORRIDOR,
    WHEN_FULL_ORIGIN,
    WHEN_FULL_TRANSFER,
    build,
    entry,
    write,
)
from sim.engine.simulation import run_replication
from sim.model.loader import load_scenario
from sim.analysis.statistics import node_stats, route_counts

TOL = 1e-9


def next_at_or_after(t: float, first: float, headway: float) -> float:
    """The first departure first + j*headway (j >= 0) not earlier than t."""
    return first + headway * max(0, math.ceil((t - first) / headway - 1e-12))


def check_ledger(ledger, expected_departed, expected_delivered, end_time: float) -> int:
    """Compare every container's timestamps with the hand-computed ones; NaN where the run
    ended first.  Returns the number of containers delivered."""
    k = np.arange(ledger.created.size)
    np.testing.assert_allclose(ledger.created, k + 0.5, rtol=0, atol=TOL)
    dep = np.array([expected_departed(i) for i in k])
    dlv = np.array([expected_delivered(i) for i in k])
    departs = dep < end_time
    arrives = dlv < end_time
    assert np.array_equal(~np.isnan(ledger.departed), departs)
    assert np.array_equal(~np.isnan(ledger.delivered), arrives)
    np.testing.assert_allclose(ledger.departed[departs], dep[departs], rtol=0, atol=TOL)
    np.testing.assert_allclose(ledger.delivered[arrives], dlv[arrives], rtol=0, atol=TOL)
    return int(arrives.sum())


# ---------------------------------------------------------------------------------------
# Train, transfer, ship


TRAIN_FIRST, TRAIN_HEADWAY = 1.0, 2.0  # departures_per_week = 3.5, offset_days = 1
A_TRAIN, AB, B_TRAIN = 12 / 24, 1000 / 500, 6 / 24  # handling, leg, handling (days)
B_SHIP, BC, C_SHIP = 1.0, (1000 * 1.852) / (12.5 * 1.852 * 24), 0.5  # nm / (knots * 24 h)


def transfer_departed(k: int) -> float:
    return next_at_or_after(k + 0.5, TRAIN_FIRST, TRAIN_HEADWAY)


def transfer_delivered(k: int) -> float:
    at_b = transfer_departed(k) + A_TRAIN + AB + B_TRAIN
    ship = next_at_or_after(at_b, 0.0, 3.5)  # departure_days = [0, 3.5] of every week
    return ship + B_SHIP + BC + C_SHIP


def test_transfer_corridor_by_hand(tmp_path: Path) -> None:
    scenario = load_scenario(str(write(tmp_path, TRANSFER_CORRIDOR)))
    assert BC == pytest.approx(10 / 3)
    # Spot checks written out: container 0 (day 0.5) takes the train at 1, is at b at 3.75,
    # waits for the ship at 7 and arrives at 7 + 1 + 10/3 + 0.5; container 3 (day 3.5)
    # takes the train at 5, is at b at 7.75 and misses that ship: the next leaves at 10.5.
    assert transfer_delivered(0) == pytest.approx(7 + 1 + 10 / 3 + 0.5)
    assert transfer_delivered(3) == pytest.approx(10.5 + 1 + 10 / 3 + 0.5)

    result = run_replication(scenario, seed=1, replication=0)
    ledger = result.ledgers["r"]
    assert ledger.created.size == 50  # one a day over horizon + cool-down
    delivered = check_ledger(ledger, transfer_departed, transfer_delivered, result.end_time)
    # Container 38 (train 39, at b 41.75, ship 42) arrives at 46.83; container 39 (train 41,
    # at b 43.75, ship 45.5) would arrive at 50.33, after the run ends at 20 + 30.
    assert delivered == 39

    # Trips: trains on segment 0, ships on segment 1, each load the containers it carried.
    trips = result.trips["r"]
    trains = trips.segment == 0
    np.testing.assert_allclose(trips.depart[trains], TRAIN_FIRST + TRAIN_HEADWAY * np.arange(trains.sum()), atol=TOL)
    np.testing.assert_allclose(trips.arrive[trains] - trips.depart[trains], A_TRAIN + AB + B_TRAIN, atol=TOL)
    assert trips.containers[trains][0] == 1 and (trips.containers[trains][1:] == 2).all()
    ships = trips.segment == 1
    np.testing.assert_allclose(trips.arrive[ships] - trips.depart[ships], B_SHIP + BC + C_SHIP, atol=TOL)
    assert trips.containers[ships].sum() == delivered
    # Ships leave only at 0 or 3.5 of a week, and none leaves empty (day 0 has no cargo yet).
    np.testing.assert_allclose(np.mod(trips.depart[ships], 3.5), 0.0, atol=TOL)
    assert trips.depart[ships].min() == pytest.approx(7.0)

    # Node b handles both vehicle kinds: the train's 6 h and the ship's 24 h.
    b = result.nodes["b"]
    names = [result.vehicle_names[v] for v in b.vehicle]
    handling = dict(zip(names, b.end - b.start))
    assert handling["train"] == pytest.approx(B_TRAIN) and handling["ship"] == pytest.approx(B_SHIP)
    assert (b.start == b.arrive).all()  # no server limit: nobody queues


# ---------------------------------------------------------------------------------------
# Capacity-limited departures: rollover in FIFO order


# Trains at 0.25 + 3.5 j carry 2 containers; the one at 0.25 finds nothing and is cancelled.
# At 3.75 containers 0..3 wait and 0, 1 leave; at 7.25 containers 2..6 wait and 2, 3 leave ...
# so container k always leaves on train k // 2 + 1: at 3.75 + 3.5 * (k // 2).
def rollover_departed(k: int) -> float:
    return 3.75 + 3.5 * (k // 2)


def rollover_delivered(k: int) -> float:
    return rollover_departed(k) + 0.5 + 2.0 + 0.25


def test_capacity_limited_departures_roll_over_in_fifo_order() -> None:
    scenario = build(ROLLOVER)
    assert scenario.service_capacity(scenario.routes["r"], "train") == 2
    result = run_replication(scenario, seed=3, replication=0)
    ledger = result.ledgers["r"]
    check_ledger(ledger, rollover_departed, rollover_delivered, result.end_time)
    # FIFO: departure times never decrease with creation order.
    departed = ledger.departed[~np.isnan(ledger.departed)]
    assert (np.diff(departed) >= 0).all()

    trips = result.trips["r"]
    assert (trips.containers == 2).all()
    np.testing.assert_allclose(trips.depart, 3.75 + 3.5 * np.arange(trips.depart.size), atol=TOL)

    # At the horizon (day 30) of the cohort k = 0..29: k <= 13 delivered (train at 24.75
    # arrives 27.5), k = 14, 15 on the train of 28.25, the other 14 still waiting.
    counts = route_counts(ledger, 0.0, 30.0)
    assert (counts.created, counts.delivered, counts.in_transit, counts.waiting) == (30, 14, 2, 14)
    transits = [rollover_delivered(k) - (k + 0.5) for k in range(30)]
    assert counts.mean_transit == pytest.approx(np.mean(transits))
    waits = [rollover_departed(k) - (k + 0.5) for k in range(30)]
    assert counts.mean_wait_departure == pytest.approx(np.mean(waits))


def test_vehicles_queue_fifo_for_a_node_with_one_server() -> None:
    """Trains reach b every 3.5 days but take 4 days to handle there: each waits 0.5 d more."""

    def one_slow_server(doc: dict) -> None:
        entry(doc, "nodes", "b").update(servers=1, handling_hours={"train": 96})

    result = run_replication(build(ROLLOVER, one_slow_server), seed=3, replication=0)
    # Train m (m = 0, 1, ...) leaves a at 3.75 + 3.5 m and reaches b at 6.25 + 3.5 m; it is
    # handled from 6.25 + 4 m (after train m - 1) to 10.25 + 4 m.
    b = result.nodes["b"]
    m = np.arange(b.arrive.size)
    np.testing.assert_allclose(b.arrive, 6.25 + 3.5 * m, atol=TOL)
    np.testing.assert_allclose(b.start, 6.25 + 4.0 * m, atol=TOL)
    np.testing.assert_allclose(b.end, 10.25 + 4.0 * m, atol=TOL)
    assert (b.containers == 2).all() and b.servers == 1

    ledger = result.ledgers["r"]
    check_ledger(ledger, rollover_departed, lambda k: 10.25 + 4.0 * (k // 2), result.end_time)

    # Over [0, 30]: 7 trains arrive (m = 0..6) waiting 0.5 m each; the server is busy from
    # 6.25 on; at most one train waits at a time.
    stats = node_stats(b, 0.0, 30.0)
    assert stats.visits == 7
    assert stats.mean_wait_days == pytest.approx(0.5 * np.mean(np.arange(7)))
    assert stats.mean_handling_days == pytest.approx(4.0)
    assert stats.utilization == pytest.approx((30 - 6.25) / 30)
    assert stats.max_queue == 1
    # Trains that finished handling in the window: ends 10.25, 14.25, ..., 26.25.
    assert stats.vehicles_through == 5 and stats.teu_through == pytest.approx(5 * 2 * 2)


# ---------------------------------------------------------------------------------------
# Depart when full, with a maximum wait


@pytest.mark.parametrize(
    "max_wait, departed",
    [
        # Full first: 3 containers gather at 3g + 0.5, 3g + 1.5, 3g + 2.5; max wait ends at 3g + 3.
        (2.5, lambda k: 3 * (k // 3) + 2.5),
        # Max wait first: the first container of a load waits 1.5 days, by then 2 are there.
        (1.5, lambda k: 2 * (k // 2) + 2.0),
        # No limit: always full.
        (None, lambda k: 3 * (k // 3) + 2.5),
    ],
)
def test_when_full_service_at_origin(max_wait, departed) -> None:
    def schedule(doc: dict) -> None:
        sched = entry(doc, "services", "truck")["schedule"]
        if max_wait is None:
            del sched["max_wait_days"]
        else:
            sched["max_wait_days"] = max_wait

    result = run_replication(build(WHEN_FULL_ORIGIN, schedule), seed=0, replication=0)
    ledger = result.ledgers["r"]
    delivered = check_ledger(ledger, departed, lambda k: departed(k) + 1.0, result.end_time)
    assert delivered >= 50
    loads = result.trips["r"].containers
    assert (loads == (2 if max_wait == 1.5 else 3)).all()


@pytest.mark.parametrize(
    "max_wait, delivered",
    [
        # Train j brings containers 7j..7j+6 to b at 9.25 + 7j: two full trucks leave at
        # once, the seventh container leaves alone one day later (max wait).
        (1.0, lambda k: 9.25 + 7 * (k // 7) + (1.0 if k % 7 == 6 else 0.0) + 1.0),
        # No limit: trucks leave whenever 3 wait, in FIFO order, so container k leaves with
        # container 3 (k // 3) + 2, the last of its load, when that one reaches b.
        (None, lambda k: 9.25 + 7 * ((3 * (k // 3) + 2) // 7) + 1.0),
    ],
)
def test_when_full_service_at_a_transfer(max_wait, delivered) -> None:
    def schedule(doc: dict) -> None:
        sched = entry(doc, "services", "truck")["schedule"]
        if max_wait is None:
            del sched["max_wait_days"]

    result = run_replication(build(WHEN_FULL_TRANSFER, schedule), seed=0, replication=0)
    ledger = result.ledgers["r"]
    train = lambda k: 7.25 + 7 * (k // 7)  # noqa: E731  weekly from 0.25; the first is empty
    n = check_ledger(ledger, train, delivered, result.end_time)
    assert n >= 60
    trips = result.trips["r"]
    trucks = trips.segment == 1
    assert (trips.containers[trips.segment == 0] == 7).all()
    expected_loads = {1, 3} if max_wait is not None else {3}
    assert set(trips.containers[trucks].tolist()) == expected_loads


def test_when_full_rule_holds_for_random_arrivals() -> None:
    """With Poisson arrivals each load leaves at min(arrival of its c-th container, arrival
    of its first + max wait), carrying all that wait then, up to capacity c."""

    def poisson(doc: dict) -> None:
        route = entry(doc, "routes", "r")
        route["demand"].update(arrivals="poisson", teu_per_year=2 * 365 * 2)  # 2 a day
        entry(doc, "services", "truck").update(capacity_teu=10)  # 5 containers
        doc["run"]["horizon_days"] = 200
        entry(doc, "services", "truck")["schedule"]["max_wait_days"] = 1.5

    scenario = build(WHEN_FULL_ORIGIN, poisson)
    result = run_replication(scenario, seed=7, replication=2)
    ledger = result.ledgers["r"]
    created, departed = ledger.created, ledger.departed
    cap, wait = 5, 1.5
    i, loads, full, timed_out = 0, [], 0, 0
    while i < created.size:
        first = created[i]
        full_at = created[i + cap - 1] if i + cap - 1 < created.size else math.inf
        due = min(full_at, first + wait)
        if due >= result.end_time:
            assert np.isnan(departed[i:]).all()
            break
        n = min(cap, int(np.searchsorted(created, due, side="right")) - i)
        np.testing.assert_allclose(departed[i : i + n], due, rtol=0, atol=TOL)
        loads.append(n)
        full += full_at <= first + wait
        timed_out += full_at > first + wait
        i += n
    assert result.trips["r"].containers[: len(loads) - 2].tolist() == loads[: len(loads) - 2]
    assert full > 20 and timed_out > 20  # both rules were exercised


# ---------------------------------------------------------------------------------------
# Units


def test_units_are_converted_to_days_and_km() -> None:
    scenario = build(TRANSFER_CORRIDOR)
    assert scenario.legs["bc"].distance_km == pytest.approx(1852.0)
    assert scenario.legs["bc"].speed_km_per_day.mean == pytest.approx(12.5 * 1.852 * 24)
    assert scenario.nodes["b"].handling["ship"].mean == pytest.approx(1.0)
    assert scenario.routes["r"].distance_km == pytest.approx(1000 + 1852.0)
    assert scenario.services["train"].schedule.headway_days == pytest.approx(2.0)
    assert scenario.routes["r"].mode == "multimodal"  # 1000 km rail vs 1852 km sea: < 90 %


def test_capacity_in_containers_tolerates_decimal_teu() -> None:
    def decimal(doc: dict) -> None:
        entry(doc, "routes", "r")["demand"]["container_teu"] = 2.2
        entry(doc, "services", "train")["capacity_teu"] = 6.6

    scenario = build(ROLLOVER, decimal)
    assert scenario.service_capacity(scenario.routes["r"], "train") == 3
