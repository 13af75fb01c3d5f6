"""Fixtures shared by several test files."""

from __future__ import annotations

import compileall
import fcntl
import sys
from pathlib import Path

import pytest

from sim.cli import main


def pytest_configure(config) -> None:
    """Compile the package's bytecode once, before any worker starts, where Python is told
    not to write it (PYTHONDONTWRITEBYTECODE, set on some machines, CI's among them): each
    of the suite's many fresh processes (the CLI in a subprocess, Dask's workers) would
    otherwise compile every module of sim again, a third of a second each."""
    if sys.dont_write_bytecode and not hasattr(config, "workerinput"):
        compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "sim"), quiet=1)


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
