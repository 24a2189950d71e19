"""Pilot: links and the browser, search, stars, undo, keymaps, the palette, layout and theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._toast import Toast  # not exported; Textual is pinned exactly

from streamtui.core.config import load_config
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.help import HelpScreen
from streamtui.ui.screens.links import LinkScreen
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.search import SearchBar
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.items import make_item
from tests.support.pilot import until
from tests.support.store import merge_items
from tests.support.typist import type_keys

HTML_BODY = (
    "<h2>Heading</h2><p>See <a href='/docs/guide'>the guide</a> and "
    "<a href='file:///etc/passwd'>this file</a> and "
    "<a href='javascript:alert(1)'>that script</a>.</p>"
)

ITEMS = [
    # id, title, published, link, body
    ("i-apple", "Apple harvest report", 1_700_000_500, "https://example.org/apple", HTML_BODY),
    ("i-pear", "Pear prices fall", 1_700_000_400, "javascript:alert(1)", "<p>pears</p>"),
    ("i-plum", "Plum season opens", 1_700_000_300, "https://example.org/plum", "<p>plums</p>"),
    ("i-fig", "Figs and apples", 1_700_000_200, "", "<p>nothing to link</p>"),
]


class Recorder:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)


def make_library(data: Path, *, hostile_name: str = "") -> Library:
    store = Store.open(data / "streamtui.db")
    library = Library(store, bundled=data / "no-guide")
    source = store.add_source(
        hostile_name or "Orchard", SourceKind.FEED, "https://example.org/feed.xml"
    )
    merge_items(
        store,
        source.id,
        [
            make_item(item_id, title, published=when, link=link, body=body, html=True)
            for item_id, title, when, link, body in ITEMS
        ],
    )
    other = store.add_source("Garden", SourceKind.FEED, "https://garden.example/feed.xml")
    merge_items(store, other.id, [make_item("g-bean", "Bean diary", published=1_700_000_100)])
    return library


def make_app(data: Path, **kw: object) -> tuple[StreamApp, Recorder]:
    opener = Recorder()
    app = StreamApp(make_library(data), sync_on_start=False, opener=opener, **kw)  # type: ignore[arg-type]
    return app, opener


def titles(app: StreamApp) -> list[str]:
    stream = app.query_one(StreamList)
    return [row.title for i in range(stream.count) if (row := stream.row_at(i))]


def messages(app: StreamApp) -> str:
    return "\n".join(n.message for n in app._notifications)


# -- links ---------------------------------------------------------------------------------


async def test_o_opens_the_item_link_and_refuses_other_schemes(tmp_path: Path) -> None:
    app, opener = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("o")  # from the list: the cursor's item
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/apple"]
        await pilot.press("j", "o")  # Pear's link is javascript:
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/apple"]
        assert "Not opened" in messages(app) and "javascript" in messages(app)
        await pilot.press("j", "j", "o")  # Figs has no link at all
        assert "This item has no link." in messages(app)


async def test_O_opens_marks_read_and_moves_to_the_next_unread(tmp_path: Path) -> None:
    app, opener = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("enter")  # read Apple
        await pilot.press("j")  # the article: ... then back to the list
        await pilot.press("h", "j", "j")  # Plum
        await pilot.press("O")
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/plum"]
        row = app.library.row("i-plum")
        assert row is not None and row.read
        current = app.query_one(StreamList).current
        assert current is not None and current.id == "i-fig"


async def test_f_follows_numbered_links_resolved_and_checked(tmp_path: Path) -> None:
    app, opener = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("f")
        await until(pilot, lambda: "Open an item first" in messages(app))  # loaded machines
        await pilot.press("enter")
        links = app.query_one(ArticleView).links
        assert [link.url for link in links][:3] == [
            "https://example.org/docs/guide",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ]
        await pilot.press("f")
        assert isinstance(app.screen, LinkScreen)
        await pilot.press("1")  # nine links or fewer: the digit alone opens
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/docs/guide"]
        for number in ("2", "3"):
            await pilot.press("f", number)
            await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/docs/guide"]
        assert "file" in messages(app) and "javascript" in messages(app)
        await pilot.press("f", "escape")
        assert not isinstance(app.screen, LinkScreen)


async def test_y_copies_the_item_url(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("y")
        assert app.clipboard == "https://example.org/apple"


# -- search --------------------------------------------------------------------------------


async def test_search_live_highlight_keep_and_clear(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("slash")
        bar = app.query_one(SearchBar)
        assert bar.display and app.focused is bar
        await pilot.press(*"appl")
        await pilot.pause(0.3)
        assert set(titles(app)) == {"Apple harvest report", "Figs and apples"}
        assert app.query_one(StreamList).highlight == ["appl"]
        await pilot.press("enter")  # keep the filter, back to the list
        assert not bar.display and app.focused is app.query_one(StreamList)
        assert len(titles(app)) == 2
        await pilot.press("M", "M")  # all/unread keeps the search
        assert app.main.view.query == "appl" and len(titles(app)) == 2
        await pilot.press("enter")  # open a result
        assert app.query_one(ArticleView).article is not None
        await pilot.press("h", "escape")  # article -> list; Esc clears the search
        assert len(titles(app)) == 5
        assert app.query_one(StreamList).highlight == []


async def test_search_escape_restores_the_view_and_hostile_queries_are_text(
    tmp_path: Path,
) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("slash", *'"(NEAR:*', "enter")
        await pilot.pause(0.3)
        assert titles(app) == []
        await pilot.press("slash", "escape")
        assert len(titles(app)) == 5


# -- stars and undo ------------------------------------------------------------------------


async def test_star_and_the_starred_view(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("j", "s")
        row = app.library.row("i-pear")
        assert row is not None and row.starred
        assert app.library.starred_count() == 1
        await pilot.press("S")
        assert titles(app) == ["Pear prices fall"]
        assert str(app.query_one(StreamList).border_subtitle) == "1 unread"  # of the view
        await pilot.press("s")  # unstar from the starred view
        assert app.library.starred_count() == 0
        sidebar = app.query_one(SourcesSidebar)
        starred = sidebar.get_option_at_index(1)
        assert "Starred" in str(starred.prompt)


async def test_undo_after_mark_all_read(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("A")
        assert app.library.count(app.library.view(unread_only=True)) == 0
        assert "Undo" in messages(app)
        app.clear_notifications()
        await pilot.pause()
        await pilot.press("u")  # the toast is gone; u still undoes
        assert app.library.count(app.library.view(unread_only=True)) == 5
        await pilot.press("u")
        assert "Nothing to undo." in messages(app)


async def test_the_toasts_undo_link_undoes(tmp_path: Path) -> None:
    """The word "Undo" in the mark-all toast is a link to the main screen's undo."""
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36), notifications=True) as pilot:
        await pilot.press("A")
        assert app.library.count(app.library.view(unread_only=True)) == 0
        for _ in range(100):  # toasts are mounted a moment after notify
            await pilot.pause(0.05)
            if app.screen.query(Toast):
                break
        (toast,) = app.screen.query(Toast)
        lines = [toast.render_line(y).text for y in range(toast.size.height)]  # its content
        y = next(n for n, line in enumerate(lines) if "Undo" in line)
        inside = toast.content_region.offset - toast.region.offset  # the padding
        assert await pilot.click(
            Toast, offset=(inside.x + lines[y].index("Undo") + 1, inside.y + y)
        )
        await pilot.pause()
        assert app.library.count(app.library.view(unread_only=True)) == 5
        assert "Undone: mark" in messages(app)


# -- keymaps, help, palette, theme ---------------------------------------------------------


def config_app(tmp_path: Path, text: str) -> tuple[StreamApp, Recorder]:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "config.toml").write_text(text)
    return make_app(tmp_path, config=load_config(folder))


async def test_keymap_override_changes_keys_footer_and_help(tmp_path: Path) -> None:
    app, _ = config_app(tmp_path, '[keymap]\napp.star = "x"\n')
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("s")
        assert app.library.starred_count() == 0
        await pilot.press("x")
        assert app.library.starred_count() == 1
        assert any(
            b.binding.id == "app.star" and key == "x" for key, b in app.active_bindings.items()
        )
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "x" in help_text and "Star" in help_text


async def test_newsboat_preset(tmp_path: Path) -> None:
    app, opener = config_app(tmp_path, 'keymap_preset = "newsboat"\n')
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("N")  # toggle read
        row = app.library.row("i-apple")
        assert row is not None and row.read
        await pilot.press("enter", "q")  # q goes back from the article to the list
        assert app.focused is app.query_one(StreamList)
        assert app.is_running
        await pilot.press("o")
        await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/apple"]
        await pilot.press("C")  # mark every source read
        assert app.library.count(app.library.view(unread_only=True)) == 0
        await pilot.press("Q")
    assert not app.is_running


async def test_palette_jumps_to_a_source_and_an_item(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("colon")
        await type_keys(pilot, *"Garden")  # the palette searches at each key
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert titles(app) == ["Bean diary"]
        await pilot.press("ctrl+p")
        await type_keys(pilot, *"Plum season")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        article = app.query_one(ArticleView).article
        assert article is not None and article.row.id == "i-plum"
        assert len(titles(app)) == 5  # Plum is not in Garden: the view became All


async def test_palette_shows_hostile_source_names_as_text(tmp_path: Path) -> None:
    library = make_library(tmp_path, hostile_name="[@click=app.quit]Evil[/]")
    app = StreamApp(library, sync_on_start=False, opener=Recorder())
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.press("ctrl+p")
        await type_keys(pilot, *"Evil")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        assert app.main.view.source_id is not None


async def test_theme_from_config(tmp_path: Path) -> None:
    app, _ = config_app(tmp_path, 'theme = "nord"\n')
    async with app.run_test(size=(140, 36)):
        assert app.theme == "nord"


async def test_no_color_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(140, 36)):
        assert app.no_color
        assert app.query_one(StreamList).has_pseudo_class("nocolor")


# -- layout --------------------------------------------------------------------------------


async def test_narrow_layout_shows_one_pane_at_a_time(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        stream, article = app.query_one(StreamList), app.query_one(ArticleView)
        sidebar = app.query_one(SourcesSidebar)
        await pilot.pause()
        assert stream.region.width >= 78 and not article.region and not sidebar.region
        await pilot.press("enter")
        await pilot.pause()
        assert article.region.width >= 78 and not stream.region
        await pilot.press("J")  # next item, still reading full width
        await pilot.pause()
        assert article.region.width >= 78
        await pilot.press("h")
        await pilot.pause()
        assert stream.region.width >= 78 and not article.region
        await pilot.press("j", "enter")  # laid out while hidden: the new item, not the last
        await pilot.pause()
        assert "Plum season opens" in article.rendered_text(wrapped=True).splitlines()[0]
        await pilot.press("h", "h")  # the sources, above the list
        await pilot.pause()
        assert sidebar.region and app.focused is sidebar
        await pilot.press("k", "enter")  # the Starred entry: chosen, the sidebar goes again
        await pilot.pause()
        assert not sidebar.region and app.focused is stream


async def test_split_resizes_with_keys(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("enter")  # the split is there while an article is open
        stream = app.query_one(StreamList)
        before = stream.region.width
        await pilot.press("greater_than_sign", "greater_than_sign")
        await pilot.pause()
        assert stream.region.width > before + 5
        await pilot.press(*["less_than_sign"] * 12)
        await pilot.pause()
        assert stream.region.width < before


async def test_clicking_links_in_the_article_goes_through_the_same_check(tmp_path: Path) -> None:
    app, opener = make_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("enter")
        article = app.query_one(ArticleView)
        lines = article.rendered_text(wrapped=True).splitlines()
        for label in ("the guide", "that script"):
            y = next(i for i, line in enumerate(lines) if label in line)
            top = round(article.scroll_y)
            inset = article.content_region.offset - article.region.offset  # border, padding
            x = lines[y].index(label) + 2 + inset.x
            await pilot.click(ArticleView, offset=(x, y - top + inset.y))
            await app.workers.wait_for_complete()
        assert opener.urls == ["https://example.org/docs/guide"]
        assert "javascript" in messages(app)
