"""Fixtures shared by several test files."""

from __future__ import annotations

import fcntl
import sys
from pathlib import Path

import pytest

# Bytecode is written even where Python is told not to (PYTHONDONTWRITEBYTECODE, set on some
# machines, CI's among them): sim's modules, compiled once by the first process that imports
# them, then read by each of the suite's many fresh processes (the CLI in a subprocess, Dask's
# workers), which would otherwise compile them all again; and pytest's rewritten test
# modules, which it caches only where bytecode may be written.  Set before sim is imported.
sys.dont_write_bytecode = False

from sim.cli import main  # noqa: E402


@pytest.fixture(scope="session")
def bundled_2020(request, tmp_path_factory) -> Path:
    """One results folder of the bundled china_europe_2020 (2 replications, seed 3, with
    figures and report), run once for every test that reads it: the full scenario is the
    most expensive run of the suite.  Under pytest-xdist the workers share it (the first to
    need it runs it under a lock, the others wait and read it); the tests only read it."""
    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # an xdist worker: its base's parent is the session's
        root = root.parent
    out = root / "bundled_2020" / "base"
    with open(root / "bundled_2020.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").is_file():
            assert main(["run", "china_europe_2020", "-n", "2", "--seed", "3", "--out", str(out), "-q"]) == 0
    return out
