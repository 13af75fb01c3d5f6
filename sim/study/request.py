"""A sweep as the command line (or a sweep file under it) asks for it: SweepSpec from the
arguments, the file's settings first and the options over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from sim.model.documents import read_document, resolve_path
from sim.study.spec import DEFAULT_METRICS, SweepSpec, is_sweep_file, parameters_from, read_sweep_file


def sweep_spec(target: str, params: Sequence[str] = (), *, table: Mapping[str, Any] | None = None,
               design: str | None = None, samples: int | None = None,
               replications: int | None = None, seed: int | None = None, metrics: str | Sequence[str] | None = None,
               overrides: Sequence[str] = (), independent: bool = False, second_order: bool = False,
               levels: int | None = None, impact: bool = False) -> SweepSpec:
    """The sweep of ``target`` (a scenario, or a sweep file) with the options given; an
    option given on the command line wins over the file's, and a parameter given (``--param``
    texts, or ``table``: the API's {path: range}) over the file's parameter of the same path."""
    settings: dict[str, Any] = {}
    given_table: dict[str, Any] = {}
    source = ""
    path = Path(target)
    if is_sweep_file(path):
        settings, given_table = read_sweep_file(path)
        source = str(path)
    given_table.update(table or {})
    table = given_table
    scenario = settings.pop("scenario", target)
    raw = read_document(resolve_path(scenario).resolve())
    given = {t.partition("=")[0].strip() for t in params}
    table = {k: v for k, v in table.items() if k not in given}
    parameters = parameters_from(params, table, raw, file=source or "parameters")
    if isinstance(metrics, str):
        metrics = [m for m in (x.strip() for x in metrics.split(",")) if m]
    spec = SweepSpec(
        scenario=scenario, parameters=parameters,
        design=design or settings.get("design", "lhs"),
        samples=samples if samples is not None else settings.get("samples"),
        replications=replications if replications is not None else settings.get("replications"),
        seed=seed if seed is not None else settings.get("seed", 1),
        metrics=tuple(metrics) if metrics else tuple(settings.get("metrics", DEFAULT_METRICS)),
        overrides=tuple(t for t in settings.get("overrides", ()) if t.partition("=")[0].strip() not in
                        {o.partition("=")[0].strip() for o in overrides}) + tuple(overrides),
        seeds="independent" if independent else settings.get("seeds", "common"),
        second_order=second_order or settings.get("second_order", False),
        levels=levels if levels is not None else settings.get("levels"),
        impact=impact or settings.get("impact", False),
    )
    return spec
