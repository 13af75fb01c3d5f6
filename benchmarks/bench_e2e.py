"""End to end: what a user waits for, as ratios to the engine time measured in the same process.

    python benchmarks/bench_e2e.py [--repeat K] [--check]

Each measurement runs ``routesim run`` as its own process, exactly as ``python -m sim run``
does, through a probe that also times ``run_experiment`` (the engine) and ``draw`` (the
figures and report.html) inside that process, so each ratio compares times of one and the
same run:

* whole process / engine, ``china_europe_2020 -n 1 --no-plot`` (target <= 1.3), and the
  start-up alone over that engine time: a fresh interpreter that imports what the engine
  needs (numpy, simpy, the model) and loads the scenario, then stops.  The whole run can be
  no faster than 1 + that ratio, so 1.3 is within reach only while it is at most 0.3;
* wall time ``-n 4 --workers 1`` / ``-n 4 --workers 2``, ``--no-plot`` (target >= 1.6 on 2 cores),
  and the same for the engine alone inside those processes, which shows how much of the
  shortfall is the engine's and how much the files';
* figures and report / simulation, ``-n 5`` with figures (target < 1).

A ratio within one process is the median over the runs (the best of them would favour a
run whose engine a busy neighbour slowed); the worker ratio compares the fastest process of
each kind, since its two sides are different processes.

``bench_engine.py`` runs this as its last section and puts every ratio in one table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "china_europe_2020"

# Runs the CLI in this process after wrapping the two functions it times.
PROBE = r"""
import atexit, json, sys, time
import sim.api as api
import sim.cli as cli
import sim.report.draw as drawing
spent = {"engine": 0.0, "draw": 0.0}
def timed(key, f):
    def g(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            spent[key] += time.perf_counter() - t
    return g
api.run_experiment = timed("engine", api.run_experiment)
drawing.draw = timed("draw", drawing.draw)  # Run.write imports it at call time
def report():
    with open(sys.argv[1], "w") as f:
        json.dump(spent, f)
atexit.register(report)  # cli.run exits the process, as the console script does
cli.run(sys.argv[2:])
"""


# A process that starts as a run does and stops where its engine would begin.
STARTUP = r"""
from sim.model.loader import load_scenario
import sim.engine.replications
load_scenario("%s")
""" % SCENARIO


def startup_time(quiet_wait: float = 0.0) -> float:
    """Wall time of a fresh process doing only what a run does before its engine starts."""
    if quiet_wait > 0:
        wait_for_quiet(quiet_wait)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs since boot, or None off Linux."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)


def wait_for_quiet(limit: float, idle: float = 0.9, log=print) -> bool:
    """Wait up to ``limit`` s until the CPUs are ``idle`` idle over one second.

    On a shared 2-core machine another process at full speed halves the worker ratio and
    inflates every other one; waiting for a quiet second keeps such runs out of the table.
    """
    deadline = time.monotonic() + limit
    while True:
        before = _cpu_times()
        if before is None:
            return True
        time.sleep(1.0)
        after = _cpu_times()
        spent = after[1] - before[1]
        if spent and (after[0] - before[0]) / spent >= idle:
            return True
        if time.monotonic() > deadline:
            log(f"  (machine still busy after {limit:g} s of waiting: this run shares the CPUs)")
            return False


@dataclass(frozen=True)
class Run:
    """One routesim process: its wall time and the engine and drawing time inside it."""

    wall: float
    engine: float
    draw: float


def run_process(*args: str, quiet_wait: float = 0.0) -> Run:
    """Run ``routesim run SCENARIO ARGS`` as a fresh process and time it (after waiting up
    to ``quiet_wait`` s for the machine to be idle)."""
    if quiet_wait > 0:
        wait_for_quiet(quiet_wait)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="routesim-bench-") as tmp:
        probe = Path(tmp) / "spent.json"
        command = [sys.executable, "-c", PROBE, str(probe), "run", SCENARIO, *args, "--out", str(Path(tmp) / "out"), "-q"]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[3:])} failed: {done.stderr.strip()}")
        spent = json.loads(probe.read_text())
    return Run(wall, spent["engine"], spent["draw"])


@dataclass(frozen=True)
class Ratio:
    """A measured ratio against its target."""

    name: str
    value: float
    bound: float
    higher_is_better: bool
    strict: bool = False
    how: str = ""

    def met(self) -> bool:
        if self.higher_is_better:
            return self.value >= self.bound
        return self.value < self.bound if self.strict else self.value <= self.bound

    def target(self) -> str:
        return (">= " if self.higher_is_better else "< " if self.strict else "<= ") + f"{self.bound:g}"


def measure(repeat: int = 3, log=print, quiet_wait: float = 60.0) -> list[Ratio]:
    """The end-to-end ratios over ``repeat`` runs of each command (see the module's
    docstring), each run started once the machine is idle (or after ``quiet_wait`` s)."""
    cores = os.cpu_count() or 1

    def run_cli(*args: str) -> Run:
        return run_process(*args, quiet_wait=quiet_wait)

    # pip compiles an installed package's bytecode; a source tree run with
    # PYTHONDONTWRITEBYTECODE set (as on some machines) would recompile every module at each
    # start, a tenth of a second that no user waits for.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "sim")], check=True, capture_output=True)
    log(f"end to end ({SCENARIO}, each a fresh process, {repeat} of each; {cores} cores; "
        f"load average before: {os.getloadavg()[0]:.2f})")
    one = [run_cli("-n", "1", "--no-plot") for _ in range(repeat)]
    for r in one:
        log(f"  -n 1 --no-plot           process {r.wall:6.2f} s, engine {r.engine:6.2f} s   ratio {r.wall / r.engine:.2f}")
    starts = [startup_time(quiet_wait) for _ in range(repeat)]
    log(f"  start-up alone           {', '.join(f'{t:.2f}' for t in starts)} s")
    serial = [run_cli("-n", "4", "--workers", "1", "--no-plot") for _ in range(repeat)]
    parallel = [run_cli("-n", "4", "--workers", "2", "--no-plot") for _ in range(repeat)]
    for label, runs in (("--workers 1", serial), ("--workers 2", parallel)):
        for r in runs:
            log(f"  -n 4 {label} --no-plot process {r.wall:6.2f} s, engine {r.engine:6.2f} s")
    w1, w2 = min(serial, key=lambda r: r.wall), min(parallel, key=lambda r: r.wall)
    engines = min(r.engine for r in serial) / min(r.engine for r in parallel)
    log(f"  engine alone, workers 1 / 2: {engines:.2f}")
    drawn = [run_cli("-n", "5") for _ in range(repeat)]
    for r in drawn:
        log(f"  -n 5 with figures        simulation {r.engine:6.2f} s, figures and report {r.draw:6.2f} s   ratio {r.draw / r.engine:.2f}")
    log(f"  load average after: {os.getloadavg()[0]:.2f} (other work on the machine inflates these)\n")
    return [
        Ratio(
            "whole run / engine (`-n 1 --no-plot`)", statistics.median(r.wall / r.engine for r in one), 1.3, False,
            how="wall time of the `routesim run` process over the time `run_experiment` took inside it",
        ),
        Ratio(
            "start-up alone / engine (`-n 1`; whole / engine is at least 1 + this)",
            statistics.median(starts) / statistics.median(r.engine for r in one), 0.3, False,
            how="a fresh process importing numpy, simpy and the model and loading the scenario, over the engine time above",
        ),
        Ratio(
            "`--workers 1` / `--workers 2` (`-n 4 --no-plot`)", w1.wall / w2.wall, 1.6, True,
            how=f"wall time of the whole process, on {cores} cores",
        ),
        Ratio(
            "engine alone, `--workers 1` / `--workers 2` (`-n 4`)", engines, 1.6, True,
            how=f"`run_experiment`'s time inside those processes, on {cores} cores",
        ),
        Ratio(
            "figures and report / simulation (`-n 5`)", statistics.median(r.draw / r.engine for r in drawn), 1.0, False,
            strict=True, how="time drawing the six figures and report.html over the replications' time, same process",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command, best kept (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, metavar="S",
        help="before each run, wait up to S seconds for the CPUs to be idle (default 60; 0: do not wait)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    ratios = measure(args.repeat, quiet_wait=args.quiet_wait)
    missed = 0
    for r in ratios:
        missed += not r.met()
        print(f"  {r.name:<52}{r.value:>8.2f}{r.target():>10}  {'PASS' if r.met() else 'MISS'}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
