"""Sources: adding one (a dialog that fetches it first), removing and renaming one (from the
sidebar), and refreshing them (r, R, at start-up and on the timer) with the screen following
the refresh's progress (the worker and its progress are ``ui/refresh.py``)."""

from __future__ import annotations

import contextlib
import threading

from textual import work
from textual.content import Content

from streamtui.core.errors import StreamtuiError
from streamtui.core.models import Source, View
from streamtui.ui.format import safe
from streamtui.ui.refresh import (
    FLUSH_SECONDS,
    Recounted,
    RefreshFinished,
    RefreshProgressed,
    run_refresh,
    sentence,
    summary_line,
)
from streamtui.ui.screens.dialogs import (
    PASSWORD_UPDATED,
    AddSourceScreen,
    ConfirmScreen,
    NameScreen,
)
from streamtui.ui.screens.main.base import MainBase
from streamtui.ui.widgets.sidebar import SourcesSidebar


class SourcesPart(MainBase):
    # -- adding, removing, renaming -------------------------------------------------------

    def action_add_source(self) -> None:
        def added(source: Source | None) -> None:
            if source is not None:
                with self.guard():
                    self._show_sources()
                    current = self.stream.current
                    self._reload(current.id if current else None, keep_screen=True)

        self.app.push_screen(AddSourceScreen(self._add_source, self._take_back), added)

    def _take_back(self, source: Source) -> None:
        """The add dialog was cancelled while its fetch finished: remove what it added."""
        with contextlib.suppress(StreamtuiError):
            self.library.remove_source(str(source.id))

    def _add_source(self, target: str, name: str | None) -> tuple[Source, int]:
        source, report = self.library.add_source(target, name)  # runs in the dialog's worker
        if report.password_updated:
            return source, PASSWORD_UPDATED
        return source, report.stats.added if report.stats else 0

    def on_sources_sidebar_remove_requested(self, message: SourcesSidebar.RemoveRequested) -> None:
        source = self._source(message.source_id)
        if source is not None:
            self._ask_removal(source)

    def _ask_removal(self, source: Source) -> None:
        """Confirm, then remove a local source (an account's feed: the accounts part)."""

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            with self.guard():
                self.library.remove_source(str(source.id))
                self._removed(source, f"Removed {source.name}.")

        question = Content.assemble(
            "Remove ",
            safe(source.name).stylize("bold"),
            f" and its {source.total} item(s)? Other sources keep their read state.",
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    def _removed(self, source: Source, said: str) -> None:
        """A source is gone: the list leaves it, the sidebar loses it."""
        if self.view.source_id == source.id:
            self.view = self.library.view(None, unread_only=self.view.unread_only)
        self._show_sources()
        self._reload()
        self.notify(said, markup=False, timeout=3)

    def on_sources_sidebar_rename_requested(self, message: SourcesSidebar.RenameRequested) -> None:
        source = self._source(message.source_id)
        if source is None:
            return

        def named(name: str | None) -> None:
            if name:
                with self.guard():
                    self.library.rename_source(str(source.id), name)
                    self._show_sources()
                    self.sidebar.highlight(str(source.id))  # d or e next acts on it again
                    self._update_title(self.library.source_names())

        title = Content.assemble("New name for ", safe(source.name).stylize("bold"))
        self.app.push_screen(NameScreen(title, source.name), named)

    def _source(self, source_id: int | None) -> Source | None:
        return next((s for s in self.library.sources() if s.id == source_id), None)

    # -- refreshing -----------------------------------------------------------------------

    def action_refresh(self, everything: bool, *, quiet: bool = False) -> None:
        if self.library.read_only:  # nothing fetched could be kept
            if not quiet:
                self.notify("Not refreshing: nothing can be saved now.", severity="warning")
            return
        refreshing = self.refreshing
        if refreshing.running:
            if not quiet:
                self.notify("A refresh is already running.", timeout=2)
            return
        sources = None
        if not everything and self.view.source_id is not None:
            sources = [s for s in self.library.sources() if s.id == self.view.source_id]
        cancel = refreshing.start(quiet=quiet)
        self.stream.set_subtitle(Content("refreshing…"))
        self._refresh_sources(sources, cancel)
        refreshing.flusher = self.set_interval(FLUSH_SECONDS, self._flush_progress)

    @work(thread=True, exclusive=True, group="refresh")
    def _refresh_sources(self, sources: list[Source] | None, cancel: threading.Event) -> None:
        """Fetch and store in a process of its own (its events read on this worker thread);
        the screen catches up a few times a second."""
        run_refresh(self.library, sources, cancel, self.post_message)

    def on_refresh_progressed(self, message: RefreshProgressed) -> None:
        self.refreshing.progress.add(message.event)

    def _flush_progress(self, final: bool = False) -> None:
        """Apply what arrived since the last flush: one sidebar update, one list reload."""
        progress = self.refreshing.progress
        if not progress.pending or not (final or self.refreshing.running):
            return  # nothing new, or a tick of the timer queued before the end
        sidebar, reload = self.refreshing.due(self.view.source_id, final=final)
        with self.guard():
            if sidebar:
                self.sidebar.update_sources(self.library.sources(only=progress.changed))
            if reload and (final or self.view.query):
                self._reload(self._cursor_id(), keep_screen=True)
            elif reload:
                self._recount(self.view)  # the list reloads when the count comes
        progress.flushed(sources=sidebar, items=reload)
        self.stream.set_subtitle(Content(progress.status))

    @work(thread=True, exclusive=True, group="recount")
    def _recount(self, view: View) -> None:
        """Count the view's rows off the UI thread (at 1M items, 50 ms that keys waited for;
        SQLite lets go of the GIL while it counts)."""
        try:
            count = self.library.count(view)
        except Exception:  # the refresh's end reloads, and says what failed
            return
        self.post_message(Recounted(view, count))

    def on_recounted(self, message: Recounted) -> None:
        if message.view != self.view or not self.refreshing.running:
            return  # another view meanwhile, or the refresh's end reloaded it
        with self.guard():
            self._reload(self._cursor_id(), keep_screen=True, count=message.count)

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.stream.empty_text = "No items here."
        self._flush_progress(final=True)
        self.refreshing.finish()
        with self.guard():
            # A source added or changed by another process (the command line) while the app
            # ran may hold items that no refresh event announced: the list catches up (the
            # refresh's own process is another too: once, at its end).
            if self.library.changed_elsewhere() or self.library.count(self.view) != (
                self.stream.count
            ):
                self._catch_up(counts_later=True)  # the sidebar too, when counted
            else:
                self._count_sources()  # the refreshed sources' counts are drawn already
        summary = message.outcome
        if isinstance(summary, str):
            gone = self.library.gone
            if gone is not None:  # the database file went away during the refresh
                self.database_lost(gone)
            else:
                self.error(summary)
            return
        if summary.removed:  # retention removed items: the list must not show them
            with self.guard():
                self._reload(self._cursor_id(), keep_screen=True)
        if summary.network_down:  # one line, not a failure per feed
            self.notify(sentence(summary.network_down), severity="warning", markup=False, timeout=8)
            return
        line = summary_line(summary)
        if summary.failed:
            self.notify(line, severity="warning", markup=False, timeout=8)
        elif summary.added or not self.refreshing.quiet:  # a background refresh that found
            self.notify(line, markup=False, timeout=4)  # nothing new does not cover the screen

    def on_unmount(self) -> None:
        self.refreshing.stop()  # however the app ends, a refresh does not outlive it
