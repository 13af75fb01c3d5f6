"""Bad flows, choice settings, costs and emissions: ``routesim run`` exits with status 2,
prints exactly one line on stderr naming the file, the key path and what is wrong, and
writes no results folder.  Each case breaks one thing in the valid BASE scenario (two
options o -> d for flow f, and a route ``local`` o -> q with demand of its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from scenarios_for_tests import entry, raw, write
from sim.cli import main

BASE = """\
[run]
name = "flow_errors"
horizon_days = 60
warmup_days = 5
cooldown_days = 20
replications = 1
seed = 1

[[nodes]]
id = "o"
country = "AA"
[[nodes]]
id = "q"
kind = "border"
country = "BB"
charges = { border_usd_per_teu = 50, handling_usd_per_teu = 20 }
[[nodes]]
id = "d"
country = "CC"

[[legs]]
id = "oq"
from = "o"
to = "q"
mode = "rail"
distance_km = 1000
speed_km_per_day = 1000
[[legs]]
id = "qd"
from = "q"
to = "d"
mode = "rail"
distance_km = 1000
speed_km_per_day = 1000
[[legs]]
id = "od_sea"
from = "o"
to = "d"
mode = "sea"
distance_km = 8000
speed_km_per_day = 800

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 7 }
rate = { usd_per_feu = 3000 }
[[services]]
id = "ship"
vehicle = "ship"
capacity_teu = 100000
schedule = { departures_per_week = 7 }
rate = { usd_per_feu = 1000 }

[[routes]]
id = "rail"
path = ["o", "q", "d"]
services = "train"
[[routes]]
id = "sea"
path = ["o", "d"]
services = "ship"
[[routes]]
id = "local"
path = ["o", "q"]
services = "train"
[routes.demand]
teu_per_year = 100

[emissions]
tonnes_per_teu = 10
g_co2e_per_tkm = { rail = 20, sea = 8 }

[choice]
logit_scale_per_usd = 0.01
carbon_usd_per_tonne = 50

[[cargo_classes]]
id = "electronics"
value_usd_per_tonne = 20000
tonnes_per_teu = 8
time_cost_per_day = 0.002

[[flows]]
id = "f"
origin = "o"
destination = "d"
teu_per_year = 1460
cargo_value_usd_per_tonne = 5000
tonnes_per_teu = 10
time_cost_per_day = 0.002
options = ["rail", "sea"]
"""

Edit = Callable[[dict[str, Any]], None]


def flow(**changes: Any) -> Edit:
    """Set keys of flow f (a None value deletes the key)."""

    def edit(doc: dict) -> None:
        f = entry(doc, "flows", "f")
        for key, value in changes.items():
            if value is None:
                f.pop(key, None)
            else:
                f[key] = value

    return edit


def at(*keys: str, value: Any) -> Edit:
    """Set doc[k0][k1]...; a key 'section:id' picks the [[section]] entry with that id."""

    def edit(doc: dict) -> None:
        node: Any = doc
        for key in keys[:-1]:
            if ":" in key:
                section, ident = key.split(":")
                node = entry(node, section, ident)
            else:
                node = node.setdefault(key, {})
        node[keys[-1]] = value

    return edit


def both(*edits: Edit) -> Edit:
    def edit(doc: dict) -> None:
        for e in edits:
            e(doc)

    return edit


def drop(section: str, key: str) -> Edit:
    return lambda doc: doc[section].pop(key)


def add_route(ident: str, path: list[str], services: str, demand: dict | None = None) -> Edit:
    def edit(doc: dict) -> None:
        r: dict[str, Any] = {"id": ident, "path": path, "services": services}
        if demand is not None:
            r["demand"] = demand
        doc["routes"].append(r)

    return edit


def event(**e: Any) -> Edit:
    return lambda doc: doc.setdefault("events", []).append(dict(e))


CASES = [
    pytest.param(both(add_route("half", ["o", "q"], "train", {"teu_per_year": 10}), flow(options=["rail", "half"])),
                 "flows.f.options[1]: route 'half' runs o -> q, not o -> d", id="option-not-door-to-door"),
    pytest.param(flow(options=["rail", "seaa"]), "flows.f.options[1]: unknown route 'seaa'", id="unknown-option"),
    pytest.param(flow(choice="fixed", shares={"rail": 0.5, "sea": 0.4}), "flows.f.shares: must sum to 1, got 0.9",
                 id="shares-not-summing-to-1"),
    pytest.param(flow(teu_per_year=-5), "flows.f.teu_per_year: must be >= 0, got -5", id="negative-teu-per-year"),
    pytest.param(at("services:train", "rate", value={"usd_per_feu": -3000}),
                 "services.train.rate.usd_per_feu: must be >= 0", id="negative-service-rate"),
    pytest.param(at("legs:oq", "rate", value={"usd_per_teu_km": -0.5}),
                 "legs.oq.rate.usd_per_teu_km: must be >= 0", id="negative-leg-rate"),
    pytest.param(at("emissions", "g_co2e_per_tkm", "sea", value=-8),
                 "emissions.g_co2e_per_tkm.sea: must be >= 0", id="negative-co2-factor"),
    pytest.param(at("emissions", "load_factor", value={"sea": 0}),
                 "emissions.load_factor.sea: must be > 0, got 0", id="zero-default-load-factor"),
    pytest.param(at("emissions", "load_factor", value={"rail": 1.5}),
                 "emissions.load_factor.rail: must be <= 1", id="load-factor-above-one"),
    pytest.param(at("emissions", "load_factor", value={"air": 0.7}),
                 "emissions.load_factor.air: air has no factor in emissions.g_co2e_per_tkm", id="load-factor-without-factor"),
    pytest.param(at("emissions", "empty_running", value={"rail": 0.95}),
                 "emissions.empty_running.rail: must be <= 0.9", id="empty-running-above-cap"),
    pytest.param(at("services:train", "empty_running", value=-0.1),
                 "services.train.empty_running: must be >= 0", id="negative-service-empty-running"),
    pytest.param(at("legs:qd", "co2e_g_per_tkm", value=-1),
                 "legs.qd.co2e_g_per_tkm: must be >= 0", id="negative-leg-co2-factor"),
    pytest.param(at("nodes:q", "charges", value={"border_usd_per_teu": -50}),
                 "nodes.q.charges.border_usd_per_teu: must be >= 0", id="negative-charge"),
    pytest.param(flow(cargo_value_usd_per_tonne=0), "flows.f.cargo_value_usd_per_tonne: is 0", id="logit-value-0"),
    pytest.param(at("emissions", "g_co2e_per_tkm", value={"rail": 20}),
                 "choice.carbon_usd_per_tonne: a carbon price needs a CO2e factor for every mode: [emissions] has none for 'sea'",
                 id="carbon-price-without-sea-factor"),
    pytest.param(lambda doc: doc.pop("emissions"),
                 "choice.carbon_usd_per_tonne: a carbon price needs CO2e factors", id="carbon-price-without-emissions"),
    pytest.param(flow(cargo_class="electronix"), "flows.f.cargo_class: unknown cargo class 'electronix'",
                 id="unknown-cargo-class"),
    pytest.param(drop("choice", "logit_scale_per_usd"), "flows.f: a logit choice needs logit_scale_per_usd",
                 id="logit-without-scale"),
    pytest.param(add_route("spare", ["o", "d"], "ship"),
                 "routes.spare: missing required key 'demand' (a route without demand must be an option of a [[flows]]",
                 id="route-without-demand-unchosen"),
    pytest.param(flow(shares={"rail": 0.5, "sea": 0.5}), "flows.f.shares: applies to choice = \"fixed\" only",
                 id="shares-for-logit"),
    pytest.param(both(flow(choice="cheapest"), flow(shares={"rail": 1.0})), "flows.f.shares: applies to choice",
                 id="shares-for-cheapest"),
    pytest.param(event(id="surge", kind="demand", target="routes.sea", start=10, duration_days=5, factor=2.0),
                 "events.surge.target: route 'sea' is an option of flow 'f'", id="demand-event-on-option"),
]


def test_base_is_valid(tmp_path: Path) -> None:
    """Without this the cases below could pass on an error of the base itself."""
    path = write(tmp_path, BASE, "base.toml")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "-q", "--no-plot"]) == 0
    assert out.exists()


@pytest.mark.parametrize(("edit", "fragment"), CASES)
def test_bad_flow_input_is_one_line_naming_file_and_key(tmp_path: Path, capsys, edit: Edit, fragment: str) -> None:
    """Status 2, one stderr line '<file>: <key path>: <what is wrong>', nothing written."""
    doc = raw(BASE)
    edit(doc)
    path = write(tmp_path, doc, "broken.toml")
    out = tmp_path / "out"
    capsys.readouterr()
    status = main(["run", str(path), "--out", str(out), "-q", "--no-plot"])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # the file, then the key path and what is wrong (every fragment starts with its key path)
    assert lines[0].startswith("routesim: error: "), err
    assert f"{path}: {fragment}" in lines[0], err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml"]
