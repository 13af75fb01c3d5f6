"""Bad events in every way in: the one line names the option (--event, --set) or the API
argument (events[i]) that holds the mistake, the key path and what is wrong; exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.model.errors import ScenarioError

SCN = "china_europe_2021_disruptions"


def _err(capsys, argv: list[str], tmp_path: Path) -> str:
    out = tmp_path / "res"
    assert main(["run", SCN, "-n", "1", "--out", str(out), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_a_bad_id_in_event_names_the_option_not_the_scenario_file(capsys, tmp_path: Path) -> None:
    text = 'closure:nodes.suez:2021-03-23+6,id="bad id!"'
    err = _err(capsys, ["--event", text], tmp_path)
    assert err == (f"routesim: error: --event {text}: id: id 'bad id!' may hold only ASCII letters, digits, '_' and '-'\n")


def test_a_bad_id_added_with_set_names_the_set(capsys, tmp_path: Path) -> None:
    text = 'events+={ id = "-x", kind = "closure", target = "nodes.suez", start = 3 }'
    err = _err(capsys, ["--set", text], tmp_path)
    assert err == f"routesim: error: --set {text}: events.id: id '-x' may not begin with '-'\n"


@pytest.mark.parametrize("key", ["start", "end"])
def test_an_impossible_date_in_set_is_named_by_the_date_reader(capsys, tmp_path: Path, key: str) -> None:
    event = "ever_given" if key == "start" else "dostyk_covid_cut"
    err = _err(capsys, ["--set", f"events.{event}.{key}=2021-02-31"], tmp_path)
    assert err == (
        f"routesim: error: --set events.{event}.{key}=2021-02-31: events.{event}.{key}: "
        "'2021-02-31' is not a calendar date (day is out of range for month)\n"
    )


def test_an_impossible_start_date_in_set_too(capsys, tmp_path: Path) -> None:
    err = _err(capsys, ["--set", "run.start_date=2020-02-31"], tmp_path)
    assert "--set run.start_date=2020-02-31: run.start_date: '2020-02-31' is not a calendar date" in err


def _api_error(events) -> str:
    with pytest.raises(ScenarioError) as info:
        sim.load("china_europe_2020", events=events)
    return str(info.value)


def test_api_event_table_errors_name_the_argument_not_a_cli_flag() -> None:
    good = {"kind": "closure", "target": "nodes.suez", "start": 10, "duration_days": 3}
    msg = _api_error([good, {**good, "target": "nodes.nope"}])
    assert msg.startswith("events[1]: events.closure_nope.target: unknown node 'nope'")
    assert "--" not in msg
    msg = _api_error([{**good, "start": "2020-02-31"}])
    assert msg == "events[0]: events.closure_suez.start: '2020-02-31' is not a calendar date (day is out of range for month)"
    assert _api_error([{**good, "id": "bad id!"}]) == "events[0]: id: id 'bad id!' may hold only ASCII letters, digits, '_' and '-'"
    assert _api_error([5]) == "events[0]: an event is a compact text or a table, got an integer (5)"


def test_api_event_text_errors_name_the_argument_and_the_text() -> None:
    msg = _api_error(["closure:nodes.suez:10+3", "closure:nodes.nope:10+3"])
    assert msg.startswith("events[1] 'closure:nodes.nope:10+3': events.closure_nope.target: unknown node 'nope'")
    assert _api_error(["zz"]) == (
        "events[0] 'zz': expected KIND:TARGET:WHEN (e.g. closure:nodes.suez:2020-05-04+6), then ,KEY=VALUE pairs"
    )


def test_api_vary_events_errors_name_vary_events() -> None:
    with pytest.raises(ScenarioError) as info:
        sim.compare("china_europe_2020", replications=1, vary_events=["closure:nodes.nope:10+3"])
    assert str(info.value).startswith("vary_events[0] 'closure:nodes.nope:10+3': events.closure_nope.target")
