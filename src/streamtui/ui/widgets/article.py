"""The article pane: the open item's title, source, date and wrapped paragraphs."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from streamtui.core.htmltext import html_to_text
from streamtui.core.models import Article
from streamtui.ui.format import long_date, safe, title_of

LARGE_BODY = 64 * 1024
"""HTML bodies larger than this (characters) are converted off the UI thread."""

TEASER_NOTICE = "The page carried only a teaser of this story; its full text was not on it."
TRUNCATED_NOTICE = "The teaser was cut short, so there is more to this story than shown here."


def article_content(article: Article) -> Content:
    """Build the article as Content from data: styles come from spans, never from markup."""
    row = article.row
    parts: list[Content] = [
        Content.styled(title_of(row.title), "bold"),
        Content("\n"),
        Content.assemble(
            safe(article.source_name).stylize("$accent"),
            ("  ·  ", "dim"),
            (long_date(row.published), "dim"),
            *((("  ·  ", "dim"), (article.path, "dim")) if article.path else ()),
        ),
        Content("\n\n"),
    ]
    if row.teaser:
        if article.summary:
            parts += [safe(article.summary), Content("\n\n")]
        parts.append(Content.styled(TEASER_NOTICE, "italic $text-muted"))
        if row.truncated:
            parts += [Content("\n"), Content.styled(TRUNCATED_NOTICE, "italic $text-muted")]
    elif article.body:
        # HTML from a feed shows as text for now: tags never reach the screen.
        body = html_to_text(article.body) if article.html else article.body
        paragraphs = [safe(p) for p in body.split("\n\n") if p.strip()]
        parts.append(Content("\n\n").join(paragraphs))
    else:
        parts.append(Content.styled("This item has no text.", "italic $text-muted"))
    if article.link:
        parts += [Content("\n\n"), Content.assemble(("Link: ", "dim"), safe(article.link))]
    for enclosure in article.enclosures:
        kind = f" ({enclosure.type})" if enclosure.type else ""
        parts += [
            Content("\n"),
            Content.assemble(("Attachment: ", "dim"), safe(enclosure.url + kind)),
        ]
    if article.encoding not in ("utf-8", "utf-8-sig"):
        parts += [Content("\n\n"), Content.styled(f"(decoded as {article.encoding})", "dim")]
    return Content.assemble(*parts)


class ArticleView(VerticalScroll, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="article.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="article.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="article.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="article.bottom"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False, id="article.page_down"),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False, id="article.page_up"),
        Binding("space", "page_or_next", "Page/next unread", id="article.space"),
        Binding("h,escape", "app.focus_list", "Back", id="article.back"),
    ]

    class EndReached(Message):
        """Space was pressed with the whole article read."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.article: Article | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Content.styled("Open an item with Enter to read it here.", "dim"),
            id="article-body",
            markup=False,
        )

    def show(self, article: Article) -> None:
        """Show an article; a large HTML body is converted in a worker thread (about 0.35 s
        per MB), so opening one never freezes the screen."""
        self.article = article
        self.scroll_home(animate=False, immediate=True)
        if article.html and len(article.body) > LARGE_BODY:
            self.query_one("#article-body", Static).update(
                Content.styled(f"{title_of(article.row.title)}\n\nPreparing the article…", "dim")
            )
            self._render_large(article)
        else:
            self.query_one("#article-body", Static).update(article_content(article))

    @work(thread=True, exclusive=True, group="article")
    def _render_large(self, article: Article) -> None:
        content = article_content(article)
        self.app.call_from_thread(self._rendered, article, content)

    def _rendered(self, article: Article, content: Content) -> None:
        if self.article is article:  # the user may have moved on meanwhile
            self.query_one("#article-body", Static).update(content)

    def clear(self) -> None:
        self.article = None
        self.query_one("#article-body", Static).update(
            Content.styled("Open an item with Enter to read it here.", "dim")
        )

    def action_page_or_next(self) -> None:
        if self.scroll_y < self.max_scroll_y:
            self.scroll_page_down(animate=False)
        else:
            self.post_message(self.EndReached())
