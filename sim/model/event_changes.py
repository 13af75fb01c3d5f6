"""What a dated event changes: a capacity event's ``set`` (new values) and ``scale``
(multipliers) of a node, leg or service, each key checked against what the target has, and
a diversion's path, checked like a route's, with each diverted route's segments on it.
Every problem is one ScenarioError at ``events.<id>.<key>`` (sim.model.events reads the rest).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sim.model.errors import ScenarioError, kind_of
from sim.model.overrides import printable
from sim.model.reading import (
    HOURS,
    LEG_TIMING_KEYS,
    MAX_SERVERS,
    SUITS,
    Table,
    leg_timing,
    path_legs,
    route_services,
    segments as path_segments,
)
from sim.model.scenario import VEHICLES, Node, Route, Service
from sim.model.suggest import unknown_key_message

SECTIONS = ("nodes", "legs", "services", "routes")  # the network an event targets, in this order
# The numbers a capacity event may change, by what it targets: set (new values) and scale
# (multipliers).  A leg's set takes any one of its timing keys, normalised to km/day or days.
SET_KEYS = {
    "nodes": ("servers", "handling_hours"),
    "legs": LEG_TIMING_KEYS,
    "services": ("departures_per_week", "capacity_teu", "capacity_wagons"),
}
SCALE_KEYS = {
    "nodes": ("servers", "handling_hours"),
    "legs": ("speed",),
    "services": ("departures_per_week", "capacity_teu", "capacity_wagons"),
}
SINGULAR = {"nodes": "node", "legs": "leg", "services": "service", "routes": "route"}
MAX_SCALE = 1000.0


# ---------------------------------------------------------------------------------------
# What a capacity event changes


def _keys(t: Table, key: str, section: str, target: Any, allowed: Sequence[str], what: str) -> Mapping[str, Any] | None:
    """The ``set`` or ``scale`` table, with every key one the target has."""
    if not t.has(key):
        return None
    value = t.get(key)
    where = t.sub(key)
    if not isinstance(value, Mapping):
        raise ScenarioError(f"must be a table like {{ {allowed[0]} = ... }}, got {kind_of(value)}", where)
    if not value:
        raise ScenarioError(f"is empty: give at least one of {', '.join(allowed)}", where)
    for k in value:
        if k not in allowed:
            hint = unknown_key_message(str(k), allowed, what="key").split("; ", 1)[1]
            raise ScenarioError(
                f"{SINGULAR[section]} '{target.id}' has no '{printable(str(k))[:40]}' to {what}; {hint}", f"{where}.{k}"
            )
    return value


def read_set(t: Table, section: str, target: Any, network: Mapping[str, Mapping]) -> dict[str, Any]:
    """A capacity event's ``set``: new values, each a key its target has, checked as the target's own key is."""
    value = _keys(t, "set", section, target, SET_KEYS[section], "set")
    if value is None:
        return {}
    s = Table(value, t.sub("set"), SET_KEYS[section])
    out: dict[str, Any] = {}
    if section == "nodes":
        if s.has("servers"):
            _needs_servers(target, s.sub("servers"))
            out["servers"] = s.integer("servers", minimum=1)
            if out["servers"] > MAX_SERVERS:  # each server is a slot the engine tracks, as for a node
                raise ScenarioError(f"must be at most {MAX_SERVERS:,}, got {out['servers']:,}", s.sub("servers"))
        if s.has("handling_hours"):
            value = s.get("handling_hours")
            for vehicle in value if isinstance(value, Mapping) else ():
                if vehicle in VEHICLES and vehicle not in target.handling:
                    raise ScenarioError(
                        f"node '{target.id}' handles no {vehicle} (its handling_hours are for "
                        f"{', '.join(target.handling) or 'no vehicle'})", f"{s.sub('handling_hours')}.{vehicle}",
                    )
            h = Table(value, s.sub("handling_hours"), tuple(target.handling))
            out["handling_hours"] = {v: h.distribution(v, HOURS) for v in target.handling if h.has(v)}
            if not out["handling_hours"]:
                raise ScenarioError(f"is empty: give the handling of {', '.join(target.handling)}", s.sub("handling_hours"))
    elif section == "legs":
        speed, duration = leg_timing(s)
        out["speed_km_per_day" if speed is not None else "duration_days"] = speed if speed is not None else duration
    else:
        if s.has("departures_per_week"):
            _needs_frequency(target, s.sub("departures_per_week"))
            out["departures_per_week"] = s.number("departures_per_week", positive=True, maximum=7 * 24 * 60)
        for k in ("capacity_teu", "capacity_wagons"):
            if s.has(k):
                _needs_capacity_key(target, k, s.sub(k))
                out[k] = s.number(k, positive=True) if k == "capacity_teu" else s.integer(k, minimum=1)
        _check_room(target, out.get("capacity_teu"), s.sub("capacity_teu"), network)
    return out


def read_scale(t: Table, section: str, target: Any, network: Mapping[str, Mapping]) -> dict[str, float]:
    """A capacity event's ``scale``: multipliers above 0 (at most MAX_SCALE) of keys its target has."""
    value = _keys(t, "scale", section, target, SCALE_KEYS[section], "scale")
    if value is None:
        return {}
    s = Table(value, t.sub("scale"), SCALE_KEYS[section])
    out = {k: s.number(k, positive=True, maximum=MAX_SCALE) for k in SCALE_KEYS[section] if s.has(k)}
    where = s.sub
    if section == "nodes":
        if "servers" in out:
            _needs_servers(target, where("servers"))
        if "handling_hours" in out and not target.handling:
            raise ScenarioError(f"node '{target.id}' handles no vehicle (no handling_hours) to scale", where("handling_hours"))
    elif section == "services":
        if "departures_per_week" in out:
            _needs_frequency(target, where("departures_per_week"))
        for k in ("capacity_teu", "capacity_wagons"):
            if k in out:
                _needs_capacity_key(target, k, where(k))
        if "capacity_teu" in out:
            _check_room(target, target.capacity_teu * out["capacity_teu"], where("capacity_teu"), network)
    return out


def _needs_servers(node: Node, key: str) -> None:
    if node.servers is None:
        raise ScenarioError(
            f"node '{node.id}' has no servers (no capacity limit) to change: give the node servers = N", key
        )


def _needs_frequency(service: Service, key: str) -> None:
    if service.schedule.kind != "frequency":
        what = "departure_days" if service.schedule.kind == "days" else "when_full"
        raise ScenarioError(
            f"service '{service.id}' runs on {what}, not departures_per_week: there is no frequency to change", key
        )


def _needs_capacity_key(service: Service, key: str, where: str) -> None:
    has = "capacity_teu" if service.capacity_teu is not None else "capacity_wagons"
    if key != has:
        raise ScenarioError(f"service '{service.id}' has {has}, not {key}", where)


def _check_room(service: Service, capacity_teu: float | None, key: str, network: Mapping[str, Mapping]) -> None:
    """A changed TEU capacity still holds one container of every route the service carries."""
    if capacity_teu is None:
        return
    for route in network["routes"].values():
        if any(seg.service == service.id for seg in route.segments) and capacity_teu < route.demand.unit_teu - 1e-9:
            raise ScenarioError(
                f"would leave service '{service.id}' {capacity_teu:g} TEU, smaller than one container of "
                f"route '{route.id}' ({route.demand.unit_teu:g} TEU)", key,
            )


# ---------------------------------------------------------------------------------------
# Diversions


def read_divert(t: Table, targets: Sequence[str], network: Mapping[str, Mapping]) -> tuple[tuple[str, ...], dict]:
    """The diverted path (checked like a route's) and each target route's segments on it."""
    nodes, legs, services, routes = (network[s] for s in SECTIONS)
    stops = t.required("path")
    leg_ids = path_legs(stops, nodes, legs, t.sub("path"))
    used = {seg.service: r.id for r in routes.values() for seg in r.segments}
    out = {}
    for rid in targets:
        route = routes[rid]
        shared = [seg.service for seg in route.segments if services[seg.service].shared]
        if shared:
            raise ScenarioError(
                f"route '{rid}' rides service '{shared[0]}', which is shared (its calls carry other cargo); "
                "a diversion applies to routes on services of their own", t.sub("routes"),
            )
        if (stops[0], stops[-1]) != (route.path[0], route.path[-1]):
            raise ScenarioError(
                f"must run from '{route.path[0]}' to '{route.path[-1]}', the ends of route '{rid}' (a diverted "
                f"route keeps its origin and destination), got '{stops[0]}' to '{stops[-1]}'", t.sub("path"),
            )
        if t.has("services"):
            per_leg = route_services(t, len(leg_ids), services)
        elif len({seg.service for seg in route.segments}) == 1:
            per_leg = [route.segments[0].service] * len(leg_ids)
        else:
            raise ScenarioError(
                f"route '{rid}' changes service on the way: give the services of the diverted path", t.path
            )
        segs = path_segments(stops, leg_ids, per_leg, t.sub("services"))
        for seg in segs:
            if services[seg.service].shared:
                raise ScenarioError(
                    f"service '{seg.service}' is shared (its calls carry other cargo); a diverted route uses its own "
                    "services or ones no route uses", t.sub("services"),
                )
            owner = used.get(seg.service)
            if owner is not None and owner != rid:
                raise ScenarioError(
                    f"service '{seg.service}' runs route '{owner}'; a diverted route uses its own services "
                    "or ones no route uses", t.sub("services"),
                )
            service = services[seg.service]
            for leg_id in seg.legs:
                mode = legs[leg_id].mode
                if mode not in SUITS[service.vehicle]:
                    raise ScenarioError(
                        f"service '{seg.service}' runs {service.vehicle}s, which cannot travel {mode} leg '{leg_id}' "
                        f"of the diverted path (a {service.vehicle} travels {' or '.join(SUITS[service.vehicle])} legs)",
                        t.sub("services") if t.has("services") else t.sub("path"),
                    )
            _check_cargo(route, service, t.sub("services") if t.has("services") else t.sub("path"))
        out[rid] = segs
    return tuple(stops), out


def _check_cargo(route: Route, service: Service, key: str) -> None:
    """The service can carry the route's kind of cargo, and at least one unit of it."""
    if route.demand.cargo == "bulk":
        if service.capacity_wagons is None:
            raise ScenarioError(f"service '{service.id}' has no capacity_wagons for bulk route '{route.id}'", key)
    elif service.capacity_teu is None or service.capacity_teu < route.demand.unit_teu - 1e-9:
        raise ScenarioError(f"service '{service.id}' cannot carry a container of route '{route.id}'", key)
