"""report.html's parameters section: every entry of the scenario file as it ran, one table
per section, each value compact and each source a numbered link.
"""

from __future__ import annotations

from typing import Any

from sim.report.rich import Linker, bold, h3, labelled, meta, p, render_blocks, table

SECTIONS = ("nodes", "legs", "services", "routes", "demand")  # the parameter tables, in page order


def compact(value: Any) -> str:
    """A parameter value in a few characters: distributions as name(arguments)."""
    if isinstance(value, dict):
        if "dist" in value:
            args = ", ".join(f"{compact(v)}" if k in ("min", "mode", "max", "value", "mean") else f"{k}={compact(v)}"
                             for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})"
        return "{" + ", ".join(f"{k}: {compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # every digit the scenario gave (9470000, not 9.47e+06), whole numbers without ".0"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def parameters_blocks(raw: dict, linker: Linker | None = None, ran: dict[str, Any] | None = None) -> list[dict]:
    """Each section's entries: id, parameters in compact form, and the source given, linked
    by ``linker``; then the source tags they cite.  ``ran`` holds the settings the run used
    where the command line changed the file's (-n, --seed)."""
    linker = linker or Linker()
    out = []
    run = raw.get("run")
    if isinstance(run, dict):
        settings = [f"{k} = {compact(v)}" for k, v in run.items() if k != "description" and k not in (ran or {})]
        for key, value in (ran or {}).items():
            given = run.get(key)
            note = "" if given == value else (
                f" (as run; the file's run.{key} is {compact(given)})" if given is not None else " (as run)")
            settings.append(f"{key} = {compact(value)}{note}")
        out.append(p([bold("run"), ": " + ", ".join(settings)]))
    for key in ("source", "notes", "note"):
        if isinstance(raw.get(key), str):
            out.append(p([bold(key), ": ", *linker(raw[key])]))
    for section in SECTIONS:
        rows = [_parameter_row(entry, section, linker) for entry in _entries(raw, section)]
        if rows:
            out.append(h3(section))
            out.append(table(("id", "parameters", "source"), rows, (False, False, False), classes=("", "p", "src"),
                             cls="params"))
    return out + linker.tags_blocks()


def parameters_html(raw: dict, linker: Linker | None = None, ran: dict[str, Any] | None = None) -> str:
    """The parameters as an HTML fragment."""
    return render_blocks(parameters_blocks(raw, linker, ran))


def _entries(raw: dict, section: str) -> list[dict]:
    """A section's tables; "demand" is each route's demand, under the route's id."""
    if section == "demand":
        return [
            {"id": r.get("id", ""), **r["demand"]}
            for r in _entries(raw, "routes") if isinstance(r.get("demand"), dict)
        ]
    entries = raw.get(section)
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _parameter_row(entry: dict, section: str, linker: Linker) -> tuple[list[Any], str]:
    """id (with name, or from → to, beneath), the other parameters, and the linked source."""
    shown = {"id", "source", "name"}
    name = entry.get("name")
    if name is None and "from" in entry and "to" in entry:
        name = f"{entry['from']} → {entry['to']}"
        shown |= {"from", "to"}
    if section == "routes" and isinstance(entry.get("demand"), dict):
        shown.add("demand")  # its own table, with its own source
    params = "; ".join(f"{k} = {_parameter(k, v)}" for k, v in entry.items() if k not in shown)
    source = entry.get("source")
    if source:
        cited: Any = linker(str(source))
    elif "demand" in shown and entry["demand"].get("source"):
        cited = [meta("demand: see below")]
    else:
        cited = ""
    return [labelled(entry.get("id", ""), name), params, cited], ""


def _parameter(key: str, value: Any) -> str:
    """A parameter value compactly; a route's path as the nodes joined by arrows."""
    if key == "path" and isinstance(value, list):
        return " → ".join(str(v) for v in value)
    return compact(value)
