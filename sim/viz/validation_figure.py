"""The validation figure, drawn with matplotlib's non-interactive backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import matplotlib.ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.viz.save import plain_text, save, subplots
from sim.viz.common import panel_title
from sim.analysis.validation import format_value, unit_suffix


PASS_COLOUR = "#1e8449"
FAIL_COLOUR = "#c0392b"


def validation_figure(records: list[dict], title: str) -> Figure:
    """One panel per claim: its tolerance band, the article's value and the simulated mean
    with its 95% CI, green if it passes, red if not.

    ``records`` are the claim records of validation.json (see validation.outcome_record).
    """
    cols = 2
    rows = (len(records) + cols - 1) // cols
    fig, axes = subplots(rows, cols, figsize=(12, 1.75 * rows + 1.4), layout="constrained", squeeze=False)
    for ax, rec in zip(axes.flat, records):
        _claim_panel(ax, rec)
    for ax in list(axes.flat)[len(records):]:
        ax.set_visible(False)
    fig.suptitle(title)
    handles = [
        Patch(color="#f5b041", alpha=0.35, label="tolerance band"),
        Line2D([], [], ls="none", marker="D", color="black", mfc="white", label="article's value"),
        Line2D([], [], color=PASS_COLOUR, marker="o", label="simulated mean, 95% CI (pass)"),
        Line2D([], [], color=FAIL_COLOUR, marker="o", label="simulated mean, 95% CI (fail)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=9, frameon=False)
    return fig


def _claim_panel(ax, rec: dict) -> None:
    tol, sim = rec["tolerance"], rec["simulated"]
    mean = sim["mean"]
    lo, hi = sim["ci95"]
    points = [v for v in (mean, lo, hi, tol["low"], tol["high"], rec["article_value"]) if v is not None]
    left, right = min(points), max(points)
    pad = 0.25 * (right - left) if right > left else max(abs(right), 1.0) * 0.25
    left, right = left - pad, right + pad
    band_lo = tol["low"] if tol["low"] is not None else left
    band_hi = tol["high"] if tol["high"] is not None else right
    ax.axvspan(band_lo, band_hi, color="#f5b041", alpha=0.35, zorder=0)
    colour = PASS_COLOUR if rec["passed"] else FAIL_COLOUR
    if mean is not None:
        xerr = None if lo is None else [[mean - lo], [hi - mean]]
        ax.errorbar([mean], [0], xerr=xerr, fmt="o", color=colour, capsize=5, ms=7, zorder=3)
        ax.annotate(
            format_value(mean, rec["unit"]) + unit_suffix(rec["unit"]), (mean, 0), xytext=(0, 11), textcoords="offset points",
            ha="center", va="bottom", fontsize=8.5, color=colour,
        )
    else:
        ax.text(0.5, 0.5, "no simulated value", transform=ax.transAxes, ha="center", va="center", color=colour)
    if rec["article_value"] is not None:
        ax.plot([rec["article_value"]], [0], "D", color="black", mfc="white", ms=7, zorder=4)
    ax.set_xlim(left, right)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    unit = {"%": "growth (%)", "share": "utilization (busy time / capacity)", "ratio": "sea / rail (ratio)"}
    ax.set_xlabel(unit.get(rec["unit"], rec["unit"]), fontsize=9)
    verdict = "PASS" if rec["passed"] else "FAIL"
    panel_title(ax, f"{rec['id']}. {rec['claim']} — {verdict}", fontsize=9.5, loc="left", color=colour)
    ax.tick_params(axis="x", labelsize=8)
    if rec["unit"] == "TEU":
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
    if rec["unit"] == "share":
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))


def validation_png_writer(report: dict[str, Any]) -> Callable[[Path], None]:
    """validation.png's writer for a validation report: the claims figure, titled with the run."""
    def write(path: Path) -> None:
        title = (
            f"routesim {report['routesim_version']} against {Path(report['claims_file']).name} "
            f"({report['replications']} replications, seed {report['seed']})"
        )
        save(plain_text(lambda: validation_figure(report["claims"], title))(), path)

    return write
