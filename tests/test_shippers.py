"""The bundled shippers' scenario, routesim options and list --nodes, as a new user meets them."""

from __future__ import annotations

import math

import pytest

import sim
from sim.analysis.costs import route_co2e_kg, route_cost
from sim.choice.options import envelope
from sim.cli import main
from sim.model.loader import load_scenario

SHIPPERS = "china_europe_shippers_2020"
# A short run of it: 30 measured days, two equilibrium iterations (the figures are checked
# elsewhere; here only that the command answers with every option).
SHORT = ["--set", "run.horizon_days=75", "--set", "run.warmup_days=45", "--set", "run.cooldown_days=60",
         "--set", "choice.max_iterations=2"]


@pytest.fixture(scope="module")
def shippers():
    return load_scenario(SHIPPERS)


def test_every_flow_has_door_to_door_options_with_prices_and_co2e(shippers) -> None:
    pairs = {(f.origin, f.destination) for f in shippers.flows.values()}
    assert {("xian", "duisburg"), ("chongqing", "duisburg"), ("shanghai", "rotterdam"), ("xian", "halkali")} <= pairs
    # Every real option of the main pair: rail via each border, Middle Corridor, road, sea via
    # Suez and the Cape, air; sea-rail for Shanghai; sea for Istanbul.
    modes = {shippers.routes[r].mode for r in shippers.flows["xian_duisburg_machinery"].options}
    assert {"rail", "road", "multimodal"} <= modes and any(shippers.legs[l].mode == "air" for l in shippers.routes["air_xian_duisburg"].segments[1].legs)
    assert {"rail_xian_duisburg", "rail_xian_duisburg_altynkol", "mc_xian_duisburg", "road_xian_duisburg",
            "sea_xian_duisburg_suez", "sea_xian_duisburg_cape"} <= set(shippers.flows["xian_duisburg_machinery"].options)
    assert "searail_shanghai_rotterdam" in shippers.flows["shanghai_rotterdam_low"].options
    assert "sea_xian_halkali_suez" in shippers.flows["xian_halkali_low"].options
    classes = {f.cargo_class for f in shippers.flows.values()}
    assert len(classes) >= 3  # low- to high-value
    values = sorted(c.value_usd_per_tonne for c in shippers.cargo_classes.values())
    assert values[-1] > 5 * values[0]
    for flow in shippers.flows.values():
        for rid in flow.options:
            route = shippers.routes[rid]
            assert (route.path[0], route.path[-1]) == (flow.origin, flow.destination), rid
            cost = route_cost(shippers, route, flow.tonnes_per_teu)
            assert cost.total > 0 and cost.line_haul >= 0, rid
            assert route_co2e_kg(shippers, route, flow.tonnes_per_teu) > 0, rid  # every leg has a factor


def test_the_options_of_xian_duisburg_order_as_the_modes_do(shippers) -> None:
    """Per TEU of machinery: air dearest and dirtiest by far; rail dearer than sea, and sea
    emits no less than rail over the longer distance with trucking at both ends."""
    flow = shippers.flows["xian_duisburg_machinery"]
    t = flow.tonnes_per_teu
    cost = {rid: route_cost(shippers, shippers.routes[rid], t).total for rid in flow.options}
    co2 = {rid: route_co2e_kg(shippers, shippers.routes[rid], t) for rid in flow.options}
    air, rail, sea = "air_xian_duisburg", "rail_xian_duisburg", "sea_xian_duisburg_suez"
    assert cost[air] > 5 * cost[rail] > 5 * cost[sea] / 5
    assert cost[rail] > cost[sea]
    assert co2[air] > 10 * co2[rail]
    assert co2[sea] >= co2[rail]
    # Every money figure of the file carries its source.
    for sv in shippers.services.values():
        for rate in (sv.rate, sv.subsidy):
            assert rate is None or rate.source, sv.id
    for node in shippers.nodes.values():
        assert node.charges is None or node.charges.source, node.id


def test_envelope_is_the_cheapest_line_at_every_value() -> None:
    a, b = [100.0, 50.0, 300.0, 400.0], [1.0, 2.0, 0.5, 0.6]
    pieces = envelope(a, b, ["x", "y", "z", "never"])
    assert [p[2] for p in pieces] == ["y", "x", "z"]
    assert pieces[0][1] == pytest.approx(50.0) and pieces[1][1] == pytest.approx(400.0) and pieces[2][1] == math.inf
    for lo, hi, rid in pieces:  # the named line is the lowest inside its piece
        v = lo + 1.0 if math.isinf(hi) else 0.5 * (lo + hi)
        costs = {r: ai + bi * v for r, ai, bi in zip(["x", "y", "z", "never"], a, b)}
        assert min(costs, key=costs.get) == rid


def test_options_prints_every_option_and_the_break_even_values(capsys) -> None:
    assert main(["options", "xian", "duisburg", SHIPPERS, "--value-usd-per-kg", "40", "-n", "1", "-q", *SHORT]) == 0
    out = capsys.readouterr().out
    flow = load_scenario(SHIPPERS).flows["xian_duisburg_machinery"]
    for rid in flow.options:
        assert f"\n{rid} " in out
    assert "cheapest (generalised cost) by cargo value" in out and "share" in out
    assert out.count("%") >= len(flow.options)  # a logit share per option


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["options", "xian", "nowhere", SHIPPERS], "DESTINATION: unknown node 'nowhere'"),
        (["options", "halkali", "xian", SHIPPERS], "no container route runs from halkali to xian"),
        (["options", "xian", "duisburg", SHIPPERS, "--class", "gold"], "--class: unknown cargo class 'gold'"),
        (["options", "xian", "duisburg", SHIPPERS, "--tonnes-per-teu", "0"], "--tonnes-per-teu must be"),
    ],
)
def test_options_refuses_bad_arguments_in_one_line_before_running(capsys, args: list[str], fragment: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err, err


def test_list_nodes_shows_ids_kinds_countries_and_capacities(capsys) -> None:
    assert main(["list", "--nodes", "china_europe_2020"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("dostyk "))
    node = load_scenario("china_europe_2020").nodes["dostyk"]
    assert node.kind in line and node.country in line and f" {node.servers} " in line


def test_list_shows_the_flows_of_a_scenario(capsys) -> None:
    assert main(["list", SHIPPERS]) == 0
    out = capsys.readouterr().out
    assert "flows (cargo that chooses among the routes above)" in out
    for fid in load_scenario(SHIPPERS).flows:
        assert fid in out
    assert "flows only" in out  # the option routes without demand of their own


def test_the_api_answers_options_for_a_run_already_made() -> None:
    scn = sim.load(SHIPPERS, overrides=[s for s in SHORT if s != "--set"])
    run = sim.run(scn, replications=1)
    answer = sim.options("shanghai", "rotterdam", run, cargo_class="electronics")
    assert {r.route for r in answer.rows} == set(scn.flows["shanghai_rotterdam_electronics"].options)
    assert sum(r.share for r in answer.rows) == pytest.approx(1.0)
    assert answer.breakeven[0][0] == 0.0 and math.isinf(answer.breakeven[-1][1])


def test_free_flow_road_time_rests_as_the_driving_hours_say(shippers) -> None:
    """The expected time of a road leg (the options' free-flow days, the equilibrium's start)
    rests as the engine does: 1,000 km at 960 km/day is 25 h of driving, which at 8 h a day is
    three days of driving and rest, then one hour."""
    import dataclasses

    from sim.engine.fleet import expected_run_days
    from sim.engine.sampling import expected_travel_days
    from sim.model.distributions import Fixed

    road = next(leg for leg in shippers.legs.values() if leg.driving_hours_per_day is not None)
    leg = dataclasses.replace(road, distance_km=1000.0, speed_km_per_day=Fixed(960.0), driving_hours_per_day=8.0)
    assert expected_travel_days(leg) == pytest.approx(3 + 1 / 24)
    assert expected_travel_days(dataclasses.replace(leg, driving_hours_per_day=None)) == pytest.approx(1000 / 960)
    route = shippers.routes["road_xian_duisburg"]
    hand = 0.0
    for lid in route.segments[0].legs:
        lg = shippers.legs[lid]
        hours = lg.distance_km / lg.speed_km_per_day.mean * 24
        full = max(math.ceil(hours / lg.driving_hours_per_day) - 1, 0)
        hand += full + (hours - full * lg.driving_hours_per_day) / 24
    assert len(route.segments) == 1
    handling = sum(d.mean for n in route.segments[0].nodes if (d := shippers.nodes[n].handling.get("truck")))
    assert expected_run_days(shippers, route.segments[0]) == pytest.approx(hand + handling)
    assert expected_run_days(shippers, route.segments[0]) > 14  # not the ~7 days of driving day and night


def test_options_without_rates_show_no_cost_share_or_break_even(capsys) -> None:
    """china_europe_2020 prices only transit tariffs: a route's cost is unknown, not its tariff."""
    short = ["--set", "run.horizon_days=60", "--set", "run.warmup_days=30", "--set", "run.cooldown_days=60"]
    assert main(["options", "xian", "duisburg", "china_europe_2020", "--value-usd-per-kg", "40", "-n", "1", "-q",
                 *short]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("rail_xian_duisburg "))
    cells = row.split()
    assert cells[4] == "—" and cells[5] == "—" and cells[-1] == "—", row  # total, line haul, generalised
    assert "1,390" in row  # the tariffs it does know
    assert "no cost for rail_xian_duisburg: no rate prices the ride of train_xian_duisburg" in out
    assert "no option has a whole cost" in out and "cheapest (generalised cost)" not in out
