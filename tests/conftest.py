"""Fixtures shared by several test files."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from sim.cli import main


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
