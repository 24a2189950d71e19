"""The whole story in the app (issue 16): the full-article key, images drawn in the article pane
(as half blocks, only when scrolled near, never with ``images = "off"``), the article's head
(author, link, attachments with type, size and playing time), and the download and play keys.
Real loopback servers, real extraction in the parser's worker processes, a real player program."""

from __future__ import annotations

import io
import json
import re
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from streamtui.core.config import Config
from streamtui.core.library import Library
from streamtui.core.models import Enclosure, SourceKind
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.images.blocks import UPPER_HALF
from streamtui.ui.widgets.article import ArticleView
from tests.support.article_pages import simple_page
from tests.support.feedserver import FeedServer, Reply, Request
from tests.support.feedserver import (
    feed_server_fixture as feed_server_fixture,  # the feed_server fixture
)
from tests.support.items import make_item
from tests.support.store import merge_items

STORY = (
    "<p>The harbour committee met on Thursday to weigh the quokkaphone proposal, a plan to "
    "move the night ferries to the northern quay while the old pier is mended.</p>"
    + "<p>Residents spoke for two hours about noise, parking and the cost of the works.</p>"
    * 4
)
PAGE = simple_page("Ferries move north", STORY).encode()


def png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def served(kind: str, body: bytes) -> object:
    return lambda request: Reply(200, [("Content-Type", kind)], body)


def make_app(
    data: Path, items: list[dict[str, object]], **config: object
) -> tuple[StreamApp, Library]:
    store = Store.open(data / "streamtui.db")
    source = store.add_source("Harbour", SourceKind.FEED, "https://example.org/feed.xml")
    merge_items(
        store,
        source.id,
        [make_item(f"i-{n}", published=1_700_000_000 - n, **kw) for n, kw in enumerate(items)],
    )
    library = Library(store, bundled=data / "none")
    app = StreamApp(library, sync_on_start=False, config=Config(**config))  # type: ignore[arg-type]
    return app, library


def pane(app: StreamApp) -> ArticleView:
    return app.screen.query_one(ArticleView)


def drawn(view: ArticleView) -> str:
    """What the pane draws now, line by line."""
    return "\n".join(
        "".join(segment.text for segment in view.render_line(y)) for y in range(view.size.height)
    )


def said(app: StreamApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(app: StreamApp, pilot: object, seconds: float = 30.0) -> None:
    """Let the workers (fetches, decodes) finish and their results reach the screen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        if not any(w.is_running for w in app.workers):
            return


# -- the full article --------------------------------------------------------------------


async def test_the_full_article_key_shows_the_extracted_page_and_goes_back(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/story", served("text/html; charset=utf-8", PAGE))
    app, library = make_app(
        tmp_path,
        [{"title": "Ferries", "summary": "Only a summary.", "body": "Only a summary.",
          "link": feed_server.url("/story")}],
    )  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            view = pane(app)
            assert "quokkaphone" not in view.rendered_text()
            await pilot.press("F")
            await settle(app, pilot)
            text = view.rendered_text()
            assert "The extracted web page" in text and "quokkaphone proposal" in text
            assert view.full is not None
            await pilot.press("F")  # back to the feed's text
            assert "quokkaphone" not in view.rendered_text()
            assert "Only a summary." in view.rendered_text() and view.full is None
            # Stored: offline the next time (the server answers nothing now).
            feed_server.route("/story", lambda request: Reply(500, [], b""))
            await pilot.press("F")
            assert "quokkaphone proposal" in view.rendered_text()
        assert len(feed_server.requests_to("/story")) == 1
    finally:
        library.close()


async def test_a_page_that_is_no_article_says_why_in_one_line(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/doc.pdf", served("application/pdf", b"%PDF-1.4 not a page"))
    app, library = make_app(tmp_path, [{"title": "Report", "link": feed_server.url("/doc.pdf")}])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", "F")
            await settle(app, pilot)
            errors = [m for m in said(app) if m.startswith("No full article:")]
            assert len(errors) == 1 and "\n" not in errors[0], said(app)
            assert pane(app).full is None
    finally:
        library.close()


async def test_the_new_keys_are_in_the_help_and_the_palette(tmp_path: Path) -> None:
    app, library = make_app(tmp_path, [{"title": "One"}])
    try:
        async with app.run_test(size=(120, 40)):
            labels = [command.title for command in app.screen.key_commands()]  # type: ignore[attr-defined]
            for wanted in (
                "Full article",
                "Download attachment (again: cancel)",
                "Play attachment",
            ):
                assert wanted in labels
    finally:
        library.close()


# -- the head of an article --------------------------------------------------------------


async def test_the_top_shows_author_link_and_each_attachment(tmp_path: Path) -> None:
    episode = Enclosure("https://cast.example/ep/41.mp3?x=1", "audio/mpeg", 12_373_000, 2730)
    app, library = make_app(
        tmp_path,
        [{"title": "Episode 41", "author": "Ada Lovelace", "link": "https://cast.example/41",
          "enclosures": (episode,)}],
    )  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            head = pane(app).rendered_text().splitlines()[:5]
            assert "Ada Lovelace" in head[1]
            assert head[2] == "https://cast.example/41"
            assert head[3] == "Attachment: 41.mp3  (audio/mpeg, 11.8 MiB, 45:30)"
    finally:
        library.close()


# -- images ------------------------------------------------------------------------------


def image_item(server: FeedServer, below: int = 0) -> dict[str, object]:
    filler = "<p>Words of the story, and more of them to read first.</p>" * below
    body = f'{filler}<p>The plan: <img src="{server.url("/plan.png")}" alt="the quay plan"></p>'
    return {"title": "Plan", "body": body, "html": True}


async def test_an_image_is_drawn_in_half_blocks_under_its_alt_text(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/plan.png", served("image/png", png()))
    app, library = make_app(tmp_path, [image_item(feed_server)])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await settle(app, pilot)
            screen = drawn(pane(app))
            assert "[image: the quay plan]" in screen
            assert UPPER_HALF * 40 in screen  # 40 pixels wide, 20 high: 10 rows
            assert screen.count(UPPER_HALF * 40) == 10
    finally:
        library.close()


async def test_with_images_off_nothing_is_fetched_and_the_alt_text_stays(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/plan.png", served("image/png", png()))
    app, library = make_app(tmp_path, [image_item(feed_server)], images="off")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await settle(app, pilot)
            screen = drawn(pane(app))
            assert "[image: the quay plan]" in screen and UPPER_HALF not in screen
        assert feed_server.requests_to("/plan.png") == []
    finally:
        library.close()


async def test_an_image_far_below_is_fetched_only_when_scrolled_near(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/plan.png", served("image/png", png()))
    app, library = make_app(tmp_path, [image_item(feed_server, below=150)])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await settle(app, pilot)
            assert feed_server.requests_to("/plan.png") == []
            assert app.focused is pane(app)
            await pilot.press("G")  # the article's end
            await settle(app, pilot)
            assert len(feed_server.requests_to("/plan.png")) == 1
            await pilot.press("G")
            assert UPPER_HALF * 40 in drawn(pane(app))
    finally:
        library.close()


@pytest.mark.parametrize(
    ("path", "kind", "body"),
    [
        ("/page.png", "text/html", b"<html><body>not an image</body></html>"),
        ("/lying.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("/huge.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024)),
    ],
    ids=["page", "lying", "huge"],  # a body as its id was 24 MB of "\x00": seconds to handle
)
async def test_an_image_that_fails_leaves_its_alt_text(
    feed_server: FeedServer, tmp_path: Path, path: str, kind: str, body: bytes
) -> None:
    feed_server.route("/plan.png", served(kind, body))
    app, library = make_app(tmp_path, [image_item(feed_server)])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await settle(app, pilot)
            screen = drawn(pane(app))
            assert "[image: the quay plan]" in screen and UPPER_HALF not in screen
            assert not [m for m in said(app) if "Traceback" in m]
    finally:
        library.close()


@pytest.mark.parametrize("src", ["file:///etc/passwd", "javascript:alert(1)"])
async def test_an_image_url_that_is_not_the_web_is_never_read(tmp_path: Path, src: str) -> None:
    body = f'<p>See <img src="{src}" alt="sneaky"></p>'
    app, library = make_app(tmp_path, [{"title": "Sneaky", "body": body, "html": True}])
    asked: list[str] = []
    fetch = library.fetch_image

    def recording(url: str) -> object:
        asked.append(url)
        return fetch(url)

    library.fetch_image = recording  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await settle(app, pilot)
            assert "[image: sneaky]" in drawn(pane(app))
            assert UPPER_HALF not in drawn(pane(app))
    finally:
        library.close()
    for url in asked:  # asked, it was refused by the fetch (http and https only)
        with pytest.raises(Exception, match="http"):
            Library(Store.open(tmp_path / "other.db")).fetch_image(url).result(10)


# -- attachments -------------------------------------------------------------------------


def recorder(folder: Path, log: Path) -> Path:
    script = folder / "myplayer"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    return script


def logged(log: Path, count: int) -> list[list[str]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"the player ran fewer than {count} times")


AUDIO = b"ID3" + bytes(4 * 65_536 - 3)


async def test_download_shows_progress_then_plays_the_file(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    def slowly(request: object) -> Reply:
        chunks: list[bytes | float] = []
        for n in range(4):
            chunks += [AUDIO[n * 65_536 : (n + 1) * 65_536], 0.4]
        headers = [("Content-Type", "audio/mpeg"), ("Content-Length", str(len(AUDIO)))]
        return Reply(200, headers, chunks)

    feed_server.route("/ep.mp3", slowly)
    folder = tmp_path / "dl"
    folder.mkdir()
    log = tmp_path / "played"
    player = recorder(tmp_path, log)
    episode = Enclosure(feed_server.url("/ep.mp3"), "audio/mpeg", len(AUDIO), 60)
    app, library = make_app(
        tmp_path,
        [{"title": "Episode", "enclosures": (episode,)}],
        download_dir=str(folder),
        player=(str(player), "%u"),
        player_terminal=False,
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", "P")  # not downloaded: the player streams the URL
            await settle(app, pilot)
            assert logged(log, 1) == [[feed_server.url("/ep.mp3")]]
            await pilot.press("D")
            seen = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not (folder / "ep.mp3").exists():
                await pilot.pause(0.1)
                seen = seen or str(pane(app).border_subtitle or "")
            await settle(app, pilot)
            assert (folder / "ep.mp3").read_bytes() == AUDIO
            assert "ep.mp3" in seen and "% of 0.2 MiB" in seen, seen
            assert any(m.startswith("Downloaded ") for m in said(app)), said(app)
            await pilot.press("P")  # downloaded: the player gets the file
            await settle(app, pilot)
            assert logged(log, 2)[1] == [str(folder / "ep.mp3")]
    finally:
        library.close()


def slow_ranged(body: bytes, pause: float) -> object:
    """``body`` in 64 KiB chunks ``pause`` seconds apart, with an ETag; ``Range: bytes=N-``
    answered 206 from N (a server an episode can be resumed from)."""

    def handler(request: Request) -> Reply:
        wanted = re.fullmatch(r"bytes=(\d+)-", request.header("range"))
        start = int(wanted.group(1)) if wanted else 0
        part = body[start:]
        headers = [("Content-Type", "audio/mpeg"), ("ETag", '"v1"'),
                   ("Content-Length", str(len(part)))]  # fmt: skip
        if start:
            headers.append(("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"))
        chunks: list[bytes | float] = []
        for at in range(0, len(part), 65_536):
            chunks += [part[at : at + 65_536], pause]
        return Reply(206 if start else 200, headers, chunks)

    return handler


async def test_download_again_cancels_and_keeps_the_part_to_resume(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    long = AUDIO * 8  # 2 MiB: 32 chunks, 0.3 s apart
    feed_server.route("/ep.mp3", slow_ranged(long, 0.3))
    folder = tmp_path / "dl"
    folder.mkdir()
    episode = Enclosure(feed_server.url("/ep.mp3"), "audio/mpeg", len(long), 60)
    app, library = make_app(
        tmp_path, [{"title": "Episode", "enclosures": (episode,)}], download_dir=str(folder)
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", "D")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "%" not in str(pane(app).border_subtitle):
                await pilot.pause(0.1)
            assert "ep.mp3" in str(pane(app).border_subtitle)
            await pilot.press("D")  # again, while it downloads: cancel
            await settle(app, pilot)
            cancelled = [m for m in said(app) if "cancelled" in m]
            assert cancelled == ["Download of ep.mp3 cancelled; what came is kept (D resumes it)."]
            assert not any(m.startswith("Not downloaded") for m in said(app)), said(app)
            assert not (folder / "ep.mp3").exists()
            (part,) = folder.glob("ep.mp3.*.part")
            kept = part.stat().st_size
            assert 0 < kept < len(long)
            assert str(pane(app).border_subtitle) == ""
            # The rest at once: that it resumes from what was kept is what counts (at 0.3 s a
            # chunk the rest took 9 s).
            feed_server.route("/ep.mp3", slow_ranged(long, 0.0))
            await pilot.press("D")  # and again: resumed from what was kept
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (folder / "ep.mp3").exists():
                await pilot.pause(0.1)
            await settle(app, pilot)
            assert (folder / "ep.mp3").read_bytes() == long
        ranges = [request.header("range") for request in feed_server.requests_to("/ep.mp3")]
        assert ranges[0] == "" and ranges[1] == f"bytes={kept}-", ranges
    finally:
        library.close()


async def test_download_into_a_missing_folder_says_so_in_one_line(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    episode = Enclosure(feed_server.url("/ep.mp3"), "audio/mpeg", 1, 0)
    app, library = make_app(
        tmp_path, [{"title": "Episode", "enclosures": (episode,)}],
        download_dir=str(tmp_path / "not-mounted"),
    )  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", "D")
            await settle(app, pilot)
            errors = [m for m in said(app) if m.startswith("Not downloaded:")]
            assert len(errors) == 1 and "not-mounted" in errors[0], said(app)
        assert feed_server.requests_to("/ep.mp3") == []
    finally:
        library.close()


async def test_download_and_play_on_an_item_without_attachments_say_so(tmp_path: Path) -> None:
    app, library = make_app(tmp_path, [{"title": "Plain"}])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", "D", "P")
            assert said(app).count("This item has no attachment.") == 2
    finally:
        library.close()


async def test_the_full_text_key_turns_the_feeds_setting_on_and_off(tmp_path: Path) -> None:
    app, library = make_app(tmp_path, [{"title": "One"}])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("T")
            assert library.sources()[0].full_text
            assert said(app)[-1].startswith("Full text on for Harbour")
            await pilot.press("T")
            assert not library.sources()[0].full_text
    finally:
        library.close()


async def test_quitting_while_an_image_hangs_is_at_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """An image whose server never answers holds nothing up: not the article, not quitting."""
    from tests.support.feedserver import hang

    feed_server.route("/plan.png", hang())
    app, library = make_app(tmp_path, [image_item(feed_server)])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            deadline = time.monotonic() + 10
            while not feed_server.requests_to("/plan.png") and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert "[image: the quay plan]" in drawn(pane(app))
            await pilot.press("J", "K")  # keys still work meanwhile
            started = time.monotonic()
            app.exit()
        library.close()  # as the command line does once the app has ended
        assert time.monotonic() - started < 5
    finally:
        library.close()
