"""The streamtui app: routes messages between the panes and calls the Library."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Size
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from streamtui.core.browser import BrowserError, Launch, run_in_terminal
from streamtui.core.browser import choose as choose_browser
from streamtui.core.browser import start as start_browser
from streamtui.core.config import Config
from streamtui.core.errors import DatabaseGoneError, ReadOnlyError, StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import Changes, Row, Source, View
from streamtui.core.text import redact_text, refusal, sanitize, terms
from streamtui.ui.commands import ItemsProvider, SourcesProvider
from streamtui.ui.format import safe
from streamtui.ui.keys import KeyTable, described, keymap_for
from streamtui.ui.messages import Progress, RefreshFinished, RefreshProgressed
from streamtui.ui.screens.dialogs import (
    PASSWORD_UPDATED,
    AddSourceScreen,
    ConfirmScreen,
    NameScreen,
)
from streamtui.ui.screens.help import HelpScreen, help_content
from streamtui.ui.screens.links import LinkScreen
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.footer import KeysFooter
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from streamtui.ui.widgets.too_small import TOO_SMALL, TooSmallNotice, too_small

if TYPE_CHECKING:
    from streamtui.core.models import RefreshEvent, RefreshSummary

FLUSH_SECONDS = 0.4
"""How often a running refresh's results are applied to the screen."""
SIDEBAR_SECONDS = 2.0
"""How often, at most, the sidebar's counts follow a running refresh."""
RELOAD_SECONDS = 1.0
"""How often, at most, the list takes in a running refresh's new items. Reloading "All" at
100k items (count, the cursor's rank, a window) takes 20-30 ms of the UI thread: every 0.4 s,
one key in twenty waited for it (p95 54 ms during a refresh)."""

DATABASE_CHECK_SECONDS = 2.0
"""How often the app looks whether its database file is still there (a stat: microseconds)."""
ELSEWHERE_SECONDS = 2.0
"""How often the app looks for changes another process made (the command line adding a
source, another streamtui marking items): one PRAGMA, a few microseconds."""

NARROW = 100
"""Below this many columns the sidebar starts hidden and the article, while open, takes the
whole width."""

Opener = Callable[[str], object]
"""Opens a URL outside the app instead of the browser (tests pass a recorder)."""


def _share(text: str) -> int:
    """A remembered list width, when it is one (20-80 %); else 0."""
    return int(text) if text.isdigit() and 20 <= int(text) <= 80 else 0


def open_in_browser(url: str) -> None:
    """Open ``url`` in $BROWSER or the system's browser, never through a shell (a terminal
    browser too, as if it drew elsewhere: the app runs those with :meth:`StreamApp.suspend`)."""
    start_browser(choose_browser(url))


class StreamApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "streamtui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("backspace", "step_back", "Back", show=False, id="app.back"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon,ctrl+p", "command_palette", "Command palette", show=False, id="app.palette"),
        Binding("tab", "cycle_focus(1)", "Next pane", show=False, id="app.next_pane"),
        Binding(
            "shift+tab", "cycle_focus(-1)", "Previous pane", show=False, id="app.previous_pane"
        ),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("J", "step(1)", "Next item", show=False, id="app.next_item"),
        Binding("K", "step(-1)", "Previous item", show=False, id="app.previous_item"),
        Binding("n", "next_unread(1)", "Next unread", id="app.next_unread"),
        Binding("p", "next_unread(-1)", "Previous unread", show=False, id="app.previous_unread"),
        Binding("m", "toggle_read", "Toggle read", id="app.toggle_read"),
        Binding("s", "toggle_star", "Star", id="app.star"),
        Binding("o", "open_link", "Open in browser", id="app.open_link"),
        Binding(
            "O", "open_link_and_next", "Open, next unread", show=False, id="app.open_link_next"
        ),
        Binding("f", "follow_link", "Follow link n", show=False, id="app.follow_link"),
        Binding("y", "copy_link", "Copy URL", show=False, id="app.copy_link"),
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
        Binding(
            "greater_than_sign", "resize_list(5)", "Wider list", show=False, id="app.list_wider"
        ),
        Binding("a", "add_source", "Add source", id="app.add_source"),
        Binding("r", "refresh(False)", "Refresh", id="app.refresh"),
        Binding("R", "refresh(True)", "Refresh all", show=False, id="app.refresh_all"),
    ]

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | {
        SourcesProvider,
        ItemsProvider,
    }

    def __init__(
        self,
        library: Library,
        *,
        startup_message: str = "",
        sync_on_start: bool = True,
        refresh_minutes: int | None = None,
        config: Config | None = None,
        opener: Opener | None = None,
    ) -> None:
        """Raises ConfigError (naming the line) for a keymap or theme this app cannot use."""
        super().__init__()
        config = config or Config()
        self.library = library
        self.startup_message = startup_message
        self.sync_on_start = sync_on_start
        self.refresh_minutes = (
            config.refresh_interval if refresh_minutes is None else refresh_minutes
        )
        self.opener = opener
        self.browser = config.browser
        self.browser_terminal = config.browser_terminal
        self.keymap: dict[str, str] = keymap_for(config, self.key_tables())
        self.keymap_preset = config.keymap_preset
        if config.theme and config.theme not in self.available_themes:
            raise config.error(
                f"theme {config.theme!r} is not a theme; choose one of "
                + ", ".join(sorted(self.available_themes)),
                key="theme",
            )
        # config.toml's values win; else what the user last chose in the app (the palette's
        # theme, < and >), remembered in the database.
        remembered = library.remembered("theme")
        self._theme_name = config.theme or (
            remembered if remembered in self.available_themes else ""
        )
        self.list_share = config.list_width or _share(library.remembered("list_width")) or 50
        self._search_return: View | None = None
        self._refreshing = False
        self._sidebar_at = self._reloaded_at = 0.0
        self._quiet = False
        self._progress = Progress()
        self._cancel = threading.Event()
        self._flusher: Timer | None = None
        self._told_read_only = library.read_only and bool(startup_message)
        self._focus_before: list[tuple[Screen[object], Widget | None]] = []
        self._wrap_from: tuple[int, str | None] | None = None
        """(direction, item) where n or p last stopped at the end: pressed again, it wraps."""
        self.view: View = library.view()

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield SourcesSidebar(id="sources")
            yield StreamList(id="stream")
            yield ArticleView(id="article")
        yield SearchBar(id="search")
        yield KeysFooter()
        yield TooSmallNotice(id="too-small")

    @property
    def stream(self) -> StreamList:
        return self.query_one(StreamList)

    @property
    def article(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def sidebar(self) -> SourcesSidebar:
        return self.query_one(SourcesSidebar)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        if self._theme_name:
            self.theme = self._theme_name
        self.watch(self, "theme", self._theme_chosen, init=False)
        narrow = self.size.width < NARROW
        self.main.set_class(narrow, "-narrow")
        self.main.set_class(narrow, "-no-sidebar")
        self.search_bar.display = False
        self._apply_split()
        self.watch(self.main, "focused", self._focus_moved)
        self.sidebar.border_title = "Sources"
        # The first frame shows the list and the sources' names. Counting every source's
        # unread items reads the whole index (25 ms at 100k items) and the refresh imports
        # the network stack (120 ms of a thread's time): both wait for that frame.
        with self._guard():
            self._show_sources(counted=False)
            self._reload()
        self._focus(self.stream)
        self.call_after_refresh(self._after_first_frame)
        self._fit(self.size)

    def _after_first_frame(self) -> None:
        with self._guard():
            self._show_sources()
            self.library.changed_elsewhere()  # from now on
        self.set_interval(ELSEWHERE_SECONDS, self._look_elsewhere)
        if self.startup_message:
            self.notify(self.startup_message, severity="warning", markup=False, timeout=10)
        read_only = self.library.read_only  # nothing a refresh brings could be kept
        if self.sync_on_start and not read_only:  # open on what is stored, then refresh
            self.action_refresh(True, quiet=True)
        else:
            self.stream.empty_text = "No items here."
        if self.refresh_minutes > 0 and not read_only:
            self.set_interval(
                self.refresh_minutes * 60, partial(self.action_refresh, True, quiet=True)
            )
        if not read_only:
            self.set_interval(DATABASE_CHECK_SECONDS, self._check_database)

    def on_resize(self, event: events.Resize) -> None:
        self.main.set_class(event.size.width < NARROW, "-narrow")
        self._apply_split()
        self._fit(event.size)

    @property
    def main(self) -> Screen[object]:
        """The screen of the panes (a dialog, the help or the too-small notice may be over
        it): its classes choose the layout."""
        return self.default_screen

    def _fit(self, size: Size) -> None:
        """Below a usable size, a notice instead of every screen's widgets (set before the
        screens are laid out at the new size); above it, everything as it was."""
        small, was = too_small(size), self.has_class(TOO_SMALL)
        if small:
            self.query_one(TooSmallNotice).show_size(size)
        if small and not was:  # hidden widgets lose the focus: remember where it was
            self._focus_before = [(screen, screen.focused) for screen in self.screen_stack]
        self.set_class(small, TOO_SMALL)
        if was and not small:
            for screen, widget in self._focus_before:
                if widget is not None and widget.is_attached and screen.focused is None:
                    screen.set_focus(widget)
            self._focus_before = []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the terminal is too small, only quitting: nothing acts unseen."""
        return action == "quit" or not self.has_class(TOO_SMALL)

    def _focus(self, widget: Widget) -> None:
        """Focus at once (``Widget.focus`` waits a turn), so that keys typed ahead reach
        the pane they were meant for."""
        self.main.set_focus(widget)

    def _focus_moved(self, focused: Widget | None) -> None:
        """On a narrow screen the article takes the whole width while it has the focus."""
        if focused is None and self.has_class(TOO_SMALL):
            return  # hidden under the too-small notice: the focus comes back as it was
        self.main.set_class(focused is self.article, "-reading")

    def _apply_split(self) -> None:
        """The list/article split (wide layout only: a narrow one shows one at a time)."""
        narrow = self.main.has_class("-narrow")
        self.stream.styles.width = None if narrow else f"{self.list_share}fr"
        self.article.styles.width = None if narrow else f"{100 - self.list_share}fr"

    # -- loading -------------------------------------------------------------------------

    def _reload(self, keep_id: str | None = None, *, keep_screen: bool = False) -> None:
        """Re-read the current view; the cursor stays on ``keep_id``, or the row nearest it
        (and, with ``keep_screen``, on the same line of the screen: new items slide in)."""
        view = self.view
        count = self.library.count(view)
        position = self.library.rank(view, keep_id) if keep_id else None
        fetch: Callable[[int, int], list[Row]] = partial(self.library.rows, view)
        names = self.library.source_names()
        self.stream.highlight = terms(view.query) if view.query else []
        self.stream.load(
            fetch,
            count,
            names,
            position=position or 0,
            show_source=view.source_id is None and len(names) > 1,
            keep_screen=keep_screen,
        )
        self._update_title(names)
        open_id = self._open_id()
        if open_id is not None and self.library.position(view, open_id) is None:
            self.article.clear()  # the open item left the view: never browse from outside it
            if self.focused is self.article:  # the pane is gone until the next item opens
                self._focus(self.stream)

    def _look_elsewhere(self) -> None:
        with self._guard():
            if self.library.changed_elsewhere():
                self._catch_up()

    def _catch_up(self) -> None:
        """Show what changed behind the app's back: the sidebar gains (or loses) sources,
        the list takes in their items. A source in view that is gone leaves All in view."""
        with self._guard():
            source_id = self.view.source_id
            if source_id is not None and source_id not in self.library.source_names():
                self.view = self.library.view(None, unread_only=self.view.unread_only)
            self._show_sources()
            self._reload(self._cursor_id(), keep_screen=True)

    def _show_sources(self, *, counted: bool = True) -> None:
        sources = self.library.sources(counted=counted)
        view = self.view
        # While the user moves in the sidebar, its highlight stays where they put it: a
        # redraw (a refresh ending, a rename) must not move it back to the source in view,
        # where the next d or e would act on the wrong source.
        kept = self.sidebar.highlighted_id() if self.focused is self.sidebar else None
        self.sidebar.show_sources(
            sources,
            None if view.starred else view.source_id,
            starred=self.library.starred_count(),
            on_starred=view.starred and not view.query,
            counted=counted,
        )
        if kept is not None:
            self.sidebar.highlight(kept)
        if counted:
            self._show_unread()

    def _show_unread(self) -> None:
        """How many items of the view are unread, under the list."""
        view = self.view
        if view.starred or view.query:  # the unread among what the view holds
            unread = self.library.count(
                self.library.view(
                    view.source_id, unread_only=True, starred=view.starred, query=view.query
                )
            )
        else:
            unread = self.sidebar.unread(view.source_id)
        self.stream.border_subtitle = Content(f"{unread} unread")

    def _update_title(self, names: dict[int, str]) -> None:
        view = self.view
        if view.query:
            name = Content.assemble(
                ("Search ", "bold"), safe(view.query).stylize("$accent"), " in every source"
            )
        elif view.starred:
            name = Content("Starred")
        else:
            name = safe("All" if view.source_id is None else names.get(view.source_id, "?"))
        mode = "unread" if view.unread_only else "all items"
        if view.query:
            mode = f"{mode} · Esc clears"
        self.stream.border_title = Content.assemble(
            name, (f" · {mode} · {self.stream.count}", "dim")
        )

    def _set_view(self, view: View) -> None:
        current = self.stream.current
        self.view = view
        self._reload(current.id if current else None)

    # -- messages from the panes (the mouse) -----------------------------------------------

    def on_stream_list_opened(self, message: StreamList.Opened) -> None:
        self._open(message.row.id, focus=True)

    def on_article_view_link_clicked(self, message: ArticleView.LinkClicked) -> None:
        self._open_url(message.url)  # checked like every link: http, https, mailto only

    def on_article_view_end_reached(self, _: ArticleView.EndReached) -> None:
        self._open_next_unread(1, after=self._open_id())

    def on_sources_sidebar_chosen(self, message: SourcesSidebar.Chosen) -> None:
        if message.starred:
            self.show_view(self.library.view(starred=True))
        else:
            self.show_source(message.source_id)

    def show_source(self, source_id: int | None) -> None:
        """Show a source (None: every source) and move to the list; the palette jumps here."""
        self.show_view(self.library.view(source_id, unread_only=self.view.unread_only))

    def show_view(self, view: View) -> None:
        self._search_return = None
        self.search_bar.close()
        self.view = view
        with self._guard():
            self._reload()
            self._show_sources()
        if self.main.has_class("-narrow"):  # the sidebar was open to choose: close it
            self.main.add_class("-no-sidebar")
        self._focus(self.stream)

    def jump_to_item(self, item_id: str) -> None:
        """Open an item (the palette's items); outside the current view, show All first."""
        with self._guard():
            if self.library.position(self.view, item_id) is None:
                self.show_view(self.library.view())
            self._open(item_id, focus=True)

    def action_show_starred(self) -> None:
        self.show_view(self.library.view(starred=True))

    # -- actions -------------------------------------------------------------------------
    # Pane keys that move focus run here, synchronously, so that keys typed ahead reach
    # the pane they were meant for.

    def action_open_current(self) -> None:
        row = self.stream.current
        if row is not None:
            self._open(row.id, focus=True)

    def action_focus_list(self) -> None:
        self._focus(self.stream)

    def action_focus_sources(self) -> None:
        self.main.remove_class("-no-sidebar")
        self._focus(self.sidebar)

    def action_list_back(self) -> None:
        """h/Esc in the list: first drop a search filter, then go to the sources."""
        if self.view.query:
            self._clear_search()
        else:
            self.action_focus_sources()

    def action_step_back(self) -> None:
        """One level out (newsboat's q): article, list, sources; from the sources, quit."""
        if self.focused is self.article:
            self.action_focus_list()
        elif self.focused is self.stream:
            self.action_list_back()
        else:
            self._cancel.set()
            self.exit()

    def _open(self, item_id: str, *, focus: bool = False) -> None:
        """Show an item in the article pane and mark it read (saved at once)."""
        with self._guard():
            current = self.stream.current
            if current is None or current.id != item_id:
                position = self.library.position(self.view, item_id)
                if position is not None:
                    self.stream.cursor = position
            article = self.library.article(item_id)
            self.article.show(article)
            if not article.row.read:
                self._set_read(item_id, True)
        if focus:
            self._focus(self.article)

    def _open_id(self) -> str | None:
        return self.article.article.row.id if self.article.article else None

    def _set_read(self, item_id: str, read: bool) -> None:
        self._show_changes(self.library.mark_read([item_id], read))

    def _show_changes(self, changes: Changes) -> None:
        """Redraw only what a mark or a star changed: its rows, and its sources' entries and
        counts in the sidebar (a key press reads nothing more, however large the library)."""
        for row in changes.rows:
            self.stream.update_row(row)
        if not self.sidebar.counted:  # the counts are still to come, and will include it
            return
        changed = [
            replace(source, unread=source.unread + delta)
            for source_id, delta in changes.unread.items()
            if (source := self.sidebar.shown(source_id)) is not None
        ]
        self.sidebar.update_sources(changed)
        if changes.starred:
            self.sidebar.update_starred(self.sidebar.starred + changes.starred)
        self._show_unread()

    def _reading(self) -> bool:
        return self.focused is self.article and self.article.article is not None

    def action_step(self, delta: int) -> None:
        before = self.stream.cursor
        self.stream.cursor += delta
        row = self.stream.current
        if row is not None and self._reading() and self.stream.cursor != before:
            self._open(row.id)

    def action_next_unread(self, direction: int) -> None:
        after = self._open_id() if self._reading() else getattr(self.stream.current, "id", None)
        self._open_next_unread(direction, after=after, open_it=self._reading())

    def _open_next_unread(self, direction: int, *, after: str | None, open_it: bool = True) -> None:
        """Go to the next unread item in ``direction``. At the end of the list it stops and
        says so; the same key again, from the same item, wraps around to the other end."""
        with self._guard():
            backwards = direction < 0
            found = self.library.next_unread(self.view, after, backwards=backwards)
            if found is None and after is not None:
                wrapped = (
                    self.library.next_unread(self.view, None, backwards=backwards)
                    if not backwards
                    else self._last_unread()
                )
                if wrapped is None or wrapped == after:
                    self.notify("No more unread items in this view.", timeout=3)
                    return
                if self._wrap_from != (direction, after):
                    self._wrap_from = (direction, after)
                    where, end = ("above", "bottom") if backwards else ("below", "top")
                    self.notify(
                        f"No unread item {where}; press again to wrap around to the {end}.",
                        timeout=4,
                    )
                    return
                self.notify(
                    "Wrapped around: " + ("from the bottom." if backwards else "from the top."),
                    timeout=3,
                )
                found = wrapped
            self._wrap_from = None
            if found is None or found == after:
                self.notify("No more unread items in this view.", timeout=3)
                return
            position = self.library.position(self.view, found)
            if position is not None:
                self.stream.cursor = position
            if open_it:
                self._open(found)

    def _last_unread(self) -> str | None:
        last = self.library.rows(self.view, max(0, self.stream.count - 1), 1)
        if not last:
            return None
        if not last[0].read:
            return last[0].id
        return self.library.next_unread(self.view, last[0].id, backwards=True)

    def _target_row(self) -> Row | None:
        """What a key acts on: the open article while reading, else the cursor's row."""
        target = self._open_id() if self._reading() else None
        return self.library.row(target) if target else self.stream.current

    def action_toggle_read(self) -> None:
        row = self._target_row()
        if row is None:
            return
        with self._guard():
            self._set_read(row.id, not row.read)

    def action_toggle_star(self) -> None:
        row = self._target_row()
        if row is None:
            return
        with self._guard():
            self._show_changes(self.library.set_starred([row.id], not row.starred))
            self.notify("Unstarred." if row.starred else "Starred.", timeout=2)

    def action_mark_view_read(self) -> None:
        self._mark_read_in(self.view, "this view")

    def action_mark_everything_read(self) -> None:
        self._mark_read_in(self.library.view(), "every source")

    def _mark_read_in(self, view: View, where: str) -> None:
        with self._guard():
            changed = self.library.mark_view_read(view)
            self.stream.forget_rows()
            self._show_changes(changed)
            if not changed.count:
                self.notify(f"Nothing unread in {where}.", timeout=3)
                return
            keys = self._keys_for("app.undo")
            # Markup from our own words and numbers only: no feed text in this string.
            self.notify(
                f"Marked {changed.count} item(s) read in {where}. "
                f"[@click=app.undo]Undo[/] (or press {keys})",
                timeout=8,
            )

    def action_undo(self) -> None:
        with self._guard():
            undone = self.library.undo()
            if undone is None:
                self.notify("Nothing to undo.", timeout=3)
                return
            self.stream.forget_rows()
            self._reload(self._cursor_id())
            self._show_sources()
            self.notify(
                f"Undone: {undone.description} ({undone.count} item(s)).",
                markup=False,
                timeout=4,
            )

    def _keys_for(self, binding_id: str) -> str:
        for _, table, _ in self.key_tables():
            for binding in table:
                if isinstance(binding, Binding) and binding.id == binding_id:
                    return described([binding], self.get_key_display, self.keymap)[0][0]
        return "?"

    # -- links ---------------------------------------------------------------------------

    def _item_link(self) -> str | None:
        row = self._target_row()
        if row is None:
            return None
        shown = self.article.article
        article = shown if shown and shown.row.id == row.id else self.library.article(row.id)
        if not article.link:
            self.notify("This item has no link.", timeout=3)
            return None
        return article.link

    def action_open_link(self) -> None:
        with self._guard():
            url = self._item_link()
            if url:
                self._open_url(url)

    def action_open_link_and_next(self) -> None:
        with self._guard():
            row = self._target_row()
            url = self._item_link()
            if row is None or url is None or not self._open_url(url):
                return
            if not row.read:
                self._set_read(row.id, True)
            self._open_next_unread(1, after=row.id, open_it=self._reading())

    def action_follow_link(self) -> None:
        if self.article.article is None:
            self.notify("Open an item first: f follows the numbered links of its text.")
            return
        links = self.article.links
        if not links:
            self.notify("This article has no numbered links.", timeout=3)
            return

        def chosen(number: int | None) -> None:
            link = next((link for link in links if link.number == number), None)
            if link is not None:
                self._open_url(link.url)

        self.push_screen(LinkScreen([(k.number, k.label, k.url) for k in links]), chosen)

    def action_copy_link(self) -> None:
        with self._guard():
            url = self._item_link()
            if url:
                self.copy_to_clipboard(url)  # OSC 52: works over SSH, where supported
                self.notify(f"Copied {url}", markup=False, timeout=3)

    def _open_url(self, url: str) -> bool:
        """Open http, https and mailto links outside the app; refuse the rest, saying why."""
        reason = refusal(url)
        if reason:
            self._error(f"Not opened: {reason}")
            return False
        if self.opener is not None:
            self.notify(f"Opening {url}", markup=False, timeout=3)
            self._launch(url, None)
            return True
        try:
            launch = choose_browser(url, browser=self.browser, terminal=self.browser_terminal)
        except BrowserError as error:  # nothing would show it: never claim "Opening"
            self._error(f"Not opened: {error}")
            return False
        if launch.terminal:
            return self._run_in_terminal(launch)
        self.notify(f"Opening {url}", markup=False, timeout=3)
        self._launch(url, launch)
        return True

    @work(thread=True, group="open")
    def _launch(self, url: str, launch: Launch | None) -> None:
        try:
            if launch is None and self.opener is not None:
                self.opener(url)
            elif launch is not None:
                start_browser(launch)
        except Exception as error:  # a browser that fails to start is a message
            self.call_from_thread(self._error, f"Could not open {url}: {error}")

    def _run_in_terminal(self, launch: Launch) -> bool:
        """Hand the terminal to a terminal browser (w3m, lynx...) until it ends, then take
        it back and redraw. The app reads no key and draws nothing meanwhile: a refresh
        goes on, and what it brings shows on return."""
        failure: BrowserError | None = None
        try:
            with self.suspend():
                try:
                    run_in_terminal(launch)
                except BrowserError as error:  # said once the app is back on the screen
                    failure = error
        except SuspendNotSupported:
            self._error(
                f"Not opened: {launch.name} needs the terminal, which cannot be handed over here"
            )
            return False
        self.screen.refresh(layout=True)
        if failure is not None:
            self._error(f"Could not open {launch.url}: {failure}")
            return False
        return True

    # -- search --------------------------------------------------------------------------

    def action_search(self) -> None:
        if self._search_return is None:
            self._search_return = self.view
        self.search_bar.open(self.view.query)

    def on_search_bar_searched(self, message: SearchBar.Searched) -> None:
        self._search(message.query)

    def on_search_bar_kept(self, message: SearchBar.Kept) -> None:
        self._search(message.query)
        if not message.query.strip():
            self._clear_search()
        self._focus(self.stream)

    def on_search_bar_cleared(self, _: SearchBar.Cleared) -> None:
        self._clear_search()
        self._focus(self.stream)

    def _search(self, query: str) -> None:
        """Show what matches ``query`` across every source, best first (live as typed)."""
        base = self._search_return or self.view
        view = self.library.view(query=query) if query.strip() else base
        if view == self.view:
            return
        self.view = view
        with self._guard():
            self._reload()

    def _clear_search(self) -> None:
        back, self._search_return = self._search_return, None
        self.search_bar.close()
        if back is not None and back != self.view:
            self._set_view(back)

    def action_resize_list(self, step: int) -> None:
        if self.main.has_class("-narrow"):
            self.notify("On a narrow terminal the article takes the whole width while open.")
            return
        self.list_share = max(20, min(80, self.list_share + step))
        self._apply_split()
        with self._guard():
            self.library.remember("list_width", str(self.list_share))
        if self.article.article is None:
            self.notify(
                f"The list takes the whole width until an article is open "
                f"(then {self.list_share}%).",
                timeout=3,
            )

    def _theme_chosen(self, theme: str) -> None:
        """A theme picked in the palette is the theme of the next run too."""
        with self._guard():
            self.library.remember("theme", theme)

    def action_toggle_unread_only(self) -> None:
        view = self.view  # the other filters (source, starred, search) stay
        with self._guard():
            self._set_view(
                self.library.view(
                    view.source_id,
                    unread_only=not view.unread_only,
                    starred=view.starred,
                    query=view.query,
                )
            )

    def action_toggle_sidebar(self) -> None:
        hidden = not self.main.has_class("-no-sidebar")
        self.main.set_class(hidden, "-no-sidebar")
        if hidden and self.focused is self.sidebar:
            self._focus(self.stream)

    def action_cycle_focus(self, step: int) -> None:
        panes: list[Widget] = [self.stream]
        if self.article.article is not None:  # no article open: no pane to go to
            panes.append(self.article)
        if not self.main.has_class("-no-sidebar"):
            panes.insert(0, self.sidebar)
        index = panes.index(self.focused) if self.focused in panes else 0
        self._focus(panes[(index + step) % len(panes)])

    # -- sources: add, refresh, remove, rename --------------------------------------------

    def action_add_source(self) -> None:
        def added(source: Source | None) -> None:
            if source is not None:
                with self._guard():
                    self._show_sources()
                    current = self.stream.current
                    self._reload(current.id if current else None, keep_screen=True)

        self.push_screen(AddSourceScreen(self._add_source, self._take_back), added)

    def _take_back(self, source: Source) -> None:
        """The add dialog was cancelled while its fetch finished: remove what it added."""
        with contextlib.suppress(StreamtuiError):
            self.library.remove_source(str(source.id))

    def _add_source(self, target: str, name: str | None) -> tuple[Source, int]:
        source, report = self.library.add_source(target, name)  # runs in the dialog's worker
        if report.password_updated:
            return source, PASSWORD_UPDATED
        return source, report.stats.added if report.stats else 0

    def action_refresh(self, everything: bool, *, quiet: bool = False) -> None:
        if self.library.read_only:  # nothing fetched could be kept
            if not quiet:
                self.notify("Not refreshing: nothing can be saved now.", severity="warning")
            return
        if self._refreshing:
            if not quiet:
                self.notify("A refresh is already running.", timeout=2)
            return
        sources = None
        if not everything and self.view.source_id is not None:
            sources = [s for s in self.library.sources() if s.id == self.view.source_id]
        self._refreshing = True
        self._quiet = quiet
        self._progress = Progress()
        self._cancel = threading.Event()
        self.stream.border_subtitle = Content("refreshing…")
        self.refresh_sources(sources, self._cancel)
        self._flusher = self.set_interval(FLUSH_SECONDS, self._flush_progress)

    @work(thread=True, exclusive=True, group="refresh")
    def refresh_sources(self, sources: list[Source] | None, cancel: threading.Event) -> None:
        """Fetch and store off the UI thread. Progress goes out as messages (never blocking
        the refresh on the screen); the screen catches up a few times a second."""

        def progressed(event: RefreshEvent) -> None:
            self.post_message(RefreshProgressed(event))

        try:
            summary = self.library.refresh(sources, progressed, cancel)
        except StreamtuiError as error:
            outcome: RefreshSummary | str = str(error)
        except Exception as error:  # shown, never a traceback
            outcome = f"internal error: {error}"
        else:
            outcome = summary
        if not cancel.is_set():
            self.post_message(RefreshFinished(outcome))

    def on_refresh_progressed(self, message: RefreshProgressed) -> None:
        self._progress.add(message.event)

    def _flush_progress(self, final: bool = False) -> None:
        """Apply what arrived since the last flush: one sidebar update, one list reload."""
        progress = self._progress
        if not progress.pending:
            return
        # The sidebar follows every few seconds, and only the entries of the sources that
        # changed (every source counted and every entry rebuilt took 130 ms at 1,000
        # sources and 100k items); the list reloads only when its view gained items.
        now = time.monotonic()
        sidebar = progress.sources_changed and now - self._sidebar_at >= SIDEBAR_SECONDS
        reload = progress.items_added(self.view.source_id) and (
            now - self._reloaded_at >= RELOAD_SECONDS or final
        )
        with self._guard():
            if sidebar:
                self._sidebar_at = now
                self.sidebar.update_sources(self.library.sources(only=progress.changed))
            if reload:
                self._reloaded_at = now
                self._reload(self._cursor_id(), keep_screen=True)
        progress.flushed(sources=sidebar, items=reload)
        status = f"refreshing {progress.done}/{progress.total}"
        if progress.failing:
            status += f" · {progress.failing} failing"
        self.stream.border_subtitle = Content(status)

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.stream.empty_text = "No items here."
        self._flush_progress(final=True)
        if self._flusher is not None:
            self._flusher.stop()
        self._refreshing = False
        with self._guard():
            self._show_sources()
            # A source added or changed by another process (the command line) while the app
            # ran may hold items that no refresh event announced: the list catches up.
            if self.library.changed_elsewhere() or self.library.count(self.view) != (
                self.stream.count
            ):
                self._catch_up()
        summary = message.outcome
        if isinstance(summary, str):
            gone = self.library.gone
            if gone is not None:  # the database file went away during the refresh
                self._database_lost(gone)
            else:
                self._error(summary)
            return
        if summary.removed:  # retention removed items: the list must not show them
            with self._guard():
                self._reload(self._cursor_id(), keep_screen=True)
        if summary.network_down:  # one line, not a failure per feed
            down = summary.network_down
            said = down[:1].upper() + down[1:] + "."
            self.notify(said, severity="warning", markup=False, timeout=8)
            return
        line = (
            f"Refreshed: {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.failed} failed"
            + (f", {summary.skipped} skipped" if summary.skipped else "")
            + f"; {summary.added} new item(s)"
            + (f", {summary.removed} old item(s) removed." if summary.removed else ".")
        )
        if summary.failed:
            self.notify(line, severity="warning", markup=False, timeout=8)
        elif summary.added or not self._quiet:  # a background refresh that found nothing
            self.notify(line, markup=False, timeout=4)  # new does not cover the screen

    def _cursor_id(self) -> str | None:
        """The item under the cursor as the user sees it (from the rows on screen)."""
        current = self.stream.current
        return current.id if current else None

    async def action_quit(self) -> None:
        self._cancel.set()  # a running refresh stops within a tenth of a second
        self.exit()

    def on_unmount(self) -> None:
        self._cancel.set()  # however the app ends, a refresh does not outlive it

    def on_sources_sidebar_remove_requested(self, message: SourcesSidebar.RemoveRequested) -> None:
        source = self._source(message.source_id)
        if source is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            with self._guard():
                self.library.remove_source(str(source.id))
                if self.view.source_id == source.id:
                    self.view = self.library.view(None, unread_only=self.view.unread_only)
                self._show_sources()
                self._reload()
                self.notify(f"Removed {source.name}.", markup=False, timeout=3)

        question = Content.assemble(
            "Remove ",
            safe(source.name).stylize("bold"),
            f" and its {source.total} item(s)? Other sources keep their read state.",
        )
        self.push_screen(ConfirmScreen(question), answered)

    def on_sources_sidebar_rename_requested(self, message: SourcesSidebar.RenameRequested) -> None:
        source = self._source(message.source_id)
        if source is None:
            return

        def named(name: str | None) -> None:
            if name:
                with self._guard():
                    self.library.rename_source(str(source.id), name)
                    self._show_sources()
                    self.sidebar.highlight(str(source.id))  # d or e next acts on it again
                    self._update_title(self.library.source_names())

        title = Content.assemble("New name for ", safe(source.name).stylize("bold"))
        self.push_screen(NameScreen(title, source.name), named)

    def _source(self, source_id: int | None) -> Source | None:
        return next((s for s in self.library.sources() if s.id == source_id), None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_content(self.help_sections())))

    # -- the key table -------------------------------------------------------------------

    @classmethod
    def key_tables(cls) -> list[KeyTable]:
        """Every binding table, the global one first (for the keymap's checks)."""
        return [
            ("Everywhere", cls.BINDINGS, False),
            ("Stream list", StreamList.BINDINGS, True),
            ("Article", ArticleView.BINDINGS, True),
            ("Sources", SourcesSidebar.BINDINGS, True),
            ("Search line", SearchBar.BINDINGS, False),
            ("Link prompt", LinkScreen.BINDINGS, False),
            ("Help", HelpScreen.BINDINGS, False),
        ]

    def key_sections(self) -> list[tuple[str, Widget | None, list[BindingType]]]:
        """The main screen's tables (the first four of key_tables) with the pane each
        belongs to; None for the global one."""
        panes: list[Widget | None] = [None, self.stream, self.article, self.sidebar]
        return [
            (title, pane, table)
            for (title, table, _), pane in zip(self.key_tables(), panes, strict=False)
        ]

    def help_sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        sections = [
            (title, described(table, self.get_key_display, self.keymap))
            for title, _, table in self.key_sections()
        ]
        sections[0][1].append(
            ("", f"Keymap preset in force: {self.keymap_preset}; remap in config.toml", "")
        )
        sections[-1][1].insert(0, ("enter", "Show this source", ""))
        return sections

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, widget, table in self.key_sections():
            namespace = widget if widget is not None else self
            for keys, description, action in self._palette_entries(table):
                label = description if widget is None else f"{title}: {description}"
                yield SystemCommand(
                    label, f"Key: {keys}", partial(self.run_action, action, namespace)
                )

    def _palette_entries(self, table: list[BindingType]) -> Iterator[tuple[str, str, str]]:
        for binding in table:
            if isinstance(binding, Binding) and binding.description:
                keys = described([binding], self.get_key_display, self.keymap)[0][0]
                yield keys, binding.description, binding.action

    # -- errors --------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Show a failure as a message, never as a traceback."""
        try:
            yield
        except DatabaseGoneError as error:
            self._database_lost(error)
        except ReadOnlyError as error:  # said once (at start-up): not at every key
            if not self._told_read_only:
                self._told_read_only = True
                self._error(str(error))
        except StreamtuiError as error:
            self._error(str(error))
        except Exception as error:  # the user sees it; nothing is hidden
            self._error(f"internal error: {type(error).__name__}: {error}")

    def _check_database(self) -> None:
        """Every few seconds: is the database file still the one open? (Every save asks
        too; this tells the user before they lose more than a few seconds of reading.)"""
        if self._told_read_only:
            return
        try:
            self.library.check_database()
        except DatabaseGoneError as error:
            self._database_lost(error)

    def _database_lost(self, error: DatabaseGoneError) -> None:
        """The database file was deleted or replaced: say so once, keep browsing what the
        open connection holds without saving, and offer to write it back when it was
        deleted (never over another file)."""
        if self._told_read_only:
            return
        self._told_read_only = True  # a refresh under way stops by itself and says nothing
        if not error.deleted:
            self._error(
                f"{error}. Browsing what is open without saving; quit and start streamtui "
                "again to use the new file."
            )
            return
        self._error(f"{error}. Browsing what is open without saving.")
        path = self.library.database_path

        def answered(restore: bool | None) -> None:
            if not restore:
                self.notify(
                    "Browsing without saving. Quit and start streamtui again for a new, "
                    "empty database.",
                    severity="warning",
                    markup=False,
                    timeout=10,
                )
                return
            try:
                self.library.restore_database()
            except StreamtuiError as failure:
                self._error(str(failure))
                return
            self._told_read_only = False
            self.notify(
                f"Restored {path}: everything this session held is saved there again.",
                markup=False,
                timeout=8,
            )

        question = Content.assemble(
            ("The database file was deleted while streamtui was running.", "bold"),
            f"\n{path}\n\nWrite back everything this session holds (items, read state, "
            "stars) and go on saving? No keeps browsing without saving.",
        )
        self.push_screen(ConfirmScreen(question), answered)

    def _error(self, message: str) -> None:
        self.notify(message, severity="error", markup=False, timeout=10)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is sanitised: messages carry source names, URLs and error texts; a
        URL's password is cut out of them."""
        super().notify(
            sanitize(redact_text(message), multiline=True),
            title=sanitize(redact_text(title)),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )
