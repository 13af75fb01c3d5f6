"""`compare A --vary PATH=VALUE`: a scenario against itself changed.  Both arms have the same
scenario name, so everything a reader tells them apart by (legends, colours, titles, the
report's header, the sub-folders `plot` re-draws) must come from the comparison's labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from scenarios_for_tests import NETWORK, raw, write
from sim.cli import main
from sim.report.draw import load_folder
from sim.viz.figures import figure_builders

VARY = "nodes.dostyk.servers=2"
VARIANT = f"network +{VARY}"


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    """NETWORK (Dostyk with 1 server) against NETWORK --vary Dostyk 2 servers; no figures yet."""
    root = tmp_path_factory.mktemp("vary")
    base = write(root, raw(NETWORK))
    out = root / "cmp"
    assert main(["compare", str(base), "--vary", VARY, "--out", str(out), "-n", "2", "-q", "--no-plot"]) == 0
    return out


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_figures_name_and_colour_each_arm_by_its_comparison_label(compared):
    runs, doc = load_folder(compared)
    assert doc["scenarios"] == ["network", VARIANT]
    assert [r.label for r in runs] == ["network", VARIANT]
    builders = figure_builders(runs)
    for stem in ("throughput", "bottlenecks", "transit_times"):
        fig = builders[stem]()
        texts = _legend_texts(fig)
        assert "network" in texts and VARIANT in texts, (stem, texts)
        assert f"network vs {VARIANT}" in fig._suptitle.get_text().replace("\n", " ")
        plt.close(fig)
    fig = builders["transit_ecdf"]()
    for ax in fig.axes:
        lines = {ln.get_label(): ln.get_color() for ln in ax.get_lines() if not ln.get_label().startswith("_")}
        if VARIANT in lines:
            assert lines["network"] != lines[VARIANT]  # two colours, not one for both arms
    plt.close(fig)
    fig = builders["marey_overland"]()
    assert [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")] == ["network", VARIANT]
    plt.close(fig)


def test_bottleneck_titles_show_each_arms_own_servers(compared):
    runs, _ = load_folder(compared)
    fig = figure_builders(runs)["bottlenecks"]()
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert any(t.startswith("dostyk (servers 1 vs 2): vehicles queueing") for t in titles), titles
    # xian (one server in both arms) queues under the figure's threshold: named as not shown
    assert not any(t.startswith("xian") for t in titles) and "xian" in fig.get_suptitle()
    plt.close(fig)


def test_report_names_each_arms_overrides_one_way_and_checks_come_first(compared):
    page = (compared / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page.replace("<br>", "\n"))
    assert "also:" not in text
    assert "network\noverrides: none" in text
    assert f"{VARIANT}\noverrides: --set {VARY}" in text
    assert text.count("overrides:") == 2  # once per arm, none in the settings line
    assert page.index('class="glance') < page.index('id="differences"') < page.index('id="results"')
    assert "routesim comparison: network vs " + VARIANT in text


def test_plot_redraws_an_arm_subfolder_as_that_scenario(compared, capsys):
    doc = json.loads((compared / "comparison.json").read_text())
    arm = compared / doc["folders"][VARIANT]
    assert arm.name == "2-network_nodes.dostyk.servers_2"
    assert main(["plot", str(arm)]) == 0
    printed = capsys.readouterr().out.split()
    assert str(arm / "bottlenecks.png") in printed and str(arm / "report.html") in printed
    page = (arm / "report.html").read_text(encoding="utf-8")
    assert f"routesim run: {VARIANT}" in page
    assert f"--set {VARY}" in page  # its reproduce command runs this arm alone
    # The comparison records the new files, so it stays routesim's own folder: plotted again,
    # and replaced whole by the next compare.
    from sim.output.folder import check_out_dir

    manifest = json.loads((compared / "manifest.json").read_text())
    assert f"{arm.name}/bottlenecks.png" in manifest["files"] and f"{arm.name}/report.html" in manifest["files"]
    check_out_dir(compared)  # no file routesim did not write: the next compare may replace it
    runs, doc = load_folder(compared)  # and its data files are still as written: it re-draws
    assert [r.label for r in runs] == ["network", VARIANT]


def test_plot_of_a_tampered_arm_names_the_file_and_changes_nothing(compared, tmp_path, capsys):
    import shutil

    copy = tmp_path / "cmp"
    shutil.copytree(compared, copy)
    arm = copy / "1-network"
    (arm / "route_weeks.csv").write_text("replication,route\n", encoding="utf-8")
    before = sorted(p.name for p in arm.iterdir())
    capsys.readouterr()
    assert main(["plot", str(arm)]) == 2
    err = capsys.readouterr().err
    assert err == f"routesim: error: {arm}: route_weeks.csv has changed since routesim wrote it (its size or SHA-256 differs from manifest.json); run the scenario again\n"
    assert sorted(p.name for p in arm.iterdir()) == before


def test_a_folder_inside_something_else_is_still_refused(tmp_path, capsys):
    inner = tmp_path / "notes" / "1-network"
    inner.mkdir(parents=True)
    (inner / "summary.json").write_text("{}")
    assert main(["plot", str(inner)]) == 2
    assert "not a routesim results folder" in capsys.readouterr().err
