"""Follow a numbered link: ``f``, then the link's number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from streamtui.ui.format import safe
from streamtui.ui.keys import LINK_PROMPT_KEYS

NumberedLink = tuple[int, str, str]
"""(number, label, url) as the article lists them."""


def links_content(links: Sequence[NumberedLink]) -> Content:
    lines = [
        Content.assemble(
            (f"[{number}] ", "bold $accent"), safe(label), "  ", safe(url).stylize("dim")
        )
        if label and label != url
        else Content.assemble((f"[{number}] ", "bold $accent"), safe(url))
        for number, label, url in links
    ]
    return Content("\n").join(lines)


class LinkScreen(ModalScreen[int | None]):
    """Type a link's number; with nine links or fewer the digit alone is enough."""

    BINDINGS: ClassVar[list[BindingType]] = LINK_PROMPT_KEYS

    def __init__(self, links: Sequence[NumberedLink], *, title: str = "Open link") -> None:
        super().__init__()
        self._title = title
        self._links = list(links)
        self._numbers = {number for number, _, _ in links}

    def compose(self) -> ComposeResult:
        last = max(self._numbers)
        with Vertical(id="dialog"):
            yield Static(Content.styled(f"{self._title} 1–{last}", "bold"))
            with VerticalScroll(id="link-list"):
                yield Static(links_content(self._links), markup=False)
            yield Input(placeholder="number, then Enter", type="integer", id="number")
            yield Static("", id="message", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        if max(self._numbers) <= 9 and event.value.isdigit():
            self._choose(event.value)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self._choose(event.value)

    def _choose(self, text: str) -> None:
        number = int(text) if text.strip().isdigit() else 0
        if number in self._numbers:
            self.dismiss(number)
        else:
            self.query_one("#message", Static).update(
                Content.styled(f"There is no link {text.strip() or '(none)'}.", "$error")
            )
