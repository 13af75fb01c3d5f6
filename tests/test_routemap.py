"""The route map: an overland panel and a world panel per scenario, routes coloured by
corridor, sea legs along sea lanes, widths by volume, node labels that never overlap.

These look at the figure's artists, not at pixels.
"""

from __future__ import annotations

import dataclasses
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scenarios_for_tests import NETWORK, build
from sim.model.loader import load_scenario
from sim.viz.maplabels import text_box
from sim.viz.corridors import CORRIDOR, CORRIDORS, corridor_of, is_overland
from sim.viz.geography import country_rings
from sim.viz.routemap import ATTRIBUTION, MIN_WIDTH, line_width, route_map_figure
from sim.viz.save import png_bytes


@pytest.fixture(scope="module")
def europe_2020():
    scenario = load_scenario("china_europe_2020")
    teu = {rid: r.demand.teu_per_year for rid, r in scenario.routes.items()}
    fig = route_map_figure([("2020", scenario, teu)], title="China–Europe map")
    yield scenario, teu, fig
    plt.close(fig)


def _panels(fig, kind):
    """The map panels of one kind ('overland' or 'world'), in scenario order."""
    return [ax for ax in fig.axes if (ax.get_gid() or "").startswith(kind + ":")]


def _route_lines(fig):
    """Every route's line, from whichever panel draws it, by route id."""
    return {
        line.get_gid(): line
        for ax in _panels(fig, "overland") + _panels(fig, "world")
        for line in ax.get_lines()
        if line.get_gid() and ":" not in line.get_gid()
    }


def _labels(ax):
    """The node labels of a panel: their gid 'node:<id>+<id>' names the nodes they stand for."""
    return [t for t in ax.texts if (t.get_gid() or "").startswith("node:")]


def _labelled_ids(ax):
    return {nid for t in _labels(ax) for nid in t.get_gid().removeprefix("node:").split("+")}


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


def test_an_overland_and_a_world_panel_per_scenario(europe_2020):
    _, _, fig = europe_2020
    (overland,), (world,) = _panels(fig, "overland"), _panels(fig, "world")
    assert fig.axes[0] is overland and overland.get_gid() == "overland:2020"
    assert world.get_title(loc="left") == "2020: sea and air"
    # The overland panel is the large one, zoomed on Eurasia; the world panel is smaller.
    renderer = fig.canvas.get_renderer()
    big, small = overland.get_window_extent(renderer), world.get_window_extent(renderer)
    assert big.width * big.height > 1.5 * small.width * small.height
    lon0, lon1 = overland.get_xlim()
    lat0, lat1 = overland.get_ylim()
    assert 0 < lon0 < 7 and 128 < lon1 < 140 and 24 < lat0 < 30 and 56 < lat1 < 62
    assert world.get_ylim()[0] < -34  # the Cape route is in the world panel
    # The world panel frames the overland panel's extent and shows the land network in grey.
    frame = next(p for p in world.patches if p.get_gid() == "overland-extent")
    assert frame.get_x() == pytest.approx(lon0) and frame.get_width() == pytest.approx(lon1 - lon0)
    assert any(line.get_gid() == "context:overland" for line in world.get_lines())


def test_one_line_per_route_in_the_panel_of_its_modes(europe_2020):
    scenario, _, fig = europe_2020
    (overland,), (world,) = _panels(fig, "overland"), _panels(fig, "world")
    over = [line.get_gid() for line in overland.get_lines()]
    wide = [line.get_gid() for line in world.get_lines()]
    for rid, route in scenario.routes.items():
        here, there = (over, wide) if is_overland(scenario, route) else (wide, over)
        assert here.count(rid) == 1 and rid not in there, rid
    assert "mc_xian_halkali" in over and "sea_rail_busan_duisburg" in over  # ferry and feeder legs: overland
    assert "sea_shanghai_rotterdam" in wide and "air_shanghai_frankfurt" in wide
    air = _route_lines(fig)["air_shanghai_frankfurt"]
    assert air.get_linestyle() not in ("-", "solid")  # air legs dashed


def test_widths_follow_volume_and_thickest_is_drawn_first():
    scenario = load_scenario("china_europe_2020")
    # Volumes 30 % apart: no two routes tie, so width order must be volume order.
    teu = {rid: 1000 * 1.3**i for i, rid in enumerate(scenario.routes)}
    zero = next(iter(scenario.routes))
    teu[zero] = 0.0
    fig = route_map_figure([("x", scenario, teu)], title="m")
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


def test_every_node_of_the_overland_routes_is_labelled(europe_2020):
    scenario, _, fig = europe_2020
    overland = _panels(fig, "overland")[0]
    wanted = {n for r in scenario.routes.values() if is_overland(scenario, r) for n in r.path}
    assert _labelled_ids(overland) == wanted  # borders, gauge changes, hubs, ports, junctions, ends
    texts = {t.get_text() for t in _labels(overland)}
    # The ones the analyst missed, the Caspian and Black Sea ports, the border pairs.
    assert {"Aktau", "Moscow", "Petropavl", "Baku", "Khorgos", "Urumqi", "Alashankou", "Akhalkalaki",
            "Istanbul Halkali", "Duisburg", "Xi'an", "Busan", "Lianyungang"} <= texts
    assert "Brest / Kozlovichi" in texts  # a rail and a road post side by side share one label
    world = _panels(fig, "world")[0]
    assert {"Shanghai", "Rotterdam", "Suez Canal", "Singapore"} <= {t.get_text() for t in _labels(world)}


@pytest.mark.parametrize("kind", ["overland", "world"])
def test_node_labels_do_not_overlap_and_stay_inside(europe_2020, kind):
    _, _, fig = europe_2020
    ax = _panels(fig, kind)[0]
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    boxes = [text_box(t) for t in _labels(ax)]
    assert len(boxes) >= 8
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_labels_keep_clear_of_the_khorgos_cluster(europe_2020):
    """Khorgos, Alashankou, Urumqi and Almaty sit within a few degrees: each keeps its own label."""
    _, _, fig = europe_2020
    ax = _panels(fig, "overland")[0]
    by_text = {t.get_text(): text_box(t) for t in _labels(ax)}
    for a, b in itertools.combinations(["Khorgos", "Alashankou", "Urumqi", "Almaty-1", "Mointy"], 2):
        assert not by_text[a].overlaps(by_text[b])


def test_routes_are_grouped_by_corridor_from_their_data():
    scenario = load_scenario("china_europe_2020")
    got = {rid: corridor_of(scenario, r) for rid, r in scenario.routes.items()}
    assert {rid for rid, c in got.items() if c == "northern"} == {
        "rail_xian_duisburg", "rail_chongqing_duisburg", "rail_duisburg_xian", "rail_duisburg_chongqing",
        "sea_rail_busan_duisburg", "road_urumqi_duisburg"}
    assert got["mc_xian_halkali"] == "middle" and got["kti_xian_tehran"] == "iran_turkey"
    for rid in ("rail_xian_tashkent", "rail_urumqi_almaty", "bulk_karaganda_urumqi", "sea_rail_busan_almaty"):
        assert got[rid] == "central_asia", rid  # a sea feeder from Busan does not move it
    assert got["sea_shanghai_rotterdam"] == got["sea_shanghai_rotterdam_cape"] == "sea"
    assert got["air_shanghai_frankfurt"] == "other"
    # From the data, not the ids: the same route through a Russian node becomes northern,
    # and one whose nodes name no country falls to "other".
    nodes = dict(scenario.nodes)
    nodes["almaty"] = dataclasses.replace(nodes["almaty"], country="RU")
    assert corridor_of(dataclasses.replace(scenario, nodes=nodes), scenario.routes["rail_urumqi_almaty"]) == "northern"
    nameless = {nid: dataclasses.replace(n, country="") for nid, n in scenario.nodes.items()}
    assert corridor_of(dataclasses.replace(scenario, nodes=nameless), scenario.routes["rail_xian_duisburg"]) == "other"


def test_door_to_door_options_go_by_their_main_haul():
    """A truck to the port does not make a sea route a road one, nor a feeder a rail one a sea one."""
    scenario = load_scenario("china_europe_shippers_2020")
    routes = scenario.routes
    assert corridor_of(scenario, routes["sea_xian_duisburg_suez"]) == "sea"
    assert corridor_of(scenario, routes["sea_xian_halkali_suez"]) == "sea"  # not Iran/Turkey for its last truck
    assert corridor_of(scenario, routes["air_xian_duisburg"]) == "other"
    assert corridor_of(scenario, routes["searail_shanghai_rotterdam"]) == "northern"
    assert not is_overland(scenario, routes["sea_xian_duisburg_suez"])
    fig = route_map_figure([("s", scenario, {})], title="m")
    (overland,), (world,) = _panels(fig, "overland"), _panels(fig, "world")
    assert "sea_xian_duisburg_suez" in {line.get_gid() for line in world.get_lines()}
    assert "sea_xian_duisburg_suez" not in {line.get_gid() for line in overland.get_lines()}
    # The overland panel stays on Eurasia: the door-to-door sea legs do not widen it.
    assert overland.get_ylim()[0] > 20 and overland.get_xlim()[0] > -5
    boxes = [text_box(t) for t in _labels(overland)]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    plt.close(fig)


def test_lines_take_their_corridor_colour_and_the_legend_lists_corridors(europe_2020):
    scenario, _, fig = europe_2020
    lines = _route_lines(fig)
    for rid, route in scenario.routes.items():
        assert lines[rid].get_color() == CORRIDOR[corridor_of(scenario, route)].colour, rid
    legend = next(lg for lg in fig.legends if lg.get_title().get_text() == "corridor (colour)")
    entries = [t.get_text() for t in legend.get_texts()]
    assert len(entries) == len(CORRIDORS) == 6  # six colours, not one per route
    assert [e.split(" (")[0] for e in entries] == [c.label.split(" (")[0] for c in CORRIDORS]
    assert "Northern: Kazakhstan–Russia–Belarus (6 routes)" in entries
    assert "Middle Corridor (Caspian) (1 route)" in entries
    colours = [h.get_color() for h in legend.legend_handles]
    assert colours == [c.colour for c in CORRIDORS]
    titles = {lg.get_title().get_text() for lg in fig.legends}
    assert {"nodes", "width: TEU per year; world panel"} <= titles


def test_same_data_same_png():
    scenario = load_scenario("china_europe_2020")
    teu = {rid: r.demand.teu_per_year for rid, r in scenario.routes.items()}
    a = route_map_figure([("x", scenario, teu)], title="m")
    b = route_map_figure([("x", scenario, teu)], title="m")
    assert png_bytes(a) == png_bytes(b)


def test_scenario_without_coordinates_still_draws_and_says_so():
    scenario = build(NETWORK)
    fig = route_map_figure([("net", scenario, {"overland": 16000, "sea": 7000})], title="m")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("no coordinates for 5 of 5 nodes" in n for n in notes)
    assert len(_panels(fig, "overland")) == len(_panels(fig, "world")) == 1  # both panels, on default extents
    assert not _labels(fig.axes[0]) and not _route_lines(fig)  # nothing to place or draw
    assert any(lg.get_title().get_text() == "corridor (colour)" for lg in fig.legends)
    fig.canvas.draw()
    plt.close(fig)


def test_some_nodes_without_coordinates():
    scenario = load_scenario("china_europe_2020")
    nodes = dict(scenario.nodes)
    for nid in ("suez", "mointy"):
        nodes[nid] = dataclasses.replace(nodes[nid], lon=None, lat=None)
    partial = dataclasses.replace(scenario, nodes=nodes)
    fig = route_map_figure([("p", partial, {})], title="m")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any(f"no coordinates for 2 of {len(nodes)} nodes" in n for n in notes)
    assert "sea_shanghai_rotterdam" in _route_lines(fig)
    fig.canvas.draw()
    plt.close(fig)


def test_comparison_has_one_panel_per_scenario_on_the_same_extent():
    a, b = load_scenario("china_europe_2019"), load_scenario("china_europe_2020")
    fig = route_map_figure(
        [("2019", a, {}), ("2020", b, {})], title="maps"
    )
    first, second = fig.axes[:2]
    assert _panels(fig, "overland") == [first, second]
    assert first.get_title(loc="left") == "2019" and second.get_title(loc="left") == "2020"
    assert first.get_xlim() == second.get_xlim() and first.get_ylim() == second.get_ylim()
    assert first.get_aspect() == second.get_aspect() > 1
    small_a, small_b = _panels(fig, "world")
    assert small_a.get_title(loc="left").startswith("2019") and small_b.get_title(loc="left").startswith("2020")
    assert small_a.get_xlim() == small_b.get_xlim() and small_a.get_ylim() == small_b.get_ylim()
    # One legend for the figure, not one per scenario.
    assert [lg.get_title().get_text() for lg in fig.legends].count("corridor (colour)") == 1
    plt.close(fig)


def test_a_sea_lane_can_be_kept_out_of_suez():
    from sim.viz.geography import sea_lane

    singapore, rotterdam = (103.8, 1.26), (4.05, 51.95)
    assert np.array(sea_lane(singapore, rotterdam))[:, 1].min() > -12
    assert np.array(sea_lane(singapore, rotterdam, ("suez", "babalmandab")))[:, 1].min() < -30


def test_the_shipped_sea_lanes_cover_every_bundled_sea_leg_and_are_searoutes():
    # The file saves loading searoute's network at each route map; a bundled port moved
    # without rewriting it (python -m sim.viz.lane_file) would silently fall back to it.
    from sim.viz.geography import routed_lane, stored_lanes
    from sim.viz.lane_file import bundled_sea_legs

    stored = stored_lanes()
    legs = bundled_sea_legs()
    assert len(legs) >= 5
    missing = [leg for leg in legs if (leg[0], leg[1], ()) not in stored]
    assert not missing
    # Two of them routed again: the file holds what searoute finds, point for point.
    for a, b in legs[:2]:
        assert stored[(a, b, ())] == routed_lane(a, b)
