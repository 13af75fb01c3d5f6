"""How full each service's vehicles ran on each leg in a run: what CO2e per tonne-km is scaled by.

A leg's load factor is the mean over the service's departures in the measured window of
(cargo + background load) / capacity on that leg: for a shared service from its LoopLog
(sim.analysis.loops), for a service of one route from that route's trips
(sim.analysis.statistics.load_factors).  NaN where no departure ran the leg in the window.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from sim.analysis.loops import loop_stats
from sim.analysis.statistics import load_factors
from sim.engine.records import ReplicationResult
from sim.model.scenario import Scenario

# (service id, leg id) -> load factor
LegLoads = Mapping[tuple[str, str], float]


def leg_loads(scenario: Scenario, result: ReplicationResult) -> dict[tuple[str, str], float]:
    """Every (service, leg)'s load factor in one replication (see the module docstring)."""
    s = scenario.settings
    out: dict[tuple[str, str], float] = {}
    for sid, log in result.loops.items():
        stats = loop_stats(log, s.warmup_days, s.horizon_days)
        for j, leg_id in enumerate(scenario.services[sid].legs):
            out[(sid, leg_id)] = stats.leg(j).load_factor
    for rid, route in scenario.routes.items():
        segments = [seg for seg in route.segments if seg.service not in result.loops]
        if not segments:
            continue
        factors = load_factors(scenario, result, rid)
        for seg, factor in zip(route.segments, factors):
            if seg.service not in result.loops:
                for leg_id in seg.legs:
                    out[(seg.service, leg_id)] = factor
    return out


def pooled_leg_loads(scenario: Scenario, results: Sequence[ReplicationResult]) -> dict[tuple[str, str], float]:
    """Each (service, leg)'s load factor averaged over the replications that measured it."""
    per_rep = [leg_loads(scenario, r) for r in results]
    keys = dict.fromkeys(k for loads in per_rep for k in loads)
    out = {}
    for key in keys:
        values = np.array([loads.get(key, math.nan) for loads in per_rep], dtype=np.float64)
        values = values[np.isfinite(values)]
        out[key] = float(values.mean()) if values.size else math.nan
    return out


def scales_with_load(scenario: Scenario) -> bool:
    """True when some CO2e factor depends on the run: [emissions] gives a default's load factor."""
    return scenario.emissions is not None and bool(scenario.emissions.load_factor)
