"""routesim: a SimPy simulator of container freight between China and Europe.

Block trains through Kazakhstan against container ships via Suez: scenarios in TOML,
vehicles as SimPy processes, containers as rows of numpy arrays.

>>> import sim
>>> run = sim.run("china_europe_2020", replications=2)      # doctest: +SKIP
>>> run.summary.routes["rail_xian_duisburg"].transit_days.mean  # doctest: +SKIP

``import sim`` imports neither matplotlib nor pandas: figures and DataFrames load them
when first asked for.
"""

__version__ = "0.3.0"

from sim.api import Comparison, Run, Validation, compare, load, options, run, validate  # noqa: E402  (needs __version__ above)
from sim.model.errors import RoutesimError, ScenarioError, UsageError  # noqa: E402
from sim.study import Sweep, sweep  # noqa: E402

__all__ = [
    "Comparison", "Run", "RoutesimError", "ScenarioError", "Sweep", "UsageError", "Validation", "__version__", "compare",
    "load", "options", "run", "sweep", "validate",
]
