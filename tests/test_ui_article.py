"""Pilot: the article pane draws feed HTML (lists, quotes, code, tables, numbered links),
keeps markup in feed text literal, remembers where the reader was, and never blocks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from streamtui.core.models import Article, Enclosure, Row
from streamtui.core.text.render import Link
from streamtui.ui.widgets.article import (
    PLACEHOLDER,
    ArticleView,
    article_page,
    layout,
    piece_lines,
)
from test_ui_app import make_app, write_pages

WIDTH = 60
HTML = """
<h1>The heading</h1>
<p>Intro with <a href="/first">a relative link</a> and <b>bold</b> words.</p>
<ul><li>A list item whose text is long enough to wrap onto a second line in the pane.</li>
<li>Second<ol><li>inner one</li><li>inner two</li></ol></li></ul>
<blockquote><p>A quotation long enough that it must wrap, keeping its bar on every line.</p>
</blockquote>
<pre><code>def code():
    return "a line of code that is far wider than the pane and never wraps at all"
</code></pre>
<table><tr><th>Key</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>
<p><img src="https://cdn.example/cat.png" alt="a cat"> <a href="javascript:alert(1)">bad</a></p>
"""


class Host(App[None]):
    """A screen with only the article pane; it keeps the messages the pane posts."""

    CSS = "ArticleView { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.clicked: list[ArticleView.LinkClicked] = []
        self.ended = 0

    def compose(self) -> ComposeResult:
        yield ArticleView(id="article")

    def on_article_view_link_clicked(self, message: ArticleView.LinkClicked) -> None:
        self.clicked.append(message)

    def on_article_view_end_reached(self, _: ArticleView.EndReached) -> None:
        self.ended += 1


def make_article(body: str, item_id: str = "item-1", **fields: object) -> Article:
    row = Row(
        id=item_id,
        source_id=1,
        title=str(fields.pop("title", "A story")),
        published=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        teaser=False,
        truncated=False,
        read=False,
        starred=False,
    )
    return Article(
        row=row,
        source_name="Feed",
        summary="",
        body=body,
        link=str(fields.pop("link", "https://site.example/posts/story.html")),
        path="",
        encoding=str(fields.pop("encoding", "utf-8")),
        html=bool(fields.pop("html", True)),
        **fields,  # type: ignore[arg-type]
    )


async def test_html_is_laid_out_for_the_terminal() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 40)) as pilot:
        view = app.query_one(ArticleView)
        view.show(make_article(HTML, enclosures=(Enclosure("/ep.mp3", "audio/mpeg"),)))
        await pilot.pause()
        lines = view.rendered_text(wrapped=True).split("\n")
        width = view.scrollable_content_region.width
        assert "The heading" in lines
        assert "Intro with a relative link [1] and bold words." in lines
        item = next(n for n, line in enumerate(lines) if line.startswith("• A list item"))
        assert lines[item + 1].startswith("  ") and lines[item + 1].strip()  # hangs
        assert "• Second" in lines
        assert "  1. inner one" in lines and "  2. inner two" in lines
        quoted = [line for line in lines if line.startswith("│ ")]
        assert len(quoted) >= 2 and "".join(quoted).count("quotation") == 1
        code = next(line for line in lines if "far wider" in line)
        assert code.startswith('    return "a line') and len(code) > width  # unwrapped
        assert "Key   │ Value" in lines and "alpha │ 1" in lines
        assert "[image: a cat] [2] bad [3]" in lines
        assert "[1] https://site.example/first" in lines
        assert "[2] https://cdn.example/cat.png (image)" in lines
        assert "[3] javascript:alert(1)" in lines
        assert "[4] Attachment: https://site.example/ep.mp3 (audio/mpeg)" in lines
        assert all(len(line) <= width for line in lines if line not in (code,))
        assert view.links == (
            Link(1, "https://site.example/first", "a relative link"),
            Link(2, "https://cdn.example/cat.png", "a cat", image=True),
            Link(3, "javascript:alert(1)", "bad"),
            Link(4, "https://site.example/ep.mp3", "audio/mpeg"),
        )


async def test_code_scrolls_sideways_and_prose_stays() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 40)) as pilot:
        view = app.query_one(ArticleView)
        view.show(make_article(HTML))
        view.focus()
        await pilot.pause()
        lines = view.rendered_text(wrapped=True).split("\n")
        code_y = next(n for n, line in enumerate(lines) if "far wider" in line)
        intro_y = next(n for n, line in enumerate(lines) if line.startswith("Intro"))
        assert view.max_scroll_x > 0
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert view.scroll_x > 0
        assert view.render_line(intro_y).text.startswith("Intro with")
        shifted = view.render_line(code_y).text
        assert not shifted.startswith('    return "a line') and "far wider" in shifted


async def test_markup_in_feed_html_is_literal_and_harmless() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 20)) as pilot:
        view = app.query_one(ArticleView)
        body = "<p>[@click=app.quit]Click me[/] [/ [bold]x &#27;]0;PWNED&#7;</p>"
        view.show(make_article(body, title="[b]T[/b] [@click=app.quit]"))
        await pilot.pause()
        text = view.rendered_text()
        assert "[@click=app.quit]Click me[/] [/ [bold]x" in text
        assert "[b]T[/b] [@click=app.quit]" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.click(ArticleView, offset=(3, 3))
        await pilot.click(ArticleView, offset=(3, 0))
        assert app.is_running


async def test_clicking_a_link_number_posts_its_url() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 20)) as pilot:
        view = app.query_one(ArticleView)
        view.show(make_article('<p>Go <a href="/there">there</a> now.</p>'))
        await pilot.pause()
        lines = view.rendered_text(wrapped=True).split("\n")
        y = next(n for n, line in enumerate(lines) if "[1]" in line)
        await pilot.click(ArticleView, offset=(lines[y].index("[1]") + 1, y))
        await pilot.click(ArticleView, offset=(lines[y].index("there"), y))
        await pilot.pause()
        assert [(m.number, m.url) for m in app.clicked] == [(1, "https://site.example/there")] * 2


async def test_plain_stream_text_keeps_its_paragraphs_and_notices() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 20)) as pilot:
        view = app.query_one(ArticleView)
        assert view.rendered_text() == PLACEHOLDER
        text = "First paragraph <b>not html</b>\nsecond line.\n\nSecond paragraph."
        view.show(make_article(text, html=False, link="", encoding="cp1252"))
        await pilot.pause()
        assert view.rendered_text().split("\n")[2:] == [
            "",
            "First paragraph <b>not html</b>",
            "second line.",
            "",
            "Second paragraph.",
            "",
            "(decoded as cp1252)",
        ]
        assert view.links == ()
        view.show(make_article("", html=False, item_id="empty"))
        await pilot.pause()
        assert "This item has no text." in view.rendered_text()
        view.clear()
        await pilot.pause()
        assert view.article is None and view.rendered_text() == PLACEHOLDER


async def test_the_text_rewraps_when_the_pane_is_resized() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 20)) as pilot:
        view = app.query_one(ArticleView)
        view.show(make_article("<p>" + "word " * 60 + "</p>"))
        await pilot.pause()
        narrow = view.rendered_text(wrapped=True).count("\n")
        await pilot.resize_terminal(WIDTH * 2, 20)
        await pilot.pause()
        assert view.rendered_text(wrapped=True).count("\n") < narrow
        assert all(len(line) <= WIDTH * 2 for line in view.rendered_text(wrapped=True))


async def test_space_pages_then_reports_the_end() -> None:
    app = Host()
    async with app.run_test(size=(WIDTH, 10)) as pilot:
        view = app.query_one(ArticleView)
        view.show(make_article("".join(f"<p>Paragraph {n}</p>" for n in range(20))))
        view.focus()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert view.scroll_y > 0 and not app.ended
        await pilot.press("G", "space")
        await pilot.pause()
        assert app.ended == 1


async def test_scroll_position_is_restored_when_an_item_is_shown_again(
    tmp_path: Path,
) -> None:
    pages = tmp_path / "pages"
    long = "\n\n".join(f"Paragraph {n} of the long story." for n in range(80))
    write_pages(
        pages,
        {
            "a.txt": (1_700_000_200, f"Long story\n\n{long}\n"),
            "b.txt": (1_700_000_100, "Short story\n\nShort body.\n"),
        },
    )
    app = make_app(tmp_path / "data", pages)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("enter")  # the long story
        view = app.query_one(ArticleView)
        await pilot.press(*"jjjjjjjjjj")
        await pilot.pause()
        assert view.scroll_y == 10
        await pilot.press("J")  # the short story
        await pilot.pause()
        assert view.article is not None and view.article.row.title == "Short story"
        assert view.scroll_y == 0
        await pilot.press("K")  # back: where the reader left it
        await pilot.pause()
        assert view.article is not None and view.article.row.title == "Long story"
        assert view.scroll_y == 10
    app.library.store.close()


async def test_a_1_mb_body_does_not_block_the_app() -> None:
    body = "".join(
        f"<h2>Part {n}</h2><p>Paragraph {n} with <a href='/p/{n}'>a link</a> and words "
        "enough to wrap in the pane, as long articles have them.</p>"
        f"<ul><li>point {n}</li></ul><pre>code {n}</pre>"
        for n in range(6000)
    )
    assert len(body) > 1_000_000
    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(ArticleView)
        stalls: list[float] = []
        done = False

        async def ticker() -> None:
            while not done:
                tick = time.perf_counter()
                await asyncio.sleep(0.01)
                stalls.append(time.perf_counter() - tick - 0.01)

        task = asyncio.create_task(ticker())
        tick = time.perf_counter()
        view.show(make_article(body))
        assert time.perf_counter() - tick < 0.5  # show() hands the work to a thread
        assert "Preparing the article…" in view.rendered_text()
        await app.workers.wait_for_complete()
        await pilot.pause()
        done = True
        await task
        assert max(stalls) < 1.0  # the loop kept answering (about 0.1 s at worst here)
        text = view.rendered_text()
        assert "Showing the first 1,0" in text  # over the cap: says so
        assert "Paragraph 5000 with a link [5001]" in text
        assert view.links[0] == Link(1, "https://site.example/p/0", "a link")


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab  \n\t-界😀é\u0301"), max_size=300),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=3),
)
def test_wrapped_lines_fit_the_width(text: str, width: int, depth: int) -> None:
    html = "<blockquote>" * depth + "<ul><li><p>" + escape(text) + "</p></li></ul>"
    page = article_page(make_article(html, title=text[:20]))
    laid_out = layout(page, width)
    lines = [line for n in range(len(page.pieces)) for line in piece_lines(laid_out, n)]
    for line in lines:
        if not line.scrolls:
            assert line.prefix.cell_length + line.body.cell_length <= max(width, 2)
    words = "".join(text.split())
    assert "".join("".join(line.body.plain.split()) for line in lines).count(words) >= 1
