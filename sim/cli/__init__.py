"""The ``routesim`` command line: the only package that prints or exits.

Every expected failure (bad scenario, bad argument, unusable output folder) is a
RoutesimError and becomes one line on stderr with exit status 2, never a traceback.
Its modules: parser (the sub-commands and their help), options (the shared flags),
say (messages, notes, progress), commands (run, compare, plot, list, options, validate)
and sweep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Iterator, Sequence

from sim.cli.parser import build_parser
from sim.cli.say import say
from sim.output.background import long_lived_frozen
from sim.model.errors import Interrupted, RoutesimError

__all__ = ["build_parser", "main"]


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
        say("error", str(exc))
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
        say(f"interrupted ({signal.Signals(signum).name})", where)
        return 128 + signum
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; the results are already written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run(argv: Sequence[str] | None = None) -> None:
    """The ``routesim`` console script and ``python -m sim``: ``main`` (on ``argv``, default
    the command line), then exit with its status.  Once it has returned every file is in place, so a Ctrl-C or SIGTERM during the
    interpreter's last moments (freeing a run's arrays takes a few tenths of a second) is
    ignored instead of killing the process without a word."""
    # What the imports left (modules, classes) lives as long as the process.
    with long_lived_frozen():
        code = main(argv)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
