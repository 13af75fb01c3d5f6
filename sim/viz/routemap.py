"""The route map: every route over coastlines and borders, line width by TEU carried.

Map data ships with routesim; nothing is downloaded when a map is drawn.
- Land and borders: Natural Earth 1:110m admin-0 countries (public domain), extracted
  once from the copy in geopandas 0.14.4's wheel into 122 kB of JSON in ``sim/mapdata``
  (rings in lon/lat to 0.01°; see its ATTRIBUTION.md).  Cartopy and basemap were
  rejected: cartopy downloads Natural Earth at run time and brings pyproj and shapely,
  basemap's data is tens of MB in its own format; a map in plain lon/lat needs neither.
- Sea lanes: the ``searoute`` package (Apache-2.0; pure Python, needs only networkx and
  geojson; ~7.5 MB installed, network included, works offline).  Its maritime network
  (from Eurostat's MARNET / searoute) gives the shortest sea path between two points
  through real straits and canals, the Caspian included.  The Cape route goes round
  Africa because the scenario routes it through a Cape of Good Hope node.  Sea lanes
  are cached per leg.
- Rail and road legs are drawn straight between their nodes: no rail geometry ships,
  and the nodes (borders, junctions) already trace each corridor.  Air legs are dashed.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.save import subplots
from sim.model.scenario import Route, Scenario

ATTRIBUTION = "Map: Natural Earth 1:110m (public domain). Sea lanes: searoute / Eurostat MARNET. Rail and road drawn straight between nodes."
WIDTH_NOTE = "Routes within 10% in volume that share a leg are drawn nested, each later one at half width."
SEA_MODES = ("sea", "ferry")
MIN_WIDTH, MAX_WIDTH = 0.8, 9.0
LAND, BORDER = "#ececec", "#b8b8b8"

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


@lru_cache(maxsize=512)
def sea_lane(start: Point, end: Point, avoid: tuple[str, ...] = ()) -> tuple[Point, ...]:
    """Shortest sea path between two points along the shipped maritime network.

    ``avoid`` names searoute passages to keep out of (e.g. 'suez'); the Northwest Passage
    is always avoided.  Cached: a leg shared by several routes or panels is routed once.
    Falls back to a straight line if the network has no path (e.g. an inland "port").
    """
    import searoute

    try:
        feature = searoute.searoute(list(start), list(end), restrictions=["northwest", *avoid])
        coords = feature.geometry["coordinates"]
    except Exception:  # noqa: BLE001  (any failure of the lane finder: draw straight)
        coords = []
    if len(coords) < 2:
        return (start, end)
    return (start, *((float(x), float(y)) for x, y in coords), end)


def _coords(scenario: Scenario, node_id: str) -> Point | None:
    node = scenario.nodes[node_id]
    if node.lon is None or node.lat is None:
        return None
    return (float(node.lon), float(node.lat))


def leg_path(scenario: Scenario, leg_id: str, frm: str, to: str) -> tuple[tuple[Point, ...], str] | None:
    """The drawn path of one leg in travel direction, with its mode; None without coordinates."""
    a, b = _coords(scenario, frm), _coords(scenario, to)
    if a is None or b is None:
        return None
    mode = scenario.legs[leg_id].mode
    if mode in SEA_MODES:
        # The path follows the scenario's nodes: a route round the Cape puts a Cape node on
        # its path rather than relying on the names of its legs.
        return sea_lane(a, b), mode
    return (a, b), mode


def route_paths(scenario: Scenario, route: Route) -> list[tuple[tuple[Point, ...], str]]:
    """The legs of a route as drawable paths, in order."""
    paths = []
    for seg in route.segments:
        for j, leg_id in enumerate(seg.legs):
            found = leg_path(scenario, leg_id, seg.nodes[j], seg.nodes[j + 1])
            if found is not None:
                paths.append(found)
    return paths


def line_width(teu: float, biggest: float) -> float:
    """Width in points, proportional to TEU per year above a visible minimum."""
    if biggest <= 0 or teu <= 0:
        return MIN_WIDTH
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * teu / biggest


def _extent(panels: Sequence[tuple[str, Scenario, Mapping[str, float]]]) -> tuple[float, float, float, float] | None:
    xs, ys = [], []
    for _, scenario, _ in panels:
        for rid, route in scenario.routes.items():
            for path, _ in route_paths(scenario, route):
                xs += [p[0] for p in path]
                ys += [p[1] for p in path]
        for nid in scenario.nodes:
            c = _coords(scenario, nid)
            if c is not None:
                xs.append(c[0])
                ys.append(c[1])
    if not xs:
        return None
    pad_x = max(4.0, 0.05 * (max(xs) - min(xs)))
    pad_y = max(3.0, 0.06 * (max(ys) - min(ys)))
    return (max(-180.0, min(xs) - pad_x), min(180.0, max(xs) + pad_x),
            max(-90.0, min(ys) - pad_y), min(90.0, max(ys) + pad_y))


def _short(name: str) -> str:
    """A map label from a node name: "Xi'an International Port (...)" -> "Xi'an"."""
    head = name.split(" (")[0].split(",")[0].split(" / ")[0].strip()
    words = head.split()
    if len(words) > 2 or len(head) > 16:
        return words[0] if words else head
    return head


def _draw_land(ax: Axes) -> None:
    ax.add_collection(PolyCollection(country_rings(), facecolors=LAND, edgecolors=BORDER, linewidths=0.5, zorder=0))


def _labelled_nodes(scenario: Scenario) -> list[str]:
    ends = [n for r in scenario.routes.values() for n in (r.path[0], r.path[-1])]
    capacity = [nid for nid, n in scenario.nodes.items() if n.servers]
    return list(dict.fromkeys(capacity + ends))


def _route_legs(route: Route) -> set[str]:
    return {leg for seg in route.segments for leg in seg.legs}


def _drawn_widths(scenario: Scenario, teu: Mapping[str, float], biggest: float) -> dict[str, float]:
    """Line width of each route, in drawing order (thickest first).

    Width is proportional to TEU per year.  Routes whose volumes are within 10 % of each
    other and that share a leg would hide each other, e.g. the Suez and Cape strings from Shanghai to Singapore
    or the two directions of a corridor: the later one is drawn at half width inside the
    earlier one, so both stay visible.
    """
    order = sorted(scenario.routes, key=lambda rid: -(teu.get(rid) or 0.0))
    widths: dict[str, float] = {}
    for rid in order:
        volume = teu.get(rid) or 0.0
        legs = _route_legs(scenario.routes[rid])
        ties = sum(
            1
            for other in widths
            if abs((teu.get(other) or 0.0) - volume) <= 0.1 * max(teu.get(other) or 0.0, volume)
            and legs & _route_legs(scenario.routes[other])
        )
        widths[rid] = max(0.4, line_width(volume, biggest) * 0.5**ties)
    return widths


def _draw_routes(ax: Axes, scenario: Scenario, teu: Mapping[str, float], colours: Mapping[str, str],
                 biggest: float) -> None:
    for rank, (rid, width) in enumerate(_drawn_widths(scenario, teu, biggest).items()):
        xs: list[float] = []
        ys: list[float] = []
        air: list[tuple[Point, ...]] = []
        for path, mode in route_paths(scenario, scenario.routes[rid]):
            if mode == "air":
                air.append(path)
                continue
            if xs:
                xs.append(math.nan)
                ys.append(math.nan)
            xs += [p[0] for p in path]
            ys += [p[1] for p in path]
        colour = colours.get(rid, "#555555")
        z = 2 + rank * 0.01  # thick lines first, thin ones on top stay visible
        if xs:
            ax.plot(xs, ys, color=colour, lw=width, solid_capstyle="round", zorder=z, gid=rid, label=rid)
        for path in air:
            ax.plot([p[0] for p in path], [p[1] for p in path], color=colour, lw=max(width, 1.2), ls=(0, (4, 3)),
                    zorder=z, gid=rid if not xs else f"{rid}:air", label=rid if not xs else "_nolegend_")


# Label positions tried in turn, as (dx, dy) in points and alignment: NE, SE, NW, SW, E, W, N, S.
_LABEL_SPOTS = (
    ((3, 2), "left", "bottom"), ((3, -2), "left", "top"), ((-3, 2), "right", "bottom"),
    ((-3, -2), "right", "top"), ((5, 0), "left", "center"), ((-5, 0), "right", "center"),
    ((0, 4), "center", "bottom"), ((0, -4), "center", "top"),
)


def _draw_labels(ax: Axes, scenario: Scenario) -> None:
    """Name the capacity-limited nodes and the route ends, without overlapping labels.

    Each label takes the first spot round its dot that stays inside the map and clear of
    the labels already placed; nodes of a cluster (a road and a rail border post side by
    side) share the first one's label, and a label with no free spot is left out.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    placed_at: list[Point] = []
    boxes = []
    for nid in _labelled_nodes(scenario):
        c = _coords(scenario, nid)
        if c is None or any(abs(c[0] - o[0]) < 1.5 and abs(c[1] - o[1]) < 1.0 for o in placed_at):
            continue
        for (dx, dy), ha, va in _LABEL_SPOTS:
            text = ax.annotate(_short(scenario.nodes[nid].name), c, xytext=(dx, dy), textcoords="offset points",
                               fontsize=7.5, ha=ha, va=va, zorder=6, annotation_clip=True,
                               bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.75})
            box = text.get_window_extent(renderer).expanded(1.04, 1.1)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in boxes):
                boxes.append(box)
                placed_at.append(c)
                break
            text.remove()


def _draw_panel(ax: Axes, label: str, scenario: Scenario, teu: Mapping[str, float], colours: Mapping[str, str],
                biggest: float) -> None:
    _draw_land(ax)
    _draw_routes(ax, scenario, teu, colours, biggest)
    placed = [(nid, _coords(scenario, nid)) for nid in scenario.nodes]
    located = [c for _, c in placed if c is not None]
    if located:
        ax.scatter([c[0] for c in located], [c[1] for c in located], s=9, color="black", zorder=5, linewidths=0)
    missing = len(placed) - len(located)
    if missing:
        ax.text(0.01, 0.01, f"no coordinates for {missing} of {len(placed)} nodes (lon/lat not given)",
                transform=ax.transAxes, fontsize=8, va="bottom", ha="left", color="#7b241c")
    ax.set_title(label, loc="left", fontsize=10)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")


def route_map_figure(
    panels: Sequence[tuple[str, Scenario, Mapping[str, float]]],
    colours: Mapping[str, str],
    title: str,
) -> Figure:
    """Every route as a line over coastlines and borders in lon/lat; one panel per scenario."""
    extent = _extent(panels)
    if extent is None:
        extent = (-10.0, 130.0, -40.0, 65.0)
    lon0, lon1, lat0, lat1 = extent
    mid_lat = (lat0 + lat1) / 2
    aspect = 1.0 / max(0.2, math.cos(math.radians(mid_lat)))
    width = 14.0
    panel_h = min(9.0, max(4.0, (width - 3.5) * (lat1 - lat0) * aspect / (lon1 - lon0)))
    height = panel_h * len(panels) + 1.4
    fig, axes = subplots(len(panels), 1, figsize=(width, height), squeeze=False)
    # Fixed margins rather than constrained layout, which loses the latitude label of an
    # equal-aspect map: room on the left for it, on the right for the legend.
    fig.subplots_adjust(left=0.06, right=0.79, top=1 - 0.75 / height, bottom=0.55 / height, hspace=0.18)
    biggest = max((v or 0.0 for _, _, teu in panels for v in teu.values()), default=0.0)
    for ax, (label, scenario, teu) in zip(axes[:, 0], panels):
        _draw_panel(ax, label, scenario, teu, colours, biggest)
        ax.set_xlim(lon0, lon1)
        ax.set_ylim(lat0, lat1)
        ax.set_aspect(aspect)
    # Labels last: their placement needs each panel's final size on the page.
    for ax, (_, scenario, _) in zip(axes[:, 0], panels):
        _draw_labels(ax, scenario)
    routes = list(dict.fromkeys(rid for _, scenario, _ in panels for rid in scenario.routes))
    handles = [Line2D([], [], color=colours.get(rid, "#555555"), lw=3, label=rid) for rid in routes]
    if biggest > 0:
        for share in (1.0, 0.5, 0.1):
            handles.append(Line2D([], [], color="#777777", lw=line_width(biggest * share, biggest),
                                  label=f"{biggest * share / 1000:,.0f}k TEU/yr"))
    if any(leg.mode == "air" for _, scenario, _ in panels for leg in scenario.legs.values()):
        handles.append(Line2D([], [], color="#777777", lw=1.2, ls=(0, (4, 3)), label="air"))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.805, 1 - 0.7 / height), fontsize=8,
               frameon=False, title="route / width")
    fig.suptitle(title)
    note = ATTRIBUTION.replace(". ", ".\n") + "\n" + WIDTH_NOTE.replace(", each", ",\neach")
    fig.text(0.995, 0.005, note, fontsize=7, color="#555555", ha="right", va="bottom")
    return fig
