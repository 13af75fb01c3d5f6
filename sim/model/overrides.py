"""``--set PATH=VALUE`` overrides: parse them and apply them to a parsed scenario document.

PATH is dotted; inside an array of tables (``[[nodes]]``) the next part is an entry's ``id``.
VALUE is read as a TOML value, so numbers, strings, booleans, arrays and inline tables
(distributions) all work; a bare word that is not valid TOML is taken as a string.
Nothing is evaluated: TOML is data.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sim.model.errors import ScenarioError, UsageError
from sim.model.reading import id_problem
from sim.model.suggest import unknown_key_message

MAX_OVERRIDE_LENGTH = 10_000
# The lists of tables whose entries are addressed by id (by --set and by extends).
LIST_SECTIONS = ("nodes", "legs", "services", "routes", "events", "cargo_classes", "flows")
# Plain tables at the top of a scenario; --set may create them.
TABLE_SECTIONS = ("run", "costs", "emissions", "choice")


@dataclass(frozen=True)
class Override:
    """One parsed ``--set``: the key path, the value, and the text as typed (for messages)."""

    keys: tuple[str, ...]
    value: Any
    text: str
    flag: str = "--set"  # the option it came from, for messages
    # PATH+=TABLE: add the table as a new entry of the list of tables at keys[0]; keys[1] is
    # the new entry's id, so an error inside it is blamed on this override alone.
    append: bool = False
    typed: str = ""  # the option's text as typed, when it is not ``text`` (--event's compact form)

    @property
    def dotted(self) -> str:
        return ".".join(self.keys)

    @property
    def label(self) -> str:
        """A short name of the change, for comparison labels: the text; an added event, its id
        (the arm reads 'china_europe_2020 +closure_suez'); another added entry, 'nodes+<id>'."""
        if self.append:
            return self.keys[1] if self.keys[0] == "events" else f"{self.keys[0]}+{self.keys[1]}"
        return self.text

    @property
    def where(self) -> str:
        """The option as typed, for messages: '--set nodes.dostyk.servers=4'; for an API
        argument (a flag such as 'events[0]', not an option) the argument, with its text
        when it was one: "events[0] 'closure:nodes.suez:10+6'"."""
        if not self.flag.startswith("-"):
            return f"{self.flag} {printable(self.typed[:80])!r}" if self.typed else self.flag
        return f"{self.flag} {(self.typed or self.text)[:80]}"


def parse_override(text: str, flag: str = "--set") -> Override:
    """Parse ``a.b.c=VALUE`` into an Override; raise ScenarioError if malformed.

    ``flag`` names the option it came from (``--set``, ``--vary``) in messages.
    """
    label = f"{flag} {text[:80]}"
    if len(text) > MAX_OVERRIDE_LENGTH:
        raise ScenarioError(f"is longer than {MAX_OVERRIDE_LENGTH} characters", file="--set")
    if "=" not in text:
        raise ScenarioError("expected PATH=VALUE, e.g. nodes.dostyk.servers=4", file=label)
    path, _, value_text = text.partition("=")
    path = path.strip()
    append = path.endswith("+")
    if append:  # PATH+=TABLE adds an entry to a list of tables, e.g. events+={ id = "x", ... }
        path = path[:-1].strip()
    keys = tuple(path.split("."))
    if not path or any(not k.strip() for k in keys):
        raise ScenarioError(f"bad path {path!r}: expected dotted keys like nodes.dostyk.servers", file=label)
    keys = tuple(k.strip() for k in keys)
    if any(not c.isprintable() for c in path):
        raise ScenarioError("a key path cannot hold control characters or line breaks", file=printable(label))
    value_text = value_text.strip()
    if not value_text:
        raise ScenarioError(f"no value given for {path}", file=label)
    value = parse_value(value_text, label)
    if append:
        return _append_override(keys, value, text, flag, label)
    return Override(keys, value, text, flag)


def _append_override(keys: tuple[str, ...], value: Any, text: str, flag: str, label: str) -> Override:
    """PATH+=TABLE: the table must have an id (it names the entry in messages and --set)."""
    if len(keys) != 1:
        raise ScenarioError(f"+= adds an entry to a list of tables such as events, not to {'.'.join(keys)}", file=label)
    if not isinstance(value, dict):
        raise ScenarioError("+= takes an inline table, e.g. events+={ id = \"x\", kind = \"closure\", ... }", file=label)
    ident = value.get("id")
    if not isinstance(ident, str) or not ident:
        raise ScenarioError("the entry added with += needs a non-empty string 'id'", file=label)
    problem = id_problem(ident)
    if problem:
        raise ScenarioError(problem, f"{keys[0]}.id", label)
    return Override((keys[0], ident), value, text, flag, append=True)


def override_from(path: str, value: Any) -> Override:
    """An Override from a dotted path and a Python value (the API's {path: value} form).

    The value is checked by the loader like any other; its text is the ``--set`` that would
    give the same value, so records and reproduce commands read the same either way.
    """
    keys = tuple(k.strip() for k in path.split("."))
    if not path or any(not k for k in keys):
        raise ScenarioError(f"bad path {path!r}: expected dotted keys like nodes.dostyk.servers", file="overrides")
    label = f"overrides[{path!r}]"
    try:
        text = f"{'.'.join(keys)}={toml_value(value)}"
    except (TypeError, ValueError) as exc:
        raise ScenarioError(str(exc), file=label) from None
    return Override(keys, value, text)


def toml_value(value: Any) -> str:
    """A Python value as an inline TOML value (what ``--set`` would take)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are valid TOML basic strings
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()  # a TOML local date
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"a {type(value).__name__} is not a scenario value (use numbers, strings, booleans, lists or tables)")


def _toml_key(key: Any) -> str:
    key = str(key)
    return key if key and all(c.isalnum() or c in "_-" for c in key) else json.dumps(key, ensure_ascii=False)


def printable(text: str) -> str:
    """``text`` with control characters and line breaks escaped (\\n, \\x1b): one printable line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_value(text: str, label: str) -> Any:
    """Read one TOML value; a plain word that is not TOML becomes a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if _DATE_SHAPE.fullmatch(text):  # an impossible date (2020-02-31): the date reader of the
            return text  # key it is for says what is wrong with it, and names the key path
        if text[0] in "{[\"'" or text[0].isdigit() or text[0] in "+-.":
            detail = str(exc).split(" (at line")[0]
            raise ScenarioError(f"bad value {text[:60]!r}: not a TOML value ({detail})", file=label) from None
        if any(c in text for c in "\n\r"):
            raise ScenarioError("a value must be on one line", file=label) from None
        return text
    except RecursionError:
        raise ScenarioError("value nested too deeply", file=label) from None


def apply_overrides(raw: dict[str, Any], overrides: Sequence[Override], file: str = "") -> dict[str, Any]:
    """Set each override's value in ``raw`` (modified in place and returned)."""
    for override in overrides:
        _apply_one(raw, override)
    return raw


def _apply_one(raw: dict[str, Any], override: Override) -> None:
    label = override.where
    if override.append:
        entries = raw.setdefault(override.keys[0], [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ScenarioError(f"'{override.keys[0]}' is not a list of tables to add an entry to", file=label)
        entries.append(copy.deepcopy(override.value))
        return
    node: Any = raw
    walked: list[str] = []
    keys = override.keys
    i = 0
    while i < len(keys) - 1:
        key = keys[i]
        walked.append(key)
        if not isinstance(node, dict):
            raise ScenarioError(f"'{'.'.join(walked[:-1])}' is a value, not a table", file=label)
        child = node.get(key)
        if isinstance(child, list) and child and all(isinstance(e, dict) for e in child):
            ident = keys[i + 1]
            entry = next((e for e in child if e.get("id") == ident), None)
            if entry is None:
                ids = [str(e.get("id")) for e in child]
                raise ScenarioError(
                    unknown_key_message(ident, ids, what=f"[[{'.'.join(walked)}]] id"), file=label
                )
            walked.append(ident)
            node = entry
            i += 2
            continue
        if child is None:
            if i == 0 and key in LIST_SECTIONS and len(keys) > 2:
                raise ScenarioError(
                    f"unknown [[{key}]] id '{keys[1]}': the scenario has no [[{key}]] entries"
                    + (" (add one with --event)" if key == "events" else ""),
                    file=label,
                )
            if i == 0 and key not in TABLE_SECTIONS:
                raise ScenarioError(
                    unknown_key_message(key, TABLE_SECTIONS + LIST_SECTIONS, what="section"),
                    file=label,
                )
            child = {}
            node[key] = child
        elif not isinstance(child, dict):
            raise ScenarioError(f"'{'.'.join(walked)}' is a value, not a table", file=label)
        node = child
        i += 1
    if i >= len(keys):
        raise ScenarioError(f"path names an entry, not a key inside it: add a key after '{override.dotted}'", file=label)
    if not isinstance(node, dict):
        raise ScenarioError(f"'{'.'.join(walked)}' is a value, not a table", file=label)
    last = keys[-1]
    if isinstance(node.get(last), list) and node[last] and all(isinstance(e, dict) for e in node[last]):
        raise ScenarioError(f"'{override.dotted}' is a list of entries: add an id and a key", file=label)
    if last == "id" and len(walked) >= 2 and walked[-1] == node.get("id") and override.value != node.get("id"):
        # The entries naming it (legs, routes, services, events) would not follow.
        raise ScenarioError(
            f"'{override.dotted}': an id cannot be changed here, the entries that name '{walked[-1]}' would not "
            "follow; rename it in a copy of the scenario file", file=label)
    node[last] = override.value


# ---------------------------------------------------------------------------------------
# extends: a scenario file applied on top of its base

def merge_document(base: dict[str, Any], child: dict[str, Any], file: str) -> dict[str, Any]:
    """``child`` applied on top of ``base`` (modified in place and returned) by the rules of
    ``--set``: tables merge key by key; a ``[[nodes]]``/``[[legs]]``/``[[services]]``/
    ``[[routes]]``/``[[events]]`` entry is matched by ``id`` and merged key by key, or added if its id is new,
    or deleted by ``remove = true``; any other value (a number, an array, a distribution
    table with ``dist``) replaces the base's whole.  Errors name ``file`` and the key path."""
    for key, value in child.items():
        if key in LIST_SECTIONS:
            base[key] = _merge_entries(base.get(key, []), value, key, file)
        else:
            base[key] = _merge_value(base.get(key), value)
    return base


def _merge_value(base: Any, value: Any) -> Any:
    if isinstance(base, dict) and isinstance(value, dict) and "dist" not in value:
        for k, v in value.items():
            base[k] = _merge_value(base.get(k), v)
        return base
    return copy.deepcopy(value)


def _merge_entries(base: Any, entries: Any, section: str, file: str) -> list[Any]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ScenarioError(f"must be an array of tables ([[{section}]])", section, file)
    merged = list(base) if isinstance(base, list) else []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident:
            raise ScenarioError("every entry needs a non-empty string 'id' (the entry of the base it changes)",
                                f"{section}[{i}]", file)
        if ident in seen:  # two changes of one entry in one file: one would silently win
            raise ScenarioError(f"duplicate id '{ident}' (also entry {seen[ident]}): change an entry once",
                                f"{section}[{i}].id", file)
        seen[ident] = i
        where = f"{section}.{ident}"
        found = next((k for k, e in enumerate(merged) if isinstance(e, dict) and e.get("id") == ident), None)
        remove = entry.get("remove", False)
        if not isinstance(remove, bool):
            raise ScenarioError("must be true or false", f"{where}.remove", file)
        if remove:
            if found is None:
                ids = [str(e.get("id")) for e in merged if isinstance(e, dict)]
                raise ScenarioError(unknown_key_message(ident, ids, what=f"[[{section}]] id to remove"), where, file)
            extra = sorted(set(entry) - {"id", "remove"})
            if extra:
                raise ScenarioError(f"an entry removed cannot also set {', '.join(extra)}", where, file)
            del merged[found]
        elif found is None:
            merged.append(copy.deepcopy({k: v for k, v in entry.items() if k != "remove"}))
        else:
            _merge_value(merged[found], {k: v for k, v in entry.items() if k not in ("id", "remove")})
    return merged


def overrides_of(overrides: Mapping[str, Any] | Sequence[str | Override] | None) -> list[Override]:
    """Overrides given as {path: value} (Python values) or ["path=value", ...] (TOML text)."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [override_from(str(path), value) for path, value in overrides.items()]
    if isinstance(overrides, str):
        raise UsageError("overrides: give a mapping {path: value} or a list of 'path=value' strings, not one string")
    return [o if isinstance(o, Override) else parse_override(o) for o in overrides]
