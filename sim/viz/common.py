"""Shared pieces of the run and comparison figures: titles, grids, calendar axes."""

from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import matplotlib.ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.model.calendar import MONTH_NAMES, Calendar
from sim.model.text import counted
from sim.viz.save import subplots
from sim.viz.colours import SCENARIO_STYLES, scenario_colours
from sim.output.run_data import RunData

BAND_COLOUR = "#f5b041"  # the claim band of the scenario's claims file (its values are data)
TICK_FONT = 8.0  # points: the smallest text of any figure, readable at 100% zoom
# Day ticks a reader knows (a week, a fortnight, a month) for the logarithmic axis.
LOG_TICKS = (0.5, 1, 2, 3, 5, 7, 10, 14, 20, 30, 45, 60, 90, 120, 180, 365)


def run_title(runs: Sequence[RunData], what: str) -> str:
    """'<scenario>: <what> (N replications, seed S)' or the comparison's version of it.

    A comparison lists each run's seed and replications only where they differ: the
    reader must see when two scenarios were not run alike.
    """
    names = " vs ".join(r.label for r in runs)
    reps = list(dict.fromkeys(r.summary.get("replications") for r in runs))
    seeds = list(dict.fromkeys(r.summary.get("seed") for r in runs))
    if len(reps) == 1:
        rep_text = counted(reps[0], "replication")
    else:
        rep_text = "replications " + ", ".join(str(r) for r in reps)
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(str(s) for s in seeds)
    return f"{names}: {what} ({rep_text}, {seed_text})"


def suptitle(fig: Figure, text: str, fontsize: float = 12.0) -> None:
    """The figure title, each line wrapped to the figure's width: a title wider than its
    figure is cut at both edges (a long scenario name, a comparison of three)."""
    chars = max(40, int(fig.get_figwidth() * 72 / (0.6 * fontsize)))  # ~0.6 em per character
    lines = [textwrap.fill(line, chars) for line in text.split("\n")]
    fig.suptitle("\n".join(lines), fontsize=fontsize)


def panel_title(ax: Axes, text: str, **kwargs) -> None:
    """``ax.set_title`` at the top edge of the panel (y = 1): no panel puts tick labels above
    itself, and saying so spares matplotlib measuring the ticks of every sibling panel to
    find out, a tenth of drawing a grid of panels; the pixels are the same."""
    ax.set_title(text, y=1.0, **kwargs)


def grid(count: int, columns: int, panel: tuple[float, float], top: float = 1.2,
         heights: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels in rows of ``columns``; the unused ones hidden.

    ``heights`` (inches, one per row) replaces the panel height where rows hold more or
    less: a row of two-route panels need not be as tall as one of six.
    """
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    # At least 10 in wide: a run of one or two routes still needs room for its title.
    width = max(panel[0] * columns, 10.0)
    tall = list(heights) if heights is not None else [panel[1]] * rows
    fig, axes = subplots(rows, columns, figsize=(width, sum(tall) + top), layout="constrained", squeeze=False,
                         gridspec_kw={"height_ratios": tall})
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def shared_calendar(runs: Sequence[RunData]) -> Calendar | None:
    """The calendar that every run's day axis shares, or None if their days are not comparable.

    Runs of one start date share its calendar.  Runs that each start on 1 January (of
    different years, or undated) share the months of a common year.  Other mixtures (2020-01-01
    against 2020-07-01) have only days since each run's own start in common.
    """
    starts = {r.scenario.settings.start_date for r in runs}
    if len(starts) == 1:
        return Calendar(starts.pop())
    if all(d is None or (d.month, d.day) == (1, 1) for d in starts):
        return Calendar(None)
    return None


def day_axis_label(calendar: Calendar | None) -> str:
    """'time (days since 1 January 2020)': the x label of an axis in calendar days."""
    since = calendar.day_zero_text() if calendar is not None else "the start of each run's measured window"
    return f"time (days since {since})"


def calendar_axis(ax: Axes, calendar: Calendar | None, length_days: float) -> None:
    """Ticks at the first of each month of ``calendar`` (day 0 = its start date), or plain days.

    An undated calendar places the months of a common year and says so; None (runs whose
    days do not line up as dates) gives plain days.
    """
    if calendar is None or length_days > 3 * 365 or length_days < 90:
        # Years of months crowd the axis; a few weeks get one month tick: days say more.
        ax.set_xlim(0, length_days)
        ax.set_xlabel(day_axis_label(calendar))
        return
    # A month that begins exactly at the window's end still gets its tick at the right edge.
    firsts = [m for m in calendar.months(0.0, length_days + 1.0) if m.whole_start and m.start <= length_days]
    ticks = [m.start for m in firsts]
    labels = [MONTH_NAMES[m.month - 1] for m in firsts]
    if calendar.dated:
        years = sorted({calendar.date(0).year, calendar.date(length_days - 1e-9).year})
        label = f"{'–'.join(str(y) for y in years)} (date)"
    else:
        label = "month of the measured year"
    step = 1 if len(ticks) <= 13 else 3
    # Baseline-aligned: top-aligned labels hang by their tallest letter, so "Feb" (with its
    # tall b) would sit lower than "Jan" and "Mar".
    ax.set_xticks(ticks[::step], labels[::step], va="baseline")
    ax.tick_params(axis="x", pad=1.1 * TICK_FONT)
    ax.set_xlim(0, length_days)
    ax.set_xlabel(label)


def outer_labels(axes: Sequence[Axes], columns: int) -> None:
    """Keep x tick labels and x label only on the lowest panel of each column of a grid.

    The panels share their x range, so the labels of the inner rows only repeat it; the
    lowest visible panel of a column keeps them even when the row below is partly empty.
    """
    for i, ax in enumerate(axes):
        if i + columns < len(axes):
            ax.tick_params(axis="x", labelbottom=False)
            ax.set_xlabel("")


def thousands(ax: Axes) -> None:
    """Y tick labels with thousands separators."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def all_routes(runs: Sequence[RunData]) -> list[str]:
    """Every route of any run, in order of first appearance (a comparison may add or drop some)."""
    return list(dict.fromkeys(rid for run in runs for rid in run.scenario.routes))


def scenario_palette(runs: Sequence[RunData], given: Mapping[str, str] | None) -> Mapping[str, str]:
    """The scenario colours passed in, or the standard ones for these runs."""
    return given if given else scenario_colours(r.label for r in runs)


def scenario_style(k: int) -> str:
    """Line style of the k-th scenario: colour and dash tell scenarios apart in grey print too."""
    return SCENARIO_STYLES[k % len(SCENARIO_STYLES)]


def day_axis(ax: Axes, lo: float, hi: float) -> str:
    """Log scale with day ticks when the routes span more than 4× (air 2 d to sea 44 d:
    linear would squeeze every rail route into a sliver), else linear.  Returns the scale."""
    if lo > 0 and hi / lo > 4:
        ax.set_xscale("log")
        ticks = [t for t in LOG_TICKS if lo / 1.3 <= t <= hi * 1.3]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlim(lo / 1.15, hi * 1.15)
        return "log scale"
    return ""
