"""Words for numbers in messages, tables and titles: one place, so every layer says it alike."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """'1 replication', '3 replications' (``plural`` for irregular words)."""
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"
