"""A sweep from start to end: plan (every point checked), run (any executor), table, indices.

``plan`` loads the scenario once, resolves the metric paths, draws the design and builds and
validates every point's scenario before anything runs.  ``execute`` runs the points not
already finished (kept in a PointStore as each one finishes), and ``Sweep`` holds the result:
the tidy table of point x metric x replication, the design and the sensitivity indices.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import tomli_w

from sim.analysis.metric_paths import MetricPath, resolve
from sim.model.errors import ScenarioError, UsageError
from sim.model.loader import scenario_from
from sim.model.documents import read_document, resolve_path
from sim.model.overrides import Override, parse_override, toml_value
from sim.model.scenario import Scenario
from sim.model.text import counted
from sim.study.design import Design, make_design, point_seed
from sim.study.indices import Index, indices
from sim.study.points import Task
from sim.study.spec import Parameter, SweepSpec, check_spec, point_count
from sim.study.store import PointStore

if TYPE_CHECKING:
    import pandas

Progress = Callable[[int, int], None]
MAX_REPLICATIONS = 10_000


@dataclass(frozen=True)
class Plan:
    """Everything decided before the first point runs."""

    spec: SweepSpec
    scenario: Scenario  # the base scenario with the fixed --set changes
    metrics: tuple[MetricPath, ...]
    design: Design
    tasks: tuple[Task, ...]  # one per point, in design order
    replications: int

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tasks)

    def distinct(self) -> list[Task]:
        """The tasks to run: identical points (same key) once, in first-seen order."""
        seen: dict[str, Task] = {}
        for t in self.tasks:
            seen.setdefault(t.key, t)
        return list(seen.values())


def plan(spec: SweepSpec) -> Plan:
    """Check the spec, the scenario, the metrics and every point; nothing runs."""
    check_spec(spec)
    path = resolve_path(spec.scenario).resolve()
    raw = read_document(path)
    fixed = [parse_override(t) for t in spec.overrides]
    base = scenario_from(raw, str(path), fixed, default_name=path.stem)
    reps = spec.replications if spec.replications is not None else base.settings.replications
    if not 1 <= reps <= MAX_REPLICATIONS:
        raise UsageError(f"-n: replications must be between 1 and {MAX_REPLICATIONS}, got {reps}")
    metrics = tuple(resolve(spec.metrics, base, impact=spec.impact))
    for q in spec.parameters:  # each path alone first: a typo is named as such, not as a bad point
        _check_parameter(raw, str(path), fixed, q, path.stem)
    design = make_design(spec)
    # Workers need no files: the document travels whole, without the claims file it names
    # (claims are for `validate`, not for a point's metrics).
    document_raw = {**raw, "run": {k: v for k, v in raw.get("run", {}).items() if k != "claims"}}
    document = tomli_w.dumps(document_raw)
    rows = tuple((m.path, m.kind, m.entity, m.name) for m in metrics)
    tasks = []
    checked: set[tuple[str, ...]] = set()
    for i, values in enumerate(design.values):
        point = [_point_override(p.path, v) for p, v in zip(spec.parameters, values)]
        texts = tuple(spec.overrides) + tuple(o.text for o in point)
        if texts not in checked:
            _check_point(raw, str(path), fixed + point, i, path.stem)
            checked.add(texts)
        seed = spec.seed if spec.seeds == "common" else point_seed(spec.seed, i)
        tasks.append(Task(document, str(path), path.stem, texts, seed, reps, rows, spec.impact))
    return Plan(spec, base, metrics, design, tuple(tasks), reps)


def _point_override(path: str, value: Any) -> Override:
    keys = tuple(path.split("."))
    return Override(keys, value, f"{path}={toml_value(value)}", flag="--param")


def _check_parameter(raw: dict, source: str, fixed: list[Override], q: Parameter, name: str) -> None:
    """The parameter's path at its first value: an unknown key or id fails here."""
    first = q.from_unit(np.asarray([0.5]))[0] if q.kind == "dist" else q.grid()[0] if (
        q.values or q.step is not None or q.integer) else q.low
    try:
        scenario_from(raw, source, fixed + [_point_override(q.path, first)], default_name=name)
    except ScenarioError as exc:
        if exc.key == q.path or not exc.key.startswith(q.path):  # the path itself, not its value
            if "unknown" in exc.message:
                raise UsageError(f"{q.text.split(' = ')[0]}: {exc.message}") from None


def _check_point(raw: dict, source: str, overrides: list[Override], index: int, name: str) -> None:
    try:
        scenario_from(raw, source, overrides, default_name=name)
    except ScenarioError as exc:
        raise UsageError(f"point {index} of the design: {exc}") from None


@dataclass(frozen=True)
class Sweep:
    """A finished sweep: its plan and each distinct point's metric values."""

    plan: Plan
    results: dict[str, dict[str, Any]] = field(repr=False)  # by task key
    seconds: float = 0.0  # wall time of the points run now (not in any file: files are reproducible)
    ran: int = 0  # points run now (the others came from a stored result)

    def __repr__(self) -> str:
        s = self.plan.spec
        return f"Sweep(scenario={self.plan.scenario.settings.name!r}, design={s.design!r}, points={len(self.plan.tasks)})"

    @property
    def spec(self) -> SweepSpec:
        return self.plan.spec

    @cached_property
    def point_values(self) -> dict[str, np.ndarray]:
        """Each metric's mean over replications at each point, in design order."""
        out = {}
        for m in self.plan.metrics:
            rows = [self.results[k]["values"][m.path] for k in self.plan.keys]
            out[m.path] = np.asarray([np.mean([v for _, v in r]) if r else np.nan for r in rows], dtype=np.float64)
        return out

    @cached_property
    def saturated(self) -> dict[int, list[str]]:
        """{point: the routes saturated there} for the points where any is (design order)."""
        out = {}
        for i, key in enumerate(self.plan.keys):
            routes = self.results[key].get("saturated") or []
            if routes:
                out[i] = list(routes)
        return out

    @cached_property
    def indices(self) -> list[Index]:
        """Every sensitivity index of every metric (sim.study.indices)."""
        out: list[Index] = []
        for m in self.plan.metrics:
            out += indices(self.plan.design, m.path, self.point_values[m.path], self.spec.seed, self.spec.second_order)
        return out

    @cached_property
    def table(self) -> "pandas.DataFrame":
        """One row per point x metric x replication: point, the parameters, replication, metric, value.

        A pooled metric (e.g. transit_days.p95) has one row per point, at replication -1.
        """
        import pandas as pd

        params = [p.path for p in self.spec.parameters]
        points, reps, names, values = [], [], [], []
        for i, key in enumerate(self.plan.keys):
            stored = self.results[key]["values"]
            for m in self.plan.metrics:
                for r, v in stored[m.path]:
                    points.append(i)
                    reps.append(r)
                    names.append(m.path)
                    values.append(v)
        frame = {"point": np.asarray(points, dtype=np.int64)}
        point_index = frame["point"]
        for j, p in enumerate(params):
            column = [self.plan.design.values[i][j] for i in range(len(self.plan.tasks))]
            frame[p] = _column(column)[point_index]
        frame["replication"] = np.asarray(reps, dtype=np.int64)
        frame["metric"] = pd.Categorical(names, categories=[m.path for m in self.plan.metrics])
        frame["value"] = np.asarray(values, dtype=np.float64)
        return pd.DataFrame(frame)

    def indices_frame(self) -> "pandas.DataFrame":
        """The indices as a table: metric, parameter, index, value, conf (95% half-width)."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(x) for x in self.indices]).rename(columns={"name": "index"})

    def write(self, out: str | Path | None = None, *, figures: bool = True) -> Path:
        """Write the sweep's folder (table, design, indices, figures, report) atomically."""
        from sim.study.files import write_sweep

        target = Path(out) if out is not None else default_out(self.plan)
        return write_sweep(self, target, figures=figures)


def _column(values: list[Any]) -> np.ndarray:
    """A parameter's values as a numpy column: numbers as numbers, anything else as text."""
    if all(isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.asarray([v if isinstance(v, str) else toml_value(v) for v in values], dtype=object)


def default_out(p: Plan) -> Path:
    """results/<scenario>-sweep-<design>/."""
    return Path("results") / f"{p.scenario.settings.name}-sweep-{p.spec.design}"


def execute(p: Plan, store: PointStore | None = None, executor: str = "serial", workers: int = 1,
            scheduler: str | None = None, progress: Progress | None = None,
            stored: dict[str, dict[str, Any]] | None = None) -> Sweep:
    """Run the plan's points that ``stored`` (finished before) lacks; keep each in ``store``
    as it finishes; return the whole sweep.  Interrupted, the finished points stay in the store."""
    from sim.study.executors import run_tasks

    wanted = {m.path for m in p.metrics}
    distinct = p.distinct()
    keys = {t.key for t in distinct}
    results = {k: r for k, r in (stored or {}).items() if k in keys and set(r["values"]) == wanted}
    todo = [t for t in distinct if t.key not in results]
    if progress is not None:
        progress(len(results), len(distinct))

    def done(result: dict[str, Any]) -> None:
        results[result["key"]] = result
        if store is not None:
            store.save(result)
        if progress is not None:
            progress(len(results), len(distinct))

    started = time.perf_counter()
    run_tasks(todo, done, executor, workers, scheduler)
    return Sweep(p, results, time.perf_counter() - started, len(todo))


def points_note(p: Plan) -> str:
    """'64 points (48 distinct) x 3 replications of china_europe_2020'."""
    n, distinct = point_count(p.spec), len(p.distinct())
    extra = f" ({distinct} distinct)" if distinct != n else ""
    return f"{n} points{extra} x {counted(p.replications, 'replication')} of {p.scenario.settings.name}"


__all__ = ["Plan", "Sweep", "default_out", "execute", "plan", "points_note"]
