"""Running a sweep's tasks: in this process, on a Dask LocalCluster, or on a Dask cluster.

Each task is one point (sim.study.points.run_task).  Results come back in whatever order
points finish; the caller files them by key, so the sweep's table does not depend on the
executor, the worker count or the order.  Dask is imported only when asked for.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from typing import Any, Callable, Iterator, Sequence

from sim.model.errors import SWEEP_EXTRA, UsageError
from sim.study.points import Task, run_task

EXECUTORS = ("local", "serial", "dask")
# A point is a second or more of pure Python in one thread: the worker's per-10-ms stack
# profiler, 20-ms event-loop tick, 100-ms memory monitor and GIL sampler slow it by about a
# fifth (measured: benchmarks/bench_sweep.py) and tell us nothing we use.  Spilling is off
# too: a task returns a few hundred numbers, never data worth spilling.
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    # Not MALLOC_TRIM_THRESHOLD_, which Dask sets by default: it slows a point by a sixth
    # (sim.study.points._allocator_as_usual undoes it on workers of other clusters).
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}  # dask: the cluster at --scheduler
DASK_MISSING = "the {what} executor needs Dask: " + SWEEP_EXTRA + " (or use --executor serial)"
Done = Callable[[dict[str, Any]], None]


def check_executor(executor: str, scheduler: str | None) -> str:
    """The executor to use: ``--scheduler`` means the cluster there (``dask``)."""
    if executor not in EXECUTORS:
        from sim.model.suggest import unknown_key_message

        raise UsageError("--executor: " + unknown_key_message(executor, EXECUTORS, what="executor"))
    if scheduler is not None:
        if executor == "serial":
            raise UsageError("--scheduler sends the points to a Dask cluster; it cannot go with --executor serial")
        if not scheduler.strip():
            raise UsageError("--scheduler: give the scheduler's address, e.g. tcp://10.0.0.5:8786")
        executor = "dask"
    elif executor == "dask":
        raise UsageError("--executor dask needs --scheduler ADDRESS (the cluster's scheduler), "
                         "or use --executor local for a cluster on this machine")
    if executor != "serial":
        try:
            import distributed  # noqa: F401  (installed?)
        except ImportError:
            raise UsageError(DASK_MISSING.format(what=executor)) from None
    return executor


def check_scheduler(address: str) -> None:
    """Refuse, before anything is kept or said, a --scheduler that does not answer."""
    from distributed import Client

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"--scheduler {address}: cannot reach the Dask scheduler: {exc}") from None
    client.close()


def run_tasks(tasks: Sequence[Task], done: Done, executor: str = "serial", workers: int = 1,
              scheduler: str | None = None) -> None:
    """Run every task, calling ``done(result)`` in this process as each one finishes."""
    if not tasks:
        return
    if executor == "serial":
        for task in tasks:
            done(run_task(task))
        return
    with _client(executor, workers, scheduler) as client:
        _run_on(client, tasks, done)


def _run_on(client: Any, tasks: Sequence[Task], done: Done) -> None:
    from distributed import as_completed

    # One future per distinct task: the key is the task's hash, so a point that appears
    # twice in a design (whole-numbered parameters) runs once.
    futures = [client.submit(run_task, task, key=f"routesim-point-{task.key}", pure=False) for task in tasks]
    try:
        for future in as_completed(futures):
            done(future.result())
    finally:
        client.cancel(futures)


@contextlib.contextmanager
def _client(executor: str, workers: int, scheduler: str | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if executor == "dask":
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot reach the Dask scheduler: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # a worker importing an unguarded script
        raise UsageError("sim.sweep(executor='local') ran again inside a worker process: call it under "
                         "'if __name__ == \"__main__\":' (each worker process imports the script)")
    with _quiet_children(), dask.config.set(WORKER_CONFIG):
        try:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR, worker_class="distributed.Nanny",
            )
        except RuntimeError as exc:  # most often: a script without a main guard, imported again by each worker
            raise UsageError(
                f"the local Dask cluster's workers did not start ({exc}); from a script, call sim.sweep under "
                "'if __name__ == \"__main__\":' (each worker process imports the script), or use executor='serial'"
            ) from None
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@contextlib.contextmanager
def _quiet_children() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored: a terminal's Ctrl-C reaches every process
    of the group, and the sweep (not each worker, with its own traceback) stops them.
    An ignored signal stays ignored in a child (and Python leaves it so at start-up)."""
    old = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to do
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def default_executor(executor: str | None, scheduler: str | None) -> tuple[str, str]:
    """(the executor, a note to show): the local cluster when Dask is installed and none
    was chosen; without Dask, this process, with a note saying how to get the cluster."""
    if executor is None and scheduler is None:
        try:
            import distributed  # noqa: F401  (installed?)
        except ImportError:
            return "serial", ("Dask is not installed, so the points run one after another in this process; "
                              f"{SWEEP_EXTRA} runs them on every core")
        return "local", ""
    return check_executor(executor or "local", scheduler), ""
