"""Colours that stay the same for a route, or a scenario, across every figure of a run."""

from __future__ import annotations

from typing import Iterable

# tab10, then fourteen darker colours, each picked to lie farthest (CIE Lab) from those before
# it and each at least 2.5:1 against white: tab20's pale half, used before, faded into the
# white of the panels.  No two of the 24 are closer than tab10's orange and the last one.
_ROUTE_PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f", "#a6761d", "#8e0152", "#637939", "#1b9e77", "#393b79", "#e7298a",
    "#01665e", "#542788", "#7b4173", "#b15928", "#004c6d", "#ad494a", "#276419", "#e6550d",
)
_SCENARIO_PALETTE = ("#1b4f72", "#c0392b", "#229954", "#b9770e", "#6c3483", "#117a65")
SCENARIO_STYLES = ("-", "--", ":", "-.")


def route_colours(route_ids: Iterable[str]) -> dict[str, str]:
    """One colour per route id, by first appearance; beyond the palette, colours repeat."""
    ids = list(dict.fromkeys(route_ids))
    return {rid: _ROUTE_PALETTE[i % len(_ROUTE_PALETTE)] for i, rid in enumerate(ids)}


def scenario_colours(labels: Iterable[str]) -> dict[str, str]:
    """One colour per scenario of a comparison, in the order they were given."""
    ids = list(dict.fromkeys(labels))
    return {label: _SCENARIO_PALETTE[i % len(_SCENARIO_PALETTE)] for i, label in enumerate(ids)}
