"""Fuzzing the bundled scenario: every mutant runs or is refused in one line, never a crash.

Each case changes one thing in china_europe_2020 (shortened so valid mutants run in a
fraction of a second): a key deleted, a type swapped, a number made negative, zero, huge,
NaN or infinite, a string made unicode, control characters or very long; plus whole-file
mutants (empty, binary, deeply nested).  routesim must exit 0 with a complete results folder
or exit 2 with one line that names the file and the key, with no traceback, no hang and
nothing written.  The mutations are drawn from a seeded generator, so failures reproduce.
"""

from __future__ import annotations

import copy
import json
import math
import random
import signal
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sim.cli import main

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "china_europe_2020.toml"
CASES = 60  # random mutants of the bundled scenario, a fixed set (seeded); about 0.5 s each
FAST_CASES = 15  # mutants in the fast set (-m "not slow"); the rest run with the full suite
TIME_LIMIT_S = 10


def _base() -> dict[str, Any]:
    doc = tomllib.loads(BUNDLED.read_text(encoding="utf-8"))
    doc["run"].update(horizon_days=30, warmup_days=5, cooldown_days=10, replications=1)
    return doc


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every key path in the document; list entries are addressed by index."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append(path + (key,))
            found += _paths(inner, path + (key,))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            if isinstance(inner, dict):
                found += _paths(inner, path + (i,))
    return found


def _parent(doc: dict, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


REPLACEMENTS = [
    ("a string", "fast"),
    ("a list", [1, 2]),
    ("a table", {"x": 1}),
    ("a boolean", True),
    ("negative", "NEG"),
    ("zero", 0),
    ("huge", 1e308),
    ("a huge integer", 10**30),
    ("NaN", math.nan),
    ("infinity", math.inf),
    ("unicode", "🚂\u202eطريق"),
    ("control characters", "a\x01b\x1fc"),
    ("a very long string", "x" * 100_000),
]


def _mutant(rng: random.Random) -> tuple[dict, str, tuple]:
    doc = _base()
    path = rng.choice(_paths(doc))
    parent = _parent(doc, path)
    if rng.random() < 0.3:
        del parent[path[-1]]
        return doc, "deleted", path
    label, value = rng.choice(REPLACEMENTS)
    if value == "NEG":
        old = parent[path[-1]]
        value = -abs(old) - 1 if isinstance(old, (int, float)) and not isinstance(old, bool) else -1
    parent[path[-1]] = copy.deepcopy(value)
    return doc, label, path


class Hang(Exception):
    pass


def _run_limited(args: list[str]) -> int:
    def alarm(signum, frame):
        raise Hang(f"no answer within {TIME_LIMIT_S} s: {args}")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        return main(args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _names(path: tuple, doc: dict) -> set[str]:
    """What an error about ``path`` may name: the key itself or an enclosing key or id."""
    names = {str(step) for step in path if isinstance(step, str)}
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            names.add(node["id"])
    return names


def _check(tmp_path: Path, file: Path, capsys, expect_names: set[str] | None, what: str) -> None:
    out = tmp_path / "out"
    try:
        code = _run_limited(["run", str(file), "--out", str(out), "-q", "--no-plot"])
    except Hang:
        raise
    except BaseException as exc:  # noqa: BLE001  (any escape is the failure being looked for)
        pytest.fail(f"{what}: {type(exc).__name__}: {exc}")
    err = capsys.readouterr().err
    assert "Traceback" not in err, what
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], f"{what}: temporary folder left"
    if code == 0:  # a mutant that runs: its results are of the mutant, route by route
        mutant = tomllib.loads(file.read_text(encoding="utf-8"))
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert set(summary["routes"]) == {r["id"] for r in mutant["routes"]}, what
        assert set(summary["nodes"]) == {n["id"] for n in mutant["nodes"]}, what
        for rid, route in summary["routes"].items():  # conservation at the horizon
            teu = {k: v["mean"] for k, v in route["at_horizon_teu"].items()}
            assert teu["created"] == pytest.approx(teu["delivered"] + teu["in_transit"] + teu["waiting"]), (what, rid)
        return
    assert code == 2, f"{what}: exit {code}"
    errors = [line for line in err.splitlines() if line.startswith("routesim: error:")]
    assert len(errors) == 1 and len(err.strip().splitlines()) == 1, f"{what}: {err!r}"
    assert file.name in errors[0], f"{what}: {errors[0]}"
    if expect_names:
        assert any(name in errors[0] for name in expect_names), f"{what}: {errors[0]} names none of {expect_names}"
    assert not out.exists(), f"{what}: results written"


@pytest.mark.parametrize("case", [c if c < FAST_CASES else pytest.param(c, marks=pytest.mark.slow) for c in range(CASES)])
def test_a_mutated_scenario_runs_or_is_refused_in_one_line(tmp_path, capsys, case):
    rng = random.Random(1000 + case)
    doc, label, path = _mutant(rng)
    file = tmp_path / "mutant.toml"
    file.write_text(tomli_w.dumps(doc), encoding="utf-8")
    _check(tmp_path, file, capsys, _names(path, _base()), f"{'.'.join(map(str, path))} {label}")


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty", b""),
        ("binary", bytes(range(256)) * 4),
        ("not utf-8", "name = 'caf\u00e9'".encode("latin-1")),
        ("deep nesting", ("[run]\nname = " + "[" * 500 + "]" * 500 + "\n").encode()),
        ("deep tables", ("[run]\nseasonality = " + "{ a = " * 400 + "1" + " }" * 400 + "\n").encode()),
        ("duplicate id", BUNDLED.read_bytes().replace(b'id = "altynkol"', b'id = "dostyk"', 1)),
        ("not toml", b"[[nodes]\nid = \n"),
    ],
)
def test_malformed_files_are_refused_in_one_line(tmp_path, capsys, name, content):
    file = tmp_path / "broken.toml"
    file.write_bytes(content)
    _check(tmp_path, file, capsys, None, name)


@pytest.mark.parametrize(
    "value",
    [
        'run.name="__import__(\'os\').system(\'touch PWNED\')"',
        "run.seed=__import__('os').system('touch PWNED')",
        "nodes.dostyk.servers=exec('open(\"PWNED\", \"w\")')",
        "run.horizon_days=1e999",
        "nodes.nowhere.servers=3",
        "legs.kz_rail.speed_km_per_day=-5",
        "run.replications=99999999999999999999",
        "routes=[]",
    ],
)
def test_set_values_are_data_never_code(tmp_path, capsys, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code = _run_limited(["run", "china_europe_2020", "--set", value, "--out", str(out), "-q", "--no-plot", "-n", "1",
                         "--set", "run.horizon_days=20", "--set", "run.warmup_days=2"])
    err = capsys.readouterr().err
    assert not (tmp_path / "PWNED").exists()
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("routesim: error: --set")
        assert not out.exists()


def test_out_cannot_be_steered_outside_the_folder_it_names(tmp_path, capsys, monkeypatch):
    """The default folder is results/<run.name>, and run.name cannot hold a path."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(p.name for p in tmp_path.iterdir())
    for name in ("../../escape", "/abs/path", "a/b", "..", "a\\\\b"):
        code = main(["run", "china_europe_2020", "--set", f'run.name="{name}"', "-q", "--no-plot", "-n", "1"])
        err = capsys.readouterr().err
        assert code == 2 and "run.name" in err, (name, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert list(work.iterdir()) == []


def test_a_huge_distribution_parameter_is_refused_not_overflowed():
    """Found by the fuzzer: sd = 1e308 overflowed the truncated normal's variance."""
    from sim.model.distributions import parse_distribution
    from sim.model.errors import ScenarioError

    with pytest.raises(ScenarioError, match="at most"):
        parse_distribution({"dist": "normal", "mean": 900, "sd": 1e308}, "legs.kz_rail.speed_km_per_day")


# ---------------------------------------------------------------------------------------
# Issue 12, items 8-14: input that used to pass the loader and fail after the simulation, or
# be accepted silently.  Each case goes through the command line: exit 0 with the results it
# should give, or exit 2 with one printable line naming what is wrong and nothing written.


def _node(doc: dict, ident: str) -> dict:
    return next(e for e in doc["nodes"] if e["id"] == ident)


def _cli(tmp_path: Path, capsys, args: list[str]) -> tuple[int, str]:
    """Run routesim in-process with a time limit; (exit status, stderr), no traceback, no
    temporary folder left beside the results."""
    try:
        code = _run_limited(args)
    except Hang:
        raise
    except BaseException as exc:  # noqa: BLE001
        pytest.fail(f"{args}: {type(exc).__name__}: {exc}")
    err = capsys.readouterr().err
    assert "Traceback" not in err and "\x1b" not in err, err
    leftovers = [p for p in tmp_path.rglob(".*") if ".partial-" in p.name or ".old-" in p.name or ".plot-" in p.name]
    assert leftovers == [], leftovers
    return code, err


def _refused(code: int, err: str, *fragments: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("routesim: error: ") and lines[0].isprintable(), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _scenario_file(tmp_path: Path, doc: dict | bytes, name: str = "case.toml") -> Path:
    file = tmp_path / name
    if isinstance(doc, bytes):
        file.write_bytes(doc)
    else:
        file.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return file


def _denormal(doc: dict) -> None:
    doc["routes"][0]["demand"]["seasonality"] = [5e-324] * 12


def _denormal_month(doc: dict) -> None:
    doc["routes"][0]["demand"]["seasonality"] = [5e-324] + [1.0] * 11


# (what, edit of the shortened bundled scenario, fragments of the refusal or None if it runs)
SCENARIO_CASES = [
    ("8: year 9999 with a horizon past its end",
     lambda d: d["run"].update(year=9999, horizon_days=400), ["run.year", "would end after 9999-12-31"]),
    ("8: a note nested 300 levels deep",
     lambda d: d.update(note=__import__("functools").reduce(lambda v, _: {"a": v}, range(300), "x")),
     ["note.a.a", "nested more than"]),
    ("8: a seasonality of denormal numbers", _denormal, None),
    ("8: one denormal month", _denormal_month, None),
    ("12: a 100,000-character id", lambda d: d["nodes"][0].update(id="x" * 100_000),
     ["nodes[0].id", "100,000 characters long; at most 100"]),
    ("13: a truck service on rail legs",
     lambda d: next(s for s in d["services"] if s["vehicle"] == "train").update(vehicle="truck"),
     ["runs trucks, which cannot travel rail leg"]),
    ("13: a rail leg turned sea",
     lambda d: next(leg for leg in d["legs"] if leg["mode"] == "rail").update(mode="sea"),
     ["runs trains, which cannot travel sea leg"]),
    *[(f"14: an id beginning with {c!r}", lambda d, c=c: d["nodes"][0].update(id=c + "SUM(A1)"),
       ["nodes[0].id", "may hold only ASCII letters, digits, '_' and '-'"]) for c in "=+@"],
    ("14: an id beginning with '-'", lambda d: d["nodes"][0].update(id="-SUM"), ["nodes[0].id"]),
]


@pytest.mark.parametrize("what, edit, refusal", SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES])
def test_issue_12_scenarios_run_or_are_refused_in_one_line(tmp_path, capsys, what, edit, refusal):
    doc = _base()
    edit(doc)
    file = _scenario_file(tmp_path, doc)
    if refusal is None:
        _check(tmp_path, file, capsys, None, what)  # runs, with containers conserved route by route
        return
    out = tmp_path / "out"
    code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(out), "-q", "--no-plot"])
    line = _refused(code, err, str(file), *refusal)
    assert len(line) <= 420  # a 100,000-character value is never echoed whole
    assert not out.exists()


def test_issue_12_implausible_physics_runs_with_one_warning_each(tmp_path, capsys):
    """13: 60 km/day for a train (km/h typed as km/day) and handling for planes at a rail
    border are legal, so they run, but each is pointed out in one line."""
    doc = _base()
    next(leg for leg in doc["legs"] if leg["id"] == "kz_rail")["speed_km_per_day"] = 60
    _node(doc, "dostyk")["handling_hours"]["plane"] = 2
    file = _scenario_file(tmp_path, doc)
    code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(tmp_path / "out"), "-q", "--no-plot"])
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith(f"routesim: warning: {file}: ")]
    assert any("legs.kz_rail: a mean speed of 60 km/day is outside the usual" in w for w in warnings), warnings
    assert any("nodes.dostyk.handling_hours: plane handling is given but no plane stops at dostyk" in w
               for w in warnings), warnings


@pytest.mark.slow  # draws every figure
def test_issue_12_names_with_mathtext_draw_as_typed(tmp_path, capsys):
    """8: '$...$' in a name is matplotlib's formula syntax (and '$x^{2' a broken formula): the
    figures draw it as typed, and the report shows it escaped."""
    from scenarios_for_tests import NETWORK, entry, raw

    doc = raw(NETWORK)
    entry(doc, "nodes", "dostyk")["name"] = r"$\alpha$ Dostyk $x^{2"
    entry(doc, "routes", "sea")["name"] = "$$ sea $"
    file = _scenario_file(tmp_path, doc)
    out = tmp_path / "out"
    code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(out), "-q", "-n", "1"])
    assert code == 0, err
    assert (out / "bottlenecks.png").is_file() and (out / "route_map.png").is_file()
    from sim.output.run_data import read_run
    from sim.viz.figures import figure_builders

    fig = figure_builders([read_run(out)])["bottlenecks"]()
    assert any(t.startswith(r"$\alpha$ Dostyk $x^{2 (dostyk, 1 server): vehicles queueing")
               for t in (ax.get_title(loc="left") for ax in fig.axes))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert r"$\alpha$ Dostyk $x^{2" in page and "$$ sea $" in page


def test_issue_12_names_too_long_for_a_folder_are_refused_before_running(tmp_path, capsys, monkeypatch):
    """8, 9: a run.name that makes the default folder name pass 255 bytes, or such an --out,
    is refused before anything runs; compare's default folder of long names is cut to fit."""
    monkeypatch.chdir(tmp_path)
    doc = _base()
    doc["run"]["name"] = "n" * 300
    file = _scenario_file(tmp_path, doc)
    code, err = _cli(tmp_path, capsys, ["run", str(file), "-q", "--no-plot"])
    _refused(code, err, "folder name is too long for the file system")
    for out in (tmp_path / ("o" * 300), tmp_path / ("o" * 300) / "res"):
        code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(out), "-q", "--no-plot"])
        _refused(code, err, "is too long for the file system")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml"]  # not even results/
    a, b = _base(), _base()
    a["run"]["name"], b["run"]["name"] = "a" * 90, "b" * 90
    _node(b, "dostyk")["servers"] = 9
    fa, fb = _scenario_file(tmp_path, a, "a.toml"), _scenario_file(tmp_path, b, "b.toml")
    code, err = _cli(tmp_path, capsys, ["compare", str(fa), str(fb), "-q", "--no-plot"])
    assert code == 0, err
    (folder,) = (tmp_path / "results").iterdir()
    assert len(folder.name.encode()) <= 128 and (folder / "comparison.json").is_file()
    assert all(len(p.name.encode()) <= 255 for p in folder.rglob("*"))


def test_issue_12_a_file_size_limit_is_one_line_and_leaves_nothing(tmp_path):
    """9: a full disk, as a file-size limit (RLIMIT_FSIZE) makes it: one line, exit 2, no
    temporary folder and no results folder."""
    import os
    import resource
    import subprocess
    import sys

    file = _scenario_file(tmp_path, _base())
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(file), "--out", str(out), "-q", "--no-plot"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)),
    )
    err = [line for line in done.stderr.splitlines() if not line.startswith("routesim: warning:")]
    assert done.returncode == 2 and err == [f"routesim: error: results folder {out}: cannot write the results: File too large"], done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml"]


def test_issue_12_line_breaks_and_escapes_in_set_and_in_the_file(tmp_path, capsys):
    """10: a line break in a --set key, or a raw escape sequence, is refused in one printable
    line; a line break in a value (TOML's \\n) is data: the scenario runs, and the scenario.toml
    it writes reads back without a 'ghost' entry; likewise a multi-line description in the file."""
    file = _scenario_file(tmp_path, _base())
    out = tmp_path / "out"
    common = ["run", str(file), "--out", str(out), "-q", "--no-plot"]
    for key in ("nodes.dos\ntyk.servers=3", "nodes.\x1b[31mred.servers=3"):
        code, err = _cli(tmp_path, capsys, common + ["--set", key])
        _refused(code, err, "a key path cannot hold control characters or line breaks")
        assert not out.exists()
    ghost = r'run.description="two\nlines [[nodes]]\nid = \"ghost\""'
    code, err = _cli(tmp_path, capsys, common + ["--set", ghost])
    assert code == 0, err
    written = (out / "scenario.toml").read_text(encoding="utf-8")
    assert all(line.startswith("#") for line in written.split("\n\n")[0].splitlines())  # the header stays comments
    again = tomllib.loads(written)
    assert [n["id"] for n in again["nodes"]] == [n["id"] for n in _base()["nodes"]]
    assert again["run"]["description"] == 'two\nlines [[nodes]]\nid = "ghost"'
    doc = _base()
    doc["run"]["description"] = "line one\nline two \x1b[31mred"
    file = _scenario_file(tmp_path, doc, "described.toml")
    code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(tmp_path / "d"), "-q", "--no-plot"])
    assert code == 0, err
    assert json.loads((tmp_path / "d" / "summary.json").read_text())["description"] == doc["run"]["description"]


def test_issue_12_a_byte_order_mark_runs(tmp_path, capsys):
    """12: a UTF-8 file as Windows editors save it."""
    file = _scenario_file(tmp_path, b"\xef\xbb\xbf" + tomli_w.dumps(_base()).encode("utf-8"))
    code, err = _cli(tmp_path, capsys, ["run", str(file), "--out", str(tmp_path / "out"), "-q", "--no-plot"])
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["routes"]) == {r["id"] for r in _base()["routes"]}


# Item 11: `routesim plot` on a tampered folder.  Edited files are found by the manifest's
# SHA-256; files edited along with the manifest (forged) are checked for what is read.


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """A run folder and a comparison folder of NETWORK, without figures."""
    from scenarios_for_tests import NETWORK, write

    root = tmp_path_factory.mktemp("tamper")
    file = write(root, NETWORK)
    assert main(["run", str(file), "--out", str(root / "run"), "-q", "--no-plot", "-n", "2"]) == 0
    assert main(["compare", str(file), "--vary", "nodes.dostyk.servers=2", "--out", str(root / "cmp"), "-q",
                 "--no-plot", "-n", "2"]) == 0
    # With an event and a fleet: their summary sections are checked too.
    assert main(["run", str(file), "--out", str(root / "ev"), "-q", "--no-plot", "-n", "2",
                 "--event", "closure:nodes.dostyk:30+5", "--set", "services.ship.fleet={ vehicles = 2 }"]) == 0
    return root


def _json_edit(name: str, edit):
    def apply(folder: Path) -> None:
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        edit(doc)
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return apply


def _csv_edit(name: str, edit):
    def apply(folder: Path) -> None:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        (folder / name).write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return apply


def _set_cell(lines: list[str], column: str, value: str) -> list[str]:
    """The CSV lines with ``column`` of the first data row set to ``value``."""
    i = lines[0].split(",").index(column)
    first = lines[1].split(",")
    first[i] = value
    return [lines[0], ",".join(first), *lines[2:]]


def _blank_column(lines: list[str], column: str) -> list[str]:
    i = lines[0].split(",").index(column)
    return [lines[0]] + [",".join("" if k == i else c for k, c in enumerate(row.split(","))) for row in lines[1:]]


# (what, folder, file edited, edit, words of the refusal once the manifest is forged too)
TAMPERED = [
    ("summary without routes", "run", "summary.json", _json_edit("summary.json", lambda d: d.pop("routes")), "has no 'routes'"),
    ("summary horizon as text", "run", "summary.json", _json_edit("summary.json", lambda d: d.update(horizon_days="long")),
     "'horizon_days' is a string"),
    ("summary nodes null", "run", "summary.json", _json_edit("summary.json", lambda d: d.update(nodes=None)), "'nodes' is nothing"),
    ("summary transit as text", "run", "summary.json",
     _json_edit("summary.json", lambda d: d["routes"]["sea"].update(transit_days="fast")), "'routes.sea.transit_days' is a string"),
    ("summary utilization as text", "run", "summary.json",
     _json_edit("summary.json", lambda d: d["nodes"]["dostyk"].update(utilization="high")), "'nodes.dostyk.utilization' is a string"),
    ("a row deleted", "run", "route_weeks.csv", _csv_edit("route_weeks.csv", lambda l: l[:-1]),
     "its replications do not hold the same number of rows"),
    ("NaN where a whole number belongs", "run", "marey.csv",
     _csv_edit("marey.csv", lambda l: _set_cell(l, "trip", "nan")), "column 'trip' holds a value that is not a whole number"),
    ("servers blank", "run", "node_days.csv", _csv_edit("node_days.csv", lambda l: _blank_column(l, "servers")),
     "column 'servers' holds a value that is not a whole number"),
    ("comparison folders as a list", "cmp", "comparison.json",
     _json_edit("comparison.json", lambda d: d.update(folders=list(d["folders"].values()))), "'folders' is an array"),
    ("comparison differences as text", "cmp", "comparison.json",
     _json_edit("comparison.json", lambda d: d.update(differences="none")), "'differences' is a string"),
    ("comparison difference as text", "cmp", "comparison.json",
     _json_edit("comparison.json", lambda d: d["differences"][0].update(difference="big")), "'differences[0]"),
    ("comparison scenarios as numbers", "cmp", "comparison.json",
     _json_edit("comparison.json", lambda d: d.update(scenarios=[1, 2])), "'scenarios' holds something other than text"),
    ("event impact as text", "ev", "summary.json",
     _json_edit("summary.json", lambda d: d["events"]["closure_dostyk"]["peak_queue"].update(mean="lots")),
     "'events.closure_dostyk.peak_queue' is a table"),
    ("events missing", "ev", "summary.json", _json_edit("summary.json", lambda d: d.pop("events")), "has no 'events'"),
    ("fleet of -3", "ev", "summary.json",
     _json_edit("summary.json", lambda d: d["services"]["ship"].update(vehicles=-3)), "'services.ship.vehicles' is an integer (-3)"),
    ("an arm's summary", "cmp", "1-network/summary.json",
     lambda f: _json_edit("summary.json", lambda d: d.update(warmup_days=[]))(f / "1-network"), "'warmup_days' is an array"),
]


@pytest.mark.parametrize("forged", [False, True], ids=["edited", "manifest forged"])
@pytest.mark.parametrize("what, kind, name, edit, words", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_plot_of_a_tampered_folder_is_one_line_naming_the_file(written, tmp_path, capsys, what, kind, name, edit, words, forged):
    import shutil

    from sim.output.folder import read_manifest, write_manifest

    folder = tmp_path / kind
    shutil.copytree(written / kind, folder)
    edit(folder)
    if forged:
        manifest = read_manifest(folder)
        write_manifest(folder, manifest["kind"], manifest["results_format"])
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    code, err = _cli(tmp_path, capsys, ["plot", str(folder), "-q"])
    line = _refused(code, err, name.split("/")[-1])
    if forged:
        assert words in line, line
    else:
        assert "has changed since routesim wrote it" in line, line
    assert {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == before
