"""'Did you mean ...?' suggestions for unknown names in scenarios and on the command line."""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to ``name`` by spelling, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_key_message(name: str, choices: Iterable[str], what: str = "key") -> str:
    """Message for an unknown name, suggesting the nearest valid one."""
    choices = list(choices)
    hint = closest(name, choices)
    shown = repr(name) if len(name) <= 60 else repr(name[:57] + "...")
    if hint:
        return f"unknown {what} {shown}; did you mean '{hint}'?"
    if not choices:
        return f"unknown {what} {shown}; there are none to choose from"
    listed = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"unknown {what} {shown}; expected one of: {listed}"
