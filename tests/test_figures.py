"""The figures of a run and of a comparison: the figure objects carry the right data.

Tested on the artists (lines, labels, texts), not on pixels.
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scenarios_for_tests import NETWORK, build, entry, raw
from sim.colours import route_colours
from sim.experiment import run_experiment
from sim.fig_flows import bottleneck_figure, throughput_figure
from sim.fig_marey import default_marey_route, marey_figure
from sim.fig_transit import sea_rail_ratio, transit_box_figure, transit_ecdf_figure
from sim.figdata import read_run
from sim.figures import write_figures
from sim.outputs import run_files, run_summary
from sim.results_io import write_results
from sim.scenario import Scenario


def _write_run(scenario: Scenario, out: Path, replications: int = 2) -> None:
    results = run_experiment(scenario, replications, 5)
    write_results(out, run_files(scenario, results, run_summary(scenario, results, 5, []), []))


def _network_with_countries() -> Scenario:
    """NETWORK with countries and coordinates: Chinese origins, European destinations."""
    doc = raw(NETWORK)
    places = {"xian": ("CN", 108.9, 34.3), "dostyk": ("KZ", 82.5, 45.3), "duisburg": ("DE", 6.8, 51.4),
              "shanghai": ("CN", 121.5, 31.2), "rotterdam": ("NL", 4.5, 51.9)}
    for nid, (country, lon, lat) in places.items():
        entry(doc, "nodes", nid).update(country=country, lon=lon, lat=lat)
    entry(doc, "routes", "overland")["mode"] = "rail"
    return build_from(doc)


def build_from(doc: dict) -> Scenario:
    import tomli_w

    return build(tomli_w.dumps(doc))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig") / "run"
    _write_run(_network_with_countries(), out)
    data = read_run(out)
    return data, route_colours(data.scenario.routes)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _lines_by_label(fig) -> dict[str, list]:
    found: dict[str, list] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            found.setdefault(line.get_label(), []).append(line)
    return found


def test_ecdf_has_a_line_per_route_in_its_colour_with_the_band_and_ratio(run):
    data, colours = run
    fig = transit_ecdf_figure([data], colours, {})
    lines = _lines_by_label(fig)
    for rid in data.scenario.routes:
        (line,) = lines[rid]
        assert line.get_color() == colours[rid]
        assert np.array_equal(line.get_xdata(), data.transit[rid])
        assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == 1
    ax = fig.axes[0]
    assert "days" in ax.get_xlabel() and "share of containers" in ax.get_ylabel()
    assert any(p.get_label().startswith("claim: 14–15 days") for p in ax.patches)
    # The annotation is the container-weighted ratio, by hand from the summary.
    routes = data.summary["routes"]
    sea, rail = routes["sea"]["transit_days"]["mean"], routes["overland"]["transit_days"]["mean"]
    assert sea_rail_ratio(data) == pytest.approx((sea / rail, sea, rail))
    assert f"= {sea / rail:.2f}×" in ax.get_title()
    plt.close(fig)


def test_no_ratio_without_a_china_to_europe_rail_route():
    doc = raw(NETWORK)
    scenario = build_from(doc)  # no countries at all
    from sim.figdata import RunData

    empty = RunData(Path("."), "x", {"routes": {}}, scenario, {}, {}, {}, {})
    assert sea_rail_ratio(empty) is None


def test_box_figure_boxes_are_the_quartiles(run):
    data, colours = run
    fig = transit_box_figure([data], colours, {})
    ax = fig.axes[0]
    q = data.transit["overland"]
    medians = [line for line in ax.get_lines() if len(line.get_ydata()) == 2 and line.get_ydata()[0] == line.get_ydata()[1]]
    assert any(line.get_ydata()[0] == pytest.approx(q[500]) for line in medians)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(data.scenario.routes)
    assert "days" in ax.get_ylabel()
    plt.close(fig)


def test_throughput_demand_line_is_created_teu_per_week(run, tmp_path):
    data, colours = run
    fig = throughput_figure([data], colours, {})
    rows = [r for r in _csv(data.folder / "route_weeks.csv") if r["route"] == "overland" and float(r["days"]) == 7]
    reps = sorted({r["replication"] for r in rows})
    by_week: dict[str, float] = {}
    for r in rows:
        by_week[r["week"]] = by_week.get(r["week"], 0.0) + float(r["created_teu"]) / len(reps)
    lines = _lines_by_label(fig)
    (demand,) = lines[f"{data.label} demand"][:1]
    assert np.allclose(demand.get_ydata(), list(by_week.values()))
    (delivered,) = lines[f"{data.label} delivered"][:1]
    assert delivered.get_color() == colours["overland"]
    assert fig.axes[0].get_ylabel() == "TEU/week"
    plt.close(fig)


def test_bottleneck_figure_has_a_queue_and_utilization_line_per_capacity_node(run):
    data, colours = run
    fig = bottleneck_figure([data], colours, {})
    capacity_nodes = [nid for nid, n in data.scenario.nodes.items() if n.servers]
    assert list(data.nodes) == capacity_nodes
    util_axes = [ax for ax in fig.axes if ax.get_ylabel() == "busy servers (%)"]
    assert len(util_axes) == len(capacity_nodes)
    for ax, nid in zip(util_axes, capacity_nodes):
        data_lines = [ln for ln in ax.get_lines() if ln.get_label() == data.label]
        assert np.allclose(data_lines[0].get_ydata(), data.nodes[nid].utilization * 100)
        assert any(ln.get_ydata()[0] == 100 for ln in ax.get_lines() if ln.get_label().startswith("capacity"))
    plt.close(fig)


def test_bottleneck_figure_without_capacity_nodes_says_so(run):
    data, colours = run
    from dataclasses import replace

    fig = bottleneck_figure([replace(data, nodes={})], colours, {})
    assert any("no capacity-limited nodes" in t.get_text() for t in fig.axes[0].texts)
    plt.close(fig)


def test_marey_lines_are_flat_for_exactly_each_dwell(run):
    data, colours = run
    route = default_marey_route(data)
    assert route == "overland"  # the only container rail route from CN to Europe
    fig = marey_figure([data], route, colours, {})
    stop = next(r for r in _csv(data.folder / "marey.csv") if r["route"] == route and r["node"] == "dostyk")
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_gid() == f"trip-{stop['trip']}")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    flat = [(x[i], x[i + 1]) for i in range(len(x) - 1) if y[i] == y[i + 1] == float(stop["km"])]
    assert flat == [(float(stop["arrive_day"]), float(stop["depart_day"]))]
    assert "km" in fig.axes[0].get_ylabel() and "days" in fig.axes[0].get_xlabel()
    plt.close(fig)


def test_comparison_figures_have_a_line_per_scenario(run, tmp_path):
    data, _ = run
    doc = raw(NETWORK)
    doc["run"]["name"] = "faster"
    entry(doc, "legs", "cn_rail")["speed_km_per_day"] = 1200
    _write_run(build_from(doc), tmp_path / "b")
    other = read_run(tmp_path / "b")
    runs = [data, other]
    colours = route_colours(data.scenario.routes)
    scen = {"network": "#111111", "faster": "#222222"}
    fig = transit_ecdf_figure(runs, colours, scen)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["overland", "sea"]
    for ax in fig.axes:
        assert sorted(ln.get_label() for ln in ax.get_lines()) == ["faster", "network"]
    plt.close(fig)


def test_write_figures_in_every_format_reproducibly(run, tmp_path, monkeypatch):
    data, _ = run
    import sim.figures

    monkeypatch.setattr(sim.figures, "_route_map", lambda runs, colours: plt.figure())
    open_before = set(plt.get_fignums())
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        first = write_figures([data], tmp_path, fmt)
        assert [p.name for p in first] == [
            f"transit_ecdf.{fmt}", f"transit_times.{fmt}", f"throughput.{fmt}", f"bottlenecks.{fmt}",
            f"marey_overland.{fmt}", f"route_map.{fmt}",
        ]
        blobs = [p.read_bytes() for p in first]
        assert all(b.startswith(magic) for b in blobs)
        again = [p.read_bytes() for p in write_figures([data], tmp_path, fmt)]
        assert again == blobs, fmt
    assert set(plt.get_fignums()) == open_before  # every figure drawn here was closed
