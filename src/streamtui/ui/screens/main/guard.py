"""Failures as messages, never tracebacks: every call the main screen makes to the library runs
under :meth:`Guarded.guard`. A database file deleted or replaced while the app runs is said once,
browsing goes on without saving, and a deleted one can be written back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.content import Content
from textual.screen import Screen

from streamtui.core.errors import DatabaseGoneError, ReadOnlyError, StreamtuiError
from streamtui.core.library import Library
from streamtui.ui.screens.dialogs import ConfirmScreen


class Guarded(Screen[None]):
    """The main screen's base: its library, and what it says when a call fails."""

    def __init__(self, library: Library, *, told_read_only: bool) -> None:
        super().__init__()
        self._library = library
        self._told_read_only = told_read_only
        """Saving is off (read-only, or the database went away) and the user was told."""

    @property
    def library(self) -> Library:
        return self._library

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Show a failure as a message, never as a traceback."""
        try:
            yield
        except DatabaseGoneError as error:
            self.database_lost(error)
        except ReadOnlyError as error:  # said once (at start-up): not at every key
            if not self._told_read_only:
                self._told_read_only = True
                self.error(str(error))
        except StreamtuiError as error:
            self.error(str(error))
        except Exception as error:  # the user sees it; nothing is hidden
            self.error(f"internal error: {type(error).__name__}: {error}")

    def error(self, message: str) -> None:
        self.notify(message, severity="error", markup=False, timeout=10)

    def check_database(self) -> None:
        """Every few seconds: is the database file still the one open? (Every save asks
        too; this tells the user before they lose more than a few seconds of reading.)"""
        if self._told_read_only:
            return
        try:
            self.library.check_database()
        except DatabaseGoneError as error:
            self.database_lost(error)

    def database_lost(self, error: DatabaseGoneError) -> None:
        """The database file was deleted or replaced: say so once, keep browsing what the
        open connection holds without saving, and offer to write it back when it was
        deleted (never over another file)."""
        if self._told_read_only:
            return
        self._told_read_only = True  # a refresh under way stops by itself and says nothing
        if not error.deleted:
            self.error(
                f"{error}. Browsing what is open without saving; quit and start streamtui "
                "again to use the new file."
            )
            return
        self.error(f"{error}. Browsing what is open without saving.")
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
                self.error(str(failure))
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
        self.app.push_screen(ConfirmScreen(question), answered)
