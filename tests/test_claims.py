"""Claims files: the bundled one, the errors of a malformed one (one line: file, key path,
what is wrong), `validate` over a small claims file checked by hand against the ledgers,
and the one sea/rail ratio function against a hand calculation."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import sim
from scenarios_for_tests import NETWORK, NETWORK_CLAIMS, entry, raw, write
from sim.analysis.groups import group_mean_transit, transit_ratio
from sim.analysis.statistics import cohort, train_index
from sim.analysis.validation import MEASURES
from sim.cli import main
from sim.model.claims import MEASURE_PARAMS, check_against, load_claims
from sim.model.errors import ScenarioError
from sim.model.loader import load_scenario
from sim.model.documents import BUNDLED_DIR, bundled_names

BUNDLED_CLAIMS = BUNDLED_DIR / "china_europe.claims.toml"


def _study(folder: Path, claims: str | dict = NETWORK_CLAIMS, previous_edit: Callable[[dict], None] | None = None) -> Path:
    """NETWORK as current.toml, a variant as previous.toml and the claims file, in ``folder``."""
    write(folder, NETWORK, "current.toml")
    doc = raw(NETWORK)
    entry(doc, "routes", "overland")["demand"]["teu_per_year"] = 8000  # half the overland flow
    if previous_edit:
        previous_edit(doc)
    write(folder, doc, "previous.toml")
    return write(folder, claims, "study.claims.toml")


# ---------------------------------------------------------------------------------------
# The bundled claims file


def test_the_bundled_claims_file_holds_the_articles_claims_with_public_sources() -> None:
    claims = load_claims(BUNDLED_CLAIMS)
    assert [c.id for c in claims.claims] == ["a", "b", "c1", "c2", "d1", "d2", "e1", "e2", "f"]
    assert claims.band == (14.0, 15.0, "claim: 14–15 days overland")
    for claim in claims.claims:
        if claim.article_value is not None:
            assert claim.low <= claim.article_value <= claim.high, claim.id
        for source in claim.sources:
            assert source.url.startswith(("http://", "https://")) and source.publisher and source.title
        if claim.id[0] in "abcdf":  # the article's numbers: each band is justified by sources
            assert claim.sources, claim.id
    assert "../" not in claims.text  # nothing points outside the repository
    for role in ("current", "previous"):
        check_against(claims, load_scenario(f"china_europe_{2020 if role == 'current' else 2019}"), role)


def test_the_claims_file_is_not_listed_as_a_scenario() -> None:
    assert "china_europe.claims" not in bundled_names()


def test_the_measure_registry_and_the_claims_schema_name_the_same_measures() -> None:
    assert set(MEASURES) == set(MEASURE_PARAMS)


# ---------------------------------------------------------------------------------------
# Errors: one line naming the file and the key path


def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = tomllib.loads(NETWORK_CLAIMS)
    edit(doc)
    return doc


def _set_measure(**kw: Any) -> Callable[[dict], None]:
    return lambda d: d["claims"][0]["measure"].update(kw)


BROKEN = [
    (_set_measure(name="mean_transitt"), "claims[0].measure.name", "unknown measure 'mean_transitt'; did you mean 'mean_transit'?"),
    (lambda d: d["claims"][1].update(colour="red"), "claims[1].colour", "unknown key 'colour'"),
    (lambda d: d["claims"][0].update(band={"low": 20.0, "high": 10.0}), "claims[0].band", "low (20) must be below high (10)"),
    (lambda d: d["claims"][0].update(band={"low": "14"}), "claims[0].band.low", "must be a number"),
    (_set_measure(group="rial"), "claims[0].measure.group", "unknown group 'rial'; did you mean 'rail'?"),
    (_set_measure(group="origin"), "claims[0].measure.group", "group 'origin' has no routes"),
    (lambda d: d["claims"][2]["measure"].update(months=[3, 1]), "claims[2].measure.months", "must be [first, last]"),
    (lambda d: d.update(colour=1), "colour", "unknown key 'colour'"),
    (lambda d: d["regions"].update(europe=["Germany"]), "regions.europe", "not an ISO 3166 two-letter code"),
    (lambda d: d["figures"].update(ratio_claim="a"), "figures.ratio_claim", "must use the transit_ratio measure"),
    (lambda d: d["claims"][0]["sources"][0].update(url="example.org"), "claims[0].sources[0].url", "full http(s) URL"),
]


@pytest.mark.parametrize("edit, key, message", BROKEN, ids=[b[1] for b in BROKEN])
def test_a_malformed_claims_file_names_the_file_and_the_key(tmp_path: Path, edit, key: str, message: str) -> None:
    path = write(tmp_path, _edited(edit), "bad.claims.toml")
    with pytest.raises(ScenarioError) as caught:
        load_claims(path)
    err = caught.value
    assert err.path == str(path) and err.key == key and message in err.message
    assert str(err).startswith(f"{path}: {key}: ") and "\n" not in str(err)


def test_a_group_naming_a_route_the_scenario_lacks_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = _study(tmp_path, _edited(lambda d: d["groups"]["rail"].update(routes=["overlnd"])))
    with pytest.raises(ScenarioError) as caught:
        sim.validate(path, replications=1)
    err = caught.value
    assert err.path == str(path) and err.key == "groups.rail.routes[0]"
    assert "did you mean 'overland'?" in err.message and "current scenario 'network'" in err.message


def test_a_missing_scenario_of_the_claims_file_names_its_key(tmp_path: Path) -> None:
    path = _study(tmp_path, _edited(lambda d: d["scenarios"].update(previous="nowhere.toml")))
    with pytest.raises(ScenarioError) as caught:
        sim.validate(path, replications=1)
    assert caught.value.key == "scenarios.previous" and "nowhere.toml" in caught.value.message


def test_cli_refuses_a_malformed_claims_file_with_exit_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = _study(tmp_path, _edited(_set_measure(name="median_transit")))
    out = tmp_path / "out"
    assert main(["validate", str(path), "-n", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path}: claims[0].measure.name: unknown measure 'median_transit'" in err
    assert not out.exists()


def test_a_scenario_naming_a_missing_claims_file_is_refused(tmp_path: Path) -> None:
    doc = raw(NETWORK)
    doc["run"]["claims"] = "nowhere.claims.toml"
    path = write(tmp_path, doc)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    assert caught.value.key == "run.claims" and caught.value.path == str(path)


# ---------------------------------------------------------------------------------------
# validate over a small claims file, by hand from the ledgers


def _transit(result, scenario, rid: str) -> np.ndarray:
    s = scenario.settings
    c = cohort(result.ledgers[rid], s.warmup_days, s.horizon_days)
    done = ~np.isnan(c.delivered)
    return c.delivered[done] - c.created[done]


def _border_teu(result, scenario) -> float:
    """TEU by train out of xian with the visit ending in January-February (days 20 to 79)."""
    log = result.nodes["xian"]
    start = scenario.settings.warmup_days
    inside = (log.end >= start) & (log.end < start + 31 + 28) & log.counted & (log.vehicle == train_index(result))
    return float(log.teu[inside].sum())


def _utilization(result, scenario) -> float:
    s = scenario.settings
    log = result.nodes["dostyk"]
    busy = np.clip(np.minimum(log.end, s.horizon_days) - np.maximum(log.start, s.warmup_days), 0, None).sum()
    return float(busy / (scenario.nodes["dostyk"].servers * (s.horizon_days - s.warmup_days)))


def test_validate_measures_each_claim_as_computed_by_hand(tmp_path: Path) -> None:
    path = _study(tmp_path)
    check = sim.validate(path, replications=3, seed=11)
    report = check.report
    current, previous = check.runs.current, check.runs.previous
    assert report["scenarios"] == {"current": "network", "previous": "network"} and report["seed"] == 11
    scn, prev = current.scenario, previous.scenario
    got = {c["id"]: c["simulated"]["mean"] for c in report["claims"]}
    rail = [_transit(r, scn, "overland").mean() for r in current.results]
    sea = [_transit(r, scn, "sea").mean() for r in current.results]
    assert got["a"] == pytest.approx(np.mean(rail), rel=1e-12)
    assert got["b"] == pytest.approx(np.mean([s / r for s, r in zip(sea, rail)]), rel=1e-12)
    teu = [_border_teu(r, scn) for r in current.results]
    before = [_border_teu(r, prev) for r in previous.results]
    assert teu[0] > 0 and got["c"] == pytest.approx(np.mean(teu))
    # Paired by replication: the growth of each pair, then the mean.
    assert got["d"] == pytest.approx(np.mean([100 * (a / b - 1) for a, b in zip(teu, before)]))
    assert got["d"] > 0  # the previous scenario carried half the overland flow
    assert got["e"] == pytest.approx(np.mean([_utilization(r, scn) for r in current.results]))
    assert math.isfinite(got["f"])
    assert check.passed == all(c["passed"] for c in report["claims"])
    assert report["claims"][0]["sources"][0]["url"] == "https://example.org/a"
    # Same seed, same report.
    again = sim.validate(path, replications=3, seed=11)
    assert json.dumps(again.report, sort_keys=True) == json.dumps(report, sort_keys=True)


def test_validate_writes_validation_json_and_the_cli_prints_the_claims(tmp_path: Path, capsys) -> None:
    path = _study(tmp_path)
    out = tmp_path / "out"
    code = main(["validate", str(path), "-n", "2", "--no-plot", "--out", str(out)])
    printed = capsys.readouterr().out
    report = json.loads((out / "validation.json").read_text())
    assert code == (0 if report["passed"] else 1)
    assert report["claims_file"] == str(path) and report["counted_at"] == ["xian"]
    assert "overland mean transit" in printed and "network vs network" in printed


def test_a_claims_file_with_only_a_current_scenario_runs_it_alone(tmp_path: Path) -> None:
    def current_only(d: dict) -> None:
        del d["scenarios"]["previous"]
        d["claims"] = [c for c in d["claims"] if c["measure"]["name"] != "growth"]

    check = sim.validate(_study(tmp_path, _edited(current_only)), replications=1)
    assert check.runs.previous is None and check.report["scenarios"]["previous"] is None


def test_growth_needs_a_previous_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, _edited(lambda d: d["scenarios"].pop("previous")), "x.claims.toml")
    with pytest.raises(ScenarioError, match="needs scenarios.previous") as caught:
        load_claims(path)
    assert caught.value.key == "claims[3].measure.of"


# ---------------------------------------------------------------------------------------
# The one ratio function


class _Table:
    """A stand-in for MetricsTable: per-replication values by (route, metric)."""

    def __init__(self, values: dict[tuple[str, str], list[float]]) -> None:
        self.data = values

    def values(self, kind: str, entity: str, name: str) -> np.ndarray:
        assert kind == "route"
        return np.asarray(self.data[(entity, name)], dtype=np.float64)


def test_the_ratio_is_the_pooled_sea_mean_over_the_pooled_rail_mean_per_replication() -> None:
    table = _Table({
        ("r1", "transit_days"): [14.0, 15.0], ("r1", "containers_counted"): [100, 50],
        ("r2", "transit_days"): [16.0, math.nan], ("r2", "containers_counted"): [300, 0],
        ("s", "transit_days"): [36.0, 40.0], ("s", "containers_counted"): [10, 20],
    })
    # Replication 0: rail (14*100 + 16*300) / 400 = 15.5; replication 1: r2 delivered nothing,
    # so rail is r1's 15.0.  Sea is one route.
    assert group_mean_transit(table, ["r1", "r2"]).tolist() == [15.5, 15.0]
    assert transit_ratio(table, ["s"], ["r1", "r2"]) == pytest.approx([36.0 / 15.5, 40.0 / 15.0])
    empty = _Table({("x", "transit_days"): [math.nan], ("x", "containers_counted"): [0],
                    ("s", "transit_days"): [30.0], ("s", "containers_counted"): [5]})
    assert np.isnan(transit_ratio(empty, ["s"], ["x"])).all()


def test_a_scenarios_claims_file_is_copied_into_its_results_and_read_back(tmp_path: Path) -> None:
    claims = _study(tmp_path)
    doc = raw(NETWORK)
    doc["run"]["claims"] = claims.name
    run = sim.run(write(tmp_path, doc, "with_claims.toml"), replications=1)
    out = run.write(tmp_path / "out", figures=False)
    assert (out / "claims.toml").read_text(encoding="utf-8") == NETWORK_CLAIMS
    # The resolved scenario.toml points at the copy, so the folder stands alone.
    assert tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))["run"]["claims"] == "claims.toml"
    again = load_scenario(str(out / "scenario.toml"))
    assert again.claims is not None and again.claims.band == (10.0, 20.0, "claim: 10–20 days overland")
    # A scenario without claims writes no claims.toml.
    plain = sim.run(write(tmp_path, NETWORK, "plain.toml"), replications=1)
    assert "claims.toml" not in plain.files()
