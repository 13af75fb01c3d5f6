"""Read a scenario file, apply ``--set`` overrides, validate, and build the Scenario.

Every problem raises ScenarioError naming the file, the dotted key path and what is wrong,
so the CLI can print one line and exit 2.  Nothing from a file is ever evaluated.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping, Sequence

from sim.model.claims import CLAIMS_SUFFIX, Claims, load_claims
from sim.model.costs import (check_through_rates, leg_country, read_charges, read_costs, read_emissions,
                             read_empty_running, read_leg_co2, read_rate, read_traction)
from sim.model.distributions import Distribution
from sim.model.flows import check_flows, read_cargo_classes, read_choice, read_flows, routes_of_flows
from sim.model.errors import ScenarioError
from sim.model.events import event_warnings, parse_background, parse_events, random_closures
from sim.model.fleets import FLEET_KEYS, read_fleet, resolve_fleets
from sim.model.overrides import LIST_SECTIONS, TABLE_SECTIONS, Override, apply_overrides, merge_document
from sim.model.pools import check_pools, read_pools
from sim.model.sharing import SHARING_KEYS, read_sharing, resolve_sharing
from sim.model.scenario import (
    ARRIVAL_PROCESSES,
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
    Scenario,
    Schedule,
    Service,
    Settings,
)
from sim.model.reading import (
    SUITS,
    Table,
    check_number,
    items as _items,
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

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the sim package
# An installed copy carries the scenarios inside the package (pyproject maps scenarios/ to
# sim/scenarios); a source checkout or editable install reads them from the repository.
BUNDLED_DIR = next(
    (d for d in (_PACKAGE_DIR / "scenarios", _PACKAGE_DIR.parent / "scenarios") if d.is_dir()),
    _PACKAGE_DIR.parent / "scenarios",
)
TOP_KEYS = TABLE_SECTIONS + LIST_SECTIONS + ("source", "notes", "note")


# ---------------------------------------------------------------------------------------
# Finding and reading the file


def bundled_names() -> list[str]:
    """Names of the scenarios shipped in scenarios/ (file stems)."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.toml") if not p.name.endswith(CLAIMS_SUFFIX))


def resolve_path(name_or_path: str) -> Path:
    """A scenario file path, or a bundled scenario's name without its path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in name_or_path or "\\" in name_or_path:
        if not path.is_file():
            what = "is a directory, not a scenario file" if path.is_dir() else "file not found"
            raise ScenarioError(what, file=str(path))
        return path
    bundled = BUNDLED_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    raise ScenarioError(
        unknown_key_message(name_or_path, bundled_names(), what="bundled scenario")
        + " (or give the path of a .toml file)",
        file=name_or_path,
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors keep their line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path))
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(path))
    text = text.removeprefix("\ufeff")  # the byte-order mark some Windows editors write
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"TOML syntax error: {exc}", file=str(path))
    except RecursionError:
        raise ScenarioError("TOML nesting too deep", file=str(path))


def load_scenario(name_or_path: str, overrides: Sequence[Override] = ()) -> Scenario:
    """Load, override and validate a scenario (file path or bundled name), resolving ``extends``."""
    # The resolved path: the same file reached as ../x.toml or /abs/x.toml is recorded, and
    # so written to summary.json and report.html, the same way.
    path = resolve_path(name_or_path).resolve()
    return scenario_from(read_document(path), str(path), overrides, default_name=path.stem)


def read_document(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's content with its ``extends`` resolved: the base document (itself
    resolved, recursively) with this file applied on top by the rules of ``--set``
    (``merge_document``).  The result has no ``extends`` key, so it is standalone."""
    raw = read_toml(path)
    if "extends" not in raw:
        return raw
    here = path.resolve()
    ref = raw.pop("extends")
    if not isinstance(ref, str) or not ref:
        raise ScenarioError("must be the path of a scenario file (relative to this one) or a bundled name", "extends",
                            str(path))
    base_path = _base_path(path, ref)
    if base_path.resolve() in (*chain, here):
        cycle = " -> ".join(p.name for p in (*chain, here, base_path.resolve()))
        raise ScenarioError(f"extends itself: {cycle}", "extends", str(path))
    base = read_document(base_path, (*chain, here))
    name = raw.get("run", {}).get("name") if isinstance(raw.get("run"), Mapping) else None
    _rebase_claims(base, base_path.parent, path.parent)
    merged = merge_document(base, raw, str(path))
    if name is None and isinstance(merged.get("run"), dict):
        # run.name names the results folder: a child does not inherit its base's.
        merged["run"].pop("name", None)
    return merged


def _base_path(path: Path, ref: str) -> Path:
    """The file ``extends`` names: relative to the extending file, else a bundled scenario."""
    local = path.parent / ref
    if local.is_file():
        return local
    bundled = BUNDLED_DIR / (ref if ref.endswith(".toml") else f"{ref}.toml")
    if "/" not in ref and "\\" not in ref and bundled.is_file() and not bundled.name.endswith(CLAIMS_SUFFIX):
        return bundled
    raise ScenarioError(
        f"base scenario '{ref}' not found (no file {local} and no bundled scenario of that name)", "extends", str(path)
    )


def _rebase_claims(base: dict[str, Any], base_dir: Path, child_dir: Path) -> None:
    """Keep an inherited run.claims pointing at the same file from the child's folder."""
    run = base.get("run")
    if isinstance(run, dict) and isinstance(run.get("claims"), str):
        target = (base_dir / run["claims"]).resolve()
        if target.parent == BUNDLED_DIR.resolve():
            run["claims"] = target.name  # found as a bundled claims file from anywhere
        elif base_dir.resolve() != child_dir.resolve():
            run["claims"] = os.path.relpath(target, child_dir.resolve())


def scenario_from(
    raw: Mapping[str, Any], source: str, overrides: Sequence[Override] = (), default_name: str = "scenario",
) -> Scenario:
    """Apply overrides to a parsed document and validate it; an error names the file, or
    the ``--set`` that caused it, and the key path."""
    if overrides:
        raw = apply_overrides(copy.deepcopy(dict(raw)), overrides, file=source)
    deep = _too_deep(raw, MAX_DEPTH)
    if deep is not None:
        raise ScenarioError(f"nested more than {MAX_DEPTH} levels deep", deep, source)
    try:
        scenario = build_scenario(raw, source=source, default_name=default_name)
    except ScenarioError as exc:
        culprit = next(
            (c for c in (_override_at(p, overrides) for p in (exc.key, *exc.related)) if c), None
        )
        if culprit is not None:
            raise ScenarioError(exc.message, exc.key, culprit.where) from None
        raise exc.located(source) from None
    except RecursionError:
        raise ScenarioError("scenario nested too deeply", file=source) from None
    return dataclasses.replace(scenario, overrides=tuple(overrides))


MAX_DEPTH = 24  # tables and arrays inside each other; a scenario needs about 5


def _too_deep(value: Any, limit: int, path: str = "") -> str | None:
    """The key path where ``value`` nests deeper than ``limit``, or None (iterative: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > limit:
            return where or "(top level)"
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item))
    return None


def _override_at(path: str, overrides: Sequence[Override]) -> Override | None:
    """The last override that set ``path`` or a key inside or around it, if any."""
    for override in reversed(overrides):
        dotted = override.dotted
        if path and (path == dotted or path.startswith(dotted + ".") or dotted.startswith(path + ".")):
            return override
        if path.split("[")[0] == dotted:
            return override
    return None


# ---------------------------------------------------------------------------------------
# Small typed readers: each names the key path in its error




# ---------------------------------------------------------------------------------------
# Sections


def _settings(raw: Mapping[str, Any], default_name: str) -> Settings:
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
    year = _year(t)
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


def _claims_file(raw: Mapping[str, Any], source: str) -> Claims | None:
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


def _year(t: Table) -> int | None:
    if not t.has("year"):
        return None
    year = t.integer("year", minimum=1)
    if year > 9999:
        raise ScenarioError(f"must be a calendar year (1-9999), got {year}", t.sub("year"))
    return year


def _node(ident: str, entry: Mapping[str, Any]) -> Node:
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
        background=parse_background(t, servers) if t.has("background") else None,
        pools=read_pools(t),
        charges=read_charges(t.get("charges"), t.sub("charges")) if t.has("charges") else None,
    )


def _leg(ident: str, entry: Mapping[str, Any], nodes: Mapping[str, Node]) -> Leg:
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
        t.number("distance_km", positive=True)
        if t.has("distance_km")
        else t.number("distance_nm", positive=True) * KM_PER_NM
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


def _service(ident: str, entry: Mapping[str, Any]) -> Service:
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


def _route(
    ident: str,
    entry: Mapping[str, Any],
    nodes: Mapping[str, Node],
    legs: Mapping[str, Leg],
    services: Mapping[str, Service],
) -> Route:
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


def build_scenario(raw: Mapping[str, Any], source: str = "", default_name: str = "scenario") -> Scenario:
    """Validate a parsed scenario document and build the immutable Scenario."""
    if not isinstance(raw, Mapping):
        raise ScenarioError("a scenario must be a TOML document of tables")
    for key in raw:
        if key not in TOP_KEYS:
            raise ScenarioError(unknown_key_message(str(key), TOP_KEYS, what="section"), str(key))
    settings = _settings(raw, default_name)
    claims = _claims_file(raw, source)
    nodes = {i: _node(i, e) for i, e in _items(raw, "nodes")}
    legs = {i: _leg(i, e, nodes) for i, e in _items(raw, "legs")}
    services = {i: _service(i, e) for i, e in _items(raw, "services")}
    routes = {i: _route(i, e, nodes, legs, services) for i, e in _items(raw, "routes")}
    if not routes:
        raise ScenarioError("a scenario needs at least one [[routes]] entry", "routes")
    classes = read_cargo_classes(raw)
    choice = read_choice(raw)
    flows = read_flows(raw, nodes, routes, classes, choice, ARRIVAL_PROCESSES)
    routes = routes_of_flows(raw, routes, flows)
    costs = read_costs(raw, {c for n in nodes.values() for c in n.country.split("/") if c}, LEG_MODES)
    emissions = read_emissions(raw)
    services = resolve_sharing(services, routes, nodes, legs)
    services = resolve_fleets(services, nodes, legs)
    _check_vehicle_modes(routes, legs, services)
    events = parse_events(raw, settings, nodes, legs, services, routes)
    scenario = Scenario(
        settings, nodes, legs, services, routes, source, copy.deepcopy(dict(raw)), claims=claims, events=events,
        costs=costs, emissions=emissions, cargo_classes=classes, flows=flows, choice=choice,
    )
    check_flows(scenario)
    check_through_rates(scenario)
    check_pools(scenario)
    for route in routes.values():
        for seg in route.segments:
            _check_capacity(scenario, route, services[seg.service])
    return dataclasses.replace(scenario, warnings=plausibility_warnings(scenario))


# Plausible moving speeds by leg mode, km/day (km/h x 24 for road and air): outside them a
# unit is probably mixed up (60 km/day for a train is 60 km/h typed as km/day).
PLAUSIBLE_KM_PER_DAY = {
    "rail": (150.0, 2500.0),
    "sea": (250.0, 1500.0),
    "ferry": (150.0, 1500.0),
    "road": (20.0 * 24, 130.0 * 24),
    "air": (300.0 * 24, 1000.0 * 24),
}


def _check_vehicle_modes(routes: Mapping[str, Route], legs: Mapping[str, Leg], services: Mapping[str, Service]) -> None:
    """A service's vehicles must be able to travel every leg it runs: no truck on a rail leg."""
    for sid, service in services.items():
        vehicle = service.vehicle
        for leg_id in service.legs:
            mode = legs[leg_id].mode
            if mode not in SUITS[vehicle]:
                where = f"routes.{service.users[0][0]}.services" if service.users and not service.shared else f"services.{sid}.path"
                raise ScenarioError(
                    f"service '{sid}' runs {vehicle}s, which cannot travel {mode} leg '{leg_id}' "
                    f"(a {vehicle} travels {' or '.join(SUITS[vehicle])} legs)",
                    where,
                    related=(f"services.{sid}.vehicle", f"legs.{leg_id}.mode"),
                )


def plausibility_warnings(scenario: Scenario) -> tuple[str, ...]:
    """Legal but suspicious input, one line each: a speed far outside its mode's range,
    handling times given for a vehicle kind that never stops at that node, an idle event."""
    out = []
    tariffs = scenario.costs.tariffs if scenario.costs is not None else {}
    for country in tariffs:
        if not any(leg.country == country for leg in scenario.legs.values()):
            out.append(f"costs.transit_tariffs.{country}: no leg lies in {country}, so no route pays it (a leg's country "
                       "is the one its two end nodes share, or its own country key)")
    for leg in scenario.legs.values():
        if leg.speed_km_per_day is None:
            continue
        low, high = PLAUSIBLE_KM_PER_DAY[leg.mode]
        speed = leg.speed_km_per_day.mean
        if not low <= speed <= high:
            out.append(
                f"legs.{leg.id}: a mean speed of {speed:,.0f} km/day is outside the usual "
                f"{low:,.0f}-{high:,.0f} km/day of {leg.mode} (a km/h or knots value given as km/day?)"
            )
    visiting: dict[str, set[str]] = {nid: set() for nid in scenario.nodes}
    for service in scenario.services.values():
        if service.users:
            for nid in service.path:
                visiting[nid].add(service.vehicle)
    for nid, node in scenario.nodes.items():
        unused = sorted(set(node.handling) - visiting[nid])
        if unused and visiting[nid]:
            out.append(
                f"nodes.{nid}.handling_hours: {', '.join(unused)} handling is given but no "
                f"{' or '.join(unused)} stops at {nid} (it is handled only as {', '.join(sorted(visiting[nid]))})"
            )
    return tuple(out + event_warnings(scenario))


def _check_capacity(scenario: Scenario, route: Route, service: Service) -> None:
    """A service carries the route's kind of cargo, and at least one unit of it."""
    where = f"services.{service.id}"
    if route.demand.cargo == "bulk":
        if service.capacity_wagons is None:
            raise ScenarioError(
                f"carries bulk route '{route.id}', so it needs capacity_wagons instead of capacity_teu",
                f"{where}.capacity_teu",
                related=(f"routes.{route.id}.demand.tonnes_per_year",),
            )
        return
    if service.capacity_teu is None:
        raise ScenarioError(
            f"carries container route '{route.id}', so it needs capacity_teu instead of capacity_wagons",
            f"{where}.capacity_wagons",
            related=(f"routes.{route.id}.demand.teu_per_year",),
        )
    if scenario.service_capacity(route, service.id) < 1:
        raise ScenarioError(
            f"capacity_teu ({service.capacity_teu:g}) is smaller than one "
            f"container of route '{route.id}' ({route.demand.unit_teu:g} TEU)",
            f"{where}.capacity_teu",
            related=(f"routes.{route.id}.demand.container_teu",),
        )
