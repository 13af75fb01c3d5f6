"""Every figure of a run or a comparison, by file name, saved byte-for-byte reproducibly."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Collection, Sequence

from matplotlib.figure import Figure

from sim.viz.save import FORMATS, plain_text, save
from sim.viz.colours import route_colours, scenario_colours
from sim.viz.flows import bottleneck_figure, throughput_figure
from sim.viz.marey import default_marey_route, marey_figure
from sim.viz.transit import transit_box_figure, transit_ecdf_figure
from sim.viz.choice import breakeven_figure, co2_figure, flow_options_figure, has_flows
from sim.viz.events import events_figure, has_events
from sim.viz.common import all_routes, run_title
from sim.output.run_data import RunData



def figure_builders(runs: Sequence[RunData], marey_route: str | None = None,
                    marey_window: tuple[float, float] | None = None) -> dict[str, Callable[[], Figure]]:
    """File stem -> a function drawing that figure, in the order the report shows them;
    the time-space chart of ``marey_route`` over ``marey_window`` (start day, days)."""
    # One colour per route for every figure: over the union of the routes in a comparison,
    # so a route keeps its colour whichever scenario it appears in.
    colours = route_colours(all_routes(runs))
    scenarios = scenario_colours(run.label for run in runs)
    marey = marey_route or default_marey_route(runs[0])
    if not any(marey in run.scenario.routes for run in runs):
        raise ValueError(f"no scenario has route {marey!r} for the time-space chart")
    builders = {
        "transit_ecdf": lambda: transit_ecdf_figure(runs, colours, scenarios),
        "transit_times": lambda: transit_box_figure(runs, colours, scenarios),
        "throughput": lambda: throughput_figure(runs, colours, scenarios),
        "bottlenecks": lambda: bottleneck_figure(runs, colours, scenarios),
        f"marey_{marey}": lambda: marey_figure(runs, marey, colours, scenarios, window=marey_window),
        "route_map": lambda: _route_map(runs),
    }
    if has_events(runs):  # only a scenario with [[events]] has its figure
        builders["events"] = lambda: events_figure(runs, colours)
    if has_flows(runs):  # only a scenario with [[flows]] has its shippers' figures
        builders["flow_options"] = lambda: flow_options_figure(runs, colours)
        builders["flow_breakeven"] = lambda: breakeven_figure(runs, colours)
        builders["flow_co2"] = lambda: co2_figure(runs, colours)
    return {stem: plain_text(build) for stem, build in builders.items()}


def _route_map(runs: Sequence[RunData]) -> Figure:
    """The route map of sim.viz.routemap: per run an overland and a world panel, routes by
    corridor, line width by TEU carried per year."""
    from sim.viz.routemap import route_map_figure  # its own module, heavy (map data): only when drawn

    panels = []
    for run in runs:
        teu = {
            rid: (r.get("throughput_teu_per_year") or {}).get("mean") or 0.0
            for rid, r in run.summary["routes"].items()
        }
        panels.append((run.label, run.scenario, teu))
    return route_map_figure(panels, title=run_title(runs, "routes by corridor, line width by TEU per year"))




def write_figures(
    runs: Sequence[RunData], folder: Path, fmt: str = "png", marey_route: str | None = None,
    marey_window: tuple[float, float] | None = None, only: Collection[str] | None = None,
    saved: Callable[[Figure, Path], None] | None = None,
) -> list[Path]:
    """Draw and save every figure (or those ``only`` names) into ``folder`` as <stem>.<fmt>;
    the paths in report order.  ``saved(figure, path)`` is called after each is saved, while
    the figure is still at hand (report.html makes its page copy there)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}")
    paths = []
    for stem, build in figure_builders(runs, marey_route, marey_window).items():
        if only is not None and stem not in only:
            continue
        path = folder / f"{stem}.{fmt}"
        fig = build()
        save(fig, path, fmt)
        if saved is not None:
            saved(fig, path)
        paths.append(path)
    return paths
