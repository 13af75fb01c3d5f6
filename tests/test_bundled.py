"""The bundled china_europe_2020 scenario through the CLI: the founding claim and its files,
and the 2019 scenario's promise to be the same network at other volumes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.report.page_figures import embedded_png
from figure_files import embedded_pngs, same_figure
from sim.cli import main
from sim.output.run_data import read_run
from sim.viz.figures import figure_builders
from sim.model.loader import load_scenario

WESTBOUND_RAIL = ("rail_xian_duisburg", "rail_chongqing_duisburg")
# The EU-bound "China-Europe-China" (CEC) flow through Kazakhstan, both directions.
CEC_RAIL = WESTBOUND_RAIL + ("rail_duisburg_xian", "rail_duisburg_chongqing", "sea_rail_busan_duisburg")
BORDERS = ("dostyk", "altynkol", "brest")


@pytest.fixture(scope="module")
def baseline(bundled_2020: Path) -> Path:
    return bundled_2020  # conftest.py: china_europe_2020 -n 2 --seed 3, run once per session


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_rail_in_14_to_15_days_and_sea_two_to_three_times_slower(baseline: Path) -> None:
    summary = summary_of(baseline)
    assert summary["scenario"] == "china_europe_2020"
    routes = summary["routes"]
    sea = routes["sea_shanghai_rotterdam"]
    assert sea["mode"] == "sea"
    for rid in WESTBOUND_RAIL:
        assert routes[rid]["mode"] == "rail"
        rail_mean = routes[rid]["transit_days"]["mean"]
        assert 14.0 <= rail_mean <= 15.0, (rid, rail_mean)
        assert 2.0 <= sea["transit_days"]["mean"] / rail_mean <= 3.0
    # EU-bound rail at the 2020 scale of 0.52-0.58 M TEU a year, both directions.
    cec_teu = sum(routes[rid]["throughput_teu_per_year"]["mean"] for rid in CEC_RAIL)
    assert 0.50e6 <= cec_teu <= 0.60e6
    # All rail transit through Kazakhstan (EU, Central Asia, Caspian, Iran): 876k TEU in 2020.
    scenario = load_scenario("china_europe_2020")
    transit = [
        rid for rid, r in scenario.routes.items()
        if set(r.path) & {"dostyk", "altynkol"}
        and "KZ" not in {scenario.nodes[r.path[0]].country, scenario.nodes[r.path[-1]].country}
    ]
    assert set(CEC_RAIL) < set(transit)
    transit_teu = sum(routes[rid]["throughput_teu_per_year"]["mean"] for rid in transit)
    assert 0.80e6 <= transit_teu <= 0.95e6
    # The gauge-change borders carry real load, and no node with servers is saturated.
    for nid in BORDERS:
        assert 0.3 < summary["nodes"][nid]["utilization"] < 0.95, nid
    for nid, node in scenario.nodes.items():
        if node.servers:
            assert summary["nodes"][nid]["utilization"] < 0.95, nid


@pytest.mark.slow
def test_bundled_run_files_hold_what_they_promise(baseline: Path) -> None:
    summary = summary_of(baseline)
    table = pd.read_csv(baseline / "containers.csv.gz", usecols=["route", "replication", "transit_days"],
                        dtype={"route": "category"})
    assert set(table["route"]) == set(summary["routes"])
    assert set(table["replication"]) == {0, 1}
    medians = table.groupby("route", observed=True)["transit_days"].median()
    for rid, r in summary["routes"].items():
        assert medians[rid] == pytest.approx(r["transit_days"]["p50"], abs=1e-3)
    nodes = pd.read_csv(baseline / "nodes.csv")
    assert set(nodes["node"]) == set(summary["nodes"])
    assert "[[nodes]]" in (baseline / "scenario.toml").read_text(encoding="utf-8")
    # The figure file is the figure of this folder's data (drawing is reproducible), and
    # report.html embeds exactly that file.
    png = (baseline / "transit_times.png").read_bytes()
    assert same_figure(png, figure_builders([read_run(baseline)])["transit_times"]())
    assert embedded_png(png) in embedded_pngs((baseline / "report.html").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_slower_kazakh_rail_lengthens_rail_transit_only(baseline: Path, tmp_path: Path) -> None:
    out = tmp_path / "slow"
    args = ["run", "china_europe_2020", "-n", "2", "--seed", "3", "--out", str(out), "-q", "--no-plot",
            "--set", "legs.kz_rail.speed_km_per_day=400"]
    assert main(args) == 0
    before, after = summary_of(baseline)["routes"], summary_of(out)["routes"]
    # Dostyk-Mointy, 836 km, at a fixed 400 km/d instead of N(800, 80): 836/400 - 836 E[1/v]
    # with E[1/v] ~ (1 + 0.1^2)/800, about 1.04 days more on the routes that use it.
    expected = 836 / 400 - 836 * (1 + 0.1**2) / 800
    for rid in ("rail_xian_duisburg", "rail_duisburg_xian"):
        delta = after[rid]["transit_days"]["mean"] - before[rid]["transit_days"]["mean"]
        assert delta == pytest.approx(expected, abs=0.15), rid
    for rid in ("rail_chongqing_duisburg", "rail_duisburg_chongqing"):
        # Via Altynkol: not on the slowed leg. Only the queues they share further west with
        # the slowed trains move them, by a tenth of the slowed routes' change or less.
        assert after[rid]["transit_days"]["mean"] == pytest.approx(before[rid]["transit_days"]["mean"], abs=0.15)
    sea = "sea_shanghai_rotterdam"
    assert after[sea]["transit_days"]["mean"] == pytest.approx(before[sea]["transit_days"]["mean"], rel=1e-12)


def test_the_2019_scenario_is_the_2020_network_at_lower_volumes() -> None:
    before, now = load_scenario("china_europe_2019"), load_scenario("china_europe_2020")
    assert (before.settings.year, now.settings.year) == (2019, 2020)
    assert set(before.nodes) == set(now.nodes) and set(before.legs) == set(now.legs)
    assert set(before.services) == set(now.services)
    for rid, route in now.routes.items():
        assert before.routes[rid].path == route.path, rid
    assert set(before.routes) == set(now.routes)
    for node in now.nodes.values():
        assert node.country, node.id  # validation tells transit from bilateral by country
    # Rail container transit through KZ grew +32% (664k -> 876k TEU) and KZ-China tonnage
    # (all trains) from 17.6 Mt to ~21 Mt.
    def kz_rail(scenario, what):
        return sum(
            getattr(r.demand, what) for r in scenario.routes.values()
            if set(r.path) & {"dostyk", "altynkol"}
            and (what == "tonnes_per_year" or "KZ" not in {scenario.nodes[r.path[0]].country, scenario.nodes[r.path[-1]].country})
        )
    assert kz_rail(before, "teu_per_year") == pytest.approx(664_000, rel=0.01)
    assert kz_rail(now, "teu_per_year") == pytest.approx(876_000, rel=0.01)
    assert kz_rail(before, "tonnes_per_year") == pytest.approx(17.556e6, rel=0.01)
    assert 20e6 <= kz_rail(now, "tonnes_per_year") <= 23e6


@pytest.mark.slow
def test_the_2020_report_finds_its_way_and_stays_light(baseline: Path) -> None:
    """report.html of the bundled 2020 run: a table of contents linking every section and
    figure, sections that fold, each figure embedded once as a thumbnail that opens full
    size, and the whole page self-contained under 1.5 MB."""
    page = (baseline / "report.html").read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) < 1_500_000
    toc = re.search(r'<nav class="toc">(.*?)</nav>', page, re.S).group(1)
    anchors = re.findall(r'href="#([^"]+)"', toc)
    for section in ("results", "figures", "parameters", "reproduce"):
        assert section in anchors and f'<section id="{section}"><details' in page
    figures = embedded_pngs(page)
    assert len(figures) == len(list(baseline.glob("*.png")))  # each once, no second full-size copy
    for anchor in (a for a in anchors if a.startswith("fig-")):
        assert f'<figure class="thumb" id="{anchor}"><a class="close"' in page and f'href="#{anchor}"' in page
    assert "<script" not in page and "http-equiv" not in page
