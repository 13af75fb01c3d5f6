"""Small scenarios for the tests, as TOML text, and helpers to build or write them.

Every deterministic scenario uses ``arrivals = "even"`` with ``teu_per_year = 730`` and
``container_teu = 2``: one container per day, the k-th (k = 0, 1, ...) created at day k + 0.5
(sim.engine.demand places evenly spaced arrivals at the middle of each unit of cumulative demand).
Times in the comments are days of simulation time.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Callable

import tomli_w

from sim.model.loader import build_scenario
from sim.model.scenario import Scenario

# ---------------------------------------------------------------------------------------
# Deterministic corridors (hand-computable)

# a --train--> b --ship--> c.  The train leaves a at 1, 3, 5, ... (every 2 days from day 1),
# is handled 12 h at a, runs 1000 km at 500 km/day (2 days) and is handled 6 h at b.  The
# ship leaves b at 0, 3.5, 7, 10.5, ... (days 0 and 3.5 of each week), is handled 24 h at b,
# sails 1000 nm at 12.5 knots (10/3 days) and is handled 12 h at c.
TRANSFER_CORRIDOR = """\
[run]
name = "transfer_corridor"
horizon_days = 20
warmup_days = 0
cooldown_days = 30

[[nodes]]
id = "a"
handling_hours = { train = 12 }

[[nodes]]
id = "b"
handling_hours = { train = 6, ship = { dist = "fixed", value = 24 } }

[[nodes]]
id = "c"
handling_hours = { ship = 12 }

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1000
speed_km_per_day = 500

[[legs]]
id = "bc"
from = "b"
to = "c"
mode = "sea"
distance_nm = 1000
speed_knots = 12.5

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 1000
schedule = { departures_per_week = 3.5, offset_days = 1 }

[[services]]
id = "ship"
vehicle = "ship"
capacity_teu = 10000
schedule = { departure_days = [0, 3.5] }

[[routes]]
id = "r"
path = ["a", "b", "c"]
services = ["train", "ship"]
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "even"
"""

# a --train--> b with room for 2 containers (4 TEU) per train, two trains a week at
# 0.25, 3.75, 7.25, ...: 3.5 containers arrive per departure, so the backlog grows.
# 12 h handling at a, 48 h on the leg, 6 h handling at b (unlimited servers).
ROLLOVER = """\
[run]
name = "rollover"
horizon_days = 30
warmup_days = 0
cooldown_days = 60

[[nodes]]
id = "a"
handling_hours = { train = 12 }

[[nodes]]
id = "b"
handling_hours = { train = 6 }

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 800
duration_hours = 48

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 4
schedule = { departures_per_week = 2, offset_days = 0.25 }

[[routes]]
id = "r"
path = ["a", "b"]
services = "train"
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "even"
"""

# a --truck--> b, the truck leaving when 3 containers (6 TEU) wait, or max_wait_days after
# the first one arrived (set per test); one day on the road, no handling.
WHEN_FULL_ORIGIN = """\
[run]
horizon_days = 40
warmup_days = 0
cooldown_days = 20

[[nodes]]
id = "a"

[[nodes]]
id = "b"

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "road"
distance_km = 300
duration_days = 1

[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 6
schedule = { when_full = true, max_wait_days = 2.5 }

[[routes]]
id = "r"
path = ["a", "b"]
services = "truck"
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "even"
"""

# a --train--> b --truck--> c.  A weekly train (0.25, 7.25, 14.25, ...) brings 7 containers
# to b two days later; trucks for 3 containers leave b when full or max_wait_days after the
# oldest container reached b; one day on the road to c.
WHEN_FULL_TRANSFER = """\
[run]
horizon_days = 60
warmup_days = 0
cooldown_days = 20

[[nodes]]
id = "a"

[[nodes]]
id = "b"

[[nodes]]
id = "c"

[[legs]]
id = "ab"
from = "a"
to = "b"
mode = "rail"
distance_km = 1500
duration_days = 2

[[legs]]
id = "bc"
from = "b"
to = "c"
mode = "road"
distance_km = 300
duration_days = 1

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 100
schedule = { departures_per_week = 1, offset_days = 0.25 }

[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 6
schedule = { when_full = true, max_wait_days = 1 }

[[routes]]
id = "r"
path = ["a", "b", "c"]
services = ["train", "truck"]
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "even"
"""

# ---------------------------------------------------------------------------------------
# A single queue: every container is its own truck (capacity one 2-TEU container, leaving as
# soon as it is full), so trucks reach node q as the containers' Poisson process and queue
# there for one server.  Handling and rates are filled in by queue_scenario().
SINGLE_QUEUE = """\
[run]
horizon_days = 300
warmup_days = 20
cooldown_days = 5

[[nodes]]
id = "q"
servers = 1
handling_hours = { truck = 1 }

[[nodes]]
id = "sink"

[[legs]]
id = "out"
from = "q"
to = "sink"
mode = "road"
distance_km = 50
duration_days = 0.5

[[services]]
id = "truck"
vehicle = "truck"
capacity_teu = 2
schedule = { when_full = true }

[[routes]]
id = "r"
path = ["q", "sink"]
services = "truck"
[routes.demand]
teu_per_year = 730
container_teu = 2
arrivals = "poisson"
"""

# ---------------------------------------------------------------------------------------
# A small stochastic network: two routes, a transfer, tight capacity, a horizon that cuts
# containers mid-journey.
NETWORK = """\
[run]
name = "network"
horizon_days = 100
warmup_days = 20
cooldown_days = 40
replications = 3
seed = 5

[[nodes]]
id = "xian"
kind = "terminal"
servers = 1
handling_hours = { train = { dist = "triangular", min = 4, mode = 6, max = 10 } }

[[nodes]]
id = "dostyk"
kind = "border"
servers = 1
gauge_change = true
handling_hours = { train = { dist = "lognormal", mean = 18, cv = 0.5 }, truck = { dist = "uniform", min = 1, max = 3 } }

[[nodes]]
id = "duisburg"
kind = "terminal"
handling_hours = { truck = { dist = "gamma", mean = 2, cv = 0.3 } }

[[nodes]]
id = "shanghai"
kind = "seaport"
servers = 1
handling_hours = { ship = 24 }

[[nodes]]
id = "rotterdam"
kind = "seaport"
servers = 1
handling_hours = { ship = 36 }

[[legs]]
id = "cn_rail"
from = "xian"
to = "dostyk"
mode = "rail"
distance_km = 3000
speed_km_per_day = { dist = "normal", mean = 900, sd = 100 }

[[legs]]
id = "road"
from = "dostyk"
to = "duisburg"
mode = "road"
distance_km = 2000
duration_days = { dist = "empirical", values = [2, 3, 5], weights = [3, 2, 1] }

[[legs]]
id = "suez"
from = "shanghai"
to = "rotterdam"
mode = "sea"
distance_nm = 10000
speed_knots = { dist = "fixed", value = 15 }

[[services]]
id = "train"
vehicle = "train"
capacity_teu = 40
schedule = { departures_per_week = 7 }

[[services]]
id = "trucks"
vehicle = "truck"
capacity_teu = 10
schedule = { when_full = true, max_wait_days = 1.5 }

[[services]]
id = "ship"
vehicle = "ship"
capacity_teu = 120
schedule = { departure_days = [2] }

[[routes]]
id = "overland"
path = ["xian", "dostyk", "duisburg"]
services = ["train", "trucks"]
[routes.demand]
teu_per_year = 16000
container_teu = 2
arrivals = "poisson"
seasonality = [0.8, 0.9, 1, 1, 1.1, 1.2, 1.2, 1.1, 1, 1, 0.9, 0.7]
growth_per_year = 0.2

[[routes]]
id = "sea"
path = ["shanghai", "rotterdam"]
services = "ship"
[routes.demand]
teu_per_year = 7000
container_teu = 2
arrivals = "poisson"
"""

# ---------------------------------------------------------------------------------------
# The valid base the error tests break one thing at a time.
BASE = """\
[run]
name = "base"
horizon_days = 100
warmup_days = 10

[[nodes]]
id = "xian"
servers = 2
handling_hours = { train = 6 }

[[nodes]]
id = "dostyk"
servers = 3
handling_hours = { train = { dist = "triangular", min = 4, mode = 6, max = 9 } }

[[nodes]]
id = "duisburg"

[[legs]]
id = "cn_rail"
from = "xian"
to = "dostyk"
mode = "rail"
distance_km = 3000
speed_km_per_day = 900

[[legs]]
id = "kz_rail"
from = "dostyk"
to = "duisburg"
mode = "rail"
distance_km = 6000
speed_km_per_day = { dist = "normal", mean = 1000, sd = 100 }

[[services]]
id = "block_train"
vehicle = "train"
capacity_teu = 90
schedule = { departures_per_week = 14 }

[[routes]]
id = "rail"
path = ["xian", "dostyk", "duisburg"]
services = "block_train"
[routes.demand]
teu_per_year = 40000
"""


# ---------------------------------------------------------------------------------------
# Helpers


def raw(text: str) -> dict[str, Any]:
    """The parsed TOML document (a fresh copy each call, free to modify)."""
    return tomllib.loads(text)


def build(text: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Scenario:
    """Build a Scenario from TOML text, optionally editing the parsed document first."""
    doc = raw(text)
    if edit is not None:
        edit(doc)
    return build_scenario(doc, source="<test>", default_name="test")


def write(directory: Path, doc: str | dict[str, Any], name: str = "scenario.toml") -> Path:
    """Write TOML text, or a parsed document, to ``directory/name`` and return the path."""
    path = directory / name
    text = doc if isinstance(doc, str) else tomli_w.dumps(copy.deepcopy(doc))
    path.write_text(text, encoding="utf-8")
    return path


def entry(doc: dict[str, Any], section: str, ident: str) -> dict[str, Any]:
    """The ``[[section]]`` entry of ``doc`` with the given id."""
    return next(e for e in doc[section] if e["id"] == ident)


# ---------------------------------------------------------------------------------------
# A small claims file over NETWORK (write it beside the scenario files it names).  The
# bands are wide on purpose: the tests check the measured values, not the verdicts.
NETWORK_CLAIMS = """\
description = "test claims over the NETWORK scenario"

[scenarios]
current = "current.toml"
previous = "previous.toml"

[regions]
kazakhstan = ["KZ"]

[groups.rail]
routes = ["overland"]

[groups.sea]
routes = ["sea"]

[groups.origin]   # trains load there (at dostyk the cargo counts on the trucks it changes to)
nodes = ["xian"]

[figures]
band_claim = "a"
band_label = "claim: 10–20 days overland"
ratio_claim = "b"
ratio_label = "sea/rail (test)"

[[claims]]
id = "a"
text = "overland mean transit"
article = "10–20 days"
unit = "days"
band = { low = 10.0, high = 20.0 }
tolerance = "test"
justification = "test"
sources = [{ publisher = "Example", title = "An example source", date = "2020-01-01", url = "https://example.org/a" }]
measure = { name = "mean_transit", group = "rail" }

[[claims]]
id = "b"
text = "sea over overland"
article = "2-3x"
unit = "ratio"
band = { low = 0.1, high = 10.0 }
tolerance = "test"
justification = "test"
sources = []
measure = { name = "transit_ratio", over = "sea", under = "rail" }

[[claims]]
id = "c"
text = "TEU by train out of xian, months 1-2"
article = "some TEU"
unit = "TEU"
band = { low = 0.0 }
tolerance = "test"
justification = "test"
sources = []
measure = { name = "border_volume", nodes = "origin", quantity = "teu", months = [1, 2] }

[[claims]]
id = "d"
text = "growth of that"
article = "+100%"
unit = "%"
band = { low = -1000.0, high = 1000.0 }
tolerance = "test"
justification = "test"
sources = []
measure = { name = "growth", of = { name = "border_volume", nodes = "origin", quantity = "teu", months = [1, 2] } }

[[claims]]
id = "e"
text = "busiest border"
article = "not saturated"
unit = "share"
band = { low = 0.0, high = 0.999 }
tolerance = "test"
justification = "test"
sources = []
measure = { name = "max_utilization", node_kind = "border" }

[[claims]]
id = "f"
text = "rise in waiting"
article = "none"
unit = "days"
band = { high = 1000.0 }
tolerance = "test"
justification = "test"
sources = []
measure = { name = "backlog_rise" }
"""
