"""`routesim run` end to end: files and their content, reproducibility, bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.report.page_figures import embedded_png
from figure_files import DPI, embedded_pngs, has_size_of, png_size, same_figure
from sim.cli import main
from sim.output.run_data import read_run
from sim.viz.figures import figure_builders
from sim.model.loader import load_scenario

CORRIDOR = """\
[run]
name = "corridor"
horizon_days = 150
warmup_days = 30
cooldown_days = 40
replications = 3
seed = 11

[[nodes]]
id = "xian"
name = "Xi'an terminal"
kind = "terminal"
servers = 2
handling_hours = { train = { dist = "triangular", min = 2, mode = 4, max = 8 } }

[[nodes]]
id = "border"
name = "Border with gauge change"
kind = "border"
servers = 2
gauge_change = true
handling_hours = { train = { dist = "lognormal", mean = 6, cv = 0.3 } }

[[nodes]]
id = "duisburg"
name = "Duisburg"
kind = "terminal"

[[nodes]]
id = "shanghai"
name = "Shanghai"
kind = "seaport"
servers = 1
handling_hours = { ship = 24 }

[[nodes]]
id = "rotterdam"
name = "Rotterdam"
kind = "seaport"
servers = 1
handling_hours = { ship = 24 }

[[legs]]
id = "cn_rail"
from = "xian"
to = "border"
mode = "rail"
distance_km = 3000
speed_km_per_day = 900

[[legs]]
id = "wide_rail"
from = "border"
to = "duisburg"
mode = "rail"
distance_km = 6500
speed_km_per_day = { dist = "uniform", min = 800, max = 1000 }

[[legs]]
id = "suez"
from = "shanghai"
to = "rotterdam"
mode = "sea"
distance_nm = 10600
speed_knots = 16

[[services]]
id = "block_train"
vehicle = "train"
capacity_teu = 90
schedule = { departures_per_week = 14 }

[[services]]
id = "weekly_ship"
vehicle = "ship"
capacity_teu = 4000
schedule = { departure_days = [2] }

[[routes]]
id = "rail"
name = "Xi'an to Duisburg"
path = ["xian", "border", "duisburg"]
services = "block_train"
[routes.demand]
teu_per_year = 40000

[[routes]]
id = "sea"
name = "Shanghai to Rotterdam"
path = ["shanghai", "rotterdam"]
services = "weekly_ship"
[routes.demand]
teu_per_year = 100000
"""

RESULT_FILES = {
    "manifest.json", "summary.json", "metrics.csv", "containers.csv.gz", "routes.csv", "nodes.csv", "nodes_by_month.csv", "scenario.toml",
    "route_weeks.csv", "node_days.csv", "marey.csv", "transit_quantiles.csv",
    "transit_ecdf.png", "transit_times.png", "throughput.png", "bottlenecks.png", "marey_rail.png",
    "route_map.png", "report.html",
}


@pytest.fixture
def corridor(tmp_path: Path) -> Path:
    path = tmp_path / "corridor.toml"
    path.write_text(CORRIDOR, encoding="utf-8")
    return path


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# A full run: every file there, with the content it promises


def test_run_writes_every_file_with_consistent_content(corridor: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    code, stdout, stderr = run(["run", str(corridor), "--out", str(out)], capsys)
    assert code == 0, stderr
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert not list(tmp_path.glob(".res.*")), "temporary folders left behind"

    summary = read_summary(out)
    assert summary["scenario"] == "corridor"
    assert summary["seed"] == 11 and summary["replications"] == 3
    assert summary["horizon_days"] == 150 and summary["warmup_days"] == 30
    assert set(summary["routes"]) == {"rail", "sea"}
    assert summary["routes"]["rail"]["mode"] == "rail"
    assert summary["routes"]["sea"]["mode"] == "sea"
    for r in summary["routes"].values():
        t = r["transit_days"]
        assert t["p5"] <= t["p50"] <= t["p95"]
        lo, hi = t["ci95"]
        assert lo < t["mean"] < hi
        lo, hi = r["teu_delivered"]["ci95"]
        assert 0 < lo < r["teu_delivered"]["mean"] < hi
    for nid in ("xian", "border", "shanghai", "rotterdam"):
        node = summary["nodes"][nid]
        assert 0 < node["utilization"] < 1
        assert node["mean_wait_days"] >= 0 and node["max_queue"] >= 0
    assert summary["nodes"]["duisburg"]["utilization"] is None  # no capacity limit

    # Sea: 10,600 nm at 16 kn is 27.6 days, plus two 1-day port calls, plus on average
    # half a week waiting for the weekly ship: about 33.1 days.
    sailing = 10600 / 16 / 24
    assert summary["routes"]["sea"]["transit_days"]["mean"] == pytest.approx(sailing + 2 + 3.5, abs=0.5)

    # The per-container table: pandas reads it; rows are the counted, delivered containers.
    table = pd.read_csv(out / "containers.csv.gz")
    assert list(table.columns) == [
        "replication", "route", "created_day", "departed_day", "delivered_day", "transit_days"
    ]
    assert set(table["replication"]) == {0, 1, 2}
    # Calendar days: day 0 is the end of the 30-day warm-up, the horizon is day 120.
    assert ((table["created_day"] >= 0) & (table["created_day"] < 120)).all()
    assert (table["departed_day"] >= table["created_day"] - 1e-4).all()
    assert (table["delivered_day"] > table["departed_day"]).all()
    np.testing.assert_allclose(table["transit_days"], table["delivered_day"] - table["created_day"], atol=2e-4)
    routes = pd.read_csv(out / "routes.csv")
    per_run = table.groupby(["replication", "route"]).size()
    for row in routes.itertuples():
        # conservation
        assert row.containers_created == row.containers_delivered + row.containers_in_transit + row.containers_waiting
        assert per_run[(row.replication, row.route)] == row.containers_created - row.containers_undelivered_at_end
    for rid, r in summary["routes"].items():
        mine = table[table["route"] == rid]["transit_days"]
        assert r["transit_days"]["p50"] == pytest.approx(float(mine.median()), abs=1e-3)
        means = routes[routes["route"] == rid]["transit_days"]
        assert r["transit_days"]["mean"] == pytest.approx(float(means.mean()), rel=1e-12)

    nodes = pd.read_csv(out / "nodes.csv")
    assert len(nodes) == 3 * 5
    border = nodes[nodes["node"] == "border"]
    assert summary["nodes"]["border"]["utilization"] == pytest.approx(border["utilization"].mean(), rel=1e-12)

    # The resolved scenario runs again and is the same scenario.
    again, original = load_scenario(str(out / "scenario.toml")), load_scenario(str(corridor))
    assert replace(again, source="") == replace(original, source="")

    # Each figure file is that figure of the folder's data, at its size, embedded in the report.
    figure = figure_builders([read_run(out)])["transit_times"]()
    png = (out / "transit_times.png").read_bytes()
    assert has_size_of(png_size(png), figure, DPI)
    assert same_figure(png, figure)
    embedded = embedded_pngs((out / "report.html").read_text(encoding="utf-8"))
    assert embedded == [embedded_png((out / f"{stem}.png").read_bytes()) for stem in (
        "transit_ecdf", "transit_times", "throughput", "bottlenecks", "marey_rail", "route_map")]

    assert "rail" in stdout and "sea" in stdout and "95% CI" in stdout
    assert str(out) in stdout


def test_set_override_is_applied_and_recorded(corridor: Path, tmp_path: Path, capsys) -> None:
    base, slow = tmp_path / "base", tmp_path / "slow"
    assert run(["run", str(corridor), "--out", str(base), "-q", "--no-plot"], capsys)[0] == 0
    args = ["run", str(corridor), "--out", str(slow), "-q", "--no-plot", "--set", "legs.wide_rail.speed_km_per_day=500"]
    assert run(args, capsys)[0] == 0
    fast_t = read_summary(base)["routes"]["rail"]["transit_days"]["mean"]
    slow_t = read_summary(slow)["routes"]["rail"]["transit_days"]["mean"]
    # 6,500 km at 500 km/d instead of ~900 km/d (harmonic mean of U(800, 1000)): +5.8 days.
    expected = 6500 / 500 - 6500 * math.log(1000 / 800) / 200
    assert slow_t - fast_t == pytest.approx(expected, abs=0.3)
    assert read_summary(slow)["routes"]["sea"]["transit_days"]["mean"] == pytest.approx(
        read_summary(base)["routes"]["sea"]["transit_days"]["mean"], rel=1e-12
    ), "common random numbers: the sea route must not change when only a rail leg does"
    resolved = (slow / "scenario.toml").read_text(encoding="utf-8")
    assert "--set legs.wide_rail.speed_km_per_day=500" in resolved
    assert load_scenario(str(slow / "scenario.toml")).legs["wide_rail"].speed_km_per_day.mean == 500


def test_no_plot_and_replications_and_seed_options(corridor: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    code, stdout, _ = run(["run", str(corridor), "--out", str(out), "-n", "2", "--seed", "5", "--no-plot", "-q"], capsys)
    assert code == 0 and stdout == ""
    assert not (out / "transit_times.png").exists()
    summary = read_summary(out)
    assert summary["replications"] == 2 and summary["seed"] == 5


def test_rerun_replaces_previous_results_whole(corridor: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    assert run(["run", str(corridor), "--out", str(out), "-n", "2", "-q"], capsys)[0] == 0
    assert run(["run", str(corridor), "--out", str(out), "-n", "3", "-q", "--no-plot"], capsys)[0] == 0
    assert read_summary(out)["replications"] == 3
    assert not (out / "transit_times.png").exists(), "files of the old run must not linger"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------------------------
# Same seed, same files


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_same_seed_gives_identical_files_whatever_the_worker_count(corridor: Path, tmp_path: Path, capsys) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run(["run", str(corridor), "--out", str(a), "-q"], capsys)[0] == 0
    assert run(["run", str(corridor), "--out", str(b), "-q", "--no-plot"], capsys)[0] == 0  # the data twice
    assert run(["run", str(corridor), "--out", str(c), "-q", "--workers", "2"], capsys)[0] == 0
    files = _files(a)
    data = {k: v for k, v in _files(b).items() if k not in ("report.html", "manifest.json")}  # b drew nothing
    assert {k: files[k] for k in data} == data
    assert files == _files(c)  # figures and report included
    d = tmp_path / "d"
    assert run(["run", str(corridor), "--out", str(d), "-q", "--seed", "12", "--no-plot"], capsys)[0] == 0
    assert _files(d)["containers.csv.gz"] != files["containers.csv.gz"]


# ---------------------------------------------------------------------------------------
# Bad input: one line, exit 2, no traceback, nothing written


def _mutate(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BAD_FILES = {
    "syntax": (lambda t: _mutate(t, 'servers = 2\ngauge', 'servers = = 2\ngauge'), ["TOML syntax error", "line 20"]),
    "unknown key": (lambda t: _mutate(t, "servers = 2\ngauge", "servres = 2\ngauge"), ["nodes.border.servres", "did you mean 'servers'"]),
    "wrong type": (lambda t: _mutate(t, "distance_km = 3000", 'distance_km = "far"'), ["legs.cn_rail.distance_km", "must be a number"]),
    "negative": (lambda t: _mutate(t, "distance_km = 3000", "distance_km = -3000"), ["legs.cn_rail.distance_km", "> 0"]),
    "zero speed": (lambda t: _mutate(t, "speed_km_per_day = 900", "speed_km_per_day = 0"), ["legs.cn_rail.speed_km_per_day"]),
    "cv below zero": (lambda t: _mutate(t, "cv = 0.3", "cv = -0.3"), ["nodes.border.handling_hours.train.cv"]),
    "triangular min > max": (lambda t: _mutate(t, "min = 2, mode = 4, max = 8", "min = 9, mode = 4, max = 8"), ["nodes.xian.handling_hours.train", "min"]),
    "unknown node": (lambda t: _mutate(t, 'path = ["xian", "border", "duisburg"]', 'path = ["xian", "boarder", "duisburg"]'), ["routes.rail.path[1]", "did you mean 'border'"]),
    "unknown service": (lambda t: _mutate(t, 'services = "block_train"', 'services = "block_trian"'), ["routes.rail.services", "did you mean 'block_train'"]),
    "route does not connect": (lambda t: _mutate(t, 'path = ["xian", "border", "duisburg"]', 'path = ["xian", "duisburg"]'), ["routes.rail.path", "does not connect"]),
    "duplicate id": (lambda t: _mutate(t, 'id = "duisburg"', 'id = "border"'), ["duplicate id 'border'"]),
    "zero servers": (lambda t: _mutate(t, "servers = 2\ngauge", "servers = 0\ngauge"), ["nodes.border.servers", ">= 1"]),
    "zero capacity": (lambda t: _mutate(t, "capacity_teu = 90", "capacity_teu = 0"), ["services.block_train.capacity_teu"]),
    "horizon not after warm-up": (lambda t: _mutate(t, "warmup_days = 30", "warmup_days = 150"), ["run.warmup_days", "shorter than the horizon"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_file_is_one_clear_line(case: str, tmp_path: Path, capsys) -> None:
    mutate, expected = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    path.write_text(mutate(CORRIDOR), encoding="utf-8")
    out = tmp_path / "res"
    code, stdout, stderr = run(["run", str(path), "--out", str(out)], capsys)
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("routesim: error: ")
    assert str(path) in stderr
    for text in expected:
        assert text in stderr
    assert not out.exists() and stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


BAD_ARGS = {
    "missing file": (["run", "{tmp}/missing.toml"], ["missing.toml", "file not found"]),
    "unknown bundled name": (["run", "china_europe_2002"], ["unknown bundled scenario 'china_europe_2002'", "did you mean 'china_europe_2020'"]),
    "unknown --set path": (["run", "{corridor}", "--set", "nodes.boarder.servers=3"], ["--set nodes.boarder.servers=3", "did you mean 'border'"]),
    "unknown --set key": (["run", "{corridor}", "--set", "legs.cn_rail.sped_km_per_day=3"], ["legs.cn_rail.sped_km_per_day", "did you mean 'speed_km_per_day'"]),
    "bad --set value": (["run", "{corridor}", "--set", "nodes.border.servers=two"], ["--set nodes.border.servers=two", "must be an integer"]),
    "malformed --set": (["run", "{corridor}", "--set", "nodes.border.servers"], ["--set nodes.border.servers", "PATH=VALUE"]),
    "--set breaks a distribution": (["run", "{corridor}", "--set", 'nodes.border.handling_hours.train={{ dist = "gamma", mean = 5, cv = -1 }}'], ["--set nodes.border.handling_hours.train", "cv"]),
    "-n 0": (["run", "{corridor}", "-n", "0"], ["replications", "got 0"]),
    "-n not a number": (["run", "{corridor}", "-n", "many"], ["replications", "'many'"]),
    "--workers -1": (["run", "{corridor}", "--workers", "-1"], ["workers", "got -1"]),
    "--seed -3": (["run", "{corridor}", "--seed", "-3"], ["seed", "got -3"]),
    "--out is a file": (["run", "{corridor}", "--out", "{corridor}"], ["exists and is not a folder"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGS))
def test_bad_argument_is_one_clear_line(case: str, corridor: Path, tmp_path: Path, capsys) -> None:
    template, expected = BAD_ARGS[case]
    args = [a.format(tmp=tmp_path, corridor=corridor) for a in template]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "res")]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse rejects bad numbers before main's own handling
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1, captured.err
    for text in expected:
        assert text in captured.err
    assert "Traceback" not in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corridor.toml"]


def test_out_folder_that_is_not_ours_is_left_alone(corridor: Path, tmp_path: Path, capsys) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete", encoding="utf-8")
    code, _, stderr = run(["run", str(corridor), "--out", str(precious)], capsys)
    assert code == 2 and "not empty" in stderr
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "do not delete"


def test_failure_while_writing_keeps_the_previous_results(corridor: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "res"
    assert run(["run", str(corridor), "--out", str(out), "-n", "2", "-q", "--no-plot"], capsys)[0] == 0
    before = _files(out)

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.viz.figures.save", explode)
    code, _, stderr = run(["run", str(corridor), "--out", str(out), "-n", "3", "-q"], capsys)
    assert code == 130 and "no results written" in stderr
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------------------------
# Entry points


@pytest.mark.slow
def test_console_script_and_module_entry_points(corridor: Path, tmp_path: Path) -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--set nodes.dostyk.servers=4" in help_text
    for option in ("--replications", "--seed", "--workers", "--set", "--out", "--no-plot", "--quiet"):
        assert option in help_text
    bad = subprocess.run([sys.executable, "-m", "sim", "run", str(corridor), "-n", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1


def test_list_shows_every_bundled_scenario_and_its_routes(capsys) -> None:
    code, stdout, stderr = run(["list"], capsys)
    assert code == 0 and stderr == ""
    first, second = load_scenario("china_europe_2019"), load_scenario("china_europe_2020")
    assert stdout.startswith(f"china_europe_2019: {first.settings.description}")
    assert f"\nchina_europe_2020: {second.settings.description}\n" in stdout
    scenario = second
    for rid, route in scenario.routes.items():
        line = next(line for line in stdout.splitlines() if line.startswith(rid + " "))
        assert route.mode in line
        assert f"{route.path[0]} → {route.path[-1]}" in line
        assert f"{route.distance_km:,.0f}" in line
