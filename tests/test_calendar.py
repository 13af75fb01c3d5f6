"""The one calendar (sim.model.calendar) and the one time base of every output file: dates
and calendar days checked against hand counts, real months in demand and the monthly
counters, ISO dates beside the day numbers, and start_date errors in one line."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from scenarios_for_tests import BASE, NETWORK, build, entry, raw, write
from sim.cli import main
from sim.engine.demand import arrival_times, daily_rates
from sim.engine.simulation import run_replication
from sim.analysis.series import marey_stops
from sim.model.calendar import Calendar
from sim.model.loader import load_scenario
from sim.model.overrides import parse_override
from sim.viz.common import calendar_axis

D = dt.date
Z999 = 3.2905  # two-sided 99.9% normal quantile: a correct engine fails one run in a thousand


# ---------------------------------------------------------------------------------------
# Dates and calendar days


def test_leap_years_move_march_by_a_day() -> None:
    # 2020: 31 (Jan) + 29 (Feb) = 60 days before 1 March; 2019: 31 + 28 = 59.
    assert Calendar(D(2020, 1, 1)).day("2020-03-01") == 60
    assert Calendar(D(2019, 1, 1)).day(D(2019, 3, 1)) == 59
    assert Calendar(D(2020, 1, 1)).date(59) == D(2020, 2, 29)
    assert Calendar(D(2020, 1, 1)).date(59.999) == D(2020, 2, 29)  # a fraction stays in its day
    lengths = [m.stop - m.start for m in Calendar(D(2020, 1, 1)).months(0, 366)]
    assert lengths == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert Calendar(D(2020, 1, 1)).first_year_days == 366
    assert Calendar(D(2019, 1, 1)).first_year_days == 365
    # 1 March 2019 to 1 March 2020 holds 29 February 2020.
    assert Calendar(D(2019, 3, 1)).first_year_days == 366


@pytest.mark.parametrize("year, february", [(1900, 28), (2000, 29), (2100, 28), (2024, 29), (2023, 28)])
def test_century_rules_for_february(year: int, february: int) -> None:
    # Divisible by 4 is leap, by 100 is not, by 400 is again.
    cal = Calendar(D(year, 1, 1))
    feb = cal.months(31, 31 + 40)[0]
    assert (feb.label, feb.stop - feb.start) == (f"{year}-02", february)
    assert cal.day(D(year, 3, 1)) == 31 + february


def test_day_counts_across_centuries() -> None:
    # 1900-2000: 100 years, 24 leap days (1904..1996; 1900 is not leap).  2000-2100: 25
    # leap days (2000 is, 2100 is not).
    assert Calendar(D(1900, 1, 1)).day("2000-01-01") == 100 * 365 + 24
    assert Calendar(D(2000, 1, 1)).day("2100-01-01") == 100 * 365 + 25
    assert Calendar(D(2000, 1, 1)).day("1900-01-01") == -(100 * 365 + 24)


@pytest.mark.parametrize("start", [D(1899, 11, 30), D(1999, 2, 28), D(2096, 12, 31)])
def test_days_and_dates_round_trip(start: dt.date) -> None:
    cal = Calendar(start, warmup_days=45.0)
    days = np.arange(-800, 1600, 3)
    dates = cal.dates(days)
    iso = cal.iso_dates(days + 0.75)  # any time of a day has that day's date
    for d, date64, text in zip(days.tolist(), dates, iso):
        date = cal.date(d)
        assert date == start + dt.timedelta(days=d)  # datetime's own arithmetic
        assert date64 == np.datetime64(date) and text == date.isoformat() == cal.iso(d + 0.75)
        assert cal.day(date) == d and cal.day(text) == d
    assert cal.calendar_day(45.0) == 0.0 and cal.sim_time(0.0) == 45.0  # day 0 ends the warm-up
    assert cal.calendar_day(0.0) == -45.0


def test_month_index_is_the_real_month_of_every_day() -> None:
    for start in (D(2020, 1, 1), D(2019, 7, 15), D(2100, 2, 1)):
        cal = Calendar(start)
        days = np.arange(-400, 800)
        expected = [(start + dt.timedelta(days=int(d))).month - 1 for d in days]
        assert cal.month_index(days).tolist() == expected


def test_a_mid_year_start_labels_months_from_it() -> None:
    cal = Calendar(D(2020, 7, 1))
    months = cal.months(0, 200)
    assert [m.label for m in months] == ["2020-07", "2020-08", "2020-09", "2020-10", "2020-11", "2020-12", "2021-01"]
    # Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31 = 184 days to 1 January 2021.
    assert [m.start for m in months] == [0, 31, 62, 92, 123, 153, 184]
    assert months[-1].stop == 200 and all(m.whole_start for m in months)
    # A start inside a month: that month is cut, and is not a month start.
    cut = Calendar(D(2020, 7, 15)).months(0, 40)
    assert [(m.label, m.start, m.stop, m.whole_start) for m in cut] == [
        ("2020-07", 0.0, 17.0, False), ("2020-08", 17.0, 40.0, True)
    ]


def test_an_undated_calendar_repeats_common_years_and_has_no_dates() -> None:
    cal = Calendar(None, warmup_days=10.0)
    assert not cal.dated and cal.iso(3.0) == "" and cal.iso_dates(np.array([1.0, 2.0])) == ["", ""]
    with pytest.raises(ValueError, match="undated"):
        cal.date(0)
    months = cal.months(0, 400)
    assert months[2].label == "Y1-03" and months[2].start == 59  # common year: 31 + 28
    assert (months[12].label, months[12].start) == ("Y2-01", 365)
    assert cal.first_year_days == 365
    assert cal.month_index(np.array([58, 59, 364, 365])).tolist() == [1, 2, 11, 0]


def test_years_count_real_anniversaries() -> None:
    cal = Calendar(D(2020, 1, 1))
    assert cal.years(np.array([0.0, 183.0, 366.0, 731.0])).tolist() == [0.0, 0.5, 1.0, 2.0]
    # From 29 February the anniversary in a common year is 1 March.
    assert Calendar(D(2020, 2, 29)).years(np.array([366.0]))[0] == 1.0
    assert Calendar(None).years(np.array([365.0]))[0] == 1.0


# ---------------------------------------------------------------------------------------
# The scenario's start date


def _settings(tmp_path: Path, **run: object):
    doc = raw(BASE)
    doc["run"].update(run)
    return load_scenario(str(write(tmp_path, doc))).settings


def test_start_date_year_shorthand_and_undated(tmp_path: Path) -> None:
    s = _settings(tmp_path, start_date=D(2020, 7, 1))
    assert (s.start_date, s.year) == (D(2020, 7, 1), 2020)
    assert s.calendar == Calendar(D(2020, 7, 1), 10.0)
    assert _settings(tmp_path, start_date="2019-03-01").start_date == D(2019, 3, 1)
    assert _settings(tmp_path, year=2020).start_date == D(2020, 1, 1)
    assert _settings(tmp_path, year=2020, start_date="2020-07-01").start_date == D(2020, 7, 1)
    s = _settings(tmp_path)
    assert (s.start_date, s.year, s.calendar.dated) == (None, None, False)


def _one_line_error(capsys, args: list[str]) -> str:
    try:
        status = main(args)
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "run, fragment",
    [
        ({"year": 2020, "start_date": "2021-03-01"}, "2021-03-01 is not in run.year 2020"),
        ({"year": 2020, "start_date": D(2019, 12, 31)}, "is not in run.year 2020"),
        ({"start_date": "2020-02-30"}, "not a calendar date"),
        ({"start_date": "2019-02-29"}, "not a calendar date"),
        ({"start_date": "2020/03/01"}, "must be a date as YYYY-MM-DD"),
        ({"start_date": "1 March 2020"}, "must be a date as YYYY-MM-DD"),
        ({"start_date": 20200301}, "must be a date (YYYY-MM-DD), got an integer (20200301)"),
        ({"start_date": dt.datetime(2020, 3, 1, 6, 0)}, "without a time of day"),
        ({"start_date": "9999-12-01"}, "would end after 9999-12-31"),
    ],
)
def test_a_bad_start_date_is_one_line_naming_run_start_date(tmp_path: Path, capsys, run: dict, fragment: str) -> None:
    doc = raw(BASE)
    doc["run"].update(run)
    path = write(tmp_path, doc, "dated.toml")
    err = _one_line_error(capsys, ["run", str(path), "--out", str(tmp_path / "out"), "--no-plot", "-q"])
    assert f"{path}: run.start_date: " in err and fragment in err, err
    assert not (tmp_path / "out").exists()


def test_a_start_date_set_from_the_command_line(tmp_path: Path, capsys) -> None:
    doc = raw(BASE)
    doc["run"]["year"] = 2020
    path = write(tmp_path, doc)
    moved = load_scenario(str(path), [parse_override("run.start_date=2020-07-01")])
    assert moved.settings.start_date == D(2020, 7, 1)
    err = _one_line_error(capsys, ["run", str(path), "--set", "run.start_date=2021-07-01", "--no-plot", "-q",
                                   "--out", str(tmp_path / "out")])
    assert "--set run.start_date=2021-07-01" in err and "run.start_date" in err and "run.year 2020" in err


# ---------------------------------------------------------------------------------------
# Demand by real months


def _march_only(start: str, warmup: float, horizon: float, teu: float = 2e5):
    def edit(doc: dict) -> None:
        doc["run"].update(start_date=start, warmup_days=warmup, horizon_days=horizon)
        demand = entry(doc, "routes", "rail")["demand"]
        demand.update(teu_per_year=teu, seasonality=[0, 0, 12] + [0] * 9)

    return build(BASE, edit)


@pytest.mark.parametrize("start, march", [("2020-01-01", (60, 91)), ("2019-01-01", (59, 90)), ("2020-07-01", (243, 274))])
def test_march_demand_arrives_only_in_the_days_of_march(start: str, march: tuple[int, int]) -> None:
    # 2020-07-01 to 2021-03-01: Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31 + Jan 31
    # + Feb 28 = 243 days.  A warm-up of 45.5 days (not whole) starts the run mid-day.
    scenario = _march_only(start, 45.5, 45.5 + 366)
    cal = scenario.settings.calendar
    demand = scenario.routes["rail"].demand
    times = arrival_times(demand, cal, scenario.settings.horizon_days, np.random.default_rng(11))
    days = cal.calendar_day(times)
    assert days.min() >= march[0] and days.max() < march[1]
    assert days.min() < march[0] + 0.01 and days.max() > march[1] - 0.01  # all of March, not less
    # The first measured year holds the yearly volume (here all of it in one March).
    expected = demand.units_per_year
    assert abs(times.size - expected) <= Z999 * math.sqrt(expected)
    # Every day of March carries the same rate: 1/31 of the year's volume.
    per_day = np.bincount(np.floor(days).astype(int) - march[0], minlength=31)
    assert per_day.size == 31
    assert np.all(np.abs(per_day - expected / 31) <= Z999 * math.sqrt(expected / 31) * 1.5)


def test_the_first_measured_year_holds_the_yearly_volume_with_seasonality_and_growth() -> None:
    scenario = build(NETWORK, lambda doc: doc["run"].update(year=2020))
    demand = scenario.routes["overland"].demand  # seasonal, growing 20% a year
    cal = scenario.settings.calendar
    year1 = daily_rates(demand, cal, np.arange(0.0, 366.0)).sum()  # 2020: 366 days
    year2 = daily_rates(demand, cal, np.arange(366.0, 731.0)).sum()  # 2021: 365 days
    assert year1 == pytest.approx(demand.units_per_year, rel=1e-12)
    # Growth compounds per calendar year; the next year is one day shorter.
    season = np.asarray(demand.seasonality)
    lengths1 = np.array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    lengths2 = lengths1 - np.eye(12, dtype=int)[1]
    shares = (season * lengths2).sum() / (season * lengths1).sum()
    assert year2 / year1 == pytest.approx(1.2 * shares, rel=2e-3)


# ---------------------------------------------------------------------------------------
# Output files: calendar days and the ISO dates beside them


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def dated_run(tmp_path_factory) -> Path:
    # 20 February 2020 after a 10-day warm-up, 60 days measured: Feb 20-29 (10 days, a leap
    # February), March (31), April 1-19 (19).
    tmp = tmp_path_factory.mktemp("dated")
    doc = raw(NETWORK)
    doc["run"].update(start_date="2020-02-20", warmup_days=10, horizon_days=70, replications=2)
    out = tmp / "res"
    assert main(["run", str(write(tmp, doc)), "--out", str(out), "-q"]) == 0
    return out


def _date_of(day: str) -> str:
    return (D(2020, 2, 20) + dt.timedelta(days=math.floor(float(day)))).isoformat()


def test_nodes_by_month_has_real_months_and_sums_to_the_window(dated_run: Path) -> None:
    monthly = _rows(dated_run / "nodes_by_month.csv")
    dostyk = [r for r in monthly if r["node"] == "dostyk" and r["replication"] == "0"]
    assert [(r["month"], r["start_day"], r["start_date"], r["days"]) for r in dostyk] == [
        ("2020-02", "0.0", "2020-02-20", "10.0"),
        ("2020-03", "10.0", "2020-03-01", "31.0"),
        ("2020-04", "41.0", "2020-04-01", "19.0"),
    ]
    totals = _rows(dated_run / "nodes.csv")
    assert totals
    for row in totals:
        mine = [m for m in monthly if m["node"] == row["node"] and m["replication"] == row["replication"]]
        assert len(mine) == 3
        for key in ("teu", "tonnes", "trains", "vehicles"):
            assert sum(float(m[key]) for m in mine) == pytest.approx(float(row[f"{key}_through"])), (row["node"], key)


def test_weekly_and_daily_files_give_the_date_of_each_day(dated_run: Path) -> None:
    weeks = _rows(dated_run / "route_weeks.csv")
    overland = [w for w in weeks if w["route"] == "overland" and w["replication"] == "0"]
    assert [w["start_day"] for w in overland] == [str(float(7 * k)) for k in range(9)]
    assert overland[0]["start_date"] == "2020-02-20" and overland[2]["start_date"] == "2020-03-05"
    assert all(w["start_date"] == _date_of(w["start_day"]) for w in weeks)
    created = {r["replication"] + r["route"]: int(r["containers_created"]) for r in _rows(dated_run / "routes.csv")}
    for key, count in created.items():
        assert sum(int(w["created_units"]) for w in weeks if w["replication"] + w["route"] == key) == count
    days = _rows(dated_run / "node_days.csv")
    dostyk = [d for d in days if d["node"] == "dostyk" and d["replication"] == "1"]
    assert [d["day"] for d in dostyk] == [str(float(k)) for k in range(60)]
    assert dostyk[9]["date"] == "2020-02-29" and dostyk[10]["date"] == "2020-03-01"
    assert all(d["date"] == _date_of(d["day"]) for d in days)


def test_marey_file_dates_agree_with_its_days_and_its_window(dated_run: Path) -> None:
    stops = _rows(dated_run / "marey.csv")
    assert stops
    for s in stops:
        assert s["arrive_date"] == _date_of(s["arrive_day"]) and s["depart_date"] == _date_of(s["depart_day"])
    first: dict[tuple[str, str], float] = {}
    for s in stops:
        key = (s["route"], s["trip"])
        first[key] = min(first.get(key, math.inf), float(s["arrive_day"]))
    assert all(0.0 <= day < 28.0 for day in first.values())


def test_an_undated_run_leaves_the_date_columns_empty(tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert main(["run", str(write(tmp_path, NETWORK)), "--out", str(out), "--no-plot", "-q", "-n", "1"]) == 0
    monthly = _rows(out / "nodes_by_month.csv")
    assert {m["month"] for m in monthly} == {"Y1-01", "Y1-02", "Y1-03"}
    assert {m["start_date"] for m in monthly} == {""}
    assert {w["start_date"] for w in _rows(out / "route_weeks.csv")} == {""}
    assert {d["date"] for d in _rows(out / "node_days.csv")} == {""}


# ---------------------------------------------------------------------------------------
# The Marey window


def test_marey_stops_are_exactly_the_trips_that_begin_in_the_window() -> None:
    scenario = build(NETWORK)
    result = run_replication(scenario, 5, 0)
    s = scenario.settings
    index = list(scenario.routes).index("overland")
    # Brute force: every logged visit of the route, the trips whose first arrival (in
    # calendar days) is in [0, 10).
    first: dict[int, float] = {}
    visits = 0
    for node in dict.fromkeys(scenario.routes["overland"].path):
        log = result.nodes[node]
        for trip, arrive, route in zip(log.trip.tolist(), log.arrive.tolist(), log.route.tolist()):
            if route == index:
                first[trip] = min(first.get(trip, math.inf), arrive - s.warmup_days)
    expected = {t for t, day in first.items() if 0.0 <= day < 10.0}
    assert expected and len(expected) < len(first)
    stops = marey_stops(scenario, result, "overland", (0.0, 10.0))
    assert {v.trip for v in stops} == expected
    for node in dict.fromkeys(scenario.routes["overland"].path):
        log = result.nodes[node]
        visits += int(np.isin(log.trip[log.route == index], list(expected)).sum())
    assert len(stops) == visits  # every stop of those trips, to the end of the trip


# ---------------------------------------------------------------------------------------
# Figure axes


def _ticks(calendar: Calendar | None, length: float) -> tuple[list[float], list[str], str]:
    ax = Figure().subplots()
    calendar_axis(ax, calendar, length)
    return list(ax.get_xticks()), [t.get_text() for t in ax.get_xticklabels()], ax.get_xlabel()


def test_month_ticks_follow_the_calendar() -> None:
    ticks, labels, xlabel = _ticks(Calendar(D(2020, 1, 1)), 365)
    assert labels[:3] == ["Jan", "Feb", "Mar"] and ticks[:3] == [0, 31, 60] and xlabel == "2020 (date)"
    ticks, labels, _ = _ticks(Calendar(D(2019, 1, 1)), 365)
    assert ticks[2] == 59 and labels[-1] == "Jan" and ticks[-1] == 365  # 1 January 2020 at the edge
    ticks, labels, xlabel = _ticks(Calendar(D(2020, 7, 1)), 200)
    assert labels == ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan"] and ticks[-1] == 184
    assert xlabel == "2020–2021 (date)"
    ticks, labels, xlabel = _ticks(Calendar(None), 365)
    assert ticks[2] == 59 and labels[2] == "Mar" and xlabel == "month of the measured year"
    _, _, xlabel = _ticks(Calendar(D(2020, 7, 1)), 28)
    assert xlabel == "time (days since 1 July 2020)"
    _, _, xlabel = _ticks(None, 365)
    assert xlabel == "time (days since the start of each run's measured window)"
