"""Benchmark the shippers' choice (issue: "Which route for my cargo?") against its targets.

    python benchmarks/bench_choice.py [SCENARIO] [-n N] [--repeat K]

SCENARIO is a scenario with [[flows]] (default: the bundled china_europe_shippers_2020).
It prints ratios, measured in this one process, never a lone time:

* an equilibrium of K iterations against the K single runs of the shares it simulated, each
  timed alone (<= ~1.05: the iteration costs nothing beyond its runs), and K itself; also
  against K runs of its last shares (iterations differ in cost: early shares that send
  cargo by 2-TEU trucks cost more events than the final ones);
* a run with its cost and CO2e accounting against the same run with every price and
  factor taken out (< 1.10), the metrics table and summary included in both.

Exit status 0 whatever the results (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import sim  # noqa: E402
from sim.analysis.metrics_table import metrics_table  # noqa: E402
from sim.analysis.summary import summarize  # noqa: E402
from sim.engine.replications import run_experiment  # noqa: E402
from sim.model.flows import Assignment  # noqa: E402
from sim.model.scenario import Scenario  # noqa: E402

DEFAULT_SCENARIO = "china_europe_shippers_2020"


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (noise only ever adds time) and the last value."""
    best, value = math.inf, None
    for _ in range(repeat):
        value = None
        gc.collect()
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def without_accounting(scenario: Scenario) -> Scenario:
    """The same network and flows (same shares) with no price, charge, tariff or CO2e factor."""
    nodes = {k: dataclasses.replace(n, charges=None) for k, n in scenario.nodes.items()}
    legs = {k: dataclasses.replace(l, rate=None, co2e_g_per_tkm=None) for k, l in scenario.legs.items()}
    services = {k: dataclasses.replace(v, rate=None, subsidy=None) for k, v in scenario.services.items()}
    return dataclasses.replace(scenario, nodes=nodes, legs=legs, services=services, costs=None, emissions=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument("-n", "--replications", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many timings of each single run")
    args = parser.parse_args(argv)
    scenario = sim.load(args.scenario)
    if not scenario.flows:
        print(f"{args.scenario}: no [[flows]], nothing to benchmark", file=sys.stderr)
        return 2
    seed, reps = scenario.settings.seed, args.replications

    t_eq, run = best_time(lambda: sim.run(scenario, reps, seed), 1)
    k = len(run.equilibrium.iterations)
    final = run.scenario  # the last shares simulated
    t_one, _ = best_time(lambda: run_experiment(final, reps, seed), args.repeat)
    cuts = run.equilibrium.assignment.cuts
    t_each = 0.0
    for it in run.equilibrium.iterations:  # each iteration's shares, simulated alone
        shares = dataclasses.replace(final, assignment=Assignment(cuts, it.shares))
        t_each += best_time(lambda: run_experiment(shares, reps, seed), 1)[0]
    print(f"scenario {scenario.settings.name}, {reps} replication(s), seed {seed}")
    print(f"equilibrium: K = {k} iterations, gap {run.equilibrium.gap:.4f} "
          f"({'converged' if run.equilibrium.converged else 'not converged'}, tolerance {run.equilibrium.tolerance:g})")
    print(f"equilibrium time / the K runs of its shares, each alone: {t_eq / t_each:.3f}  (target <= ~1.05)")
    print(f"equilibrium time / (K x one run of its last shares): {t_eq / (k * t_one):.3f}")

    def whole(scn: Scenario) -> Callable[[], Any]:
        def go() -> Any:
            results = run_experiment(scn, reps, seed)
            return summarize(scn, metrics_table(scn, results))
        return go

    plain = without_accounting(final)
    t_with, _ = best_time(whole(final), args.repeat)
    t_without, _ = best_time(whole(plain), args.repeat)
    print(f"run + metrics + summary with cost and CO2e accounting / without: {t_with / t_without:.3f}  (target < 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
