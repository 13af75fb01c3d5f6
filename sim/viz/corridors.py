"""The corridor of a route: the colour the route map draws it in, from the modes of its legs
and the countries its land legs cross (northern, Middle Corridor, Central Asia, Iran and
Turkey, sea, other).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.scenario import Route, Scenario
from sim.viz.markets import CAUCASUS, CENTRAL_ASIA, RUSSIA_BELARUS, TURKEY_IRAN


@dataclass(frozen=True)
class Corridor:
    """A group of routes drawn in one colour and listed once in the legend."""

    key: str
    label: str
    colour: str


# In legend order.  Colours apart from each other and from the grey land; the sea is muted:
# it is the context, the land corridors are the subject.
CORRIDORS = (
    Corridor("northern", "Northern: Kazakhstan–Russia–Belarus", "#1f4e9c"),
    Corridor("middle", "Middle Corridor (Caspian)", "#e8590c"),
    Corridor("central_asia", "China–Central Asia", "#2b8a3e"),
    Corridor("iran_turkey", "Iran / Turkey", "#a61e9e"),
    Corridor("sea", "Sea", "#8aa1b8"),
    Corridor("other", "Other (air, or no country that places it)", "#8c6d31"),
)


CORRIDOR = {c.key: c for c in CORRIDORS}


LAND_MODES = ("rail", "road", "ferry")  # a ferry crosses the Caspian or Black Sea within a land corridor


FEEDER_KM = 2500.0  # a sea leg this short on a land route is a feeder (Busan to Lianyungang)


LegEnds = tuple[str, str, str]  # (leg id, from node, to node)


def route_leg_ends(route: Route) -> list[LegEnds]:
    """(leg id, from node, to node) of every leg of a route, in order."""
    return [(leg, seg.nodes[j], seg.nodes[j + 1]) for seg in route.segments for j, leg in enumerate(seg.legs)]


def route_modes(scenario: Scenario, route: Route) -> set[str]:
    """The modes of a route's legs."""
    return {scenario.legs[leg].mode for leg, _, _ in route_leg_ends(route)}


def main_mode(scenario: Scenario, route: Route) -> str | None:
    """The mode of the most kilometres of a route (its main haul); None for a route without legs.

    A door-to-door sea or air option with a truck to and from its port is a sea or air
    route, not a road one; a rail route with a short sea feeder is a rail route.
    """
    km: dict[str, float] = {}
    for leg, _, _ in route_leg_ends(route):
        mode = scenario.legs[leg].mode
        km[mode] = km.get(mode, 0.0) + max(0.0, scenario.legs[leg].distance_km)
    return max(km, key=lambda m: km[m]) if km else None  # ties: the first mode met


def is_overland(scenario: Scenario, route: Route) -> bool:
    """True if the route's main haul is rail, road or ferry: it belongs on the overland panel."""
    return main_mode(scenario, route) in LAND_MODES


def land_countries(scenario: Scenario, route: Route) -> set[str]:
    """The countries of the nodes at the ends of a route's land and ferry legs.

    A border node's country is 'CN/KZ': both count.  Sea legs are left out so that a
    feeder (Busan to Lianyungang) does not move a rail route out of its corridor.
    """
    found: set[str] = set()
    for leg, a, b in route_leg_ends(route):
        if scenario.legs[leg].mode in LAND_MODES:
            for nid in (a, b):
                found |= {c.strip().upper() for c in scenario.nodes[nid].country.split("/") if c.strip()}
    return found


def corridor_of(scenario: Scenario, route: Route) -> str:
    """The corridor key of a route, from the modes of its legs and the countries they cross.

    Tested in order: main haul (most kilometres) by sea, sea; by air or nothing, other;
    then by the countries of its land legs: through the South Caucasus, the Middle
    Corridor; through Iran or Turkey; through Russia or Belarus, the northern route;
    within China and Central Asia; anything else, other.
    """
    main = main_mode(scenario, route)
    if main == "sea":
        return "sea"
    if main not in LAND_MODES:
        return "other"
    countries = land_countries(scenario, route)
    if countries & CAUCASUS:
        return "middle"
    if countries & TURKEY_IRAN:
        return "iran_turkey"
    if countries & RUSSIA_BELARUS:
        return "northern"
    if countries & CENTRAL_ASIA and countries <= CENTRAL_ASIA | {"CN"}:
        return "central_asia"
    return "other"
