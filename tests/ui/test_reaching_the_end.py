"""The end of a long article, and of the help screen, can be reached: by End, by repeated j,
by Space and by PageDown, at every width and height, with the link list and the attachment
below the text (the report: a podcast episode's 18 show-note links and its mp3 could never be
scrolled into view at 160x48, and fewer still at 120x40)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.parse.feed import parse_feed
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.help import HelpScreen
from streamtui.ui.widgets.article import ArticleView
from tests.support.bytecode import src_path
from tests.support.feedserver import FeedServer, feed
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)
from tests.support.store import add_source_with_items
from tests.support.tmuxapp import TmuxApp
from tests.support.typist import type_keys

SIZES = [(160, 48), (120, 40), (100, 30), (80, 24), (60, 20), (200, 60), (160, 12)]


def show_notes() -> str:
    """The shape of a podcast episode's notes: a nested list of links (as Squarespace writes
    them, a paragraph in every item), curly quotes, a sponsor block."""
    topics = []
    for n in range(1, 19):
        link = (
            f'<a href="https://example.com/topic/{n}?ref=show-notes">Topic “{n}” and its link</a>'
        )
        sub = f"<ul><li><p>John’s follow-up on {n}, with more words to wrap</p></li></ul>"
        topics.append(f"<li><p>{link}</p>{sub if n % 3 == 0 else ''}</li>")
    return (
        "<p>This week: a long talk about everything, in many words that wrap.</p>"
        f'<ul data-rte-list="default">{"".join(topics)}</ul>'
        "<p>Sponsored by nobody at all. Become a member for ad-free episodes!</p>"
    )


def episode_feed() -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Tech Podcast</title>'
        "<link>https://example.com/</link><item><title>311: The Long One</title>"
        "<guid>ep-311</guid><link>https://example.com/311</link>"
        "<pubDate>Thu, 07 Feb 2019 20:00:00 GMT</pubDate>"
        f"<description><![CDATA[{show_notes()}]]></description>"
        '<enclosure url="https://cdn.example/episodes/311.mp3" type="audio/mpeg" length="9"/>'
        "</item></channel></rss>"
    )


def make_app(tmp_path: Path) -> StreamApp:
    store = Store.open(tmp_path / "data" / "streamtui.db")
    items = parse_feed(
        episode_feed().encode(),
        source_key="pod",
        url="https://example.com/feed",
        seen_at=datetime(2026, 1, 1, tzinfo=UTC),
    ).items
    add_source_with_items(
        store, "Tech Podcast", SourceKind.FEED, "https://example.com/feed", items, fingerprint=""
    )
    return StreamApp(Library(store, bundled=tmp_path / "none"), sync_on_start=False)


def assert_end_shown(app: StreamApp, article: ArticleView, how: str) -> None:
    """The page's last line is on the screen: on the pane's last row once it scrolls."""
    lines = article.rendered_text(wrapped=True).split("\n")
    last = lines[-1].strip()
    assert "audio/mpeg" in last  # the attachment's line (or the end of it, wrapped)
    height = article.scrollable_content_region.height
    row = len(lines) - 1 - round(article.scroll_y)
    assert row == min(len(lines), height) - 1, (how, row, height, len(lines))
    assert article.render_line(row).text.strip() == last, how
    # The pane itself is whole on the screen, above the footer.
    assert article.region.bottom <= app.screen.region.bottom - 1, how


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_last_line_is_reachable(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        article = app.query_one(ArticleView)
        assert app.focused is article
        lines = article.rendered_text(wrapped=True).split("\n")
        assert any("[18]" in line for line in lines)
        assert any(line.startswith("[19] Attachment:") for line in lines)
        assert article.virtual_size.height == len(lines)
        await pilot.press("end")
        await pilot.pause()
        assert_end_shown(app, article, "end")
        for key in ("j", "pagedown"):
            await pilot.press("home")
            await pilot.pause()
            # One key a line at most, sent as fast as a held key (each still handled on its
            # own): past the end, j and PageDown do nothing.
            await type_keys(pilot, *[key] * len(lines))
            assert_end_shown(app, article, key)
        await pilot.press("home")
        await pilot.pause()
        for _ in range(len(lines)):  # Space at the end opens the next unread: once is enough
            before = article.scroll_y
            await pilot.press("space")
            await pilot.pause()
            if article.scroll_y == before:
                break
        assert_end_shown(app, article, "space")
    app.library.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_help_screen_scrolls_to_its_end(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help", VerticalScroll)
        last = list(scroll.query(Static))[-1]
        for key in ("end", "G", "j", "space", "ctrl+d"):
            await pilot.press("home")
            await pilot.pause()
            # One key a line at most, sent as fast as a held key (each still handled on its
            # own): past the end, each of them does nothing.
            await type_keys(pilot, *[key] * 200)
            keys = [key]
            assert scroll.scroll_y == scroll.max_scroll_y, keys[0]
            view = scroll.scrollable_content_region
            assert view.y <= last.region.y < view.bottom, keys[0]  # the last line shows
        await pilot.press("k", "k")
        await pilot.pause()
        assert scroll.scroll_y == max(0, scroll.max_scroll_y - 2)
        await pilot.press("g")
        await pilot.pause()
        assert scroll.scroll_y == 0
    app.library.close()


@pytest.mark.parametrize("size", [(160, 48), (120, 40)])
def test_the_real_app_in_tmux_shows_the_attachment(
    tmp_path: Path, feed_server: FeedServer, size: tuple[int, int]
) -> None:
    """As the report went: the episode from a (loopback) feed, End, and the last lines."""
    feed_server.route("/podcast.xml", feed(episode_feed()))
    env = {
        "STREAMTUI_DATA_DIR": str(tmp_path / "data"),
        "STREAMTUI_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHONPATH": src_path(),
    }
    library = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=tmp_path / "none")
    library.add_source(feed_server.url("/podcast.xml"))
    library.close()
    with TmuxApp([sys.executable, "-m", "streamtui"], env, size=size) as tmux:
        assert tmux.wait_for("311: The Long One", timeout=30), tmux.screen()
        tmux.send("enter")
        assert tmux.wait_for("This week", timeout=10), tmux.screen()
        tmux.send("End")
        # The article's head names the attachment too: wait for the last line, [19]. A toast
        # (the refresh on start) may cover the pane's last rows for a few seconds: wait it out.
        deadline = time.monotonic() + 20
        screen = tmux.screen()
        while not (
            "[19] Attachment:" in screen and "(audio/mpeg)" in screen and "Refreshed" not in screen
        ):
            assert time.monotonic() < deadline, screen
            time.sleep(0.2)
            screen = tmux.screen()
        assert "[18]" in screen and "311.mp3" in screen
        tmux.send("q")
        assert tmux.wait_exit(timeout=20) == 0


@pytest.mark.parametrize("size", [(160, 48), (120, 40)])
async def test_keys_scroll_at_once(tmp_path: Path, size: tuple[int, int]) -> None:
    """What the report saw: Textual animates key scrolling at 50 lines a second, so End on a
    long article took seconds and the screen showed it stopped at link [1]. (Pilot waits for
    animations after each key, so the test watches for them instead.)"""
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        animated: list[tuple[str, str]] = []
        animate = app.animator.animate

        def watch(obj: object, attribute: str, *args: object, **kwargs: object) -> None:
            animated.append((type(obj).__name__, attribute))
            animate(obj, attribute, *args, **kwargs)  # type: ignore[arg-type]

        app.animator.animate = watch  # type: ignore[method-assign]
        await pilot.press("enter", "end", "home", "j", "j", "k", "pagedown", "pageup", "G", "g")
        await pilot.press("space", "ctrl+d", "ctrl+u", "down", "up")
        await pilot.press("question_mark", "end", "home", "j", "down", "pagedown", "G", "k")
        await pilot.pause()
        scrolled = [entry for entry in animated if entry[1] in ("scroll_x", "scroll_y")]
        assert scrolled == []
    app.library.close()
