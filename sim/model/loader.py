"""Read a scenario file, apply ``--set`` overrides, validate, and build the Scenario.

Every problem raises ScenarioError naming the file, the dotted key path and what is wrong,
so the CLI can print one line and exit 2.  Nothing from a file is ever evaluated.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Mapping, Sequence

import numpy as np

from sim.model.costs import check_through_rates, read_costs, read_emissions
from sim.model.flows import check_flows, read_cargo_classes, read_choice, read_flows, routes_of_flows
from sim.model.errors import ScenarioError
from sim.model.events import event_warnings, parse_events
from sim.model.fleets import resolve_fleets
from sim.model.overrides import LIST_SECTIONS, TABLE_SECTIONS, Override, apply_overrides
from sim.model.pools import check_pools
from sim.model.sharing import resolve_sharing
from sim.model.scenario import ARRIVAL_PROCESSES, LEG_MODES, Leg, Route, Scenario, Service
from sim.model.reading import SUITS, items as _items
from sim.model.documents import read_document, resolve_path
from sim.model.sections import read_claims_file, read_leg, read_node, read_route, read_service, read_settings
from sim.model.suggest import unknown_key_message

TOP_KEYS = TABLE_SECTIONS + LIST_SECTIONS + ("source", "notes", "note")


# ---------------------------------------------------------------------------------------
# Finding and reading the file


def load_scenario(name_or_path: str, overrides: Sequence[Override] = ()) -> Scenario:
    """Load, override and validate a scenario (file path or bundled name), resolving ``extends``."""
    # The resolved path: the same file reached as ../x.toml or /abs/x.toml is recorded, and
    # so written to summary.json and report.html, the same way.
    path = resolve_path(name_or_path).resolve()
    return scenario_from(read_document(path), str(path), overrides, default_name=path.stem)


def scenario_from(
    raw: Mapping[str, Any], source: str, overrides: Sequence[Override] = (), default_name: str = "scenario",
) -> Scenario:
    """Apply overrides to a parsed document and validate it; an error names the file, or
    the ``--set`` that caused it, and the key path."""
    if overrides:
        raw = apply_overrides(copy.deepcopy(dict(raw)), overrides, file=source)
    deep = _too_deep(raw, MAX_DEPTH)
    if deep is not None:
        raise ScenarioError(f"nested more than {MAX_DEPTH} levels deep", deep, source)
    try:
        scenario = build_scenario(raw, source=source, default_name=default_name)
    except ScenarioError as exc:
        culprit = next(
            (c for c in (_override_at(p, overrides) for p in (exc.key, *exc.related)) if c), None
        )
        if culprit is not None:
            raise ScenarioError(exc.message, exc.key, culprit.where) from None
        raise exc.located(source) from None
    except RecursionError:
        raise ScenarioError("scenario nested too deeply", file=source) from None
    return dataclasses.replace(scenario, overrides=tuple(overrides))


MAX_DEPTH = 24  # tables and arrays inside each other; a scenario needs about 5


def _too_deep(value: Any, limit: int, path: str = "") -> str | None:
    """The key path where ``value`` nests deeper than ``limit``, or None (iterative: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > limit:
            return where or "(top level)"
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item))
    return None


def _override_at(path: str, overrides: Sequence[Override]) -> Override | None:
    """The last override that set ``path`` or a key inside or around it, if any."""
    for override in reversed(overrides):
        dotted = override.dotted
        if path and (path == dotted or path.startswith(dotted + ".") or dotted.startswith(path + ".")):
            return override
        if path.split("[")[0] == dotted:
            return override
    return None


def build_scenario(raw: Mapping[str, Any], source: str = "", default_name: str = "scenario") -> Scenario:
    """Validate a parsed scenario document and build the immutable Scenario."""
    if not isinstance(raw, Mapping):
        raise ScenarioError("a scenario must be a TOML document of tables")
    for key in raw:
        if key not in TOP_KEYS:
            raise ScenarioError(unknown_key_message(str(key), TOP_KEYS, what="section"), str(key))
    settings = read_settings(raw, default_name)
    claims = read_claims_file(raw, source)
    nodes = {i: read_node(i, e) for i, e in _items(raw, "nodes")}
    legs = {i: read_leg(i, e, nodes) for i, e in _items(raw, "legs")}
    services = {i: read_service(i, e) for i, e in _items(raw, "services")}
    routes = {i: read_route(i, e, nodes, legs, services) for i, e in _items(raw, "routes")}
    if not routes:
        raise ScenarioError("a scenario needs at least one [[routes]] entry", "routes")
    classes = read_cargo_classes(raw)
    choice = read_choice(raw)
    flows = read_flows(raw, nodes, routes, classes, choice, ARRIVAL_PROCESSES)
    routes = routes_of_flows(raw, routes, flows)
    costs = read_costs(raw, {c for n in nodes.values() for c in n.country.split("/") if c}, LEG_MODES)
    emissions = read_emissions(raw)
    services = resolve_sharing(services, routes, nodes, legs)
    services = resolve_fleets(services, nodes, legs)
    _check_vehicle_modes(routes, legs, services)
    events = parse_events(raw, settings, nodes, legs, services, routes)
    scenario = Scenario(
        settings, nodes, legs, services, routes, source, copy.deepcopy(dict(raw)), claims=claims, events=events,
        costs=costs, emissions=emissions, cargo_classes=classes, flows=flows, choice=choice,
    )
    check_flows(scenario)
    check_through_rates(scenario)
    check_pools(scenario)
    for route in routes.values():
        for seg in route.segments:
            _check_capacity(scenario, route, services[seg.service])
    return dataclasses.replace(scenario, warnings=plausibility_warnings(scenario))


BACKGROUND_QUANTILE = 0.999  # a background load's draws above this quantile are rare enough to let pass

# Plausible moving speeds by leg mode, km/day (km/h x 24 for road and air): outside them a
# unit is probably mixed up (60 km/day for a train is 60 km/h typed as km/day).
PLAUSIBLE_KM_PER_DAY = {
    "rail": (150.0, 2500.0),
    "sea": (250.0, 1500.0),
    "ferry": (150.0, 1500.0),
    "road": (20.0 * 24, 130.0 * 24),
    "air": (300.0 * 24, 1000.0 * 24),
}


def _check_vehicle_modes(routes: Mapping[str, Route], legs: Mapping[str, Leg], services: Mapping[str, Service]) -> None:
    """A service's vehicles must be able to travel every leg it runs: no truck on a rail leg."""
    for sid, service in services.items():
        vehicle = service.vehicle
        for leg_id in service.legs:
            mode = legs[leg_id].mode
            if mode not in SUITS[vehicle]:
                where = f"routes.{service.users[0][0]}.services" if service.users and not service.shared else f"services.{sid}.path"
                raise ScenarioError(
                    f"service '{sid}' runs {vehicle}s, which cannot travel {mode} leg '{leg_id}' "
                    f"(a {vehicle} travels {' or '.join(SUITS[vehicle])} legs)",
                    where,
                    related=(f"services.{sid}.vehicle", f"legs.{leg_id}.mode"),
                )


def plausibility_warnings(scenario: Scenario) -> tuple[str, ...]:
    """Legal but suspicious input, one line each: a speed far outside its mode's range,
    handling times given for a vehicle kind that never stops at that node, a background
    load whose draws reach the capacity, an idle event."""
    out = []
    for service in scenario.services.values():
        load = service.background_load
        if load is not None and load.units is not None:
            high = float(load.units.quantile(np.array([BACKGROUND_QUANTILE]))[0])
            if high >= service.space:
                unit = "TEU" if load.unit == "teu" else load.unit
                out.append(
                    f"services.{service.id}.background_load: its {BACKGROUND_QUANTILE * 100:g}th percentile "
                    f"({high:,.4g} {unit}) reaches the capacity ({service.space:g}): a departure that draws that "
                    "much carries no modelled cargo (each draw is capped at the capacity)"
                )
    tariffs = scenario.costs.tariffs if scenario.costs is not None else {}
    for country in tariffs:
        if not any(leg.country == country for leg in scenario.legs.values()):
            out.append(f"costs.transit_tariffs.{country}: no leg lies in {country}, so no route pays it (a leg's country "
                       "is the one its two end nodes share, or its own country key)")
    for leg in scenario.legs.values():
        if leg.speed_km_per_day is None:
            continue
        low, high = PLAUSIBLE_KM_PER_DAY[leg.mode]
        speed = leg.speed_km_per_day.mean
        if not low <= speed <= high:
            out.append(
                f"legs.{leg.id}: a mean speed of {speed:,.0f} km/day is outside the usual "
                f"{low:,.0f}-{high:,.0f} km/day of {leg.mode} (a km/h or knots value given as km/day?)"
            )
    visiting: dict[str, set[str]] = {nid: set() for nid in scenario.nodes}
    for service in scenario.services.values():
        if service.users:
            for nid in service.path:
                visiting[nid].add(service.vehicle)
    for nid, node in scenario.nodes.items():
        unused = sorted(set(node.handling) - visiting[nid])
        if unused and visiting[nid]:
            out.append(
                f"nodes.{nid}.handling_hours: {', '.join(unused)} handling is given but no "
                f"{' or '.join(unused)} stops at {nid} (it is handled only as {', '.join(sorted(visiting[nid]))})"
            )
    return tuple(out + event_warnings(scenario))


def _check_capacity(scenario: Scenario, route: Route, service: Service) -> None:
    """A service carries the route's kind of cargo, and at least one unit of it."""
    where = f"services.{service.id}"
    if route.demand.cargo == "bulk":
        if service.capacity_wagons is None:
            raise ScenarioError(
                f"carries bulk route '{route.id}', so it needs capacity_wagons instead of capacity_teu",
                f"{where}.capacity_teu",
                related=(f"routes.{route.id}.demand.tonnes_per_year",),
            )
        return
    if service.capacity_teu is None:
        raise ScenarioError(
            f"carries container route '{route.id}', so it needs capacity_teu instead of capacity_wagons",
            f"{where}.capacity_wagons",
            related=(f"routes.{route.id}.demand.teu_per_year",),
        )
    if scenario.service_capacity(route, service.id) < 1:
        raise ScenarioError(
            f"capacity_teu ({service.capacity_teu:g}) is smaller than one "
            f"container of route '{route.id}' ({route.demand.unit_teu:g} TEU)",
            f"{where}.capacity_teu",
            related=(f"routes.{route.id}.demand.container_teu",),
        )
