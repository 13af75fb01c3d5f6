"""Terminal tables of shippers' choices: how each flow split (``routesim run``) and every
option between two nodes with its break-even values (``routesim options``)."""

from __future__ import annotations

import math

from typing import Any

from sim.choice.options import OptionsAnswer
from sim.report.tables import format_table


def _money(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:,.0f}"


def _value(v: float) -> str:
    return "∞" if not math.isfinite(v) else f"{v:,.2f}"


def options_text(answer: OptionsAnswer) -> str:
    """The options table and where each is cheapest, as the CLI prints them."""
    c = answer.cargo
    priced = c.value_usd_per_kg is not None
    cargo = (f"cargo {c.label + ', ' if c.label else ''}{c.value_usd_per_kg:g} US$/kg, " if priced else "cargo ")
    lines = [
        f"{answer.origin} → {answer.destination}: {len(answer.rows)} option{'s' if len(answer.rows) != 1 else ''}; "
        f"{cargo}{c.tonnes_per_teu:g} t/TEU, time cost {c.time_cost_per_day:.2%} of value per day"
    ]
    headers = ["option", "mode", "days mean", "p95", "cost US$/TEU", "line haul", "handling", "border", "transit",
               "subsidy", "kg CO2e/TEU"]
    carbon = any(r.carbon_usd for r in answer.rows)
    if carbon:
        headers += ["carbon US$/TEU"]
    if priced:
        headers += ["generalised US$/TEU"]
    if priced and answer.logit_scale_per_usd is not None:
        headers += ["share"]
    rows = []
    for r in answer.rows:
        whole = r.cost.complete  # else the total and the line haul are unknown, not the sum of the rest
        row = [r.route, r.mode, f"{r.times.mean:.1f}{'' if r.observed else '*'}", f"{r.times.p95:.1f}",
               _money(r.cost.total if whole else None), _money(r.cost.line_haul if whole else None),
               _money(r.cost.handling), _money(r.cost.border), _money(r.cost.transit_tariff), _money(r.cost.subsidy),
               _money(r.co2e_kg)]
        if carbon:
            row.append(_money(r.carbon_usd))
        if priced:
            row.append(_money(r.generalised_usd))
        if priced and answer.logit_scale_per_usd is not None:
            row.append("—" if r.share is None else f"{r.share:.1%}")
        rows.append(tuple(row))
    lines.append(format_table(tuple(headers), rows, (False, False) + (True,) * (len(headers) - 2)))
    if any(not r.observed for r in answer.rows):
        lines.append("* free-flow time: the run delivered nothing on this option (no queues counted)")
    unpriced = [r for r in answer.rows if not r.cost.complete]
    for r in unpriced:
        lines.append(f"— no cost for {r.route}: no rate prices the ride of {', '.join(r.cost.unpriced)} "
                     "(the scenario's [costs]); it takes no share and no part in the break-even values")
    lines.append("")
    if answer.breakeven:
        lines.append("cheapest (generalised cost) by cargo value, US$/kg:")
        for lo, hi, rid in answer.breakeven:
            lines.append(f"  {_value(lo)} – {_value(hi)}: {rid}")
    else:
        lines.append("cheapest by cargo value: not known, no option has a whole cost")
    lines.append("paths:")
    for r in answer.rows:
        lines.append(f"  {r.route}: {' → '.join(r.path)}")
    return "\n".join(lines)


def _mean(d: dict | None, digits: int = 0, pct: bool = False) -> str:
    m = None if d is None else d.get("mean")
    if m is None:
        return "—"
    return f"{m:.1%}" if pct else f"{m:,.{digits}f}"


FLOW_HEADERS = ("flow", "option", "share", "95% CI", "TEU/yr", "days", "cost US$/TEU", "kg CO2e/TEU",
                "generalised US$/TEU")
FLOW_NOTE = ("share: of the flow's containers created in the window, mean over replications; generalised cost: "
             "cost + time value x (mean + buffer days) + carbon price x CO2e, at the times shippers expected "
             "(the simulated ones, by booking period)")


def flow_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per flow and option: share (95% CI), TEU/yr, door-to-door days, cost, CO2e, generalised cost."""
    rows = []
    for fid, f in summary.get("flows", {}).items():
        for rid, o in f["options"].items():
            lo, hi = o["share"]["ci95"]
            ci = "—" if lo is None else f"{lo:.1%}–{hi:.1%}"
            gc = o.get("generalised_cost_usd_per_teu")
            rows.append((fid, rid, _mean(o["share"], pct=True), ci, _mean(o["teu_per_year"]), _mean(o["transit_days"], 1),
                         _mean(o["cost_usd_per_teu"]), _mean(o["co2e_kg_per_teu"]), "—" if gc is None else f"{gc:,.0f}"))
    return rows


def convergence_lines(summary: dict[str, Any]) -> list[str]:
    """The equilibrium in a line (the flows share its iterations), and the flows whose own
    gap is above the tolerance, if any."""
    records = {fid: f["convergence"] for fid, f in summary.get("flows", {}).items() if f.get("convergence")}
    if not records:
        return []
    # The flows share the iterations; the method of any flow that chooses (fixed ones do not).
    c = next((r for r in records.values() if not r["method"].startswith("none")), next(iter(records.values())))
    worst = max(records, key=lambda fid: records[fid]["gap"])
    n = c["iterations"]
    out = [f"{n} iteration{'s' if n != 1 else ''} ({c['method']}); largest gap {c.get('largest_gap', c['gap']):.4f} ({worst}), "
           f"tolerance {c['tolerance']:g}: {'converged' if c['converged'] else 'NOT converged'}"]
    out += [f"{fid}: gap {r['gap']:.4f}" for fid, r in records.items() if r["gap"] >= r["tolerance"]]
    return out


def flows_table(summary: dict[str, Any]) -> str:
    """The flows' rows as a terminal table, with the equilibrium's convergence under it."""
    table = format_table(FLOW_HEADERS, flow_rows(summary), (False, False) + (True,) * (len(FLOW_HEADERS) - 2))
    notes = convergence_lines(summary)
    return table + ("\nequilibrium (shares against the choice rule's answer to the simulated times):\n  "
                    + "\n  ".join(notes) if notes else "")
