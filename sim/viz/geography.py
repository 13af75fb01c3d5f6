"""Where things are on the map: the countries' outlines (Natural Earth 1:110m, shipped in
``sim/viz/mapdata``), sea lanes along the shipped maritime network (searoute), and each leg of a
route as a drawable path in lon/lat.  See sim.viz.routemap for the sources and choices.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from sim.model.scenario import Route, Scenario

SEA_MODES = ("sea", "ferry")
Point = tuple[float, float]


@lru_cache(maxsize=1)
def country_rings() -> tuple[tuple[Point, ...], ...]:
    """Every ring of every country of the shipped Natural Earth file, in lon/lat."""
    text = resources.files("sim.viz.mapdata").joinpath("countries_110m.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    scale = float(doc["scale"])
    rings = []
    for country in doc["countries"]:
        for flat in country["rings"]:
            rings.append(tuple((flat[i] / scale, flat[i + 1] / scale) for i in range(0, len(flat), 2)))
    return tuple(rings)


LANES_FILE = "sea_lanes.json"


@lru_cache(maxsize=1)
def stored_lanes() -> dict[tuple[Point, Point, tuple[str, ...]], tuple[Point, ...]]:
    """The sea lanes of the bundled scenarios' sea and ferry legs, found once by
    ``python -m sim.viz.lane_file`` and shipped in ``sim/viz/mapdata``: (start, end, avoid) ->
    path.  Loading searoute's network and routing a run's lanes took as long as drawing a
    grid figure; reading them back is instant.  Empty if the file is missing."""
    try:
        text = resources.files("sim.viz.mapdata").joinpath(LANES_FILE).read_text(encoding="utf-8")
    except OSError:
        return {}
    return {
        (tuple(lane["start"]), tuple(lane["end"]), tuple(lane["avoid"])): tuple(tuple(p) for p in lane["path"])
        for lane in json.loads(text)["lanes"]
    }


@lru_cache(maxsize=512)
def sea_lane(start: Point, end: Point, avoid: tuple[str, ...] = ()) -> tuple[Point, ...]:
    """Shortest sea path between two points along the shipped maritime network.

    ``avoid`` names searoute passages to keep out of (e.g. 'suez'); the Northwest Passage
    is always avoided.  A lane in the shipped file is read from it, any other is routed
    (and cached: a leg shared by several routes or panels is routed once).
    """
    stored = stored_lanes().get((start, end, avoid))
    return stored if stored is not None else routed_lane(start, end, avoid)


def routed_lane(start: Point, end: Point, avoid: tuple[str, ...] = ()) -> tuple[Point, ...]:
    """``sea_lane`` computed by searoute; a straight line if the network has no path (e.g. an
    inland "port")."""
    import searoute

    try:
        feature = searoute.searoute(list(start), list(end), restrictions=["northwest", *avoid])
        coords = feature.geometry["coordinates"]
    except Exception:  # noqa: BLE001  (any failure of the lane finder: draw straight)
        coords = []
    if len(coords) < 2:
        return (start, end)
    return (start, *((float(x), float(y)) for x, y in coords), end)


def node_point(scenario: Scenario, node_id: str) -> Point | None:
    """A node's (lon, lat), or None when the scenario gives it no coordinates."""
    node = scenario.nodes[node_id]
    if node.lon is None or node.lat is None:
        return None
    return (float(node.lon), float(node.lat))


def leg_path(scenario: Scenario, leg_id: str, frm: str, to: str) -> tuple[tuple[Point, ...], str] | None:
    """The drawn path of one leg in travel direction, with its mode; None without coordinates."""
    a, b = node_point(scenario, frm), node_point(scenario, to)
    if a is None or b is None:
        return None
    mode = scenario.legs[leg_id].mode
    if mode in SEA_MODES:
        # The path follows the scenario's nodes: a route round the Cape puts a Cape node on
        # its path rather than relying on the names of its legs.
        return sea_lane(a, b), mode
    return (a, b), mode


def sea_legs(scenario: Scenario) -> set[tuple[Point, Point]]:
    """(start, end) of every sea or ferry leg a route of ``scenario`` sails, in its direction."""
    ends = set()
    for route in scenario.routes.values():
        for seg in route.segments:
            for j, leg_id in enumerate(seg.legs):
                a, b = node_point(scenario, seg.nodes[j]), node_point(scenario, seg.nodes[j + 1])
                if a is not None and b is not None and scenario.legs[leg_id].mode in SEA_MODES:
                    ends.add((a, b))
    return ends


def route_paths(scenario: Scenario, route: Route) -> list[tuple[tuple[Point, ...], str]]:
    """The legs of a route as drawable paths, in order."""
    paths = []
    for seg in route.segments:
        for j, leg_id in enumerate(seg.legs):
            found = leg_path(scenario, leg_id, seg.nodes[j], seg.nodes[j + 1])
            if found is not None:
                paths.append(found)
    return paths
