"""A service's finite fleet: ``fleet``, ``rotation`` and ``turnaround_hours`` of its table.

Read with the service (``read_fleet``), then resolved once the routes are known
(``resolve_fleets``): the rotation runs from where the service's run ends back to its
origin, and without one the vehicles come back the way they went.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from sim.model.errors import ScenarioError, kind_of
from sim.model.reading import HOURS, SUITS, Table, path_legs
from sim.model.scenario import Fleet, Leg, Node, Service

FLEET_KEYS = ("fleet", "rotation", "turnaround_hours")
# More vehicles than any service could keep busy is a typo (or meant 'unlimited': leave fleet out).
MAX_VEHICLES = 100_000


def read_fleet(t: Table) -> Fleet | None:
    """The fleet of a service table ``t`` (its rotation still unchecked), or None without one."""
    if not t.has("fleet"):
        for key in ("rotation", "turnaround_hours"):
            if t.has(key):
                raise ScenarioError("applies only to a service with a fleet (add fleet = { vehicles = N })", t.sub(key))
        return None
    ft = Table(t.get("fleet"), t.sub("fleet"), ("vehicles",))
    vehicles = ft.integer("vehicles", minimum=1)
    if vehicles > MAX_VEHICLES:
        raise ScenarioError(
            f"{vehicles:,} vehicles is more than a service can use (at most {MAX_VEHICLES:,}); "
            "leave fleet out for unlimited vehicles", ft.sub("vehicles"),
        )
    rotation: Any = t.get("rotation", ())
    if not isinstance(rotation, (list, tuple)) or not all(isinstance(n, str) for n in rotation):
        raise ScenarioError(f"must be an array of node ids, got {kind_of(rotation)}", t.sub("rotation"))
    if t.has("rotation") and len(rotation) < 2:
        raise ScenarioError(
            "must list the nodes from where the run ends back to its origin (at least two); "
            "leave it out to come back the way out", t.sub("rotation"),
        )
    turnaround = t.distribution("turnaround_hours", HOURS) if t.has("turnaround_hours") else None
    return Fleet(vehicles, tuple(rotation), (), turnaround)


def resolve_fleets(services: Mapping[str, Service], nodes: Mapping[str, Node], legs: Mapping[str, Leg]) -> dict[str, Service]:
    """The services with each fleet's rotation checked and its legs found (see the module doc);
    the services' calls (sim.model.sharing) are resolved already."""
    out = dict(services)
    for sid, service in services.items():
        fleet = service.fleet
        if fleet is None:
            continue
        key = f"services.{sid}.rotation"
        if not service.path:  # not used by any route: check what can be checked
            if fleet.rotation:
                out[sid] = dataclasses.replace(
                    service, fleet=dataclasses.replace(fleet, rotation_legs=tuple(path_legs(list(fleet.rotation), nodes, legs, key)))
                )
            continue
        run = service.path
        who = f"route '{service.users[0][0]}'" if len(service.users) == 1 and not service.shared else "its path"
        if not fleet.rotation:
            rotation, rotation_legs = tuple(reversed(run)), tuple(reversed(service.legs))
        else:
            rotation = fleet.rotation
            if rotation[0] != run[-1]:
                raise ScenarioError(
                    f"must start where the service's run ends ('{run[-1]}' on {who}), got '{rotation[0]}'", f"{key}[0]",
                )
            if rotation[-1] != run[0]:
                raise ScenarioError(
                    f"does not connect back to the service's origin: must end at '{run[0]}' "
                    f"(where {who} loads it), got '{rotation[-1]}'", f"{key}[{len(rotation) - 1}]",
                )
            rotation_legs = tuple(path_legs(list(rotation), nodes, legs, key, what="rotation"))
        for leg_id in rotation_legs:
            mode = legs[leg_id].mode
            if mode not in SUITS[service.vehicle]:
                raise ScenarioError(
                    f"service '{sid}' runs {service.vehicle}s, which cannot travel {mode} leg '{leg_id}' on the way back "
                    f"(a {service.vehicle} travels {' or '.join(SUITS[service.vehicle])} legs)", key,
                    related=(f"legs.{leg_id}.mode",),
                )
        out[sid] = dataclasses.replace(service, fleet=dataclasses.replace(fleet, rotation=rotation, rotation_legs=rotation_legs))
    return out
