"""The bundled corridor scenarios (2019 and 2020) end to end: every route runs and delivers,
border capacity matters, and `routesim validate` passes on them and fails when a claim is
pushed out of its band."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.engine.replications import run_experiment
from sim.model.loader import load_scenario
from sim.model.documents import bundled_names
from sim.model.overrides import parse_override
from sim.analysis.summary import summary_document as summarize

YEARS = ("china_europe_2019", "china_europe_2020")
RAIL_WESTBOUND = ("rail_xian_duisburg", "rail_chongqing_duisburg")


def test_both_years_are_bundled() -> None:
    assert set(YEARS) <= set(bundled_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", YEARS)
def test_every_route_of_each_scenario_delivers(name: str) -> None:
    scenario = load_scenario(name)
    summary = summarize(scenario, run_experiment(scenario, 1, scenario.settings.seed))
    modes = {r["mode"] for r in summary["routes"].values()}
    assert {"rail", "sea", "road", "air"} <= modes | {"multimodal"}, modes
    for rid, route in summary["routes"].items():
        assert route["containers_counted"] > 0, rid
        assert route["transit_days"]["mean"] > 0, rid
        delivered = route["throughput_tonnes_per_year" if route["cargo"] == "bulk" else "throughput_teu_per_year"]
        assert delivered["mean"] > 0, rid
    # Every node on a route that carried something counted it passing.
    for rid, route in scenario.routes.items():
        for node in route.path:
            through = summary["nodes"][node]
            assert through["teu_through"]["mean"] > 0 or through["tonnes_through"]["mean"] > 0, (rid, node)


def _halved(name: str) -> list:
    scenario = load_scenario(name)
    return [
        parse_override(f"nodes.{node}.servers={max(1, scenario.nodes[node].servers // 2)}")
        for node in ("dostyk", "altynkol")
    ]


@pytest.mark.slow
def test_halving_the_china_kazakhstan_border_capacity_lengthens_rail_transit() -> None:
    # 200 days (140 measured) show it as well as a year, at half the cost.
    short = [parse_override("run.horizon_days=200")]
    base = load_scenario("china_europe_2020", short)
    cut = load_scenario("china_europe_2020", short + _halved("china_europe_2020"))
    assert cut.nodes["dostyk"].servers < base.nodes["dostyk"].servers
    seed = base.settings.seed
    before = summarize(base, run_experiment(base, 2, seed))["routes"]
    after = summarize(cut, run_experiment(cut, 2, seed))["routes"]
    for rid in RAIL_WESTBOUND:
        # Same seed: common random numbers, so the difference is the capacity.
        assert after[rid]["transit_days"]["mean"] > before[rid]["transit_days"]["mean"] + 0.5, rid
    assert after["sea_shanghai_rotterdam"]["transit_days"]["mean"] == pytest.approx(
        before["sea_shanghai_rotterdam"]["transit_days"]["mean"]
    )


@pytest.mark.slow
def test_validate_passes_on_the_bundled_scenarios(tmp_path: Path, capsys) -> None:
    out = tmp_path / "validation"
    code = main(["validate", "-n", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    report = json.loads((out / "validation.json").read_text())
    failed = [c["id"] for c in report["claims"] if not c["passed"]]
    assert code == 0 and report["passed"], (failed, printed)
    assert [c["id"] for c in report["claims"]] == ["a", "b", "c1", "c2", "d1", "d2", "e1", "e2", "f"]
    # The figure is the one of the claims in validation.json (drawing is reproducible).
    from sim.viz.validation_figure import validation_png_writer

    redrawn = tmp_path / "redrawn.png"
    validation_png_writer(report)(redrawn)
    assert (out / "validation.png").read_bytes() == redrawn.read_bytes()
    for claim in report["claims"]:
        mean, (lo, hi) = claim["simulated"]["mean"], claim["simulated"]["ci95"]
        assert lo <= mean <= hi
        assert claim["justification"]
    assert "every claim passes" in printed and "FAIL" not in printed
    f = next(c for c in report["claims"] if c["id"] == "f")  # Kazakhstan's transit income, measured
    assert 0 < f["simulated"]["mean"] < 1.2  # a part of the reported US$1.2 bn, all transit cargo


@pytest.mark.slow
def test_validate_fails_and_exits_1_when_a_claim_leaves_its_band(tmp_path: Path, capsys) -> None:
    out = tmp_path / "validation"
    # Kazakh trains at a third of their speed: the northern rail claim (a) must fail.
    code = main(["validate", "-n", "1", "--no-plot", "--out", str(out), "--set", "legs.kz_rail.speed_km_per_day=300"])
    printed = capsys.readouterr().out
    report = json.loads((out / "validation.json").read_text())
    verdict = {c["id"]: c["passed"] for c in report["claims"]}
    assert code == 1 and not report["passed"]
    assert verdict["a"] is False
    assert report["overrides"] == ["legs.kz_rail.speed_km_per_day=300"]
    assert "SOME CLAIMS FAIL" in printed
    assert not (out / "validation.png").exists()


def test_validate_rejects_a_bad_set_with_exit_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "validation"
    code = main(["validate", "--out", str(out), "--set", "nodes.dostik.servers=2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "nodes.dostik" in err and "did you mean 'dostyk'" in err and "Traceback" not in err
    assert not out.exists()
