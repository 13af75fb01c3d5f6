"""Worker processes end with their parent, whatever stops it, and a worker the OS kills is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(p) for p in text.split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "run", "china_europe_2020", "-n", "6", "--workers", "2", "-q", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even when pytest runs in the background
    )


def _workers(proc: subprocess.Popen) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= 2:
            time.sleep(0.5)  # let them start their replications
            return _children(proc.pid)
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_workers_end_with_their_parent(tmp_path, sig) -> None:
    proc = _start(tmp_path / "res")
    workers = _workers(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), f"workers outlived the parent after {sig.name}"
    if sig != signal.SIGKILL:
        assert proc.returncode == 128 + sig
        assert err.strip().splitlines() == [f"routesim: interrupted ({sig.name}): no results written"]
    assert not (tmp_path / "res").exists()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_worker_killed_by_the_os_is_one_line(tmp_path) -> None:
    proc = _start(tmp_path / "res")
    workers = _workers(proc)
    os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "a worker process ended without its results" in lines[0]
    assert "Traceback" not in err
    assert not any(_alive(w) for w in workers[1:])
