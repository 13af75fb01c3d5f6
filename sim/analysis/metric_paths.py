"""Metrics named by a dotted path, as summary.json spells them: ``routes.<id>.<metric>[.mean]``.

A sweep (sim.study) asks for metrics this way.  A path names one row of the metrics table
per replication (or the one pooled row of a pooled metric such as ``transit_days.p95``);
a pattern (``routes.*.transit_days``, ``flow_options.xian_duisburg/*.share``; ``*`` also
matches dots) takes every metric it matches.  ``rows_of`` says which rows a
scenario's table will hold, so a path is checked before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Sequence

import numpy as np

from sim.analysis.metric_contexts import POOLED, flow_option_id, node_pool_id, route_service_id, service_leg_id
from sim.analysis.metrics import CONDITIONAL, REGISTRY, SHARED_ONLY
from sim.analysis.metrics_table import MetricsTable, accounting_metrics
from sim.model.errors import UsageError
from sim.model.suggest import unknown_key_message
from sim.model.scenario import Scenario

#: the first key of a path (summary.json's sections) and the entity kind it names
SECTIONS = {
    "routes": "route", "nodes": "node", "node_pools": "node_pool", "route_services": "route_service",
    "services": "service", "service_legs": "service_leg", "events": "event", "flows": "flow",
    "flow_options": "flow_option", "countries": "country",
}
MEAN = ".mean"  # the mean over replications: what summary.json's ``<metric>.mean`` reports


@dataclass(frozen=True)
class MetricPath:
    """One metric of one entity: its path as written, and the metrics-table row it reads."""

    path: str
    kind: str
    entity: str
    name: str

    @property
    def pooled(self) -> bool:
        return REGISTRY[(self.kind, self.name)].pooled

    @property
    def unit(self) -> str:
        return REGISTRY[(self.kind, self.name)].unit

    def values(self, table: MetricsTable) -> tuple[np.ndarray, np.ndarray]:
        """(replications, values) of this metric in a run's table; a pooled metric has one
        value, at replication POOLED (-1)."""
        if self.pooled:
            return np.array([POOLED], dtype=np.int64), np.array([table.pooled(self.kind, self.entity, self.name)])
        return np.asarray(table.replications, dtype=np.int64), table.values(self.kind, self.entity, self.name)


def rows_of(scenario: Scenario, impact: bool = True) -> dict[str, dict[str, tuple[str, ...]]]:
    """{kind: {entity id: metric names}} the scenario's metrics table holds (the rules of
    ``metrics_table``; tests/test_metric_paths.py keeps the two the same)."""
    names: dict[str, list[str]] = {}
    shared: dict[str, list[str]] = {}
    conditional: dict[str, list[str]] = {}
    for (kind, name), m in REGISTRY.items():
        target = conditional if (kind, name) in CONDITIONAL else shared if (kind, name) in SHARED_ONLY else names
        target.setdefault(kind, []).append(name)
    plain = {k: tuple(v) for k, v in names.items()}
    out: dict[str, dict[str, tuple[str, ...]]] = {kind: {} for kind in SECTIONS.values()}
    for rid, route in scenario.routes.items():
        out["route"][rid] = plain["route"] + tuple(m.name for m in accounting_metrics(scenario, route))
        for seg in route.segments:
            extra = shared["route_service"] if scenario.services[seg.service].shared else ()
            out["route_service"][route_service_id(rid, seg.service)] = plain["route_service"] + tuple(extra)
    for nid, node in scenario.nodes.items():
        out["node"][nid] = plain["node"]
        for pool in node.pools:
            out["node_pool"][node_pool_id(nid, pool.id)] = plain["node_pool"]
    for sid, service in scenario.services.items():
        has = (plain["service"] if service.fleet is not None else ()) + (
            tuple(shared["service"]) if service.shared else ())
        if has:
            out["service"][sid] = has
        if service.shared:
            for leg_id in service.legs:
                out["service_leg"][service_leg_id(sid, leg_id)] = tuple(shared["service_leg"])
    for fid, flow in scenario.flows.items():
        out["flow"][fid] = tuple(conditional["flow"])
        for rid in flow.options:
            out["flow_option"][flow_option_id(fid, rid)] = tuple(conditional["flow_option"])
    for country in (scenario.costs.tariffs if scenario.costs is not None else ()):
        out["country"][country] = tuple(conditional["country"])
    if impact:
        for event in scenario.events:
            out["event"][event.id] = plain["event"]
    return out


def resolve(texts: Sequence[str], scenario: Scenario, impact: bool = True, flag: str = "--metrics") -> list[MetricPath]:
    """The metric paths named by ``texts`` (``*`` expands to every entity of the kind), in
    the order given, each once; an unknown section, id or metric is a UsageError naming it."""
    rows = rows_of(scenario, impact)
    out: dict[str, MetricPath] = {}
    for text in texts:
        for mp in _resolve_one(text.strip(), rows, flag):
            out.setdefault(mp.path, mp)
    if not out:
        raise UsageError(f"{flag}: no metric named")
    return list(out.values())


def _resolve_one(text: str, rows: dict[str, dict[str, tuple[str, ...]]], flag: str) -> list[MetricPath]:
    section, _, rest = text.partition(".")
    if section not in SECTIONS or not rest:
        raise UsageError(f"{flag} {text!r}: " + (
            unknown_key_message(section, list(SECTIONS), what="section") + " (a metric path reads "
            "SECTION.ID.METRIC, e.g. routes.rail_xian_duisburg.transit_days.mean)" if section not in SECTIONS
            else "a metric path reads SECTION.ID.METRIC, e.g. nodes.dostyk.mean_wait_days"))
    kind = SECTIONS[section]
    entities = rows[kind]
    if any(c in rest for c in "*?["):  # a pattern: every (id, metric) it matches, in table order
        bare = rest.removesuffix(MEAN)
        found = [MetricPath(f"{section}.{e}.{m}", kind, e, m) for e, names in entities.items() for m in names
                 if fnmatchcase(f"{e}.{m}", rest) or fnmatchcase(f"{e}.{m}", bare)]
        if not found:
            raise UsageError(f"{flag} {text!r}: matches no metric of the scenario's {section} "
                             f"(ids: {', '.join(list(entities)[:8]) or 'none'})")
        return found
    # The longest id that starts the rest: ids may hold dots (node pools: 'dostyk.westbound').
    entity = max((e for e in entities if rest.startswith(e + ".")), key=len, default=None)
    if entity is None:
        ident = rest.split(".")[0]
        raise UsageError(f"{flag} {text!r}: " + unknown_key_message(
            ident, list(entities), what=section[:-1] if section != "countries" else "country"))
    name_text = rest[len(entity) + 1:]
    name = _metric_name(name_text, entities[entity])
    if name is None:
        raise UsageError(f"{flag} {text!r}: " + unknown_key_message(
            name_text.removesuffix(MEAN), list(entities[entity]), what=f"metric of {section} ({entity})"))
    return [MetricPath(f"{section}.{entity}.{name}", kind, entity, name)]


def _metric_name(text: str, names: tuple[str, ...]) -> str | None:
    """The metric ``text`` names: itself, or itself without a trailing '.mean'."""
    if text in names:
        return text
    bare = text.removesuffix(MEAN)
    return bare if bare != text and bare in names else None
