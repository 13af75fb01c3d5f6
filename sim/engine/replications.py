"""Replications: seeds, serial or parallel execution, results in a stable order.

Replication ``i`` of seed ``s`` always draws the same random numbers (see engine.stream),
so the results do not depend on the worker count or on which process finishes first.

When events' impact is measured (``impact``), replication i of ``without_events(scenario)``
runs right after replication i, in the same process and with the same seed, and only the
impact numbers are kept from it: the store holds no more, a worker holds two replications
at its peak, and what a replication returns still depends on nothing but (scenario, seed, i).
"""

from __future__ import annotations

import gc
import os
import multiprocessing
import shutil
import tempfile
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

from sim.engine.children import become_child
from sim.engine.events import without_events
from sim.engine.packing import pack
from sim.engine.records import ReplicationResult
from sim.engine.simulation import run_replication
from sim.engine.store import MEMORY_SHARE, ResultStore
from sim.model.errors import RoutesimError
from sim.model.scenario import Scenario


class TooBig(RoutesimError):
    """A run that would not fit in this machine's memory, refused before it starts."""


# Bytes a replication's results hold per unit drawn (ledger times, node visit and trip logs:
# about 40 B measured by benchmarks/bench_engine.py), and how many times that a replication
# takes at its peak while it is simulated (a 100-year run of the 2020 scenario peaked at
# 2.4 times its estimate, measured as the process's resident memory).
BYTES_PER_UNIT_HELD = 48
PEAK_FACTOR = 2.5
# Bytes per unit of a replication written to disk, packed (departures and deliveries as runs).
BYTES_PER_UNIT_SPILLED = 16


def units_drawn(scenario: Scenario) -> float:
    """Expected containers and wagons one replication draws: every route's demand and every
    flow's over the whole run (warm-up, window and cool-down), with its growth."""
    s = scenario.settings
    days = s.horizon_days + s.cooldown_days
    total = 0.0
    for route in scenario.routes.values():
        d = route.demand
        growth = max(1.0, (1.0 + d.growth_per_year) ** (days / 365.0))
        # Seasonality moves demand, it adds none; a demand event over 1 adds its surplus.
        surges = sum(
            (e.factor - 1.0) * min(days, e.duration.mean if e.duration is not None else days)
            for e in scenario.events if e.kind == "demand" and e.factor > 1.0 and route.id in e.targets
        )
        total += d.units_per_year * (days + surges) / 365.0 * growth
    for flow in scenario.flows.values():  # flows' containers, whichever options they take
        growth = max(1.0, (1.0 + flow.demand.growth_per_year) ** (days / 365.0))
        total += flow.demand.units_per_year * days / 365.0 * growth
    return total


def available_memory() -> int | None:
    """Bytes of memory available now (Linux /proc/meminfo), or None where unknown."""
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def plan_storage(scenario: Scenario, replications: int, workers: int, spill: bool | None = None,
                 paired: bool = False) -> bool:
    """Whether the finished replications go to disk (True) or stay in memory, refusing
    before anything runs a run that fits in neither.

    ``spill=None`` decides by size: to disk when holding them all would take more than
    store.MEMORY_SHARE of the memory available now.  ``paired``: each replication is
    followed by its baseline without events, held beside it until its impact is measured.
    """
    units = units_drawn(scenario)
    per_rep = units * BYTES_PER_UNIT_HELD
    # Each process simulating (the one, or each worker) holds a replication at its peak, of
    # which what it keeps is counted below with the replications held.
    running = per_rep * (PEAK_FACTOR - 1.0) * workers
    if paired:  # every worker (or the one process) also holds a baseline being simulated
        running += units_drawn(without_events(scenario)) * BYTES_PER_UNIT_HELD * PEAK_FACTOR * workers
    free = available_memory()
    if spill is None:
        spill = free is not None and per_rep * replications > MEMORY_SHARE * free
    held = per_rep * (2 if spill else replications) + running
    if free is not None and held > 0.8 * free:
        raise TooBig(
            f"this run would hold about {_gb(held)} in memory ({units:,.0f} containers and wagons a "
            f"replication, {_gb(per_rep)} each, {workers} at once) and {_gb(free)} is available: "
            "use fewer --workers, a shorter run.horizon_days, or less demand"
        )
    if spill:
        disk = units * BYTES_PER_UNIT_SPILLED * replications
        try:
            room = shutil.disk_usage(tempfile.gettempdir()).free
        except OSError:
            room = None
        if room is not None and disk > 0.9 * room:
            raise TooBig(
                f"this run would write about {_gb(disk)} of replications to {tempfile.gettempdir()} "
                f"({replications:,} replications of {units:,.0f} containers and wagons) and "
                f"{_gb(room)} is free there: use fewer replications (-n), less demand, or set TMPDIR "
                "to a folder with more room"
            )
    return spill


def usable_workers(workers: int) -> int:
    """Worker processes worth starting: no more than the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(workers, cores))


class WorkerDied(RoutesimError):
    """A worker process ended without its result (killed by the OS, for example for memory)."""

Progress = Callable[[int, int], None]
# What a worker computes from each of its replications as soon as it has run it (the
# metrics table's rows, sim.analysis.metrics_table.RowsOf), kept in the store beside it, so
# that the parent does not compute it alone after the run; None: nothing.
Derive = Callable[[ReplicationResult], Any]
# Measures each event's impact from a replication and the same one without events.
Impact = Callable[[ReplicationResult, ReplicationResult], dict[str, dict[str, float]]]


def replicate(
    scenario: Scenario, seed: int, i: int, impact: Impact | None = None,
    baseline: Sequence[ReplicationResult] | None = None,
) -> ReplicationResult:
    """Replication i, with its events' impact measured against replication i (same seed)
    of the scenario without events when ``impact`` is given and the scenario has events;
    ``baseline``, when given, already holds those replications (a comparison's baseline arm)."""
    result = run_replication(scenario, seed, i)
    if impact is not None and scenario.events:
        base = baseline[i] if baseline is not None else run_replication(without_events(scenario), seed, i)
        result.impact = impact(result, base)
        del base
        gc.collect()  # the baseline's model cycles hold its arrays (see store.add)
    return result


def _worker(conn: Connection, parent: int, scenario: Scenario, seed: int, indices: list[int],
            impact: Impact | None = None, baseline: Sequence[ReplicationResult] | None = None,
            derive: Derive | None = None) -> None:
    """Run the given replications and send each back packed (a few flat arrays), with what
    ``derive`` computes from it."""
    become_child(parent)  # the parent does the stopping; its death ends this worker too
    # What the fork inherited lives as long as the worker: out of the collector's sight, the
    # collection after each replication scans only that replication's objects, and does not
    # write to (and so copy) the parent's pages.
    gc.freeze()
    try:
        for i in indices:
            result = replicate(scenario, seed, i, impact, baseline)
            derived = derive(result) if derive is not None else None
            conn.send((pack(result), derived))
            del result
            gc.collect()  # the finished model's reference cycles hold its arrays (see store.add)
    except BaseException as exc:  # reported to the parent, which ends the run with one line
        conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def run_experiment(
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
    spill: bool | None = None,
    impact: Impact | None = None,
    baseline: Sequence[ReplicationResult] | None = None,
    derive: Derive | None = None,
) -> ResultStore:
    """Run ``replications`` replications; the store gives them back ordered by index.

    Replications are kept as they finish, in memory or (``spill``, see plan_storage) on
    disk, so a long run's memory does not grow with the number of replications.  With
    ``impact`` and a scenario with events, each also runs without its events (see replicate),
    unless ``baseline`` holds those runs already (same seed, replication i at index i).
    With workers, each computes ``derive`` of its replications, kept in ``store.derived``
    by index (``store.derive`` says by what); run in this process, nothing is derived: the
    caller computes it when it needs it, at the same cost.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    workers = min(usable_workers(workers), replications)
    paired = impact is not None and bool(scenario.events) and baseline is None
    store = ResultStore(spill=plan_storage(scenario, replications, workers, spill, paired))
    if workers > 1:
        store.derive = derive
    try:
        if workers == 1:
            for i in range(replications):
                store.add(replicate(scenario, seed, i, impact, baseline))
                if progress:
                    progress(i + 1, replications)
        else:
            _in_workers(store, scenario, replications, seed, workers, progress, impact, baseline, derive)
    except BaseException:
        store.close()
        raise
    return store


def _in_workers(store: ResultStore, scenario: Scenario, replications: int, seed: int, workers: int,
                progress: Progress | None, impact: Impact | None = None,
                baseline: Sequence[ReplicationResult] | None = None, derive: Derive | None = None) -> None:
    """Replication i runs in worker i mod W: plain child processes with a pipe each, so
    stopping them (an interrupt, a worker the OS killed) never waits on a shared queue."""
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    procs: list = []
    conns: dict = {}
    try:
        for w in range(workers):
            mine, theirs = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(theirs, os.getpid(), scenario, seed, list(range(w, replications, workers)), impact, baseline, derive),
                               name=f"routesim replications {w + 1}/{workers}", daemon=True)
            proc.start()
            theirs.close()
            procs.append(proc)
            conns[mine] = proc
        while conns:
            for conn in wait(list(conns)):
                try:
                    message = conn.recv()
                except (EOFError, OSError):  # the worker is done, or was killed (mid-message: OSError)
                    proc = conns.pop(conn)
                    proc.join()
                    if proc.exitcode != 0:
                        raise WorkerDied(
                            "a worker process ended without its results (killed by the operating system, "
                            f"perhaps for lack of memory; exit status {proc.exitcode}); try fewer --workers than {workers}"
                        ) from None
                    continue
                if isinstance(message, str):
                    raise WorkerDied(f"a worker process failed: {message}")
                packed, derived = message
                store.add(packed, derived)
                if progress:
                    progress(len(store), replications)
        if len(store) != replications:
            raise WorkerDied(f"the workers returned {len(store)} of {replications} replications")
    finally:  # on success the workers have ended; on anything else they end now
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
