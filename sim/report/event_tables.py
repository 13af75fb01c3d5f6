"""The dated events as a terminal table (and the cells report.html shares): what each event
was, when, and its measured impact with its interval; notes on what the columns mean.
"""

from __future__ import annotations

from typing import Any, Sequence



from sim.report.tables import ONE_RUN, format_table, interval_text, number as _num


def short_targets(targets: Sequence[str], most: int = 2) -> str:
    """An event's targets for a table cell: the first few, then how many more (the report
    and summary.json list them all)."""
    shown = ", ".join(targets[:most])
    return shown + (f" +{len(targets) - most} more" if len(targets) > most else "")


def event_when(e: dict[str, Any]) -> str:
    """When an event is in force, for a table cell: '2021-03-23 +6.43 d', '2020-03-23 +random,
    mean 5.0 d', 'day 20 on' (no end), 'random, 4/yr x 2 d' (random spells)."""
    if e.get("random"):  # random spells: their rate and mean length, not dates
        return f"random, {e['random']['per_year']:g}/yr x {e['random']['mean_duration_days']:.3g} d"
    when = e.get("start_date") or f"day {e['start_day']:g}"
    if e.get("duration_days") is not None:
        return when + f" +{e['duration_days']:g} d"
    if e.get("duration_random"):  # a random length: its mean (each replication draws its own)
        return when + f" +random, mean {e['duration_random']['mean_days']:.1f} d"
    return when + " on (no end)"


def event_kind(e: dict[str, Any]) -> str:
    """The kind, with a demand event's factor: 'demand x2.06'."""
    return f"{e['kind']} x{e['factor']:g}" if e.get("factor") is not None else e["kind"]


def recovered_share(e: dict[str, Any]) -> str:
    """Replications whose target queue recovered, of those measured: '3/3'."""
    runs = e.get("recovered_runs")
    if e.get("duration_days") is None and not e.get("duration_random") and not e.get("random"):
        return "n/a"  # it never ends: nothing to recover from
    return f"{runs[0]}/{runs[1]}" if runs else "n/a"


def peak_queue(e: dict[str, Any]) -> str:
    """The mean peak queue at the event's target with its unit: '678.0 vehicles'."""
    value = _num((e.get("peak_queue") or {}).get("mean"))
    unit = e.get("queue_unit")
    return f"{value} {unit}" if unit and value != "n/a" else value


def events_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per event: what and when, then its impact (means over replications; blank
    when not measured, --no-impact)."""
    events = summary.get("events", {})
    diverts = any(e["kind"] == "divert" for e in events.values())
    rows = []
    for eid, e in events.items():
        head = (eid, event_kind(e), short_targets(e["targets"], 1), event_when(e))
        if "containers_affected" not in e:  # described, impact not measured
            rows.append(head + ("",) * (len(event_headers(summary)) - len(head)))  # (none, when no impact)
            continue
        recovered = e["recovered"]["mean"]
        recovery = _num(e["recovery_days"]["mean"])
        if e["duration_days"] is None and not e.get("random") and not e.get("duration_random"):
            recovery = "n/a (no end)"
        elif recovered is not None and recovered == 0:
            recovery = "not recovered"
        rows.append(head + (
            _num(e["containers_affected"]["mean"], 0),
            _num(e["extra_delay_days"]["mean"], 2), interval_text(e["extra_delay_days"]["ci95"], 2, ONE_RUN),
            _num(e["extra_delay_days.p95"]["mean"], 2),
            _num(e["containers_undelivered"]["mean"], 0),
            peak_queue(e), recovery, recovered_share(e),
        ) + ((_num(e["containers_diverted"]["mean"], 0) if e["kind"] == "divert" else "",) if diverts else ()))
    return rows


EVENT_HEADERS = ("event", "kind", "target", "when", "affected", "extra delay d", "95% CI", "p95 d",
                 "undelivered", "peak queue", "recovery d", "recovered", "diverted")


def event_headers(summary: dict[str, Any]) -> tuple[str, ...]:
    """The events table's columns: 'diverted' only when an event diverts, no impact columns
    when none was measured."""
    events = summary.get("events", {}).values()
    if not any("containers_affected" in e for e in events):  # --no-impact: what and when only
        return EVENT_HEADERS[:4]
    diverts = any(e["kind"] == "divert" for e in events)
    return EVENT_HEADERS if diverts else EVENT_HEADERS[:-1]


def event_notes(summary: dict[str, Any]) -> list[str]:
    """What the events table cannot say in its cells, one sentence each: events measured
    together (overlapping on a shared target or route), demand removed but not counted."""
    events = summary.get("events", {})
    out = []
    done: set[frozenset] = set()
    for eid, e in events.items():
        for other, shared in (e.get("overlaps") or {}).items():
            pair = frozenset((eid, other))
            if pair in done or other not in events:
                continue
            done.add(pair)
            out.append(
                f"{eid} and {other} overlap in time (counting recovery) on {shared}: each is measured "
                "against the run without all events, so each one's impact includes the other's"
            )
    for eid, e in events.items():
        if e.get("factor") is not None and e["factor"] < 1 and "containers_removed" in e:
            out.append(
                f"{eid}: demand x{e['factor']:g} removed {_num(e['containers_removed']['mean'], 0)} containers "
                "a replication on average ('affected' counts those whose delivery it changed)"
            )
    return out


def events_table(summary: dict[str, Any]) -> str:
    """Each event's impact against the same replications without events, with its notes below."""
    headers = event_headers(summary)
    table = format_table(headers, events_rows(summary), (False, False, False, False, *([True] * (len(headers) - 4))))
    notes = event_notes(summary)
    return table + "".join(f"\nnote: {n}" for n in notes)
