"""The route map: drawn from shipped data, sea legs along sea lanes, widths by volume.

These look at the figure's artists, not at pixels.
"""

from __future__ import annotations

import dataclasses
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scenarios_for_tests import NETWORK, build
from sim.viz.colours import route_colours
from sim.model.loader import load_scenario
from sim.viz.routemap import ATTRIBUTION, MIN_WIDTH, country_rings, line_width, route_map_figure


@pytest.fixture(scope="module")
def europe_2020():
    scenario = load_scenario("china_europe_2020")
    teu = {rid: r.demand.teu_per_year for rid, r in scenario.routes.items()}
    fig = route_map_figure([("2020", scenario, teu)], route_colours(scenario.routes), "China–Europe map")
    yield scenario, teu, fig
    plt.close(fig)


def _route_lines(fig, panel=0):
    return {line.get_gid(): line for line in fig.axes[panel].get_lines() if line.get_gid()}


def _points(line):
    xy = np.column_stack((np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)))
    return xy[~np.isnan(xy).any(axis=1)]


def test_shipped_land_data_covers_the_world():
    rings = country_rings()
    assert len(rings) > 200
    lons = np.concatenate([np.array(r)[:, 0] for r in rings])
    lats = np.concatenate([np.array(r)[:, 1] for r in rings])
    assert lons.min() < -170 and lons.max() > 170 and lats.min() < -80


def test_title_axis_labels_and_attribution(europe_2020):
    _, _, fig = europe_2020
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "China–Europe map"
    assert ax.get_title(loc="left") == "2020"
    assert ax.get_xlabel() == "longitude (°E)" and ax.get_ylabel() == "latitude (°N)"
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Natural Earth" in texts and "public domain" in texts and ATTRIBUTION.split(".")[0] in texts
    assert "drawn nested" in texts  # the half-width rule is stated on the map


def test_one_line_per_route_identified_by_route_id(europe_2020):
    scenario, _, fig = europe_2020
    gids = [line.get_gid() for line in fig.axes[0].get_lines()]
    for rid in scenario.routes:
        assert gids.count(rid) == 1, rid
    air = _route_lines(fig)["air_shanghai_frankfurt"]
    assert air.get_linestyle() not in ("-", "solid")  # air legs dashed


def test_widths_follow_volume_and_thickest_is_drawn_first():
    scenario = load_scenario("china_europe_2020")
    # Volumes 30 % apart: no two routes tie, so width order must be volume order.
    teu = {rid: 1000 * 1.3**i for i, rid in enumerate(scenario.routes)}
    zero = next(iter(scenario.routes))
    teu[zero] = 0.0
    fig = route_map_figure([("x", scenario, teu)], route_colours(scenario.routes), "m")
    lines = _route_lines(fig)
    by_volume = sorted(scenario.routes, key=lambda rid: teu[rid])
    widths = [lines[rid].get_linewidth() for rid in by_volume]
    assert all(a < b for a, b in zip(widths, widths[1:]))
    assert lines[by_volume[-1]].get_linewidth() == pytest.approx(line_width(max(teu.values()), max(teu.values())))
    assert lines[zero].get_linewidth() == pytest.approx(MIN_WIDTH)
    zorders = [lines[rid].get_zorder() for rid in by_volume]
    assert all(a > b for a, b in zip(zorders, zorders[1:]))  # thinner lines on top
    plt.close(fig)


def test_equal_routes_sharing_legs_stay_visible(europe_2020):
    _, teu, fig = europe_2020
    lines = _route_lines(fig)
    assert teu["sea_shanghai_rotterdam"] == teu["sea_shanghai_rotterdam_cape"]
    suez, cape = lines["sea_shanghai_rotterdam"], lines["sea_shanghai_rotterdam_cape"]
    assert cape.get_linewidth() == pytest.approx(suez.get_linewidth() / 2)
    assert cape.get_zorder() > suez.get_zorder()
    # A clearly bigger route is still drawn wider than a clearly smaller one.
    assert lines["rail_duisburg_xian"].get_linewidth() > lines["kti_xian_tehran"].get_linewidth()


def test_suez_route_goes_through_suez_and_the_cape_route_round_africa(europe_2020):
    _, _, fig = europe_2020
    lines = _route_lines(fig)
    suez = _points(lines["sea_shanghai_rotterdam"])
    assert np.any((np.abs(suez[:, 0] - 32.5) < 1.0) & (np.abs(suez[:, 1] - 30.0) < 1.0))  # Suez canal
    assert np.any((np.abs(suez[:, 0] - 43.4) < 1.5) & (np.abs(suez[:, 1] - 12.6) < 1.5))  # Bab-el-Mandeb
    assert np.any((np.abs(suez[:, 0] + 5.6) < 1.5) & (np.abs(suez[:, 1] - 36.0) < 1.0))  # Gibraltar
    assert suez[:, 1].min() > -12  # never south of the Equator's neighbourhood
    cape = _points(lines["sea_shanghai_rotterdam_cape"])
    assert cape[:, 1].min() < -30
    assert not np.any((np.abs(cape[:, 0] - 32.5) < 3) & (np.abs(cape[:, 1] - 30.0) < 3))


def test_node_labels_do_not_overlap(europe_2020):
    _, _, fig = europe_2020
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text() and "coordinates" not in t.get_text()]
    assert {"Brest", "Alashankou", "Khorgos", "Duisburg", "Shanghai"} <= {t.get_text() for t in labels}
    boxes = [t.get_window_extent(renderer) for t in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_scenario_without_coordinates_still_draws_and_says_so():
    scenario = build(NETWORK)
    fig = route_map_figure([("net", scenario, {"overland": 16000, "sea": 7000})], route_colours(scenario.routes), "m")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("no coordinates for 5 of 5 nodes" in n for n in notes)
    fig.canvas.draw()
    plt.close(fig)


def test_some_nodes_without_coordinates():
    scenario = load_scenario("china_europe_2020")
    nodes = dict(scenario.nodes)
    for nid in ("suez", "mointy"):
        nodes[nid] = dataclasses.replace(nodes[nid], lon=None, lat=None)
    partial = dataclasses.replace(scenario, nodes=nodes)
    fig = route_map_figure([("p", partial, {})], route_colours(partial.routes), "m")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any(f"no coordinates for 2 of {len(nodes)} nodes" in n for n in notes)
    assert "sea_shanghai_rotterdam" in _route_lines(fig)
    fig.canvas.draw()
    plt.close(fig)


def test_comparison_has_one_panel_per_scenario_on_the_same_extent():
    a, b = load_scenario("china_europe_2019"), load_scenario("china_europe_2020")
    fig = route_map_figure(
        [("2019", a, {}), ("2020", b, {})], route_colours(a.routes), "maps"
    )
    first, second = fig.axes[:2]
    assert first.get_title(loc="left") == "2019" and second.get_title(loc="left") == "2020"
    assert first.get_xlim() == second.get_xlim() and first.get_ylim() == second.get_ylim()
    assert first.get_aspect() == second.get_aspect() > 1
    plt.close(fig)


def test_a_sea_lane_can_be_kept_out_of_suez():
    from sim.viz.routemap import sea_lane

    singapore, rotterdam = (103.8, 1.26), (4.05, 51.95)
    assert np.array(sea_lane(singapore, rotterdam))[:, 1].min() > -12
    assert np.array(sea_lane(singapore, rotterdam, ("suez", "babalmandab")))[:, 1].min() < -30
