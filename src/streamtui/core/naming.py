"""Source names are unique, compared without case."""

from __future__ import annotations


def unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``… whichever is not in ``taken`` (case-folded)."""
    name, number = wanted, 2
    while name.casefold() in taken:
        name, number = f"{wanted} ({number})", number + 1
    return name
