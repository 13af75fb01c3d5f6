"""Services shared by several routes: ``path``, ``allocation`` and ``background_load``.

Read with the service (``read_sharing``), resolved once the routes are known
(``resolve_sharing``).  A service's calls are its ``path`` (node ids) or, without one, the
longest stretch a route runs on it, which must then hold every other route's stretch.
Each route's stretch on the service must follow the service's legs in order.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from sim.model.errors import ScenarioError, kind_of
from sim.model.reading import Table, path_legs
from sim.model.scenario import BackgroundLoad, Leg, Node, Route, Service

SHARING_KEYS = ("path", "allocation", "background_load")


def read_sharing(t: Table) -> dict[str, Any]:
    """The sharing keys of a service table ``t`` as Service fields (the path still unchecked)."""
    out: dict[str, Any] = {}
    if t.has("path"):
        path = t.get("path")
        if not isinstance(path, list) or not all(isinstance(n, str) for n in path):
            raise ScenarioError(f"must be an array of node ids (the calls in order), got {kind_of(path)}", t.sub("path"))
        out["path"] = tuple(path)
    if t.has("allocation"):
        a = t.get("allocation")
        if not isinstance(a, Mapping) or not a:
            raise ScenarioError(
                f"must be a table of route id = share of capacity, e.g. {{ route_a = 0.6 }}, got {kind_of(a)}",
                t.sub("allocation"),
            )
        at = Table(a, t.sub("allocation"), tuple(a))
        shares = {str(rid): at.number(str(rid), minimum=0.0, maximum=1.0) for rid in a}
        total = sum(shares.values())
        if total > 1.0 + 1e-9:
            raise ScenarioError(f"shares sum to {total:g}; they must sum to at most 1 (the rest is first come, "
                                "first served)", t.sub("allocation"))
        out["allocation"] = shares
    if t.has("background_load"):
        out["background_load"] = _background_load(t)
    return out


def _background_load(t: Table) -> BackgroundLoad:
    key = t.sub("background_load")
    value = t.get("background_load")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return BackgroundLoad(share=_share(value, key))
    if not isinstance(value, Mapping):
        raise ScenarioError(f"must be a share of capacity (0 <= x < 1) or {{ teu = N }}, got {kind_of(value)}", key)
    bt = Table(value, key, ("share", "teu", "wagons"))
    given = [k for k in ("share", "teu", "wagons") if bt.has(k)]
    if len(given) != 1:
        raise ScenarioError("give exactly one of share, teu or wagons", key)
    if given[0] == "share":
        return BackgroundLoad(share=_share(bt.number("share"), bt.sub("share")))
    dist = bt.distribution(given[0])
    if dist.mean < 0:
        raise ScenarioError(f"must not be negative, got a mean of {dist.mean:g}", bt.sub(given[0]))
    return BackgroundLoad(units=dist, unit=given[0])


def _share(value: float, key: str) -> float:
    if not 0.0 <= value < 1.0:
        raise ScenarioError(
            f"a share of capacity must be at least 0 and below 1, got {value:g} "
            "(give {{ teu = N }} for a number of TEU per departure)".replace("{{", "{").replace("}}", "}"), key,
        )
    return float(value)


def resolve_sharing(
    services: Mapping[str, Service], routes: Mapping[str, Route], nodes: Mapping[str, Node], legs: Mapping[str, Leg]
) -> dict[str, Service]:
    """Each service with its calls, legs and users resolved and checked (see the module doc)."""
    users: dict[str, list[tuple[Route, int]]] = {}
    for route in routes.values():
        for k, seg in enumerate(route.segments):
            users.setdefault(seg.service, []).append((route, k))
    out = dict(services)
    for sid, service in services.items():
        mine = users.get(sid, [])
        where = f"services.{sid}"
        if service.path:
            path = service.path
            service_legs = tuple(path_legs(list(path), nodes, legs, f"{where}.path", what="service"))
        elif mine:
            route, k = max(mine, key=lambda u: len(u[0].segments[u[1]].nodes))
            seg = route.segments[k]
            path, service_legs = seg.nodes, seg.legs
        else:
            path, service_legs = (), ()
        for route, k in mine:
            _check_follows(route, k, path, service_legs, sid, bool(service.path))
        for rid in service.allocation:
            if rid not in {r.id for r, _ in mine}:
                carried = ", ".join(f"'{r.id}'" for r, _ in mine) or "no route"
                raise ScenarioError(f"names route '{rid}', which service '{sid}' does not carry (it carries {carried})",
                                    f"{where}.allocation.{rid}")
        _check_background(service, where)
        shared = len(mine) > 1 or service.background_load is not None or bool(service.allocation) or (
            bool(mine) and path != mine[0][0].segments[mine[0][1]].nodes
        )
        if shared and service.schedule.kind == "when_full":
            why = (f"is shared by routes {', '.join(repr(r.id) for r, _ in mine)}" if len(mine) > 1
                   else "carries background load or calls beyond its route's stretch")
            raise ScenarioError(
                f"service '{sid}' {why}, so it needs a timetable (departures_per_week or days), not when_full",
                f"{where}.schedule",
            )
        out[sid] = dataclasses.replace(
            service, path=tuple(path), legs=service_legs, users=tuple((r.id, k) for r, k in mine), shared=shared,
        )
    return out


def _check_follows(route: Route, k: int, path: tuple[str, ...], service_legs: tuple[str, ...], sid: str,
                   given: bool) -> None:
    """A route's stretch on the service is a run of consecutive calls of the service's path."""
    seg = route.segments[k]
    n = len(seg.nodes)
    for i in range(len(path) - n + 1):
        if path[i:i + n] == seg.nodes and service_legs[i:i + n - 1] == seg.legs:
            return
    stretch = " -> ".join(seg.nodes)
    if given:
        raise ScenarioError(
            f"its stretch on service '{sid}' ({stretch}) does not follow the service's path "
            f"({' -> '.join(path)}) in order", f"routes.{route.id}.path", related=(f"services.{sid}.path",),
        )
    raise ScenarioError(
        f"runs {stretch} on service '{sid}', which another route runs as {' -> '.join(path)}: give the service "
        "a path (its calls in order) that both follow", f"routes.{route.id}.services", related=(f"services.{sid}.path",),
    )


def _check_background(service: Service, where: str) -> None:
    """Background load in the service's own units, below its capacity."""
    load = service.background_load
    if load is None or load.units is None:
        return
    unit = "teu" if service.capacity_teu is not None else "wagons"
    if load.unit != unit:
        raise ScenarioError(
            f"service '{service.id}' counts capacity in {unit.upper() if unit == 'teu' else unit}, "
            f"so give {{ {unit} = N }} (or a share)", f"{where}.background_load.{load.unit}",
        )
    if load.units.mean >= service.space:
        raise ScenarioError(
            f"a mean of {load.units.mean:g} {unit.upper() if unit == 'teu' else unit} per departure is not below "
            f"the capacity ({service.space:g}): the modelled cargo would never fit", f"{where}.background_load",
        )

