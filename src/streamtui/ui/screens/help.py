"""The help screen, generated from the binding tables so it never goes stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, content: Content) -> None:
        super().__init__()
        self._content = content

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Content.styled("streamtui keys", "bold"), id="help-title")
            yield Static(self._content, markup=False)
            yield Static(Content.styled("Esc or ? closes this screen.", "dim"))
