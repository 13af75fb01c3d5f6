"""Direction- and service-aware nodes: ``[[nodes.pools]]``, the parts of a node some vehicles use.

A gauge-change yard handles each direction on its own tracks; a border may share one pool of
servers but take longer one way.  A pool names the vehicles it takes (``direction``
westbound/eastbound, ``from`` the nodes they arrive from, ``services``) and gives them its
own ``servers`` and/or ``handling_hours``.  Which pool a vehicle uses depends only on its
route segment and where it came from, so it is fixed when the scenario is loaded.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from sim.model.errors import ScenarioError
from sim.model.reading import Table, check_ids, read_handling, read_servers
from sim.model.distributions import Distribution
from sim.model.scenario import Node, NodePool, Route, Scenario, Segment

DIRECTIONS = ("westbound", "eastbound")
POOL_KEYS = ("id", "direction", "from", "services", "servers", "handling_hours")


def read_pools(t: Table) -> tuple[NodePool, ...]:
    """A node's ``pools`` (array of tables); their node and service ids are checked later."""
    if not t.has("pools"):
        return ()
    raw = t.get("pools")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError("must be a non-empty array of tables ([[nodes.pools]])", t.sub("pools"))
    pools, seen = [], set()
    for i, entry in enumerate(raw):
        p = Table(entry, f"{t.sub('pools')}[{i}]", POOL_KEYS)
        ident = p.string("id")
        if ident in seen:
            raise ScenarioError(f"pool '{ident}' is given twice", p.sub("id"))
        seen.add(ident)
        direction = p.string("direction", choices=DIRECTIONS) if p.has("direction") else None
        from_nodes = _ids(p, "from")
        services = _ids(p, "services")
        if direction is None and not from_nodes and not services:
            raise ScenarioError("a pool needs direction, from or services: which vehicles it takes", p.path)
        servers = read_servers(p, "a pool")
        handling = read_handling(p)
        if servers is None and not handling:
            raise ScenarioError("a pool needs servers or handling_hours: what it changes for its vehicles", p.path)
        pools.append(NodePool(ident, direction, from_nodes, services, servers, handling))
    return tuple(pools)


def _ids(p: Table, key: str) -> tuple[str, ...]:
    if not p.has(key):
        return ()
    value = p.get(key)
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ScenarioError("must be an id or an array of ids", p.sub(key))
    return tuple(value)


def direction_of(nodes: Mapping[str, Node], seg: Segment) -> str | None:
    """'westbound' when a segment ends west of where it began, 'eastbound' east; None when a
    node lacks its longitude or both ends lie on one meridian."""
    a, b = nodes[seg.nodes[0]].lon, nodes[seg.nodes[-1]].lon
    if a is None or b is None or a == b:
        return None
    return "westbound" if b < a else "eastbound"


def matches(pool: NodePool, service: str, direction: str | None, came_from: str | None) -> bool:
    """Whether a vehicle of ``service`` going ``direction`` from ``came_from`` uses ``pool``."""
    return (
        (pool.direction is None or pool.direction == direction)
        and (not pool.from_nodes or came_from in pool.from_nodes)
        and (not pool.services or service in pool.services)
    )


def pool_of(nodes: Mapping[str, Node], node_id: str, seg: Segment, came_from: str | None) -> int:
    """The pool a vehicle of ``seg`` arriving from ``came_from`` uses at ``node_id``: 0 for
    the node's own servers and handling, k for its k-th pool."""
    pools = nodes[node_id].pools
    if not pools:
        return 0
    direction = direction_of(nodes, seg)
    for k, pool in enumerate(pools, start=1):
        if matches(pool, seg.service, direction, came_from):
            return k
    return 0


def handling_of(node: Node, pool: int, vehicle: str) -> Distribution | None:
    """The handling time of a vehicle kind in a pool of a node (its own, else the node's)."""
    if pool and vehicle in node.pools[pool - 1].handling:
        return node.pools[pool - 1].handling[vehicle]
    return node.handling.get(vehicle)


def servers_of(node: Node, pool: int) -> int | None:
    """The servers a pool's vehicles queue for: its own, or the node's (None: no limit)."""
    if pool and node.pools[pool - 1].servers is not None:
        return node.pools[pool - 1].servers
    return node.servers


def visits(scenario: Scenario) -> Iterator[tuple[Route, Segment, int, str, str | None]]:
    """Every (route, segment, position, node, node arrived from) a route's vehicles stop at,
    the ways back of finite fleets included (their route is the one that runs the service).
    A shared service's vehicles run its whole path (sim.model.sharing): its first route
    stands for them, and at the origin they come from nowhere."""
    for service in scenario.services.values():
        if not service.users:
            continue
        rid, k = service.users[0]
        route = scenario.routes[rid]
        if service.shared:
            seg = service.run
            for j, nid in enumerate(seg.nodes):
                yield route, seg, j, nid, seg.nodes[j - 1] if j else None
        else:
            seg = route.segments[k]
            path = list(route.path)
            start = path.index(seg.nodes[0])
            for j, nid in enumerate(seg.nodes):
                came = seg.nodes[j - 1] if j else (path[start - 1] if start else None)
                yield route, seg, j, nid, came
        fleet = service.fleet
        if fleet is not None and fleet.rotation:
            way = Segment(service.id, fleet.rotation, fleet.rotation_legs)
            for j, nid in enumerate(way.nodes[1:-1], start=1):
                yield route, way, j, nid, way.nodes[j - 1]


def check_pools(scenario: Scenario) -> None:
    """Pools name real nodes and services, a direction can be told for the vehicles they may
    take, each pool is used by some route's vehicles, and every vehicle stopping at a node
    with servers has a handling time there (else it would pass the queue untimed)."""
    used: dict[tuple[str, int], bool] = {}
    for nid, node in scenario.nodes.items():
        for k, pool in enumerate(node.pools):
            where = f"nodes.{nid}.pools[{k}]"
            if pool.from_nodes:
                check_ids(list(pool.from_nodes), scenario.nodes, "node", f"{where}.from")
            if pool.services:
                check_ids(list(pool.services), scenario.services, "service", f"{where}.services")
            used[(nid, k + 1)] = False
    for route, seg, j, nid, came in visits(scenario):
        node = scenario.nodes[nid]
        if node.pools and any(p.direction for p in node.pools) and direction_of(scenario.nodes, seg) is None:
            ends = f"'{seg.nodes[0]}' and '{seg.nodes[-1]}'"
            raise ScenarioError(
                f"a pool of node '{nid}' takes vehicles by direction, but the direction of route '{route.id}' "
                f"cannot be told: give lon to nodes {ends}", f"nodes.{nid}.pools",
            )
        pool = pool_of(scenario.nodes, nid, seg, came)
        if pool:
            used[(nid, pool)] = True
        vehicle = scenario.services[seg.service].vehicle
        if servers_of(node, pool) is not None and handling_of(node, pool, vehicle) is None:
            part = f"pool '{node.pools[pool - 1].id}' of node '{nid}'" if pool else f"node '{nid}'"
            who = (f"the {vehicle}s of service '{seg.service}' stop there on their way back (its fleet's rotation)"
                   if seg not in route.segments else
                   f"the {vehicle}s of route '{route.id}' (service '{seg.service}') stop there")
            raise ScenarioError(
                f"{part} has servers, but {who} with no handling time: give handling_hours.{vehicle}",
                f"nodes.{nid}" + (f".pools[{pool - 1}]" if pool else "") + ".handling_hours",
            )
    for (nid, k), ok in used.items():
        if not ok:
            pool = scenario.nodes[nid].pools[k - 1]
            raise ScenarioError(
                f"no route's vehicle uses pool '{pool.id}' (none arrives {_describe(pool)})", f"nodes.{nid}.pools[{k - 1}]",
            )


def _describe(pool: NodePool) -> str:
    parts = []
    if pool.direction:
        parts.append(pool.direction)
    if pool.from_nodes:
        parts.append("from " + " or ".join(pool.from_nodes))
    if pool.services:
        parts.append("on " + " or ".join(pool.services))
    return ", ".join(parts)
