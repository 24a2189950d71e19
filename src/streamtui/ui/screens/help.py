"""The help screen, generated from the binding tables so it never goes stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from streamtui.ui.keys import HELP_KEYS


def help_content(sections: Iterable[tuple[str, list[tuple[str, str, str]]]]) -> Content:
    """Sections of (keys, description, binding id) as one Content."""
    lines: list[Content] = []
    for title, entries in sections:
        lines.append(Content.styled(title, "bold $accent"))
        for keys, description, binding_id in entries:
            lines.append(
                Content.assemble(
                    (f"  {keys:<20}", "bold"), f"{description:<26}", (binding_id, "dim")
                )
            )
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = HELP_KEYS

    def __init__(self, content: Content) -> None:
        super().__init__()
        self._content = content

    def compose(self) -> ComposeResult:
        # Not focusable: every key reaches the screen's bindings, which scroll at once (the
        # container's own animate at 50 lines a second, so End seemed to stop short).
        with VerticalScroll(id="help", can_focus=False):
            yield Static(Content.styled("streamtui keys", "bold"), id="help-title")
            yield Static(self._content, markup=False)
            yield Static(Content.styled("Esc or ? closes this screen.", "dim"))

    @property
    def _scroll(self) -> VerticalScroll:
        return self.query_one("#help", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        self._scroll.scroll_relative(y=lines, animate=False, immediate=True)

    def action_page(self, pages: int) -> None:
        scroll = self._scroll
        height = scroll.scrollable_content_region.height
        scroll.scroll_relative(y=pages * height, animate=False, immediate=True)

    def action_top(self) -> None:
        self._scroll.scroll_home(animate=False, immediate=True)

    def action_bottom(self) -> None:
        self._scroll.scroll_end(animate=False, immediate=True)
