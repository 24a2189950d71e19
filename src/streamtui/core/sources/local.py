"""The reader of local sources: folders of stream pages, a stream page, a feed file and the
bundled guide, each read whole through the bounded reader (a feed file parsed in the worker
pool like a fetched feed). Unchanged files (the same names, sizes and times) are not read."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streamtui.core.errors import SourceError
from streamtui.core.models import LoadResult, ParsedFeed, Source, SourceKind
from streamtui.core.refresh.readers import Failed, Got, Job, Loaded, Run, Skipped

if TYPE_CHECKING:  # the worker pool's module loads only when a feed file is parsed
    from streamtui.core.parse.pool import Parser
    from streamtui.core.sources.feedfile import Parse

BUNDLED_LOCATION = "bundled:"


class LocalPages:
    """Local sources, read one after the other (each in a thread of the refresh)."""

    def __init__(self, bundled: Path, parser: Parser) -> None:
        self.bundled = bundled
        self.parser = parser

    def takes(self, source: Source) -> bool:
        return source.kind in (SourceKind.FOLDER, SourceKind.FILE, SourceKind.BUNDLED)

    async def fetch(self, jobs: Sequence[Job], run: Run) -> AsyncIterator[tuple[Job, Got]]:
        loop = asyncio.get_running_loop()
        for job in jobs:
            yield job, await loop.run_in_executor(None, self.read, job, run.cancel)

    async def parse(self, job: Job, fetched: Got, run: Run) -> Got:
        return fetched  # read and parsed together: pages are cheap, a feed file is not

    def read(self, job: Job, cancel: threading.Event | None = None) -> Got:
        """What the source holds now (Loaded(None) when its fingerprint is the stored one);
        ``cancel`` stops the parse of a feed file."""
        try:
            return Loaded(
                self.load(job.source.location, unless=job.state.fingerprint, cancel=cancel)
            )
        except SourceError as error:
            if cancel is not None and cancel.is_set():
                return Skipped(error.reason)
            return Failed(error.reason, shown=str(error))

    def load(
        self,
        location: str,
        *,
        unless: str | None = None,
        cancel: threading.Event | None = None,
    ) -> LoadResult | None:
        """The items of the source at ``location``; None when its fingerprint is ``unless``."""
        from streamtui.core.sources.feedfile import load_file  # not needed by a refresh of feeds
        from streamtui.core.sources.pages import load_source

        folder = self.bundled if location == BUNDLED_LOCATION else Path(location)
        if location != BUNDLED_LOCATION and folder.is_file():
            return load_file(location, folder, self._parse_file(location, cancel), unless=unless)
        return load_source(location, folder, unless=unless)

    def _parse_file(self, location: str, cancel: threading.Event | None) -> Parse:
        def parse(data: bytes, seen_at: datetime) -> ParsedFeed:
            return self.parser.parse(
                data, source_key=location, url="", seen_at=seen_at, cancel=cancel
            )

        return parse
