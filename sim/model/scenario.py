"""The scenario model: an immutable, validated description of a freight network.

Everything here is in days, kilometres and TEU; the loader converts from the units named in
the scenario file's keys (hours, knots, nautical miles).  Objects are frozen dataclasses so a
scenario can be shared between replications and processes without defensive copies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.model.calendar import Calendar
from sim.model.distributions import Distribution

if TYPE_CHECKING:  # defined in modules that read them, which import this one
    from sim.model.costs import Charges, Costs, Emissions, Rate
    from sim.model.flows import Assignment, CargoClass, ChoiceSettings, Flow

NODE_KINDS = (
    "terminal",
    "border",
    "dry_port",
    "seaport",
    "ferry_terminal",
    "canal",
    "airport",
    "waypoint",
)
LEG_MODES = ("rail", "sea", "road", "ferry", "air")
VEHICLES = ("train", "ship", "truck", "ferry", "plane")
ROUTE_MODES = ("rail", "sea", "road", "air", "multimodal")
ARRIVAL_PROCESSES = ("poisson", "even")
EVENT_KINDS = ("closure", "capacity", "demand", "divert")

KM_PER_NM = 1.852
KM_PER_DAY_PER_KNOT = 1.852 * 24


@dataclass(frozen=True)
class Settings:
    """Run settings: what to simulate and for how long."""

    name: str
    description: str
    horizon_days: float
    warmup_days: float
    cooldown_days: float
    replications: int
    seed: int
    # Calendar day 0: the first day of the measured window, i.e. the end of the warm-up
    # (run.start_date, or 1 January of run.year).  None: undated (see sim.model.calendar).
    start_date: dt.date | None = None

    @property
    def year(self) -> int | None:
        """The year the measured window starts in, or None when undated."""
        return self.start_date.year if self.start_date is not None else None

    @property
    def calendar(self) -> Calendar:
        """The run's calendar: simulation time, calendar days and dates."""
        return Calendar.of(self)


@dataclass(frozen=True)
class Background:
    """Traffic a node handles that the scenario does not model container by container.

    Vehicles arrive as a Poisson process of ``vehicles_per_day`` and hold one of the node's
    servers for a ``handling`` time (days) each: they queue with the modelled vehicles (in
    arrival order), carry no cargo, and count in the node's visits, waits, queue and
    utilization (their node-log rows have ``trip`` -1).
    """

    vehicles_per_day: float
    handling: Distribution


@dataclass(frozen=True)
class NodePool:
    """Part of a node for some of its vehicles: those going one ``direction`` ('westbound' or
    'eastbound': where their run ends against where it began), arriving ``from_nodes``, or
    of ``services`` (every selector given must match).  ``servers`` is its own pool of
    servers (None: it shares the node's, only its handling differs); ``handling`` its
    handling times per vehicle kind (a kind it lacks is handled as at the node)."""

    id: str
    direction: str | None = None
    from_nodes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    servers: int | None = None
    handling: dict[str, Distribution] = field(default_factory=dict)


@dataclass(frozen=True)
class Node:
    """A place where vehicles are handled: terminal, border crossing, port, canal.

    ``servers`` is the number of vehicles handled at once (tracks, berths); None means no
    limit.  ``handling`` maps a vehicle kind to its handling-time distribution in days; a
    vehicle kind not listed passes through without stopping.
    """

    id: str
    name: str
    kind: str
    servers: int | None
    handling: dict[str, Distribution]
    gauge_change: bool = False
    country: str = ""
    lon: float | None = None
    lat: float | None = None
    background: Background | None = None
    # Parts of the node for some vehicles (sim.model.pools): the first that matches a vehicle
    # handles it; a vehicle no pool matches uses the node's own servers and handling.
    pools: tuple[NodePool, ...] = ()
    charges: "Charges | None" = None  # what a container pays here (sim.model.costs)


@dataclass(frozen=True)
class Leg:
    """A link between two nodes with its mode, length and travel time (or speed)."""

    id: str
    start: str
    end: str
    mode: str
    distance_km: float
    one_way: bool
    speed_km_per_day: Distribution | None
    duration_days: Distribution | None
    driving_hours_per_day: float | None = None  # road: drive this long, then rest to the next day
    # Cost and emissions (sim.model.costs): a price by distance (trucks), the one country the
    # leg lies in ("" when its ends share none: open sea, or a leg across a border), the
    # traction of a rail leg, and its own CO2e intensity in place of its mode's.
    rate: "Rate | None" = None
    country: str = ""
    traction: str | None = None
    co2e_g_per_tkm: float | None = None

    def connects(self, a: str, b: str) -> bool:
        """True if a vehicle may travel this leg from ``a`` to ``b``."""
        if (self.start, self.end) == (a, b):
            return True
        return not self.one_way and (self.end, self.start) == (a, b)


@dataclass(frozen=True)
class Schedule:
    """When a service departs.

    kind 'frequency': every ``headway_days`` from ``offset_days``;
    kind 'days': at the listed days of each week (``days``, 0 <= d < 7);
    kind 'when_full': when a vehicle load has gathered, or ``max_wait_days`` after the first
    container of the load began waiting (None: no limit).
    """

    kind: str
    headway_days: float = 0.0
    offset_days: float = 0.0
    days: tuple[float, ...] = ()
    max_wait_days: float | None = None


@dataclass(frozen=True)
class Closures:
    """Weather closures of a service: Poisson starts at ``per_year``, random durations.

    A departure due while the service is closed waits until the closure lifts.
    """

    per_year: float
    duration_days: Distribution


@dataclass(frozen=True)
class Fleet:
    """A service's finite fleet: its vehicles come back along ``rotation`` and only a vehicle
    back at the origin can depart.

    ``rotation`` runs from where the service's run ends back to its origin (node ids), over
    ``rotation_legs``; ``turnaround`` is the time (days) a vehicle spends at each end before
    it goes on: after unloading at the end of its run, and back at its origin before it is
    ready to load.
    """

    vehicles: int
    rotation: tuple[str, ...]
    rotation_legs: tuple[str, ...]
    turnaround: Distribution | None = None


@dataclass(frozen=True)
class BackgroundLoad:
    """Cargo a service carries that the scenario does not model unit by unit: a ``share`` of
    each departure's capacity, or ``units`` (TEU, or wagons on a bulk service) per departure,
    drawn per departure.  It takes its space for the whole run of the vehicle."""

    share: float | None = None
    units: Distribution | None = None
    unit: str = "teu"  # what ``units`` counts: 'teu' or 'wagons'

    def describe(self) -> str:
        """'40% of capacity' or 'mean 60 TEU per departure'."""
        if self.share is not None:
            return f"{self.share:.0%} of capacity"
        mean = f"{self.units.mean:,.1f}".removesuffix(".0")
        return f"mean {mean} {'TEU' if self.unit == 'teu' else 'wagons'} per departure"


@dataclass(frozen=True)
class Service:
    """A fleet of vehicles of one kind and capacity running to a schedule.

    Capacity is in TEU for container routes and in wagons (``capacity_wagons``) for bulk.
    ``path`` and ``legs`` are the calls its vehicles make in order (sim.model.sharing: given,
    or the stretch of the one route it runs); ``users`` the (route, segment index) stretches
    it carries.  A ``shared`` service (several users, calls beyond its one route's stretch,
    or background load) loads and unloads at every call (sim.engine.loops).
    """

    id: str
    vehicle: str
    capacity_teu: float | None
    schedule: Schedule
    capacity_wagons: int | None = None
    closures: Closures | None = None
    fleet: Fleet | None = None  # None: unlimited vehicles, none comes back
    path: tuple[str, ...] = ()
    legs: tuple[str, ...] = ()
    users: tuple[tuple[str, int], ...] = ()
    # Share of each departure's capacity kept for a route's cargo at its loading call, by route id.
    allocation: dict[str, float] = field(default_factory=dict)
    background_load: BackgroundLoad | None = None
    shared: bool = False
    rate: "Rate | None" = None  # what a shipper pays for the ride (sim.model.costs)
    subsidy: "Rate | None" = None  # public money per unit, already off ``rate``
    empty_running: float | None = None  # share of its vehicles' km run empty (None: its mode's default)

    @property
    def space(self) -> float:
        """A vehicle's capacity in its own units: TEU, or wagons for a bulk service."""
        return float(self.capacity_teu if self.capacity_teu is not None else self.capacity_wagons or 0)

    @property
    def run(self) -> "Segment":
        """Its vehicles' whole run out, as a segment (origin to the last call)."""
        return Segment(self.id, self.path, self.legs)


@dataclass(frozen=True)
class Segment:
    """Part of a route run by one service: vehicles load at nodes[0] and unload at nodes[-1]."""

    service: str
    nodes: tuple[str, ...]
    legs: tuple[str, ...]


@dataclass(frozen=True)
class Demand:
    """Exogenous arrivals of cargo units at a route's origin.

    A unit is a container (``cargo`` 'container', ``unit_teu`` > 0) or a bulk wagon
    ('bulk', ``unit_teu`` 0); either carries ``unit_tonnes`` of cargo.
    """

    units_per_year: float
    unit_teu: float
    unit_tonnes: float
    cargo: str
    arrivals: str
    seasonality: tuple[float, ...]
    growth_per_year: float

    @property
    def teu_per_year(self) -> float:
        return self.units_per_year * self.unit_teu

    @property
    def tonnes_per_year(self) -> float:
        return self.units_per_year * self.unit_tonnes


# A route without demand of its own (it carries only what flows book on it); the loader
# gives it the container size of its flows.
NO_DEMAND = Demand(0.0, 2.0, 0.0, "container", "poisson", (1.0,) * 12, 0.0)


@dataclass(frozen=True)
class Route:
    """An origin–destination path through nodes, with the service on each leg."""

    id: str
    name: str
    mode: str
    path: tuple[str, ...]
    segments: tuple[Segment, ...]
    demand: Demand
    distance_km: float
    promised_days: float | None = None  # the transit time the carrier promises (reliability)


@dataclass(frozen=True)
class Event:
    """A dated change of the network, in force over [start, start + duration) of simulation time.

    kind 'closure': the target node, leg or service is closed (vehicles wait at the node, at
    the leg's start, or departures wait for the reopening); 'capacity': ``set`` gives new
    values and ``scale`` multipliers of some of the target's numbers; 'demand': the arrival
    rate of the target routes is multiplied by ``factor``; 'divert': containers leaving the
    origin of a target route in the window follow ``segments[route]`` instead of its path.

    ``set`` holds parsed values in the model's units: nodes ``servers`` (int) and
    ``handling_hours`` ({vehicle: Distribution in days}); legs ``speed_km_per_day`` or
    ``duration_days`` (Distribution); services ``departures_per_week``, ``capacity_teu``,
    ``capacity_wagons``.  ``scale`` maps nodes ``servers`` and ``handling_hours``, legs
    ``speed``, services ``departures_per_week``, ``capacity_teu`` and ``capacity_wagons`` to
    factors.  ``duration`` None: until the run ends.

    ``random`` (closures of one service only): the closure has no dates but random spells,
    drawn per replication like a service's ``closures`` key (its shorthand, same stream);
    then ``start`` is 0 and ``duration`` None.
    """

    id: str
    kind: str
    section: str  # what the targets are: "nodes", "legs", "services" or "routes"
    targets: tuple[str, ...]
    start: float  # simulation days (calendar day + warm-up)
    duration: Distribution | None
    set: dict[str, Any] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    factor: float = 1.0
    path: tuple[str, ...] = ()
    segments: dict[str, tuple[Segment, ...]] = field(default_factory=dict)  # divert: per route
    source: str = ""
    name: str = ""  # a label for tables and figures (default: the id)
    random: Closures | None = None  # random spells instead of start/end (service closures)

    @property
    def target(self) -> str:
        """The first target as written: 'nodes.suez'."""
        return f"{self.section}.{self.targets[0]}"


@dataclass(frozen=True)
class Scenario:
    """A whole validated scenario.  ``raw`` is the resolved file content (after ``--set``)."""

    settings: Settings
    nodes: dict[str, Node]
    legs: dict[str, Leg]
    services: dict[str, Service]
    routes: dict[str, Route]
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The --set overrides already applied to ``raw`` (kept for the record and for reloading).
    overrides: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    # Legal but suspicious input, one line each (the CLI prints them as warnings).
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # The claims file named by run.claims (sim.model.claims.Claims): the figures' claim band
    # and ratio, and what `routesim validate` checks.  None: the figures draw neither.
    claims: Any = field(default=None, compare=False, repr=False)
    # Dated [[events]] (sim.model.events); random service closures stay on their services.
    events: tuple[Event, ...] = ()
    # Money and CO2e (sim.model.costs) and the origin-destination flows that choose among
    # routes (sim.model.flows); ``assignment`` is the split of the flows being simulated.
    costs: "Costs | None" = None
    emissions: "Emissions | None" = None
    cargo_classes: dict[str, "CargoClass"] = field(default_factory=dict)
    flows: dict[str, "Flow"] = field(default_factory=dict)
    choice: "ChoiceSettings | None" = None
    assignment: "Assignment | None" = None

    def unit_space(self, route: Route) -> float:
        """The space one unit of a route takes on a vehicle: its TEU, or one wagon for bulk."""
        return 1.0 if route.demand.cargo == "bulk" else route.demand.unit_teu

    def service_capacity(self, route: Route, service_id: str) -> int:
        """Vehicle capacity in the route's units: containers of its size, or bulk wagons."""
        service = self.services[service_id]
        if route.demand.cargo == "bulk":
            return service.capacity_wagons or 0
        if service.capacity_teu is None:
            return 0
        return int(service.capacity_teu / route.demand.unit_teu + 1e-9)
