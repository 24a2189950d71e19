"""The room on screen: until an article is open the list has the width (titles whole, not 30
cells beside an empty pane), the split and its keys work once one is; and the footer shows
only keys that fit, whole, at 160 and 80 columns and in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from streamtui.core.config import Config
from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList

LONG_TITLE = "A title of sixty-odd characters that the list has room for at 160"
PAGES = {
    "one.txt": (1_700_000_300, f"{LONG_TITLE}\n\nBody one.\n"),
    "two.txt": (1_700_000_200, "Second story with a fairly long title as well\n\nBody two.\n"),
    "three.txt": (1_700_000_100, "Third\n\nBody three.\n"),
}


def make_app(tmp_path: Path, config: Config | None = None) -> StreamApp:
    import os

    folder = tmp_path / "pages"
    folder.mkdir()
    for name, (mtime, text) in PAGES.items():
        (folder / name).write_text(text)
        os.utime(folder / name, (mtime, mtime))
    library = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=folder)
    library.ensure_default_source()
    library.sync_all().__next__()
    return StreamApp(library, sync_on_start=False, config=config)


def drawn_rows(stream: StreamList) -> list[str]:
    return [stream.render_line(y).text for y in range(stream.count)]


async def test_the_list_has_the_room_until_an_article_opens(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        stream, article = app.query_one(StreamList), app.query_one(ArticleView)
        sidebar = app.query_one(SourcesSidebar)
        assert not article.display and article.article is None
        assert stream.region.width == 160 - sidebar.region.width
        assert LONG_TITLE in drawn_rows(stream)[0]  # whole, not cut at 30 cells
        await pilot.press("tab")  # no empty pane to go to: the sources, then the list
        assert app.focused is sidebar
        await pilot.press("tab")
        assert app.focused is stream
        await pilot.press("enter")
        assert article.display and app.focused is article
        assert abs(stream.region.width - article.region.width) <= 1  # the 50 % split
        await pilot.press("escape")  # back in the list, the article stays beside it
        assert app.focused is stream and article.display
        wide = stream.region.width
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert stream.region.width > wide + 5
        await pilot.press("S")  # a view without the open item: the article goes
        await pilot.pause()
        assert article.article is None and not article.display
        assert stream.region.width == 160 - sidebar.region.width
        await pilot.press("less_than_sign")  # still works; says when it will show
        assert "until an article is open (then 55%)" in "\n".join(
            n.message for n in app._notifications
        )
    app.library.close()


async def test_the_configured_split_holds_once_an_article_is_open(tmp_path: Path) -> None:
    app = make_app(tmp_path, Config(list_width=30))
    async with app.run_test(size=(160, 48)) as pilot:
        stream, article = app.query_one(StreamList), app.query_one(ArticleView)
        assert LONG_TITLE in drawn_rows(stream)[0]
        await pilot.press("enter")
        assert article.region.width > 2 * stream.region.width
    app.library.close()


async def test_a_narrow_terminal_keeps_its_one_pane_at_a_time(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        stream, article = app.query_one(StreamList), app.query_one(ArticleView)
        assert stream.region.width == 80 and not article.display
        await pilot.press("enter")
        assert article.display and article.region.width == 80 and not stream.display
        await pilot.press("h")
        assert stream.display and not article.display
    app.library.close()


# -- the footer --------------------------------------------------------------------------------

FOCUS = {
    "list": [],
    "article": ["enter"],
    "sources": ["h"],
}
SIZES = [(160, 48), (80, 24), (120, 40), (100, 30), (60, 20), (200, 50)]


def key_text(key: FooterKey) -> str:
    return key.render().plain.strip()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_the_footer_shows_whole_keys_that_fit(tmp_path: Path, size: tuple[int, int]) -> None:
    """Each focus in turn in one app a size (an app a focus and size took three times as
    long): the list, the article (Enter), back and the sources (h, h)."""
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        for focus, keys in FOCUS.items():
            await pilot.press(*keys)
            await pilot.pause()
            await pilot.pause()
            check_footer(app, focus, size)
            if focus == "article":
                await pilot.press("h")  # back to the list: h from there moves to the sources
    app.library.close()


def check_footer(app: StreamApp, focus: str, size: tuple[int, int]) -> None:
    footer = app.query_one(Footer)
    keys = [key for key in footer.query(FooterKey) if key.display]
    (palette,) = [key for key in keys if key.has_class("-command-palette")]
    shown = [key for key in keys if key is not palette]
    edge = palette.region.x
    for key in shown:  # each key whole, left of the palette's, none under another
        assert key.region.right <= edge, (focus, key_text(key), key.region, edge)
        assert key.region.width >= len(key_text(key)), focus
    texts = [key_text(key) for key in shown]
    line = "  ".join(texts)
    assert len(line) <= size[0], focus
    assert {"q Quit", "? Help"} <= set(texts), (focus, texts)  # how to leave, how to learn
    first = {"list": "⏎ Open", "article": "space Next page", "sources": "d Remove"}[focus]
    assert texts[0] == first, (focus, texts)
    if size[0] >= 160:  # a wide terminal shows every key of the context
        assert {"n Next unread", "s Star", "/ Search", "r Refresh"} <= set(texts), (focus, texts)


async def test_a_change_of_focus_mounts_the_footer_keys_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Tab between the panes signals two changes of the bindings in force: the footer
    mounted all its keys twice (the second time the same keys), and each key restyled itself
    twice more for its ``compact`` (Textual's data binding). Once each, and no restyle."""
    made: list[FooterKey] = []
    restyled: list[FooterKey] = []
    init = FooterKey.__init__
    watch = FooterKey._watch_compact

    def counted_init(self: FooterKey, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        init(self, *args, **kwargs)

    def counted_watch(self: FooterKey, compact: bool) -> None:
        restyled.append(self)
        watch(self, compact)

    monkeypatch.setattr(FooterKey, "__init__", counted_init)
    monkeypatch.setattr(FooterKey, "_watch_compact", counted_watch)
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for keys in (["enter"], ["h"], ["h"], ["l"]):  # article, list, sources, list
            before = [key_text(key) for key in app.query_one(Footer).query(FooterKey)]
            made.clear()
            restyled.clear()
            await pilot.press(*keys)
            await pilot.pause()
            await pilot.pause()
            now = list(app.query_one(Footer).query(FooterKey))
            assert [key_text(key) for key in now] != before, keys  # the keys did change
            assert sorted(map(id, made)) == sorted(map(id, now)), (keys, len(made), len(now))
            assert all(key.has_class("-command-palette") for key in restyled), keys
    app.library.close()
