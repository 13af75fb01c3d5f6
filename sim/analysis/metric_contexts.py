"""What each metric of the registry (sim.analysis.metrics) is computed from: one context
per entity of one replication (a route, a node, a node pool, a route's service, a fleet, a
shared service or one of its legs, an event, a flow or one of its options, a transit
country), with the statistics its metrics share computed once, on first use; and the ids
of the entities in the metrics table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

from sim.analysis.statistics import NodeStats, RouteCounts, node_stats, route_counts, saturation, train_index
from sim.analysis.loads import LegLoads
from sim.model.costs import transit_tariffs
from sim.analysis.fleets import FleetStats, fleet_stats
from sim.analysis.flows import FlowStats, flow_stats
from sim.analysis.loops import LoopStats, capacity_share, loop_stats, rolled_share
from sim.analysis.quantiles import pooled_quantiles
from sim.engine.simulation import ReplicationResult
from sim.model.scenario import Route, Scenario

POOLED = -1  # the replication of rows over all replications pooled (transit percentiles)
DAYS_PER_YEAR = 365.0

# ---------------------------------------------------------------------------------------
# What one metric is computed from


@dataclass
class _Replication:
    """One replication of a scenario: what every metric's context starts from."""

    scenario: Scenario
    result: ReplicationResult

    @property
    def window_years(self) -> float:
        """The measured window in years (of 365 days): the divisor of every yearly rate."""
        s = self.scenario.settings
        return (s.horizon_days - s.warmup_days) / DAYS_PER_YEAR


@dataclass
class RouteContext(_Replication):
    """A route in one replication, with the counts every route metric shares."""

    route_id: str
    loads: LegLoads | None = None  # the replication's load per (service, leg), when CO2e depends on it

    @property
    def route(self) -> Route:
        return self.scenario.routes[self.route_id]

    @cached_property
    def counts(self) -> RouteCounts:
        s = self.scenario.settings
        return route_counts(self.result.ledgers[self.route_id], s.warmup_days, s.horizon_days)

    @cached_property
    def saturation(self) -> tuple[float, float, bool]:
        s = self.scenario.settings
        return saturation(self.result.ledgers[self.route_id], s.warmup_days, s.horizon_days)

    @property
    def teu(self) -> float:
        return self.route.demand.unit_teu

    @property
    def tonnes(self) -> float:
        """Tonnes per unit as the run counted them: the route's own load, or the mean over its
        units when flows of other loads also chose it (sim.engine.flows.mean_load)."""
        return self.result.ledgers[self.route_id].unit_tonnes


@dataclass
class NodeContext(_Replication):
    """A node in one replication, with its window statistics."""

    node_id: str
    pool: int = 0  # 0: the whole node; k: only its k-th pool's visits (sim.model.pools)

    @cached_property
    def stats(self) -> NodeStats:
        s = self.scenario.settings
        log = self.result.nodes[self.node_id]
        return node_stats(log.part(self.pool) if self.pool else log, s.warmup_days, s.horizon_days, train_index(self.result))


def node_pool_id(node_id: str, pool_id: str) -> str:
    """The metrics-table id of a node's pool: 'dostyk.westbound'."""
    return f"{node_id}.{pool_id}"


@dataclass
class RouteServiceContext:
    """One service of a route (a segment of its path) in one replication."""

    scenario: Scenario
    result: ReplicationResult
    route_id: str
    segment: int
    factors: list[float]


@dataclass
class ServiceContext(_Replication):
    """A service with a finite fleet in one replication (sim.analysis.fleets)."""

    service_id: str

    @cached_property
    def stats(self) -> FleetStats:
        s = self.scenario.settings
        return fleet_stats(self.result.fleets[self.service_id], s.warmup_days, s.horizon_days)


@dataclass
class LoopContext(_Replication):
    """A shared service in one replication (sim.analysis.loops); ``leg`` for one of its legs."""

    service_id: str
    leg: int = -1

    @cached_property
    def stats(self) -> LoopStats:
        s = self.scenario.settings
        return loop_stats(self.result.loops[self.service_id], s.warmup_days, s.horizon_days)


@dataclass
class RouteLoopContext(_Replication):
    """A route's stretch on a shared service in one replication."""

    route_id: str
    service_id: str

    def _args(self) -> tuple:
        s = self.scenario.settings
        return self.result.loops[self.service_id], list(self.scenario.routes).index(self.route_id), s.warmup_days, s.horizon_days

    @property
    def rolled(self) -> float:
        log, index, warmup, horizon = self._args()
        return rolled_share(log, index, self.result.ledgers[self.route_id], warmup, horizon)

    @property
    def capacity_share(self) -> float:
        log, index, warmup, horizon = self._args()
        return capacity_share(log, index, self.scenario.unit_space(self.scenario.routes[self.route_id]), warmup, horizon)


@dataclass
class EventContext:
    """A dated event in one replication: its impact against the same replication without
    events, measured as the replication ran (sim.analysis.impact)."""

    scenario: Scenario
    result: ReplicationResult
    event_id: str

    @property
    def impact(self) -> dict[str, float]:
        return self.result.impact[self.event_id]


@dataclass
class PooledContext:
    """A route over all replications at once (percentiles of pooled containers)."""

    scenario: Scenario
    route_id: str
    percentiles: dict[str, float]


PERCENTILES = {"p5": 0.05, "p50": 0.5, "p95": 0.95}


@dataclass
class FlowContext(_Replication):
    """An origin–destination flow in one replication; ``option``: one of its options (index)."""

    flow_id: str
    option: int = -1
    loads: LegLoads | None = None

    @cached_property
    def stats(self) -> FlowStats:
        return flow_stats(self.scenario, self.result, self.flow_id, self.loads)

    @property
    def o(self):
        return self.stats.options[self.option]


def flow_option_id(flow_id: str, route_id: str) -> str:
    """The entity id of one option of a flow: 'flow/route'."""
    return f"{flow_id}/{route_id}"


@dataclass
class CountryContext(_Replication):
    """A transit country in one replication: what the routes crossing it paid."""

    country: str

    @cached_property
    def revenue_per_year(self) -> float:
        s = self.scenario.settings
        total = 0.0
        for rid, route in self.scenario.routes.items():
            per_unit = transit_tariffs(self.scenario, route).get(self.country, 0.0)
            if not per_unit:
                continue
            counts = route_counts(self.result.ledgers[rid], s.warmup_days, s.horizon_days)
            size = route.demand.unit_tonnes if route.demand.cargo == "bulk" else route.demand.unit_teu
            total += counts.delivered_in_window * size * per_unit
        return total / self.window_years


def pooled_percentiles(scenario: Scenario, results: Sequence[ReplicationResult]) -> dict[str, dict[str, float]]:
    """p5, p50 and p95 of each route's transit days pooled over the replications."""
    s = scenario.settings
    q = pooled_quantiles(results, scenario.routes, s.warmup_days, s.horizon_days, list(PERCENTILES.values()))
    return {rid: {name: float(v) for name, v in zip(PERCENTILES, values)} for rid, values in q.items()}



def route_service_id(route_id: str, service_id: str) -> str:
    """The entity id of one service of a route: 'route/service'."""
    return f"{route_id}/{service_id}"


def service_leg_id(service_id: str, leg_id: str) -> str:
    """The entity id of one leg of a shared service: 'service/leg'."""
    return f"{service_id}/{leg_id}"

