"""The sources sidebar: "All" and every source with its unread count."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from streamtui.core.models import Source
from streamtui.core.text import redact_text
from streamtui.ui.format import safe

ALL = "all"
STARRED = "starred"


RENAMING = "gives its items new ids at every fetch"


def _prompt(name: str, unread: int | None, error: str = "", renaming: bool = False) -> Content:
    """Name and unread count (None: not counted yet); a failing source says why on a
    second line, and a feed that renames its items says that (`sources` says more)."""
    if unread is None:
        count = Content("")
    else:
        count = Content.styled(f" {unread}", "bold $accent" if unread else "dim")
    flag = Content.styled(" !", "bold $error") if error else Content("")
    if renaming and not error:
        flag = Content.styled(" ~", "bold $warning")
    prompt = Content.assemble(safe(name), flag, count)
    if error:
        shown = safe(redact_text(error))  # errors quote URLs: never with a password
        prompt = Content.assemble(prompt, "\n", shown.stylize("$error"))
    elif renaming:
        prompt = Content.assemble(prompt, "\n", Content.styled(RENAMING, "$warning"))
    return prompt


def _starred_prompt(count: int) -> Content:
    return Content.assemble(
        ("★ ", "$warning"), "Starred", Content.styled(f" {count}", "bold" if count else "dim")
    )


class SourcesSidebar(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="sources.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sources.up"),
        Binding("l", "select", "Show", show=False, id="sources.open"),
        Binding("d", "remove", "Remove source", id="sources.remove"),
        Binding("e", "rename", "Rename source", id="sources.rename"),
    ]

    class Chosen(Message):
        def __init__(self, source_id: int | None, *, starred: bool = False) -> None:
            super().__init__()
            self.source_id = source_id
            self.starred = starred

    class RemoveRequested(Chosen):
        """The user asked to remove the highlighted source (the app confirms first)."""

    class RenameRequested(Chosen):
        pass

    def __init__(self, *options: Option, **settings: Any) -> None:
        super().__init__(*options, **settings)
        self._unread: dict[int, int] = {}
        """Each shown source's unread count, for the "All" total."""
        self._sources: dict[int, Source] = {}
        self.counted = False
        """The unread counts are shown (they follow the first drawing)."""
        self.starred = 0
        """The number of starred items shown."""

    def _highlighted_source(self) -> int | None:
        option_id = self.highlighted_id()
        return None if option_id in (None, ALL, STARRED) else int(option_id)

    def highlighted_id(self) -> str | None:
        """The id of the highlighted entry ("all", "starred" or a source's number)."""
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def highlight(self, option_id: str) -> None:
        """Move the highlight to an entry, if it is there."""
        with suppress(OptionDoesNotExist):
            self.highlighted = self.get_option_index(option_id)

    def action_remove(self) -> None:
        source_id = self._highlighted_source()
        if source_id is not None:
            self.post_message(self.RemoveRequested(source_id))

    def action_rename(self) -> None:
        source_id = self._highlighted_source()
        if source_id is not None:
            self.post_message(self.RenameRequested(source_id))

    def show_sources(
        self,
        sources: list[Source],
        selected: int | None,
        *,
        starred: int = 0,
        on_starred: bool = False,
        counted: bool = True,
    ) -> None:
        """ "All", "Starred" (with how many), then every source; ``selected`` highlighted.
        Without ``counted`` the unread counts are left out (they follow)."""
        self._unread = {source.id: source.unread for source in sources}
        self._sources = {source.id: source for source in sources}
        self.counted, self.starred = counted, starred
        unread = sum(self._unread.values()) if counted else None
        options = [
            Option(_prompt("All", unread), id=ALL),
            Option(_starred_prompt(starred), id=STARRED),
        ]
        options += [
            Option(
                _prompt(s.name, s.unread if counted else None, s.last_error, s.renaming),
                id=str(s.id),
            )
            for s in sources
        ]
        self.set_options(options)
        wanted = STARRED if on_starred else ALL if selected is None else str(selected)
        try:
            self.highlighted = self.get_option_index(wanted)
        except Exception:  # the source went away: fall back to All
            self.highlighted = 0

    def update_sources(self, sources: list[Source]) -> None:
        """Redraw the entries of ``sources`` (counted) and the "All" total, leaving the
        others as they are."""
        for source in sources:
            with suppress(OptionDoesNotExist):  # added since the sidebar was filled
                self.replace_option_prompt(
                    str(source.id),
                    _prompt(source.name, source.unread, source.last_error, source.renaming),
                )
                self._unread[source.id] = source.unread
                self._sources[source.id] = source
        self.replace_option_prompt(ALL, _prompt("All", sum(self._unread.values())))

    def shown(self, source_id: int) -> Source | None:
        """The source an entry shows (None: not in the sidebar)."""
        return self._sources.get(source_id)

    def unread(self, source_id: int | None) -> int:
        """The unread count shown for a source, or for all of them."""
        if source_id is None:
            return sum(self._unread.values())
        return self._unread.get(source_id, 0)

    def update_starred(self, count: int) -> None:
        """Redraw the "Starred" entry with ``count``."""
        self.starred = count
        self.replace_option_prompt(STARRED, _starred_prompt(count))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        if option_id == STARRED:
            self.post_message(self.Chosen(None, starred=True))
        else:
            self.post_message(self.Chosen(None if option_id in (None, ALL) else int(option_id)))
