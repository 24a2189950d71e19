"""The search line: ``/`` opens it at the bottom, the list follows as the user types."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

DEBOUNCE = 0.12
"""Seconds of quiet typing before the list is searched again."""


class SearchBar(Input):
    """Posts ``Changed`` (debounced) while typing, ``Kept`` on Enter, ``Cleared`` on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_search", "Clear search", id="search.clear"),
    ]

    class Searched(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Kept(Searched):
        """Enter: keep the filter and go back to the list."""

    class Cleared(Message):
        """Esc: drop the filter."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Search titles and text", id=id, select_on_focus=False)
        self._timer: Timer | None = None

    def open(self, query: str) -> None:
        self.value = query
        self.cursor_position = len(query)
        self.display = True
        self.screen.set_focus(self)  # at once: the keys typed after / belong here

    def close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.display = False

    def _on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._searched)

    def _searched(self) -> None:
        self.post_message(self.Searched(self.value))

    def _on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(self.Kept(self.value))

    def action_clear_search(self) -> None:
        self.close()
        self.post_message(self.Cleared())
