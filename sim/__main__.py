"""``python -m sim`` runs the routesim command line."""

from sim.cli import run

run()
