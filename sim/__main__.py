"""``python -m sim`` runs the routesim command line."""

import sys

from .cli import main

sys.exit(main())
