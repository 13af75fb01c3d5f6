"""Work done beside the main process (sim.output.background): its failures surface, and
figures drawn by two processes are the files one process draws."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim.report.draw as draw_module
from sim.cli import main
from sim.output import background
from sim.output.run_data import read_run
from test_cli import CORRIDOR


def test_a_failure_in_the_background_is_raised_by_wait() -> None:
    def fail() -> None:
        raise OSError("disk full")

    pending = background.start(fail, "writing x")
    with pytest.raises(RuntimeError, match="writing x: OSError: disk full"):
        pending.wait()


def test_cancel_stops_the_work(tmp_path: Path) -> None:
    marker = tmp_path / "late"

    def slow() -> None:
        import time

        time.sleep(30)
        marker.write_text("too late")

    pending = background.start(slow, "sleeping")
    pending.cancel()
    assert not marker.exists()


def test_figures_drawn_in_two_processes_are_the_same_files(tmp_path: Path, monkeypatch) -> None:
    scenario = tmp_path / "corridor.toml"
    scenario.write_text(CORRIDOR, encoding="utf-8")
    out = tmp_path / "res"
    assert main(["run", str(scenario), "--out", str(out), "-q", "-n", "1"]) == 0
    runs = [read_run(out)]
    # The run drew its figures in a forked process (CAN_FORK on this platform); drawn again
    # in this process, they are the same files, in the same order.
    assert draw_module.CAN_FORK
    monkeypatch.setattr(draw_module, "CAN_FORK", False)
    folder = tmp_path / "in_process"
    folder.mkdir()
    paths = draw_module.draw(folder, runs)
    drawn = {p.name: p.read_bytes() for p in paths}
    assert [p.name for p in paths][-1] == "report.html" and len(drawn) > 5
    assert drawn == {name: (out / name).read_bytes() for name in drawn}


def test_wait_returns_what_the_task_returned() -> None:
    pending = background.start(lambda: {"a": b"\x00" * 100_000, "b": [1, 2.5]}, "returning")
    assert pending.wait() == {"a": b"\x00" * 100_000, "b": [1, 2.5]}


def test_a_value_that_cannot_be_sent_back_is_a_failure_not_a_hang() -> None:
    pending = background.start(lambda: (lambda: None), "returning a function")
    with pytest.raises(RuntimeError, match="returning a function: cannot send its result back"):
        pending.wait()


def test_figures_are_split_between_the_two_processes_by_their_drawing_time(monkeypatch) -> None:
    # Costs 4, 3, 3, 2, 2 total 14: the best split is 7/7 ({4, 3} and {3, 2, 2}), which the
    # greedy largest-first rule misses (it gives 8/6); every figure once, report order kept.
    monkeypatch.setattr(draw_module, "_COST", {"a": 4, "b": 3, "c": 3, "d": 2, "e": 2})
    mine, theirs = draw_module.split_in_two(["a", "b", "c", "d", "e"])
    cost = draw_module._COST
    assert sum(cost[s] for s in mine) == sum(cost[s] for s in theirs) == 7
    assert sorted(mine + theirs) == ["a", "b", "c", "d", "e"]
    assert mine == sorted(mine) and theirs == sorted(theirs)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_block_skips_what_was_alive_collects_what_is_new_and_gives_back_once() -> None:
    import gc
    import weakref

    before = gc.get_freeze_count()
    old = _Cycle()
    old_ref = weakref.ref(old)
    with background.long_lived_frozen():
        assert gc.get_freeze_count() > before
        del old
        gc.collect()
        assert old_ref() is not None  # frozen: left out of the passes until the block ends
        with background.long_lived_frozen():
            pass
        assert gc.get_freeze_count() > before  # the inner block gave nothing back
        new = _Cycle()
        new_ref = weakref.ref(new)
        del new
        gc.collect()
        assert new_ref() is None  # garbage made inside the block is collected as usual
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None


def test_writing_a_results_folder_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    import sim

    gc.unfreeze()
    scenario = tmp_path / "corridor.toml"
    scenario.write_text(CORRIDOR)
    sim.run(scenario, replications=1, seed=1).write(tmp_path / "out")
    assert (tmp_path / "out" / "report.html").is_file()
    assert gc.get_freeze_count() == 0
    # A program that froze objects of its own (before forking, say) keeps exactly that freeze.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        sim.run(scenario, replications=1, seed=1).write(tmp_path / "again")
        assert gc.get_freeze_count() > 0.99 * frozen  # not given back (a few frozen objects are freed)
    finally:
        gc.unfreeze()
