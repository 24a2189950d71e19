"""Source names are unique, compared without case."""

from __future__ import annotations

from collections.abc import Callable


def name_key(name: str) -> str:
    """What two names that count as the same share (the store keeps it unique)."""
    return name.casefold()


def unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``… whichever is not in ``taken`` (case-folded)."""
    return NamePicker(lambda key: key in taken).pick(wanted)


class NamePicker:
    """Free names for a run of new or renamed sources, each checked with ``taken`` (whether a
    case-folded name is in use now). The store calls it inside the write transaction that
    saves the name, so two processes never pick the same one.

    The suffix numbers found taken for a name are remembered and not tried again: naming
    20,000 sources "News" costs 20,000 checks, not 200 million (the first free number is
    searched from where the last search for that name stopped). A number that became free
    meanwhile is skipped, which keeps names unique all the same."""

    def __init__(self, taken: Callable[[str], bool]) -> None:
        self._taken = taken
        self._next: dict[str, int] = {}

    def pick(self, wanted: str) -> str:
        key = name_key(wanted)
        if not self._taken(key):
            return wanted
        number = self._next.get(key, 2)
        while self._taken(name_key(f"{wanted} ({number})")):
            number += 1
        self._next[key] = number + 1
        return f"{wanted} ({number})"
