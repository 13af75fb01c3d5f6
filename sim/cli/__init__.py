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


# The stopping signals received during the command.  An interrupt raised where Python only
# prints exceptions (a weak reference's callback inside matplotlib, a __del__) is lost, and
# the work it broke then fails with an error of its own: that error is the interrupt's.
_received: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    """Ctrl-C, SIGTERM and SIGHUP end a command alike: temporary files are removed on the way out."""
    _received.append(signum)
    raise Interrupted(signum)


@contextlib.contextmanager
def _signal_handlers() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP raise Interrupted for the length of a command (main thread
    only); a Ctrl-C the caller has taken over (not Python's default handler) is left to it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        names.append("SIGINT")
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
    _received.clear()
    try:
        with _signal_handlers():
            return args.handler(args)
    except KeyboardInterrupt as exc:
        return _interrupted(args, exc)
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; the results are already written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if _received:  # the interrupt broke what then failed
            return _interrupted(args, Interrupted(_received[0]))
        if isinstance(exc, RoutesimError):
            say("error", str(exc))
            return 2
        raise


def _interrupted(args, exc: KeyboardInterrupt) -> int:
    """Say what an interrupt left behind; the exit status of that signal (130 for Ctrl-C)."""
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
