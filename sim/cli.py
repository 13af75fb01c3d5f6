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


from sim import __version__
from sim.model.errors import RoutesimError, UsageError
from sim.analysis.comparison import (
    Arm,
    check_comparable,
    comparison_document,
    comparison_text,
    folder_name,
    labels_for,
)
from sim.report.draw import FORMATS, check_marey_route, draw, redraw
from sim.engine.replications import run_experiment
from sim.output.containers import FORMATS as CONTAINER_FORMATS, check_format as check_containers
from sim.output.figure_data import RESULTS_FORMAT, read_run
from sim.model.loader import bundled_names, load_scenario
from sim.output.run_files import run_files, run_summary
from sim.model.overrides import parse_override
from sim.report.progress import ProgressBar
from sim.output.files import (
    COMPARISON,
    VALIDATION,
    check_out_dir,
    default_out_dir,
    folder_writer,
    summary_writer,
    write_results,
)
from sim.report.tables import nodes_table, routes_table, scenario_listing, validation_text
from sim.analysis.validation import BASELINE, PREVIOUS_YEAR, Runs, validate, validation_report

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


COMPARE_EXAMPLES = """\
examples:
  routesim compare china_europe_2019 china_europe_2020
  routesim compare china_europe_2020 my_variant.toml -n 10 --workers 2
  routesim plot results/compare_china_europe_2019_vs_china_europe_2020 --format svg
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
        description="Run a scenario's replications and write summary, tables, figures and report.html.",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("scenario", metavar="SCENARIO", help="a bundled scenario name (e.g. china_europe_2020) or a .toml file")
    _add_run_options(run, default_out="results/<scenario name>/")
    _add_set_option(run, "change one scenario parameter (repeatable), e.g. --set nodes.dostyk.servers=4")
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
        help="two or more bundled scenario names or .toml files; the first is the baseline",
    )
    _add_run_options(compare, default_out="results/compare_<A>_vs_<B>/")
    _add_set_option(compare, "change one parameter in every scenario (repeatable)")
    _add_figure_options(compare)
    compare.set_defaults(handler=cmd_compare)
    plot = commands.add_parser(
        "plot",
        help="re-draw the figures and report of a results folder",
        description="Re-draw the figures and report.html of a run or comparison folder from its files, without running again.",
    )
    plot.add_argument("folder", metavar="RESULTS_DIR", type=Path, help="a folder written by routesim run or compare")
    plot.add_argument("--format", choices=FORMATS, default="png", help="figure file format (default: png)")
    plot.add_argument("--marey", metavar="ROUTE", help="the route of the time-space chart (default: the main rail route)")
    plot.add_argument("-q", "--quiet", action="store_true", help="do not list the files drawn")
    plot.set_defaults(handler=cmd_plot)
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
    _add_set_option(check, "change one parameter in both scenarios (repeatable), e.g. --set nodes.dostyk.servers=4")
    check.add_argument("--no-plot", action="store_true", help=f"skip {VALIDATION_PNG}")
    check.set_defaults(handler=cmd_validate)
    return parser


def _add_set_option(command: argparse.ArgumentParser, help_text: str) -> None:
    """--set PATH=VALUE (repeatable)."""
    command.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=help_text
    )


def _add_figure_options(command: argparse.ArgumentParser) -> None:
    """--format, --marey and --no-plot, shared by run and compare."""
    command.add_argument("--format", choices=FORMATS, default="png", help="figure file format (default: png)")
    command.add_argument(
        "--marey", metavar="ROUTE", help="the route of the time-space chart (default: the main rail route)"
    )
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
    """Load, run, summarize, write files, draw figures and the report, print."""
    check_containers(args.containers)
    overrides = [parse_override(text) for text in args.overrides]
    scenario = load_scenario(args.scenario, overrides)
    check_marey_route(args.marey, [list(scenario.routes)])
    settings = scenario.settings
    replications = args.replications or settings.replications
    seed = settings.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else default_out_dir(scenario)
    check_out_dir(out)
    bar = _progress_bar(args, replications, settings.name)
    results = run_experiment(scenario, replications, seed, workers=args.workers, progress=bar)
    summary = run_summary(scenario, results, seed, args.overrides)
    _status(args, "writing results, figures and report.html ...")

    def finish(folder: Path) -> None:
        draw(folder, [read_run(folder)], args.format, args.marey, figures=not args.no_plot)

    write_results(out, run_files(scenario, results, summary, args.overrides, args.containers), finish)
    args.written = out
    for warning in _warnings(summary):
        sys.stderr.write(f"routesim: warning: {warning}\n")
    if not args.quiet:
        _print_report(summary, out)
    return 0


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
    overrides = [parse_override(text) for text in args.overrides]
    scenarios = [load_scenario(name, overrides) for name in args.scenarios]
    check_comparable(scenarios, args.scenarios)
    check_marey_route(args.marey, [list(sc.routes) for sc in scenarios])
    base = scenarios[0].settings
    replications = args.replications or base.replications
    seed = base.seed if args.seed is None else args.seed
    labels = labels_for(scenarios)
    out = args.out if args.out is not None else Path("results") / ("compare_" + "_vs_".join(labels))
    check_out_dir(out)
    bar = _progress_bar(args, replications * len(scenarios), "compare")
    arms = [
        Arm(label, sc, run_experiment(sc, replications, seed, workers=args.workers, progress=bar))
        for label, sc in zip(labels, scenarios)
    ]
    summaries = [run_summary(a.scenario, a.results, seed, args.overrides) for a in arms]
    folders = [folder_name(i, a.label) for i, a in enumerate(arms)]
    document = comparison_document(arms, summaries, folders, args.scenarios, seed, args.overrides)
    document["routesim_version"] = __version__
    document["results_format"] = RESULTS_FORMAT
    writers = {
        folder: folder_writer(run_files(a.scenario, a.results, summary, args.overrides, args.containers))
        for folder, a, summary in zip(folders, arms, summaries)
    }
    writers[COMPARISON] = summary_writer(document)
    _status(args, "writing results, figures and report.html ...")

    def finish(folder: Path) -> None:
        runs = [read_run(folder / name) for name in folders]
        draw(folder, runs, args.format, args.marey, document, figures=not args.no_plot)

    write_results(out, writers, finish)
    args.written = out
    for label, summary in zip(labels, summaries):
        for warning in _warnings(summary):
            sys.stderr.write(f"routesim: warning: {label}: {warning}\n")
    if not args.quiet:
        print(comparison_text(document))
        print()
        print(f"results: {out}/")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """Re-draw the figures and report of a results folder from its files."""
    drawn = redraw(args.folder, args.format, args.marey)
    if not args.quiet:
        for path in drawn:
            print(path)
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
    progress = _progress_bar(args, 2 * replications, "validate")
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
        from sim.viz.save import save
        from sim.viz.validation_figure import validation_figure

        title = (
            f"routesim {report['routesim_version']} against the founding article "
            f"({report['replications']} replications, seed {report['seed']})"
        )
        save(validation_figure(report["claims"], title), path)

    return write


def _warnings(summary: dict) -> list[str]:
    out = []
    for rid, r in summary["routes"].items():
        if r.get("saturated"):
            share = r["delivered_share_of_demand"]["mean"]
            growth = r["backlog_growth_per_day"]["mean"]
            factors = {sid: lf["mean"] for sid, lf in r["load_factor"].items() if lf["mean"] is not None}
            fullest = max(factors, key=factors.get) if factors else None
            full = f"; {fullest} leaves {factors[fullest]:.0%} full" if fullest else ""
            out.append(
                f"route {rid}: saturated: it delivered {share:.0%} of its demand in the measured "
                f"window and its backlog grew by {growth:,.1f} units a day{full}; its capacity, "
                "not its transit time, limits it (transit statistics cover only what got through)"
            )
            continue
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
