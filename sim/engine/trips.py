"""A vehicle trip run as a bare generator resumed by its events' callbacks, not a simpy.Process.

Nothing ever waits for, joins or interrupts a trip, and no event it waits on fails, so the
machinery of a Process buys nothing here: it costs an event to start the trip, another to
announce its end to nobody, and a heavier resume at every wait.  Trips are most of a run's
processes, and those two events were two of every five events of the bundled 2020 run.
"""

from __future__ import annotations

from typing import Generator

import simpy


def start(trip: Generator[simpy.Event, None, None]) -> None:
    """Run ``trip`` now until it waits on an event, and on from there each time the event it
    waits on fires (at once if that event was processed already, as a Process would)."""

    def resume(_event: simpy.Event | None = None) -> None:
        while True:
            try:
                event = trip.send(None)
            except StopIteration:
                return
            if event.callbacks is not None:
                event.callbacks.append(resume)
                return

    resume()
