"""Read metrics.csv back into a MetricsTable, so a results folder's figures use the same
per-replication numbers (and the same measures) as the run that wrote it."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from sim.analysis.metrics_table import MetricsTable
from sim.model.errors import UsageError
from sim.output.files import METRICS


def read_metrics(folder: Path) -> MetricsTable:
    """The metrics table of a results folder (an empty cell is NaN)."""
    path = folder / METRICS
    reps: list[int] = []
    kinds: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    values: list[float] = []
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                reps.append(int(row["replication"]))
                kinds.append(row["kind"])
                ids.append(row["id"])
                names.append(row["metric"])
                values.append(float(row["value"]) if row["value"] else math.nan)
    except (OSError, KeyError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable metrics table ({exc})") from None
    replications = tuple(dict.fromkeys(r for r in reps if r >= 0))
    return MetricsTable(np.asarray(reps, dtype=np.int64), tuple(kinds), tuple(ids), tuple(names),
                        np.asarray(values, dtype=np.float64), replications)
