"""Results on disk: summary.json, per-container and per-replication tables, the resolved
scenario, written into a temporary folder and moved into place only when whole.

Files are byte-for-byte reproducible: no timestamps, fixed float formatting, gzip headers
without a modification time, so the same seed gives identical files.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import tomli_w

from sim import __version__
from sim.engine.simulation import ReplicationResult
from sim.model.errors import UsageError
from sim.output.background import Group, Pending
from sim.analysis.periods import months, node_period_counts
from sim.model.scenario import Scenario
from sim.analysis.statistics import node_stats, route_counts, train_index

SUMMARY = "summary.json"
ROUTES = "routes.csv"
NODES = "nodes.csv"
NODE_MONTHS = "nodes_by_month.csv"
SCENARIO = "scenario.toml"
VALIDATION = "validation.json"
COMPARISON = "comparison.json"
REPORT = "report.html"
# A folder holding one of these is a routesim results folder that a new run may replace.
MARKERS = (SUMMARY, VALIDATION, COMPARISON)

# A writer writes one file (or folder) at the path it is given.  It may instead start the
# work in the background (sim.output.background) and return it: write_results waits for it
# before the folder is swapped in, and cancels it if anything fails.
Writer = Callable[[Path], "Pending | Group | None"]


def default_out_dir(scenario: Scenario) -> Path:
    """results/<scenario name>/ under the current directory."""
    return Path("results") / scenario.settings.name


def check_out_dir(out: Path) -> None:
    """Refuse an output folder we would damage: a file, or a folder that is not ours."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).is_file() for m in MARKERS):
        raise UsageError(
            f"--out {out}: folder exists, is not empty and holds no {' or '.join(MARKERS)}; "
            "routesim only replaces its own results folders, choose another --out"
        )
    parent = out.resolve().parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is not a folder")


def write_results(out: Path, writers: dict[str, Writer], finish: Writer | None = None) -> Path:
    """Write each file into a temporary sibling folder, then swap it in for ``out``.

    ``finish``, if given, runs on the temporary folder once every file is in it (figures
    are drawn from the files).  If anything fails (or the user interrupts), the temporary
    folder is removed and any previous results in ``out`` are left untouched.
    """
    check_out_dir(out)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    pending = Group([])
    try:
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are ordinary files
        for name, write in writers.items():
            started = write(tmp / name)
            if started is not None:
                pending.pending.append(started)
        # Background files are done before the figures: drawing needs both cores, and two
        # processes already share them.
        pending.wait()
        if finish is not None:
            finish(tmp)
        _swap_in(tmp, out.resolve())
    except BaseException:
        pending.cancel()  # first, so nothing writes into the folder being removed
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap_in(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


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
        return Group([p for p in started if p is not None])

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


def scenario_writer(scenario: Scenario, overrides: Sequence[str]) -> Writer:
    """The scenario as resolved after --set, as TOML that routesim can run again."""

    def write(path: Path) -> None:
        header = [
            f"# Scenario '{scenario.settings.name}' as run by routesim {__version__}",
            f"# from: {scenario.source}",
        ]
        header += [f"# --set {text}" for text in overrides]
        body = tomli_w.dumps(scenario.raw)
        path.write_text("\n".join(header) + "\n\n" + body, encoding="utf-8")

    return write


def routes_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """routes.csv: each route's counts and mean transit, one row per replication."""
    s = scenario.settings
    columns = (
        "replication", "route", "created", "delivered", "in_transit", "waiting",
        "undelivered_at_end", "teu_delivered", "tonnes_delivered", "mean_transit_days",
        "mean_wait_for_departure_days",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            for rid, route in scenario.routes.items():
                c = route_counts(r.ledgers[rid], s.warmup_days, s.horizon_days)
                yield (
                    r.replication, rid, c.created, c.delivered, c.in_transit, c.waiting,
                    c.undelivered_at_end, c.delivered * route.demand.unit_teu,
                    c.delivered * route.demand.unit_tonnes, c.mean_transit, c.mean_wait_departure,
                )

    return lambda path: write_csv(path, columns, rows())


def nodes_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """nodes.csv: each node's utilization, waits and throughput, one row per replication."""
    s = scenario.settings
    columns = (
        "replication", "node", "kind", "servers", "visits", "utilization", "mean_wait_days",
        "mean_handling_days", "max_queue", "vehicles_through", "trains_through", "teu_through",
        "tonnes_through",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            for nid, node in scenario.nodes.items():
                st = node_stats(r.nodes[nid], s.warmup_days, s.horizon_days, train_index(r))
                yield (
                    r.replication, nid, node.kind, node.servers if node.servers else "",
                    st.visits, "" if st.utilization is None else st.utilization,
                    st.mean_wait_days, st.mean_handling_days, st.max_queue,
                    st.vehicles_through, st.trains_through, st.teu_through, st.tonnes_through,
                )

    return lambda path: write_csv(path, columns, rows())


def node_months_writer(scenario: Scenario, results: Sequence[ReplicationResult]) -> Writer:
    """nodes_by_month.csv: what passed each node in each calendar month, per replication."""
    s = scenario.settings
    periods = months(s.warmup_days, s.horizon_days, s.year)
    columns = (
        "replication", "node", "month", "start_day", "days", "vehicles", "trains", "teu", "tonnes",
    )

    def rows() -> Iterable[tuple]:
        for r in results:
            train = train_index(r)
            for nid in scenario.nodes:
                c = node_period_counts(r.nodes[nid], periods, train)
                for i, p in enumerate(periods):
                    yield (
                        r.replication, nid, p.label, p.start - s.warmup_days, p.stop - p.start,
                        int(c.vehicles[i]), int(c.trains[i]), float(c.teu[i]), float(c.tonnes[i]),
                    )

    return lambda path: write_csv(path, columns, rows())


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """A CSV file of the given columns and rows; floats in their shortest exact form."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for row in rows:
            f.write(",".join(_cell(v) for v in row) + "\n")


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)
