"""Bulk cargo in tonnes, node throughput counters and calendar months, weather closures of
a service, and road legs with a daily driving limit."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

from scenarios_for_tests import NETWORK, ROLLOVER, TRANSFER_CORRIDOR, build, entry, raw, write
from sim.cli import main
from sim.engine.sampling import closure_intervals, driving_days, reopening, stream
from sim.engine.simulation import run_replication
from sim.analysis.periods import months, node_period_counts
from sim.model.calendar import Calendar
from sim.model.distributions import Fixed
from sim.model.scenario import Closures
from sim.analysis.statistics import train_index
from sim.analysis.summary import summary_document as summarize

# ---------------------------------------------------------------------------------------
# Calendar months


def test_months_of_a_measured_year_follow_the_calendar() -> None:
    # 2020 is a leap year: February has 29 days, and a 365-day window after 60 days of
    # warm-up ends on 31 December, one day short of the year (so December has 30 days).
    periods = months(Calendar(dt.date(2020, 1, 1), 60.0), 425.0)
    assert [p.label for p in periods] == [f"2020-{m:02d}" for m in range(1, 13)]
    assert [p.stop - p.start for p in periods] == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 30]
    assert periods[0].start == 60.0 and periods[-1].stop == 425.0


def test_months_without_a_year_and_a_partial_last_month() -> None:
    periods = months(Calendar(None), 40.0)
    assert [(p.label, p.start, p.stop) for p in periods] == [("Y1-01", 0.0, 31.0), ("Y1-02", 31.0, 40.0)]
    over_year = months(Calendar(dt.date(2019, 1, 1)), 400.0)
    assert over_year[12].label == "2020-01" and over_year[12].start == 365.0


# ---------------------------------------------------------------------------------------
# Throughput counters: each unit counts once at every node of its path

# The transfer corridor carrying 10 t a TEU, plus a bulk route of wagons on the same track.
def _with_bulk(doc: dict) -> None:
    entry(doc, "routes", "r")["demand"]["tonnes_per_teu"] = 10
    doc["services"].append(
        {"id": "bulk_train", "vehicle": "train", "capacity_wagons": 3, "schedule": {"departures_per_week": 7}}
    )
    doc["routes"].append(
        {
            "id": "ore",
            "path": ["a", "b"],
            "services": "bulk_train",
            # 2 wagons of 60 t a day, evenly
            "demand": {"tonnes_per_year": 2 * 60 * 365, "wagon_tonnes": 60, "arrivals": "even"},
        }
    )


def test_bulk_route_moves_wagons_and_tonnes_not_teu() -> None:
    scenario = build(TRANSFER_CORRIDOR, _with_bulk)
    ore = scenario.routes["ore"]
    assert (ore.demand.cargo, ore.demand.unit_teu, ore.demand.unit_tonnes) == ("bulk", 0.0, 60.0)
    assert ore.demand.units_per_year == pytest.approx(730)
    assert scenario.service_capacity(ore, "bulk_train") == 3
    result = run_replication(scenario, seed=1, replication=0)
    ledger = result.ledgers["ore"]
    # 2 wagons a day and 3 a daily train: nothing is left behind for long.
    assert np.isfinite(ledger.delivered[ledger.created < 40]).all()
    summary = summarize(scenario, [result])["routes"]["ore"]
    horizon = scenario.settings.horizon_days
    counted = (ledger.created < horizon) & (ledger.delivered <= horizon)
    assert summary["cargo"] == "bulk"
    assert summary["teu_delivered"]["mean"] == 0.0
    assert summary["tonnes_delivered"]["mean"] == 60.0 * counted.sum()
    assert summary["tonnes_delivered"]["mean"] > 0


def test_node_counters_equal_the_units_that_passed() -> None:
    scenario = build(TRANSFER_CORRIDOR, _with_bulk)
    result = run_replication(scenario, seed=3, replication=0)
    everything = months(Calendar(None), result.end_time)
    train = train_index(result)
    r_index = list(scenario.routes).index("r")
    ore_index = list(scenario.routes).index("ore")
    ledger_r, ledger_ore = result.ledgers["r"], result.ledgers["ore"]
    trips_r, trips_ore = result.trips["r"], result.trips["ore"]

    def units(node: str, route_index: int) -> float:
        c = node_period_counts(result.nodes[node], everything, train, routes=np.array([route_index]))
        return c.teu.sum() / 2 if route_index == r_index else c.tonnes.sum() / 60

    # Origin: every unit that departed.  Destination: every unit delivered.
    assert units("a", r_index) == np.isfinite(ledger_r.departed).sum()
    assert units("c", r_index) == np.isfinite(ledger_r.delivered).sum()
    assert units("a", ore_index) == np.isfinite(ledger_ore.departed).sum()
    assert units("b", ore_index) == np.isfinite(ledger_ore.delivered).sum()
    # Transfer node b: a container counts once, as it leaves on the ship (24 h of handling
    # after the sailing time), not also as it arrives by train.  Ships that leave b before
    # day 40 have all arrived by the end of the run (day 50), so their trips are logged.
    first_40 = months(Calendar(None), 40.0)
    at_b = node_period_counts(result.nodes["b"], first_40, train, routes=np.array([r_index]))
    ships = (trips_r.segment == 1) & (trips_r.depart + 1.0 < 40.0)
    assert at_b.teu.sum() / 2 == trips_r.containers[ships].sum() > 0
    # Tonnes: 10 t a TEU on the container route, 60 t a wagon on the bulk route.
    c = node_period_counts(result.nodes["a"], everything, train)
    assert c.tonnes.sum() == pytest.approx(20.0 * units("a", r_index) + 60.0 * units("a", ore_index))
    # Trains through b: every train of both routes that reached it, including those that
    # end their run there.
    trains_b = node_period_counts(result.nodes["b"], everything, train).trains.sum()
    arrived = (trips_r.segment == 0) & (trips_r.arrive < result.end_time)
    assert trains_b == arrived.sum() + (trips_ore.arrive < result.end_time).sum()


def test_monthly_counts_add_up_to_the_window_totals(tmp_path: Path, capsys) -> None:
    doc = raw(NETWORK)
    doc["run"]["year"] = 2021
    entry(doc, "routes", "overland")["demand"]["tonnes_per_teu"] = 9.5
    path = write(tmp_path, doc)
    out = tmp_path / "res"
    assert main(["run", str(path), "--out", str(out), "--no-plot", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "nodes_by_month.csv", encoding="utf-8") as f:
        monthly = list(csv.DictReader(f))
    with open(out / "nodes.csv", encoding="utf-8") as f:
        per_rep = list(csv.DictReader(f))
    assert {row["month"] for row in monthly} == {"2021-01", "2021-02", "2021-03"}
    assert sum(float(r["days"]) for r in monthly if r["node"] == "dostyk" and r["replication"] == "0") == 80
    for row in per_rep:
        mine = [m for m in monthly if m["node"] == row["node"] and m["replication"] == row["replication"]]
        for key in ("teu", "tonnes", "trains"):
            assert sum(float(m[key]) for m in mine) == pytest.approx(float(row[f"{key}_through"]))
    dostyk = summary["nodes"]["dostyk"]
    # Every container passing dostyk carries 2 TEU of 9.5 t each.
    assert dostyk["tonnes_through"]["mean"] == pytest.approx(9.5 * dostyk["teu_through"]["mean"])
    assert dostyk["trains_through"]["mean"] > 0
    assert summary["nodes"]["rotterdam"]["trains_through"]["mean"] == 0


# ---------------------------------------------------------------------------------------
# Weather closures


def test_closure_intervals_are_merged_and_reopening_waits_for_the_end() -> None:
    closures = Closures(per_year=200.0, duration_days=Fixed(3.0))
    intervals = closure_intervals(closures, 365.0, stream(1, 0, "closures:x"))
    assert intervals.shape[1] == 2 and len(intervals) > 10
    assert (np.diff(intervals[:, 0]) > 0).all()
    assert (intervals[1:, 0] > intervals[:-1, 1]).all()  # merged: no overlaps
    assert (intervals[:, 1] - intervals[:, 0] >= 3.0 - 1e-9).all()
    a, b = intervals[0]
    assert reopening(intervals, a) == b
    assert reopening(intervals, (a + b) / 2) == b
    assert reopening(intervals, b) == b  # open again at the end
    assert reopening(None, 5.0) == 5.0


def test_no_departure_while_a_service_is_closed() -> None:
    def closed_ship(doc: dict) -> None:
        entry(doc, "services", "ship")["closures"] = {"per_year": 40, "duration_days": {"dist": "uniform", "min": 1, "max": 6}}
        doc["run"]["horizon_days"] = 300

    scenario = build(TRANSFER_CORRIDOR, closed_ship)
    open_ = build(TRANSFER_CORRIDOR, lambda d: d["run"].update(horizon_days=300))
    waits = []
    for sc in (scenario, open_):
        result = run_replication(sc, seed=11, replication=0)
        waits.append(summarize(sc, [result])["routes"]["r"]["transit_days"]["mean"])
        if sc is scenario:
            closed = closure_intervals(sc.services["ship"].closures, result.end_time, stream(11, 0, "closures:ship"))
            departs = result.trips["r"].depart[result.trips["r"].segment == 1]
            inside = (departs[:, None] > closed[:, 0]) & (departs[:, None] < closed[:, 1])
            assert not inside.any()
            # Held sailings leave the moment the closure lifts.
            assert np.isin(closed[:, 1], departs).any()
    assert waits[0] > waits[1]


# ---------------------------------------------------------------------------------------
# Road legs with a driving limit


@pytest.mark.parametrize(
    "hours, limit, days",
    [(1000 / 70, 9, 1 + (1000 / 70 - 9) / 24), (9.0, 9, 9 / 24), (27.0, 9, 2 + 9 / 24), (4.0, 9, 4 / 24), (0.0, 9, 0.0)],
)
def test_driving_days_rest_between_driving_days(hours: float, limit: float, days: float) -> None:
    assert driving_days(np.array([hours]), limit)[0] == pytest.approx(days)


def test_truck_transit_respects_the_driving_limit() -> None:
    def road(doc: dict) -> None:
        leg = entry(doc, "legs", "ab")
        leg.update(mode="road", distance_km=2500, speed_kmh=75, driving_hours_per_day=9)
        del leg["duration_hours"]
        entry(doc, "services", "train").update(vehicle="truck", capacity_teu=2, schedule={"when_full": True})
        for node in doc["nodes"]:
            node.pop("handling_hours", None)

    scenario = build(ROLLOVER, road)
    result = run_replication(scenario, seed=0, replication=0)
    ledger = result.ledgers["r"]
    done = ~np.isnan(ledger.delivered)
    # 2500 km at 75 km/h = 33.3 h of driving = 3 days of 9 h, then 6.3 h on the fourth.
    expected = 3 + (2500 / 75 - 27) / 24
    np.testing.assert_allclose(ledger.delivered[done] - ledger.created[done], expected, atol=1e-9)
    assert math.isclose(expected, 3.2639, rel_tol=1e-4)
