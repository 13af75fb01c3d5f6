"""Scenario documents: where the bundled scenarios are, how a name or path finds its file,
and reading a TOML file with its ``extends`` chain resolved into one standalone document.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

from sim.model.claims import CLAIMS_SUFFIX
from sim.model.errors import ScenarioError
from sim.model.overrides import merge_document
from sim.model.suggest import unknown_key_message

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the sim package
# An installed copy carries the scenarios inside the package (pyproject maps scenarios/ to
# sim/scenarios); a source checkout or editable install reads them from the repository.
BUNDLED_DIR = next(
    (d for d in (_PACKAGE_DIR / "scenarios", _PACKAGE_DIR.parent / "scenarios") if d.is_dir()),
    _PACKAGE_DIR.parent / "scenarios",
)


def bundled_names() -> list[str]:
    """Names of the scenarios shipped in scenarios/ (file stems)."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.toml") if not p.name.endswith(CLAIMS_SUFFIX))


def resolve_path(name_or_path: str) -> Path:
    """A scenario file path, or a bundled scenario's name without its path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in name_or_path or "\\" in name_or_path:
        if not path.is_file():
            what = "is a directory, not a scenario file" if path.is_dir() else "file not found"
            raise ScenarioError(what, file=str(path))
        return path
    bundled = BUNDLED_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    raise ScenarioError(
        unknown_key_message(name_or_path, bundled_names(), what="bundled scenario")
        + " (or give the path of a .toml file)",
        file=name_or_path,
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors keep their line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path))
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(path))
    text = text.removeprefix("\ufeff")  # the byte-order mark some Windows editors write
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"TOML syntax error: {exc}", file=str(path))
    except RecursionError:
        raise ScenarioError("TOML nesting too deep", file=str(path))


def read_document(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's content with its ``extends`` resolved: the base document (itself
    resolved, recursively) with this file applied on top by the rules of ``--set``
    (``merge_document``).  The result has no ``extends`` key, so it is standalone."""
    raw = read_toml(path)
    if "extends" not in raw:
        return raw
    here = path.resolve()
    ref = raw.pop("extends")
    if not isinstance(ref, str) or not ref:
        raise ScenarioError("must be the path of a scenario file (relative to this one) or a bundled name", "extends",
                            str(path))
    base_path = extends_target(path, ref)
    if base_path.resolve() in (*chain, here):
        cycle = " -> ".join(p.name for p in (*chain, here, base_path.resolve()))
        raise ScenarioError(f"extends itself: {cycle}", "extends", str(path))
    base = read_document(base_path, (*chain, here))
    name = raw.get("run", {}).get("name") if isinstance(raw.get("run"), Mapping) else None
    rebase_claims(base, base_path.parent, path.parent)
    merged = merge_document(base, raw, str(path))
    if name is None and isinstance(merged.get("run"), dict):
        # run.name names the results folder: a child does not inherit its base's.
        merged["run"].pop("name", None)
    return merged


def extends_target(path: Path, ref: str) -> Path:
    """The file ``extends`` names: relative to the extending file, else a bundled scenario."""
    local = path.parent / ref
    if local.is_file():
        return local
    bundled = BUNDLED_DIR / (ref if ref.endswith(".toml") else f"{ref}.toml")
    if "/" not in ref and "\\" not in ref and bundled.is_file() and not bundled.name.endswith(CLAIMS_SUFFIX):
        return bundled
    raise ScenarioError(
        f"base scenario '{ref}' not found (no file {local} and no bundled scenario of that name)", "extends", str(path)
    )


def rebase_claims(base: dict[str, Any], base_dir: Path, child_dir: Path) -> None:
    """Keep an inherited run.claims pointing at the same file from the child's folder."""
    run = base.get("run")
    if isinstance(run, dict) and isinstance(run.get("claims"), str):
        target = (base_dir / run["claims"]).resolve()
        if target.parent == BUNDLED_DIR.resolve():
            run["claims"] = target.name  # found as a bundled claims file from anywhere
        elif base_dir.resolve() != child_dir.resolve():
            run["claims"] = os.path.relpath(target, child_dir.resolve())


DEFAULT_CLAIMS = "china_europe.claims.toml"  # the founding article's claims, bundled


def claims_path(claims: str | Path | None) -> Path:
    """A claims file: a path, a bundled claims name ('china_europe'), or None for the default."""
    if claims is None:
        return BUNDLED_DIR / DEFAULT_CLAIMS
    path = Path(claims)
    bundled = BUNDLED_DIR / f"{claims}{CLAIMS_SUFFIX}"
    if not path.exists() and "/" not in str(claims) and bundled.is_file():
        return bundled
    return path
