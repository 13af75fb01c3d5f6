"""Crash safety: a run interrupted (Ctrl-C) or killed leaves the previous results whole or
none, never a half-written folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs routesim in a subprocess

ARGS = ["run", "china_europe_2020", "-n", "2", "--set", "run.horizon_days=200", "--no-plot"]


def _start(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *ARGS, *extra, "--out", str(out), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell's background job ignores SIGINT, and a child inherits that: restore the
        # default so Ctrl-C reaches the run wherever pytest itself was started.
        preexec_fn=_default_signals,
    )


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _wait_for(condition, proc: subprocess.Popen, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            pytest.fail("the run ended before the moment to interrupt it")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the moment to interrupt never came")
        time.sleep(0.01)


def _partial(out: Path) -> list[Path]:
    return list(out.parent.glob(f".{out.name}.partial-*"))


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A complete results folder, as a user has from an earlier run."""
    out = tmp_path_factory.mktemp("crash") / "res"
    done = subprocess.run([sys.executable, "-m", "sim", *ARGS, "--out", str(out), "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out, _files(out)


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(".")]


def test_ctrl_c_while_simulating_writes_nothing(tmp_path):
    out = tmp_path / "res"
    proc = _start(out, "-n", "8")
    time.sleep(1.5)  # inside the replications: eight of them take several seconds
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["routesim: interrupted (SIGINT): no results written"]
    assert not out.exists() and _leftovers(out) == []


def test_ctrl_c_while_writing_keeps_the_previous_results(previous):
    out, before = previous
    proc = _start(out)
    _wait_for(lambda: bool(_partial(out)), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert _files(out) == before
    assert _leftovers(out) == []


def test_kill_while_writing_keeps_the_previous_results_and_the_next_run_succeeds(previous):
    out, before = previous
    proc = _start(out)
    _wait_for(lambda: bool(_partial(out)), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _files(out) == before  # the old folder is only ever replaced whole
    # A killed process cannot clean up: its hidden temporary folder may remain, and must
    # not stop the next run.
    assert all(name.startswith(f".{out.name}.") for name in _leftovers(out))
    again = subprocess.run([sys.executable, "-m", "sim", *ARGS, "--out", str(out), "-q"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert _files(out) == before  # same seed, same files


# Sends the signal from inside the first import of numpy, which only the command's own
# imports (behind its parser) make: the console script's module must load without it.
EARLY = """
import os, signal, sys
import sim.cli
assert "numpy" not in sys.modules, "importing sim.cli imports numpy"
class SignalAtNumpy:
    sent = False
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not self.sent:
            self.sent = True
            os.kill(os.getpid(), int(sys.argv[1]))
        return None
sys.meta_path.insert(0, SignalAtNumpy())
sim.cli.run(["list"])
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_imports_is_one_line_and_its_exit_status(signum: int) -> None:
    """Ctrl-C in the first tenths of a second, while numpy and the model load, ends the
    command like a Ctrl-C anywhere else: one line and 130 (143 for SIGTERM), no traceback."""
    done = subprocess.run([sys.executable, "-c", EARLY, str(int(signum))], capture_output=True, text=True,
                          preexec_fn=_default_signals, timeout=120)
    name = signal.Signals(signum).name
    assert done.stderr == f"routesim: interrupted ({name}): no results written\n"
    assert done.returncode == 128 + signum
    assert done.stdout == ""  # list printed nothing: it never started


def test_a_signal_after_the_command_has_finished_is_ignored_not_fatal(monkeypatch) -> None:
    """The console script's run(): once main() has returned (every file in place), a late
    Ctrl-C or SIGTERM during interpreter shutdown no longer kills the process silently."""
    import sim.cli as cli

    monkeypatch.setattr(cli, "main", lambda argv=None, **_: 0)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(SystemExit) as done:
            cli.run()
        assert done.value.code == 0
        assert all(signal.getsignal(s) is signal.SIG_IGN for s in saved)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _losing_an_interrupt(monkeypatch, then):
    """sim.cli with every command's handler replaced: a Ctrl-C is delivered inside a weak
    reference's callback (as in matplotlib), where Python only prints it, then ``then(args)``."""
    import weakref

    import sim.cli as cli

    class Thing:
        pass

    def handler(args) -> int:
        thing = Thing()
        ref = weakref.ref(thing, lambda _: os.kill(os.getpid(), signal.SIGINT))  # delivered inside the callback
        del thing
        assert ref() is None
        return then(args)

    parser = cli.build_parser()
    real = parser.parse_args
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv: (lambda a: (setattr(a, "handler", handler), a)[1])(real(argv)))
    return cli


def test_an_error_that_follows_a_lost_interrupt_is_reported_as_the_interrupt(monkeypatch, capsys) -> None:
    """What the lost interrupt broke fails next: the command says it was interrupted and
    exits 130, not that the folder is damaged."""
    from sim.model.errors import UsageError

    def fail(args) -> int:
        raise UsageError("folder: cannot be re-drawn (ValueError: Invalid bounding box)")

    cli = _losing_an_interrupt(monkeypatch, fail)
    assert cli.main(["list"]) == 130
    err = capsys.readouterr().err
    assert "interrupted (SIGINT): no results written" in err and "cannot be re-drawn" not in err
    monkeypatch.undo()
    assert cli.main(["list"]) == 0  # the next command starts afresh


def test_a_command_that_finishes_after_a_lost_interrupt_still_says_it_was_interrupted(monkeypatch, capsys) -> None:
    """The user asked to stop; the work went on to the end regardless: exit 130, and the
    line says the results are complete (a script must not take the run for an untouched one)."""

    def finish(args) -> int:
        args.written = "results/done"
        return 0

    cli = _losing_an_interrupt(monkeypatch, finish)
    assert cli.main(["list"]) == 130
    assert capsys.readouterr().err.endswith(
        "routesim: interrupted (SIGINT): results were written to results/done and are complete\n")


# The console script with a command whose Ctrl-C is delivered inside a weak reference's
# callback: Python cannot raise it there and would print its traceback ("Exception ignored").
LOST = """
import os, signal, sys, weakref
import sim.cli as cli
class Thing:
    pass
def finish(args):
    thing = Thing()
    ref = weakref.ref(thing, lambda _: os.kill(os.getpid(), signal.SIGINT))
    del thing
    args.written = "results/done"
    return 0
parser = cli.build_parser()
real = parser.parse_args
cli.build_parser = lambda: parser
parser.parse_args = lambda argv: (lambda a: (setattr(a, "handler", finish), a)[1])(real(argv))
cli.run(["list"])
"""


def test_a_lost_interrupt_prints_one_line_not_the_traceback_python_would() -> None:
    """Where Python can only print an interrupt (a callback, a __del__), routesim's line is
    the only output: no "Exception ignored" traceback before it."""
    done = subprocess.run([sys.executable, "-c", LOST], capture_output=True, text=True,
                          preexec_fn=_default_signals, timeout=120)
    assert done.stderr == "routesim: interrupted (SIGINT): results were written to results/done and are complete\n"
    assert done.returncode == 130


def test_errors_python_can_only_print_are_still_printed_during_a_command(monkeypatch, capsys) -> None:
    """Only a noted interrupt is kept quiet: any other exception in a callback still reaches
    the hook that was in place (here pytest's), and the hook is restored after the command."""
    import weakref

    import sim.cli as cli

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))

    class Thing:
        pass

    def handler(args) -> int:
        thing = Thing()
        ref = weakref.ref(thing, lambda _: 1 / 0)
        del thing
        assert ref() is None
        return 0

    parser = cli.build_parser()
    real = parser.parse_args
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv: (lambda a: (setattr(a, "handler", handler), a)[1])(real(argv)))
    assert cli.main(["list"]) == 0
    assert seen == [ZeroDivisionError]
    assert sys.unraisablehook is not cli._lost
