"""``extends``: a scenario file that states only what differs from its base, merged by the
rules of ``--set``; the 2019 scenario is such a file and resolves to the old standalone one."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from scenarios_for_tests import NETWORK, write
from sim.model.errors import ScenarioError
from sim.model.loader import load_scenario
from sim.model.documents import read_document
from sim.output.files import scenario_writer

DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _child(folder: Path, text: str, name: str = "child.toml") -> Path:
    write(folder, NETWORK, "base.toml")
    return write(folder, 'extends = "base.toml"\n' + text, name)


def test_a_child_overrides_keys_and_keeps_the_rest_of_its_base(tmp_path: Path) -> None:
    path = _child(tmp_path, """
[run]
horizon_days = 150

[[nodes]]
id = "dostyk"
servers = 3

[[routes]]
id = "sea"
[routes.demand]
teu_per_year = 9000
""")
    scenario = load_scenario(str(path))
    base = load_scenario(str(tmp_path / "base.toml"))
    assert scenario.settings.horizon_days == 150 and scenario.settings.warmup_days == base.settings.warmup_days
    assert scenario.nodes["dostyk"].servers == 3
    assert scenario.nodes["dostyk"].handling == base.nodes["dostyk"].handling  # merged key by key
    assert scenario.routes["sea"].demand.teu_per_year == 9000
    assert scenario.routes["sea"].demand.arrivals == base.routes["sea"].demand.arrivals
    assert list(scenario.routes) == list(base.routes)
    # run.name names the results folder: the child's own file name, not its base's.
    assert scenario.settings.name == "child" and base.settings.name == "network"


def test_a_distribution_in_a_child_replaces_the_base_distribution_whole(tmp_path: Path) -> None:
    path = _child(tmp_path, """
[[legs]]
id = "cn_rail"
speed_km_per_day = { dist = "uniform", min = 800, max = 1000 }
""")
    raw = read_document(path)
    leg = next(e for e in raw["legs"] if e["id"] == "cn_rail")
    assert leg["speed_km_per_day"] == {"dist": "uniform", "min": 800, "max": 1000}  # no leftover 'sd'
    load_scenario(str(path))


def test_a_child_adds_an_entry_with_a_new_id_and_removes_one(tmp_path: Path) -> None:
    path = _child(tmp_path, """
[[services]]
id = "ship2"
vehicle = "ship"
capacity_teu = 60
schedule = { departure_days = [4] }

[[routes]]
id = "sea2"
path = ["shanghai", "rotterdam"]
services = "ship2"
[routes.demand]
teu_per_year = 1000

[[routes]]
id = "overland"
remove = true

[[services]]
id = "trucks"
remove = true

[[services]]
id = "train"
remove = true
""")
    scenario = load_scenario(str(path))
    assert list(scenario.routes) == ["sea", "sea2"]
    assert "trucks" not in scenario.services and scenario.services["ship2"].capacity_teu == 60


@pytest.mark.parametrize("text, key, message", [
    ('[[routes]]\nid = "overlnd"\nremove = true\n', "routes.overlnd", "did you mean 'overland'?"),
    ('[[routes]]\nid = "sea"\nremove = true\nname = "x"\n', "routes.sea", "cannot also set name"),
    ('[[nodes]]\nname = "no id"\n', "nodes[0]", "needs a non-empty string 'id'"),
    ('[[nodes]]\nid = "dostyk"\nservres = 2\n', "nodes.dostyk.servres", "did you mean 'servers'?"),
    ('[[nodes]]\nid = "dostyk"\nservers = 2\n[[nodes]]\nid = "dostyk"\nservers = 5\n', "nodes[1].id",
     "duplicate id 'dostyk' (also entry 0)"),
])
def test_errors_name_the_child_file_and_the_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    path = _child(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    err = caught.value
    assert err.path == str(path) and err.key == key and message in err.message and "\n" not in str(err)


def test_a_missing_base_is_an_error_of_the_extends_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "nowhere.toml"\n', "child.toml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    assert caught.value.key == "extends" and caught.value.path == str(path) and "nowhere.toml" in caught.value.message


def test_a_cycle_of_extends_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="extends itself: a.toml -> b.toml -> a.toml") as caught:
        load_scenario(str(tmp_path / "a.toml"))
    assert caught.value.key == "extends"


def test_extends_is_recursive_and_names_a_bundled_scenario(tmp_path: Path) -> None:
    write(tmp_path, 'extends = "china_europe_2020"\n[[nodes]]\nid = "dostyk"\nservers = 6\n', "mid.toml")
    path = write(tmp_path, 'extends = "mid.toml"\n[run]\nname = "leaf"\n', "leaf.toml")
    scenario = load_scenario(str(path))
    assert scenario.nodes["dostyk"].servers == 6 and scenario.settings.name == "leaf"
    # The inherited claims file still resolves, from the child's folder.
    assert scenario.claims is not None and scenario.claims.band == (14.0, 15.0, "claim: 14–15 days overland")


def test_the_resolved_scenario_is_standalone(tmp_path: Path) -> None:
    path = _child(tmp_path, '[[nodes]]\nid = "dostyk"\nservers = 3\n')
    scenario = load_scenario(str(path))
    scenario_writer(scenario, ())(tmp_path / "resolved.toml")
    resolved = tomllib.loads((tmp_path / "resolved.toml").read_text(encoding="utf-8"))
    assert "extends" not in resolved
    assert load_scenario(str(tmp_path / "resolved.toml")).nodes == scenario.nodes


def test_the_2019_scenario_resolves_to_the_old_standalone_file() -> None:
    """china_europe_2019.toml extends 2020 and states only the differences; resolved, it is
    the standalone 2019 file it replaced (kept in tests/data), plus the inherited claims file."""
    resolved = read_document(SCENARIOS / "china_europe_2019.toml")
    old = tomllib.loads((DATA / "china_europe_2019_standalone.toml").read_text(encoding="utf-8"))
    assert resolved["run"].pop("claims") == "china_europe.claims.toml"
    assert json.dumps(resolved, sort_keys=True) == json.dumps(old, sort_keys=True)
    text = (SCENARIOS / "china_europe_2019.toml").read_text(encoding="utf-8")
    assert text.count("\n[[") < 40  # it states the differences, not the network
