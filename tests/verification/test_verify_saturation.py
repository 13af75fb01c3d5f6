"""A route asked to carry 100 times its capacity: the run ends, memory stays proportional
to the containers created, and the summary and the terminal say the route is saturated."""

from __future__ import annotations

import pytest

import json
import tracemalloc

import numpy as np

from sim.cli import main
from sim.engine.simulation import run_replication
from verification_models import scenario_file

OVERLOADED = """\
[run]
name = "overloaded"
horizon_days = 200
warmup_days = 20
cooldown_days = 10
replications = 2

[[nodes]]
id = "a"
servers = 1
handling_hours = { train = 4 }

[[nodes]]
id = "b"

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1000
duration_days = 1

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 20
schedule = { departures_per_week = 7 }

[[routes]]
id = "r"
path = ["a", "b"]
services = "train"
[routes.demand]
teu_per_year = 730000  # 1,000 containers a day for trains of 10: 100 times the capacity
container_teu = 2
"""


def test_memory_stays_proportional_to_the_containers_created(tmp_path):
    scenario = scenario_file(tmp_path, OVERLOADED)
    tracemalloc.start()
    try:
        result = run_replication(scenario, 1, 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    created = result.ledgers["r"].created.size
    assert created > 200_000
    # Three timestamps of 8 bytes per container, plus the vehicles' logs: the queue costs
    # no memory of its own (it is an index into the arrival times).
    assert peak / created < 60, f"{peak / created:.0f} bytes per container"
    departed = int(np.count_nonzero(~np.isnan(result.ledgers["r"].departed)))
    assert departed <= 10 * 240  # ten per daily train, and no more


def test_summary_and_terminal_say_saturated(tmp_path, capsys):
    path = tmp_path / "overloaded.toml"
    path.write_text(OVERLOADED, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "-q", "--no-plot"]) == 0
    route = json.loads((out / "summary.json").read_text())["routes"]["r"]
    assert route["saturated"] is True
    assert route["delivered_share_of_demand"]["mean"] < 0.02  # 10 of 1,000 a day
    assert route["backlog_growth_per_day"]["mean"] > 980  # 990 a day pile up
    assert route["load_factor"]["train"]["mean"] == 1.0  # every train leaves full
    err = capsys.readouterr().err
    assert "route r: saturated" in err and "the slots of service train limit it (its vehicles leave 100% full)" in err
    assert "Traceback" not in err
    assert route["limited_by"] == {"kind": "service", "id": "train", "load_factor": 1.0}


def test_vehicles_still_queueing_when_the_run_stops_count_in_waits_and_queue() -> None:
    """A node that gets a train a day and needs two days for each: train k (k = 0, 1, ...,
    arriving at day k + 0.5) starts at 2k + 0.5 and waits exactly k days. Every train that
    arrived in the window counts, also those still queueing when the run stops, so the mean
    wait is the mean of k over the window's arrivals and the queue is the window's backlog."""
    from scenarios_for_tests import ROLLOVER, entry, raw
    from sim.analysis.summary import summary_document
    from sim.engine.replications import run_experiment
    from sim.model.loader import build_scenario

    doc = raw(ROLLOVER)
    doc["run"].update(horizon_days=40, warmup_days=10, cooldown_days=5)
    entry(doc, "nodes", "a")["handling_hours"] = {"train": 0}
    entry(doc, "nodes", "b").update(servers=1, handling_hours={"train": 48})
    entry(doc, "legs", "ab")["duration_hours"] = 0
    entry(doc, "services", "train")["schedule"] = {"departures_per_week": 7, "offset_days": 0.5}
    scenario = build_scenario(doc)
    node = summary_document(scenario, run_experiment(scenario, 1, 1))["nodes"]["b"]
    arrived = range(10, 40)  # trains k = 10 ... 39 arrive in the window [10, 40)
    assert node["mean_wait_days"] == pytest.approx(sum(arrived) / len(arrived), abs=1e-9)
    # At the horizon (day 40), trains up to k = 39 have arrived and those started by then
    # (2k + 0.5 <= 40: k <= 19) have left the queue: 39 - 19 = 20 wait, the most at once.
    assert node["max_queue"] == 20
    assert node["utilization"] == pytest.approx(1.0)
