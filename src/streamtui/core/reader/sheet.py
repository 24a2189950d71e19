"""An article as the reader sees it, as plain data: its head (title, source, date, link,
attachments with type, size and playing time), its body as a document (text/document.py: blocks,
numbered links, images as links with their alt text), and, for a full article, the line saying
that the text is the extracted web page.

``streamtui show`` lays a :class:`Sheet` out as text; the article pane can build the same one.
Every string here has passed ``sanitize()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streamtui.core import dates
from streamtui.core.models import Article, Enclosure, FullArticle
from streamtui.core.text.attachments import describe
from streamtui.core.text.document import Document, Link, text_document
from streamtui.core.text.links import base_for, resolve
from streamtui.core.text.render import render_html
from streamtui.core.text.sanitize import sanitize

TEASER_NOTICE = "The page carried only a teaser of this story; its full text was not on it."
EMPTY_NOTICE = "This item has no text."


@dataclass(frozen=True, slots=True)
class Attachment:
    """An enclosure as shown: ``number`` is its place in the link list (``[n]``)."""

    number: int
    url: str
    type: str
    length: int
    duration: int

    @property
    def label(self) -> str:
        """``audio/mpeg, 11.8 MiB, 1:02:03``: what is known of it."""
        return describe(self.type, self.length, self.duration)


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    source: str
    published: datetime
    link: str
    """The item's own address (absolute when it can be made so)."""
    document: Document
    """The body (the extracted article for a full one), its links numbered from 1."""
    attachments: tuple[Attachment, ...] = ()
    """Numbered after the body's links."""
    notice: str = ""
    """What the text is when it is not the feed's (the extracted page), or a teaser's note."""
    author: str = ""
    path: str = ""

    @property
    def links(self) -> tuple[Link, ...]:
        """Every numbered link: the body's, then the attachments."""
        extra = tuple(Link(a.number, a.url, a.label) for a in self.attachments)
        return self.document.links + extra


def article_sheet(article: Article, full: FullArticle | None = None) -> Sheet:
    """The sheet of an article: the feed's text, or with ``full`` (a stored full article
    with ``ok``) the extracted page's."""
    base = base_for(article.link, article.base)
    link = resolve(article.link, base) if article.link else ""
    notice = ""
    if full is not None and full.ok:
        page_base = base_for(full.url, link, article.base)
        document = render_html(full.html, page_base)
        when = dates.local(full.fetched_at).strftime("%Y-%m-%d %H:%M")
        shown = sanitize(full.url)
        notice = f"The extracted web page {shown} (fetched {when}), not the feed's text."
    elif article.row.teaser:
        document = text_document(article.summary)
        notice = TEASER_NOTICE
    elif article.body:
        document = render_html(article.body, base) if article.html else text_document(article.body)
    else:
        document = text_document("")
        notice = EMPTY_NOTICE
    first = len(document.links) + 1
    attachments = tuple(
        Attachment(first + n, sanitize(resolve(e.url, base)), *_facts(e))
        for n, e in enumerate(article.enclosures)
    )
    return Sheet(
        title=sanitize(article.row.title),
        source=sanitize(article.source_name),
        published=article.row.published,
        link=sanitize(link),
        document=document,
        attachments=attachments,
        notice=notice,
        path=sanitize(article.path),
        author=sanitize(article.author),
    )


def _facts(enclosure: Enclosure) -> tuple[str, int, int]:
    return sanitize(enclosure.type), enclosure.length, enclosure.duration
