"""routesim: a SimPy simulator of container freight between China and Europe.

Block trains through Kazakhstan against container ships via Suez: scenarios in TOML,
vehicles as SimPy processes, containers as rows of numpy arrays.
"""

__version__ = "0.2.0"
