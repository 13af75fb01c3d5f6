"""Finished points kept on disk while a sweep runs, so an interrupted sweep resumes.

Each point's result is one small JSON file named by its task key in ``<out>.points/``,
written whole (temporary file, then rename) the moment the point finishes.  ``--resume``
reads them back, and the table of a finished sweep folder too; a file that does not parse
or does not match its name or its checksum is ignored (the point runs again), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

from sim.output.folder import OutputError

MARKER = ".routesim-sweep-points"  # only a folder with this file is ever emptied or removed
SUFFIX = ".points"


def partial_folder(out: Path) -> Path:
    """Where the finished points of a sweep into ``out`` wait: ``<out>.points`` beside it."""
    return out.with_name(out.name + SUFFIX)


class PointStore:
    """The finished points of one sweep, by task key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, resume: bool) -> None:
        """Make the folder; without ``resume``, forget points an earlier sweep left in it."""
        if self.folder.exists():
            if not (self.folder / MARKER).is_file():
                raise OutputError(f"{self.folder}: exists and is not a routesim sweep's points folder; "
                                  "move it away or choose another --out")
            if not resume:
                for item in self.folder.glob("*.json"):
                    item.unlink()
            return
        try:
            self.folder.mkdir(parents=True)
            (self.folder / MARKER).write_text("finished points of a routesim sweep, kept for --resume\n")
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot create the points folder: {exc.strerror}") from None

    def load(self, wanted: set[str]) -> dict[str, dict[str, Any]]:
        """The stored results among ``wanted`` keys that read back whole."""
        out = {}
        for key in sorted(wanted):
            item = self.folder / f"{key}.json"
            if not item.is_file():
                continue
            result = read_point(item, key)
            if result is not None:
                out[key] = result
        return out

    def save(self, result: dict[str, Any]) -> None:
        """Keep one finished point (atomically: a crash leaves the old file or none)."""
        key = result["key"]
        tmp = self.folder / f".{key}.json.tmp{os.getpid()}"
        try:
            tmp.write_text(json.dumps({"result": result, "sha256": _digest(result)}, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"{self.folder}: cannot keep a finished point: {exc.strerror}") from None

    def remove_if_empty(self) -> None:
        """Remove the folder if no point was kept in it (an interrupt before the first)."""
        if (self.folder / MARKER).is_file() and not any(self.folder.glob("*.json")):
            shutil.rmtree(self.folder, ignore_errors=True)

    def remove(self) -> None:
        """Remove the folder once the sweep's results are in place (ours only: the marker)."""
        if (self.folder / MARKER).is_file():
            shutil.rmtree(self.folder, ignore_errors=True)


def read_point(path: Path, key: str) -> dict[str, Any] | None:
    """A stored point's result, or None if it is damaged or not the point ``key``."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(stored, dict) or not valid_result(stored.get("result"), key):
        return None
    if stored.get("sha256") != _digest(stored["result"]):  # edited by hand: run the point again
        return None
    return stored["result"]


def _digest(result: dict[str, Any]) -> str:
    """The SHA-256 of a result's canonical JSON: a kept point that was edited does not match."""
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode("utf-8")).hexdigest()


def valid_result(result: Any, key: str) -> bool:
    """True for ``{"key": key, "values": {path: [[rep, value], ...]}, ...}`` with numbers."""
    if not isinstance(result, dict) or result.get("key") != key or not isinstance(result.get("values"), dict):
        return False
    for rows in result["values"].values():
        if not isinstance(rows, list):
            return False
        for row in rows:
            if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], int)
                    and isinstance(row[1], (int, float)) and not isinstance(row[1], bool)):
                return False
            if isinstance(row[1], float) and math.isinf(row[1]):
                return False
    return True
