"""Shared pieces of the run and comparison figures: titles, grids, calendar axes."""

from __future__ import annotations

import datetime as dt
import math
from typing import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .figdata import RunData  # noqa: E402

CLAIM_BAND_DAYS = (14.0, 15.0)
BAND_COLOUR = "#f5b041"
BAND_LABEL = "claim: 14–15 days overland"


def run_title(runs: Sequence[RunData], what: str) -> str:
    """'<scenario>: <what> (N replications, seed S)' or the comparison's version of it."""
    first = runs[0].summary
    reps, seed = first.get("replications"), first.get("seed")
    plural = "" if reps == 1 else "s"
    names = " vs ".join(r.label for r in runs)
    return f"{names}: {what} ({reps} replication{plural}, seed {seed})"


def grid(count: int, columns: int, panel: tuple[float, float], top: float = 1.2) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels in rows of ``columns``; the unused ones hidden."""
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(panel[0] * columns, panel[1] * rows + top), layout="constrained", squeeze=False
    )
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def calendar_axis(ax: Axes, year: int | None, length_days: float) -> None:
    """Ticks at the first of each month (day 0 = 1 January of ``year``), or plain days.

    Without a year (runs of different years side by side) months are placed as in a
    common year and the axis says so.
    """
    if length_days > 3 * 365:
        ax.set_xlabel("day of the measured window (days)")
        return
    label = f"{year} (date)" if year else "month of the measured year"
    year = year or 2019  # any common year: only the month lengths matter
    start = dt.date(year, 1, 1)
    ticks, labels = [], []
    month = 1
    while True:
        day = (dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1) - start).days
        if day > length_days:
            break
        ticks.append(day)
        labels.append(dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1).strftime("%b"))
        month += 1
    step = 1 if len(ticks) <= 13 else 3
    ax.set_xticks(ticks[::step], labels[::step])
    ax.set_xlabel(label)


def thousands(ax: Axes) -> None:
    """Y tick labels with thousands separators."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
