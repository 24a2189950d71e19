"""The search line: ``/`` opens it at the bottom, the list follows as the user types."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

DEBOUNCE = 0.12
"""Seconds of quiet typing before the list is searched again."""


class SearchBar(Input):
    """Posts ``Searched`` (debounced) while typing; Enter keeps the filter and Esc drops it,
    each through the callbacks ``open`` was given, called at once (not as messages): the
    focus has left the bar before the next key is read.

    Keys typed right behind Enter or Esc were already handed to the bar (Textual forwards a
    key to the widget focused when it arrives); the bar gives them back to the app, which
    forwards them to the pane the focus went to: ``/ word Enter h`` searches, keeps, and goes
    back, however fast it is typed, rather than searching for ``wordh``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_search", "Clear search", id="search.clear"),
    ]

    class Searched(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Search titles and text", id=id, select_on_focus=False)
        self._timer: Timer | None = None
        self._keep: Callable[[str], None] = _nothing
        self._clear: Callable[[], None] = _nothing

    def open(self, query: str, *, keep: Callable[[str], None], clear: Callable[[], None]) -> None:
        """Show the bar with ``query``; Enter calls ``keep(query)``, Esc ``clear()``, each
        after the bar is closed; either moves the focus away."""
        self._keep, self._clear = keep, clear
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
        if self.display:  # not once closed: a change read after Esc would search again
            self._timer = self.set_timer(DEBOUNCE, self._searched)

    def _searched(self) -> None:
        if self.display:
            self.post_message(self.Searched(self.value))

    def action_clear_search(self) -> None:  # the binding, when not from a key (the footer)
        self.close()
        self._clear()

    async def action_submit(self) -> None:
        self.close()
        self._keep(self.value)

    async def _on_key(self, event: events.Key) -> None:
        if self.display and self.has_focus:
            actions = {b.action for b in self._bindings.key_to_bindings.get(event.key, ())}
            if not actions & {"submit", "clear_search"}:
                return  # Input's own handler types it, or the key's binding runs
            # Enter and Esc (or the keys they are mapped to) end the search here rather than
            # as bindings: a binding runs once the key has reached the app, and the keys
            # behind it would be typed into the bar meanwhile.
            event.prevent_default()
            event.stop()
            self.close()
            if "submit" in actions:
                self._keep(self.value)
            else:
                self._clear()
            return
        event.prevent_default()  # a key that reached the bar after it closed goes where
        event.stop()  # the focus is now
        self.app.post_message(events.Key(event.key, event.character))


def _nothing(*_: object) -> None:
    return None
