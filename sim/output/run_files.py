"""Everything one run writes: its summary document and its data files, by file name."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

from sim import __version__
from sim.engine.simulation import ReplicationResult
from sim.output.figure_data import RESULTS_FORMAT, figure_data_writers
from sim.output.containers import containers_writers
from sim.output.files import (
    CLAIMS,
    METRICS,
    NODE_MONTHS,
    NODES,
    ROUTES,
    SCENARIO,
    SUMMARY,
    Writer,
    claims_writer,
    metrics_writer,
    node_months_writer,
    nodes_writer,
    routes_writer,
    scenario_writer,
    summary_writer,
)
from sim.model.scenario import Scenario
from sim.model.sources import SourceNotes
from sim.analysis.metrics_table import MetricsTable
from sim.analysis.summary import Summary, summarize


def run_summary(scenario: Scenario, table: MetricsTable, seed: int, overrides: Sequence[str],
                flows: Mapping[str, Any] | None = None) -> Summary:
    """The summary of a run (summary.json), with the seed, version, results format and --set
    overrides; ``flows``: the equilibrium's record per flow (sim.choice.equilibrium.flows_record)."""
    return dataclasses.replace(
        summarize(scenario, table, flows), seed=seed, routesim_version=__version__, results_format=RESULTS_FORMAT,
        overrides=tuple(overrides), source=scenario.source,
    )


def run_files(
    scenario: Scenario, results: Sequence[ReplicationResult], table: Callable[[], MetricsTable],
    summary: Callable[[], Summary], overrides: Sequence[str], containers: str = "csv",
    notes: SourceNotes | None = None, marey_window: tuple[float, float] | None = None,
) -> dict[str, Writer]:
    """Every data file of one scenario's run, by file name (the figures are drawn from them).

    ``containers`` is the per-container file: csv, parquet or none.  It comes first because
    it is written in the background while the other data files are written; ``table`` and
    ``summary`` give the metrics table and the summary when the first file that needs them
    is written, so that file starts before they are computed.  ``notes`` (the scenario
    file's source labels and tags) are copied into scenario.toml.
    """

    def later(make: Callable[[], Writer]) -> Writer:
        return lambda path: make()(path)

    return {
        **containers_writers(scenario, results, containers),
        SUMMARY: later(lambda: summary_writer(summary().to_dict())),
        SCENARIO: scenario_writer(scenario, overrides, notes),
        METRICS: later(lambda: metrics_writer(table())),
        ROUTES: later(lambda: routes_writer(scenario, table())),
        NODES: later(lambda: nodes_writer(scenario, table())),
        NODE_MONTHS: node_months_writer(scenario, results),
        **figure_data_writers(scenario, results, marey_window),
        **({CLAIMS: claims_writer(scenario)} if scenario.claims is not None else {}),
    }
