"""Reading the whole story (issue 16): an item's full article, and its enclosures downloaded
and played.

Everything slow runs off the caller's thread, on threads the Library owns, and comes back as a
``concurrent.futures.Future`` (the app awaits it with ``asyncio.wrap_future``, the command line
calls ``result()``): a page is fetched with the feed fetch limits (reader/page.py), its article
extracted in the parser's worker processes with their time and memory limits (reader/extract.py
through FeedParser.extract), and the result stored with the item (store/articles.py). A source
with ``full_text`` on has its new items' pages fetched the same way after each refresh, in the
background. Closing the Library stops what is running at once (every wait polls a cancel).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from streamtui.core.errors import SourceError, StreamtuiError, UnknownItemError
from streamtui.core.library.maintenance import MaintenancePart
from streamtui.core.models import (
    Enclosure,
    FullArticle,
    RefreshEvent,
    RefreshSummary,
    Source,
    SourceKind,
)
from streamtui.core.store.articles import NEWEST
from streamtui.core.text.links import base_for, resolve
from streamtui.core.text.sanitize import sanitize

if TYPE_CHECKING:
    from streamtui.core.browser import Launch
    from streamtui.core.fetch import Fetched, FetchError, Limits
    from streamtui.core.parse.pool import FeedParser
    from streamtui.core.reader.download import Downloaded, Progress
    from streamtui.core.reader.sheet import Sheet

T = TypeVar("T")
POLL = 0.05
"""Seconds between looks at a cancel while a fetch or a download waits on the network."""
ARTICLE_THREADS = 3
DOWNLOAD_THREADS = 2
NO_LINK = "the item has no link to a web page"
_LASTING_KINDS = frozenset({"refused", "too-large", "gone", "redirects"})


class Cancelled(StreamtuiError):
    """The work was cancelled (its cancel event set, or the Library closing)."""


@dataclass(frozen=True, slots=True)
class FullTextReport:
    """What a background fetch of full articles did."""

    fetched: int = 0
    failed: tuple[str, ...] = ()
    """One line each: the item's title and why it has no article."""
    cancelled: bool = False


class ReaderPart(MaintenancePart):
    """Full articles, the per-source full-text setting, enclosures."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_limits: Limits | None = None
        """The limits of page fetches (None: the feed fetch limits; tests pass short ones)."""
        self.image_limits: Limits | None = None
        """The limits of image fetches (None: the feed's with the image cap)."""
        self._closing = threading.Event()
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()
        self._full_text_job: Future[FullTextReport] | None = None

    # -- full articles ----------------------------------------------------------------------

    def full_article(self, item_id: str) -> FullArticle | None:
        """The full article stored for an item (``ok`` False: the line saying why there is
        none), or None when its page was never fetched. Reads the database only."""
        return self.store.full_article(item_id)

    def fetch_full_article(
        self, item_id: str, *, cancel: threading.Event | None = None
    ) -> Future[FullArticle]:
        """Fetch the item's page and extract its article, off the caller's thread; the
        future gives the FullArticle stored (one whose ``error`` says why there is none), or
        raises UnknownItemError, Cancelled or StoreError. A failure that may pass (no
        network, a timeout, a server error) is given but not stored."""
        return self._pool("article").submit(self._fetch_full, item_id, cancel)

    def page_url(self, item_id: str) -> str:
        """The address of an item's web page ("" when it has none)."""
        article = self.store.article(item_id)
        if article is None:
            raise UnknownItemError(f"{item_id}: no such item")
        return resolve(article.link, base_for(article.link, article.base)) if article.link else ""

    def set_full_text(self, reference: str, on: bool) -> Source:
        """Turn a feed's full-text setting on or off (on: each new item's page is fetched
        after a refresh, for feeds that carry only a summary)."""
        source = self.find_source(reference)
        if source.kind is not SourceKind.FEED:
            raise SourceError(
                sanitize(source.name),
                "full text applies to feeds; a folder or file source holds its whole text",
            )
        self.store.set_full_text(source.id, on)
        return self.find_source(str(source.id))

    def refresh(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        limits: Limits | None = None,
        entries_later: bool = False,
    ) -> RefreshSummary:
        """A refresh (see MaintenancePart.refresh), then, in the background, the full
        articles of the new items of the refreshed sources that want them
        (:meth:`full_text_job` gives that work's future)."""
        summary = super().refresh(
            sources, progress, cancel, limits=limits, entries_later=entries_later
        )
        self._full_articles_after(sources, cancel)
        return summary

    def refresh_elsewhere(
        self,
        sources: Sequence[Source] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshSummary:
        """:meth:`refresh` in a process of its own; the full articles then fetched here, in
        the background, as after :meth:`refresh` (the child ends with its refresh)."""
        summary = super().refresh_elsewhere(sources, progress, cancel)
        self._full_articles_after(sources, cancel)
        return summary

    def _full_articles_after(
        self, sources: Sequence[Source] | None, cancel: threading.Event | None
    ) -> None:
        """After a refresh that was not cancelled: the new items' full articles, in the
        background, for the refreshed sources that want them."""
        if cancel is None or not cancel.is_set():
            chosen = None if sources is None else [source.id for source in sources]
            self.fetch_new_full_articles(chosen)

    def fetch_new_full_articles(
        self,
        source_ids: list[int] | None = None,
        *,
        cancel: threading.Event | None = None,
        newest: int = NEWEST,
    ) -> Future[FullTextReport] | None:
        """Fetch, in the background, the full articles of the ``newest`` items of the
        sources (of ``source_ids``) whose full-text setting is on that have none stored;
        None when there is nothing to fetch."""
        wanted = self.store.wanting_full_text(source_ids, newest=newest)
        if not wanted:
            return None
        job = self._pool("article").submit(
            self._fetch_many, [item for item, _, _ in wanted], cancel
        )
        self._full_text_job = job
        return job

    def full_text_job(self) -> Future[FullTextReport] | None:
        """The background fetch of full articles started last (after a refresh), if any."""
        return self._full_text_job

    def _fetch_many(self, item_ids: list[str], cancel: threading.Event | None) -> FullTextReport:
        with self._extractor() as extractor:  # the workers stay up for the whole job
            return self._fetch_each(item_ids, cancel, extractor)

    def _fetch_each(
        self, item_ids: list[str], cancel: threading.Event | None, extractor: FeedParser
    ) -> FullTextReport:
        fetched, failed = 0, list[str]()
        for item_id in item_ids:
            if _stopped(cancel, self._closing):
                return FullTextReport(fetched, tuple(failed), cancelled=True)
            try:
                full = self._fetch_full(item_id, cancel, extractor)
            except Cancelled:
                return FullTextReport(fetched, tuple(failed), cancelled=True)
            except UnknownItemError:
                continue  # removed meanwhile (retention, the source removed)
            if full.ok:
                fetched += 1
            else:
                row = self.store.row(item_id)
                title = sanitize(row.title) if row is not None else item_id
                failed.append(f"{title[:80]}: {full.error}")
        return FullTextReport(fetched, tuple(failed))

    def _fetch_full(
        self,
        item_id: str,
        cancel: threading.Event | None,
        extractor: FeedParser | None = None,
    ) -> FullArticle:
        from streamtui.core.fetch import FetchError

        url = self.page_url(item_id)
        now = datetime.now(UTC)
        if not url:
            full = FullArticle(item_id, "", now, error=NO_LINK)
            self.store.save_full_article(full)
            return full
        try:
            fetched = self._run(lambda: self._get_page(url), cancel)
        except FetchError as error:
            full = FullArticle(item_id, url, now, error=error.reason)
            if _lasting(error):
                self.store.save_full_article(full)
            return full
        with self._extractor(extractor) as pool:
            from streamtui.core.reader.worker import extract_in

            result = extract_in(
                pool,
                fetched.body,
                url=fetched.final_url or url,
                content_type=fetched.content_type,
                cancel=_Either(cancel, self._closing),
            )
        if _stopped(cancel, self._closing):
            raise Cancelled("the full article was not fetched: cancelled")
        from streamtui.core.reader.extract import Extracted

        if not isinstance(result, Extracted):
            full = FullArticle(item_id, url, now, error=result.reason)
            self.store.save_full_article(full)
            return full
        full = FullArticle(
            item_id,
            fetched.final_url or url,
            now,
            title=result.title,
            html=result.html,
            words=result.words,
        )
        if not self.store.save_full_article(full, result.text):
            raise UnknownItemError(f"{item_id}: no such item (removed meanwhile)")
        return full

    async def _get_page(self, url: str) -> Fetched:
        from streamtui.core.reader.page import fetch_page

        return await fetch_page(url, "page", limits=self.page_limits)

    @contextmanager
    def _extractor(self, held: FeedParser | None = None) -> Iterator[FeedParser]:
        """The parser's worker pool, for extractions (started when first needed, stopped
        when the last job using it ends, as for parsing); ``held``: one a job holds already."""
        if held is not None:
            yield held
            return
        with self._counted_pool() as parser:
            yield parser

    # -- enclosures -------------------------------------------------------------------------

    def enclosure(self, item_id: str, number: int = 1) -> Enclosure:
        """An item's attachment by its number (from 1, in the article's order)."""
        article = self.store.article(item_id)
        if article is None:
            raise UnknownItemError(f"{item_id}: no such item")
        count = len(article.enclosures)
        if not count:
            raise StreamtuiError(f"{sanitize(article.row.title)[:80]}: the item has no attachment")
        if not 1 <= number <= count:
            raise StreamtuiError(
                f"{sanitize(article.row.title)[:80]}: no attachment {number} "
                f"(it has {count}: give 1{f' to {count}' if count > 1 else ''})"
            )
        enclosure = article.enclosures[number - 1]
        base = base_for(article.link, article.base)
        return Enclosure(resolve(enclosure.url, base), *_rest(enclosure))

    def download_folder(self, download_dir: str = "") -> tuple[Path, bool]:
        """Where attachments go, and whether that folder may be made: the config's
        ``download_dir`` (which must exist: a disk not mounted is not filled in its place),
        else the user's Downloads folder, else ``downloads`` in the data folder."""
        from streamtui.core.reader.download import default_download_dir

        if download_dir:
            return Path(download_dir).expanduser(), False
        data = self.store.path.parent if self.store.path is not None else None
        return default_download_dir(str(data) if data is not None else None), True

    def download_enclosure(
        self,
        item_id: str,
        number: int = 1,
        *,
        download_dir: str = "",
        max_mb: int = 2048,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Future[Downloaded]:
        """Download attachment ``number`` of an item into the download folder (see
        :meth:`download_folder`; ``download_dir`` and ``max_mb`` are the config's), resuming
        a part left by an earlier attempt, off the caller's thread: ``on_progress`` is
        called from that thread after every chunk, and ``cancel`` stops it (the part is kept
        for next time). The future gives the Downloaded file, or raises DownloadError (one
        line: an HTTP error, a web page instead of audio, too large, a full disk, a folder
        that is missing or cannot be written) or Cancelled."""
        from streamtui.core.reader.download import DownloadLimits, check_folder, download

        enclosure = self.enclosure(item_id, number)
        folder, create = self.download_folder(download_dir)
        limits = DownloadLimits(max_bytes=max_mb * 1024 * 1024)

        async def work() -> Downloaded:
            check_folder(enclosure.url, folder, create=create)
            return await download(
                enclosure.url, folder, limits=limits, on_progress=on_progress, expect=enclosure.type
            )

        return self._pool("download").submit(self._run, work, cancel)

    def article_sheet(self, item_id: str, *, full: bool = False) -> Sheet:
        """The article as the pane shows it, as plain data (reader/sheet.py): title, source,
        date, author, link, the document (text blocks, numbered links; an image is a link
        with ``image`` set, its ``label`` the alt text) and the attachments with type, size
        and playing time; with ``full``, the stored full article's document and the line
        saying it is the extracted page (StreamtuiError when none is stored: fetch it first).
        Renders HTML: call it off the UI thread for a large body."""
        from streamtui.core.reader.sheet import article_sheet

        article = self.store.article(item_id)
        if article is None:
            raise UnknownItemError(f"{item_id}: no such item")
        stored = self.store.full_article(item_id) if full else None
        if full and (stored is None or not stored.ok):
            why = stored.error if stored is not None else "not fetched yet"
            raise StreamtuiError(f"{sanitize(article.row.title)[:80]}: no full article ({why})")
        return article_sheet(article, stored)

    def fetch_image(self, url: str, *, cancel: threading.Event | None = None) -> Future[bytes]:
        """An article image's bytes, off the caller's thread: from the image cache (in the
        data folder, with its size cap) or fetched with the feed limits and the image cap
        (reader/page.py: http and https only, an image type, 5 MiB), then kept in the cache.
        The future raises FetchError (one line) or Cancelled. Decoding is the caller's."""
        return self._pool("image").submit(self._image, url, cancel)

    def _image(self, url: str, cancel: threading.Event | None) -> bytes:
        from streamtui.core.reader.cache import image_cache
        from streamtui.core.reader.page import fetch_page

        folder = self.store.path.parent if self.store.path is not None else None
        cache = image_cache(override=str(folder)) if folder is not None else None
        data = cache.get(url) if cache is not None else None
        if data is not None:
            return data

        async def get() -> Fetched:
            return await fetch_page(url, "image", limits=self.image_limits)

        body = self._run(get, cancel).body
        if cache is not None:
            cache.put(url, body)
        return body

    def player_launch(
        self,
        item_id: str,
        number: int = 1,
        *,
        player: tuple[str, ...] = (),
        terminal: bool | None = None,
        file: Path | None = None,
    ) -> Launch:
        """How to play an attachment with the configured player (an argv, never a shell):
        the downloaded ``file`` when there is one, else its http(s) URL. The app runs the
        Launch as it runs a browser (browser.run_in_terminal or browser.start)."""
        from streamtui.core.reader.player import choose_player

        target: str | Path = file if file is not None else self.enclosure(item_id, number).url
        return choose_player(target, player=player, terminal=terminal)

    # -- threads ----------------------------------------------------------------------------

    def _pool(self, kind: str) -> ThreadPoolExecutor:
        with self._pools_lock:
            if self._closing.is_set():
                raise Cancelled("the library is closing")
            pool = self._pools.get(kind)
            if pool is None:
                workers = ARTICLE_THREADS if kind == "article" else DOWNLOAD_THREADS
                pool = ThreadPoolExecutor(workers, thread_name_prefix=f"streamtui-{kind}")
                self._pools[kind] = pool
            return pool

    def _run(self, work: Callable[[], Coroutine[Any, Any, T]], cancel: threading.Event | None) -> T:
        """Run the coroutine ``work`` makes in an event loop of this thread, cancelled as
        soon as ``cancel`` is set or the Library closes (what it wrote so far stays: a
        download's part)."""

        async def watched() -> T:
            task = asyncio.ensure_future(work())
            while not task.done():
                await asyncio.wait({task}, timeout=POLL)
                if not task.done() and _stopped(cancel, self._closing):
                    task.cancel()
                    with suppress(asyncio.CancelledError, Exception):
                        await task
                    raise Cancelled("cancelled")
            return task.result()

        return asyncio.run(watched())

    def close(self) -> None:
        """Stop the work running (it ends within a poll), then close as the parts do."""
        self._closing.set()
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        super().close()


def _lasting(error: FetchError) -> bool:
    """Whether a failed page fetch is worth remembering (asking again would fail the same
    way): a refusal, a page too large, a 4xx; not a network failure or a server's 5xx."""
    if error.kind in _LASTING_KINDS:
        return True
    return error.kind == "http" and error.status is not None and 400 <= error.status < 500


def _stopped(*events: threading.Event | None) -> bool:
    return any(event is not None and event.is_set() for event in events)


class _Either(threading.Event):
    """Set when any of its events is (an extraction polls one event's is_set)."""

    def __init__(self, *events: threading.Event | None) -> None:
        super().__init__()
        self._events = [event for event in events if event is not None]

    def is_set(self) -> bool:
        return any(event.is_set() for event in self._events)


def _rest(enclosure: Enclosure) -> tuple[str, int, int]:
    return enclosure.type, enclosure.length, enclosure.duration
