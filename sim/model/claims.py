"""Claims files: what a study claims, the route and node groups it is measured on, and why.

A claims file (``scenarios/china_europe.claims.toml``) holds everything study-specific that
``routesim validate`` and the figures need: the scenarios it validates, named route and
node groups, country sets, each claim with its band, tolerance, justification and public
sources, and which claim's band and ratio the transit figures draw.  This module reads and
checks the file's shape; the measures themselves are computed in ``sim.analysis.validation``
(whose registry must match ``MEASURE_PARAMS`` below, which a test checks).

Every problem is a ScenarioError naming the claims file and the key path, like a scenario's.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sim.model.errors import ScenarioError, kind_of
from sim.model.suggest import unknown_key_message

CLAIMS_SUFFIX = ".claims.toml"
TOP_KEYS = ("description", "source", "scenarios", "regions", "groups", "figures", "claims", "note", "notes")
SCENARIO_ROLES = ("current", "previous")
QUANTITIES = ("teu", "tonnes")

# Each measure's parameters: name -> (kind, required).  Kinds: 'route_group' / 'node_group'
# (a key of [groups] with routes / nodes), 'region' (a key of [regions]), 'months' ([first,
# last] calendar months, 1-12), 'quantity' (teu or tonnes), 'number', 'string', 'measure'
# (a nested measure table).  The computations live in sim.analysis.validation.MEASURES.
MEASURE_PARAMS: dict[str, dict[str, tuple[str, bool]]] = {
    "mean_transit": {"group": ("route_group", True)},
    "transit_ratio": {"over": ("route_group", True), "under": ("route_group", True)},
    "border_volume": {
        "nodes": ("node_group", True),
        "quantity": ("quantity", True),
        "months": ("months", True),
        "ends_outside": ("region", False),
        "scale": ("number", False),
    },
    "growth": {"of": ("measure", True)},
    "max_utilization": {"node_kind": ("string", True)},
    "backlog_rise": {},
    # A country's transit tariff income in the simulation (scenario [costs.transit_tariffs]);
    # ``scenario``: "current" (default) or "previous", the year the figure is of.
    "transit_revenue": {"country": ("string", True), "scenario": ("string", False), "scale": ("number", False)},
}


@dataclass(frozen=True)
class Source:
    """A public source: publisher, title, date (as published) and URL."""

    publisher: str
    title: str
    url: str = ""  # empty only where none is known (the founding article's)
    date: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"publisher": self.publisher, "title": self.title, "date": self.date, "url": self.url}


@dataclass(frozen=True)
class Group:
    """A named set of routes or of nodes (one of the two) that measures are taken over."""

    id: str
    name: str
    routes: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """A measure of the registry with its parameters (a nested measure for 'growth')."""

    name: str
    params: Mapping[str, Any]
    key: str  # where it is in the claims file, for messages

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True)
class Claim:
    """One claim: its text and article value, the band the simulated mean must fall in, and why."""

    id: str
    text: str
    article: str
    unit: str
    low: float
    high: float
    tolerance: str
    justification: str
    measure: Measure
    sources: tuple[Source, ...] = ()
    article_value: float | None = None

    def passes(self, mean: float) -> bool:
        """True if the simulated mean lies in [low, high] (an open end is +-inf)."""
        return math.isfinite(mean) and self.low <= mean <= self.high


@dataclass(frozen=True)
class Figures:
    """What the transit figures draw: a claim's band (days) and a claim's ratio measure."""

    band_claim: str | None
    band_label: str
    ratio_claim: str | None
    ratio_label: str


@dataclass(frozen=True)
class Claims:
    """A parsed claims file.  ``text`` is its content, copied into results folders."""

    path: str
    text: str
    description: str
    scenarios: Mapping[str, str]
    regions: Mapping[str, frozenset[str]]
    groups: Mapping[str, Group]
    claims: tuple[Claim, ...]
    figures: Figures
    source: Source | None = None

    def claim(self, claim_id: str) -> Claim:
        return next(c for c in self.claims if c.id == claim_id)

    @property
    def band(self) -> tuple[float, float, str] | None:
        """(low, high, label) of the transit figures' claim band, or None."""
        if self.figures.band_claim is None:
            return None
        c = self.claim(self.figures.band_claim)
        return c.low, c.high, self.figures.band_label

    @property
    def ratio(self) -> tuple[Group, Group, str] | None:
        """(over, under, label) groups of the figures' ratio (e.g. sea over rail), or None."""
        if self.figures.ratio_claim is None:
            return None
        m = self.claim(self.figures.ratio_claim).measure
        return self.groups[m.param("over")], self.groups[m.param("under")], self.figures.ratio_label


# ---------------------------------------------------------------------------------------
# Reading


def load_claims(path: str | Path) -> Claims:
    """Read and check a claims file; every problem names the file and the key path."""
    p = Path(path)
    file = str(p)
    if not p.is_file():
        raise ScenarioError("is a directory, not a claims file" if p.is_dir() else "claims file not found", file=file)
    try:
        text = p.read_bytes().decode("utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"TOML syntax error: {exc}", file=file) from None
    try:
        return _claims(raw, p, text)
    except ScenarioError as exc:
        raise exc.located(file) from None


def _table(value: Any, key: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"must be a table, got {kind_of(value)}", key)
    for k in value:
        if k not in allowed:
            raise ScenarioError(unknown_key_message(str(k), allowed), f"{key}.{k}" if key else str(k))
    return value


def _named(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A table of entries named by the user ([regions], [groups]): any key is allowed."""
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(f"must be a table, got {kind_of(value)}", key)
    return value


def _string(t: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if key not in t:
        if default is None:
            raise ScenarioError(f"missing required key '{key}'", where or "(top level)")
        return default
    value = t[key]
    if not isinstance(value, str):
        raise ScenarioError(f"must be a string, got {kind_of(value)}", _sub(where, key))
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ScenarioError(f"must be a number, got {kind_of(value)}", where)
    return float(value)


def _ids(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ScenarioError("must be a non-empty array of ids (strings)", where)
    if len(set(value)) != len(value):
        raise ScenarioError("lists the same id twice", where)
    return tuple(value)


def _sub(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key



def _claims(raw: Mapping[str, Any], path: Path, text: str) -> Claims:
    _table(raw, "", TOP_KEYS)
    scenarios = _scenarios(raw.get("scenarios"), path.parent)
    regions = {}
    for rid, codes in _named(raw, "regions").items():
        where = f"regions.{rid}"
        codes = _ids(codes, where)
        bad = next((c for c in codes if len(c) != 2 or not c.isalpha() or not c.isupper()), None)
        if bad is not None:
            raise ScenarioError(f"country {bad!r} is not an ISO 3166 two-letter code (e.g. 'KZ')", where)
        regions[rid] = frozenset(codes)
    groups = {}
    for gid, value in _named(raw, "groups").items():
        where = f"groups.{gid}"
        g = _table(value, where, ("name", "routes", "nodes"))
        if ("routes" in g) == ("nodes" in g):
            raise ScenarioError("give either 'routes' or 'nodes'", where)
        routes = _ids(g["routes"], f"{where}.routes") if "routes" in g else ()
        nodes = _ids(g["nodes"], f"{where}.nodes") if "nodes" in g else ()
        groups[gid] = Group(gid, _string(g, "name", where, gid), routes, nodes)
    entries = raw.get("claims", [])
    if not isinstance(entries, list) or not entries:
        raise ScenarioError("needs at least one [[claims]] entry", "claims")
    claims: list[Claim] = []
    for i, entry in enumerate(entries):
        claim = _claim(entry, f"claims[{i}]", groups, regions, scenarios)
        if any(c.id == claim.id for c in claims):
            raise ScenarioError(f"duplicate claim id '{claim.id}'", f"claims[{i}].id")
        claims.append(claim)
    figures = _figures(raw.get("figures", {}), claims)
    source = _source(raw["source"], "source") if "source" in raw else None
    return Claims(
        str(path), text, _string(raw, "description", "", ""), scenarios, regions, groups, tuple(claims),
        figures, source,
    )


def _scenarios(value: Any, folder: Path) -> dict[str, str]:
    """Scenario references as written; ``scenario_ref`` resolves them when validate runs (a
    copy in a results folder is read for its figures only, without the scenario files)."""
    if value is None:
        raise ScenarioError("missing required table [scenarios] (current = ..., previous = ...)", "scenarios")
    t = _table(value, "scenarios", SCENARIO_ROLES)
    out = {}
    for role in SCENARIO_ROLES:
        if role not in t:
            if role == "current":
                raise ScenarioError("missing required key 'current'", "scenarios")
            continue
        ref = _string(t, role, "scenarios")
        if not ref:
            raise ScenarioError("must name a scenario file or a bundled scenario", f"scenarios.{role}")
        out[role] = ref
    return out


def _source(value: Any, where: str) -> Source:
    t = _table(value, where, ("publisher", "title", "date", "url"))
    url = _string(t, "url", where, "")
    if url and not url.startswith(("http://", "https://")):
        raise ScenarioError("must be a full http(s) URL of a public source", f"{where}.url")
    return Source(_string(t, "publisher", where), _string(t, "title", where), url, _string(t, "date", where, ""))


def _sources(value: Any, where: str) -> tuple[Source, ...]:
    if not isinstance(value, list):
        raise ScenarioError(f"must be an array of source tables, got {kind_of(value)}", where)
    return tuple(_source(v, f"{where}[{i}]") for i, v in enumerate(value))


CLAIM_KEYS = (
    "id", "text", "article", "article_value", "unit", "band", "tolerance", "justification", "sources", "measure",
)


def _claim(entry: Any, where: str, groups: Mapping[str, Group], regions: Mapping[str, Any],
           scenarios: Mapping[str, str]) -> Claim:
    t = _table(entry, where, CLAIM_KEYS)
    cid = _string(t, "id", where)
    if not cid or not cid.replace("_", "").isalnum():
        raise ScenarioError("must be a non-empty id of letters, digits and '_'", f"{where}.id")
    band = _table(t.get("band"), f"{where}.band", ("low", "high")) if "band" in t else None
    if band is None or not band:
        raise ScenarioError("needs a band: band = { low = ..., high = ... } (either end may be omitted)", where)
    low = _number(band["low"], f"{where}.band.low") if "low" in band else -math.inf
    high = _number(band["high"], f"{where}.band.high") if "high" in band else math.inf
    if not low < high:
        raise ScenarioError(f"low ({low:g}) must be below high ({high:g})", f"{where}.band")
    article_value = _number(t["article_value"], f"{where}.article_value") if "article_value" in t else None
    if "sources" not in t:
        raise ScenarioError("needs sources = [{ publisher, title, date, url }, ...]", where)
    return Claim(
        id=cid, text=_string(t, "text", where), article=_string(t, "article", where),
        unit=_string(t, "unit", where), low=low, high=high,
        tolerance=_string(t, "tolerance", where), justification=_string(t, "justification", where),
        measure=_measure(t.get("measure"), f"{where}.measure", groups, regions, scenarios),
        sources=_sources(t["sources"], f"{where}.sources"), article_value=article_value,
    )


def _measure(value: Any, where: str, groups: Mapping[str, Group], regions: Mapping[str, Any],
             scenarios: Mapping[str, str]) -> Measure:
    if value is None:
        raise ScenarioError(f"missing measure = {{ name = ... }} (one of: {', '.join(MEASURE_PARAMS)})", where)
    if not isinstance(value, Mapping):
        raise ScenarioError(f"must be a table, got {kind_of(value)}", where)
    name = _string(value, "name", where)
    if name not in MEASURE_PARAMS:
        raise ScenarioError(unknown_key_message(name, MEASURE_PARAMS, what="measure"), f"{where}.name")
    spec = MEASURE_PARAMS[name]
    _table(value, where, ("name", *spec))
    params: dict[str, Any] = {}
    for param, (kind, required) in spec.items():
        key = f"{where}.{param}"
        if param not in value:
            if required:
                raise ScenarioError(f"measure '{name}' needs '{param}'", where)
            continue
        v = value[param]
        if kind in ("route_group", "node_group"):
            if not isinstance(v, str) or v not in groups:
                raise ScenarioError(unknown_key_message(str(v), groups, what="group"), key)
            members = "routes" if kind == "route_group" else "nodes"
            if not getattr(groups[v], members):
                raise ScenarioError(f"group '{v}' has no {members}; measure '{name}' needs a group of {members}", key)
        elif kind == "region":
            if not isinstance(v, str) or v not in regions:
                raise ScenarioError(unknown_key_message(str(v), regions, what="region"), key)
        elif kind == "months":
            if (not isinstance(v, list) or len(v) != 2 or not all(isinstance(m, int) and not isinstance(m, bool) for m in v)
                    or not 1 <= v[0] <= v[1] <= 12):
                raise ScenarioError("must be [first, last] calendar months, 1 <= first <= last <= 12", key)
        elif kind == "quantity":
            if v not in QUANTITIES:
                raise ScenarioError(unknown_key_message(str(v), QUANTITIES, what="quantity"), key)
        elif kind == "number":
            v = _number(v, key)
        elif kind == "string":
            if not isinstance(v, str):
                raise ScenarioError(f"must be a string, got {kind_of(v)}", key)
        elif kind == "measure":
            if "previous" not in scenarios:
                raise ScenarioError("compares two scenarios: the claims file needs scenarios.previous", key)
            v = _measure(v, key, groups, regions, scenarios)
            if v.name == "growth":
                raise ScenarioError("growth of a growth is not a measure", f"{key}.name")
        params[param] = v
    if name == "transit_revenue" and params.get("scenario", "current") not in scenarios:
        raise ScenarioError(unknown_key_message(str(params["scenario"]), scenarios, what="scenario role"), f"{where}.scenario")
    return Measure(name, params, where)


def _figures(value: Any, claims: list[Claim]) -> Figures:
    t = _table(value, "figures", ("band_claim", "band_label", "ratio_claim", "ratio_label"))
    ids = [c.id for c in claims]
    band = ratio = None
    if "band_claim" in t:
        band = _string(t, "band_claim", "figures")
        if band not in ids:
            raise ScenarioError(unknown_key_message(band, ids, what="claim"), "figures.band_claim")
        c = next(c for c in claims if c.id == band)
        if c.unit != "days" or not (math.isfinite(c.low) and math.isfinite(c.high)):
            raise ScenarioError(f"claim '{band}' must have unit 'days' and a closed band to be drawn", "figures.band_claim")
    if "ratio_claim" in t:
        ratio = _string(t, "ratio_claim", "figures")
        if ratio not in ids:
            raise ScenarioError(unknown_key_message(ratio, ids, what="claim"), "figures.ratio_claim")
        if next(c for c in claims if c.id == ratio).measure.name != "transit_ratio":
            raise ScenarioError(f"claim '{ratio}' must use the transit_ratio measure", "figures.ratio_claim")
    return Figures(band, _string(t, "band_label", "figures", "claim band"), ratio,
                   _string(t, "ratio_label", "figures", "ratio"))


# ---------------------------------------------------------------------------------------
# Checking against scenarios


def scenario_ref(claims: Claims, role: str) -> str:
    """The scenario of a role: a file relative to the claims file, else a bundled name."""
    ref = claims.scenarios[role]
    local = Path(claims.path).parent / ref
    if local.is_file():
        return str(local)
    from sim.model.documents import bundled_names  # here: documents imports this module

    name = ref[: -len(".toml")] if ref.endswith(".toml") else ref
    if "/" not in ref and name in bundled_names():
        return name
    raise ScenarioError(
        f"no scenario file '{ref}' beside the claims file and no bundled scenario of that name",
        f"scenarios.{role}", claims.path,
    )


def check_against(claims: Claims, scenario: Any, role: str) -> None:
    """Every route and node of every group exists in the scenario (ScenarioError naming the
    claims file, the group's key and the scenario otherwise)."""
    name = scenario.settings.name
    for claim in claims.claims:
        m = claim.measure
        if m.name == "transit_revenue" and m.params.get("scenario", "current") == role:
            tariffs = scenario.costs.tariffs if scenario.costs is not None else {}
            if m.params["country"] not in tariffs:
                raise ScenarioError(f"the {role} scenario '{name}' has no [costs.transit_tariffs.{m.params['country']}] "
                                    "to measure transit revenue with", f"{m.key}.country", claims.path)
    for gid, g in claims.groups.items():
        for members, known in (("routes", scenario.routes), ("nodes", scenario.nodes)):
            for i, ident in enumerate(getattr(g, members)):
                if ident not in known:
                    what = f"{members[:-1]} of the {role} scenario '{name}'"
                    raise ScenarioError(unknown_key_message(ident, known, what=what), f"groups.{gid}.{members}[{i}]",
                                        claims.path)
