"""What every part of the main screen shares: the view in force, the panes and which one has
the focus, the layout (narrow or wide, the list/article split), and loading a view into the
list, the sources into the sidebar and the titles above them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget

from streamtui.core.config import Config
from streamtui.core.library import Library
from streamtui.core.models import Row, View
from streamtui.core.text import terms
from streamtui.ui.format import safe
from streamtui.ui.refresh import Refreshing, SourcesCounted
from streamtui.ui.screens.main.guard import Guarded
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.footer import KeysFooter
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from streamtui.ui.widgets.too_small import TOO_SMALL, TooSmallNotice

DATABASE_CHECK_SECONDS = 2.0
"""How often the screen looks whether its database file is still there (a stat: microseconds)."""
ELSEWHERE_SECONDS = 2.0
"""How often the screen looks for changes another process made (the command line adding a
source, another streamtui marking items): one PRAGMA, a few microseconds."""

NARROW = 100
"""Below this many columns the sidebar starts hidden and the article, while open, takes the
whole width."""

Opener = Callable[[str], object]
"""Opens a URL outside the app instead of the browser (tests pass a recorder)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the main screen takes from the command line and the config."""

    config: Config
    keymap: Mapping[str, str]
    startup_message: str = ""
    sync_on_start: bool = True
    refresh_minutes: int = 0
    opener: Opener | None = None
    image_mode: str = "blocks"
    """How images are drawn (``terminal.Mode``: "off", "blocks", "kitty", "sixel"), as the
    command line found the terminal before the app took it."""
    sixel_colours: int = 256
    """The colours a Sixel image may use (the terminal's colour registers)."""


def _share(text: str) -> int:
    """A remembered list width, when it is one (20-80 %); else 0."""
    return int(text) if text.isdigit() and 20 <= int(text) <= 80 else 0


class MainBase(Guarded):
    def __init__(self, library: Library, settings: Settings) -> None:
        super().__init__(
            library, told_read_only=library.read_only and bool(settings.startup_message)
        )
        self.settings = settings
        self.list_share = settings.config.list_width or _share(library.remembered("list_width"))
        self.list_share = self.list_share or 50
        self.view: View = library.view()
        self.refreshing = Refreshing()
        self._search_return: View | None = None
        self._wrap_from: tuple[int, str | None] | None = None
        """(direction, item) where n or p last stopped at the end: pressed again, it wraps."""

    # -- the panes -------------------------------------------------------------------------

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
        self._lay_out(self.app.size.width, start=True)
        self.search_bar.display = False
        self.watch(self, "focused", self._focus_moved)
        self.sidebar.border_title = "Sources"
        # The first frame shows the list and the sources' names. Counting every source's
        # unread items reads the whole index (25 ms at 100k items) and the refresh imports
        # the network stack (120 ms of a thread's time): both wait for that frame.
        with self.guard():
            self._show_sources(counted=False)
            self._reload()
        self._focus(self.stream)
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        # The counts are read on a worker: at a million items they hold the UI thread for
        # about 200 ms, which the first keys would wait for.
        self._count_sources()
        with self.guard():
            self.library.changed_elsewhere()  # from now on
        self.set_interval(ELSEWHERE_SECONDS, self._look_elsewhere)
        settings = self.settings
        if settings.startup_message:
            self.notify(settings.startup_message, severity="warning", markup=False, timeout=10)
        read_only = self.library.read_only  # nothing a refresh brings could be kept
        if settings.sync_on_start and not read_only:  # open on what is stored, then refresh
            self.action_refresh(True, quiet=True)
        else:
            self.stream.empty_text = "No items here."
        if settings.refresh_minutes > 0 and not read_only:
            self.set_interval(
                settings.refresh_minutes * 60, partial(self.action_refresh, True, quiet=True)
            )
        if not read_only:
            self.set_interval(DATABASE_CHECK_SECONDS, self.check_database)
            self.start_pushing()
            self._index_left_entries()

    @work(thread=True, group="indexer", exit_on_error=False)  # they stay pending: no harm
    def _index_left_entries(self) -> None:
        """Search entries an earlier run left pending (an indexer killed with the machine, a
        refresh stopped): the indexer writes them, and the list of a search in view takes
        them in as they land (``_look_elsewhere``). On a worker: it counts and starts a
        process, which the first keys need not wait for."""
        self.library.index_left_entries()

    def action_refresh(self, everything: bool, *, quiet: bool = False) -> None:
        raise NotImplementedError  # the sources part's

    def start_pushing(self) -> None:
        raise NotImplementedError  # the accounts part's: marks go to their servers

    def fit_width(self, width: int) -> None:
        """The terminal's width changed: the layout follows (once the panes are there)."""
        if self.is_mounted:
            self._lay_out(width)

    def _lay_out(self, width: int, *, start: bool = False) -> None:
        """The layout for ``width`` columns: narrow (one pane at a time, the sidebar on
        demand, hidden at start) or wide, with the list/article split."""
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        if start:
            self.set_class(narrow, "-no-sidebar")
        self._apply_split()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the terminal is too small, nothing acts unseen (quitting is the app's)."""
        return not self.app.has_class(TOO_SMALL)

    def _focus(self, widget: Widget) -> None:
        """Focus at once (``Widget.focus`` waits a turn), so that keys typed ahead reach
        the pane they were meant for."""
        self.set_focus(widget)

    def _focus_moved(self, focused: Widget | None) -> None:
        """On a narrow screen the article takes the whole width while it has the focus."""
        if focused is None and self.app.has_class(TOO_SMALL):
            return  # hidden under the too-small notice: the focus comes back as it was
        self.set_class(focused is self.article, "-reading")

    def _apply_split(self) -> None:
        """The list/article split (wide layout only: a narrow one shows one at a time)."""
        narrow = self.has_class("-narrow")
        self.stream.styles.width = None if narrow else f"{self.list_share}fr"
        self.article.styles.width = None if narrow else f"{100 - self.list_share}fr"

    # -- loading ---------------------------------------------------------------------------

    def _reload(
        self, keep_id: str | None = None, *, keep_screen: bool = False, count: int | None = None
    ) -> None:
        """Re-read the current view; the cursor stays on ``keep_id``, or the row nearest it
        (and, with ``keep_screen``, on the same line of the screen: new items slide in).
        ``count``: the view's rows, counted a moment ago on a worker thread."""
        view = self.view
        count = self.library.count(view) if count is None else count
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
        if self.refreshing.running:  # its own process writes: its events say what changed,
            return  # and its end looks once (a catch-up every 2 s cost keys their latency)
        with self.guard():
            if self.library.changed_elsewhere():
                self._catch_up()

    def _catch_up(self, *, counts_later: bool = False) -> None:
        """Show what changed behind the app's back: the sidebar gains (or loses) sources,
        the list takes in their items. A source in view that is gone leaves All in view.
        ``counts_later``: the sidebar follows when its counts are read on a worker thread."""
        with self.guard():
            source_id = self.view.source_id
            if source_id is not None and source_id not in self.library.source_names():
                self.view = self.library.view(None, unread_only=self.view.unread_only)
                counts_later = False  # the sidebar's highlight moves to All now
            if counts_later:
                self._count_sources()
            else:
                self._show_sources()
            self._reload(self._cursor_id(), keep_screen=True)

    def _count_sources(self) -> None:
        """Read every source's count off the UI thread; the sidebar follows (SourcesCounted)."""
        self._read_counts(self.sidebar.updates)

    @work(thread=True, exclusive=True, group="counts")
    def _read_counts(self, since: int) -> None:
        library = self.library
        try:
            counted = SourcesCounted(
                library.sources(counted=True),
                library.starred_count(),
                library.accounts(),
                since=since,
            )
        except Exception:  # the UI thread reads them again and says why it cannot
            counted = SourcesCounted([], since=since, failed=True)
        self.post_message(counted)

    def on_sources_counted(self, message: SourcesCounted) -> None:
        if message.since != self.sidebar.updates and self.refreshing.running:
            return  # a refresh drew newer counts meanwhile; its end reads them all again
        with self.guard():
            self._show_sources(read=None if message.failed else message)

    def _show_sources(self, *, counted: bool = True, read: SourcesCounted | None = None) -> None:
        """The sidebar drawn from the store (``read``: from what a worker read a moment ago)."""
        library = self.library
        sources = read.sources if read else library.sources(counted=counted)
        view = self.view
        # While the user moves in the sidebar, its highlight stays where they put it: a
        # redraw (a refresh ending, a rename) must not move it back to the source in view,
        # where the next d or e would act on the wrong source.
        kept = self.sidebar.highlighted_id() if self.focused is self.sidebar else None
        self.sidebar.show_sources(
            sources,
            None if view.starred else view.source_id,
            starred=read.starred if read else library.starred_count(),
            on_starred=view.starred and not view.query,
            counted=counted or read is not None,
            accounts=read.accounts if read else library.accounts(),  # groups, errors, feedless
        )
        if kept is not None:
            self.sidebar.highlight(kept)
        if counted or read is not None:
            self._show_unread()

    def _show_unread(self) -> None:
        """How many items of the view are unread, under the list. While a refresh or a
        sync runs, the line says so (its progress), and its end shows the count: counts
        read meanwhile (the start-up's, after the first frame) made it look ended."""
        if self.refreshing.running:
            return
        view = self.view
        if view.starred or view.query:  # the unread among what the view holds
            unread = self.library.count(
                self.library.view(
                    view.source_id, unread_only=True, starred=view.starred, query=view.query
                )
            )
        else:
            unread = self.sidebar.unread(view.source_id)
        self.stream.set_subtitle(Content(f"{unread} unread"))

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
        self.stream.set_title(Content.assemble(name, (f" · {mode} · {self.stream.count}", "dim")))

    def _set_view(self, view: View) -> None:
        current = self.stream.current
        self.view = view
        self._reload(current.id if current else None)

    def show_view(self, view: View) -> None:
        self._search_return = None
        self.search_bar.close()
        self.view = view
        with self.guard():
            self._reload()
            self._show_sources()
        if self.has_class("-narrow"):  # the sidebar was open to choose: close it
            self.add_class("-no-sidebar")
        self._focus(self.stream)

    def _cursor_id(self) -> str | None:
        """The item under the cursor as the user sees it (from the rows on screen)."""
        current = self.stream.current
        return current.id if current else None

    def _open_id(self) -> str | None:
        return self.article.article.row.id if self.article.article else None
