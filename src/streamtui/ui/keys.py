"""The key table: every binding with its id, the keymap presets, and the config's [keymap].

Bindings are remapped by id through Textual's own keymap (``App.set_keymap``), so the footer,
the help screen and the palette show the keys in force without knowing about presets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from textual.binding import Binding, BindingType
from textual.keys import Keys, _character_to_key, key_to_character

from streamtui.core.config import Config

KeyDisplay = Callable[[Binding], str]
KeyTable = tuple[str, list[BindingType], bool]
"""(title, bindings, pane): a pane's keys work alongside the global table's, so a key in
both would be shadowed; a table that is not a pane (a dialog) stands alone."""

PRESETS: dict[str, dict[str, str]] = {
    # The defaults are vim-like already: j/k, g/G, h/l, ctrl+d/u, n/p, / and ?.
    "vim": {},
    # newsboat's defaults: J/K items, N toggles read, A marks the feed read and C all feeds,
    # o opens in the browser, r/R reload, / search, ? help, q goes back (quits at the top)
    # and Q quits at once.
    "newsboat": {
        "app.quit": "Q",
        "app.back": "q",
        "app.toggle_read": "N",
        "app.mark_all_read": "A",
        "app.mark_everything_read": "C",
        "app.next_item": "J",
        "app.previous_item": "K",
        "app.open_link": "o",
        "app.refresh": "r",
        "app.refresh_all": "R",
        "app.search": "slash",
        "app.help": "question_mark",
    },
}

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(
    key.value.rpartition("+")[2] for key in Keys if not key.value.startswith("<")
)


def bindings_of(table: Iterable[BindingType]) -> list[Binding]:
    return [b for b in table if isinstance(b, Binding)]


def keys_text(binding: Binding, display: KeyDisplay, keymap: Mapping[str, str]) -> str:
    """The keys in force for ``binding`` (a keymap entry replaces its defaults)."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(display(Binding(key.strip(), binding.action)) for key in keys.split(","))


def described(
    table: Iterable[BindingType], display: KeyDisplay, keymap: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(keys in force, description, binding id) for each described binding."""
    return [
        (keys_text(b, display, keymap), b.description, b.id or "")
        for b in bindings_of(table)
        if b.description
    ]


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key Textual can bind, or None when it is."""
    if not key:
        return "an empty key"
    if len(key) == 1:
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a key"
    *modifiers, name = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} is not a modifier (ctrl, shift, alt, meta, super, hyper)"
    if len(name) == 1 or name in NAMED_KEYS:
        return None
    if key_to_character(name) is None:  # a character by its name: question_mark, slash...
        return f"{key!r} is not a key name (examples: j, J, ctrl+d, pagedown, question_mark)"
    return None


def keymap_for(config: Config, tables: Iterable[KeyTable]) -> dict[str, str]:
    """The preset with the config's [keymap] over it, checked against the binding tables
    (the first is the global one).

    Raises ConfigError naming the line for an unknown binding id, a key that is no key,
    or one key given two bindings where both would be in force."""
    tables = list(tables)
    known = {b.id for _, table, _ in tables for b in bindings_of(table) if b.id}
    for binding_id, keys in config.keymap.items():
        if binding_id not in known:
            raise config.error(
                f"[keymap] has no binding {binding_id!r}; the help screen (?) lists every "
                "binding id",
                table="keymap",
                key=binding_id,
            )
        for key in keys.split(","):
            problem = key_problem(key)
            if problem:
                raise config.error(
                    f"[keymap] {binding_id}: {problem}", table="keymap", key=binding_id
                )
    keymap = {**PRESETS[config.keymap_preset], **config.keymap}
    _, global_table, _ = tables[0]
    for title, table, pane in tables[1:]:
        _check_clashes(config, keymap, title, [*global_table, *table] if pane else table)
    return keymap


def _check_clashes(
    config: Config, keymap: Mapping[str, str], title: str, table: list[BindingType]
) -> None:
    taken: dict[str, str] = {}
    for binding in bindings_of(table):
        name = binding.id or binding.action
        keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
        for key in (_normal(k) for k in keys.split(",")):
            other = taken.setdefault(key, name)
            if other != name:
                culprit = name if name in config.keymap else other
                raise config.error(
                    f"[keymap] {key!r} would do two things in the {title.lower()}: "
                    f"{other} and {name}",
                    table="keymap",
                    key=culprit if culprit in config.keymap else "",
                )


def _normal(key: str) -> str:
    key = key.strip()
    return _character_to_key(key) if len(key) == 1 else key
