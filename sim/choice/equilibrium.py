"""The split of each flow among its options, iterated with the simulation to a fixed point.

Start from the shares the flows' rules give at free-flow times; then repeat: simulate the
replications with the current shares (same seed every time: common random numbers), read
each option's door-to-door times per booking period (sim.choice.observe), compute the shares
the rules would give at those times (the response), and move the shares a step of 1/k
toward the response (the method of successive averages).  Stop when the gap is under the
tolerance or after ``[choice] max_iterations`` runs.  The gap of a logit (or fixed) flow is
the largest difference between a share and its response; of a ``cheapest`` flow, whose
response jumps between all and nothing, the share on options dearer than the cheapest by
more than the tolerance (relative).  The results returned are those of the last shares
simulated, so what is reported is exactly what was run.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from sim.analysis.impact import event_impact
from sim.analysis.loads import LegLoads, pooled_leg_loads, scales_with_load
from sim.choice.cost import GeneralisedCost, OptionTimes, generalised_cost
from sim.choice.logit import choose
from sim.choice.observe import booking_cuts, expected_times, free_flow
from sim.engine.replications import run_experiment
from sim.engine.simulation import ReplicationResult
from sim.model.flows import Assignment, Flow
from sim.model.scenario import Scenario

Simulate = Callable[[Scenario], Sequence[ReplicationResult]]
Report = Callable[[int, int, float], None]  # iteration, max iterations, gap so far


@dataclass(frozen=True)
class Iteration:
    """One simulation of the equilibrium: the shares run and the gap they left."""

    index: int
    gap: float  # the largest of the flows'
    shares: dict[str, tuple[tuple[float, ...], ...]]
    gaps: dict[str, float] = dataclasses.field(default_factory=dict)  # per flow


@dataclass(frozen=True)
class Equilibrium:
    """The assignment simulated last, the expected times and costs it produced, the record."""

    assignment: Assignment
    iterations: tuple[Iteration, ...]
    converged: bool
    tolerance: float
    times: dict[str, list[OptionTimes]]  # per option route, per booking period
    costs: dict[str, list[list[GeneralisedCost]]]  # per flow, per period, per option
    responses: dict[str, tuple[tuple[float, ...], ...]]  # what the rules answered last

    @property
    def gap(self) -> float:
        return self.iterations[-1].gap if self.iterations else 0.0


def chosen_routes(scenario: Scenario) -> list[str]:
    """Every route that is some flow's option, in scenario order."""
    chosen = {rid for f in scenario.flows.values() for rid in f.options}
    return [rid for rid in scenario.routes if rid in chosen]


def _costs(scenario: Scenario, flow: Flow, times: dict[str, list[OptionTimes]], periods: int,
           loads: LegLoads | None = None) -> list[list[GeneralisedCost]]:
    return [[generalised_cost(scenario, flow, rid, times[rid][p], loads) for rid in flow.options] for p in range(periods)]


def _scale(scenario: Scenario, flow: Flow) -> float | None:
    return flow.logit_scale_per_usd or (scenario.choice.logit_scale_per_usd if scenario.choice else None)


def respond(scenario: Scenario, costs: dict[str, list[list[GeneralisedCost]]]) -> dict[str, np.ndarray]:
    """The shares each flow's rule gives at these costs: per flow, an array periods x options."""
    out = {}
    for fid, flow in scenario.flows.items():
        rows = [choose(flow.choice, [g.total for g in period], _scale(scenario, flow), flow.shares) for period in costs[fid]]
        out[fid] = np.vstack(rows)
    return out


def _gaps(scenario: Scenario, shares: dict[str, np.ndarray], response: dict[str, np.ndarray],
          costs: dict[str, list[list[GeneralisedCost]]], tolerance: float) -> dict[str, float]:
    """Each flow's gap (see the module docstring)."""
    gaps = {}
    for fid, flow in scenario.flows.items():
        gap = 0.0
        if flow.choice == "cheapest":
            for p, period in enumerate(costs[fid]):
                total = np.array([g.total for g in period])
                best = np.nanmin(total)
                dear = total > best + tolerance * abs(best)
                gap = max(gap, float(shares[fid][p][dear].sum()))
        else:
            gap = float(np.abs(response[fid] - shares[fid]).max())
        gaps[fid] = gap
    return gaps


def _assignment(cuts: tuple[float, ...], shares: dict[str, np.ndarray]) -> Assignment:
    return Assignment(cuts, {fid: tuple(tuple(float(x) for x in row) for row in s) for fid, s in shares.items()})


def initial_shares(scenario: Scenario, cuts: tuple[float, ...]) -> dict[str, np.ndarray]:
    """The rules' shares at free-flow times, in every period."""
    periods = len(cuts) - 1
    times = {rid: [free_flow(scenario, scenario.routes[rid])] * periods for rid in chosen_routes(scenario)}
    costs = {fid: _costs(scenario, f, times, periods) for fid, f in scenario.flows.items()}
    return respond(scenario, costs)


def equilibrate(scenario: Scenario, simulate: Simulate, report: Report | None = None,
                ) -> tuple[Scenario, Sequence[ReplicationResult], Equilibrium]:
    """Iterate simulation and choice to a fixed point; the scenario with the shares last
    simulated, that simulation's results, and the record (see the module docstring)."""
    choice = scenario.choice
    tolerance = choice.tolerance if choice is not None else 0.01
    limit = choice.max_iterations if choice is not None else 30
    if all(f.choice == "fixed" for f in scenario.flows.values()):
        limit = 1  # nothing responds to times: one run is the answer
    cuts = booking_cuts(scenario)
    periods = len(cuts) - 1
    routes = chosen_routes(scenario)
    shares = initial_shares(scenario, cuts)
    record: list[Iteration] = []
    times: dict[str, list[OptionTimes]] | None = None
    for k in range(1, limit + 1):
        assignment = _assignment(cuts, shares)
        current = dataclasses.replace(scenario, assignment=assignment)
        results = simulate(current)
        times = expected_times(current, results, routes, cuts, times)
        # CO2e as the vehicles ran this iteration (how full depends on the shares too).
        loads = pooled_leg_loads(current, results) if scales_with_load(current) else None
        costs = {fid: _costs(current, f, times, periods, loads) for fid, f in scenario.flows.items()}
        response = respond(current, costs)
        gaps = _gaps(current, shares, response, costs, tolerance)
        gap = max(gaps.values())
        record.append(Iteration(k, gap, assignment.shares, gaps))
        if report is not None:
            report(k, limit, gap)
        done = gap < tolerance or k == limit
        if done:
            return current, results, Equilibrium(
                assignment, tuple(record), gap < tolerance, tolerance, times, costs,
                {fid: tuple(tuple(float(x) for x in row) for row in r) for fid, r in response.items()},
            )
        step = 1.0 / (k + 1)  # MSA: the start counts as the first average
        shares = {fid: (1.0 - step) * shares[fid] + step * response[fid] for fid in shares}
        shares = {fid: s / s.sum(axis=1, keepdims=True) for fid, s in shares.items()}
    raise AssertionError("unreachable: the loop returns at its last iteration")


def simulations(scenario: Scenario) -> int:
    """How many times a run simulates its replications at most: once, or once per
    iteration when flows choose among options by their times."""
    if not scenario.flows or all(f.choice == "fixed" for f in scenario.flows.values()):
        return 1
    return scenario.choice.max_iterations if scenario.choice is not None else 30


def run_equilibrium(scenario: Scenario, replications: int, seed: int, workers: int = 1,
                    progress: Callable[[int, int], None] | None = None, spill: bool | None = None,
                    impact: bool = True) -> tuple[Scenario, Sequence[ReplicationResult], Equilibrium]:
    """``equilibrate`` with the engine's replications: each iteration simulates every
    replication (with its events' impact, so the last one is a complete run); an iteration's
    results are dropped when the next starts.  ``progress`` was sized for every iteration
    (``simulations``): what convergence saved is filled at the end."""
    previous: list = []

    def simulate(current: Scenario) -> Sequence[ReplicationResult]:
        for store in previous:
            store.close()
        previous.clear()
        measure = functools.partial(event_impact, current) if impact and current.events else None
        store = run_experiment(current, replications, seed, workers=workers, progress=progress, spill=spill,
                               impact=measure)
        previous.append(store)
        return store

    final, results, eq = equilibrate(scenario, simulate)
    if progress is not None:
        for _ in range((simulations(scenario) - len(eq.iterations)) * replications):
            progress(replications, replications)
    return final, results, eq


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def flows_record(scenario: Scenario, eq: Equilibrium) -> dict[str, dict]:
    """Per flow, what summary.json says of the choice: each option's generalised cost and
    its parts and the times expected (booking periods averaged by their length), the shares
    last simulated and answered, and the convergence record."""
    cuts = np.asarray(eq.assignment.cuts)
    # Booking periods weighted by their days in the measured window (the warm-up's bookings
    # are not counted in the shares and costs the summary reports either).
    s = scenario.settings
    weights = np.clip(np.minimum(cuts[1:], s.horizon_days) - np.maximum(cuts[:-1], s.warmup_days), 0.0, None)
    if weights.sum() <= 0:
        weights = np.diff(cuts)
    w = weights / weights.sum()
    weight = scenario.choice.buffer_weight if scenario.choice is not None else 1.0
    out = {}
    for fid, flow in scenario.flows.items():
        options = {}
        for j, rid in enumerate(flow.options):
            gcs = [period[j] for period in eq.costs[fid]]
            times = eq.times[rid]
            options[rid] = {
                "generalised_cost_usd_per_teu": _finite(float(np.dot(w, [g.total for g in gcs]))),
                "generalised_cost_parts": {part: _finite(float(np.dot(w, [getattr(g, part) for g in gcs])))
                                           for part in ("money", "time", "reliability", "carbon")},
                "expected_days": {k: _finite(float(np.dot(w, [getattr(t, k) for t in times]))) for k in ("mean", "p50", "p95")},
                # The days the time value applies to: the mean plus the reliability buffer.
                "planned_days": _finite(float(np.dot(w, [t.mean + weight * t.buffer_days for t in times]))),
                "simulated_share": float(np.dot(w, [row[j] for row in eq.assignment.shares[fid]])),
                "response_share": float(np.dot(w, [row[j] for row in eq.responses[fid]])),
            }
        out[fid] = {
            "model": {"rule": flow.choice, "logit_scale_per_usd": _scale(scenario, flow) if flow.choice == "logit" else None,
                      "fixed_shares": list(flow.shares) if flow.shares is not None else None, "buffer_weight": weight,
                      "carbon_usd_per_tonne": scenario.choice.carbon_usd_per_tonne if scenario.choice else 0.0},
            "options": options,
            "booking_periods": [[float(a), float(b)] for a, b in zip(cuts[:-1], cuts[1:])],
            "convergence": {
                "method": "successive averages" if flow.choice != "fixed" else "none (fixed shares)",
                "iterations": len(eq.iterations),
                "gap": eq.iterations[-1].gaps.get(fid, eq.gap) if eq.iterations else 0.0,
                "largest_gap": eq.gap,  # of all flows: what convergence is judged by
                "tolerance": eq.tolerance,
                "converged": eq.converged,
                "gaps": [it.gaps.get(fid, it.gap) for it in eq.iterations],
            },
        }
    return out
