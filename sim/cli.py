"""The ``routesim`` command line: the only module that prints or exits.

Every expected failure (bad scenario, bad argument, unusable output folder) is a
RoutesimError and becomes one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence


from . import __version__
from .errors import RoutesimError, UsageError
from .experiment import run_experiment
from .loader import bundled_names, load_scenario
from .overrides import parse_override
from .results_io import (
    CONTAINERS,
    NODE_MONTHS,
    NODES,
    ROUTES,
    SCENARIO,
    SUMMARY,
    VALIDATION,
    check_out_dir,
    containers_writer,
    default_out_dir,
    node_months_writer,
    nodes_writer,
    routes_writer,
    scenario_writer,
    summary_writer,
    write_results,
)
from .scenario import Scenario
from .statistics import pooled_transit, summarize
from .tables import nodes_table, routes_table, scenario_listing, validation_text
from .validation import BASELINE, PREVIOUS_YEAR, Runs, validate, validation_report

TRANSIT_PNG = "transit_times.png"
VALIDATION_PNG = "validation.png"
MAX_REPLICATIONS = 100_000
MAX_WORKERS = 1024

RUN_EXAMPLES = """\
examples:
  routesim run china_europe_2020
  routesim run china_europe_2020 -n 20 --seed 7 --workers 2
  routesim run china_europe_2020 --set nodes.dostyk.servers=4
  routesim run china_europe_2020 --set 'legs.kz_rail.speed_km_per_day={ dist = "triangular", min = 700, mode = 900, max = 1000 }'

--set PATH=VALUE: PATH is dotted; entries of [[nodes]], [[legs]], [[services]] and
[[routes]] are addressed by their id. VALUE is a TOML value (number, "string", true,
[array] or { inline table } for a distribution) and is checked like the file itself.
"""


VALIDATE_EXAMPLES = """\
examples:
  routesim validate
  routesim validate -n 10 --workers 2
  routesim validate --set nodes.dostyk.servers=2     (what if Dostyk lost capacity?)
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
        description="Run a scenario's replications and write summary, tables and a plot.",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("scenario", metavar="SCENARIO", help="a bundled scenario name (e.g. china_europe_2020) or a .toml file")
    _add_run_options(run, default_out="results/<scenario name>/")
    run.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="change one scenario parameter (repeatable), e.g. --set nodes.dostyk.servers=4",
    )
    run.add_argument("--no-plot", action="store_true", help=f"skip {TRANSIT_PNG}")
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    run.set_defaults(handler=cmd_run)
    listing = commands.add_parser(
        "list",
        help="show the bundled scenarios and their routes",
        description="Show every bundled scenario: its description and its routes.",
    )
    listing.set_defaults(handler=cmd_list)
    check = commands.add_parser(
        "validate",
        help="check the model against the founding article's claims",
        description=(
            f"Run {PREVIOUS_YEAR} and {BASELINE} with the same seed, measure each claim of the "
            "founding article in the simulation, and print claim, article value, simulated value "
            "with its 95% CI, tolerance and pass/fail.  Writes validation.json and "
            f"{VALIDATION_PNG}.  Exit status 0 only if every claim passes (1 if one fails)."
        ),
        epilog=VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_options(check, default_out="results/validation/")
    check.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
        help="change one parameter in both scenarios (repeatable), e.g. --set nodes.dostyk.servers=4",
    )
    check.add_argument("--no-plot", action="store_true", help=f"skip {VALIDATION_PNG}")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    check.set_defaults(handler=cmd_validate)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``routesim`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except RoutesimError as exc:
        sys.stderr.write(f"routesim: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        done = getattr(args, "written", None)
        where = f"results were written to {done}" if done else "no results written"
        sys.stderr.write(f"routesim: interrupted; {where}\n")
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; the results are already written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# ---------------------------------------------------------------------------------------
# routesim run


def cmd_run(args: argparse.Namespace) -> int:
    """Load, run, summarize, write, print."""
    overrides = [parse_override(text) for text in args.overrides]
    scenario = load_scenario(args.scenario, overrides)
    settings = scenario.settings
    replications = args.replications or settings.replications
    seed = settings.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else default_out_dir(scenario)
    check_out_dir(out)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress
    results = run_experiment(scenario, replications, seed, workers=args.workers, progress=progress)
    summary = summarize(scenario, results)
    summary["seed"] = seed
    summary["routesim_version"] = __version__
    summary["overrides"] = list(args.overrides)
    writers = {
        SUMMARY: summary_writer(summary),
        SCENARIO: scenario_writer(scenario, args.overrides),
        ROUTES: routes_writer(scenario, results),
        NODES: nodes_writer(scenario, results),
        NODE_MONTHS: node_months_writer(scenario, results),
        CONTAINERS: containers_writer(scenario, results),
    }
    if not args.no_plot:
        writers[TRANSIT_PNG] = _transit_png_writer(scenario, results, replications, seed)
    write_results(out, writers)
    args.written = out
    for warning in _warnings(summary):
        sys.stderr.write(f"routesim: warning: {warning}\n")
    if not args.quiet:
        _print_report(summary, out)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print each bundled scenario with its routes."""
    names = bundled_names()
    if not names:
        raise UsageError("no bundled scenarios found (is the package installed whole?)")
    print("\n\n".join(scenario_listing(load_scenario(name)) for name in names))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the validation scenarios, evaluate the article's claims, write and print them."""
    overrides = [parse_override(text) for text in args.overrides]
    current = load_scenario(BASELINE, overrides)
    previous = load_scenario(PREVIOUS_YEAR, overrides)
    replications = args.replications or current.settings.replications
    seed = current.settings.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else Path("results") / "validation"
    check_out_dir(out)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress
    runs = Runs(
        current,
        previous,
        run_experiment(current, replications, seed, workers=args.workers, progress=progress),
        run_experiment(previous, replications, seed, workers=args.workers, progress=progress),
    )
    outcomes = validate(runs)
    report = validation_report(runs, outcomes, seed, args.overrides)
    writers = {VALIDATION: summary_writer(report)}
    if not args.no_plot:
        writers[VALIDATION_PNG] = _validation_png_writer(report)
    write_results(out, writers)
    args.written = out
    if not args.quiet:
        print(validation_text(report))
        print()
        print(f"results: {out}/")
    return 0 if report["passed"] else 1


def _validation_png_writer(report: dict):
    def write(path: Path) -> None:
        from .plots import save, validation_figure

        title = (
            f"routesim {report['routesim_version']} against the founding article "
            f"({report['replications']} replications, seed {report['seed']})"
        )
        save(validation_figure(report["claims"], title), path)

    return write


def _transit_png_writer(scenario: Scenario, results, replications: int, seed: int):
    def write(path: Path) -> None:
        from .plots import save, transit_figure  # matplotlib loads only when a plot is drawn

        s = scenario.settings
        transit = {rid: pooled_transit(results, rid, s.warmup_days, s.horizon_days) for rid in scenario.routes}
        modes = {rid: r.mode for rid, r in scenario.routes.items()}
        plural = "s" if replications != 1 else ""
        title = f"{s.name}: transit time per route ({replications} replication{plural}, seed {seed})"
        save(transit_figure(transit, modes, title), path)

    return write


def _progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    sys.stderr.write(f"\rreplications {done}/{total}{end}")
    sys.stderr.flush()


def _warnings(summary: dict) -> list[str]:
    out = []
    for rid, r in summary["routes"].items():
        if r["containers_undelivered_at_end"]:
            out.append(
                f"route {rid}: {r['containers_undelivered_at_end']} counted containers were still "
                "undelivered when the run stopped; their transit is not in the statistics "
                "(raise run.cooldown_days, or the route is saturated)"
            )
    for nid, n in summary["nodes"].items():
        if n["utilization"] is not None and n["utilization"] > 0.95:
            out.append(f"node {nid}: utilization {n['utilization']:.0%}, close to saturation")
    return out


def _print_report(summary: dict, out: Path) -> None:
    print(
        f"{summary['scenario']}: {summary['replications']} replications, seed {summary['seed']}, "
        f"measured days {summary['warmup_days']:g}–{summary['horizon_days']:g}"
    )
    print()
    print(routes_table(summary))
    if any(n["servers"] for n in summary["nodes"].values()):
        print()
        print(nodes_table(summary))
    print()
    print(f"results: {out}/")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
