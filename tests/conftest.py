"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main


@pytest.fixture(scope="session")
def bundled_2020(tmp_path_factory) -> Path:
    """One results folder of the bundled china_europe_2020 (2 replications, seed 3, with
    figures and report), run once for every test that reads it: the full scenario is the
    most expensive run of the suite."""
    out = tmp_path_factory.mktemp("bundled") / "base"
    assert main(["run", "china_europe_2020", "-n", "2", "--seed", "3", "--out", str(out), "-q"]) == 0
    return out
