"""Typed readers of scenario tables and the checks that routes and events share.

Each reader names the dotted key path in its error (ScenarioError), so a problem anywhere in
a scenario becomes one line: file, key path, what is wrong.  The loader builds nodes, legs,
services and routes with them; sim.model.events reads ``[[events]]`` with the same ones, so
an event's path or its services are checked exactly like a route's.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Iterable, Mapping, Sequence

from sim.model.distributions import DOC_KEYS, Distribution, Fixed, parse_distribution
from sim.model.errors import ScenarioError, kind_of
from sim.model.scenario import KM_PER_DAY_PER_KNOT, VEHICLES, Leg, Node, Segment, Service
from sim.model.suggest import unknown_key_message

HOURS = 1 / 24
MAX_SERVERS = 100_000  # each server is a slot the engine tracks: a billion is gigabytes


class Table:
    """A mapping read with its key path, rejecting keys that are never read."""

    def __init__(self, data: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(f"must be a table, got {kind_of(data)}", path)
        self.data = data
        self.path = path
        allowed = set(allowed) | DOC_KEYS
        for key in data:
            if key not in allowed:
                raise ScenarioError(
                    unknown_key_message(str(key), sorted(allowed)), self.sub(str(key))
                )

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def required(self, key: str) -> Any:
        if key not in self.data:
            raise ScenarioError(f"missing required key '{key}'", self.path or "(top level)")
        return self.data[key]

    def string(self, key: str, default: str | None = None, choices: Sequence[str] = ()) -> str:
        value = self.required(key) if default is None else self.data.get(key, default)
        if not isinstance(value, str):
            raise ScenarioError(f"must be a string, got {kind_of(value)}", self.sub(key))
        if choices and value not in choices:
            raise ScenarioError(unknown_key_message(value, choices, what="value"), self.sub(key))
        return value

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        positive: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        value = self.required(key) if default is None else self.data.get(key, default)
        return check_number(value, self.sub(key), positive=positive, minimum=minimum, maximum=maximum)

    def integer(self, key: str, default: int | None = None, *, minimum: int = 0) -> int:
        value = self.required(key) if default is None else self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"must be an integer, got {kind_of(value)}", self.sub(key))
        if value < minimum:
            raise ScenarioError(f"must be >= {minimum}, got {value}", self.sub(key))
        if value > 2**63 - 1:
            raise ScenarioError("is too large", self.sub(key))
        return value

    def year(self, low: int, high: int, span: str) -> int | None:
        """The optional ``year`` key: an integer from ``low`` to ``high`` (``span`` says which
        years in the message), or None when absent."""
        if not self.has("year"):
            return None
        year = self.integer("year", minimum=low)
        if year > high:
            raise ScenarioError(f"must be {span}, got {year}", self.sub("year"))
        return year

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ScenarioError(f"must be true or false, got {kind_of(value)}", self.sub(key))
        return value

    def distribution(self, key: str, scale: float = 1.0) -> Distribution:
        return parse_distribution(self.required(key), self.sub(key)).scaled(scale)


def read_seasonality(t: "Table") -> tuple[float, ...]:
    """``seasonality``: 12 monthly factors (January first), normalised to mean 1; flat when absent."""
    if not t.has("seasonality"):
        return (1.0,) * 12
    raw = t.get("seasonality")
    if not isinstance(raw, list) or len(raw) != 12:
        raise ScenarioError("must be an array of 12 monthly factors (January first)", t.sub("seasonality"))
    factors = [check_number(v, f"{t.sub('seasonality')}[{i}]", minimum=0) for i, v in enumerate(raw)]
    if sum(factors) <= 0:
        raise ScenarioError("monthly factors must not all be zero", t.sub("seasonality"))
    mean = sum(factors) / 12
    return tuple(f / mean for f in factors)


def read_servers(t: "Table", what: str = "a node") -> int | None:
    """A node's (or a node pool's) ``servers``: None when not given (no capacity limit)."""
    if not t.has("servers"):
        return None
    value = t.get("servers")
    if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
        raise ScenarioError(f"must be >= 1, got {value} (omit 'servers' for {what} without a capacity limit)", t.sub("servers"))
    servers = t.integer("servers", minimum=1)
    if servers > MAX_SERVERS:
        raise ScenarioError(f"must be at most {MAX_SERVERS:,}, got {servers:,} (omit 'servers' for {what} without a capacity limit)", t.sub("servers"))
    return servers


def read_handling(t: "Table") -> dict[str, Distribution]:
    """``handling_hours`` per vehicle kind, as distributions in days (empty when not given)."""
    if not t.has("handling_hours"):
        return {}
    h = Table(t.get("handling_hours"), t.sub("handling_hours"), VEHICLES)
    return {vehicle: h.distribution(vehicle, HOURS) for vehicle in VEHICLES if h.has(vehicle)}


def check_number(
    value: Any,
    path: str,
    *,
    positive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """Validate a finite number against simple bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"must be a number, got {kind_of(value)}", path)
    if not math.isfinite(value):
        raise ScenarioError(f"must be a finite number, got {value}", path)
    if positive and value <= 0:
        raise ScenarioError(f"must be > 0, got {value:g}", path)
    if minimum is not None and value < minimum:
        raise ScenarioError(f"must be >= {minimum:g}, got {value:g}", path)
    if maximum is not None and value > maximum:
        raise ScenarioError(f"must be <= {maximum:g}, got {value:g}", path)
    return float(value)



MAX_ID_LENGTH = 100


def id_problem(ident: str) -> str | None:
    """What is wrong with an entry's id, or None: the one rule for files, --set and --event."""
    if not ident.replace("_", "").replace("-", "").isalnum() or not ident.isascii():
        return f"id {ident[:60]!r} may hold only ASCII letters, digits, '_' and '-'"
    if len(ident) > MAX_ID_LENGTH:  # ids name files (marey_<route>.png): keep them well under 255 bytes
        return f"id is {len(ident):,} characters long; at most {MAX_ID_LENGTH}"
    if ident.startswith("-"):  # a spreadsheet opening the CSVs would read "-x" as a formula
        return f"id {ident[:60]!r} may not begin with '-'"
    return None


def items(raw: Mapping[str, Any], section: str, by_id: bool = False) -> list[tuple[str, Mapping[str, Any]]]:
    """The ``[[section]]`` entries as (id, table), checking ids are present and unique.

    ``by_id``: a duplicate is named ``section.<id>.id`` rather than by its position.
    """
    entries = raw.get(section, [])
    if not isinstance(entries, list):
        raise ScenarioError(f"must be an array of tables ([[{section}]]), got {kind_of(entries)}", section)
    seen: dict[str, int] = {}
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ScenarioError(f"must be a table, got {kind_of(entry)}", f"{section}[{i}]")
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident:
            raise ScenarioError("every entry needs a non-empty string 'id'", f"{section}[{i}]")
        problem = id_problem(ident)
        if problem:
            raise ScenarioError(problem, f"{section}[{i}].id")
        if ident in seen:
            # by_id: named by the id, so a duplicate an --event added is blamed on that option.
            raise ScenarioError(
                f"duplicate id '{ident}' (also entry {seen[ident]})",
                f"{section}.{ident}.id" if by_id else f"{section}[{i}].id",
            )
        seen[ident] = i
        out.append((ident, entry))
    return out

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_date(value: Any, path: str) -> dt.date:
    # TOML has its own date type; a string is read strictly, so '2020-3-1' or a date-time
    # in a string is refused rather than guessed at.
    if isinstance(value, dt.datetime):
        raise ScenarioError(f"must be a date (YYYY-MM-DD) without a time of day, got {value.isoformat()}", path)
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ScenarioError(f"must be a date (YYYY-MM-DD), got {kind_of(value)}", path)
    if not _ISO_DATE.fullmatch(value):
        raise ScenarioError(f"must be a date as YYYY-MM-DD, got {value[:40]!r}", path)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ScenarioError(f"{value!r} is not a calendar date ({exc})", path) from None

def one_of(t: Table, keys: Sequence[str], required: bool) -> str | None:
    """The one of ``keys`` the table gives (None if none and not required)."""
    present = [k for k in keys if t.has(k)]
    if len(present) > 1:
        raise ScenarioError(f"give only one of {', '.join(present)}", t.path)
    if not present:
        if required:
            raise ScenarioError(f"needs one of: {', '.join(keys)}", t.path)
        return None
    return present[0]

def check_ids(ids: Sequence[Any], known: Mapping[str, Any], what: str, path: str) -> None:
    """Every item is the id (a string) of a known entry; name the first that is not."""
    for i, ident in enumerate(ids):
        if not isinstance(ident, str):
            raise ScenarioError(f"must be a {what} id (string), got {kind_of(ident)}", f"{path}[{i}]")
        if ident not in known:
            raise ScenarioError(unknown_key_message(ident, known, what=what), f"{path}[{i}]")


def route_services(t: Table, n_legs: int, services: Mapping[str, Service]) -> list[str]:
    """The service of each leg: ``services`` gives one for the whole path or one per leg."""
    raw = t.required("services")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ScenarioError("must be a service id or an array of them", t.sub("services"))
    check_ids(raw, services, "service", t.sub("services"))
    if len(raw) == 1:
        return raw * n_legs
    if len(raw) != n_legs:
        raise ScenarioError(
            f"gives {len(raw)} services for {n_legs} legs: give one service for the whole "
            "path or one per leg",
            t.sub("services"),
        )
    return list(raw)


def segments(
    stops: Sequence[str], leg_ids: Sequence[str], per_leg: Sequence[str], path: str
) -> tuple[Segment, ...]:
    """Stretches of a path run by one service each; a service may run only one stretch."""
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(per_leg) + 1):
        if i == len(per_leg) or per_leg[i] != per_leg[start]:
            if any(s.service == per_leg[start] for s in segments):
                raise ScenarioError(
                    f"service '{per_leg[start]}' appears on two separate stretches of the route", path
                )
            segments.append(
                Segment(per_leg[start], tuple(stops[start : i + 1]), tuple(leg_ids[start:i]))
            )
            start = i
    return tuple(segments)



def path_legs(stops: Any, nodes: Mapping[str, Node], legs: Mapping[str, Leg], key: str, what: str = "route") -> list[str]:
    """The leg joining each pair of consecutive nodes of a path (an array of node ids at ``key``)."""
    if not isinstance(stops, list) or len(stops) < 2:
        raise ScenarioError("must be an array of at least two node ids", key)
    check_ids(stops, nodes, "node", key)
    if len(set(stops)) != len(stops):
        raise ScenarioError("visits the same node twice", key)
    leg_ids = []
    for i, (a, b) in enumerate(zip(stops, stops[1:])):
        found = [leg.id for leg in legs.values() if leg.connects(a, b)]
        if not found:
            raise ScenarioError(
                f"{what} does not connect: no leg from '{a}' to '{b}' (add a [[legs]] entry or fix the path)",
                f"{key}[{i}]",
            )
        if len(found) > 1:
            raise ScenarioError(f"legs {', '.join(found)} all join '{a}' and '{b}'; keep one", key)
        leg_ids.append(found[0])
    return leg_ids


LEG_TIMING_KEYS = ("speed_km_per_day", "speed_kmh", "speed_knots", "duration_days", "duration_hours")


def leg_timing(t: Table) -> tuple[Distribution | None, Distribution | None]:
    """(speed in km/day, duration in days) of a leg: exactly one of LEG_TIMING_KEYS is given."""
    timing = one_of(t, LEG_TIMING_KEYS, required=True)
    speed = duration = None
    if timing == "speed_km_per_day":
        speed = t.distribution("speed_km_per_day")
    elif timing == "speed_kmh":
        speed = t.distribution("speed_kmh", 24.0)
    elif timing == "speed_knots":
        speed = t.distribution("speed_knots", KM_PER_DAY_PER_KNOT)
    elif timing == "duration_days":
        duration = t.distribution("duration_days")
    else:
        duration = t.distribution("duration_hours", HOURS)
    if speed is not None:
        low = speed.value if isinstance(speed, Fixed) else speed.mean
        if low <= 0:
            raise ScenarioError("speed must be > 0", t.sub(timing))
    return speed, duration


# Which leg modes each vehicle kind can travel (ferries carry trains, trucks and ships' boxes).
SUITS = {
    "train": ("rail", "ferry"),
    "ship": ("sea", "ferry"),
    "ferry": ("ferry", "sea"),
    "truck": ("road", "ferry"),
    "plane": ("air",),
}
