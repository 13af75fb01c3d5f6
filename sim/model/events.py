"""``[[events]]``: dated closures, capacity changes, demand surges and diversions.

Each entry is read into an immutable :class:`sim.model.scenario.Event` and checked against
the scenario it changes: its target exists and is of the right kind, its dates fall in the
run, its ``set``/``scale`` keys are ones the target has, a diverted path connects and its
services can run it, and no two events give the same number of the same target two values
at the same time.  Every problem is one ScenarioError at ``events.<id>.<key>``.

Dates are ISO dates (``2020-05-04``, a TOML date or a string, on the run's calendar) or day
numbers: calendar days, 0 being the end of the warm-up (``run.start_date``), as in every
output file.  ``end`` is the first instant the event no longer applies, so ``end - start`` is
its ``duration_days``; with neither, it lasts until the run ends.

The ``--event`` option's compact text is read by sim.model.event_text into the same table
a file gives, so the command line is validated by the very same code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any, Mapping, Sequence

from sim.model.distributions import Distribution, Fixed
from sim.model.event_changes import MAX_SCALE, SECTIONS, SINGULAR, read_divert, read_scale, read_set
from sim.model.errors import ScenarioError, kind_of
from sim.model.overrides import printable
from sim.model.reading import HOURS, Table, check_number, items, one_of, read_date
from sim.model.scenario import EVENT_KINDS, Closures, Event, Leg, Node, Route, Scenario, Service, Settings
from sim.model.suggest import unknown_key_message

# A dated event lasts at most a hundred years (the longest horizon): one that should last
# until the run ends says so by leaving out end and duration_days.
MAX_EVENT_DAYS = 36_500
_FOREVER = "leave out end and duration_days for an event that lasts until the run ends"
COMMON_KEYS = ("id", "kind", "target", "start", "end", "duration_days", "name")
KIND_KEYS = {
    "closure": ("random",),
    "capacity": ("set", "scale"),
    "demand": ("factor",),
    "divert": ("path", "services"),
}
# What each kind may target.
KIND_SECTIONS = {
    "closure": ("nodes", "legs", "services"),
    "capacity": ("nodes", "legs", "services"),
    "demand": ("routes",),
    "divert": ("routes",),
}


# ---------------------------------------------------------------------------------------
# [[events]] entries


def parse_events(
    raw: Mapping[str, Any],
    settings: Settings,
    nodes: Mapping[str, Node],
    legs: Mapping[str, Leg],
    services: Mapping[str, Service],
    routes: Mapping[str, Route],
) -> tuple[Event, ...]:
    """Every ``[[events]]`` entry of a scenario document, read and checked."""
    network = {"nodes": nodes, "legs": legs, "services": services, "routes": routes}
    events = tuple(
        _event(ident, entry, settings, network) for ident, entry in items(raw, "events", by_id=True)
    )
    _check_overlaps(events, settings)
    seen: dict[str, str] = {}
    for e in events:
        if e.random is not None:
            if e.targets[0] in seen:  # both would draw the same spells from the service's stream
                raise ScenarioError(
                    f"service '{e.targets[0]}' already has random closures (event '{seen[e.targets[0]]}'): give them once",
                    f"events.{e.id}.random",
                )
            seen[e.targets[0]] = e.id
    return events


def _event(ident: str, entry: Mapping[str, Any], settings: Settings, network: Mapping[str, Mapping]) -> Event:
    path = f"events.{ident}"
    # The kind first: it says which other keys the entry may have.
    if isinstance(entry, Mapping) and "kind" in entry:
        kind = Table({"kind": entry["kind"]}, path, ("kind",)).string("kind", choices=EVENT_KINDS)
    else:
        raise ScenarioError(f"missing required key 'kind' (one of: {', '.join(EVENT_KINDS)})", path)
    others = sorted({k for keys in KIND_KEYS.values() for k in keys} - set(KIND_KEYS[kind]))
    for key in others:
        if key in entry:
            owners = [k for k, keys in KIND_KEYS.items() if key in keys]
            raise ScenarioError(
                f"does not apply to a {kind} event (it belongs to {' and '.join(owners)} events)", f"{path}.{key}"
            )
    t = Table(entry, path, COMMON_KEYS + KIND_KEYS[kind])
    section, targets = _targets(t, kind, network)
    if kind == "closure" and "random" in entry:
        return _random_closure(t, ident, section, targets, network)
    start, duration = _window(t, settings)
    event = Event(
        id=ident, kind=kind, section=section, targets=targets, start=start, duration=duration,
        source=str(entry.get("source", "")), name=t.string("name", ident),
    )
    if kind == "capacity":
        target = network[section][targets[0]]
        changes = {k: v for k, v in (("set", read_set(t, section, target, network)), ("scale", read_scale(t, section, target, network))) if v}
        if not changes:
            raise ScenarioError("a capacity event needs set = { ... } (new values) or scale = { ... } (multipliers)", path)
        return dataclasses.replace(event, **changes)
    if kind == "demand":
        return dataclasses.replace(event, factor=t.number("factor", minimum=0, maximum=MAX_SCALE))
    if kind == "divert":
        stops, segs = read_divert(t, targets, network)
        return dataclasses.replace(event, path=stops, segments=segs)
    return event


def _random_closure(t: Table, ident: str, section: str, targets: tuple[str, ...], network: Mapping[str, Mapping]) -> Event:
    """A closure with random spells: ``random = { per_year, duration_days }`` instead of dates."""
    for key in ("start", "end", "duration_days"):
        if t.has(key):
            raise ScenarioError("a random closure has no dates: its spells are drawn from random = { per_year, duration_days }", t.sub(key))
    if section != "services":
        raise ScenarioError(f"random closures target services.<id> (like a service's closures key), not {section}", t.sub("target"))
    service = network["services"][targets[0]]
    if service.closures is not None:
        # Two sets of random spells on one service would draw from the same stream.
        raise ScenarioError(
            f"service '{service.id}' already has closures = {{ ... }}, the shorthand for this event: give its random closures once",
            t.sub("random"),
        )
    return Event(
        id=ident, kind="closure", section=section, targets=targets, start=0.0, duration=None,
        source=str(t.get("source", "")), name=t.string("name", ident), random=random_closures(t.get("random"), t.sub("random")),
    )


def random_closures(value: Any, path: str) -> Closures:
    """``{ per_year, duration_days | duration_hours }``: a service's ``closures`` or a random closure event's ``random``."""
    t = Table(value, path, ("per_year", "duration_days", "duration_hours"))
    unit = one_of(t, ("duration_days", "duration_hours"), required=True)
    return Closures(
        per_year=t.number("per_year", minimum=0, maximum=365),
        duration_days=t.distribution(unit, HOURS if unit == "duration_hours" else 1.0),
    )


def _targets(t: Table, kind: str, network: Mapping[str, Mapping]) -> tuple[str, tuple[str, ...]]:
    """(section, ids) of an event's ``target``: 'nodes.suez', or for routes a list or 'routes.*'."""
    key = t.sub("target")
    value = t.required("target")
    allowed = KIND_SECTIONS[kind]
    if isinstance(value, list):
        if allowed != ("routes",):
            raise ScenarioError(f"a {kind} event has one target (a list of routes is for demand and divert events)", key)
        if not value:
            raise ScenarioError("must list at least one route (routes.<id>)", key)
        ids = [_one_target(v, f"{key}[{i}]", kind, network)[1] for i, v in enumerate(value)]
        found = [i for i in ids if i != "*"]
        if len(found) != len(set(found)):
            raise ScenarioError("lists the same route twice", key)
        if "*" in ids:
            raise ScenarioError("routes.* already means every route: give it alone, not in a list", key)
        return "routes", tuple(found)
    section, ident = _one_target(value, key, kind, network)
    if ident == "*":
        return section, tuple(network["routes"])
    return section, (ident,)


def _one_target(value: Any, key: str, kind: str, network: Mapping[str, Mapping]) -> tuple[str, str]:
    if not isinstance(value, str):
        raise ScenarioError(f"must be a target like 'nodes.suez' or 'routes.rail_xian_duisburg', got {kind_of(value)}", key)
    section, dot, ident = value.partition(".")
    if section not in SECTIONS or not dot or not ident:
        raise ScenarioError(
            f"must be nodes.<id>, legs.<id>, services.<id> or routes.<id>, got {printable(value[:60])!r}", key
        )
    allowed = KIND_SECTIONS[kind]
    if section not in allowed:
        what = ", ".join(f"{s}.<id>" for s in allowed[:-1]) + (" or " if len(allowed) > 1 else "") + f"{allowed[-1]}.<id>"
        extra = ", a list of them, or routes.*" if allowed == ("routes",) else ""
        raise ScenarioError(f"a {kind} event targets {what}{extra}, not {section}", key)
    if ident == "*" and section == "routes":
        return section, ident
    if ident not in network[section]:
        raise ScenarioError(unknown_key_message(ident, network[section], what=SINGULAR[section]), key)
    return section, ident


# ---------------------------------------------------------------------------------------
# When


def _window(t: Table, settings: Settings) -> tuple[float, Distribution | None]:
    """(start in simulation days, duration) of an event, checked against the run."""
    start_day = _day(t.required("start"), t.sub("start"), settings)
    start = settings.calendar.sim_time(start_day)
    shown = _shown(t.get("start"))
    if start < 0:
        raise ScenarioError(
            f"{shown} is before the run begins ({_when_text(-settings.warmup_days, settings)}, "
            f"the start of its {settings.warmup_days:g}-day warm-up)",
            t.sub("start"),
        )
    if start >= settings.horizon_days:
        raise ScenarioError(
            f"{shown} is not before the end of the measured window ({_when_text(settings.horizon_days - settings.warmup_days, settings)}, "
            "the horizon): the event would change nothing that is measured",
            t.sub("start"),
        )
    unit = one_of(t, ("end", "duration_days"), required=False)
    if unit == "end":
        end_day = _day(t.get("end"), t.sub("end"), settings)
        if end_day <= start_day:
            raise ScenarioError(f"end ({_shown(t.get('end'))}) must be after start ({shown})", t.sub("end"),
                                related=(t.sub("start"),))
        if end_day - start_day > MAX_EVENT_DAYS:
            raise ScenarioError(f"end ({_shown(t.get('end'))}) is more than {MAX_EVENT_DAYS:,} days after start "
                                f"({shown}); {_FOREVER}", t.sub("end"))
        return start, Fixed(end_day - start_day)
    if unit == "duration_days":
        value = t.get("duration_days")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and value > MAX_EVENT_DAYS:
                raise ScenarioError(f"must be <= {MAX_EVENT_DAYS:,} days, got {value:g}; {_FOREVER}",
                                    t.sub("duration_days"))
            return start, Fixed(t.number("duration_days", positive=True))
        duration = t.distribution("duration_days")
        if not duration.mean > 0:
            raise ScenarioError(f"must have a mean > 0, got {duration.mean:g}", t.sub("duration_days"))
        if duration.mean > MAX_EVENT_DAYS:
            raise ScenarioError(f"must have a mean <= {MAX_EVENT_DAYS:,} days, got {duration.mean:g}; {_FOREVER}",
                                t.sub("duration_days"))
        return start, duration
    return start, None


def _day(value: Any, key: str, settings: Settings) -> float:
    """Calendar day of a date (ISO, on the run's calendar) or a day number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, dt.date)):
        raise ScenarioError(f"must be a date (YYYY-MM-DD) or a day number, got {kind_of(value)}", key)
    if isinstance(value, (int, float)):
        return check_number(value, key)
    calendar = settings.calendar
    if not calendar.dated:
        raise ScenarioError(
            f"{_shown(value)} is a date, but the scenario has no calendar (run.year or run.start_date): "
            "give a day number (0 = the end of the warm-up)", key,
        )
    return float(calendar.day(read_date(value, key)))


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"day {value:g}"
    return str(value)


def _when_text(day: float, settings: Settings) -> str:
    """'2019-11-02' on a dated calendar (with the day), else 'day -60'."""
    calendar = settings.calendar
    if calendar.dated and float(day).is_integer():
        return f"{calendar.iso(day)}, day {day:g}"
    return f"day {day:g}"


# ---------------------------------------------------------------------------------------
# Two events at once


def _check_overlaps(events: Sequence[Event], settings: Settings) -> None:
    """No two events change the same number of the same target, or divert the same route,
    over the same days (with a random duration, over its mean)."""
    for j, later in enumerate(events):
        for earlier in events[:j]:
            if earlier.section != later.section or not set(earlier.targets) & set(later.targets):
                continue
            if not _overlap(earlier, later):
                continue
            target = f"{later.section}.{sorted(set(earlier.targets) & set(later.targets))[0]}"
            if later.kind == earlier.kind == "divert":
                raise ScenarioError(
                    f"diverts {target} while event '{earlier.id}' diverts it too: give one path per period",
                    f"events.{later.id}.start", related=(f"events.{earlier.id}.start",),
                )
            if later.kind == earlier.kind == "capacity":
                for key in sorted((set(later.set) | set(later.scale)) & (set(earlier.set) | set(earlier.scale))):
                    if earlier.set.get(key, None) == later.set.get(key, None) and key not in later.scale and key not in earlier.scale:
                        continue  # the same new value twice: nothing contradicts
                    where = "set" if key in later.set else "scale"
                    raise ScenarioError(
                        f"changes {key} of {target} while event '{earlier.id}' changes it too "
                        f"({_span(earlier, settings)}): give one value per period",
                        f"events.{later.id}.{where}.{key}", related=(f"events.{earlier.id}.start",),
                    )


def _overlap(a: Event, b: Event) -> bool:
    def end(e: Event) -> float:
        return math.inf if e.duration is None else e.start + e.duration.mean

    return a.start < end(b) and b.start < end(a)


def _span(e: Event, settings: Settings) -> str:
    """'2020-01-21 to 2020-02-10' (or day numbers) for messages; a random duration by its mean."""
    calendar = settings.calendar

    def day(d: float) -> str:
        return calendar.iso(d) if calendar.dated and float(d).is_integer() else f"day {d:g}"

    first = calendar.calendar_day(e.start)
    if e.duration is None:
        return f"from {day(first)} on"
    return f"{day(first)} to {day(first + e.duration.mean)}"


def event_warnings(scenario: Scenario) -> list[str]:
    """Legal but idle or easily misread events, one line each: a target no vehicle reaches,
    a diversion onto the route's own path, a dated closure with no end (it lasts the run)."""
    used: dict[str, set[str]] = {"nodes": set(), "legs": set(), "services": set()}
    paths = [seg for r in scenario.routes.values() for seg in r.segments]
    paths += [seg for e in scenario.events for segs in e.segments.values() for seg in segs]
    for seg in paths:
        used["nodes"].update(seg.nodes)
        used["legs"].update(seg.legs)
        used["services"].add(seg.service)
    used["nodes"].update(nid for nid, n in scenario.nodes.items() if n.background is not None)
    out = []
    for e in scenario.events:
        if e.section in used and e.targets[0] not in used[e.section]:
            out.append(f"events.{e.id}: no route uses {SINGULAR[e.section]} '{e.targets[0]}', so the event changes nothing")
        for rid, segs in e.segments.items():
            if segs == scenario.routes[rid].segments:
                out.append(f"events.{e.id}: diverts route '{rid}' onto its own path and services, so it changes nothing")
        if e.kind == "closure" and e.duration is None and e.random is None:
            out.append(f"events.{e.id}: the closure has no end or duration_days, so it lasts until the run ends")
    return out
