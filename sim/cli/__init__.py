"""The ``routesim`` command line: the only package that prints or exits.

Every expected failure (bad scenario, bad argument, unusable output folder) is a
RoutesimError and becomes one line on stderr with exit status 2, never a traceback.
Its modules: parser (the sub-commands and their help), options (the shared flags),
say (messages, notes, progress), commands (run, compare, plot, list, options, validate)
and sweep.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from sim.model.errors import Interrupted, RoutesimError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see _signal_handlers)
if TYPE_CHECKING:
    import argparse
    from typing import Sequence

__all__ = ["build_parser", "main"]


# The stopping signals received during the command.  An interrupt raised where Python only
# prints exceptions (a weak reference's callback inside matplotlib, a __del__) is lost, and
# the work it broke then fails with an error of its own: that error is the interrupt's.
_received: list[int] = []


def _lost(unraisable: object) -> None:
    """sys.unraisablehook for a command: an interrupt raised where Python could only print
    it is noted in ``_received`` already and is reported by ``main`` in its one line, so
    its traceback is not printed; anything else goes to the hook that was in place."""
    if isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt) and _received:
        return
    _previous_hook(unraisable)


_previous_hook = sys.unraisablehook


def _terminate(signum: int, frame: object) -> None:
    """Ctrl-C, SIGTERM and SIGHUP end a command alike: temporary files are removed on the way out."""
    _received.append(signum)
    raise Interrupted(signum)


class _signal_handlers:
    """Ctrl-C, SIGTERM and SIGHUP raise Interrupted for the length of a command (main thread
    only); a Ctrl-C the caller has taken over (not Python's default handler) is left to it.
    An interrupt Python can only print (see _lost) is not printed: main reports it.
    A class, not a contextlib generator: this module loads before the handlers are in
    place, so it imports as little as it can (no contextlib, no typing)."""

    def __enter__(self) -> None:
        global _previous_hook
        self._old: dict[str, object] = {}
        if threading.current_thread() is not threading.main_thread():
            return
        _previous_hook, sys.unraisablehook = sys.unraisablehook, _lost
        names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            names.append("SIGINT")
        self._old = {name: signal.signal(getattr(signal, name), _terminate) for name in names}

    def __exit__(self, *exc: object) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for name, handler in self._old.items():
            signal.signal(getattr(signal, name), handler)
        sys.unraisablehook = _previous_hook


def build_parser() -> "argparse.ArgumentParser":
    """The parser of every sub-command (imported on first use: it brings in the whole model)."""
    from sim.cli.parser import build_parser as build

    return build()


def main(argv: Sequence[str] | None = None, *, freeze_imports: bool = False) -> int:
    """Entry point of the ``routesim`` console script; returns the exit status.

    ``freeze_imports`` (the console script) keeps what the imports left, modules and classes
    that live as long as the process, out of the cyclic collector's passes for the command."""
    _received.clear()
    args = None
    try:
        # The handlers come first: the imports behind the parser take a few tenths of a
        # second, and a Ctrl-C during them is an interrupt like any other, not a traceback.
        with _signal_handlers():
            args = build_parser().parse_args(argv)
            if not freeze_imports:
                code = args.handler(args)
            else:
                from sim.output.background import long_lived_frozen

                with long_lived_frozen():
                    code = args.handler(args)
        if _received and code == 0:  # lost where Python only prints it, yet the user asked to stop
            return _interrupted(args, Interrupted(_received[0]))
        return code
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
            from sim.cli.say import say

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
    _say(f"interrupted ({signal.Signals(signum).name})", where)
    return 128 + signum


def _say(kind: str, text: str) -> None:
    """say(), or the plain line when the interrupt came before (or during) the imports behind it."""
    try:
        from sim.cli.say import say
    except BaseException:  # noqa: BLE001 - a second Ctrl-C mid-import: the line still goes out
        sys.stderr.write(f"routesim: {kind}: {text}\n")
        return
    say(kind, text)


def run(argv: Sequence[str] | None = None) -> None:
    """The ``routesim`` console script and ``python -m sim``: ``main`` (on ``argv``, default
    the command line), then exit with its status.  Once it has returned every file is in place, so a Ctrl-C or SIGTERM during the
    interpreter's last moments (freeing a run's arrays takes a few tenths of a second) is
    ignored instead of killing the process without a word."""
    code = main(argv, freeze_imports=True)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
