"""The per-container file of a run: every counted container that was delivered, one row each.

Times are calendar days of the measured window: simulation time minus ``warmup_days``, so
day 0 is the end of the warm-up (``run.start_date``).  ``transit_days`` is delivered minus
created, as in the statistics.  Three choices (``--containers``):

* ``csv``: ``containers.csv.gz``, numbers with four decimals (about 9 s), readable by
  ``pandas.read_csv``; formatted with numpy look-up tables and compressed (gzip level 1 of
  ISA-L, through ``isal``: five times zlib's speed, and smaller) in independent gzip
  members by a few threads (ISA-L and numpy release the GIL), in a child process beside
  the other files.  Member boundaries depend only on the rows, never on the
  thread count, so the bytes are the same for the same seed.
* ``parquet``: ``containers.parquet`` via pyarrow (the optional extra ``routesim[parquet]``),
  full float64 precision, no timestamps in the file, so also the same bytes for the same seed.
* ``none``: no per-container file.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterator, Sequence

import numpy as np
from isal import igzip

from sim.engine.simulation import ReplicationResult
from sim.model.errors import UsageError
from sim.output.background import Pending, start
from sim.model.scenario import Scenario
from sim.analysis.statistics import cohort

if TYPE_CHECKING:  # pandas is imported when the frame is asked for
    import pandas

CSV = "containers.csv.gz"
PARQUET = "containers.parquet"
FORMATS = ("csv", "parquet", "none")
FILE_OF = {"csv": CSV, "parquet": PARQUET}
COLUMNS = ("replication", "route", "created_day", "departed_day", "delivered_day", "transit_days")
PARQUET_MISSING = "--containers parquet needs pyarrow (pip install pyarrow, or install routesim with its [parquet] extra)"

# ISA-L's level 1: on the 2020 scenario 4.8 times as fast as zlib's level 1 and 8% smaller
# (measured on one replication's 72 MB of rows); the file is for reading, not archiving.
GZIP_LEVEL = 1
CHUNK_ROWS = 1 << 17  # rows per gzip member: enough to compress well, small enough to share out
_INT_DIGITS = 5  # whole days below 100,000: the loader caps horizon and cool-down at 36,500 each
_DECIMALS = 4
_SCALE = 10**_DECIMALS


@dataclass(frozen=True)
class Block:
    """The delivered cohort of one route in one replication, times in calendar days."""

    replication: int
    route: str
    created: np.ndarray
    departed: np.ndarray
    delivered: np.ndarray
    transit: np.ndarray


def blocks(scenario: Scenario, results: Sequence[ReplicationResult]) -> Iterator[Block]:
    """Each (replication, route) block of rows, in replication then scenario route order."""
    s = scenario.settings
    for r in results:
        for rid in scenario.routes:
            c = cohort(r.ledgers[rid], s.warmup_days, s.horizon_days)
            done = ~np.isnan(c.delivered)
            if not done.any():
                continue
            created, departed, delivered = c.created[done], c.departed[done], c.delivered[done]
            yield Block(
                r.replication, rid, created - s.warmup_days, departed - s.warmup_days,
                delivered - s.warmup_days, delivered - created,
            )


def containers_frame(scenario: Scenario, results: Sequence[ReplicationResult]) -> "pandas.DataFrame":
    """Every counted container (created in the measured window) of a run, one row each, as
    a pandas DataFrame (``Run.containers``): days after the warm-up, NaN where not yet."""
    import pandas as pd

    s = scenario.settings
    flows = list(scenario.flows)
    parts = []
    routes = list(scenario.routes)
    for r in results:
        for code, rid in enumerate(routes):
            ledger = r.ledgers[rid]
            c = cohort(ledger, s.warmup_days, s.horizon_days)
            part = pd.DataFrame({
                "replication": np.full(c.created.size, r.replication, dtype=np.int64),
                "route": pd.Categorical.from_codes(np.full(c.created.size, code), categories=routes),
                "created_day": c.created - s.warmup_days,
                "departed_day": c.departed - s.warmup_days,
                "delivered_day": c.delivered - s.warmup_days,
                "transit_days": c.delivered - c.created,
            })
            if flows:  # which flow booked each container (missing: the route's own demand)
                tags = c.flow if c.flow is not None else np.full(c.created.size, -1)
                part["flow"] = pd.Categorical.from_codes(tags.astype(np.int64), categories=flows)
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def check_format(choice: str) -> None:
    """Refuse --containers parquet without pyarrow, before anything is simulated."""
    if choice not in FORMATS:
        raise UsageError(f"--containers must be one of {', '.join(FORMATS)}, got '{choice}'")
    if choice == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise UsageError(PARQUET_MISSING) from None


def containers_writers(scenario: Scenario, results: Sequence[ReplicationResult], choice: str = "csv") -> dict:
    """The per-container file of a run by file name (nothing for ``none``).

    Its writer returns at once: the rows are written beside the main process
    (sim.output.background), on a second core while the other data files are written;
    write_results waits for it before the figures are drawn and the folder is moved.
    """
    if choice == "none":
        return {}
    if choice not in FILE_OF:
        raise ValueError(f"unknown containers format {choice!r}")
    write = write_csv if choice == "csv" else write_parquet
    return {FILE_OF[choice]: lambda path: _in_background(write, path, scenario, results)}


def _in_background(write, path: Path, scenario: Scenario, results: Sequence[ReplicationResult]) -> Pending:
    """Start ``write(file, scenario, results)`` beside the caller (see sim.output.background)."""

    def task() -> None:
        with open(path, "wb") as f:
            write(f, scenario, results)

    return start(task, f"writing {path.name}")


# ---------------------------------------------------------------------------------------
# CSV


def write_csv(f: BinaryIO, scenario: Scenario, results: Sequence[ReplicationResult], threads: int | None = None) -> None:
    """containers.csv.gz into an open file: a header member, then one gzip member per chunk.

    Chunks are compressed on ``threads`` threads (default: the cores, at most 4); the bytes
    do not depend on how many.
    """
    jobs: list[tuple[str, np.ndarray]] = []
    for b in blocks(scenario, results):
        table = np.column_stack((b.created, b.departed, b.delivered, b.transit))
        for i in range(0, table.shape[0], CHUNK_ROWS):
            jobs.append((f"{b.replication},{b.route},", table[i : i + CHUNK_ROWS]))
    header = (",".join(COLUMNS) + "\n").encode("ascii")
    threads = threads or min(4, os.cpu_count() or 1)
    f.write(gzip_member(header))
    if threads == 1 or len(jobs) < 2:
        for prefix, table in jobs:
            f.write(_member(prefix, table))
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        # map keeps the order; members are written as soon as they are ready.
        for member in pool.map(lambda job: _member(*job), jobs):
            f.write(member)


def _member(prefix: str, table: np.ndarray) -> bytes:
    return gzip_member(csv_rows(prefix, table))


def gzip_member(data: bytes) -> bytes:
    """One gzip member of ``data``: no file name, modification time 0, so reproducible."""
    return igzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


@functools.cache  # built on first use, not at import: --containers none never needs it
def _whole_days(width: int) -> np.ndarray:
    """ASCII of 0 .. 10**width - 1 right-aligned in ``width`` bytes (one void item each)."""
    whole = np.arange(10**width)
    text = np.full((whole.size, width), ord(" "), dtype=np.uint8)
    for place in range(width):  # from the units digit leftwards
        power = 10**place
        digit = (whole // power) % 10 + ord("0")
        # Leading zeros become padding (deleted later), but a zero keeps its "0".
        text[:, width - 1 - place] = np.where((whole >= power) | (place == 0), digit, ord(" "))
    return text.view(f"V{width}").ravel()


@functools.cache
def _decimals(separator: str) -> np.ndarray:
    """ASCII of '.0000' .. '.9999' followed by ``separator`` (one void item each)."""
    tail = np.arange(_SCALE)
    text = np.empty((tail.size, _DECIMALS + 2), dtype=np.uint8)
    text[:, 0] = ord(".")
    for place in range(_DECIMALS):
        text[:, _DECIMALS - place] = (tail // 10**place) % 10 + ord("0")
    text[:, -1] = ord(separator)
    return text.view(f"V{_DECIMALS + 2}").ravel()




def csv_rows(prefix: str, table: np.ndarray) -> bytes:
    """Rows of ``prefix`` then four-decimal numbers (round half to even), as CSV bytes.

    Every number is two table look-ups (whole days, decimals and separator) into
    fixed-width rows, each column as wide as its largest number; the few padding spaces
    left of shorter numbers are then deleted.  A million rows take a few hundredths of a
    second, where digit-by-digit arithmetic takes ten times as long.
    """
    if table.size == 0:
        return b""
    if not (np.all(table >= 0) and np.all(table < 10**_INT_DIGITS)):
        raise ValueError("container times outside [0, 100000) days cannot be written")
    rows, cols = table.shape
    scaled = np.rint(table * _SCALE).astype(np.int64)
    whole, tail = np.divmod(scaled, _SCALE)
    widths = [len(str(int(whole[:, c].max()))) for c in range(cols)]
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    out = np.empty((rows, head.size + sum(widths) + cols * (_DECIMALS + 2)), dtype=np.uint8)
    out[:, : head.size] = head
    at = head.size
    for c, width in enumerate(widths):
        out[:, at : at + width].view(f"V{width}")[:, 0] = _whole_days(width)[whole[:, c]]
        at += width
        decimals = _decimals("\n" if c == cols - 1 else ",")
        out[:, at : at + _DECIMALS + 2].view(f"V{_DECIMALS + 2}")[:, 0] = decimals[tail[:, c]]
        at += _DECIMALS + 2
    # Route ids hold no spaces (the loader allows letters, digits, '_' and '-'), so every
    # space is padding.
    return out.tobytes().replace(b" ", b"")


# ---------------------------------------------------------------------------------------
# Parquet


def write_parquet(f: BinaryIO, scenario: Scenario, results: Sequence[ReplicationResult]) -> None:
    """containers.parquet into an open file: the same rows at full precision, route as a
    dictionary column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = list(blocks(scenario, results))
    routes = list(scenario.routes)
    code = {rid: i for i, rid in enumerate(routes)}
    sizes = [b.created.size for b in parts]

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in parts]) if parts else np.empty(0)

    indices = np.repeat(np.array([code[b.route] for b in parts], dtype=np.int32), sizes)
    table = pa.table(
        {
            "replication": pa.array(np.repeat(np.array([b.replication for b in parts], dtype=np.int32), sizes)),
            "route": pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(routes, pa.string())),
            "created_day": pa.array(joined("created"), pa.float64()),
            "departed_day": pa.array(joined("departed"), pa.float64()),
            "delivered_day": pa.array(joined("delivered"), pa.float64()),
            "transit_days": pa.array(joined("transit"), pa.float64()),
        }
    )
    # No timestamps go into a Parquet file (created_by names only the library version), and
    # one thread-independent row-group size keeps the bytes the same for the same seed.
    # Dictionary encoding is tried for the routes only: on the times it costs eight times
    # the rest of the writing and saves little; splitting the floats' bytes into streams
    # lets zstd find the shared exponents instead (13.7 MB rather than 19 for 2020).
    pq.write_table(
        table, f, compression="zstd", compression_level=1, row_group_size=1 << 20,
        use_dictionary=["route"], use_byte_stream_split=list(COLUMNS[2:]),
        write_statistics=True, store_schema=True,
    )
