"""Replications: seeds, serial or parallel execution, results in a stable order.

Replication ``i`` of seed ``s`` always draws the same random numbers (see engine.stream),
so the results do not depend on the worker count or on which process finishes first.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

from sim.engine.simulation import PackedResult, ReplicationResult, pack, run_replication, unpack
from sim.model.scenario import Scenario

Progress = Callable[[int, int], None]

# The scenario of the experiment a worker process serves: handed over once when the
# worker starts, not pickled again with every replication.
_scenario: Scenario | None = None


def _serve(scenario: Scenario) -> None:
    global _scenario
    _scenario = scenario


def _run_packed(seed: int, replication: int) -> PackedResult:
    """One replication in a worker, sent back as a few flat arrays (half the bytes)."""
    assert _scenario is not None, "worker started without its scenario"
    return pack(run_replication(_scenario, seed, replication))


def run_experiment(
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[ReplicationResult]:
    """Run ``replications`` replications and return them ordered by replication index."""
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    results: list[ReplicationResult] = []
    if workers == 1 or replications == 1:
        for i in range(replications):
            results.append(run_replication(scenario, seed, i))
            if progress:
                progress(i + 1, replications)
        return results
    with ProcessPoolExecutor(
        max_workers=min(workers, replications), initializer=_serve, initargs=(scenario,)
    ) as pool:
        futures = [pool.submit(_run_packed, seed, i) for i in range(replications)]
        for done, future in enumerate(as_completed(futures), start=1):
            results.append(unpack(future.result()))
            if progress:
                progress(done, replications)
    return sorted(results, key=lambda r: r.replication)
