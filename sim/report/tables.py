"""Plain-text tables of a summary, for the terminal."""

from __future__ import annotations

from typing import Any, Sequence

from sim.analysis.metric_contexts import node_pool_id
from sim.analysis.metrics import vocabulary
from sim.analysis.validation import band_text, format_value, unit_suffix
from sim.model.scenario import Scenario
from sim.model.text import counted


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def number(value: Any, digits: int = 1) -> str:
    """A number with thousands separators and ``digits`` decimals; "n/a" for None."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


_num = number


def interval_text(ci: Sequence[Any] | None, digits: int = 1, missing: str = "n/a") -> str:
    """A 95% interval as text, "12.8–36.2"; "-12.8 to 36.2" when it starts below zero (a
    dash after a minus reads as a subtraction); ``missing`` without one (a single run)."""
    if not ci or ci[0] is None or ci[1] is None:
        return missing
    dash = "–" if ci[0] >= 0 else " to "
    return f"{ci[0]:,.{digits}f}{dash}{ci[1]:,.{digits}f}"


ONE_RUN = "n/a (1 run)"  # the terminal's word for an interval one replication cannot give


def measured_window(summary: dict[str, Any]) -> str:
    """The measured window as every output file counts it: "366 days from 2020-01-01 (days
    0–366 of the files, after a 60-day warm-up)"; days are counted from the end of the warm-up."""
    warmup, horizon = summary.get("warmup_days"), summary.get("horizon_days")
    if not all(isinstance(x, (int, float)) for x in (warmup, horizon)):
        return "window unknown"
    days = horizon - warmup
    start = summary.get("start_date")
    since = f" from {start}" if isinstance(start, str) and start else ""
    return f"{days:g} days{since} (days 0–{days:g} of the files, after a {warmup:g}-day warm-up)"


def routes_table(summary: dict[str, Any]) -> str:
    """Route, mode, volume delivered, mean/p50/p95 transit and the 95% CI of the mean."""
    headers = ("route", "mode", "delivered/yr", "mean d", "p50 d", "p95 d", "95% CI of mean")
    # Cost and CO2e per TEU (per t of bulk) when the scenario prices them (sim.analysis.costs).
    money = any("cost" in r for r in summary["routes"].values())
    carbon = any("co2e" in r for r in summary["routes"].values())
    headers += ("cost US$",) * money + ("kg CO2e",) * carbon
    rows = []
    for rid, r in summary["routes"].items():
        t = r["transit_days"]
        per = "/t" if r.get("cargo") == "bulk" else "/TEU"
        extra = []
        if money:
            extra.append(_num(next(iter(r["cost"].values())), 0) + per if "cost" in r else "—")
        if carbon:
            value = next(iter(r["co2e"].values())) if "co2e" in r else None
            extra.append("—" if value is None else _num(value, 0) + per)
        rows.append(
            (
                rid,
                r["mode"],
                volume(r),
                _num(t["mean"]),
                _num(t["p50"]),
                _num(t["p95"]),
                interval_text(t["ci95"], 2, ONE_RUN),
                *extra,
            )
        )
    return format_table(headers, rows, (False, False, True, True, True, True, True) + (True,) * (money + carbon))


def volume(route: dict[str, Any]) -> str:
    """Yearly volume delivered: TEU for containers, tonnes for bulk."""
    if route.get("cargo") == "bulk":
        return _num(route["throughput_tonnes_per_year"]["mean"], 0) + " t"
    return _num(route["throughput_teu_per_year"]["mean"], 0) + " TEU"


def nodes_table(summary: dict[str, Any]) -> str:
    """Capacity-limited nodes, busiest first: where the queues are."""
    headers = ("node", "kind", "servers", "utilization", "mean wait d", "max queue")
    rows = [
        (
            nid,
            n["kind"],
            str(n["servers"]),
            "n/a" if n["utilization"] is None else f"{n['utilization']:.0%}",
            _num(n["mean_wait_days"], 2),
            str(n["max_queue"]),
        )
        for nid, n in limited_nodes(summary)
    ]
    return format_table(headers, rows, (False, False, True, True, True, True))


def limited_nodes(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The summary's nodes with servers, busiest first (stable), as the tables list them; a
    node's pools with servers of their own follow as 'node.pool' (a direction's own tracks
    can be saturated while the node as a whole is not)."""
    limited = [(nid, n) for nid, n in summary["nodes"].items() if n.get("servers")]
    for nid, n in summary["nodes"].items():
        for pid, p in (n.get("pools") or {}).items():
            if p.get("servers"):
                limited.append((node_pool_id(nid, pid), {
                    "name": f"{n.get('name', nid)}, {pid}", "kind": n.get("kind", ""), "servers": p["servers"],
                    "utilization": p["utilization"]["mean"], "utilization_ci95": p["utilization"]["ci95"],
                    "mean_wait_days": p["mean_wait_days"]["mean"], "max_queue": p["max_queue"],
                }))
    limited.sort(key=lambda item: -(item[1].get("utilization") or 0.0))
    return limited


# How busy a capacity-limited node is, in the words of the terminal, the report and its
# flags: the one place these thresholds live.
NODE_NEAR_SATURATION = 0.95  # above it, small changes in demand make the queue explode
NODE_SATURATED = 0.99  # at or above it the servers are never idle: the queue only grows


def node_load(utilization: float | None) -> str | None:
    """'saturated' (utilization >= 99%), 'near saturation' (> 95%), or None for a node with slack."""
    if utilization is None:
        return None
    if utilization >= NODE_SATURATED:
        return "saturated"
    if utilization > NODE_NEAR_SATURATION:
        return "near saturation"
    return None


def run_warnings(summary: dict[str, Any]) -> list[str]:
    """What needs a look before the numbers are believed: saturated routes, containers left
    undelivered, nodes saturated or near saturation; one sentence each, for the terminal and the report."""
    out = []
    for rid, r in summary["routes"].items():
        if r.get("saturated"):
            share = (r.get("delivered_share_of_demand") or {}).get("mean")
            growth = (r.get("backlog_growth_per_day") or {}).get("mean")
            delivered = "n/a" if share is None else f"{share:.0%}"
            out.append(
                f"route {rid}: saturated: it delivered {delivered} of its demand in the measured "
                f"window and its backlog grew by {_num(growth)} units a day; {_limit_text(r.get('limited_by'))} "
                "(transit statistics cover only what got through)"
            )
            continue
        if r.get("containers_undelivered_at_end"):
            out.append(
                f"route {rid}: {r['containers_undelivered_at_end']} counted containers were still "
                "undelivered when the run stopped; their transit is not in the statistics "
                "(raise run.cooldown_days, or the route is saturated)"
            )
    for nid, n in limited_nodes(summary):
        load = node_load(n.get("utilization"))
        if load is not None:
            out.append(f"node {nid}: utilization {n['utilization']:.0%}, {load}")
    return out


def _limit_text(limit: dict[str, Any] | None) -> str:
    """What holds a saturated route back, in words (see analysis.summary.limiting_factor)."""
    if not limit:
        return "its capacity limits it"
    kind, ident = limit.get("kind"), limit.get("id")
    if kind == "node":
        wait = limit.get("mean_wait_days")
        waits = "" if wait is None else f", vehicles wait {_num(wait, 1)} days on average"
        return f"the queue at node {ident} limits it (utilization {limit.get('utilization', 0):.0%}{waits})"
    if kind == "service":
        return f"the slots of service {ident} limit it (its vehicles leave {limit.get('load_factor', 0):.0%} full)"
    if kind == "event":
        return f"event {ident} keeps {', '.join(limit.get('targets', []))} closed"
    if kind == "fleet":
        cycle = limit.get("cycle_days")
        timetable = limit.get("timetable_per_week")
        of = "" if timetable is None else f" of the {_num(timetable, 2)} its timetable offers"
        cycles = "" if cycle is None else f", a {_num(cycle, 1)}-day cycle"
        return (f"the fleet of service {ident} limits it ({counted(limit.get('vehicles', 0), 'vehicle')}{cycles}: "
                f"{_num(limit.get('departures_per_week', 0), 2)} departures a week{of})")
    transit = limit.get("transit_days")
    days = "" if transit is None else f" ({_num(transit, 1)} days on average)"
    return f"no node or timetable is at capacity: its travel time{days} keeps containers on their way past the horizon"


def scenario_listing(scenario: Scenario) -> str:
    """A scenario's name, description and routes (id, mode, origin → destination, km)."""
    s = scenario.settings
    headers = ("route", "mode", "origin → destination", "distance km", "demand/yr")
    rows = [
        (
            rid,
            r.mode,
            f"{r.path[0]} → {r.path[-1]}",
            f"{r.distance_km:,.0f}",
            f"{r.demand.tonnes_per_year:,.0f} t"
            if r.demand.cargo == "bulk"
            else f"{r.demand.teu_per_year:,.0f} TEU" if r.demand.teu_per_year or not scenario.flows else "flows only",
        )
        for rid, r in scenario.routes.items()
    ]
    title = f"{s.name}: {s.description}" if s.description else s.name
    text = title + "\n" + format_table(headers, rows, (False, False, False, True, True))
    return text + ("\nflows (cargo that chooses among the routes above):\n" + flow_listing(scenario) if scenario.flows else "")


def node_listing(scenario: Scenario) -> str:
    """A scenario's nodes: id, kind, country, servers and handling hours per vehicle kind."""
    s = scenario.settings
    headers = ("node", "kind", "country", "servers", "handling hours (mean)", "name")
    rows = []
    for nid, n in scenario.nodes.items():
        handling = ", ".join(f"{v} {d.mean * 24:.3g}" for v, d in n.handling.items())
        if n.pools:
            handling += f" (+{len(n.pools)} pool{'s' if len(n.pools) > 1 else ''})"
        rows.append((nid, n.kind + (" (gauge change)" if n.gauge_change else ""), n.country or "—",
                     str(n.servers) if n.servers else "no limit", handling or "—", n.name if n.name != nid else ""))
    title = f"{s.name}: {len(rows)} nodes"
    return title + "\n" + format_table(headers, rows, (False, False, False, True, False, False))


def flow_listing(scenario: Scenario) -> str:
    """A scenario's origin–destination flows: id, origin → destination, TEU/yr, cargo, rule, options."""
    headers = ("flow", "origin → destination", "TEU/yr", "cargo US$/kg", "choice", "options")
    rows = [(fid, f"{f.origin} → {f.destination}", f"{f.teu_per_year:,.0f}", f"{f.value_usd_per_tonne / 1000:g}",
             f.choice, ", ".join(f.options)) for fid, f in scenario.flows.items()]
    return format_table(headers, rows, (False, False, True, True, False, False))


VALIDATION_HEADERS = ("claim", "article", "simulated (95% CI)", "tolerance", "result")
VALIDATION_RIGHT = (False, False, True, False, False)


def validation_rows(report: dict[str, Any], fail: str) -> list[tuple[str, ...]]:
    """One row per claim of validation.json: claim, article, simulated mean and CI, band, verdict."""
    rows = []
    for c in report["claims"]:
        sim, unit = c["simulated"], c["unit"]
        lo, hi = sim["ci95"]
        value = format_value(sim["mean"], unit)
        if sim["mean"] is not None:
            value += unit_suffix(unit)
        if lo is not None:
            value += f" ({format_value(lo, unit)} to {format_value(hi, unit)})"
        band = band_text(c["tolerance"]["low"], c["tolerance"]["high"], unit)
        rows.append(
            (f"{c['id']}. {c['claim']}", c["article"], value, f"{band} ({c['tolerance']['text']})",
             "pass" if c["passed"] else fail)
        )
    return rows


def validation_text(report: dict[str, Any]) -> str:
    """The validation table (claim, article, simulated with CI, tolerance, result), for the terminal."""
    rows = validation_rows(report, fail="FAIL")
    verdict = "every claim passes" if report["passed"] else "SOME CLAIMS FAIL"
    names = report["scenarios"]
    against = f" vs {names['previous']}" if names.get("previous") else ""
    lines = [
        f"{names['current']}{against}: {counted(report['replications'], 'replication')}, seed {report['seed']}",
        "",
        format_table(VALIDATION_HEADERS, rows, VALIDATION_RIGHT),
        "",
        f"{verdict}.",
    ]
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A GitHub-flavoured Markdown table; ``right`` marks right-aligned columns."""
    rule = ["---:" if r else "---" for r in right]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(str(c).replace("|", "\\|") for c in line) + " |" for line in lines)


def corridor_markdown(summary: dict[str, Any]) -> str:
    """Every route of a run: mode, origin → destination, distance, volume, mean and p95 transit."""
    headers = ("route", "mode", "origin → destination", "km", "delivered/yr", "mean d", "p95 d")
    rows = []
    for rid, r in summary["routes"].items():
        t = r["transit_days"]
        rows.append(
            (
                f"`{rid}`", r["mode"], f"{r['origin']} → {r['destination']}", f"{r['distance_km']:,.0f}",
                volume(r), _num(t["mean"]), _num(t["p95"]),
            )
        )
    return markdown_table(headers, rows, (False, False, False, True, True, True, True))


def validation_markdown(report: dict[str, Any]) -> str:
    """The validation table of validation.json as Markdown."""
    return markdown_table(VALIDATION_HEADERS, validation_rows(report, fail="**fail**"), VALIDATION_RIGHT)


# ---------------------------------------------------------------------------------------
# Comparisons


def _unit_of(metric: str) -> str:
    """The registered unit of a metric name (the first kind that has it), or ''."""
    return next((m.unit for m in vocabulary() if m.name == metric), "")


def format_metric(metric: str, value: float | None, signed: bool = False) -> str:
    """A metric's value as the tables show it, by its unit: shares in percent (a signed
    difference of shares in percentage points), yearly volumes in whole units, days and the
    rest to 0.01.  A value that rounds to zero shows no minus sign."""
    if value is None:
        return "n/a"
    sign = "+" if signed else ""
    unit = _unit_of(metric)
    if unit == "share":
        value = _unsigned_zero(value * 100, 1)
        return f"{value:+.1f} pp" if signed else f"{value:.1f}%"
    if unit.endswith("/yr"):
        return f"{_unsigned_zero(value, 0):{sign},.0f}"
    return f"{_unsigned_zero(value, 2):{sign}.2f}"


def _unsigned_zero(value: float, decimals: int) -> float:
    """0.0 for a value that shows as zero at ``decimals`` (so no "-0.00")."""
    return 0.0 if round(value, decimals) == 0 else value


def _significance(row: dict) -> str:
    if row["significant"] is None:
        # One pair: too few runs; none: no replication has a value in both (nothing delivered,
        # a queue that never recovered).
        return "n/a (needs 2+ replications)" if row.get("pairs", 0) == 1 else "n/a (no value in both)"
    return "yes" if row["significant"] else "no"


def difference_cells(row: dict, key: str) -> tuple[str, ...]:
    """One difference row as text cells: id, metric, both means, difference, CI, verdict."""
    metric = row["metric"]
    label = next((m.title for m in vocabulary() if m.name == metric), metric)
    unit = row.get("unit") or ""
    unit = "" if unit == "share" else unit
    lo, hi = row["ci95"]
    ci = "n/a" if lo is None else f"{format_metric(metric, lo, True)} to {format_metric(metric, hi, True)}"
    return (
        row[key], f"{label} ({unit})" if unit else label, format_metric(metric, row["baseline_mean"]),
        format_metric(metric, row["scenario_mean"]), format_metric(metric, row["difference"], True), ci, _significance(row),
    )


def comparison_text(document: dict, routes: Sequence[str] | None = None) -> str:
    """The terminal table of differences, one block per scenario against the baseline
    (only ``routes``' rows, and no node or event rows, when routes are given)."""
    blocks = [
        f"compare: {', '.join(document['scenarios'])}; baseline {document['baseline']}; "
        f"{counted(document['replications'], 'replication')}, seed {document['seed']}, common random numbers"
    ]
    right = (False, False, True, True, True, True, False)
    for label in document["scenarios"][1:]:
        kinds = (("route", document["differences"]), ("node", document["node_differences"]),
                 ("service", document.get("service_differences", [])),  # fleets both arms have
                 ("event", document.get("event_differences", [])),  # events: the impact both arms measured
                 *((k, document.get(f"{k}_differences", [])) for k in ("flow", "flow_option", "country")))
        for key, rows in kinds:
            if routes is not None and key != "route":
                continue
            mine = [difference_cells(r, key) for r in rows
                    if r["scenario"] == label and (routes is None or r[key] in routes)]
            if mine:
                headers = (key, "metric", document["baseline"], label, "difference", "95% CI", "significant")
                blocks.append(format_table(headers, mine, right))
    blocks.append(
        "difference = scenario - baseline, paired by replication; significant: the 95% CI excludes 0"
    )
    return "\n\n".join(blocks)


# ---------------------------------------------------------------------------------------
# The metric vocabulary


def metrics_listing(metrics: Sequence[Any]) -> str:
    """The metric vocabulary as a terminal table: entity, name, unit, meaning."""
    rows = [(m.kind, m.name, m.unit, m.meaning + (" (pooled over replications)" if m.pooled else ""))
            for m in metrics]
    return format_table(("entity", "metric", "unit", "meaning"), rows, (False, False, False, False))


def metrics_markdown(metrics: Sequence[Any]) -> str:
    """The metric vocabulary as a Markdown table (README)."""
    rows = [(m.kind, f"`{m.name}`", m.unit, m.meaning + (" (pooled over replications)" if m.pooled else ""))
            for m in metrics]
    return markdown_table(("entity", "metric", "unit", "meaning"), rows, (False, False, False, False))
