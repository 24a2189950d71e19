"""The whole story (issue 16): the full article (the item's web page, extracted), and an item's
attachments downloaded and played. The page is fetched and extracted by the Library off the UI
thread (its own threads, the parser's worker processes); the screen awaits the future and shows
the result in the article pane only if that item is still the one open. The same key goes back
to the feed's text. A download reports its progress in the article pane's lower border; playing
runs the configured player as the browser runs (a terminal player gets the terminal)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from textual import work
from textual.content import Content
from textual.message import Message

from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import Article, FullArticle, Row
from streamtui.core.text import sanitize
from streamtui.ui.screens.links import LinkScreen
from streamtui.ui.screens.main.base import Settings
from streamtui.ui.screens.main.links import LinksPart

PROGRESS_SECONDS = 0.25
"""How often a download's progress is redrawn at most."""


class DownloadProgress(Message):
    """Posted from a download's thread (``post_message`` is thread-safe)."""

    def __init__(self, key: tuple[str, int], name: str, received: int, total: int | None) -> None:
        super().__init__()
        self.key, self.name, self.received, self.total = key, name, received, total


def mib(count: int) -> str:
    return f"{count / 1048576:.1f} MiB"


class StoryPart(LinksPart):
    def __init__(self, library: Library, settings: Settings) -> None:
        super().__init__(library, settings)
        self._fetching: set[str] = set()
        """Items whose page is being fetched (a second press waits for the first)."""
        self._downloads: dict[tuple[str, int], threading.Event] = {}
        """(item, attachment number) -> its cancel, while it downloads."""
        self._progress: dict[tuple[str, int], DownloadProgress] = {}
        self._downloaded: dict[tuple[str, int], Path] = {}
        """Where this session downloaded each attachment (played from there)."""

    def on_mount(self) -> None:
        # (Textual calls each class's on_mount: MainBase's runs after this one.) Images are
        # fetched through the Library (its cache, the feed limits, the image cap) unless the
        # config says ``images = "off"``; drawn with Kitty graphics where the terminal said
        # it draws them and the app writes 24-bit colour (the placeholders' colour is the
        # image's id), as Sixel where it said it draws those (over blank cells the pane
        # keeps: ``widgets/sixels.py``), else as half blocks, which every terminal shows.
        self.article.styles.border_subtitle_align = "left"  # downloads: clear of the toasts
        if self.settings.config.images != "off" and self.settings.image_mode != "off":
            self.article.image_source = self.library.fetch_image
            self.article.kitty = (
                self.settings.image_mode == "kitty"
                and self.app.console.color_system == "truecolor"
                and not self.app.no_color
            )
            self.article.sixel = self.settings.image_mode == "sixel"
            self.article.sixel_colours = self.settings.sixel_colours

    # -- the full article -------------------------------------------------------------------

    def action_full_article(self) -> None:
        """Show the open item's web page, extracted (fetched first when not stored); pressed
        on the extracted page, go back to the feed's text."""
        row = self._target_row()
        if row is None:
            self.notify("Open an item first: its web page is read from its link.", timeout=3)
            return
        shown = self.article.article
        if shown is not None and shown.row.id == row.id and self.article.full is not None:
            self.article.show(shown)
            self.notify("The feed's text.", timeout=2)
            return
        with self.guard():
            stored = self.library.full_article(row.id)
            if stored is not None and stored.ok:
                self._show_full(row, stored)
                return
            if row.id in self._fetching:
                self.notify("Still fetching this item's web page…", timeout=3)
                return
            if not self.library.page_url(row.id):
                self.error("No full article: the item has no link to a web page")
                return
            self._fetching.add(row.id)
            self.notify("Fetching the item's web page…", timeout=3)
            self._fetch_full(row)

    @work(group="full-article")
    async def _fetch_full(self, row: Row) -> None:
        try:
            future = self.library.fetch_full_article(row.id)
            full = await asyncio.wrap_future(future)
        except StreamtuiError as error:
            self.error(f"No full article: {error}")
            return
        except Exception as error:  # never a traceback: one line
            self.error(f"No full article: {type(error).__name__}")
            return
        finally:
            self._fetching.discard(row.id)
        if not full.ok:
            self.error(f"No full article: {full.error}")
            return
        if self._open_id() == row.id:
            with self.guard():
                self._show_full(row, full)
        else:
            title = sanitize(row.title)[:60] or "an item"
            keys = self._keys_for("app.full_article")
            self.notify(f"The full article of {title} is ready ({keys} on it).", markup=False)

    def _show_full(self, row: Row, full: FullArticle) -> None:
        shown = self.article.article
        article = shown if shown is not None and shown.row.id == row.id else None
        if article is None:
            self._open(row.id)
            article = self.article.article
        if article is not None:
            self.article.show(article, full=full)

    def action_toggle_full_text(self) -> None:
        """Turn the full-text setting of the item's feed on or off (on: every new item's
        web page is fetched in the background after each refresh)."""
        row = self._target_row()
        source_id = row.source_id if row is not None else self.view.source_id
        if source_id is None:
            self.notify("Choose a feed first: an item of it, or the feed in view.", timeout=3)
            return
        with self.guard():
            source = self.library.find_source(str(source_id))
            changed = self.library.set_full_text(str(source_id), not source.full_text)
            name = sanitize(changed.name)
            if changed.full_text:
                self.notify(
                    f"Full text on for {name}: new items' web pages are fetched after each "
                    "refresh.",
                    markup=False,
                    timeout=5,
                )
            else:
                self.notify(f"Full text off for {name}.", markup=False, timeout=3)

    # -- attachments ------------------------------------------------------------------------

    def _attachment(self, verb: str, then: Callable[[Article, int], None]) -> None:
        """Ask which attachment of the target item (none asked when it has one)."""
        row = self._target_row()
        if row is None:
            self.notify(f"Open an item first: {verb} takes one of its attachments.", timeout=3)
            return
        with self.guard():
            article = self.library.article(row.id)
        count = len(article.enclosures)
        if not count:
            self.notify("This item has no attachment.", timeout=3)
            return
        if count == 1:
            then(article, 1)
            return
        choices = [
            (n, sanitize(e.type), sanitize(e.url)) for n, e in enumerate(article.enclosures, 1)
        ]

        def chosen(number: int | None) -> None:
            if number is not None:
                then(article, number)

        self.app.push_screen(LinkScreen(choices, title=f"{verb.capitalize()} attachment"), chosen)

    def action_download(self) -> None:
        self._attachment("download", self._download)

    def _download(self, article: Article, number: int) -> None:
        """Download the attachment; asked for one that is downloading, cancel it (what came
        is kept: the next download of it asks the server for the rest)."""
        key = (article.row.id, number)
        name = sanitize(Path(article.enclosures[number - 1].url.split("?")[0]).name)[:60]
        running = self._downloads.get(key)
        if running is not None:
            running.set()  # the download stops within a chunk or a poll of its wait
            return
        config = self.settings.config
        cancel = threading.Event()
        last = [0.0]

        def progress(done: object) -> None:  # the download's thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_SECONDS:
                last[0] = now
                received, total = getattr(done, "received", 0), getattr(done, "total", None)
                self.post_message(DownloadProgress(key, name, received, total))

        with self.guard():
            future = self.library.download_enclosure(
                article.row.id,
                number,
                download_dir=config.download_dir,
                max_mb=config.download_max_mb,
                on_progress=progress,
                cancel=cancel,
            )
            self._downloads[key] = cancel
            keys = self._keys_for("app.download")
            self.notify(f"Downloading {name}… ({keys} again cancels)", markup=False, timeout=3)
            self._await_download(key, name, future)

    @work(group="download")
    async def _await_download(self, key: tuple[str, int], name: str, future: Future[Any]) -> None:
        cancel = self._downloads[key]
        try:
            done = await asyncio.wrap_future(future)
        except StreamtuiError as error:
            if cancel.is_set():
                keys = self._keys_for("app.download")
                self.notify(
                    f"Download of {name} cancelled; what came is kept ({keys} resumes it).",
                    markup=False,
                    timeout=5,
                )
            else:
                self.error(f"Not downloaded: {error}")
            return
        except Exception as error:
            self.error(f"Not downloaded: {name} ({type(error).__name__})")
            return
        finally:
            self._downloads.pop(key, None)
            self.article.border_subtitle = self._progress_line()
        self._downloaded[key] = done.path
        self.notify(
            f"Downloaded {sanitize(str(done.path))} ({mib(done.size)}).", markup=False, timeout=6
        )

    def on_download_progress(self, message: DownloadProgress) -> None:
        if message.key in self._downloads:
            self._progress[message.key] = message
            self.article.border_subtitle = self._progress_line()

    def _progress_line(self) -> Content:
        """The downloads running, in the article pane's lower border."""
        for key in [key for key in self._progress if key not in self._downloads]:
            del self._progress[key]
        parts = []
        for message in self._progress.values():
            if message.total:
                share = min(100, message.received * 100 // max(message.total, 1))
                parts.append(f"↓ {message.name} {share}% of {mib(message.total)}")
            else:
                parts.append(f"↓ {message.name} {mib(message.received)}")
        return Content("  ".join(parts))

    def action_play(self) -> None:
        self._attachment("play", self._play)

    def _play(self, article: Article, number: int) -> None:
        config = self.settings.config
        file = self._downloaded.get((article.row.id, number))
        if file is not None and not file.exists():
            file = None
        with self.guard():
            launch = self.library.player_launch(
                article.row.id,
                number,
                player=config.player,
                terminal=config.player_terminal,
                file=file,
            )
            if launch.terminal:
                self._run_in_terminal(launch)
                return
            self.notify(f"Playing with {launch.name}…", markup=False, timeout=3)
            self._launch(launch.url, launch)
