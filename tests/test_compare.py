"""`routesim compare` and `routesim plot` end to end: paired differences, files, bad input."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.report.page_figures import embedded_png
from figure_files import embedded_pngs, pdf_size_pt, has_size_of, same_figure
from scenarios_for_tests import NETWORK, entry, raw, write
from sim.cli import main
from sim.analysis.statistics import t_quantile_975


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """NETWORK against a copy that runs twice as many trains; nothing else differs."""
    root = tmp_path_factory.mktemp("compare")
    base = write(root, NETWORK, "base.toml")
    doc = raw(NETWORK)
    doc["run"]["name"] = "more_trains"
    entry(doc, "services", "train")["schedule"] = {"departures_per_week": 14}
    variant = write(root, doc, "variant.toml")
    out = root / "out"
    assert main(["compare", str(base), str(variant), "--out", str(out), "-q"]) == 0
    return out, json.loads((out / "comparison.json").read_text())


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _row(doc: dict, route: str, metric: str) -> dict:
    return next(r for r in doc["differences"] if r["route"] == route and r["metric"] == metric)


def test_comparison_folder_holds_each_run_the_differences_figures_and_report(compared):
    out, doc = compared
    assert doc["scenarios"] == ["network", "more_trains"] and doc["baseline"] == "network"
    assert doc["folders"] == {"network": "1-network", "more_trains": "2-more_trains"}
    from sim.report.draw import load_folder
    from sim.viz.figures import figure_builders

    for name, folder in doc["folders"].items():
        summary = json.loads((out / folder / "summary.json").read_text())
        assert summary["scenario"] == name and summary["routes"] == doc["routes"][name]
        weeks = _rows(out / folder / "route_weeks.csv")
        assert {r["route"] for r in weeks} == set(summary["routes"])
    # The figures are those of the scenarios' folders, all on one figure, embedded in the report.
    runs, _ = load_folder(out)
    assert [r.label for r in runs] == ["network", "more_trains"]
    builders = figure_builders(runs)
    pngs = {stem: (out / f"{stem}.png").read_bytes() for stem in builders}
    for stem in ("transit_ecdf", "throughput", "bottlenecks"):
        assert same_figure(pngs[stem], builders[stem]()), stem
    report = (out / "report.html").read_text(encoding="utf-8")
    assert embedded_pngs(report) == [embedded_png(b) for b in pngs.values()]  # the saved files, as palette PNGs
    row = _row(doc, "overland", "transit_days")
    assert f"{row['difference']:+.2f}" in report and "more_trains" in report
    assert set(doc["routes"]) == {"network", "more_trains"}
    assert doc["routes"]["more_trains"]["overland"]["transit_days"]["mean"] > 0


def test_difference_and_interval_are_the_paired_t_interval_by_hand(compared):
    out, doc = compared
    base = {r["replication"]: float(r["transit_days"]) for r in _rows(out / "1-network" / "routes.csv") if r["route"] == "overland"}
    more = {r["replication"]: float(r["transit_days"]) for r in _rows(out / "2-more_trains" / "routes.csv") if r["route"] == "overland"}
    d = np.array([more[k] - base[k] for k in sorted(base)])
    half = t_quantile_975(d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    row = _row(doc, "overland", "transit_days")
    assert row["difference"] == pytest.approx(d.mean(), rel=1e-9)
    assert row["ci95"] == pytest.approx([d.mean() - half, d.mean() + half], rel=1e-9)
    assert row["significant"] == (not (row["ci95"][0] <= 0 <= row["ci95"][1]))
    # Trains every half day instead of every day: the wait for departure must fall.
    assert _row(doc, "overland", "wait_for_departure_days")["difference"] < 0


def test_common_random_numbers_leave_an_untouched_route_exactly_equal(compared):
    _, doc = compared
    for metric in ("transit_days", "wait_for_departure_days", "throughput_teu_per_year"):
        row = _row(doc, "sea", metric)
        assert row["difference"] == 0.0 and row["ci95"] == [0.0, 0.0]
        assert row["significant"] is False
        assert row["baseline_mean"] == row["scenario_mean"]


def test_terminal_table_shows_differences_and_significance(compared):
    _, doc = compared
    from sim.report.tables import comparison_text

    text = comparison_text(doc)
    line = next(x for x in text.splitlines() if x.startswith("overland ") and "mean transit (d)" in x)
    row = _row(doc, "overland", "transit_days")
    assert f"{row['difference']:+.2f}" in line
    assert line.rstrip().endswith("yes" if row["significant"] else "no")
    sea = next(x for x in text.splitlines() if x.startswith("sea ") and "mean transit (d)" in x)
    assert "+0.00" in sea and sea.rstrip().endswith("no")
    assert "paired by replication" in text and "baseline network" in text


@pytest.mark.slow
def test_plot_redraws_the_same_figures_without_running(compared, tmp_path):
    out, _ = compared
    pngs = sorted(out.glob("*.png"))
    assert {"transit_ecdf.png", "throughput.png", "bottlenecks.png", "route_map.png"} <= {p.name for p in pngs}
    drawn = {p.name: p.read_bytes() for p in pngs}
    report = (out / "report.html").read_bytes()
    # plot re-draws from the folder's data files alone: the same bytes as the compare run
    # drew (drawing is reproducible: no dates, no random ids), and the same report.
    assert main(["plot", str(out), "-q"]) == 0
    assert {p.name: p.read_bytes() for p in sorted(out.glob("*.png"))} == drawn
    assert (out / "report.html").read_bytes() == report
    assert not list(out.glob(".plot-*"))


@pytest.mark.slow
def test_plot_of_one_run_folder(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "2", "--no-plot"]) == 0  # no figure yet
    assert main(["plot", str(out), "--format", "pdf"]) == 0
    printed = capsys.readouterr().out.split()
    assert str(out / "throughput.pdf") in printed
    from sim.viz.figures import figure_builders
    from sim.output.run_data import read_run
    from sim.report.page_figures import embedded_png, figure_png

    builders = figure_builders([read_run(out)])
    throughput = builders["throughput"]()
    assert has_size_of(pdf_size_pt((out / "throughput.pdf").read_bytes()), throughput, 72)
    # report.html embeds every figure, drawn as PNG from the folder's data (one redrawn to
    # check the bytes: drawing them all again costs seconds).
    embedded = embedded_pngs((out / "report.html").read_text(encoding="utf-8"))
    assert len(embedded) == len(builders)
    assert embedded[list(builders).index("throughput")] == embedded_png(figure_png(throughput))


def _fails(args: list[str], capsys, *needles: str) -> str:
    with pytest.raises(SystemExit) as exc:
        status = main(args)
        raise SystemExit(status)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err
    return err


def test_comparing_a_scenario_with_itself_is_refused(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "o"
    _fails(["compare", str(file), str(file), "--out", str(out)], capsys, "same scenario")
    assert not out.exists()


def test_scenarios_sharing_no_route_are_refused(tmp_path, capsys):
    a = write(tmp_path, NETWORK, "a.toml")
    doc = raw(NETWORK)
    for route in doc["routes"]:
        route["id"] = "other_" + route["id"]
    b = write(tmp_path, doc, "b.toml")
    out = tmp_path / "o"
    _fails(["compare", str(a), str(b), "--out", str(out)], capsys, "shares no route id")
    assert not out.exists()


def test_one_scenario_is_not_a_comparison(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    _fails(["compare", str(file), "--out", str(tmp_path / "o")], capsys, "at least two")


def test_unknown_format_is_refused(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "o"
    _fails(["run", str(file), "--format", "jpg", "--out", str(out)], capsys, "invalid choice: 'jpg'")
    assert not out.exists()


def test_unknown_marey_route_is_refused_before_running(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "o"
    _fails(["run", str(file), "--marey", "overlnd", "--out", str(out)], capsys, "overlnd", "overland")
    assert not out.exists()


def test_plot_of_a_missing_folder(tmp_path, capsys):
    _fails(["plot", str(tmp_path / "nowhere")], capsys, "no such results folder")


def test_plot_of_a_folder_that_is_not_results(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    _fails(["plot", str(tmp_path)], capsys, "not a routesim results folder")


def test_plot_of_results_from_another_version_changes_nothing(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "1", "--no-plot"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    summary["results_format"] = 1
    summary["routesim_version"] = "0.0.9"
    (out / "summary.json").write_text(json.dumps(summary))
    manifest = json.loads((out / "manifest.json").read_text())  # as another version writes it
    manifest.update(results_format=1, routesim_version="0.0.9")
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _fails(["plot", str(out)], capsys, "routesim 0.0.9", "results format 1", "run the scenario again")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_plot_of_an_incomplete_folder(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "1", "--no-plot"]) == 0
    (out / "marey.csv").unlink()
    capsys.readouterr()
    _fails(["plot", str(out)], capsys, "incomplete", "marey.csv")


def test_differences_of_shares_read_in_percentage_points_and_zero_has_no_sign() -> None:
    """A utilisation of 74.1% against 79.7% differs by 5.6 percentage points, not 5.6%;
    a difference that rounds to zero reads +0.00, never -0.00."""
    from sim.report.tables import format_metric

    assert format_metric("utilization", 0.741) == "74.1%"
    assert format_metric("utilization", 0.797 - 0.741, signed=True) == "+5.6 pp"
    assert format_metric("utilization", -0.0004, signed=True) == "+0.0 pp"
    assert format_metric("transit_days", -0.001, signed=True) == "+0.00"
    assert format_metric("transit_days", -0.006, signed=True) == "-0.01"
    assert format_metric("teu_per_year", -0.4, signed=True) == "+0"


def test_plot_of_a_results_format_written_as_text_is_one_line(tmp_path, capsys):
    """A results format routesim never writes ("4", a string) is refused for what it is, not
    as format 4 by routesim of the same version."""
    import hashlib

    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "1", "--no-plot"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    summary["results_format"] = str(summary["results_format"])
    (out / "summary.json").write_text(json.dumps(summary))
    manifest = json.loads((out / "manifest.json").read_text())  # forged along with it
    data = (out / "summary.json").read_bytes()
    manifest["files"]["summary.json"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    _fails(["plot", str(out)], capsys, f"results_format must be an integer as routesim writes it, got {summary['results_format']!r}")


def test_plot_with_a_folder_where_a_figure_goes_is_one_line_and_changes_nothing(tmp_path, capsys):
    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "1"]) == 0
    (out / "throughput.png").unlink()
    (out / "throughput.png").mkdir()
    (out / "throughput.png" / "mine.txt").write_text("mine")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    _fails(["plot", str(out)], capsys, "throughput.png is a folder, where routesim's figure was; move it away")
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_plot_in_another_format_overwrites_and_removes_only_routesims_figures(tmp_path, capsys):
    """A file of the user's at a name the new figures take, or a folder where an old figure
    was, is refused before anything is replaced."""
    file = write(tmp_path, NETWORK)
    out = tmp_path / "run"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "1"]) == 0
    (out / "throughput.svg").write_text("mine")
    snapshot = lambda: {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    before = snapshot()
    capsys.readouterr()
    _fails(["plot", str(out), "--format", "svg"], capsys,
           "throughput.svg is not a file routesim wrote (not in manifest.json), and plot would overwrite it")
    assert snapshot() == before
    (out / "throughput.svg").unlink()
    (out / "bottlenecks.png").unlink()
    (out / "bottlenecks.png").mkdir()
    before = snapshot()
    _fails(["plot", str(out), "--format", "svg"], capsys, "bottlenecks.png is a folder, where routesim's figure was")
    assert snapshot() == before
