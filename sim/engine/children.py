"""Child processes that end with their parent: a worker or a background writer must not
outlive a parent killed outright (SIGKILL, the OOM killer), holding the results folder's
lock and writing into a pipe nobody reads."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask the kernel (Linux) to send this process SIGTERM when its parent dies, and end now
    if ``parent`` (the pid the child was forked from) is already gone. SIGTERM must be at
    its default action for this to end the process."""
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        try:
            ctypes.CDLL(libc_name).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: the parent's own stop still applies
            pass
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


def become_child(parent: int) -> None:
    """A forked child's signals: Ctrl-C (sent to the whole process group) is the parent's
    to handle, SIGTERM and SIGHUP end it at once without a traceback, and so does the
    death of ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    die_with_parent(parent)
