"""Validation against a claims file: each claim's measure computed from what the model did,
and whether its mean over replications falls in the claim's band.

The claims, the route and node groups they are measured on, the bands and the sources are
data (``scenarios/china_europe.claims.toml``, read by ``sim.model.claims``); this module
holds only general measures, each computed per replication.  Transit and utilization are
read off the metrics table; border volumes use ``periods.node_period_counts``, the one
definition of monthly counts at a node.  The previous and current scenarios run with the
same seed, so replication i of both shares random numbers and the growth of each pair is a
paired comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from sim.analysis.groups import group_mean_transit, transit_ratio
from sim.analysis.metrics_table import MetricsTable, metrics_table
from sim.analysis.periods import months, node_period_counts
from sim.analysis.statistics import cohort, mean_ci95, train_index
from sim.engine.simulation import ReplicationResult
from sim.model.claims import MEASURE_PARAMS, Claim, Claims, Measure
from sim.model.errors import UsageError
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class Arm:
    """One validated scenario's replications and their metrics table."""

    scenario: Scenario
    results: Sequence[ReplicationResult]
    table: MetricsTable

    @classmethod
    def of(cls, scenario: Scenario, results: Sequence[ReplicationResult]) -> "Arm":
        return cls(scenario, results, metrics_table(scenario, results))


@dataclass(frozen=True)
class Runs:
    """The claims file and the runs of its scenarios (same seed, same replication indices)."""

    claims: Claims
    current: Arm
    previous: Arm | None = None


MeasureFn = Callable[[Runs, Arm, Measure], np.ndarray]


# ---------------------------------------------------------------------------------------
# The measures, one value per replication of ``arm``


def _routes(runs: Runs, measure: Measure, param: str) -> tuple[str, ...]:
    return runs.claims.groups[measure.param(param)].routes


def mean_transit(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """Pooled mean transit (days) over the counted units of a route group."""
    return group_mean_transit(arm.table, _routes(runs, measure, "group"))


def ratio_of_means(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """Mean transit of group ``over`` over that of group ``under`` (the sea/rail ratio)."""
    return transit_ratio(arm.table, _routes(runs, measure, "over"), _routes(runs, measure, "under"))


def _country(scenario: Scenario, node_id: str) -> str:
    country = scenario.nodes[node_id].country
    if not country:
        raise UsageError(
            f"scenario '{scenario.settings.name}': node '{node_id}' has no country, which "
            "validation needs to tell transit from bilateral traffic"
        )
    return country


def selected_routes(runs: Runs, scenario: Scenario, measure: Measure) -> np.ndarray | None:
    """Indices of the routes a border_volume counts: those passing its nodes with neither end
    in the region ``ends_outside`` (transit), or None (every route) without that parameter."""
    region = measure.param("ends_outside")
    if region is None:
        return None
    countries = runs.claims.regions[region]
    nodes = set(runs.claims.groups[measure.param("nodes")].nodes)
    picked = []
    for i, route in enumerate(scenario.routes.values()):
        if not set(route.path) & nodes:
            continue
        ends = {_country(scenario, route.path[0]), _country(scenario, route.path[-1])}
        if not ends & countries:
            picked.append(i)
    return np.array(picked, dtype=np.int64)


def border_volume(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """TEU or tonnes carried by trains past a node group in calendar months [first, last],
    times ``scale`` (e.g. 1e-6 for Mt)."""
    s = arm.scenario.settings
    first, last = measure.param("months")
    # Calendar months first..last of the first measured year (January-August whatever the
    # start date), each whole: a part month would count part of the claim's period.
    periods = [p for p in months(s.calendar, s.horizon_days)[:12] if first <= p.month <= last]
    if len(periods) != last - first + 1 or not all(p.whole_start for p in periods):
        raise UsageError(
            f"scenario '{s.name}' does not measure the whole of calendar months {first}-{last} in its "
            f"first year, which {measure.key} needs"
        )
    nodes = runs.claims.groups[measure.param("nodes")].nodes
    routes = selected_routes(runs, arm.scenario, measure)
    quantity, scale = measure.param("quantity"), measure.param("scale", 1.0)
    values = []
    for r in arm.results:
        train = train_index(r)
        if train is None:
            values.append(0.0)
            continue
        total = sum(
            float(getattr(node_period_counts(r.nodes[nid], periods, train, routes, vehicle=train), quantity).sum())
            for nid in nodes
        )
        values.append(total * scale)
    return np.asarray(values, dtype=np.float64)


def growth_percent(now: float, before: float) -> float:
    """Percentage growth from ``before`` to ``now``; NaN when there was nothing before."""
    return 100.0 * (now / before - 1.0) if before > 0 else math.nan


def growth(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """Growth in % of a measure from the previous scenario to the current, paired by replication."""
    if runs.previous is None:
        raise UsageError(f"{measure.key}: growth needs the previous scenario's runs")
    inner: Measure = measure.param("of")
    now = compute(runs, runs.current, inner)
    before = compute(runs, runs.previous, inner)
    return np.asarray([growth_percent(a, b) for a, b in zip(now, before)], dtype=np.float64)


def max_utilization(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """Per replication, the highest utilization of any node of a kind that has servers."""
    kind = measure.param("node_kind")
    nodes = [nid for nid, n in arm.scenario.nodes.items() if n.kind == kind and n.servers]
    if not nodes:
        raise UsageError(f"scenario '{arm.scenario.settings.name}' has no '{kind}' node with servers, which {measure.key} needs")
    columns = np.vstack([np.nan_to_num(arm.table.values("node", nid, "utilization")) for nid in nodes])
    return columns.max(axis=0)


def backlog_rise(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """Largest rise in waiting, second half of the measured window over the first, in days.

    Over every node with servers (vehicles' queueing) and every route origin (containers'
    wait for departure).  A stable queue's halves differ by noise; a saturated one's wait
    keeps growing, by days a month.  Not a metric of the table: it compares two halves.
    """
    s = arm.scenario.settings
    mid = (s.warmup_days + s.horizon_days) / 2
    values = []
    for r in arm.results:
        rises = [0.0]
        for nid, node in arm.scenario.nodes.items():
            if not node.servers:
                continue
            log = r.nodes[nid]
            wait = log.start - log.arrive
            first = log.handled & (log.arrive >= s.warmup_days) & (log.arrive < mid)
            second = log.handled & (log.arrive >= mid) & (log.arrive < s.horizon_days)
            rises.append(_half_rise(wait, first, second))
        for rid in arm.scenario.routes:
            c = cohort(r.ledgers[rid], s.warmup_days, s.horizon_days)
            # A container never departed waited at least until the end of the run.
            wait = np.where(np.isnan(c.departed), r.end_time, c.departed) - c.created
            rises.append(_half_rise(wait, c.created < mid, c.created >= mid))
        values.append(max(rises))
    return np.asarray(values, dtype=np.float64)


def _half_rise(wait: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    if not first.any() or not second.any():
        return 0.0
    return float(wait[second].mean() - wait[first].mean())


# The registry: a claims file names these (their parameters are checked by sim.model.claims).
def transit_revenue_measure(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """A country's transit tariff income per year (the country metric), in the year the
    measure names (the previous scenario's for a figure of the year before), times ``scale``."""
    if measure.params.get("scenario", "current") == "previous":
        if runs.previous is None:
            raise ValueError(f"{measure.key}: scenario = \"previous\" needs the claims file's scenarios.previous")
        arm = runs.previous
    values = arm.table.values("country", measure.params["country"], "transit_revenue_usd_per_year")
    return values * float(measure.params.get("scale", 1.0))


MEASURES: dict[str, MeasureFn] = {
    "mean_transit": mean_transit,
    "transit_ratio": ratio_of_means,
    "border_volume": border_volume,
    "growth": growth,
    "max_utilization": max_utilization,
    "backlog_rise": backlog_rise,
    "transit_revenue": transit_revenue_measure,
}
assert set(MEASURES) == set(MEASURE_PARAMS), "the measure registry and the claims-file schema disagree"


def compute(runs: Runs, arm: Arm, measure: Measure) -> np.ndarray:
    """One value per replication of ``arm`` for a measure of the registry."""
    return MEASURES[measure.name](runs, arm, measure)


# ---------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Outcome:
    """A claim with its simulated mean, 95% CI over replications, and verdict."""

    claim: Claim
    mean: float
    ci95: tuple[float | None, float | None]
    passed: bool


def evaluate(claim: Claim, values: Sequence[float]) -> Outcome:
    """Mean and CI of the per-replication values, and whether the mean is in the band."""
    mean, lo, hi = mean_ci95([float(v) for v in values])
    return Outcome(claim, mean, (lo, hi), claim.passes(mean))


def validate(runs: Runs) -> list[Outcome]:
    """Evaluate every claim of the claims file on the runs."""
    return [evaluate(claim, compute(runs, runs.current, claim.measure)) for claim in runs.claims.claims]


def outcome_record(outcome: Outcome) -> dict[str, object]:
    """One claim as a plain record for validation.json."""
    c = outcome.claim
    return {
        "id": c.id,
        "claim": c.text,
        "article": c.article,
        "article_value": c.article_value,
        "unit": c.unit,
        "simulated": {"mean": _finite(outcome.mean), "ci95": [_finite(v) for v in outcome.ci95]},
        "tolerance": {"low": _finite(c.low), "high": _finite(c.high), "text": c.tolerance},
        "justification": c.justification,
        "sources": [s.to_dict() for s in c.sources],
        "passed": outcome.passed,
    }


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def format_value(value: float | None, unit: str) -> str:
    """A simulated value in the claim's unit, for tables."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "TEU":
        return f"{value:,.0f}"
    if unit == "%":
        return f"{value:+.1f}%"
    if unit == "share":
        return f"{value:.0%}"
    return f"{value:.2f}"


def unit_suffix(unit: str) -> str:
    """What follows a formatted value: ' d', ' Mt', '×', ' TEU' (nothing for % and shares)."""
    return {"days": " d", "Mt": " Mt", "ratio": "×", "TEU": " TEU", "US$ bn": " US$ bn"}.get(unit, "")


def band_text(low: float | None, high: float | None, unit: str) -> str:
    """A tolerance band as text: '518,400 to 633,600', '< 1.00'."""
    if low is None or (unit == "share" and low == 0):
        return f"< {format_value(high, unit)}" if unit != "share" else f"< {high + 0.001:.0%}"
    return f"{format_value(low, unit)} to {format_value(high, unit)}"


def _measures(runs: Runs) -> list[Measure]:
    """Every measure of the claims file, nested ones included (growth's inner measure)."""
    found = [c.measure for c in runs.claims.claims]
    for m in list(found):
        if m.name == "growth":
            found.append(m.param("of"))
    return found


def validation_report(
    runs: Runs, outcomes: Sequence[Outcome], seed: int, overrides: Sequence[str] = ()
) -> dict[str, object]:
    """The validation.json document: every claim, its verdict, and the context."""
    from sim import __version__

    volumes = [m for m in _measures(runs) if m.name == "border_volume"]
    counted_at = list(dict.fromkeys(n for m in volumes for n in runs.claims.groups[m.param("nodes")].nodes))
    transit = next((m for m in volumes if m.param("ends_outside")), None)
    names = list(runs.current.scenario.routes)
    picked = selected_routes(runs, runs.current.scenario, transit) if transit is not None else None
    return {
        "routesim_version": __version__,
        "claims_file": runs.claims.path,
        "scenarios": {
            "current": runs.current.scenario.settings.name,
            "previous": runs.previous.scenario.settings.name if runs.previous else None,
        },
        "seed": seed,
        "replications": len(runs.current.results),
        "overrides": list(overrides),
        "passed": all(o.passed for o in outcomes),
        "claims": [outcome_record(o) for o in outcomes],
        "counted_at": counted_at,
        "transit_routes": [names[i] for i in picked] if picked is not None else [],
    }
