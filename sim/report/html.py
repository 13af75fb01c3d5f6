"""report.html: one self-contained page per run or comparison, readable offline.

Figures are embedded as base64 PNG, styles are inline, there is no script and nothing is
fetched; links to parameter sources are plain links.  The page holds no date, so the same
results give the same bytes.
"""

from __future__ import annotations

import base64
import html
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sim import __version__
from sim.output.figure_data import RunData
from sim.model.loader import BUNDLED_DIR
from sim.model.sources import Label, SourceNotes
from sim.report.tables import NODE_NEAR_SATURATION, format_metric, limited_nodes, node_load, run_warnings, volume
from sim.report.tables import event_kind, event_notes, event_when, recovered_share, short_targets
from sim.report.choice import FLOW_HEADERS, FLOW_NOTE, convergence_lines, flow_rows
from sim.report.fleets import FLEET_HEADERS, FLEET_NOTE, SHARED_HEADERS, SHARED_NOTE, fleet_rows, shared_rows
from sim.report.tables import number as _num

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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

# Full URLs, and bare host names on the domains scenario sources cite ("en.cfts.org.ua/news/...").
# A list, not any letters after a dot: "research-notes.md" or "claims.toml" is a file, not a site.
TLDS = (
    "com|org|net|int|gov|edu|info|news|media|biz|io|eu|asia|kz|cn|ru|by|ua|uz|tm|kg|tj|az|ge|am|mn|tr|ir|af|pk|"
    "in|jp|kr|hk|tw|sg|au|ae|de|pl|nl|fr|it|es|pt|uk|ie|us|ca|ch|at|be|se|fi|no|dk|cz|sk|hu|ro|bg|gr|lt|lv|ee"
)
_URL = (r"(?<![\w@/.-])(?:https?://[^\s,;)<>\"]+|(?:[a-z0-9-]+\.)+(?:" + TLDS + r")\b(?!\.[a-z0-9])"
        r"(?:/[^\s,;)<>\"]*)?)")
URL = re.compile(_URL, re.IGNORECASE)
TAG_LIST = r"\[\d+[a-z]?(?:,\s*\d+[a-z]?)*\]"  # [4a], [9, 4a]: the SOURCE TAGS a source cites
DEFAULT_METHOD = (
    "each scenario minus the baseline, paired by replication (same seed, common random numbers); "
    "mean of the differences with a Student t 95% confidence interval; significant when the "
    "interval excludes 0"
)
SECTIONS = ("nodes", "legs", "services", "routes", "demand")


def figure_png(fig: "Figure", dpi: int = 110) -> bytes:
    """PNG bytes of a figure for embedding (a lower resolution than the saved files keeps
    report.html light), without timestamped metadata."""
    from sim.viz.save import png_bytes

    return png_bytes(fig, dpi)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _ci(ci: Sequence[Any] | None, digits: int = 1) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "n/a"
    dash = "–" if ci[0] >= 0 else " to "  # "-12.8–36.2" reads as a subtraction
    return f"{ci[0]:,.{digits}f}{dash}{ci[1]:,.{digits}f}"


def _table(
    headers: Sequence[str],
    rows: Iterable[tuple[Sequence[str], str]],
    numeric: Sequence[bool],
    classes: Sequence[str] | None = None,
    table_class: str = "",
) -> str:
    """An HTML table; each row is (escaped cells, css class of the row).  Numeric columns are
    right-aligned; ``classes`` gives other columns a css class."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    cols = ["n" if n else (classes[i] if classes else "") for i, n in enumerate(numeric)]
    opening = [f'<td class="{c}">' if c else "<td>" for c in cols]
    body = []
    for cells, css in rows:
        tds = "".join(f"{o}{c}</td>" for c, o in zip(cells, opening))
        body.append(f'<tr class="{css}">{tds}</tr>' if css else f"<tr>{tds}</tr>")
    attr = f' class="{table_class}"' if table_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---------------------------------------------------------------------------------------
# Results


def routes_html(summary: dict) -> str:
    """Per route: transit mean with CI, p5–p95, volume delivered per year, wait, warnings."""
    rows = []
    for rid, r in summary["routes"].items():
        t = r.get("transit_days") or {}
        note = _route_note(r)
        rows.append((
            [_labelled(rid, r.get("name")), _e(r.get("mode", "")),
             _e(f"{r.get('origin', '?')} → {r.get('destination', '?')}"), _num(t.get("mean"), 2),
             _ci(t.get("ci95"), 2), f"{_num(t.get('p5'))}–{_num(t.get('p95'))}", _volume(r),
             _num((r.get("wait_for_departure_days") or {}).get("mean"), 2),
             f'<span class="warn">{_e(note)}</span>' if note else ""],
            "flag" if note else "",
        ))
    headers = ("route", "mode", "origin → destination", "mean transit (d)", "95% CI (d)", "p5–p95 (d)",
               "delivered / yr", "wait for departure (d)", "note")
    return _table(headers, rows, (False, False, False, True, True, True, True, True, False))


def _labelled(ident: Any, name: Any) -> str:
    """An id with its long name below it, both escaped."""
    shown = name and str(name) != str(ident)  # names default to the id: no need to say it twice
    return _e(ident) + (f'<span class="sub">{_e(name)}</span>' if shown else "")


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


def nodes_html(summary: dict) -> str:
    """Capacity-limited nodes: servers, utilization with CI, mean wait, max queue."""
    rows = []
    for nid, n in limited_nodes(summary):
        util = n.get("utilization")
        load = node_load(util)
        lo, hi = n.get("utilization_ci95") or (None, None)
        ci = "n/a" if lo is None else f"{max(lo, 0.0):.1%}–{min(hi, 1.0):.1%}"  # a share: within 0-100%
        rows.append((
            [_e(nid), _e(n.get("name", nid)), _e(n["servers"]), "n/a" if util is None else f"{util:.1%}", ci,
             _num(n.get("mean_wait_days"), 3), _e(n.get("max_queue", "")),
             f'<span class="warn">{load}</span>' if load else ""],
            "flag" if load else "",
        ))
    if not rows:
        return '<p class="meta">No node has limited capacity (servers) in this scenario.</p>'
    headers = ("node", "name", "servers", "utilization", "95% CI", "mean wait (d)", "max queue", "note")
    return _table(headers, rows, (False, False, True, True, True, True, True, False))


def glance_html(summary: dict, label: str = "") -> str:
    """What needs a look before the numbers are believed (the terminal's warnings), or that
    nothing does: saturated routes, containers left over, nodes saturated or near saturation."""
    warnings = run_warnings(summary)
    of = f"<b>{_e(label)}</b>: " if label else ""
    if not warnings:
        return (f'<p class="glance">{of}No route is saturated, every counted container was delivered by the '
                f"end of the run and no node ran above {NODE_NEAR_SATURATION:.0%} utilization.</p>")
    items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
    return (f'<div class="glance bad">{of}<span class="warn">Check before reading the numbers:</span>'
            f"<ul>{items}</ul></div>")


def differences_html(comparison: dict) -> str:
    """The differences against the baseline, significant rows highlighted, and the method."""
    metrics = comparison.get("metrics", {})
    baseline = comparison.get("baseline", "")
    others = [s for s in comparison.get("scenarios", []) if s != baseline]
    one = len(others) == 1  # one scenario against the baseline: its name heads the column
    method = str(comparison.get("method") or DEFAULT_METHOD).rstrip(". ")
    parts = [f"<p>Method: {_e(method)}. Highlighted rows are significant.</p>"]
    for key, title in (("differences", "route"), ("node_differences", "node")):
        rows = []
        for row in comparison.get(key, []):
            lo, hi = (row.get("ci95") or [None, None])[:2]
            metric = row.get("metric", "")
            ci = "n/a" if lo is None else f"{format_metric(metric, lo, True)} to {format_metric(metric, hi, True)}"
            sig = row.get("significant")
            verdict = "n/a (1 replication)" if sig is None else ("<b>yes</b>" if sig else "no")
            unit = row.get("unit") or ""
            unit = "" if unit == "share" else unit
            label = metrics.get(metric, metric)
            cells = [] if one else [_e(row.get("scenario", ""))]
            cells += [
                _e(row.get(title, "")), _e(f"{label} ({unit})" if unit else label),
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
            parts.append(f"<h3>{'Routes' if title == 'route' else 'Capacity-limited nodes'}</h3>")
            parts.append(_table(headers, rows, numeric, classes))
    if len(parts) == 1:
        parts.append('<p class="meta">No differences were computed.</p>')
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Parameters and sources


def compact(value: Any) -> str:
    """A parameter value in a few characters: distributions as name(arguments)."""
    if isinstance(value, dict):
        if "dist" in value:
            args = ", ".join(f"{compact(v)}" if k in ("min", "mode", "max", "value", "mean") else f"{k}={compact(v)}"
                             for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})"
        return "{" + ", ".join(f"{k}: {compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # every digit the scenario gave (9470000, not 9.47e+06), whole numbers without ".0"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


class Linker:
    """Source text as HTML: URLs, the scenario file's short labels (as links to the pages
    they stand for) and its [tags] (as links to what they stand for, further down the page).

    ``anchor`` prefixes the page anchors of the tags, so that each scenario of a comparison
    links to its own list. Links are not loaded; the page stays offline.
    """

    def __init__(self, notes: SourceNotes | None = None, anchor: str = "") -> None:
        self.notes = notes or SourceNotes()
        self.anchor = anchor
        self.by_name: dict[str, list[Label]] = {}
        for label in self.notes.labels:
            self.by_name.setdefault(label.name.lower(), []).append(label)
        names = sorted(self.by_name, key=len, reverse=True)
        alternatives = []
        if names:  # a label, with the host's sub-domains a source may add ("en." + "inform.kz a3992304")
            alternatives.append(r"(?P<label>(?<![\w@/.-])(?:[a-z0-9-]+\.)*(?:"
                                + "|".join(re.escape(n) for n in names) + r")(?![\w/]))")
        alternatives += [f"(?P<tags>{TAG_LIST})", f"(?P<url>{_URL})"]
        self.pattern = re.compile("|".join(alternatives), re.IGNORECASE)
        self.names = names

    def tag_id(self, tag: str) -> str:
        """The page anchor of a tag's entry in the list of source tags."""
        return f"{self.anchor}tag-{tag}"

    def __call__(self, text: str) -> str:
        """``text`` escaped, with its labels, tags and URLs as links."""
        out, last = [], 0
        for m in self.pattern.finditer(text):
            if m.start() < last:
                continue
            out.append(_e(text[last:m.start()]))
            if m.group("tags") is not None:
                out.append(self._tags(m.group("tags")))
                last = m.end()
            elif "label" in m.groupdict() and m.group("label") is not None:
                shown = m.group("label")
                label = self._label(shown, text[m.end():m.end() + 80])
                out.append(f'<a href="{_e(label.url)}">{_e(shown)}</a>' if label else self._url(shown))
                last = m.end()
            else:
                url = m.group("url").rstrip(".:")  # a sentence's full stop is not part of the address
                out.append(self._url(url))
                last = m.start() + len(url)
        out.append(_e(text[last:]))
        return "".join(out)

    def _label(self, shown: str, after: str) -> Label | None:
        """The label ``shown`` cites; where one name has several pages, the one whose
        qualifier's words follow it ("en.cfts.org.ua (BCh 2015: ...)"); None if unclear."""
        lowered = shown.lower()
        name = next(n for n in self.names if lowered.endswith(n))
        candidates = self.by_name[name]
        if len(candidates) == 1:
            return candidates[0]
        words = after.lower()

        def score(label: Label) -> int:
            return sum(w in words for w in re.findall(r"\w{3,}|\d+", label.qualifier.lower()))

        best = max(candidates, key=score)
        tied = [c for c in candidates if score(c) == score(best)]
        return best if score(best) > 0 and len(tied) == 1 else None

    def _url(self, url: str) -> str:
        if not URL.fullmatch(url):  # a label cited bare ("railways.kz 2025-03-05"): its host only
            host = URL.match(url)
            return self._url(host.group(0)) + _e(url[host.end():]) if host else _e(url)
        href = url if url.lower().startswith("http") else "https://" + url
        return f'<a href="{_e(href)}">{_e(url)}</a>'

    def _tags(self, text: str) -> str:
        parts = re.split(r"(,\s*)", text[1:-1])
        shown = []
        for part in parts:
            if part in self.notes.tags:
                title = self.notes.tags[part]
                title = title if len(title) <= 300 else title[:297] + "..."
                shown.append(f'<a href="#{self.tag_id(part)}" title="{_e(title)}">{_e(part)}</a>')
            else:
                shown.append(_e(part))
        return "[" + "".join(shown) + "]"

    def tags_html(self) -> str:
        """The scenario file's SOURCE TAGS: each tag with what it stands for, linked."""
        if not self.notes.tags:
            return ""
        items = "".join(f'<dt id="{self.tag_id(tag)}">[{_e(tag)}]</dt><dd>{self(text)}</dd>'
                        for tag, text in self.notes.tags.items())
        return (f'<h3 id="{self.anchor}tags">Source tags</h3><p class="meta">A tag such as [4a] in a source '
                f"stands for the publications listed under it in the scenario file (SOURCE TAGS).</p>"
                f'<dl class="tags">{items}</dl>')


def parameters_html(raw: dict, linker: Linker | None = None, ran: dict[str, Any] | None = None) -> str:
    """Each section's entries: id, parameters in compact form, and the source given, linked
    by ``linker``; then the source tags they cite.  ``ran`` holds the settings the run used
    where the command line changed the file's (-n, --seed)."""
    linker = linker or Linker()
    parts = []
    run = raw.get("run")
    if isinstance(run, dict):
        settings = [f"{k} = {compact(v)}" for k, v in run.items() if k != "description" and k not in (ran or {})]
        for key, value in (ran or {}).items():
            given = run.get(key)
            note = "" if given == value else (
                f" (as run; the file's run.{key} is {compact(given)})" if given is not None else " (as run)")
            settings.append(f"{key} = {compact(value)}{note}")
        parts.append(f"<p><b>run</b>: {_e(', '.join(settings))}</p>")
    for key in ("source", "notes", "note"):
        if isinstance(raw.get(key), str):
            parts.append(f"<p><b>{_e(key)}</b>: {linker(raw[key])}</p>")
    for section in SECTIONS:
        rows = [_parameter_row(entry, section, linker) for entry in _entries(raw, section)]
        if rows:
            parts.append(f"<h3>{_e(section)}</h3>")
            parts.append(_table(("id", "parameters", "source"), rows, (False, False, False),
                                classes=("", "p", "src"), table_class="params"))
    parts.append(linker.tags_html())
    return "".join(parts)


def _entries(raw: dict, section: str) -> list[dict]:
    """A section's tables; "demand" is each route's demand, under the route's id."""
    if section == "demand":
        return [
            {"id": r.get("id", ""), **r["demand"]}
            for r in _entries(raw, "routes") if isinstance(r.get("demand"), dict)
        ]
    entries = raw.get(section)
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _parameter_row(entry: dict, section: str, linker: Linker) -> tuple[list[str], str]:
    """id (with name, or from → to, beneath), the other parameters, and the linked source."""
    shown = {"id", "source", "name"}
    sub = entry.get("name")
    if sub is None and "from" in entry and "to" in entry:
        sub = f"{entry['from']} → {entry['to']}"
        shown |= {"from", "to"}
    if section == "routes" and isinstance(entry.get("demand"), dict):
        shown.add("demand")  # its own table, with its own source
    params = "; ".join(f"{k} = {_parameter(k, v)}" for k, v in entry.items() if k not in shown)
    source = entry.get("source")
    if source:
        cited = linker(str(source))
    elif "demand" in shown and entry["demand"].get("source"):
        cited = '<span class="meta">demand: see below</span>'
    else:
        cited = ""
    return [_labelled(entry.get("id", ""), sub), _e(params), cited], ""


def _parameter(key: str, value: Any) -> str:
    """A parameter value compactly; a route's path as the nodes joined by arrows."""
    if key == "path" and isinstance(value, list):
        return " → ".join(str(v) for v in value)
    return compact(value)


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


def _overrides_text(overrides: Sequence[Any]) -> str:
    """'overrides: --set a, --set b' or 'overrides: none', the one way the page names them."""
    sets = ", ".join(f"<code>--set {_e(o)}</code>" for o in overrides) if overrides else "none"
    return f"overrides: {sets}"


def _header(runs: Sequence[RunData], comparison: dict | None) -> str:
    """Title, settings, and each scenario's description and own overrides (what was run)."""
    names = " vs ".join(r.label for r in runs)
    kind = "comparison" if comparison is not None else "run"
    lines = [f"<h1>routesim {kind}: {_e(names)}</h1>"]
    seed, replications, overrides = _settings(runs, comparison)
    windows = [_window(r.summary) for r in runs]
    if len(set(windows)) == 1:
        window = _e(windows[0])
    else:
        window = "; ".join(f"{_e(r.label)}: {_e(w)}" for r, w in zip(runs, windows))
    meta = f"routesim {_e(_version(runs, comparison))} · seed {_e(seed)} · {_e(replications)} replications · {window}"
    if comparison is None:
        if runs[0].summary.get("description"):
            lines.append(f"<p><b>{_e(runs[0].label)}</b>: {_e(runs[0].summary['description'])}</p>")
        lines.append(f'<p class="meta">{meta} · {_overrides_text(overrides)}</p>')
        return "".join(lines)
    lines.append(f'<p class="meta">{meta}</p>')
    # Each scenario with every override it ran with (those given to all included): what
    # tells a scenario and its variant apart, said the same way for each.
    for run in runs:
        described = f": {_e(run.summary['description'])}" if run.summary.get("description") else ""
        own = [str(o) for o in run.summary.get("overrides") or []]
        lines.append(f'<p><b>{_e(run.label)}</b>{described}<br><span class="meta">{_overrides_text(own)}</span></p>')
    return "".join(lines)


def _window(summary: dict) -> str:
    """Warm-up, measured window, cool-down and calendar year of a run."""
    warmup, horizon = summary.get("warmup_days"), summary.get("horizon_days")
    window = f"warm-up {_g(warmup)} d, measured from day {_g(warmup)} to day {_g(horizon)}"
    if isinstance(warmup, (int, float)) and isinstance(horizon, (int, float)):
        window += f" ({_g(horizon - warmup)} d)"
    window += f", cool-down {_g(summary.get('cooldown_days'))} d"
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


def reproduce_command(runs: Sequence[RunData], comparison: dict | None) -> str:
    """The routesim command line that writes these results again."""
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
    return shlex.join(words)


def _reproduce(runs: Sequence[RunData], comparison: dict | None) -> str:
    version = _version(runs, comparison)
    return (
        f'<h2 id="reproduce">Reproduce</h2><p><code>{_e(reproduce_command(runs, comparison))}</code></p>'
        f"<p>With routesim {_e(version)} this writes the same results, for any <code>--workers</code>. "
        f"This page was drawn by routesim {_e(__version__)}.</p>"
    )


def _checks(runs: Sequence[RunData]) -> str:
    """Per run what needs a look before any number is read: at the top of the page, above
    a comparison's differences as above a run's tables."""
    return "\n".join(glance_html(run.summary, run.label if len(runs) > 1 else "") for run in runs)


def _results(runs: Sequence[RunData]) -> str:
    """Per run the routes table and the capacity-limited nodes."""
    parts = ['<h2 id="results">Results</h2>']
    for run in runs:
        of = f": {_e(run.label)}" if len(runs) > 1 else ""
        parts.append(f"<h3>Routes{of}</h3>" + routes_html(run.summary))
        parts.append(f"<h3>Capacity-limited nodes{of}</h3>" + nodes_html(run.summary))
        rows = fleet_rows(run.summary)
        if rows:
            numeric = [False] + [True] * (len(FLEET_HEADERS) - 1)
            parts.append(f"<h3>Fleets{of}</h3>" + _table(FLEET_HEADERS, [([_e(c) for c in r], "") for r in rows], numeric)
                         + f'<p class="meta">{_e(FLEET_NOTE)}.</p>')
        rows = shared_rows(run.summary)
        if rows:
            numeric = [False, False, True, True, True, False, False]
            parts.append(f"<h3>Shared services{of}</h3>" + _table(SHARED_HEADERS, [([_e(c) for c in r], "") for r in rows], numeric)
                         + f'<p class="meta">{_e(SHARED_NOTE)}.</p>')
        rows = flow_rows(run.summary)
        if rows:
            numeric = [False, False] + [True] * (len(FLOW_HEADERS) - 2)
            notes = "".join(f"<li>{_e(line)}</li>" for line in convergence_lines(run.summary))
            parts.append(f"<h3>Flows and their options{of}</h3>" + _table(FLOW_HEADERS, [([_e(c) for c in r], "") for r in rows], numeric)
                         + f'<p class="meta">{_e(FLOW_NOTE)}. Equilibrium:</p><ul class="meta">{notes}</ul>')
    return "\n".join(parts)


_HTTP = re.compile(r"https?://[^\s,;)<>\"]+", re.IGNORECASE)


def source_links(source: str, note: str, number: int) -> str:
    """An event's source for a table cell: a numbered reference ('[1]') to ``note``, its full
    text in the list under the table; the sites it cites ('railfreight.com') in its tooltip."""
    hosts: dict[str, None] = {}
    for m in _HTTP.finditer(source):
        hosts.setdefault(re.sub(r"^www\.", "", m.group(0).split("//", 1)[1].split("/", 1)[0].lower()), None)
    title = ", ".join(hosts) or source[:80]
    return f'<a href="#{_e(note)}" title="{_e(title)}">[{number}]</a>'


def _count_cell(v: dict, digits: int = 0, unit: str = "") -> str:
    """A count's mean (with its unit) and its 95% CI below, the CI's lower bound clipped at 0."""
    mean = _num(v.get("mean"), digits)
    ci = v.get("ci95")
    shown = f'{mean}<br><span class="meta">{_e(unit)}</span>' if unit and mean != "n/a" else mean
    if not ci or ci[0] is None or ci[1] is None:
        return shown
    return shown + f'<br><span class="meta">{_ci((max(0.0, ci[0]), ci[1]), digits)}</span>'


def events_html(summary: dict, linker: "Linker | None" = None) -> str:
    """Each event: what it was (kind, target, when, source as short links) and, when measured,
    its impact: means over replications with their 95% CIs, against the same replications
    without events.  Under the table: the notes (events measured together, demand removed)
    and each event's source in full."""
    linker = linker or Linker()
    events = summary.get("events", {})
    measured = any("containers_affected" in e for e in events.values())
    sources = any(e.get("source") for e in events.values())
    diverts = measured and any(e.get("kind") == "divert" for e in events.values())
    rows = []
    for eid, e in events.items():
        targets = e.get("targets", [])
        target = _e(short_targets(targets, 1)).replace(".", ".<wbr>").replace("_", "_<wbr>")  # may break there
        if len(targets) > 1:
            target = f'<span title="{_e(", ".join(targets))}">{target}</span>'
        when = _e(event_when(e)).replace(" +", "<br>+", 1).replace(" on (no end)", "<br>on (no end)")  # date, then length
        cells = [_labelled(eid, e.get("name")), f'{_e(event_kind(e))}<span class="sub">{target}</span>',
                 f'<span class="nw">{when}</span>']
        if sources:
            numbers = [k for k, x in events.items() if x.get("source")]
            cells.append(source_links(e["source"], f"{linker.anchor}event-source-{eid}", numbers.index(eid) + 1)
                         if e.get("source") else "")
        if measured:
            if "containers_affected" not in e:
                cells += [""] * (7 + diverts)
                rows.append((cells, ""))
                continue

            def cell(name: str, digits: int = 2) -> str:
                v = e.get(name) or {}
                interval = _ci(v.get("ci95"), digits)
                return _num(v.get("mean"), digits) + (f'<br><span class="meta">{interval}</span>' if interval != "n/a" else "")

            recovered = (e.get("recovered") or {}).get("mean")
            share = recovered_share(e)
            if share != "n/a" and recovered is not None and recovered < 1:
                share = f'<span class="warn">{share}</span>'
            recovery = cell("recovery_days", 1)
            if e.get("duration_days") is None and not e.get("duration_random") and not e.get("random"):
                recovery = "n/a<br>(no end)"
            p95 = _num((e.get("extra_delay_days.p95") or {}).get("mean"), 2)
            cells += [_count_cell(e.get("containers_affected") or {}),
                      cell("extra_delay_days") + f'<br><span class="meta">p95 {p95}</span>',
                      _count_cell(e.get("containers_undelivered") or {}),
                      _count_cell(e.get("peak_queue") or {}, 0, e.get("queue_unit", "")), recovery, share]
            cells += [_count_cell(e.get("containers_diverted") or {}) if e.get("kind") == "divert" else ""] if diverts else []
        rows.append((cells, ""))
    headers = ["event", "kind, target", "when", *(["src."] if sources else [])]
    if measured:
        headers += ["containers affected", "extra delay (d)", "undeliv\u00adered", "peak queue",
                    "recovery (d)", "recov\u00adered", *(["diverted"] if diverts else [])]
    numeric = [False] * (4 if sources else 3) + [True] * (len(headers) - (4 if sources else 3))
    parts = [_table(headers, rows, numeric, table_class="events")]
    notes = event_notes(summary)
    if not measured:
        notes.insert(0, "impact not measured (run without --no-impact to measure it)")
    parts += [f'<p class="meta">Note: {_e(n)}.</p>' for n in notes]
    if sources:
        items = "".join(f'<li id="{_e(linker.anchor)}event-source-{_e(eid)}"><b>{_e(eid)}</b>: {linker(e["source"])}</li>'
                        for eid, e in events.items() if e.get("source"))
        parts.append(f'<p class="meta">Sources of the events:</p><ol class="sources">{items}</ol>')
    return "\n".join(parts)


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


def _events(runs: Sequence[RunData]) -> str:
    """The Events section: every run whose scenario has events (their impact when measured)."""
    measured = [(i, run) for i, run in enumerate(runs) if run.summary.get("events")]
    if not measured:
        return ""
    parts = ['<h2 id="events">Events</h2>', f'<p class="meta">{_e(EVENTS_NOTE)}</p>']
    for i, run in measured:
        of = f"<h3>{_e(run.label)}</h3>" if len(runs) > 1 else ""
        linker = Linker(run.source_notes, f"s{i + 1}-" if len(runs) > 1 else "")
        parts.append(of + events_html(run.summary, linker))
    return "\n".join(parts)


def _figures(figures: Sequence[tuple[str, str, bytes]]) -> str:
    """Each figure under its title, embedded as a base64 PNG, with its caption."""
    parts = ['<h2 id="figures">Figures</h2>']
    for title, caption, png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><h3>{_e(title)}</h3><img alt="{_e(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return "\n".join(parts)


def _parameters(runs: Sequence[RunData]) -> str:
    """Every run's scenario parameters with sources; folded per scenario in a comparison."""
    parts = ['<h2 id="parameters">Parameters and their sources</h2>']
    for i, run in enumerate(runs):
        source = run.summary.get("source") or run.scenario.source or run.label
        linker = Linker(run.source_notes, f"s{i + 1}-" if len(runs) > 1 else "")
        ran = {k: run.summary[k] for k in ("replications", "seed") if run.summary.get(k) is not None}
        block = f'<p class="meta">loaded from {_e(source)}</p>' + parameters_html(run.scenario.raw, linker, ran)
        if len(runs) > 1:  # folded: a comparison's scenarios mostly share their parameters
            summary = f'{_e(run.label)} <span class="meta">({_e(source)})</span>'
            block = f"<details><summary>{summary}</summary>{block}</details>"
        parts.append(block)
    return "\n".join(parts)


def _contents(comparison: dict | None, figures: bool, events: bool = False) -> str:
    """In-page links to the sections (anchors only: nothing is loaded)."""
    sections = [("differences", "Differences")] if comparison is not None else []
    sections += [("results", "Results")] + ([("events", "Events")] if events else [])
    sections += [("figures", "Figures")] if figures else []
    sections += [("parameters", "Parameters and sources"), ("reproduce", "Reproduce")]
    return '<nav class="meta">' + " · ".join(f'<a href="#{a}">{t}</a>' for a, t in sections) + "</nav>"


def report_html(
    runs: Sequence[RunData],
    figures: Sequence[tuple[str, str, bytes]],
    comparison: dict | None = None,
) -> str:
    """The whole report as one HTML document: figures embedded, no external resources."""
    events = _events(runs)
    body = [_header(runs, comparison), _contents(comparison, bool(figures), bool(events)), _checks(runs)]
    if comparison is not None:
        body.append('<h2 id="differences">Differences against the baseline</h2>' + differences_html(comparison))
    body.append(_results(runs))
    if events:
        body.append(events)
    if figures:
        body.append(_figures(figures))
    body.append(_parameters(runs))
    body.append(_reproduce(runs, comparison))
    title = " vs ".join(r.label for r in runs)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>routesim: {_e(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
