"""What moving a container costs and emits: rates, node charges, transit tariffs, CO2e factors.

Read from ``rate``/``subsidy`` on services and legs, ``charges`` on nodes, ``[costs]`` (transit
tariffs per country, the subsidy switch) and ``[emissions]`` (well-to-wheel intensities per
mode, with the load factor and empty running each default assumes).  Every money figure is
US$ with its year and source.  A route's money cost is fixed by its path; its CO2e also
depends on how full the run's vehicles were (Emissions.scale; sim.analysis.costs sums both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from sim.model.errors import ScenarioError
from sim.model.reading import Table, check_number
from sim.model.scenario import VEHICLES

if TYPE_CHECKING:
    from sim.model.scenario import Route, Scenario

KG_PER_TONNE = 1000.0
TEU_PER_FEU = 2.0
MAX_USD = 1e7  # per TEU or per tonne: a rate above ten million dollars is a typo
MAX_G_PER_TKM = 5000.0  # air freight is ~600 g/t-km; ten times that is not a vehicle

# The money units a rate may be quoted in and how each converts to the model's four bases.
RATE_KEYS = {
    "usd_per_teu": ("per_teu", 1.0),
    "usd_per_feu": ("per_teu", 1.0 / TEU_PER_FEU),
    "usd_per_teu_km": ("per_teu_km", 1.0),
    "usd_per_feu_km": ("per_teu_km", 1.0 / TEU_PER_FEU),
    "usd_per_tonne": ("per_tonne", 1.0),
    "usd_per_kg": ("per_tonne", KG_PER_TONNE),
    "usd_per_tonne_km": ("per_tonne_km", 1.0),
}
CHARGE_KEYS = ("handling_usd_per_teu", "handling_usd_per_tonne", "border_usd_per_teu", "border_usd_per_tonne")
EMISSION_MODES = ("rail", "rail_electric", "rail_diesel", "road", "sea", "ferry", "air")
MAX_EMPTY_RUNNING = 0.9  # a vehicle empty for more than 90% of its km is not a freight service
TRACTIONS = ("electric", "diesel")


@dataclass(frozen=True)
class Rate:
    """A price for carrying cargo: per TEU, per TEU-km, per tonne and per tonne-km (summed).

    A container pays ``per_teu`` x TEU + ``per_teu_km`` x TEU x km + ``per_tonne`` x its
    tonnes; bulk pays ``per_tonne`` and ``per_tonne_km``.  Zero everywhere: no price known.
    """

    per_teu: float = 0.0
    per_teu_km: float = 0.0
    per_tonne: float = 0.0
    per_tonne_km: float = 0.0
    year: int | None = None
    source: str = ""
    # A through rate quoted with the transit countries' tariffs in it: the cost breakdown
    # shows them as the transit part and takes them off the line haul, so nothing counts twice.
    includes_transit: bool = False

    def container(self, teu: float, tonnes: float, km: float) -> float:
        """The price of one container of ``teu`` TEU holding ``tonnes`` over ``km``."""
        return self.per_teu * teu + self.per_teu_km * teu * km + self.per_tonne * tonnes

    def bulk(self, tonnes: float, km: float) -> float:
        """The price of ``tonnes`` of bulk over ``km``."""
        return self.per_tonne * tonnes + self.per_tonne_km * tonnes * km

    @property
    def given(self) -> bool:
        return any((self.per_teu, self.per_teu_km, self.per_tonne, self.per_tonne_km))


ANY_VEHICLE = "*"


@dataclass(frozen=True)
class Charges:
    """What a node charges a container (or a tonne of bulk) handled or cleared there.

    Each charge is by vehicle kind (ANY_VEHICLE: every kind), so a port's quay handling is
    paid by the containers a ship loads or unloads, not by those a truck takes away.
    """

    handling_per_teu: dict[str, float] = field(default_factory=dict)
    handling_per_tonne: dict[str, float] = field(default_factory=dict)
    border_per_teu: dict[str, float] = field(default_factory=dict)
    border_per_tonne: dict[str, float] = field(default_factory=dict)
    year: int | None = None
    source: str = ""

    @staticmethod
    def for_vehicles(charge: dict[str, float], vehicles: set[str]) -> float:
        """The charge for cargo moved by any of ``vehicles`` here: the highest that applies, once."""
        return max((charge.get(v, charge.get(ANY_VEHICLE, 0.0)) for v in vehicles), default=0.0)


@dataclass(frozen=True)
class TransitTariff:
    """What a country charges cargo crossing it without starting or ending there, by km."""

    country: str
    per_teu_km: float = 0.0
    per_tonne_km: float = 0.0
    modes: tuple[str, ...] = ("rail",)
    year: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Costs:
    """The scenario's ``[costs]``: transit tariffs by country and whether subsidies are paid.

    ``subsidies`` true (the default): shippers pay the quoted rates, which already have a
    service's ``subsidy`` taken off; false: the subsidy is withdrawn and shippers pay it too.
    """

    tariffs: dict[str, TransitTariff] = field(default_factory=dict)
    subsidies: bool = True
    source: str = ""


@dataclass(frozen=True)
class Emissions:
    """The scenario's ``[emissions]``: g CO2e per tonne-km by mode, well to wheel.

    ``tonnes_per_teu`` is the load of a TEU of a route whose demand does not say (CO2e is
    per tonne of cargo carried); a rail leg's ``traction`` picks ``rail_electric`` or
    ``rail_diesel`` before ``rail``; a leg's own ``co2e_g_per_tkm`` overrides them all.
    ``load_factor`` and ``empty_running`` (by the same keys) are what each default assumes:
    the share of a vehicle's capacity taken on its loaded km, and the share of its km run
    empty.  Where they are given, a leg's factor is rescaled to the run (see ``scale``).
    """

    g_per_tkm: dict[str, float]
    tonnes_per_teu: float
    standard: str = ""
    source: str = ""
    load_factor: dict[str, float] = field(default_factory=dict)
    empty_running: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _pick(table: Mapping[str, float], mode: str, traction: str | None) -> float | None:
        if mode == "rail" and traction is not None and f"rail_{traction}" in table:
            return table[f"rail_{traction}"]
        return table.get(mode)

    def factor(self, mode: str, traction: str | None) -> float | None:
        """The intensity of a leg of that mode and traction, or None if none is given."""
        return self._pick(self.g_per_tkm, mode, traction)

    def scale(self, mode: str, traction: str | None, load: float | None, empty: float | None) -> float:
        """What the default factor of a leg is multiplied by for a vehicle that ran at
        ``load`` (share of capacity, as simulated) with ``empty`` of its km empty.

        A vehicle's emissions per km are taken as independent of its load (the usual
        assumption behind per-tonne-km defaults), so the intensity per tonne-km goes as
        1 / (load x (1 - empty)): factor x L0 (1 - E0) / (L (1 - E)), L0 and E0 the
        default's own.  Where the default's load factor is not given, or the run measured no
        load (None, NaN), the load part is 1; where no empty share is given, so is that part.
        """
        out = 1.0
        base_load = self._pick(self.load_factor, mode, traction)
        if base_load is not None and load is not None and load == load and load > 0:
            out *= base_load / load
        base_empty = self._pick(self.empty_running, mode, traction)
        if empty is not None:
            out *= (1.0 - (base_empty or 0.0)) / (1.0 - empty)
        return out


# A rate's or tariff's year: when it was quoted.
RATE_YEARS = (1900, 2100, "a year between 1900 and 2100")


def read_rate(value: Any, path: str) -> Rate:
    """A ``rate`` or ``subsidy`` table: any of RATE_KEYS (summed by base), year, source."""
    t = Table(value, path, (*RATE_KEYS, "year", "includes_transit_tariffs"))
    parts = {"per_teu": 0.0, "per_teu_km": 0.0, "per_tonne": 0.0, "per_tonne_km": 0.0}
    given = [key for key in RATE_KEYS if t.has(key)]
    if not given:
        raise ScenarioError(f"needs a price: one or more of {', '.join(RATE_KEYS)}", path)
    for key in given:
        base, factor = RATE_KEYS[key]
        parts[base] += t.number(key, minimum=0, maximum=MAX_USD) * factor
    return Rate(**parts, year=t.year(*RATE_YEARS), source=str(t.get("source", "")),
                includes_transit=t.boolean("includes_transit_tariffs", False))


def read_charges(value: Any, path: str) -> Charges:
    """A node's ``charges`` table: each charge a number (every vehicle kind) or a table by kind."""
    t = Table(value, path, (*CHARGE_KEYS, "year"))
    if not any(t.has(k) for k in CHARGE_KEYS):
        raise ScenarioError(f"needs one or more of {', '.join(CHARGE_KEYS)}", path)
    return Charges(
        *(_by_vehicle(t, key) for key in CHARGE_KEYS),
        year=t.year(*RATE_YEARS),
        source=str(t.get("source", "")),
    )


def _by_vehicle(t: Table, key: str) -> dict[str, float]:
    if not t.has(key):
        return {}
    value = t.get(key)
    if isinstance(value, Mapping):
        v = Table(value, t.sub(key), VEHICLES)
        out = {kind: v.number(kind, minimum=0, maximum=MAX_USD) for kind in VEHICLES if v.has(kind)}
        if not out:
            raise ScenarioError(f"needs a charge for one or more vehicle kinds: {', '.join(VEHICLES)} (or one number for all)",
                                t.sub(key))
        return out
    return {ANY_VEHICLE: t.number(key, minimum=0, maximum=MAX_USD)}


def read_costs(raw: Mapping[str, Any], countries: set[str], modes: tuple[str, ...]) -> Costs:
    """The ``[costs]`` table (empty Costs when absent); tariff countries must be node countries."""
    if "costs" not in raw:
        return Costs()
    t = Table(raw["costs"], "costs", ("transit_tariffs", "subsidies"))
    tariffs: dict[str, TransitTariff] = {}
    if t.has("transit_tariffs"):
        tt = Table(t.get("transit_tariffs"), t.sub("transit_tariffs"), sorted(countries))
        for country in tt.data:
            if country in ("source", "note", "notes"):
                continue
            tariffs[country] = _tariff(country, tt.get(country), tt.sub(country), modes)
    return Costs(tariffs=tariffs, subsidies=t.boolean("subsidies", True), source=str(t.get("source", "")))


def _tariff(country: str, value: Any, path: str, modes: tuple[str, ...]) -> TransitTariff:
    t = Table(value, path, ("usd_per_teu_km", "usd_per_feu_km", "usd_per_tonne_km", "modes", "year"))
    if t.has("usd_per_teu_km") and t.has("usd_per_feu_km"):
        raise ScenarioError("give only one of usd_per_teu_km, usd_per_feu_km", path)
    per_teu_km = (t.number("usd_per_teu_km", minimum=0, maximum=MAX_USD) if t.has("usd_per_teu_km")
                  else t.number("usd_per_feu_km", 0.0, minimum=0, maximum=MAX_USD) / TEU_PER_FEU)
    per_tonne_km = t.number("usd_per_tonne_km", 0.0, minimum=0, maximum=MAX_USD)
    if not per_teu_km and not per_tonne_km:
        raise ScenarioError("needs usd_per_teu_km (or usd_per_feu_km) or usd_per_tonne_km", path)
    tariff_modes: tuple[str, ...] = ("rail",)
    if t.has("modes"):
        value = t.get("modes")
        if not isinstance(value, list) or not value:
            raise ScenarioError("must be an array of leg modes", t.sub("modes"))
        for i, mode in enumerate(value):
            if mode not in modes:
                raise ScenarioError(f"must be one of {', '.join(modes)}, got {mode!r}", f"{t.sub('modes')}[{i}]")
        tariff_modes = tuple(value)
    return TransitTariff(country, per_teu_km, per_tonne_km, tariff_modes, t.year(*RATE_YEARS), str(t.get("source", "")))


def read_emissions(raw: Mapping[str, Any]) -> Emissions | None:
    """The ``[emissions]`` table, or None when the scenario has none."""
    if "emissions" not in raw:
        return None
    t = Table(raw["emissions"], "emissions", ("g_co2e_per_tkm", "tonnes_per_teu", "standard", "load_factor", "empty_running"))
    f = Table(t.required("g_co2e_per_tkm"), t.sub("g_co2e_per_tkm"), EMISSION_MODES)
    factors = {mode: f.number(mode, minimum=0, maximum=MAX_G_PER_TKM) for mode in EMISSION_MODES if f.has(mode)}
    if not factors:
        raise ScenarioError(f"needs a factor for one or more of {', '.join(EMISSION_MODES)}", f.path)
    return Emissions(
        g_per_tkm=factors,
        tonnes_per_teu=t.number("tonnes_per_teu", positive=True, maximum=40),
        standard=str(t.get("standard", "")),
        source=str(t.get("source", "")) or str(f.get("source", "")),
        load_factor=_shares(t, "load_factor", factors, highest=1.0, positive=True),
        empty_running=_shares(t, "empty_running", factors, highest=MAX_EMPTY_RUNNING),
    )


def _shares(t: Table, key: str, factors: Mapping[str, float], highest: float, positive: bool = False) -> dict[str, float]:
    """A table of shares by emission mode (only modes that have a factor)."""
    if not t.has(key):
        return {}
    s = Table(t.get(key), t.sub(key), EMISSION_MODES)
    out = {}
    for mode in EMISSION_MODES:
        if not s.has(mode):
            continue
        if mode not in factors:
            raise ScenarioError(f"{mode} has no factor in emissions.g_co2e_per_tkm to apply this to", s.sub(mode))
        out[mode] = check_number(s.get(mode), s.sub(mode), positive=positive, minimum=0.0, maximum=highest)
    return out


def read_empty_running(t: Table) -> float | None:
    """A service's own ``empty_running`` (share of its vehicles' km run empty), or None."""
    if not t.has("empty_running"):
        return None
    return check_number(t.get("empty_running"), t.sub("empty_running"), minimum=0.0, maximum=MAX_EMPTY_RUNNING)


def leg_country(t: Table, a: Any, b: Any) -> str:
    """The country a leg between nodes ``a`` and ``b`` lies in (whose transit tariff its km
    pay): given, or the one its two ends share ('CN/KZ' and 'KZ/RU' share KZ); "" when they
    share none (open sea, or a leg across a border) or more than one."""
    if t.has("country"):
        country = t.string("country")
        if country not in set(a.country.split("/")) | set(b.country.split("/")):
            raise ScenarioError(f"'{country}' is neither end's country ({a.id}: {a.country or 'none'}, "
                                f"{b.id}: {b.country or 'none'})", t.sub("country"))
        return country
    common = set(a.country.split("/")) & set(b.country.split("/")) - {""}
    return common.pop() if len(common) == 1 else ""


def read_traction(t: Table, mode: str) -> str | None:
    """A rail leg's ``traction`` (which [emissions] factor applies); None when not given."""
    if not t.has("traction"):
        return None
    if mode != "rail":
        raise ScenarioError(f"applies to rail legs only (this leg's mode is {mode!r})", t.sub("traction"))
    return t.string("traction", choices=TRACTIONS)


def read_leg_co2(t: Table) -> float | None:
    """A leg's own ``co2e_g_per_tkm`` (None: the [emissions] factor of its mode applies)."""
    if not t.has("co2e_g_per_tkm"):
        return None
    return check_number(t.get("co2e_g_per_tkm"), t.sub("co2e_g_per_tkm"), minimum=0, maximum=MAX_G_PER_TKM)


# ---------------------------------------------------------------------------------------
# Transit tariffs along a path (the model's own data; sim.analysis.costs sums the rest)


def tonnes_per_teu(scenario: "Scenario", route: "Route") -> float:
    """The load of a TEU of the route's own demand: its tonnes_per_teu, else [emissions]'s."""
    d = route.demand
    if d.unit_teu > 0 and d.unit_tonnes > 0:
        return d.unit_tonnes / d.unit_teu
    return scenario.emissions.tonnes_per_teu if scenario.emissions is not None else 0.0


def priced(scenario: "Scenario") -> bool:
    """True when the scenario gives any price (a rate, charge or tariff) at all."""
    return (any(s.rate or s.subsidy for s in scenario.services.values())
            or any(l.rate for l in scenario.legs.values())
            or any(n.charges for n in scenario.nodes.values())
            or bool(scenario.costs and scenario.costs.tariffs))


def unpriced_rides(scenario: "Scenario", route: "Route") -> list[str]:
    """The services of a route whose ride no rate prices, neither theirs nor one of their legs'."""
    return list(dict.fromkeys(
        seg.service for seg in route.segments
        if scenario.services[seg.service].rate is None and all(scenario.legs[lid].rate is None for lid in seg.legs)
    ))


def end_countries(scenario: "Scenario", route: "Route") -> set[str]:
    """The countries a route starts and ends in (a border node's 'CN/KZ' counts both)."""
    return {c for n in (route.path[0], route.path[-1]) for c in scenario.nodes[n].country.split("/") if c}


def transit_tariffs(scenario: "Scenario", route: "Route", legs: tuple[str, ...] | None = None,
                    tonnes: float | None = None) -> dict[str, float]:
    """US$ per TEU holding ``tonnes`` t (default: the route's own load; per tonne for bulk) the
    route pays each transit country, by country (over ``legs`` only when given: one service's
    stretch).  A container pays a tariff's per-TEU-km and its per-tonne-km on its tonnes."""
    costs = scenario.costs
    if costs is None or not costs.tariffs:
        return {}
    ends = end_countries(scenario, route)
    bulk = route.demand.cargo == "bulk"
    tonnes = tonnes_per_teu(scenario, route) if tonnes is None else tonnes
    out: dict[str, float] = {}
    for lid in legs if legs is not None else (lid for seg in route.segments for lid in seg.legs):
        leg = scenario.legs[lid]
        tariff = costs.tariffs.get(leg.country)
        if tariff is None or leg.country in ends or leg.mode not in tariff.modes:
            continue
        per_km = tariff.per_tonne_km if bulk else tariff.per_teu_km + tariff.per_tonne_km * tonnes
        out[leg.country] = out.get(leg.country, 0.0) + per_km * leg.distance_km
    return out


def check_through_rates(scenario: "Scenario") -> None:
    """A rate that ``includes_transit_tariffs`` must at least cover them on every route's
    stretch of its service, or the line haul left would be negative."""
    for rid, route in scenario.routes.items():
        bulk = route.demand.cargo == "bulk"
        # Each load the route's containers may hold: its own, and each flow's that chooses it.
        loads = {tonnes_per_teu(scenario, route)} | {f.tonnes_per_teu for f in scenario.flows.values() if rid in f.options}
        for seg in route.segments:
            rate = scenario.services[seg.service].rate
            if rate is None or not rate.includes_transit:
                continue
            km = sum(scenario.legs[lid].distance_km for lid in seg.legs)
            for t in sorted(loads):
                price = rate.bulk(1.0, km) if bulk else rate.container(1.0, t, km)
                tariff = sum(transit_tariffs(scenario, route, seg.legs, t).values(), 0.0)
                if price + 1e-9 < tariff:
                    break
            if price + 1e-9 < tariff:
                unit = "tonne" if bulk else "TEU"
                raise ScenarioError(
                    f"includes the transit tariffs, but its US${price:,.2f} per {unit} over route {rid}'s stretch "
                    f"is below the tariffs there (US${tariff:,.2f})", f"services.{seg.service}.rate")
