"""The metrics registry: every number routesim reports, defined once.

Each metric about a route, a node, a route's service, a service's fleet, an event, a flow
or a country has here its name, unit, meaning and how it is computed from one
replication's context (sim.analysis.metric_contexts).  The metrics table of a run
(sim.analysis.metrics_table) has a row per replication, entity and metric; summary.json,
routes.csv, nodes.csv, metrics.csv, the terminal and HTML tables, ``compare``'s paired
differences and ``validate``'s claims are all derived from it, so a metric changed here
changes everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sim.analysis.costs import route_co2e_kg, route_cost
from sim.analysis.metric_contexts import EventContext, RouteContext
from sim.analysis.statistics import cohort

# The kinds of entity the metrics describe, in table order.
KINDS = ("route", "node", "node_pool", "route_service", "service", "service_leg", "event", "flow", "flow_option", "country")

# ---------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Metric:
    """A named quantity: the entity kind it describes, its unit, its meaning, its formula.

    ``pooled`` metrics are computed once over all replications (replication POOLED);
    ``compare`` marks the metrics ``routesim compare`` takes paired differences of.
    """

    name: str
    kind: str
    unit: str
    meaning: str
    compute: Callable = field(repr=False, compare=False)
    pooled: bool = False
    compare: bool = False
    integer: bool = False  # a count: written without a decimal point
    nonnegative: bool = False  # never below 0 though not a count (a queue's peak, a recovery's days)
    label: str = ""  # a short label for tables; the name with spaces when empty

    @property
    def title(self) -> str:
        """The short label of tables and figures."""
        return self.label or self.name.replace("_", " ")

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The range its values live in: a share in [0, 1], a count or a nonnegative measure at least 0, else open;
        a confidence interval is clipped to it (a t-interval near 0 reaches below it)."""
        if self.unit == "share":
            return 0.0, 1.0
        return (0.0, None) if self.integer or self.nonnegative else (None, None)


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


_ROUTE: tuple[Metric, ...] = (
    Metric("containers_created", "route", "units", "units (containers, or wagons of bulk) created in the measured window: the counted cohort",
           lambda c: c.counts.created, integer=True),
    Metric("containers_delivered", "route", "units", "counted units delivered by the horizon",
           lambda c: c.counts.delivered, integer=True),
    Metric("containers_in_transit", "route", "units", "counted units that had left the origin but were not delivered at the horizon",
           lambda c: c.counts.in_transit, integer=True),
    Metric("containers_waiting", "route", "units", "counted units still waiting at the origin at the horizon",
           lambda c: c.counts.waiting, integer=True),
    Metric("containers_undelivered_at_end", "route", "units", "counted units still undelivered when the run stopped (horizon + cool-down); not in the transit statistics",
           lambda c: c.counts.undelivered_at_end, integer=True),
    Metric("containers_counted", "route", "units", "counted units delivered by the end of the run: the sample of the transit statistics",
           lambda c: c.counts.transit_count, integer=True),
    Metric("teu_delivered", "route", "TEU", "TEU of the counted cohort delivered by the horizon",
           lambda c: c.counts.delivered * c.teu),
    Metric("tonnes_delivered", "route", "t", "tonnes of the counted cohort delivered by the horizon",
           lambda c: c.counts.delivered * c.tonnes),
    Metric("transit_days", "route", "d", "mean transit time, creation at the origin to delivery at the destination, of the counted units delivered by the end of the run",
           lambda c: c.counts.mean_transit, compare=True, label="mean transit"),
    Metric("wait_for_departure_days", "route", "d", "mean wait at the origin from creation to the first departure, same units as transit_days",
           lambda c: c.counts.mean_wait_departure, compare=True, label="wait for departure"),
    Metric("throughput_teu_per_year", "route", "TEU/yr", "TEU delivered in the measured window (any creation time), per year",
           lambda c: c.counts.delivered_in_window * c.teu / c.window_years, compare=True,
           label="delivered per year"),
    Metric("throughput_tonnes_per_year", "route", "t/yr", "tonnes delivered in the measured window (any creation time), per year",
           lambda c: c.counts.delivered_in_window * c.tonnes / c.window_years, compare=True,
           label="delivered per year"),
    Metric("at_horizon_teu.created", "route", "TEU", "TEU of the counted cohort (created in the window)",
           lambda c: c.counts.created * c.teu),
    Metric("at_horizon_teu.delivered", "route", "TEU", "TEU of the counted cohort delivered by the horizon",
           lambda c: c.counts.delivered * c.teu),
    Metric("at_horizon_teu.in_transit", "route", "TEU", "TEU of the counted cohort on its way at the horizon",
           lambda c: c.counts.in_transit * c.teu),
    Metric("at_horizon_teu.waiting", "route", "TEU", "TEU of the counted cohort waiting at the origin at the horizon",
           lambda c: c.counts.waiting * c.teu),
    Metric("delivered_share_of_demand", "route", "share", "units delivered in the window over units due in it: created a median transit time earlier (1: the route keeps up)",
           lambda c: c.saturation[0]),
    Metric("backlog_growth_per_day", "route", "units/d", "growth over the window of the backlog (created, not yet delivered) beyond the last median transit time's demand, per day",
           lambda c: c.saturation[1]),
    Metric("saturated", "route", "0/1", "1 when the route delivers under 95% of its demand while its backlog grows by over 5% of it",
           lambda c: float(c.saturation[2])),
)

_POOLED: tuple[Metric, ...] = tuple(
    Metric(f"transit_days.{p}", "route", "d", f"{p[1:]}th percentile of the transit times of the counted units of all replications pooled",
           (lambda p: lambda c: c.percentiles[p])(p), pooled=True)
    for p in ("p5", "p50", "p95")
)

_NODE: tuple[Metric, ...] = (
    Metric("visits", "node", "vehicles", "vehicles that stopped to be handled, arriving in the window",
           lambda c: c.stats.visits, integer=True),
    Metric("utilization", "node", "share", "busy servers over servers, time-averaged over the window (nodes with servers only)",
           lambda c: _nan(c.stats.utilization), compare=True, label="utilization"),
    Metric("mean_in_service", "node", "vehicles", "time-average number of vehicles being handled",
           lambda c: c.stats.mean_in_service),
    Metric("mean_wait_days", "node", "d", "mean queueing before handling of the vehicles arriving in the window, also those still queueing when the run stopped (first come, first served fixes their start on arrival)",
           lambda c: c.stats.mean_wait_days, compare=True, label="mean wait"),
    Metric("mean_handling_days", "node", "d", "mean handling time of the vehicles arriving in the window",
           lambda c: c.stats.mean_handling_days),
    Metric("max_queue", "node", "vehicles", "largest number of vehicles waiting at once in the window, counting those still waiting at its end",
           lambda c: c.stats.max_queue, integer=True),
    Metric("vehicles_through", "node", "vehicles", "vehicle visits (stopping or passing) that ended in the window",
           lambda c: c.stats.vehicles_through, integer=True),
    Metric("vehicles_per_year", "node", "vehicles/yr", "vehicles_through per year of window",
           lambda c: c.stats.vehicles_through / c.window_years),
    Metric("trains_through", "node", "trains", "train visits that ended in the window",
           lambda c: c.stats.trains_through, integer=True),
    Metric("teu_through", "node", "TEU", "TEU passing the node in the window, each unit once per node of its path",
           lambda c: c.stats.teu_through),
    Metric("tonnes_through", "node", "t", "tonnes passing the node in the window, each unit once per node of its path",
           lambda c: c.stats.tonnes_through),
)

# A node's pool: the node metrics a shipper feels, over the visits the pool took.
_NODE_POOL: tuple[Metric, ...] = (
    Metric("visits", "node_pool", "vehicles", "vehicles the pool handled, arriving in the window",
           lambda c: c.stats.visits, integer=True),
    Metric("utilization", "node_pool", "share", "busy servers over the pool's servers (its own, or the node's it shares), time-averaged over the window",
           lambda c: _nan(c.stats.utilization), label="utilization"),
    Metric("mean_wait_days", "node_pool", "d", "mean queueing before handling of the pool's vehicles arriving in the window",
           lambda c: c.stats.mean_wait_days, compare=True, label="mean wait"),
    Metric("mean_handling_days", "node_pool", "d", "mean handling time of the pool's vehicles arriving in the window",
           lambda c: c.stats.mean_handling_days),
    Metric("max_queue", "node_pool", "vehicles", "largest number of the pool's vehicles waiting at once in the window",
           lambda c: c.stats.max_queue, integer=True),
)

_ROUTE_SERVICE: tuple[Metric, ...] = (
    Metric("load_factor", "route_service", "share", "mean load over capacity of the route's vehicles of that service that left in the window (1: every one left full; on a shared service, the route's own share of each vehicle)",
           lambda c: c.factors[c.segment]),
)

# A route's stretch on a shared service (sim.analysis.loops): emitted for shared services only.
_ROUTE_LOOP: tuple[Metric, ...] = (
    Metric("rolled_over", "route_service", "share", "share of the route's units created in the window that a departure of the shared service left behind at least once (no room)",
           lambda c: c.rolled, label="rolled over"),
    Metric("capacity_share", "route_service", "share", "mean share of each departure's capacity (in the window) the route's units took at its call: what its allocation or first come, first served gave it",
           lambda c: c.capacity_share, label="capacity share"),
)

# A shared service's load (sim.analysis.loops): the whole service, and each of its legs.
_LOOP: tuple[Metric, ...] = (
    Metric("load_factor", "service", "share", "mean (modelled cargo + background load) / capacity over the legs of the departures in the window",
           lambda c: c.stats.load_factor, compare=True, label="load factor"),
    Metric("peak_load_factor", "service", "share", "mean over the departures in the window of the load factor of their fullest leg",
           lambda c: c.stats.peak_load_factor, label="fullest leg"),
    Metric("background_share", "service", "share", "mean background load / capacity of the departures in the window",
           lambda c: c.stats.background_share, label="background"),
)
_SERVICE_LEG: tuple[Metric, ...] = (
    Metric("load_factor", "service_leg", "share", "mean (modelled cargo + background load) / capacity on this leg, departures in the window",
           lambda c: c.stats.leg(c.leg).load_factor, label="load factor"),
    Metric("units", "service_leg", "TEU|wagons", "mean modelled cargo aboard on this leg, in the service's units (TEU, or wagons)",
           lambda c: c.stats.leg(c.leg).units, label="cargo aboard"),
)


# A finite fleet: see sim.analysis.fleets for the states the shares divide its time into.
_SERVICE: tuple[Metric, ...] = (
    Metric("departures_per_week", "service", "/wk", "departures in the window per week: what the fleet offered",
           lambda c: c.stats.departures_per_week, compare=True, label="departures/wk"),
    Metric("vehicles", "service", "vehicles", "vehicles in the fleet",
           lambda c: c.stats.vehicles, integer=True),
    Metric("cycle_days", "service", "d", "mean cycle of the departures in the window: out, turnaround, back, turnaround, until ready again",
           lambda c: c.stats.cycle_days, compare=True, label="cycle"),
    *(
        Metric(f"share_{state}", "service", "share", f"share of the fleet's time in the window spent {what}",
               (lambda state: lambda c: c.stats.shares[state])(state), label=f"{state}")
        for state, what in (("loaded", "loaded, departure to arrival"), ("turnaround", "turning around at either end"),
                            ("returning", "on the way back"), ("idle", "ready at the origin, waiting to depart"))
    ),
    Metric("departures_delayed", "service", "departures", "departures in the window that left more than a minute after their slot (leaving when full: after their load was ready) for lack of a vehicle",
           lambda c: c.stats.departures_delayed, integer=True, label="delayed"),
    Metric("delay_days", "service", "d", "mean wait for a vehicle of the delayed departures, from the slot or from when the load was ready (a backlog the fleet cannot carry makes it grow with the run)",
           lambda c: c.stats.delay_days, label="delay"),
)


def _late_share(c: RouteContext) -> float:
    """Share of the counted delivered units later than the route's promised days."""
    s = c.scenario.settings
    counted = cohort(c.result.ledgers[c.route_id], s.warmup_days, s.horizon_days)
    t = counted.delivered - counted.created
    t = t[~np.isnan(t)]
    return float((t > c.route.promised_days).mean()) if t.size else math.nan


def _co2(c: RouteContext) -> float:
    value = route_co2e_kg(c.scenario, c.route, loads=c.loads)
    return math.nan if value is None else value


# Money and CO2e of a route's own cargo (sim.analysis.costs): rows only when the scenario has
# prices (or [emissions]); per TEU for containers, per tonne for bulk.
ROUTE_COST: tuple[Metric, ...] = (
    Metric("cost_usd_per_teu", "route", "US$/TEU", "what a shipper pays per TEU door to door: line haul, handling, border charges and transit tariffs (sim.analysis.costs); only for a route whose every ride has a rate",
           lambda c: route_cost(c.scenario, c.route).total, compare=True, label="cost/TEU"),
    Metric("cost_usd_per_tonne", "route", "US$/t", "the same per tonne of bulk",
           lambda c: route_cost(c.scenario, c.route).total, label="cost/t"),
)
ROUTE_CO2: tuple[Metric, ...] = (
    Metric("co2e_kg_per_teu", "route", "kg CO2e/TEU", "well-to-wheel CO2e of one TEU of the route's own cargo (its tonnes per TEU, else [emissions].tonnes_per_teu), each leg's factor at the load its service ran in the replication where [emissions].load_factor gives the default's",
           _co2, label="CO2e/TEU"),
    Metric("co2e_kg_per_tonne", "route", "kg CO2e/t", "well-to-wheel CO2e of one tonne of bulk, at the run's loads as for containers", _co2, label="CO2e/t"),
)
ROUTE_LATE: tuple[Metric, ...] = (
    Metric("late_share", "route", "share", "share of the counted delivered units that took longer than the route's promised_days",
           _late_share, compare=True, label="late"),
)

FLOW: tuple[Metric, ...] = (
    Metric("teu_per_year", "flow", "TEU/yr", "TEU of the flow created in the window, per year, all options",
           lambda c: c.stats.teu_per_year(), label="TEU/yr"),
    Metric("transit_days", "flow", "d", "mean door-to-door time of the flow's counted units delivered by the end of the run, all options",
           lambda c: c.stats.transit_days, compare=True, label="door to door"),
    Metric("cost_usd_per_teu", "flow", "US$/TEU", "mean money cost per TEU of the flow's cargo as it chose",
           lambda c: c.stats.cost_usd_per_teu, compare=True, label="cost/TEU"),
    Metric("co2e_kg_per_teu", "flow", "kg CO2e/TEU", "mean well-to-wheel CO2e per TEU of the flow's cargo as it chose",
           lambda c: c.stats.co2e_kg_per_teu, compare=True, label="CO2e/TEU"),
    Metric("co2e_t_per_year", "flow", "t CO2e/yr", "the flow's CO2e per year (its cargo's tonnes)",
           lambda c: c.stats.co2e_t_per_year, label="CO2e/yr"),
)
FLOW_OPTION: tuple[Metric, ...] = (
    Metric("share", "flow_option", "share", "share of the flow's units created in the window that took this option",
           lambda c: c.stats.share(c.option), compare=True, label="share"),
    Metric("teu_per_year", "flow_option", "TEU/yr", "TEU of the flow on this option, created in the window, per year",
           lambda c: c.stats.teu_per_year(c.option), label="TEU/yr"),
    Metric("transit_days", "flow_option", "d", "mean door-to-door time of the flow's counted units on this option delivered by the end of the run",
           lambda c: c.o.transit_days, label="door to door"),
    Metric("cost_usd_per_teu", "flow_option", "US$/TEU", "money cost per TEU of the flow's cargo on this option",
           lambda c: c.o.cost_usd_per_teu, label="cost/TEU"),
    Metric("co2e_kg_per_teu", "flow_option", "kg CO2e/TEU", "well-to-wheel CO2e per TEU of the flow's cargo on this option",
           lambda c: c.o.co2e_kg_per_teu, label="CO2e/TEU"),
)
COUNTRY: tuple[Metric, ...] = (
    Metric("transit_revenue_usd_per_year", "country", "US$/yr", "transit tariffs paid to the country by the cargo delivered in the window that neither started nor ended there, per year",
           lambda c: c.revenue_per_year, compare=True, label="transit revenue"),
)


def _impact(name: str) -> Callable[[EventContext], float]:
    return lambda c: c.impact[name]


# An event's impact: see sim.analysis.impact for the definitions these lines sum up.
_EVENT: tuple[Metric, ...] = (
    Metric("containers_affected", "event", "units", "units on the event's routes delivered more than a minute earlier or later than without it (or in one run only), created before the target recovered; for a surge, also the units it added",
           _impact("containers_affected"), compare=True, integer=True, label="affected"),
    Metric("extra_delay_days", "event", "d", "mean of delivered with the event minus delivered without it (same replication, same seed) over the affected units both runs delivered",
           _impact("extra_delay_days"), compare=True, label="extra delay"),
    Metric("extra_delay_days.p95", "event", "d", "95th percentile of the same units' extra delays, per replication",
           _impact("extra_delay_days.p95"), label="extra delay p95"),
    Metric("containers_undelivered", "event", "units", "affected units with a twin left out of the extra delay: undelivered when either run stopped",
           _impact("containers_undelivered"), integer=True),
    Metric("peak_queue", "event", "vehicles|units", "largest queue at the target from the event's start to its recovery: vehicles waiting at a node; units waiting at a route's origin (a service: the origins it leaves); vehicles held at a closed leg's start",
           _impact("peak_queue"), compare=True, nonnegative=True, label="peak queue"),
    Metric("recovery_days", "event", "d", "days from the event's end until the target's queue is within 10% of the same replication's without events at that instant; NaN if not before the run stopped",
           _impact("recovery_days"), compare=True, nonnegative=True, label="recovery"),
    Metric("recovered", "event", "0/1", "1 when the queue recovered before the run stopped (mean over replications: the share that did)",
           _impact("recovered")),
    Metric("containers_diverted", "event", "units", "units whose vehicle left the origin in a divert event's window and took its path (0 for other kinds)",
           _impact("containers_diverted"), integer=True, label="diverted"),
    Metric("containers_removed", "event", "units", "units of the run without the event that a demand event with factor below 1 did not create (0 for other kinds)",
           _impact("containers_removed"), integer=True, label="removed"),
)

REGISTRY: dict[tuple[str, str], Metric] = {
    (m.kind, m.name): m
    for m in (_ROUTE + _POOLED + ROUTE_COST + ROUTE_CO2 + ROUTE_LATE + _NODE + _NODE_POOL + _ROUTE_SERVICE + _ROUTE_LOOP
              + _SERVICE + _LOOP + _SERVICE_LEG + _EVENT + FLOW + FLOW_OPTION + COUNTRY)
}
# Metrics with rows only where the scenario gives what they need (see metrics_table).
CONDITIONAL = {(m.kind, m.name) for m in ROUTE_COST + ROUTE_CO2 + ROUTE_LATE + FLOW + FLOW_OPTION + COUNTRY}
# Metrics of shared services only: their rows exist for services that run loops (sim.engine.loops).
SHARED_ONLY = {(m.kind, m.name) for m in _ROUTE_LOOP + _LOOP + _SERVICE_LEG}


def metric(kind: str, name: str) -> Metric:
    """The registered metric of that kind and name (KeyError if there is none)."""
    return REGISTRY[(kind, name)]


def vocabulary() -> list[Metric]:
    """Every registered metric, in table order."""
    return list(REGISTRY.values())


