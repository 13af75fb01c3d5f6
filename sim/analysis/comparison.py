"""Scenario comparisons: differences of means paired across replications.

Every scenario runs with the same seed, and random numbers are keyed by the name of what
draws them (engine.stream), so replication i of two scenarios shares its demand, travel
and handling draws wherever the scenarios share routes, legs and nodes.  The difference
of replication i is then mostly the scenarios' doing, and the paired t interval over
replications is far narrower than comparing two independent means.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from sim.analysis.metrics import Metric, vocabulary
from sim.analysis.metrics_table import MetricsTable
from sim.analysis.statistics import mean_ci95
from sim.analysis.summary import Summary
from sim.model.errors import UsageError
from sim.model.scenario import Scenario

@dataclass(frozen=True)
class Arm:
    """One scenario of a comparison and its replications."""

    label: str
    scenario: Scenario
    table: MetricsTable


LABEL_LIMIT = 60  # characters of a label: folder names must fit the file system's 255 bytes


def labels_for(scenarios: Sequence[Scenario]) -> list[str]:
    """A label per scenario that says what differs: its name; where names clash, its file;
    where those clash too, its overrides (``name +nodes.dostyk.servers=5``, ``name +events+suez``);
    last, its position."""
    texts = [[o.label for o in s.overrides] for s in scenarios]
    common = set.intersection(*(set(t) for t in texts)) if texts else set()
    candidates = [
        [s.settings.name for s in scenarios],
        [Path(s.source).stem if s.source else s.settings.name for s in scenarios],
        [s.settings.name + "".join(f" +{o}" for o in mine if o not in common) for s, mine in zip(scenarios, texts)],
    ]
    for labels in candidates:
        short = [_shorten(label) for label in labels]
        if len(set(short)) == len(short):
            return short
    names = [_shorten(s.settings.name, LABEL_LIMIT - 4) for s in scenarios]
    return [f"{n} ({i + 1})" for i, n in enumerate(names)]


def _shorten(label: str, limit: int = LABEL_LIMIT) -> str:
    """A label cut to ``limit`` characters, with a short hash so cut labels stay distinct."""
    if len(label) <= limit:
        return label
    digest = hashlib.sha1(label.encode()).hexdigest()[:6]
    return label[: limit - 8] + "~" + digest


def safe_name(label: str) -> str:
    """A label as a folder name a browser opens from a file URL: letters, digits, _ . - only."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") or "scenario"


def folder_name(index: int, label: str) -> str:
    """The sub-folder of a comparison holding one scenario's full results."""
    return f"{index + 1}-" + safe_name(label)


def default_folder(labels: Sequence[str]) -> Path:
    """results/compare_<A>_vs_<B>... , cut with a hash where it would be too long for a folder name."""
    name = "compare_" + "_vs_".join(safe_name(label) for label in labels)
    if len(name) > 120:
        name = name[:110] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return Path("results") / name


def check_comparable(scenarios: Sequence[Scenario], inputs: Sequence[str]) -> None:
    """Refuse comparisons that cannot mean anything: a scenario twice, or no shared route."""
    if len(scenarios) < 2:
        raise UsageError("compare needs at least two scenarios")
    for j in range(1, len(scenarios)):
        for i in range(j):
            if scenarios[i].raw == scenarios[j].raw:
                raise UsageError(
                    f"compare: '{inputs[i]}' and '{inputs[j]}' are the same scenario (identical "
                    "after --set): the differences would all be zero; change one of them, or "
                    "compare one scenario with a variant of itself: --vary PATH=VALUE"
                )
    base = scenarios[0]
    for text, other in zip(inputs[1:], scenarios[1:]):
        if not set(base.routes) & set(other.routes):
            raise UsageError(
                f"compare: '{text}' shares no route id with '{inputs[0]}' (routes "
                f"{', '.join(sorted(other.routes)[:4])}... vs {', '.join(sorted(base.routes)[:4])}...): "
                "routes are matched by id, so there is nothing to compare"
            )


def compared_metrics(scenario: Scenario, kind: str, ident: str) -> list[Metric]:
    """The metrics compare takes differences of for one route or node.

    Throughput in the route's own unit (tonnes for bulk, TEU otherwise); utilization only
    for a node with servers.
    """
    out = []
    for m in vocabulary():
        if m.kind != kind or not m.compare:
            continue
        if kind == "route":
            bulk = scenario.routes[ident].demand.cargo == "bulk"
            if m.name.startswith("throughput_") and m.name != ("throughput_tonnes_per_year" if bulk else "throughput_teu_per_year"):
                continue
        out.append(m)
    return out


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
            for m in compared_metrics(base.scenario, "route", rid):
                if not (base.table.has("route", rid, m.name) and arm.table.has("route", rid, m.name)):
                    continue  # a cost or CO2e metric one of the two scenarios does not price
                route_rows.append({
                    "scenario": arm.label, "route": rid, "metric": m.name, "unit": m.unit,
                    **paired_difference(base.table.values("route", rid, m.name), arm.table.values("route", rid, m.name)),
                })
        for nid, node in base.scenario.nodes.items():
            other = arm.scenario.nodes.get(nid)
            if not node.servers or other is None or not other.servers:
                continue
            for m in compared_metrics(base.scenario, "node", nid):
                node_rows.append({
                    "scenario": arm.label, "node": nid, "metric": m.name, "unit": m.unit,
                    **paired_difference(base.table.values("node", nid, m.name), arm.table.values("node", nid, m.name)),
                })
    return route_rows, node_rows


def entity_differences(arms: Sequence[Arm], kind: str) -> list[dict]:
    """Difference rows of the compared metrics of every entity of a kind that the baseline and
    a scenario both measured: 'event' (the same event id's impact), 'service' (a fleet or a
    shared service: each metric that both measured for it)."""
    base = arms[0]
    rows: list[dict] = []
    for arm in arms[1:]:
        for ident in base.table.entities(kind):
            if ident not in arm.table.entities(kind):
                continue
            for m in vocabulary():
                if m.kind == kind and m.compare and base.table.has(kind, ident, m.name) and arm.table.has(kind, ident, m.name):
                    rows.append({
                        "scenario": arm.label, kind: ident, "metric": m.name, "unit": m.unit,
                        **paired_difference(base.table.values(kind, ident, m.name), arm.table.values(kind, ident, m.name)),
                    })
    return rows


def comparison_document(
    arms: Sequence[Arm],
    summaries: Sequence[Summary],
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
        "replications": len(arms[0].table.replications),
        "overrides": list(overrides),
        "method": (
            "each scenario minus the baseline, paired by replication (same seed, common random "
            "numbers); mean of the differences with a Student t 95% confidence interval; "
            "significant when the interval excludes 0"
        ),
        "metrics": {m.name: m.title for m in vocabulary() if m.compare},
        "routes": {a.label: s.to_dict()["routes"] for a, s in zip(arms, summaries)},
        "differences": route_rows,
        "node_differences": node_rows,
        "event_differences": entity_differences(arms, "event"),
        "service_differences": entity_differences(arms, "service"),
        # Flows and transit countries, when both scenarios have them.
        **{f"{kind}_differences": rows for kind in ("flow", "flow_option", "country")
           if (rows := entity_differences(arms, kind))},
    }
