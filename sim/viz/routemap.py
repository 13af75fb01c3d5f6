"""The route map: the overland corridors large, the sea lanes small, line width by TEU carried.

Each scenario gets two panels on extents shared across a comparison: a large one zoomed on
the Eurasian land corridors (every route with a rail, road or ferry leg) with its nodes
named, and a smaller world panel with the sea and air routes and the land network in grey.
Routes are coloured by corridor (sim.viz.corridors.corridor_of, from the countries and
modes each route crosses), not one colour per route: twenty colours cannot be told apart.

Map data ships with routesim; nothing is downloaded when a map is drawn.
- Land and borders: Natural Earth 1:110m admin-0 countries (public domain), extracted
  once from the copy in geopandas 0.14.4's wheel into 122 kB of JSON in ``sim/viz/mapdata``
  (rings in lon/lat to 0.01°; see its ATTRIBUTION.md).  Cartopy and basemap were
  rejected: cartopy downloads Natural Earth at run time and brings pyproj and shapely,
  basemap's data is tens of MB in its own format; a map in plain lon/lat needs neither.
- Sea lanes: the ``searoute`` package (Apache-2.0; pure Python, needs only networkx and
  geojson; ~7.5 MB installed, network included, works offline).  Its maritime network
  (from Eurostat's MARNET / searoute) gives the shortest sea path between two points
  through real straits and canals, the Caspian included.  The Cape route goes round
  Africa because the scenario routes it through a Cape of Good Hope node.  Sea lanes
  are cached per leg, and those of the bundled scenarios ship routed
  (sim/viz/mapdata/sea_lanes.json, see sim.viz.geography.stored_lanes).
- Rail and road legs are drawn straight between their nodes: no rail geometry ships,
  and the nodes (borders, junctions) already trace each corridor.  Air legs are dashed.
- Node labels: sim.viz.maplabels, a greedy placement measured with the renderer's text
  extents, so that no two labels overlap however dense a cluster (Khorgos, Alashankou).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation

from sim.model.scenario import Route, Scenario
from sim.model.text import counted
from sim.viz.corridors import (
    CORRIDOR,
    CORRIDORS,
    FEEDER_KM,
    LAND_MODES,
    LegEnds,
    corridor_of,
    is_overland,
    route_leg_ends,
)
from sim.viz.geography import SEA_MODES, Point, country_rings, leg_path, node_point, route_paths
from sim.viz.common import suptitle, panel_title
from sim.viz.maplabels import place_labels
from sim.viz.node_labels import label_groups
from sim.viz.save import DPI, subplots

ATTRIBUTION = "Map: Natural Earth 1:110m (public domain). Sea lanes: searoute / Eurostat MARNET. Rail and road drawn straight between nodes."
WIDTH_NOTE = "Routes within 10% in volume that share a leg are drawn nested, each later one at half width."
MIN_WIDTH, MAX_WIDTH = 0.8, 9.0
LAND, BORDER = "#ececec", "#b8b8b8"



def line_width(teu: float, biggest: float) -> float:
    """Width in points, proportional to TEU per year above a visible minimum."""
    if biggest <= 0 or teu <= 0:
        return MIN_WIDTH
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * teu / biggest


# --- Which legs each panel draws --------------------------------------------------------


def _on_overland_panel(scenario: Scenario, leg: LegEnds) -> bool:
    """True for a land or ferry leg, or a short sea feeder: drawn on the overland panel."""
    data = scenario.legs[leg[0]]
    return data.mode in LAND_MODES or (data.mode == "sea" and data.distance_km <= FEEDER_KM)


def panel_legs(scenario: Scenario, kind: str) -> dict[str, list[LegEnds]]:
    """The legs each route draws on the 'overland' or the 'world' panel (routes with none left out).

    A land route's land legs and feeders go on the overland panel and any long sea leg
    on the world panel; every leg of a sea or air route goes on the world panel.
    """
    found: dict[str, list[LegEnds]] = {}
    for rid, route in scenario.routes.items():
        legs = route_leg_ends(route)
        if is_overland(scenario, route):
            mine = [leg for leg in legs if _on_overland_panel(scenario, leg) == (kind == "overland")]
        else:
            mine = legs if kind == "world" else []
        if mine:
            found[rid] = mine
    return found


def _paths(scenario: Scenario, legs: Sequence[LegEnds]) -> list[tuple[tuple[Point, ...], str]]:
    """The drawable paths of some legs, with their modes (legs without coordinates left out)."""
    return [p for leg, a, b in legs if (p := leg_path(scenario, leg, a, b)) is not None]


def _nodes(legs_by_route: Mapping[str, Sequence[LegEnds]]) -> list[str]:
    """The nodes at the ends of the legs, each once, in route and travel order."""
    return list(dict.fromkeys(n for legs in legs_by_route.values() for _, a, b in legs for n in (a, b)))


# --- Extents and layout ------------------------------------------------------------------

Extent = tuple[float, float, float, float]
Panel = tuple[str, Scenario, Mapping[str, float]]
OVERLAND_FALLBACK: Extent = (0.0, 130.0, 25.0, 60.0)
WORLD_FALLBACK: Extent = (-10.0, 130.0, -40.0, 65.0)


def _extent(points: Sequence[Point], pad: tuple[float, float], share: tuple[float, float]) -> Extent | None:
    """The box round ``points`` with a margin: at least ``pad`` degrees, or ``share`` of the span."""
    if not points:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad_x = max(pad[0], share[0] * (max(xs) - min(xs)))
    pad_y = max(pad[1], share[1] * (max(ys) - min(ys)))
    return (max(-180.0, min(xs) - pad_x), min(180.0, max(xs) + pad_x),
            max(-90.0, min(ys) - pad_y), min(90.0, max(ys) + pad_y))


def _points(panels: Sequence[Panel], overland: bool) -> list[Point]:
    """Every point the overland panels draw, or (not ``overland``) every route and node."""
    points: list[Point] = []
    for _, scenario, _ in panels:
        if overland:
            for legs in panel_legs(scenario, "overland").values():
                for path, _ in _paths(scenario, legs):
                    points += path
        else:
            for route in scenario.routes.values():
                for path, _ in route_paths(scenario, route):
                    points += path
            points += [c for c in (node_point(scenario, n) for n in scenario.nodes) if c is not None]
    return points


def _aspect(extent: Extent) -> float:
    """Degrees of latitude per degree of longitude on the page: lon/lat at the map's middle latitude."""
    return 1.0 / max(0.2, math.cos(math.radians((extent[2] + extent[3]) / 2)))


def _height_for(extent: Extent, width: float) -> float:
    """Height in inches of an equal-aspect map of ``extent`` that is ``width`` inches wide."""
    lon0, lon1, lat0, lat1 = extent
    return width * (lat1 - lat0) * _aspect(extent) / (lon1 - lon0)


# --- Drawing -----------------------------------------------------------------------------


def _draw_land(ax: Axes) -> None:
    ax.add_collection(PolyCollection(country_rings(), facecolors=LAND, edgecolors=BORDER, linewidths=0.5, zorder=0))


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


def _draw_routes(ax: Axes, scenario: Scenario, widths: Mapping[str, float],
                 legs_by_route: Mapping[str, Sequence[LegEnds]], suffix: str = "") -> None:
    """The given legs of each route in its corridor's colour, thickest first, air legs dashed.

    A route's line has the route id as gid (with ``suffix`` for a part of a route drawn
    away from its main panel, e.g. the long sea leg of a land route).
    """
    for rank, (rid, width) in enumerate(widths.items()):
        if rid not in legs_by_route:
            continue
        xs: list[float] = []
        ys: list[float] = []
        air: list[tuple[Point, ...]] = []
        for path, mode in _paths(scenario, legs_by_route[rid]):
            if mode == "air":
                air.append(path)
                continue
            if xs:
                xs.append(math.nan)
                ys.append(math.nan)
            xs += [p[0] for p in path]
            ys += [p[1] for p in path]
        colour = CORRIDOR[corridor_of(scenario, scenario.routes[rid])].colour
        z = 2 + rank * 0.01  # thick lines first, thin ones on top stay visible
        # A white casing: routes of one corridor share its colour, so a thinner route on a
        # thicker one (the other direction, a branch) shows as a stripe inside it.
        casing = [patheffects.withStroke(linewidth=width + 1.2, foreground="white")]
        gid = rid + suffix
        if xs:
            ax.plot(xs, ys, color=colour, lw=width, solid_capstyle="round", zorder=z, gid=gid, label=rid,
                    path_effects=casing)
        for path in air:
            ax.plot([p[0] for p in path], [p[1] for p in path], color=colour, lw=max(width, 1.2), ls=(0, (4, 3)),
                    zorder=z, gid=gid if not xs else f"{rid}:air", label=rid if not xs else "_nolegend_")


# Node symbols: (key, legend text, marker, size, face, edge), the first that fits a node.
NODE_STYLES = (
    ("gauge", "gauge change", "D", 26, "#ffd43b", "black"),
    ("border", "border crossing", "^", 26, "white", "black"),
    ("port", "port, ferry terminal, canal", "s", 20, "#4c6ef5", "black"),
    ("terminal", "terminal, hub", "o", 22, "black", "black"),
    ("waypoint", "junction, waypoint", "o", 9, "#666666", "#666666"),
)


def _node_style(scenario: Scenario, nid: str) -> str:
    """The symbol key of a node, from its kind, gauge change and (two-country) country."""
    node = scenario.nodes[nid]
    if node.gauge_change:
        return "gauge"
    if node.kind == "border":
        return "border"
    if node.kind in ("seaport", "ferry_terminal", "canal"):
        return "port"
    if node.kind in ("terminal", "airport"):
        return "terminal"
    return "waypoint"


def _draw_nodes(ax: Axes, scenario: Scenario, nodes: Sequence[str]) -> list[Point]:
    """The symbols of ``nodes``, one scatter per kind of symbol; their points."""
    points: list[Point] = []
    for key, _, marker, size, face, edge in NODE_STYLES:
        mine = [c for nid in nodes if _node_style(scenario, nid) == key and (c := node_point(scenario, nid))]
        if mine:
            ax.scatter([c[0] for c in mine], [c[1] for c in mine], s=size, marker=marker, facecolors=face,
                       edgecolors=edge, linewidths=0.7, zorder=6, gid=f"nodes:{key}")
            points += mine
    return points


def _missing_note(ax: Axes, scenario: Scenario) -> None:
    """Say how many nodes have no coordinates: their legs cannot be drawn."""
    missing = sum(1 for nid in scenario.nodes if node_point(scenario, nid) is None)
    if missing:
        ax.text(0.01, 0.01, f"no coordinates for {missing} of {len(scenario.nodes)} nodes (lon/lat not given)",
                transform=ax.transAxes, fontsize=8, va="bottom", ha="left", color="#7b241c", zorder=8,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})


def _frame(ax: Axes, extent: Extent, title: str, subtitle: str = "", ticks: float = 8.0) -> None:
    """Limits, lon/lat aspect, titles and axis labels of one map panel."""
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(_aspect(extent))
    panel_title(ax, title, loc="left", fontsize=10)
    if subtitle:
        panel_title(ax, subtitle, loc="right", fontsize=9, color="#444444")
    ax.set_xlabel("longitude (°E)", fontsize=8)
    ax.set_ylabel("latitude (°N)", fontsize=8)
    ax.tick_params(labelsize=ticks)


def _draw_overland(ax: Axes, scenario: Scenario, widths: Mapping[str, float]) -> list[str]:
    """The land corridors' routes and nodes; the nodes to label, in route order."""
    _draw_land(ax)
    legs = panel_legs(scenario, "overland")
    _draw_routes(ax, scenario, widths, legs)
    nodes = _nodes(legs)
    _draw_nodes(ax, scenario, nodes)
    _missing_note(ax, scenario)
    return nodes


def _draw_world(ax: Axes, scenario: Scenario, widths: Mapping[str, float], overland: Extent) -> list[str]:
    """Sea and air routes over the land network in grey, with the overland panel's frame;
    the nodes to label: those of the sea and air legs (ports, canals, airports)."""
    _draw_land(ax)
    legs = panel_legs(scenario, "world")
    main = {rid: found for rid, found in legs.items() if not is_overland(scenario, scenario.routes[rid])}
    _draw_routes(ax, scenario, widths, main)
    _draw_routes(ax, scenario, widths, {rid: found for rid, found in legs.items() if rid not in main}, ":sea")
    # The land network once, thin and grey: where the overland panel's routes run.
    xs: list[float] = []
    ys: list[float] = []
    for found in panel_legs(scenario, "overland").values():
        for path, _ in _paths(scenario, found):
            xs += [p[0] for p in path] + [math.nan]
            ys += [p[1] for p in path] + [math.nan]
    if xs:
        ax.plot(xs, ys, color="#666666", lw=0.7, zorder=1.5, gid="context:overland")
    lon0, lon1, lat0, lat1 = overland
    ax.add_patch(Rectangle((lon0, lat0), lon1 - lon0, lat1 - lat0, fill=False, ec="#444444", lw=0.8,
                           ls=(0, (3, 2)), zorder=1.6, gid="overland-extent"))
    nodes = _nodes(legs)
    _draw_nodes(ax, scenario, nodes)
    # Name the ports, canals and airports; a truck's inland end is named on the overland panel.
    sea_air = {rid: [leg for leg in found if scenario.legs[leg[0]].mode in (*SEA_MODES, "air")]
               for rid, found in legs.items()}
    return _nodes(sea_air)


def _label(ax: Axes, scenario: Scenario, nodes: Sequence[str], fontsize: float) -> dict[str, Annotation]:
    """Name ``nodes`` on ``ax`` without overlap, clear of every dot and line; the labels by gid."""
    items = [("node:" + "+".join(ids), point, text) for ids, point, text in label_groups(scenario, nodes)]
    markers = [c for line in ax.collections if (line.get_gid() or "").startswith("nodes:")
               for c in map(tuple, line.get_offsets())]
    lines = [list(zip(line.get_xdata(), line.get_ydata())) for line in ax.get_lines()]
    return place_labels(ax, items, markers, _split_nan(lines), fontsize=fontsize)


def _split_nan(lines: Sequence[Sequence[Point]]) -> list[list[Point]]:
    """Polylines with NaN breaks (one Line2D per route) cut into unbroken pieces."""
    pieces: list[list[Point]] = []
    for line in lines:
        piece: list[Point] = []
        for x, y in line:
            if math.isnan(x) or math.isnan(y):
                if len(piece) > 1:
                    pieces.append(piece)
                piece = []
            else:
                piece.append((float(x), float(y)))
        if len(piece) > 1:
            pieces.append(piece)
    return pieces


# Figure geometry, in inches.
FIG_WIDTH = 15.0
LEFT, RIGHT, TOP, BOTTOM = 0.75, 0.25, 0.8, 0.6
TITLE_H, XLABEL_H = 0.3, 0.5
LEGEND_W = 6.0  # beside the world panels
LEGEND_H = 2.7  # the corridor and node legends stacked, above the attribution note
WORLD_MAX_W = 6.0
WORLD_GAP = 0.75  # between world panels: room for the latitude label


def route_map_figure(panels: Sequence[Panel], title: str = "") -> Figure:
    """Per scenario a large overland panel and a small sea-and-air panel; routes coloured
    by their corridor (corridor_of), not by the other figures' route colours."""
    n = max(1, len(panels))
    overland = _extent(_points(panels, True), (3.0, 2.5), (0.02, 0.06)) or OVERLAND_FALLBACK
    world = _extent(_points(panels, False), (4.0, 3.0), (0.05, 0.06)) or WORLD_FALLBACK
    map_w = FIG_WIDTH - LEFT - RIGHT
    over_h = min(7.0, max(3.0, _height_for(overland, map_w)))
    # The world panels are context: never wider than WORLD_MAX_W, whatever room is left.
    world_w = min(WORLD_MAX_W, (map_w - LEGEND_W - WORLD_GAP * (n - 1)) / n)
    world_h = min(5.0, max(2.0, _height_for(world, world_w)))
    # The bottom row is at least as tall as the legends beside the world panels.
    row_h = max(world_h, LEGEND_H)
    height = TOP + n * (TITLE_H + over_h + XLABEL_H) + TITLE_H + row_h + BOTTOM
    fig, first = subplots(1, 1, figsize=(FIG_WIDTH, height))
    # Measure the labels at the resolution the PNG is saved at: text extents do not scale
    # exactly with the resolution (hinting), and labels clear at 100 dpi can touch at 120.
    fig.set_dpi(DPI)

    def rect(x: float, top: float, w: float, h: float) -> list[float]:
        """An axes box in figure fractions from inches measured from the top-left corner."""
        return [x / FIG_WIDTH, (height - top - h) / height, w / FIG_WIDTH, h / height]

    biggest = max((v or 0.0 for _, _, teu in panels for v in teu.values()), default=0.0)
    widths = [_drawn_widths(scenario, teu, biggest) for _, scenario, teu in panels]
    over_axes: list[Axes] = []
    drawn_over: list[list[str]] = []  # the nodes each panel names
    y = TOP
    for k, (label, scenario, _) in enumerate(panels):
        ax = first if k == 0 else fig.add_axes(rect(LEFT, y + TITLE_H, map_w, over_h))
        ax.set_position(rect(LEFT, y + TITLE_H, map_w, over_h))
        ax.set_gid(f"overland:{label}")
        drawn_over.append(_draw_overland(ax, scenario, widths[k]))
        _frame(ax, overland, label, "overland corridors: rail, road and ferry legs")
        over_axes.append(ax)
        y += TITLE_H + over_h + XLABEL_H
    world_axes: list[Axes] = []
    drawn_world: list[list[str]] = []  # the nodes each panel names
    for k, (label, scenario, _) in enumerate(panels):
        ax = fig.add_axes(rect(LEFT + k * (world_w + WORLD_GAP), y + TITLE_H, world_w, row_h))
        ax.set_anchor("N")  # a row taller than the map (for the legends): the map at its top
        ax.set_gid(f"world:{label}")
        drawn_world.append(_draw_world(ax, scenario, widths[k], overland))
        # No right-hand title: side by side in a comparison, the panels are too narrow for two.
        _frame(ax, world, f"{label}: sea and air", ticks=7.5)
        world_axes.append(ax)
    # Labels last: their placement needs each panel's final size on the page.
    for ax, (_, scenario, _), nodes in zip(over_axes, panels, drawn_over):
        _label(ax, scenario, nodes, 7.5)
    for ax, (_, scenario, _), nodes in zip(world_axes, panels, drawn_world):
        _label(ax, scenario, nodes, 7.0)
    _legends(fig, panels, biggest, (LEFT + n * world_w + (n - 1) * WORLD_GAP + 0.45) / FIG_WIDTH,
             1 - (y + TITLE_H) / height)
    if title:
        suptitle(fig, title)
    note = ATTRIBUTION.replace(". ", ".\n") + "\n" + WIDTH_NOTE.replace(", each", ",\neach")
    fig.text(0.995, 0.005, note, fontsize=7, color="#555555", ha="right", va="bottom")
    return fig


def _legends(fig: Figure, panels: Sequence[Panel], biggest: float, x: float, top: float) -> list[Legend]:
    """Side by side from (x, top) in figure fractions: corridors, widths, node symbols."""
    counts: dict[str, set[str]] = {}
    for _, scenario, _ in panels:
        for rid, route in scenario.routes.items():
            counts.setdefault(corridor_of(scenario, route), set()).add(rid)
    corridors = [Line2D([], [], color=c.colour, lw=4, label=f"{c.label} ({counted(len(counts[c.key]), 'route')})", gid=c.key)
                 for c in CORRIDORS if c.key in counts]
    sizes = []
    if biggest > 0:
        sizes = [Line2D([], [], color="#777777", lw=line_width(biggest * share, biggest),
                        label=f"{biggest * share / 1000:,.0f}k TEU/yr") for share in (1.0, 0.5, 0.1)]
    if any(leg.mode == "air" for _, scenario, _ in panels for leg in scenario.legs.values()):
        sizes.append(Line2D([], [], color="#777777", lw=1.2, ls=(0, (4, 3)), label="air leg"))
    # What the world panel adds: the land network in grey and the overland panel's frame.
    sizes += [Line2D([], [], color="#666666", lw=0.7, label="overland routes (world panel)"),
              Rectangle((0, 0), 1, 1, fill=False, ec="#444444", lw=0.8, ls=(0, (3, 2)), label="overland panel's extent")]
    used = {_node_style(s, nid) for _, s, _ in panels for nid in s.nodes if node_point(s, nid) is not None}
    symbols = [Line2D([], [], ls="", marker=m, markersize=math.sqrt(size), markerfacecolor=face,
                      markeredgecolor=edge, label=text) for key, text, m, size, face, edge in NODE_STYLES if key in used]
    legends = []
    renderer = fig.canvas.get_renderer()
    # Corridors and node symbols stacked in the first column, widths in the second: where
    # each starts depends on the size of the one before, measured once drawn.
    column_top, next_x = top, x
    for handles, heading, new_column in ((corridors, "corridor (colour)", True), (symbols, "nodes", False),
                                         (sizes, "width: TEU per year; world panel", True)):
        if not handles:
            continue
        if new_column:
            x, top = next_x, column_top
        legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x, top), fontsize=8, frameon=False,
                            title=heading, title_fontsize=8.5, alignment="left")
        legends.append(legend)
        (x0, y0), (x1, _) = fig.transFigure.inverted().transform(legend.get_window_extent(renderer))
        next_x = max(next_x, x1 + 0.005)
        top = y0
    return legends
