"""The key table: every binding with its id, gathered for the help screen and the palette."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.binding import Binding, BindingType

KeyDisplay = Callable[[Binding], str]


def bindings_of(table: Iterable[BindingType]) -> list[Binding]:
    return [b for b in table if isinstance(b, Binding)]


def keys_text(binding: Binding, display: KeyDisplay, keymap: dict[str, str]) -> str:
    """The keys in force for ``binding`` (a keymap entry replaces its defaults)."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(display(Binding(key.strip(), binding.action)) for key in keys.split(","))


def described(
    table: Iterable[BindingType], display: KeyDisplay, keymap: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(keys in force, description, binding id) for each described binding."""
    return [
        (keys_text(b, display, keymap), b.description, b.id or "")
        for b in bindings_of(table)
        if b.description
    ]
