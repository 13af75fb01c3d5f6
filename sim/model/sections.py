"""The readers of a scenario document's sections: run settings, nodes, legs, services and
routes, each checked key by key and built into the model's immutable records.

Every problem raises ScenarioError naming the dotted key path and what is wrong
(sim.model.loader adds the file).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping, Sequence

from sim.model.claims import Claims, load_claims
from sim.model.costs import leg_country, read_charges, read_empty_running, read_leg_co2, read_rate, read_traction
from sim.model.distributions import Distribution
from sim.model.documents import BUNDLED_DIR
from sim.model.errors import ScenarioError
from sim.model.events import random_closures
from sim.model.fleets import FLEET_KEYS, read_fleet
from sim.model.pools import read_pools
from sim.model.sharing import SHARING_KEYS, read_sharing
from sim.model.scenario import (
    ARRIVAL_PROCESSES,
    Background,
    KM_PER_NM,
    LEG_MODES,
    NODE_KINDS,
    ROUTE_MODES,
    VEHICLES,
    Closures,
    NO_DEMAND,
    Demand,
    Leg,
    Node,
    Route,
    Schedule,
    Service,
    Settings,
)
from sim.model.reading import (
    HOURS,
    Table,
    check_number,
    leg_timing,
    one_of as _one_of,
    path_legs,
    read_handling,
    read_seasonality,
    read_servers,
    read_date as _date,
    route_services as _route_services,
    segments as _segments,
)
from sim.model.suggest import unknown_key_message


# ---------------------------------------------------------------------------------------
# Sections

# The longest leg: 40,000 km is once round the Earth; ten times that is a typo (1e12 ran).
MAX_LEG_KM = 400_000.0
MAX_LEG_NM = 215_000.0  # the same, rounded down in nautical miles


def read_settings(raw: Mapping[str, Any], default_name: str) -> Settings:
    """The ``[run]`` table: name, horizon, warm-up, cool-down, dates, replications, seed."""
    t = Table(
        raw.get("run", {}),
        "run",
        (
            "name", "description", "horizon_days", "warmup_days", "cooldown_days",
            "replications", "seed", "year", "start_date", "claims",
        ),
    )
    name = t.string("name", default_name)
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum() or not name.isascii():
        raise ScenarioError(
            "must be a non-empty name of ASCII letters, digits, '_', '-' or '.' "
            "(it names the results folder)",
            "run.name",
        )
    if name.strip(".") == "":
        raise ScenarioError("must not be made of dots only", "run.name")
    horizon = t.number("horizon_days", 365.0, positive=True, maximum=36500)
    warmup = t.number("warmup_days", 0.0, minimum=0)
    if warmup >= horizon:
        raise ScenarioError(
            f"warm-up ({warmup:g} days) must be shorter than the horizon ({horizon:g} days)",
            "run.warmup_days",
            related=("run.horizon_days",),
        )
    cooldown = t.number("cooldown_days", 60.0, minimum=0, maximum=36500)
    return Settings(
        name=name,
        description=t.string("description", ""),
        horizon_days=horizon,
        warmup_days=warmup,
        cooldown_days=cooldown,
        replications=t.integer("replications", 5, minimum=1),
        seed=t.integer("seed", 0, minimum=0),
        start_date=_start_date(t, horizon - warmup + cooldown),
    )


def _start_date(t: Table, days_after: float) -> dt.date | None:
    """run.start_date (a TOML date or 'YYYY-MM-DD'), or 1 January of run.year, or None.

    ``days_after`` is how long the run goes on after its start date: every date it writes
    must exist (up to 9999-12-31).
    """
    year = t.year(1, 9999, "a calendar year (1-9999)")
    key = "start_date" if t.has("start_date") else "year"
    if key == "year":
        start = None if year is None else dt.date(year, 1, 1)
    else:
        start = _date(t.get("start_date"), t.sub("start_date"))
        if year is not None and start.year != year:
            raise ScenarioError(
                f"{start.isoformat()} is not in run.year {year}; give one of them (year = {year} "
                f"means start_date = {year}-01-01)",
                t.sub("start_date"),
                related=(t.sub("year"),),
            )
    if start is not None and (dt.date.max - start).days < days_after:
        raise ScenarioError(
            f"the run would end after 9999-12-31 ({days_after:g} days after {start.isoformat()})",
            t.sub(key),
        )
    return start


def read_claims_file(raw: Mapping[str, Any], source: str) -> Claims | None:
    """The claims file named by run.claims (relative to the scenario file, else a bundled
    claims file of that name), read and checked."""
    run = raw.get("run", {})
    if not isinstance(run, Mapping) or "claims" not in run:
        return None
    ref = run["claims"]
    if not isinstance(ref, str) or not ref.endswith(".toml"):
        raise ScenarioError("must be the path of a claims file (.toml), relative to this scenario file", "run.claims")
    path = (Path(source).parent if source else Path(".")) / ref
    if not path.is_file():
        # A copy of a bundled scenario elsewhere still finds its bundled claims file.
        bundled = BUNDLED_DIR / ref
        if "/" in ref or "\\" in ref or not bundled.is_file():
            raise ScenarioError(f"claims file not found: {path} (nor a bundled claims file '{ref}')", "run.claims")
        path = bundled
    return load_claims(path)


def read_node(ident: str, entry: Mapping[str, Any]) -> Node:
    """One ``[[nodes]]`` entry: kind, country, coordinates, servers, handling times, pools, background traffic."""
    path = f"nodes.{ident}"
    t = Table(
        entry,
        path,
        ("id", "name", "kind", "servers", "handling_hours", "gauge_change", "country", "lon", "lat", "background", "pools",
         "charges"),
    )
    servers = read_servers(t)
    handling = read_handling(t)
    lon = t.number("lon", minimum=-180, maximum=180) if t.has("lon") else None
    lat = t.number("lat", minimum=-90, maximum=90) if t.has("lat") else None
    return Node(
        id=ident,
        name=t.string("name", ident),
        kind=t.string("kind", "terminal", NODE_KINDS),
        servers=servers,
        handling=handling,
        gauge_change=t.boolean("gauge_change", False),
        country=t.string("country", ""),
        lon=lon,
        lat=lat,
        background=read_background(t, servers) if t.has("background") else None,
        pools=read_pools(t),
        charges=read_charges(t.get("charges"), t.sub("charges")) if t.has("charges") else None,
    )


def read_leg(ident: str, entry: Mapping[str, Any], nodes: Mapping[str, Node]) -> Leg:
    """One ``[[legs]]`` entry between two known nodes: mode, distance and its timing (a speed or a duration)."""
    path = f"legs.{ident}"
    t = Table(
        entry,
        path,
        (
            "id", "from", "to", "mode", "distance_km", "distance_nm", "speed_km_per_day",
            "speed_kmh", "speed_knots", "duration_days", "duration_hours", "one_way",
            "driving_hours_per_day", "rate", "country", "traction", "co2e_g_per_tkm",
        ),
    )
    ends = []
    for key in ("from", "to"):
        node = t.string(key)
        if node not in nodes:
            raise ScenarioError(unknown_key_message(node, nodes, what="node"), t.sub(key))
        ends.append(node)
    if ends[0] == ends[1]:
        raise ScenarioError(f"a leg must join two different nodes, both ends are '{ends[0]}'", path)
    _one_of(t, ("distance_km", "distance_nm"), required=True)
    distance = (
        t.number("distance_km", positive=True, maximum=MAX_LEG_KM)
        if t.has("distance_km")
        else t.number("distance_nm", positive=True, maximum=MAX_LEG_NM) * KM_PER_NM
    )
    speed, duration = leg_timing(t)
    mode = t.string("mode", choices=LEG_MODES)
    driving = _driving_hours(t, mode, speed)
    return Leg(
        id=ident,
        start=ends[0],
        end=ends[1],
        mode=mode,
        distance_km=distance,
        one_way=t.boolean("one_way", False),
        speed_km_per_day=speed,
        duration_days=duration,
        driving_hours_per_day=driving,
        rate=read_rate(t.get("rate"), t.sub("rate")) if t.has("rate") else None,
        country=leg_country(t, nodes[ends[0]], nodes[ends[1]]),
        traction=read_traction(t, mode),
        co2e_g_per_tkm=read_leg_co2(t),
    )


def _driving_hours(t: Table, mode: str, speed: Distribution | None) -> float | None:
    """Daily driving limit of a road leg; it needs a speed, since the time comes from it."""
    if not t.has("driving_hours_per_day"):
        return None
    key = t.sub("driving_hours_per_day")
    if mode != "road":
        raise ScenarioError(f"applies to road legs only (this leg's mode is '{mode}')", key)
    if speed is None:
        raise ScenarioError("needs a speed (speed_kmh or speed_km_per_day), not a duration", key)
    return t.number("driving_hours_per_day", positive=True, maximum=24)


def _schedule(value: Any, path: str) -> Schedule:
    t = Table(
        value,
        path,
        ("departures_per_week", "offset_days", "departure_days", "when_full", "max_wait_days"),
    )
    kind = _one_of(t, ("departures_per_week", "departure_days", "when_full"), required=True)
    if kind == "departures_per_week":
        per_week = t.number("departures_per_week", positive=True, maximum=7 * 24 * 60)
        offset = t.number("offset_days", 0.0, minimum=0)
        _forbid(t, ("max_wait_days",), "departures_per_week")
        return Schedule("frequency", headway_days=7 / per_week, offset_days=offset)
    if kind == "departure_days":
        days = t.get("departure_days")
        if not isinstance(days, list) or not days:
            raise ScenarioError("must be a non-empty array of days of the week (0 <= day < 7)", t.sub(kind))
        parsed = tuple(
            sorted(check_number(d, f"{t.sub(kind)}[{i}]", minimum=0) for i, d in enumerate(days))
        )
        if parsed[-1] >= 7:
            raise ScenarioError(f"days of the week must be < 7, got {parsed[-1]:g}", t.sub(kind))
        if len(set(parsed)) != len(parsed):
            raise ScenarioError("lists the same day twice", t.sub(kind))
        _forbid(t, ("max_wait_days", "offset_days"), "departure_days")
        return Schedule("days", days=parsed)
    if t.get("when_full") is not True:
        raise ScenarioError("must be true (or use departures_per_week / departure_days)", t.sub("when_full"))
    _forbid(t, ("offset_days",), "when_full")
    wait = t.number("max_wait_days", positive=True) if t.has("max_wait_days") else None
    return Schedule("when_full", max_wait_days=wait)


def _forbid(t: Table, keys: Sequence[str], kind: str) -> None:
    for key in keys:
        if t.has(key):
            raise ScenarioError(f"does not apply to a '{kind}' schedule", t.sub(key))


def read_service(ident: str, entry: Mapping[str, Any]) -> Service:
    """One ``[[services]]`` entry: vehicle, capacity, schedule, closures, fleet and sharing keys."""
    path = f"services.{ident}"
    t = Table(
        entry, path,
        ("id", "vehicle", "capacity_teu", "capacity_wagons", "schedule", "name", "closures", "rate", "subsidy",
         "empty_running", *FLEET_KEYS, *SHARING_KEYS),
    )
    kind = _one_of(t, ("capacity_teu", "capacity_wagons"), required=True)
    return Service(
        id=ident,
        vehicle=t.string("vehicle", choices=VEHICLES),
        capacity_teu=t.number("capacity_teu", positive=True) if kind == "capacity_teu" else None,
        schedule=_schedule(t.required("schedule"), f"{path}.schedule"),
        capacity_wagons=t.integer("capacity_wagons", minimum=1) if kind == "capacity_wagons" else None,
        closures=_closures(t.get("closures"), t.sub("closures")) if t.has("closures") else None,
        fleet=read_fleet(t),
        rate=read_rate(t.get("rate"), t.sub("rate")) if t.has("rate") else None,
        subsidy=read_rate(t.get("subsidy"), t.sub("subsidy")) if t.has("subsidy") else None,
        empty_running=read_empty_running(t),
        **read_sharing(t),
    )


def _closures(value: Any, path: str) -> Closures:
    """A service's ``closures``: the shorthand of a random closure event (the same reader)."""
    return random_closures(value, path)


CONTAINER_DEMAND_KEYS = ("teu_per_year", "container_teu", "tonnes_per_teu")
BULK_DEMAND_KEYS = ("tonnes_per_year", "wagon_tonnes")


def _demand(value: Any, path: str) -> Demand:
    t = Table(
        value,
        path,
        CONTAINER_DEMAND_KEYS + BULK_DEMAND_KEYS + ("arrivals", "seasonality", "growth_per_year"),
    )
    seasonality = read_seasonality(t)
    volume = _one_of(t, ("teu_per_year", "tonnes_per_year"), required=True)
    if volume == "tonnes_per_year":
        for key in CONTAINER_DEMAND_KEYS:
            if t.has(key):
                raise ScenarioError("does not apply to bulk demand (tonnes_per_year)", t.sub(key))
        wagon = t.number("wagon_tonnes", positive=True, maximum=200)
        units = t.number("tonnes_per_year", minimum=0, maximum=1e10) / wagon
        unit_teu, unit_tonnes, cargo = 0.0, wagon, "bulk"
    else:
        if t.has("wagon_tonnes"):
            raise ScenarioError("applies to bulk demand only (give tonnes_per_year)", t.sub("wagon_tonnes"))
        unit_teu = t.number("container_teu", 2.0, positive=True, maximum=2.25)
        units = t.number("teu_per_year", minimum=0, maximum=1e9) / unit_teu
        unit_tonnes = t.number("tonnes_per_teu", 0.0, minimum=0, maximum=40) * unit_teu
        cargo = "container"
    return Demand(
        units_per_year=units,
        unit_teu=unit_teu,
        unit_tonnes=unit_tonnes,
        cargo=cargo,
        arrivals=t.string("arrivals", "poisson", ARRIVAL_PROCESSES),
        seasonality=seasonality,
        growth_per_year=t.number("growth_per_year", 0.0, minimum=-0.99, maximum=100),
    )


def read_route(
    ident: str,
    entry: Mapping[str, Any],
    nodes: Mapping[str, Node],
    legs: Mapping[str, Leg],
    services: Mapping[str, Service],
) -> Route:
    """One ``[[routes]]`` entry: a path over known legs, the services that run its segments, its demand."""
    path = f"routes.{ident}"
    t = Table(entry, path, ("id", "name", "path", "services", "demand", "mode", "promised_days"))
    stops = t.required("path")
    leg_ids = path_legs(stops, nodes, legs, t.sub("path"))
    per_leg = _route_services(t, len(leg_ids), services)
    segments = _segments(stops, leg_ids, per_leg, t.sub("services"))
    distance = sum(legs[leg].distance_km for leg in leg_ids)
    mode = t.string("mode", _route_mode(leg_ids, legs), ROUTE_MODES)
    return Route(
        id=ident,
        name=t.string("name", ident),
        mode=mode,
        path=tuple(stops),
        segments=segments,
        # No demand of its own: the route carries only what flows choose to send on it.
        demand=_demand(t.get("demand"), t.sub("demand")) if t.has("demand") else NO_DEMAND,
        distance_km=distance,
        promised_days=t.number("promised_days", positive=True, maximum=3650) if t.has("promised_days") else None,
    )


def _route_mode(leg_ids: Sequence[str], legs: Mapping[str, Leg]) -> str:
    """The mode covering >= 90% of the distance (ferry counts as sea), else multimodal."""
    by_mode: dict[str, float] = {}
    for leg_id in leg_ids:
        leg = legs[leg_id]
        mode = "sea" if leg.mode == "ferry" else leg.mode
        by_mode[mode] = by_mode.get(mode, 0.0) + leg.distance_km
    total = sum(by_mode.values())
    mode, km = max(by_mode.items(), key=lambda item: item[1])
    return mode if km >= 0.9 * total else "multimodal"


# ---------------------------------------------------------------------------------------
# Background traffic at a node (not an event: it runs all the time, in the baseline too)

MAX_BACKGROUND_PER_DAY = 100_000.0


def read_background(node: Table, servers: int | None) -> Background:
    """A node's ``background = { vehicles_per_day = .., handling_hours = .. }``."""
    t = Table(node.get("background"), node.sub("background"), ("vehicles_per_day", "handling_hours"))
    if servers is None:
        raise ScenarioError(
            "background traffic shares the node's servers, and this node has none (no capacity limit): "
            "give the node servers = N", t.path,
        )
    return Background(
        vehicles_per_day=t.number("vehicles_per_day", minimum=0, maximum=MAX_BACKGROUND_PER_DAY),
        handling=t.distribution("handling_hours", HOURS),
    )
