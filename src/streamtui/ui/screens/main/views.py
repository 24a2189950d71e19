"""Views and panes: which items the list shows (a source, every source, the starred ones, a
search, unread only) and which pane has the focus (sidebar, list, article), from keys, the
mouse and the palette; the layout keys; the help and the palette's list of keys."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.widget import Widget

from streamtui.ui.keys import described, key_tables
from streamtui.ui.messages import OpenItem, ShowSource
from streamtui.ui.screens.help import HelpScreen, help_content
from streamtui.ui.screens.main.reading import ReadingPart
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList


class ViewsPart(ReadingPart):
    # -- what the panes and the palette ask ----------------------------------------------

    def on_stream_list_opened(self, message: StreamList.Opened) -> None:
        self._open(message.row.id, focus=True)

    def on_article_view_end_reached(self, _: ArticleView.EndReached) -> None:
        self._open_next_unread(1, after=self._open_id())

    def on_sources_sidebar_chosen(self, message: SourcesSidebar.Chosen) -> None:
        if message.starred:
            self.show_view(self.library.view(starred=True))
        else:
            self.show_source(message.source_id)

    def on_show_source(self, message: ShowSource) -> None:
        self.show_source(message.source_id)

    def on_open_item(self, message: OpenItem) -> None:
        self.jump_to_item(message.item_id)

    def show_source(self, source_id: int | None) -> None:
        """Show a source (None: every source) and move to the list."""
        self.show_view(self.library.view(source_id, unread_only=self.view.unread_only))

    def jump_to_item(self, item_id: str) -> None:
        """Open an item; outside the current view, show All first."""
        with self.guard():
            if self.library.position(self.view, item_id) is None:
                self.show_view(self.library.view())
            self._open(item_id, focus=True)

    # -- moving between the panes -------------------------------------------------------
    # Pane keys that move focus run here, synchronously, so that keys typed ahead reach
    # the pane they were meant for.

    def action_open_current(self) -> None:
        row = self.stream.current
        if row is not None:
            self._open(row.id, focus=True)

    def action_focus_list(self) -> None:
        self._focus(self.stream)

    def action_focus_sources(self) -> None:
        self.remove_class("-no-sidebar")
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
            self.refreshing.stop()
            self.app.exit()

    def action_cycle_focus(self, step: int) -> None:
        """Tab and Shift+Tab: the next pane in Textual's focus order. A pane not shown
        (the sidebar put away, the article before one is open, the list while reading on
        a narrow screen) takes no focus, so it is skipped."""
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_toggle_sidebar(self) -> None:
        hidden = not self.has_class("-no-sidebar")
        self.set_class(hidden, "-no-sidebar")
        if hidden and self.focused is self.sidebar:
            self._focus(self.stream)

    def action_resize_list(self, step: int) -> None:
        if self.has_class("-narrow"):
            self.notify("On a narrow terminal the article takes the whole width while open.")
            return
        self.list_share = max(20, min(80, self.list_share + step))
        self._apply_split()
        with self.guard():
            self.library.remember("list_width", str(self.list_share))
        if self.article.article is None:
            self.notify(
                f"The list takes the whole width until an article is open "
                f"(then {self.list_share}%).",
                timeout=3,
            )

    # -- filters and search ---------------------------------------------------------------

    def action_show_starred(self) -> None:
        self.show_view(self.library.view(starred=True))

    def action_toggle_unread_only(self) -> None:
        view = self.view  # the other filters (source, starred, search) stay
        with self.guard():
            self._set_view(
                self.library.view(
                    view.source_id,
                    unread_only=not view.unread_only,
                    starred=view.starred,
                    query=view.query,
                )
            )

    def action_search(self) -> None:
        if self._search_return is None:
            self._search_return = self.view
        self.search_bar.open(self.view.query, keep=self._keep_search, clear=self._drop_search)

    def on_search_bar_searched(self, message: SearchBar.Searched) -> None:
        if self.search_bar.display:  # not one posted just before Enter or Esc ended it
            self._search(message.query)

    def _keep_search(self, query: str) -> None:
        """Enter in the search bar: keep the filter, back to the list."""
        self._focus(self.stream)
        self._search(query)
        if not query.strip():
            self._clear_search()

    def _drop_search(self) -> None:
        """Esc in the search bar: the view from before the search, back to the list."""
        self._focus(self.stream)
        self._clear_search()

    def _search(self, query: str) -> None:
        """Show what matches ``query`` across every source, best first (live as typed)."""
        base = self._search_return or self.view
        view = self.library.view(query=query) if query.strip() else base
        if view == self.view:
            return
        self.view = view
        with self.guard():
            self._reload()

    def _clear_search(self) -> None:
        back, self._search_return = self._search_return, None
        self.search_bar.close()
        if back is not None and back != self.view:
            self._set_view(back)

    # -- the keys, in the help and the palette --------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(help_content(self.help_sections())))

    def key_sections(self) -> list[tuple[str, Widget | None, list[BindingType]]]:
        """The main screen's tables (the first four of key_tables) with the pane each
        belongs to; None for the screen's own."""
        panes: list[Widget | None] = [None, self.stream, self.article, self.sidebar]
        return [
            (title, pane, table)
            for (title, table, _), pane in zip(key_tables(), panes, strict=False)
        ]

    def help_sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        keymap, display = self.settings.keymap, self.app.get_key_display
        sections = [
            (title, described(table, display, keymap)) for title, _, table in self.key_sections()
        ]
        preset = self.settings.config.keymap_preset
        sections[0][1].append(("", f"Keymap preset in force: {preset}; remap in config.toml", ""))
        sections[-1][1].insert(0, ("enter", "Show this source", ""))
        return sections

    def key_commands(self) -> Iterator[SystemCommand]:
        """Every described key of the main screen as a palette command."""
        for title, widget, table in self.key_sections():
            namespace = widget if widget is not None else self
            for keys, description, action in self._palette_entries(table):
                label = description if widget is None else f"{title}: {description}"
                run = partial(self.app.run_action, action, namespace, {"screen": self})
                yield SystemCommand(label, f"Key: {keys}", run)

    def _palette_entries(self, table: list[BindingType]) -> Iterator[tuple[str, str, str]]:
        keymap, display = self.settings.keymap, self.app.get_key_display
        for binding in table:
            if isinstance(binding, Binding) and binding.description:
                keys = described([binding], display, keymap)[0][0]
                yield keys, binding.description, binding.action
