"""Departure rules against their exact formulas, and a deterministic corridor to the digit.

- timetable every h days, Poisson arrivals, ample capacity: mean wait for departure h/2;
- the same with a capacity cap: share of containers rolled over to a later departure,
  from the stationary backlog of the Poisson arrivals per cycle;
- depart when N containers wait: mean wait (N - 1) / (2 lam); with a maximum wait T as well,
  the fixed-length / fixed-time dispatch rule's exact mean (verification_models);
- a corridor where everything is fixed: each container's delivery time by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.simulation import run_replication
from sim.engine.replications import run_experiment
from verification_models import assert_contains, rolled_over_fraction, scenario_file, when_full_wait

R = 48  # replications: the 99.9% intervals of intervals.assert_contains stay within their bounds

TIMETABLE = """\
[run]
name = "timetable"
horizon_days = {horizon}
warmup_days = 30
cooldown_days = 30

[[nodes]]
id = "a"

[[nodes]]
id = "b"

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1000
duration_days = 1

[[services]]
id = "train"
vehicle = "train"
capacity_teu = {capacity_teu}
schedule = {schedule}

[[routes]]
id = "r"
path = ["a", "b"]
services = "train"
[routes.demand]
teu_per_year = {teu}
container_teu = 2
arrivals = "poisson"
"""


def _next_departure(created: np.ndarray, offset: float, headway: float) -> np.ndarray:
    """The first timetabled departure at or after each arrival, times computed as the
    timetable computes them (offset + j * headway), so a tie is a tie to the last bit."""
    grid = offset + np.arange(int(created.max() / headway) + 3) * headway
    return grid[np.searchsorted(grid, created, side="left")]


def _counted(result, s):
    ledger = result.ledgers["r"]
    keep = (ledger.created >= s.warmup_days) & (ledger.created < s.horizon_days)
    return ledger.created[keep], ledger.departed[keep]


def _mean_waits(scenario, seed: int) -> list[float]:
    """Per replication, the mean wait for departure of the counted containers."""
    waits = []
    for r in run_experiment(scenario, R, seed=seed):
        created, departed = _counted(r, scenario.settings)
        waits.append(float((departed - created).mean()))
    return waits


def test_timetable_with_ample_capacity_waits_half_a_headway(tmp_path):
    h, lam = 0.5, 20.0  # two trains a day, 20 containers a day
    text = TIMETABLE.format(horizon=200, capacity_teu=1000, teu=lam * 365 * 2,
                            schedule="{ departures_per_week = 14, offset_days = 0.1 }")
    assert_contains(_mean_waits(scenario_file(tmp_path, text), seed=3), h / 2, "timetable wait", 0.02)


def test_capacity_cap_rolls_over_the_share_the_backlog_chain_predicts(tmp_path):
    h, per_cycle, cap = 1.0, 10.0, 12  # 10 containers a day on average, trains of 12
    text = TIMETABLE.format(horizon=1500, capacity_teu=cap * 2, teu=per_cycle / h * 365 * 2,
                            schedule="{ departures_per_week = 7, offset_days = 0.5 }")
    scenario = scenario_file(tmp_path, text)
    s = scenario.settings
    shares = []
    for r in run_experiment(scenario, R, seed=11):
        created, departed = _counted(r, s)
        first = _next_departure(created, offset=0.5, headway=h)
        shares.append(float((departed > first + 1e-9).mean()))
    assert_contains(shares, rolled_over_fraction(per_cycle * h, cap), "rolled-over share", 0.10)
    # The calculation itself: no roll-over with room to spare, and more with less room.
    assert rolled_over_fraction(per_cycle * h, 40) < 1e-9
    assert rolled_over_fraction(per_cycle * h, 11) > rolled_over_fraction(per_cycle * h, cap)


@pytest.mark.parametrize("max_wait", [None, 0.6, 0.25])
def test_depart_when_full_or_after_a_maximum_wait(tmp_path, max_wait):
    lam, n = 4.0, 5  # 4 containers a day, trucks of 5 containers
    rule = "{ when_full = true }" if max_wait is None else f"{{ when_full = true, max_wait_days = {max_wait} }}"
    text = TIMETABLE.format(horizon=1000, capacity_teu=n * 2, teu=lam * 365 * 2, schedule=rule)
    waits = _mean_waits(scenario_file(tmp_path, text), seed=5)
    assert_contains(waits, when_full_wait(lam, n, max_wait), f"when-full wait (T={max_wait})", 0.03)


DETERMINISTIC = """\
[run]
name = "fixed"
horizon_days = 60
warmup_days = 0
cooldown_days = 20

[[nodes]]
id = "a"
handling_hours = { train = 12 }

[[nodes]]
id = "border"
servers = 4
handling_hours = { train = 5 }

[[nodes]]
id = "b"
handling_hours = { train = 6 }

[[legs]]
id = "a_border"
from = "a"
to = "border"
mode = "rail"
distance_km = 2400
speed_km_per_day = 800

[[legs]]
id = "border_b"
from = "border"
to = "b"
mode = "rail"
distance_km = 1500
speed_km_per_day = { dist = "fixed", value = 1000 }

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 200
schedule = { departures_per_week = 7, offset_days = 0.3 }

[[routes]]
id = "r"
path = ["a", "border", "b"]
services = "train"
[routes.demand]
teu_per_year = 3650
container_teu = 2
arrivals = "even"
"""


def test_deterministic_corridor_to_floating_point(tmp_path):
    """Departure at the next 0.3 + k day, then 12 h + 3 d + 5 h + 1.5 d + 6 h, to the digit."""
    scenario = scenario_file(tmp_path, DETERMINISTIC)
    r = run_replication(scenario, 1, 0)
    ledger = r.ledgers["r"]
    done = ~np.isnan(ledger.delivered)
    created = ledger.created[done]
    departure = _next_departure(created, offset=0.3, headway=1.0)
    expected = departure + 12 / 24 + 2400 / 800 + 5 / 24 + 1500 / 1000 + 6 / 24
    np.testing.assert_allclose(ledger.delivered[done], expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ledger.departed[done], departure, rtol=0, atol=1e-12)
    assert done.sum() > 250  # five containers a day for two months


def test_dispatch_formula_reduces_to_the_two_classic_rules():
    """The combined rule (leave with N, or T after the first) against its two limits, the
    fixed-length and fixed-time accumulation rules compared in Sustainability 2021,
    13(5):2806: N alone gives (N - 1) / (2 lam); T alone (N unreachable) gives
    (T + lam T^2 / 2) / (1 + lam T)."""
    lam = 4.0
    assert when_full_wait(lam, 5, 1e3) == pytest.approx((5 - 1) / (2 * lam), rel=1e-5)  # trapezoid rule
    t = 2.0
    assert when_full_wait(lam, 120, t) == pytest.approx((t + lam * t * t / 2) / (1 + lam * t), rel=1e-6)
