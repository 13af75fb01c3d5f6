"""report.html: one self-contained page per run or comparison, readable offline.

The page is data (sim.report.rich) rendered by templates/report.html with escaping on.
Figures are embedded once each as palette PNGs (a third of the bytes of the saved files),
shown as thumbnails that open full size with CSS alone; there is no script and nothing is
fetched; links to parameter sources are plain links.  The page holds no date, so the same
results give the same bytes.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Sequence

from sim import __version__
from sim.output.run_data import RunData
from sim.model.documents import BUNDLED_DIR
from sim.model.text import counted
from sim.report.rich import (
    Linker,
    Parts,
    bold,
    code,
    details,
    div,
    environment,
    h3,
    labelled,
    meta,
    p,
    render_blocks,
    table,
    ul,
    warn,
)
from sim.report.tables import (
    NODE_NEAR_SATURATION, format_metric, limited_nodes, measured_window, node_load, run_warnings, volume,
)
from sim.report.choice import FLOW_HEADERS, FLOW_NOTE, convergence_lines, flow_rows
from sim.report.fleets import FLEET_HEADERS, FLEET_NOTE, SHARED_HEADERS, SHARED_NOTE, fleet_rows, shared_rows
from sim.report.tables import interval_text, number as _num
from sim.report.page_figures import figure_entries
from sim.report.event_blocks import EVENTS_NOTE, events_blocks
from sim.report.parameters import parameters_blocks

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1180px;margin:24px auto;
padding:0 16px;color:#1c2833;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:2px solid #d5dbdb;padding-bottom:.2em}
h3{margin-top:1.2em}table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #d5dbdb;padding:3px 7px;vertical-align:top}th{background:#f2f4f4;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.flag td{background:#fdebd0}tr.sig td{background:#d4efdf}
.meta{color:#566573}.warn{color:#922b21;font-weight:600}figure{margin:1.2em 0}
figure img{max-width:100%;border:1px solid #e5e8e8}figcaption{color:#566573;font-size:.9em}
code{background:#f4f6f6;padding:1px 4px}details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
td.src{overflow-wrap:anywhere}ol.sources{font-size:.85em;color:#566573;overflow-wrap:anywhere;max-width:1000px}
table.events{max-width:1000px;font-size:.8em}
span.nw{white-space:nowrap}table.params{width:100%;table-layout:fixed}table.params th:first-child{width:20%}
table.params th:nth-child(2){width:42%}table.params td.p{overflow-wrap:anywhere}td.nw{white-space:nowrap}
.sub{display:block;color:#566573;font-size:.85em;max-width:380px}nav{margin:.4em 0 1em}
.glance{padding:6px 10px;border-left:4px solid #1e8449;background:#f4f6f6}.glance.bad{border-color:#922b21}
.glance ul{margin:.3em 0;padding-left:1.4em}dl.tags dt{font-weight:600;margin-top:.4em}
dl.tags dd{margin-left:2.2em;overflow-wrap:anywhere;font-size:.9em}
@media print{body{max-width:none;margin:0;font-size:9.5pt}nav{display:none}a{color:inherit}
thead{display:table-header-group}tr,figure{break-inside:avoid}h2,h3{break-after:avoid}
figure img{max-height:9in}}
"""

DEFAULT_METHOD = (
    "each scenario minus the baseline, paired by replication (same seed, common random numbers); "
    "mean of the differences with a Student t 95% confidence interval; significant when the "
    "interval excludes 0"
)


# ---------------------------------------------------------------------------------------
# Results


def routes_block(summary: dict) -> dict:
    """Per route: transit mean with CI, p5–p95, volume delivered per year, wait, warnings."""
    rows = []
    for rid, r in summary["routes"].items():
        t = r.get("transit_days") or {}
        note = _route_note(r)
        rows.append((
            [labelled(rid, r.get("name")), r.get("mode", ""), f"{r.get('origin', '?')} → {r.get('destination', '?')}",
             _num(t.get("mean"), 2), interval_text(t.get("ci95"), 2), f"{_num(t.get('p5'))}–{_num(t.get('p95'))}", _volume(r),
             _num((r.get("wait_for_departure_days") or {}).get("mean"), 2), [warn(note)] if note else ""],
            "flag" if note else "",
        ))
    headers = ("route", "mode", "origin → destination", "mean transit (d)", "95% CI (d)", "p5–p95 (d)",
               "delivered / yr", "wait for departure (d)", "note")
    return table(headers, rows, (False, False, False, True, True, True, True, True, False))


def _volume(route: dict) -> str:
    """The yearly volume as the terminal tables write it; n/a when the summary lacks it."""
    try:
        return volume(route)
    except (KeyError, TypeError):
        return "n/a"


def _route_note(route: dict) -> str:
    """The warning of a route's row: nothing delivered, saturated, or containers left over."""
    notes = []
    if (route.get("transit_days") or {}).get("mean") is None:
        notes.append("nothing delivered in the window")
    if route.get("saturated"):
        share = (route.get("delivered_share_of_demand") or {}).get("mean")
        notes.append("saturated" + ("" if share is None else f": delivered {share:.0%} of demand"))
    if route.get("containers_undelivered_at_end"):
        notes.append(f"{route['containers_undelivered_at_end']:,} undelivered at end")
    return "; ".join(notes)


def nodes_block(summary: dict) -> dict:
    """Capacity-limited nodes: servers, utilization with CI, mean wait, max queue."""
    rows = []
    for nid, n in limited_nodes(summary):
        util = n.get("utilization")
        load = node_load(util)
        lo, hi = n.get("utilization_ci95") or (None, None)
        ci = "n/a" if lo is None else f"{max(lo, 0.0):.1%}–{min(hi, 1.0):.1%}"  # a share: within 0-100%
        rows.append((
            [nid, str(n.get("name", nid)), str(n["servers"]), "n/a" if util is None else f"{util:.1%}", ci,
             _num(n.get("mean_wait_days"), 3), str(n.get("max_queue", "")), [warn(load)] if load else ""],
            "flag" if load else "",
        ))
    if not rows:
        return p("No node has limited capacity (servers) in this scenario.", "meta")
    headers = ("node", "name", "servers", "utilization", "95% CI", "mean wait (d)", "max queue", "note")
    return table(headers, rows, (False, False, True, True, True, True, True, False))


def glance_block(summary: dict, label: str = "") -> dict:
    """What needs a look before the numbers are believed (the terminal's warnings), or that
    nothing does: saturated routes, containers left over, nodes saturated or near saturation."""
    warnings = run_warnings(summary)
    of: Parts = [bold(label), ": "] if label else []
    if not warnings:
        return p(of + [f"No route is saturated, every counted container was delivered by the end of the run and no "
                       f"node ran above {NODE_NEAR_SATURATION:.0%} utilization."], "glance")
    return div([p(of + [warn("Check before reading the numbers:")]), ul(warnings)], "glance bad")


def differences_blocks(comparison: dict) -> list[dict]:
    """The differences against the baseline, significant rows highlighted, and the method."""
    metrics = comparison.get("metrics", {})
    baseline = comparison.get("baseline", "")
    others = [s for s in comparison.get("scenarios", []) if s != baseline]
    one = len(others) == 1  # one scenario against the baseline: its name heads the column
    method = str(comparison.get("method") or DEFAULT_METHOD).rstrip(". ")
    out = [p(f"Method: {method}. Highlighted rows are significant.")]
    for key, title in (("differences", "route"), ("node_differences", "node")):
        rows = []
        for row in comparison.get(key, []):
            lo, hi = (row.get("ci95") or [None, None])[:2]
            metric = row.get("metric", "")
            ci = "n/a" if lo is None else f"{format_metric(metric, lo, True)} to {format_metric(metric, hi, True)}"
            sig = row.get("significant")
            verdict: Any = "n/a (1 replication)" if sig is None else ([bold("yes")] if sig else "no")
            unit = row.get("unit") or ""
            unit = "" if unit == "share" else unit
            label = metrics.get(metric, metric)
            cells: list[Any] = [] if one else [str(row.get("scenario", ""))]
            cells += [
                str(row.get(title, "")), f"{label} ({unit})" if unit else str(label),
                format_metric(metric, row.get("baseline_mean")), format_metric(metric, row.get("scenario_mean")),
                format_metric(metric, row.get("difference"), True), ci, verdict,
            ]
            rows.append((cells, "sig" if sig else ""))
        if rows:
            headers = ([] if one else ["scenario"]) + [
                title, "metric", f"baseline: {baseline}", others[0] if one else "scenario", "difference",
                "95% CI of the difference", "significant",
            ]
            numeric = ([] if one else [False]) + [False, False, True, True, True, True, False]
            classes = ([] if one else [""]) + ["", "nw", "", "", "", "", ""]
            out.append(h3("Routes" if title == "route" else "Capacity-limited nodes"))
            out.append(table(headers, rows, numeric, classes))
    if len(out) == 1:
        out.append(p("No differences were computed.", "meta"))
    return out


def differences_html(comparison: dict) -> str:
    """The differences as an HTML fragment."""
    return render_blocks(differences_blocks(comparison))


# ---------------------------------------------------------------------------------------
# The page


def _settings(runs: Sequence[RunData], comparison: dict | None) -> tuple[Any, Any, list[str]]:
    """Seed, replications and --set overrides: the comparison's, else the run's."""
    first = runs[0].summary
    doc = comparison or first
    seed = doc.get("seed", first.get("seed"))
    replications = doc.get("replications", first.get("replications"))
    overrides = doc.get("overrides", first.get("overrides")) or []
    return seed, replications, [str(o) for o in overrides]


def _version(runs: Sequence[RunData], comparison: dict | None) -> str:
    """The routesim version that wrote the results."""
    return str((comparison or {}).get("routesim_version") or runs[0].summary.get("routesim_version") or __version__)


def _overrides_text(overrides: Sequence[Any]) -> Parts:
    """'overrides: --set a, --set b' or 'overrides: none', the one way the page names them."""
    if not overrides:
        return ["overrides: none"]
    parts: Parts = ["overrides: "]
    for i, o in enumerate(overrides):
        parts += ([", "] if i else []) + [code(f"--set {o}")]
    return parts


def _header(runs: Sequence[RunData], comparison: dict | None) -> tuple[str, list[dict]]:
    """Title, settings, and each scenario's description and own overrides (what was run)."""
    names = " vs ".join(r.label for r in runs)
    heading = f"routesim {'comparison' if comparison is not None else 'run'}: {names}"
    seed, replications, overrides = _settings(runs, comparison)
    windows = [_window(r.summary) for r in runs]
    window = windows[0] if len(set(windows)) == 1 else "; ".join(f"{r.label}: {w}" for r, w in zip(runs, windows))
    reps = counted(replications, "replication") if isinstance(replications, int) else f"{replications} replications"
    settings = f"routesim {_version(runs, comparison)} · seed {seed} · {reps} · {window}"
    if comparison is None:
        out = []
        if runs[0].summary.get("description"):
            out.append(p([bold(runs[0].label), f": {runs[0].summary['description']}"]))
        out.append(p([settings, " · ", *_overrides_text(overrides)], "meta"))
        return heading, out
    out = [p(settings, "meta")]
    # Each scenario with every override it ran with (those given to all included): what
    # tells a scenario and its variant apart, said the same way for each.
    for run in runs:
        described = f": {run.summary['description']}" if run.summary.get("description") else ""
        own = [str(o) for o in run.summary.get("overrides") or []]
        out.append(p([bold(run.label), described, meta(_overrides_text(own), br=True)]))
    return heading, out


def _window(summary: dict) -> str:
    """Warm-up, measured window, cool-down and calendar year of a run."""
    window = f"measured {measured_window(summary)}, cool-down {_g(summary.get('cooldown_days'))} d"
    if summary.get("year"):
        window += f", year {summary['year']}"
    return window


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "n/a" if value is None else str(value)


def scenario_argument(summary: dict) -> str:
    """How a run's scenario is named on the command line: a bundled name, else its file."""
    source = summary.get("source")
    name = str(summary.get("scenario", ""))
    if not source:
        return name
    path = Path(str(source))
    try:
        bundled = path.parent.resolve() == BUNDLED_DIR.resolve() and path.stem == name
    except OSError:
        bundled = False
    return name if bundled else str(source)


def reproduce_command(runs: Sequence[RunData], comparison: dict | None, marey_route: str | None = None,
                      marey_window: tuple[float, float] | None = None) -> str:
    """The routesim command line that writes these results (and this time-space chart) again."""
    seed, replications, overrides = _settings(runs, comparison)
    if comparison is not None:
        inputs = [str(i) for i in comparison.get("inputs") or [scenario_argument(r.summary) for r in runs]]
        words = ["routesim", "compare", *inputs]
    else:
        words = ["routesim", "run", scenario_argument(runs[0].summary)]
    for v in (comparison or {}).get("vary") or []:
        words += ["--vary", str(v)]
    words += ["-n", str(replications), "--seed", str(seed)]
    for o in overrides:
        words += ["--set", o]
    if marey_route is not None:
        words += ["--marey", marey_route]
    if marey_window is not None:
        words += ["--marey-window", f"{marey_window[0]:g}:{marey_window[1]:g}"]
    return shlex.join(words)


def _reproduce(runs: Sequence[RunData], comparison: dict | None, marey_route: str | None = None,
               marey_window: tuple[float, float] | None = None) -> list[dict]:
    version = _version(runs, comparison)
    return [
        p([code(reproduce_command(runs, comparison, marey_route, marey_window))]),
        p(["With routesim ", version, " this writes the same results, for any ", code("--workers"),
           f". This page was drawn by routesim {__version__}."]),
    ]


def _results(runs: Sequence[RunData]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Per run the routes table, the capacity-limited nodes, fleets, shared services and
    flows; and the (anchor, title) of each part for the table of contents."""
    out: list[dict] = []
    contents: list[tuple[str, str]] = []
    for k, run in enumerate(runs):
        of = f": {run.label}" if len(runs) > 1 else ""
        tag = f"-{k + 1}" if len(runs) > 1 else ""

        def part(anchor: str, title: str, blocks: list[dict]) -> None:
            out.append(h3(f"{title}{of}", f"{anchor}{tag}"))
            out.extend(blocks)
            contents.append((f"{anchor}{tag}", f"{title}{of}"))

        part("routes", "Routes", [routes_block(run.summary)])
        part("nodes", "Capacity-limited nodes", [nodes_block(run.summary)])
        rows = fleet_rows(run.summary)
        if rows:
            numeric = [False] + [True] * (len(FLEET_HEADERS) - 1)
            part("fleets", "Fleets", [table(FLEET_HEADERS, [(list(map(str, r)), "") for r in rows], numeric),
                                      p(f"{FLEET_NOTE}.", "meta")])
        rows = shared_rows(run.summary)
        if rows:
            numeric = [False, False, True, True, True, False, False]
            part("shared", "Shared services", [table(SHARED_HEADERS, [(list(map(str, r)), "") for r in rows], numeric),
                                               p(f"{SHARED_NOTE}.", "meta")])
        rows = flow_rows(run.summary)
        if rows:
            numeric = [False, False] + [True] * (len(FLOW_HEADERS) - 2)
            part("flows", "Flows and their options", [
                table(FLOW_HEADERS, [(list(map(str, r)), "") for r in rows], numeric),
                p(f"{FLOW_NOTE}. Equilibrium:", "meta"), ul(convergence_lines(run.summary), "meta")])
    return out, contents


def _events(runs: Sequence[RunData]) -> list[dict]:
    """The Events section: every run whose scenario has events (their impact when measured)."""
    measured = [(i, run) for i, run in enumerate(runs) if run.summary.get("events")]
    if not measured:
        return []
    out = [p(EVENTS_NOTE, "meta")]
    for i, run in measured:
        if len(runs) > 1:
            out.append(h3(run.label))
        out += events_blocks(run.summary, Linker(run.source_notes, f"s{i + 1}-" if len(runs) > 1 else ""))
    return out


def _parameters(runs: Sequence[RunData]) -> list[dict]:
    """Every run's scenario parameters with sources; folded per scenario in a comparison."""
    out = []
    for i, run in enumerate(runs):
        source = run.summary.get("source") or run.scenario.source or run.label
        linker = Linker(run.source_notes, f"s{i + 1}-" if len(runs) > 1 else "")
        ran = {k: run.summary[k] for k in ("replications", "seed") if run.summary.get(k) is not None}
        blocks = [p(f"loaded from {source}", "meta")] + parameters_blocks(run.scenario.raw, linker, ran)
        if len(runs) > 1:  # folded: a comparison's scenarios mostly share their parameters
            out.append(details([run.label, " ", meta(f"({source})")], blocks))
        else:
            out += blocks
    return out


def report_html(
    runs: Sequence[RunData],
    figures: Sequence[tuple[str, str, bytes]],
    comparison: dict | None = None,
    marey_route: str | None = None,
    marey_window: tuple[float, float] | None = None,
    page_copies: bool = False,
) -> str:
    """The whole report as one HTML document: figures embedded (``page_copies``: their PNGs
    already made by ``embedded_png``), no external resources; its reproduce line names the
    time-space chart's route and window when they were chosen."""
    heading, header = _header(runs, comparison)
    sections = []
    if comparison is not None:
        sections.append({"id": "differences", "title": "Differences against the baseline", "open": True,
                         "blocks": differences_blocks(comparison), "sub": []})
    results, contents = _results(runs)
    sections.append({"id": "results", "title": "Results", "open": True, "blocks": results, "sub": contents})
    events = _events(runs)
    if events:
        sections.append({"id": "events", "title": "Events", "open": True, "blocks": events, "sub": []})
    if figures:
        entries = figure_entries(figures, page_copies)
        sections.append({"id": "figures", "title": "Figures", "open": True, "blocks": [], "figures": entries,
                         "sub": [(f"fig-{f['stem']}", f["title"]) for f in entries]})
    sections.append({"id": "parameters", "title": "Parameters and their sources", "open": False,
                     "blocks": _parameters(runs), "sub": []})
    sections.append({"id": "reproduce", "title": "Reproduce", "open": True, "blocks": _reproduce(runs, comparison, marey_route, marey_window),
                     "sub": []})
    checks = [glance_block(run.summary, run.label if len(runs) > 1 else "") for run in runs]
    return environment().get_template("report.html").render(
        title=" vs ".join(r.label for r in runs), heading=heading, header=header, style=STYLE + PAGE_STYLE,
        sections=sections, checks=checks,
    )


PAGE_STYLE = """
nav.toc{background:#f4f6f6;padding:6px 12px;margin:.6em 0 1em;font-size:.92em}nav.toc ol{margin:.2em 0;padding-left:1.4em}
nav.toc ol ol{font-size:.92em;columns:2}section>details>summary{display:block;list-style:none}
section>details>summary::-webkit-details-marker{display:none}
section>details>summary h2::before{content:"▾ ";color:#566573}section>details:not([open])>summary h2::before{content:"▸ "}
.thumbs{display:flex;flex-wrap:wrap;gap:12px}figure.thumb{width:calc(33.3% - 12px);min-width:260px;margin:0}
figure.thumb img{width:100%;cursor:zoom-in}figure.thumb a.close{display:none}
figure.thumb:target{position:fixed;inset:0;z-index:9;width:auto;margin:0;padding:12px 16px;box-sizing:border-box;
background:rgba(20,24,28,.98);overflow:auto}
figure.thumb:target img{width:auto;max-width:100%;max-height:86vh;cursor:default;background:#fff}
figure.thumb:target a.close{display:block;color:#fff;text-align:right;font-size:1.1em;margin-bottom:6px}
figure.thumb:target figcaption{color:#e5e8e8}
@media print{nav.toc{display:none}figure.thumb{width:100%}}
"""
