"""A fleet's ready vehicles and a trip's waits, event by event (sim.engine.fleet.FleetState,
sim.engine.trips): a vehicle put back for a later time wakes a waiting departure exactly
then, an earlier return re-arms the wake-up, and a vehicle ready at once wakes it at once."""

from __future__ import annotations

import gc
import weakref

import simpy

from sim.engine.fleet import FleetState
from sim.engine.trips import start
from sim.model.scenario import Fleet

FLEET = Fleet(3, ("b", "a"), ("ba",))


def departures(env: simpy.Environment, fleet: FleetState, count: int, log: list) -> simpy.Process:
    """A dispatcher that wants ``count`` vehicles from time 0, as the engine's does."""

    def run():
        for _ in range(count):
            if not fleet.has_ready():
                while True:
                    yield fleet.wait()
                    if fleet.has_ready():
                        break
            row = fleet.take(env.now, env.now)
            log.append((env.now, row[0]))

    return env.process(run())


def test_start_up_vehicles_are_ready_at_their_times_and_first_back_first_out() -> None:
    env = simpy.Environment()
    fleet = FleetState(env, FLEET, [0.0, 2.5, 4.0])
    log: list = []
    departures(env, fleet, 3, log)
    env.run()
    assert log == [(0.0, 0), (2.5, 1), (4.0, 2)]
    # Those not ready at the start count as on their way back until then.
    assert [r[5] for r in fleet.rows[:2]] == [2.5, 4.0]


def test_a_return_put_for_later_wakes_the_waiting_departure_then() -> None:
    env = simpy.Environment()
    fleet = FleetState(env, Fleet(1, ("b", "a"), ("ba",)), [0.0])
    log: list = []
    departures(env, fleet, 2, log)

    def back():
        yield env.timeout(1.0)
        fleet.put_at(0, 7.25)  # computed on the vehicle's own clock, ready later

    env.process(back())
    env.run()
    assert log == [(0.0, 0), (7.25, 0)]


def test_an_earlier_return_re_arms_the_wake_up() -> None:
    env = simpy.Environment()
    fleet = FleetState(env, Fleet(2, ("b", "a"), ("ba",)), [0.0, 0.0])
    log: list = []
    departures(env, fleet, 3, log)

    def back():
        yield env.timeout(1.0)
        fleet.put_at(0, 10.0)  # the departure now waits for 10
        yield env.timeout(1.0)
        fleet.put_at(1, 5.0)  # then a return at 5 comes in ahead of it

    env.process(back())
    env.run(until=6.0)
    assert log == [(0.0, 0), (0.0, 1), (5.0, 1)]
    assert not fleet.has_ready() and [v for _, _, v in fleet.later] == [0]
    env.run(until=9.999)
    assert not fleet.has_ready()  # back at 10, not sooner
    env.run(until=10.0)
    assert fleet.has_ready() and fleet.idle == [0]


def test_a_vehicle_ready_at_once_wakes_the_waiter_and_later_waiters_keep_the_armed_time() -> None:
    env = simpy.Environment()
    fleet = FleetState(env, Fleet(2, ("b", "a"), ("ba",)), [0.0, 0.0])
    first: list = []
    second: list = []
    departures(env, fleet, 3, first)  # takes both, then waits (armed for 10 below)

    def back():
        yield env.timeout(1.0)
        fleet.put_at(0, 10.0)
        yield env.timeout(2.0)
        fleet.put_at(1, 3.0)  # ready now: the waiter leaves at 3
        yield env.timeout(1.0)
        departures(env, fleet, 1, second)  # comes at 4: waits for the return at 10

    env.process(back())
    env.run()
    assert first == [(0.0, 0), (0.0, 1), (3.0, 1)]
    assert second == [(10.0, 0)]


def test_a_trip_waits_until_the_times_it_yields_and_on_events() -> None:
    env = simpy.Environment()
    seen: list = []
    gate = env.event()

    def trip(name: str, t: float):
        seen.append((name, env.now))
        yield t  # until t on its own clock
        seen.append((name, env.now))
        yield gate
        seen.append((name, env.now))

    start(env, trip("a", 2.0))
    start(env, trip("b", 1.5))

    def opener():
        yield env.timeout(4.0)
        gate.succeed()

    env.process(opener())
    env.run()
    # At the event, in the order they began to wait on it.
    assert seen == [("a", 0.0), ("b", 0.0), ("b", 1.5), ("a", 2.0), ("b", 4.0), ("a", 4.0)]


def test_a_finished_trip_is_freed_at_once_not_left_for_the_cycle_collector() -> None:
    # A trip that left a reference cycle behind made the cyclic collector's full passes a
    # third of a large run's time; with the collector off, a finished trip must be gone.
    env = simpy.Environment()
    gate = env.event()

    def trip():
        yield 1.0
        yield gate

    gen = trip()
    alive = weakref.ref(gen)
    gc.collect()
    gc.disable()
    try:
        start(env, gen)
        del gen

        def opener():
            yield env.timeout(2.0)
            gate.succeed()

        env.process(opener())
        env.run()
        assert alive() is None
    finally:
        gc.enable()
