"""``python -m sim`` runs the routesim command line."""

import sys

from sim.cli import main

sys.exit(main())
