"""The ``routesim`` command line: the only module that prints or exits.

Every expected failure (bad scenario, bad argument, unusable output folder) is a
RoutesimError and becomes one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Iterator, Sequence


from sim import __version__
from sim import api
from sim.analysis.metrics import vocabulary
from sim.engine.replications import usable_workers
from sim.model.claims import load_claims, scenario_ref
from sim.model.errors import Interrupted, RoutesimError, UsageError
from sim.model.event_text import EVENT_HELP, event_override
from sim.output.containers import FORMATS as CONTAINER_FORMATS, check_format as check_containers
from sim.model.loader import bundled_names, load_scenario
from sim.model.overrides import parse_override, printable
from sim.model.suggest import unknown_key_message
from sim.model.text import counted
from sim.output.files import check_out_dir
from sim.output.folder import folder_lock, read_manifest
from sim.report.draw import FORMATS, check_figure_format, check_marey_route, check_marey_window, redraw
from sim.report.fleets import fleet_rows, fleets_table, shared_rows, shared_table
from sim.report.choice import flows_table, options_text
from sim.report.progress import ProgressBar
from sim.report.tables import (
    comparison_text, events_table, metrics_listing, node_listing, nodes_table, routes_table, run_warnings, scenario_listing,
    validation_text,
)

TRANSIT_PNG = "transit_times.png"
VALIDATION_PNG = "validation.png"
MAX_REPLICATIONS = api.MAX_REPLICATIONS
MAX_WORKERS = api.MAX_WORKERS
# What --marey draws when it is not given (sim.viz.marey.default_marey_route); the README says the same.
MAREY_HELP = (
    "the route of the time-space chart (default: the busiest rail route of the claims file's sea/rail "
    "ratio, else the busiest container rail route)"
)
MAREY_WINDOW_HELP = (
    "the time-space chart's window: the trains that left from day START after the warm-up for DAYS days "
    "(default 0:28)"
)

RUN_EXAMPLES = """\
examples:
  routesim run china_europe_2020
  routesim run china_europe_2020 -n 20 --seed 7 --workers 2
  routesim run china_europe_2020 --set nodes.dostyk.servers=4
  routesim run china_europe_2020 --set 'legs.kz_rail.speed_km_per_day={ dist = "triangular", min = 700, mode = 900, max = 1000 }'
  routesim run china_europe_2020 --event closure:nodes.suez:2020-03-23+6            (the canal blocked 6 days)
  routesim run china_europe_2020 --event 'closure:nodes.suez:2020-03-23,duration_days={ dist = "uniform", min = 4, max = 8 }'
  routesim run china_europe_2020 --event 'capacity:nodes.dostyk:2020-08-01..2020-11-15,set={ servers = 5 }'
  routesim run china_europe_2020 --event 'capacity:legs.kz_rail:2020-06-01+30,scale={ speed = 0.5 }'
  routesim run china_europe_2020 --event demand:routes.rail_xian_duisburg:2020-09-01+90,factor=1.25
  routesim run china_europe_2020 --event 'divert:routes.sea_shanghai_rotterdam:2020-10-01,path=["shanghai", "ningbo", "yantian", "singapore", "cape_good_hope", "rotterdam"]'

--set PATH=VALUE: PATH is dotted; entries of [[nodes]], [[legs]], [[services]], [[routes]]
and [[events]] are addressed by their id. VALUE is a TOML value (number, "string", true,
[array] or { inline table } for a distribution) and is checked like the file itself.
PATH+={ id = ..., ... } adds an entry to a list of tables (events+={ ... }).

""" + EVENT_HELP


COMPARE_EXAMPLES = """\
examples:
  routesim compare china_europe_2020 --vary nodes.dostyk.servers=5      (what if Dostyk had 5 tracks?)
  routesim compare china_europe_2020 --vary-event closure:nodes.suez:2020-03-23+6   (with and without the canal closed)
  routesim compare china_europe_2019 china_europe_2020 --event closure:nodes.suez:2020-03-23+6   (both with the canal closed)
  routesim compare china_europe_2019 china_europe_2020 --routes rail_xian_duisburg,sea_shanghai_rotterdam
  routesim compare china_europe_2020 my_variant.toml -n 10 --workers 2
  routesim plot results/compare_china_europe_2019_vs_china_europe_2020 --format svg
"""


VALIDATE_EXAMPLES = """\
examples:
  routesim validate
  routesim validate -n 10 --workers 2
  routesim validate --set nodes.dostyk.servers=2     (what if Dostyk lost capacity?)
  routesim validate my_study.claims.toml             (another study's claims)
"""

OPTIONS_EXAMPLES = """\
examples:
  routesim options xian duisburg --value-usd-per-kg 40       (electronics: which option, and at what price of time?)
  routesim options xian duisburg --class machinery -n 1
  routesim options shanghai rotterdam --set choice.carbon_usd_per_tonne=100
"""


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


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (exit 2) instead of usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def _bounded_int(name: str, minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got '{text}'") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    return parse


def build_parser() -> ArgumentParser:
    """The routesim argument parser with its sub-commands."""
    parser = ArgumentParser(
        prog="routesim",
        description="Simulate container freight between China and Europe: rail corridors vs sea.",
    )
    parser.add_argument("--version", action="version", version=f"routesim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands.required = True
    run = commands.add_parser(
        "run",
        help="run a scenario and write its results",
        description="Run a scenario's replications and write summary, tables, figures and report.html.",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "scenario", metavar="SCENARIO", nargs="?",
        help="a bundled scenario name (e.g. china_europe_2020) or a .toml file",
    )
    run.add_argument(
        "--metrics", action="store_true",
        help="list every metric routesim reports (name, entity, unit, meaning) and exit; runs nothing, so takes no SCENARIO",
    )
    _add_run_options(run, default_out="results/<scenario name>/")
    _add_set_option(run, "change one scenario parameter (repeatable), e.g. --set nodes.dostyk.servers=4")
    _add_event_option(run, "add one event (repeatable), e.g. --event closure:nodes.suez:2020-03-23+6 (see below)")
    _add_impact_option(run)
    _add_figure_options(run)
    run.set_defaults(handler=cmd_run)
    compare = commands.add_parser(
        "compare",
        help="run several scenarios with common random numbers and compare them",
        description=(
            "Run each scenario with the same seed (common random numbers: where scenarios share "
            "routes, legs and nodes they share random draws, so differences come from the "
            "scenarios, not the noise).  Writes each scenario's results, comparison.json with the "
            "differences against the first scenario (paired by replication, 95%% CI), figures "
            "with every scenario, and report.html."
        ),
        epilog=COMPARE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO",
        help="two or more bundled scenario names or .toml files (the first is the baseline), or one with --vary",
    )
    _add_run_options(compare, default_out="results/compare_<A>_vs_<B>/")
    _add_set_option(compare, "change one parameter in every scenario (repeatable)")
    _add_event_option(compare, "add one event to every scenario (repeatable; the forms of routesim run --help)")
    compare.add_argument(
        "--vary", action="append", default=[], metavar="PATH=VALUE",
        help="compare the first scenario with itself changed by PATH=VALUE (repeatable: all of them in one variant)",
    )
    compare.add_argument(
        "--vary-event", dest="vary_events", action="append", default=[], metavar="KIND:TARGET:WHEN",
        help="compare the first scenario with itself plus this event (the forms of --event; repeatable, "
        "all in one variant, with any --vary): paired CIs of the event's effect",
    )
    _add_impact_option(compare)
    compare.add_argument(
        "--routes", metavar="ID,ID", help="print the differences of these routes only (the files hold all of them)",
    )
    _add_figure_options(compare)
    compare.set_defaults(handler=cmd_compare)
    plot = commands.add_parser(
        "plot",
        help="re-draw the figures and report of a results folder",
        description="Re-draw the figures and report.html of a run or comparison folder from its files, without running again.",
    )
    plot.add_argument("folder", metavar="RESULTS_DIR", type=Path, help="a folder written by routesim run or compare")
    plot.add_argument("--format", choices=FORMATS, default="png", help="figure file format (default: png)")
    plot.add_argument("--marey", metavar="ROUTE", help=MAREY_HELP)
    plot.add_argument("--marey-window", metavar="START:DAYS", help=MAREY_WINDOW_HELP + " (within the days marey.csv holds)")
    plot.add_argument("-q", "--quiet", action="store_true", help="do not list the files drawn")
    plot.set_defaults(handler=cmd_plot)
    listing = commands.add_parser(
        "list",
        help="show the bundled scenarios and their routes",
        description="Show every bundled scenario: its description and its routes.",
    )
    listing.add_argument("scenario", metavar="SCENARIO", nargs="?", help="list only this bundled scenario or .toml file")
    listing.add_argument("--nodes", action="store_true", help="list the nodes (id, kind, country, servers, handling) instead of the routes")
    listing.set_defaults(handler=cmd_list)
    opts = commands.add_parser(
        "options",
        help="compare every door-to-door option between two nodes: time, cost, CO2e, generalised cost",
        description=(
            "Run the scenario and show, for every route from ORIGIN to DESTINATION, its mean and 95th "
            "percentile door-to-door days, its cost per TEU and the parts of it, its kg CO2e per TEU, and "
            "for a cargo with a value its generalised cost (cost + time value x (mean + buffer days) + "
            "carbon price) and the share the logit gives; then which option is cheapest for which cargo "
            "values (the break-even values)."
        ),
        epilog=OPTIONS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    opts.add_argument("origin", metavar="ORIGIN", help="origin node id (routesim list --nodes shows them)")
    opts.add_argument("destination", metavar="DESTINATION", help="destination node id")
    opts.add_argument("scenario", metavar="SCENARIO", nargs="?", default=api.DEFAULT_OPTIONS_SCENARIO,
                      help=f"a bundled scenario name or a .toml file (default: {api.DEFAULT_OPTIONS_SCENARIO})")
    opts.add_argument("--class", dest="cargo_class", metavar="ID", help="price for this cargo class of the scenario")
    opts.add_argument("--value-usd-per-kg", type=float, metavar="V", help="the cargo's value in US$ per kg")
    opts.add_argument("--tonnes-per-teu", type=float, metavar="T", help="the cargo's tonnes per TEU (default: the class's, else [emissions], else 10)")
    opts.add_argument("--time-cost-per-day", type=float, metavar="R",
                      help="share of the cargo's value a day in transit costs (default: the class's, else 0.008, Hummels 2001)")
    opts.add_argument("-n", "--replications", type=_bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
                      help="replications of the run that measures the times (default: the scenario's run.replications)")
    opts.add_argument("--seed", type=_bounded_int("seed", 0, 2**63 - 1), metavar="S", help="base seed (default: the scenario's run.seed)")
    opts.add_argument("--workers", type=_bounded_int("workers", 1, MAX_WORKERS), default=1, metavar="W",
                      help="processes to run replications in (default: 1)")
    opts.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_set_option(opts, "change one scenario parameter (repeatable)")
    opts.set_defaults(handler=cmd_options)
    _add_sweep_parser(commands)
    check = commands.add_parser(
        "validate",
        help="check the model against a claims file (default: the founding article's claims)",
        description=(
            "Run the scenarios a claims file names (current and previous year) with the same "
            "seed, measure each claim in the simulation, and print claim, article value, "
            "simulated value with its 95% CI, tolerance and pass/fail.  Writes validation.json "
            f"and {VALIDATION_PNG}.  Exit status 0 only if every claim passes (1 if one fails)."
        ),
        epilog=VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "claims", metavar="CLAIMS", nargs="?",
        help=f"a claims file (default: the bundled {api.DEFAULT_CLAIMS}, the founding article's claims)",
    )
    _add_run_options(check, default_out="results/validation/")
    _add_set_option(check, "change one parameter in every scenario of the claims file (repeatable), e.g. --set nodes.dostyk.servers=4")
    check.add_argument("--no-plot", action="store_true", help=f"skip {VALIDATION_PNG}")
    check.set_defaults(handler=cmd_validate)
    return parser


def _add_sweep_parser(commands) -> None:
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
    sweep.add_argument("--samples", type=_bounded_int("samples", 1, 1_000_000), metavar="N",
                       help="lhs: points (at least 4); sobol: base samples, a power of two from 8 (n(d+2) points); morris: trajectories "
                            "from 4 (n(d+1) points) (defaults: 32, 64, 10)")
    sweep.add_argument("--metrics", metavar="M,M",
                       help="metric paths, comma-separated, e.g. routes.rail_xian_duisburg.transit_days.mean, "
                            "nodes.dostyk.mean_wait_days; * for every id (default: routes.*.transit_days.mean)")
    sweep.add_argument("--independent-seeds", action="store_true",
                       help="give each point its own seed instead of common random numbers")
    sweep.add_argument("--second-order", action="store_true", help="sobol: also second-order indices (n(2d+2) points)")
    sweep.add_argument("--levels", type=_bounded_int("levels", 2, 100), metavar="L", help="morris: grid levels (default 4)")
    sweep.add_argument("--impact", action="store_true", help="events: also run each point without them (doubles the work)")
    sweep.add_argument("--executor", choices=("local", "serial", "dask"),
                       help="local: a Dask LocalCluster of --workers processes (default when Dask is installed); "
                            "serial: in this process; dask: the cluster at --scheduler")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--resume", action="store_true",
                       help="skip points an interrupted (or finished) sweep into the same --out already computed")
    sweep.add_argument("-n", "--replications", type=_bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
                       help="replications per point (default: the file's, else the scenario's run.replications)")
    sweep.add_argument("--seed", type=_bounded_int("seed", 0, 2**63 - 1), metavar="S",
                       help="the seed of every point, and of the design's sampling (default: the file's, else 1)")
    sweep.add_argument("--workers", type=_bounded_int("workers", 1, MAX_WORKERS), metavar="W",
                       help="worker processes of the local cluster (default: the cores)")
    sweep.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<scenario>-sweep-<design>/)")
    sweep.add_argument("--no-plot", action="store_true", help="skip the figures (report.html keeps its tables)")
    sweep.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    _add_set_option(sweep, "fix one scenario parameter at every point (repeatable)")
    sweep.set_defaults(handler=cmd_sweep)


def _add_set_option(command: argparse.ArgumentParser, help_text: str) -> None:
    """--set PATH=VALUE (repeatable)."""
    command.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=help_text
    )


def _add_impact_option(command: argparse.ArgumentParser) -> None:
    """--no-impact: skip the runs without events that measure each event's impact."""
    command.add_argument(
        "--no-impact", action="store_true",
        help="with events, skip running each replication again without them (same seed) to measure "
        "each event's impact (summary events.<id>); halves the work, and no event metrics are written",
    )


def _event_options(texts: list) -> list:
    """The --event texts as Overrides whose errors name the --event option (the API, given
    plain texts, names its events[i] argument instead)."""
    return [event_override(t, flag="--event") for t in texts]


def _add_event_option(command: argparse.ArgumentParser, help_text: str) -> None:
    """--event KIND:TARGET:WHEN[,KEY=VALUE...] (repeatable)."""
    command.add_argument(
        "--event", dest="events", action="append", default=[], metavar="KIND:TARGET:WHEN", help=help_text
    )


def _add_figure_options(command: argparse.ArgumentParser) -> None:
    """--format, --marey and --no-plot, shared by run and compare."""
    command.add_argument("--format", choices=FORMATS, default="png", help="figure file format (default: png)")
    command.add_argument("--marey", metavar="ROUTE", help=MAREY_HELP)
    command.add_argument("--marey-window", metavar="START:DAYS", help=MAREY_WINDOW_HELP)
    command.add_argument("--no-plot", action="store_true", help="skip the figures (report.html keeps its tables)")
    command.add_argument(
        "--containers", choices=CONTAINER_FORMATS, default="csv",
        help="the per-container file: containers.csv.gz, containers.parquet (needs pyarrow) or none (default: csv)",
    )


def _add_run_options(command: argparse.ArgumentParser, default_out: str) -> None:
    """-n, --seed, --workers and --out, shared by the commands that run replications."""
    command.add_argument(
        "-n", "--replications", type=_bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
        help="independent replications (default: the scenario's run.replications)",
    )
    command.add_argument(
        "--seed", type=_bounded_int("seed", 0, 2**63 - 1), metavar="S",
        help="base seed; replication i uses stream i of it (default: the scenario's run.seed)",
    )
    command.add_argument(
        "--workers", type=_bounded_int("workers", 1, MAX_WORKERS), default=1, metavar="W",
        help="processes to run replications in; results are identical for any W (default: 1)",
    )
    command.add_argument("--out", type=Path, metavar="DIR", help=f"results folder (default: {default_out})")
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")


OTHER_OUT = ", or write elsewhere with --out DIR"  # the way out of a locked folder for the commands that write one
MESSAGE_LIMIT = 400  # characters of a message line; a 100,000-character id is not echoed whole


def one_line(text: str) -> str:
    """A message as one printable line: control characters escaped, length capped."""
    shown = printable(str(text))
    return shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 3] + "..."


def _say(kind: str, text: str) -> None:
    sys.stderr.write(f"routesim: {kind}: {one_line(text)}\n")


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM and SIGHUP end a run like Ctrl-C: temporary files are removed on the way out."""
    raise Interrupted(signum)


@contextlib.contextmanager
def _signal_handlers() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Interrupted for the length of a command (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    old = {name: signal.signal(getattr(signal, name), _terminate) for name in names}
    try:
        yield
    finally:
        for name, handler in old.items():
            signal.signal(getattr(signal, name), handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``routesim`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _signal_handlers():
            return args.handler(args)
    except RoutesimError as exc:
        _say("error", str(exc))
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        written = getattr(exc, "written", None) or getattr(args, "written", None)
        if written:
            where = f"results were written to {written} and are complete"
        elif getattr(args, "previous", None):
            where = f"no results written; the previous results in {args.previous} are unchanged"
        else:
            where = "no results written"
        _say(f"interrupted ({signal.Signals(signum).name})", where)
        return 128 + signum
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; the results are already written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# ---------------------------------------------------------------------------------------
# routesim run


def cmd_run(args: argparse.Namespace) -> int:
    """Load, run, write the results folder (figures, report), print the tables."""
    if args.metrics:
        if args.scenario is not None or args.overrides:
            given = f"SCENARIO {args.scenario}" if args.scenario is not None else "--set"
            raise UsageError(
                f"run --metrics lists the metrics and runs nothing, so it takes no {given}: "
                "use 'routesim run --metrics' alone, or run the scenario without --metrics"
            )
        print(metrics_listing(vocabulary()))
        return 0
    if args.scenario is None:
        raise UsageError("run needs a SCENARIO (a bundled name such as china_europe_2020, or a .toml file)")
    check_containers(args.containers)
    args.events = _event_options(args.events)
    scenario = api.load(args.scenario, args.overrides, args.events)
    _scenario_warnings(scenario)
    _worker_note(args)
    check_figure_format(args.format)
    check_marey_route(args.marey, [list(scenario.routes)])
    check_marey_window(args.marey_window)
    out = args.out if args.out is not None else Path("results") / scenario.settings.name
    check_out_dir(out)
    args.previous = out if read_manifest(out) else None
    reps = args.replications or scenario.settings.replications
    impact = not args.no_impact
    _impact_note(args, [scenario], impact)
    with folder_lock(out, retry=OTHER_OUT):
        run = api.run(scenario, reps, args.seed, args.workers, progress=_progress_bar(args, reps, scenario.settings.name),
                      impact=impact)
        _status(args, "writing results, figures and report.html ...")
        # Recorded the moment the folder is in place: a signal from here on (releasing the
        # lock, printing the tables) reports the results as written, not the old ones as kept.
        args.written = run.write(out, figures=not args.no_plot, fmt=args.format, marey=args.marey, containers=args.containers,
                                 marey_window=args.marey_window)
    summary = run.summary.to_dict()
    for warning in run_warnings(summary):
        _say("warning", warning)
    if not args.quiet:
        _print_report(summary, out)
    return 0


def _impact_note(args: argparse.Namespace, scenarios: Sequence, impact: bool) -> None:
    """Say, before a long run, that events double the work (and how not to)."""
    with_events = [s for s in scenarios if api.measures_impact(s, impact)]
    if with_events and not args.quiet:
        ids = ", ".join(dict.fromkeys(e.id for s in with_events for e in s.events))
        _say("note", f"events ({ids}): each replication also runs without them (same seed) to measure "
                     "their impact exactly; --no-impact skips that")


def _worker_note(args: argparse.Namespace) -> None:
    """--workers beyond the cores: say that fewer processes will run (results are the same)."""
    usable = usable_workers(args.workers)
    if args.workers > usable:
        _say("note", f"--workers {args.workers}: this machine gives routesim {usable} cores, so {usable} worker processes run")


def _scenario_warnings(scenario) -> None:
    """Suspicious but legal input, one line each, before the run starts."""
    for warning in scenario.warnings:
        _say("warning", f"{scenario.source}: {warning}")


def _status(args: argparse.Namespace, text: str) -> None:
    """A line of what is happening, on a terminal only (the slow steps after the runs)."""
    if not args.quiet and sys.stderr.isatty():
        sys.stderr.write(text + "\n")


def _progress_bar(args: argparse.Namespace, total: int, label: str):
    """A progress callback on a terminal (not with --quiet), else None."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return ProgressBar(total, sys.stderr, label=label).callback()


def cmd_compare(args: argparse.Namespace) -> int:
    """Run scenarios with common random numbers; write each run, the differences and figures."""
    check_containers(args.containers)
    args.events = _event_options(args.events)
    scenarios = [api.load(name, args.overrides, args.events) for name in args.scenarios]
    inputs = list(args.scenarios)
    vary = [parse_override(v, flag="--vary") for v in args.vary]
    vary += [event_override(v, flag="--vary-event") for v in args.vary_events]
    if vary:
        scenarios.append(api.load(scenarios[0], vary))
        inputs.append(inputs[0] + "".join(f" --vary {v}" for v in args.vary)
                      + "".join(f" --vary-event {v}" for v in args.vary_events))
    api.check_comparable(scenarios, inputs)
    for scn in scenarios[: len(args.scenarios)]:
        _scenario_warnings(scn)
    _worker_note(args)
    check_figure_format(args.format)
    check_marey_route(args.marey, [list(sc.routes) for sc in scenarios])
    check_marey_window(args.marey_window)
    routes = _route_filter(args.routes, scenarios)
    reps = args.replications or scenarios[0].settings.replications
    out = args.out if args.out is not None else api.default_folder(api.labels_for(scenarios))
    check_out_dir(out)
    args.previous = out if read_manifest(out) else None
    bar = _progress_bar(args, reps * len(scenarios), "compare")
    impact = not args.no_impact
    _impact_note(args, scenarios, impact)
    with folder_lock(out, retry=OTHER_OUT):
        comparison = api.compare(
            *args.scenarios, replications=reps, seed=args.seed, workers=args.workers, overrides=args.overrides,
            vary=vary or None, progress=bar, events=args.events, impact=impact,
        )
        _status(args, "writing results, figures and report.html ...")
        args.written = comparison.write(
            out, figures=not args.no_plot, fmt=args.format, marey=args.marey, containers=args.containers,
            marey_window=args.marey_window,
        )
    for label, r in zip(comparison.labels, comparison.runs):
        for warning in run_warnings(r.summary.to_dict()):
            _say("warning", f"{label}: {warning}")
    if not args.quiet:
        print(comparison_text(comparison.document, routes))
        # An arm whose events no other arm has (--vary-event): their impact in its own run.
        shared = set.intersection(*(set(r.summary.to_dict().get("events", {})) for r in comparison.runs))
        for label, r in zip(comparison.labels, comparison.runs):
            summary = r.summary.to_dict()
            own = {k: v for k, v in summary.get("events", {}).items() if k not in shared and "containers_affected" in v}
            if own:
                print()
                print(f"{label}: events (impact against the same replications without events):")
                print(events_table({**summary, "events": own}))
        print()
        print(f"results: {out}/")
    return 0


def _route_filter(text: str | None, scenarios: Sequence) -> list[str] | None:
    """--routes ID,ID: route ids the baseline has, checked before anything runs."""
    if text is None:
        return None
    known = list(scenarios[0].routes)
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise UsageError("--routes: give route ids separated by commas")
    for ident in ids:
        if ident not in known:
            raise UsageError("--routes: " + unknown_key_message(ident, known, what="route"))
    return ids


def cmd_plot(args: argparse.Namespace) -> int:
    """Re-draw the figures and report of a results folder from its files."""
    drawn = redraw(args.folder, args.format, args.marey, check_marey_window(args.marey_window))
    if not args.quiet:
        for path in drawn:
            print(path)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print each bundled scenario (or the one given) with its routes and flows, or its nodes."""
    names = [args.scenario] if args.scenario else bundled_names()
    if not names:
        raise UsageError("no bundled scenarios found (is the package installed whole?)")
    show = node_listing if args.nodes else scenario_listing
    print("\n\n".join(show(load_scenario(name)) for name in names))
    return 0


def cmd_options(args: argparse.Namespace) -> int:
    """Print every door-to-door option between two nodes, priced for the cargo given."""
    scenario = api.load(args.scenario, args.overrides)
    reps = args.replications or scenario.settings.replications
    answer = api.options(
        args.origin, args.destination, scenario, cargo_class=args.cargo_class, value_usd_per_kg=args.value_usd_per_kg,
        tonnes_per_teu=args.tonnes_per_teu, time_cost_per_day=args.time_cost_per_day, replications=reps,
        seed=args.seed, workers=args.workers,
        progress=_progress_bar(args, reps * api.simulations(scenario), scenario.settings.name),
    )
    print(options_text(answer))
    return 0


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
        _say("note", note)
    workers = args.workers or usable_workers(os.cpu_count() or 1)
    p = plan(spec)
    _scenario_warnings(p.scenario)
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
            _say("note", f"{points_note(p)} {where}" + (f"; {kept} already finished" if kept else ""))
        bar = None if args.quiet or not sys.stderr.isatty() else ProgressBar(len(p.distinct()), sys.stderr, label="points")
        progress = None if bar is None else (lambda done, total: _advance(bar, done))
        try:
            result = execute(p, store, executor, workers, args.scheduler, progress, stored)
        except KeyboardInterrupt:
            store.remove_if_empty()
            kept = len(store.load(set(p.keys))) if store.folder.exists() else 0
            _say("note", f"{kept} of {len(p.distinct())} points finished and kept in {store.folder}; "
                         "run the same command with --resume to go on from there")
            raise
        _status(args, "writing the table, indices, figures and report.html ...")
        args.written = write_sweep(result, out, figures=not args.no_plot)
        store.remove()
    if not args.quiet:
        print(sweep_text(sweep_document(result), str(out)))
    return 0


def _advance(bar: ProgressBar, done: int) -> None:
    """Move the bar to ``done`` points (points kept from before count at once)."""
    if done > bar.done:
        bar.advance(done - bar.done)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run a claims file's scenarios, evaluate its claims, write and print them."""
    out = args.out if args.out is not None else Path("results") / "validation"
    check_out_dir(out)
    # The progress bar needs the number of runs before they start.
    claims = load_claims(api.claims_path(args.claims))
    replications = args.replications or api.load(scenario_ref(claims, "current")).settings.replications
    progress = _progress_bar(args, len(claims.scenarios) * replications, "validate")
    args.previous = out if read_manifest(out) else None
    with folder_lock(out, retry=OTHER_OUT):
        result = api.validate(args.claims, replications, args.seed, args.workers, args.overrides, progress=progress)
        args.written = result.write(out, figure=not args.no_plot)
    if not args.quiet:
        print(validation_text(result.report))
        print()
        print(f"results: {out}/")
    return 0 if result.passed else 1


def _print_report(summary: dict, out: Path) -> None:
    print(
        f"{summary['scenario']}: {counted(summary['replications'], 'replication')}, seed {summary['seed']}, "
        f"measured days {summary['warmup_days']:g}–{summary['horizon_days']:g}"
    )
    print()
    print(routes_table(summary))
    if any(n["servers"] for n in summary["nodes"].values()):
        print()
        print(nodes_table(summary))
    if fleet_rows(summary):
        print()
        print("fleets (services whose vehicles come back):")
        print(fleets_table(summary))
    if shared_rows(summary):
        print()
        print("shared services (several routes, or background load, on one vehicle):")
        print(shared_table(summary))
    if summary.get("flows"):
        print()
        print("flows (origin–destination cargo choosing among its options):")
        print(flows_table(summary))
    if summary.get("events"):
        print()
        measured = any("containers_affected" in e for e in summary["events"].values())
        print("events (impact against the same replications without events):" if measured
              else "events (impact not measured: --no-impact):")
        print(events_table(summary))
    print()
    print(f"results: {out}/")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
