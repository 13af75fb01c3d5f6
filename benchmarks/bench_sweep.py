"""Sweeps on Dask against serial: speed-up, scheduler overhead per point, and a projection.

    PYTHONPATH=$PWD python benchmarks/bench_sweep.py                     # 32 points, 2 workers
    PYTHONPATH=$PWD python benchmarks/bench_sweep.py --readme README.md  # and rewrite README's block
    PYTHONPATH=$PWD python benchmarks/bench_sweep.py --check             # exit 1 if a target is missed

The same plan (a Latin hypercube of --points points of china_europe_2020, one replication
each: about a second a point) runs in this process (serial) and on a fresh Dask LocalCluster
of --workers processes, in this one command.  Ratios, never lone times:

- serial wall time / Dask wall time (the cluster's start-up included): target >= 1.7x;
- scheduler overhead per point: each worker's idle time between its first point's start and
  its last point's end (dispatching, sending inputs and results), summed over the workers,
  per point, over the mean point time: target < 5%; the cluster's start-up and shutdown
  are shown apart, as shares of the Dask wall time;
- the projection: points per hour on N machines of C cores for the README's Sobol example
  (256 base samples, 2 parameters: 1,024 points of 3 replications), from the measured per-point
  time (scaled by replications) and overhead.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

from sim.study import SweepSpec
from sim.study.spec import parse_param
from sim.study.sweeps import execute, plan

BEGIN, END = "<!-- BEGIN sweep-benchmark -->", "<!-- END sweep-benchmark -->"
SOBOL_POINTS = 256 * (2 + 2)  # the README's example: --design sobol --samples 256, two parameters
SOBOL_REPLICATIONS = 3


def measure(points: int, workers: int, seed: int) -> dict[str, float]:
    spec = SweepSpec(
        "china_europe_2020",
        (parse_param("legs.kz_rail.speed_km_per_day=800.0:1100"), parse_param("nodes.dostyk.servers=5:12", whole=True)),
        design="lhs", samples=points, replications=1, seed=seed,
        metrics=("routes.rail_xian_duisburg.transit_days", "nodes.dostyk.mean_wait_days"),
    )
    p = plan(spec)
    assert len(p.distinct()) == points, "every point distinct, or the comparison is not like for like"
    started = time.perf_counter()
    serial = execute(p, executor="serial")
    t_serial = time.perf_counter() - started
    started = time.perf_counter()
    wall = time.time()
    dask = execute(p, executor="local", workers=workers)
    t_dask = time.perf_counter() - started
    assert dask.table.equals(serial.table), "Dask and serial tables differ"
    own = sum(r["seconds"] for r in dask.results.values())
    own_serial = sum(r["seconds"] for r in serial.results.values())
    per_point = own / points
    # Scheduler overhead: each worker's idle time between its first task's start and its
    # last one's end (dispatch, transfer of inputs and results), over the points.
    by_worker: dict[int, list[dict]] = {}
    for r in dask.results.values():
        by_worker.setdefault(r["pid"], []).append(r)
    busy_span = sum(max(r["ended"] for r in rs) - min(r["started"] for r in rs) for rs in by_worker.values())
    overhead = (busy_span - own) / points
    first = min(r["started"] for r in dask.results.values()) - wall
    last = t_dask - (max(r["ended"] for r in dask.results.values()) - wall)
    return {"t_serial": t_serial, "t_dask": t_dask, "speedup": t_serial / t_dask, "per_point": per_point,
            "per_point_serial": own_serial / points, "overhead": overhead, "overhead_share": overhead / per_point,
            "startup_share": first / t_dask, "shutdown_share": last / t_dask, "workers_seen": len(by_worker)}


def projection(m: dict[str, float], cores: int, machines: tuple[int, ...]) -> list[tuple[int, float, float]]:
    """(machines, points per hour, hours for the Sobol example) at the measured rates."""
    point = m["per_point"] * SOBOL_REPLICATIONS + m["overhead"]
    out = []
    for n in machines:
        rate = n * cores * 3600 / point
        out.append((n, rate, SOBOL_POINTS / rate))
    return out


def table(m: dict[str, float], workers: int, points: int, cores: int) -> str:
    rows = [
        "| measure | result | target | met |",
        "|---|---|---|---|",
        f"| serial / Dask LocalCluster of {workers} ({points} points, start-up included) | {m['speedup']:.2f}x | ≥ 1.7x | "
        f"{'yes' if m['speedup'] >= 1.7 else 'no'} |",
        f"| scheduler overhead per point / point time | {100 * m['overhead_share']:.1f}% | < 5% | "
        f"{'yes' if m['overhead_share'] < 0.05 else 'no'} |",
        f"| point time on a worker / in this process | {m['per_point'] / m['per_point_serial']:.2f} | — | — |",
        f"| cluster start-up to the first point / Dask wall time | {100 * m['startup_share']:.1f}% | — | — |",
        f"| last point to cluster closed / Dask wall time | {100 * m['shutdown_share']:.1f}% | — | — |",
        "",
        f"Projected for the Sobol example above ({SOBOL_POINTS:,} points x {SOBOL_REPLICATIONS} replications), "
        f"machines of {cores} cores, from these measurements (the point time x {SOBOL_REPLICATIONS} plus the "
        "overhead; linear in machines while the scheduler keeps up, which at this overhead it does):",
        "",
        "| machines | points per hour | the whole Sobol analysis |",
        "|---|---|---|",
    ]
    for n, rate, hours in projection(m, cores, (1, 4, 16, 64)):
        minutes = hours * 60
        rows.append(f"| {n} | {rate:,.0f} | {f'{minutes:,.0f} min' if minutes >= 2 else f'{minutes * 60:,.0f} s'} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows += ["", f"Written by `python benchmarks/bench_sweep.py --readme README.md` (Python {platform.python_version()}, "
             f"{os.cpu_count()} cores, {platform.machine()}; 1-minute load average {load:.1f} at the end)."]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cores", type=int, default=2, help="cores per machine in the projection")
    parser.add_argument("--readme", type=Path, help="rewrite this README's sweep-benchmark block")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    m = measure(args.points, args.workers, args.seed)
    text = table(m, args.workers, args.points, args.cores)
    print(text)
    if args.readme is not None:
        readme = args.readme.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{text}\n{END}"
        new, count = re.subn(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
        if count != 1:
            print(f"{args.readme}: no {BEGIN} ... {END} block", file=sys.stderr)
            return 2
        args.readme.write_text(new, encoding="utf-8")
    if args.check and not (m["speedup"] >= 1.7 and m["overhead_share"] < 0.05):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
