"""What the command line says on stderr: one-line messages, notes, warnings, progress."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from sim import api
from sim.engine.replications import usable_workers
from sim.model.overrides import printable
from sim.report.progress import ProgressBar

OTHER_OUT = ", or write elsewhere with --out DIR"  # the way out of a locked folder for the commands that write one
MESSAGE_LIMIT = 400  # characters of a message line; a 100,000-character id is not echoed whole


def one_line(text: str) -> str:
    """A message as one printable line: control characters escaped, length capped."""
    shown = printable(str(text))
    return shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 3] + "..."


def say(kind: str, text: str) -> None:
    sys.stderr.write(f"routesim: {kind}: {one_line(text)}\n")


def impact_note(args: argparse.Namespace, scenarios: Sequence, impact: bool) -> None:
    """Say, before a long run, that events double the work (and how not to)."""
    with_events = [s for s in scenarios if api.measures_impact(s, impact)]
    if with_events and not args.quiet:
        ids = ", ".join(dict.fromkeys(e.id for s in with_events for e in s.events))
        say("note", f"events ({ids}): each replication also runs without them (same seed) to measure "
                     "their impact exactly; --no-impact skips that")


def worker_note(args: argparse.Namespace) -> None:
    """--workers beyond the cores: say that fewer processes will run (results are the same)."""
    usable = usable_workers(args.workers)
    if args.workers > usable and not args.quiet:  # a note, like the others: not with -q
        say("note", f"--workers {args.workers}: this machine gives routesim {usable} cores, so {usable} worker processes run")


def scenario_warnings(scenario) -> None:
    """Suspicious but legal input, one line each, before the run starts."""
    for warning in scenario.warnings:
        say("warning", f"{scenario.source}: {warning}")


def status(args: argparse.Namespace, text: str) -> None:
    """A line of what is happening, on a terminal only (the slow steps after the runs)."""
    if not args.quiet and sys.stderr.isatty():
        sys.stderr.write(text + "\n")


def progress_bar(args: argparse.Namespace, total: int, label: str):
    """A progress callback on a terminal (not with --quiet), else None."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return ProgressBar(total, sys.stderr, label=label).callback()
