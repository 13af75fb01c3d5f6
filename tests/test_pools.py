"""Direction- and service-aware nodes: [[nodes.pools]] against hand calculation.

BORDER: a border node b between w (west, lon 50) and e (east, lon 80); one train a day each
way (even departures, deterministic times), so every queue is known by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from scenarios_for_tests import build, entry, raw, write
from sim.cli import main
from sim.engine.simulation import run_replication

BORDER = """\
[run]
name = "border"
horizon_days = 60
warmup_days = 10
cooldown_days = 10

[[nodes]]
id = "w"
lon = 50
[[nodes]]
id = "b"
lon = 65
servers = 1
handling_hours = { train = 6 }
[[nodes]]
id = "e"
lon = 80

[[legs]]
id = "wb"
from = "w"
to = "b"
mode = "rail"
distance_km = 1000
duration_days = 1
[[legs]]
id = "be"
from = "b"
to = "e"
mode = "rail"
distance_km = 1000
duration_days = 1

[[services]]
id = "west_train"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7, offset_days = 0.25 }
[[services]]
id = "east_train"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7, offset_days = 0.25 }

[[routes]]
id = "westbound"
path = ["e", "b", "w"]
services = "west_train"
[routes.demand]
teu_per_year = 7300
arrivals = "even"
[[routes]]
id = "eastbound"
path = ["w", "b", "e"]
services = "east_train"
[routes.demand]
teu_per_year = 7300
arrivals = "even"
"""


def border(*pools: dict, **node) -> "sim.Scenario":
    def edit(doc: dict) -> None:
        b = entry(doc, "nodes", "b")
        b.update(node)
        if pools:
            b["pools"] = [dict(p) for p in pools]

    return build(BORDER, edit)


def handled(result, route: str) -> tuple[np.ndarray, np.ndarray]:
    """(waits, handling times) in hours of a route's trains at b."""
    log = result.nodes["b"]
    mine = (log.route == list(result.ledgers).index(route)) & log.handled
    return (log.start - log.arrive)[mine] * 24, (log.end - log.start)[mine] * 24


def test_each_direction_is_handled_by_its_own_pool() -> None:
    """Westbound 20 h on its own track, eastbound 6 h on the node's: both arrive at the same
    instant every day, and neither waits for the other."""
    scn = border({"id": "west", "direction": "westbound", "servers": 1, "handling_hours": {"train": 20}})
    result = run_replication(scn, 1, 0)
    west_waits, west_hours = handled(result, "westbound")
    east_waits, east_hours = handled(result, "eastbound")
    np.testing.assert_allclose(west_hours, 20)
    np.testing.assert_allclose(east_hours, 6)
    assert west_waits.max() == 0 and east_waits.max() == 0
    log = result.nodes["b"]
    assert log.servers == 2 and set(log.pool[log.route == 0].tolist()) == {1} and set(log.pool[log.route == 1].tolist()) == {0}


def test_one_shared_pool_with_a_longer_handling_one_way_queues_the_other() -> None:
    """12 h westbound on the node's one track, 6 h eastbound: trains reach b together each
    day; whichever is second waits for the first (first come, first served; ties by event
    order), so the day's total wait is the first one's handling, 12 h or 6 h; the track is
    busy 18 h a day."""
    scn = border({"id": "west", "direction": "westbound", "handling_hours": {"train": 12}})
    result = run_replication(scn, 1, 0)
    west_waits, west_hours = handled(result, "westbound")
    east_waits, east_hours = handled(result, "eastbound")
    np.testing.assert_allclose(west_hours, 12)
    np.testing.assert_allclose(east_hours, 6)
    days = min(west_waits.size, east_waits.size)
    total = west_waits[:days] + east_waits[:days]
    assert np.isin(np.round(total, 9), [6.0, 12.0]).all() and total.max() > 0
    summary = sim.run(scn, 1, 0).summary.to_dict()["nodes"]["b"]
    assert summary["utilization"] == pytest.approx(18 / 24, abs=0.02)
    assert summary["pools"]["west"]["shares_node_servers"] is True and summary["servers"] == 1


def test_pool_measures_in_the_summary() -> None:
    """A pool's own servers: its utilization is its trains' handling over its servers' time
    (20 h a day on one track), the node's own 6 h a day; the node has both tracks."""
    scn = border({"id": "west", "direction": "westbound", "servers": 1, "handling_hours": {"train": 20}})
    node = sim.run(scn, 2, 0).summary.to_dict()["nodes"]["b"]
    west = node["pools"]["west"]
    assert west["servers"] == 1 and west["direction"] == "westbound"
    assert west["utilization"]["mean"] == pytest.approx(20 / 24, abs=0.01)
    assert west["mean_handling_days"]["mean"] == pytest.approx(20 / 24)
    assert node["servers"] == 2 and node["utilization"] == pytest.approx(26 / 48, abs=0.01)


def test_a_pool_by_the_node_arrived_from_and_by_service() -> None:
    by_from = border({"id": "from_e", "from": "e", "handling_hours": {"train": 10}})
    _, west_hours = handled(run_replication(by_from, 1, 0), "westbound")
    np.testing.assert_allclose(west_hours, 10)  # westbound trains arrive from e
    by_service = border({"id": "east", "services": ["east_train"], "handling_hours": {"train": 3}})
    result = run_replication(by_service, 1, 0)
    np.testing.assert_allclose(handled(result, "eastbound")[1], 3)
    np.testing.assert_allclose(handled(result, "westbound")[1], 6)


def test_a_closure_closes_every_pool() -> None:
    closure = {"id": "shut", "kind": "closure", "target": "nodes.b", "start": 20, "duration_days": 3}

    def edit(doc: dict) -> None:
        entry(doc, "nodes", "b")["pools"] = [{"id": "west", "direction": "westbound", "servers": 1}]
        doc["events"] = [closure]

    result = run_replication(build(BORDER, edit), 1, 0)
    log = result.nodes["b"]
    for pool in (0, 1):
        mine = (log.pool == pool) & log.handled
        started = log.start[mine]
        assert not ((started >= 30) & (started < 33)).any()  # day 20 of the window = simulation day 30


@pytest.mark.parametrize(
    "pools, node, message",
    [
        ([{"id": "p", "servers": 1}], {}, "nodes.b.pools[0]: a pool needs direction, from or services"),
        ([{"id": "p", "direction": "westbound"}], {}, "nodes.b.pools[0]: a pool needs servers or handling_hours"),
        ([{"id": "p", "direction": "northbound", "servers": 1}], {}, "nodes.b.pools[0].direction: unknown value 'northbound'"),
        ([{"id": "p", "from": "x", "servers": 1}], {}, "nodes.b.pools[0].from[0]: unknown node 'x'"),
        ([{"id": "p", "services": ["ship"], "servers": 1}], {}, "nodes.b.pools[0].services[0]: unknown service 'ship'"),
        ([{"id": "p", "from": "b", "servers": 1}], {}, "nodes.b.pools[0]: no route's vehicle uses pool 'p' (none arrives from b)"),
        ([{"id": "p", "direction": "westbound", "servers": 0}], {}, "nodes.b.pools[0].servers: must be >= 1, got 0 (omit 'servers' for a pool without a capacity limit)"),
        ([{"id": "p", "direction": "westbound", "servers": 1}, {"id": "p", "direction": "eastbound", "servers": 1}], {},
         "nodes.b.pools[1].id: pool 'p' is given twice"),
        ([{"id": "p", "direction": "westbound", "servers": 1}], {"lon": None}, "cannot be told: give lon to nodes"),
        ([{"id": "p", "direction": "westbound", "servers": 1, "handling_hours": {"ship": 3}}], {"handling_hours": {"ship": 2}},
         "nodes.b.pools[0].handling_hours: pool 'p' of node 'b' has servers, but the trains of route 'westbound'"),
        ([], {"handling_hours": {"ship": 2}}, "nodes.b.handling_hours: node 'b' has servers, but the trains of route 'westbound'"),
        ("west", {}, "nodes.b.pools: must be a non-empty array of tables"),
    ],
)
def test_bad_pools_get_one_line_and_exit_2(tmp_path, capsys, pools, node, message) -> None:
    doc = raw(BORDER)
    b = entry(doc, "nodes", "b")
    if pools != []:
        b["pools"] = pools
    for key, value in node.items():
        if value is None:
            for n in doc["nodes"]:
                n.pop(key, None)
        else:
            b[key] = value
    path = write(tmp_path, doc, "bad.toml")
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_a_saturated_pool_is_flagged_and_blamed_though_the_node_is_not(tmp_path, capsys) -> None:
    """Westbound trains 30 h a day on their own track: that pool saturates, the node's other
    track does not; the warnings and the nodes table name the pool, the route blames it."""
    doc = raw(BORDER)
    entry(doc, "nodes", "b")["pools"] = [{"id": "west", "direction": "westbound", "servers": 1, "handling_hours": {"train": 30}}]
    assert main(["run", str(write(tmp_path, doc, "b.toml")), "-n", "1", "--no-plot", "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert "node b.west: utilization 100%, saturated" in captured.err
    assert "route westbound: saturated" in captured.err and "the queue at node b.west limits it" in captured.err
    assert "route eastbound: saturated" not in captured.err
    rows = [line.split() for line in captured.out.splitlines() if line.startswith(("b ", "b.west "))]
    assert rows[0][0] == "b.west" and rows[1][0] == "b"  # busiest first
