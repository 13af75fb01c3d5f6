"""routesim sweep: designs, analytic sensitivity indices, the table, resume, and the executors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.distributions import Exponential, Lognormal, Triangular, TruncatedNormal, Uniform
from sim.study.design import make_design
from sim.study.indices import indices
from sim.study.spec import Parameter, SweepSpec
from sim.study.store import PointStore, partial_folder
from sim.study.sweeps import execute, plan

from scenarios_for_tests import SINGLE_QUEUE, write

# A corridor whose transit time is an exact sum: a container created at day k + 0.5 waits
# 0.5 d for the daily train (day k + 1), is handled 12 h at a, runs ab then bc at 1000 km/d
# and is handled 12 h at c.  So transit = 1.5 + ab/1000 + bc/1000 days, additive in the two.
ADDITIVE = """\
[run]
name = "additive"
horizon_days = 20
warmup_days = 0
cooldown_days = 20
replications = 1

[[nodes]]
id = "a"
handling_hours = { train = 12 }

[[nodes]]
id = "b"

[[nodes]]
id = "c"
handling_hours = { train = 12 }

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1500
speed_km_per_day = 1000

[[legs]]
id = "bc"
from = "b"
to = "c"
mode = "rail"
distance_km = 2000
speed_km_per_day = 1000

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 1000
schedule = { departures_per_week = 7 }

[[routes]]
id = "r"
path = ["a", "b", "c"]
services = ["train"]
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "even"
"""
TRANSIT = "routes.r.transit_days"


@pytest.fixture()
def additive(tmp_path: Path) -> Path:
    return write(tmp_path, ADDITIVE, "additive.toml")


@pytest.fixture()
def queue(tmp_path: Path) -> Path:
    return write(tmp_path, SINGLE_QUEUE.replace("horizon_days = 300", "horizon_days = 120"), "queue.toml")


def test_deterministic_corridor_transit_is_the_sum_of_its_legs_at_every_point(additive: Path) -> None:
    s = sim.sweep(str(additive), {"legs.ab.distance_km": "1000:2000", "legs.bc.distance_km": "1000:3000"},
                  design="lhs", samples=8, metrics=[TRANSIT + ".mean"])
    t = s.table
    assert list(t.columns) == ["point", "legs.ab.distance_km", "legs.bc.distance_km", "replication", "metric", "value"]
    assert len(t) == 8 and set(t["metric"]) == {TRANSIT}
    expected = 1.5 + t["legs.ab.distance_km"] / 1000 + t["legs.bc.distance_km"] / 1000
    np.testing.assert_allclose(t["value"], expected, rtol=0, atol=1e-9)


def test_sobol_indices_of_the_additive_corridor_match_theory(additive: Path) -> None:
    """Y = c + X1/1000 + X2/1000, X1 ~ U(1000, 2000), X2 ~ U(1000, 3000): the variances are
    1/12 and 4/12, so S1 = ST = 0.2 and 0.8; each must lie inside SALib's 99.9% interval."""
    s = sim.sweep(str(additive), {"legs.ab.distance_km": "1000:2000", "legs.bc.distance_km": "1000:3000"},
                  design="sobol", samples=128, metrics=[TRANSIT])
    assert len(s.plan.tasks) == 128 * 4
    theory = {"legs.ab.distance_km": 0.2, "legs.bc.distance_km": 0.8}
    got = indices(s.plan.design, TRANSIT, s.point_values[TRANSIT], seed=1, confidence=0.999)
    for x in got:
        assert abs(x.value - theory[x.parameter]) <= x.conf, x
        assert x.conf < 0.35, x  # tight enough to tell 0.2 from 0.8
    # The sweep's own (95%) indices are the ones in indices.csv and sweep.json.
    frame = s.indices_frame()
    assert set(frame["index"]) == {"S1", "ST"} and len(frame) == 4


def test_ishigami_sobol_indices_match_their_analytic_values() -> None:
    """The Ishigami function (a = 7, b = 0.1) on the sweep's own design and analysis."""
    params = tuple(Parameter(f"x{i}", f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3))
    spec = SweepSpec("unused", params, design="sobol", samples=1024, seed=3)
    design = make_design(spec)
    x = np.asarray(design.values, dtype=np.float64)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    a, b = 7.0, 0.1
    v = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    theory = {("x1", "S1"): v1 / v, ("x2", "S1"): v2 / v, ("x3", "S1"): 0.0,
              ("x1", "ST"): (v1 + v13) / v, ("x2", "ST"): v2 / v, ("x3", "ST"): v13 / v}
    for i in indices(design, "y", y, seed=3, confidence=0.999):
        assert abs(i.value - theory[(i.parameter, i.name)]) <= max(i.conf, 0.01), i


def test_morris_ranks_the_wider_leg_first_and_mu_star_is_its_range(additive: Path) -> None:
    """Elementary effects of a linear function are constant: mu* = the change over the whole
    range (1 and 2 days), sigma = 0."""
    s = sim.sweep(str(additive), {"legs.ab.distance_km": "1000:2000", "legs.bc.distance_km": "1000:3000"},
                  design="morris", samples=4, metrics=[TRANSIT])
    got = {(x.parameter, x.name): x.value for x in s.indices}
    assert got[("legs.ab.distance_km", "mu_star")] == pytest.approx(1.0, abs=1e-9)
    assert got[("legs.bc.distance_km", "mu_star")] == pytest.approx(2.0, abs=1e-9)
    assert got[("legs.bc.distance_km", "sigma")] == pytest.approx(0.0, abs=1e-9)


def test_grid_takes_every_combination_in_order(additive: Path) -> None:
    s = sim.sweep(str(additive), ["legs.ab.distance_km=1000:2000:500", "legs.bc.distance_km=[1000, 3000]"],
                  design="grid", metrics=[TRANSIT])
    assert s.plan.design.values == ((1000.0, 1000), (1000.0, 3000), (1500.0, 1000), (1500.0, 3000),
                                    (2000.0, 1000), (2000.0, 3000))
    np.testing.assert_allclose(s.point_values[TRANSIT], [3.5, 5.5, 4.0, 6.0, 4.5, 6.5], atol=1e-9)
    rho = {x.parameter: x.value for x in s.indices}
    assert rho["legs.bc.distance_km"] > rho["legs.ab.distance_km"] > 0


def test_whole_numbered_parameters_stay_whole_and_identical_points_run_once(queue: Path) -> None:
    p = plan(SweepSpec(str(queue), (Parameter("nodes.q.servers", "s", low=1, high=3, integer=True),),
                       design="lhs", samples=12, replications=1, metrics=("nodes.q.mean_wait_days",)))
    values = [v[0] for v in p.design.values]
    assert set(values) <= {1, 2, 3} and all(isinstance(v, int) for v in values)
    assert len(p.distinct()) == len(set(values)) < len(p.tasks)


def test_independent_seeds_differ_per_point_and_common_ones_do_not(queue: Path) -> None:
    params = (Parameter("nodes.q.handling_hours.truck", "h", low=0.5, high=2.0),)
    common = plan(SweepSpec(str(queue), params, samples=4, replications=1, metrics=("nodes.q.mean_wait_days",)))
    own = plan(SweepSpec(str(queue), params, samples=4, replications=1, metrics=("nodes.q.mean_wait_days",),
                         seeds="independent"))
    assert {t.seed for t in common.tasks} == {1}
    assert len({t.seed for t in own.tasks}) == 4
    assert [t.seed for t in own.tasks] == [t.seed for t in plan(own.spec).tasks]  # a pure function of (seed, index)


def _files(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in ("table.parquet", "table.csv", "design.csv", "indices.csv",
                                                   "sweep.json", "sweep.toml")}


class _Stop(KeyboardInterrupt):
    pass


def test_table_is_bit_identical_serial_on_a_local_cluster_and_resumed(queue: Path, tmp_path: Path) -> None:
    """The same sweep: in this process, on a real Dask LocalCluster of 2 worker processes,
    and interrupted after 3 points then resumed from the points kept on disk."""
    params = {"nodes.q.handling_hours.truck": "0.5:2.5", "routes.r.demand.teu_per_year": "365:1095"}
    kw = dict(design="lhs", samples=8, replications=2, metrics=["nodes.q.mean_wait_days", "routes.r.transit_days"])
    serial = sim.sweep(str(queue), params, **kw)
    cluster = sim.sweep(str(queue), params, **kw, executor="local", workers=2)
    assert serial.table.equals(cluster.table)
    assert np.array_equal(serial.table["value"].to_numpy(), cluster.table["value"].to_numpy())

    p = serial.plan
    store = PointStore(partial_folder(tmp_path / "resumed"))
    store.open(resume=False)

    def stop_after_three(done: int, total: int) -> None:
        if done == 3:
            raise _Stop()

    with pytest.raises(_Stop):
        execute(p, store, progress=stop_after_three)
    kept = store.load(set(p.keys))
    assert len(kept) == 3
    resumed = execute(p, store, stored=kept)
    assert resumed.ran == len(p.distinct()) - 3
    assert resumed.table.equals(serial.table)

    a = serial.write(tmp_path / "serial", figures=False)
    b = cluster.write(tmp_path / "cluster", figures=False)
    c = resumed.write(tmp_path / "resumed", figures=False)
    assert _files(a) == _files(b) == _files(c)


def test_parquet_and_csv_tables_hold_the_same_rows(queue: Path, tmp_path: Path) -> None:
    s = sim.sweep(str(queue), {"nodes.q.handling_hours.truck": "0.5:2.5"}, samples=4, replications=2,
                  metrics=["nodes.q.mean_wait_days", "routes.r.transit_days.p95"])
    out = s.write(tmp_path / "out", figures=False)
    parquet = pd.read_parquet(out / "table.parquet")
    csv = pd.read_csv(out / "table.csv")
    assert len(parquet) == len(csv) == 4 * (2 + 1)  # two replications, and one pooled p95 per point
    np.testing.assert_array_equal(parquet["value"].to_numpy(), csv["value"].to_numpy())
    assert (csv.loc[csv["metric"] == "routes.r.transit_days.p95", "replication"] == -1).all()
    design = pd.read_csv(out / "design.csv")
    assert list(design.columns) == ["point", "nodes.q.handling_hours.truck", "seed", "key", "saturated"]
    assert design["key"].str.fullmatch("[0-9a-f]{24}").all()


@pytest.mark.parametrize("dist,u,expected", [
    (Uniform(2, 6), [0.0, 0.25, 1.0], [2, 3, 6]),
    (Triangular(0, 1, 2), [0.5, 0.125, 0.875], [1.0, 0.5, 1.5]),
    (Exponential(2.0), [1 - math.exp(-1)], [2.0]),
    (Lognormal(10.0, 0.5), [0.5], [10.0 / math.sqrt(1.25)]),  # the median: exp(mu)
    (TruncatedNormal(10.0, 1e-6), [0.5], [10.0]),
])
def test_distribution_quantiles_invert_their_cdf(dist, u, expected) -> None:
    np.testing.assert_allclose(dist.quantile(np.asarray(u)), expected, rtol=1e-9, atol=1e-9)


def test_quantiles_of_a_design_follow_the_distribution() -> None:
    """A parameter given as a distribution is sampled at its quantiles: a Latin hypercube of
    2,000 points of triangular(0, 1, 4) has that mean and variance (well within 1%)."""
    from sim.model.distributions import parse_distribution

    d = parse_distribution({"dist": "triangular", "min": 0, "mode": 1, "max": 4}, "p")
    spec = SweepSpec("unused", (Parameter("p", "p", dist=d),), design="lhs", samples=2000)
    x = np.asarray([v[0] for v in make_design(spec).values])
    assert x.mean() == pytest.approx(d.mean, rel=0.01)
    assert x.var() == pytest.approx(d.variance, rel=0.01)


def _figure_data(s):
    from sim.study.files import figure_data

    return figure_data(s)


def test_sweep_figures_show_one_panel_per_metric_with_labelled_indices(additive: Path) -> None:
    from sim.viz.sweep import heatmap_figure, indices_figure, scatter_figure, sweep_figures

    s = sim.sweep(str(additive), {"legs.ab.distance_km": "1000:2000", "legs.bc.distance_km": "1000:3000"},
                  design="sobol", samples=8, metrics=[TRANSIT, TRANSIT + ".p95", "routes.r.wait_for_departure_days"])
    data = _figure_data(s)
    assert sorted(sweep_figures(data)) == ["indices", "scatter"]  # no heat map but for a grid of two
    fig = indices_figure(data)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [TRANSIT, TRANSIT + ".p95", "routes.r.wait_for_departure_days"]
    # The wait for the daily train is half a day at every point: nothing to attribute.
    assert [t.get_text() for t in panels[2].texts] == ["no indices: the metric is the same at every point"]
    for ax in panels[:2]:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["legs.ab.distance_km", "legs.bc.distance_km"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first order S1", "total order ST"]
        assert ax.get_xlabel() == "share of the metric's variance"
    scatter = scatter_figure(data)
    assert len(scatter.axes) == 3 * 2
    assert {ax.get_xlabel() for ax in scatter.axes if ax.get_xlabel()} == {"legs.ab.distance_km", "legs.bc.distance_km"}
    grid = sim.sweep(str(additive), ["legs.ab.distance_km=1000:2000:500", "legs.bc.distance_km=[1000, 3000]"],
                     design="grid", metrics=[TRANSIT])
    heat = heatmap_figure(_figure_data(grid))
    image = [ax for ax in heat.axes if ax.get_images()][0]
    assert image.get_images()[0].get_array().shape == (2, 3)  # bc's 2 values up, ab's 3 across
    assert [t.get_text() for t in image.texts] == ["3.5", "4", "4.5", "5.5", "6", "6.5"]


def test_a_constant_metric_before_others_leaves_their_panels_whole(additive: Path) -> None:
    """The wait for the daily train is the same at every point: its panel says so, and the
    panels after it still show every parameter's bars."""
    from sim.viz.sweep import indices_figure

    s = sim.sweep(str(additive), ["legs.ab.distance_km=1000:2000:500", "legs.bc.distance_km=[1000, 2000, 3000]"],
                  design="grid", metrics=["routes.r.wait_for_departure_days", TRANSIT])
    fig = indices_figure(_figure_data(s))
    first, second = [ax for ax in fig.axes if ax.get_visible()]
    assert [t.get_text() for t in first.texts] == ["no indices: the metric is the same at every point"]
    assert len(second.patches) == 2 and [t.get_text() for t in second.get_yticklabels()] == [
        "legs.ab.distance_km", "legs.bc.distance_km"]


def test_sweep_report_escapes_what_the_scenario_names_and_links_its_sections(tmp_path: Path) -> None:
    scenario = write(tmp_path, ADDITIVE, "odd.toml")
    s = sim.sweep(str(scenario), {"legs.ab.distance_km": "1000:2000", "nodes.b.name": ["<script>alert(1)</script>", "B"]},
                  samples=4, metrics=[TRANSIT])
    out = s.write(tmp_path / "out")
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for anchor in ("parameters", "metrics", "indices", "figures", "files", "reproduce"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert html.count("data:image/png;base64,") == 2 and 'id="fig-1"' in html and "(also indices.png in the folder)" in html
    assert "routesim sweep" in html and "--samples 4" in html

