"""The events table in the terminal and report.html: every column a reader needs (undelivered,
recovered, diverted, the peak queue's unit), counts' CIs never below 0, a random length shown
by its mean, notes for events measured together, and the description kept under --no-impact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sim
from scenarios_for_tests import NETWORK, write
from sim.cli import main
from sim.report.event_blocks import events_html
from sim.report.event_tables import events_rows, events_table

EVENTS = [
    # A closure of dostyk, then a capacity cut there starting before its queue has cleared.
    "closure:nodes.dostyk:10+4,id=shut",
    "capacity:nodes.dostyk:15..30,id=slow,scale={ handling_hours = 1.5 }",
    'closure:nodes.rotterdam:50,id=port,duration_days={ dist = "uniform", min = 2, max = 4 }',
    "demand:routes.sea:60+10,id=none,factor=0",
]


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> dict:
    path = write(tmp_path_factory.mktemp("net"), NETWORK, "network.toml")
    return sim.run(str(path), 3, 5, events=EVENTS).summary.to_dict()


def test_the_terminal_table_has_undelivered_recovered_and_the_queue_unit(summary: dict) -> None:
    text = events_table(summary)
    header = text.splitlines()[0].split()
    assert header[:4] == ["event", "kind", "target", "when"]
    assert "undelivered" in header and "recovered" in header and "diverted" not in header  # nothing diverts
    rows = {r[0]: r for r in events_rows(summary)}
    cols = [h for h in ("event", "kind", "target", "when", "affected", "extra delay d", "95% CI", "p95 d",
                        "undelivered", "peak queue", "recovery d", "recovered")]
    shut = dict(zip(cols, rows["shut"]))
    assert shut["peak queue"].endswith(" vehicles")  # a node: vehicles wait there
    assert re.fullmatch(r"\d+/3", shut["recovered"])
    none = dict(zip(cols, rows["none"]))
    assert none["kind"] == "demand x0" and none["peak queue"].endswith(" containers")  # a route: containers at its origin


def test_a_random_length_is_shown_by_its_mean(summary: dict) -> None:
    (port,) = [r for r in events_rows(summary) if r[0] == "port"]
    assert port[3] == "day 50 +random, mean 3.0 d"
    assert summary["events"]["port"]["duration_random"] == {"mean_days": 3.0, "dist": "uniform(mean=3, sd=0.57735)"}


def test_events_measured_together_are_named_in_a_note(summary: dict) -> None:
    assert summary["events"]["shut"]["overlaps"] == {"slow": "nodes.dostyk"}
    assert summary["events"]["slow"]["overlaps"] == {"shut": "nodes.dostyk"}
    assert "overlaps" not in summary["events"]["port"]
    notes = [line for line in events_table(summary).splitlines() if line.startswith("note:")]
    assert notes[0] == (
        "note: shut and slow overlap in time (counting recovery) on nodes.dostyk: each is measured "
        "against the run without all events, so each one's impact includes the other's"
    )
    removed = summary["events"]["none"]["containers_removed"]["mean"]
    assert removed > 0
    assert notes[1] == (f"note: none: demand x0 removed {removed:,.0f} containers a replication on average "
                        "('affected' counts those whose delivery it changed)")


def test_count_intervals_never_go_below_zero(summary: dict) -> None:
    for e in summary["events"].values():
        for name in ("containers_affected", "containers_undelivered", "containers_diverted", "peak_queue", "recovery_days"):
            lo = e[name]["ci95"][0]
            assert lo is None or lo >= 0, (name, e[name])
    assert summary["events"]["shut"]["peak_queue"]["ci95"][0] == 0.0  # its t interval reaches -46 over 3 runs
    # The closure with few affected containers over 3 replications: the plain t interval goes below 0.
    html = events_html({"events": {"x": {**summary["events"]["shut"],
                                           "containers_undelivered": {"mean": 1.0, "ci95": [-2.0, 4.0]}}}})
    assert "0–4" in html and "-2" not in html


def test_the_html_table_shows_sources_as_short_links_and_the_notes(summary: dict) -> None:
    events = {eid: {**e, "source": "closed: https://www.railfreight.com/beltandroad/2021/10/26/a-very-long-page-name/ ; x"}
              for eid, e in summary["events"].items()}
    html = events_html({**summary, "events": events})
    table, below = html.split("</table>", 1)
    assert '<a href="#event-source-shut" title="railfreight.com">[1]</a>' in table  # a numbered reference
    assert '<a href="#event-source-none" title="railfreight.com">[4]</a>' in table
    assert "a-very-long-page-name" not in table
    assert '<li id="event-source-shut"><b>shut</b>: closed: <a href=' in below  # the full source, listed under the table
    assert "a-very-long-page-name/</a>" in below
    for header in ("undeliv\u00adered", "peak queue", "recov\u00adered"):
        assert f"<th>{header}</th>" in table
    assert "vehicles" in table and "containers" in table
    assert "day 50<br>+random, mean 3.0 d" in table
    assert "Note: shut and slow overlap in time (counting recovery) on nodes.dostyk" in below


def test_no_impact_keeps_the_events_description(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, NETWORK, "network.toml")
    out = tmp_path / "res"
    assert main(["run", str(path), "-n", "1", "--no-plot", "--containers", "none", "--no-impact",
                 "--event", "closure:nodes.dostyk:10+4,source=\"a note\"", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    e = json.loads((out / "summary.json").read_text())["events"]["closure_dostyk"]
    assert (e["kind"], e["targets"], e["start_day"], e["duration_days"], e["source"]) == (
        "closure", ["nodes.dostyk"], 10.0, 4.0, "a note")
    assert "containers_affected" not in e and "recovered_runs" not in e
    block = printed.split("events (impact not measured: --no-impact):\n", 1)[1]
    assert block.splitlines()[0].split() == ["event", "kind", "target", "when"]
    assert block.splitlines()[2].split() == ["closure_dostyk", "closure", "nodes.dostyk", "day", "10", "+4", "d"]
    html = (out / "report.html").read_text()
    assert 'id="events"' in html and "impact not measured" in html


def test_a_vary_event_arm_is_labelled_by_the_event(tmp_path: Path) -> None:
    path = write(tmp_path, NETWORK, "network.toml")
    comparison = sim.compare(str(path), replications=1, vary_events=["closure:nodes.dostyk:10+20"])
    assert comparison.document["scenarios"] == ["network", "network +closure_dostyk"]  # was 'network +events+closure_dostyk'
