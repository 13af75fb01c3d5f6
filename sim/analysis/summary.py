"""The summary of a run: typed records read off the metrics table, and summary.json.

Nothing here computes a metric: each number is an aggregate over replications (mean with a
Student t 95% interval, a sum, a maximum, a majority) of rows of the metrics table, so
summary.json always agrees with metrics.csv, routes.csv and nodes.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field as dataclasses_field
from typing import Any, Mapping, Sequence

import numpy as np

from sim.analysis.costs import route_cost
from sim.analysis.metric_contexts import flow_option_id, node_pool_id, route_service_id
from sim.analysis.metrics_table import MetricsTable, metrics_table
from sim.analysis.event_summary import EventSummary, event_overlaps, event_summary
from sim.analysis.measured import Interval, clean, measured
from sim.analysis.service_summary import ServiceSummary, service_summary
from sim.engine.fleet import headway_days
from sim.model.pools import pool_of, visits
from sim.engine.simulation import ReplicationResult
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class Transit:
    """Mean transit over replications with its interval, and percentiles of pooled units."""

    mean: float | None
    ci95: tuple[float | None, float | None]
    p5: float | None
    p50: float | None
    p95: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": list(self.ci95), "p5": self.p5, "p50": self.p50, "p95": self.p95}


@dataclass(frozen=True)
class RouteSummary:
    """One route: what it is, and its metrics over replications."""

    name: str
    mode: str
    origin: str
    destination: str
    distance_km: float
    cargo: str
    services: tuple[str, ...]
    teu_delivered: Interval
    tonnes_delivered: Interval
    transit_days: Transit
    wait_for_departure_days: Interval
    throughput_teu_per_year: Interval
    throughput_tonnes_per_year: Interval
    at_horizon_teu: Mapping[str, Interval]
    containers_undelivered_at_end: int
    containers_counted: int
    delivered_share_of_demand: Interval
    backlog_growth_per_day: Interval
    saturated: bool
    load_factor: Mapping[str, Interval]
    limited_by: Mapping[str, Any] | None = None  # for a saturated route: what holds it back
    accounting: Mapping[str, Any] | None = None  # cost, CO2e and reliability, when the scenario has them

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "mode": self.mode, "origin": self.origin, "destination": self.destination,
            "distance_km": self.distance_km, "cargo": self.cargo, "services": list(self.services),
            "teu_delivered": self.teu_delivered.to_dict(), "tonnes_delivered": self.tonnes_delivered.to_dict(),
            "transit_days": self.transit_days.to_dict(),
            "wait_for_departure_days": self.wait_for_departure_days.to_dict(),
            "throughput_teu_per_year": self.throughput_teu_per_year.to_dict(),
            "throughput_tonnes_per_year": self.throughput_tonnes_per_year.to_dict(),
            "at_horizon_teu": {k: v.to_dict() for k, v in self.at_horizon_teu.items()},
            "containers_undelivered_at_end": self.containers_undelivered_at_end,
            "containers_counted": self.containers_counted,
            "delivered_share_of_demand": self.delivered_share_of_demand.to_dict(),
            "backlog_growth_per_day": self.backlog_growth_per_day.to_dict(),
            "saturated": self.saturated,
            "load_factor": {k: v.to_dict() for k, v in self.load_factor.items()},
            **({"limited_by": dict(self.limited_by)} if self.limited_by else {}),
            **(dict(self.accounting) if self.accounting else {}),
        }


@dataclass(frozen=True)
class NodeSummary:
    """One node: what it is, and its metrics over replications."""

    name: str
    kind: str
    servers: int | None
    utilization: float | None
    utilization_ci95: tuple[float | None, float | None]
    mean_in_service: float | None
    mean_wait_days: float | None
    mean_wait_days_ci95: tuple[float | None, float | None]
    mean_handling_days: float | None
    max_queue: int
    vehicles_per_year: Interval
    teu_through: Interval
    tonnes_through: Interval
    trains_through: Interval
    # Its pools (sim.model.pools), by pool id: which vehicles, servers, and their measures.
    pools: Mapping[str, Mapping[str, Any]] = dataclasses_field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name, "kind": self.kind, "servers": self.servers, "utilization": self.utilization,
            "utilization_ci95": list(self.utilization_ci95), "mean_in_service": self.mean_in_service,
            "mean_wait_days": self.mean_wait_days, "mean_wait_days_ci95": list(self.mean_wait_days_ci95),
            "mean_handling_days": self.mean_handling_days, "max_queue": self.max_queue,
            "vehicles_per_year": self.vehicles_per_year.to_dict(), "teu_through": self.teu_through.to_dict(),
            "tonnes_through": self.tonnes_through.to_dict(), "trains_through": self.trains_through.to_dict(),
        }
        if self.pools:
            out["pools"] = {k: dict(v) for k, v in self.pools.items()}
        return out


@dataclass(frozen=True)
class Summary:
    """The summary of a run; ``to_dict()`` is exactly summary.json."""

    scenario: str
    description: str
    seed: int | None
    replications: int
    horizon_days: float
    warmup_days: float
    cooldown_days: float
    year: int | None
    start_date: str | None  # ISO date of calendar day 0 (the end of the warm-up); None if undated
    routes: Mapping[str, RouteSummary]
    nodes: Mapping[str, NodeSummary]
    routesim_version: str | None = None
    results_format: int | None = None
    overrides: tuple[str, ...] = ()
    source: str | None = None
    events: Mapping[str, EventSummary] = dataclasses_field(default_factory=dict)  # measured impacts only
    services: Mapping[str, ServiceSummary] = dataclasses_field(default_factory=dict)  # finite fleets only
    flows: Mapping[str, "FlowSummary"] = dataclasses_field(default_factory=dict)
    countries: Mapping[str, Mapping[str, Interval]] = dataclasses_field(default_factory=dict)  # transit tariffs

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario, "description": self.description, "seed": self.seed,
            "replications": self.replications, "horizon_days": self.horizon_days,
            "warmup_days": self.warmup_days, "cooldown_days": self.cooldown_days, "year": self.year,
            "start_date": self.start_date,
            "routes": {k: v.to_dict() for k, v in self.routes.items()},
            "nodes": {k: v.to_dict() for k, v in self.nodes.items()},
        }
        if self.events:
            out["events"] = {k: v.to_dict() for k, v in self.events.items()}
        if self.services:
            out["services"] = {k: v.to_dict() for k, v in self.services.items()}
        if self.flows:
            out["flows"] = {k: v.to_dict() for k, v in self.flows.items()}
        if self.countries:
            out["countries"] = {c: {k: v.to_dict() for k, v in m.items()} for c, m in self.countries.items()}
        if self.routesim_version is not None:
            out.update(routesim_version=self.routesim_version, results_format=self.results_format,
                       overrides=list(self.overrides), source=self.source)
        return out


def _mean(values: np.ndarray) -> float | None:
    return clean(float(np.mean(values))) if values.size else None


def route_summary(scenario: Scenario, table: MetricsTable, route_id: str) -> RouteSummary:
    """A route's summary from its rows of the metrics table."""
    route = scenario.routes[route_id]

    def v(name: str) -> np.ndarray:
        return table.values("route", route_id, name)

    def iv(name: str) -> Interval:
        return measured(table, "route", route_id, name)

    transit = iv("transit_days")
    saturated = bool(v("saturated").sum() * 2 > v("saturated").size)  # in most replications
    return RouteSummary(
        name=route.name, mode=route.mode, origin=route.path[0], destination=route.path[-1],
        distance_km=round(route.distance_km, 3), cargo=route.demand.cargo,
        services=tuple(seg.service for seg in route.segments),
        teu_delivered=iv("teu_delivered"), tonnes_delivered=iv("tonnes_delivered"),
        transit_days=Transit(
            transit.mean, transit.ci95,
            *(clean(table.pooled("route", route_id, f"transit_days.{p}")) for p in ("p5", "p50", "p95")),
        ),
        wait_for_departure_days=iv("wait_for_departure_days"),
        throughput_teu_per_year=iv("throughput_teu_per_year"),
        throughput_tonnes_per_year=iv("throughput_tonnes_per_year"),
        at_horizon_teu={k: iv(f"at_horizon_teu.{k}") for k in ("created", "delivered", "in_transit", "waiting")},
        containers_undelivered_at_end=int(v("containers_undelivered_at_end").sum()),
        containers_counted=int(v("containers_counted").sum()),
        delivered_share_of_demand=iv("delivered_share_of_demand"),
        backlog_growth_per_day=iv("backlog_growth_per_day"),
        saturated=saturated,
        load_factor={
            seg.service: measured(table, "route_service", route_service_id(route_id, seg.service), "load_factor")
            for seg in route.segments
        },
        limited_by=limiting_factor(scenario, table, route_id) if saturated else None,
        accounting=route_accounting(scenario, table, route_id),
    )


NODE_LIMIT = 0.95  # a node at this mean utilization or above is where a queue builds
SLOT_LIMIT = 0.95  # a timetabled service this full offers too few slots


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (quietly) when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def limiting_factor(scenario: Scenario, table: MetricsTable, route_id: str) -> dict[str, Any]:
    """What holds a saturated route back: a closure on its way still in force at the horizon;
    else the busiest node of its path if one runs at capacity; else a fleet that offers
    fewer departures than its timetable; else the fullest timetabled service (too few
    slots); else its travel time.

    A when-full service always leaves full, so its load factor says nothing and is not blamed.
    """
    route = scenario.routes[route_id]
    horizon = scenario.settings.horizon_days
    for e in scenario.events:
        if e.kind != "closure":
            continue
        if e.random is not None:  # closed a large share of the time on average: blame it
            if e.random.per_year * e.random.duration_days.mean / 365.0 < 0.25:
                continue
        elif not e.start < horizon <= (math.inf if e.duration is None else e.start + e.duration.mean):
            continue
        on_way = {
            "nodes": set(route.path), "legs": {lid for seg in route.segments for lid in seg.legs},
            "services": {seg.service for seg in route.segments}, "routes": {route_id},
        }.get(e.section, set())
        if on_way & set(e.targets):
            return {"kind": "event", "id": e.id, "targets": [f"{e.section}.{t}" for t in e.targets]}
    nodes = [n for n in dict.fromkeys(route.path) if scenario.nodes[n].servers]
    busy = {n: _nanmean(table.values("node", n, "utilization")) for n in nodes}
    # A pool with servers of its own that this route's vehicles use: its own load counts.
    for r, seg, _, nid, came in visits(scenario):
        carries = r.id == route_id or any(u[0] == route_id for u in scenario.services[seg.service].users)
        pool = pool_of(scenario.nodes, nid, seg, came) if carries else 0
        if pool and scenario.nodes[nid].pools[pool - 1].servers is not None:
            pid = node_pool_id(nid, scenario.nodes[nid].pools[pool - 1].id)
            busy[pid] = _nanmean(table.values("node_pool", pid, "utilization"))
    busy = {n: u for n, u in busy.items() if math.isfinite(u)}
    if busy and max(busy.values()) >= NODE_LIMIT:
        node = max(busy, key=busy.__getitem__)
        kind = "node_pool" if node not in scenario.nodes else "node"
        wait = _mean(table.values(kind, node, "mean_wait_days"))
        return {"kind": "node", "id": node, "utilization": busy[node], "mean_wait_days": wait}
    for seg in route.segments:
        fleet = scenario.services[seg.service].fleet
        if fleet is None or not table.has("service", seg.service, "departures_per_week"):
            continue
        offered = _nanmean(table.values("service", seg.service, "departures_per_week"))
        headway = headway_days(scenario, seg.service)
        idle = _nanmean(table.values("service", seg.service, "share_idle"))
        # Short of vehicles: fewer departures than the timetable while the vehicles are busy
        # (idle ones mean something else holds the departures back, a closure).
        short = (offered < 0.95 * 7.0 / headway if headway is not None else True) and idle < 0.05
        if short:
            return {
                "kind": "fleet", "id": seg.service, "vehicles": fleet.vehicles, "departures_per_week": offered,
                "timetable_per_week": None if headway is None else 7.0 / headway,
                "cycle_days": _mean(table.values("service", seg.service, "cycle_days")),
            }
    slots = {}
    for seg in route.segments:
        if scenario.services[seg.service].schedule.kind == "when_full":
            continue
        if scenario.services[seg.service].shared and table.has("service", seg.service, "peak_load_factor"):
            # A shared vehicle is full with all its routes' cargo and background: its fullest leg.
            factor = _nanmean(table.values("service", seg.service, "peak_load_factor"))
        else:
            factor = _nanmean(table.values("route_service", route_service_id(route_id, seg.service), "load_factor"))
        if math.isfinite(factor):
            slots[seg.service] = factor
    if slots and max(slots.values()) >= SLOT_LIMIT:
        service = max(slots, key=slots.__getitem__)
        return {"kind": "service", "id": service, "load_factor": slots[service]}
    transit = _mean(table.values("route", route_id, "transit_days"))
    return {"kind": "travel", "id": route_id, "transit_days": transit}


def node_summary(scenario: Scenario, table: MetricsTable, node_id: str) -> NodeSummary:
    """A node's summary from its rows of the metrics table."""
    node = scenario.nodes[node_id]

    def v(name: str) -> np.ndarray:
        return table.values("node", node_id, name)

    own = [node.servers] + [p.servers for p in node.pools if p.servers is not None]
    servers = sum(n for n in own if n is not None) if any(n is not None for n in own) else None
    limited = bool(servers)
    util = measured(table, "node", node_id, "utilization")
    pools = {}
    for p in node.pools:
        pid = node_pool_id(node_id, p.id)
        pools[p.id] = {
            "direction": p.direction, "from": list(p.from_nodes), "services": list(p.services),
            "servers": p.servers, "shares_node_servers": p.servers is None,
            **{name: measured(table, "node_pool", pid, name).to_dict()
               for name in ("visits", "utilization", "mean_wait_days", "mean_handling_days")},
            "max_queue": int(table.values("node_pool", pid, "max_queue").max()),
        }
    return NodeSummary(
        name=node.name, kind=node.kind, servers=servers,
        utilization=_mean(v("utilization")) if limited else None,
        utilization_ci95=util.ci95 if limited else (None, None),
        mean_in_service=_mean(v("mean_in_service")),
        mean_wait_days=_mean(v("mean_wait_days")),
        mean_wait_days_ci95=measured(table, "node", node_id, "mean_wait_days").ci95,
        mean_handling_days=_mean(v("mean_handling_days")),
        max_queue=int(v("max_queue").max()) if v("max_queue").size else 0,
        vehicles_per_year=measured(table, "node", node_id, "vehicles_per_year"),
        teu_through=measured(table, "node", node_id, "teu_through"),
        tonnes_through=measured(table, "node", node_id, "tonnes_through"),
        trains_through=measured(table, "node", node_id, "trains_through"),
        pools=pools,
    )


def route_accounting(scenario: Scenario, table: MetricsTable, route_id: str) -> dict[str, Any] | None:
    """A route's ``cost`` (total and parts per TEU, or per tonne of bulk), ``co2e`` and
    ``reliability`` entries, for the parts the scenario gives; None when it gives none."""
    route = scenario.routes[route_id]
    unit = "tonne" if route.demand.cargo == "bulk" else "teu"
    out: dict[str, Any] = {}
    if table.has("route", route_id, f"cost_usd_per_{unit}"):
        cost = route_cost(scenario, route)
        out["cost"] = {f"usd_per_{unit}": clean(cost.total), "parts": {k: clean(v) for k, v in cost.parts().items()},
                       "subsidies": not cost.subsidy_withdrawn}
    if table.has("route", route_id, f"co2e_kg_per_{unit}"):
        out["co2e"] = {f"kg_per_{unit}": clean(float(table.values("route", route_id, f"co2e_kg_per_{unit}")[0]))}
    p50, p95 = (clean(table.pooled("route", route_id, f"transit_days.{p}")) for p in ("p50", "p95"))
    if out or route.promised_days is not None:
        reliability: dict[str, Any] = {"spread_p95_p50_days": None if p50 is None or p95 is None else p95 - p50}
        if route.promised_days is not None:
            reliability.update(promised_days=route.promised_days,
                               late_share=measured(table, "route", route_id, "late_share").to_dict())
        out["reliability"] = reliability
    return out or None


@dataclass(frozen=True)
class FlowSummary:
    """One origin–destination flow: its cargo, how it split among its options and why."""

    origin: str
    destination: str
    cargo: Mapping[str, Any]
    choice: str
    measures: Mapping[str, Interval]  # the flow as chosen (flow metrics)
    options: Mapping[str, Mapping[str, Any]]  # per option route: its metrics and the choice record
    booking_periods: list
    convergence: Mapping[str, Any]
    model: Mapping[str, Any] = dataclasses_field(default_factory=dict)  # the choice's parameters

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin, "destination": self.destination, "cargo": dict(self.cargo), "choice": self.choice,
            "model": dict(self.model),
            "as_chosen": {k: v.to_dict() for k, v in self.measures.items()},
            "options": {rid: {k: (v.to_dict() if isinstance(v, Interval) else v) for k, v in o.items()}
                        for rid, o in self.options.items()},
            "booking_periods": self.booking_periods, "convergence": dict(self.convergence),
        }


def flow_summary(scenario: Scenario, table: MetricsTable, flow_id: str, record: Mapping[str, Any]) -> FlowSummary:
    """A flow's summary: its rows of the metrics table and the equilibrium's ``record`` of it."""
    flow = scenario.flows[flow_id]

    def measures(kind: str, entity: str) -> dict[str, Interval]:
        names = dict.fromkeys(name for k, e, name in zip(table.kind, table.entity, table.metric) if k == kind and e == entity)
        return {name: measured(table, kind, entity, name) for name in names}

    options = {}
    for rid in flow.options:
        cost = route_cost(scenario, scenario.routes[rid], flow.tonnes_per_teu)
        options[rid] = {
            **measures("flow_option", flow_option_id(flow_id, rid)),
            "cost_parts_usd_per_teu": {k: clean(v) for k, v in cost.parts().items()},
            **record.get("options", {}).get(rid, {}),
        }
    return FlowSummary(
        origin=flow.origin, destination=flow.destination,
        cargo={"class": flow.cargo_class or None, "value_usd_per_tonne": flow.value_usd_per_tonne,
               "tonnes_per_teu": flow.tonnes_per_teu, "time_cost_per_day": flow.time_cost_per_day,
               "time_value_usd_per_teu_day": flow.time_value_usd_per_teu_day},
        choice=flow.choice, measures=measures("flow", flow_id), options=options,
        booking_periods=list(record.get("booking_periods", [])), convergence=dict(record.get("convergence", {})),
        model=dict(record.get("model", {})),
    )


def summarize(scenario: Scenario, table: MetricsTable, flows: Mapping[str, Any] | None = None) -> Summary:
    """The run's summary: every route and node of the scenario, from the metrics table;
    ``flows``: the equilibrium's record per flow (sim.choice.equilibrium.flows_record)."""
    s = scenario.settings
    overlaps = event_overlaps(scenario, table)
    return Summary(
        scenario=s.name, description=s.description, seed=None, replications=len(table.replications),
        horizon_days=s.horizon_days, warmup_days=s.warmup_days, cooldown_days=s.cooldown_days, year=s.year,
        start_date=s.start_date.isoformat() if s.start_date else None,
        routes={rid: route_summary(scenario, table, rid) for rid in scenario.routes},
        nodes={nid: node_summary(scenario, table, nid) for nid in scenario.nodes},
        # Every event is described (with --no-impact too); its impact only when measured.
        events={e.id: event_summary(scenario, table, e.id, overlaps[e.id]) for e in scenario.events},
        services={sid: service_summary(scenario, table, sid) for sid in table.entities("service")},
        flows={fid: flow_summary(scenario, table, fid, (flows or {}).get(fid, {})) for fid in scenario.flows},
        countries={c: {"transit_revenue_usd_per_year": measured(table, "country", c, "transit_revenue_usd_per_year")}
                   for c in table.entities("country")},
    )


def summary_document(scenario: Scenario, results: Sequence[ReplicationResult]) -> dict[str, Any]:
    """summary.json's routes and nodes of replications, without the run's record fields
    (seed, version, overrides): for tests and scripts that hold results, not a Run."""
    return summarize(scenario, metrics_table(scenario, results)).to_dict()
