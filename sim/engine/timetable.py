"""A timetabled service's departure times: one place, used by the engine and by the
benchmark's per-container model so both run the same slots."""

from __future__ import annotations

from typing import Iterator

from sim.model.scenario import Schedule


def timetable(schedule: Schedule, end_time: float) -> Iterator[float]:
    """Departure times of a fixed schedule (a frequency, or days of the week) before
    ``end_time``; each computed from its index, so no rounding accumulates over a long run."""
    if schedule.kind == "frequency":
        j = 0
        t = schedule.offset_days
        while t < end_time:
            yield t
            j += 1
            t = schedule.offset_days + j * schedule.headway_days
        return
    week = 0
    while True:
        for d in schedule.days:
            t = week * 7.0 + d
            if t >= end_time:
                return
            yield t
        week += 1
