"""What the route map names: which nodes get a label first (route ends, gauge changes,
borders, ports, hubs), the short label of a node's name, and nodes close together sharing
one label.  Where each label goes is sim.viz.maplabels'.
"""

from __future__ import annotations

from typing import Sequence

from sim.model.scenario import Scenario
from sim.viz.geography import Point, node_point


# Words that say what a place is, not which: "Aktau port" is labelled "Aktau".
_GENERIC = frozenset({"port", "airport", "junction", "terminal", "container", "ring", "road", "cargo",
                      "international", "sea", "trade", "new", "dry", "rail", "freight", "city"})


def _short(name: str) -> str:
    """A map label from a node name: "Xi'an International Port (...)" -> "Xi'an"."""
    head = name.split(" (")[0].split(",")[0].split(" / ")[0].split("/")[0].strip()
    words = [w for w in head.split() if w.lower() not in _GENERIC] or head.split()
    head = " ".join(words)
    if len(words) > 2 or len(head) > 16:
        return words[0] if words else head
    return head


def _label_rank(scenario: Scenario, nid: str, ends: set[str]) -> int:
    """Placement priority of a node's label (0 first): route ends, gauge changes, borders, ports, hubs."""
    node = scenario.nodes[nid]
    if nid in ends:
        return 0
    if node.gauge_change:
        return 1
    if node.kind == "border" or "/" in node.country:
        return 2
    if node.kind in ("seaport", "ferry_terminal", "canal"):
        return 3
    if node.kind in ("terminal", "airport"):
        return 4
    return 5


CLUSTER_DEG = 0.2  # nodes closer than this share one label: a road and a rail border post side by side


def label_groups(scenario: Scenario, nodes: Sequence[str]) -> list[tuple[tuple[str, ...], Point, str]]:
    """The labels of some nodes in placement order: (node ids, point, text).

    Every node with coordinates is named; nodes within CLUSTER_DEG of a node named before
    them share its label, which gives both names if they differ.
    """
    ends = {n for r in scenario.routes.values() for n in (r.path[0], r.path[-1])}
    order = sorted((n for n in nodes if node_point(scenario, n) is not None),
                   key=lambda n: (_label_rank(scenario, n, ends), nodes.index(n)))
    groups: list[list] = []  # [node ids, point, text], the text growing as nodes join
    for nid in order:
        c = node_point(scenario, nid)
        assert c is not None
        head = next((g for g in groups if abs(g[1][0] - c[0]) < CLUSTER_DEG and abs(g[1][1] - c[1]) < CLUSTER_DEG), None)
        if head is not None:
            head[0].append(nid)
            name = _short(scenario.nodes[nid].name)
            if name not in head[2].split(" / "):
                head[2] = f"{head[2]} / {name}"
        else:
            groups.append([[nid], c, _short(scenario.nodes[nid].name)])
    return [(tuple(ids), point, text) for ids, point, text in groups]
