"""Scenario comparisons: differences of means paired across replications.

Every scenario runs with the same seed, and random numbers are keyed by the name of what
draws them (engine.stream), so replication i of two scenarios shares its demand, travel
and handling draws wherever the scenarios share routes, legs and nodes.  The difference
of replication i is then mostly the scenarios' doing, and the paired t interval over
replications is far narrower than comparing two independent means.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.engine.simulation import ReplicationResult
from sim.model.errors import UsageError
from sim.model.scenario import Scenario
from sim.analysis.statistics import mean_ci95, node_stats, route_counts, train_index

ROUTE_METRICS = {
    "mean_transit_days": "mean transit",
    "wait_for_departure_days": "wait for departure",
    "throughput_per_year": "delivered per year",
}
NODE_METRICS = {
    "utilization": "utilization",
    "mean_wait_days": "mean wait",
}


@dataclass(frozen=True)
class Arm:
    """One scenario of a comparison and its replications."""

    label: str
    scenario: Scenario
    results: Sequence[ReplicationResult]


def labels_for(scenarios: Sequence[Scenario]) -> list[str]:
    """Each scenario's name, made unique by its position where two share a name."""
    names = [s.settings.name for s in scenarios]
    return [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]


def folder_name(index: int, label: str) -> str:
    """The sub-folder of a comparison holding one scenario's full results."""
    return f"{index + 1}-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", label)


def check_comparable(scenarios: Sequence[Scenario], inputs: Sequence[str]) -> None:
    """Refuse comparisons that cannot mean anything: a scenario twice, or no shared route."""
    if len(scenarios) < 2:
        raise UsageError("compare needs at least two scenarios")
    for j in range(1, len(scenarios)):
        for i in range(j):
            if scenarios[i].raw == scenarios[j].raw:
                raise UsageError(
                    f"compare: '{inputs[i]}' and '{inputs[j]}' are the same scenario (identical "
                    "after --set): the differences would all be zero; change one of them"
                )
    base = scenarios[0]
    for text, other in zip(inputs[1:], scenarios[1:]):
        if not set(base.routes) & set(other.routes):
            raise UsageError(
                f"compare: '{text}' shares no route id with '{inputs[0]}' (routes "
                f"{', '.join(sorted(other.routes)[:4])}... vs {', '.join(sorted(base.routes)[:4])}...): "
                "routes are matched by id, so there is nothing to compare"
            )


def route_values(arm: Arm, route_id: str) -> dict[str, np.ndarray]:
    """Per-replication values of each route metric (NaN where a replication has none)."""
    s = arm.scenario.settings
    route = arm.scenario.routes[route_id]
    unit = route.demand.unit_tonnes if route.demand.cargo == "bulk" else route.demand.unit_teu
    years = (s.horizon_days - s.warmup_days) / 365.0
    counts = [route_counts(r.ledgers[route_id], s.warmup_days, s.horizon_days) for r in arm.results]
    return {
        "mean_transit_days": np.array([c.mean_transit for c in counts]),
        "wait_for_departure_days": np.array([c.mean_wait_departure for c in counts]),
        "throughput_per_year": np.array([c.delivered_in_window * unit / years for c in counts]),
    }


def node_values(arm: Arm, node_id: str) -> dict[str, np.ndarray]:
    """Per-replication utilization and mean wait of a capacity-limited node."""
    s = arm.scenario.settings
    stats = [node_stats(r.nodes[node_id], s.warmup_days, s.horizon_days, train_index(r)) for r in arm.results]
    return {
        "utilization": np.array([st.utilization for st in stats], dtype=np.float64),
        "mean_wait_days": np.array([st.mean_wait_days for st in stats]),
    }


def paired_difference(base: np.ndarray, other: np.ndarray) -> dict[str, object]:
    """Mean of each, mean of the paired differences with its t 95% CI, and significance.

    Replications where either value is missing (no deliveries) are left out of the pairs.
    Significant means the interval excludes zero; None with fewer than two pairs.
    """
    both = ~(np.isnan(base) | np.isnan(other))
    diff = other[both] - base[both]
    mean, lo, hi = mean_ci95(diff.tolist())
    significant = None if lo is None else bool(lo > 0 or hi < 0)
    return {
        "baseline_mean": _finite(np.nanmean(base) if (~np.isnan(base)).any() else math.nan),
        "scenario_mean": _finite(np.nanmean(other) if (~np.isnan(other)).any() else math.nan),
        "difference": _finite(mean),
        "ci95": [lo, hi],
        "pairs": int(both.sum()),
        "significant": significant,
    }


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def differences(arms: Sequence[Arm]) -> tuple[list[dict], list[dict]]:
    """Route and node difference rows of every scenario against the first (the baseline)."""
    base = arms[0]
    route_rows: list[dict] = []
    node_rows: list[dict] = []
    for arm in arms[1:]:
        for rid in base.scenario.routes:
            if rid not in arm.scenario.routes:
                continue
            b, o = route_values(base, rid), route_values(arm, rid)
            volume = "t/yr" if base.scenario.routes[rid].demand.cargo == "bulk" else "TEU/yr"
            units = {"mean_transit_days": "d", "wait_for_departure_days": "d", "throughput_per_year": volume}
            for metric in ROUTE_METRICS:
                route_rows.append(
                    {
                        "scenario": arm.label, "route": rid, "metric": metric, "unit": units[metric],
                        **paired_difference(b[metric], o[metric]),
                    }
                )
        for nid, node in base.scenario.nodes.items():
            other = arm.scenario.nodes.get(nid)
            if not node.servers or other is None or not other.servers:
                continue
            b, o = node_values(base, nid), node_values(arm, nid)
            units = {"utilization": "", "mean_wait_days": "d"}
            for metric in NODE_METRICS:
                node_rows.append(
                    {
                        "scenario": arm.label, "node": nid, "metric": metric, "unit": units[metric],
                        **paired_difference(b[metric], o[metric]),
                    }
                )
    return route_rows, node_rows


def comparison_document(
    arms: Sequence[Arm],
    summaries: Sequence[dict],
    folders: Sequence[str],
    sources: Sequence[str],
    seed: int,
    overrides: Sequence[str],
) -> dict[str, object]:
    """comparison.json: per scenario and route the summary figures, and the differences."""
    route_rows, node_rows = differences(arms)
    return {
        "baseline": arms[0].label,
        "scenarios": [a.label for a in arms],
        "inputs": list(sources),
        "folders": dict(zip((a.label for a in arms), folders)),
        "seed": seed,
        "replications": len(arms[0].results),
        "overrides": list(overrides),
        "method": (
            "each scenario minus the baseline, paired by replication (same seed, common random "
            "numbers); mean of the differences with a Student t 95% confidence interval; "
            "significant when the interval excludes 0"
        ),
        "metrics": {**ROUTE_METRICS, **NODE_METRICS},
        "routes": {a.label: s["routes"] for a, s in zip(arms, summaries)},
        "differences": route_rows,
        "node_differences": node_rows,
    }


def format_metric(metric: str, value: float | None, signed: bool = False) -> str:
    """A metric's value as the tables show it: percent, whole units or days to 0.01."""
    if value is None:
        return "n/a"
    sign = "+" if signed else ""
    if metric == "utilization":
        return f"{value * 100:{sign}.1f}%"
    if metric == "throughput_per_year":
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.2f}"


def _significance(row: dict) -> str:
    if row["significant"] is None:
        return "n/a (needs 2+ replications)"
    return "yes" if row["significant"] else "no"


def difference_cells(row: dict, key: str) -> tuple[str, ...]:
    """One difference row as text cells: id, metric, both means, difference, CI, verdict."""
    metric = row["metric"]
    label = {**ROUTE_METRICS, **NODE_METRICS}[metric]
    unit = row.get("unit") or ""
    lo, hi = row["ci95"]
    ci = "n/a" if lo is None else f"{format_metric(metric, lo, True)} to {format_metric(metric, hi, True)}"
    return (
        row[key], f"{label} ({unit})" if unit else label, format_metric(metric, row["baseline_mean"]),
        format_metric(metric, row["scenario_mean"]), format_metric(metric, row["difference"], True), ci, _significance(row),
    )


def comparison_text(document: dict) -> str:
    """The terminal table of differences, one block per scenario against the baseline."""
    from sim.report.tables import format_table

    blocks = [
        f"compare: {', '.join(document['scenarios'])}; baseline {document['baseline']}; "
        f"{document['replications']} replications, seed {document['seed']}, common random numbers"
    ]
    right = (False, False, True, True, True, True, False)
    for label in document["scenarios"][1:]:
        for key, rows in (("route", document["differences"]), ("node", document["node_differences"])):
            mine = [difference_cells(r, key) for r in rows if r["scenario"] == label]
            if mine:
                headers = (key, "metric", document["baseline"], label, "difference", "95% CI", "significant")
                blocks.append(format_table(headers, mine, right))
    blocks.append(
        "difference = scenario - baseline, paired by replication; significant: the 95% CI excludes 0"
    )
    return "\n\n".join(blocks)
