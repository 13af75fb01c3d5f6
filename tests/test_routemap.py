"""The route map: drawn from shipped data, sea legs along sea lanes, widths by volume."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scenarios_for_tests import NETWORK, build
from sim.colours import route_colours
from sim.loader import load_scenario
from sim.routemap import ATTRIBUTION, country_rings, line_width, route_map_figure


@pytest.fixture(scope="module")
def europe_2020():
    scenario = load_scenario("china_europe_2020")
    teu = {rid: r.demand.teu_per_year for rid, r in scenario.routes.items()}
    fig = route_map_figure([("2020", scenario, teu)], route_colours(scenario.routes), "map")
    yield scenario, teu, fig
    plt.close(fig)


def _route_lines(fig):
    return {line.get_gid(): line for line in fig.axes[0].get_lines() if line.get_gid()}


def test_shipped_land_data_covers_the_world():
    rings = country_rings()
    assert len(rings) > 200
    lons = np.concatenate([np.array(r)[:, 0] for r in rings])
    lats = np.concatenate([np.array(r)[:, 1] for r in rings])
    assert lons.min() < -170 and lons.max() > 170 and lats.min() < -80


def test_every_route_is_a_line_with_width_by_volume(europe_2020):
    scenario, teu, fig = europe_2020
    lines = _route_lines(fig)
    assert set(scenario.routes) <= set(lines)
    busiest = max(teu.values())
    xian = lines["rail_xian_duisburg"].get_linewidth()
    assert xian <= line_width(teu["rail_xian_duisburg"], busiest) + 1e-9
    # A corridor route outweighs a thin one it does not tie with.
    assert xian > lines["kti_xian_tehran"].get_linewidth()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "longitude (°E)" and ax.get_ylabel() == "latitude (°N)"
    assert any(ATTRIBUTION.split(".")[0] in t.get_text() for t in fig.texts)


def test_suez_route_goes_through_suez_and_the_cape_route_round_africa(europe_2020):
    _, _, fig = europe_2020
    lines = _route_lines(fig)
    suez = np.column_stack((lines["sea_shanghai_rotterdam"].get_xdata(), lines["sea_shanghai_rotterdam"].get_ydata()))
    suez = suez[~np.isnan(suez).any(axis=1)]
    assert np.any((np.abs(suez[:, 0] - 32.5) < 1.5) & (np.abs(suez[:, 1] - 30.0) < 2.5))  # Suez canal
    assert suez[:, 1].min() > -12  # never south of the Equator's neighbourhood
    cape = np.array(lines["sea_shanghai_rotterdam_cape"].get_ydata(), dtype=float)
    assert np.nanmin(cape) < -30


def test_scenario_without_coordinates_still_draws_and_says_so():
    scenario = build(NETWORK)
    fig = route_map_figure([("net", scenario, {"overland": 16000, "sea": 7000})], route_colours(scenario.routes), "m")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("no coordinates for 5 of 5 nodes" in n for n in notes)
    plt.close(fig)


def test_comparison_has_one_panel_per_scenario_on_the_same_extent():
    a, b = load_scenario("china_europe_2019"), load_scenario("china_europe_2020")
    fig = route_map_figure(
        [("2019", a, {}), ("2020", b, {})], route_colours(a.routes), "maps"
    )
    first, second = fig.axes[:2]
    assert first.get_title(loc="left") == "2019" and second.get_title(loc="left") == "2020"
    assert first.get_xlim() == second.get_xlim() and first.get_ylim() == second.get_ylim()
    plt.close(fig)
