"""Write ``sim/viz/mapdata/sea_lanes.json``: the sea lane of every sea and ferry leg of the
bundled scenarios, routed by searoute, so that drawing a route map does not load searoute's
network.  Run after changing a bundled scenario's ports (a test checks the file covers them):

    python -m sim.viz.lane_file
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

from sim.model.documents import bundled_names
from sim.model.loader import load_scenario
from sim.viz.geography import LANES_FILE, Point, routed_lane, sea_legs


def bundled_sea_legs() -> list[tuple[Point, Point]]:
    """Every sea leg (start, end) of the bundled scenarios, sorted."""
    ends: set[tuple[Point, Point]] = set()
    for name in bundled_names():
        ends |= sea_legs(load_scenario(name))
    return sorted(ends)


def lanes_document() -> str:
    """The file's text: one lane per bundled sea leg, in a stable order."""
    import searoute

    lanes = [
        {"start": list(a), "end": list(b), "avoid": [], "path": [list(p) for p in routed_lane(a, b)]}
        for a, b in bundled_sea_legs()
    ]
    doc = {
        "about": "Sea lanes of the bundled scenarios' sea and ferry legs, routed by searoute "
                 f"{getattr(searoute, '__version__', '')} (Apache-2.0; maritime network from Eurostat MARNET). "
                 "Written by python -m sim.viz.lane_file.",
        "lanes": lanes,
    }
    return json.dumps(doc, indent=None, separators=(",", ":")) + "\n"


def main() -> int:
    target = Path(str(resources.files("sim.viz.mapdata").joinpath(LANES_FILE)))
    text = lanes_document()
    count = len(json.loads(text)["lanes"])
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    print(f"{target}: {count} sea lanes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
