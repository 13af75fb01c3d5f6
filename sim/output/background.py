"""Work that runs beside the main process while it writes the other files: a forked child.

A forked child sees the replications as they are in memory (nothing is pickled) and runs on
the other core even when its work holds the GIL (drawing figures), where a thread would
not.  The parent keeps no threads of its own, so forking stays safe.  Where fork does not
exist the work runs on a thread instead (numpy and zlib still release the GIL there).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
from typing import Any, Callable, Iterator

from sim.engine.children import become_child

CAN_FORK = "fork" in multiprocessing.get_all_start_methods()
_STOPPING = {s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None}


_frozen_depth = 0
_frozen_lock = threading.Lock()


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Leave the objects alive now out of the cyclic collector's passes for the length of the
    block (``gc.freeze``), then give them back to it; nested blocks give them back once.

    What is alive when a run starts writing or drawing (modules, the replications, matplotlib)
    outlives the block, yet every full collection walks all of it: a third of a second in
    drawing six figures.  In a forked child such a pass would also write to each object's
    header and so copy the parent's memory page by page.  Reference counting frees objects
    as before; only cyclic garbage among the frozen waits for the end of the block.  A
    program that has frozen objects of its own is left as it is: unfreezing would undo its freeze.
    """
    global _frozen_depth
    with _frozen_lock:
        if _frozen_depth == 0 and gc.get_freeze_count() > 0:  # the caller's own freeze
            owner = False
        else:
            owner = True
            gc.freeze()
            _frozen_depth += 1
    try:
        yield
    finally:
        if owner:
            with _frozen_lock:
                _frozen_depth -= 1
                if _frozen_depth == 0:
                    gc.unfreeze()


class Pending:
    """Work started in the background: wait for it (its value back, or its failure
    re-raised) or cancel it."""

    def __init__(self, task: Callable[[], Any], name: str) -> None:
        self.name = name
        self._error: str | None = None
        self._value: Any = None
        if CAN_FORK:
            ctx = multiprocessing.get_context("fork")
            self._pipe, child_end = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_child, args=(task, child_end, self._pipe, os.getpid()), name=name,
                                        daemon=True)
            # A Ctrl-C arriving during the fork would hit the interpreter's after-fork hooks,
            # which swallow it ("Exception ignored"): hold it until the child exists.
            self._thread = None
            # Held for SIGTERM and SIGHUP too: the child must not run the parent's handlers
            # before it has set its own (they would unwind it with a traceback).
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
            try:
                self._process.start()
                child_end.close()
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
                # A signal held back above is raised here, inside the try.
            except BaseException:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
                self.cancel()
                raise
        else:  # pragma: no cover - platforms without fork
            self._process = None
            self._thread = threading.Thread(target=self._run, args=(task,), name=name, daemon=True)
            self._thread.start()

    def _run(self, task: Callable[[], Any]) -> None:  # pragma: no cover - platforms without fork
        try:
            self._value = task()
        except BaseException as exc:  # reported by wait()
            self._error = f"{type(exc).__name__}: {exc}"

    def wait(self) -> Any:
        """Block until the work is done and return what the task returned (pickled back
        from the child); RuntimeError if it failed."""
        if self._process is not None:
            try:
                error, value = self._pipe.recv()
            except (EOFError, OSError):  # the child died without a word (killed; mid-message: OSError)
                self._process.join()  # reaped first: before, its status may still read None
                error, value = f"ended with status {self._process.exitcode}", None
            self._process.join()
            self._pipe.close()
        else:  # pragma: no cover - platforms without fork
            self._thread.join()
            error, value = self._error, self._value
        if error:
            raise RuntimeError(f"{self.name}: {error}")
        return value

    def cancel(self) -> None:
        """Stop the work (after an error or an interrupt in the parent) and wait for it."""
        if self._process is not None:
            if self._process.pid is not None:  # started
                if self._process.is_alive():
                    self._process.terminate()
                self._process.join()
            self._pipe.close()
        else:  # pragma: no cover - a thread cannot be stopped; it only writes into the temporary folder
            self._thread.join()


def _child(task: Callable[[], Any], pipe, parents_end, parent: int) -> None:
    # The parent handles Ctrl-C and cancels this child (SIGTERM); a parent killed outright
    # takes it along, as it would otherwise hold the folder's lock, blocked on a reply
    # nobody reads.  Without the parent's copy of the read end such a reply fails at once.
    parents_end.close()
    become_child(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # blocked by the parent for the fork
    value = None
    try:
        value = task()
        error = None
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
    try:
        pipe.send((error, value))
    except OSError:  # the parent is gone or stopped listening: nobody to tell
        return
    except Exception as exc:  # a value that cannot be pickled: say so, not hang
        with contextlib.suppress(OSError):
            pipe.send((f"cannot send its result back: {type(exc).__name__}: {exc}", None))
    with contextlib.suppress(OSError):
        pipe.close()


def start(task: Callable[[], Any], name: str) -> Pending:
    """Run ``task`` beside the caller; ``wait()`` on the result returns the task's value."""
    return Pending(task, name)


class Group:
    """Several pieces of background work waited for, or cancelled, together."""

    def __init__(self, pending: list[Pending]) -> None:
        self.pending = pending

    def wait(self) -> None:
        """Wait for each in turn; the first failure is raised, the rest are cancelled."""
        for i, p in enumerate(self.pending):
            try:
                p.wait()
            except BaseException:
                Group(self.pending[i + 1 :]).cancel()
                raise

    def cancel(self) -> None:
        """Cancel every piece."""
        for p in self.pending:
            p.cancel()
