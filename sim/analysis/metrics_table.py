"""The one long metrics table of a run: one row per (replication, entity kind, entity id,
metric) with a value, computed once from the registry (sim.analysis.metrics).

Rows with replication ``POOLED`` (-1) hold statistics of the containers of all replications
pooled together (transit percentiles), which no per-replication value can give.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

import numpy as np

from sim.analysis.costs import route_cost
from sim.analysis.loads import leg_loads, scales_with_load
from sim.analysis.metric_contexts import (
    POOLED, CountryContext, EventContext, FlowContext, LoopContext, NodeContext, PooledContext, RouteContext,
    RouteLoopContext, RouteServiceContext, ServiceContext, flow_option_id, node_pool_id, pooled_percentiles,
    route_service_id, service_leg_id,
)
from sim.analysis.metrics import (
    COUNTRY, FLOW, FLOW_OPTION, ROUTE_CO2, ROUTE_COST, ROUTE_LATE, CONDITIONAL, REGISTRY, SHARED_ONLY, Metric,
    vocabulary,
)
from sim.analysis.statistics import load_factors
from sim.engine.simulation import ReplicationResult
from sim.model.costs import priced
from sim.model.scenario import Route, Scenario

if TYPE_CHECKING:  # pandas is imported only when a DataFrame is asked for
    import pandas

# ---------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class MetricsTable:
    """One row per (replication, kind, id, metric): columns as numpy arrays and tuples.

    Built once per run by ``metrics_table``; look values up with ``values`` (one per
    replication, in replication order) or ``pooled``; ``to_frame`` gives a pandas DataFrame.
    """

    replication: np.ndarray
    kind: tuple[str, ...]
    entity: tuple[str, ...]
    metric: tuple[str, ...]
    value: np.ndarray
    replications: tuple[int, ...]

    @cached_property
    def _index(self) -> dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]:
        rows: dict[tuple[str, str, str], list[int]] = {}
        for i, key in enumerate(zip(self.kind, self.entity, self.metric)):
            rows.setdefault(key, []).append(i)
        return {k: (self.replication[v], self.value[v]) for k, v in ((k, np.asarray(v)) for k, v in rows.items())}

    def __len__(self) -> int:
        return int(self.value.size)

    def has(self, kind: str, entity: str, name: str) -> bool:
        """True if the table holds that metric for that entity."""
        return (kind, entity, name) in self._index

    def values(self, kind: str, entity: str, name: str) -> np.ndarray:
        """The per-replication values, in replication order (KeyError if absent)."""
        reps, vals = self._index[(kind, entity, name)]
        return vals[reps != POOLED]

    def pooled(self, kind: str, entity: str, name: str) -> float:
        """The value over all replications pooled (KeyError if absent)."""
        reps, vals = self._index[(kind, entity, name)]
        return float(vals[reps == POOLED][0])

    def entities(self, kind: str) -> list[str]:
        """Entity ids of a kind, in table order."""
        seen: dict[str, None] = {}
        for k, e in zip(self.kind, self.entity):
            if k == kind:
                seen.setdefault(e, None)
        return list(seen)

    def rows(self) -> Iterator[tuple[int, str, str, str, float]]:
        """(replication, kind, id, metric, value) rows in table order."""
        return zip(self.replication.tolist(), self.kind, self.entity, self.metric, self.value.tolist())

    def to_frame(self) -> "pandas.DataFrame":
        """The table as a pandas DataFrame with columns replication, kind, id, metric, value, unit."""
        import pandas as pd

        units = [REGISTRY[(k, m)].unit for k, m in zip(self.kind, self.metric)]
        return pd.DataFrame({
            "replication": self.replication, "kind": list(self.kind), "id": list(self.entity),
            "metric": list(self.metric), "value": self.value, "unit": units,
        })


def accounting_metrics(scenario: Scenario, route: Route) -> list[Metric]:
    """The cost, CO2e and reliability metrics a route has rows for: a cost only when every
    ride of the route has a price (a ride without one is unknown, not free)."""
    bulk = route.demand.cargo == "bulk"
    out = []
    if priced(scenario) and route_cost(scenario, route).complete:
        out.append(ROUTE_COST[1 if bulk else 0])
    if scenario.emissions is not None:
        out.append(ROUTE_CO2[1 if bulk else 0])
    if route.promised_days is not None:
        out.append(ROUTE_LATE[0])
    return out


@dataclass(frozen=True)
class _Groups:
    """The registry's metrics sorted by what they are computed for (fixed by the registry)."""

    per_route: list[Metric]
    pooled: list[Metric]
    per_node: list[Metric]
    per_pool: list[Metric]
    per_service: list[Metric]
    per_event: list[Metric]
    per_fleet: list[Metric]
    per_route_loop: list[Metric]
    per_loop: list[Metric]
    per_leg: list[Metric]


def _groups() -> _Groups:
    metrics = [m for m in vocabulary() if (m.kind, m.name) not in CONDITIONAL]
    loop_only = [m for m in metrics if (m.kind, m.name) in SHARED_ONLY]
    rest = [m for m in metrics if (m.kind, m.name) not in SHARED_ONLY]
    return _Groups(
        per_route=[m for m in metrics if m.kind == "route" and not m.pooled],
        pooled=[m for m in metrics if m.kind == "route" and m.pooled],
        per_node=[m for m in metrics if m.kind == "node"],
        per_pool=[m for m in metrics if m.kind == "node_pool"],
        per_service=[m for m in rest if m.kind == "route_service"],
        per_event=[m for m in rest if m.kind == "event"],
        per_fleet=[m for m in rest if m.kind == "service"],
        per_route_loop=[m for m in loop_only if m.kind == "route_service"],
        per_loop=[m for m in loop_only if m.kind == "service"],
        per_leg=[m for m in loop_only if m.kind == "service_leg"],
    )


# The (kinds, ids, names) of the last block rebuilt from a pickle: every replication of a run
# has the same ones, so the blocks a run's workers send back share a single copy.
_last_keys: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = []


def _rebuild(replication: int, keys: tuple, values: np.ndarray) -> "ReplicationRows":
    if _last_keys and _last_keys[0] == keys:
        keys = _last_keys[0]
    else:
        _last_keys[:] = [keys]
    return ReplicationRows(replication, *keys, values)


@dataclass(frozen=True)
class ReplicationRows:
    """One replication's rows of the table (every row but the pooled ones), in table order.

    A pure function of (scenario, replication result), so it can be computed in the worker
    that ran the replication (see RowsOf) rather than by the parent after the run.
    """

    replication: int
    kind: tuple[str, ...]
    entity: tuple[str, ...]
    metric: tuple[str, ...]
    value: np.ndarray

    def __reduce__(self):
        return _rebuild, (self.replication, (self.kind, self.entity, self.metric), self.value)


def replication_rows(scenario: Scenario, result: ReplicationResult, groups: _Groups | None = None) -> ReplicationRows:
    """Every registered metric of one replication for every route, node, service, flow,
    country and event it has rows for."""
    g = groups or _groups()
    kinds: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    values: list[float] = []

    def add(kind: str, ident: str, m: Metric, ctx: object) -> None:
        kinds.append(kind)
        ids.append(ident)
        names.append(m.name)
        values.append(float(m.compute(ctx)))

    loads = leg_loads(scenario, result) if scales_with_load(scenario) else None
    for rid, route in scenario.routes.items():
        ctx = RouteContext(scenario, result, rid, loads)
        for m in g.per_route:
            add("route", rid, m, ctx)
        for m in accounting_metrics(scenario, route):
            add("route", rid, m, ctx)
        factors = load_factors(scenario, result, rid)
        for k, seg in enumerate(route.segments):
            sctx = RouteServiceContext(scenario, result, rid, k, factors)
            for m in g.per_service:
                add("route_service", route_service_id(rid, seg.service), m, sctx)
            if seg.service in result.loops:
                lctx = RouteLoopContext(scenario, result, rid, seg.service)
                for m in g.per_route_loop:
                    add("route_service", route_service_id(rid, seg.service), m, lctx)
    for nid in scenario.nodes:
        nctx = NodeContext(scenario, result, nid)
        for m in g.per_node:
            add("node", nid, m, nctx)
        for k, pool in enumerate(scenario.nodes[nid].pools, start=1):
            pctx_ = NodeContext(scenario, result, nid, k)
            for m in g.per_pool:
                add("node_pool", node_pool_id(nid, pool.id), m, pctx_)
    for sid in scenario.services:  # services with a finite fleet or shared only
        if sid in result.fleets:
            fctx = ServiceContext(scenario, result, sid)
            for m in g.per_fleet:
                add("service", sid, m, fctx)
        if sid in result.loops:
            octx = LoopContext(scenario, result, sid)
            for m in g.per_loop:
                add("service", sid, m, octx)
            for j, leg_id in enumerate(scenario.services[sid].legs):
                gctx = LoopContext(scenario, result, sid, j)
                gctx.stats = octx.stats  # one pass over the log for all legs
                for m in g.per_leg:
                    add("service_leg", service_leg_id(sid, leg_id), m, gctx)
    for fid, flow in scenario.flows.items():
        fctx_ = FlowContext(scenario, result, fid, loads=loads)
        for m in FLOW:
            add("flow", fid, m, fctx_)
        for k, rid in enumerate(flow.options):
            octx_ = FlowContext(scenario, result, fid, k)
            octx_.stats = fctx_.stats  # one pass over the ledgers for all options
            for m in FLOW_OPTION:
                add("flow_option", flow_option_id(fid, rid), m, octx_)
    for country in (scenario.costs.tariffs if scenario.costs is not None else ()):
        cctx = CountryContext(scenario, result, country)
        for m in COUNTRY:
            add("country", country, m, cctx)
    for eid in result.impact:  # measured only when the run paired it with a baseline
        ectx = EventContext(scenario, result, eid)
        for m in g.per_event:
            add("event", eid, m, ectx)
    return ReplicationRows(result.replication, tuple(kinds), tuple(ids), tuple(names), np.asarray(values, dtype=np.float64))


class RowsOf:
    """``replication_rows`` for one scenario, as ``run_experiment``'s ``derive``: the workers
    compute their replications' rows while the others still run, and ``metrics_table``
    takes them (for this very scenario only) instead of computing them after the run."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def __call__(self, result: ReplicationResult) -> ReplicationRows:
        return replication_rows(self.scenario, result)


def metrics_table(scenario: Scenario, results: Sequence[ReplicationResult],
                  computed: Mapping[int, ReplicationRows] | None = None) -> MetricsTable:
    """Compute every registered metric for every route, node and route service of a run;
    ``computed``: rows already computed for this scenario, by replication index."""
    groups = _groups()
    blocks = []
    for result in results:
        block = computed.get(result.replication) if computed else None
        blocks.append(block if block is not None else replication_rows(scenario, result, groups))
    percentiles = pooled_percentiles(scenario, results)
    pooled: list[tuple[str, str, float]] = []  # (route, metric, value) over all replications
    for rid in scenario.routes:
        pctx = PooledContext(scenario, rid, percentiles[rid])
        pooled += [(rid, m.name, float(m.compute(pctx))) for m in groups.pooled]
    return MetricsTable(
        np.concatenate([np.full(b.value.size, b.replication, dtype=np.int64) for b in blocks]
                       + [np.full(len(pooled), POOLED, dtype=np.int64)]),
        tuple(chain.from_iterable(b.kind for b in blocks)) + ("route",) * len(pooled),
        tuple(chain.from_iterable(b.entity for b in blocks)) + tuple(p[0] for p in pooled),
        tuple(chain.from_iterable(b.metric for b in blocks)) + tuple(p[1] for p in pooled),
        np.concatenate([b.value for b in blocks] + [np.array([p[2] for p in pooled], dtype=np.float64)]),
        tuple(b.replication for b in blocks),
    )
