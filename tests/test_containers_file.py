"""The per-container file: same rows as the ledger, calendar days, csv | parquet | none,
same bytes for the same seed whatever the worker or thread count."""

from __future__ import annotations

import builtins
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.statistics import cohort
from sim.cli import main
from sim.engine.packing import pack, unpack
from sim.engine.simulation import run_replication
from sim.model.loader import load_scenario
from sim.output import containers
from test_cli import CORRIDOR

SEED = 11


@pytest.fixture(scope="module")
def corridor(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "corridor.toml"
    path.write_text(CORRIDOR, encoding="utf-8")
    return path


def _run(corridor: Path, out: Path, *extra: str) -> None:
    assert main(["run", str(corridor), "--out", str(out), "-q", "--no-plot", "-n", "2", *extra]) == 0


def _expected(corridor: Path, replications: int = 2) -> pd.DataFrame:
    """The rows the file must hold, straight from the engine and the cohort definition."""
    scenario = load_scenario(str(corridor))
    s = scenario.settings
    parts = []
    for i in range(replications):
        r = run_replication(scenario, SEED, i)
        for rid in scenario.routes:
            c = cohort(r.ledgers[rid], s.warmup_days, s.horizon_days)
            done = ~np.isnan(c.delivered)
            parts.append(pd.DataFrame({
                "replication": i,
                "route": rid,
                "created_day": c.created[done] - s.warmup_days,
                "departed_day": c.departed[done] - s.warmup_days,
                "delivered_day": c.delivered[done] - s.warmup_days,
                "transit_days": c.delivered[done] - c.created[done],
            }))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def written(corridor: Path, tmp_path_factory) -> dict[str, Path]:
    """One run folder per --containers choice."""
    base = tmp_path_factory.mktemp("runs")
    folders = {}
    for choice in containers.FORMATS:
        folders[choice] = base / choice
        _run(corridor, folders[choice], "--containers", choice)
    return folders


def test_csv_holds_the_ledger_rows_in_calendar_days(corridor: Path, written: dict[str, Path]) -> None:
    table = pd.read_csv(written["csv"] / "containers.csv.gz")
    expected = _expected(corridor)
    assert list(table.columns) == list(containers.COLUMNS)
    assert len(table) == len(expected)
    assert (table["replication"] == expected["replication"]).all()
    assert (table["route"] == expected["route"]).all()
    for column in containers.COLUMNS[2:]:
        # Four decimals: within half a unit of the last place (and a float's rounding).
        np.testing.assert_allclose(table[column], expected[column], rtol=0, atol=0.5e-4 + 1e-9)


def test_parquet_holds_the_same_rows_at_full_precision(corridor: Path, written: dict[str, Path]) -> None:
    table = pd.read_parquet(written["parquet"] / "containers.parquet")
    expected = _expected(corridor)
    assert list(table.columns) == list(containers.COLUMNS)
    assert (table["replication"].to_numpy() == expected["replication"].to_numpy()).all()
    assert (table["route"].astype(str).to_numpy() == expected["route"].to_numpy()).all()
    for column in containers.COLUMNS[2:]:
        assert np.array_equal(table[column].to_numpy(), expected[column].to_numpy()), column
    assert not (written["parquet"] / "containers.csv.gz").exists()


def test_day_zero_is_the_end_of_the_warm_up(corridor: Path, written: dict[str, Path]) -> None:
    scenario = load_scenario(str(corridor))
    s = scenario.settings
    first_route = next(iter(scenario.routes))
    r = run_replication(scenario, SEED, 0)
    first = cohort(r.ledgers[first_route], s.warmup_days, s.horizon_days).created[0]
    table = pd.read_parquet(written["parquet"] / "containers.parquet")
    mine = table[(table["replication"] == 0) & (table["route"] == first_route)]
    assert mine["created_day"].iloc[0] == first - s.warmup_days
    assert (table["created_day"] >= 0).all()
    assert (table["created_day"] < s.horizon_days - s.warmup_days).all()
    csv = pd.read_csv(written["csv"] / "containers.csv.gz")
    assert csv["created_day"].min() >= 0


def test_none_writes_no_per_container_file_and_the_rest_is_whole(written: dict[str, Path]) -> None:
    names = {p.name for p in written["none"].iterdir()}
    assert not {"containers.csv.gz", "containers.parquet"} & names
    assert names == {p.name for p in written["csv"].iterdir()} - {"containers.csv.gz"}
    assert (written["none"] / "report.html").stat().st_size > 1000
    # Only the per-container file differs between the choices (and the manifest that lists it).
    for name in names - {"manifest.json"}:
        assert (written["none"] / name).read_bytes() == (written["csv"] / name).read_bytes(), name


@pytest.mark.parametrize("choice", ["csv", "parquet"])
def test_same_seed_same_bytes_whatever_the_worker_count(choice: str, corridor: Path, written, tmp_path: Path) -> None:
    name = containers.FILE_OF[choice]
    again, parallel = tmp_path / "again", tmp_path / "parallel"
    _run(corridor, again, "--containers", choice)
    _run(corridor, parallel, "--containers", choice, "--workers", "2")
    expected = (written[choice] / name).read_bytes()
    assert (again / name).read_bytes() == expected
    assert (parallel / name).read_bytes() == expected
    other = tmp_path / "other"
    _run(corridor, other, "--containers", choice, "--seed", "12")
    assert (other / name).read_bytes() != expected


def test_csv_bytes_do_not_depend_on_threads_or_chunks(corridor: Path, monkeypatch) -> None:
    scenario = load_scenario(str(corridor))
    results = [run_replication(scenario, SEED, i) for i in range(2)]

    def csv(threads: int) -> bytes:
        f = io.BytesIO()
        containers.write_csv(f, scenario, results, threads=threads)
        return f.getvalue()

    monkeypatch.setattr(containers, "CHUNK_ROWS", 97)  # many gzip members per route
    one, four = csv(1), csv(4)
    assert one == four
    table = pd.read_csv(io.BytesIO(one), compression="gzip")
    assert len(table) == len(_expected(corridor))


def test_csv_rows_format_every_width_exactly() -> None:
    table = np.array([[0.0, 0.00004, 9.99995, 12345.67891], [99999.99994, 10.5, 0.00005, 1.0]])
    text = containers.csv_rows("3,r,", table).decode("ascii")
    assert text == "3,r,0.0000,0.0000,10.0000,12345.6789\n3,r,99999.9999,10.5000,0.0000,1.0000\n"
    assert containers.csv_rows("0,r,", np.empty((0, 4))) == b""
    with pytest.raises(ValueError):
        containers.csv_rows("0,r,", np.array([[-1.0, 0.0, 0.0, 0.0]]))


def test_parquet_without_pyarrow_is_one_line_before_simulating(corridor: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    def must_not_run(*args, **kwargs):
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    monkeypatch.setattr("sim.api.run_experiment", must_not_run)
    out = tmp_path / "res"
    for command in (["run", str(corridor)], ["compare", str(corridor), str(corridor)]):
        code = main([*command, "--out", str(out), "--containers", "parquet"])
        err = capsys.readouterr().err
        assert code == 2
        assert err == "routesim: error: --containers parquet needs pyarrow (pip install pyarrow, or install routesim with its [parquet] extra)\n"
        assert not out.exists()


def test_packed_results_rebuild_bit_for_bit(corridor: Path) -> None:
    scenario = load_scenario(str(corridor))
    r = run_replication(scenario, SEED, 1)
    u = unpack(pack(r))
    assert (u.replication, u.seed, u.end_time, u.vehicle_names) == (r.replication, r.seed, r.end_time, r.vehicle_names)
    for got, want in ((u.ledgers, r.ledgers), (u.nodes, r.nodes), (u.trips, r.trips)):
        assert list(got) == list(want)
        for key in want:
            for field, value in vars(want[key]).items():
                other = getattr(got[key], field)
                if isinstance(value, np.ndarray):
                    assert other.dtype == value.dtype and other.shape == value.shape, (key, field)
                    assert other.tobytes() == value.tobytes(), (key, field)
                else:
                    assert other == value, (key, field)
