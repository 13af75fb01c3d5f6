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

from sim.model.errors import RoutesimError, ScenarioError, UsageError  # noqa: E402  (light: no numpy)

# The API is imported when first used, not by ``import sim``: the command line starts on a
# package that loads in milliseconds, so it can take over Ctrl-C before the long imports
# (numpy, SimPy, the model) that a Ctrl-C would otherwise end in a traceback.
_LAZY = {
    "Comparison": "sim.api", "Run": "sim.api", "Validation": "sim.api", "compare": "sim.api", "load": "sim.api",
    "options": "sim.api", "run": "sim.api", "validate": "sim.api", "Sweep": "sim.study", "sweep": "sim.study",
}

__all__ = [
    "Comparison", "Run", "RoutesimError", "ScenarioError", "Sweep", "UsageError", "Validation", "__version__", "compare",
    "load", "options", "run", "sweep", "validate",
]


def __getattr__(name: str) -> object:
    """``sim.run``, ``sim.load``, ...: imported from their module on first use, then kept."""
    if name not in _LAZY:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
