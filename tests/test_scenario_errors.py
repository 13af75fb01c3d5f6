"""Bad scenarios and bad ``--set`` values: one ScenarioError naming the file (or the --set),
the key path and what is wrong.  Each case breaks one thing in the valid BASE scenario."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

import sim.model.documents as documents
from scenarios_for_tests import BASE, NETWORK, entry, raw, write
from sim.model.loader import build_scenario
from sim.model.errors import ScenarioError
from sim.model.loader import load_scenario
from sim.model.overrides import parse_override


def load_error(path: Path, overrides: tuple[str, ...] = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path), [parse_override(o) for o in overrides])
    return info.value


def broken(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    doc = raw(BASE)
    edit(doc)
    return write(tmp_path, doc, "broken.toml")


def node(name: str, **changes: Any) -> Callable[[dict], None]:
    return lambda doc: entry(doc, "nodes", name).update(changes)


def _update(item: dict, changes: dict[str, Any]) -> None:
    """Set the changed keys; a None value deletes the key."""
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value


def leg(name: str, **changes: Any) -> Callable[[dict], None]:
    return lambda doc: _update(entry(doc, "legs", name), changes)


def service(name: str, **changes: Any) -> Callable[[dict], None]:
    return lambda doc: _update(entry(doc, "services", name), changes)


def route(name: str, **changes: Any) -> Callable[[dict], None]:
    return lambda doc: entry(doc, "routes", name).update(changes)


def demand(**changes: Any) -> Callable[[dict], None]:
    return lambda doc: entry(doc, "routes", "rail")["demand"].update(changes)


def bulk_demand(**changes: Any) -> Callable[[dict], None]:
    """The rail route carries bulk: tonnes_per_year of wagons instead of TEU."""

    def edit(doc: dict) -> None:
        d = {"tonnes_per_year": 2e6, "wagon_tonnes": 65, **changes}
        entry(doc, "routes", "rail")["demand"] = {k: v for k, v in d.items() if v is not None}

    return edit


def wagon_service(doc: dict) -> None:
    s = entry(doc, "services", "block_train")
    del s["capacity_teu"]
    s["capacity_wagons"] = 57


def run(**changes: Any) -> Callable[[dict], None]:
    return lambda doc: doc["run"].update(changes)


def duplicate_node(doc: dict) -> None:
    doc["nodes"].append({"id": "xian"})


def second_route_against_the_service(doc: dict) -> None:
    doc["routes"].append({"id": "rail2", "path": ["duisburg", "dostyk"], "services": "block_train", "demand": {"teu_per_year": 10}})


def second_route_on_a_service_leaving_when_full(doc: dict) -> None:
    entry(doc, "services", "block_train")["schedule"] = {"when_full": True}
    doc["routes"].append({"id": "rail2", "path": ["xian", "dostyk"], "services": "block_train", "demand": {"teu_per_year": 10}})


def without_demand(doc: dict) -> None:
    del entry(doc, "routes", "rail")["demand"]


def misspelled_section(doc: dict) -> None:
    doc["nodez"] = doc.pop("nodes")


TRI = {"dist": "triangular", "min": 10, "mode": 6, "max": 9}

CASES = {
    # name: (edit, key path, fragments of the message)
    "unknown key": (node("dostyk", servres=3), "nodes.dostyk.servres", ["unknown key 'servres'", "did you mean 'servers'?"]),
    "unknown section": (misspelled_section, "nodez", ["unknown section 'nodez'", "did you mean 'nodes'?"]),
    "servers not an integer": (node("xian", servers="two"), "nodes.xian.servers", ["must be an integer, got a string"]),
    "servers a float": (node("xian", servers=2.5), "nodes.xian.servers", ["must be an integer, got a decimal number (2.5)"]),
    "distance a string": (leg("cn_rail", distance_km="far"), "legs.cn_rail.distance_km", ["must be a number, got a string"]),
    "flag not a boolean": (node("dostyk", gauge_change="yes"), "nodes.dostyk.gauge_change", ["must be true or false, got a string"]),
    "negative distance": (leg("kz_rail", distance_km=-5), "legs.kz_rail.distance_km", ["must be > 0, got -5"]),
    "zero frequency": (service("block_train", schedule={"departures_per_week": 0}), "services.block_train.schedule.departures_per_week", ["must be > 0, got 0"]),
    "zero container size": (demand(container_teu=0), "routes.rail.demand.container_teu", ["must be > 0, got 0"]),
    "negative demand": (demand(teu_per_year=-1), "routes.rail.demand.teu_per_year", ["must be >= 0, got -1"]),
    "negative cv": (
        node("dostyk", handling_hours={"train": {"dist": "lognormal", "mean": 6, "cv": -0.2}}),
        "nodes.dostyk.handling_hours.train.cv",
        ["must be >= 0, got -0.2"],
    ),
    "triangular min > max": (node("dostyk", handling_hours={"train": TRI}), "nodes.dostyk.handling_hours.train", ["min (10) must not exceed max (9)"]),
    "unknown distribution": (
        node("dostyk", handling_hours={"train": {"dist": "lognormall", "mean": 6, "cv": 0.2}}),
        "nodes.dostyk.handling_hours.train.dist",
        ["unknown distribution 'lognormall'", "did you mean 'lognormal'?"],
    ),
    "unknown vehicle in handling": (node("xian", handling_hours={"trian": 6}), "nodes.xian.handling_hours.trian", ["did you mean 'train'?"]),
    "unknown node in route": (route("rail", path=["xian", "dostik", "duisburg"]), "routes.rail.path[1]", ["unknown node 'dostik'", "did you mean 'dostyk'?"]),
    "unknown node in leg": (leg("cn_rail", to="dostik"), "legs.cn_rail.to", ["unknown node 'dostik'", "did you mean 'dostyk'?"]),
    "unknown service in route": (route("rail", services="block_trian"), "routes.rail.services[0]", ["unknown service 'block_trian'", "did you mean 'block_train'?"]),
    "route does not connect": (route("rail", path=["xian", "duisburg"]), "routes.rail.path[0]", ["route does not connect", "no leg from 'xian' to 'duisburg'"]),
    "wrong number of services": (route("rail", services=["block_train"] * 3), "routes.rail.services", ["gives 3 services for 2 legs"]),
    "duplicate id": (duplicate_node, "nodes[3].id", ["duplicate id 'xian' (also entry 0)"]),
    "zero servers": (node("xian", servers=0), "nodes.xian.servers", ["must be >= 1, got 0", "omit 'servers'"]),
    "zero capacity": (service("block_train", capacity_teu=0), "services.block_train.capacity_teu", ["must be > 0, got 0"]),
    "capacity below one container": (service("block_train", capacity_teu=1), "services.block_train.capacity_teu", ["capacity_teu (1) is smaller than one container of route 'rail' (2 TEU)"]),
    "horizon equal to warm-up": (run(horizon_days=10, warmup_days=10), "run.warmup_days", ["warm-up (10 days) must be shorter than the horizon (10 days)"]),
    "horizon before warm-up": (run(horizon_days=5), "run.warmup_days", ["warm-up (10 days) must be shorter than the horizon (5 days)"]),
    "zero horizon": (run(horizon_days=0), "run.horizon_days", ["must be > 0, got 0"]),
    "zero replications": (run(replications=0), "run.replications", ["must be >= 1, got 0"]),
    "missing key": (without_demand, "routes.rail", ["missing required key 'demand'"]),
    "unknown vehicle": (service("block_train", vehicle="trian"), "services.block_train.vehicle", ["unknown value 'trian'", "did you mean 'train'?"]),
    "day of week 7": (service("block_train", schedule={"departure_days": [1, 7]}), "services.block_train.schedule.departure_days", ["days of the week must be < 7"]),
    "when_full false": (service("block_train", schedule={"when_full": False}), "services.block_train.schedule.when_full", ["must be true"]),
    "zero speed": (leg("cn_rail", speed_km_per_day=0), "legs.cn_rail.speed_km_per_day", ["speed must be > 0"]),
    "two distances": (leg("cn_rail", distance_nm=1600), "legs.cn_rail", ["give only one of distance_km, distance_nm"]),
    "seasonality of 11 months": (demand(seasonality=[1] * 11), "routes.rail.demand.seasonality", ["12 monthly factors"]),
    "service on two routes, one against it": (second_route_against_the_service, "routes.rail2.services", ["runs duisburg -> dostyk on service 'block_train', which another route runs as xian -> dostyk -> duisburg", "give the service a path"]),
    "shared service leaving when full": (second_route_on_a_service_leaving_when_full, "services.block_train.schedule", ["is shared by routes 'rail', 'rail2', so it needs a timetable"]),
    "teu and tonnes demand": (demand(tonnes_per_year=1e6), "routes.rail.demand", ["give only one of teu_per_year, tonnes_per_year"]),
    "bulk demand without wagon size": (bulk_demand(wagon_tonnes=None), "routes.rail.demand", ["missing required key 'wagon_tonnes'"]),
    "bulk demand with a container size": (bulk_demand(container_teu=2), "routes.rail.demand.container_teu", ["does not apply to bulk demand"]),
    "wagon size on container demand": (demand(wagon_tonnes=60), "routes.rail.demand.wagon_tonnes", ["applies to bulk demand only"]),
    "bulk route on a TEU service": (bulk_demand(), "services.block_train.capacity_teu", ["carries bulk route 'rail', so it needs capacity_wagons"]),
    "container route on a wagon service": (wagon_service, "services.block_train.capacity_wagons", ["carries container route 'rail', so it needs capacity_teu"]),
    "fractional wagons": (service("block_train", capacity_wagons=50.5, capacity_teu=None), "services.block_train.capacity_wagons", ["must be an integer"]),
    "negative tonnes per TEU": (demand(tonnes_per_teu=-3), "routes.rail.demand.tonnes_per_teu", ["must be >= 0, got -3"]),
    "driving limit on a rail leg": (leg("cn_rail", driving_hours_per_day=9), "legs.cn_rail.driving_hours_per_day", ["applies to road legs only"]),
    "driving limit over 24 h": (leg("cn_rail", mode="road", speed_kmh=70, speed_km_per_day=None, driving_hours_per_day=30), "legs.cn_rail.driving_hours_per_day", ["must be <= 24, got 30"]),
    "driving limit with a duration": (leg("cn_rail", mode="road", duration_days=3, speed_km_per_day=None, driving_hours_per_day=9), "legs.cn_rail.driving_hours_per_day", ["needs a speed"]),
    "closures without duration": (service("block_train", closures={"per_year": 4}), "services.block_train.closures", ["needs one of: duration_days, duration_hours"]),
    "closures negative rate": (service("block_train", closures={"per_year": -1, "duration_days": 2}), "services.block_train.closures.per_year", ["must be >= 0, got -1"]),
    "closures unknown key": (service("block_train", closures={"per_yaer": 1, "duration_days": 2}), "services.block_train.closures.per_yaer", ["did you mean 'per_year'?"]),
    "year not an integer": (run(year="2020"), "run.year", ["must be an integer, got a string"]),
    "year out of range": (run(year=20200), "run.year", ["must be a calendar year"]),
    "start_date not a date": (run(start_date="2020-02-30"), "run.start_date", ["'2020-02-30' is not a calendar date"]),
    "start_date not ISO": (run(start_date="01.03.2020"), "run.start_date", ["must be a date as YYYY-MM-DD"]),
    "start_date outside year": (run(year=2020, start_date="2021-01-01"), "run.start_date", ["2021-01-01 is not in run.year 2020"]),
    "year too late for the run": (run(year=9999, horizon_days=500), "run.year", ["the run would end after 9999-12-31"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_names_file_key_path_and_problem(case: str, tmp_path: Path) -> None:
    edit, key_path, fragments = CASES[case]
    path = broken(tmp_path, edit)
    exc = load_error(path)
    message = str(exc)
    assert (exc.path, exc.key) == (str(path), key_path)
    assert message.startswith(f"{path}: {key_path}: "), message
    for fragment in fragments:
        assert fragment in message, message


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    scenario = load_scenario(str(write(tmp_path, BASE)))
    assert scenario.settings.name == "base" and list(scenario.routes) == ["rail"]


# ---------------------------------------------------------------------------------------
# Files


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    lines = BASE.splitlines()
    bad_line = lines.index('id = "dostyk"') + 2  # 1-based number of the line after it
    lines.insert(bad_line - 1, "servers = = 3")
    path = write(tmp_path, "\n".join(lines) + "\n", "syntax.toml")
    message = str(load_error(path))
    assert message.startswith(f"{path}: TOML syntax error: "), message
    assert f"line {bad_line}" in message, message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    exc = load_error(path)
    assert str(exc) == f"{path}: file not found"


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert str(load_error(folder)) == f"{folder}: is a directory, not a scenario file"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[run]\nname = "Zürich"\n'.encode("latin-1"))
    assert "not UTF-8 text" in str(load_error(path))


def test_unknown_bundled_name_suggests_the_nearest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, BASE, "china_europe_2020.toml")
    monkeypatch.setattr(documents, "BUNDLED_DIR", tmp_path)
    assert load_scenario("china_europe_2020").settings.name == "base"  # found by name
    with pytest.raises(ScenarioError) as info:
        load_scenario("china_europe_202")
    assert str(info.value) == (
        "china_europe_202: unknown bundled scenario 'china_europe_202'; "
        "did you mean 'china_europe_2020'? (or give the path of a .toml file)"
    )


def test_unknown_bundled_name() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("no_such_scenario_anywhere")
    message = str(info.value)
    assert message.startswith("no_such_scenario_anywhere: unknown bundled scenario 'no_such_scenario_anywhere'")
    assert "give the path of a .toml file" in message


# ---------------------------------------------------------------------------------------
# --set


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    return write(tmp_path, BASE, "base.toml")


def test_set_changes_the_value(base_file: Path) -> None:
    overrides = [
        parse_override("nodes.dostyk.servers=4"),
        parse_override('nodes.xian.handling_hours.train={ dist = "gamma", mean = 12, cv = 0.5 }'),
        parse_override("run.seed=9"),
        parse_override("run.seed=10"),  # the last one wins
    ]
    scenario = load_scenario(str(base_file), overrides)
    assert scenario.nodes["dostyk"].servers == 4
    assert scenario.nodes["xian"].handling["train"].mean == pytest.approx(0.5)  # 12 h
    assert scenario.settings.seed == 10
    assert load_scenario(str(base_file)).nodes["dostyk"].servers == 3  # the file is untouched


SET_ERRORS = [
    # (--set text, exact message)
    ("nodes.dostik.servers=4", "--set nodes.dostik.servers=4: unknown [[nodes]] id 'dostik'; did you mean 'dostyk'?"),
    ("legs.kz_rial.distance_km=10", "--set legs.kz_rial.distance_km=10: unknown [[legs]] id 'kz_rial'; did you mean 'kz_rail'?"),
    ("nodez.dostyk.servers=4", "--set nodez.dostyk.servers=4: unknown section 'nodez'; did you mean 'nodes'?"),
    ("nodes.dostyk.servres=4", "--set nodes.dostyk.servres=4: nodes.dostyk.servres: unknown key 'servres'; did you mean 'servers'?"),
    ("nodes.dostyk.servers=abc", "--set nodes.dostyk.servers=abc: nodes.dostyk.servers: must be an integer, got a string"),
    ("nodes.dostyk.servers=0", "--set nodes.dostyk.servers=0: nodes.dostyk.servers: must be >= 1, got 0 (omit 'servers' for a node without a capacity limit)"),
    ("legs.kz_rail.distance_km=-5", "--set legs.kz_rail.distance_km=-5: legs.kz_rail.distance_km: must be > 0, got -5"),
    ("legs.kz_rail.distance_km=1e12", "--set legs.kz_rail.distance_km=1e12: legs.kz_rail.distance_km: must be <= 400000, got 1e+12"),
    ("run.warmup_days=500", "--set run.warmup_days=500: run.warmup_days: warm-up (500 days) must be shorter than the horizon (100 days)"),
    ("routes.rail.path=['xian','duisburg']", "--set routes.rail.path=['xian','duisburg']: routes.rail.path[0]: route does not connect: no leg from 'xian' to 'duisburg' (add a [[legs]] entry or fix the path)"),
    ("nodes.dostyk.handling_hours.train.min=10", "--set nodes.dostyk.handling_hours.train.min=10: nodes.dostyk.handling_hours.train: min (10) must not exceed max (9)"),
    ("nodes.dostyk.handling_hours.train={ dist = 'gamma', mean = 6, cv = -1 }", "--set nodes.dostyk.handling_hours.train={ dist = 'gamma', mean = 6, cv = -1 }: nodes.dostyk.handling_hours.train.cv: must be >= 0, got -1"),
    ("nodes.dostyk=1", "--set nodes.dostyk=1: path names an entry, not a key inside it: add a key after 'nodes.dostyk'"),
    ("nodes.dostyk.servers.x=1", "--set nodes.dostyk.servers.x=1: 'nodes.dostyk.servers' is a value, not a table"),
    # Blamed on the --set, not on the leg of the file that names the old id.
    ("nodes.dostyk.id=other", "--set nodes.dostyk.id=other: 'nodes.dostyk.id': an id cannot be changed here, the entries that name 'dostyk' would not follow; rename it in a copy of the scenario file"),
]


@pytest.mark.parametrize("text, message", SET_ERRORS, ids=[t for t, _ in SET_ERRORS])
def test_bad_set_names_the_set_key_path_and_problem(base_file: Path, text: str, message: str) -> None:
    exc = load_error(base_file, (text,))
    assert str(exc) == message
    assert str(base_file) not in str(exc)


MALFORMED = [
    ("nodes.dostyk.servers", "--set nodes.dostyk.servers: expected PATH=VALUE"),
    ("nodes..servers=1", "--set nodes..servers=1: bad path 'nodes..servers'"),
    ("=1", "--set =1: bad path ''"),
    ("nodes.dostyk.servers=", "--set nodes.dostyk.servers=: no value given for nodes.dostyk.servers"),
    ("run.horizon_days=[1,", "--set run.horizon_days=[1,: bad value '[1,': not a TOML value"),
    ("run.horizon_days=1.2.3", "--set run.horizon_days=1.2.3: bad value '1.2.3': not a TOML value"),
    ('run.name="unterminated', "--set run.name=\"unterminated: bad value '\"unterminated': not a TOML value"),
]


@pytest.mark.parametrize("text, start", MALFORMED, ids=[t for t, _ in MALFORMED])
def test_malformed_set_is_rejected_when_parsed(text: str, start: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    assert str(info.value).startswith(start), str(info.value)


def test_set_values_are_toml_and_bare_words_are_strings() -> None:
    assert parse_override("nodes.a.servers=4").value == 4
    assert parse_override("a.b = 2.5 ").value == 2.5
    assert parse_override("a.b=true").value is True
    assert parse_override("a.b=[1, 2]").value == [1, 2]
    assert parse_override('a.b={ dist = "fixed", value = 3 }').value == {"dist": "fixed", "value": 3}
    assert parse_override("run.name=my_run").value == "my_run"
    assert parse_override(" nodes . a . servers =4").keys == ("nodes", "a", "servers")


def test_error_elsewhere_in_the_file_is_not_blamed_on_a_set(tmp_path: Path) -> None:
    path = broken(tmp_path, node("dostyk", servres=3))
    exc = load_error(path, ("nodes.xian.servers=5",))
    assert str(exc).startswith(f"{path}: nodes.dostyk.servres: unknown key 'servres'")


def test_set_that_breaks_a_cross_field_rule_is_named(base_file: Path) -> None:
    exc = load_error(base_file, ("run.horizon_days=5",))
    assert str(exc).startswith("--set run.horizon_days=5: "), str(exc)


# ---------------------------------------------------------------------------------------
# Input that used to get past the loader


def test_a_byte_order_mark_is_accepted(tmp_path) -> None:
    from sim.model.loader import load_scenario

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + NETWORK.encode("utf-8"))
    assert load_scenario(str(path)).settings.name == "network"


def test_an_id_that_a_spreadsheet_reads_as_a_formula_is_refused() -> None:
    doc = raw(NETWORK)
    entry(doc, "nodes", "duisburg")["id"] = "-duisburg"
    with pytest.raises(ScenarioError) as info:
        build_scenario(doc)
    assert info.value.key.endswith(".id") and "may not begin with '-'" in info.value.message


def test_a_truck_service_on_a_rail_leg_is_refused() -> None:
    doc = raw(NETWORK)
    entry(doc, "services", "train")["vehicle"] = "truck"
    with pytest.raises(ScenarioError) as info:
        build_scenario(doc)
    assert info.value.key == "routes.overland.services"
    assert "runs trucks, which cannot travel rail leg" in info.value.message


def test_implausible_speed_and_unused_handling_are_warnings_not_errors(tmp_path, capsys) -> None:
    from sim.cli import main

    doc = raw(NETWORK)
    entry(doc, "legs", "cn_rail")["speed_km_per_day"] = 60
    entry(doc, "nodes", "xian")["handling_hours"]["plane"] = 2
    path = write(tmp_path, doc)
    assert main(["run", str(path), "-n", "1", "-q", "--no-plot", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "legs.cn_rail: a mean speed of 60 km/day is outside the usual 150-2,500 km/day of rail" in err
    assert "nodes.xian.handling_hours: plane handling is given but no plane stops at xian" in err


# One wording for "what was given instead": every "got ..." of a type error is the same
# phrase, whichever module checks the value (loader, distributions, claims).
TYPE_CASES = {
    "integer given a decimal": (node("xian", servers=2.5), "got a decimal number (2.5)"),
    "integer given a string": (node("xian", servers="two"), "got a string"),
    "number given an array": (leg("cn_rail", distance_km=[1, 2]), "got an array"),
    "flag given an integer": (node("dostyk", gauge_change=1), "got an integer (1)"),
    "date given an integer": (run(start_date=20200301), "got an integer (20200301)"),
    "distribution parameter given a boolean": (
        leg("cn_rail", speed_km_per_day={"dist": "normal", "mean": True, "sd": 1}), "got a boolean"),
    "distribution given a string": (node("xian", handling_hours={"train": "six"}), "got a string"),
}


@pytest.mark.parametrize("case", list(TYPE_CASES))
def test_type_errors_say_what_was_given_in_one_wording(case: str, tmp_path: Path) -> None:
    edit, fragment = TYPE_CASES[case]
    message = str(load_error(broken(tmp_path, edit)))
    assert fragment in message, message
    assert re.search(r"got (a|an) [a-z]", message), message  # never a bare Python type name ("got float")


def test_claims_type_errors_use_the_same_wording(tmp_path: Path) -> None:
    from sim.model.claims import load_claims

    path = tmp_path / "bad.claims.toml"
    path.write_text('scenarios = 3.5\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_claims(path)
    assert "got a decimal number (3.5)" in str(info.value), str(info.value)
