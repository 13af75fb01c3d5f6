"""A results folder read back to draw its figures and report: the run's data files checked
(manifest format, summary.json's shape, each CSV's columns and numbers), into RunData.

One line names the file and what is wrong when a folder is incomplete, tampered with or
from another results format.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import __version__
from sim.model.errors import UsageError, kind_of
from sim.model.loader import load_scenario
from sim.output.files import SCENARIO, SUMMARY
from sim.model.scenario import Scenario
from sim.model.sources import SourceNotes, read_source_notes
from sim.analysis.series import MareyStop
from sim.output.figure_data import EVENT_DAYS, FIGURE_DATA, MAREY, NODE_DAYS, RESULTS_FORMAT, ROUTE_WEEKS, TRANSIT_QUANTILES


@dataclass(frozen=True)
class WeekSeries:
    """One route's weekly flows, means over replications (units of the route: TEU or t)."""

    start_day: np.ndarray
    days: np.ndarray
    created_teu: np.ndarray
    delivered_teu: np.ndarray
    created_tonnes: np.ndarray
    delivered_tonnes: np.ndarray


@dataclass(frozen=True)
class DaySeries:
    """One capacity-limited node's daily queue and utilization, means over replications."""

    day: np.ndarray
    queue: np.ndarray
    utilization: np.ndarray
    servers: int


@dataclass(frozen=True)
class EventDays:
    """One node's or route's daily series of event_days.csv, means over replications."""

    day: np.ndarray
    queue: np.ndarray  # vehicles at a node, containers waiting at a route's origin
    transit: np.ndarray  # mean transit days by departure day (NaN: none departed; nodes: all NaN)


@dataclass(frozen=True)
class RunData:
    """Everything the figures and the report of one run need, read from its folder."""

    folder: Path
    label: str
    summary: dict
    scenario: Scenario
    transit: dict[str, np.ndarray]  # route -> quantiles at 0, 0.001, ..., 1 (empty: none)
    weeks: dict[str, WeekSeries]
    nodes: dict[str, DaySeries]
    marey: dict[str, list[MareyStop]]
    # What the scenario's source labels and [tags] stand for (the comments of its scenario.toml).
    source_notes: SourceNotes = field(default_factory=SourceNotes)
    # event_days.csv by (kind, id), kind "node" or "route"; empty for a scenario without events.
    event_days: dict[tuple[str, str], EventDays] = field(default_factory=dict)


def read_run(folder: Path, label: str | None = None) -> RunData:
    """Read a run's results folder; one clear UsageError if it is missing, partial or foreign.

    ``label`` names the run in figures and the report (default: its scenario's name); a
    comparison passes each scenario's own label, which tells apart a scenario and its variant.
    """
    summary = read_summary(folder)
    missing = [name for name in (SCENARIO, *FIGURE_DATA) if not (folder / name).is_file()]
    if missing:
        raise UsageError(f"{folder}: results folder is incomplete, missing {', '.join(missing)}")
    scenario = load_scenario(str(folder / SCENARIO))
    if scenario.events and not (folder / EVENT_DAYS).is_file():
        raise UsageError(f"{folder}: results folder is incomplete, missing {EVENT_DAYS} (the scenario has events)")
    fleets = sorted(sid for sid, sv in scenario.services.items() if sv.fleet is not None or sv.shared)
    for key, needed in (("events", bool(scenario.events)), ("services", bool(fleets) and bool(summary["routes"]))):
        if needed and key not in summary:
            raise UsageError(f"{folder / SUMMARY}: has no '{key}' though its scenario.toml has them; not what routesim writes")
    return RunData(
        folder=folder,
        label=label if label is not None else str(summary.get("scenario", folder.name)),
        summary=summary,
        scenario=scenario,
        transit=_read_transit(folder / TRANSIT_QUANTILES, scenario),
        weeks=_read_weeks(folder / ROUTE_WEEKS, scenario),
        nodes=_read_days(folder / NODE_DAYS),
        marey=_read_marey(folder / MAREY, scenario),
        source_notes=read_source_notes(folder / SCENARIO),
        event_days=read_event_days(folder / EVENT_DAYS) if scenario.events else {},
    )


def read_summary(folder: Path) -> dict:
    """summary.json of a results folder written by this results format."""
    if not folder.exists():
        raise UsageError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    path = folder / SUMMARY
    if not path.is_file():
        raise UsageError(f"{folder}: not a routesim results folder (no {SUMMARY})")
    summary = read_document(path, "summary")
    check_summary(summary, path)
    return summary


# What the figures and the report read from summary.json, with the types routesim writes
# them in: a folder whose files were edited (and its manifest with them) is named, not drawn.
_NUMBER = (int, float)
_SUMMARY_TYPES: dict[str, tuple] = {
    "routes": (dict,), "nodes": (dict,), "horizon_days": _NUMBER, "warmup_days": _NUMBER,
    "cooldown_days": _NUMBER, "replications": (int,), "seed": (int,), "scenario": (str,),
    "description": (str,), "source": (str,), "overrides": (list,), "year": (int, type(None)),
}
_REQUIRED = ("routes", "nodes", "horizon_days", "warmup_days")
_ROUTE_TYPES: dict[str, tuple] = {
    "name": (str,), "mode": (str,), "origin": (str,), "destination": (str,), "cargo": (str,),
    "saturated": (bool,), "containers_undelivered_at_end": (int,), "limited_by": (dict, type(None)),
}
_NODE_TYPES: dict[str, tuple] = {
    "name": (str,), "kind": (str,), "servers": (int, type(None)), "utilization": (*_NUMBER, type(None)),
    "utilization_ci95": (list,), "mean_wait_days": (*_NUMBER, type(None)), "max_queue": (int,),
}
# Tables of statistics (mean, ci95, p5 ...), whose leaves are numbers or missing.
_EVENT_TYPES: dict[str, tuple] = {
    "name": (str,), "kind": (str,), "targets": (list,), "start_day": (*_NUMBER, type(None)),
    "start_date": (str, type(None)), "duration_days": (*_NUMBER, type(None)), "source": (str,),
    "queue_unit": (str,), "overlaps": (dict,), "recovered_runs": (list,), "random": (dict,),
    "duration_random": (dict,), "factor": _NUMBER,
}
_SERVICE_TYPES: dict[str, tuple] = {
    "vehicle": (str,), "vehicles": (int, type(None)), "rotation": (list,), "headway_days": (*_NUMBER, type(None)),
    "vehicles_needed": (int, type(None)), "path": (list,), "routes": (list,), "allocation": (dict,),
    "background_load": (str, type(None)),
}
_ROUTE_TABLES = (
    "teu_delivered", "tonnes_delivered", "transit_days", "wait_for_departure_days", "throughput_teu_per_year",
    "throughput_tonnes_per_year", "at_horizon_teu", "delivered_share_of_demand", "backlog_growth_per_day",
    "load_factor",
)


def _typed(value: object, types: tuple) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def _numbers(value: object) -> bool:
    """A statistic as routesim writes it: a number, null, or a list or table of them."""
    if value is None or _typed(value, _NUMBER):
        return True
    if isinstance(value, list):
        return all(_numbers(v) for v in value)
    if isinstance(value, dict):
        return all(_numbers(v) for v in value.values())
    return False


def check_summary(summary: dict, path: Path) -> None:
    """Refuse, in one line naming the key, a summary.json whose keys the figures and report
    read are missing or of another type than routesim writes."""
    for key in _REQUIRED:
        if key not in summary:
            raise UsageError(f"{path}: has no '{key}'; it is not a summary routesim wrote")
    for key, types in _SUMMARY_TYPES.items():
        if key in summary and not _typed(summary[key], types):
            raise UsageError(f"{path}: '{key}' is {kind_of(summary[key])}, not what routesim writes there")
    # Events and fleets: their described keys typed, every other key a statistic (numbers).
    sections = (("routes", _ROUTE_TYPES, False), ("nodes", _NODE_TYPES, False),
                ("events", _EVENT_TYPES, True), ("services", _SERVICE_TYPES, True))
    for section, types, statistics in sections:
        if section not in summary:
            continue
        if not isinstance(summary[section], dict):
            raise UsageError(f"{path}: '{section}' is {kind_of(summary[section])}, not a table")
        for ident, entry in summary[section].items():
            where = f"{section}.{ident}"
            if not isinstance(entry, dict):
                raise UsageError(f"{path}: '{where}' is {kind_of(entry)}, not a table")
            for key, value in entry.items():
                bad = (key in types and not _typed(value, types[key])) or (
                    section == "routes" and key in _ROUTE_TABLES and not _numbers(value)) or (
                    statistics and key not in types and not _numbers(value))
                if section == "services" and key == "vehicles" and not bad:
                    bad = value is not None and value < 1
                if bad:
                    raise UsageError(f"{path}: '{where}.{key}' is {kind_of(value)}, not what routesim writes there")


def read_document(path: Path, what: str) -> dict:
    """A JSON document routesim wrote (summary or comparison), checked for its format."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: not a routesim {what}")
    check_format(document, path)
    return document


def check_format(document: dict, path: Path) -> None:
    """Refuse results written by another results format (older or newer routesim)."""
    found = document.get("results_format")
    if isinstance(found, bool) or not isinstance(found, int):  # not as routesim writes it ("4", 4.0, null)
        raise UsageError(f"{path}: results_format must be an integer as routesim writes it, got {found!r}: "
                         "run the scenario again to re-draw it")
    if found != RESULTS_FORMAT:
        written = document.get("routesim_version", "an unknown version")
        raise UsageError(
            f"{path}: written by routesim {written} (results format {found}); this is routesim "
            f"{__version__} (format {RESULTS_FORMAT}): run the scenario again to re-draw it"
        )


def _read_table(path: Path) -> dict[str, list[str]]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            columns: dict[str, list[str]] = {name: [] for name in header}
            for row in reader:
                if len(row) != len(header):
                    raise UsageError(f"{path}: line {reader.line_num} has {len(row)} fields, expected {len(header)}")
                for name, cell in zip(header, row):
                    columns[name].append(cell)
    except (StopIteration, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path}: unreadable ({exc or 'empty file'})") from None
    return columns


def _floats(columns: dict[str, list[str]], name: str, path: Path) -> np.ndarray:
    if name not in columns:
        raise UsageError(f"{path}: no column '{name}'")
    try:
        return np.array([float(v) if v != "" else np.nan for v in columns[name]], dtype=np.float64)
    except ValueError:
        raise UsageError(f"{path}: column '{name}' holds a value that is not a number") from None


def _strings(columns: dict[str, list[str]], name: str, path: Path) -> np.ndarray:
    if name not in columns:
        raise UsageError(f"{path}: no column '{name}'")
    return np.array(columns[name], dtype=object)


def _read_transit(path: Path, scenario: Scenario) -> dict[str, np.ndarray]:
    cols = _read_table(path)
    route = _strings(cols, "route", path)
    days = _floats(cols, "transit_days", path)
    return {rid: days[route == rid] for rid in scenario.routes}


def _read_weeks(path: Path, scenario: Scenario) -> dict[str, WeekSeries]:
    cols = _read_table(path)
    route = _strings(cols, "route", path)
    rep = _whole(_floats(cols, "replication", path), "replication", path)
    fields = {name: _floats(cols, name, path) for name in (
        "start_day", "days", "created_teu", "delivered_teu", "created_tonnes", "delivered_tonnes",
    )}
    out = {}
    for rid in scenario.routes:
        mine = route == rid
        first = mine & (rep == rep[mine].min()) if mine.any() else mine
        reps = max(1, np.unique(rep[mine]).size)
        out[rid] = WeekSeries(
            start_day=fields["start_day"][first],
            days=fields["days"][first],
            **{
                name: _mean_by(fields[name][mine], rep[mine], reps, path)
                for name in ("created_teu", "delivered_teu", "created_tonnes", "delivered_tonnes")
            },
        )
    return out


def _mean_by(values: np.ndarray, replication: np.ndarray, reps: int, path: Path | None = None) -> np.ndarray:
    """Mean over replications of a series stored replication after replication."""
    if values.size == 0:
        return values
    if values.size % reps or (np.unique(replication, return_counts=True)[1] != values.size // reps).any():
        raise UsageError(f"{path}: its replications do not hold the same number of rows (a row missing or added?)")
    return values.reshape(reps, -1).mean(axis=0)


def _whole(values: np.ndarray, name: str, path: Path) -> np.ndarray:
    """A column of whole numbers (trips, servers, units), refused where a cell is not one."""
    if not (np.isfinite(values) & (values == np.round(values))).all():
        raise UsageError(f"{path}: column '{name}' holds a value that is not a whole number")
    return values


def _read_days(path: Path) -> dict[str, DaySeries]:
    cols = _read_table(path)
    node = _strings(cols, "node", path)
    rep = _whole(_floats(cols, "replication", path), "replication", path)
    day, queue, util = (_floats(cols, n, path) for n in ("day", "mean_queue_vehicles", "utilization"))
    servers = _whole(_floats(cols, "servers", path), "servers", path)
    out = {}
    for nid in dict.fromkeys(node.tolist()):
        mine = node == nid
        reps = np.unique(rep[mine]).size
        first = mine & (rep == rep[mine].min())
        out[nid] = DaySeries(
            day=day[first],
            queue=_mean_by(queue[mine], rep[mine], reps, path),
            utilization=_mean_by(util[mine], rep[mine], reps, path),
            servers=int(servers[first][0]),
        )
    return out


def _read_marey(path: Path, scenario: Scenario) -> dict[str, list[MareyStop]]:
    cols = _read_table(path)
    route = _strings(cols, "route", path)
    node = _strings(cols, "node", path)
    trip, segment, units = (_whole(_floats(cols, n, path), n, path) for n in ("trip", "segment", "units"))
    km, arrive, depart = (_floats(cols, n, path) for n in ("km", "arrive_day", "depart_day"))
    load = _floats(cols, "load_factor", path)  # blank: the trip ends at that stop
    out: dict[str, list[MareyStop]] = {rid: [] for rid in scenario.routes}
    for i in range(route.size):
        if route[i] in out:
            out[route[i]].append(
                MareyStop(int(trip[i]), int(segment[i]), str(node[i]), float(km[i]),
                          float(arrive[i]), float(depart[i]), int(units[i]), float(load[i]))
            )
    return out


def read_event_days(path: Path) -> dict[tuple[str, str], EventDays]:
    """event_days.csv by (kind, id), means over replications (transit: over the replications
    in which containers departed that day)."""
    cols = _read_table(path)
    kind, ident = _strings(cols, "kind", path), _strings(cols, "id", path)
    rep = _whole(_floats(cols, "replication", path), "replication", path)
    day, queue, transit = (_floats(cols, n, path) for n in ("day", "mean_queue", "mean_transit_days"))
    out = {}
    for key in dict.fromkeys(zip(kind.tolist(), ident.tolist())):
        mine = (kind == key[0]) & (ident == key[1])
        reps = np.unique(rep[mine]).size
        first = mine & (rep == rep[mine].min())
        _mean_by(queue[mine], rep[mine], reps, path)  # refuses replications of unequal length
        t = transit[mine].reshape(reps, -1)
        with np.errstate(invalid="ignore"):
            # Mean over the replications where containers departed that day (NaN: none did).
            counted = np.isfinite(t).sum(axis=0)
            mean_t = np.where(counted > 0, np.nansum(t, axis=0) / np.maximum(counted, 1), np.nan)
        out[key] = EventDays(day=day[first], queue=queue[mine].reshape(reps, -1).mean(axis=0), transit=mean_t)
    return out
