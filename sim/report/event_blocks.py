"""report.html's events section: each dated event, what it targeted and when, and its
measured impact with its interval; the sources its entries cite.
"""

from __future__ import annotations

import re
from typing import Any

from sim.report.rich import (
    Linker,
    Parts,
    bold,
    br,
    breakable,
    labelled,
    link,
    meta,
    ol,
    p,
    render_blocks,
    span,
    sub,
    table,
    warn,
)
from sim.report.event_tables import event_kind, event_notes, event_when, recovered_share, short_targets
from sim.report.tables import interval_text, number as _num


_HTTP = re.compile(r"https?://[^\s,;)<>\"]+", re.IGNORECASE)


def source_link(source: str, note: str, number: int) -> dict:
    """An event's source for a table cell: a numbered reference ('[1]') to ``note``, its full
    text in the list under the table; the sites it cites ('railfreight.com') in its tooltip."""
    hosts: dict[str, None] = {}
    for m in _HTTP.finditer(source):
        hosts.setdefault(re.sub(r"^www\.", "", m.group(0).split("//", 1)[1].split("/", 1)[0].lower()), None)
    return link(f"[{number}]", f"#{note}", ", ".join(hosts) or source[:80])


def _count_cell(v: dict, digits: int = 0, unit: str = "") -> Parts:
    """A count's mean (with its unit) and its 95% CI below, the CI's lower bound clipped at 0."""
    mean = _num(v.get("mean"), digits)
    ci = v.get("ci95")
    shown: Parts = [mean] + ([meta(unit, br=True)] if unit and mean != "n/a" else [])
    if not ci or ci[0] is None or ci[1] is None:
        return shown
    return shown + [meta(interval_text((max(0.0, ci[0]), ci[1]), digits), br=True)]


def _measured(e: dict, diverts: bool) -> list[Any]:
    """An event's impact cells: means over replications with their CIs below them."""

    def cell(name: str, digits: int = 2) -> Parts:
        v = e.get(name) or {}
        interval = interval_text(v.get("ci95"), digits)
        return [_num(v.get("mean"), digits)] + ([meta(interval, br=True)] if interval != "n/a" else [])

    recovered = (e.get("recovered") or {}).get("mean")
    share: Any = recovered_share(e)
    if share != "n/a" and recovered is not None and recovered < 1:
        share = [warn(share)]
    recovery: Any = cell("recovery_days", 1)
    if e.get("duration_days") is None and not e.get("duration_random") and not e.get("random"):
        recovery = ["n/a", br(), "(no end)"]
    p95 = _num((e.get("extra_delay_days.p95") or {}).get("mean"), 2)
    cells = [_count_cell(e.get("containers_affected") or {}), cell("extra_delay_days") + [meta(f"p95 {p95}", br=True)],
             _count_cell(e.get("containers_undelivered") or {}),
             _count_cell(e.get("peak_queue") or {}, 0, e.get("queue_unit", "")), recovery, share]
    if diverts:
        cells.append(_count_cell(e.get("containers_diverted") or {}) if e.get("kind") == "divert" else "")
    return cells


def events_blocks(summary: dict, linker: Linker | None = None) -> list[dict]:
    """Each event: what it was (kind, target, when, source as short links) and, when measured,
    its impact: means over replications with their 95% CIs, against the same replications
    without events.  Under the table: the notes (events measured together, demand removed)
    and each event's source in full."""
    linker = linker or Linker()
    events = summary.get("events", {})
    measured = any("containers_affected" in e for e in events.values())
    sources = any(e.get("source") for e in events.values())
    diverts = measured and any(e.get("kind") == "divert" for e in events.values())
    numbers = [k for k, x in events.items() if x.get("source")]
    rows = []
    for eid, e in events.items():
        targets = e.get("targets", [])
        target: Any = breakable(short_targets(targets, 1))  # a long target may break after . and _
        if len(targets) > 1:
            target = [span(target, title=", ".join(targets))]
        when = event_when(e).replace(" +", "\n+", 1).replace(" on (no end)", "\non (no end)")  # date, then length
        lines = when.split("\n")
        when_parts: Parts = [lines[0]] + [x for line in lines[1:] for x in (br(), line)]
        cells: list[Any] = [labelled(eid, e.get("name")), [event_kind(e), sub(target)], [span(when_parts, "nw")]]
        if sources:
            cells.append([source_link(e["source"], f"{linker.anchor}event-source-{eid}", numbers.index(eid) + 1)]
                         if e.get("source") else "")
        if measured:
            cells += _measured(e, diverts) if "containers_affected" in e else [""] * (6 + diverts)
        rows.append((cells, ""))
    headers = ["event", "kind, target", "when", *(["src."] if sources else [])]
    if measured:
        headers += ["containers affected", "extra delay (d)", "undeliv\u00adered", "peak queue",
                    "recovery (d)", "recov\u00adered", *(["diverted"] if diverts else [])]
    first = 4 if sources else 3
    out = [table(headers, rows, [False] * first + [True] * (len(headers) - first), cls="events")]
    notes = event_notes(summary)
    if not measured:
        notes.insert(0, "impact not measured (run without --no-impact to measure it)")
    out += [p(f"Note: {n}.", "meta") for n in notes]
    if sources:
        out.append(p("Sources of the events:", "meta"))
        out.append(ol(((f"{linker.anchor}event-source-{eid}", [bold(eid), ": ", *linker(e["source"])])
                       for eid, e in events.items() if e.get("source")), "sources"))
    return out


def events_html(summary: dict, linker: Linker | None = None) -> str:
    """The events table and its notes as an HTML fragment."""
    return render_blocks(events_blocks(summary, linker))


EVENTS_NOTE = (
    "Each replication ran again without its events, with the same seed (common random numbers), "
    "so each container is compared with itself. Affected: the containers on the routes an event "
    "reaches delivered more than a minute earlier or later than without it, until the route is calm "
    "again: those it held, and those queued behind its backlog once it ended (a demand surge: also "
    "those it added). Extra delay: delivered with minus without, over those delivered in both runs. Peak queue: vehicles waiting at a node, or "
    "containers waiting at a route's origin. Recovery: days from the event's end until that queue is "
    "within 10% of the run without events at the same moment; recovered: the replications in which it did. "
    "Undelivered: affected containers not delivered when either run stopped (no extra delay is "
    "counted for them). Means over replications, with their 95% CIs below them (a count's never below 0)."
)
