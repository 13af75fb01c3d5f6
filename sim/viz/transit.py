"""Transit-time figures: ECDF and box/violin of each route, in panels by origin–destination
market (sim.viz.markets) or, for a run with shippers' flows, one panel per flow.  The claim band
of the scenario's claims file (run.claims) is shaded only on the panels holding the routes the
claim is about; a scenario without one draws no band and no ratio."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
import matplotlib.ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.groups import group_mean_transit, transit_ratio
from sim.viz.common import (
    BAND_COLOUR, TICK_FONT, all_routes, day_axis, grid, panel_title, run_title, scenario_palette, scenario_style,
    suptitle,
)
# The palette itself, for a panel whose routes would otherwise repeat a colour.
from sim.viz.colours import _ROUTE_PALETTE as ROUTE_PALETTE
from sim.viz.markets import MAX_LINES, Panel, flow_panels, market, market_panels, route_label
from sim.output.run_data import RunData
from sim.output.metrics_file import read_metrics

VIOLIN_POINTS = 251  # every 4th of the 1001 quantiles: the same shape, a quarter of the work
MEAN_MARKER = {"marker": "o", "ms": 6.5, "mfc": "white", "mew": 1.6, "ls": "none", "zorder": 6}
MEDIAN_MARKER = {"marker": "|", "ms": 13, "mew": 2.2, "ls": "none", "zorder": 6}


def claim_band(runs: Sequence[RunData]) -> tuple[float, float, str] | None:
    """(low, high, label) of the first run's claims band, or None without a claims file."""
    for run in runs:
        claims = run.scenario.claims
        if claims is not None and claims.band is not None:
            return claims.band
    return None


def sea_rail_ratio(run: RunData) -> tuple[float, float, float, str] | None:
    """(ratio, over days, under days, label) of the run's claims ratio, or None.

    The claims file's ratio claim names two route groups (sea via Suez over northern rail);
    each replication's ratio is sim.analysis.groups.transit_ratio of the run's metrics table,
    the very number ``validate`` judges, and the figure shows its mean over replications.
    """
    claims = run.scenario.claims
    if claims is None or claims.ratio is None:
        return None
    over, under, label = claims.ratio
    if not all(rid in run.scenario.routes for rid in (*over.routes, *under.routes)):
        return None  # a variant without those routes: the ratio is not defined
    table = read_metrics(run.folder)
    ratios = transit_ratio(table, over.routes, under.routes)
    if not np.isfinite(ratios).any():
        return None
    top = group_mean_transit(table, over.routes)
    bottom = group_mean_transit(table, under.routes)
    return float(np.nanmean(ratios)), float(np.nanmean(top)), float(np.nanmean(bottom)), label


def ratio_text(run: RunData, prefix: str = "") -> str:
    """'sea/rail (China→Europe): 36.8 d / 14.3 d = 2.57×', or '' when not defined."""
    found = sea_rail_ratio(run)
    if found is None:
        return ""
    ratio, top, bottom, label = found
    return f"{prefix}{label}: {top:.1f} d / {bottom:.1f} d = {ratio:.2f}×"


RATIO_NOTE = "pooled means of the claims file's route groups; ratio: mean over replications"


def ratio_lines(runs: Sequence[RunData]) -> str:
    """Each run's ratio on a line of its own (named in a comparison), or ''."""
    several = len(runs) > 1
    lines = [t for t in (ratio_text(r, f"{r.label}: " if several else "") for r in runs) if t]
    if not lines:
        return ""
    if several:
        return "\n".join(lines) + f"\n({RATIO_NOTE})"
    return f"{lines[0]}  ({RATIO_NOTE})"


def band_routes(runs: Sequence[RunData]) -> set[str]:
    """The routes the claim band is about: those of the band claim's route group (claim a:
    northern rail China → Europe); the band is drawn only on the panels holding them."""
    for run in runs:
        claims = run.scenario.claims
        if claims is None or claims.band is None:
            continue
        group = claims.claim(claims.figures.band_claim).measure.param("group")
        if group in claims.groups and claims.groups[group].routes:
            return set(claims.groups[group].routes)
        # A claim over no route group: the article's claim is about rail China → Europe.
        return {rid for r in runs for rid, route in r.scenario.routes.items()
                if route.mode == "rail" and market(r.scenario, route) == "cn_eu"}
    return set()


def transit_panels(runs: Sequence[RunData], size: int = MAX_LINES) -> list[Panel]:
    """One panel per shippers' flow when a run has flows, else per market, of at most ``size``
    routes each."""
    flows = next((r for r in runs if r.summary.get("flows")), None)
    if flows is None:
        return market_panels([r.scenario for r in runs], all_routes(runs), size)
    panels = flow_panels(flows.summary["flows"], flows.scenario, size)
    # Routes no flow offers (a scenario's own demand beside its shippers) still get their market.
    offered = {rid for p in panels for rid in p.routes}
    rest = [rid for rid in all_routes(runs) if rid not in offered]
    return panels + market_panels([r.scenario for r in runs], rest, size)


def grouped_by(runs: Sequence[RunData]) -> str:
    """How the panels are chosen, for the title: by market, or by the shippers' flows."""
    return "by shippers' origin–destination pair" if any(r.summary.get("flows") for r in runs) else "by market"


def panel_colours(routes: Sequence[str], colours: Mapping[str, str]) -> dict[str, str]:
    """The routes' own colours, but a route whose colour another route of the panel already
    has (the palette repeats past 24 routes) takes the first palette colour the panel lacks."""
    out: dict[str, str] = {}
    for rid in routes:
        colour = colours[rid]
        if colour in out.values():
            colour = next((c for c in ROUTE_PALETTE if c not in out.values()), colour)
        out[rid] = colour
    return out


def mean_days(run: RunData, route_id: str) -> float:
    """Mean transit of a route as the tables give it (summary.json), else the quantiles' mean."""
    stats = (run.summary.get("routes", {}).get(route_id) or {}).get("transit_days") or {}
    if isinstance(stats, dict) and stats.get("mean") is not None:
        return float(stats["mean"])
    q = run.transit.get(route_id, np.empty(0))
    return float(q.mean()) if q.size else float("nan")


def median_days(q: np.ndarray) -> float:
    """The 50% quantile of a route's 0.1% quantiles."""
    return float(q[q.size // 2])


def _panel_days(ax: Axes, runs: Sequence[RunData], routes: Sequence[str]) -> str:
    """The panel's own day range (a 3-day bulk train is not squashed against a 45-day
    sailing): logarithmic when its routes span more than 4×; returns 'log scale' or ''."""
    ends = [(float(q[0]), float(q[-1])) for r in runs for rid in routes
            for q in [r.transit.get(rid, np.empty(0))] if q.size]
    if not ends:
        return ""
    lo, hi = min(a for a, _ in ends), max(b for _, b in ends)
    scale = day_axis(ax, lo, hi)
    if not scale:
        pad = max(0.5, 0.1 * (hi - lo))  # a violin's smoothed tails reach past the data
        ax.set_xlim(max(0.0, lo - pad), hi + pad)
    return scale


def _band(ax: Axes, band: tuple[float, float, str] | None) -> None:
    """The claim band across the panel (days along x), kept out of the x range it would widen."""
    if band is None:
        return
    left, right = ax.get_xlim()
    ax.axvspan(band[0], band[1], color=BAND_COLOUR, alpha=0.35, zorder=0, label=band[2])
    ax.set_xlim(left, right)


def _band_handles(band: tuple[float, float, str] | None, where: str) -> list:
    """The band's legend entry, saying on which panels it is shaded."""
    return [Patch(color=BAND_COLOUR, alpha=0.35, label=f"{band[2]} ({where})")] if band is not None else []


def _probabilities(q: np.ndarray) -> np.ndarray:
    """The cumulative share at each of the quantiles (0 to 1)."""
    return np.linspace(0.0, 1.0, q.size)


def _percent_axis(ax: Axes) -> None:
    """A 0–100% y axis for the share delivered."""
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0%}"))


def _unit(runs: Sequence[RunData], panel: Panel) -> str:
    """'wagons' for a panel of bulk routes, else 'containers': what one unit of its curves is."""
    cargo = {next(r.scenario for r in runs if rid in r.scenario.routes).routes[rid].demand.cargo
             for rid in panel.routes if any(rid in r.scenario.routes for r in runs)}
    return "wagons" if cargo == {"bulk"} else "containers"


def _name(runs: Sequence[RunData], route_id: str, width: int = 46) -> str:
    """The route's display name, from the first run that has it."""
    owner = next((r for r in runs if route_id in r.scenario.routes), runs[0])
    return route_label(owner.scenario, route_id, width)


def _marks_handles() -> list:
    """Legend entries telling the mean marker from the median marker."""
    return [
        Line2D([], [], color="#444444", **{**MEAN_MARKER, "zorder": None}, label="mean (as in the tables)"),
        Line2D([], [], color="#444444", **{**MEDIAN_MARKER, "zorder": None}, label="median (50% delivered)"),
    ]


def _where_band(panels: Sequence[Panel], routes: set[str]) -> str:
    """'China → Europe panel': where the band is drawn, for the legend."""
    titles = list(dict.fromkeys(p.title for p in panels if routes & set(p.routes)))
    return "shaded on the " + ", ".join(titles) + (" panel" if len(titles) == 1 else " panels")


# ---------------------------------------------------------------------------------------
# ECDF


def transit_ecdf_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Share of units delivered within x days, a panel per market (or flow), a line per route
    (and scenario), mean and median marked; the claim band only where the claim applies."""
    # Fewer routes a panel in a comparison: routes × scenarios stay about six lines.
    panels = transit_panels(runs, max(1, MAX_LINES // len(runs)))
    several = len(runs) > 1
    columns = 2
    rows = -(-max(1, len(panels)) // columns)
    fig, axes = grid(max(1, len(panels)), columns, (9.0, min(2.95, 12.2 / rows)), top=1.8)
    band, banded = claim_band(runs), band_routes(runs)
    for ax, panel in zip(axes, panels):
        handles = []
        hues = panel_colours(panel.routes, colours)
        for rid in panel.routes:
            drawn = False
            for k, run in enumerate(runs):
                q = run.transit.get(rid, np.empty(0))
                if not q.size:
                    continue
                style = scenario_style(k) if several else "-"
                label = f"{rid} · {run.label}" if several else rid
                ax.plot(q, _probabilities(q), color=hues[rid], ls=style, lw=1.7, label=label)
                mean, median = mean_days(run, rid), median_days(q)
                ax.plot([mean], [np.interp(mean, q, _probabilities(q))], color=hues[rid], gid=f"mean-{rid}-{k}",
                        label="_mean", **MEAN_MARKER)
                ax.plot([median], [0.5], color=hues[rid], gid=f"median-{rid}-{k}", label="_median",
                        **MEDIAN_MARKER)
                drawn = True
            name = _name(runs, rid, 56)
            if not several and drawn:
                q = runs[0].transit[rid]
                name += f"\nmedian {median_days(q):.1f} d · mean {mean_days(runs[0], rid):.1f} d"
            elif not drawn:
                name += "\n(no deliveries)"
            handles.append(Line2D([], [], color=hues[rid], lw=1.7, label=name))
        scale = _panel_days(ax, runs, panel.routes)
        if banded & set(panel.routes):
            _band(ax, band)
        _percent_axis(ax)
        ax.grid(alpha=0.3, which="major")
        panel_title(ax, panel.title, fontsize=10, loc="left", fontweight="bold")
        ax.set_ylabel(f"share of {_unit(runs, panel)}\ndelivered within x days", fontsize=9)
        ax.set_xlabel("transit time, origin to destination (days" + (f", {scale})" if scale else ")"), fontsize=9)
        ax.tick_params(labelsize=TICK_FONT)
        # Beside the panel, not on it: on it, six names would hide the curves they name.
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=TICK_FONT, frameon=False,
                  borderaxespad=0.0, handlelength=1.6, labelspacing=0.6)
    if not panels:
        axes[0].text(0.5, 0.5, "no routes", transform=axes[0].transAxes, ha="center", va="center")
    fig.legend(handles=_figure_handles(runs, scenario_colours, panels, band, banded), loc="outside lower center",
               ncols=5, frameon=False, fontsize=9)
    ratios = ratio_lines(runs)
    suptitle(fig, run_title(runs, f"transit time distribution {grouped_by(runs)}") + ("\n" + ratios if ratios else ""),
             fontsize=10.5)
    return fig


def _figure_handles(runs: Sequence[RunData], scenario_colours: Mapping[str, str] | None, panels: Sequence[Panel],
                    band: tuple[float, float, str] | None, banded: set[str]) -> list:
    """The figure-wide legend: mean and median markers, scenario line styles, the band."""
    handles = _marks_handles()
    if len(runs) > 1:
        handles += [Line2D([], [], color="#444444", ls=scenario_style(k), lw=1.6, label=r.label)
                    for k, r in enumerate(runs)]
    if band is not None and any(banded & set(p.routes) for p in panels):
        handles += _band_handles(band, _where_band(panels, banded))
    return handles


# ---------------------------------------------------------------------------------------
# Box and violin


def quartiles(q: np.ndarray) -> dict[str, float]:
    """Box statistics read off the 0.1% quantiles: box p25–p75, median, whiskers p5–p95."""
    def at(p: float) -> float:
        return float(q[int(round(p * (q.size - 1)))])

    return {"whislo": at(0.05), "q1": at(0.25), "med": at(0.5), "q3": at(0.75), "whishi": at(0.95)}


def transit_box_figure(
    runs: Sequence[RunData], colours: Mapping[str, str], scenario_colours: Mapping[str, str] | None = None
) -> Figure:
    """Horizontal violin and box (p25–p75, whiskers p5–p95) per route in panels by market;
    median line and mean diamond both marked and written; boxes side by side to compare."""
    palette = scenario_palette(runs, scenario_colours)
    panels = transit_panels(runs)
    several = len(runs) > 1
    columns = 2
    per_route = max(0.55, 0.18 * len(runs) + 0.2)  # inches a route's boxes (and its name) need
    sizes = [len(p.routes) for p in panels] or [1]
    heights = [per_route * max(sizes[i:i + columns]) + 0.95 for i in range(0, len(sizes), columns)]
    fig, axes = grid(len(sizes), columns, (8.2, 0.0), top=1.7, heights=heights)
    band, banded = claim_band(runs), band_routes(runs)
    step = 0.8 / len(runs)
    for ax, panel in zip(axes, panels):
        positions = np.arange(len(panel.routes), 0, -1, dtype=float)  # the first route on top
        hues = panel_colours(panel.routes, colours)
        for k, run in enumerate(runs):
            offset = ((len(runs) - 1) / 2 - k) * step
            for p, rid in zip(positions + offset, panel.routes):
                q = run.transit.get(rid)
                if q is None:  # a route this scenario does not have: nothing to draw
                    continue
                if q.size == 0:
                    ax.text(0.02, p, "no deliveries", transform=ax.get_yaxis_transform(), va="center",
                            fontsize=TICK_FONT)
                    continue
                _box(ax, run, rid, q, p, palette[run.label] if several else hues[rid], several, step)
        ax.set_yticks(positions, [_box_label(runs, rid) for rid in panel.routes], fontsize=TICK_FONT)
        ax.set_ylim(0.4, len(panel.routes) + 0.6)
        scale = _panel_days(ax, runs, panel.routes)
        if banded & set(panel.routes):
            _band(ax, band)
        panel_title(ax, panel.title, fontsize=10, loc="left", fontweight="bold")
        ax.set_xlabel("transit time, origin to destination (days" + (f", {scale})" if scale else ")"), fontsize=9)
        ax.tick_params(axis="x", labelsize=TICK_FONT)
        ax.grid(axis="x", alpha=0.3)
    if not panels:
        axes[0].text(0.5, 0.5, "no routes", transform=axes[0].transAxes, ha="center", va="center")
    handles: list = []
    if several:
        handles += [Patch(color=palette[r.label], label=r.label) for r in runs]
    else:
        handles.append(Patch(color="#999999", alpha=0.35, label="all units (violin)"))
    handles.append(Patch(facecolor="#cccccc", edgecolor="black",
                         label="box 25th–75th percentile, whiskers 5th–95th"))
    handles.append(Line2D([], [], color="black", lw=1.8, label="median (line in the box)"))
    handles.append(Line2D([], [], color="black", marker="D", mfc="white", ls="none", label="mean (as in the tables)"))
    if band is not None and any(banded & set(p.routes) for p in panels):
        handles += _band_handles(band, _where_band(panels, banded))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    ratios = ratio_lines(runs)
    suptitle(fig, run_title(runs, f"transit time per route, {grouped_by(runs)}") + ("\n" + ratios if ratios else ""),
             fontsize=10.5)
    return fig


def _box(ax: Axes, run: RunData, rid: str, q: np.ndarray, p: float, colour: str, several: bool, step: float) -> None:
    """One route's horizontal box at height ``p``: violin (a single run), box, mean diamond."""
    if not several and q[-1] > q[0]:
        sample = q[:: max(1, (q.size - 1) // (VIOLIN_POINTS - 1))]
        body = ax.violinplot([sample], positions=[p], widths=0.8, orientation="horizontal", showextrema=False)["bodies"][0]
        body.set_facecolor(colour)
        body.set_edgecolor(colour)
        body.set_alpha(0.35)
    stats = quartiles(q)
    mean = mean_days(run, rid)
    ax.bxp([{**stats, "fliers": []}], positions=[p], widths=step * 0.6 if several else 0.3, orientation="horizontal",
           patch_artist=True, showfliers=False,
           boxprops={"facecolor": colour, "alpha": 0.9 if several else 0.75, "edgecolor": "black"},
           medianprops={"color": "white" if several else "black", "lw": 1.8})
    ax.plot([mean], [p], marker="D", ms=5.5, mfc="white", mec="black", ls="none", zorder=6, gid=f"mean-{rid}")


def _box_label(runs: Sequence[RunData], rid: str) -> str:
    """The route's name and, for a single run, 'median 14.0 d · mean 14.1 d' under it: the
    numbers sit in the margin, where no box or violin can cover them."""
    name = _name(runs, rid, 48)
    q = runs[0].transit.get(rid, np.empty(0))
    if len(runs) > 1 or not q.size:
        return name
    return f"{name}\nmedian {median_days(q):.1f} d · mean {mean_days(runs[0], rid):.1f} d"
