"""The fleets and shared-services tables: what each finite fleet offered and where its
vehicles' time went; how full each shared service ran and how each route fared on it.

One set of rows for the terminal and report.html (plain text cells), so both say the same.
"""

from __future__ import annotations

from typing import Any

from sim.report.tables import format_table, number

FLEET_HEADERS = ("service", "vehicles", "needed", "departures/wk", "95% CI", "cycle d", "loaded", "turnaround",
                 "returning", "idle", "delayed", "delay d")
FLEET_NOTE = (
    "needed: vehicles a steady timetable needs at the cycle measured (cycle / headway, rounded up); "
    "departures/wk: what the fleet offered in the window; the shares divide its time (loaded: "
    "departure to arrival; turnaround: at either end; returning: on the way back; idle: ready at "
    "the origin); delayed: departures that waited for a vehicle (delay: their mean wait)"
)


def _share(v: dict[str, Any]) -> str:
    return "n/a" if v.get("mean") is None else f"{v['mean']:.0%}"


def _interval(v: dict[str, Any], digits: int) -> str:
    lo, hi = v.get("ci95") or (None, None)
    return "n/a" if lo is None or hi is None else f"{max(lo, 0.0):.{digits}f}–{hi:.{digits}f}"


def fleet_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per service with a finite fleet (FLEET_HEADERS); none without."""
    rows = []
    for sid, f in (summary.get("services") or {}).items():
        if f.get("vehicles") is None:
            continue  # a shared service without a fleet: unlimited vehicles
        needed = f.get("vehicles_needed")
        rows.append((
            sid, str(f["vehicles"]), "n/a" if needed is None else str(needed),
            number(f["departures_per_week"]["mean"], 2), _interval(f["departures_per_week"], 2),
            number(f["cycle_days"]["mean"], 1),
            *(_share(f[f"share_{s}"]) for s in ("loaded", "turnaround", "returning", "idle")),
            number(f["departures_delayed"]["mean"], 1), number(f["delay_days"]["mean"], 1),
        ))
    return rows


def fleets_table(summary: dict[str, Any]) -> str:
    """The terminal table of the fleets, with its note."""
    right = (False, *([True] * (len(FLEET_HEADERS) - 1)))
    return format_table(FLEET_HEADERS, fleet_rows(summary), right) + f"\nnote: {FLEET_NOTE}"


SHARED_HEADERS = ("service", "route", "capacity share", "rolled over", "load factor", "per leg", "background")
SHARED_NOTE = (
    "capacity share: the share of each departure's capacity the route's units took at its call "
    "(its allocation, then first come, first served); rolled over: share of its units a departure "
    "left behind at least once; load factor: cargo and background load over capacity, mean over the "
    "legs (per leg: each leg's, in the service's order); background: the load the scenario does not "
    "model unit by unit"
)


def shared_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per (shared service, route it carries) (SHARED_HEADERS); none without."""
    rows = []
    for sid, f in (summary.get("services") or {}).items():
        carried = f.get("carried")
        if not carried:
            continue
        legs = ", ".join(f"{lid} {_share(m['load_factor'])}" for lid, m in f.get("legs", {}).items())
        for i, (rid, m) in enumerate(carried.items()):
            first = i == 0
            rows.append((
                sid if first else "", rid, _share(m["capacity_share"]), _share(m["rolled_over"]),
                _share(f["load_factor"]) if first else "", legs if first else "",
                (f.get("background_load") or "none") if first else "",
            ))
    return rows


def shared_table(summary: dict[str, Any]) -> str:
    """The terminal table of the shared services, with its note."""
    right = (False, False, True, True, True, False, False)
    return format_table(SHARED_HEADERS, shared_rows(summary), right) + f"\nnote: {SHARED_NOTE}"
