"""A sweep's report.html, rendered from its sweep.json by a Jinja2 template with escaping on
(every value from a scenario or an argument is escaped by default, none by hand).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any, Sequence

from sim import __version__
from sim.model.text import counted
from sim.report.html import STYLE

TEMPLATES = Path(__file__).parent / "templates"
WIDE_SOBOL = 0.1  # a Sobol interval wider than this (either side) cannot rank parameters
HEADERS = {
    "sobol": (("S1", "S1_conf", "first order S1 ± 95% CI"), ("ST", "ST_conf", "total order ST ± 95% CI")),
    "morris": (("mu_star", "mu_star_conf", "mu* ± 95% CI"), ("sigma", "", "sigma"), ("mu", "", "mu")),
    "lhs": (("spearman", "spearman_conf", "Spearman rank correlation ± 95% CI"),),
    "grid": (("spearman", "spearman_conf", "Spearman rank correlation ± 95% CI"),),
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


def wide_warning(doc: dict[str, Any]) -> str:
    """A warning when Sobol intervals are too wide to rank the parameters, else ''."""
    if doc["design"] != "sobol":
        return ""
    wide = any(k.endswith("_conf") and x is not None and x > WIDE_SOBOL
               for per in doc["indices"].values() for got in per.values() for k, x in got.items())
    return (f"Some intervals are wider than ±{WIDE_SOBOL}: with {doc['samples']} base samples the indices are "
            "rough; a few hundred (--samples 256) make them usable.") if wide else ""


def sweep_html(doc: dict[str, Any], figures: Sequence[tuple[str, str, bytes]], reproduce: str) -> str:
    """The report page; ``figures`` are (title, file name, PNG bytes)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      keep_trailing_newline=True)
    design = doc["design"]
    index_tables = []
    for metric in doc["metrics"]:
        per = doc["indices"].get(metric["path"], {})
        rows = []
        for param in doc["parameters"]:
            got = per.get(param["path"], {})
            cells = []
            for name, conf, _ in HEADERS[design]:
                value = got.get(name)
                cell = _g(value)
                if conf and got.get(conf) is not None and cell != "–":
                    cell += f" ± {_g(got.get(conf), 2)}"
                cells.append(cell)
            rows.append({"parameter": param["path"], "cells": cells})
        index_tables.append({"metric": metric["path"], "headers": [h for _, _, h in HEADERS[design]], "rows": rows})
    metrics = [{**m, "low": _g(m["lowest"]), "mean": _g(m["mean"]), "high": _g(m["highest"])} for m in doc["metrics"]]
    parameters = [{"path": p["path"], "over": _over(p), "text": p.get("text", "")} for p in doc["parameters"]]
    seeds = (f"Common random numbers: every point runs seed {doc['seed']}, so differences between points are the "
             "parameters', not the draws'." if doc["seeds"] == "common" else
             f"Independent seeds: each point draws its own, derived from seed {doc['seed']} and its index.")
    points = doc["points"]
    distinct = f" ({doc['distinct_points']} distinct)" if doc["distinct_points"] != points else ""
    note = (f"{design} design, {points} points{distinct} × {counted(doc['replications'], 'replication')} of "
            f"{doc['scenario']}, seed {doc['seed']}")
    return env.get_template("sweep.html").render(
        warning=wide_warning(doc),
        title=doc["scenario"], version=__version__, style=STYLE, design_note=note, parameters=parameters,
        fixed=doc["fixed"], seeds_note=seeds, metrics=metrics, indices_note=INDEX_NOTES[design],
        index_tables=index_tables,
        figures=[{"title": t, "file": f, "data": base64.b64encode(png).decode("ascii")} for t, f, png in figures],
        files=FILES, reproduce=reproduce,
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
        lines.append("  " + "parameter".ljust(width) + "".join(f"  {h[2][:28]:>28}" for h in heads))
        for p in doc["parameters"]:
            got = per.get(p["path"], {})
            cells = []
            for name, conf, _ in heads:
                cell = _g(got.get(name), 3)
                if conf and got.get(conf) is not None and cell != "–":
                    cell += f" ± {_g(got.get(conf), 2)}"
                cells.append(f"  {cell:>28}")
            lines.append("  " + p["path"].ljust(width) + "".join(cells))
    if wide_warning(doc):
        lines += ["", "warning: " + wide_warning(doc)]
    lines += ["", f"results in {out}/ (table.parquet, table.csv, indices.csv, report.html)"]
    return "\n".join(lines)
