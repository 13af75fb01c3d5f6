"""A route's money cost and CO2e per TEU (or per tonne of bulk), summed along its path.

Rules (one place for each):
* line haul: each service's ``rate`` over its stretch, plus each leg's own ``rate`` (trucks by km);
  a rate that ``includes_transit_tariffs`` has the transit part of its stretch taken off;
* handling: a node's ``handling`` charge where the cargo is lifted: the origin, each transfer
  between services, every gauge-change node and the destination, once each;
* border: a node's ``border`` charge at every node of the path that has one;
  both at the rate for the vehicle kinds that carry the cargo there (the highest, once);
* transit tariff: a country's ``[costs.transit_tariffs]`` on the km of its legs (of the
  tariff's modes), when the route neither starts nor ends in that country;
* subsidy: each service's ``subsidy``; reported on its own; while subsidies are in force
  (``[costs] subsidies = true``) shippers pay the quoted rate, else the rate plus the subsidy;
* CO2e: tonnes x km x the leg's g CO2e per tonne-km (well to wheel), per leg, the factor
  rescaled to how full the leg's service ran (``loads``, sim.analysis.loads) and its own
  empty running where [emissions] says what its default assumes (Emissions.scale).
Money depends on the path and the cargo's tonnes per TEU only; CO2e also on the run's loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sim.model.costs import Charges, Rate, tonnes_per_teu, transit_tariffs, unpriced_rides
from sim.model.scenario import Route, Scenario

COST_PARTS = ("line_haul", "handling", "border", "transit_tariff", "subsidy")


@dataclass(frozen=True)
class CostBreakdown:
    """US$ per TEU (containers) or per tonne (bulk) by part; ``total`` is what the shipper pays."""

    line_haul: float = 0.0
    handling: float = 0.0
    border: float = 0.0
    transit_tariff: float = 0.0
    subsidy: float = 0.0  # public money per unit, already off the quoted rates
    subsidy_withdrawn: bool = False
    # Services of the route whose ride no rate prices (neither theirs nor a leg's): the
    # route's cost is then unknown, not the sum of the rest (a free ride it is not).
    unpriced: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every ride of the route has a price."""
        return not self.unpriced

    @property
    def total(self) -> float:
        paid = self.line_haul + self.handling + self.border + self.transit_tariff
        return paid + self.subsidy if self.subsidy_withdrawn else paid

    def parts(self) -> dict[str, float]:
        return {p: getattr(self, p) for p in COST_PARTS}


def _bulk(route: Route) -> bool:
    return route.demand.cargo == "bulk"


def _price(rate: Rate | None, bulk: bool, tonnes: float, km: float) -> float:
    """A rate per TEU of ``tonnes`` t over ``km`` (containers), or per tonne (bulk)."""
    if rate is None:
        return 0.0
    return rate.bulk(1.0, km) if bulk else rate.container(1.0, tonnes, km)


def lifted_nodes(scenario: Scenario, route: Route) -> list[str]:
    """Where the cargo is lifted (and pays handling): origin, transfers, gauge changes, destination."""
    out = [seg.nodes[0] for seg in route.segments]
    out += [n for n in route.path if scenario.nodes[n].gauge_change]
    out.append(route.path[-1])
    return list(dict.fromkeys(out))


def vehicles_at(scenario: Scenario, route: Route, node_id: str) -> set[str]:
    """The vehicle kinds that carry the route's cargo into, out of or through a node."""
    return {scenario.services[seg.service].vehicle for seg in route.segments if node_id in seg.nodes}


def route_cost(scenario: Scenario, route: Route, tonnes: float | None = None) -> CostBreakdown:
    """The money cost of one TEU (or tonne of bulk) on the route, holding ``tonnes`` per TEU."""
    bulk = _bulk(route)
    tonnes = tonnes_per_teu(scenario, route) if tonnes is None else tonnes
    line = subsidy = 0.0
    for seg in route.segments:
        km = sum(scenario.legs[lid].distance_km for lid in seg.legs)
        service = scenario.services[seg.service]
        line += _price(service.rate, bulk, tonnes, km)
        if service.rate is not None and service.rate.includes_transit:  # its transit part is reported as such
            line -= sum(transit_tariffs(scenario, route, seg.legs, tonnes).values())
        subsidy += _price(service.subsidy, bulk, tonnes, km)
        for lid in seg.legs:
            leg = scenario.legs[lid]
            line += _price(leg.rate, bulk, tonnes, leg.distance_km)
    handling = border = 0.0
    lifted = lifted_nodes(scenario, route)
    for nid in route.path:
        c = scenario.nodes[nid].charges
        if c is None:
            continue
        kinds = vehicles_at(scenario, route, nid)
        per_teu, per_tonne = (Charges.for_vehicles(x, kinds) for x in (c.border_per_teu, c.border_per_tonne))
        border += per_tonne if bulk else per_teu + per_tonne * tonnes
        if nid in lifted:
            per_teu, per_tonne = (Charges.for_vehicles(x, kinds) for x in (c.handling_per_teu, c.handling_per_tonne))
            handling += per_tonne if bulk else per_teu + per_tonne * tonnes
    withdrawn = scenario.costs is not None and not scenario.costs.subsidies
    tariffs = sum(transit_tariffs(scenario, route, tonnes=tonnes).values(), 0.0)
    return CostBreakdown(line, handling, border, tariffs, subsidy, withdrawn, tuple(unpriced_rides(scenario, route)))


def leg_co2e_g_per_tkm(scenario: Scenario, leg_id: str, service_id: str | None = None,
                       loads: Mapping[tuple[str, str], float] | None = None) -> float | None:
    """A leg's intensity (None: unknown): its own as given, else its mode's (and traction's)
    in [emissions], rescaled to the load ``loads`` measured for (service, leg) and to the
    service's own empty running (Emissions.scale)."""
    leg = scenario.legs[leg_id]
    if leg.co2e_g_per_tkm is not None:
        return leg.co2e_g_per_tkm
    e = scenario.emissions
    if e is None:
        return None
    factor = e.factor(leg.mode, leg.traction)
    if factor is None or service_id is None:
        return factor
    load = loads.get((service_id, leg_id)) if loads is not None else None
    return factor * e.scale(leg.mode, leg.traction, load, scenario.services[service_id].empty_running)


def route_co2e_kg(scenario: Scenario, route: Route, tonnes: float | None = None,
                  loads: Mapping[tuple[str, str], float] | None = None) -> float | None:
    """kg CO2e per TEU holding ``tonnes`` t (per tonne for bulk), its legs' factors at
    ``loads`` (sim.analysis.loads; None: at each default's own load); None if a leg has no factor."""
    tonnes = 1.0 if _bulk(route) else (tonnes_per_teu(scenario, route) if tonnes is None else tonnes)
    total = 0.0
    for seg in route.segments:
        for lid in seg.legs:
            factor = leg_co2e_g_per_tkm(scenario, lid, seg.service, loads)
            if factor is None:
                return None
            total += factor * tonnes * scenario.legs[lid].distance_km / 1000.0
    return total
