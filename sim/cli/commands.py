"""The routesim commands that run or read scenarios: run, compare, plot, list, options, validate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from sim import api
from sim.analysis.metrics import vocabulary
from sim.cli.options import event_options
from sim.cli.say import OTHER_OUT, impact_note, progress_bar, say, scenario_warnings, status, worker_note
from sim.model.claims import load_claims, scenario_ref
from sim.model.errors import UsageError
from sim.model.event_text import event_override
from sim.model.loader import load_scenario
from sim.model.documents import bundled_names, claims_path
from sim.model.overrides import parse_override
from sim.model.suggest import unknown_key_message
from sim.model.text import counted
from sim.output.containers import check_format as check_containers
from sim.output.files import check_out_dir
from sim.output.folder import folder_lock, read_manifest
from sim.report.choice import flows_table, options_text
from sim.report.draw import check_figure_format, check_marey_route, check_marey_window, redraw
from sim.report.fleets import fleet_rows, fleets_table, shared_rows, shared_table
from sim.report.event_tables import events_table
from sim.report.tables import (
    comparison_text, measured_window, metrics_listing, node_listing, nodes_table, routes_table, run_warnings, scenario_listing,
    validation_text,
)


def cmd_run(args: argparse.Namespace) -> int:
    """Load, run, write the results folder (figures, report), print the tables."""
    if args.metrics:
        if args.scenario is not None or args.overrides:
            given = f"SCENARIO {args.scenario}" if args.scenario is not None else "--set"
            raise UsageError(
                f"run --metrics lists the metrics and runs nothing, so it takes no {given}: "
                "use 'routesim run --metrics' alone, or run the scenario without --metrics"
            )
        print(metrics_listing(vocabulary()))
        return 0
    if args.scenario is None:
        raise UsageError("run needs a SCENARIO (a bundled name such as china_europe_2020, or a .toml file)")
    check_containers(args.containers)
    args.events = event_options(args.events)
    scenario = api.load(args.scenario, args.overrides, args.events)
    scenario_warnings(scenario)
    worker_note(args)
    check_figure_format(args.format)
    check_marey_route(args.marey, [list(scenario.routes)])
    check_marey_window(args.marey_window)
    out = args.out if args.out is not None else Path("results") / scenario.settings.name
    check_out_dir(out)
    args.previous = out if read_manifest(out) else None
    reps = args.replications or scenario.settings.replications
    impact = not args.no_impact
    impact_note(args, [scenario], impact)
    with folder_lock(out, retry=OTHER_OUT):
        run = api.run(scenario, reps, args.seed, args.workers, progress=progress_bar(args, reps, scenario.settings.name),
                      impact=impact)
        status(args, "writing results, figures and report.html ...")
        # Recorded the moment the folder is in place: a signal from here on (releasing the
        # lock, printing the tables) reports the results as written, not the old ones as kept.
        args.written = run.write(out, figures=not args.no_plot, fmt=args.format, marey=args.marey, containers=args.containers,
                                 marey_window=args.marey_window)
    summary = run.summary.to_dict()
    for warning in run_warnings(summary):
        say("warning", warning)
    if not args.quiet:
        _print_report(summary, out)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Run scenarios with common random numbers; write each run, the differences and figures."""
    check_containers(args.containers)
    args.events = event_options(args.events)
    scenarios = [api.load(name, args.overrides, args.events) for name in args.scenarios]
    inputs = list(args.scenarios)
    vary = [parse_override(v, flag="--vary") for v in args.vary]
    vary += [event_override(v, flag="--vary-event") for v in args.vary_events]
    if vary:
        scenarios.append(api.load(scenarios[0], vary))
        inputs.append(inputs[0] + "".join(f" --vary {v}" for v in args.vary)
                      + "".join(f" --vary-event {v}" for v in args.vary_events))
    api.check_comparable(scenarios, inputs)
    for scn in scenarios[: len(args.scenarios)]:
        scenario_warnings(scn)
    worker_note(args)
    check_figure_format(args.format)
    check_marey_route(args.marey, [list(sc.routes) for sc in scenarios])
    check_marey_window(args.marey_window)
    routes = _route_filter(args.routes, scenarios)
    reps = args.replications or scenarios[0].settings.replications
    out = args.out if args.out is not None else api.default_folder(api.labels_for(scenarios))
    check_out_dir(out)
    args.previous = out if read_manifest(out) else None
    bar = progress_bar(args, reps * len(scenarios), "compare")
    impact = not args.no_impact
    impact_note(args, scenarios, impact)
    with folder_lock(out, retry=OTHER_OUT):
        comparison = api.compare(
            *args.scenarios, replications=reps, seed=args.seed, workers=args.workers, overrides=args.overrides,
            vary=vary or None, progress=bar, events=args.events, impact=impact,
        )
        status(args, "writing results, figures and report.html ...")
        args.written = comparison.write(
            out, figures=not args.no_plot, fmt=args.format, marey=args.marey, containers=args.containers,
            marey_window=args.marey_window,
        )
    for label, r in zip(comparison.labels, comparison.runs):
        for warning in run_warnings(r.summary.to_dict()):
            say("warning", f"{label}: {warning}")
    if not args.quiet:
        print(comparison_text(comparison.document, routes))
        # An arm whose events no other arm has (--vary-event): their impact in its own run.
        shared = set.intersection(*(set(r.summary.to_dict().get("events", {})) for r in comparison.runs))
        for label, r in zip(comparison.labels, comparison.runs):
            summary = r.summary.to_dict()
            own = {k: v for k, v in summary.get("events", {}).items() if k not in shared and "containers_affected" in v}
            if own:
                print()
                print(f"{label}: events (impact against the same replications without events):")
                print(events_table({**summary, "events": own}))
        print()
        print(f"results: {out}/")
    return 0


def _route_filter(text: str | None, scenarios: Sequence) -> list[str] | None:
    """--routes ID,ID: route ids the baseline has, checked before anything runs."""
    if text is None:
        return None
    known = list(scenarios[0].routes)
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise UsageError("--routes: give route ids separated by commas")
    for ident in ids:
        if ident not in known:
            raise UsageError("--routes: " + unknown_key_message(ident, known, what="route"))
    return ids


def cmd_plot(args: argparse.Namespace) -> int:
    """Re-draw the figures and report of a results folder from its files."""
    drawn = redraw(args.folder, args.format, args.marey, check_marey_window(args.marey_window))
    if not args.quiet:
        for path in drawn:
            print(path)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print each bundled scenario (or the one given) with its routes and flows, or its nodes."""
    names = [args.scenario] if args.scenario else bundled_names()
    if not names:
        raise UsageError("no bundled scenarios found (is the package installed whole?)")
    show = node_listing if args.nodes else scenario_listing
    print("\n\n".join(show(load_scenario(name)) for name in names))
    return 0


def cmd_options(args: argparse.Namespace) -> int:
    """Print every door-to-door option between two nodes, priced for the cargo given."""
    scenario = api.load(args.scenario, args.overrides)
    reps = args.replications or scenario.settings.replications
    answer = api.options(
        args.origin, args.destination, scenario, cargo_class=args.cargo_class, value_usd_per_kg=args.value_usd_per_kg,
        tonnes_per_teu=args.tonnes_per_teu, time_cost_per_day=args.time_cost_per_day, replications=reps,
        seed=args.seed, workers=args.workers,
        progress=progress_bar(args, reps * api.simulations(scenario), scenario.settings.name),
    )
    print(options_text(answer))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run a claims file's scenarios, evaluate its claims, write and print them."""
    out = args.out if args.out is not None else Path("results") / "validation"
    check_out_dir(out)
    # The progress bar needs the number of runs before they start.
    claims = load_claims(claims_path(args.claims))
    replications = args.replications or api.load(scenario_ref(claims, "current")).settings.replications
    progress = progress_bar(args, len(claims.scenarios) * replications, "validate")
    args.previous = out if read_manifest(out) else None
    with folder_lock(out, retry=OTHER_OUT):
        result = api.validate(args.claims, replications, args.seed, args.workers, args.overrides, progress=progress)
        args.written = result.write(out, figure=not args.no_plot)
    if not args.quiet:
        print(validation_text(result.report))
        print()
        print(f"results: {out}/")
    return 0 if result.passed else 1


def _print_report(summary: dict, out: Path) -> None:
    print(
        f"{summary['scenario']}: {counted(summary['replications'], 'replication')}, seed {summary['seed']}, "
        f"measured {measured_window(summary)}"
    )
    print()
    print(routes_table(summary))
    if any(n["servers"] for n in summary["nodes"].values()):
        print()
        print(nodes_table(summary))
    if fleet_rows(summary):
        print()
        print("fleets (services whose vehicles come back):")
        print(fleets_table(summary))
    if shared_rows(summary):
        print()
        print("shared services (several routes, or background load, on one vehicle):")
        print(shared_table(summary))
    if summary.get("flows"):
        print()
        print("flows (origin–destination cargo choosing among its options):")
        print(flows_table(summary))
    if summary.get("events"):
        print()
        measured = any("containers_affected" in e for e in summary["events"].values())
        print("events (impact against the same replications without events):" if measured
              else "events (impact not measured: --no-impact):")
        print(events_table(summary))
    print()
    print(f"results: {out}/")
