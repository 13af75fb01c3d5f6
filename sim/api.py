"""The Python API: load a scenario, run it, compare runs, write and draw their results.

The command line is a thin layer over these functions, so a notebook gets exactly what
``routesim run`` computes and writes. Nothing here prints, exits, or imports matplotlib or
pandas until a figure or a DataFrame is asked for.
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from sim.analysis.comparison import (
    Arm, check_comparable, comparison_document, default_folder, folder_name, labels_for,
)
from sim.analysis.impact import event_impact
from sim.analysis.metrics_table import MetricsTable, RowsOf, metrics_table
from sim.analysis.summary import Summary
from sim.engine.replications import run_experiment
from sim.engine.simulation import ReplicationResult
from sim.model.errors import UsageError
from sim.model.event_text import event_overrides
from sim.model.loader import load_scenario, scenario_from
from sim.model.overrides import Override, overrides_of
from sim.model.scenario import Scenario
from sim.model.sources import SourceNotes, read_source_notes
from sim.output.figure_data import RESULTS_FORMAT
from sim.output.run_data import read_run
from sim.output.files import COMPARISON, check_out_dir, folder_writer, summary_writer, write_results
from sim.output.containers import containers_frame
from sim.output.run_files import run_files, run_summary

if TYPE_CHECKING:
    import pandas
    from matplotlib.figure import Figure

Progress = Callable[[int, int], None]
# The time-space chart's window: (start day after the warm-up, days), or "START:DAYS" text.
MareyWindow = tuple[float, float] | str | None
Overrides = Mapping[str, Any] | Sequence[str | Override] | None
# Events to add: compact --event texts ("closure:nodes.suez:2020-03-23+6") or [[events]] tables.
Events = Sequence[str | Mapping[str, Any] | Override] | None
MAX_REPLICATIONS = 100_000
MAX_WORKERS = 1024


def load(scenario: str | Path | Scenario, overrides: Overrides = None, events: Events = None) -> Scenario:
    """A validated scenario from a bundled name or a .toml path, with events and overrides applied.

    ``overrides`` maps dotted paths to values, ``{"nodes.dostyk.servers": 8}``, or lists
    ``--set`` texts; ``events`` lists events to add, as ``--event`` texts
    (``"closure:nodes.suez:2020-03-23+6"``) or ``[[events]]`` tables; they are added before
    the overrides apply, so an override may change them.  Errors raise ``ScenarioError``
    with the file (or the option), the key path and the message.  A Scenario passed in is
    returned as it is, or reloaded from its source with the events and overrides.
    """
    new = event_overrides(events) + overrides_of(overrides)
    if isinstance(scenario, Scenario):
        if not new:
            return scenario
        changed = scenario_from(scenario.raw, scenario.source, new, default_name=scenario.settings.name)
        return dataclasses.replace(changed, overrides=(*scenario.overrides, *new))
    return load_scenario(str(scenario), new)


def _count(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{name} must be a whole number between {low} and {high}, got {value!r}")
    return value


@dataclass(frozen=True)
class Run:
    """The replications of one scenario, with everything derived from them.

    ``summary`` (typed; ``to_dict()`` is summary.json), ``metrics`` (the long metrics table
    as a DataFrame), ``containers()``, ``figures()`` and ``write()`` all come from the same
    replications and the same metrics table.
    """

    scenario: Scenario
    results: Sequence[ReplicationResult] = field(repr=False)  # in memory, or read back from disk one at a time
    seed: int
    # What the scenario file's source labels and [tags] stand for, read when the run started.
    source_notes: SourceNotes = field(default_factory=SourceNotes, repr=False)
    # How the flows split (sim.choice.equilibrium); None without [[flows]].
    equilibrium: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Run(scenario={self.scenario.settings.name!r}, replications={self.replications}, seed={self.seed})"

    @property
    def replications(self) -> int:
        return len(self.results)

    @property
    def overrides(self) -> tuple[str, ...]:
        """The ``--set`` texts the scenario was loaded with."""
        return tuple(o.text for o in self.scenario.overrides)

    @cached_property
    def table(self) -> MetricsTable:
        """The metrics table (numpy columns), computed once (each replication's rows by the
        worker that ran it, when there were workers: see RowsOf)."""
        derive = getattr(self.results, "derive", None)
        computed = self.results.derived if isinstance(derive, RowsOf) and derive.scenario is self.scenario else None
        return metrics_table(self.scenario, self.results, computed)

    @cached_property
    def summary(self) -> Summary:
        """The run's summary; ``summary.to_dict()`` is exactly summary.json."""
        flows = None
        if self.equilibrium is not None:
            from sim.choice.equilibrium import flows_record

            flows = flows_record(self.scenario, self.equilibrium)
        return run_summary(self.scenario, self.table, self.seed, self.overrides, flows)

    @property
    def metrics(self) -> "pandas.DataFrame":
        """The metrics table: replication, kind, id, metric, value, unit (one row each)."""
        return self.table.to_frame()

    def containers(self) -> "pandas.DataFrame":
        """Every counted container (created in the measured window), one row each.

        Days are calendar days (0 = the end of the warm-up); ``departed_day`` and
        ``delivered_day`` are NaN for containers that had not left or arrived when the run stopped.
        """
        return containers_frame(self.scenario, self.results)

    def files(self, containers: str = "csv", marey_window: MareyWindow = None) -> dict[str, Callable[[Path], Any]]:
        """Every data file of the run by name (what ``write`` puts in the folder); the
        per-container file as ``containers`` says: csv, parquet or none; the time-space
        chart's data for ``marey_window`` (start day, days; default the first four weeks)."""
        return run_files(
            self.scenario, self.results, lambda: self.table, lambda: self.summary, self.overrides, containers,
            self.source_notes, marey_window,
        )

    def write(
        self, out: str | Path | None = None, *, figures: bool = True, fmt: str = "png", marey: str | None = None,
        containers: str = "csv", marey_window: MareyWindow = None,
    ) -> Path:
        """Write the results folder as ``routesim run`` does, atomically; returns its path.

        ``out`` defaults to results/<scenario name>/. With ``figures=False`` the report keeps
        its tables and no figure is drawn (nor matplotlib imported). ``containers`` is the
        per-container file: csv (containers.csv.gz), parquet (needs pyarrow) or none.
        ``marey_window`` is the time-space chart's (start day after the warm-up, days).
        """
        from sim.output.containers import check_format as check_containers
        from sim.report.draw import check_figure_format, check_marey_route, check_marey_window, draw, load_drawing

        check_containers(containers)
        check_figure_format(fmt)
        check_marey_route(marey, [list(self.scenario.routes)])
        target = Path(out) if out is not None else Path("results") / self.scenario.settings.name
        check_out_dir(target)

        def finish(folder: Path) -> None:
            draw(folder, [read_run(folder)], fmt, marey, figures=figures, marey_window=window)

        window = check_marey_window(marey_window)
        files = self.files(containers, window)
        # While the per-container file is still being compressed: without figures the report,
        # which reads only the small files; with them, loading matplotlib for the figures.
        if not figures:
            return write_results(target, files, None, kind="run", results_format=RESULTS_FORMAT, early=finish)
        return write_results(target, files, finish, kind="run", results_format=RESULTS_FORMAT,
                             early=lambda _folder: load_drawing())

    def figures(self, marey: str | None = None, marey_window: MareyWindow = None) -> dict[str, "Figure"]:
        """Every figure of the run by name, as matplotlib Figures; nothing saved or shown.

        Drawn from the same data files ``write`` saves (written to a temporary folder and
        read back), so they are the figures ``routesim plot`` would draw.
        """
        from sim.report.draw import check_marey_route, check_marey_window
        from sim.viz.figures import figure_builders

        check_marey_route(marey, [list(self.scenario.routes)])
        window = check_marey_window(marey_window)
        with tempfile.TemporaryDirectory(prefix="routesim-figures-") as tmp:
            folder = Path(tmp)
            for name, write in self.files(marey_window=window).items():
                write(folder / name)
            runs = [read_run(folder)]
            return {name: build() for name, build in figure_builders(runs, marey, window).items()}


def run(
    scenario: str | Path | Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Overrides = None,
    progress: Progress | None = None,
    spill: bool | None = None,
    events: Events = None,
    impact: bool = True,
) -> Run:
    """Run a scenario's replications (default: its ``run.replications`` and ``run.seed``).

    Replication i of seed s draws the same numbers whatever ``workers`` is, so the results
    are identical serial or parallel.  ``events`` adds events as ``load`` does.  Finished
    replications stay in memory unless holding them all would crowd it (or ``spill=True``):
    then they wait in a temporary folder, read back one at a time, with the same results.

    A scenario with events also runs each replication without them (same seed, same
    worker), so each event's impact (summary ``events.<id>``) is exact container by
    container; that doubles the simulation.  ``impact=False`` skips it (no event metrics).
    """
    scn = load(scenario, overrides, events)
    settings = scn.settings
    reps = _count("replications", settings.replications if replications is None else replications, 1, MAX_REPLICATIONS)
    seed = settings.seed if seed is None else _count("seed", seed, 0, 2**63 - 1)
    workers = _count("workers", workers, 1, MAX_WORKERS)
    return _execute(scn, reps, seed, workers, progress, spill, impact)


def _execute(scn: Scenario, reps: int, seed: int, workers: int, progress: Progress | None, spill: bool | None,
             impact: bool, baseline: Run | None = None) -> Run:
    """The run of a loaded scenario; ``baseline``: a run of the same scenario without its
    events (same seed and replications) to measure their impact against instead of rerunning it."""
    notes = read_source_notes(scn.source) if scn.source else SourceNotes()
    if scn.flows:
        return _equilibrium(scn, reps, seed, workers, progress, spill, impact, notes)
    measure = functools.partial(event_impact, scn) if impact and scn.events else None
    results = run_experiment(scn, reps, seed, workers=workers, progress=progress, spill=spill, impact=measure,
                             baseline=None if baseline is None else baseline.results, derive=RowsOf(scn))
    return Run(scn, results, seed, notes)


def simulations(scenario: Scenario) -> int:
    """How many times a run simulates its replications at most (sim.choice.equilibrium)."""
    from sim.choice.equilibrium import simulations as most

    return most(scenario)


def _equilibrium(scn: Scenario, reps: int, seed: int, workers: int, progress: Progress | None, spill: bool | None,
                 impact: bool, notes: SourceNotes) -> Run:
    """A run whose flows split by the equilibrium (sim.choice.equilibrium.run_equilibrium)."""
    from sim.choice.equilibrium import run_equilibrium

    final, results, eq = run_equilibrium(scn, reps, seed, workers, progress, spill, impact)
    return Run(final, results, seed, notes, equilibrium=eq)


def measures_impact(scenario: Scenario, impact: bool = True) -> bool:
    """True when ``run`` would also run the scenario without its events (to measure their impact)."""
    return impact and bool(scenario.events)


@dataclass(frozen=True)
class Comparison:
    """Several runs with the same seed (common random numbers) and their paired differences
    against the first, the baseline; ``document`` is comparison.json."""

    runs: tuple[Run, ...]
    labels: tuple[str, ...]
    inputs: tuple[str, ...]  # the scenarios as given (bundled names or files)
    vary: tuple[str, ...] = ()  # the overrides of the variant of the first scenario, if any

    def __repr__(self) -> str:
        return f"Comparison(baseline={self.labels[0]!r}, scenarios={list(self.labels[1:])!r}, replications={self.runs[0].replications})"

    @cached_property
    def document(self) -> dict[str, Any]:
        from sim import __version__

        base = self.runs[0]
        arms = [Arm(label, r.scenario, r.table) for label, r in zip(self.labels, self.runs)]
        doc = comparison_document(
            arms, [r.summary for r in self.runs], self.folders, self.inputs, base.seed, base.overrides,
        )
        doc["vary"] = list(self.vary)
        doc["routesim_version"] = __version__
        doc["results_format"] = RESULTS_FORMAT
        return doc

    @property
    def folders(self) -> list[str]:
        """The sub-folder of each scenario's results inside the comparison folder."""
        return [folder_name(i, label) for i, label in enumerate(self.labels)]

    @property
    def differences(self) -> "pandas.DataFrame":
        """The paired differences, one row per scenario, route, node, shared fleet or event, and metric."""
        import pandas as pd

        rows = [{"kind": "route", "id": r["route"], **{k: v for k, v in r.items() if k != "route"}}
                for r in self.document["differences"]]
        rows += [{"kind": "node", "id": r["node"], **{k: v for k, v in r.items() if k != "node"}}
                 for r in self.document["node_differences"]]
        for kind in ("service", "event"):
            rows += [{"kind": kind, "id": r[kind], **{k: v for k, v in r.items() if k != kind}}
                     for r in self.document.get(f"{kind}_differences", [])]
        frame = pd.DataFrame(rows)
        if "ci95" in frame:
            frame["ci95_low"] = [c[0] for c in frame["ci95"]]
            frame["ci95_high"] = [c[1] for c in frame["ci95"]]
            frame = frame.drop(columns="ci95")
        return frame

    def default_out(self) -> Path:
        """results/compare_<A>_vs_<B>/, in characters any file system and browser take."""
        return default_folder(self.labels)

    def write(
        self, out: str | Path | None = None, *, figures: bool = True, fmt: str = "png", marey: str | None = None,
        containers: str = "csv", marey_window: MareyWindow = None,
    ) -> Path:
        """Write the comparison folder as ``routesim compare`` does, atomically."""
        from sim.output.containers import check_format as check_containers
        from sim.report.draw import check_figure_format, check_marey_route, check_marey_window, draw, load_drawing

        check_containers(containers)
        check_figure_format(fmt)
        check_marey_route(marey, [list(r.scenario.routes) for r in self.runs])
        target = Path(out) if out is not None else self.default_out()
        check_out_dir(target)
        window = check_marey_window(marey_window)
        writers = {folder: folder_writer(r.files(containers, window)) for folder, r in zip(self.folders, self.runs)}
        writers[COMPARISON] = summary_writer(self.document)

        def finish(folder: Path) -> None:
            runs = [read_run(folder / name, label) for name, label in zip(self.folders, self.labels)]
            draw(folder, runs, fmt, marey, self.document, figures=figures, marey_window=window)

        return write_results(target, writers, finish, kind="comparison", results_format=RESULTS_FORMAT,
                             early=(lambda _folder: load_drawing()) if figures else None)


def compare(
    *scenarios: str | Path | Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Overrides = None,
    vary: Overrides = None,
    progress: Progress | None = None,
    events: Events = None,
    vary_events: Events = None,
    impact: bool = True,
) -> Comparison:
    """Run every scenario with the same seed and compare each with the first.

    Random numbers are keyed by what draws them, so scenarios share them wherever they share
    routes, legs and nodes (common random numbers): the differences are the scenarios'
    doing, not noise. ``overrides`` apply to every scenario; ``vary`` compares the first
    scenario with itself changed by those overrides (the everyday what-if); ``events`` are
    added to every scenario, as ``load`` adds them; ``vary_events`` (compact texts or tables)
    are added to that variant (with ``vary``, if any): the first scenario with and without
    them, paired.  ``impact`` as in ``run``.
    """
    if not scenarios:
        raise UsageError("compare needs at least one scenario (two, or one with vary)")
    loaded = [load(s, overrides, events) for s in scenarios]
    inputs = [s.source if isinstance(s, Scenario) else str(s) for s in scenarios]
    varied: tuple[str, ...] = ()
    names = list(inputs)
    extra = event_overrides(vary_events, "vary_events")
    if vary or extra:
        variant = load(loaded[0], overrides_of(vary) + extra)
        varied = tuple(o.text for o in variant.overrides[len(loaded[0].overrides):])
        loaded.append(variant)
        names.append(inputs[0] + "".join(f" --vary {v}" for v in varied))
    check_comparable(loaded, names)
    base = loaded[0].settings
    reps = _count("replications", base.replications if replications is None else replications, 1, MAX_REPLICATIONS)
    seed = base.seed if seed is None else _count("seed", seed, 0, 2**63 - 1)
    workers = _count("workers", workers, 1, MAX_WORKERS)
    runs: list[Run] = []
    for i, s in enumerate(loaded):
        # A variant that only adds events to an event-free first scenario: its run without
        # events is that scenario's, already run with the same seed; measure against it.
        twin = runs[0] if (i > 0 and i == len(loaded) - 1 and extra and not vary and not loaded[0].events) else None
        runs.append(_execute(s, reps, seed, workers, progress, None, impact, twin))
    return Comparison(tuple(runs), tuple(labels_for(loaded)), tuple(inputs), varied)


# ---------------------------------------------------------------------------------------
# Validation against a claims file


@dataclass(frozen=True)
class Validation:
    """The claims of a claims file judged on fresh runs of its scenarios (same seed).

    ``report`` is validation.json; ``passed`` is True only if every claim passes.
    """

    runs: Any = field(repr=False)  # sim.analysis.validation.Runs: the claims file and each scenario's runs
    outcomes: tuple[Any, ...] = field(repr=False)
    report: dict[str, Any]

    @property
    def passed(self) -> bool:
        return bool(self.report["passed"])

    def write(self, out: str | Path | None = None, *, figure: bool = True) -> Path:
        """Write validation.json (and validation.png unless ``figure`` is False), atomically."""
        from sim.output.files import VALIDATION
        from sim.viz.validation_figure import validation_png_writer

        target = Path(out) if out is not None else Path("results") / "validation"
        check_out_dir(target)
        writers: dict[str, Callable[[Path], None]] = {VALIDATION: summary_writer(self.report)}
        if figure:
            writers["validation.png"] = validation_png_writer(self.report)
        return write_results(target, writers, kind="validation", results_format=RESULTS_FORMAT)


# The bundled scenario whose flows choose among door-to-door options: routesim options' default.
DEFAULT_OPTIONS_SCENARIO = "china_europe_shippers_2020"


def validate(
    claims: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Overrides = None,
    progress: Progress | None = None,
) -> Validation:
    """Run a claims file's scenarios with one seed and judge each of its claims.

    ``claims`` is a claims file (default: the bundled china_europe.claims.toml); its
    ``current`` and ``previous`` scenarios run with the same seed (default: the current
    scenario's ``run.seed``) and ``overrides`` apply to both.  A malformed claims file, or a
    group naming a route or node a scenario lacks, raises ScenarioError before anything runs.
    """
    from sim.analysis.validation import Arm as ClaimArm, Runs, validate as judge, validation_report
    from sim.model.claims import check_against, load_claims, scenario_ref
    from sim.model.documents import claims_path

    parsed = load_claims(claims_path(claims))
    scenarios = {role: load(scenario_ref(parsed, role), overrides) for role in parsed.scenarios}
    for role, scn in scenarios.items():
        check_against(parsed, scn, role)
    current = scenarios["current"]
    reps = _count("replications", current.settings.replications if replications is None else replications,
                  1, MAX_REPLICATIONS)
    seed = current.settings.seed if seed is None else _count("seed", seed, 0, 2**63 - 1)
    arms = {role: ClaimArm.of(scn, run(scn, reps, seed, workers, progress=progress).results)
            for role, scn in scenarios.items()}
    runs = Runs(parsed, arms["current"], arms.get("previous"))
    outcomes = judge(runs)
    texts = [o.text for o in current.overrides]
    return Validation(runs, tuple(outcomes), validation_report(runs, outcomes, seed, texts))


def options(
    origin: str,
    destination: str,
    scenario: str | Path | Scenario | Run,
    *,
    cargo_class: str | None = None,
    value_usd_per_kg: float | None = None,
    tonnes_per_teu: float | None = None,
    time_cost_per_day: float | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Overrides = None,
    progress: Progress | None = None,
):
    """Every door-to-door option from ``origin`` to ``destination``: times from a run of the
    scenario (or the Run given), money cost and CO2e per TEU of the cargo, its generalised
    cost and logit share when the cargo has a value, and the cargo values at which each
    option is the cheapest (sim.choice.options).  Bad nodes or cargo raise before the run."""
    from sim.choice.options import cargo_for, door_to_door, option_routes

    done = scenario if isinstance(scenario, Run) else None
    scn = done.scenario if done is not None else load(scenario, overrides)
    option_routes(scn, origin, destination)  # unknown nodes or no route: say so before running
    cargo = cargo_for(scn, cargo_class, value_usd_per_kg, tonnes_per_teu, time_cost_per_day)
    if done is None:
        done = run(scn, replications, seed, workers, progress=progress)
    return door_to_door(done.scenario, done.table, origin, destination, cargo)
