"""Events' impact (summary events.<id>) against hand calculation, and the paired baseline runs.

The deterministic single server of tests/test_events.py closed for D days gives every
affected truck's extra delay, the peak queue and the recovery time by the fluid argument;
a surge's affected containers are the ones it adds; a divert's are those it sends the new
way.  The baseline runs (the scenario without events, same seed) happen only when a
scenario has events and impact is asked for, and change nothing across worker counts.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim
import sim.engine.replications as replications
from scenarios_for_tests import NETWORK, SINGLE_QUEUE, write
from sim.analysis.impact import calm_from
from sim.cli import main
from sim.engine.events import without_events
from test_events import DIVERT, VIA_C, scenario, single_queue

LAM, MU, START, D = 10.0, 20.0, 10.0, 5.0
CLOSURE = {"id": "shut", "kind": "closure", "target": "nodes.q", "start": START, "duration_days": D}
SHORT = {"horizon_days": 40, "warmup_days": 0, "cooldown_days": 5}


def closed_queue(arrivals: str = "even", handling=24 / MU):
    return scenario(SINGLE_QUEUE, CLOSURE, run=SHORT, edit=single_queue(LAM, handling, arrivals))


def fluid_starts(arrive: np.ndarray, opens: float) -> np.ndarray:
    """Starts at a single server of service 1/MU closed until ``opens``, first come first
    served: the first starts at max(a, opens), each next one 1/MU after the one before, or
    on arrival if the server is idle by then."""
    starts = np.empty_like(arrive)
    free = opens
    for i, a in enumerate(arrive):
        starts[i] = max(a, free)
        free = starts[i] + 1 / MU
    return starts


def test_deterministic_closure_impact_matches_the_fluid_argument() -> None:
    """Trucks every 1/lam arriving in [s, e) are held; the n-th (from s) starts at e + n/mu,
    and those arriving after e queue behind them until the backlog clears, lam D / (mu - lam)
    after e; the baseline never queues, so every truck's extra delay is its start minus its
    arrival.  All of them are affected, the held ones and the ones behind: lam D mu / (mu - lam)
    trucks (+-1); the queue peaks at lam D (+-1)."""
    run = sim.run(closed_queue(), 1, 1)
    impact = run.results[0].impact["shut"]
    log = run.results[0].nodes["q"]
    e = START + D
    later = log.arrive >= START
    delays = fluid_starts(log.arrive[later], e) - log.arrive[later]
    delays = delays[delays > 1 / 1440]
    held = ((log.arrive >= START) & (log.arrive < e)).sum()
    assert held == pytest.approx(LAM * D, abs=1) and delays.size > held  # the backlog delays more than the held
    assert impact["containers_affected"] == delays.size == pytest.approx(LAM * D * MU / (MU - LAM), abs=1)
    assert impact["extra_delay_days"] == pytest.approx(delays.mean(), abs=1e-9)
    assert impact["extra_delay_days.p95"] == pytest.approx(np.percentile(delays, 95), abs=1e-9)
    # The fluid mean: a held truck waits D minus its arrival into the closure plus its place in
    # the backlog; averaged over the triangle of delays, half the largest delay, D.
    assert impact["extra_delay_days"] == pytest.approx(D / 2, abs=0.1)
    assert impact["peak_queue"] == pytest.approx(LAM * D, abs=1)
    assert impact["recovery_days"] == pytest.approx(LAM * D / (MU - LAM), abs=1 / LAM + 1 / MU)
    assert impact["recovered"] == 1.0 and impact["containers_undelivered"] == 0
    assert impact["containers_diverted"] == 0
    summary = run.summary.to_dict()["events"]["shut"]
    assert summary["kind"] == "closure" and summary["targets"] == ["nodes.q"] and summary["duration_days"] == D
    assert summary["peak_queue"]["mean"] == impact["peak_queue"]
    assert set(run.table.entities("event")) == {"shut"}


def test_a_queue_that_never_clears_reports_nan_and_the_flag() -> None:
    """Closed until the run ends: no recovery to measure, so NaN and recovered 0, never a number."""
    open_ended = {k: v for k, v in CLOSURE.items() if k != "duration_days"}
    scn = scenario(SINGLE_QUEUE, open_ended, run=SHORT, edit=single_queue(LAM, 24 / MU, "even"))
    impact = sim.run(scn, 1, 1).results[0].impact["shut"]
    assert math.isnan(impact["recovery_days"]) and impact["recovered"] == 0.0
    assert impact["containers_undelivered"] > 0  # held until the end: no delay is made up for them


def test_demand_surge_affects_the_containers_it_adds_and_delays_the_others() -> None:
    """Even arrivals doubled for 5 days at a server of 15 a day: the surge adds lam D trucks
    (the affected ones), and the containers of its window that the base run also had are
    delivered no earlier than there (deterministic service: the queue only grows)."""
    surge = {"id": "rush", "kind": "demand", "target": "routes.r", "start": START, "duration_days": D, "factor": 2.0}
    scn = scenario(SINGLE_QUEUE, surge, run=SHORT, edit=single_queue(LAM, 24 / 15, "even"))
    result = sim.run(scn, 1, 1).results[0]
    impact = result.impact["rush"]
    twin = result.events["rush"].base_rows["r"]
    added = int((twin < 0).sum())
    assert added == pytest.approx(LAM * D, abs=1)
    base = sim.run(without_events(scn), 1, 1).results[0]
    kept = twin >= 0
    late = result.ledgers["r"].delivered[kept] - base.ledgers["r"].delivered[twin[kept]]
    assert np.nanmin(late) >= 0  # deterministic service: the queue only grows
    lost = np.isnan(late) & ~np.isnan(base.ledgers["r"].delivered[twin[kept]])  # held past the run's end
    assert impact["containers_affected"] == added + int((late > 1 / 1440).sum() + lost.sum()) > added
    assert impact["extra_delay_days"] > 0 and impact["extra_delay_days.p95"] >= impact["extra_delay_days"]
    # A route's queue is its origin's: trucks leave as they fill, so none builds there.
    assert impact["peak_queue"] == 0 and impact["recovery_days"] == 0 and impact["recovered"] == 1.0


def test_a_demand_cut_to_zero_removes_the_window_s_containers() -> None:
    """Even arrivals at lam a day, factor 0 for D days: the run without the event created
    lam D more containers (+-1), all in the window, and none is added."""
    cut = {"id": "stop", "kind": "demand", "target": "routes.r", "start": START, "duration_days": D, "factor": 0.0}
    scn = scenario(SINGLE_QUEUE, cut, run=SHORT, edit=single_queue(LAM, 24 / MU, "even"))
    result = sim.run(scn, 1, 1).results[0]
    base = sim.run(without_events(scn), 1, 1).results[0]
    removed = result.impact["stop"]["containers_removed"]
    assert removed == base.ledgers["r"].created.size - result.ledgers["r"].created.size == pytest.approx(LAM * D, abs=1)
    created = base.ledgers["r"].created
    assert removed == ((created >= START) & (created < START + D)).sum()


def test_divert_counts_the_containers_departing_in_its_window() -> None:
    event = {"id": "detour", "kind": "divert", "target": "routes.r", "start": 15, "end": 30, "path": VIA_C}
    result = sim.run(scenario(DIVERT, event), 1, 9).results[0]
    departed = result.ledgers["r"].departed
    assert result.impact["detour"]["containers_diverted"] == int(((departed >= 15) & (departed < 30)).sum()) > 0
    assert result.impact["detour"]["extra_delay_days"] > 0.9  # the way by c is a day longer


def _counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = replications.run_replication

    def counted(scn, seed, i):
        calls.append(i)
        return real(scn, seed, i)

    monkeypatch.setattr(replications, "run_replication", counted)
    return calls


def test_no_events_no_baseline_and_no_impact_without_asking(monkeypatch) -> None:
    calls = _counting(monkeypatch)
    plain = scenario(SINGLE_QUEUE, run=SHORT)
    run = sim.run(plain, 2, 1)
    assert calls == [0, 1] and "events" not in run.summary.to_dict() and not run.table.entities("event")
    calls.clear()
    run = sim.run(closed_queue(), 2, 1, impact=False)
    assert calls == [0, 1] and not run.table.entities("event")
    assert "containers_affected" not in run.summary.to_dict()["events"]["shut"]  # described, not measured
    calls.clear()
    sim.run(closed_queue(), 2, 1)
    assert calls == [0, 0, 1, 1]  # each replication, then the same one without events


@pytest.mark.parametrize("workers", [1, 2])
def test_a_variant_adding_events_is_measured_against_the_baseline_arm_without_rerunning_it(monkeypatch, workers) -> None:
    """compare --vary-event: the variant's run without events is the baseline arm itself (same
    seed), so 2 x 2 replications run, not 2 x 3, and the impact is the one a rerun measures."""
    plain = scenario(SINGLE_QUEUE, run=SHORT, edit=single_queue(LAM, 24 / MU, "poisson"))
    calls = _counting(monkeypatch)
    cmp = sim.compare(plain, replications=2, seed=3, workers=workers, vary_events=[CLOSURE])
    if workers == 1:
        assert sorted(calls) == [0, 0, 1, 1]
    paired = cmp.runs[1].summary.to_dict()["events"]["shut"]
    alone = sim.run(cmp.runs[1].scenario, 2, 3).summary.to_dict()["events"]["shut"]
    assert paired == alone


def test_same_seed_same_impact_whatever_the_workers_and_on_disk() -> None:
    scn = closed_queue("poisson", {"dist": "exponential", "mean": 24 / MU})
    one = sim.run(scn, 3, 5, workers=1).summary.to_dict()["events"]
    two = sim.run(scn, 3, 5, workers=2).summary.to_dict()["events"]
    spilled = sim.run(scn, 3, 5, workers=2, spill=True).summary.to_dict()["events"]  # impact travels packed
    assert one == two == spilled
    assert replications.plan_storage(scn, 3, 2, paired=True) is False  # the doubled work still fits


def test_compare_vary_event_gives_the_paired_difference_of_transit(tmp_path, capsys) -> None:
    path = write(tmp_path, NETWORK, "network.toml")
    out = tmp_path / "cmp"
    code = main(["compare", str(path), "--vary-event", "closure:nodes.dostyk:10+20", "-n", "3",
                 "--no-plot", "--containers", "none", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    # The variant's event has no twin in the baseline arm: its impact is printed as its own table.
    block = printed.split("network +closure_dostyk: events (impact against the same replications without events):\n", 1)[1]
    assert block.splitlines()[2].startswith("closure_dostyk")
    doc = json.loads((out / "comparison.json").read_text())
    rows = [r for r in doc["differences"] if r["metric"] == "transit_days" and r["pairs"] == 3]
    assert rows and any(r["difference"] and r["difference"] > 0 for r in rows)
    variant = json.loads((out / doc["folders"][doc["scenarios"][1]] / "summary.json").read_text())
    assert "closure_dostyk" in variant["events"]


def test_bad_vary_event_is_one_line_exit_2(tmp_path, capsys) -> None:
    path = write(tmp_path, NETWORK, "network.toml")
    assert main(["compare", str(path), "--vary-event", "closure:nodes.nowhere:10+2", "-q", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--vary-event" in err
    assert not (tmp_path / "x").exists()


def test_run_writes_event_metrics_and_no_impact_leaves_none(tmp_path, capsys) -> None:
    """metrics.csv carries the event rows and summary.json events.<id>; --no-impact neither,
    and the note that the baseline runs is printed only when they run."""
    path = write(tmp_path, NETWORK, "network.toml")
    options = ["-n", "2", "--no-plot", "--containers", "none", "--event", "closure:nodes.dostyk:10+4"]
    assert main(["run", str(path), *options, "--out", str(tmp_path / "with")]) == 0
    out = capsys.readouterr()
    assert "also runs without them" in out.err and "closure_dostyk" in out.out.split("events (impact")[1]
    summary = json.loads((tmp_path / "with" / "summary.json").read_text())
    assert summary["events"]["closure_dostyk"]["containers_affected"]["mean"] > 0
    assert ",event,closure_dostyk,recovery_days," in (tmp_path / "with" / "metrics.csv").read_text()
    assert main(["run", str(path), *options, "--no-impact", "-q", "--out", str(tmp_path / "without")]) == 0
    assert "also runs without" not in capsys.readouterr().err
    described = json.loads((tmp_path / "without" / "summary.json").read_text())["events"]["closure_dostyk"]
    assert described["kind"] == "closure" and "containers_affected" not in described  # what, not its impact
    assert ",event," not in (tmp_path / "without" / "metrics.csv").read_text()


def test_the_memory_check_counts_the_baseline_beside_each_replication(monkeypatch) -> None:
    scn = closed_queue()
    per_rep = replications.units_drawn(scn) * replications.BYTES_PER_UNIT_HELD
    # One replication at its peak takes PEAK_FACTOR (2.5) x per_rep, 80% of 4 x per_rep may be used.
    monkeypatch.setattr(replications, "available_memory", lambda: int(4 * per_rep))
    assert replications.plan_storage(scn, 1, 1, spill=False) is False  # one replication fits
    with pytest.raises(replications.TooBig):  # it and its baseline being simulated do not
        replications.plan_storage(scn, 1, 1, spill=False, paired=True)


def test_compare_prints_the_impact_difference_of_an_event_both_arms_measure(tmp_path, capsys) -> None:
    """The same closure with one server more in the variant: the queue it leaves drains
    faster, so its containers' extra delay differs, and the terminal table says so in an
    event block."""
    path = write(tmp_path, NETWORK, "network.toml")
    out = tmp_path / "cmp"
    code = main(["compare", str(path), "--event", "closure:nodes.dostyk:10+20", "--vary", "nodes.dostyk.servers=3",
                 "-n", "3", "--no-plot", "--containers", "none", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "comparison.json").read_text())
    delay = next(r for r in doc["event_differences"] if r["event"] == "closure_dostyk" and r["metric"] == "extra_delay_days")
    assert delay["difference"] is not None and delay["difference"] < 0  # more tracks clear the backlog sooner
    header = next(line for line in printed.splitlines() if line.startswith("event "))
    assert "difference" in header
    lines = [x for x in printed.splitlines() if x.startswith("closure_dostyk ")]
    assert any(f"{delay['difference']:+.2f}" in x for x in lines), lines


def test_a_closed_legs_queue_is_the_vehicles_held_at_its_start() -> None:
    """TRANSFER_CORRIDOR with leg ab closed over [3, 6) (tests/test_events.py): the trains
    ready at 3.5 and 5.5 wait at its start until 6, so the queue peaks at 2 and, released
    together, is gone the moment the leg reopens."""
    from scenarios_for_tests import TRANSFER_CORRIDOR

    scn = scenario(TRANSFER_CORRIDOR, {"id": "line", "kind": "closure", "target": "legs.ab", "start": 3, "end": 6})
    run = sim.run(scn, 1, 0)
    record = run.results[0].events["line"]
    np.testing.assert_allclose(record.holds, [[3.5, 6.0], [5.5, 6.0]])
    impact = run.results[0].impact["line"]
    assert impact["peak_queue"] == 2
    assert impact["recovery_days"] == 0 and impact["recovered"] == 1


def test_the_events_table_names_a_few_targets_and_counts_the_rest() -> None:
    from sim.report.event_tables import short_targets

    assert short_targets(["routes.a"]) == "routes.a"
    assert short_targets(["routes.a", "routes.b", "routes.c", "routes.d"]) == "routes.a, routes.b +2 more"


def test_an_open_ended_closure_is_warned_of_and_shows_no_recovery(tmp_path, capsys) -> None:
    """A closure given only a start lasts the run: the loader says so (it is easily a
    forgotten end), and the events table says there is nothing to recover from."""
    from sim.report.event_tables import events_rows

    path = write(tmp_path, NETWORK, "network.toml")
    out = tmp_path / "res"
    assert main(["run", str(path), "--event", "closure:nodes.dostyk:20", "-n", "1", "--no-plot",
                 "--containers", "none", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "events.closure_dostyk: the closure has no end or duration_days, so it lasts until the run ends" in err
    summary = json.loads((out / "summary.json").read_text())
    (row,) = events_rows(summary)
    assert row[0] == "closure_dostyk" and "n/a (no end)" in row


def test_calm_from_finds_the_first_quiet_stretch_after_the_event() -> None:
    created = np.arange(40.0)
    changed = created < 20
    changed[23] = True  # a straggler: the quiet stretch starts after it
    assert calm_from(created, changed, after=10.0, days=5.0) == 24.0
    assert calm_from(created, changed, after=30.0, days=5.0) == 30.0
    assert calm_from(created, np.ones(40, bool), after=10.0, days=5.0) == math.inf
    assert calm_from(created, changed, after=36.0, days=5.0) == math.inf  # the run ends first


def test_every_trip_draws_what_its_twin_draws_even_when_overtaken() -> None:
    """The closed rail leg releases its held trains together; they reach Dostyk in another
    order than without the event (random speeds), but each train, known by its departure
    from Xi'an, is handled there exactly as long as its twin: the draws belong to the trip.
    The sea route shares nothing with the leg, so its containers arrive exactly as without."""
    closure = {"id": "works", "kind": "closure", "target": "legs.cn_rail", "start": 40, "duration_days": 3}
    scn = scenario(NETWORK, closure)
    hit = sim.run(scn, 1, 5, impact=False).results[0]
    calm = sim.run(without_events(scn), 1, 5).results[0]

    def dostyk_handling(result) -> dict[float, float]:
        xian, dostyk = result.nodes["xian"], result.nodes["dostyk"]
        left = dict(zip(xian.trip.tolist(), xian.end.tolist()))
        trains = dostyk.vehicle == result.vehicle_names.index("train")
        return {left[t]: d for t, d in zip(dostyk.trip[trains].tolist(), (dostyk.end - dostyk.start)[trains].tolist())}

    with_, without = dostyk_handling(hit), dostyk_handling(calm)
    held = hit.events["works"].trips.size
    assert held >= 2 and with_.keys() == without.keys()
    assert all(with_[t] == without[t] for t in with_)
    np.testing.assert_array_equal(hit.ledgers["sea"].delivered, calm.ledgers["sea"].delivered)
