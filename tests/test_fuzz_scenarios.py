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
CASES = 90
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
