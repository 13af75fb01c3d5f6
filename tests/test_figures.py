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
from sim.viz.flows import bottleneck_figure, throughput_figure
from sim.viz.marey import default_marey_route, marey_figure
from sim.viz.transit import sea_rail_ratio, transit_box_figure, transit_ecdf_figure
from sim.output.figure_data import RunData, read_run
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


def test_ecdf_has_a_line_per_route_in_its_colour_with_the_band_and_ratio(run):
    data, colours = run
    fig = transit_ecdf_figure([data], colours)
    lines = _lines_by_label(fig)
    for rid in data.scenario.routes:
        (line,) = lines[rid]
        assert line.get_color() == colours[rid]
        assert np.array_equal(line.get_xdata(), data.transit[rid])
        assert line.get_ydata()[0] == 0 and line.get_ydata()[-1] == 1
    ax = fig.axes[0]
    assert "(days" in ax.get_xlabel() and "share of units delivered" in ax.get_ylabel()
    band = [p for p in ax.patches if p.get_label() == "claim: 10–20 days overland"]
    assert len(band) == 1 and band[0].get_x() == pytest.approx(10) and band[0].get_width() == pytest.approx(10)
    assert "seed 5" in fig._suptitle.get_text() and "2 replications" in fig._suptitle.get_text()
    ratio, sea, rail = _hand_ratio(data.folder, ["sea"], ["overland"])
    assert sea_rail_ratio(data)[:3] == pytest.approx((ratio, sea, rail), rel=1e-4)  # the CSV keeps 4 decimals
    found = sea_rail_ratio(data)
    assert f"sea/rail (test): {found[1]:.1f} d / {found[2]:.1f} d = {found[0]:.2f}×" in ax.get_title()
    plt.close(fig)


def test_ecdf_line_colours_match_the_throughput_figure(run):
    data, colours = run
    ecdf, flows = transit_ecdf_figure([data], colours), throughput_figure([data], colours)
    ecdf_lines, flow_lines = _lines_by_label(ecdf), _lines_by_label(flows)
    for rid in data.scenario.routes:
        assert ecdf_lines[rid][0].get_color() == colours[rid]
        panel = next(ax for ax in flows.axes if ax.get_title() == rid)
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
    assert any(p.get_label() == "claim: 10–20 days overland" for p in fig.axes[0].patches)
    plt.close(fig)


def test_box_figure_boxes_are_the_quartiles(run):
    data, colours = run
    fig = transit_box_figure([data], colours)
    ax = fig.axes[0]
    q = data.transit["overland"]
    flat = [line for line in ax.get_lines() if len(line.get_ydata()) == 2 and line.get_ydata()[0] == line.get_ydata()[1]]
    for p in (0.05, 0.5, 0.95):  # whisker caps and median are flat lines at those quantiles
        assert any(line.get_ydata()[0] == pytest.approx(q[round(p * 1000)]) for line in flat), p
    assert [t.get_text() for t in ax.get_xticklabels()] == list(data.scenario.routes)
    assert "days" in ax.get_ylabel()
    assert any(p.get_label() == "claim: 10–20 days overland" for p in ax.patches)
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "25th–75th" in legend and "5th–95th" in legend
    plt.close(fig)


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
    panel = next(ax for ax in fig.axes if ax.get_title() == "overland")
    (demand,) = [ln for ln in panel.get_lines() if ln.get_label() == f"{data.label} demand"]
    assert np.allclose(demand.get_ydata(), list(by_week.values()))
    assert demand.get_linestyle() == "--"
    assert panel.get_ylabel() == "TEU/week"
    plt.close(fig)


def test_bottleneck_figure_has_a_queue_and_utilization_line_per_capacity_node(run):
    data, colours = run
    fig = bottleneck_figure([data], colours)
    capacity_nodes = [nid for nid, n in data.scenario.nodes.items() if n.servers]
    assert list(data.nodes) == capacity_nodes and capacity_nodes
    queue_axes = [ax for ax in fig.axes if ax.get_ylabel() == "vehicles"]
    util_axes = [ax for ax in fig.axes if ax.get_ylabel() == "busy servers (%)"]
    assert len(queue_axes) == len(util_axes) == len(capacity_nodes)
    for q_ax, u_ax, nid in zip(queue_axes, util_axes, capacity_nodes):
        assert nid in q_ax.get_title(loc="left")
        (queue,) = [ln for ln in q_ax.get_lines() if ln.get_label() == data.label]
        assert np.allclose(queue.get_ydata(), data.nodes[nid].queue)
        (util,) = [ln for ln in u_ax.get_lines() if ln.get_label() == data.label]
        assert np.allclose(util.get_ydata(), data.nodes[nid].utilization * 100)
        (full,) = [ln for ln in u_ax.get_lines() if ln.get_label().startswith("capacity")]
        assert list(full.get_ydata()) == [100, 100]
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
    names = " ".join(t.get_text() for t in ax.get_yticklabels())
    assert "dostyk" in names and "(3,000 km)" in names  # a node without a name shows its id
    assert "overland" in fig._suptitle.get_text()
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
    assert [ax.get_title() for ax in fig.axes] == ["overland", "sea"]
    for ax in fig.axes:
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert sorted(lines) == ["faster", "network"]
        assert all(lines[label].get_color() == scen[label] for label in lines)
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
    figures = {stem: build() for stem, build in figure_builders([data]).items()}
    size_of = {"png": (png_size, DPI), "svg": (svg_size_pt, 72), "pdf": (pdf_size_pt, 72)}
    stems = ["transit_ecdf", "transit_times", "throughput", "bottlenecks", "marey_overland", "route_map"]
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        folder = tmp_path / fmt
        folder.mkdir()
        # pdf goes through the same writer: two figures are enough to see it (each set costs seconds)
        only = ["transit_times", "route_map"] if fmt == "pdf" else None
        first = write_figures([data], folder, fmt, only=only)
        assert [p.name for p in first] == [f"{stem}.{fmt}" for stem in stems if only is None or stem in only]
        blobs = [p.read_bytes() for p in first]
        assert all(b.startswith(magic) for b in blobs)
        read_size, per_inch = size_of[fmt]
        for blob, path in zip(blobs, first):  # each file is its figure, at its size
            assert has_size_of(read_size(blob), figures[path.stem], per_inch), (fmt, path.stem)
        if fmt == "png":  # and the same bytes (one figure: redrawing them all costs seconds)
            assert same_figure(blobs[1], figures["transit_times"])
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
