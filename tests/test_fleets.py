"""Finite fleets: vehicles that come back along a rotation, against hand calculation and theory.

LOOP: ships a -> b, 10 days out and 10 back, a day's turnaround at each end: a 22-day cycle;
100 TEU each; demand of 100 TEU a day, above what any small fleet carries.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from intervals import interval
from scenarios_for_tests import build, entry, raw, write
from sim.cli import main
from sim.engine.simulation import run_replication

LOOP = """\
[run]
name = "loop"
horizon_days = 400
warmup_days = 50
cooldown_days = 0

[[nodes]]
id = "a"
[[nodes]]
id = "m"
[[nodes]]
id = "b"

[[legs]]
id = "am"
from = "a"
to = "m"
mode = "sea"
distance_km = 2500
duration_days = 5

[[legs]]
id = "mb"
from = "m"
to = "b"
mode = "sea"
distance_km = 2500
duration_days = 5

[[services]]
id = "ship"
vehicle = "ship"
capacity_teu = 100
schedule = { departures_per_week = 7 }
fleet = { vehicles = 3 }
turnaround_hours = 24

[[routes]]
id = "r"
path = ["a", "m", "b"]
services = "ship"
[routes.demand]
teu_per_year = 36500
container_teu = 1
arrivals = "even"
"""
N, C, CYCLE = 3, 100, 22.0


def loop(**service) -> "sim.Scenario":
    def edit(doc: dict) -> None:
        entry(doc, "services", "ship").update(service)

    return build(LOOP, edit)


def test_a_closed_fleet_delivers_n_c_per_cycle_exactly() -> None:
    """Demand above capacity: each vehicle delivers C every cycle T, so over k whole cycles
    from any delivery the route gets exactly k N C (N C / T a day)."""
    result = run_replication(loop(), 1, 0)
    delivered = np.sort(result.ledgers["r"].delivered[~np.isnan(result.ledgers["r"].delivered)])
    t0 = delivered[delivered > 60][0]
    for k in (1, 5, 10):
        inside = (delivered >= t0) & (delivered < t0 + k * CYCLE)
        assert inside.sum() == k * N * C
    log = result.fleets["ship"]
    cycles = log.cycles & np.isfinite(log.ready)
    np.testing.assert_allclose(log.ready[cycles] - log.depart[cycles], CYCLE)


def test_a_weekly_timetable_with_too_few_ships_offers_7n_over_t_departures_a_week() -> None:
    """One ship, a weekly slot, a 22-day cycle: it sails every 22 days (the slot it missed
    waits for it, the slots passed meanwhile go), so 7/22 departures a week; each departure
    waits from the first slot after the one before until the ship is back."""
    scn = loop(fleet={"vehicles": 1}, schedule={"departures_per_week": 1})
    run = sim.run(scn, 1, 1)
    log = run.results[0].fleets["ship"]
    rows = log.cycles
    depart, planned = log.depart[rows], log.planned[rows]
    np.testing.assert_allclose(np.diff(depart), CYCLE)
    # The slot waited for: the first weekly slot after the previous departure.
    expected = np.ceil((depart[:-1] + 1e-9) / 7.0) * 7.0
    np.testing.assert_allclose(planned[1:], expected)
    weeks = (400 - 50) / 7
    offered = run.table.values("service", "ship", "departures_per_week")[0]
    assert offered == pytest.approx(7 / CYCLE, abs=1 / weeks)
    summary = run.summary.to_dict()["services"]["ship"]
    assert summary["vehicles_needed"] == 4  # ceil(22 / 7)
    delays = depart[1:] - planned[1:]
    assert summary["delay_days"]["mean"] == pytest.approx(delays[(depart[1:] >= 50) & (depart[1:] < 400)].mean())


def test_a_fleet_big_enough_starts_steady_no_departure_waits() -> None:
    """Four ships for a weekly 22-day loop: spread along the rotation at the start as a
    steady service would have them, none of the run's departures waits for a ship."""
    scn = loop(fleet={"vehicles": 4}, schedule={"departures_per_week": 1})
    log = run_replication(scn, 1, 0).fleets["ship"]
    rows = log.cycles
    np.testing.assert_array_equal(log.depart[rows], log.planned[rows])
    assert rows.sum() == pytest.approx(400 / 7, abs=1)  # every weekly slot sailed, from the first
    assert (~rows).sum() == 3  # three ships on their way back at the start, one ready at the origin


def test_random_cycles_deliver_n_c_over_the_mean_cycle_renewal_reward() -> None:
    """Random sailing times (triangular 3-5-10 days each leg): each vehicle's deliveries are a
    renewal process, so the long-run rate is N C / E[T] with E[T] = 2 + 2 x 2 x 6 = 26 days.
    Over 8 replications the 99.9% interval of the mean rate, widened by the at most N C
    a window edge can cut, contains it."""
    def edit(doc: dict) -> None:
        doc["run"].update(horizon_days=3050, warmup_days=50)
        for leg in ("am", "mb"):
            entry(doc, "legs", leg)["duration_days"] = {"dist": "triangular", "min": 3, "mode": 5, "max": 10}
        entry(doc, "services", "ship")["schedule"] = {"departures_per_week": 7}

    scn = build(LOOP, edit)
    span = 3000.0
    rates = []
    for i in range(8):
        d = run_replication(scn, 7, i).ledgers["r"].delivered
        rates.append(((d >= 50) & (d < 3050)).sum() / span)
    theory = N * C / 26.0
    mean, half = interval(rates, 0.999)
    assert abs(mean - theory) <= half + N * C / span, (mean, theory, half)
    assert half < 0.02 * theory  # tight enough to mean something


def test_littles_law_holds_for_every_state_of_the_fleet() -> None:
    """Time-average vehicles in a state = departures per day x mean time in that state, for
    loaded, turning around and on the way back (random times, a queue on the way back)."""
    def edit(doc: dict) -> None:
        doc["run"].update(horizon_days=2050, warmup_days=50)
        entry(doc, "legs", "am")["duration_days"] = {"dist": "uniform", "min": 3, "max": 9}
        entry(doc, "nodes", "m").update(servers=1, handling_hours={"ship": {"dist": "exponential", "mean": 30}})
        entry(doc, "services", "ship").update(fleet={"vehicles": 5}, turnaround_hours={"dist": "uniform", "min": 12, "max": 60})

    scn = build(LOOP, edit)
    run = sim.run(scn, 1, 3)
    log = run.results[0].fleets["ship"]
    rows = log.cycles & np.isfinite(log.ready)
    span = 2000.0
    per_day = rows.sum() / 2050.0  # over the whole run, from time 0
    depart, arrive, turned, back, ready = (x[rows] for x in (log.depart, log.arrive, log.turned, log.back, log.ready))
    durations = {"loaded": arrive - depart, "turnaround": (turned - arrive) + (ready - back), "returning": back - turned}
    table = run.table
    for state, d in durations.items():
        share = table.values("service", "ship", f"share_{state}")[0]
        assert (d >= 0).all()
        little = per_day * d.mean()
        # The window's edges cut at most one cycle per vehicle: N x cycle days out of N x span.
        assert share * 5 == pytest.approx(little, abs=5 * 40 / span), state
    shares = [table.values("service", "ship", f"share_{s}")[0] for s in ("loaded", "turnaround", "returning", "idle")]
    assert sum(shares) == pytest.approx(1.0)


def test_a_closure_on_the_way_back_lengthens_cycles_and_cuts_departures() -> None:
    """The middle node closed 30 days: ships on their way back wait there too, so the fixed
    fleet's cycle lengthens and it offers fewer departures than without the closure."""
    closure = {"id": "shut", "kind": "closure", "target": "nodes.m", "start": 100, "duration_days": 30}

    def edit(doc: dict) -> None:
        doc["events"] = [closure]

    with_closure = sim.run(build(LOOP, edit), 1, 1).table
    without = sim.run(loop(), 1, 1).table
    assert with_closure.values("service", "ship", "cycle_days")[0] > without.values("service", "ship", "cycle_days")[0] + 1
    assert with_closure.values("service", "ship", "departures_per_week")[0] < without.values("service", "ship", "departures_per_week")[0]
    log = sim.run(build(LOOP, edit), 1, 1).results[0].fleets["ship"]
    held_back = (log.turned < 130) & (log.back > 130) & (log.turned + 5 < 130)
    assert held_back.any()  # some ship was on its way back through m when it closed


def test_fleets_are_the_same_whatever_the_worker_count() -> None:
    scn = loop(fleet={"vehicles": 2}, turnaround_hours={"dist": "triangular", "min": 12, "mode": 24, "max": 72})
    one = sim.run(scn, 2, 4, workers=1).summary.to_dict()["services"]
    two = sim.run(scn, 2, 4, workers=2).summary.to_dict()["services"]
    assert one == two


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    vehicles=st.integers(1, 6),
    per_week=st.sampled_from([0.5, 1, 3, 7]),
    turnaround=st.floats(0, 72),
    when_full=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_fleet_invariants(vehicles: int, per_week: float, turnaround: float, when_full: bool, seed: int) -> None:
    """Any fleet: no vehicle in two places (a vehicle's cycles follow one another), no state of
    negative length, no departure before its slot, conservation of containers."""
    schedule = {"when_full": True, "max_wait_days": 3} if when_full else {"departures_per_week": per_week}

    def edit(doc: dict) -> None:
        doc["run"].update(horizon_days=200, warmup_days=20, cooldown_days=40)
        entry(doc, "legs", "am")["duration_days"] = {"dist": "uniform", "min": 2, "max": 8}
        entry(doc, "services", "ship").update(fleet={"vehicles": vehicles}, turnaround_hours=turnaround, schedule=schedule)
        entry(doc, "routes", "r")["demand"]["arrivals"] = "poisson"

    result = run_replication(build(LOOP, edit), seed, 0)
    log = result.fleets["ship"]
    times = np.c_[log.depart, log.arrive, log.turned, log.back, log.ready]
    rows = log.cycles
    with np.errstate(invalid="ignore"):  # inf - inf: states the run did not reach
        steps = np.diff(times[rows], axis=1)
    assert (steps[np.isfinite(steps)] >= -1e-12).all()
    assert (log.depart[rows] >= log.planned[rows] - 1e-12).all()
    for v in range(vehicles):
        mine = np.flatnonzero(log.vehicle == v)
        ready, depart = log.ready[mine], log.depart[mine]
        # Each departure of a vehicle comes after it was last ready.
        later = mine[1:]
        assert (log.depart[later] >= ready[:-1] - 1e-12).all()
        assert np.isnan(depart[0]) or depart[0] >= 0
    ledger = result.ledgers["r"]
    left = ~np.isnan(ledger.departed)
    assert (np.isnan(ledger.delivered) | left).all()  # delivered only what departed
    trips = result.trips["r"]
    assert trips.containers.sum() == np.count_nonzero(~np.isnan(ledger.delivered))
    assert (trips.containers <= C).all()


@pytest.mark.parametrize(
    "service, message",
    [
        ({"fleet": {"vehicles": 0}}, "services.ship.fleet.vehicles: must be >= 1, got 0"),
        ({"fleet": {"vehicles": -2}}, "services.ship.fleet.vehicles: must be >= 1, got -2"),
        ({"fleet": {"vehicles": 10**9}}, "services.ship.fleet.vehicles: 1,000,000,000 vehicles is more than a service can use"),
        ({"fleet": {"vehicles": 2, "ships": 3}}, "services.ship.fleet.ships: unknown key"),
        ({"fleet": {"vehicles": 2}, "rotation": ["b", "m"]}, "services.ship.rotation[1]: does not connect back to the service's origin: must end at 'a'"),
        ({"fleet": {"vehicles": 2}, "rotation": ["m", "a"]}, "services.ship.rotation[0]: must start where the service's run ends ('b' on route 'r'), got 'm'"),
        ({"fleet": {"vehicles": 2}, "rotation": ["b", "a"]}, "services.ship.rotation[0]: rotation does not connect: no leg from 'b' to 'a'"),
        ({"fleet": {"vehicles": 2}, "rotation": ["a", "m", "b"]}, "services.ship.rotation[0]: must start where the service's run ends ('b' on route 'r'), got 'a'"),
        ({"fleet": {"vehicles": 2}, "rotation": []}, "services.ship.rotation: must list the nodes from where the run ends back to its origin"),
        ({"fleet": {"vehicles": 2}, "rotation": "b, m, a"}, "services.ship.rotation: must be an array of node ids, got a string"),
        ({"fleet": None, "turnaround_hours": None, "rotation": ["b", "m", "a"]}, "services.ship.rotation: applies only to a service with a fleet"),
        ({"fleet": None, "turnaround_hours": 12}, "services.ship.turnaround_hours: applies only to a service with a fleet"),
        ({"fleet": {"vehicles": 2}, "turnaround_hours": {"dist": "uniform", "min": 5, "max": 1}}, "services.ship.turnaround_hours"),
    ],
)
def test_bad_fleets_get_one_line_and_exit_2(tmp_path, capsys, service, message) -> None:
    doc = raw(LOOP)
    ship = entry(doc, "services", "ship")
    ship.update(service)
    for key in [k for k, v in ship.items() if v is None]:  # None: leave the key out
        del ship[key]
    path = write(tmp_path, doc, "bad.toml")
    out = tmp_path / "out"
    assert main(["run", str(path), "-n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_a_node_with_servers_met_only_on_the_way_back_needs_a_handling_time(tmp_path, capsys) -> None:
    doc = raw(LOOP)
    doc["nodes"].append({"id": "w", "servers": 1})
    doc["legs"] += [{"id": "bw", "from": "b", "to": "w", "mode": "sea", "distance_km": 2500, "duration_days": 5},
                    {"id": "wa", "from": "w", "to": "a", "mode": "sea", "distance_km": 2500, "duration_days": 5}]
    entry(doc, "services", "ship")["rotation"] = ["b", "w", "a"]
    out = tmp_path / "out"
    assert main(["run", str(write(tmp_path, doc, "bad.toml")), "-n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nodes.w.handling_hours: node 'w' has servers, but the ships of service 'ship' stop there on " \
        "their way back (its fleet's rotation) with no handling time: give handling_hours.ship" in err[0], err
    assert not out.exists()


def test_a_way_back_through_a_queue_then_a_pass_through_node() -> None:
    """Ships leaving when full come back b -> m -> q -> a: through m, whose one server they
    queue for (their clock then comes from the queue's), then q, which they pass without
    stopping; both log the empties' visits, and every cycle ends."""
    def edit(doc: dict) -> None:
        doc["nodes"].insert(1, {"id": "q"})
        entry(doc, "nodes", "m").update(servers=1, handling_hours={"ship": 40})  # busy: ships queue there
        doc["legs"][0]["to"] = "q"
        doc["legs"].insert(1, {"id": "qm", "from": "q", "to": "m", "mode": "sea", "distance_km": 100, "duration_days": 0.5})
        doc["routes"][0]["path"] = ["a", "q", "m", "b"]
        entry(doc, "services", "ship").update(schedule={"when_full": True, "max_wait_days": 0.5}, fleet={"vehicles": 8})
        doc["routes"][0]["demand"]["arrivals"] = "poisson"

    result = run_replication(build(LOOP, edit), 3, 0)
    log = result.fleets["ship"]
    early = log.cycles & (log.depart < 300)  # a cycle is under 30 days: these ended in the 400-day run
    assert np.isfinite(log.ready[early]).all()
    empties = {n: (result.nodes[n].containers == 0) & (result.nodes[n].trip < 0) for n in ("q", "m")}
    assert empties["m"].sum() > 0 and abs(empties["m"].sum() - empties["q"].sum()) <= 1
    m = result.nodes["m"]
    assert ((m.start - m.arrive)[empties["m"]] > 0).any()  # some came back to a queue


def test_the_saturation_warning_names_a_fleet_too_small_and_a_closure_that_stays(tmp_path, capsys) -> None:
    doc = raw(LOOP)
    entry(doc, "services", "ship").update(fleet={"vehicles": 1})
    assert main(["run", str(write(tmp_path, doc, "small.toml")), "-n", "1", "--no-plot", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "route r: saturated" in err and "the fleet of service ship limits it (1 vehicle, a 22.0-day cycle" in err
    doc = raw(LOOP)
    doc["events"] = [{"id": "shut", "kind": "closure", "target": "nodes.m", "start": 100}]
    assert main(["run", str(write(tmp_path, doc, "shut.toml")), "-n", "1", "--no-plot", "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "route r: saturated" in err and "event shut keeps nodes.m closed" in err
