"""Command palette providers: every source and the most recent items, to jump to.

They read the library of the screen the palette was opened over (a :class:`LibraryScreen`:
the main screen) and post what was chosen to that screen as a message (``ui/messages.py``).

Feed text is shown as Content built from data. Textual's ``Matcher.highlight`` parses its
candidate as markup, so matches are highlighted here from the fuzzy matcher's offsets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.message import Message

from streamtui.core.library import Library
from streamtui.core.models import Row, Source
from streamtui.ui.format import safe, short_date, title_of
from streamtui.ui.messages import OpenItem, ShowSource

RECENT_ITEMS = 300
"""How many of the newest items the palette offers."""


@runtime_checkable
class LibraryScreen(Protocol):
    """A screen the palette can search: it has a library (the main screen)."""

    @property
    def library(self) -> Library: ...


def highlighted(matcher: Matcher, text: str) -> tuple[float, Content]:
    """The match score of ``text`` and the text as Content with the matched letters styled."""
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    content = safe(text)
    if score and content.plain == text:  # offsets count in the text as given
        for offset in offsets:
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return score, content


class ScreenProvider(Provider):
    """A provider over the library of the screen the palette was opened over."""

    @property
    def library(self) -> Library | None:
        return self.screen.library if isinstance(self.screen, LibraryScreen) else None

    def choose(self, message: Message) -> Callable[[], object]:
        """What choosing a hit does: tell the screen (after the palette has closed)."""
        return partial(self.screen.post_message, message)


class SourcesProvider(ScreenProvider):
    """ "Source: name" for each source; choosing one shows it."""

    def _sources(self) -> list[Source]:
        return self.library.sources() if self.library else []

    def _hits(self, matcher: Matcher | None) -> list[tuple[float, Content, Callable[[], object]]]:
        found: list[tuple[float, Content, Callable[[], object]]] = []
        for source in self._sources():
            score, name = highlighted(matcher, source.name) if matcher else (0.0, safe(source.name))
            if matcher and not score:
                continue
            label = Content.assemble(
                ("Source: ", "dim"), name, (f"  {source.unread} unread", "dim")
            )
            found.append((score, label, self.choose(ShowSource(source.id))))
        return found

    async def discover(self) -> Hits:
        for _, label, command in self._hits(None):
            yield DiscoveryHit(label, command, text=label.plain)

    async def search(self, query: str) -> Hits:
        for score, label, command in self._hits(self.matcher(query)):
            yield Hit(score, label, command, text=label.plain)


class ItemsProvider(ScreenProvider):
    """The newest items by title; choosing one opens it."""

    async def startup(self) -> None:
        library = self.library
        self._rows = library.rows(library.view(), 0, RECENT_ITEMS) if library else []
        self._names = library.source_names() if library else {}

    def _label(self, title: Content, row: Row) -> Content:
        name = safe(self._names.get(row.source_id, ""))
        return Content.assemble(
            ("Item: ", "dim"),
            title,
            ("  ", ""),
            name.stylize("dim"),
            (f" · {short_date(row.published)}", "dim"),
        )

    async def discover(self) -> Hits:
        for row in self._rows[:20]:
            label = self._label(safe(title_of(row.title)), row)
            yield DiscoveryHit(label, self.choose(OpenItem(row.id)), text=label.plain)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for row in self._rows:
            score, title = highlighted(matcher, title_of(row.title))
            if score:
                label = self._label(title, row)
                yield Hit(score, label, self.choose(OpenItem(row.id)), text=label.plain)
