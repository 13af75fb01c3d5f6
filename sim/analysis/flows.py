"""What a flow's containers did in one replication: how they split, how long they took,
what they paid and emitted (their own cargo's tonnes, not the route's own demand's)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.costs import route_co2e_kg, route_cost
from sim.analysis.loads import LegLoads
from sim.analysis.statistics import cohort
from sim.engine.records import ReplicationResult
from sim.model.flows import Flow
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class OptionStats:
    """One option of a flow in one replication: the flow's counted units on it."""

    created: int  # units created in the measured window
    delivered: int  # of them, delivered by the end of the run
    transit_days: float  # mean door to door of those delivered (NaN: none)
    cost_usd_per_teu: float
    co2e_kg_per_teu: float  # NaN: a leg has no factor


@dataclass(frozen=True)
class FlowStats:
    """A flow's options in one replication, in option order."""

    flow: Flow
    options: tuple[OptionStats, ...]
    window_years: float

    @property
    def created(self) -> int:
        return sum(o.created for o in self.options)

    def share(self, k: int) -> float:
        return self.options[k].created / self.created if self.created else math.nan

    def teu_per_year(self, k: int | None = None) -> float:
        units = self.created if k is None else self.options[k].created
        return units * self.flow.demand.unit_teu / self.window_years

    def _chosen(self, values: list[float]) -> float:
        """The mean over the flow's counted units of a per-option value (weighted by units)."""
        w = np.array([o.created for o in self.options], dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        keep = w > 0
        if not keep.any():
            return math.nan
        return float(np.dot(w[keep], v[keep]) / w[keep].sum())

    @property
    def transit_days(self) -> float:
        w = np.array([o.delivered for o in self.options], dtype=np.float64)
        v = np.array([o.transit_days if o.delivered else 0.0 for o in self.options])
        return float(np.dot(w, v) / w.sum()) if w.sum() else math.nan

    @property
    def cost_usd_per_teu(self) -> float:
        return self._chosen([o.cost_usd_per_teu for o in self.options])

    @property
    def co2e_kg_per_teu(self) -> float:
        return self._chosen([o.co2e_kg_per_teu for o in self.options])

    @property
    def co2e_t_per_year(self) -> float:
        return sum(o.co2e_kg_per_teu * o.created * self.flow.demand.unit_teu for o in self.options if o.created) \
            / 1000.0 / self.window_years


def flow_stats(scenario: Scenario, result: ReplicationResult, flow_id: str, loads: LegLoads | None = None) -> FlowStats:
    """The flow's counted units (created in the measured window) on each of its options;
    CO2e at the replication's ``loads`` (sim.analysis.loads) when given."""
    s = scenario.settings
    fi = list(scenario.flows).index(flow_id)
    flow = scenario.flows[flow_id]
    options = []
    for rid in flow.options:
        ledger = result.ledgers[rid]
        route = scenario.routes[rid]
        cost = route_cost(scenario, route, flow.tonnes_per_teu).total
        co2 = route_co2e_kg(scenario, route, flow.tonnes_per_teu, loads)
        co2 = math.nan if co2 is None else co2
        if ledger.flow is None:
            options.append(OptionStats(0, 0, math.nan, cost, co2))
            continue
        c = cohort(ledger, s.warmup_days, s.horizon_days)
        mine = c.flow == fi
        created, delivered = c.created[mine], c.delivered[mine]
        done = ~np.isnan(delivered)
        transit = float((delivered[done] - created[done]).mean()) if done.any() else math.nan
        options.append(OptionStats(int(mine.sum()), int(done.sum()), transit, cost, co2))
    return FlowStats(flow, tuple(options), (s.horizon_days - s.warmup_days) / 365.0)
