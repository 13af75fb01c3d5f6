"""The routesim argument parser: every sub-command, its help and examples."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import __version__
from sim import api
from sim.model.documents import DEFAULT_CLAIMS
from sim.cli.commands import cmd_compare, cmd_list, cmd_options, cmd_plot, cmd_run, cmd_validate
from sim.cli.options import (
    MAREY_HELP, MAREY_WINDOW_HELP, MAX_REPLICATIONS, MAX_WORKERS, VALIDATION_PNG, ArgumentParser, add_event_option,
    add_figure_options, add_impact_option, add_run_options, add_set_option, bounded_int,
)
from sim.cli.sweep import add_sweep_parser
from sim.model.event_text import EVENT_HELP
from sim.report.draw import FORMATS

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
    add_run_options(run, default_out="results/<scenario name>/")
    add_set_option(run, "change one scenario parameter (repeatable), e.g. --set nodes.dostyk.servers=4")
    add_event_option(run, "add one event (repeatable), e.g. --event closure:nodes.suez:2020-03-23+6 (see below)")
    add_impact_option(run)
    add_figure_options(run)
    run.set_defaults(handler=cmd_run)
    compare = commands.add_parser(
        "compare",
        help="run several scenarios with common random numbers and compare them",
        description=(
            "Run each scenario with the same seed (common random numbers: where scenarios share "
            "routes, legs and nodes they share random draws, so differences come from the "
            "scenarios, not the noise).  Writes each scenario's results, comparison.json with the "
            "differences against the first scenario (paired by replication, 95% CI), figures "
            "with every scenario, and report.html."
        ),
        epilog=COMPARE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO",
        help="two or more bundled scenario names or .toml files (the first is the baseline), or one with --vary",
    )
    add_run_options(compare, default_out="results/compare_<A>_vs_<B>/")
    add_set_option(compare, "change one parameter in every scenario (repeatable)")
    add_event_option(compare, "add one event to every scenario (repeatable; the forms of routesim run --help)")
    compare.add_argument(
        "--vary", action="append", default=[], metavar="PATH=VALUE",
        help="compare the first scenario with itself changed by PATH=VALUE (repeatable: all of them in one variant)",
    )
    compare.add_argument(
        "--vary-event", dest="vary_events", action="append", default=[], metavar="KIND:TARGET:WHEN",
        help="compare the first scenario with itself plus this event (the forms of --event; repeatable, "
        "all in one variant, with any --vary): paired CIs of the event's effect",
    )
    add_impact_option(compare)
    compare.add_argument(
        "--routes", metavar="ID,ID", help="print the differences of these routes only (the files hold all of them)",
    )
    add_figure_options(compare)
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
    opts.add_argument("-n", "--replications", type=bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
                      help="replications of the run that measures the times (default: the scenario's run.replications)")
    opts.add_argument("--seed", type=bounded_int("seed", 0, 2**63 - 1), metavar="S", help="base seed (default: the scenario's run.seed)")
    opts.add_argument("--workers", type=bounded_int("workers", 1, MAX_WORKERS), default=1, metavar="W",
                      help="processes to run replications in (default: 1)")
    opts.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_set_option(opts, "change one scenario parameter (repeatable)")
    opts.set_defaults(handler=cmd_options)
    add_sweep_parser(commands)
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
        help=f"a claims file (default: the bundled {DEFAULT_CLAIMS}, the founding article's claims)",
    )
    add_run_options(check, default_out="results/validation/")
    add_set_option(check, "change one parameter in every scenario of the claims file (repeatable), e.g. --set nodes.dostyk.servers=4")
    check.add_argument("--no-plot", action="store_true", help=f"skip {VALIDATION_PNG}")
    check.set_defaults(handler=cmd_validate)
    return parser
