"""Colours that stay the same for a route, or a scenario, across every figure of a run."""

from __future__ import annotations

from typing import Iterable

# Qualitative colours that stay apart from each other and from the grey of the map;
# tab20's pairs are interleaved so that neighbouring routes never share a hue.
_ROUTE_PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f", "#aec7e8", "#ff9896", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
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
