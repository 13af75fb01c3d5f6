"""The bundled disruption scenarios (china_europe_2021_disruptions, china_europe_red_sea),
event_days.csv and the events figure: every event sourced and valid, the model's response
in the expected direction (never a calibrated number), and the figure's spans and labels."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from scenarios_for_tests import SINGLE_QUEUE, write
from sim.cli import main
from sim.model.loader import load_scenario
from sim.model.documents import bundled_names
from sim.output.figure_data import EVENT_DAYS
from sim.output.run_data import read_run
from sim.viz.colours import route_colours
from sim.viz.events import events_figure
from sim.viz.figures import figure_builders

DISRUPTIONS = "china_europe_2021_disruptions"
RED_SEA = "china_europe_red_sea"
EVENT_DAYS_COLUMNS = ["replication", "kind", "id", "day", "date", "mean_queue", "departed", "mean_transit_days"]


def _run(tmp_path_factory, name: str, *extra: str) -> Path:
    out = tmp_path_factory.mktemp(name.replace("/", "_")) / "out"
    # No containers file: not read here, and writing it is a quarter of the run's time.
    assert main(["run", name, "-n", "1", "--no-plot", "--containers", "none", "--out", str(out), *extra]) == 0
    return out


def test_a_year_of_2021_disruptions(tmp_path_factory) -> None:
    """One run (a year of the whole network, one replication: ~5 s), checked for what the
    file, the model and the figure promise; one test, so that parallel workers run it once."""
    run = read_run(_run(tmp_path_factory, DISRUPTIONS))
    check_event_days_columns(run.folder)
    check_suez_queue(run)
    check_dostyk_cut(run)
    check_events_figure(run)


def test_the_disruption_scenarios_are_bundled_and_every_event_is_sourced() -> None:
    assert {DISRUPTIONS, RED_SEA} <= set(bundled_names())
    kinds = set()
    for name in (DISRUPTIONS, RED_SEA):
        scenario = load_scenario(name)  # loading validates every event (targets, dates, keys)
        assert scenario.events, name
        for e in scenario.events:
            kinds.add(e.kind)
            assert "http" in e.source, (name, e.id)
            assert e.name, (name, e.id)
    assert kinds == {"closure", "capacity", "demand", "divert"}
    # The Suez closure needs a capacity and the traffic not modelled for a queue to form.
    suez = load_scenario(DISRUPTIONS).nodes["suez"]
    assert suez.servers and suez.background is not None


def check_event_days_columns(folder: Path) -> None:
    """event_days.csv has its documented columns, and an ISO date beside each day."""
    with open(folder / EVENT_DAYS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == EVENT_DAYS_COLUMNS
    calendar = load_scenario(DISRUPTIONS).settings.calendar
    assert {(r["kind"], r["id"]) for r in rows} >= {("node", "suez"), ("node", "dostyk"), ("route", "sea_shanghai_rotterdam")}
    for r in rows[::97]:
        assert r["date"] == calendar.iso(float(r["day"]))
        assert (r["departed"] == "") == (r["kind"] == "node")


def _days(run, kind: str, ident: str):
    s = run.event_days[(kind, ident)]
    return s.day, s.queue, s.transit


def check_suez_queue(run) -> None:
    """The Suez queue rises through the Ever Given closure and clears after it."""
    scenario = run.scenario
    e = next(e for e in scenario.events if e.id == "ever_given")
    first = int(scenario.settings.calendar.calendar_day(e.start))
    last = int(first + e.duration.mean)
    day, queue, _ = _days(run, "node", "suez")
    assert queue[first - 7:first].max() < 5  # 57 ships a day against a capacity of 85: no queue
    inside = queue[first:last + 1]
    assert (np.diff(inside) >= 0).all()  # each day of the closure at least the day before
    assert inside[-1] > 100
    assert queue[last + 60] < 5  # the backlog is served after the reopening


def check_dostyk_cut(run) -> None:
    """The Dostyk cut raises the queue there and the transit of a route through it."""
    calendar = run.scenario.settings.calendar
    start, end = calendar.day("2021-08-01"), calendar.day("2021-10-25")
    _, queue, _ = _days(run, "node", "dostyk")
    assert queue[end - 1] > queue[start - 30:start].mean() + 10
    _, _, transit = _days(run, "route", "rail_xian_duisburg")
    assert np.nanmean(transit[end - 30:end]) > np.nanmean(transit[start - 30:start]) + 2
    # Not touched by the Dostyk events: the route via Khorgos/Altynkol.
    assert ("route", "rail_chongqing_duisburg") in run.event_days


def test_the_red_sea_diversion_lengthens_the_sea_route(tmp_path_factory) -> None:
    out = _run(tmp_path_factory, RED_SEA)
    run = read_run(out)
    calendar = run.scenario.settings.calendar
    divert = calendar.day("2023-12-16")
    _, _, transit = _days(run, "route", "sea_shanghai_rotterdam")
    before, after = np.nanmean(transit[:divert]), np.nanmean(transit[divert + 1:])
    assert after > before + 4  # ~3,200 nm more at 16.5 knots


def check_events_figure(run) -> None:
    """One shaded span, labelled with the event's name and dates, per event on its panels."""
    fig = events_figure([run], route_colours(run.scenario.routes))
    by_title = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_visible()}

    def spans(title: str) -> list[str]:
        ax = by_title[title]
        texts = [t.get_text().strip() for t in ax.texts]
        assert len(ax.patches) == len(texts)  # one shaded span, one label each
        return texts

    suez = spans("Suez Canal (northbound convoy): vehicles queueing")
    assert suez == ["Ever Given blocks Suez, 2021-03-23 – 2021-03-29"]
    dostyk = spans("Alashankou (CN) / Dostyk (KZ): vehicles queueing")
    assert dostyk == ["Dostyk Covid cut, 2021-08-01 – 2021-10-24", "Alashankou loading ban, 2021-10-25 – 2021-10-31"]
    xian = spans("rail_xian_duisburg: transit by departure day")
    assert [t.split(",")[0] for t in xian] == ["CR Express surge", "Dostyk Covid cut", "Alashankou loading ban"]
    assert spans("sea_shanghai_rotterdam: waiting at the origin")[0].startswith("Ever Given")
    for ax in by_title.values():
        assert ax.get_ylabel() and ax.get_xlabel()


def test_no_events_no_event_days_and_no_events_figure(tmp_path: Path) -> None:
    path = write(tmp_path, SINGLE_QUEUE)
    calm = tmp_path / "calm"
    assert main(["run", str(path), "-n", "1", "--no-plot", "--out", str(calm)]) == 0
    assert not (calm / EVENT_DAYS).exists()
    assert "events" not in figure_builders([read_run(calm)])
    shut = tmp_path / "shut"
    assert main(["run", str(path), "-n", "1", "--no-plot", "--out", str(shut), "--event", "closure:nodes.q:100+5",
                 "--set", 'routes.r.demand.arrivals="even"']) == 0
    run = read_run(shut)
    assert "events" in figure_builders([run])
    day, queue, _ = _days(run, "node", "q")
    # Even arrivals (one truck a day) and a closure from day 100 to 105: each day of the closure
    # holds at least the queue of the day before, and more by its end.
    assert (np.diff(queue[99:105]) >= 0).all() and queue[104] > queue[100] + 2


def test_the_baseline_hook_draws_the_no_event_series_dashed(tmp_path: Path) -> None:
    path = write(tmp_path, SINGLE_QUEUE)
    shut = tmp_path / "shut"
    assert main(["run", str(path), "-n", "1", "--no-plot", "--containers", "none", "--out", str(shut),
                 "--event", "closure:nodes.q:100+5"]) == 0
    run = read_run(shut)
    # Stands in for the event_days of the run without events (same targets, same seed).
    fig = events_figure([run], route_colours(run.scenario.routes), baseline=run.event_days)
    ax = next(a for a in fig.axes if a.get_title(loc="left").startswith("q"))
    assert [line.get_linestyle() for line in ax.get_lines() if line.get_label().startswith(("with", "without"))] == ["-", "--"]
    assert ax.get_legend() is not None
