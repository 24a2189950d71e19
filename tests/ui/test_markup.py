"""Markup in feed text is text: every field of every widget shows it literally, nothing
crashes, and clicking it runs no action.

One app holds every payload and walks through each of them: the list's rows (title, source column),
the sidebar (name, error), the article (title, body, link text, attachment type), a teaser's
summary, the links screen, the command palette's sources and items, a search for the payload,
the rename and remove dialogs and the toast that follows. (Titles in the article, HTML bodies
and palette jumps are covered in ui/test_app.py, ui/test_article.py and ui/test_reading.py.)
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from streamtui.core.library import Library
from streamtui.core.models import Enclosure, SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.screens.dialogs import ConfirmScreen, NameScreen
from streamtui.ui.screens.links import LinkScreen
from streamtui.ui.widgets.article import ArticleView
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.items import make_item
from tests.support.pilot import click, until
from tests.support.store import merge_items, update_source
from tests.support.typist import type_keys

MARKUP = [
    "[/]",
    "[/",
    "[0]",
    "[b]",
    "[on red]",
    "[@click=app.quit]",
    "[ @click=app.quit]",
    "[$accent @click=app.quit]",
    "[@click=app.bell]x[/]",
    "[link=https://evil.invalid]x[/link]",
]


class Spy:
    def __init__(self) -> None:
        self.calls: list[str] = []


def make_app(data: Path, markups: list[str]) -> StreamApp:
    """A source a payload (its name and error), each with an item (title, HTML body with a
    link, attachment type) and a teaser (summary) next to each other in the list."""
    store = Store.open(data / "streamtui.db")
    library = Library(store, bundled=data / "no-guide")
    for number, markup in enumerate(markups):
        source = store.add_source(
            f"{markup} src", SourceKind.FEED, f"https://example.org/feed{number}.xml"
        )
        update_source(store, source.id, last_error=f"{markup} err")
        body = (
            f"<p>{escape(markup)} body "
            f"<a href='https://example.org/x'>{escape(markup)} link</a></p>"
        )
        newest = 1_700_100_000 - number * 1000  # newest first: item, teaser, next payload
        merge_items(
            store,
            source.id,
            [
                make_item(
                    f"i-main-{number}",
                    f"{markup} title",
                    published=newest,
                    body=body,
                    html=True,
                    link="https://example.org/main",
                    enclosures=(Enclosure("https://example.org/a.mp3", f"{markup} type"),),
                ),
                make_item(
                    f"i-teaser-{number}",
                    f"{markup} teaser",
                    published=newest - 100,
                    summary=f"{markup} summary",
                    body="",
                    teaser=True,
                ),
            ],
        )
    other = store.add_source("Plain", SourceKind.FEED, "https://plain.example/feed.xml")
    merge_items(store, other.id, [make_item("p-1", "Plain story", published=1_600_000_100)])
    return StreamApp(library, sync_on_start=False, opener=lambda url: None)


def shown(widget: Widget) -> str:
    """What a widget draws, as plain text (every line of a line-rendered one)."""
    if isinstance(widget, OptionList):
        return "\n".join(
            str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)
        )
    if isinstance(widget, Input):
        return widget.value
    if isinstance(widget, ArticleView):
        return widget.rendered_text()
    return str(widget.render())


def lines(widget: StreamList) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.count))


async def test_markup_is_text_in_every_widget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app holds every payload (an app a payload took 10 x 8 s); each payload is still
    drawn, clicked and walked through in every widget, and each check names its payload."""
    actions = Spy()
    app = make_app(tmp_path, MARKUP)

    async def no_quit() -> None:
        actions.calls.append("quit")

    monkeypatch.setattr(app, "action_quit", no_quit)
    monkeypatch.setattr(app, "bell", lambda: actions.calls.append("bell"))
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await pilot.pause()
        stream, sidebar = app.query_one(StreamList), app.query_one(SourcesSidebar)
        # the list: title and source column; the sidebar: name and error
        for markup in MARKUP:
            assert f"{markup} title" in lines(stream), markup
            assert f"{markup} src"[:16] in lines(stream), markup
            assert f"{markup} src" in shown(sidebar), markup
            assert f"{markup} err" in shown(sidebar), markup

        # the article: title, body, link text, attachment type; its links screen; the teaser
        for number, markup in enumerate(MARKUP):
            stream.cursor = next(
                i for i in range(stream.count) if stream.row_at(i).id == f"i-main-{number}"
            )
            stream.focus()
            await pilot.press("enter")
            text = shown(app.query_one(ArticleView))
            for field in ("title", "body", "link", "type"):
                assert f"{markup} {field}" in text, (markup, field)
            await click(pilot, ArticleView, (3, 0))
            await click(pilot, ArticleView, (3, 3))
            await pilot.press("f")
            assert isinstance(app.screen, LinkScreen), markup
            assert f"{markup} link" in "\n".join(shown(s) for s in app.screen.query(Static))
            await click(pilot, Static, (6, 0))
            await pilot.press("escape")
            await pilot.press("J")
            assert f"{markup} summary" in shown(app.query_one(ArticleView)), markup
            await pilot.press("h")

        # clicks on each payload's title in the list (a click on the cursor's row opens it)
        # and on the sidebar's entries (a name and an error each)
        stream.focus()
        for index in range(stream.count):
            if stream.row_at(index).id.startswith("i-main-"):
                await click(pilot, StreamList, (30, 1 + index))
        for y in range(2, 2 + 2 * len(MARKUP)):
            await click(pilot, SourcesSidebar, (3, y))
        await pilot.press("escape")

        # the palette: the sources and items, labelled from data
        await pilot.press("colon")
        await type_keys(pilot, *"src")
        palette = ""
        for _ in range(100):  # the hits arrive from the providers' tasks
            await pilot.pause(0.05)
            assert isinstance(app.screen, CommandPalette)
            palette = "\n".join(shown(w) for w in app.screen.query(OptionList))
            if all(f"{markup} src" in palette for markup in MARKUP):
                break
        for markup in MARKUP:
            assert f"{markup} src" in palette, markup
        await click(pilot, OptionList, (4, 0))
        await pilot.pause()
        if isinstance(app.screen, CommandPalette):
            await pilot.press("escape")

        # a search for each payload itself: the query shows literally in the list's title
        for markup in MARKUP:
            await pilot.press("slash")
            await type_keys(pilot, *markup)
            # Textual draws the Content it was given (reading border_title back gives lossy
            # markup: "[ @click=...]" is not escaped in it, so the app never reads it back)
            await until(pilot, lambda m=markup: m in stream._border_title.plain)  # type: ignore[union-attr]
            await pilot.press("enter")
            await click(pilot, StreamList, (12, 0))  # on the title in the border
            await pilot.press("escape")
            await pilot.pause()

        # the rename and remove dialogs, and the toast after removing
        for markup in MARKUP:
            app.main.action_focus_sources()
            sidebar.highlighted = next(
                i
                for i in range(sidebar.option_count)
                if f"{markup} src" in str(sidebar.get_option_at_index(i).prompt)
            )
            await pilot.press("e")
            assert isinstance(app.screen, NameScreen), markup
            assert f"{markup} src" in shown(app.screen.query(Static).first()), markup
            assert app.screen.query_one(Input).value == f"{markup} src"
            await click(pilot, Static, (3, 0))
            await pilot.press("escape")
            await pilot.press("d")
            assert isinstance(app.screen, ConfirmScreen), markup
            assert f"{markup} src" in shown(app.screen.query(Static).first()), markup
            await click(pilot, Static, (8, 0))
            await pilot.press("y")
            await app.workers.wait_for_complete()
            removed = f"Removed {markup} src."
            # the removal's notice comes from a worker, and its toast is drawn after it
            await until(
                pilot,
                lambda r=removed: any(
                    r in str(toast.render()) for toast in app.screen.query("Toast")
                ),
            )
            assert any(removed == n.message for n in app._notifications), markup

        # the help screen opens and closes over all this
        await pilot.press("question_mark")
        await pilot.press("escape")
        assert app.is_running
    assert actions.calls == []
