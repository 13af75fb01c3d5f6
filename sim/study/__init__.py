"""Many runs: parameter sweeps and global sensitivity analysis, serial or on Dask.

``sim.sweep`` plans a design over scenario parameters, runs every point (common random
numbers by default) and returns a Sweep: ``.table`` (point x metric x replication),
``.indices_frame()`` and ``.write()``.  The layers below know nothing of sweeps; this one
uses the public API (sim.api) to run each point.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sim.model.suggest import unknown_key_message
from sim.study.spec import DEFAULT_METRICS, SEEDS, SweepSpec
from sim.study.sweeps import Progress, Sweep, execute, plan


def sweep(
    scenario: str,
    parameters: Mapping[str, Any] | Sequence[str],
    design: str = "lhs",
    samples: int | None = None,
    replications: int | None = None,
    seed: int = 1,
    metrics: Sequence[str] = DEFAULT_METRICS,
    overrides: Sequence[str] = (),
    seeds: str = "common",
    second_order: bool = False,
    levels: int | None = None,
    impact: bool = False,
    executor: str = "serial",
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Sweep:
    """Run a sweep of ``scenario`` (a bundled name or a .toml path) and return it.

    ``parameters`` maps key paths to ranges (``"4:12:int"``, ``"800:1100"``, ``(800, 1100)``),
    lists of values or distribution tables, or lists ``--param`` texts (``"nodes.dostyk.servers=4:12"``).
    ``design``: grid, lhs, sobol or morris; ``metrics``: paths such as
    ``"routes.rail_xian_duisburg.transit_days.mean"`` (``*`` for every id).  ``executor``:
    serial (this process), local (a Dask LocalCluster of ``workers`` processes) or give
    ``scheduler`` (a Dask cluster's address).  The table is the same whichever executor runs it.

    >>> s = sim.sweep("china_europe_2020", {"nodes.dostyk.servers": "4:8"}, design="grid",
    ...               replications=1, metrics=["nodes.dostyk.mean_wait_days"])  # doctest: +SKIP
    >>> s.table.groupby("nodes.dostyk.servers")["value"].mean()  # doctest: +SKIP
    """
    from sim.model.errors import UsageError
    from sim.study.executors import check_executor
    from sim.study.request import sweep_spec

    if isinstance(parameters, str):
        raise UsageError("parameters: give a mapping {path: range} or a list of 'path=LOW:HIGH' texts, not one string")
    if seeds not in SEEDS:
        raise UsageError("seeds: " + unknown_key_message(seeds, SEEDS, what="seeds rule"))
    mapping = isinstance(parameters, Mapping)
    spec = sweep_spec(scenario, [] if mapping else list(parameters), table=dict(parameters) if mapping else None,
                      design=design, samples=samples, replications=replications, seed=seed, metrics=list(metrics),
                      overrides=overrides, independent=seeds == "independent", second_order=second_order,
                      levels=levels, impact=impact)
    executor = check_executor(executor, scheduler)
    return execute(plan(spec), None, executor, workers, scheduler, progress)


__all__ = ["Sweep", "SweepSpec", "sweep"]
