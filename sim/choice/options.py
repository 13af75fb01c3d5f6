"""Every door-to-door option between two nodes, priced for one cargo, and where they break even.

The times are a run's (each route's mean, median and 95th percentile door to door, pooled
over replications); a route that delivered nothing in the run is shown at its free-flow time
and marked so.  The generalised cost of option i for cargo worth v US$/kg is
    GC_i(v) = money_i + carbon_i + v x 1000 x tonnes/TEU x time cost/day x (mean_i + w x buffer_i),
a line in v, so the cheapest option as the cargo's value rises is the lower envelope of
those lines: ``breakeven`` lists its pieces (from, to, option).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.analysis.costs import CostBreakdown, route_co2e_kg, route_cost
from sim.analysis.loads import LegLoads, scales_with_load
from sim.analysis.metric_contexts import route_service_id, service_leg_id
from sim.analysis.metrics_table import MetricsTable
from sim.choice.cost import OptionTimes
from sim.choice.logit import logit_shares
from sim.choice.observe import free_flow
from sim.model.costs import KG_PER_TONNE
from sim.model.errors import UsageError
from sim.model.flows import routes_between
from sim.model.scenario import Scenario
from sim.model.suggest import unknown_key_message

# Hummels (2001): a day in transit costs about 0.8% of the value of manufactured goods.
DEFAULT_TIME_COST_PER_DAY = 0.008
DEFAULT_TONNES_PER_TEU = 10.0


@dataclass(frozen=True)
class Cargo:
    """What is shipped: its value (None: not given), load per TEU and daily time cost."""

    value_usd_per_kg: float | None
    tonnes_per_teu: float
    time_cost_per_day: float
    label: str = ""

    def time_value_per_teu_day(self, value_usd_per_kg: float) -> float:
        return value_usd_per_kg * KG_PER_TONNE * self.tonnes_per_teu * self.time_cost_per_day


@dataclass(frozen=True)
class OptionRow:
    """One option: the route, its times, its money cost and CO2e per TEU of this cargo, and
    (for a cargo with a value) its generalised cost and logit share."""

    route: str
    name: str
    mode: str
    path: tuple[str, ...]
    times: OptionTimes
    observed: bool  # False: free-flow time (the run delivered nothing on it)
    cost: CostBreakdown
    co2e_kg: float | None
    carbon_usd: float
    generalised_usd: float | None
    share: float | None

    @property
    def planned_days(self) -> float:
        """Mean days plus the reliability buffer, the days the time value applies to."""
        return self.times.mean + self.buffer_weight * self.times.buffer_days

    buffer_weight: float = 1.0


@dataclass(frozen=True)
class OptionsAnswer:
    origin: str
    destination: str
    cargo: Cargo
    rows: tuple[OptionRow, ...]
    breakeven: tuple[tuple[float, float, str], ...]  # (from, to US$/kg, cheapest route)
    logit_scale_per_usd: float | None


def cargo_for(scenario: Scenario, cargo_class: str | None, value_usd_per_kg: float | None,
              tonnes_per_teu: float | None, time_cost_per_day: float | None) -> Cargo:
    """The cargo the options are priced for: a class of the scenario, overridden by the values given."""
    cls = None
    if cargo_class is not None:
        if cargo_class not in scenario.cargo_classes:
            raise UsageError("--class: " + unknown_key_message(cargo_class, scenario.cargo_classes, what="cargo class")
                             + ("" if scenario.cargo_classes else " (the scenario defines no [[cargo_classes]])"))
        cls = scenario.cargo_classes[cargo_class]
    for name, v, ok, bounds in (
        ("--value-usd-per-kg", value_usd_per_kg, lambda x: 0 <= x <= 1e4, "between 0 and 10,000"),
        ("--tonnes-per-teu", tonnes_per_teu, lambda x: 0 < x <= 40, "above 0 and at most 40"),
        ("--time-cost-per-day", time_cost_per_day, lambda x: 0 <= x <= 1, "between 0 and 1 (a share of the value per day)"),
    ):
        if v is not None and not (math.isfinite(v) and ok(v)):
            raise UsageError(f"{name} must be {bounds}, got {v:g}")
    value = value_usd_per_kg if value_usd_per_kg is not None else (cls.value_usd_per_tonne / KG_PER_TONNE if cls else None)
    tonnes = tonnes_per_teu or (cls.tonnes_per_teu if cls else None) or (
        scenario.emissions.tonnes_per_teu if scenario.emissions else DEFAULT_TONNES_PER_TEU)
    rate = time_cost_per_day if time_cost_per_day is not None else (cls.time_cost_per_day if cls else DEFAULT_TIME_COST_PER_DAY)
    return Cargo(value, tonnes, rate, cls.name if cls else "")


def option_routes(scenario: Scenario, origin: str, destination: str) -> list[str]:
    """Container routes from ``origin`` to ``destination`` (errors name what is unknown)."""
    for flag, node in (("ORIGIN", origin), ("DESTINATION", destination)):
        if node not in scenario.nodes:
            raise UsageError(f"{flag}: " + unknown_key_message(node, scenario.nodes, what="node")
                             + " (routesim list --nodes shows them)")
    found = routes_between(scenario.routes, origin, destination)
    if not found:
        starts = sorted({r.path[-1] for r in scenario.routes.values() if r.path[0] == origin})
        raise UsageError(f"no container route runs from {origin} to {destination} in {scenario.settings.name}"
                         + (f" (from {origin}: to {', '.join(starts)})" if starts else ""))
    return found


def _times(scenario: Scenario, table: MetricsTable, rid: str) -> tuple[OptionTimes, bool]:
    values = table.values("route", rid, "transit_days") if table.has("route", rid, "transit_days") else np.empty(0)
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan  # none delivered: free flow
    p50, p95 = (table.pooled("route", rid, f"transit_days.{p}") for p in ("p50", "p95"))
    if not (math.isfinite(mean) and math.isfinite(p50) and math.isfinite(p95)):
        return free_flow(scenario, scenario.routes[rid]), False
    return OptionTimes(float(mean), float(p50), float(p95)), True


def table_loads(scenario: Scenario, table: MetricsTable) -> LegLoads | None:
    """Each (service, leg)'s load factor as the run measured it, averaged over replications
    (None when no CO2e factor depends on it): a shared service's own per leg, else the
    route's service's."""
    if not scales_with_load(scenario):
        return None
    out: dict[tuple[str, str], float] = {}
    for rid, route in scenario.routes.items():
        for seg in route.segments:
            for lid in seg.legs:
                for kind, ident in (("service_leg", service_leg_id(seg.service, lid)),
                                    ("route_service", route_service_id(rid, seg.service))):
                    if table.has(kind, ident, "load_factor"):
                        values = table.values(kind, ident, "load_factor")
                        if np.isfinite(values).any():
                            out[(seg.service, lid)] = float(np.nanmean(values))
                        break
    return out


def envelope(intercepts: Sequence[float], slopes: Sequence[float], ids: Sequence[str]) -> list[tuple[float, float, str]]:
    """The lower envelope of lines a + b v over v >= 0, as (from, to, id) pieces."""
    a = np.asarray(intercepts, dtype=np.float64)
    b = np.asarray(slopes, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    if not keep.any():
        return []
    idx = np.flatnonzero(keep)
    cur = min(idx, key=lambda i: (a[i], b[i]))  # at v = 0: the lowest line, the flattest of those tied
    v = 0.0
    pieces = []
    while True:
        # The cheapest line at v stays cheapest until a flatter one crosses it (at or after v).
        crossings = [(max(v, (a[j] - a[cur]) / (b[cur] - b[j])), b[j], j) for j in idx if b[j] < b[cur]]
        if not crossings:
            pieces.append((float(v), math.inf, ids[cur]))
            return pieces
        at, _, nxt = min(crossings)
        at = float(at)
        if at > v:
            pieces.append((v, at, ids[cur]))
        cur, v = nxt, at


def door_to_door(scenario: Scenario, table: MetricsTable, origin: str, destination: str, cargo: Cargo,
                 scale: float | None = None) -> OptionsAnswer:
    """Every option from origin to destination priced for ``cargo`` with the run's times."""
    routes = option_routes(scenario, origin, destination)
    choice = scenario.choice
    weight = choice.buffer_weight if choice is not None else 1.0
    price = choice.carbon_usd_per_tonne if choice is not None else 0.0
    scale = scale if scale is not None else (choice.logit_scale_per_usd if choice is not None else None)
    rows = []
    loads = table_loads(scenario, table)
    for rid in routes:
        route = scenario.routes[rid]
        times, observed = _times(scenario, table, rid)
        cost = route_cost(scenario, route, cargo.tonnes_per_teu)
        co2 = route_co2e_kg(scenario, route, cargo.tonnes_per_teu, loads)
        carbon = price * co2 / 1000.0 if price and co2 is not None else 0.0
        gc = None
        if cargo.value_usd_per_kg is not None and cost.complete:  # an unpriced ride: unknown, not free
            gc = cost.total + carbon + cargo.time_value_per_teu_day(cargo.value_usd_per_kg) * (times.mean + weight * times.buffer_days)
        rows.append(OptionRow(rid, route.name, route.mode, route.path, times, observed, cost, co2, carbon, gc, None, weight))
    # Shares and break-even values among the options with a whole cost only.
    priced = [r for r in rows if r.cost.complete]
    if cargo.value_usd_per_kg is not None and scale is not None and priced:
        shares = dict(zip((r.route for r in priced), logit_shares([r.generalised_usd for r in priced], scale)))
        rows = [_with_share(r, float(shares[r.route])) if r.route in shares else r for r in rows]
    unit = cargo.time_value_per_teu_day(1.0)  # US$ per TEU-day per US$/kg of value
    pieces = envelope([r.cost.total + r.carbon_usd for r in priced], [unit * r.planned_days for r in priced],
                      [r.route for r in priced]) if priced else []
    return OptionsAnswer(origin, destination, cargo, tuple(rows), tuple(pieces), scale)


def _with_share(row: OptionRow, share: float) -> OptionRow:
    import dataclasses

    return dataclasses.replace(row, share=share)
