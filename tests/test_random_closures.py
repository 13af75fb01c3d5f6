"""Random closures as events: a service's ``closures`` key and ``[[events]]`` with
``random = { per_year, duration_days }`` draw the same spells from the same stream; the
event's record lists them and what they held, and its impact is measured like a dated one's."""

from __future__ import annotations

import hashlib
import json

import numpy as np

import sim
from scenarios_for_tests import TRANSFER_CORRIDOR, entry
from sim.engine.events import without_events
from sim.engine.sampling import closure_intervals, stream
from sim.engine.simulation import Model, run_replication
from test_events import scenario

CLOSURES = {"per_year": 40, "duration_days": {"dist": "triangular", "min": 1, "mode": 2, "max": 5}}
WEATHER = {"id": "wx", "kind": "closure", "target": "services.ship", "random": CLOSURES}
RUN = {"horizon_days": 120}
# sha256 of every ledger's delivered and departed arrays, and of summary.json, for the
# closures-key scenario below, seed 4, 2 replications: computed on the code before random
# closures became events (commit 6d7ec77), so a change of streams or spells shows here.
LEDGERS_BEFORE = "2aed4891e4eb084fa3d9db6f4fcbd1264e80d50ec9948220961adcb7f352d0c9"
SUMMARY_BEFORE = "3f24de37880747758f747155880279b67dd8f55c32f0990756f221e1f08177e5"


def with_key():
    """TRANSFER_CORRIDOR whose ship service has random closures by its ``closures`` key."""
    return scenario(TRANSFER_CORRIDOR, run=RUN, edit=lambda doc: entry(doc, "services", "ship").update(closures=CLOSURES))


def with_event():
    """The same random closures written as an [[events]] entry."""
    return scenario(TRANSFER_CORRIDOR, WEATHER, run=RUN)


def ledger_hash(run) -> str:
    h = hashlib.sha256()
    for r in run.results:
        for rid in sorted(r.ledgers):
            h.update(r.ledgers[rid].delivered.tobytes())
            h.update(r.ledgers[rid].departed.tobytes())
    return h.hexdigest()


def test_closures_key_results_are_bit_identical_to_before() -> None:
    """The closures key keeps its streams and spells: ledgers and summary.json unchanged."""
    run = sim.run(with_key(), 4, 2)
    assert ledger_hash(run) == LEDGERS_BEFORE
    document = run.summary.to_dict()
    # The files' format number is not a result (it is bumped when a file's columns change):
    # the hash was taken with format 3.
    document["results_format"] = 3
    summary = json.dumps(document, sort_keys=True, default=str).encode()
    assert hashlib.sha256(summary).hexdigest() == SUMMARY_BEFORE
    assert "events" not in run.summary.to_dict() or not run.summary.to_dict()["events"]


def test_random_event_gives_the_results_of_the_closures_key() -> None:
    """Same seed: the event form's containers go exactly as the key's (its baseline aside)."""
    run = sim.run(with_event(), 4, 2)
    assert ledger_hash(run) == LEDGERS_BEFORE
    event = run.summary.to_dict()["events"]["wx"]
    assert event["kind"] == "closure" and event["targets"] == ["services.ship"]
    assert event["random"]["per_year"] == 40
    assert abs(event["random"]["mean_duration_days"] - (1 + 2 + 5) / 3) < 1e-12  # triangular mean


def test_record_lists_exactly_the_spells_closure_intervals_draws() -> None:
    """Per replication: the spells are closure_intervals on the service's closures stream,
    start and end the first spell's start and the last one's end."""
    scn = with_event()
    for i in range(3):
        model = Model(scn, 7, i)
        record = model.run().events["wx"]
        expected = closure_intervals(scn.events[0].random, model.end_time, stream(7, i, "closures:ship"))
        assert record.random and expected.shape[0] > 0
        np.testing.assert_array_equal(record.spells, expected)
        assert record.start == expected[0, 0] and record.end == expected[-1, 1]
        np.testing.assert_array_equal(Model(with_key(), 7, i).closures["ship"], expected)
        assert "ship" not in Model(without_events(scn), 7, i).closures  # the baseline has none


def test_containers_held_are_those_whose_departure_fell_in_a_spell() -> None:
    """The ship leaves on days 0 and 3.5 of each week: a departure due inside a spell leaves
    at its end, and the record holds exactly the containers on those departures."""
    for i in range(3):
        result = run_replication(with_event(), 5, i)
        record = result.events["wx"]
        trips = result.trips["r"]
        ship = trips.segment == 1
        depart, load = trips.depart[ship], trips.containers[ship]
        week = np.arange(0, result.end_time, 7.0)
        due = np.sort(np.concatenate([week, week + 3.5]))
        spells = record.spells
        # Spells holding a due departure: those departures leave at the spell's end.
        holding = [b for a, b in spells.tolist() if ((due >= a) & (due < b)).any()]
        held = np.isin(depart, holding)
        assert held.any()
        assert not ((depart[:, None] >= spells[:, 0]) & (depart[:, None] < spells[:, 1])).any()
        assert record.containers() == int(load[held].sum())


def test_impact_of_random_closures_against_the_baseline() -> None:
    """Against the run without the event (no closures at all): containers held > 0, their
    mean and p95 extra delay >= 0, and the mean is that of the held containers against
    their twins in the baseline run by hand."""
    run = sim.run(with_event(), 3, 2)
    for r in run.results:
        impact = r.impact["wx"]
        assert impact["containers_affected"] > 0
        assert impact["extra_delay_days"] >= 0 and impact["extra_delay_days.p95"] >= 0
        base = run_replication(without_events(with_event()), 3, r.replication)
        extra = r.ledgers["r"].delivered - base.ledgers["r"].delivered
        rows = np.unique(np.concatenate([np.arange(a, b) for a, b in r.events["wx"].rows["r"].tolist()]))
        assert abs(impact["extra_delay_days"] - np.nanmean(extra[rows])) < 1e-9
    summary = run.summary.to_dict()["events"]["wx"]
    assert summary["containers_affected"]["mean"] > 0 and summary["extra_delay_days"]["mean"] > 0


def test_a_service_with_closures_and_a_random_closure_event_is_refused(tmp_path) -> None:
    """Two sets of random spells on one service would share its stream: one line, at the event."""
    import pytest

    from sim.model.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"events\.wx\.random: service 'ship' already has closures"):
        scenario(TRANSFER_CORRIDOR, WEATHER, run=RUN, edit=lambda doc: entry(doc, "services", "ship").update(closures=CLOSURES))
