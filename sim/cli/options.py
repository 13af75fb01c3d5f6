"""The command line's shared options and argument types (one place for each flag's meaning)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim import api
from sim.model.event_text import event_override
from sim.output.containers import FORMATS as CONTAINER_FORMATS
from sim.report.draw import FORMATS

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


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (exit 2) instead of usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def bounded_int(name: str, minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got '{text}'") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    return parse


def add_set_option(command: argparse.ArgumentParser, help_text: str) -> None:
    """--set PATH=VALUE (repeatable)."""
    command.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=help_text
    )


def add_impact_option(command: argparse.ArgumentParser) -> None:
    """--no-impact: skip the runs without events that measure each event's impact."""
    command.add_argument(
        "--no-impact", action="store_true",
        help="with events, skip running each replication again without them (same seed) to measure "
        "each event's impact (summary events.<id>); halves the work, and no event metrics are written",
    )


def event_options(texts: list) -> list:
    """The --event texts as Overrides whose errors name the --event option (the API, given
    plain texts, names its events[i] argument instead)."""
    return [event_override(t, flag="--event") for t in texts]


def add_event_option(command: argparse.ArgumentParser, help_text: str) -> None:
    """--event KIND:TARGET:WHEN[,KEY=VALUE...] (repeatable)."""
    command.add_argument(
        "--event", dest="events", action="append", default=[], metavar="KIND:TARGET:WHEN", help=help_text
    )


def add_figure_options(command: argparse.ArgumentParser) -> None:
    """--format, --marey and --no-plot, shared by run and compare."""
    command.add_argument("--format", choices=FORMATS, default="png", help="figure file format (default: png)")
    command.add_argument("--marey", metavar="ROUTE", help=MAREY_HELP)
    command.add_argument("--marey-window", metavar="START:DAYS", help=MAREY_WINDOW_HELP)
    command.add_argument("--no-plot", action="store_true", help="skip the figures (report.html keeps its tables)")
    command.add_argument(
        "--containers", choices=CONTAINER_FORMATS, default="csv",
        help="the per-container file: containers.csv.gz, containers.parquet (needs pyarrow) or none (default: csv)",
    )


def add_run_options(command: argparse.ArgumentParser, default_out: str) -> None:
    """-n, --seed, --workers and --out, shared by the commands that run replications."""
    command.add_argument(
        "-n", "--replications", type=bounded_int("replications", 1, MAX_REPLICATIONS), metavar="N",
        help="independent replications (default: the scenario's run.replications)",
    )
    command.add_argument(
        "--seed", type=bounded_int("seed", 0, 2**63 - 1), metavar="S",
        help="base seed; replication i uses stream i of it (default: the scenario's run.seed)",
    )
    command.add_argument(
        "--workers", type=bounded_int("workers", 1, MAX_WORKERS), default=1, metavar="W",
        help="processes to run replications in; results are identical for any W (default: 1)",
    )
    command.add_argument("--out", type=Path, metavar="DIR", help=f"results folder (default: {default_out})")
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
