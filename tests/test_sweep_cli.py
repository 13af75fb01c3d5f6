"""`routesim sweep` end to end: bad input in one line, the folder's files, sweep files,
--resume, a tampered or foreign folder, Ctrl-C; and the metric paths' rows."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.metric_paths import rows_of
from sim.cli import main
from sim.model.loader import build_scenario

from scenarios_for_tests import SINGLE_QUEUE, raw, write

QUEUE = SINGLE_QUEUE.replace("horizon_days = 300", "horizon_days = 120")
PARAMS = ["--param", "nodes.q.handling_hours.truck=0.5:2.5", "--param", "routes.r.demand.teu_per_year=365:1095"]


@pytest.fixture()
def queue(tmp_path: Path) -> Path:
    return write(tmp_path, QUEUE, "queue.toml")


def _sweep(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sweep", *args])
    out, err = capsys.readouterr()
    return code, out, err


BAD = [
    (["--param", "nodes.qq.servers=1:3"], "--param nodes.qq.servers=1:3: unknown [[nodes]] id 'qq'; did you mean 'q'?"),
    (["--param", "nodes.q.servers=3:1"], "reversed range 3:1 (write LOW:HIGH)"),
    (["--param", "nodes.q.servers=2:2"], "empty range 2:2"),
    (["--param", "nodes.q.servers=1:5:0.5", "--design", "grid"],
     "step 0.5 is not a whole number, and nodes.q.servers takes whole numbers only"),
    (["--param", "nodes.q.servers=1:5", "--design", "sobolx"], "unknown design 'sobolx'; did you mean 'sobol'?"),
    (["--param", "nodes.q.servers=1:5", "--metrics", "nodes.q.mean_wait_dayz"],
     "unknown metric of nodes (q) 'mean_wait_dayz'; did you mean 'mean_wait_days'?"),
    (["--param", "nodes.q.servers=1:5", "--metrics", "lanes.q.x"], "unknown section 'lanes'"),
    (["--param", "nodes.q.servers=1:5", "--design", "sobol", "--samples", "4"], "--samples 4: too few for sobol (at least 8)"),
    (["--param", "nodes.q.servers=1:5", "--design", "sobol", "--samples", "12"], "needs a power of two, e.g. 8 or 16"),
    (["--param", "nodes.q.servers=1:5", "--design", "morris", "--samples", "2"], "too few for morris"),
    (["--param", "nodes.q.servers=1:5", "--design", "grid", "--samples", "4"], "a grid takes every combination"),
    (["--param", "nodes.q.handling_hours.truck=1:3", "--design", "grid"], "a grid needs a step for a range of reals"),
    (["--param", "nodes.q.servers=0:3", "--design", "grid"], "point 0 of the design: --param nodes.q.servers=0: "
                                                              "nodes.q.servers: must be >= 1"),
    (["--param", "nodes.q.servers"], "expected PATH=LOW:HIGH"),
    (["--param", "nodes.q.servers=x:3"], "'x' is not a number"),
    (["--param", "nodes.q.servers=[2]"], "one value is not a parameter"),
    (["--param", "nodes.q.servers=1:3", "--set", "nodes.q.servers=2"], "also fixed by --set"),
    (["--param", "nodes.q.servers=1:3", "--param", "nodes.q.servers=2:4"], "--param nodes.q.servers: given twice"),
    (["--param", "nodes.q.servers=1:3", "--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
    (["--param", "nodes.q.servers=1:3", "--scheduler", "tcp://x", "--executor", "serial"], "cannot go with --executor serial"),
    ([], "a sweep needs at least one --param"),
    (["--param", "nodes.q.servers=1:3", "--second-order"], "--second-order: only a Sobol design"),
    (["--param", "nodes.q.servers=1:3", "--levels", "6"], "--levels: only a Morris design has levels, not lhs"),
    (["--param", "nodes.q.servers=1:3", "--set", "run.horizon_days=abc", "--set", "run.horizon_days=90"],
     "--set run.horizon_days: given twice"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_sweep_input_is_one_line_exit_2_and_nothing_written(capsys, queue: Path, args, message) -> None:
    out = queue.parent / "out"
    code, _, err = _sweep(capsys, str(queue), *args, "-n", "1", "--out", str(out), "-q")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("routesim: error: ") and message in err, err
    assert not out.exists() and not (queue.parent / "out.points").exists()


def test_sweep_writes_its_folder_and_prints_the_indices(capsys, queue: Path) -> None:
    out = queue.parent / "res"
    code, text, _ = _sweep(capsys, str(queue), *PARAMS, "--design", "lhs", "--samples", "6", "-n", "2",
                           "--metrics", "nodes.q.mean_wait_days,routes.*.transit_days.mean", "--executor", "serial",
                           "--out", str(out))
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["design.csv", "indices.csv", "indices.png", "manifest.json", "report.html", "scatter.png",
                     "sweep.json", "sweep.toml", "table.csv", "table.parquet"]
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["points"] == 6 and doc["replications"] == 2 and doc["design"] == "lhs"
    assert [m["path"] for m in doc["metrics"]] == ["nodes.q.mean_wait_days", "routes.r.transit_days"]
    assert doc["metrics"][0]["unit"] == "d"
    table = pd.read_parquet(out / "table.parquet")
    assert len(table) == 6 * 2 * 2
    # The summary's range is the table's: each point's mean over its replications.
    means = table[table["metric"] == "nodes.q.mean_wait_days"].groupby("point")["value"].mean()
    assert doc["metrics"][0]["lowest"] == pytest.approx(means.min()) and doc["metrics"][0]["highest"] == pytest.approx(means.max())
    # Longer handling at the one server means longer queues: the rank correlation says so.
    rho = doc["indices"]["nodes.q.mean_wait_days"]["nodes.q.handling_hours.truck"]["spearman"]
    assert rho > 0.5
    assert "nodes.q.mean_wait_days:" in text and "Spearman" in text and str(out) in text
    assert not (queue.parent / "res.points").exists()  # the kept points go once the folder is in place


def test_points_where_a_route_saturates_are_named(capsys, queue: Path) -> None:
    """One server handling a truck in 40 h serves 0.6 trucks (1.2 TEU) a day against 2 TEU a
    day of demand: that point saturates, and the sweep says so as `routesim run` would."""
    out = queue.parent / "res"
    code, text, _ = _sweep(capsys, str(queue), "--param", "nodes.q.handling_hours.truck=[1, 40]", "--design", "grid",
                           "-n", "1", "--executor", "serial", "--out", str(out), "--no-plot")
    assert code == 0
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["saturated_points"] == {"1": ["r"]}
    assert pd.read_csv(out / "design.csv", keep_default_na=False)["saturated"].tolist() == ["", "r"]
    assert "warning: At 1 of 2 points a route is saturated" in text
    assert "a route is saturated" in (out / "report.html").read_text()


def test_the_written_sweep_file_runs_the_same_sweep_again(capsys, queue: Path) -> None:
    first = queue.parent / "first"
    assert _sweep(capsys, str(queue), *PARAMS, "--samples", "4", "-n", "1", "--executor", "serial", "--seed", "5",
                  "--independent-seeds", "--out", str(first), "-q", "--no-plot")[0] == 0
    again = queue.parent / "again"
    assert _sweep(capsys, str(first / "sweep.toml"), "--executor", "serial", "--out", str(again), "-q",
                  "--no-plot")[0] == 0
    for name in ("table.parquet", "table.csv", "design.csv", "indices.csv"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    a, b = (json.loads((f / "sweep.json").read_text()) for f in (first, again))
    strip = [{k: v for k, v in p.items() if k != "text"} for p in a["parameters"]]  # text: as each was given
    assert strip == [{k: v for k, v in p.items() if k != "text"} for p in b["parameters"]]
    assert {k: v for k, v in a.items() if k not in ("parameters", "source")} == {
        k: v for k, v in b.items() if k not in ("parameters", "source")}


def test_a_sweep_file_with_a_distribution_and_fixed_settings(capsys, tmp_path: Path) -> None:
    write(tmp_path, QUEUE, "queue.toml")
    (tmp_path / "study.toml").write_text(
        'scenario = "queue.toml"\ndesign = "grid"\nreplications = 1\nmetrics = ["nodes.q.mean_wait_days"]\n'
        'set = ["run.horizon_days=60"]\n[parameters]\n"nodes.q.servers" = { values = [1, 2] }\n'
        '"routes.r.demand.teu_per_year" = "365:1095:365"\n', encoding="utf-8")
    out = tmp_path / "grid"
    assert _sweep(capsys, str(tmp_path / "study.toml"), "--executor", "serial", "--out", str(out), "-q")[0] == 0
    design = pd.read_csv(out / "design.csv")
    assert design[["nodes.q.servers", "routes.r.demand.teu_per_year"]].values.tolist() == [
        [1, 365], [1, 730], [1, 1095], [2, 365], [2, 730], [2, 1095]]
    assert (out / "heatmap.png").is_file()
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["fixed"] == ["run.horizon_days=60"]
    # A bad key in a sweep file names the file and the key.
    (tmp_path / "bad.toml").write_text('scenario = "queue.toml"\ndesing = "grid"\n', encoding="utf-8")
    code, _, err = _sweep(capsys, str(tmp_path / "bad.toml"), "-q")
    assert code == 2 and "bad.toml" in err and "unknown key 'desing'; did you mean 'design'?" in err


@pytest.mark.parametrize("line,message", [
    ('seed = 99999999999999999999', "seed: must be between 0 and"),
    ('replications = -1', "replications: must be between 1 and 100000, got -1"),
    ('design = "sobal"', "design: unknown design 'sobal'; did you mean 'sobol'?"),
    ('scenario = "nosuch.toml"', "scenario: scenario file"),
])
def test_a_bad_sweep_file_setting_names_the_file_and_key(capsys, tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path, QUEUE, "queue.toml")
    text = 'scenario = "queue.toml"\n[parameters]\n"nodes.q.servers" = "1:3"\n'
    key = line.split(" ")[0]
    text = text.replace('scenario = "queue.toml"\n', "") if key == "scenario" else text
    (tmp_path / "study.toml").write_text(line + "\n" + text, encoding="utf-8")
    code, _, err = _sweep(capsys, str(tmp_path / "study.toml"), "-q")
    assert code == 2 and err.count("\n") == 1 and "study.toml" in err and message in err, err
    assert not any(p.name.endswith(".points") for p in tmp_path.iterdir())


def test_a_sweep_file_without_its_scenario_says_so(capsys, tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text('[parameters]\n"nodes.q.servers" = "1:3"\n', encoding="utf-8")
    code, _, err = _sweep(capsys, str(tmp_path / "study.toml"), "-q")
    assert code == 2 and "study.toml: scenario: must name the scenario" in err, err


def test_an_edited_kept_point_is_run_again(queue: Path, tmp_path: Path) -> None:
    """A kept point whose numbers were changed by hand does not match its checksum: not used."""
    from sim.study.sweeps import execute, plan
    from sim.study.spec import SweepSpec, parse_param
    from sim.study.store import PointStore

    p = plan(SweepSpec(str(queue), (parse_param("nodes.q.handling_hours.truck=0.5:2.5"),), samples=4, replications=1,
                       metrics=("nodes.q.mean_wait_days",)))
    store = PointStore(tmp_path / "x.points")
    store.open(resume=False)
    first = execute(p, store)
    item = next(store.folder.glob("*.json"))
    doc = json.loads(item.read_text())
    doc["result"]["values"]["nodes.q.mean_wait_days"][0][1] = 777.0
    item.write_text(json.dumps(doc))
    kept = store.load(set(p.keys))
    assert len(kept) == 3 and item.stem not in kept
    again = execute(p, store, stored=kept)
    assert again.ran == 1 and again.table.equals(first.table)


def test_resume_of_a_finished_folder_runs_nothing_and_a_tampered_one_reruns(capsys, queue: Path) -> None:
    out = queue.parent / "res"
    args = [str(queue), *PARAMS, "--samples", "4", "-n", "1", "--executor", "serial", "--out", str(out), "--no-plot"]
    assert _sweep(capsys, *args, "-q")[0] == 0
    before = (out / "table.parquet").read_bytes()
    code, _, err = _sweep(capsys, *args, "--resume")
    assert code == 0 and "4 already finished" in err
    assert (out / "table.parquet").read_bytes() == before
    # An edited table is not trusted: the points run again and the table comes back whole.
    (out / "table.csv").write_text("point,value\n0,1e9\n")
    code, _, err = _sweep(capsys, *args, "--resume")
    assert code == 0 and "already finished" not in err
    assert (out / "table.parquet").read_bytes() == before


def test_a_foreign_points_folder_is_refused_and_kept(capsys, queue: Path) -> None:
    mine = queue.parent / "res.points"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    code, _, err = _sweep(capsys, str(queue), *PARAMS, "--samples", "4", "-n", "1", "--executor", "serial",
                          "--out", str(queue.parent / "res"), "-q")
    assert code == 2 and "is not a routesim sweep's points folder" in err
    assert (mine / "notes.txt").read_text() == "mine"


def test_a_second_sweep_into_the_same_folder_is_refused_at_once(capsys, queue: Path) -> None:
    out = queue.parent / "res"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from sim.output.folder import folder_lock\n"
         "with folder_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = _sweep(capsys, str(queue), *PARAMS, "--samples", "4", "-n", "1", "--executor", "serial",
                              "--out", str(out), "-q")
    finally:
        holder.kill()
        holder.wait()
    assert code == 2 and "another routesim process is writing this folder" in err
    assert not out.exists()


@pytest.mark.parametrize("text", [QUEUE, SINGLE_QUEUE.replace("[[routes]]", """
[[events]]
id = "slow"
kind = "capacity"
target = "nodes.q"
start = 50
duration_days = 20
set = { servers = 1 }

[[routes]]""")])
def test_metric_rows_of_a_scenario_are_the_rows_its_table_holds(text: str) -> None:
    scenario = build_scenario(raw(text), source="<test>")
    assert _predicted(scenario) == _held(sim.run(scenario, replications=1, seed=1))


@pytest.mark.parametrize("name,start", [("china_europe_2020", None), ("china_europe_red_sea", dt.date(2023, 12, 1))])
def test_metric_rows_of_the_bundled_scenarios(name: str, start) -> None:
    """Fleets, shared loops and events: rows_of predicts what metrics_table computes."""
    short = {"run.horizon_days": 40, "run.warmup_days": 5, "run.cooldown_days": 10}
    scenario = sim.load(name, {**short, "run.start_date": start} if start else short)
    assert _predicted(scenario) == _held(sim.run(scenario, replications=1, seed=1))


def _held(run) -> dict:
    """{kind: {id: metric names}} of a run's metrics table."""
    held: dict = {}
    for _, kind, ident, name, _ in run.table.rows():
        held.setdefault(kind, {}).setdefault(ident, set()).add(name)
    return held


def _predicted(scenario) -> dict:
    return {k: {e: set(names) for e, names in v.items()} for k, v in rows_of(scenario).items() if v}


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_points_and_resume_gives_the_serial_table(tmp_path: Path) -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) on a local cluster: exit
    130, no folder, the finished points kept; --resume finishes the sweep
    with the table an uninterrupted serial sweep gives, byte for byte.  (SIGTERM takes the
    same way out as for `routesim run`: tests/test_interrupts.py.)"""
    sig = signal.SIGINT
    scenario = write(tmp_path, QUEUE.replace("horizon_days = 120", "horizon_days = 1000"), "queue.toml")
    out = tmp_path / "res"
    common = [sys.executable, "-m", "sim", "sweep", str(scenario), *PARAMS, "--samples", "8", "-n", "1",
              "--out", str(out), "--no-plot"]
    args = common + ["--workers", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_signals)
    points = tmp_path / "res.points"
    deadline = time.monotonic() + 120
    while len(list(points.glob("*.json"))) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert "run the same command with --resume" in err and "Traceback" not in err, err
    assert not out.exists()
    kept = len(list(points.glob("*.json")))
    # On a busy machine the workers may finish every point before the interrupt lands; the
    # folder must still not exist and --resume must still finish it (from the kept points).
    assert 2 <= kept <= 8
    # Resumed serially: a second local cluster would add seconds, and the table must not
    # depend on where the points ran (resuming on a cluster: test_sweep.py).
    done = subprocess.run(common + ["--workers", "1", "--resume", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    whole = sim.sweep(str(scenario), [PARAMS[1], PARAMS[3]], design="lhs", samples=8, replications=1,
                      metrics=["routes.*.transit_days"]).write(tmp_path / "whole", figures=False)
    for name in ("table.parquet", "table.csv", "design.csv", "indices.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_a_sweep_over_a_scenario_with_flows_runs_the_equilibrium_at_each_point(tmp_path: Path) -> None:
    """Each point is a whole run, the shippers' equilibrium included: a second server at the
    border q that only option a crosses makes a faster, so a takes more of the flow."""
    from test_choice import TWO

    scenario = write(tmp_path, TWO, "two.toml")
    s = sim.sweep(str(scenario), {"nodes.q.servers": [1, 2]}, design="grid", replications=1,
                  metrics=["flows.f.transit_days", "flow_options.f/*.share"])
    assert [m.path for m in s.plan.metrics] == ["flows.f.transit_days", "flow_options.f/a.share",
                                                "flow_options.f/b.share"]
    share = s.table.pivot_table(index="point", columns="metric", values="value", observed=True)
    assert np.allclose(share["flow_options.f/a.share"] + share["flow_options.f/b.share"], 1.0)
    assert share.loc[1, "flow_options.f/a.share"] > share.loc[0, "flow_options.f/a.share"]
    assert share.loc[1, "flows.f.transit_days"] < share.loc[0, "flows.f.transit_days"]
