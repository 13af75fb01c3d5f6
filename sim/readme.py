"""Regenerate the README's corridor, validation and metric tables from a fresh run.

    python -m sim.readme [README.md]

A maintainer's tool beside the CLI (it runs scenarios through the API and prints).

Runs the bundled china_europe_2019 and china_europe_2020 scenarios with their own seeds
and replication counts (what `routesim run china_europe_2020` and `routesim validate` do)
and rewrites the text between the README's `<!-- BEGIN name -->` and `<!-- END name -->`
markers, so the published numbers are always ones a reader can reproduce.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Mapping, Sequence

from sim import __version__, api
from sim.analysis.metrics import vocabulary
from sim.model.errors import RoutesimError
from sim.report.tables import corridor_markdown, metrics_markdown, validation_markdown


BLOCKS = ("corridors", "validation", "metrics")


def replace_blocks(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with the body of each marked block replaced; every marker must exist."""
    for name, body in blocks.items():
        pattern = re.compile(
            rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise ValueError(f"no '<!-- BEGIN {name} -->' ... '<!-- END {name} -->' block in the text")
        text = pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text, count=1)
    return text


def fresh_tables() -> dict[str, str]:
    """The corridor and validation tables of a fresh validation of the bundled claims file
    (its scenarios at their own replications and seed)."""
    check = api.validate()
    current = check.runs.current
    seed, n = check.report["seed"], check.report["replications"]
    summary = api.Run(current.scenario, current.results, seed).summary.to_dict()
    names = check.report["scenarios"]
    stamp = f"routesim {__version__}, {n} replications, seed {seed}"
    both = " and ".join(x for x in (names.get("previous"), names["current"]) if x)
    return {
        "corridors": f"{corridor_markdown(summary)}\n\n<sub>{names['current']}, {stamp}.</sub>",
        "validation": f"{validation_markdown(check.report)}\n\n<sub>{both}, {stamp}.</sub>",
        "metrics": metrics_markdown(vocabulary()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    readme = Path(args[0] if args else "README.md")
    if not readme.is_file():
        sys.stderr.write(f"sim.readme: error: {readme} is not a file\n")
        return 2
    text = readme.read_text(encoding="utf-8")
    try:
        replace_blocks(text, dict.fromkeys(BLOCKS, ""))  # the markers exist: check before running
        updated = replace_blocks(text, fresh_tables())
    except ValueError as exc:
        sys.stderr.write(f"sim.readme: error: {readme}: {exc}\n")
        return 2
    except RoutesimError as exc:
        sys.stderr.write(f"sim.readme: error: {exc}\n")
        return 2
    readme.write_text(updated, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
