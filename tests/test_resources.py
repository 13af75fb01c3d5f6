"""Resource limits: runs that cannot fit are refused up front, finished replications are
spilled to disk so memory does not grow with -n, workers are capped at the cores."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis import quantiles
from sim.analysis.quantiles import pooled_quantiles
from sim.analysis.statistics import cohort
from sim.cli import main
from sim.engine import replications, store
from sim.engine.simulation import run_replication
from tests.scenarios_for_tests import BASE, build, entry, raw, write


def _busy(teu_per_year: float = 2_000_000, horizon: int = 120) -> dict:
    """The BASE network with heavy demand: a few hundred thousand containers a replication."""
    doc = raw(BASE)
    doc["run"]["horizon_days"] = horizon
    for route in doc["routes"]:
        route["demand"]["teu_per_year"] = teu_per_year
    return doc


def test_spilled_run_gives_the_same_results_as_one_held_in_memory(tmp_path: Path) -> None:
    scn = sim.load(write(tmp_path, _busy(200_000)))
    held = sim.run(scn, replications=3, seed=7, spill=False)
    spilled = sim.run(scn, replications=3, seed=7, spill=True)
    assert not held.results.spilled and spilled.results.spilled
    assert spilled.summary.to_dict() == held.summary.to_dict()
    assert spilled.metrics.equals(held.metrics)
    assert spilled.containers().equals(held.containers())
    a, b = held.write(tmp_path / "held", figures=False), spilled.write(tmp_path / "spilled", figures=False)
    for name in ("metrics.csv", "routes.csv", "nodes.csv", "transit_quantiles.csv", "route_weeks.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_spill_folder_goes_with_the_run(tmp_path: Path) -> None:
    scn = sim.load(write(tmp_path, _busy(100_000)))
    run = sim.run(scn, replications=2, seed=1, spill=True)
    folder = run.results.folder
    assert sorted(p.name for p in folder.iterdir()) == ["0.pickle", "1.pickle"]
    del run
    gc.collect()
    assert not folder.exists()


def test_a_killed_runs_spill_folder_is_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{store.PREFIX}{dead.pid}-abc"
    mine = tmp_path / f"{store.PREFIX}{os.getpid()}-def"
    stale.mkdir()
    mine.mkdir()
    (stale / "0.pickle").write_bytes(b"x")
    kept = store.ResultStore(spill=True, root=tmp_path)
    assert not stale.exists()
    assert mine.exists() and kept.folder.exists()
    kept.close()
    assert not kept.folder.exists()


@pytest.mark.parametrize("limit", [0, quantiles.POOL_LIMIT], ids=["two passes over bins", "pooled in memory"])
def test_pooled_quantiles_are_numpys_quantiles_of_the_pooled_array(limit: int, monkeypatch) -> None:
    monkeypatch.setattr(quantiles, "POOL_LIMIT", limit)
    monkeypatch.setattr(quantiles, "BINS", 64)  # few bins: many values share one, as at scale
    scn = build(BASE)
    s = scn.settings
    results = [run_replication(scn, 3, i) for i in range(3)]
    probs = np.linspace(0.0, 1.0, 1001)
    got = pooled_quantiles(results, scn.routes, s.warmup_days, s.horizon_days, probs)
    for rid in scn.routes:
        pooled = []
        for r in results:
            c = cohort(r.ledgers[rid], s.warmup_days, s.horizon_days)
            done = ~np.isnan(c.delivered)
            pooled.append(c.delivered[done] - c.created[done])
        values = np.concatenate(pooled)
        assert values.size > 100
        assert np.array_equal(got[rid], np.quantile(values, probs)), rid  # bit for bit


def test_pooled_quantiles_sort_a_store_once_and_see_a_replication_added_later() -> None:
    # The sorted pools are kept per results store (the metrics table and the quantile file
    # share them); a store that grows must not be answered from its smaller past.
    scn = build(BASE)
    s = scn.settings
    held = store.ResultStore(spill=False)
    held.add(run_replication(scn, 3, 0))
    one = pooled_quantiles(held, scn.routes, s.warmup_days, s.horizon_days, [0.5])
    again = pooled_quantiles(held, scn.routes, s.warmup_days, s.horizon_days, [0.05, 0.95])
    assert set(quantiles._SORTED[held]) == {(rid, s.warmup_days, s.horizon_days, 1) for rid in scn.routes}
    held.add(run_replication(scn, 3, 1))
    two = pooled_quantiles(held, scn.routes, s.warmup_days, s.horizon_days, [0.5])
    pair = [run_replication(scn, 3, i) for i in range(2)]
    fresh = pooled_quantiles(pair, scn.routes, s.warmup_days, s.horizon_days, [0.5])
    rid = next(iter(scn.routes))
    assert np.array_equal(two[rid], fresh[rid]) and not np.array_equal(one[rid], two[rid])
    assert again[rid][0] < one[rid][0] < again[rid][1]


# The peak resident memory of a fresh process, in KB.  VmHWM, not ru_maxrss: a child's
# ru_maxrss starts at its parent's (here pytest's) resident size at the fork.
PEAK = textwrap.dedent("""\
    import sys
    import sim
    scn = sim.load(sys.argv[1])
    run = sim.run(scn, replications=int(sys.argv[2]), seed=5, spill=sys.argv[3] == "disk")
    run.summary
    print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
""")


def _peak_kb(path: Path, n: int, where: str) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, str(path), str(n), where], capture_output=True, text=True,
                         check=True, env=os.environ | {"PYTHONPATH": str(Path(sim.__file__).parent.parent)})
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_memory_does_not_grow_with_replications_when_spilled(tmp_path: Path) -> None:
    path = write(tmp_path, _busy())
    held = {n: _peak_kb(path, n, "memory") for n in (2, 8)}
    spilled = {n: _peak_kb(path, n, "disk") for n in (4, 12)}
    per_replication = (held[8] - held[2]) / 6
    assert per_replication > 5_000  # KB: the scenario is big enough to see growth
    # Held in memory, six more replications cost six replications' logs; spilled, every
    # summary reads them back one at a time, so eight more leave the peak where it was
    # (from 4 on: the allocator's own working set settles over the first few).
    assert spilled[12] - spilled[4] < per_replication, (held, spilled)


def test_a_run_too_big_for_memory_is_refused_before_it_starts(tmp_path: Path, capsys, monkeypatch) -> None:
    path = write(tmp_path, _busy(1e9))
    monkeypatch.setattr(replications, "available_memory", lambda: 4 * 10**9)
    code = main(["run", str(path), "-n", "1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "in memory" in err and "GB is available" in err and "containers and wagons a replication" in err
    assert not (tmp_path / "out").exists()


def test_many_replications_spill_and_are_refused_when_the_disk_cannot_hold_them(tmp_path: Path, capsys, monkeypatch) -> None:
    path = write(tmp_path, _busy())
    monkeypatch.setattr(replications, "available_memory", lambda: 2 * 10**9)
    monkeypatch.setattr(replications.shutil, "disk_usage", lambda _: type("U", (), {"free": 10**9})())
    scn = sim.load(path)
    assert replications.plan_storage(scn, 2, 1) is False  # small enough to hold
    with pytest.raises(replications.TooBig, match=r"would write about .* of replications to .* GB is free there"):
        replications.plan_storage(scn, 100_000, 1)
    code = main(["run", str(path), "-n", "100000", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "set TMPDIR" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_enough_replications_to_crowd_memory_go_to_disk(tmp_path: Path, monkeypatch) -> None:
    scn = sim.load(write(tmp_path, _busy()))
    per_rep = replications.units_drawn(scn) * replications.BYTES_PER_UNIT_HELD
    monkeypatch.setattr(replications, "available_memory", lambda: int(per_rep * 40))
    assert replications.plan_storage(scn, 5, 1) is False
    assert replications.plan_storage(scn, 50, 1) is True  # 50 held would take more than a quarter


def test_workers_beyond_the_cores_are_capped_with_a_note(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    assert replications.usable_workers(1000) == 2
    path = write(tmp_path, BASE)
    code = main(["run", str(path), "-n", "2", "--workers", "1000", "--no-plot", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0
    assert "--workers 1000: this machine gives routesim 2 cores, so 2 worker processes run" in err
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["replications"] == 2
    # -q keeps notes to itself, like the others.
    assert main(["run", str(path), "-n", "2", "--workers", "1000", "--no-plot", "-q", "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""


def test_the_memory_check_counts_the_replication_being_simulated_at_its_peak(tmp_path: Path, monkeypatch) -> None:
    """A single replication run serially peaks at PEAK_FACTOR times what it keeps (a 100-year
    run took 2.4 times its estimate): refused where that peak does not fit, not where only
    what it keeps would not."""
    scn = sim.load(write(tmp_path, _busy()))
    per_rep = replications.units_drawn(scn) * replications.BYTES_PER_UNIT_HELD
    fits = replications.PEAK_FACTOR * per_rep / 0.8
    monkeypatch.setattr(replications, "available_memory", lambda: int(fits * 1.01))
    assert replications.plan_storage(scn, 1, 1, spill=False) is False
    monkeypatch.setattr(replications, "available_memory", lambda: int(fits * 0.99))
    with pytest.raises(replications.TooBig, match="in memory"):
        replications.plan_storage(scn, 1, 1, spill=False)
    # Two workers each hold one at its peak beside the four replications kept.
    both = (4 + 2 * (replications.PEAK_FACTOR - 1)) * per_rep / 0.8
    monkeypatch.setattr(replications, "available_memory", lambda: int(both * 0.99))
    with pytest.raises(replications.TooBig):
        replications.plan_storage(scn, 4, 2, spill=False)
