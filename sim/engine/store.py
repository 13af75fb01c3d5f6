"""Where finished replications wait to be summarised: in memory, or spilled to disk.

A replication of the bundled scenario holds about 50 MB of logs; a thousand of them do not
fit in memory.  When a run would hold more than MEMORY_SHARE of the memory available, each
replication is written (packed, see simulation.pack) to a private temporary folder as it
arrives and read back one at a time by whatever summarises it, so memory stays that of a
replication or two whatever ``-n`` is.  The folder goes when the store is closed or
garbage-collected, or at exit; one left by a killed process is removed by the next run.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Iterator, Sequence, overload

from sim.engine.packing import PackedResult, pack, unpack
from sim.engine.records import ReplicationResult

PREFIX = "routesim-replications-"
# Spill when the replications held at once would take more than this share of the memory
# available (they are summarised, written and drawn after the run, with room needed for that).
MEMORY_SHARE = 0.25


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: leave its folder alone
        return True
    return True


def remove_stale(root: Path | None = None) -> None:
    """Remove spill folders whose process has ended (killed before it could clean up)."""
    base = Path(root or tempfile.gettempdir())
    try:
        entries = list(base.glob(PREFIX + "*"))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


class ResultStore(Sequence[ReplicationResult]):
    """Replications in index order, held in memory or in a temporary folder (``spill``)."""

    def __init__(self, spill: bool = False, root: Path | None = None) -> None:
        self._held: dict[int, ReplicationResult] = {}
        self._files: dict[int, Path] = {}
        self._last: tuple[int, ReplicationResult] | None = None
        self.folder: Path | None = None
        # What the workers derived from each replication (replications.Derive), by index,
        # and the function that did: small, so held in memory even when the results spill.
        self.derived: dict[int, Any] = {}
        self.derive: Any = None
        if spill:
            remove_stale(root)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
            self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    @property
    def spilled(self) -> bool:
        """True when the replications live on disk, not in memory."""
        return self.folder is not None

    def add(self, result: ReplicationResult | PackedResult, derived: Any = None) -> None:
        """Keep one finished replication (packed results are unpacked or written as they
        are), and what was derived from it, if anything."""
        index = result.replication
        if derived is not None:
            self.derived[index] = derived
        if self.folder is None:
            self._held[index] = unpack(result) if isinstance(result, PackedResult) else result
            return
        packed = result if isinstance(result, PackedResult) else pack(result)
        path = self.folder / f"{index}.pickle"
        with open(path, "wb") as f:
            pickle.dump(packed, f, protocol=pickle.HIGHEST_PROTOCOL)
        self._files[index] = path
        del result, packed
        # A finished model's SimPy processes form reference cycles that hold its arrays
        # until the cyclic collector runs: collect now, or memory grows with the replications.
        gc.collect()

    def _order(self) -> list[int]:
        return sorted(self._held) if self.folder is None else sorted(self._files)

    def __len__(self) -> int:
        return len(self._held) if self.folder is None else len(self._files)

    @overload
    def __getitem__(self, i: int) -> ReplicationResult: ...
    @overload
    def __getitem__(self, i: slice) -> list[ReplicationResult]: ...

    def __getitem__(self, i):
        order = self._order()
        if isinstance(i, slice):
            return [self._load(k) for k in order[i]]
        return self._load(order[i])

    def __iter__(self) -> Iterator[ReplicationResult]:
        for k in self._order():
            yield self._load(k)

    def _load(self, index: int) -> ReplicationResult:
        if self.folder is None:
            return self._held[index]
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        with open(self._files[index], "rb") as f:
            result = unpack(pickle.load(f))
        self._last = (index, result)  # summaries often ask for the same replication twice
        return result

    def close(self) -> None:
        """Forget the replications and remove the spill folder, if any."""
        self._held.clear()
        self._files.clear()
        self.derived.clear()
        self._last = None
        if self.folder is not None:
            self._cleanup()
