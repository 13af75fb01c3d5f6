"""The generalised cost of an option for a flow's cargo, per TEU, and the buffer-time rule.

generalised cost = money cost (sim.analysis.costs)
                 + time value x expected door-to-door days
                 + time value x buffer days, buffer = buffer_weight x (p95 - p50) days
                 + carbon price x tonnes CO2e
where the time value is the cargo's value per TEU times its time cost per day.  The buffer is
the stock a shipper holds so that a late container (up to the 95th percentile) does not stop
the line: its carrying cost is the time value of the extra days planned beyond the median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.analysis.costs import CostBreakdown, route_co2e_kg, route_cost
from sim.analysis.loads import LegLoads
from sim.model.flows import Flow
from sim.model.scenario import Scenario

GC_PARTS = ("money", "time", "reliability", "carbon")


@dataclass(frozen=True)
class OptionTimes:
    """What shippers expect of an option: mean, median and 95th percentile door-to-door days."""

    mean: float
    p50: float
    p95: float
    count: int = 0  # containers observed (0: the free-flow estimate)

    @property
    def buffer_days(self) -> float:
        return max(0.0, self.p95 - self.p50)


@dataclass(frozen=True)
class GeneralisedCost:
    """One option's generalised cost per TEU for one flow, by part (US$)."""

    money: float
    time: float
    reliability: float
    carbon: float
    cost: CostBreakdown
    co2e_kg: float | None

    @property
    def total(self) -> float:
        return self.money + self.time + self.reliability + self.carbon

    def parts(self) -> dict[str, float]:
        return {p: getattr(self, p) for p in GC_PARTS}


def option_money(scenario: Scenario, flow: Flow, route_id: str, loads: LegLoads | None = None,
                 ) -> tuple[CostBreakdown, float | None]:
    """The cost breakdown and kg CO2e of one TEU of the flow's cargo on an option (CO2e at
    the vehicles' ``loads``, sim.analysis.loads, when given)."""
    route = scenario.routes[route_id]
    return route_cost(scenario, route, flow.tonnes_per_teu), route_co2e_kg(scenario, route, flow.tonnes_per_teu, loads)


def generalised_cost(scenario: Scenario, flow: Flow, route_id: str, times: OptionTimes,
                     loads: LegLoads | None = None) -> GeneralisedCost:
    """The option's generalised cost per TEU for this flow's cargo, with the times (and the
    vehicles' loads, for its CO2e) expected."""
    cost, co2 = option_money(scenario, flow, route_id, loads)
    choice = scenario.choice
    weight = choice.buffer_weight if choice is not None else 1.0
    price = choice.carbon_usd_per_tonne if choice is not None else 0.0
    vot = flow.time_value_usd_per_teu_day
    carbon = price * co2 / 1000.0 if price and co2 is not None else 0.0
    # A zero time value prices no days at all, even the endless ones of an option that never delivers.
    time = vot * (times.mean if math.isfinite(times.mean) else math.inf) if vot > 0 else 0.0
    buffer = vot * weight * times.buffer_days if vot > 0 and math.isfinite(times.buffer_days) else (0.0 if vot == 0 else math.inf)
    return GeneralisedCost(cost.total, time, buffer, carbon, cost, co2)
