"""Figures and report.html of a results folder, drawn from the files in it.

Used by ``run`` and ``compare`` on their temporary folder before it is swapped in, and by
``plot`` to re-draw an existing folder without running anything again.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from sim.model.errors import UsageError, kind_of
from sim.output.background import CAN_FORK, long_lived_frozen, start
from sim.viz.save import FORMATS
from sim.output.run_data import RunData, check_format, read_document, read_run
from sim.output.files import COMPARISON, REPORT, VALIDATION
from sim.output.folder import (
    MANIFEST, changed_files, folder_lock, os_reason, read_manifest, remove_leftovers, update_manifest,
)
from sim.model.suggest import unknown_key_message
from sim.analysis.series import MAREY_DAYS


# (title, caption) of each figure in the report, by file stem; Marey charts by prefix.
CAPTIONS = {
    "transit_ecdf": (
        "Transit time distributions",
        "Share of containers delivered within x days, one panel per origin–destination market "
        "(at most six routes each; with flows, one per origin–destination pair), over all "
        "replications; mean and median marked.",
    ),
    "transit_times": (
        "Transit time per route",
        "Distribution of transit days per route, grouped by market: violin of all containers, "
        "box from the 25th to the 75th percentile, whiskers 5th–95th, the mean a diamond.",
    ),
    "throughput": (
        "Throughput over time",
        "Delivered per week (solid) against demand per week (dashed), a rolling four-week mean "
        "for services leaving weekly or less often: where the solid line stays below the dashed "
        "one, a backlog builds up.",
    ),
    "bottlenecks": (
        "Bottlenecks",
        "The nodes where vehicles queue (threshold in the title): vehicles queueing per day with "
        "the wait it means, and utilization, daily means over replications; dated events shaded.",
    ),
    "marey": (
        "Time–space chart",
        "The vehicles of one route that left in {window} (replication 1), drawn whole: sloped lines "
        "are travel, flat segments are dwell at a node; beyond 30, a few highlighted over the rest in grey.",
    ),
    "events": (
        "Events",
        "Per node an event changes, vehicles queueing there per day (waiting for a server or "
        "held by a closure, background traffic included); per affected route, containers "
        "waiting at its origin per day and the mean transit of containers by the day they "
        "departed. Means over replications; each event's span shaded and labelled with its "
        "name and dates (data: event_days.csv).",
    ),
    "route_map": (
        "Route map",
        "Per scenario a large panel of the overland corridors (rail, road, Caspian ferries; every node named) "
        "and a small one of the sea and air routes; colour by corridor, line width by TEU carried per year.",
    ),
    "flow_options": (
        "Options of each flow",
        "Per origin–destination flow, each door-to-door option at its mean door-to-door days "
        "(95% CI over replications) and money cost per TEU; marker area by kg CO2e per TEU; "
        "labelled with the share of the flow's containers that chose it (equilibrium of the "
        "choice rule and the simulated times). Hollow: not chosen, drawn at the time expected.",
    ),
    "flow_breakeven": (
        "Which option as the cargo's value rises",
        "Per origin–destination pair, the logit share of each option against the cargo's value "
        "(US$/kg), at the simulated times and the costs of the pair's largest flow: generalised "
        "cost = cost + carbon + value x tonnes/TEU x time cost/day x (mean days + buffer). "
        "Dotted: the values of the pair's flows.",
    ),
    "flow_co2": (
        "CO2e of a TEU by option",
        "Well-to-wheel kg CO2e per TEU of each option (the [emissions] intensities x tonnes x "
        "km, leg by leg), at the tonnes per TEU of the pair's largest flow.",
    ),
}


BAND_FIGURES = ("transit_ecdf", "transit_times")


def caption(stem: str, band_label: str | None = None,
            marey_window: tuple[float, float] | None = None) -> tuple[str, str]:
    """Report title and caption of a figure file stem; the transit figures name the claim
    band of the scenario's claims file when there is one, the time-space chart its window."""
    if stem in CAPTIONS:
        title, text = CAPTIONS[stem]
        if band_label and stem in BAND_FIGURES:
            text += f" Shaded: {band_label} (from the scenario's claims file)."
        return title, text
    if stem.startswith("marey_"):
        title, text = CAPTIONS["marey"]
        start, days = marey_window if marey_window is not None else (0.0, MAREY_DAYS)
        window = "the first four weeks after the warm-up" if marey_window is None else (
            f"days {start:g}–{start + days:g} after the warm-up")
        return f"{title}: {stem[len('marey_'):]}", text.format(window=window)
    return stem.replace("_", " "), ""


def check_figure_format(fmt: str) -> None:
    """Refuse an unknown figure format before anything runs."""
    if fmt not in FORMATS:
        raise UsageError(f"figure format {fmt!r}: " + unknown_key_message(fmt, FORMATS, what="format"))


def check_marey_window(window: "tuple[float, float] | str | None", flag: str = "--marey-window",
                       ) -> tuple[float, float] | None:
    """The time-space chart's window as (start day, days): from "START:DAYS" text or a pair;
    refused in one line unless START is a finite day and DAYS a positive number of days."""
    if window is None:
        return None
    if isinstance(window, str):
        start, colon, days = window.partition(":")
        try:
            pair = (float(start), float(days)) if colon else None
        except ValueError:
            pair = None
        if pair is None:
            raise UsageError(f"{flag} {window}: expected START:DAYS, e.g. 60:28 (days after the warm-up)")
    else:
        try:
            pair = (float(window[0]), float(window[1]))
        except (TypeError, ValueError, IndexError):
            raise UsageError(f"{flag}: expected (start day, days), got {window!r}") from None
    start, days = pair
    if not (math.isfinite(start) and math.isfinite(days)) or days <= 0 or days > MAX_MAREY_DAYS or start < 0:
        raise UsageError(f"{flag} {window}: START must be a day from 0 on and DAYS more than 0 and at most "
                         f"{MAX_MAREY_DAYS:g} (a readable chart)")
    return pair


MAX_MAREY_DAYS = 366.0


def check_marey_data(folder: Path, runs: Sequence[RunData], window: tuple[float, float] | None) -> None:
    """Refuse to re-draw the time-space chart over a window the folder's marey.csv holds no
    trip of (it holds the window the results were written with)."""
    if window is None:
        return
    begins = [min(s.arrive for s in stops) for run in runs for stops in _trips(run)]
    if not begins:
        return
    first, last = min(begins), max(begins)
    start, days = window
    if start > last or start + days <= first:
        raise UsageError(
            f"--marey-window {start:g}:{days:g}: {folder}'s marey.csv holds the trips that left in days "
            f"{max(0.0, first):.0f}–{last:.0f}; to chart another window, run the scenario again with "
            f"--marey-window {start:g}:{days:g}"
        )


def _trips(run: RunData) -> list[list]:
    """Each vehicle trip's stops in a run's marey data."""
    trips: dict[tuple[str, int], list] = {}
    for rid, stops in run.marey.items():
        for stop in stops:
            trips.setdefault((rid, stop.trip), []).append(stop)
    return list(trips.values())


def check_marey_route(route: str | None, runs_routes: Sequence[Sequence[str]]) -> None:
    """Refuse a --marey route that some scenario does not have, before anything runs."""
    if route is None:
        return
    for routes in runs_routes:
        if route not in routes:
            raise UsageError("--marey: " + unknown_key_message(route, list(routes), what="route"))


def load_drawing() -> None:
    """Import what drawing the figures needs (matplotlib, the figure modules): done while
    the per-container file is written in the background, it is not waited for afterwards."""
    for module in ("sim.viz.figures", "sim.report.page_figures", "sim.report.html"):
        importlib.import_module(module)


def draw(
    folder: Path,
    runs: Sequence[RunData],
    fmt: str = "png",
    marey_route: str | None = None,
    comparison: dict | None = None,
    figures: bool = True,
    marey_window: tuple[float, float] | None = None,
) -> list[Path]:
    """Write the figures (unless ``figures`` is False) and report.html into ``folder``;
    the time-space chart for ``marey_window`` (start day, days) when given."""
    from sim.report.html import report_html

    written: list[Path] = []
    embedded: list[tuple[str, str, bytes]] = []
    if figures:
        from sim.viz.figures import figure_builders
        from sim.viz.transit import claim_band

        band = claim_band(runs)
        marey = (marey_route, marey_window)
        stems = list(figure_builders(runs, *marey))
        with long_lived_frozen():  # matplotlib's figures are cyclic garbage: many full passes
            drawn = _write_figures_in_two(runs, folder, fmt, marey, stems)
        for path, page in drawn:
            title, text = caption(path.stem, band[2] if band else None, marey_window)
            embedded.append((title, text, page))
            written.append(path)
    report = report_html(runs, embedded, comparison, marey_route, marey_window, page_copies=True)
    (folder / REPORT).write_text(report, encoding="utf-8")
    return written + [folder / REPORT]


# Drawing time of a figure relative to the time-space chart's (measured on the bundled 2020
# run, 5 replications, page copy included): the grids have a panel per route or node.
_COST = {"throughput": 2.3, "transit_ecdf": 1.6, "transit_times": 1.35, "bottlenecks": 1.1, "route_map": 1.0,
         "events": 3, "flow_options": 2}


def split_in_two(stems: list[str]) -> tuple[list[str], list[str]]:
    """The figures in two groups of nearly equal drawing time (by _COST), in report order.

    Every split is tried (a run has at most a dozen figures): the greedy largest-first rule
    left the bundled run's longer side a tenth longer than the best split.
    """
    cost = [_COST.get(s, 1) for s in stems]
    total = sum(cost)
    best, best_mask = math.inf, 0
    for mask in range(1 << max(len(stems) - 1, 0)):  # the last figure stays on the second side
        mine = sum(c for i, c in enumerate(cost) if mask >> i & 1)
        longer = max(mine, total - mine)
        if longer < best - 1e-9:
            best, best_mask = longer, mask
    mine = [s for i, s in enumerate(stems) if best_mask >> i & 1]
    return mine, [s for s in stems if s not in mine]


def _write_figures_in_two(runs, folder: Path, fmt: str, marey, stems: list[str]) -> list[tuple[Path, bytes]]:
    """Every figure saved and its page copy made, half of the work done by a forked child on
    the second core; (path, page copy) in report order.

    Drawing is matplotlib's Python, so only a second process runs it in parallel; each
    figure is drawn whole by one process, so the files do not depend on the split.
    """
    if not CAN_FORK or (os.cpu_count() or 1) < 2 or len(stems) < 2:
        return _figures_and_pages(runs, folder, fmt, marey)
    mine, theirs = split_in_two(stems)
    child = start(lambda: _figures_and_pages(runs, folder, fmt, marey, theirs), "drawing figures")
    try:
        done = dict(_figures_and_pages(runs, folder, fmt, marey, mine))
        done.update(child.wait())
    except BaseException:
        child.cancel()
        raise
    return [(path, done[path]) for path in (folder / f"{stem}.{fmt}" for stem in stems)]


def _figures_and_pages(runs, folder: Path, fmt: str, marey, only: list[str] | None = None) -> list[tuple[Path, bytes]]:
    """Save the figures (those in ``only``) and make each one's copy for report.html while
    it is at hand: the saved PNG, or for SVG and PDF a PNG drawn for the page, as a palette PNG."""
    from sim.report.page_figures import embedded_png_of, figure_png
    from sim.viz.figures import write_figures

    pages: list[tuple[Path, bytes]] = []

    def saved(fig, path: Path) -> None:
        png = path.read_bytes() if fmt == "png" else figure_png(fig)
        pages.append((path, embedded_png_of(fig, png)))

    write_figures(runs, folder, fmt, *marey, only=only, saved=saved)
    return pages


FIGURE_SUFFIXES = tuple(f".{f}" for f in FORMATS)


@dataclass(frozen=True)
class ArmFolder:
    """One scenario's sub-folder of a comparison folder: its results are checked against,
    and its re-drawn figures recorded in, the comparison's manifest."""

    root: Path  # the comparison folder (resolved)
    name: str  # the sub-folder's name, e.g. 2-network_nodes.dostyk.servers_2
    label: str  # the scenario's label in the comparison


def comparison_arm(folder: Path) -> ArmFolder | None:
    """The comparison ``folder`` is a scenario sub-folder of, or None."""
    resolved = folder.resolve()
    root = resolved.parent
    if read_manifest(resolved) is not None or root == resolved:
        return None
    manifest = read_manifest(root)
    if manifest is None or manifest.get("kind") != "comparison" or not (root / COMPARISON).is_file():
        return None
    doc = read_document(root / COMPARISON, "comparison")
    folders = doc.get("folders")
    if not isinstance(folders, dict):
        return None
    label = next((str(k) for k, v in folders.items() if v == resolved.name), None)
    return None if label is None else ArmFolder(root, resolved.name, label)


def _check_unchanged(folder: Path, root: Path, manifest: dict, under: str = "") -> None:
    """Refuse a folder whose data files are not all as routesim wrote them."""
    missing, changed = changed_files(root, manifest, under)
    strip = len(under) + 1 if under else 0
    if missing:
        raise UsageError(f"{folder}: results folder is incomplete, missing {', '.join(m[strip:] for m in missing[:4])}")
    if changed:
        raise UsageError(
            f"{folder}: {changed[0][strip:]} has changed since routesim wrote it (its size or SHA-256 differs "
            f"from {MANIFEST}); run the scenario again"
        )


# What the report reads from comparison.json, with the types routesim writes.
_COMPARISON_TYPES: dict[str, tuple] = {
    "baseline": (str,), "scenarios": (list,), "inputs": (list,), "folders": (dict,), "seed": (int,),
    "replications": (int,), "overrides": (list,), "vary": (list,), "method": (str,), "metrics": (dict,),
    "routes": (dict,), "differences": (list,), "node_differences": (list,), "routesim_version": (str,),
}


def check_comparison(doc: dict, path: Path) -> None:
    """Refuse, in one line naming the key, a comparison.json with keys of other types than
    routesim writes (edited by hand along with the manifest)."""
    for key, types in _COMPARISON_TYPES.items():
        if key in doc and (not isinstance(doc[key], types) or isinstance(doc[key], bool)):
            raise UsageError(f"{path}: '{key}' is {kind_of(doc[key])}, not what routesim writes there")
    for key in ("scenarios", "inputs", "overrides", "vary"):
        if any(not isinstance(v, str) for v in doc.get(key, [])):
            raise UsageError(f"{path}: '{key}' holds something other than text")
    for key in ("differences", "node_differences"):
        for i, row in enumerate(doc.get(key, [])):
            ok = isinstance(row, dict) and all(
                isinstance(v, (str, int, float, type(None)))
                or (isinstance(v, list) and all(isinstance(x, (int, float, type(None))) for x in v))
                for v in row.values()
            ) and all(isinstance(row.get(k, ""), str) for k in ("scenario", "route", "node", "metric", "unit"))
            if not ok or isinstance(row.get("difference"), str) or isinstance(row.get("ci95", []), str):
                raise UsageError(f"{path}: '{key}[{i}]' is not a row of differences as routesim writes them")
            for k in ("baseline_mean", "scenario_mean", "difference"):
                if isinstance(row.get(k), (str, bool)):
                    raise UsageError(f"{path}: '{key}[{i}].{k}' is {kind_of(row[k])}, not a number")


def load_folder(folder: Path) -> tuple[list[RunData], dict | None]:
    """The runs of a results folder: one for a run, each scenario's for a comparison, and
    one for a scenario's sub-folder of a comparison (under the comparison's label for it).

    The folder must carry routesim's manifest (a scenario's sub-folder: its comparison's), and
    every file the figures are drawn from must be as routesim wrote it (size and SHA-256), so
    a tampered file is named, not drawn.
    """
    if not folder.exists():
        raise UsageError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    manifest = read_manifest(folder)
    if manifest is None:
        arm = comparison_arm(folder)
        if arm is None:
            raise UsageError(f"{folder}: not a routesim results folder (no {MANIFEST} written by routesim)")
        root_manifest = read_manifest(arm.root)
        check_format(root_manifest, arm.root / MANIFEST)
        _check_unchanged(folder, arm.root, root_manifest, arm.name)
        return [read_run(folder, arm.label)], None
    if manifest.get("kind") == "sweep":
        raise UsageError(f"{folder}: a sweep's folder: its figures and report are drawn when the sweep writes it; "
                         "run the same routesim sweep with --resume to draw them again (no point runs twice)")
    if manifest.get("kind") == "validation":
        raise UsageError(
            f"{folder}: is a validation folder (routesim validate wrote its {VALIDATION} and validation.png); "
            "plot re-draws the figures and report.html of a folder written by routesim run or routesim compare"
        )
    check_format(manifest, folder / MANIFEST)
    _check_unchanged(folder, folder, manifest)
    if (folder / COMPARISON).is_file():
        path = folder / COMPARISON
        doc = read_document(path, "comparison")
        check_comparison(doc, path)
        folders = doc.get("folders")
        if not isinstance(folders, dict) or not folders:
            raise UsageError(f"{path}: lists no scenario folders")
        runs = []
        for label, sub in folders.items():
            if not isinstance(sub, str) or Path(sub).name != sub:
                raise UsageError(f"{path}: scenario folder {sub!r} is not a plain folder name")
            runs.append(read_run(folder / sub, str(label)))  # the comparison's label: what tells the arms apart
        return runs, doc
    run = read_run(folder)
    return [run], None


@contextlib.contextmanager
def _unreadable(folder: Path) -> Iterator[None]:
    """The last line of defence of ``plot``: data that passed the checks above and still
    cannot be drawn (files edited along with their manifest) ends in one line, not a traceback."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RuntimeError) else str(exc)
        raise UsageError(
            f"{folder}: cannot be re-drawn ({detail[:160]}): its files are not as routesim writes them; "
            "run the scenario again"
        ) from None


def redraw(folder: Path, fmt: str, marey_route: str | None, marey_window: tuple[float, float] | None = None,
           ) -> list[Path]:
    """Re-draw a results folder's figures and report; a failure leaves the folder as it was.

    Figures routesim drew before that the new set does not replace (another format, another
    Marey route) are removed, and the manifest is brought up to date.  A scenario's
    sub-folder of a comparison is re-drawn alone, as that scenario's run, under the
    comparison's lock and recorded in the comparison's manifest (so the comparison stays
    routesim's own folder, replaceable by the next compare).
    """
    arm = comparison_arm(folder) if folder.is_dir() else None
    root = arm.root if arm is not None else folder
    prefix = f"{arm.name}/" if arm is not None else ""
    with folder_lock(root, "writing"):
        remove_leftovers(folder)
        with _unreadable(folder):
            runs, comparison = load_folder(folder)
        check_marey_route(marey_route, [list(r.scenario.routes) for r in runs])
        check_marey_data(folder, runs, marey_window)
        manifest = read_manifest(root) or {"files": {}, "kind": "run", "results_format": 0}
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".plot-{os.getpid()}-", dir=folder))
        except OSError as exc:  # a read-only results folder: found before anything is drawn
            raise UsageError(f"{folder}: cannot write the figures into this folder ({os_reason(exc)})") from None
        replaced: list[str] = []
        removed: list[str] = []
        try:
            with _unreadable(folder):
                drawn = draw(tmp, runs, fmt, marey_route, comparison, marey_window=marey_window)
            names = [p.name for p in drawn]
            ours = {n[len(prefix):] for n in manifest["files"] if n.startswith(prefix)}
            stale = [n for n in sorted(ours) if "/" not in n and n.endswith(FIGURE_SUFFIXES) and n not in names]
            # Found before anything is replaced: what plot would overwrite or remove that is the user's.
            for n in names + stale:
                path = folder / n
                if path.is_dir() and not path.is_symlink():
                    raise UsageError(f"{folder}: {n} is a folder, where routesim's figure was; move it away")
                if n in names and (path.exists() or path.is_symlink()) and n not in ours:
                    raise UsageError(f"{folder}: {n} is not a file routesim wrote (not in {MANIFEST}), and plot would "
                                     "overwrite it; move it away")
            try:
                for name in names:
                    os.replace(tmp / name, folder / name)
                    replaced.append(name)
                for name in stale:
                    with contextlib.suppress(FileNotFoundError):
                        (folder / name).unlink()
                    removed.append(name)
            except OSError as exc:
                raise UsageError(f"{folder}: cannot write the figures into this folder ({os_reason(exc)})") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if replaced or removed:  # what was done is recorded, also when the rest failed
                update_manifest(root, manifest, [prefix + n for n in replaced], [prefix + n for n in removed])
    return [folder / name for name in names]
