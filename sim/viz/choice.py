"""Shippers' choices: each flow's options on a cost–time plane, the share of each option as
the cargo's value rises (the break-even curve), and the CO2e of a TEU by option.  Drawn from
summary.json's ``flows`` (sim.analysis.summary.flow_summary), so ``routesim plot`` redraws them."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.choice.logit import choose
from sim.viz.common import TICK_FONT, day_axis, grid, run_title, suptitle, panel_title
from sim.output.run_data import RunData

VALUES_USD_PER_KG = np.geomspace(0.1, 1000.0, 241)  # the break-even curve's cargo values
MARKER_AREA_PER_KG = 0.08  # points^2 per kg CO2e per TEU: sea ~700 kg -> 56, air ~30,000 kg -> 2,400 (capped)
MAX_MARKER_AREA = 900.0


def has_flows(runs: Sequence[RunData]) -> bool:
    return any(run.summary.get("flows") for run in runs)


def _flows(runs: Sequence[RunData]) -> tuple[RunData, dict]:
    run = next(r for r in runs if r.summary.get("flows"))
    return run, run.summary["flows"]


def _mean(d: Mapping | None) -> float:
    v = None if d is None else d.get("mean")
    return math.nan if v is None else float(v)


def _volume(flow: dict) -> float:
    """A flow's TEU per year as chosen, 0 when unknown: picks a pair's largest flow."""
    v = _mean(flow["as_chosen"].get("teu_per_year"))
    return v if math.isfinite(v) else 0.0


def _markers(co2: float) -> float:
    return min(MAX_MARKER_AREA, max(12.0, MARKER_AREA_PER_KG * co2)) if math.isfinite(co2) else 12.0


MODE_MARKERS = {"rail": "o", "sea": "s", "air": "^", "road": "v", "multimodal": "D"}
PANEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _option_colours(ids: Sequence[str]) -> dict[str, str]:
    """Distinct colours for a panel's few options (the run's route colours repeat across 20 routes)."""
    return {rid: PANEL_COLOURS[i % len(PANEL_COLOURS)] for i, rid in enumerate(ids)}


def _log_axis(axis, lo: float, hi: float) -> None:
    """A logarithmic money axis with plain numbers at 1-2-5 steps."""
    ticks = [m * 10**e for e in range(0, 8) for m in (1, 2, 5) if lo <= m * 10**e <= hi]
    axis.set_ticks(ticks, [f"{t:,.0f}" for t in ticks])
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def flow_options_figure(runs: Sequence[RunData], colours: Mapping[str, str]) -> Figure:
    """Per origin–destination pair: each option at (mean door-to-door days, cost per TEU),
    whiskers the 95% CI of the days, marker area the kg CO2e per TEU, shape its mode; the
    legend gives each cargo class's share of it.  The pair's largest flow's cargo prices it."""
    run, flows = _flows(runs)
    groups = _groups(flows)
    most = max(len(k[2]) for k in groups)
    fig, axes = grid(len(groups), 2, (6.4, 3.4 + 0.22 * most), top=1.4)
    for ax, ((origin, dest, ids), fids) in zip(axes, groups.items()):
        big = max(fids, key=lambda fid: _volume(flows[fid]))
        f = flows[big]
        palette = _option_colours(ids)
        spread, costs = [], []
        for rid in ids:
            o = f["options"][rid]
            shares = [(flows[fid]["cargo"].get("class") or fid, _mean(flows[fid]["options"][rid]["share"])) for fid in fids]
            chosen = any(math.isfinite(v) and v > 0 for _, v in shares)
            days = _mean(o["transit_days"])
            lo, hi = o["transit_days"]["ci95"]
            if not math.isfinite(days):  # nothing of this flow took it: where shippers expected it
                days = (o.get("expected_days") or {}).get("mean") or math.nan
                lo = hi = None
            cost = _mean(o["cost_usd_per_teu"])
            spread.append(days)
            costs.append(cost)
            colour = palette[rid]
            if lo is not None and hi is not None:
                ax.errorbar([days], [cost], xerr=[[days - lo], [hi - days]], fmt="none", ecolor=colour, elinewidth=1.2, capsize=3)
            route = run.scenario.routes.get(rid)
            # The id, not the name: names spell out whole paths, too long for a legend beside three shares.
            label = f"{rid}: " + " · ".join(f"{c} {v:.0%}" for c, v in shares if math.isfinite(v))
            ax.scatter([days], [cost], s=_markers(_mean(o["co2e_kg_per_teu"])), color=colour if chosen else "white",
                       edgecolors=colour, linewidths=1.5, alpha=0.8, zorder=3, label=label,
                       marker=MODE_MARKERS.get(route.mode if route is not None else "", "o"))
        finite = [d for d in spread if math.isfinite(d) and d > 0]
        if finite:
            day_axis(ax, min(finite) / 1.3, max(finite) * 1.3)
        money = [c for c in costs if math.isfinite(c) and c > 0]
        if money and max(money) / min(money) > 4:
            ax.set_yscale("log")
            lo_y, hi_y = min(money) / 1.6, max(money) * 1.6
            ax.set_ylim(lo_y, hi_y)
            _log_axis(ax.yaxis, lo_y, hi_y)
        else:
            ax.margins(y=0.3)
        panel_title(ax, f"{origin} → {dest} (priced for {f['cargo'].get('class') or big}, "
                     f"{f['cargo']['value_usd_per_tonne'] / 1000:g} US$/kg)", fontsize=9)
        ax.set_xlabel("door-to-door days (mean, 95% CI)", fontsize=TICK_FONT)
        ax.set_ylabel("cost, US$ per TEU", fontsize=TICK_FONT)
        ax.tick_params(labelsize=TICK_FONT)
        ax.grid(True, alpha=0.3)
        legend = ax.legend(fontsize=TICK_FONT - 1, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False,
                           title="option: share of each cargo class", title_fontsize=TICK_FONT - 1)
        for handle in legend.legend_handles:
            handle.set_sizes([30.0])
    sizes = [500, 2000, 10000]
    handles = [Line2D([], [], marker="o", ls="", color="#999999", markersize=math.sqrt(_markers(k)), label=f"{k:,} kg CO2e/TEU")
               for k in sizes]
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="#999999", markersize=7,
                          label="hollow: no flow chose it (at the time expected)"))
    handles += [Line2D([], [], marker=m, ls="", color="#999999", markersize=7, label=mode) for mode, m in MODE_MARKERS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=TICK_FONT, frameon=False, bbox_to_anchor=(0.5, 0),
               columnspacing=2.0, handletextpad=0.8, borderpad=1.0)
    bottom = 0.55 / fig.get_figheight()  # inches kept for the legend under the panels
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))  # (left, bottom, width, height)
    suptitle(fig, run_title([run], "door-to-door options: time, cost, CO2e (marker area) and each cargo class's share"))
    return fig


def _groups(flows: Mapping[str, dict]) -> dict[tuple, list[str]]:
    """Flows by (origin, destination, options): one break-even curve each."""
    out: dict[tuple, list[str]] = {}
    for fid, f in flows.items():
        out.setdefault((f["origin"], f["destination"], tuple(f["options"])), []).append(fid)
    return out


def logit_curve(f: dict, values: np.ndarray) -> dict[str, np.ndarray]:
    """Each option's share for cargo worth ``values`` US$/kg by the flow's own rule, at this
    flow's times and costs (generalised cost = money + carbon + value x t/TEU x time cost/day
    x planned days): the rule of sim.choice.logit, value by value."""
    model = f.get("model") or {}
    cargo = f["cargo"]
    per_value = 1000.0 * cargo["tonnes_per_teu"] * cargo["time_cost_per_day"]
    ids = list(f["options"])
    fixed = np.array([(f["options"][r]["generalised_cost_parts"]["money"] or 0.0)
                      + (f["options"][r]["generalised_cost_parts"]["carbon"] or 0.0) for r in ids])
    days = np.array([f["options"][r].get("planned_days") or math.inf for r in ids])
    rule = model.get("rule", "logit" if model.get("logit_scale_per_usd") else "cheapest")
    shares = np.array([choose(rule, fixed + per_value * v * days, model.get("logit_scale_per_usd"), model.get("fixed_shares"))
                       for v in values]).T
    return dict(zip(ids, shares))


def breakeven_figure(runs: Sequence[RunData], colours: Mapping[str, str]) -> Figure:
    """Per origin–destination pair: the share of each option against the cargo's value by the
    pair's choice rule, with the flows' own values marked (the times and costs are those of
    the pair's largest flow)."""
    run, flows = _flows(runs)
    groups = _groups(flows)
    fig, axes = grid(len(groups), 2, (5.6, 3.6), top=1.4)
    for ax, ((origin, dest, ids), fids) in zip(axes, groups.items()):
        big = max(fids, key=lambda fid: _volume(flows[fid]))
        curve = logit_curve(flows[big], VALUES_USD_PER_KG)
        palette = _option_colours(ids)
        for rid in ids:
            ax.plot(VALUES_USD_PER_KG, curve[rid], color=palette[rid], lw=2, label=rid)
        for fid in fids:
            value = flows[fid]["cargo"]["value_usd_per_tonne"] / 1000.0
            ax.axvline(value, color="#444444", ls=":", lw=1)
            ax.annotate(flows[fid]["cargo"].get("class") or fid, (value, 0.98), rotation=90, va="top", ha="right",
                        xytext=(-2, 0), textcoords="offset points", fontsize=TICK_FONT, color="#444444")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("cargo value, US$ per kg", fontsize=TICK_FONT)
        ax.set_ylabel("share of the option", fontsize=TICK_FONT)
        panel_title(ax, f"{origin} → {dest}", fontsize=9)
        ax.tick_params(labelsize=TICK_FONT)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=TICK_FONT - 0.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, ncol=2)
    suptitle(fig, run_title([run], "which option as the cargo's value rises (logit at the simulated times and costs)"))
    return fig


def co2_figure(runs: Sequence[RunData], colours: Mapping[str, str]) -> Figure:
    """Per origin–destination pair: kg CO2e per TEU of each option (the largest flow's cargo)."""
    run, flows = _flows(runs)
    groups = _groups(flows)
    fig, axes = grid(len(groups), 2, (5.6, 0.5 + 0.45 * max(len(k[2]) for k in groups)), top=1.2)
    for ax, ((origin, dest, ids), fids) in zip(axes, groups.items()):
        big = max(fids, key=lambda fid: _volume(flows[fid]))
        f = flows[big]
        values = [_mean(f["options"][rid]["co2e_kg_per_teu"]) for rid in ids]
        y = np.arange(len(ids))
        palette = _option_colours(ids)
        ax.barh(y, [v if math.isfinite(v) else 0.0 for v in values], color=[palette[r] for r in ids])
        for yi, v in zip(y, values):
            ax.annotate("no factor" if not math.isfinite(v) else f"{v:,.0f}", (v if math.isfinite(v) else 0.0, yi),
                        textcoords="offset points", xytext=(4, 0), va="center", fontsize=TICK_FONT)
        ax.set_yticks(y, list(ids), fontsize=TICK_FONT)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.invert_yaxis()
        ax.set_xlabel(f"kg CO2e per TEU (well to wheel, {f['cargo']['tonnes_per_teu']:g} t/TEU)", fontsize=TICK_FONT)
        panel_title(ax, f"{origin} → {dest}", fontsize=9)
        ax.tick_params(labelsize=TICK_FONT)
        ax.margins(x=0.25)
    suptitle(fig, run_title([run], "CO2e of a TEU by option"))
    return fig
