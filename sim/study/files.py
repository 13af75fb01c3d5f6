"""A sweep's folder: the tidy table (Parquet and CSV), the design, the indices, sweep.json,
a sweep file that reruns it, figures and report.html, written whole or not at all
(sim.output.folder).  Nothing in it depends on timing or on the executor, so the same sweep
writes the same bytes.  ``read_finished`` reads a finished folder back for ``--resume``.
"""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from sim import __version__
from sim.analysis.metrics import REGISTRY
from sim.model.errors import SWEEP_EXTRA, UsageError
from sim.model.text import counted
from sim.output.files import summary_writer, write_csv
from sim.output.folder import Writer, changed_files, read_manifest, write_results

if TYPE_CHECKING:
    from sim.study.sweeps import Sweep

SWEEP_FORMAT = 1  # bump when a file of the sweep folder changes meaning
TABLE_PARQUET = "table.parquet"
TABLE_CSV = "table.csv"
DESIGN = "design.csv"
INDICES = "indices.csv"
DOCUMENT = "sweep.json"
SWEEP_FILE = "sweep.toml"
REPORT = "report.html"
FIGURE_TITLES = {
    "indices": "Sensitivity indices", "scatter": "Each metric against each parameter", "heatmap": "Heat map over the grid",
}


def sweep_document(sweep: "Sweep") -> dict[str, Any]:
    """sweep.json: what was swept, how, what each metric ranged over, and the indices."""
    spec, p = sweep.spec, sweep.plan
    metrics = []
    for m in p.metrics:
        y = sweep.point_values[m.path]
        finite = y[[math.isfinite(v) for v in y]] if y.size else y
        metrics.append({
            "path": m.path, "unit": m.unit, "meaning": REGISTRY[(m.kind, m.name)].meaning,
            "pooled": m.pooled, "lowest": float(finite.min()) if finite.size else None,
            "mean": float(finite.mean()) if finite.size else None,
            "highest": float(finite.max()) if finite.size else None, "missing": int(y.size - finite.size),
        })
    indices: dict[str, dict[str, dict[str, float | None]]] = {}
    for x in sweep.indices:
        row = indices.setdefault(x.metric, {}).setdefault(x.parameter, {})
        row[x.name] = _num(x.value)
        if math.isfinite(x.conf):
            row[f"{x.name}_conf"] = _num(x.conf)
    return {
        "routesim": __version__, "format": SWEEP_FORMAT, "scenario": p.scenario.settings.name, "source": spec.scenario,
        "design": spec.design, "samples": None if spec.design == "grid" else spec.sample_count,
        "points": len(p.tasks), "distinct_points": len(p.distinct()), "replications": p.replications,
        "seed": spec.seed, "seeds": spec.seeds, "second_order": spec.second_order,
        "levels": spec.morris_levels if spec.design == "morris" else None, "impact": spec.impact,
        "fixed": list(spec.overrides),
        "parameters": [{"path": q.path, "text": q.text, **q.record()} for q in spec.parameters],
        "metrics": metrics, "indices": indices,
        "saturated_points": {str(i): routes for i, routes in sweep.saturated.items()},
    }


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def sweep_file_text(sweep: "Sweep") -> str:
    """A sweep file that runs the same sweep again (``routesim sweep sweep.toml``)."""
    spec = sweep.spec
    doc: dict[str, Any] = {"scenario": str(Path(spec.scenario).resolve()) if spec.scenario.endswith(".toml")
                           else spec.scenario, "design": spec.design}
    if spec.design != "grid":
        doc["samples"] = spec.sample_count
    doc.update({"replications": sweep.plan.replications, "seed": spec.seed, "seeds": spec.seeds,
                "metrics": [m.path for m in sweep.plan.metrics]})
    if spec.design == "sobol":
        doc["second_order"] = spec.second_order
    if spec.design == "morris":
        doc["levels"] = spec.morris_levels
    if spec.impact:
        doc["impact"] = True
    if spec.overrides:
        doc["set"] = list(spec.overrides)
    doc["parameters"] = {q.path: q.record() for q in spec.parameters}
    return f"# routesim {__version__} sweep; run it again with: routesim sweep sweep.toml\n\n" + tomli_w.dumps(doc)


def reproduce_command(sweep: "Sweep") -> str:
    """The command line that runs this sweep again."""
    spec = sweep.spec
    words = ["routesim", "sweep", spec.scenario]
    for q in spec.parameters:
        words += ["--param", q.text.split(" ", 1)[1] if q.text.startswith("--param ") else
                  f"{q.path}={json.dumps(q.record())}"]
    words += ["--design", spec.design]
    if spec.design != "grid":
        words += ["--samples", str(spec.sample_count)]
    words += ["-n", str(sweep.plan.replications), "--seed", str(spec.seed),
              "--metrics", ",".join(spec.metrics)]  # as given: a pattern stays one
    for text in spec.overrides:
        words += ["--set", text]
    if spec.seeds != "common":
        words.append("--independent-seeds")
    if spec.second_order:
        words.append("--second-order")
    if spec.design == "morris" and spec.morris_levels != 4:
        words += ["--levels", str(spec.morris_levels)]
    return " ".join(shlex.quote(w) for w in words)


def _table_writers(sweep: "Sweep") -> dict[str, Writer]:
    frame = sweep.table
    params = [q.path for q in sweep.spec.parameters]

    def parquet(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")

    def csv(path: Path) -> None:
        columns = ["point", *params, "replication", "metric", "value"]
        data = [frame[c].tolist() if c != "metric" else frame[c].astype(str).tolist() for c in columns]
        write_csv(path, columns, zip(*data))

    def design(path: Path) -> None:
        columns = ["point", *params, "seed", "key", "saturated"]
        rows = [(i, *values, t.seed, t.key, ";".join(sweep.saturated.get(i, [])))
                for i, (values, t) in enumerate(zip(sweep.plan.design.values, sweep.plan.tasks))]
        write_csv(path, columns, rows)

    def indices(path: Path) -> None:
        write_csv(path, ["metric", "parameter", "index", "value", "conf"],
                  [(x.metric, x.parameter, x.name, x.value, x.conf) for x in sweep.indices])

    return {TABLE_PARQUET: parquet, TABLE_CSV: csv, DESIGN: design, INDICES: indices}


def figure_data(sweep: "Sweep"):
    """The plain data the sweep's figures draw (sim.viz.sweep.SweepData)."""
    from sim.viz.sweep import SweepData

    spec, p = sweep.spec, sweep.plan
    params = tuple(q.path for q in spec.parameters)
    return SweepData(
        title=f"{p.scenario.settings.name}: {spec.design} sweep of {len(params)} parameter"
              f"{'s' if len(params) != 1 else ''}, {len(p.tasks)} points x {counted(p.replications, 'replication')}",
        design=spec.design, parameters=params, metrics=tuple((m.path, m.unit) for m in p.metrics),
        values={q: [v[j] for v in p.design.values] for j, q in enumerate(params)},
        means=sweep.point_values,
        indices=tuple((x.metric, x.parameter, x.name, x.value, x.conf) for x in sweep.indices),
    )


def require_parquet() -> None:
    """table.parquet needs pyarrow: say so before a sweep runs, not after."""
    try:
        import pyarrow  # noqa: F401  (installed?)
    except ImportError:
        raise UsageError(f"a sweep's folder holds table.parquet, which needs pyarrow: {SWEEP_EXTRA}") from None


def write_sweep(sweep: "Sweep", out: Path, figures: bool = True) -> Path:
    """Write the sweep folder at ``out`` atomically (replacing an earlier routesim folder)."""
    require_parquet()
    doc = sweep_document(sweep)
    writers = _table_writers(sweep)
    writers[DOCUMENT] = summary_writer(doc)
    writers[SWEEP_FILE] = lambda path: path.write_text(sweep_file_text(sweep), encoding="utf-8")

    def finish(folder: Path) -> None:
        drawn = []
        if figures:
            from sim.viz.save import png_bytes, save
            from sim.viz.sweep import sweep_figures

            for name, build in sweep_figures(figure_data(sweep)).items():
                fig = build()
                save(fig, folder / f"{name}.png")
                drawn.append((FIGURE_TITLES[name], f"{name}.png", png_bytes(fig, dpi=60)))
        from sim.report.sweep import sweep_html

        (folder / REPORT).write_text(sweep_html(doc, drawn, reproduce_command(sweep)), encoding="utf-8")

    return write_results(out, writers, finish, kind="sweep", results_format=SWEEP_FORMAT)


def read_finished(out: Path) -> dict[str, dict[str, Any]]:
    """The points of a finished sweep folder at ``out``, by key, as run_task returns them
    (empty if ``out`` is not a sweep folder this version wrote, or it does not read back)."""
    manifest = read_manifest(out)
    if manifest is None or manifest.get("kind") != "sweep" or manifest.get("routesim_version") != __version__:
        return {}
    if any(changed_files(out, manifest)):  # edited or missing files: nothing in it is trusted
        return {}
    try:
        import pandas as pd

        design = pd.read_csv(out / DESIGN, usecols=["point", "key", "saturated"], keep_default_na=False)
        table = pd.read_parquet(out / TABLE_PARQUET, columns=["point", "replication", "metric", "value"])
    except Exception:  # noqa: BLE001  (a damaged folder is simply not reused: its points run again)
        return {}
    keys = dict(zip(design["point"].tolist(), design["key"].astype(str).tolist()))
    saturated = {k: [r for r in str(s).split(";") if r] for k, s in zip(design["key"].astype(str), design["saturated"])}
    out_: dict[str, dict[str, Any]] = {}
    for (point, metric), part in table.groupby(["point", "metric"], observed=True, sort=False):
        key = keys.get(int(point))
        if key is None:
            continue
        entry = out_.setdefault(key, {"key": key, "values": {}, "saturated": saturated.get(key, [])})
        entry["values"][str(metric)] = [[int(r), float(v)] for r, v in zip(part["replication"], part["value"])]
    return out_
