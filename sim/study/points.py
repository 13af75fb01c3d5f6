"""One point of a sweep as a task a worker runs: small inputs in, compact metric rows out.

A task carries the resolved scenario as TOML text (its ``extends`` already merged, so a
worker needs no scenario file), the ``--set`` texts of the point, the seed and the metric
paths; it returns each metric's per-replication values, never per-container arrays.  Its
``key`` hashes everything that decides the result, with the routesim version, so a cached
result is reused only for the very same work.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import tomllib
from dataclasses import dataclass
from typing import Any

from sim import __version__

KEY_LENGTH = 24  # hex digits of sha256: collisions are not a concern at any sweep size


@dataclass(frozen=True)
class Task:
    """What a worker needs to run one point."""

    document: str  # the resolved scenario, as TOML
    source: str  # the scenario file, for messages only
    name: str  # the scenario's default name
    overrides: tuple[str, ...]  # fixed --set texts, then the point's own
    seed: int
    replications: int
    metrics: tuple[tuple[str, str, str, str], ...]  # (path, kind, entity, metric name)
    impact: bool = False

    @property
    def key(self) -> str:
        """A hash of everything the result depends on (and the version that computes it)."""
        blob = json.dumps({
            "version": __version__, "document": self.document, "overrides": list(self.overrides), "seed": self.seed,
            "replications": self.replications, "metrics": [m[0] for m in self.metrics], "impact": self.impact,
        }, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:KEY_LENGTH]


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (glibc malloc.h)
_tuned = False


def _allocator_as_usual() -> None:
    """Undo, once per process, what MALLOC_TRIM_THRESHOLD_ does to glibc in a Dask worker.

    A Dask nanny sets that variable in its workers; glibc, given it, stops raising its mmap
    threshold, so every array over 128 KiB becomes a fresh mmap (page faults and all) and a
    point runs about a sixth slower.  Setting the thresholds to glibc's own upper values
    gives back the behaviour of a plain process.  Nothing happens elsewhere.
    """
    global _tuned
    if _tuned or "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    _tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc: nothing to undo
        pass


def run_task(task: Task) -> dict[str, Any]:
    """Run one point (its replications serially, in this process) and return its metrics:
    ``{"key", "values": {path: [[replication, value], ...]}, "saturated": [route ids], "seconds",
    "started", "ended", "pid"}``
    (times for benchmarks/bench_sweep.py; nothing in a sweep's files depends on them).

    Top-level and importable, so a Dask worker on another machine runs it by reference.
    """
    from sim.analysis.metric_paths import MetricPath
    from sim.api import run
    from sim.model.loader import scenario_from
    from sim.model.overrides import parse_override

    _allocator_as_usual()
    wall = time.time()
    started = time.perf_counter()
    raw = tomllib.loads(task.document)
    scenario = scenario_from(raw, task.source, [parse_override(t) for t in task.overrides], default_name=task.name)
    result = run(scenario, task.replications, task.seed, workers=1, impact=task.impact)
    table = result.table
    values = {}
    for path, kind, entity, name in task.metrics:
        reps, vals = MetricPath(path, kind, entity, name).values(table)
        values[path] = [[int(r), float(v)] for r, v in zip(reps, vals)]
    # Routes saturated in most replications: their transit statistics cover only what got
    # through, which a sweep must say beside the point's numbers (as `routesim run` warns).
    saturated = [rid for rid in scenario.routes if table.values("route", rid, "saturated").mean() >= 0.5]
    return {"key": task.key, "values": values, "saturated": saturated, "seconds": time.perf_counter() - started,
            "started": wall, "ended": time.time(), "pid": os.getpid()}
