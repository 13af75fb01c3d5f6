"""Origin–destination flows, their cargo classes and door-to-door options, and the choice model.

A ``[[flows]]`` entry is cargo that must go from an origin to a destination and may take any
of its ``options`` (routes that run door to door between the two).  How it splits among them
is the ``choice``: ``fixed`` shares, the ``cheapest`` option, or a multinomial ``logit`` on
generalised cost (sim.choice).  The split actually simulated is an ``Assignment`` (shares per
booking period), which the equilibrium sets run after run; the scenario file never holds one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from sim.model.costs import priced, unpriced_rides
from sim.model.errors import ScenarioError
from sim.model.reading import Table, check_ids, check_number, items, read_seasonality
from sim.model.scenario import NO_DEMAND, Demand, Route
from sim.model.suggest import unknown_key_message

CHOICES = ("logit", "fixed", "cheapest")
MAX_VALUE_USD_PER_TONNE = 1e7  # gold is ~6e7/t; nothing shipped by container is near 1e7
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CargoClass:
    """A kind of cargo: its value, its load per TEU and what a day in transit costs its owner."""

    id: str
    name: str
    value_usd_per_tonne: float
    tonnes_per_teu: float
    time_cost_per_day: float  # share of the cargo's value per day in transit
    source: str = ""


@dataclass(frozen=True)
class ChoiceSettings:
    """The ``[choice]`` table: the logit's scale, the reliability rule, carbon price, iteration.

    ``logit_scale_per_usd`` is the logit's theta: an option dearer by 1/theta US$ per TEU has
    1/e the odds.  The buffer a shipper holds for unreliability is ``buffer_weight`` x
    (p95 - p50) days of door-to-door time (sim.choice.cost).
    """

    logit_scale_per_usd: float | None = None
    buffer_weight: float = 1.0
    carbon_usd_per_tonne: float = 0.0
    max_iterations: int = 30
    tolerance: float = 0.01
    source: str = ""


@dataclass(frozen=True)
class Flow:
    """Containers from ``origin`` to ``destination`` that choose among ``options`` (route ids)."""

    id: str
    name: str
    origin: str
    destination: str
    teu_per_year: float
    value_usd_per_tonne: float
    tonnes_per_teu: float
    time_cost_per_day: float
    options: tuple[str, ...]
    choice: str
    shares: tuple[float, ...] | None  # fixed: one per option, in option order
    demand: Demand  # the arrivals of the whole flow, before it splits
    cargo_class: str = ""
    logit_scale_per_usd: float | None = None

    @property
    def value_usd_per_teu(self) -> float:
        return self.value_usd_per_tonne * self.tonnes_per_teu

    @property
    def time_value_usd_per_teu_day(self) -> float:
        """What a day in transit costs the owner of one TEU of this cargo."""
        return self.value_usd_per_teu * self.time_cost_per_day


@dataclass(frozen=True)
class Assignment:
    """The shares simulated: per flow, booking periods [cuts[p], cuts[p + 1]) of simulation
    time and, for each, one share per option (in the flow's option order)."""

    cuts: tuple[float, ...]
    shares: dict[str, tuple[tuple[float, ...], ...]] = field(default_factory=dict)

    def periods(self) -> int:
        return len(self.cuts) - 1


def routes_between(routes: Mapping[str, Route], origin: str, destination: str) -> list[str]:
    """Every container route from ``origin`` to ``destination``: a flow's options = "all"."""
    return [rid for rid, r in routes.items()
            if r.path[0] == origin and r.path[-1] == destination and r.demand.cargo == "container"]


def read_cargo_classes(raw: Mapping[str, Any]) -> dict[str, CargoClass]:
    out = {}
    for ident, entry in items(raw, "cargo_classes"):
        t = Table(entry, f"cargo_classes.{ident}", ("id", "name", "value_usd_per_tonne", "tonnes_per_teu",
                                                    "time_cost_per_day", "carrying_cost_per_year"))
        out[ident] = CargoClass(
            id=ident,
            name=t.string("name", ident),
            value_usd_per_tonne=t.number("value_usd_per_tonne", positive=True, maximum=MAX_VALUE_USD_PER_TONNE),
            tonnes_per_teu=t.number("tonnes_per_teu", positive=True, maximum=40),
            time_cost_per_day=_time_cost(t, required=True),
            source=str(t.get("source", "")),
        )
    return out


def _time_cost(t: Table, required: bool) -> float | None:
    """``time_cost_per_day`` (share of value per day) or ``carrying_cost_per_year`` / 365."""
    if t.has("time_cost_per_day") and t.has("carrying_cost_per_year"):
        raise ScenarioError("give only one of time_cost_per_day, carrying_cost_per_year", t.path)
    if t.has("time_cost_per_day"):
        return t.number("time_cost_per_day", minimum=0, maximum=1)
    if t.has("carrying_cost_per_year"):
        return t.number("carrying_cost_per_year", minimum=0, maximum=10) / 365.0
    if required:
        raise ScenarioError("needs time_cost_per_day (share of value per day) or carrying_cost_per_year", t.path)
    return None


def read_choice(raw: Mapping[str, Any]) -> ChoiceSettings:
    if "choice" not in raw:
        return ChoiceSettings()
    t = Table(raw["choice"], "choice", ("logit_scale_per_usd", "buffer_weight", "carbon_usd_per_tonne",
                                        "max_iterations", "tolerance"))
    iterations = t.integer("max_iterations", 30, minimum=1)
    if iterations > 1000:
        raise ScenarioError(f"must be at most 1000, got {iterations}", t.sub("max_iterations"))
    return ChoiceSettings(
        logit_scale_per_usd=t.number("logit_scale_per_usd", positive=True, maximum=10) if t.has("logit_scale_per_usd") else None,
        buffer_weight=t.number("buffer_weight", 1.0, minimum=0, maximum=100),
        carbon_usd_per_tonne=t.number("carbon_usd_per_tonne", 0.0, minimum=0, maximum=1e5),
        max_iterations=iterations,
        tolerance=t.number("tolerance", 0.01, positive=True, maximum=0.5),
        source=str(t.get("source", "")),
    )


FLOW_KEYS = ("id", "name", "origin", "destination", "teu_per_year", "cargo_value_usd_per_tonne", "tonnes_per_teu",
             "cargo_class", "time_cost_per_day", "carrying_cost_per_year", "options", "choice", "shares",
             "container_teu", "arrivals", "seasonality", "growth_per_year", "logit_scale_per_usd")


def read_flows(raw: Mapping[str, Any], nodes: Mapping[str, Any], routes: Mapping[str, Route],
               classes: Mapping[str, CargoClass], choice: ChoiceSettings, arrivals: tuple[str, ...]) -> dict[str, Flow]:
    out = {}
    for ident, entry in items(raw, "flows"):
        out[ident] = _flow(ident, entry, nodes, routes, classes, choice, arrivals)
    return out


def _flow(ident: str, entry: Mapping[str, Any], nodes: Mapping[str, Any], routes: Mapping[str, Route],
          classes: Mapping[str, CargoClass], choice: ChoiceSettings, arrivals: tuple[str, ...]) -> Flow:
    t = Table(entry, f"flows.{ident}", FLOW_KEYS)
    origin, destination = t.string("origin"), t.string("destination")
    for key, node in (("origin", origin), ("destination", destination)):
        if node not in nodes:
            raise ScenarioError(unknown_key_message(node, nodes, what="node"), t.sub(key))
    if origin == destination:
        raise ScenarioError("origin and destination are the same node", t.sub("destination"))
    cls = None
    if t.has("cargo_class"):
        name = t.string("cargo_class")
        if name not in classes:
            raise ScenarioError(unknown_key_message(name, classes, what="cargo class")
                                + ("" if classes else " (no [[cargo_classes]] are defined)"), t.sub("cargo_class"))
        cls = classes[name]
    value = (t.number("cargo_value_usd_per_tonne", minimum=0, maximum=MAX_VALUE_USD_PER_TONNE)
             if t.has("cargo_value_usd_per_tonne") or cls is None else cls.value_usd_per_tonne)
    tonnes = (t.number("tonnes_per_teu", positive=True, maximum=40)
              if t.has("tonnes_per_teu") or cls is None else cls.tonnes_per_teu)
    time_cost = _time_cost(t, required=False)
    if time_cost is None:
        time_cost = cls.time_cost_per_day if cls is not None else 0.0
    kind = t.string("choice", "logit", CHOICES)
    unit_teu = t.number("container_teu", 2.0, positive=True, maximum=2.25)
    options = _options(t, origin, destination, routes, unit_teu)
    shares = _shares(t, options) if kind == "fixed" else None
    if kind != "fixed" and t.has("shares"):
        raise ScenarioError(f"applies to choice = \"fixed\" only (this flow's choice is {kind!r})", t.sub("shares"))
    scale = t.number("logit_scale_per_usd", positive=True, maximum=10) if t.has("logit_scale_per_usd") else None
    if kind == "logit":
        if scale is None and choice.logit_scale_per_usd is None:
            raise ScenarioError("a logit choice needs logit_scale_per_usd (here or in [choice])", t.path)
        if value <= 0:
            raise ScenarioError("is 0: a logit on generalised cost needs the cargo's value to price its time "
                                "(give cargo_value_usd_per_tonne > 0)", t.sub("cargo_value_usd_per_tonne"))
    teu = t.number("teu_per_year", minimum=0, maximum=1e9)
    demand = Demand(
        units_per_year=teu / unit_teu, unit_teu=unit_teu, unit_tonnes=tonnes * unit_teu, cargo="container",
        arrivals=t.string("arrivals", "poisson", arrivals), seasonality=read_seasonality(t),
        growth_per_year=t.number("growth_per_year", 0.0, minimum=-0.99, maximum=100),
    )
    return Flow(
        id=ident, name=t.string("name", ident), origin=origin, destination=destination, teu_per_year=teu,
        value_usd_per_tonne=value, tonnes_per_teu=tonnes, time_cost_per_day=time_cost, options=options,
        choice=kind, shares=shares, demand=demand, cargo_class=cls.id if cls else "", logit_scale_per_usd=scale,
    )


def _options(t: Table, origin: str, destination: str, routes: Mapping[str, Route], unit_teu: float) -> tuple[str, ...]:
    raw = t.required("options")
    key = t.sub("options")
    if raw == "all":
        found = tuple(routes_between(routes, origin, destination))
        if not found:
            raise ScenarioError(f"no route runs from {origin} to {destination}", key)
        options = found
    else:
        if not isinstance(raw, list) or not raw:
            raise ScenarioError('must be an array of route ids or "all"', key)
        check_ids(raw, routes, "route", key)
        if len(set(raw)) != len(raw):
            dup = next(r for r in raw if raw.count(r) > 1)
            raise ScenarioError(f"lists route '{dup}' twice", key)
        options = tuple(raw)
    for i, rid in enumerate(options):
        route = routes[rid]
        where = f"{key}[{i}]"
        if route.path[0] != origin or route.path[-1] != destination:
            raise ScenarioError(f"route '{rid}' runs {route.path[0]} -> {route.path[-1]}, not {origin} -> {destination}"
                                " (an option must run door to door: add the pre- and on-carriage legs to it)", where)
        if route.demand.cargo != "container":
            raise ScenarioError(f"route '{rid}' carries bulk (tonnes), not containers", where)
        if route.demand is not NO_DEMAND and abs(route.demand.unit_teu - unit_teu) > 1e-9:
            raise ScenarioError(f"route '{rid}' carries {route.demand.unit_teu:g}-TEU containers, this flow "
                                f"{unit_teu:g}-TEU ones (container_teu)", where)
    return options


def _shares(t: Table, options: tuple[str, ...]) -> tuple[float, ...]:
    raw = t.required("shares")
    key = t.sub("shares")
    s = Table(raw, key, options)
    values = []
    for rid in options:
        values.append(check_number(s.get(rid, 0.0), s.sub(rid), minimum=0, maximum=1))
    total = sum(values)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ScenarioError(f"must sum to 1, got {total:g}", key)
    return tuple(v / total for v in values)


def check_flows(scenario: Any) -> None:
    """What flows need of the rest of the scenario: demand events stay off their options
    (a flow's bookings are split by the equilibrium, not multiplied), and a carbon price
    needs a CO2e factor for every leg of every option it prices."""
    chosen = {rid: f.id for f in scenario.flows.values() for rid in f.options}
    for event in scenario.events:
        if event.kind == "demand":
            for rid in event.targets:
                if rid in chosen:
                    raise ScenarioError(f"route '{rid}' is an option of flow '{chosen[rid]}': a demand event changes a "
                                        "route's own demand only, so give the flow's teu_per_year instead, or target "
                                        "a route no flow chooses", f"events.{event.id}.target")
    if priced(scenario):  # money counts in the choice: an option without a price cannot be compared
        for flow in scenario.flows.values():
            if flow.choice == "fixed":
                continue
            for rid in flow.options:
                missing = unpriced_rides(scenario, scenario.routes[rid])
                if missing:
                    raise ScenarioError(
                        f"option '{rid}' rides service '{missing[0]}', which no rate prices (neither the service nor "
                        f"its legs), so its money cost is unknown and the {flow.choice} choice cannot weigh it: give "
                        f"services.{missing[0]}.rate (or a rate on its legs), or leave the option out",
                        f"flows.{flow.id}.options")
    choice = scenario.choice
    if choice is None or choice.carbon_usd_per_tonne <= 0:
        return
    where = "choice.carbon_usd_per_tonne"
    if scenario.emissions is None:
        raise ScenarioError("a carbon price needs CO2e factors: add an [emissions] table", where)
    for flow in scenario.flows.values():
        for rid in flow.options:
            for seg in scenario.routes[rid].segments:
                for lid in seg.legs:
                    leg = scenario.legs[lid]
                    if leg.co2e_g_per_tkm is None and scenario.emissions.factor(leg.mode, leg.traction) is None:
                        raise ScenarioError(
                            f"a carbon price needs a CO2e factor for every mode: [emissions] has none for "
                            f"'{leg.mode}' (leg {lid} of route {rid}, an option of flow {flow.id})", where)


def routes_of_flows(raw: Mapping[str, Any], routes: Mapping[str, Route], flows: Mapping[str, Flow]) -> dict[str, Route]:
    """The routes, those without demand of their own sized by the flows that choose them.

    Such a route must be some flow's option, or it would carry nothing; it carries
    containers of the size its flows ship (each flow checked its own), so two flows of
    different sizes cannot share one.
    """
    chosen = {rid for f in flows.values() for rid in f.options}
    out = dict(routes)
    for rid, entry in items(raw, "routes"):
        if "demand" in entry:
            continue
        if rid not in chosen:
            raise ScenarioError("missing required key 'demand' (a route without demand must be an option of a [[flows]] entry)",
                                f"routes.{rid}")
        sizes = {f.demand.unit_teu: f.id for f in flows.values() if rid in f.options}
        if len(sizes) > 1:
            (a, fa), (b, fb) = list(sizes.items())[:2]
            raise ScenarioError(f"route '{rid}' has no demand of its own and carries flows of {a:g}-TEU ({fa}) and "
                                f"{b:g}-TEU ({fb}) containers: give it a demand table with its container_teu",
                                f"flows.{fb}.container_teu")
        out[rid] = dataclasses.replace(routes[rid], demand=dataclasses.replace(NO_DEMAND, unit_teu=next(iter(sizes))))
    return out
