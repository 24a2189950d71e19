"""The keys: the main screen's bindings (here), every pane's and dialog's (in their widget's
``BINDINGS``), the keymap presets, and the config's [keymap] checked against them all.

Change a key here: its default in :data:`EVERYWHERE` (or in the pane's widget), its action in
the main screen (``screens/main/``). Bindings are remapped by id through Textual's own keymap
(``App.set_keymap``), so the footer, the help screen and the palette show the keys in force
without knowing about presets. The ids are what users write in config.toml's [keymap]: they
stay as they are (``app.next_item``...) wherever the binding lives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from textual.binding import Binding, BindingType
from textual.keys import Keys, _character_to_key, key_to_character

from streamtui.core.config import Config
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList

KeyDisplay = Callable[[Binding], str]
KeyTable = tuple[str, list[BindingType], bool]
"""(title, bindings, pane): a pane's keys work alongside the global table's, so a key in
both would be shadowed; a table that is not a pane (a dialog) stands alone."""

PALETTE = Binding(
    "colon,ctrl+p", "app.command_palette", "Command palette", show=False, id="app.palette"
)
"""The palette is the app's (Textual's): bound on a screen, Textual would add a ctrl+p of its
own that works over the dialogs too and that no keymap moves."""

EVERYWHERE: list[BindingType] = [
    # The footer shows these in this order, after the focused pane's own keys.
    Binding("q", "app.quit", "Quit", id="app.quit"),
    Binding("backspace", "step_back", "Back", show=False, id="app.back"),
    Binding("question_mark", "help", "Help", id="app.help"),
    PALETTE,
    Binding("tab", "cycle_focus(1)", "Next pane", show=False, id="app.next_pane"),
    Binding("shift+tab", "cycle_focus(-1)", "Previous pane", show=False, id="app.previous_pane"),
    Binding("slash", "search", "Search", id="app.search"),
    Binding("J", "step(1)", "Next item", show=False, id="app.next_item"),
    Binding("K", "step(-1)", "Previous item", show=False, id="app.previous_item"),
    Binding("n", "next_unread(1)", "Next unread", id="app.next_unread"),
    Binding("p", "next_unread(-1)", "Previous unread", show=False, id="app.previous_unread"),
    Binding("m", "toggle_read", "Toggle read", id="app.toggle_read"),
    Binding("s", "toggle_star", "Star", id="app.star"),
    Binding("o", "open_link", "Open in browser", id="app.open_link"),
    Binding("O", "open_link_and_next", "Open, next unread", show=False, id="app.open_link_next"),
    Binding("f", "follow_link", "Follow link n", show=False, id="app.follow_link"),
    Binding("y", "copy_link", "Copy URL", show=False, id="app.copy_link"),
    Binding("F", "full_article", "Full article", show=False, id="app.full_article"),
    Binding("T", "toggle_full_text", "Full text for the feed", show=False, id="app.full_text"),
    Binding("D", "download", "Download attachment (again: cancel)", show=False, id="app.download"),
    Binding("P", "play", "Play attachment", show=False, id="app.play"),
    Binding("A", "mark_view_read", "Mark all read", id="app.mark_all_read"),
    Binding(
        "C",
        "mark_everything_read",
        "Mark everything read",
        show=False,
        id="app.mark_everything_read",
    ),
    Binding("u", "undo", "Undo", show=False, id="app.undo"),
    Binding("M", "toggle_unread_only", "All/unread", show=False, id="app.toggle_unread_only"),
    Binding("S", "show_starred", "Starred", show=False, id="app.show_starred"),
    Binding("b", "toggle_sidebar", "Sidebar", show=False, id="app.toggle_sidebar"),
    Binding(
        "less_than_sign", "resize_list(-5)", "Narrower list", show=False, id="app.list_narrower"
    ),
    Binding("greater_than_sign", "resize_list(5)", "Wider list", show=False, id="app.list_wider"),
    Binding("a", "add_source", "Add source", id="app.add_source"),
    Binding("r", "refresh(False)", "Refresh", id="app.refresh"),
    Binding("R", "refresh(True)", "Refresh all", show=False, id="app.refresh_all"),
]
"""The main screen's keys, whichever pane has the focus, in the help's order. Their ids keep
the ``app.`` of the days they were the app's: users' [keymap] entries name them."""

SCREEN_KEYS: list[BindingType] = [binding for binding in EVERYWHERE if binding is not PALETTE]
"""What the main screen binds (the palette's key is the app's)."""


HELP_KEYS: list[BindingType] = [
    Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    Binding("j,down", "scroll(1)", "Scroll down", show=False, id="help.down"),
    Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="help.up"),
    Binding("g,home", "top", "Top", show=False, id="help.top"),
    Binding("G,end", "bottom", "Bottom", show=False, id="help.bottom"),
    Binding("pagedown,ctrl+d,space", "page(1)", "Page down", show=False, id="help.page_down"),
    Binding("pageup,ctrl+u", "page(-1)", "Page up", show=False, id="help.page_up"),
]
"""The help screen's keys (here, not in screens/help.py: the screens import this module)."""

LINK_PROMPT_KEYS: list[BindingType] = [
    Binding("escape", "dismiss(None)", "Cancel", id="links.cancel"),
]
"""The link prompt's keys (``f``, then a number)."""


def key_tables() -> list[KeyTable]:
    """Every binding table, the global one first (for the keymap's checks, the help screen
    and the palette); the main screen's panes come next, in this order."""
    return [
        ("Everywhere", EVERYWHERE, False),
        ("Stream list", StreamList.BINDINGS, True),
        ("Article", ArticleView.BINDINGS, True),
        ("Sources", SourcesSidebar.BINDINGS, True),
        ("Search line", SearchBar.BINDINGS, False),
        ("Link prompt", LINK_PROMPT_KEYS, False),
        ("Help", HELP_KEYS, False),
    ]


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
