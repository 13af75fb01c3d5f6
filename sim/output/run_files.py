"""Everything one run writes: its summary document and its data files, by file name."""

from __future__ import annotations

from typing import Sequence

from sim import __version__
from sim.engine.simulation import ReplicationResult
from sim.output.figure_data import RESULTS_FORMAT, figure_data_writers
from sim.output.containers import containers_writers
from sim.output.files import (
    NODE_MONTHS,
    NODES,
    ROUTES,
    SCENARIO,
    SUMMARY,
    Writer,
    node_months_writer,
    nodes_writer,
    routes_writer,
    scenario_writer,
    summary_writer,
)
from sim.model.scenario import Scenario
from sim.analysis.statistics import summarize


def run_summary(scenario: Scenario, results: Sequence[ReplicationResult], seed: int, overrides: Sequence[str]) -> dict:
    """summary.json of a run, with the seed, version, results format and --set overrides."""
    summary = summarize(scenario, results)
    summary["seed"] = seed
    summary["routesim_version"] = __version__
    summary["results_format"] = RESULTS_FORMAT
    summary["overrides"] = list(overrides)
    summary["source"] = scenario.source
    return summary


def run_files(
    scenario: Scenario,
    results: Sequence[ReplicationResult],
    summary: dict,
    overrides: Sequence[str],
    containers: str = "csv",
) -> dict[str, Writer]:
    """Every data file of one scenario's run, by file name (the figures are drawn from them).

    ``containers`` is the per-container file: csv, parquet or none.  It comes first because
    it is written in the background while the other data files are written.
    """
    return {
        **containers_writers(scenario, results, containers),
        SUMMARY: summary_writer(summary),
        SCENARIO: scenario_writer(scenario, overrides),
        ROUTES: routes_writer(scenario, results),
        NODES: nodes_writer(scenario, results),
        NODE_MONTHS: node_months_writer(scenario, results),
        **figure_data_writers(scenario, results),
    }
