"""Messages the command palette's providers post to the screen it was opened over (the main
screen handles them): the palette asks, the screen acts, and neither imports the other."""

from __future__ import annotations

from textual.message import Message


class ShowSource(Message):
    """Show a source's items (None: every source)."""

    def __init__(self, source_id: int | None) -> None:
        super().__init__()
        self.source_id = source_id


class OpenItem(Message):
    """Open an item; outside the view in force, show every source first."""

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
