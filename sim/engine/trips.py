"""A vehicle trip run as a bare generator resumed by its events' callbacks, not a simpy.Process.

Nothing ever waits for, joins or interrupts a trip, and no event it waits on fails, so the
machinery of a Process buys nothing here: it costs an event to start the trip, another to
announce its end to nobody, and a heavier resume at every wait.  Trips are most of a run's
processes, and those two events were two of every five events of the bundled 2020 run.

A trip waits either on a SimPy event or, most often, until a time on its own clock: it
yields that time (a float, see ``until``), and a bare wake-up is scheduled for it, at the
same moment and with the same delay a Timeout would have, so the order of events is
unchanged while the Timeout's construction is saved.
"""

from __future__ import annotations

from typing import Generator, Union

import simpy
from simpy.events import NORMAL


class WakeUp:
    """The least SimPy's Environment.step needs of an event it processes: its callbacks,
    and that it succeeded.  Scheduled with Environment.schedule, it fires like a Timeout."""

    __slots__ = ("callbacks",)
    _ok = True

    def __init__(self, callback) -> None:
        self.callbacks = [callback]


class _Resumer:
    """Resumes one trip; the callback its events and wake-ups hold.

    An object rather than a closure: a closure that schedules itself refers to itself
    through its own cell, so every finished trip was left as a reference cycle (the
    function, its cells and the generator) for the cyclic garbage collector.  That
    collector's full passes cost a third of a run four times the bundled volume.  This
    object is referred to only by what is scheduled, so a finished trip is freed at once.
    """

    __slots__ = ("trip", "env", "schedule")

    def __init__(self, env: simpy.Environment, trip: Generator[Union[simpy.Event, float], None, None]) -> None:
        self.trip = trip
        self.env = env
        self.schedule = env.schedule

    def __call__(self, _event=None) -> None:
        send = self.trip.send
        while True:
            try:
                event = send(None)
            except StopIteration:
                return
            if isinstance(event, float):  # a time
                self.schedule(WakeUp(self), NORMAL, event - self.env.now)
                return
            if event.callbacks is not None:
                event.callbacks.append(self)
                return


def start(env: simpy.Environment, trip: Generator[Union[simpy.Event, float], None, None]) -> None:
    """Run ``trip`` now until it waits, and on from there each time what it waits for comes:
    a time it yields (scheduled like a Timeout of that time minus now), or an event (at once
    if that event was processed already, as a Process would)."""
    _Resumer(env, trip)()
