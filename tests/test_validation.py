"""Validation against the article: the pass/fail rule, what the border_volume measure counts
at the border nodes (transit vs bilateral, TEU vs tonnes, January–August), and the README
block rewriting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios_for_tests import build, write
from sim.engine.simulation import run_replication
from sim.model.claims import Claim, Measure, load_claims
from sim.model.errors import UsageError
from sim.model.documents import BUNDLED_DIR
from sim.readme import replace_blocks
from sim.report.tables import markdown_table
from sim.analysis.validation import Arm, Runs, border_volume, evaluate, growth_percent, selected_routes

CLAIMS = load_claims(BUNDLED_DIR / "china_europe.claims.toml").claims
CLAIM = {c.id: c for c in CLAIMS}

# border_volume over the two crossings: transit TEU, all tonnes, all TEU (January-August).
BORDER_CLAIMS = """\
[scenarios]
current = "borders.toml"

[regions]
kazakhstan = ["KZ"]

[groups.crossings]
nodes = ["dostyk", "altynkol"]
""" + "".join(f"""
[[claims]]
id = "{cid}"
text = "{cid}"
article = "-"
unit = "-"
band = {{ low = 0.0 }}
tolerance = "-"
justification = "-"
sources = []
measure = {{ name = "border_volume", nodes = "crossings", quantity = "{q}", months = [1, 8]{extra} }}
""" for cid, q, extra in (("transit_teu", "teu", ', ends_outside = "kazakhstan"'), ("tonnes", "tonnes", ""),
                          ("teu", "teu", "")))


@pytest.fixture(scope="module")
def border_claims(tmp_path_factory):
    return load_claims(write(tmp_path_factory.mktemp("claims"), BORDER_CLAIMS, "borders.claims.toml"))


def _volume(claims, scenario, result, claim_id: str) -> float:
    """The border_volume measure of a claim of BORDER_CLAIMS in one replication."""
    runs = Runs(claims, Arm.of(scenario, [result]))
    return float(border_volume(runs, runs.current, claims.claim(claim_id).measure)[0])


def _transit_routes(claims, scenario) -> list[str]:
    runs = Runs(claims, Arm(scenario, [], None))  # type: ignore[arg-type]
    picked = selected_routes(runs, scenario, claims.claim("transit_teu").measure)
    return [list(scenario.routes)[i] for i in picked]

# Xi'an -> Dostyk -> Duisburg is transit through Kazakhstan; Almaty -> Altynkol -> Xi'an
# (bulk wagons) and Xi'an -> Altynkol -> Almaty (containers) are bilateral.  One container
# (2 TEU, 10 t a TEU) a day on each container route, 3 wagons of 60 t a day, all evenly.
BORDERS = """\
[run]
name = "borders"
year = 2020
warmup_days = 10
horizon_days = 375
cooldown_days = 20

[[nodes]]
id = "xian"
country = "CN"

[[nodes]]
id = "almaty"
country = "KZ"

[[nodes]]
id = "duisburg"
country = "DE"

[[nodes]]
id = "dostyk"
country = "CN/KZ"
kind = "border"
servers = 2
handling_hours = { train = 6 }

[[nodes]]
id = "altynkol"
country = "CN/KZ"
kind = "border"
servers = 1
handling_hours = { train = 4 }

[[legs]]
id = "l1"
from = "xian"
to = "dostyk"
mode = "rail"
distance_km = 900
speed_km_per_day = 900

[[legs]]
id = "l2"
from = "dostyk"
to = "duisburg"
mode = "rail"
distance_km = 6000
speed_km_per_day = 1000

[[legs]]
id = "l3"
from = "xian"
to = "altynkol"
mode = "rail"
distance_km = 900
speed_km_per_day = 900

[[legs]]
id = "l4"
from = "altynkol"
to = "almaty"
mode = "rail"
distance_km = 400
speed_km_per_day = 800

[[services]]
id = "t_transit"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7 }

[[services]]
id = "t_bulk"
vehicle = "train"
capacity_wagons = 50
schedule = { departures_per_week = 7 }

[[services]]
id = "t_bilateral"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7 }

[[routes]]
id = "transit"
path = ["xian", "dostyk", "duisburg"]
services = "t_transit"
[routes.demand]
teu_per_year = 730
tonnes_per_teu = 10
arrivals = "even"

[[routes]]
id = "ore"
path = ["almaty", "altynkol", "xian"]
services = "t_bulk"
[routes.demand]
tonnes_per_year = 65700
wagon_tonnes = 60
arrivals = "even"

[[routes]]
id = "goods"
path = ["xian", "altynkol", "almaty"]
services = "t_bilateral"
[routes.demand]
teu_per_year = 730
tonnes_per_teu = 10
arrivals = "even"
"""

JAN_AUG_DAYS = 244  # 1 January to 31 August 2020, a leap year: 31+29+31+30+31+30+31+31
PER_DAY = 365 / 366  # 730 TEU (365 containers) in the 366 days of 2020: a little under one a day


def test_a_claim_passes_only_with_its_mean_inside_the_band() -> None:
    a = CLAIM["a"]
    assert evaluate(a, [14.4, 14.6]).passed
    assert not evaluate(a, [13.8, 13.9]).passed  # below 14 days
    assert not evaluate(a, [15.2, 15.4]).passed  # above 15 days
    # The mean decides, not single replications: 13.9 and 15.05 average 14.475.
    assert evaluate(a, [13.9, 15.05]).passed
    assert not evaluate(a, [math.nan]).passed
    e2 = CLAIM["e2"]
    assert evaluate(e2, [-0.3, 0.2]).passed and not evaluate(e2, [1.5, 2.5]).passed
    e1 = CLAIM["e1"]
    assert evaluate(e1, [0.97]).passed and not evaluate(e1, [1.0]).passed


def test_outcome_carries_the_ci_of_the_replications() -> None:
    outcome = evaluate(CLAIM["b"], [2.4, 2.6, 2.5])
    assert outcome.mean == pytest.approx(2.5)
    lo, hi = outcome.ci95
    # t(0.975, 2) * sd / sqrt(3) = 4.303 * 0.1 / 1.732
    assert hi - outcome.mean == pytest.approx(4.302653 * 0.1 / math.sqrt(3), rel=1e-5)
    assert lo < 2.5 < hi


def test_every_claim_band_holds_the_articles_value() -> None:
    for claim in CLAIMS:
        if claim.article_value is not None:
            assert claim.low <= claim.article_value <= claim.high, claim.id


def test_growth_is_relative_and_undefined_from_nothing() -> None:
    assert growth_percent(152.0, 100.0) == pytest.approx(52.0)
    assert math.isnan(growth_percent(5.0, 0.0))


def test_transit_is_told_from_bilateral_by_the_countries_of_the_route_ends(border_claims) -> None:
    scenario = build(BORDERS)
    assert _transit_routes(border_claims, scenario) == ["transit"]


def test_border_counts_are_what_the_trains_carried_across_in_january_to_august(border_claims) -> None:
    scenario = build(BORDERS)
    result = run_replication(scenario, seed=4, replication=0)
    transit_teu = _volume(border_claims, scenario, result, "transit_teu")
    # One 2-TEU container a day (365 in 2020's 366 days), on a daily train: January-August
    # is 244 days, give or take the train that straddles each end of the period.
    assert abs(transit_teu - 2 * PER_DAY * JAN_AUG_DAYS) <= 2 * 2
    tonnes = _volume(border_claims, scenario, result, "tonnes")
    # Transit 20 t a day, bilateral containers 20 t a day, ore 3 wagons of 60 t a day
    # (each a yearly volume spread over the 366 days of 2020).
    expected = (20 + 20 + 180) * PER_DAY * JAN_AUG_DAYS
    assert abs(tonnes - expected) <= 2 * (20 + 20 + 180)
    # All TEU across the borders (transit and bilateral) exceed the transit TEU alone.
    assert _volume(border_claims, scenario, result, "teu") == pytest.approx(2 * transit_teu, abs=8)


def test_validation_needs_the_country_of_each_route_end(border_claims) -> None:
    def no_country(doc: dict) -> None:
        del doc["nodes"][0]["country"]

    scenario = build(BORDERS, no_country)
    with pytest.raises(UsageError, match="node 'xian' has no country"):
        _transit_routes(border_claims, scenario)


def test_a_claim_outside_its_band_fails_in_the_report() -> None:
    claim = Claim("z", "a test claim", "10", "days", 9.0, 11.0, "±10%", "test", Measure("backlog_rise", {}, "z"))
    outcome = evaluate(claim, [12.0, 12.5])
    assert not outcome.passed and outcome.mean == pytest.approx(12.25)


def test_readme_blocks_are_replaced_between_their_markers_only() -> None:
    text = "intro\n<!-- BEGIN t -->\nold table\n<!-- END t -->\noutro\n"
    table = markdown_table(("a", "b"), [("1", "x|y")], (True, False))
    out = replace_blocks(text, {"t": table})
    assert out == "intro\n<!-- BEGIN t -->\n| a | b |\n| ---: | --- |\n| 1 | x\\|y |\n<!-- END t -->\noutro\n"
    assert replace_blocks(out, {"t": table}) == out
    with pytest.raises(ValueError, match="no '<!-- BEGIN missing -->'"):
        replace_blocks(text, {"missing": "x"})


def test_transit_counts_ignore_trains_that_did_not_cross_in_the_period(border_claims) -> None:
    scenario = build(BORDERS)
    result = run_replication(scenario, seed=4, replication=0)
    log = result.nodes["dostyk"]
    # Visits in the warm-up (before day 10) exist but are not counted.
    assert (log.end < scenario.settings.warmup_days).any()
    window = (log.end >= 10) & (log.end < 10 + JAN_AUG_DAYS) & log.counted
    assert _volume(border_claims, scenario, result, "transit_teu") == log.teu[window].sum()
    assert np.all(log.route[window] == 0)
