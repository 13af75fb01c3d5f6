"""Bad [[events]] and bad --event: one line naming the file (or the option), the key path
``events.<id>.<key>`` and what is wrong; exit 2 and nothing written from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import sim
from scenarios_for_tests import BASE, raw, write
from sim.cli import main
from sim.model.errors import ScenarioError
from sim.model.event_text import event_from_text, event_override
from sim.model.loader import load_scenario
from sim.model.overrides import parse_override

# A dated corridor with a way round (xian - altynkol - duisburg), a sea leg and a second route.
EVENTS_BASE = """\
[run]
name = "events_base"
year = 2020
horizon_days = 100
warmup_days = 10
cooldown_days = 20

[[nodes]]
id = "xian"
handling_hours = { train = 6 }

[[nodes]]
id = "dostyk"
servers = 3
handling_hours = { train = 6 }

[[nodes]]
id = "altynkol"
servers = 2
handling_hours = { train = 6 }

[[nodes]]
id = "duisburg"

[[nodes]]
id = "port"
handling_hours = { ship = 12 }

[[legs]]
id = "cn_rail"
from = "xian"
to = "dostyk"
mode = "rail"
distance_km = 3000
speed_km_per_day = 900

[[legs]]
id = "kz_rail"
from = "dostyk"
to = "duisburg"
mode = "rail"
distance_km = 6000
speed_km_per_day = 1000

[[legs]]
id = "cn_alt"
from = "xian"
to = "altynkol"
mode = "rail"
distance_km = 3500
speed_km_per_day = 900

[[legs]]
id = "kz_alt"
from = "altynkol"
to = "duisburg"
mode = "rail"
distance_km = 6000
speed_km_per_day = 1000

[[legs]]
id = "sea"
from = "port"
to = "duisburg"
mode = "sea"
distance_km = 20000
speed_knots = 15

[[services]]
id = "block_train"
vehicle = "train"
capacity_teu = 90
schedule = { departures_per_week = 14 }

[[services]]
id = "feeder"
vehicle = "ship"
capacity_teu = 1000
schedule = { departure_days = [1] }

[[services]]
id = "spare_truck"
vehicle = "truck"
capacity_teu = 2
schedule = { when_full = true }

[[routes]]
id = "rail"
path = ["xian", "dostyk", "duisburg"]
services = "block_train"
[routes.demand]
teu_per_year = 40000

[[routes]]
id = "ship"
path = ["port", "duisburg"]
services = "feeder"
[routes.demand]
teu_per_year = 4000
"""

CLOSE = {"id": "e", "kind": "closure", "target": "nodes.dostyk", "start": "2020-03-01", "duration_days": 5}


def event(**changes: Any) -> dict[str, Any]:
    """The valid closure CLOSE with some keys changed (None deletes one)."""
    out = {**CLOSE, **changes}
    return {k: v for k, v in out.items() if v is not None}


DIVERT = {"id": "e", "kind": "divert", "target": "routes.rail", "start": 20, "path": ["xian", "altynkol", "duisburg"]}
CAPACITY = {"id": "e", "kind": "capacity", "target": "nodes.dostyk", "start": 20, "end": 40}
RANDOM = {"id": "e", "kind": "closure", "target": "services.feeder", "random": {"per_year": 4, "duration_days": 2}}

CASES = {
    # name: (events, exact text after "<file>: ")
    "unknown kind": ([event(kind="closed")], "events.e.kind: unknown value 'closed'; did you mean 'closure'?"),
    "missing kind": ([event(kind=None)], "events.e: missing required key 'kind' (one of: closure, capacity, demand, divert)"),
    "unknown key": ([event(duration=5, duration_days=None)], "events.e.duration: unknown key 'duration'; did you mean 'duration_days'?"),
    "key of another kind": ([event(factor=2)], "events.e.factor: does not apply to a closure event (it belongs to demand events)"),
    "unknown target": ([event(target="nodes.dostik")], "events.e.target: unknown node 'dostik'; did you mean 'dostyk'?"),
    "unknown section": ([event(target="node.dostyk")], "events.e.target: must be nodes.<id>, legs.<id>, services.<id> or routes.<id>, got 'node.dostyk'"),
    "closure of a route": ([event(target="routes.rail")], "events.e.target: a closure event targets nodes.<id>, legs.<id> or services.<id>, not routes"),
    "demand on a node": (
        [event(kind="demand", factor=2, duration_days=5)],
        "events.e.target: a demand event targets routes.<id>, a list of them, or routes.*, not nodes",
    ),
    "list for a closure": ([event(target=["nodes.dostyk"])], "events.e.target: a closure event has one target (a list of routes is for demand and divert events)"),
    "unknown route in a list": (
        [{"id": "e", "kind": "demand", "target": ["routes.rail", "routes.rial"], "start": 20, "factor": 2}],
        "events.e.target[1]: unknown route 'rial'; did you mean 'rail'?",
    ),
    "before the run": ([event(start="2019-12-01")], "events.e.start: 2019-12-01 is before the run begins (2019-12-22, day -10, the start of its 10-day warm-up)"),
    "after the horizon": ([event(start="2020-05-01")], "events.e.start: 2020-05-01 is not before the end of the measured window (2020-03-31, day 90, the horizon): the event would change nothing that is measured"),
    "day number after the horizon": ([event(start=95)], "events.e.start: day 95 is not before the end of the measured window (2020-03-31, day 90, the horizon): the event would change nothing that is measured"),
    "not a date": ([event(start="2020-02-30")], "events.e.start: '2020-02-30' is not a calendar date (day is out of range for month)"),
    "not ISO": ([event(start="1.3.2020")], "events.e.start: must be a date as YYYY-MM-DD, got '1.3.2020'"),
    "a boolean start": ([event(start=True)], "events.e.start: must be a date (YYYY-MM-DD) or a day number, got a boolean"),
    "end before start": ([event(end="2020-02-27", duration_days=None)], "events.e.end: end (2020-02-27) must be after start (2020-03-01)"),
    "end at start": ([event(end=dt.date(2020, 3, 1), duration_days=None)], "events.e.end: end (2020-03-01) must be after start (2020-03-01)"),
    "end and duration": ([event(end="2020-03-09")], "events.e: give only one of end, duration_days"),
    "zero duration": ([event(duration_days=0)], "events.e.duration_days: must be > 0, got 0"),
    "negative duration": ([event(duration_days=-3)], "events.e.duration_days: must be > 0, got -3"),
    "duration beyond a hundred years": (
        [event(duration_days=1e12)],
        "events.e.duration_days: must be <= 36,500 days, got 1e+12; leave out end and duration_days for an event "
        "that lasts until the run ends",
    ),
    "duration distribution beyond a hundred years": (
        [event(duration_days={"dist": "uniform", "min": 1, "max": 1e9})],
        "events.e.duration_days: must have a mean <= 36,500 days, got 5e+08; leave out end and duration_days for an "
        "event that lasts until the run ends",
    ),
    "end beyond a hundred years": (
        [event(end="9999-01-01", duration_days=None)],
        "events.e.end: end (9999-01-01) is more than 36,500 days after start (2020-03-01); leave out end and "
        "duration_days for an event that lasts until the run ends",
    ),
    "bad duration distribution": (
        [event(duration_days={"dist": "uniform", "min": 5, "max": 2})],
        "events.e.duration_days: min (5) must not exceed max (2)",
    ),
    "capacity without a change": ([CAPACITY], "events.e: a capacity event needs set = { ... } (new values) or scale = { ... } (multipliers)"),
    "set key the node has not": (
        [{**CAPACITY, "set": {"departures_per_week": 3}}],
        "events.e.set.departures_per_week: node 'dostyk' has no 'departures_per_week' to set; expected one of: servers, handling_hours",
    ),
    "scale key the leg has not": (
        [{**CAPACITY, "target": "legs.kz_rail", "scale": {"sped": 0.5}}],
        "events.e.scale.sped: leg 'kz_rail' has no 'sped' to scale; did you mean 'speed'?",
    ),
    "servers of an unlimited node": (
        [{**CAPACITY, "target": "nodes.xian", "set": {"servers": 2}}],
        "events.e.set.servers: node 'xian' has no servers (no capacity limit) to change: give the node servers = N",
    ),
    "a billion servers": (
        [{**CAPACITY, "set": {"servers": 10**9}}],
        "events.e.set.servers: must be at most 100,000, got 1,000,000,000",
    ),
    "handling of a vehicle not handled": (
        [{**CAPACITY, "set": {"handling_hours": {"ship": 3}}}],
        "events.e.set.handling_hours.ship: node 'dostyk' handles no ship (its handling_hours are for train)",
    ),
    "frequency of a weekday service": (
        [{**CAPACITY, "target": "services.feeder", "scale": {"departures_per_week": 2}}],
        "events.e.scale.departures_per_week: service 'feeder' runs on departure_days, not departures_per_week: there is no frequency to change",
    ),
    "wagons of a TEU service": (
        [{**CAPACITY, "target": "services.block_train", "set": {"capacity_wagons": 40}}],
        "events.e.set.capacity_wagons: service 'block_train' has capacity_teu, not capacity_wagons",
    ),
    "capacity below a container": (
        [{**CAPACITY, "target": "services.block_train", "scale": {"capacity_teu": 0.01}}],
        "events.e.scale.capacity_teu: would leave service 'block_train' 0.9 TEU, smaller than one container of route 'rail' (2 TEU)",
    ),
    "zero scale": ([{**CAPACITY, "scale": {"servers": 0}}], "events.e.scale.servers: must be > 0, got 0"),
    "negative scale": ([{**CAPACITY, "scale": {"handling_hours": -1}}], "events.e.scale.handling_hours: must be > 0, got -1"),
    "zero servers": ([{**CAPACITY, "set": {"servers": 0}}], "events.e.set.servers: must be >= 1, got 0"),
    "negative demand factor": (
        [{"id": "e", "kind": "demand", "target": "routes.*", "start": 20, "factor": -0.5}],
        "events.e.factor: must be >= 0, got -0.5",
    ),
    "divert that does not connect": (
        [{**DIVERT, "path": ["xian", "altynkol", "port", "duisburg"]}],
        "events.e.path[1]: route does not connect: no leg from 'altynkol' to 'port' (add a [[legs]] entry or fix the path)",
    ),
    "divert to another destination": (
        [{**DIVERT, "path": ["xian", "altynkol"]}],
        "events.e.path: must run from 'xian' to 'duisburg', the ends of route 'rail' (a diverted route keeps its origin and destination), got 'xian' to 'altynkol'",
    ),
    "divert on another route's service": (
        [{**DIVERT, "services": "feeder"}],
        "events.e.services: service 'feeder' runs route 'ship'; a diverted route uses its own services or ones no route uses",
    ),
    "divert on vehicles that cannot run it": (
        [{**DIVERT, "services": "spare_truck"}],
        "events.e.services: service 'spare_truck' runs trucks, which cannot travel rail leg 'cn_alt' of the diverted path (a truck travels road or ferry legs)",
    ),
    "divert with too many services": (
        [{**DIVERT, "services": ["block_train"] * 3}],
        "events.e.services: gives 3 services for 2 legs: give one service for the whole path or one per leg",
    ),
    "two servers at once": (
        [{**CAPACITY, "id": "a", "set": {"servers": 2}}, {**CAPACITY, "id": "b", "start": 30, "end": 50, "set": {"servers": 1}}],
        "events.b.set.servers: changes servers of nodes.dostyk while event 'a' changes it too (2020-01-21 to 2020-02-10): give one value per period",
    ),
    "set and scale at once": (
        [{**CAPACITY, "id": "a", "set": {"servers": 2}}, {**CAPACITY, "id": "b", "scale": {"servers": 2}}],
        "events.b.scale.servers: changes servers of nodes.dostyk while event 'a' changes it too (2020-01-21 to 2020-02-10): give one value per period",
    ),
    "two diversions at once": (
        [DIVERT, {**DIVERT, "id": "b", "start": 50}],
        "events.b.start: diverts routes.rail while event 'e' diverts it too: give one path per period",
    ),
    "random closure with a start": ([{**RANDOM, "start": 20}], "events.e.start: a random closure has no dates: its spells are drawn from random = { per_year, duration_days }"),
    "random closure of a node": ([{**RANDOM, "target": "nodes.dostyk"}], "events.e.target: random closures target services.<id> (like a service's closures key), not nodes"),
    "random closure without a rate": ([{**RANDOM, "random": {"duration_days": 2}}], "events.e.random: missing required key 'per_year'"),
    "random closure with a bad key": ([{**RANDOM, "random": {"per_year": 4, "duration": 2}}], "events.e.random.duration: unknown key 'duration'; did you mean 'duration_days'?"),
    "random closure rate out of range": ([{**RANDOM, "random": {"per_year": -1, "duration_days": 2}}], "events.e.random.per_year: must be >= 0, got -1"),
    "random closure not a table": ([{**RANDOM, "random": 4}], "events.e.random: must be a table, got an integer (4)"),
    "random on a capacity event": ([{**CAPACITY, "set": {"servers": 2}, "random": {"per_year": 4, "duration_days": 2}}], 'events.e.random: does not apply to a capacity event (it belongs to closure events)'),
    "two random closures of a service": ([RANDOM, {**RANDOM, "id": "b"}], "events.b.random: service 'feeder' already has random closures (event 'e'): give them once"),
    "duplicate id": ([CLOSE, CLOSE], "events.e.id: duplicate id 'e' (also entry 0)"),
}


def load_error(tmp_path: Path, events: list[dict], text: str = EVENTS_BASE) -> tuple[Path, ScenarioError]:
    doc = raw(text)
    doc["events"] = events
    path = write(tmp_path, doc, "events.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    return path, info.value


@pytest.mark.parametrize("case", list(CASES))
def test_bad_event_is_one_line_with_file_key_and_problem(case: str, tmp_path: Path) -> None:
    events, expected = CASES[case]
    path, exc = load_error(tmp_path, events)
    assert str(exc) == f"{path}: {expected}"


def test_valid_events_load(tmp_path: Path) -> None:
    doc = raw(EVENTS_BASE)
    doc["events"] = [
        CLOSE,
        {**CAPACITY, "id": "works", "set": {"servers": 2}, "scale": {"handling_hours": 1.5}},
        {**CAPACITY, "id": "later", "start": 40, "end": 60, "set": {"servers": 1}},  # touches the first at 40: fine
        {**DIVERT, "id": "detour", "end": 40},
        {"id": "surge", "kind": "demand", "target": "routes.*", "start": "2020-02-01", "duration_days": {"dist": "uniform", "min": 5, "max": 9}, "factor": 1.25},
        {"id": "slow", "kind": "capacity", "target": "legs.kz_rail", "start": 0, "scale": {"speed": 0.5}},
    ]
    scn = load_scenario(str(write(tmp_path, doc)))
    assert [e.id for e in scn.events] == ["e", "works", "later", "detour", "surge", "slow"]
    close, works, _, detour, surge, slow = scn.events
    assert (close.section, close.targets, close.start, close.duration.mean) == ("nodes", ("dostyk",), 10 + 60, 5)
    assert works.set == {"servers": 2} and works.scale == {"handling_hours": 1.5}
    assert [s.nodes for s in detour.segments["rail"]] == [("xian", "altynkol", "duisburg")]
    assert surge.targets == ("rail", "ship") and surge.start == 10 + 31
    assert slow.duration is None


def test_an_undated_scenario_takes_day_numbers_only(tmp_path: Path) -> None:
    path, exc = load_error(tmp_path, [{"id": "x", "kind": "closure", "target": "nodes.dostyk", "start": "2020-03-01"}], BASE)
    assert str(exc) == (
        f"{path}: events.x.start: 2020-03-01 is a date, but the scenario has no calendar (run.year or "
        "run.start_date): give a day number (0 = the end of the warm-up)"
    )
    doc = raw(BASE)
    doc["events"] = [{"id": "x", "kind": "closure", "target": "nodes.dostyk", "start": -10, "end": 5.5}]
    scn = load_scenario(str(write(tmp_path, doc, "ok.toml")))
    assert (scn.events[0].start, scn.events[0].duration.value) == (0.0, 15.5)


def test_background_needs_servers(tmp_path: Path) -> None:
    doc = raw(EVENTS_BASE)
    doc["nodes"][0]["background"] = {"vehicles_per_day": 4, "handling_hours": 2}
    path = write(tmp_path, doc)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    assert str(info.value) == (
        f"{path}: nodes.xian.background: background traffic shares the node's servers, and this node has none "
        "(no capacity limit): give the node servers = N"
    )
    doc["nodes"][1]["background"] = {"vehicles_per_day": 4, "handling_hour": 2}
    del doc["nodes"][0]["background"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(write(tmp_path, doc)))
    assert info.value.key == "nodes.dostyk.background.handling_hour" and "did you mean 'handling_hours'?" in info.value.message


# ---------------------------------------------------------------------------------------
# --event and --set on events


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    return write(tmp_path, EVENTS_BASE, "base.toml")


def test_compact_event_forms() -> None:
    assert event_from_text("closure:nodes.suez:2020-05-04+6") == {
        "id": "closure_suez", "kind": "closure", "target": "nodes.suez", "start": dt.date(2020, 5, 4), "duration_days": 6,
    }
    assert event_from_text("closure:legs.kz_rail:-5..12.5,id=works") == {
        "id": "works", "kind": "closure", "target": "legs.kz_rail", "start": -5, "end": 12.5,
    }
    assert event_from_text('capacity:nodes.dostyk:2020-08-01..2020-11-15,set={ servers = 5, handling_hours = { train = 9 } },source="a, b"') == {
        "id": "capacity_dostyk", "kind": "capacity", "target": "nodes.dostyk", "start": dt.date(2020, 8, 1),
        "end": dt.date(2020, 11, 15), "set": {"servers": 5, "handling_hours": {"train": 9}}, "source": "a, b",
    }
    assert event_from_text('divert:routes.rail:20,path=["xian", "altynkol", "duisburg"]')["path"] == ["xian", "altynkol", "duisburg"]
    assert event_from_text("demand:routes.*:2020-09-01,factor=1.25")["id"] == "demand_all"
    assert event_from_text("kind=closure,target=nodes.x,start=3,duration_days=2") == {
        "id": "closure_x", "kind": "closure", "target": "nodes.x", "start": 3, "duration_days": 2,
    }


EVENT_ERRORS = [
    # (--event text, exact message)
    ("closure:nodes.dostik:2020-03-01+5", "--event closure:nodes.dostik:2020-03-01+5: events.closure_dostik.target: unknown node 'dostik'; did you mean 'dostyk'?"),
    ("closure:nodes.dostyk:2020-03-01+0", "--event closure:nodes.dostyk:2020-03-01+0: events.closure_dostyk.duration_days: must be > 0, got 0"),
    ("closure:nodes.dostyk:2020-03-01..2020-02-01", "--event closure:nodes.dostyk:2020-03-01..2020-02-01: events.closure_dostyk.end: end (2020-02-01) must be after start (2020-03-01)"),
    ("capacity:nodes.dostyk:20+5,scale={ servers = 0 }", "--event capacity:nodes.dostyk:20+5,scale={ servers = 0 }: events.capacity_dostyk.scale.servers: must be > 0, got 0"),
    ("demand:routes.rail:20+5", "--event demand:routes.rail:20+5: events.demand_rail: missing required key 'factor'"),
    ("closure:nodes.dostyk", "--event closure:nodes.dostyk: expected KIND:TARGET:WHEN (e.g. closure:nodes.suez:2020-05-04+6), then ,KEY=VALUE pairs"),
    ("closure:nodes.dostyk:20,factor", "--event closure:nodes.dostyk:20,factor: expected KEY=VALUE, got 'factor'"),
    ("closure:nodes.dostyk:20,set={ servers = 2", "--event closure:nodes.dostyk:20,set={ servers = 2: unbalanced quotes or brackets"),
    ("closure:nodes.dostyk:20,start=30", "--event closure:nodes.dostyk:20,start=30: gives 'start' twice"),
    ("closure:nodes.dostyk:..5", "--event closure:nodes.dostyk:..5: a date or day number is missing in WHEN (START, START+DAYS or START..END)"),
]


@pytest.mark.parametrize("text, message", EVENT_ERRORS, ids=[t for t, _ in EVENT_ERRORS])
def test_bad_event_option_names_the_option_key_and_problem(base_file: Path, text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:  # as the CLI passes --event (plain texts name events[i])
        sim.load(str(base_file), events=[event_override(text)])
    assert str(info.value) == message


def test_an_event_option_is_checked_like_the_file(base_file: Path, tmp_path: Path) -> None:
    """The same mistake in the file and on the command line gives the same message after the location."""
    text = "capacity:nodes.xian:20+5,set={ servers = 2 }"
    with pytest.raises(ScenarioError) as option:
        sim.load(str(base_file), events=[text])
    _, in_file = load_error(tmp_path, [{**event_from_text(text), "start": 20, "duration_days": 5}])
    assert (option.value.key, option.value.message) == (in_file.key, in_file.message)
    # A duplicate of a file's event is the option's fault, named by the id.
    doc = raw(EVENTS_BASE)
    doc["events"] = [{**CLOSE, "id": "closure_dostyk"}]
    path = write(tmp_path, doc, "with_event.toml")
    with pytest.raises(ScenarioError) as info:
        sim.load(str(path), events=[event_override("closure:nodes.dostyk:20+1")])
    assert str(info.value) == "--event closure:nodes.dostyk:20+1: events.closure_dostyk.id: duplicate id 'closure_dostyk' (also entry 0)"


def test_set_changes_an_event_and_adds_one(base_file: Path) -> None:
    scn = sim.load(str(base_file), events=["closure:nodes.dostyk:20+5"], overrides=["events.closure_dostyk.start=30"])
    assert scn.events[0].start == 40.0
    added = sim.load(str(base_file), overrides=['events+={ id = "x", kind = "closure", target = "legs.kz_rail", start = 5, duration_days = 2 }'])
    assert added.events[0].targets == ("kz_rail",)
    with pytest.raises(ScenarioError) as info:
        sim.load(str(base_file), overrides=["events.x.start=3"])
    assert str(info.value) == "--set events.x.start=3: unknown [[events]] id 'x': the scenario has no [[events]] entries (add one with --event)"
    with pytest.raises(ScenarioError) as info:
        parse_override("nodes.x+={ id = 'y' }")
    assert "+= adds an entry to a list of tables such as events, not to nodes.x" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        sim.load(str(base_file), overrides=["events+={ id = 'x', kind = 'closure', target = 'nodes.dostyk', start = 1 }", "events.x.start=200"])
    assert str(info.value).startswith("--set events.x.start=200: events.x.start: day 200 is not before the end of the measured window")
    # The recorded text of an --event is the --set that adds the same entry.
    assert scn.overrides[0].text == 'events+={ id = "closure_dostyk", kind = "closure", target = "nodes.dostyk", start = 20, duration_days = 5 }'
    again = sim.load(str(base_file), overrides=[scn.overrides[0].text])
    assert again.events == sim.load(str(base_file), events=["closure:nodes.dostyk:20+5"]).events


def test_cli_bad_event_is_one_line_exit_2_and_nothing_written(base_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    code = main(["run", str(base_file), "--out", str(out), "--event", "closure:nodes.dostik:20+5"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err == (
        "routesim: error: --event closure:nodes.dostik:20+5: events.closure_dostik.target: unknown node 'dostik'; "
        "did you mean 'dostyk'?\n"
    )
    assert not out.exists()
    doc = raw(EVENTS_BASE)
    doc["events"] = [event(start="2019-12-01")]
    bad = write(tmp_path, doc, "bad.toml")
    assert main(["compare", str(bad), "--vary", "nodes.dostyk.servers=4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"routesim: error: {bad}: events.e.start: 2019-12-01 is before the run begins")
    assert not out.exists()


def test_idle_events_are_warnings(tmp_path: Path) -> None:
    doc = raw(EVENTS_BASE)
    doc["nodes"].append({"id": "nowhere", "servers": 1})
    doc["events"] = [
        {"id": "idle", "kind": "closure", "target": "nodes.nowhere", "start": 3, "duration_days": 1},
        {**DIVERT, "id": "same", "end": 40, "path": ["xian", "dostyk", "duisburg"]},
        {**DIVERT, "id": "used", "start": 50, "path": ["xian", "altynkol", "duisburg"]},
        {"id": "alt", "kind": "closure", "target": "nodes.altynkol", "start": 3, "duration_days": 1},
    ]
    scn = load_scenario(str(write(tmp_path, doc)))
    assert scn.warnings == (
        "events.idle: no route uses node 'nowhere', so the event changes nothing",
        "events.same: diverts route 'rail' onto its own path and services, so it changes nothing",
    )


def test_a_scenario_extending_another_changes_its_events_by_id(tmp_path: Path) -> None:
    doc = raw(EVENTS_BASE)
    doc["events"] = [CLOSE, {**DIVERT, "id": "detour"}]
    write(tmp_path, doc, "base.toml")
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "base.toml"\n[run]\nname = "child"\n\n'
        '[[events]]\nid = "e"\nduration_days = 9\n\n'
        '[[events]]\nid = "detour"\nremove = true\n\n'
        '[[events]]\nid = "more"\nkind = "demand"\ntarget = "routes.*"\nstart = 2020-02-01\nfactor = 2\n',
        encoding="utf-8",
    )
    scn = load_scenario(str(child))
    assert [(e.id, e.kind) for e in scn.events] == [("e", "closure"), ("more", "demand")]
    assert scn.events[0].duration.value == 9 and scn.events[0].targets == ("dostyk",)


@pytest.mark.parametrize(("when", "why"), [("2020-13-01", "month must be in 1..12"), ("2020-02-30+3", "day is out of range")])
def test_an_impossible_date_in_event_is_named_like_one_in_a_file(base_file: Path, tmp_path: Path, capsys, when: str, why: str) -> None:
    """A date TOML itself refuses reaches the date reader: key path and reason, not a parser message."""
    out = tmp_path / "res"
    assert main(["run", str(base_file), "--out", str(out), "--event", f"closure:nodes.dostyk:{when}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "events.closure_dostyk.start:" in err and "is not a calendar date" in err and why in err
    assert not out.exists()


def test_an_event_record_counts_zero_on_a_route_it_did_not_touch(base_file: Path) -> None:
    from sim.engine.simulation import run_replication

    scn = sim.load(str(base_file), events=["closure:nodes.dostyk:20+5"])
    record = run_replication(scn, 1, 0).events["closure_dostyk"]
    assert record.containers("no_such_route") == 0
