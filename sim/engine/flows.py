"""The arrivals of origin–destination flows, split among their options by the assignment.

Each flow draws its whole arrival process once (its own stream, ``flow:<id>``) and one
uniform per container (``flow:<id>:choice``); a container booked in period p takes the
option whose cumulative share first exceeds its uniform.  Splitting a Poisson process so
gives independent Poisson processes with the shares' rates, and with the same seed a
small change of shares moves only the few containers whose uniforms lie between the old
and the new cumulative shares: the equilibrium's iterations differ no more than they must.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sim.engine.demand import arrival_times
from sim.model.scenario import Route, Scenario


def flow_arrivals(
    scenario: Scenario, end: float, rng: Callable[[str], np.random.Generator]
) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Per option route, (flow index, sorted arrival times) of the containers it is chosen for."""
    out: dict[str, list[tuple[int, np.ndarray]]] = {}
    assignment = scenario.assignment
    if assignment is None:
        return out
    cuts = np.asarray(assignment.cuts, dtype=np.float64)
    calendar = scenario.settings.calendar
    for fi, (fid, flow) in enumerate(scenario.flows.items()):
        times = arrival_times(flow.demand, calendar, end, rng(f"flow:{fid}"))
        u = rng(f"flow:{fid}:choice").random(times.size)
        period = np.clip(np.searchsorted(cuts, times, side="right") - 1, 0, cuts.size - 2)
        cumulative = np.cumsum(np.asarray(assignment.shares[fid], dtype=np.float64), axis=1)
        cumulative[:, -1] = np.inf  # rounding never leaves a container without an option
        option = (u[:, None] >= cumulative[period]).sum(axis=1)
        for k, rid in enumerate(flow.options):
            chosen = times[option == k]
            if chosen.size:
                out.setdefault(rid, []).append((fi, chosen))
    return out


def merge_arrivals(own: np.ndarray, booked: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """A route's own arrivals and those flows booked on it, in time order, with each unit's
    flow index (-1: own); at equal times the route's own come first, then flows in order."""
    times = np.concatenate([own, *(t for _, t in booked)])
    tags = np.concatenate([np.full(own.size, -1, dtype=np.int16),
                           *(np.full(t.size, fi, dtype=np.int16) for fi, t in booked)])
    order = np.argsort(times, kind="stable")
    return times[order], tags[order]


def mean_load(scenario: Scenario, route: Route, own: int, booked: list[tuple[int, np.ndarray]]) -> float:
    """Tonnes per unit of a route carrying its own demand and flows of other loads: the mean
    over all its units, so its tonne counters (route and node) add up to the right total."""
    flows = list(scenario.flows.values())
    units = own + sum(t.size for _, t in booked)
    if not units:
        return route.demand.unit_tonnes
    total = own * route.demand.unit_tonnes + sum(t.size * flows[fi].demand.unit_tonnes for fi, t in booked)
    return total / units
