"""A sweep's report.html, rendered from its sweep.json by a Jinja2 template with escaping on
(every value from a scenario or an argument is escaped by default, none by hand).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from sim import __version__
from sim.model.text import counted
WIDE_SOBOL = 0.1  # a Sobol interval wider than this (either side) cannot rank parameters
HEADERS = {
    "sobol": (("S1", "S1_conf", "first order S1 ± 95% CI"), ("ST", "ST_conf", "total order ST ± 95% CI")),
    "morris": (("mu_star", "mu_star_conf", "mu* ± 95% CI"), ("sigma", "", "sigma"), ("mu", "", "mu")),
    "lhs": (("spearman", "spearman_conf", "Spearman rank correlation [95% CI]"),),
    "grid": (("spearman", "spearman_conf", "Spearman rank correlation [95% CI]"),),
}
INDEX_NOTES = {
    "sobol": "Sobol indices (SALib, Saltelli design): S1 is the share of a metric's variance due to the parameter "
             "alone, ST with its interactions; ST well above S1 means interactions. CIs by bootstrap.",
    "morris": "Morris screening (SALib): mu* is the mean absolute change of the metric when the parameter moves "
              "over its whole range; a large sigma beside it means interactions or a curved response.",
    "lhs": "Spearman rank correlations over the points (a screening measure, not a share of variance); "
           "CIs by Fisher's z.",
    "grid": "Spearman rank correlations over the grid's points (a screening measure, not a share of variance); "
            "CIs by Fisher's z.",
}
FILES = (
    ("table.parquet", "every point × metric × replication (also table.csv): point, the parameters, replication, metric, value"),
    ("design.csv", "the points: their parameter values, seed and cache key"),
    ("indices.csv", "the sensitivity indices: metric, parameter, index, value, conf (95% half-width)"),
    ("sweep.json", "the sweep's settings, metrics and indices"),
    ("sweep.toml", "the sweep as a file: routesim sweep sweep.toml runs it again"),
)


def _g(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def _over(p: dict[str, Any]) -> str:
    if "values" in p:
        return ", ".join(map(str, p["values"]))
    if "dist" in p:
        return ", ".join(f"{k} = {v}" for k, v in p.items() if k != "path")
    lo, hi = p["range"]
    kind = "whole numbers" if p.get("integer") else "reals"
    step = f", step {p['step']}" if "step" in p else ""
    return f"{lo} to {hi} ({kind}{step})"


def saturated_warning(doc: dict[str, Any]) -> str:
    """A warning naming the points where a route saturated, else ''."""
    points = doc.get("saturated_points") or {}
    if not points:
        return ""
    routes = sorted({r for rs in points.values() for r in rs})
    shown = ", ".join(list(points)[:12]) + (", ..." if len(points) > 12 else "")
    return (f"At {len(points)} of {doc['points']} points a route is saturated (it delivers under 95% of its demand "
            f"while its backlog grows), so its transit statistics cover only what got through: points {shown}; "
            f"routes {', '.join(routes[:6])}{', ...' if len(routes) > 6 else ''} (design.csv, column saturated).")


def wide_warning(doc: dict[str, Any]) -> str:
    """A warning when Sobol intervals are too wide to rank the parameters, else ''."""
    if doc["design"] != "sobol":
        return ""
    wide = any(k.endswith("_conf") and x is not None and x > WIDE_SOBOL
               for per in doc["indices"].values() for got in per.values() for k, x in got.items())
    return (f"Some intervals are wider than ±{WIDE_SOBOL}: with {doc['samples']} base samples the indices are "
            "rough; a few hundred (--samples 256) make them usable.") if wide else ""


def _index_cell(got: dict[str, Any], name: str, conf: str) -> str:
    """An index with its interval's half-width (a rank correlation's interval kept within ±1)."""
    cell = _g(got.get(name))
    half = got.get(conf) if conf else None
    if half is not None and cell != "–":
        if name == "spearman":  # Fisher's z interval is not symmetric: give its ends
            r = got[name]
            cell += f" [{_g(max(-1.0, r - half), 2)}, {_g(min(1.0, r + half), 2)}]"
        else:
            cell += f" ± {_g(half, 2)}"
    return cell


def sweep_html(doc: dict[str, Any], figures: Sequence[tuple[str, str, bytes]], reproduce: str) -> str:
    """The report page, in the run report's template (contents, folding sections, thumbnails
    that open full size); ``figures`` are (title, file name, PNG bytes)."""
    from sim.report.html import PAGE_STYLE, STYLE
    from sim.report.page_figures import figure_entries
    from sim.report.rich import code, environment, h3, p, table

    design = doc["design"]
    heads = HEADERS[design]
    parameters = table(("parameter", "varied over", "as given"),
                       [([code(q["path"]), _over(q), q.get("text", "")], "") for q in doc["parameters"]],
                       (False, False, False))
    seeds = (f"Common random numbers: every point runs seed {doc['seed']}, so differences between points are the "
             "parameters', not the draws'." if doc["seeds"] == "common" else
             f"Independent seeds: each point draws its own, derived from seed {doc['seed']} and its index.")
    fixed = [p(["Fixed at every point: ", *[x for f in doc["fixed"] for x in (code(f"--set {f}"), " ")]])] \
        if doc["fixed"] else []
    metrics = table(("metric", "unit", "meaning", "lowest", "mean", "highest", "points without a value"),
                    [([code(m["path"]), m["unit"], m["meaning"], _g(m["lowest"]), _g(m["mean"]), _g(m["highest"]),
                       str(m["missing"])], "") for m in doc["metrics"]],
                    (False, False, False, True, True, True, True), classes=("", "", "src", "", "", "", ""))
    sensitivity = [p(INDEX_NOTES[design], "meta")]
    warning = " ".join(w for w in (saturated_warning(doc), wide_warning(doc)) if w)
    if warning:
        sensitivity.append(p(warning, "warn"))
    contents = []
    for k, m in enumerate(doc["metrics"]):
        per = doc["indices"].get(m["path"], {})
        rows = [([code(q["path"]), *[_index_cell(per.get(q["path"], {}), name, conf) for name, conf, _ in heads]], "")
                for q in doc["parameters"]]
        sensitivity += [h3(m["path"], f"metric-{k + 1}"),
                        table(["parameter", *[h for _, _, h in heads]], rows, [False] + [True] * len(heads))]
        contents.append((f"metric-{k + 1}", m["path"]))
    files = table(("file", "what it holds"), [([code(name)], what) for name, what in FILES], (False, False))
    entries = figure_entries([(title, f"(also {name} in the folder)", png) for title, name, png in figures])
    points = doc["points"]
    distinct = f" ({doc['distinct_points']} distinct)" if doc["distinct_points"] != points else ""
    note = (f"{design} design, {points} points{distinct} × {counted(doc['replications'], 'replication')} of "
            f"{doc['scenario']}, seed {doc['seed']} · routesim {__version__}")
    sections = [
        {"id": "parameters", "title": "Parameters", "open": True, "blocks": [parameters, *fixed, p(seeds, "meta")],
         "sub": []},
        {"id": "metrics", "title": "Metrics", "open": True,
         "blocks": [p("Each point's value is its mean over its replications; the range is over the points.", "meta"),
                    metrics], "sub": []},
        {"id": "indices", "title": "Sensitivity", "open": True, "blocks": sensitivity, "sub": contents},
    ]
    if entries:
        sections.append({"id": "figures", "title": "Figures", "open": True, "blocks": [], "figures": entries,
                         "sub": [(f"fig-{f['stem']}", f["title"]) for f in entries]})
    sections += [
        {"id": "files", "title": "Files", "open": False, "blocks": [files], "sub": []},
        {"id": "reproduce", "title": "Reproduce", "open": True, "blocks": [p([code(reproduce)])], "sub": []},
    ]
    return environment().get_template("report.html").render(
        title=f"sweep of {doc['scenario']}", heading=f"Sweep of {doc['scenario']}", header=[p(note, "meta")],
        style=STYLE + PAGE_STYLE, sections=sections, checks=[],
    )


def sweep_text(doc: dict[str, Any], out: str) -> str:
    """The terminal's summary: each metric's range over the points and its indices."""
    design = doc["design"]
    lines = [f"{doc['design']} sweep of {doc['scenario']}: {doc['points']} points x "
             f"{counted(doc['replications'], 'replication')}, seed {doc['seed']} ({'common random numbers' if doc['seeds'] == 'common' else 'independent seeds'})"]
    width = max(len(p["path"]) for p in doc["parameters"])
    for m in doc["metrics"]:
        unit = f" {m['unit']}" if m["unit"] else ""
        lines.append("")
        lines.append(f"{m['path']}: {_g(m['lowest'])} to {_g(m['highest'])}{unit} over the points (mean {_g(m['mean'])})"
                     + (f"; missing at {m['missing']} points" if m["missing"] else ""))
        per = doc["indices"].get(m["path"], {})
        heads = HEADERS[design]
        lines.append("  " + "parameter".ljust(width) + "".join(f"  {h[2]:>34}" for h in heads))
        for p in doc["parameters"]:
            got = per.get(p["path"], {})
            cells = []
            for name, conf, _ in heads:
                cells.append(f"  {_index_cell(got, name, conf):>34}")
            lines.append("  " + p["path"].ljust(width) + "".join(cells))
    for warning in (saturated_warning(doc), wide_warning(doc)):
        if warning:
            lines += ["", "warning: " + warning]
    lines += ["", f"results in {out}/ (table.parquet, table.csv, indices.csv, report.html)"]
    return "\n".join(lines)
