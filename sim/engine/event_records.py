"""What a dated event did in one replication: the vehicle trips it held, delayed, slowed or
diverted and the ledger rows of the containers they carried (its Recorder while the run
goes on, its EventRecord in the results).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from sim.model.scenario import Event


# ---------------------------------------------------------------------------------------
# What an event did


@dataclass
class EventRecord:
    """What one event did in one replication: plain arrays, sent with the result.

    ``start`` and ``end`` are simulation days (``end`` drawn when the duration is random, the
    run's end when open-ended).  ``trips`` are the vehicle trips (numbers as in the node
    logs) the event held, delayed, slowed or diverted; ``rows[route]`` the [start, stop)
    ledger rows of the containers they carried, as an (n, 2) array (for a demand event: the
    containers created in its window).  ``base_rows[route]`` (demand events only) gives, for
    each container of that route's ledger, its row in the ledger of the same replication
    without demand events (-1: a container the surge added), so containers can be paired.

    A random closure (``random`` True) has ``spells``, the (n, 2) [start, end) closed spells
    drawn in this replication (merged, sorted); then ``start`` is the first spell's start and
    ``end`` the last one's end (both the run's end when none was drawn).  A dated event has
    one spell, [start, end).
    """

    id: str
    kind: str
    section: str
    targets: tuple[str, ...]
    start: float
    end: float
    trips: np.ndarray
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    base_rows: dict[str, np.ndarray] = field(default_factory=dict)
    spells: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    random: bool = False
    # Vehicles a leg closure held at the leg's start: (ready, released) days, one row each.
    holds: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    def containers(self, route: str | None = None) -> int:
        """Containers (or wagons) on what the event touched, on one route or all."""
        parts = [self.rows.get(route, np.empty((0, 2), np.int64))] if route is not None else list(self.rows.values())
        return int(sum(int((r[:, 1] - r[:, 0]).sum()) for r in parts if r.size))


class Recorder:
    """Collects an event's touches during the run (C arrays: no Python object per touch)."""

    __slots__ = ("event", "start", "end", "spells", "trips", "rows", "base_rows", "holds")

    def __init__(self, event: Event, start: float, end: float, spells: np.ndarray | None = None) -> None:
        self.event = event
        self.start = start
        self.end = end
        self.spells = np.array([[start, end]]) if spells is None else spells
        self.trips = array("q")
        self.rows: dict[str, array] = {}
        self.base_rows: dict[str, np.ndarray] = {}
        self.holds = array("d")

    def add(self, trip: int, route_id: str, ranges: Sequence[tuple[int, int]]) -> None:
        """One vehicle trip touched, carrying these ledger rows of a route."""
        self.trips.append(trip)
        self.add_rows(route_id, ranges)

    def hold(self, ready: float, released: float) -> None:
        """A vehicle held at a closed leg's start from ``ready`` until ``released``."""
        self.holds.append(ready)
        self.holds.append(released)

    def add_rows(self, route_id: str, ranges: Sequence[tuple[int, int]]) -> None:
        """Containers touched without a vehicle (created in a demand event's window)."""
        rows = self.rows.get(route_id)
        if rows is None:
            rows = self.rows[route_id] = array("q")
        for a, b in ranges:
            rows.append(a)
            rows.append(b)

    def finish(self) -> EventRecord:
        e = self.event
        return EventRecord(
            e.id, e.kind, e.section, e.targets, self.start, self.end,
            np.unique(np.frombuffer(self.trips, dtype=np.int64)) if len(self.trips) else np.empty(0, np.int64),
            {r: np.frombuffer(a, dtype=np.int64).reshape(-1, 2).copy() for r, a in self.rows.items()},
            dict(self.base_rows),
            self.spells,
            e.random is not None,
            np.frombuffer(self.holds, dtype=np.float64).reshape(-1, 2).copy(),
        )
