"""``routesim sweep``: its options and the command (sim.study does the work)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.cli.options import MAX_REPLICATIONS, MAX_WORKERS, add_set_option, bounded_int
from sim.cli.say import OTHER_OUT, say, scenario_warnings, status
from sim.engine.replications import usable_workers
from sim.output.files import check_out_dir
from sim.output.folder import folder_lock, read_manifest
from sim.report.progress import ProgressBar

SWEEP_EXAMPLES = """\
examples:
  routesim sweep china_europe_2020 --param nodes.dostyk.servers=4:12:int --param legs.kz_rail.speed_km_per_day=800:1100 \\
      --design sobol --samples 256 -n 3 --seed 1 \\
      --metrics routes.rail_xian_duisburg.transit_days.mean,nodes.dostyk.mean_wait_days
  routesim sweep china_europe_2020 --param nodes.dostyk.servers=4:10:2 --param nodes.altynkol.servers=[2,4,6] --design grid -n 2
  routesim sweep my_sweep.toml                       (parameters, design and metrics from a sweep file)
  routesim sweep my_sweep.toml --resume              (after Ctrl-C: skip the points already finished)
  routesim sweep my_sweep.toml --scheduler tcp://10.0.0.5:8786   (on a Dask cluster)
"""


def add_sweep_parser(commands) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="run a scenario over a design of parameter values (grid, LHS, Sobol, Morris) and measure sensitivity",
        description=(
            "Run SCENARIO (or the sweep file's scenario) at every point of a design over the --param ranges, "
            "with common random numbers, on a Dask LocalCluster (or --scheduler's cluster, or serially), and "
            "write the table of every point x metric x replication, the sensitivity indices (SALib), figures "
            "and report.html."
        ),
        epilog=SWEEP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("scenario", metavar="SCENARIO|SWEEP_FILE",
                       help="a bundled scenario, a scenario .toml, or a sweep file (a .toml with a top-level 'scenario' key)")
    sweep.add_argument("--param", dest="params", action="append", default=[], metavar="PATH=SPEC",
                       help="a parameter to vary: PATH=LOW:HIGH (reals), LOW:HIGH:int, LOW:HIGH:STEP, [a, b, c] "
                            "or { dist = ... } (repeatable)")
    sweep.add_argument("--design", metavar="D", help="grid, lhs, sobol or morris (default: the file's, else lhs)")
    sweep.add_argument("--samples", type=bounded_int("samples", 1, 1_000_000), metavar="N",
                       help="lhs: points (at least 4); sobol: base samples, a power of two from 8 (n(d+2) points); morris: trajectories "
                            "from 4 (n(d+1) points) (defaults: 32, 64, 10)")
    sweep.add_argument("--metrics", metavar="M,M",
                       help="metric paths, comma-separated, e.g. routes.rail_xian_duisburg.transit_days.mean, "
                            "nodes.dostyk.mean_wait_days; * for every id (default: routes.*.transit_days.mean)")
    sweep.add_argument("--independent-seeds", action="store_true",
                       help="give each point its own seed instead of common random numbers")
    sweep.add_argument("--second-order", action="store_true", help="sobol: also second-order indices (n(2d+2) points)")
    sweep.add_argument("--levels", type=bounded_int("levels", 2, 100), metavar="L", help="morris: grid levels (default 4)")
    sweep.add_argument("--impact", action="store_true", help="events: also run each point without them (doubles the work)")
    sweep.add_argument("--executor", choices=("local", "serial", "dask"),
                       help="local: a Dask LocalCluster of --workers processes (default when Dask is installed); "
                            "serial: in this process; dask: the cluster at --scheduler")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--resume", action="store_true",
                       help="skip points an interrupted (or finished) sweep into the same --out already computed")
    sweep.add_argument("-n", "--replications", type=bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
                       help="replications per point (default: the file's, else the scenario's run.replications)")
    sweep.add_argument("--seed", type=bounded_int("seed", 0, 2**63 - 1), metavar="S",
                       help="the seed of every point, and of the design's sampling (default: the file's, else 1)")
    sweep.add_argument("--workers", type=bounded_int("workers", 1, MAX_WORKERS), metavar="W",
                       help="worker processes of the local cluster (default: the cores)")
    sweep.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<scenario>-sweep-<design>/)")
    sweep.add_argument("--no-plot", action="store_true", help="skip the figures (report.html keeps its tables)")
    sweep.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    add_set_option(sweep, "fix one scenario parameter at every point (repeatable)")
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Plan (every point checked), run the points not already finished, write the folder."""
    from sim.study.request import sweep_spec
    from sim.study.executors import check_scheduler, default_executor
    from sim.study.files import read_finished, require_parquet, write_sweep
    from sim.study.store import PointStore, partial_folder
    from sim.study.sweeps import default_out, execute, plan, points_note
    from sim.report.sweep import sweep_text
    from sim.study.files import sweep_document

    spec = sweep_spec(args.scenario, args.params, design=args.design, samples=args.samples,
                      replications=args.replications, seed=args.seed, metrics=args.metrics, overrides=args.overrides,
                      independent=args.independent_seeds, second_order=args.second_order, levels=args.levels,
                      impact=args.impact)
    require_parquet()
    executor, note = default_executor(args.executor, args.scheduler)
    if note and not args.quiet:
        say("note", note)
    workers = args.workers or usable_workers(os.cpu_count() or 1)
    p = plan(spec)
    scenario_warnings(p.scenario)
    out = args.out if args.out is not None else default_out(p)
    check_out_dir(out)
    if executor == "dask":
        check_scheduler(args.scheduler)
    args.previous = out if read_manifest(out) else None
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(out, retry=OTHER_OUT):
        store = PointStore(partial_folder(out))
        store.open(resume=args.resume)
        stored = {**read_finished(out), **store.load(set(p.keys))} if args.resume else {}
        where = "in this process" if executor == "serial" else (
            f"on the Dask cluster at {args.scheduler}" if executor == "dask" else f"on a local Dask cluster of {workers} workers")
        if not args.quiet:
            kept = len({k for k in p.keys if k in stored})
            say("note", f"{points_note(p)} {where}" + (f"; {kept} already finished" if kept else ""))
        bar = None if args.quiet or not sys.stderr.isatty() else ProgressBar(len(p.distinct()), sys.stderr, label="points")
        progress = None if bar is None else (lambda done, total: _advance(bar, done))
        try:
            result = execute(p, store, executor, workers, args.scheduler, progress, stored)
        except KeyboardInterrupt:
            store.remove_if_empty()
            kept = len(store.load(set(p.keys))) if store.folder.exists() else 0
            say("note", f"{kept} of {len(p.distinct())} points finished and kept in {store.folder}; "
                         "run the same command with --resume to go on from there")
            raise
        status(args, "writing the table, indices, figures and report.html ...")
        args.written = write_sweep(result, out, figures=not args.no_plot)
        store.remove()
    if not args.quiet:
        print(sweep_text(sweep_document(result), str(out)))
    return 0


def _advance(bar: ProgressBar, done: int) -> None:
    """Move the bar to ``done`` points (points kept from before count at once)."""
    if done > bar.done:
        bar.advance(done - bar.done)
