"""Shippers who choose: the logit, generalised cost, the equilibrium, flows' conservation,
against closed forms, hand sums and queueing theory.

TWO: a flow o -> d with two options.  ``a`` is a train o -> q -> d (a day to q, a day on
to d) whose trains carry exactly one 2-TEU container and leave as it arrives
(``when_full``), through a border q with one server and exponential handling of mean 12 h
(mu = 2 trains a day): q is an M/M/1 queue fed by the Poisson share of the flow that takes
a.  ``b`` is a truck o -> d of four days, one container a truck, leaving as it arrives, no
handling: exactly four days door to door.  No money costs; the time value is 5000 US$/t x
10 t x 0.002 = 100 US$ per TEU-day, theta = 0.01/US$, buffer_weight = 0 (only mean days).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from scenarios_for_tests import build, entry
from sim.choice.logit import cheapest_shares, choose, logit_shares

Z999 = 3.2905267314919255  # two-sided 99.9% normal quantile

TWO = """\
[run]
name = "two"
horizon_days = 400
warmup_days = 20
cooldown_days = 40
replications = 2
seed = 1

[[nodes]]
id = "o"
country = "AA"
[[nodes]]
id = "q"
kind = "border"
country = "BB"
servers = 1
handling_hours = { train = { dist = "exponential", mean = 12 } }
[[nodes]]
id = "d"
country = "CC"

[[legs]]
id = "oq"
from = "o"
to = "q"
mode = "rail"
distance_km = 1000
duration_days = 1
[[legs]]
id = "qd"
from = "q"
to = "d"
mode = "rail"
distance_km = 1000
duration_days = 1
[[legs]]
id = "od"
from = "o"
to = "d"
mode = "road"
distance_km = 2000
duration_days = 4

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 2
schedule = { when_full = true }
[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 2
schedule = { when_full = true }

[[routes]]
id = "a"
path = ["o", "q", "d"]
services = "train"
[[routes]]
id = "b"
path = ["o", "d"]
services = "truck"

[choice]
logit_scale_per_usd = 0.01
buffer_weight = 0
tolerance = 0.005
max_iterations = 60

[[flows]]
id = "f"
origin = "o"
destination = "d"
teu_per_year = 730
cargo_value_usd_per_tonne = 5000
tonnes_per_teu = 10
time_cost_per_day = 0.002
options = ["a", "b"]
"""

MU = 2.0  # trains a day served at q
LAM = 1.0  # flow containers a day (730 TEU/yr of 2-TEU containers)
THETA, VOT = 0.01, 100.0


def two(edit=None, **run):
    def change(doc):
        doc["run"].update(run)
        if edit is not None:
            edit(doc)

    return build(TWO, change)


def counts(run, flow_index: int = 0) -> dict[str, np.ndarray]:
    """Per option route, the flow's containers on it in each replication (whole run)."""
    out = {}
    for rid in ("a", "b"):
        per = []
        for r in run.results:
            tags = r.ledgers[rid].flow
            per.append(0 if tags is None else int((np.asarray(tags) == flow_index).sum()))
        out[rid] = np.array(per)
    return out


def assert_binomial(k: int, n: int, p: float) -> None:
    half = Z999 * math.sqrt(n * p * (1 - p))
    assert abs(k - n * p) <= half, f"{k} of {n} is outside {n * p:.1f} +- {half:.1f} (99.9%)"


def metric(run, kind: str, ident: str, name: str) -> np.ndarray:
    m = run.metrics
    rows = m[(m.kind == kind) & (m.id == ident) & (m.metric == name)].sort_values("replication")
    return rows.value.to_numpy()


# ---------------------------------------------------------------------------------------
# 1. The rules


def test_logit_is_the_closed_form_without_overflow_and_cheapest_ties_split() -> None:
    c = np.array([120.0, 80.0, 95.5, 300.0])
    theta = 0.037
    got = logit_shares(c, theta)
    want = np.exp(-theta * c) / np.exp(-theta * c).sum()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    # Costs whose exp(-theta c) underflows (and whose exp(+theta c) would overflow): only
    # differences count, so the shares are those of c - 1e6.
    huge = c + 1e6
    with np.errstate(all="raise"):
        got = logit_shares(huge, theta)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(logit_shares(-huge, theta),
                               np.exp(theta * (c - c.max())) / np.exp(theta * (c - c.max())).sum(), atol=1e-12)
    # An option that never delivers (infinite cost) gets exactly nothing, the others the
    # closed form among themselves.
    inf = np.array([120.0, math.inf, 95.5])
    got = logit_shares(inf, theta)
    assert got[1] == 0.0
    w = np.exp(-theta * np.array([120.0, 95.5]))
    np.testing.assert_allclose(got[[0, 2]], w / w.sum(), atol=1e-12)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    # cheapest: all to the cheapest, ties (to a cent) split equally, the rest 0.
    np.testing.assert_array_equal(cheapest_shares([5.0, 3.0, 3.0, 7.0]), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(cheapest_shares([5.0, 3.0, 3.004, 3.0]), [0.0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_array_equal(cheapest_shares([5.0, 3.0, 3.02]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(choose("cheapest", [math.inf, 2.0], None, None), [0.0, 1.0])
    np.testing.assert_array_equal(choose("fixed", [1.0, 9.0], None, (0.25, 0.75)), [0.25, 0.75])
    np.testing.assert_allclose(choose("logit", c, theta, None), want, atol=1e-12)


# ---------------------------------------------------------------------------------------
# 2. Identical options split evenly


IDENTICAL = """\
[run]
name = "identical"
horizon_days = 365
warmup_days = 0
cooldown_days = 30
replications = 3
seed = 4

[[nodes]]
id = "o"
[[nodes]]
id = "d"

[[legs]]
id = "od"
from = "o"
to = "d"
mode = "rail"
distance_km = 1000
duration_days = 2

[[services]]
id = "s1"
vehicle = "train"
capacity_teu = 1000
schedule = { departures_per_week = 7 }
rate = { usd_per_teu = 500 }
[[services]]
id = "s2"
vehicle = "train"
capacity_teu = 1000
schedule = { departures_per_week = 7 }
rate = { usd_per_teu = 500 }

[[routes]]
id = "a"
path = ["o", "d"]
services = "s1"
[[routes]]
id = "b"
path = ["o", "d"]
services = "s2"

[choice]
logit_scale_per_usd = 0.01

[[flows]]
id = "f"
origin = "o"
destination = "d"
teu_per_year = 7300
cargo_value_usd_per_tonne = 3000
tonnes_per_teu = 10
time_cost_per_day = 0
options = "all"
"""


def test_two_identical_options_split_half_and_half() -> None:
    """Same leg, same timetable, same price, no time value: the generalised costs are equal,
    so the logit gives 1/2 each, and each container's uniform sends it to either with
    probability 1/2: the count on ``a`` is Binomial(n, 1/2)."""
    run = sim.run(build(IDENTICAL), replications=3, seed=4)
    assert run.equilibrium.converged
    assert run.equilibrium.assignment.shares["f"] == ((0.5, 0.5),)
    c = counts(run)
    n = int(c["a"].sum() + c["b"].sum())
    assert n > 9000  # ~3650 containers a replication
    assert_binomial(int(c["a"].sum()), n, 0.5)
    # The metrics say the same: the flow's TEU per year on the two options add up to the flow's.
    ta, tb = metric(run, "flow_option", "f/a", "teu_per_year"), metric(run, "flow_option", "f/b", "teu_per_year")
    np.testing.assert_allclose(ta + tb, metric(run, "flow", "f", "teu_per_year"), rtol=1e-12)
    assert abs(ta.sum() / (ta.sum() + tb.sum()) - 0.5) < Z999 * 0.5 / math.sqrt(n)


# ---------------------------------------------------------------------------------------
# 3. Money and CO2e by hand

COST = """\
[run]
name = "cost"
horizon_days = 30
warmup_days = 0
cooldown_days = 30
replications = 1
seed = 1

[[nodes]]
id = "o"
country = "AA"
charges = { handling_usd_per_teu = 10 }
[[nodes]]
id = "g"
country = "BB"
gauge_change = true
charges = { handling_usd_per_teu = 15, border_usd_per_teu = 30 }
[[nodes]]
id = "x"
country = "CC"
charges = { handling_usd_per_teu = 12, border_usd_per_teu = 40, border_usd_per_tonne = 2 }
[[nodes]]
id = "d"
country = "EE"
charges = { handling_usd_per_teu = 20 }

[[legs]]
id = "og"
from = "o"
to = "g"
mode = "rail"
country = "AA"
traction = "electric"
distance_km = 1000
duration_days = 1
[[legs]]
id = "gx"
from = "g"
to = "x"
mode = "rail"
country = "BB"
traction = "diesel"
distance_km = 2000
duration_days = 2
[[legs]]
id = "xd"
from = "x"
to = "d"
mode = "road"
country = "EE"
distance_km = 300
duration_days = 1
rate = { usd_per_teu_km = 1.5 }
co2e_g_per_tkm = 80

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 1000
schedule = { departures_per_week = 7 }
rate = { usd_per_feu = 4000 }
subsidy = { usd_per_teu = 500 }
[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 2
schedule = { when_full = true }
rate = { usd_per_kg = 0.01 }

[[routes]]
id = "r"
path = ["o", "g", "x", "d"]
services = ["train", "train", "truck"]

[costs.transit_tariffs]
BB = { usd_per_teu_km = 0.05 }
CC = { usd_per_teu_km = 7 }

[emissions]
tonnes_per_teu = 8
g_co2e_per_tkm = { rail = 99, rail_electric = 10, rail_diesel = 25, road = 60 }

[[flows]]
id = "f"
origin = "o"
destination = "d"
teu_per_year = 730
cargo_value_usd_per_tonne = 1000
tonnes_per_teu = 12
time_cost_per_day = 0.001
options = ["r"]
choice = "fixed"
shares = { r = 1 }
"""


def hand_cost(tonnes: float) -> dict[str, float]:
    """US$ per TEU holding ``tonnes`` t on route r."""
    line = 4000 / 2 + 1.5 * 300 + 0.01 * 1000 * tonnes  # train per FEU; truck leg per TEU-km; truck per kg
    handling = 10 + 15 + 12 + 20  # origin, gauge change g, transfer x, destination
    border = 30 + (40 + 2 * tonnes)  # every node with a border charge
    tariff = 0.05 * 2000  # BB: a transit country; CC has no km of its own (no leg in CC)
    return {"line_haul": line, "handling": handling, "border": border, "transit_tariff": tariff, "subsidy": 500.0,
            "total": line + handling + border + tariff}


def hand_co2e_kg(tonnes: float) -> float:
    # electric rail 10 g/tkm, diesel rail 25, the truck leg its own 80 (not road's 60)
    return tonnes * (1000 * 10 + 2000 * 25 + 300 * 80) / 1000.0


@pytest.mark.parametrize("subsidies", [True, False])
def test_route_cost_and_co2e_per_teu_are_the_hand_sums(subsidies: bool) -> None:
    def edit(doc):
        doc.setdefault("costs", {})["subsidies"] = subsidies

    run = sim.run(build(COST, edit), replications=1, seed=1)
    d = run.summary.to_dict()
    route = d["routes"]["r"]
    want = hand_cost(8.0)  # the route has no demand of its own: [emissions] tonnes_per_teu
    extra = 0.0 if subsidies else 500.0
    assert route["cost"]["usd_per_teu"] == pytest.approx(want["total"] + extra, abs=0.005)
    for part in ("line_haul", "handling", "border", "transit_tariff", "subsidy"):
        assert route["cost"]["parts"][part] == pytest.approx(want[part], abs=0.005), part
    assert route["cost"]["subsidies"] is subsidies
    assert route["co2e"]["kg_per_teu"] == pytest.approx(hand_co2e_kg(8.0), abs=0.0005)
    # The flow's own cargo (12 t a TEU): the per-kg truck rate and per-tonne border charge scale.
    option = d["flows"]["f"]["options"]["r"]
    want12 = hand_cost(12.0)
    assert option["cost_usd_per_teu"]["mean"] == pytest.approx(want12["total"] + extra, abs=0.005)
    assert option["co2e_kg_per_teu"]["mean"] == pytest.approx(hand_co2e_kg(12.0), abs=0.0005)
    assert option["cost_parts_usd_per_teu"]["line_haul"] == pytest.approx(2000 + 450 + 120, abs=0.005)
    assert option["generalised_cost_parts"]["money"] == pytest.approx(want12["total"] + extra, abs=0.005)


def test_co2e_follows_the_simulated_load_factor_and_empty_running() -> None:
    """Where [emissions] says what load factor (and empty share) a default assumes, each
    leg's factor is rescaled to the load its service ran at: factor x L0 (1 - E0) / (L (1 - E)).

    By hand: 2 TEU arrive evenly each day and a 4-TEU train leaves daily, so after the
    warm-up every train runs half full (L = 0.5, measured in the run's own load_factor
    metric too).  Electric rail 10 g at L0 0.8, the train's own empty share 0.4, no E0:
    10 x 1.6 / 0.6; diesel 25 with E0 0.2: 25 x 1.6 x 0.8 / 0.6; the truck leg keeps its own 80.
    """
    def edit(doc):
        doc["run"]["warmup_days"] = 5
        train = entry(doc, "services", "train")
        train.update(capacity_teu=4, empty_running=0.4)
        entry(doc, "flows", "f")["arrivals"] = "even"
        doc["emissions"]["load_factor"] = {"rail_electric": 0.8, "rail_diesel": 0.8, "road": 0.5}
        doc["emissions"]["empty_running"] = {"rail_diesel": 0.2}

    run = sim.run(build(COST, edit), replications=1, seed=1)
    m = run.metrics
    assert m[(m.id == "r/train") & (m.metric == "load_factor")].value.tolist() == [0.5]
    per_tonne = (1000 * 10 * 1.6 / 0.6 + 2000 * 25 * 1.6 * 0.8 / 0.6 + 300 * 80) / 1000.0
    d = run.summary.to_dict()
    assert d["flows"]["f"]["options"]["r"]["co2e_kg_per_teu"]["mean"] == pytest.approx(12 * per_tonne, abs=0.0005)
    assert d["routes"]["r"]["co2e"]["kg_per_teu"] == pytest.approx(8 * per_tonne, abs=0.0005)
    # `routesim options` prices the option at the run's loads too.
    answer = sim.options("o", "d", run, tonnes_per_teu=10)
    assert [r.co2e_kg for r in answer.rows] == [pytest.approx(10 * per_tonne, abs=0.0005)]
    # Without the defaults' assumptions the factors hold as given, whatever the load.
    plain = sim.run(build(COST, lambda doc: (edit(doc), doc["emissions"].pop("load_factor"),
                                             doc["emissions"].pop("empty_running"),
                                             entry(doc, "services", "train").pop("empty_running"))),
                    replications=1, seed=1)
    assert plain.summary.to_dict()["routes"]["r"]["co2e"]["kg_per_teu"] == pytest.approx(hand_co2e_kg(8.0), abs=0.0005)


# ---------------------------------------------------------------------------------------
# 4. The equilibrium against the M/M/1 fixed point


def fixed_point(money_diff: float = 0.0, b_days: float = 4.0, lam: float = LAM) -> float:
    """s with s = 1 / (1 + exp(theta (GC_a(s) - GC_b))), GC_a(s) = money_diff + VOT (2 + 1/(mu - lam s)).
    The right side falls in s, so the difference is monotone: bisection."""

    def excess(s: float) -> float:
        ga = money_diff + VOT * (2.0 + 1.0 / (MU - lam * s))
        gb = VOT * b_days
        return s - 1.0 / (1.0 + math.exp(THETA * (ga - gb)))

    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def test_equilibrium_share_is_the_mm1_fixed_point() -> None:
    """Theory (bisection below): s* = 0.7666 (a takes 2 + 1/(2 - s*) = 2.81 days).
    Tolerance 0.015 from three parts: (i) the run stops with gap < 0.005, |s - R(s)| < 0.005,
    and R's slope is s(1-s) theta VOT / (mu - lam s)^2 ~ 0.12, so |s - s_hat| < 0.006 from
    the fixed point s_hat of the sampled times (MSA comes down from the free-flow share
    0.88, so s sits above it); (ii) s_hat is off s* through the expected time at q, a mean
    over ~ 0.77 x 4000 x 4 = 12000 sojourns (mean 0.8 d, autocorrelated at rho = 0.39,
    with the realised arrival rate's own noise: SE ~ 0.016 d), which moves s by
    s(1-s) theta VOT x SE / (1 + 0.12) = 0.0025, at 99.9% (3.3 SE) 0.008; (iii) the start
    empty biases the mean sojourn by well under 0.01 d over 4000 days.  0.006 + 0.008 <
    0.015 (seeds 1-8 gave s - s* between +0.002 and +0.007).  A queue whose service rate
    is off by 10% moves s* by 0.018 (faster) to 0.025 (slower) and fails."""
    star = fixed_point()
    assert 0.70 < star < 0.80
    run = sim.run(two(horizon_days=4000, warmup_days=50, cooldown_days=30), replications=4, seed=7)
    eq = run.equilibrium
    assert eq.converged and eq.gap < eq.tolerance == 0.005
    (share_a, share_b), = eq.assignment.shares["f"]
    assert share_a + share_b == pytest.approx(1.0, abs=1e-12)
    assert abs(share_a - star) < 0.015, (share_a, star)
    # The times the shippers expected: b exactly 4 days; a the M/M/1 sojourn plus two days.
    ta, tb = eq.times["a"][0], eq.times["b"][0]
    assert tb.mean == pytest.approx(4.0, abs=1e-9)
    assert ta.mean == pytest.approx(2.0 + 1.0 / (MU - LAM * share_a), abs=3.3 * 0.016)
    # The simulated share (containers counted in the window) is Binomial around the shares run.
    sa = metric(run, "flow_option", "f/a", "teu_per_year").sum()
    sb = metric(run, "flow_option", "f/b", "teu_per_year").sum()
    n = (sa + sb) * (4000 - 50) / 365 / 2  # TEU a year over the window -> containers
    sim_share = sa / (sa + sb)
    assert abs(sim_share - share_a) < Z999 * math.sqrt(share_a * (1 - share_a) / n) + 1e-9
    assert abs(sim_share - star) < 0.015 + Z999 * math.sqrt(star * (1 - star) / n)
    rec = run.summary.to_dict()["flows"]["f"]["convergence"]
    assert rec["converged"] is True and rec["gap"] < 0.005 and rec["iterations"] == len(eq.iterations)


# ---------------------------------------------------------------------------------------
# 5. A dearer day moves cargo to the faster option


def test_raising_the_time_value_moves_share_to_the_faster_option() -> None:
    """a is faster (2 + 1/(2 - s) days, 2.5-3 d, against 4) but dearer by 300 US$/TEU; at
    time values 50, 300, 1600 US$/TEU-day, theta (GC_a - GC_b) = 3 - theta V (1 to 1.5 d)
    gives shares of a near 0.1, 0.7, 1: the share of a must rise strictly with the time value."""
    shares = []
    for rate in (0.001, 0.006, 0.032):
        def edit(doc, rate=rate):
            entry(doc, "services", "train")["rate"] = {"usd_per_teu": 300}
            entry(doc, "services", "truck")["rate"] = {"usd_per_teu": 0}  # priced, and free
            doc["flows"][0]["time_cost_per_day"] = rate

        run = sim.run(two(edit, horizon_days=300), replications=2, seed=3)
        assert run.equilibrium.converged
        shares.append(run.equilibrium.assignment.shares["f"][0][0])
    assert shares[0] < shares[1] < shares[2], shares
    assert shares[0] < 0.25 and shares[2] > 0.75, shares


# ---------------------------------------------------------------------------------------
# 6. A dated closure moves share for its duration


def test_a_closure_moves_share_away_in_its_booking_period_only() -> None:
    """q closed on event days 180-210 (event days count from the end of the 20-day warm-up:
    simulation days 200-230 of 400).  Bookings on a in that period wait up to 30 days at q,
    so a's share in it falls to near 0; before and after, a keeps about the share it has
    without the closure.  What reaches the other periods: the bookings of the day before the
    closure (a day o -> q) meet it, ~0.77 x 4 = 3 containers over 4 replications (at most ~8
    at 99.9%) of the ~600 a took before, each ~30 days late: a's mean rises by at most
    8 x 30 / 600 = 0.4 d, theta x VOT x 0.4 = 0.4, a share move of at most s(1-s) x 0.4 < 0.08;
    after the closure the queue is gone within a day or two (few booked a during it).
    Tolerance 0.1 for both; the closure period's own move is > 0.5."""
    closure = {"id": "shut", "kind": "closure", "target": "nodes.q", "start": 180, "end": 210}

    def with_event(doc):
        doc["events"] = [dict(closure)]

    base = sim.run(two(horizon_days=400), replications=4, seed=5)
    (s0, _), = base.equilibrium.assignment.shares["f"]
    closed = sim.run(two(with_event, horizon_days=400), replications=4, seed=5, impact=False)
    eq = closed.equilibrium
    assert eq.assignment.cuts == (0.0, 200.0, 230.0, 400.0)
    rows = eq.assignment.shares["f"]
    assert len(rows) == 3
    before, during, after = (row[0] for row in rows)
    assert during < 0.05 and during < s0 - 0.5, (during, s0)
    assert abs(before - s0) < 0.1 and abs(after - s0) < 0.1, (before, after, s0)
    assert all(sum(row) == pytest.approx(1.0, abs=1e-12) for row in rows)
    # The flow's containers booked during the closure: few on a, as the shares said.
    in_a = in_b = 0
    for rep in range(4):
        t = created_times(closed, rep)
        in_a += int(((t["a"] >= 200) & (t["a"] < 230)).sum())
        in_b += int(((t["b"] >= 200) & (t["b"] < 230)).sum())
    n = in_a + in_b
    assert n > 60 and in_a <= n * during + Z999 * math.sqrt(n * during) + 1


# ---------------------------------------------------------------------------------------
# 7. Conservation, fixed shares, reproducibility


def fixed(shares: dict[str, float]):
    def edit(doc):
        f = doc["flows"][0]
        f["choice"] = "fixed"
        f["shares"] = dict(shares)

    return edit


def created_times(run, rep: int) -> dict[str, np.ndarray]:
    out = {}
    for rid in ("a", "b"):
        led = run.results[rep].ledgers[rid]
        out[rid] = np.array([]) if led.flow is None else np.asarray(led.created)[np.asarray(led.flow) == 0]
    return out


def test_every_flow_container_is_on_exactly_one_option_and_fixed_shares_hold() -> None:
    """The flow's arrivals are drawn once (their own stream) and split after: with all on a,
    the same seed creates the same containers, so with 0.3/0.7 the containers on a and on b
    together are exactly those (each once), and a's count is Binomial(n, 0.3)."""
    all_a = sim.run(two(fixed({"a": 1.0, "b": 0.0}), horizon_days=1000), replications=3, seed=11)
    split = sim.run(two(fixed({"a": 0.3, "b": 0.7}), horizon_days=1000), replications=3, seed=11)
    assert len(split.equilibrium.iterations) == 1 and split.equilibrium.assignment.shares["f"] == ((0.3, 0.7),)
    ka = n = 0
    for rep in range(3):
        whole = created_times(all_a, rep)
        assert whole["b"].size == 0
        parts = created_times(split, rep)
        both = np.sort(np.concatenate([parts["a"], parts["b"]]))
        np.testing.assert_array_equal(both, np.sort(whole["a"]))  # none lost, none twice
        assert not np.isin(parts["a"], parts["b"]).any()
        ka, n = ka + parts["a"].size, n + both.size
        # Per replication the metrics' flow total is the sum over its options.
        flow = metric(split, "flow", "f", "teu_per_year")[rep]
        opts = metric(split, "flow_option", "f/a", "teu_per_year")[rep] + metric(split, "flow_option", "f/b", "teu_per_year")[rep]
        assert flow == pytest.approx(opts, rel=1e-12)
        assert flow == pytest.approx(metric(all_a, "flow", "f", "teu_per_year")[rep], rel=1e-12)
    assert n > 2500
    assert_binomial(ka, n, 0.3)


def test_same_seed_same_results_and_workers_do_not_matter() -> None:
    scn = two(horizon_days=200)
    one = sim.run(scn, replications=2, seed=9)
    again = sim.run(scn, replications=2, seed=9)
    par = sim.run(scn, replications=2, seed=9, workers=2)
    cols = ["replication", "kind", "id", "metric", "value"]
    a = one.metrics[cols].reset_index(drop=True)
    assert a.equals(again.metrics[cols].reset_index(drop=True))
    assert a.equals(par.metrics[cols].reset_index(drop=True))
    assert one.equilibrium.assignment == par.equilibrium.assignment == again.equilibrium.assignment
    assert [it.gap for it in one.equilibrium.iterations] == [it.gap for it in par.equilibrium.iterations]
    other = sim.run(scn, replications=2, seed=10)
    assert not a.equals(other.metrics[cols].reset_index(drop=True))


def test_a_route_with_an_unpriced_ride_has_an_unknown_cost_not_a_free_one() -> None:
    """Without the truck's rate and the truck leg's, the last ride of r has no price: the
    route has no cost (not the sum of the priced rest), while its CO2e stays."""

    def edit(doc):
        entry(doc, "services", "truck").pop("rate")
        entry(doc, "legs", "xd").pop("rate")

    scenario = build(COST, edit)
    from sim.analysis.costs import route_cost

    assert route_cost(scenario, scenario.routes["r"]).unpriced == ("truck",)
    run = sim.run(scenario, replications=1, seed=1)
    route = run.summary.to_dict()["routes"]["r"]
    assert "cost" not in route and "co2e" in route
    assert not run.table.has("route", "r", "cost_usd_per_teu")
    from sim.report.tables import routes_table

    table = routes_table(run.summary.to_dict())
    assert "cost US$" not in table and "kg CO2e" in table  # no route priced: no cost column at all


def test_a_chosen_option_with_an_unpriced_ride_is_refused_where_money_counts() -> None:
    """A logit or cheapest choice cannot weigh an option whose money cost is unknown: one
    line naming the option and the service, before anything runs; a fixed split is fine."""
    def unpriced(choice):
        def edit(doc):
            entry(doc, "services", "truck").pop("rate")
            entry(doc, "legs", "xd").pop("rate")
            flow = entry(doc, "flows", "f")
            flow["choice"] = choice
            if choice != "fixed":
                flow.pop("shares")
        return edit

    with pytest.raises(sim.ScenarioError) as info:
        build(COST, unpriced("cheapest"))
    assert info.value.key == "flows.f.options"
    assert "option 'r' rides service 'truck', which no rate prices" in info.value.message
    assert build(COST, unpriced("fixed")).flows["f"].choice == "fixed"
