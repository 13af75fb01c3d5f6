"""The one metrics table: every output derives from it, and a metric defined once is seen
everywhere (summary.json, routes.csv, nodes.csv, metrics.csv, compare)."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis import metrics as registry
from sim.analysis.metric_contexts import POOLED
from sim.analysis.metrics import CONDITIONAL, REGISTRY, vocabulary
from sim.analysis.metrics_table import metrics_table
from sim.analysis.statistics import cohort
from sim.cli import main
from sim.engine.replications import run_experiment
from sim.model.loader import build_scenario

from scenarios_for_tests import NETWORK, entry, raw, write


@pytest.fixture(scope="module")
def network():
    scenario = build_scenario(raw(NETWORK), source="network.toml")
    return scenario, run_experiment(scenario, 3, 5)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_is_a_registered_metric_of_every_entity(network) -> None:
    scenario, results = network
    table = metrics_table(scenario, results)
    # No events, fleets, shared services or node pools in this scenario: no event rows (they
    # exist only where an impact was measured), no service or service_leg rows (only services
    # with a finite fleet or shared have them), no shared-only route_service rows and no
    # node_pool rows; no prices, emissions, promised days or flows: no cost, CO2e, late-share,
    # flow or country rows.
    per_replication = [m for m in vocabulary() if not m.pooled and m.kind not in ("event", "service", "service_leg", "node_pool")
                       and (m.kind, m.name) not in registry.SHARED_ONLY | registry.CONDITIONAL]
    expected = sum(
        len(scenario.routes) if m.kind == "route" else
        len(scenario.nodes) if m.kind == "node" else
        sum(len(r.segments) for r in scenario.routes.values())
        for m in per_replication
    ) * len(results) + sum(1 for m in vocabulary() if m.pooled) * len(scenario.routes)
    assert len(table) == expected
    for _, kind, _, name, _ in table.rows():
        assert (kind, name) in REGISTRY
    assert table.replications == (0, 1, 2)


def test_table_values_match_a_hand_count_of_the_ledger(network) -> None:
    scenario, results = network
    table = metrics_table(scenario, results)
    s = scenario.settings
    for r in results:
        c = cohort(r.ledgers["overland"], s.warmup_days, s.horizon_days)
        done = ~np.isnan(c.delivered)
        transit = (c.delivered - c.created)[done]
        assert table.values("route", "overland", "containers_created")[r.replication] == c.created.size
        assert table.values("route", "overland", "containers_counted")[r.replication] == done.sum()
        assert table.values("route", "overland", "transit_days")[r.replication] == pytest.approx(transit.mean(), rel=1e-12)
    pooled = np.concatenate([
        (lambda c: (c.delivered - c.created)[~np.isnan(c.delivered)])(cohort(r.ledgers["overland"], s.warmup_days, s.horizon_days))
        for r in results
    ])
    assert table.pooled("route", "overland", "transit_days.p50") == pytest.approx(float(np.median(pooled)), rel=1e-12)


def test_dataframe_has_the_documented_columns_and_units(network) -> None:
    scenario, results = network
    frame = metrics_table(scenario, results).to_frame()
    assert list(frame.columns) == ["replication", "kind", "id", "metric", "value", "unit"]
    util = frame[(frame.kind == "node") & (frame.metric == "utilization")]
    assert set(util.unit) == {"share"}
    assert set(frame[frame.replication == POOLED].metric) == {"transit_days.p5", "transit_days.p50", "transit_days.p95"}


def test_a_metric_changed_in_the_registry_changes_every_output(tmp_path: Path, monkeypatch) -> None:
    """Redefine mean transit as a constant in the one registry: summary.json, routes.csv,
    metrics.csv and compare's differences all show it."""
    doc = raw(NETWORK)
    base = write(tmp_path, doc)
    entry(doc, "services", "train")["schedule"] = {"departures_per_week": 14}
    variant = write(tmp_path, doc, "variant.toml")
    old = REGISTRY[("route", "transit_days")]
    monkeypatch.setitem(REGISTRY, ("route", "transit_days"), dataclasses.replace(old, compute=lambda c: 42.0))
    monkeypatch.setitem(
        REGISTRY, ("node", "mean_wait_days"),
        dataclasses.replace(REGISTRY[("node", "mean_wait_days")], compute=lambda c: 0.25),
    )
    out = tmp_path / "one"
    assert main(["run", str(base), "--out", str(out), "-q", "--no-plot", "-n", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["routes"]["overland"]["transit_days"]["mean"] == 42.0
    assert summary["nodes"]["dostyk"]["mean_wait_days"] == 0.25
    assert {float(r["transit_days"]) for r in _rows(out / "routes.csv")} == {42.0}
    assert {float(r["mean_wait_days"]) for r in _rows(out / "nodes.csv")} == {0.25}
    long = [r for r in _rows(out / "metrics.csv") if r["metric"] == "transit_days" and r["kind"] == "route"]
    assert long and {float(r["value"]) for r in long} == {42.0}
    assert "42.00" in (out / "report.html").read_text()  # the report's route table
    comp = tmp_path / "cmp"
    assert main(["compare", str(base), str(variant), "--out", str(comp), "-q", "--no-plot", "-n", "2"]) == 0
    rows = json.loads((comp / "comparison.json").read_text())["differences"]
    transit = [r for r in rows if r["metric"] == "transit_days"]
    assert transit and all(r["baseline_mean"] == 42.0 and r["difference"] == 0.0 for r in transit)


def test_the_same_name_everywhere(tmp_path: Path) -> None:
    """Each routes.csv / nodes.csv column and each compare metric is a registry name."""
    out = tmp_path / "res"
    file = write(tmp_path, raw(NETWORK))
    assert main(["run", str(file), "--out", str(out), "-q", "--no-plot", "-n", "2"]) == 0
    names = {m.name for m in vocabulary()}
    route_cols = set(_rows(out / "routes.csv")[0]) - {"replication", "route"}
    node_cols = set(_rows(out / "nodes.csv")[0]) - {"replication", "node", "kind", "servers"}
    assert route_cols <= names and node_cols <= names
    summary = json.loads((out / "summary.json").read_text())
    route = summary["routes"]["overland"]
    shared = {"transit_days", "wait_for_departure_days", "throughput_teu_per_year", "teu_delivered",
              "delivered_share_of_demand", "backlog_growth_per_day", "saturated"}
    assert shared <= route_cols and shared <= set(route)
    assert {"utilization", "mean_wait_days", "teu_through"} <= node_cols & set(summary["nodes"]["dostyk"])
    compared = {m.name for m in vocabulary() if m.compare and m.kind not in ("event", "service", "service_leg", "node_pool")
                and (m.kind, m.name) not in CONDITIONAL}
    assert {(m.kind, m.name) for m in vocabulary() if m.compare and (m.kind, m.name) in CONDITIONAL} == {
        ("route", "cost_usd_per_teu"), ("route", "late_share"), ("flow", "transit_days"), ("flow", "cost_usd_per_teu"),
        ("flow", "co2e_kg_per_teu"), ("flow_option", "share"), ("country", "transit_revenue_usd_per_year")}
    assert {m.name for m in vocabulary() if m.compare and m.kind == "service"} == {"departures_per_week", "cycle_days", "load_factor"}
    assert {m.name for m in vocabulary() if m.compare and m.kind == "event"} == {
        "containers_affected", "extra_delay_days", "peak_queue", "recovery_days"}
    assert compared == {"transit_days", "wait_for_departure_days", "throughput_teu_per_year",
                        "throughput_tonnes_per_year", "utilization", "mean_wait_days"}


def test_run_metrics_lists_the_vocabulary(capsys) -> None:
    assert main(["run", "--metrics"]) == 0
    out = capsys.readouterr().out
    for m in vocabulary():
        assert m.name in out and m.unit in out


def test_run_without_scenario_is_one_line(capsys) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a SCENARIO" in err


def test_registry_is_the_only_place_metrics_are_named() -> None:
    """No metric is missing a unit or a meaning; names are unique per entity kind."""
    for (kind, name), m in REGISTRY.items():
        assert m.kind == kind and m.name == name
        assert m.unit and len(m.meaning) > 10
    assert registry.KINDS == ("route", "node", "node_pool", "route_service", "service", "service_leg", "event",
                             "flow", "flow_option", "country")
    assert {m.kind for m in REGISTRY.values()} == set(registry.KINDS)
    assert not math.isnan(len(REGISTRY))
    assert sim.Run.metrics.__doc__


@pytest.mark.parametrize(
    ("distance_km", "servers", "saturated"),
    [
        (30_000, 3, False),  # 33 days on the way, longer than the 10-day warm-up: its pipeline fills in the window
        (6_000, 3, False),
        (6_000, 1, True),  # one 14-hour track for two trains a day: the border queue grows
        (30_000, 1, True),
    ],
)
def test_saturation_tells_a_slow_route_from_one_that_cannot_keep_up(distance_km: int, servers: int, saturated: bool) -> None:
    from sim.analysis.statistics import saturation
    from sim.engine.simulation import run_replication
    from tests.scenarios_for_tests import BASE, build, entry

    def edit(doc: dict) -> None:
        entry(doc, "legs", "kz_rail")["distance_km"] = distance_km
        entry(doc, "nodes", "dostyk").update(servers=servers, handling_hours={"train": 14})

    scn = build(BASE, edit)
    s = scn.settings
    for rep in range(3):
        share, _, flagged = saturation(run_replication(scn, 1, rep).ledgers["rail"], s.warmup_days, s.horizon_days)
        assert flagged is saturated, (rep, share)
        if not saturated:
            assert share > 0.95  # what is due in the window is delivered in it (speeds vary: +-3 days)


def test_run_metrics_with_a_scenario_is_refused_not_ignored(capsys, tmp_path, monkeypatch) -> None:
    """`--metrics` runs nothing: a SCENARIO beside it would be silently dropped, so it is refused."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--metrics", "china_europe_2020"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "run --metrics lists the metrics and runs nothing, so it takes no SCENARIO china_europe_2020" in captured.err
    assert main(["run", "--metrics", "--set", "nodes.dostyk.servers=4"]) == 2
    assert "takes no --set" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_share_interval_stays_inside_zero_and_one() -> None:
    # Shares 0, 0, 0.004: mean 0.001(3), sd 0.0023094, t(0.975, 2) = 4.3027, so the raw
    # t-interval is [-0.00440, 0.00707]; a share cannot be negative, so it is [0, 0.00707].
    # A count's lower bound is 0 as well; a duration's (unbounded) is left as it is.
    from sim.analysis.metrics_table import MetricsTable
    from sim.analysis.measured import measured

    values = {"late_share": (0.0, 0.0, 0.004), "containers_created": (0.0, 0.0, 4.0), "transit_days": (-1.0, -1.0, 3.0)}
    rows = [(m, i, v) for m, vals in values.items() for i, v in enumerate(vals)]
    table = MetricsTable(np.asarray([i for _, i, _ in rows]), ("route",) * len(rows), ("r",) * len(rows),
                         tuple(m for m, _, _ in rows), np.asarray([v for _, _, v in rows]), (0, 1, 2))
    share = measured(table, "route", "r", "late_share")
    assert share.ci95[0] == 0.0
    assert share.ci95[1] == pytest.approx(0.004 / 3 + 4.3027 * 0.0023094 / 3 ** 0.5, abs=1e-5)
    assert measured(table, "route", "r", "containers_created").ci95[0] == 0.0
    assert measured(table, "route", "r", "transit_days").ci95[0] == pytest.approx(1 / 3 - 4.3027 * 2.3094 / 3 ** 0.5, abs=1e-3)
