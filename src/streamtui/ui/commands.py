"""Command palette providers: every source and the most recent items, to jump to.

Feed text is shown as Content built from data. Textual's ``Matcher.highlight`` parses its
candidate as markup, so matches are highlighted here from the fuzzy matcher's offsets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from streamtui.core.models import Row, Source
from streamtui.ui.format import safe, short_date, title_of

if TYPE_CHECKING:
    from streamtui.ui.app import StreamApp

RECENT_ITEMS = 300
"""How many of the newest items the palette offers."""


def highlighted(matcher: Matcher, text: str) -> tuple[float, Content]:
    """The match score of ``text`` and the text as Content with the matched letters styled."""
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    content = safe(text)
    if score and content.plain == text:  # offsets count in the text as given
        for offset in offsets:
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return score, content


class SourcesProvider(Provider):
    """ "Source: name" for each source; choosing one shows it."""

    def _sources(self) -> list[Source]:
        app = cast("StreamApp", self.app)
        return app.library.sources()

    def _hits(self, matcher: Matcher | None) -> list[tuple[float, Content, Callable[[], None]]]:
        app = cast("StreamApp", self.app)
        found: list[tuple[float, Content, Callable[[], None]]] = []
        for source in self._sources():
            score, name = highlighted(matcher, source.name) if matcher else (0.0, safe(source.name))
            if matcher and not score:
                continue
            label = Content.assemble(
                ("Source: ", "dim"), name, (f"  {source.unread} unread", "dim")
            )
            found.append((score, label, partial(app.show_source, source.id)))
        return found

    async def discover(self) -> Hits:
        for _, label, command in self._hits(None):
            yield DiscoveryHit(label, command, text=label.plain)

    async def search(self, query: str) -> Hits:
        for score, label, command in self._hits(self.matcher(query)):
            yield Hit(score, label, command, text=label.plain)


class ItemsProvider(Provider):
    """The newest items by title; choosing one opens it."""

    async def startup(self) -> None:
        app = cast("StreamApp", self.app)
        self._rows = app.library.rows(app.library.view(), 0, RECENT_ITEMS)
        self._names = app.library.source_names()

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
        app = cast("StreamApp", self.app)
        for row in self._rows[:20]:
            label = self._label(safe(title_of(row.title)), row)
            yield DiscoveryHit(label, partial(app.jump_to_item, row.id), text=label.plain)

    async def search(self, query: str) -> Hits:
        app = cast("StreamApp", self.app)
        matcher = self.matcher(query)
        for row in self._rows:
            score, title = highlighted(matcher, title_of(row.title))
            if score:
                label = self._label(title, row)
                yield Hit(score, label, partial(app.jump_to_item, row.id), text=label.plain)
