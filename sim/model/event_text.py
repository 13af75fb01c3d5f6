"""``--event``: one event on the command line, read into the very table an ``[[events]]``
entry of a file is, so that sim.model.events checks both with the same code and messages."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sim.model.errors import ScenarioError, UsageError, kind_of
from sim.model.overrides import Override, parse_value, printable, toml_value
from sim.model.reading import id_problem

EVENT_HELP = """\
--event KIND:TARGET:WHEN[,KEY=VALUE...] adds one [[events]] entry, checked like the file.
  KIND is closure, capacity, demand or divert; TARGET nodes.<id>, legs.<id>, services.<id>
  or routes.<id> (routes.* for every route); WHEN is START, START+DAYS or START..END, each
  an ISO date or a day number (0 = the end of the warm-up; END is the first day no longer
  affected; START alone lasts until the run ends), or N/yr+DAYS for a service closed at
  random N times a year for DAYS each (the random key: closure:services.<id>:4/yr+3).
  KEY=VALUE pairs give the other
  keys of the entry (VALUE is TOML, as for --set): set, scale, factor, path, services,
  duration_days, id (default KIND_TARGET), name, source.  Or give every key as KEY=VALUE pairs.
"""


def event_from_text(text: str, flag: str = "--event") -> dict[str, Any]:
    """The ``[[events]]`` table a compact ``--event`` text stands for (not yet validated)."""
    label = _where(flag, text)
    parts = _split_top_level(text.strip(), label)
    if not parts or not parts[0]:
        raise ScenarioError("expected KIND:TARGET:WHEN, e.g. closure:nodes.suez:2020-05-04+6", file=label)
    table: dict[str, Any] = {}
    if "=" not in parts[0].split(":", 1)[0]:
        head = parts.pop(0).split(":")
        if len(head) != 3 or not all(h.strip() for h in head):
            raise ScenarioError(
                "expected KIND:TARGET:WHEN (e.g. closure:nodes.suez:2020-05-04+6), then ,KEY=VALUE pairs", file=label
            )
        kind, target, when = (h.strip() for h in head)
        table.update(kind=kind, target=target, **_when_from_text(when, label))
    for part in parts:
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key or not value.strip():
            raise ScenarioError(f"expected KEY=VALUE, got {printable(part[:60])!r}", file=label)
        if key in table:
            raise ScenarioError(f"gives '{key}' twice", file=label)
        table[key] = parse_value(value.strip(), label)
    return with_id(table)


def with_id(table: Mapping[str, Any]) -> dict[str, Any]:
    """The event table with an id: its own, or KIND_TARGET ('closure_suez', 'demand_all')."""
    if "id" in table:
        return dict(table)
    target = table.get("target")
    last = target.rpartition(".")[2] if isinstance(target, str) else "routes"
    return {"id": f"{table.get('kind', 'event')}_{'all' if last == '*' else last}", **table}


def _when_from_text(when: str, label: str) -> dict[str, Any]:
    """START, START+DAYS, START..END, START.. or N/yr+DAYS (random spells) as event keys."""
    if "/" in when and "/yr" not in when:
        raise ScenarioError(f"random closures are written N/yr+DAYS (e.g. 4/yr+3), got {printable(when)!r}", file=label)
    if "/yr" in when:
        rate, plus, days = when.partition("+")
        per_year = rate.strip()[: -len("/yr")] if rate.strip().endswith("/yr") else ""
        if not plus or not per_year.strip() or not days.strip():
            raise ScenarioError(f"random closures are written N/yr+DAYS (e.g. 4/yr+3), got {printable(when)!r}", file=label)
        return {"random": {"per_year": parse_value(per_year.strip(), label), "duration_days": parse_value(days.strip(), label)}}
    if ".." in when:
        first, _, last = when.partition("..")
        out = {"start": _point(first, label)}
        if last.strip():
            out["end"] = _point(last, label)
        return out
    first, plus, days = when.rpartition("+") if "+" in when[1:] else (when, "", "")
    if plus and first:
        return {"start": _point(first, label), "duration_days": parse_value(days.strip(), label)}
    return {"start": _point(when, label)}


def _point(text: str, label: str) -> Any:
    text = text.strip()
    if not text:
        raise ScenarioError("a date or day number is missing in WHEN (START, START+DAYS or START..END)", file=label)
    return parse_value(text, label)  # a date TOML refuses (2020-13-01) stays text, for the date reader


def _split_top_level(text: str, label: str) -> list[str]:
    """``text`` cut at commas outside brackets, braces and quotes (TOML values keep theirs)."""
    parts, depth, quote, current = [], 0, "", []
    for c in text:
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(c)
    if quote or depth:
        raise ScenarioError("unbalanced quotes or brackets", file=label)
    parts.append("".join(current).strip())
    return parts


def _where(flag: str, typed: str) -> str:
    """'--event TEXT' for the option; 'events[0]' (with its text, if one) for an API argument."""
    if not flag.startswith("-"):
        return f"{flag} {printable(typed[:80])!r}" if typed else flag
    return f"{flag} {printable(typed[:80])}".strip()


def event_override(spec: str | Mapping[str, Any], flag: str = "--event") -> Override:
    """An Override that appends one event (compact text or a table) to ``[[events]]``.

    Its text is the ``--set events+=...`` that adds the same entry, so records and reproduce
    commands stay plain ``--set`` texts; errors in the event are blamed on ``flag`` and the
    text as typed.
    """
    if isinstance(spec, str):
        table = event_from_text(spec, flag)
        typed = spec
    elif isinstance(spec, Mapping):
        table = with_id(spec)
        typed = ""
    else:
        raise ScenarioError(f"an event is a compact text or a table, got {kind_of(spec)}", file=flag)
    ident = table.get("id")
    where = _where(flag, typed)
    if not isinstance(ident, str) or not ident:
        raise ScenarioError("every event needs a non-empty string 'id'", "id", where)
    problem = id_problem(ident)
    if problem:  # named here: the loader, finding no events.<id> to blame, would name the scenario file
        raise ScenarioError(problem, "id", where)
    try:
        text = f"events+={toml_value(table)}"
    except (TypeError, ValueError) as exc:
        raise ScenarioError(str(exc), file=where) from None
    return Override(("events", ident), table, text, flag, append=True,
                    typed=typed or ("" if not flag.startswith("-") else text))  # an API table: named by its place


def event_overrides(events: Sequence[str | Mapping[str, Any] | Override] | None, name: str = "events") -> list[Override]:
    """Events given as compact texts or tables, as overrides that add them to [[events]];
    an error in one names the argument and its place (``events[0]``), not a command-line
    option (the CLI passes Overrides it made with ``--event`` as their flag)."""
    return [e if isinstance(e, Override) else event_override(e, flag=f"{name}[{i}]")
            for i, e in enumerate(_event_list(events))]


def _event_list(events) -> list:
    if events is None:
        return []
    if isinstance(events, (str, Mapping)):
        raise UsageError("events: give a list of events (compact texts or tables), not one event")
    return list(events)
