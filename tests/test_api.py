"""The Python API: what a notebook user gets is what the command line computes and writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.metrics_table import metrics_table
from sim.cli import main

from scenarios_for_tests import NETWORK, entry, raw, write


@pytest.fixture(scope="module")
def network_file(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("api"), raw(NETWORK))


@pytest.fixture(scope="module")
def network_run(network_file):
    return sim.run(str(network_file), replications=3, seed=11)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_load_with_overrides_as_python_values(network_file) -> None:
    scn = sim.load(str(network_file), overrides={"nodes.dostyk.servers": 3, "legs.cn_rail.speed_km_per_day": 900.5})
    assert scn.nodes["dostyk"].servers == 3
    assert [o.text for o in scn.overrides] == ["nodes.dostyk.servers=3", "legs.cn_rail.speed_km_per_day=900.5"]
    # The same change as --set text gives the same scenario.
    same = sim.load(str(network_file), overrides=["nodes.dostyk.servers=3", "legs.cn_rail.speed_km_per_day=900.5"])
    assert same.raw == scn.raw
    # A loaded scenario takes further overrides and keeps the record of all of them.
    again = sim.load(scn, overrides={"nodes.dostyk.servers": 4})
    assert again.nodes["dostyk"].servers == 4 and len(again.overrides) == 3


def test_distribution_override_as_a_dict(network_file) -> None:
    tri = {"dist": "triangular", "min": 700, "mode": 900, "max": 1000}
    scn = sim.load(str(network_file), overrides={"legs.cn_rail.speed_km_per_day": tri})
    assert scn.legs["cn_rail"].speed_km_per_day.mean == pytest.approx((700 + 900 + 1000) / 3)
    assert scn.overrides[0].text == 'legs.cn_rail.speed_km_per_day={ dist = "triangular", min = 700, mode = 900, max = 1000 }'


def test_errors_raise_scenario_error_with_file_key_and_message(network_file) -> None:
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(str(network_file), overrides={"nodes.dostyk.servers": -1})
    exc = info.value
    assert exc.key == "nodes.dostyk.servers"
    assert exc.path == "--set nodes.dostyk.servers=-1"
    assert "must be" in exc.message and str(exc).startswith("--set nodes.dostyk.servers=-1: nodes.dostyk.servers: ")
    with pytest.raises(sim.ScenarioError) as info:
        sim.load("no_such_scenario")
    assert "no_such_scenario" in str(info.value)
    with pytest.raises(sim.UsageError, match="replications must be a whole number"):
        sim.run(str(network_file), replications=0)


def test_run_summary_is_typed_and_to_dict_is_summary_json(network_run, tmp_path: Path) -> None:
    summary = network_run.summary
    route = summary.routes["overland"]
    assert isinstance(route.transit_days.mean, float) and route.transit_days.ci95[0] < route.transit_days.mean
    out = network_run.write(tmp_path / "res", figures=False)
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary.to_dict()))
    assert repr(network_run) == "Run(scenario='network', replications=3, seed=11)"


def test_metrics_and_containers_are_dataframes_that_agree(network_run) -> None:
    metrics = network_run.metrics
    containers = network_run.containers()
    assert list(containers.columns) == ["replication", "route", "created_day", "departed_day", "delivered_day", "transit_days"]
    s = network_run.scenario.settings
    window = s.horizon_days - s.warmup_days
    assert containers["created_day"].between(0, window, inclusive="left").all()
    for (rep, rid), group in containers.groupby(["replication", "route"], observed=True):
        row = metrics[(metrics.replication == rep) & (metrics.id == rid) & (metrics.metric == "transit_days")]
        assert float(row.value.iloc[0]) == pytest.approx(group["transit_days"].mean(skipna=True), rel=1e-12)
        created = metrics[(metrics.replication == rep) & (metrics.id == rid) & (metrics.metric == "containers_created")]
        assert int(created.value.iloc[0]) == len(group)


def test_write_is_what_the_cli_writes(network_file, network_run, tmp_path: Path) -> None:
    api_out = network_run.write(tmp_path / "api", figures=False)
    assert main(["run", str(network_file), "-n", "3", "--seed", "11", "--no-plot", "-q", "--out", str(tmp_path / "cli")]) == 0
    api_files, cli_files = _files(api_out), _files(tmp_path / "cli")
    assert api_files.keys() == cli_files.keys()
    for name in api_files:
        assert api_files[name] == cli_files[name], name


def test_figures_are_returned_not_saved_or_shown(network_run, tmp_path: Path, monkeypatch) -> None:
    from matplotlib.figure import Figure
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    before = plt.get_fignums()  # figures other tests in this process left open are not ours
    figures = network_run.figures()
    assert {"transit_ecdf", "transit_times", "throughput", "bottlenecks", "route_map"} <= set(figures)
    assert all(isinstance(f, Figure) for f in figures.values())
    assert plt.get_fignums() == before  # no pyplot state: a notebook shows them only when asked
    assert list(tmp_path.iterdir()) == []  # nothing written where the user is
    title = figures["transit_ecdf"]._suptitle.get_text()
    assert "network" in title


def test_workers_give_the_same_results(network_file) -> None:
    one = sim.run(str(network_file), replications=3, seed=4, workers=1)
    two = sim.run(str(network_file), replications=3, seed=4, workers=2)
    assert one.summary.to_dict() == two.summary.to_dict()
    np.testing.assert_array_equal(one.table.value, two.table.value)
    # With workers, each replication's rows came from the worker that ran it, bit for bit
    # the rows this process computes from the replication it was sent.
    assert sorted(two.results.derived) == [0, 1, 2] and not one.results.derived
    assert (one.table.kind, one.table.entity, one.table.metric) == (two.table.kind, two.table.entity, two.table.metric)
    assert one.table.value.tobytes() == two.table.value.tobytes()
    again = metrics_table(two.scenario, two.results)  # every row computed here
    assert again.value.tobytes() == two.table.value.tobytes()


def test_rows_a_worker_computed_serve_only_the_scenario_they_were_computed_for(network_file) -> None:
    """A Run given another scenario (dataclasses.replace) computes its table afresh from
    the replications: the workers' rows belong to the scenario they ran."""
    import dataclasses

    two = sim.run(str(network_file), replications=2, seed=4, workers=2)
    other = sim.load(two.scenario, overrides={"routes.overland.promised_days": 1})
    moved = dataclasses.replace(two, scenario=other)
    fresh = metrics_table(other, two.results)
    assert moved.table.value.tobytes() == fresh.value.tobytes()
    assert len(moved.table) != len(two.table)  # the promise adds a metric the workers' rows lack


def test_compare_pairs_replications_with_common_random_numbers(network_file, tmp_path: Path) -> None:
    doc = raw(NETWORK)
    entry(doc, "services", "train")["schedule"] = {"departures_per_week": 14}
    variant = write(tmp_path, doc, "variant.toml")
    cmp = sim.compare(str(network_file), str(variant), replications=3, seed=2)
    assert cmp.labels == ("scenario", "variant")  # both are named "network": their files tell them apart
    diffs = cmp.differences
    sea = diffs[(diffs.id == "sea") & (diffs.metric == "transit_days")]
    assert float(sea.difference.iloc[0]) == 0.0  # the untouched route draws the same numbers
    wait = diffs[(diffs.id == "overland") & (diffs.metric == "wait_for_departure_days")]
    assert float(wait.difference.iloc[0]) < 0  # twice the trains, a shorter wait
    out = cmp.write(tmp_path / "cmp", figures=False)
    assert json.loads((out / "comparison.json").read_text())["differences"] == json.loads(json.dumps(cmp.document["differences"]))


def test_the_per_container_file_starts_before_the_summary_is_computed(network_file, tmp_path: Path) -> None:
    run = sim.run(str(network_file), replications=1, seed=3)
    writers = run.files()
    assert list(writers)[0] == "containers.csv.gz"
    assert "summary" not in vars(run) and "table" not in vars(run)  # nothing computed yet
    writers["summary.json"](tmp_path / "summary.json")
    assert "summary" in vars(run)
    assert json.loads((tmp_path / "summary.json").read_text()) == run.summary.to_dict()
