"""Services shared by several routes: conservation, capacity, order and allocations, against
hand calculation.

LINE: a daily train a -> b -> c (a day to b, two days to c), 100 TEU, no handling; route
ac rides it all the way, ab gets off at b, bc gets on at b.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from scenarios_for_tests import build, entry, raw, write
from sim.cli import main
from sim.engine.loading import Waiting, board
from sim.engine.simulation import run_replication

LINE = """\
[run]
name = "line"
horizon_days = 300
warmup_days = 30
cooldown_days = 30

[[nodes]]
id = "a"
lon = 100
[[nodes]]
id = "b"
lon = 80
[[nodes]]
id = "c"
lon = 10

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 900
duration_days = 1

[[legs]]
id = "bc"
from = "b"
to = "c"
mode = "rail"
distance_km = 1800
duration_days = 2

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7 }

[[routes]]
id = "ac"
path = ["a", "b", "c"]
services = "train"
[routes.demand]
teu_per_year = 10950
arrivals = "even"

[[routes]]
id = "ab"
path = ["a", "b"]
services = "train"
[routes.demand]
teu_per_year = 7300
arrivals = "even"

[[routes]]
id = "bc"
path = ["b", "c"]
services = "train"
[routes.demand]
teu_per_year = 7300
arrivals = "even"
"""


def _line(edit=None):
    return build(LINE, edit)


def test_each_route_rides_the_next_train_that_calls_after_its_unit_is_ready() -> None:
    """With room for everyone, a unit created at c boards the first train to reach its call
    at or after c: trains leave a at 0, 1, 2, ... and reach b one day later; ac units arrive
    at c 3 days after their train left a, bc units 2 days after it reached b."""
    result = run_replication(_line(), 1, 0)
    for rid, call, ride in (("ac", 0.0, 3.0), ("ab", 0.0, 1.0), ("bc", 1.0, 2.0)):
        led = result.ledgers[rid]
        done = ~np.isnan(led.delivered)
        created = led.created[done]
        boards = np.ceil(created - call - 1e-9) + call  # the train's time at the unit's call
        assert led.delivered[done] == pytest.approx(boards + ride, abs=1e-9)
    log = result.loops["train"]
    # 30 + 20 TEU a day leave a, 20 get off at b and 20 get on: 50 TEU aboard on both legs.
    steady = log.depart > 5
    assert log.load[steady & (log.leg == 0)] == pytest.approx(50, abs=1)
    assert log.load[steady & (log.leg == 1)] == pytest.approx(50, abs=1)


def test_conservation_capacity_and_order_when_space_is_short() -> None:
    """Demand far above capacity: every unit loaded is unloaded, no leg over capacity, each
    route's units leave in the order they came, and the rest waits."""
    def edit(doc: dict) -> None:
        for r in doc["routes"]:
            r["demand"].update(teu_per_year=30000, arrivals="poisson")

    result = run_replication(_line(edit), 2, 0)
    log = result.loops["train"]
    assert (log.load + log.background <= log.capacity + 1e-9).all()
    assert log.load.max() == pytest.approx(100)
    for rid in ("ac", "ab", "bc"):
        led = result.ledgers[rid]
        trips = result.trips[rid]
        delivered = ~np.isnan(led.delivered)
        assert trips.containers.sum() == delivered.sum() + 0  # what is loaded is unloaded (no transfer)
        left = led.departed[~np.isnan(led.departed)]
        assert (np.diff(left) >= 0).all()  # FIFO within the route
        assert np.isnan(led.departed[~delivered & (led.created < 250)]).any()  # a backlog waits
    # Per departure: what boarded at a and at b is what got off at b and at c.
    calls = log.calls
    for trip in np.unique(calls[:, 0])[:50]:
        mine = calls[calls[:, 0] == trip]
        assert mine[:, 4].sum() <= 100 + 100


def test_allocations_are_honoured_when_space_is_short() -> None:
    """ac and ab both backlogged at a, ac with an allocation of 60%: each departure gives ac
    60 TEU and ab 40; bc, loading at b with 30% kept for it, gets its 30 (ac's cargo, still
    aboard at b, was held to 70)."""
    def edit(doc: dict) -> None:
        for r in doc["routes"]:
            r["demand"].update(teu_per_year=60000)
        entry(doc, "services", "train")["allocation"] = {"ac": 0.6, "bc": 0.3}

    scenario = _line(edit)
    run = sim.run(scenario, replications=2, seed=3)
    carried = run.summary.to_dict()["services"]["train"]["carried"]
    assert carried["ac"]["capacity_share"]["mean"] == pytest.approx(0.6, abs=0.01)
    assert carried["ab"]["capacity_share"]["mean"] == pytest.approx(0.4 - 0.0, abs=0.11)
    assert carried["bc"]["capacity_share"]["mean"] == pytest.approx(0.4, abs=0.11)
    # ac's 60 TEU ride on to c; at b bc takes the 40 ab leaves (its 30 kept, the rest first come).
    legs = run.summary.to_dict()["services"]["train"]["legs"]
    assert legs["ab"]["load_factor"]["mean"] == pytest.approx(1.0, abs=0.01)
    assert legs["bc"]["load_factor"]["mean"] == pytest.approx(1.0, abs=0.01)
    assert carried["ab"]["rolled_over"]["mean"] > 0.9


def test_an_allocation_at_a_later_call_is_kept_free() -> None:
    """Only ac loads at a (backlogged), bc has 30% at b: ac is held to 70 TEU per train."""
    def edit(doc: dict) -> None:
        doc["routes"] = [r for r in doc["routes"] if r["id"] != "ab"]
        entry(doc, "routes", "ac")["demand"]["teu_per_year"] = 60000
        entry(doc, "services", "train")["allocation"] = {"bc": 0.3}

    result = run_replication(_line(edit), 4, 0)
    log = result.loops["train"]
    steady = log.depart > 20
    assert log.load[steady & (log.leg == 0)] == pytest.approx(70)
    assert log.load[steady & (log.leg == 1)] == pytest.approx(70 + 20, abs=12)  # bc's 20 a day join


def test_background_load_takes_its_share_of_every_departure() -> None:
    def edit(doc: dict) -> None:
        entry(doc, "routes", "ac")["demand"]["teu_per_year"] = 60000
        entry(doc, "services", "train")["background_load"] = 0.25

    result = run_replication(_line(edit), 5, 0)
    log = result.loops["train"]
    steady = log.depart > 20
    assert log.background == pytest.approx(25)
    assert (log.load + log.background <= 100 + 1e-9).all()
    # ac's backlog fills the 75 TEU left, in 2-TEU containers: 37 of them, 74 TEU.
    assert log.load[steady & (log.leg == 0)] == pytest.approx(74)


def test_the_board_rule_by_hand() -> None:
    """Reserved space first, then first come across routes; a unit that does not fit stops
    its own route only."""
    a = Waiting(np.array([0.0, 1.0, 2.0, 3.0]), 1.0, 2.0, 10.0)
    b = Waiting(np.array([0.5, 0.6]), 2.0, 0.0, 10.0)
    # 4 used: a's 2 reserved (6), then by readiness b at 0.5 (8) and 0.6 (10): full, a stops.
    assert board([a, b], 4.0) == [2, 2]
    # 5 used: a's 2 (7), b at 0.5 (9); b's 0.6 needs 2 more: b stops, a's next two: one fits.
    assert board([a, b], 5.0) == [3, 1]
    assert board([a, b], 9.0) == [1, 0]
    capped = Waiting(np.array([0.0, 1.0]), 1.0, 0.0, 5.0)  # space held for a later call: at most 5 aboard
    assert board([capped], 4.0) == [1]


def test_summary_and_tables_report_the_shared_service(tmp_path, capsys) -> None:
    doc = raw(LINE)
    entry(doc, "services", "train")["background_load"] = {"teu": 10}
    out = tmp_path / "out"
    assert main(["run", str(write(tmp_path, doc)), "-n", "2", "--no-plot", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "shared services" in printed and "train" in printed
    import json

    summary = json.loads((out / "summary.json").read_text())
    train = summary["services"]["train"]
    assert train["routes"] == ["ac", "ab", "bc"] and train["path"] == ["a", "b", "c"]
    assert train["background_load"] == "mean 10 TEU per departure"
    # 30 + 20 TEU a day on a -> b, 30 + 20 on b -> c, plus 10 of background, of 100.
    assert train["legs"]["ab"]["load_factor"]["mean"] == pytest.approx(0.6, abs=0.01)
    assert train["legs"]["bc"]["units"]["mean"] == pytest.approx(50, abs=0.5)
    metrics = (out / "metrics.csv").read_text()
    assert "service_leg,train/ab,load_factor" in metrics


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    demand=st.lists(st.sampled_from([2000, 20000, 60000]), min_size=3, max_size=3),
    shares=st.lists(st.sampled_from([0.0, 0.15, 0.3]), min_size=3, max_size=3),
    background=st.sampled_from([None, 0.3, {"teu": {"dist": "uniform", "min": 0, "max": 60}}]),
    vehicles=st.sampled_from([None, 2, 5]),
    seed=st.integers(0, 10_000),
)
def test_shared_service_invariants(demand, shares, background, vehicles, seed) -> None:
    """Any shared service: no leg over capacity, conservation per route, no negative wait or
    ride, FIFO per route, allocations of at most the whole, and the same seed same results."""
    def edit(doc: dict) -> None:
        for r, d in zip(doc["routes"], demand):
            r["demand"].update(teu_per_year=d, arrivals="poisson")
        train = entry(doc, "services", "train")
        train["allocation"] = {r["id"]: s for r, s in zip(doc["routes"], shares) if s}
        if not train["allocation"]:
            del train["allocation"]
        if background is not None:
            train["background_load"] = background
        if vehicles is not None:
            train["fleet"] = {"vehicles": vehicles}
        entry(doc, "legs", "bc")["duration_days"] = {"dist": "uniform", "min": 1, "max": 3}
        doc["run"].update(horizon_days=120, warmup_days=10, cooldown_days=20)

    scenario = _line(edit)
    result = run_replication(scenario, seed, 0)
    log = result.loops["train"]
    assert (log.load >= -1e-9).all() and (log.load + log.background <= log.capacity + 1e-9).all()
    for rid in scenario.routes:
        led = result.ledgers[rid]
        left = ~np.isnan(led.departed)
        done = ~np.isnan(led.delivered)
        assert (done <= left).all()
        assert (led.departed[left] >= led.created[left] - 1e-12).all()
        assert (led.delivered[done] > led.departed[done]).all()
        assert (np.diff(led.departed[left]) >= 0).all()
        trips = result.trips[rid]
        assert trips.containers.sum() == done.sum()
        assert (trips.arrive >= trips.depart).all()
    again = run_replication(scenario, seed, 0)
    assert np.array_equal(again.loops["train"].load, log.load)
    for rid in scenario.routes:
        assert np.array_equal(again.ledgers[rid].delivered, result.ledgers[rid].delivered, equal_nan=True)


def test_a_shared_loop_with_a_fleet_comes_back_to_its_origin() -> None:
    """Two trains for a daily timetable of a 3-day run out and back: 2 vehicles over a 6-day
    cycle offer 7 x 2 / 6 / 7 = one departure every 3 days."""
    def edit(doc: dict) -> None:
        entry(doc, "services", "train")["fleet"] = {"vehicles": 2}

    run = sim.run(_line(edit), replications=2, seed=1)
    train = run.summary.to_dict()["services"]["train"]
    assert train["cycle_days"]["mean"] == pytest.approx(6.0, abs=1e-6)
    assert train["departures_per_week"]["mean"] == pytest.approx(7 * 2 / 6, abs=0.1)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: entry(d, "services", "train").update(allocation={"ac": 0.7, "ab": 0.5}),
         "services.train.allocation: shares sum to 1.2; they must sum to at most 1"),
        (lambda d: entry(d, "services", "train").update(allocation={"xy": 0.2}),
         "services.train.allocation.xy: names route 'xy', which service 'train' does not carry"),
        (lambda d: entry(d, "services", "train").update(allocation={"ac": 1.5}),
         "services.train.allocation.ac: must be <= 1"),
        (lambda d: entry(d, "services", "train").update(background_load=1.0),
         "services.train.background_load: a share of capacity must be at least 0 and below 1, got 1"),
        (lambda d: entry(d, "services", "train").update(background_load={"teu": 100}),
         "services.train.background_load: a mean of 100 TEU per departure is not below the capacity"),
        (lambda d: entry(d, "services", "train").update(background_load={"wagons": 10}),
         "services.train.background_load.wagons: service 'train' counts capacity in TEU"),
        (lambda d: entry(d, "services", "train").update(background_load={"teu": 5, "share": 0.1}),
         "services.train.background_load: give exactly one of share, teu or wagons"),
        (lambda d: entry(d, "services", "train").update(schedule={"when_full": True}),
         "services.train.schedule: service 'train' is shared by routes 'ac', 'ab', 'bc', so it needs a timetable"),
        (lambda d: entry(d, "services", "train").update(path=["a", "c"]),
         "services.train.path"),
        (lambda d: entry(d, "services", "train").update(path=["b", "c"]),
         "routes.ac.path: its stretch on service 'train' (a -> b -> c) does not follow the service's path (b -> c)"),
        (lambda d: entry(d, "services", "train").update(path="a, b, c"),
         "services.train.path: must be an array of node ids"),
    ],
)
def test_bad_shared_services_get_one_line_and_exit_2(tmp_path, capsys, edit, message) -> None:
    doc = raw(LINE)
    edit(doc)
    out = tmp_path / "out"
    assert main(["run", str(write(tmp_path, doc, "bad.toml")), "-n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_a_diversion_of_a_route_on_a_shared_service_is_refused(tmp_path, capsys) -> None:
    doc = raw(LINE)
    doc["services"].append({"id": "truck", "vehicle": "truck", "capacity_teu": 2, "schedule": {"when_full": True}})
    doc["legs"].append({"id": "ac_road", "from": "a", "to": "c", "mode": "road", "distance_km": 2700, "duration_days": 4})
    doc["events"] = [{"id": "d", "kind": "divert", "target": "routes.ac", "start": 10, "duration_days": 5,
                      "path": ["a", "c"], "services": "truck"}]
    assert main(["run", str(write(tmp_path, doc, "bad.toml")), "-n", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "route 'ac' rides service 'train', which is shared" in err[0], err


def test_the_marey_chart_data_carry_each_legs_load_factor() -> None:
    """Route ab's stops: leaving a, its train holds every route's cargo (50 of 100 TEU at
    steady state, the same value the service's log has); at b its stretch ends (no leg)."""
    from sim.analysis.series import marey_stops

    scenario = _line()
    result = run_replication(scenario, 1, 0)
    log = result.loops["train"]
    by_leg = {(t, g): (l + b) / c for t, g, l, b, c in zip(log.trip, log.leg, log.load, log.background, log.capacity)}
    stops = marey_stops(scenario, result, "ab")
    at_a = [s for s in stops if s.node == "a"]
    assert at_a and all(s.load == pytest.approx(by_leg[(s.trip, 0)]) for s in at_a)
    assert all(np.isnan(s.load) for s in stops if s.node == "b")
    assert np.median([s.load for s in at_a]) == pytest.approx(0.5, abs=0.02)


def test_a_background_load_that_can_reach_the_capacity_is_warned_of_and_capped() -> None:
    def edit(doc: dict) -> None:
        entry(doc, "services", "train")["background_load"] = {
            "teu": {"dist": "triangular", "min": 5, "mode": 10, "max": 120}}

    scenario = _line(edit)
    warned = [w for w in scenario.warnings if w.startswith("services.train.background_load")]
    # The 99.9th percentile of triangular(5, 10, 120): 120 - sqrt(0.001 * 115 * 110) = 116.4.
    assert len(warned) == 1 and "(116.4 TEU) reaches the capacity (100)" in warned[0]
    log = run_replication(scenario, 3, 0).loops["train"]
    assert log.background.max() <= 100 and (log.load + log.background <= 100 + 1e-9).all()
    mild = _line(lambda doc: entry(doc, "services", "train").update(
        background_load={"teu": {"dist": "triangular", "min": 5, "mode": 10, "max": 60}}))
    assert not [w for w in mild.warnings if "background_load" in w]
