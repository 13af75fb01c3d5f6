"""Dated events against theory: closures, capacity changes, demand surges, diversions.

Each check builds a tiny scenario with an ``[[events]]`` entry and compares the engine with
a hand calculation (deterministic models, to the vehicle) or with queueing theory
(stochastic models, 99.9% intervals over replications, tolerances derived in each test's
docstring), and with the same scenario without the event (``without_events``: the same seed
draws the same numbers wherever the event does not reach).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any

import numpy as np
import pytest

from intervals import assert_contains, interval
from scenarios_for_tests import NETWORK, ROLLOVER, SINGLE_QUEUE, TRANSFER_CORRIDOR, build, entry
from sim.analysis.statistics import node_stats, route_counts
from sim.engine.events import without_events
from sim.engine.replications import run_experiment
from sim.engine.simulation import ReplicationResult, run_replication


def scenario(text: str, *events: dict[str, Any], run: dict[str, Any] | None = None, edit=None):
    """A test scenario with these [[events]] (and run settings, and any other edit)."""

    def change(doc: dict) -> None:
        if run:
            doc["run"].update(run)
        if edit is not None:
            edit(doc)
        if events:
            doc["events"] = [dict(e) for e in events]

    return build(text, change)


def single_queue(lam: float, handling_hours: Any, arrivals: str, servers: int = 1, **run: Any):
    """SINGLE_QUEUE: one-container trucks reaching node q at rate lam a day (even or Poisson)."""

    def edit(doc: dict) -> None:
        q = entry(doc, "nodes", "q")
        q["handling_hours"] = {"truck": handling_hours}
        q["servers"] = servers
        entry(doc, "routes", "r")["demand"].update(teu_per_year=lam * 365 * 2, arrivals=arrivals)

    return edit


def queue_length(log, t: float) -> int:
    """Vehicles waiting (arrived, not yet started) at time t."""
    return int(((log.arrive <= t) & (log.start > t)).sum())


def clearance(log, reopen: float) -> float:
    """Days from ``reopen`` until the queue first empties: the start of the last vehicle that
    had to wait, among those arriving before the first one after ``reopen`` that did not."""
    order = np.argsort(log.arrive, kind="stable")
    arrive, start = log.arrive[order], log.start[order]
    waited = start > arrive + 1e-12
    after = np.flatnonzero((arrive >= reopen) & ~waited)
    first_free = after[0]
    return float(start[:first_free][waited[:first_free]].max() - reopen)


def digest(result: ReplicationResult) -> str:
    """A hash of every timestamp and count of a replication (bit-identical results)."""
    h = hashlib.sha256()
    for ledger in result.ledgers.values():
        for a in (ledger.created, ledger.departed, ledger.delivered):
            h.update(a.tobytes())
    for log in result.nodes.values():
        for name in ("arrive", "start", "end", "containers", "vehicle", "route", "trip", "handled", "counted"):
            h.update(np.ascontiguousarray(getattr(log, name)).tobytes())
    for trips in result.trips.values():
        for name in ("segment", "depart", "arrive", "containers"):
            h.update(getattr(trips, name).tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------
# A single server closed for D days


def test_deterministic_closure_queue_peak_clearance_and_every_vehicles_delay() -> None:
    """Trucks every 1/lam days, each handled exactly 1/mu (mu > lam: no queue before), node
    closed over [s, e = s + D).  Fluid argument: the lam D trucks of the closure queue (peak
    lam D, +-1 for the grid); from e the server works without a break, so the truck that is
    the n-th to arrive from s starts at e + n/mu, as long as it has arrived by then: its delay
    is max(0, e + n/mu - a), exact to the vehicle; the backlog shrinks at mu - lam and is
    gone lam D / (mu - lam) after e (within a service and an arrival interval)."""
    lam, mu, s, d = 10.0, 20.0, 10.0, 5.0
    e = s + d
    scn = scenario(
        SINGLE_QUEUE, {"id": "shut", "kind": "closure", "target": "nodes.q", "start": s, "duration_days": d},
        run={"horizon_days": 40, "warmup_days": 0, "cooldown_days": 5},
        edit=single_queue(lam, 24 / mu, "even"),
    )
    result = run_replication(scn, 1, 0)
    base = run_replication(without_events(scn), 1, 0)
    log = result.nodes["q"]
    assert node_stats(log, 0, 40).max_queue == pytest.approx(lam * d, abs=1)
    assert node_stats(base.nodes["q"], 0, 40).max_queue == 0
    assert clearance(log, e) == pytest.approx(lam * d / (mu - lam), abs=1 / lam + 1 / mu)

    n = np.cumsum(log.arrive >= s) - 1  # trucks arrived from s before this one
    expected = np.where(log.arrive >= s, np.maximum(0.0, e + n / mu - log.arrive), 0.0)
    np.testing.assert_allclose(log.start - log.arrive, expected, atol=1e-9)
    # Each container rides its own truck: its extra transit against the same container in the
    # same replication without the event is its truck's delay.
    ledger, plain = result.ledgers["r"], base.ledgers["r"]
    np.testing.assert_array_equal(ledger.created, plain.created)
    counted = log.arrive < 40  # created by the horizon: all delivered in the cool-down
    extra = ledger.delivered[: log.arrive.size] - plain.delivered[: log.arrive.size]
    np.testing.assert_allclose(extra[counted], expected[counted], atol=1e-9)

    record = result.events["shut"]
    assert (record.start, record.end) == (s, e)
    held = np.flatnonzero((log.arrive < e) & (log.start >= s))
    np.testing.assert_array_equal(record.trips, np.sort(log.trip[held]))
    assert record.containers("r") == held.size == pytest.approx(lam * d, abs=1)


def test_poisson_closure_peak_and_clearance_contain_the_fluid_values() -> None:
    """M/M/1 (lam 20, mu 40 a day) closed for D = 10 days from day 5, 40 replications.

    Peak: just before the reopening the queue holds the trucks waiting at s (stationary
    M/M/1: Lq = rho^2 / (1 - rho) = 0.5 on average) plus the Poisson(lam D) arrivals of the
    closure; afterwards it can rise further by at most the maximum M of a random walk
    stepping +1 with probability lam / (lam + mu) = 1/3, -1 otherwise: P(M >= k) = (1/2)^k,
    E[M] = 1.  So lam D <= E[peak] <= lam D + Lq + E[M] = lam D + 1.5, and with the 99.9%
    interval mean +- half of the replications' peaks, lam D = 200 must lie in
    [mean - half - 1.5, mean + half].

    Clearance: from the reopening the server is busy until the N = Lq(s) + Poisson(lam D)
    waiting trucks and all that join them are done: N M/M/1 busy periods, of mean
    1 / (mu - lam) each, so E[clearance] = (lam D + Lq) / (mu - lam) = 10.025 d, the fluid
    lam D / (mu - lam) = 10 d plus 0.025; its 99.9% interval (sd about 1.5 d a replication)
    must hold it.  Both intervals must be narrow (under 10% of the value: 60 replications),
    so that a closure off by 15%, or one that does not hold the trucks, fails.
    """
    lam, mu, s, d, reps = 20.0, 40.0, 5.0, 10.0, 60
    rho = lam / mu
    lq = rho * rho / (1 - rho)
    scn = scenario(
        SINGLE_QUEUE, {"id": "shut", "kind": "closure", "target": "nodes.q", "start": s, "end": s + d},
        run={"horizon_days": 45, "warmup_days": 0, "cooldown_days": 2},
        edit=single_queue(lam, {"dist": "exponential", "mean": 24 / mu}, "poisson"),
    )
    results = run_experiment(scn, reps, seed=13)
    peaks = [node_stats(r.nodes["q"], 0, 45).max_queue for r in results]
    mean, half = interval(peaks)
    assert half < 0.1 * lam * d
    assert mean - half - (lq + 1.0) <= lam * d <= mean + half, (mean, half)
    assert_contains([clearance(r.nodes["q"], s + d) for r in results], (lam * d + lq) / (mu - lam), "clearance", 0.1)


# ---------------------------------------------------------------------------------------
# Capacity cut


def test_deterministic_capacity_cut_grows_at_lam_minus_c1_mu_and_drains_at_c_mu_minus_lam() -> None:
    """Trucks every 1/lam = 0.05 d, 3 servers of mu = 10 a day each (no queue before), cut to 1
    server over [s, s + W): the queue grows at lam - 1 mu = 10 a day, then, with the 3 servers
    back, drains at 3 mu - lam = 10 a day: 50 trucks at the end of the cut, none 5 days
    later.  Within 2 trucks (the grid of arrivals and the service in progress)."""
    lam, mu, s, w = 20.0, 10.0, 10.0, 5.0
    scn = scenario(
        SINGLE_QUEUE, {"id": "works", "kind": "capacity", "target": "nodes.q", "start": s, "duration_days": w,
                       "set": {"servers": 1}},
        run={"horizon_days": 30, "warmup_days": 0, "cooldown_days": 5},
        edit=single_queue(lam, 24 / mu, "even", servers=3),
    )
    log = run_replication(scn, 1, 0).nodes["q"]
    for x in np.arange(0.0, w + 0.01, 0.5):
        assert queue_length(log, s + x) == pytest.approx((lam - mu) * x, abs=2), x
    for y in np.arange(0.0, 8.0, 0.5):
        assert queue_length(log, s + w + y) == pytest.approx(max(0.0, (lam - mu) * w - (3 * mu - lam) * y), abs=2), y
    assert queue_length(log, s - 0.01) == 0
    # The trucks being handled when the cut comes finish; a truck starts during the cut only
    # when fewer than c' = 1 others are being handled (and during the recovery, fewer than 3).
    for i in np.flatnonzero((log.start >= s) & (log.start < s + w + 8)):
        busy = int(((log.start < log.start[i]) & (log.end > log.start[i] + 1e-12)).sum())
        assert busy < (1 if log.start[i] < s + w else 3), (log.start[i], busy)
    first = np.flatnonzero(log.arrive >= s)[0]
    in_service = (log.start < s) & (log.end > s)
    assert in_service.sum() == 2 and log.start[first] == log.end[in_service].max()


def test_poisson_capacity_cut_growth_and_drain() -> None:
    """M/M/3 (lam 20, mu 10 a server) cut to 1 server for W = 10 days, 50 replications.

    Growth: while the one server is busy the queue is a random walk of drift lam - mu = 10 a
    day, so E[queue at the end of the cut] = (lam - mu) W + the Lq waiting at s (M/M/3 at
    rho 2/3: 0.89) + what the reflection at zero adds early in the window (at most the mean
    maximum of the reversed walk, (mu / lam) / (1 - mu / lam) = 1) + the up-to-two trucks the
    withdrawn servers were still handling: within [100, 104]; the 99.9% interval widened by 4
    on its upper side must hold 100.  Drain: with the queue Q > 0 all three servers work, so
    the queue is a random walk of drift -(3 mu - lam) = -10 a day and, by Wald's identity, it
    empties in Q / (3 mu - lam) days on average, exactly: the per-replication difference of
    the time to empty and Q / (3 mu - lam) has mean 0."""
    lam, mu, s, w, reps = 20.0, 10.0, 5.0, 10.0, 50
    scn = scenario(
        SINGLE_QUEUE, {"id": "works", "kind": "capacity", "target": "nodes.q", "start": s, "duration_days": w,
                       "scale": {"servers": 1 / 3}},
        run={"horizon_days": 45, "warmup_days": 0, "cooldown_days": 2},
        edit=single_queue(lam, {"dist": "exponential", "mean": 24 / mu}, "poisson", servers=3),
    )
    results = run_experiment(scn, reps, seed=21)
    queues = [queue_length(r.nodes["q"], s + w) for r in results]
    mean, half = interval(queues)
    assert half < 0.15 * (lam - mu) * w
    assert mean - half - 4.0 <= (lam - mu) * w <= mean + half, (mean, half)
    gaps = [clearance(r.nodes["q"], s + w) - q / (3 * mu - lam) for r, q in zip(results, queues)]
    mean, half = interval(gaps)
    # sd of the time to empty from Q = 100: sqrt(Q (lam + 3 mu) / (3 mu - lam)^3) = 2.2 d.
    assert abs(mean) <= half and half < 0.2 * (lam - mu) * w / (3 * mu - lam), (mean, half)


# ---------------------------------------------------------------------------------------
# Background traffic


def test_background_traffic_shares_the_queue_as_queueing_theory_says() -> None:
    """Modelled trucks (Poisson, 6 a day) and background vehicles (Poisson, 7 a day), both
    handled in exponential time of mean 1.2 h by one server: an M/M/1 queue of lam = 13,
    mu = 20, whose mean wait rho / (mu - lam) = 0.0929 d every vehicle sees, modelled or
    not (PASTA).  99.9% interval over 20 replications, narrower than 20% of the value."""
    lam_m, lam_b, mu = 6.0, 7.0, 20.0
    rho = (lam_m + lam_b) / mu

    def edit(doc: dict) -> None:
        single_queue(lam_m, {"dist": "exponential", "mean": 24 / mu}, "poisson")(doc)
        entry(doc, "nodes", "q")["background"] = {
            "vehicles_per_day": lam_b, "handling_hours": {"dist": "exponential", "mean": 24 / mu},
        }

    scn = scenario(SINGLE_QUEUE, run={"horizon_days": 220, "warmup_days": 20}, edit=edit)
    results = run_experiment(scn, 20, seed=3)
    waits_modelled, waits_all, utilization = [], [], []
    for r in results:
        log = r.nodes["q"]
        window = (log.arrive >= 20) & (log.arrive < 220)
        mine = ~log.background
        waits_modelled.append(float((log.start - log.arrive)[window & mine].mean()))
        stats = node_stats(log, 20, 220)
        waits_all.append(stats.mean_wait_days)
        utilization.append(stats.utilization)
        assert (log.containers[~mine] == 0).all() and (log.route[~mine] == -1).all()
    wq = rho / (mu - lam_m - lam_b)
    assert_contains(waits_modelled, wq, "modelled trucks' wait", 0.2)
    assert_contains(waits_all, wq, "every vehicle's wait", 0.2)
    assert_contains(utilization, rho, "utilization", 0.03)


# ---------------------------------------------------------------------------------------
# Demand surges


POISSON_ROUTES = NETWORK  # two Poisson routes with seasonality and growth


def test_demand_surge_multiplies_arrivals_in_its_window_and_changes_nothing_else() -> None:
    """A surge by k = 1.5 on one route over 30 days: the containers created in the window
    number k times the expected base count (their mean over 12 replications, 99.9% interval,
    narrower than 5%), every container the base run drew is still there at its own time
    (superposition only adds), and the other route draws exactly the base run's containers."""
    k, start, days = 1.5, 30.0, 30.0  # calendar days: the window is [50, 80) of simulation time
    scn = scenario(POISSON_ROUTES, {"id": "surge", "kind": "demand", "target": "routes.overland",
                                    "start": start, "duration_days": days, "factor": k})
    base = without_events(scn)
    warmup = scn.settings.warmup_days
    counts, expected = [], []
    for i in range(12):
        r, b = run_replication(scn, 4, i), run_replication(base, 4, i)
        created, plain = r.ledgers["overland"].created, b.ledgers["overland"].created
        lo, hi = warmup + start, warmup + start + days
        counts.append(int(((created >= lo) & (created < hi)).sum()))
        expected.append(k * int(((plain >= lo) & (plain < hi)).sum()))
        rows = r.events["surge"].base_rows["overland"]
        np.testing.assert_array_equal(created[rows >= 0], plain[rows[rows >= 0]])
        np.testing.assert_array_equal(np.sort(rows[rows >= 0]), np.arange(plain.size))
        assert ((created[rows < 0] >= lo) & (created[rows < 0] < hi)).all()  # added only inside
        np.testing.assert_array_equal(r.ledgers["sea"].created, b.ledgers["sea"].created)
        assert r.events["surge"].containers("overland") == counts[-1]
    mean_expected = float(np.mean(expected))
    assert_contains(counts, mean_expected, "containers created in the surge", 0.05)


def test_demand_cut_thins_and_even_arrivals_scale_exactly() -> None:
    """k = 0.5 keeps about half of the base arrivals of the window (binomial: within 3.3 sd)
    and only base arrivals; even arrivals (one a day) scaled by 2 and 0.5 give twice and half
    the base count to the container, and outside the window the very same times."""
    scn = scenario(POISSON_ROUTES, {"id": "cut", "kind": "demand", "target": "routes.*",
                                    "start": 10, "duration_days": 40, "factor": 0.5})
    r, b = run_replication(scn, 2, 0), run_replication(without_events(scn), 2, 0)
    lo, hi = 30.0, 70.0
    for rid in ("overland", "sea"):
        created, plain = r.ledgers[rid].created, b.ledgers[rid].created
        rows = r.events["cut"].base_rows[rid]
        assert (rows >= 0).all()
        np.testing.assert_array_equal(created, plain[rows])
        n = int(((plain >= lo) & (plain < hi)).sum())
        kept = int(((created >= lo) & (created < hi)).sum())
        assert abs(kept - 0.5 * n) <= 3.3 * math.sqrt(n * 0.25), (rid, kept, n)
        outside = (plain < lo) | (plain >= hi)
        np.testing.assert_array_equal(created[(created < lo) | (created >= hi)], plain[outside])
    for k in (2.0, 0.5):
        scn = scenario(ROLLOVER, {"id": "k", "kind": "demand", "target": "routes.r", "start": 5, "end": 15, "factor": k})
        created = run_replication(scn, 0, 0).ledgers["r"].created
        plain = run_replication(without_events(scn), 0, 0).ledgers["r"].created
        inside = (created >= 5) & (created < 15)
        assert inside.sum() == k * ((plain >= 5) & (plain < 15)).sum() == k * 10
        np.testing.assert_array_equal(created[~inside], plain[(plain < 5) | (plain >= 15)])


# ---------------------------------------------------------------------------------------
# Diversions

# a --rail--> b --rail--> d, or by c: a --rail--> c --rail--> d (longer).  Trains (one
# service for the path, or a transfer at b/c to a second service) leave a daily at 0.5, ...
DIVERT = """\
[run]
name = "divert"
horizon_days = 60
warmup_days = 0
cooldown_days = 30

[[nodes]]
id = "a"
handling_hours = { train = 6 }

[[nodes]]
id = "b"
servers = 1
handling_hours = { train = 2 }

[[nodes]]
id = "c"
servers = 1
handling_hours = { train = 3 }

[[nodes]]
id = "w"
kind = "waypoint"

[[nodes]]
id = "d"
handling_hours = { train = 6 }

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1000
speed_km_per_day = 500

[[legs]]
id = "bd"
from = "b"
to = "d"
mode = "rail"
distance_km = 1000
speed_km_per_day = 500

[[legs]]
id = "ac"
from = "a"
to = "c"
mode = "rail"
distance_km = 1500
speed_km_per_day = 500

[[legs]]
id = "cw"
from = "c"
to = "w"
mode = "rail"
distance_km = 500
speed_km_per_day = 500

[[legs]]
id = "wd"
from = "w"
to = "d"
mode = "rail"
distance_km = 500
speed_km_per_day = 500

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 20
schedule = { departures_per_week = 7, offset_days = 0.5 }

[[services]]
id = "onward"
vehicle = "train"
capacity_teu = 20
schedule = { departures_per_week = 14, offset_days = 0.25 }

[[services]]
id = "spare"
vehicle = "train"
capacity_teu = 12
schedule = { departures_per_week = 7, offset_days = 0.75 }

[[routes]]
id = "r"
path = ["a", "b", "d"]
services = "train"
[routes.demand]
teu_per_year = 2920
container_teu = 2
arrivals = "poisson"
"""

VIA_C = ["a", "c", "w", "d"]


def _diverted_rows(record, rid: str) -> np.ndarray:
    rows = record.rows.get(rid, np.empty((0, 2), np.int64))
    return np.concatenate([np.arange(a, b) for a, b in rows]) if rows.size else np.empty(0, np.int64)


@pytest.mark.parametrize("services", [None, "spare", ["train", "onward", "onward"]], ids=["same", "other", "transfer"])
def test_divert_every_container_leaving_in_the_window_goes_the_new_way(services) -> None:
    """Containers whose first departure falls in [15, 30) follow a -> c -> w -> d (on the
    route's own train, on the unused 'spare' service, or with a transfer at c to 'onward'),
    all others a -> b -> d; every container is delivered once, at d."""
    event = {"id": "detour", "kind": "divert", "target": "routes.r", "start": 15, "end": 30, "path": VIA_C}
    if services is not None:
        event["services"] = services
    scn = scenario(DIVERT, event)
    result = run_replication(scn, 9, 0)
    ledger = result.ledgers["r"]
    rows = _diverted_rows(result.events["detour"], "r")
    departed = ledger.departed
    np.testing.assert_array_equal(rows, np.flatnonzero((departed >= 15) & (departed < 30)))
    # Containers through each way's middle node by day 60: the diverted ones (gone from a by
    # 30) by c and w, the others that left a by 58 (2.25 days from b) by b.
    for node, expected in (("c", rows.size), ("w", rows.size), ("b", int((departed < 58).sum()) - rows.size)):
        log = result.nodes[node]
        assert int(log.containers[log.counted & (log.arrive < 60)].sum()) == expected, node
    done = result.nodes["d"]
    assert int(done.containers[done.end <= 90].sum()) == int((~np.isnan(ledger.delivered)).sum())
    assert not np.isnan(ledger.delivered[ledger.created < 60]).any()  # all arrive in the cool-down
    counts = route_counts(ledger, 0, 60)
    assert counts.created == counts.delivered + counts.in_transit + counts.waiting
    # The way by c is 500 km (a day) and an hour of handling longer.
    transit = (ledger.delivered - ledger.created)[ledger.created < 60]
    inside = np.isin(np.arange(transit.size), rows)
    assert transit[inside].mean() > transit[~inside].mean() + 0.9


# ---------------------------------------------------------------------------------------
# Legs, services, handling, pass-through


def test_closed_leg_holds_trains_at_its_start_and_closed_service_does_not_depart() -> None:
    """TRANSFER_CORRIDOR: trains leave a at 1, 3, 5, ... and are ready to take leg ab 12 h
    later.  Leg ab closed over [3, 6): the train leaving at 3 waits at a until 6 (b at 8 plus
    its 6 h), the one at 5 too; the one at 1 has gone.  Service 'ship' closed over [7, 12):
    the departures due at 7 and 10.5 leave at 12 instead (the second with nothing)."""
    scn = scenario(
        TRANSFER_CORRIDOR,
        {"id": "line", "kind": "closure", "target": "legs.ab", "start": 3, "end": 6},
        {"id": "strike", "kind": "closure", "target": "services.ship", "start": 7, "end": 12},
    )
    result = run_replication(scn, 0, 0)
    trips = result.trips["r"]
    train = trips.segment == 0
    arrive_b = dict(zip(trips.depart[train].tolist(), trips.arrive[train].tolist()))
    assert arrive_b[1.0] == pytest.approx(1.5 + 2 + 0.25)
    assert arrive_b[3.0] == pytest.approx(6 + 2 + 0.25) and arrive_b[5.0] == pytest.approx(6 + 2 + 0.25)
    assert arrive_b[7.0] == pytest.approx(7.5 + 2 + 0.25)
    ship = trips.depart[trips.segment == 1].tolist()
    assert 12.0 in ship and 14.0 in ship and 7.0 not in ship and 10.5 not in ship
    line, strike = result.events["line"], result.events["strike"]
    assert line.trips.size == 2 and strike.trips.size == 1
    assert strike.containers("r") == int(trips.containers[(trips.segment == 1) & (trips.depart == 12.0)].sum())


def test_vehicles_pass_a_closed_waypoint_only_when_it_reopens() -> None:
    """A node trains pass without handling (w) still holds them while it is closed."""
    scn = scenario(DIVERT, {"id": "go", "kind": "divert", "target": "routes.r", "start": 0, "path": VIA_C},
                   {"id": "shut", "kind": "closure", "target": "nodes.w", "start": 10, "end": 13.3})
    log = run_replication(scn, 1, 0).nodes["w"]
    held = (log.arrive >= 10) & (log.arrive < 13.3)
    assert held.any() and (log.start[held] == 13.3).all() and (log.end[held] == 13.3).all()
    assert log.handled[held].all() and not log.handled[~held].any()
    np.testing.assert_array_equal(log.start[~held], log.arrive[~held])


def test_capacity_of_services_legs_and_handling_changes_only_inside_the_window() -> None:
    """ROLLOVER (2 containers a train, trains at 0.25, 3.75, 7.25, ...): capacity x2 over
    [7, 14) lets the trains of 7.25 and 10.75 take 4; leg ab at half speed over [14, 21)
    doubles its 48 h for trains leaving then; handling at b set to 18 h over [21, 28).
    TRANSFER_CORRIDOR: 7 trains a week over [6, 12) instead of 3.5: departures every day
    from the last one before (5), back to 13, 15, ... after."""
    scn = scenario(
        ROLLOVER,
        {"id": "big", "kind": "capacity", "target": "services.train", "start": 7, "end": 14, "scale": {"capacity_teu": 2}},
        {"id": "slow", "kind": "capacity", "target": "legs.ab", "start": 14, "end": 21, "scale": {"speed": 0.5}},
        {"id": "crane", "kind": "capacity", "target": "nodes.b", "start": 21, "end": 28, "set": {"handling_hours": {"train": 18}}},
    )
    result = run_replication(scn, 0, 0)
    trips = result.trips["r"]
    loads = dict(zip(trips.depart.tolist(), trips.containers.tolist()))
    assert loads[7.25] == loads[10.75] == 4 and loads[3.75] == loads[14.25] == 2
    legs = {dep: arr - dep for dep, arr in zip(trips.depart.tolist(), trips.arrive.tolist())}
    for dep, days in legs.items():
        travel = 4.0 if 14 <= dep + 0.5 < 21 else 2.0
        handled_at_b = 0.75 if 21 <= dep + 0.5 + travel < 28 else 0.25
        assert days == pytest.approx(0.5 + travel + handled_at_b), dep
    assert result.events["big"].trips.size == 2 and result.events["slow"].trips.size == 2
    assert result.events["crane"].trips.size == 3  # reaching b at 22.25 (slowed), 23.75, 27.25

    scn = scenario(TRANSFER_CORRIDOR, {"id": "more", "kind": "capacity", "target": "services.train",
                                       "start": 6, "end": 12, "set": {"departures_per_week": 7}},
                   run={"horizon_days": 30})
    trains = run_replication(scn, 0, 0).trips["r"]
    departs = trains.depart[trains.segment == 0].tolist()
    assert departs[:11] == [1.0, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 13.0, 15.0]


# ---------------------------------------------------------------------------------------
# Reproducibility and common random numbers


EVENTS_ON_NETWORK = (
    {"id": "border", "kind": "closure", "target": "nodes.dostyk", "start": 10, "duration_days": {"dist": "uniform", "min": 2, "max": 6}},
    {"id": "works", "kind": "capacity", "target": "nodes.dostyk", "start": 30, "duration_days": 20, "scale": {"handling_hours": 1.5}},
    {"id": "strike", "kind": "closure", "target": "services.ship", "start": 5, "end": 12},
    {"id": "surge", "kind": "demand", "target": ["routes.overland"], "start": 40, "duration_days": 15, "factor": 1.3},
    {"id": "slow", "kind": "capacity", "target": "legs.road", "start": 0, "duration_days": 30, "set": {"duration_days": 5}},
)


def test_conservation_and_same_seed_same_results_with_events() -> None:
    """Every replication with events conserves containers; the same seed gives the same
    results bit for bit, in one process or two; random durations are drawn per replication."""
    scn = scenario(NETWORK, *EVENTS_ON_NETWORK)
    s = scn.settings
    serial = run_experiment(scn, 3, seed=5)
    parallel = run_experiment(scn, 3, seed=5, workers=2)
    for a, b in zip(serial, parallel):
        assert digest(a) == digest(b)
        assert a.events.keys() == b.events.keys()
        for ident in a.events:
            np.testing.assert_array_equal(a.events[ident].trips, b.events[ident].trips)
            assert a.events[ident].end == b.events[ident].end
        for rid in scn.routes:
            counts = route_counts(a.ledgers[rid], s.warmup_days, s.horizon_days)
            assert counts.created == counts.delivered + counts.in_transit + counts.waiting
            delivered = a.ledgers[rid].delivered
            assert (np.isnan(delivered) | (delivered >= a.ledgers[rid].departed)).all()
    assert digest(run_replication(scn, 5, 1)) == digest(serial[1])
    ends = {r.events["border"].end for r in serial}
    assert len(ends) == 3 and all(s.warmup_days + 10 + 2 <= x <= s.warmup_days + 10 + 6 for x in ends)


def test_events_outside_the_run_or_changing_nothing_leave_the_results_bit_identical() -> None:
    """An event after the run's end (built directly: the loader refuses one), a surge by 1,
    a capacity event setting the values the scenario has: bit-identical results."""
    plain = build(NETWORK)
    end = plain.settings.horizon_days + plain.settings.cooldown_days
    late = scenario(NETWORK, *EVENTS_ON_NETWORK)
    late = dataclasses.replace(late, events=tuple(dataclasses.replace(e, start=end + 1) for e in late.events))
    same = scenario(
        NETWORK,
        {"id": "one", "kind": "demand", "target": "routes.*", "start": 0, "factor": 1.0},
        {"id": "as_is", "kind": "capacity", "target": "nodes.dostyk", "start": 0, "set": {"servers": 1}},
    )
    for i in range(2):
        expected = digest(run_replication(plain, 8, i))
        assert digest(run_replication(late, 8, i)) == expected
        assert digest(run_replication(same, 8, i)) == expected


def test_an_event_leaves_the_draws_of_everything_it_does_not_reach() -> None:
    """A closure of the sea route's ports and a surge on it: the overland route, its nodes and
    its trips are exactly those of the run without events (common random numbers)."""
    scn = scenario(
        NETWORK,
        {"id": "port", "kind": "closure", "target": "nodes.shanghai", "start": 20, "duration_days": 9},
        {"id": "more", "kind": "demand", "target": "routes.sea", "start": 0, "duration_days": 30, "factor": 2},
    )
    for i in range(2):
        r, b = run_replication(scn, 6, i), run_replication(without_events(scn), 6, i)
        for name in ("created", "departed", "delivered"):
            np.testing.assert_array_equal(getattr(r.ledgers["overland"], name), getattr(b.ledgers["overland"], name))
        for node in ("xian", "dostyk", "duisburg"):
            np.testing.assert_array_equal(r.nodes[node].start, b.nodes[node].start)
        assert r.ledgers["sea"].created.size > b.ledgers["sea"].created.size


def test_dated_and_random_closures_of_a_service_are_one_mechanism() -> None:
    """A service with random weather closures and a dated strike: no departure falls in
    either, and without the strike the departures are those of the random closures alone."""
    from sim.engine.simulation import Model

    closures = {"per_year": 40, "duration_days": 2}
    scn = scenario(TRANSFER_CORRIDOR, {"id": "strike", "kind": "closure", "target": "services.ship", "start": 20, "end": 30},
                   run={"horizon_days": 120}, edit=lambda doc: entry(doc, "services", "ship").update(closures=closures))
    for i in range(3):
        model = Model(scn, 4, i)
        closed = model.closures["ship"]
        result = model.run()
        ship = result.trips["r"].depart[result.trips["r"].segment == 1]
        inside = (ship[:, None] >= closed[:, 0]) & (ship[:, None] < closed[:, 1])
        assert not inside.any() and ((closed[:, 0] <= 20) & (closed[:, 1] >= 30)).any()
        random_only = Model(without_events(scn), 4, i).closures["ship"]
        assert all(((closed[:, 0] <= a) & (closed[:, 1] >= b)).any() for a, b in random_only)


@pytest.mark.parametrize("seed", range(4))
def test_random_combinations_of_events_conserve_containers(seed: int) -> None:
    """Events of every kind on random targets, dates and sizes: timestamps in order, every
    counted container delivered, on its way or waiting at the horizon, each counted once at
    every node of the path it took."""
    rng = np.random.default_rng(seed)
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    capacity = [("nodes.dostyk", {"scale": {"servers": 3, "handling_hours": 0.5}}),
                ("nodes.xian", {"set": {"servers": 2}}),
                ("legs.suez", {"scale": {"speed": 0.7}}),
                ("services.train", {"scale": {"departures_per_week": 0.5, "capacity_teu": 2}}),
                ("services.trucks", {"set": {"capacity_teu": 4}})]
    events = []
    for i in range(6):
        start, days = float(rng.uniform(-20, 80)), float(rng.uniform(0.5, 30))  # calendar days of the run
        kind = pick(["closure", "capacity", "demand"])
        if kind == "closure":
            target = pick(["nodes.xian", "nodes.dostyk", "nodes.rotterdam", "legs.cn_rail", "legs.road", "services.trucks", "services.ship"])
            events.append({"kind": kind, "target": target})
        elif kind == "capacity":  # each target once: two changes of one number at once are refused
            target, change = capacity.pop(int(rng.integers(len(capacity))))
            events.append({"kind": kind, "target": target, **change})
        else:
            events.append({"kind": kind, "target": pick(["routes.sea", "routes.*"]), "factor": float(rng.uniform(0, 3))})
        events[-1].update(id=f"e{i}", start=start, duration_days=days)
    scn = scenario(NETWORK, *events)
    s = scn.settings
    for r in run_experiment(scn, 2, seed=seed):
        for rid in scn.routes:
            ledger = r.ledgers[rid]
            assert (np.diff(ledger.created) >= 0).all()
            went, came = ~np.isnan(ledger.departed), ~np.isnan(ledger.delivered)
            assert not (came & ~went).any() and (ledger.delivered[came] > ledger.departed[came]).all()
            counts = route_counts(ledger, s.warmup_days, s.horizon_days)
            assert counts.created == counts.delivered + counts.in_transit + counts.waiting
        for nid, log in r.nodes.items():
            assert (log.start >= log.arrive - 1e-9).all() and (log.end >= log.start).all(), nid


def test_a_run_with_an_event_records_it_and_its_folder_runs_again_the_same(tmp_path) -> None:
    """`routesim run --event`: scenario.toml holds the event, summary.json the --set that adds
    it, and running the written scenario.toml gives the same numbers."""
    import json

    from scenarios_for_tests import write
    from sim.cli import main

    path = write(tmp_path, NETWORK, "network.toml")
    first, again = tmp_path / "first", tmp_path / "again"
    options = ["-n", "1", "-q", "--no-plot", "--containers", "none"]
    assert main(["run", str(path), *options, "--out", str(first), "--event", "closure:nodes.dostyk:10+4,name=\"works\""]) == 0
    summary = json.loads((first / "summary.json").read_text())
    assert summary["overrides"] == [
        'events+={ id = "closure_dostyk", kind = "closure", target = "nodes.dostyk", start = 10, duration_days = 4, name = "works" }'
    ]
    assert main(["run", str(first / "scenario.toml"), *options, "--out", str(again)]) == 0
    assert (first / "metrics.csv").read_bytes() == (again / "metrics.csv").read_bytes()
    plain = tmp_path / "plain"
    assert main(["run", str(path), *options, "--out", str(plain)]) == 0
    assert (first / "metrics.csv").read_bytes() != (plain / "metrics.csv").read_bytes()
