"""The results folder: only routesim's own is replaced, whole or not at all, by one writer at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.output import folder as folder_module

from scenarios_for_tests import NETWORK, raw, write

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def scenario(tmp_path: Path) -> Path:
    return write(tmp_path, raw(NETWORK))


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def _quick(scenario: Path, out: Path) -> list[str]:
    return ["run", str(scenario), "--out", str(out), "-q", "--no-plot", "-n", "1"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_with_a_summary_but_no_manifest_is_never_replaced(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "summary.json").write_text("{}")
    (out / "sub" / "thesis.tex").write_text("months of work")
    before = _snapshot(out)
    code, err = _run(_quick(scenario, out), capsys)
    assert code == 2 and err.count("\n") == 1 and "holds no routesim manifest.json" in err
    assert _snapshot(out) == before


def test_the_current_folder_and_its_parents_are_refused(scenario, tmp_path, capsys, monkeypatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "summary.json").write_text("{}")
    monkeypatch.chdir(work)
    for target in (".", "..", str(tmp_path)):
        code, err = _run(_quick(scenario, Path(target)), capsys)
        assert code == 2 and "is the current folder or one of its parents" in err, target
    assert (work / "summary.json").read_text() == "{}"


def test_files_routesim_did_not_write_are_never_deleted(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    (out / "notes.txt").write_text("my notes")
    code, err = _run(_quick(scenario, out), capsys)
    assert code == 2 and "holds files routesim did not write (notes.txt)" in err
    assert (out / "notes.txt").read_text() == "my notes"


def test_plot_does_not_adopt_the_users_files_so_the_next_run_still_keeps_them(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    (out / "my_analysis").mkdir()
    (out / "my_analysis" / "notes.md").write_text("keep")
    (out / "mynotes.txt").write_text("mine")
    assert main(["plot", str(out), "-q"]) == 0
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert "throughput.png" in listed and "summary.json" in listed
    assert not any(n.startswith("my") for n in listed), sorted(listed)
    code, err = _run(_quick(scenario, out), capsys)
    assert code == 2 and "holds files routesim did not write" in err and "mynotes.txt" in err, err
    assert (out / "my_analysis" / "notes.md").read_text() == "keep" and (out / "mynotes.txt").read_text() == "mine"


def test_the_manifest_lists_every_file_with_its_hash(scenario, tmp_path) -> None:
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["written_by"] == "routesim" and manifest["kind"] == "run"
    files = {p.name for p in out.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    import hashlib

    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_signal_during_the_swap_leaves_the_complete_new_folder(scenario, tmp_path, capsys, monkeypatch) -> None:
    """Force the two-rename fallback and send SIGINT between the renames: signals are held
    off until the new folder is in place, so the run reports its results as written."""
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    monkeypatch.setattr(folder_module, "_exchange", lambda a, b: False)
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 1:  # the old folder has just moved aside: the dangerous moment
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(folder_module.os, "replace", replace)
    capsys.readouterr()
    code, err = _run(_quick(scenario, out) + ["--seed", "99"], capsys)
    assert code == 130 and f"results were written to {out}" in err
    assert json.loads((out / "summary.json").read_text())["seed"] == 99  # the new, complete run
    assert len(calls) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_exchange_replaces_the_folder_in_one_step(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("new")
    (b / "x").write_text("old")
    if not folder_module._exchange(a, b):
        pytest.skip("this file system or kernel has no renameat2(RENAME_EXCHANGE)")
    assert (b / "x").read_text() == "new" and (a / "x").read_text() == "old"


def test_a_failing_write_leaves_no_parent_folders_and_one_line(scenario, tmp_path, capsys, monkeypatch) -> None:
    def broken(summary):
        def write(path):
            raise OSError(30, "Read-only file system", str(path))
        return write

    monkeypatch.setattr("sim.output.run_files.summary_writer", broken)
    out = tmp_path / "new" / "deep" / "res"
    code, err = _run(_quick(scenario, out), capsys)
    assert code == 2 and err.count("\n") == 1
    assert "cannot write the results: Read-only file system" in err
    assert not (tmp_path / "new").exists()


def test_leftovers_of_a_killed_run_are_removed_by_the_next(scenario, tmp_path) -> None:
    out = tmp_path / "res"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    left = tmp_path / f".res.partial-{pid}-abcdefgh"
    left.mkdir()
    (left / "summary.json").write_text("{}")
    assert main(_quick(scenario, out)) == 0
    assert not left.exists()
    plot_left = out / f".plot-{pid}-zzz"
    plot_left.mkdir()
    assert main(["plot", str(out), "-q"]) == 0
    assert not plot_left.exists()


def test_a_second_writer_is_refused_up_front(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "res"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from sim.output.folder import folder_lock\n"
         f"with folder_lock(Path({str(out)!r})):\n    print('locked', flush=True); time.sleep(30)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        code, err = _run(_quick(scenario, out), capsys)
        assert code == 2 and "another routesim process is writing this folder" in err
        assert time.monotonic() - started < 5  # refused before simulating
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    assert main(_quick(scenario, out)) == 0  # the lock goes with its holder


def test_plot_refuses_a_tampered_data_file(scenario, tmp_path, capsys) -> None:
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    path = out / "route_weeks.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # a row deleted
    before = _snapshot(out)
    capsys.readouterr()
    code, err = _run(["plot", str(out)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "route_weeks.csv has changed since routesim wrote it" in err
    assert _snapshot(out) == before


def test_plot_in_another_format_removes_the_old_figures(scenario, tmp_path) -> None:
    out = tmp_path / "res"
    assert main(["run", str(scenario), "--out", str(out), "-q", "-n", "1"]) == 0
    assert (out / "throughput.png").is_file()
    assert main(["plot", str(out), "--format", "svg", "-q"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "throughput.svg" in names and not any(n.endswith(".png") for n in names)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert main(_quick(scenario, out)) == 0  # still routesim's own folder: replaceable


def test_sigterm_while_simulating_cleans_up_and_says_so(tmp_path) -> None:
    out = tmp_path / "res"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", "china_europe_2020", "-n", "6", "-q", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    lock = tmp_path / ".res.lock"
    deadline = time.monotonic() + 30
    while not lock.exists() and time.monotonic() < deadline:  # the lock is taken before simulating
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == ["routesim: interrupted (SIGTERM): no results written"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_file_size_limit_gives_one_line_and_leaves_the_old_results(scenario, tmp_path) -> None:
    """A disk that fills up mid-write, made real with a file-size limit on the process
    (writes past it fail with EFBIG, as they fail with ENOSPC on a full disk)."""
    import resource

    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    before = _snapshot(out)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "sim", *_quick(scenario, out)], preexec_fn=small_files,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot write the results: File too large" in done.stderr
    assert _snapshot(out) == before  # the old results, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["res", scenario.name])


def _hold_lock(out: Path) -> int:
    """Take the folder's lock as another routesim process would (flock on its own descriptor)."""
    import fcntl

    fd = os.open(out.parent / f".{out.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_a_locked_folder_is_named_with_what_to_do_not_with_a_flag_that_was_not_used(scenario, tmp_path, capsys, monkeypatch) -> None:
    import sim
    from sim.model.errors import UsageError

    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    run = sim.run(scenario, replications=1)
    monkeypatch.setattr(folder_module, "LOCK_WAIT_S", 0.2)  # the API waits a little for another writer
    capsys.readouterr()
    fd = _hold_lock(out)
    try:
        expected = f"{out.resolve()}: another routesim process is writing this folder; wait for it to finish and try again"
        code, err = _run(["plot", str(out), "-q"], capsys)
        assert code == 2 and err == f"routesim: error: {expected}\n"
        with pytest.raises(UsageError) as info:
            run.write(out, figures=False)
        assert str(info.value) == expected
        code, err = _run(_quick(scenario, out), capsys)  # the commands that have --out offer it
        assert code == 2 and err == f"routesim: error: {expected}, or write elsewhere with --out DIR\n"
    finally:
        os.close(fd)
    with folder_module.folder_lock(out):  # released with its holder
        pass


def test_plot_of_a_validation_folder_says_what_it_is_and_what_plot_takes(tmp_path, capsys) -> None:
    from sim.api import Validation

    out = tmp_path / "validation"
    Validation(runs=None, outcomes=(), report={"passed": True, "claims": []}).write(out, figure=False)
    before = _snapshot(out)
    code, err = _run(["plot", str(out)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"{out}: is a validation folder (routesim validate wrote its validation.json and validation.png)" in err
    assert "plot re-draws the figures and report.html of a folder written by routesim run or routesim compare" in err
    assert "not a routesim results folder" not in err
    assert _snapshot(out) == before


def _signal_after_writing(monkeypatch, signum: int, where: str) -> None:
    """Send ``signum`` to this process the moment ``where`` happens after the folder is in place:
    'lock' as the command releases its lock, 'print' as it prints its tables."""
    import contextlib

    import sim.cli.commands

    if where == "lock":
        real = sim.cli.commands.folder_lock

        @contextlib.contextmanager
        def lock(*args, **kwargs):
            with real(*args, **kwargs):
                yield
            os.kill(os.getpid(), signum)  # the results are in place; the handler runs now

        monkeypatch.setattr(sim.cli.commands, "folder_lock", lock)
    else:
        monkeypatch.setattr(sim.cli.commands, "_print_report", lambda *a: os.kill(os.getpid(), signum))
        monkeypatch.setattr(sim.cli.commands, "comparison_text", lambda *a: os.kill(os.getpid(), signum) or "")


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("signum, where", [(signal.SIGTERM, "lock"), (signal.SIGINT, "lock"), (signal.SIGTERM, "print")])
def test_a_signal_after_the_results_are_written_says_they_are(scenario, tmp_path, capsys, monkeypatch, command, signum, where) -> None:
    out = tmp_path / "res"
    args = _quick(scenario, out) if command == "run" else [
        "compare", str(scenario), "--vary", "nodes.dostyk.servers=2", "--out", str(out), "--no-plot", "-n", "1"]
    assert main(args + ["--seed", "1"]) == 0  # previous results, replaced by the run below
    capsys.readouterr()
    _signal_after_writing(monkeypatch, signum, where)
    if where == "print":
        args = [a for a in args if a != "-q"]
    # Ctrl-C must raise here even where pytest was started as a background job (SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code, err = _run(args + ["--seed", "2"], capsys)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 128 + signum
    name = signal.Signals(signum).name
    assert err.splitlines()[-1] == f"routesim: interrupted ({name}): results were written to {out} and are complete"
    summary = out / ("summary.json" if command == "run" else "comparison.json")
    assert json.loads(summary.read_text())["seed"] == 2  # the new results, whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_folder_refusals_from_the_api_name_the_folder_not_the_cli_option(scenario, tmp_path) -> None:
    import sim
    from sim.model.errors import UsageError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("months of work")
    with pytest.raises(UsageError) as info:
        sim.run(scenario, replications=1).write(out, figures=False)
    assert str(info.value).startswith(f"results folder {out}: folder exists, is not empty and holds no routesim manifest.json")
    assert "--out" not in str(info.value)
    assert (out / "thesis.tex").read_text() == "months of work"


def test_early_work_runs_while_background_files_are_written_and_finish_after(tmp_path) -> None:
    """write_results runs ``early`` before it waits for the background writers (the main
    process loads matplotlib while containers.csv.gz is compressed) and ``finish`` after."""
    from sim.output.background import start

    marker = tmp_path / "early-ran"
    seen = []

    def background(path: Path):
        def task() -> None:
            deadline = time.monotonic() + 20
            while not marker.exists():  # only early, run before the wait, can let it finish
                if time.monotonic() > deadline:
                    raise RuntimeError("early did not run while this file was being written")
                time.sleep(0.01)
            path.write_text("written in the background\n")

        return start(task, "writing a test file")

    def early(folder: Path) -> None:
        seen.append(("early", (folder / "slow.txt").exists()))
        marker.write_text("")

    def finish(folder: Path) -> None:
        seen.append(("finish", (folder / "slow.txt").read_text()))

    out = folder_module.write_results(tmp_path / "out", {"slow.txt": background}, finish, early=early)
    assert seen == [("early", False), ("finish", "written in the background\n")]
    assert (out / "slow.txt").read_text() == "written in the background\n"


def test_an_existing_results_folder_in_a_read_only_parent_is_refused_in_one_line(scenario, tmp_path, capsys,
                                                                                   monkeypatch) -> None:
    """Replacing a folder writes its temporary sibling, the lock and the swap in the parent:
    a parent that cannot be written is refused before the run, whatever the folder allows."""
    out = tmp_path / "out"
    assert main(_quick(scenario, out)) == 0
    capsys.readouterr()  # the first run's own warnings
    before = _snapshot(out)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    code, err = _run(_quick(scenario, out), capsys)
    assert code == 2 and err.strip().splitlines() == [f"routesim: error: results folder {out}: cannot write in {tmp_path} (permission denied)"]
    assert _snapshot(out) == before


def test_a_lock_that_cannot_be_created_is_one_line_not_a_traceback(scenario, tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    assert main(_quick(scenario, out)) == 0
    capsys.readouterr()  # the first run's own warnings
    real_open = os.open

    def no_lock(path, *args, **kwargs):
        if str(path).endswith(".out.lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_lock)
    code, err = _run(["plot", str(out)], capsys)
    assert code == 2
    assert err.strip().splitlines() == [f"routesim: error: results folder {out.resolve()}: cannot write in {tmp_path.resolve()} (permission denied)"]


def test_plot_into_a_read_only_results_folder_is_one_line(scenario, tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    assert main(_quick(scenario, out)) == 0
    capsys.readouterr()  # the first run's own warnings
    before = _snapshot(out)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out))

    import sim.report.draw as drawing

    monkeypatch.setattr(drawing.tempfile, "mkdtemp", refused)
    code, err = _run(["plot", str(out)], capsys)
    assert code == 2 and err.strip().splitlines() == [f"routesim: error: {out}: cannot write the figures into this folder (permission denied)"]
    assert _snapshot(out) == before


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the child's state in /proc (Linux)")
def test_a_background_writer_ends_when_its_parent_is_killed(tmp_path) -> None:
    """kill -9 of routesim while a forked writer works (figures, containers.csv.gz) takes the
    writer with it: it would otherwise hold the folder's lock, blocked on its reply."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from sim.output.background import start\n"
        "pending = start(lambda: time.sleep(60), 'sleeping')\n"
        "print(pending._process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as f:  # reaped by init once it has ended
            if f.read().split(") ", 1)[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the background child outlived its killed parent")


def _without_root_override() -> list[str] | None:
    """A command prefix under which permissions apply (root's override dropped), or None."""
    import shutil as sh

    if os.geteuid() != 0:
        return []
    tool = sh.which("setpriv")
    return None if tool is None else [tool, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_read_only_results_folder_is_refused_before_running_and_kept(scenario, tmp_path) -> None:
    prefix = _without_root_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    out = tmp_path / "res"
    assert main(_quick(scenario, out)) == 0
    before = _snapshot(out)
    out.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "sim", *_quick(scenario, out)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"routesim: error: results folder {out}: is read-only, so its previous results cannot be replaced; "
            "make it writable (chmod -R u+w) or choose another folder"
        ]
        assert _snapshot(out) == before
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".res.")]
    finally:
        out.chmod(0o755)
