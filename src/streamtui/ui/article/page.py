"""An article as a page of pieces: the header (title, source, date, path), the body (its HTML
rendered by the core into blocks, or plain paragraphs), the notices (a teaser, a cut body, no
text), then the item's link and the numbered links, attachments last. Each piece is a
``Content`` built from spans, never from markup. Pure: safe to run in a thread.

Change how an article is drawn here (what it shows, its styles); ``layout.py`` wraps it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.content import Content, Span
from textual.style import Style

from streamtui.core import dates
from streamtui.core.models import Article, FullArticle
from streamtui.core.text import (
    Block,
    Document,
    Link,
    base_for,
    describe,
    render_html,
    resolve,
    text_document,
)
from streamtui.ui.format import long_date, safe, title_of

MAX_URL_SHOWN = 300

TEASER_NOTICE = "The page carried only a teaser of this story; its full text was not on it."
TRUNCATED_NOTICE = "The teaser was cut short, so there is more to this story than shown here."
PLACEHOLDER = "Open an item with Enter to read it here."
EMPTY_NOTICE = "This item has no text."

SPAN_STYLES = {
    "bold": "bold",
    "italic": "italic",
    "code": "$text-accent",
    "strike": "strike",
    "underline": "underline",
    "link": "underline $text-primary",
    "link-number": "dim",
    "image": "italic $text-muted",
    "muted": "$text-muted",
}
"""The document's style names as Textual styles (theme variables follow the theme)."""
HEADING_STYLES = {1: "bold underline $accent", 2: "bold $accent", 3: "bold"}
PRE_STYLE = "$text-secondary"
QUOTE_BAR = ("│ ", "$text-muted")
MARKER_STYLE = "$text-accent"
NOTICE_STYLE = "italic $text-muted"
LINK_META = "article-link"
"""Meta key on the cells of a link's text: the link's number, read back on a click."""

EMPTY = Content("")


@dataclass(frozen=True, slots=True)
class Piece:
    """A paragraph-like part of the page, before it is laid out for a width."""

    content: Content
    wrap: bool = True
    """False: lines kept as they are and scrolled sideways (``pre``, tables)."""
    first: Content = EMPTY
    """Prefix of the first line (quote bars, indentation, list marker)."""
    rest: Content = EMPTY
    """Prefix of every following line: wrapped lines hang under the first line's text."""
    gap: bool = True
    """A blank line before it."""
    rule: bool = False
    """A horizontal rule across the pane (``content`` is unused)."""
    quote: int = 0
    """Blockquote depth: a blank line between two quoted pieces keeps their bars."""
    picture: tuple[tuple[Segment, ...], ...] = ()
    """An image drawn in cells, a row each (``content`` unused): see :func:`with_pictures`."""


@dataclass(frozen=True, slots=True)
class Page:
    """An article ready to lay out."""

    pieces: tuple[Piece, ...]
    links: tuple[Link, ...] = ()
    images: tuple[tuple[int, int], ...] = ()
    """(piece index, link number) of each image of the body, in order: the piece whose text
    holds its ``[image: alt]``, under which the image is drawn once loaded."""


def article_page(
    article: Article,
    stop: Callable[[], bool] | None = None,
    *,
    full: FullArticle | None = None,
) -> Page:
    """The article as pieces: header, body (HTML rendered, or plain paragraphs), links.
    ``stop`` may end the HTML parse early (see :func:`render_html`). With ``full`` (a stored
    full article), the body is the extracted web page's, under a line saying so."""
    base = base_for(article.link, article.base)
    row = article.row
    pieces = [
        Piece(Content.styled(title_of(row.title), "bold"), gap=False),
        Piece(_meta_line(article), gap=False),
        *_head(article, base),
    ]
    links: tuple[Link, ...] = ()
    images: tuple[tuple[int, int], ...] = ()
    if full is not None and full.ok:
        pieces.append(Piece(Content.styled(full_notice(full), NOTICE_STYLE)))
        document = render_html(
            full.html, base_for(full.url, resolve(article.link, base)), stop=stop
        )
        images = _add_blocks(pieces, document)
        links = document.links
    elif row.teaser:
        if article.summary:
            pieces.append(Piece(safe(article.summary)))
        pieces.append(Piece(Content.styled(TEASER_NOTICE, NOTICE_STYLE)))
        if row.truncated:
            pieces.append(Piece(Content.styled(TRUNCATED_NOTICE, NOTICE_STYLE), gap=False))
    elif article.body:
        if article.html:
            document = render_html(article.body, base, stop=stop)
        else:
            document = text_document(article.body)
        if document.cut:
            pieces.append(Piece(Content.styled(_cut_notice(document), NOTICE_STYLE)))
        images = _add_blocks(pieces, document)
        links = document.links
    else:
        pieces.append(Piece(Content.styled(EMPTY_NOTICE, NOTICE_STYLE)))
    links += tuple(
        Link(len(links) + n, resolve(e.url, base), e.type, image=False)
        for n, e in enumerate(article.enclosures, 1)
    )
    pieces.extend(_footer(article, base, links))
    return Page(tuple(pieces), links, images)


def _add_blocks(pieces: list[Piece], document: Document) -> tuple[tuple[int, int], ...]:
    """Add the document's blocks as pieces; where its images are (piece, link number)."""
    images: list[tuple[int, int]] = []
    for block in document.blocks:
        images.extend(
            (len(pieces), span.link)
            for span in block.spans
            if span.style == "image" and span.link > 0
        )
        pieces.append(block_piece(block))
    return tuple(images)


def with_pictures(page: Page, pictures: Mapping[int, tuple[tuple[Segment, ...], ...]]) -> Page:
    """``page`` with each drawn image (by its link number) under the piece naming it; the
    ``[image: alt]`` text stays. Each image is drawn once (the first place naming it)."""
    if not pictures:
        return page
    after: dict[int, list[int]] = {}
    placed: set[int] = set()
    for index, number in page.images:
        if number in pictures and pictures[number] and number not in placed:
            placed.add(number)
            after.setdefault(index, []).append(number)
    pieces: list[Piece] = []
    moved: dict[int, int] = {}
    for index, piece in enumerate(page.pieces):
        moved[index] = len(pieces)
        pieces.append(piece)
        for number in after.get(index, ()):
            pieces.append(
                Piece(EMPTY, wrap=False, gap=True, quote=piece.quote, picture=pictures[number])
            )
    images = tuple((moved[index], number) for index, number in page.images)
    return Page(tuple(pieces), page.links, images)


def full_notice(full: FullArticle) -> str:
    """The line over an extracted page: what it is, from where, when."""
    when = dates.local(full.fetched_at).strftime("%Y-%m-%d %H:%M")
    return f"The extracted web page (fetched {when}), not the feed's text."


def _meta_line(article: Article) -> Content:
    return Content.assemble(
        safe(article.source_name).stylize("$accent"),
        *((("  ·  ", "dim"), safe(article.author)) if article.author else ()),
        ("  ·  ", "dim"),
        (long_date(article.row.published), "dim"),
        *((("  ·  ", "dim"), safe(article.path).stylize("dim")) if article.path else ()),
    )


def _head(article: Article, base: str) -> list[Piece]:
    """Under the title: the item's link and each attachment with what is known of it (type,
    size, playing time), so that a podcast episode says what it is before its notes."""
    pieces = []
    if article.link:
        link = safe(_shown_url(resolve(article.link, base))).stylize("$text-muted")
        pieces.append(Piece(link, gap=False))
    for number, enclosure in enumerate(article.enclosures, 1):
        facts = describe(enclosure.type, enclosure.length, enclosure.duration)
        name = resolve(enclosure.url, base).split("?")[0].rstrip("/").rpartition("/")[2]
        label = f"Attachment {number}: " if len(article.enclosures) > 1 else "Attachment: "
        line = Content.assemble(
            (label, "dim"),
            safe(name or enclosure.url[:MAX_URL_SHOWN]).stylize(MARKER_STYLE),
            Content.assemble("  (", safe(facts), ")").stylize("dim") if facts else "",
        )
        pieces.append(Piece(line, gap=False))
    return pieces


def _shown_url(url: str) -> str:
    return url if len(url) <= MAX_URL_SHOWN else url[:MAX_URL_SHOWN] + "…"


def _cut_notice(document: Document) -> str:
    shown, total = (document.total - document.cut) // 1024, document.total // 1024
    return f"Showing the first {shown:,} KB of this {total:,} KB item; the rest is left out."


def _footer(article: Article, base: str, links: tuple[Link, ...]) -> list[Piece]:
    enclosures = len(article.enclosures)
    pieces = []
    if article.link:
        own = Content.assemble(("Link: ", "dim"), safe(resolve(article.link, base)))
        pieces.append(Piece(own))
    for link in links:
        number = Content.styled(f"[{link.number}] ", "dim")
        url = link.url if len(link.url) <= MAX_URL_SHOWN else link.url[:MAX_URL_SHOWN] + "…"
        attachment = link.number > len(links) - enclosures
        text = Content.assemble(
            ("Attachment: ", "dim") if attachment else "",
            safe(url),
            (" (image)", "dim") if link.image else "",
            Content.assemble(" (", safe(link.label), ")").stylize("dim")
            if attachment and link.label
            else "",
        ).stylize(_link_style(link.number))
        gap = link.number == 1 and not article.link
        pieces.append(Piece(text, first=number, rest=Content(" " * len(number)), gap=gap))
    if article.encoding not in ("utf-8", "utf-8-sig"):
        pieces.append(Piece(safe(f"(decoded as {article.encoding})").stylize("dim")))
    return pieces


def block_piece(block: Block) -> Piece:
    """A block of the document as a piece: its spans as styles, its context as prefixes."""
    spans = [Span(span.start, span.end, SPAN_STYLES.get(span.style, "")) for span in block.spans]
    spans += [
        Span(span.start, span.end, _link_style(span.link)) for span in block.spans if span.link
    ]
    content = Content(block.text, spans)
    first, rest = _prefixes(block.quote, block.indent, block.marker)
    if block.kind == "heading":
        content = content.stylize_before(HEADING_STYLES.get(block.level, "bold"))
    elif block.kind == "pre":
        content = content.stylize_before(PRE_STYLE)
    return Piece(
        content,
        wrap=block.kind in ("text", "heading"),
        first=first,
        rest=rest if block.kind in ("text", "heading") else first,
        gap=not block.tight,
        rule=block.kind == "rule",
        quote=block.quote,
    )


@lru_cache(maxsize=256)
def _prefixes(quote: int, indent: int, marker: str) -> tuple[Content, Content]:
    """First-line and following-line prefixes: quote bars, indentation, the list marker."""
    quoted = bars(quote)
    first = Content.assemble(quoted, " " * indent, (marker, MARKER_STYLE))
    return first, Content.assemble(quoted, " " * (indent + cell_len(marker)))


@lru_cache(maxsize=64)
def bars(depth: int) -> Content:
    """The quote bars of a blockquote ``depth`` deep (empty outside quotes)."""
    return Content.styled(QUOTE_BAR[0] * depth, QUOTE_BAR[1]) if depth else EMPTY


@lru_cache(maxsize=1024)
def _link_style(number: int) -> Style:
    return Style.from_meta({LINK_META: number})


PLACEHOLDER_PAGE = Page((Piece(Content.styled(PLACEHOLDER, "dim"), gap=False),))


def preparing_page(article: Article) -> Page:
    notice = f"{title_of(article.row.title)}\n\nPreparing the article…"
    return Page((Piece(Content.styled(notice, "dim"), gap=False),))
