"""What a dated event costs the engine, as ratios to the same replication without it.

    python benchmarks/bench_events.py [--repeat K]

Each line times one replication of china_europe_2020 (engine only, ``run_replication``, in
this process) with one event added, against the same replication without events, best of K
runs each, alternating so that a change in the machine's speed hits both alike.  Beside the
time ratio it prints the share of the run's vehicle trips the event touched (held, slowed,
diverted) or, for a demand event, the share of containers it added: issue 13 asks that an
event cost in proportion to what it touches, and that a scenario without events cost
nothing (that one is the ``engine`` rows of bench_engine.py, which run no event code).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sim  # noqa: E402
from sim.engine.simulation import run_replication  # noqa: E402

SCENARIO = "china_europe_2020"
EVENTS = {
    "Suez closed 6 days": "closure:nodes.suez:2020-03-23+6",
    "Dostyk at 4 of 7 tracks, 60 days": "capacity:nodes.dostyk:2020-08-01+60,set={ servers = 4 }",
    "rail demand +25%, 90 days": "demand:routes.rail_xian_duisburg:2020-09-01+90,factor=1.25",
    "Asia-Europe ships round the Cape, 60 days": (
        "kind=divert,target=routes.sea_shanghai_rotterdam,start=2020-10-01,duration_days=60,"
        "path=[\"shanghai\", \"ningbo\", \"yantian\", \"singapore\", \"cape_good_hope\", \"rotterdam\"]"
    ),
}


def best(fn, repeat: int) -> tuple[float, object]:
    """Shortest wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best kept (default 3)")
    args = parser.parse_args(argv)
    base = sim.load(SCENARIO)
    print(f"{SCENARIO}, one replication, engine only, best of {args.repeat}")
    print(f"  {'event':<44}{'time / without':>15}   touched")
    for label, text in EVENTS.items():
        with_event = sim.load(base, events=[text])
        calm_times, with_times = [], []
        result = calm = None
        for _ in range(args.repeat):  # alternate, so both see the same machine
            t, calm = best(lambda: run_replication(base, 2020, 0), 1)
            calm_times.append(t)
            t, result = best(lambda: run_replication(with_event, 2020, 0), 1)
            with_times.append(t)
        record = next(iter(result.events.values()))
        if record.kind == "demand":
            added = sum(int((r < 0).sum()) for r in record.base_rows.values())
            total = sum(l.created.size for l in calm.ledgers.values())
            touched = f"{added:,} of {total:,} containers ({100 * added / total:.2f}%)"
        else:
            trips = sum(t.depart.size for t in calm.trips.values())
            hit = len(set(record.trips.tolist()))
            touched = f"{hit:,} of {trips:,} trips ({100 * hit / trips:.2f}%)"
        print(f"  {label:<44}{min(with_times) / min(calm_times):>15.3f}   {touched}")
    print("  (touched: vehicle trips the event held, slowed or diverted; for demand, containers it added)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
