"""Routes grouped the way an analyst asks about them: by origin–destination market.

The market of a route is read from the scenario (the countries of its nodes, its mode, its
cargo), never from route ids, so a new scenario's routes land in the right panel; a route
that fits no market goes to "other".  A market with more routes than a panel can show is
split (by direction first, then in chunks).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Mapping, Sequence

from sim.model.scenario import Route, Scenario

MAX_LINES = 6  # lines one panel can hold and still be told apart by colour
# Regions by ISO 3166 country code; a border node "CN/KZ" belongs to both countries' regions.
EAST_ASIA = frozenset({"CN", "KR", "JP", "MN", "HK", "TW", "VN"})
CENTRAL_ASIA = frozenset({"KZ", "UZ", "KG", "TJ", "TM", "AF"})
CAUCASUS = frozenset({"AZ", "GE", "AM"})  # the Middle Corridor's countries west of the Caspian
TURKEY_IRAN = frozenset({"TR", "IR"})
CAUCASUS_TURKEY_IRAN = CAUCASUS | TURKEY_IRAN
RUSSIA_BELARUS = frozenset({"RU", "BY"})  # the northern corridor's transit countries
EUROPE = frozenset({
    "DE", "NL", "BE", "LU", "FR", "PL", "BY", "RU", "UA", "LT", "LV", "EE", "FI", "SE", "NO", "DK", "CZ", "SK",
    "AT", "HU", "CH", "IT", "ES", "PT", "GB", "IE", "SI", "HR", "RS", "RO", "BG", "GR", "MD",
})
# Markets in the order their panels are drawn: key -> title.
MARKETS = {
    "cn_eu": "China → Europe",
    "eu_cn": "Europe → China",
    "cn_ca": "China ↔ Central Asia",
    "middle": "Middle Corridor and Iran / Turkey",
    "bulk": "Bulk (tonnes, carried in wagons)",
    "sea": "Sea",
    "other": "Other routes",
}


@dataclass(frozen=True)
class Panel:
    """One panel of a grouped figure: its title, its market key and the routes it draws."""

    title: str
    market: str
    routes: tuple[str, ...]


def countries(scenario: Scenario, node_id: str) -> frozenset[str]:
    """The country codes of a node ('CN/KZ' for a border: both); empty when not given."""
    node = scenario.nodes.get(node_id)
    code = node.country if node is not None else ""
    return frozenset(c.strip().upper() for c in code.split("/") if c.strip())


def _in(scenario: Scenario, node_id: str, region: frozenset[str]) -> bool:
    return bool(countries(scenario, node_id) & region)


def market(scenario: Scenario, route: Route) -> str:
    """The market key of a route (see MARKETS): cargo and mode first, then where it runs."""
    if route.demand.cargo == "bulk":
        return "bulk"
    if route.mode == "sea":
        return "sea"
    # Through the Caucasus, or ending in Turkey or Iran: the Middle Corridor and its kin.
    if any(_in(scenario, n, CAUCASUS_TURKEY_IRAN) for n in route.path):
        return "middle"
    origin, dest = route.path[0], route.path[-1]
    if _in(scenario, origin, EAST_ASIA) and _in(scenario, dest, EUROPE):
        return "cn_eu"
    if _in(scenario, origin, EUROPE) and _in(scenario, dest, EAST_ASIA):
        return "eu_cn"
    ends = (_in(scenario, origin, EAST_ASIA), _in(scenario, dest, CENTRAL_ASIA),
            _in(scenario, origin, CENTRAL_ASIA), _in(scenario, dest, EAST_ASIA))
    if (ends[0] and ends[1]) or (ends[2] and ends[3]):
        return "cn_ca"
    return "other"


def _direction(scenario: Scenario, route: Route) -> str:
    """'China → Central Asia' or back: the sub-title a two-way market is split by."""
    if _in(scenario, route.path[0], EAST_ASIA):
        return "China → Central Asia"
    return "Central Asia → China"


def _chunks(routes: Sequence[str], size: int) -> list[list[str]]:
    """``routes`` in about equal consecutive chunks of at most ``size``."""
    count = max(1, math.ceil(len(routes) / size))
    per = math.ceil(len(routes) / count)
    return [list(routes[i:i + per]) for i in range(0, len(routes), per)]


def split(title: str, key: str, routes: Sequence[str], size: int) -> list[Panel]:
    """Panels of at most ``size`` routes each, numbered '(1 of 2)' when a group needs several."""
    parts = _chunks(routes, size)
    if len(parts) == 1:
        return [Panel(title, key, tuple(routes))]
    return [Panel(f"{title} ({k + 1} of {len(parts)})", key, tuple(p)) for k, p in enumerate(parts)]


def market_panels(scenarios: Sequence[Scenario], route_ids: Sequence[str], size: int = MAX_LINES) -> list[Panel]:
    """The routes in panels by market, in MARKETS order; a route's market is read from the
    first scenario that has it.  A two-way market too big for one panel splits by direction."""
    by_market: dict[str, list[str]] = {key: [] for key in MARKETS}
    owner: dict[str, Scenario] = {}
    for rid in route_ids:
        scenario = next(s for s in scenarios if rid in s.routes)
        owner[rid] = scenario
        by_market[market(scenario, scenario.routes[rid])].append(rid)
    panels: list[Panel] = []
    for key, routes in by_market.items():
        if not routes:
            continue
        if key == "cn_ca" and len(routes) > size:
            ways: dict[str, list[str]] = {}
            for rid in routes:
                ways.setdefault(_direction(owner[rid], owner[rid].routes[rid]), []).append(rid)
            for way, part in ways.items():  # in the order of the scenario's routes
                panels += split(way, key, part, size)
        else:
            panels += split(MARKETS[key], key, routes, size)
    return panels


def route_label(scenario: Scenario, route_id: str, width: int = 46) -> str:
    """The route's name (its id when it has none), wrapped to ``width`` characters a line."""
    route = scenario.routes.get(route_id)
    name = route.name if route is not None and route.name else route_id
    # Names are typed with ASCII arrows ("Xi'an -> Duisburg"): drawn as the arrow they mean.
    return textwrap.fill(name.replace(" -> ", " → "), width, break_on_hyphens=False)


def place(scenario: Scenario, node_id: str) -> str:
    """A node's name without its parenthesised detail ('Xi'an International Port'), or its id."""
    node = scenario.nodes.get(node_id)
    name = node.name if node is not None and node.name else node_id
    return name.split(" (")[0] or node_id


def flow_panels(flows: Mapping[str, dict], scenario: Scenario, size: int = MAX_LINES) -> list[Panel]:
    """One panel per origin–destination pair of the flows (split when it has many options)."""
    pairs: dict[tuple[str, str], list[str]] = {}
    for f in flows.values():
        options = pairs.setdefault((f["origin"], f["destination"]), [])
        options += [rid for rid in f["options"] if rid not in options]
    panels: list[Panel] = []
    for (origin, dest), options in pairs.items():
        title = f"{place(scenario, origin)} → {place(scenario, dest)}"
        panels += split(title, "flow", options, size)
    return panels
