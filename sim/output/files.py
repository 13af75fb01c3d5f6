"""Results on disk: summary.json, per-container and per-replication tables, the resolved
scenario (the folder itself, written whole or not at all, is ``sim.output.folder``'s).

Files are byte-for-byte reproducible: no timestamps, fixed float formatting, gzip headers
without a modification time, so the same seed gives identical files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import tomli_w

from sim import __version__
from sim.engine.simulation import ReplicationResult
from sim.output.background import Group, Pending
from sim.output.folder import Writer, check_out_dir, write_results  # noqa: F401  (re-exported)
from sim.analysis.periods import months, node_period_counts
from sim.model.overrides import printable
from sim.model.scenario import Scenario
from sim.model.sources import SourceNotes, notes_comment
from sim.analysis.metrics import CONDITIONAL, REGISTRY, vocabulary
from sim.analysis.metrics_table import MetricsTable
from sim.analysis.statistics import train_index

SUMMARY = "summary.json"
ROUTES = "routes.csv"
NODES = "nodes.csv"
METRICS = "metrics.csv"
NODE_MONTHS = "nodes_by_month.csv"
SCENARIO = "scenario.toml"
CLAIMS = "claims.toml"  # the scenario's claims file, copied so `routesim plot` redraws without it
VALIDATION = "validation.json"
COMPARISON = "comparison.json"
REPORT = "report.html"


# ---------------------------------------------------------------------------------------
# The files


def summary_writer(summary: dict) -> Writer:
    """summary.json, with keys in a stable order and NaN written as null."""

    def write(path: Path) -> None:
        text = json.dumps(_json_safe(summary), indent=2, allow_nan=False)
        path.write_text(text + "\n", encoding="utf-8")

    return write


def folder_writer(writers: dict[str, Writer]) -> Writer:
    """A writer that makes a folder and writes the given files into it."""

    def write(path: Path) -> Group:
        path.mkdir()
        started = (inner(path / name) for name, inner in writers.items())
        return Group([p for p in started if isinstance(p, (Pending, Group))])

    return write


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def scenario_writer(scenario: Scenario, overrides: Sequence[str], notes: SourceNotes | None = None) -> Writer:
    """The scenario as resolved after --set, as TOML that routesim can run again; the
    scenario file's source labels and tags (``notes``) follow it as comments."""

    def write(path: Path) -> None:
        header = [
            f"# Scenario '{printable(scenario.settings.name)}' as run by routesim {__version__}",
            f"# from: {printable(scenario.source)}",
        ]
        # Escaped: a line break in a value would otherwise start a line of TOML ("ghost" keys).
        header += [f"# --set {printable(text)}" for text in overrides]
        raw = scenario.raw
        if scenario.claims is not None:
            # The claims file is copied beside it (CLAIMS), so the folder stands alone.
            raw = {**raw, "run": {**raw["run"], "claims": CLAIMS}}
        body = tomli_w.dumps(raw)
        tail = "\n" + notes_comment(notes) if notes else ""
        path.write_text("\n".join(header) + "\n\n" + body + tail, encoding="utf-8")

    return write


def claims_writer(scenario: Scenario) -> Writer:
    """claims.toml: the scenario's claims file, byte for byte as read."""
    return lambda path: path.write_text(scenario.claims.text, encoding="utf-8")


def metrics_writer(table: MetricsTable) -> Writer:
    """metrics.csv: the run's metrics table in long form, one row per replication, entity and
    metric (replication -1: pooled over replications), with the metric's unit."""

    def rows() -> Iterable[tuple]:
        for rep, kind, ident, name, value in table.rows():
            m = REGISTRY[(kind, name)]
            yield rep, kind, ident, name, _value(value, m.integer), m.unit

    return lambda path: write_csv(path, ("replication", "kind", "id", "metric", "value", "unit"), rows())


def _value(value: float, integer: bool) -> object:
    """A count as a whole number, anything else as a float (NaN becomes an empty cell)."""
    return int(value) if integer and math.isfinite(value) else float(value)


def _wide(table: MetricsTable, kind: str, ident: str, metrics: Sequence) -> list[list[object]]:
    """Per replication, the values of ``metrics`` for one entity: rows of a wide table."""
    nan = np.full(len(table.replications), math.nan)
    columns = [table.values(kind, ident, m.name) if table.has(kind, ident, m.name) else nan for m in metrics]
    return [[_value(float(col[i]), m.integer) for col, m in zip(columns, metrics)] for i in range(len(table.replications))]


def routes_writer(scenario: Scenario, table: MetricsTable) -> Writer:
    """routes.csv: each route's per-replication metrics (the metrics table, one row per
    replication and route, one column per route metric)."""
    # Cost, CO2e and reliability columns only when some route has them (empty cells elsewhere).
    metrics = [m for m in vocabulary() if m.kind == "route" and not m.pooled
               and ((m.kind, m.name) not in CONDITIONAL or any(table.has("route", r, m.name) for r in scenario.routes))]
    columns = ("replication", "route", *(m.name for m in metrics))

    def rows() -> Iterable[tuple]:
        per_route = {rid: _wide(table, "route", rid, metrics) for rid in scenario.routes}
        for i, rep in enumerate(table.replications):
            for rid in scenario.routes:
                yield (rep, rid, *per_route[rid][i])

    return lambda path: write_csv(path, columns, rows())


def nodes_writer(scenario: Scenario, table: MetricsTable) -> Writer:
    """nodes.csv: each node's per-replication metrics, one row per replication and node."""
    metrics = [m for m in vocabulary() if m.kind == "node"]
    columns = ("replication", "node", "kind", "servers", *(m.name for m in metrics))

    def rows() -> Iterable[tuple]:
        per_node = {nid: _wide(table, "node", nid, metrics) for nid in scenario.nodes}
        for i, rep in enumerate(table.replications):
            for nid, node in scenario.nodes.items():
                yield (rep, nid, node.kind, node.servers if node.servers else "", *per_node[nid][i])

    return lambda path: write_csv(path, columns, rows())


def node_months_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """nodes_by_month.csv: what passed each node in each calendar month, per replication.

    ``start_day`` is the month's first calendar day (day 0 = the start date, the end of the
    warm-up) and ``start_date`` its ISO date ('' when the scenario is undated).
    """
    s = scenario.settings
    calendar = s.calendar
    periods = months(calendar, s.horizon_days)
    columns = (
        "replication", "node", "month", "start_day", "start_date", "days", "vehicles", "trains", "teu", "tonnes",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            train = train_index(r)
            for nid in scenario.nodes:
                c = node_period_counts(r.nodes[nid], periods, train)
                for i, p in enumerate(periods):
                    day = calendar.calendar_day(p.start)
                    yield (
                        r.replication, nid, p.label, day, calendar.iso(day), p.stop - p.start,
                        int(c.vehicles[i]), int(c.trains[i]), float(c.teu[i]), float(c.tonnes[i]),
                    )

    return lambda path: write_csv(path, columns, rows())


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """A CSV file of the given columns and rows, floats in their shortest exact form.

    Formatted a column at a time (numpy's shortest round-trip repr for floats), which is
    several times faster than formatting cell by cell; NaN and infinity become empty cells.
    """
    table = list(rows)
    cells = [_column_text([row[i] for row in table]) for i in range(len(columns))] if table else []
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        if table:
            f.write("\n".join(map(",".join, zip(*cells))) + "\n")


def _column_text(values: list) -> list[str]:
    """One column's cells as text: floats vectorised, everything else with str()."""
    if values and all(type(v) is float for v in values):
        array = np.asarray(values, dtype=np.float64)
        text = array.astype(str)  # the shortest digits that read back to the same float, as repr()
        text[~np.isfinite(array)] = ""
        return text.tolist()
    return [_cell(v) for v in values]


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)
