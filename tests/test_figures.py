"""The figures of a run and of a comparison: the figure objects carry the right data.

Tested on the artists (lines, labels, texts, patches), not on pixels.  The runs are made
with the CLI (``routesim run --no-plot``), which writes the CSV files the figures read.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.text import Text
import numpy as np
import pytest

from figure_files import DPI, has_size_of, pdf_size_pt, png_size, same_figure, svg_size_pt
from scenarios_for_tests import NETWORK, NETWORK_CLAIMS, TRANSFER_CORRIDOR, entry, raw, write
from sim.cli import main
from sim.viz.colours import route_colours, scenario_colours
from sim.viz import marey as marey_module
from sim.viz.flows import (
    QUEUE_THRESHOLD_VEHICLES, WAIT_THRESHOLD_HOURS, bottleneck_figure, capacity_nodes, rolling,
    throughput_figure, weekly_rates,
)
from sim.viz.markets import MAX_LINES, market, market_panels, route_label
from sim.viz.marey import default_marey_route, marey_figure
from sim.viz.transit import mean_days, median_days, sea_rail_ratio, transit_box_figure, transit_ecdf_figure
from sim.output.run_data import DaySeries, RunData, read_run
from sim.viz.figures import FORMATS, figure_builders, write_figures



def _run_cli(doc: str | dict, folder: Path, *extra: str) -> RunData:
    """Run a scenario document with the CLI into ``folder`` and read the results back."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, NETWORK_CLAIMS, "network.claims.toml")  # named by the docs that set run.claims
    path = write(folder, doc)
    assert main(["run", str(path), "--out", str(folder / "out"), "-q", "--no-plot", *extra]) == 0
    return read_run(folder / "out")


def _network_with_countries() -> dict:
    """NETWORK with countries and the claims file NETWORK_CLAIMS (band 10-20 d, sea/rail)."""
    doc = raw(NETWORK)
    doc["run"]["claims"] = "network.claims.toml"
    places = {"xian": "CN", "dostyk": "KZ", "duisburg": "DE", "shanghai": "CN", "rotterdam": "NL"}
    for nid, country in places.items():
        entry(doc, "nodes", nid)["country"] = country
    entry(doc, "routes", "overland")["mode"] = "rail"
    return doc


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[RunData, dict[str, str]]:
    data = _run_cli(_network_with_countries(), tmp_path_factory.mktemp("fig"), "-n", "2")
    return data, route_colours(data.scenario.routes)


@pytest.fixture(scope="module")
def bundled(bundled_2020) -> RunData:
    """The 2020 scenario (conftest.py, shared with test_bundled.py): 21 routes, six
    capacity-limited nodes."""
    return read_run(bundled_2020)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _lines_by_label(fig) -> dict[str, list]:
    found: dict[str, list] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            found.setdefault(line.get_label(), []).append(line)
    return found


def _all_text(fig) -> str:
    texts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
    return "\n".join(texts)


def _hand_ratio(folder: Path, sea: list[str], rail: list[str]) -> tuple[float, float, float]:
    """(ratio, sea days, rail days) from containers.csv.gz: per replication the mean transit
    of every delivered container of each group, their ratio, then means over replications."""
    import pandas as pd

    rows = pd.read_csv(folder / "containers.csv.gz", usecols=["replication", "route", "transit_days"])
    reps = sorted(rows.replication.unique())

    def mean(rep: int, routes: list[str]) -> float:
        picked = rows[(rows.replication == rep) & rows.route.isin(routes)].transit_days
        return float(picked.mean())  # NaN (never delivered) left out: every delivered container

    sea_days, rail_days = [mean(k, sea) for k in reps], [mean(k, rail) for k in reps]
    ratio = float(np.mean([s / r for s, r in zip(sea_days, rail_days)]))
    return ratio, float(np.mean(sea_days)), float(np.mean(rail_days))


# ---------------------------------------------------------------------------------------
# Transit


def _panel(fig, title: str):
    """The panel of a grouped figure with that (left) title."""
    return next(ax for ax in fig.axes if ax.get_title(loc="left") == title)


def _band_patches(ax) -> list:
    return [p for p in ax.patches if (p.get_label() or "").startswith("claim")]


def test_ecdf_has_a_line_per_route_in_its_colour_with_the_band_and_ratio(run):
    data, colours = run
    fig = transit_ecdf_figure([data], colours)
    lines = _lines_by_label(fig)
    for rid in data.scenario.routes:
        (line,) = lines[rid]
        assert line.get_color() == colours[rid]
        assert np.array_equal(line.get_xdata(), data.transit[rid])
        assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == 1
    # One panel per market: the rail route is China → Europe, the ship its own "Sea".
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["China → Europe", "Sea"]
    rail, sea = _panel(fig, "China → Europe"), _panel(fig, "Sea")
    assert "(days" in rail.get_xlabel() and "share of containers" in rail.get_ylabel()
    band = _band_patches(rail)
    assert len(band) == 1 and band[0].get_label() == "claim: 10–20 days overland"
    assert band[0].get_x() == pytest.approx(10) and band[0].get_width() == pytest.approx(10)
    assert not _band_patches(sea)  # the claim is about the rail route: not shaded on the sea panel
    assert "seed 5" in fig._suptitle.get_text() and "2 replications" in fig._suptitle.get_text()
    ratio, sea_days, rail_days = _hand_ratio(data.folder, ["sea"], ["overland"])
    assert sea_rail_ratio(data)[:3] == pytest.approx((ratio, sea_days, rail_days), rel=1e-4)  # the CSV keeps 4 decimals
    found = sea_rail_ratio(data)
    assert f"sea/rail (test): {found[1]:.1f} d / {found[2]:.1f} d = {found[0]:.2f}×" in fig._suptitle.get_text()
    plt.close(fig)


def test_ecdf_marks_and_labels_the_mean_and_the_median_of_each_route(run):
    data, colours = run
    fig = transit_ecdf_figure([data], colours)
    for rid in data.scenario.routes:
        ax = next(a for a in fig.axes if any(ln.get_label() == rid for ln in a.get_lines()))
        marks = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
        mean, median = marks[f"mean-{rid}-0"], marks[f"median-{rid}-0"]
        summary_mean = data.summary["routes"][rid]["transit_days"]["mean"]
        assert mean.get_xdata()[0] == pytest.approx(summary_mean)  # the tables' mean, not the quantiles'
        assert median.get_xdata()[0] == pytest.approx(data.transit[rid][500]) and median.get_ydata()[0] == 0.5
        assert mean.get_marker() != median.get_marker()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(route_label(data.scenario, rid, 56) in t and f"median {median_days(data.transit[rid]):.1f} d" in t
                   and f"mean {summary_mean:.1f} d" in t for t in legend), legend
    figure_legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "mean" in figure_legend and "median" in figure_legend
    plt.close(fig)


def test_ecdf_line_colours_match_the_throughput_figure(run):
    data, colours = run
    ecdf, flows = transit_ecdf_figure([data], colours), throughput_figure([data], colours)
    ecdf_lines, flow_lines = _lines_by_label(ecdf), _lines_by_label(flows)
    for rid in data.scenario.routes:
        assert ecdf_lines[rid][0].get_color() == colours[rid]
        panel = next(ax for ax in flows.axes if ax.get_title(loc="left") == route_label(data.scenario, rid, 54))
        delivered = next(ln for ln in panel.get_lines() if ln.get_label().endswith(" delivered"))
        assert delivered.get_color() == ecdf_lines[rid][0].get_color()
    assert flow_lines  # the figure drew something
    plt.close(ecdf)
    plt.close(flows)


def test_no_band_and_no_ratio_without_a_claims_file(tmp_path):
    data = _run_cli(NETWORK, tmp_path, "-n", "1")  # no run.claims
    assert data.scenario.claims is None and sea_rail_ratio(data) is None
    colours = route_colours(data.scenario.routes)
    for build in (transit_ecdf_figure, transit_box_figure):
        fig = build([data], colours)
        text = _all_text(fig) + " ".join(t.get_text() for lg in fig.legends for t in lg.get_texts())
        assert "claim" not in text and "sea/rail" not in text, build.__name__
        # No shaded span: the only patches are the box plot's boxes and the violins.
        spans = [p for ax in fig.axes for p in ax.patches if p.get_label() and "claim" in p.get_label()]
        assert not spans and not any("band" in (p.get_label() or "") for ax in fig.axes for p in ax.patches)
        assert all(p.get_width() < 1 for ax in fig.axes for p in ax.patches if hasattr(p, "get_width")), build.__name__
        plt.close(fig)
    # With the claims file the same figure has its band (the check above can fail).
    with_claims = _run_cli(_network_with_countries(), tmp_path / "with", "-n", "1")
    fig = transit_ecdf_figure([with_claims], colours)
    assert any(p.get_label() == "claim: 10–20 days overland" for p in _panel(fig, "China → Europe").patches)
    plt.close(fig)


def test_box_figure_boxes_are_the_quartiles(run):
    data, colours = run
    fig = transit_box_figure([data], colours)
    ax = _panel(fig, "China → Europe")
    q = data.transit["overland"]
    # Horizontal boxes: whisker caps and median are vertical (constant-x) lines at those quantiles.
    flat = [line for line in ax.get_lines() if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]]
    for p in (0.05, 0.5, 0.95):
        assert any(line.get_xdata()[0] == pytest.approx(q[round(p * 1000)]) for line in flat), p
    (mean,) = [ln for ln in ax.get_lines() if ln.get_gid() == "mean-overland"]
    assert mean.get_xdata()[0] == pytest.approx(mean_days(data, "overland")) and mean.get_marker() == "D"
    (tick,) = [t.get_text() for t in ax.get_yticklabels()]
    assert tick.startswith(route_label(data.scenario, "overland", 48))
    assert f"median {median_days(q):.1f} d · mean {mean_days(data, 'overland'):.1f} d" in tick
    assert "days" in ax.get_xlabel()
    assert len(_band_patches(ax)) == 1 and not _band_patches(_panel(fig, "Sea"))
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "25th–75th" in legend and "5th–95th" in legend and "median" in legend and "mean" in legend
    plt.close(fig)


@pytest.mark.slow
def test_bundled_transit_panels_are_the_markets_an_analyst_asks_about(bundled):
    colours = route_colours(bundled.scenario.routes)
    routes = bundled.scenario.routes
    for build in (transit_ecdf_figure, transit_box_figure):
        fig = build([bundled], colours)
        titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
        for wanted in ("China → Europe", "Europe → China", "China → Central Asia", "Central Asia → China",
                       "Middle Corridor and Iran / Turkey", "Bulk (tonnes, carried in wagons)", "Sea"):
            assert wanted in titles, (build.__name__, titles)
        drawn: list[str] = []
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            if build is transit_ecdf_figure:
                ids = [ln.get_label() for ln in ax.get_lines() if ln.get_label() in routes]
                assert len(ax.get_legend().get_texts()) == len(ids)  # a legend entry per route of the panel
            else:
                ids = [ln.get_gid()[len("mean-"):] for ln in ax.get_lines() if (ln.get_gid() or "").startswith("mean-")]
            assert 0 < len(ids) <= MAX_LINES, (ax.get_title(loc="left"), ids)  # no empty panel, at most six routes
            drawn += ids
            # The 14–15 day band only on the panel of the claim's routes (northern rail to Duisburg).
            has_band = bool(_band_patches(ax))
            assert has_band == (ax.get_title(loc="left") == "China → Europe"), ax.get_title(loc="left")
        assert sorted(drawn) == sorted(routes)  # every route once
        for rid in drawn:  # grouped by what the scenario says of them, not by their ids
            route = routes[rid]
            if route.demand.cargo == "bulk":
                assert market(bundled.scenario, route) == "bulk"
            elif route.mode == "sea":
                assert market(bundled.scenario, route) == "sea"
        assert market(bundled.scenario, routes["mc_xian_halkali"]) == "middle"
        assert market(bundled.scenario, routes["kti_xian_tehran"]) == "middle"
        assert market(bundled.scenario, routes["air_shanghai_frankfurt"]) == "cn_eu"
        assert market(bundled.scenario, routes["rail_duisburg_xian"]) == "eu_cn"
        plt.close(fig)


def test_a_market_with_more_routes_than_a_panel_holds_is_split(run):
    data, _ = run
    many = {f"r{i}": data.scenario.routes["overland"] for i in range(MAX_LINES + 2)}
    scenario = replace(data.scenario, routes=many)
    panels = market_panels([scenario], list(many))
    assert [p.title for p in panels] == ["China → Europe (1 of 2)", "China → Europe (2 of 2)"]
    assert [len(p.routes) for p in panels] == [4, 4]


# ---------------------------------------------------------------------------------------
# Flows


def test_throughput_demand_line_is_created_teu_per_week(run):
    data, colours = run
    fig = throughput_figure([data], colours)
    rows = [r for r in _csv(data.folder / "route_weeks.csv") if r["route"] == "overland" and float(r["days"]) == 7]
    reps = sorted({r["replication"] for r in rows})
    assert len(reps) == 2
    by_week: dict[str, float] = {}
    for r in rows:
        by_week[r["week"]] = by_week.get(r["week"], 0.0) + float(r["created_teu"]) / len(reps)
    panel = next(ax for ax in fig.axes if ax.get_title(loc="left") == "overland")
    (demand,) = [ln for ln in panel.get_lines() if ln.get_label() == f"{data.label} demand"]
    assert np.allclose(demand.get_ydata(), list(by_week.values()))
    assert demand.get_linestyle() == "--"
    assert panel.get_ylabel() == "TEU/week"  # a train a day: the weeks as they are
    plt.close(fig)


def test_throughput_of_a_weekly_sailing_is_a_rolling_four_week_mean(run):
    data, colours = run
    assert data.scenario.services["ship"].schedule.days == (2,)  # one departure a week
    fig = throughput_figure([data], colours)
    panel = next(ax for ax in fig.axes if ax.get_title(loc="left") == "sea")
    x, delivered, demand, _ = weekly_rates(data, "sea")
    (line,) = [ln for ln in panel.get_lines() if ln.get_label() == f"{data.label} delivered"]
    mid, mean = rolling(x, delivered)
    assert np.allclose(line.get_xdata(), mid) and np.allclose(line.get_ydata(), mean)
    assert np.allclose(mean[0], delivered[:4].mean()) and mean.size == delivered.size - 3
    assert "4-week mean" in panel.get_ylabel()
    assert any("4-week rolling mean" in t.get_text() for t in panel.texts)
    assert "4-week rolling means" in fig._suptitle.get_text()
    plt.close(fig)


def _queues(data: RunData, nid: str) -> bool:
    """The stated threshold, by hand: a mean wait of an hour, or a day's mean queue of a vehicle."""
    return (24 * data.summary["nodes"][nid]["mean_wait_days"] >= WAIT_THRESHOLD_HOURS
            or data.nodes[nid].queue.max() >= QUEUE_THRESHOLD_VEHICLES)


def test_bottleneck_figure_draws_only_the_nodes_that_queue_with_their_wait(run):
    data, colours = run
    # The run's nodes, and one more with servers where nothing ever waits (it must not be drawn).
    idle = DaySeries(day=data.nodes["xian"].day, queue=np.zeros_like(data.nodes["xian"].queue),
                     utilization=np.full_like(data.nodes["xian"].queue, 0.2), servers=3)
    summary = {**data.summary, "nodes": {**data.summary["nodes"], "rotterdam": {
        **data.summary["nodes"]["rotterdam"], "mean_wait_days": 0.0}}}
    data = replace(data, nodes={**data.nodes, "rotterdam": idle}, summary=summary)
    fig = bottleneck_figure([data], colours)
    capacity = [nid for nid, n in data.scenario.nodes.items() if n.servers]
    assert capacity_nodes([data]) == capacity
    shown = [nid for nid in capacity if _queues(data, nid)]
    assert shown and "rotterdam" not in shown
    queue_axes = [ax for ax in fig.axes if ax.get_ylabel() == "vehicles"]
    util_axes = [ax for ax in fig.axes if ax.get_ylabel() == "busy servers (%)"]
    assert len(queue_axes) == len(util_axes) == len(shown)
    title = fig._suptitle.get_text()
    assert f"mean wait ≥ {WAIT_THRESHOLD_HOURS:g} h" in title and f"queue ≥ {QUEUE_THRESHOLD_VEHICLES:g} vehicle" in title
    assert f"{len(shown)} of {len(capacity)} capacity-limited nodes" in title and "rotterdam" in title
    for q_ax, u_ax, nid in zip(queue_axes, util_axes, shown):
        assert nid in q_ax.get_title(loc="left")
        assert f"mean wait {24 * data.summary['nodes'][nid]['mean_wait_days']:.1f} h" in q_ax.get_title(loc="left")
        (queue,) = [ln for ln in q_ax.get_lines() if ln.get_label() == data.label]
        assert np.allclose(queue.get_ydata(), data.nodes[nid].queue)
        # The wait beside the queue: a right-hand axis in hours (Little's law at the mean arrival rate).
        (wait,) = [c for c in q_ax.child_axes]
        assert "wait (hours)" in wait.get_ylabel() or "wait (days)" in wait.get_ylabel()
        (util,) = [ln for ln in u_ax.get_lines() if ln.get_label() == data.label]
        assert np.allclose(util.get_ydata(), data.nodes[nid].utilization * 100)
        (full,) = [ln for ln in u_ax.get_lines() if ln.get_label().startswith("capacity")]
        assert list(full.get_ydata()) == [100, 100]
    assert not any("no queue" in t.get_text() for ax in fig.axes for t in ax.texts)  # no empty panels
    plt.close(fig)


def test_bottleneck_figure_without_a_queueing_node_says_so_once(run):
    data, colours = run
    quiet = {nid: replace(d, queue=np.zeros_like(d.queue)) for nid, d in data.nodes.items()}
    nodes = {nid: {**n, "mean_wait_days": 0.0} for nid, n in data.summary["nodes"].items()}
    fig = bottleneck_figure([replace(data, nodes=quiet, summary={**data.summary, "nodes": nodes})], colours)
    assert len(fig.axes) == 1 and "no node queues" in _all_text(fig) and "≥ 1 h" in _all_text(fig)
    plt.close(fig)


def test_bottleneck_figure_shades_the_dated_events_at_a_node(run, tmp_path):
    data, colours = run
    doc = _network_with_countries()
    doc["events"] = [{"id": "shut", "name": "Dostyk shut", "kind": "closure", "target": "nodes.dostyk",
                      "start": 40.0, "duration_days": 5.0}]
    with_event = _run_cli(doc, tmp_path, "-n", "1")
    fig = bottleneck_figure([with_event], colours)
    q_ax = next(ax for ax in fig.axes if "dostyk" in ax.get_title(loc="left"))
    labels = [t.get_text() for t in q_ax.texts]
    assert any("Dostyk shut" in t for t in labels), labels
    spans = [p for p in q_ax.patches if p.get_label() == "_nolegend_"]
    assert spans and spans[0].get_x() == pytest.approx(40.0) and spans[0].get_width() == pytest.approx(5.0)
    plt.close(fig)


def test_figures_of_a_scenario_without_capacity_nodes_or_coordinates_draw(tmp_path):
    data = _run_cli(TRANSFER_CORRIDOR, tmp_path, "-n", "1")
    assert not data.nodes
    builders = figure_builders([data])
    fig = builders["bottlenecks"]()
    assert "no capacity-limited nodes" in _all_text(fig)
    plt.close(fig)
    for stem, build in builders.items():
        plt.close(build())


def test_bottleneck_figure_without_capacity_nodes_says_so(run):
    data, colours = run
    fig = bottleneck_figure([replace(data, nodes={})], colours)
    assert "no capacity-limited nodes" in _all_text(fig)
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# Marey


def test_marey_lines_are_flat_for_exactly_each_dwell(run):
    data, colours = run
    route = default_marey_route(data)
    assert route == "overland"  # the only container rail route from CN to Europe
    fig = marey_figure([data], route, colours)
    stops = [r for r in _csv(data.folder / "marey.csv") if r["route"] == route and r["node"] == "dostyk"]
    stop = stops[len(stops) // 2]
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_gid() == f"trip-{stop['trip']}")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    flat = [(x[i], x[i + 1]) for i in range(len(x) - 1) if y[i] == y[i + 1] == float(stop["km"])]
    assert flat == [(float(stop["arrive_day"]), float(stop["depart_day"]))]
    assert flat[0][1] - flat[0][0] == pytest.approx(float(stop["depart_day"]) - float(stop["arrive_day"]))
    ax = fig.axes[0]
    assert "km" in ax.get_ylabel() and "days" in fig.axes[-1].get_xlabel()
    names = " ".join(t.get_text() for t in ax.texts)
    assert "dostyk" in names and "(3,000\u00a0km)" in names  # a node without a name shows its id
    assert "overland" in fig._suptitle.get_text() and "one direction, xian → duisburg" in fig._suptitle.get_text()
    plt.close(fig)


def _trips_drawn(ax) -> set[int]:
    return {int(ln.get_gid()[len("trip-"):]) for ln in ax.get_lines() if (ln.get_gid() or "").startswith("trip-")}


def _begins(data: RunData, route: str) -> dict[int, float]:
    """Each trip's first arrival on the route, from marey.csv."""
    out: dict[int, float] = {}
    for r in _csv(data.folder / "marey.csv"):
        if r["route"] == route:
            out[int(r["trip"])] = min(out.get(int(r["trip"]), np.inf), float(r["arrive_day"]))
    return out


def test_marey_window_draws_only_the_trips_that_left_in_it(run):
    data, colours = run
    begins = _begins(data, "overland")
    default = marey_figure([data], "overland", colours)
    assert _trips_drawn(default.axes[0]) == {t for t, b in begins.items() if 0 <= b < 28}  # four weeks after warm-up
    plt.close(default)
    fig = marey_figure([data], "overland", colours, window=(7.0, 7.0))
    ax = fig.axes[0]
    wanted = {t for t, b in begins.items() if 7 <= b < 14}
    assert wanted and _trips_drawn(ax) == wanted
    assert ax.get_xlim()[0] == pytest.approx(7.0)
    assert "days 7–14" in fig._suptitle.get_text()
    plt.close(fig)
    empty = marey_figure([data], "overland", colours, window=(300.0, 7.0))
    assert "no vehicle of this route left in days 300–307" in _all_text(empty)
    plt.close(empty)
    with pytest.raises(ValueError, match="more than 0 days"):
        marey_figure([data], "overland", colours, window=(0.0, 0.0))


def test_marey_thins_a_crowded_window_to_a_few_highlighted_trains(run, monkeypatch):
    data, colours = run
    monkeypatch.setattr(marey_module, "MAX_TRAINS", 5)
    fig = marey_figure([data], "overland", colours)
    trips = [ln for ln in fig.axes[0].get_lines() if (ln.get_gid() or "").startswith("trip-")]
    lit = [ln for ln in trips if ln.get_color() != marey_module.DENSITY_COLOUR]
    assert len(trips) > 5 and len(lit) == marey_module.HIGHLIGHTS
    assert "6 of them highlighted" in fig._suptitle.get_text()
    plt.close(fig)


def test_marey_names_every_stop_in_full(run):
    data, colours = run
    long = "Alashankou (CN) / Dostyk (KZ), the gauge-change border crossing of the northern corridor"
    nodes = {**data.scenario.nodes, "dostyk": replace(data.scenario.nodes["dostyk"], name=long)}
    fig = marey_figure([replace(data, scenario=replace(data.scenario, nodes=nodes))], "overland", colours)
    names = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts]
    assert any(long in n and "(3,000\u00a0km)" in n for n in names), names  # wrapped, never cut
    assert not any("…" in n for n in names)
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# Comparisons


@pytest.fixture(scope="module")
def comparison(run, tmp_path_factory) -> list[RunData]:
    doc = _network_with_countries()
    doc["run"]["name"] = "faster"
    entry(doc, "legs", "cn_rail")["speed_km_per_day"] = 1200
    return [run[0], _run_cli(doc, tmp_path_factory.mktemp("faster"), "-n", "2")]


def test_comparison_figures_have_a_line_per_scenario(comparison):
    runs = comparison
    colours = route_colours(runs[0].scenario.routes)
    scen = scenario_colours(r.label for r in runs)
    fig = transit_ecdf_figure(runs, colours, scen)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["China → Europe", "Sea"]
    for ax, rid in zip(fig.axes, ["overland", "sea"]):
        lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
        assert sorted(lines) == [f"{rid} · faster", f"{rid} · network"]
        assert all(line.get_color() == colours[rid] for line in lines.values())  # route colour, scenario dash
        assert lines[f"{rid} · network"].get_linestyle() != lines[f"{rid} · faster"].get_linestyle()
    # The band only where the claim applies, in a comparison too.
    assert _band_patches(fig.axes[0]) and not _band_patches(fig.axes[1])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "network" in legend and "faster" in legend
    text = _all_text(fig)
    for r in runs:  # each scenario's ratio annotated
        ratio = sea_rail_ratio(r)[0]
        assert f"{r.label}: sea/rail (test)" in text and f"= {ratio:.2f}×" in text
    plt.close(fig)
    for build in (throughput_figure, bottleneck_figure, transit_box_figure):
        fig = build(runs, colours, scen)
        labels = _lines_by_label(fig)
        assert "network" in fig._suptitle.get_text() and "faster" in fig._suptitle.get_text()
        assert labels or fig.axes[0].patches
        plt.close(fig)
    fig = marey_figure(runs, "overland", colours, scen)
    assert [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")] == ["network", "faster"]
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# The bundled scenario and the files


@pytest.mark.slow
def test_bundled_figures_ratio_and_readability(bundled):
    assert default_marey_route(bundled) in ("rail_xian_duisburg", "rail_chongqing_duisburg")
    # The figure's ratio is claim b's: Suez over the northern westbound rail group.
    ratio = _hand_ratio(bundled.folder, ["sea_shanghai_rotterdam"], ["rail_xian_duisburg", "rail_chongqing_duisburg"])
    assert sea_rail_ratio(bundled)[:3] == pytest.approx(ratio, rel=1e-4)
    builders = figure_builders([bundled])
    for stem, build in builders.items():
        if stem == "route_map":  # sim.viz.routemap's own tests cover it
            continue
        fig = build()
        width, height = fig.get_size_inches()
        assert width <= 18.01 and height <= 14.01, (stem, width, height)
        fig.set_dpi(30)  # sizes are in points: a coarse raster lays the figure out as well, faster
        fig.canvas.draw()  # lays out, so that tick labels exist
        small = [t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible() and t.get_fontsize() < 8]
        assert not small, (stem, small[:5])
        plt.close(fig)


@pytest.mark.slow
def test_write_figures_in_every_format_reproducibly(run, tmp_path):
    data, _ = run
    open_before = set(plt.get_fignums())
    assert FORMATS == ("png", "svg", "pdf")
    # Each figure's size in inches, taken from the figure itself as it is saved.
    inches: dict[str, tuple[float, float]] = {}

    def saved(fig, path: Path) -> None:
        inches[path.stem] = tuple(fig.get_size_inches())

    size_of = {"png": (png_size, DPI), "svg": (svg_size_pt, 72), "pdf": (pdf_size_pt, 72)}
    stems = ["transit_ecdf", "transit_times", "throughput", "bottlenecks", "marey_overland", "route_map"]
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        folder = tmp_path / fmt
        folder.mkdir()
        # pdf goes through the same writer: two figures are enough to see it (each set costs seconds)
        only = ["transit_times", "route_map"] if fmt == "pdf" else None
        first = write_figures([data], folder, fmt, only=only, saved=saved)
        assert [p.name for p in first] == [f"{stem}.{fmt}" for stem in stems if only is None or stem in only]
        blobs = [p.read_bytes() for p in first]
        assert all(b.startswith(magic) for b in blobs)
        read_size, per_inch = size_of[fmt]
        for blob, path in zip(blobs, first):  # each file is its figure, at its size
            assert has_size_of(read_size(blob), inches[path.stem], per_inch), (fmt, path.stem)
        if fmt == "png":  # and the same bytes (one figure: redrawing them all costs seconds)
            assert same_figure(blobs[1], figure_builders([data])["transit_times"]())
        if fmt == "svg":  # svg carries ids and dates a careless writer would vary (two figures show it)
            two = ["transit_times", "route_map"]
            again = [p.read_bytes() for p in write_figures([data], folder, fmt, only=two)]
            assert again == [b for p, b in zip(first, blobs) if p.stem in two], fmt  # same data, same bytes
    assert set(plt.get_fignums()) == open_before  # every figure drawn here was closed


def test_unknown_marey_route_or_format_is_refused(run, tmp_path):
    data, _ = run
    with pytest.raises(ValueError, match="no_such_route"):
        figure_builders([data], "no_such_route")
    with pytest.raises(ValueError, match="format"):
        write_figures([data], tmp_path, "jpg")


def test_saving_a_png_lays_it_out_once_with_the_same_bytes_as_matplotlib(run, monkeypatch):
    # sim.viz.save lays a constrained figure out itself so that savefig draws it once; the
    # file must be what savefig's own two-pass layout writes, and the figure keep its engine.
    import io

    from matplotlib.figure import Figure

    from sim.viz.save import DPI as SAVE_DPI, _METADATA, save

    data, colours = run
    fig = transit_box_figure([data], colours)
    engine = fig.get_layout_engine()
    draws = []
    real_draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(1) or real_draw(self, renderer))
    ours = io.BytesIO()
    save(fig, ours, "png")
    assert len(draws) == 1
    monkeypatch.undo()
    assert fig.get_layout_engine() is engine
    theirs = io.BytesIO()
    fig2 = transit_box_figure([data], colours)
    fig2.savefig(theirs, format="png", dpi=SAVE_DPI, metadata=_METADATA["png"], pil_kwargs={"compress_level": 1})
    assert ours.getvalue() == theirs.getvalue()
    plt.close(fig)
    plt.close(fig2)
