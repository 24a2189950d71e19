"""An account's items as streamtui stores them. A page of a server's :class:`RemoteItem` s is
written as a JSON Feed document and read by the feed parser (parse/jsonfeed.py): the same
rules as any feed's entries (one ``sanitize()``, links resolved, the summary and the search
text made), on a thread of the sync (never the one that answers keys), or in the feed
parser's worker processes for a very large page. Each item's id
is the server's item id scoped to the account (sha256 of the account's key and that id): the
same item keeps its id, its read state and its star across every sync."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from streamtui.core.errors import SourceError
from streamtui.core.models import Item
from streamtui.core.parse.entries import item_id
from streamtui.core.parse.feed import parse_feed
from streamtui.core.parse.pool import Parser
from streamtui.core.sync.models import RemoteItem

IN_PROCESS = 1000
"""Pages up to this size are read here, on a thread of the sync (every server's page is
smaller: 50 to 250 items; a tt-rss first pull gives a feed's items at once). Measured on the
2-core machine under load (benchmarks/sync.py, 5,000 items of the test server): 0.2-0.5 s
here against 5.5-6.5 s through the worker processes, which run niced and send every item
back pickled; a feed's XML is worth a worker, a page of JSON a few milliseconds is not."""


def scope(account_key: str) -> str:
    """What an account's item ids are made from (never the same as a feed's key)."""
    return f"account\0{account_key}"


def account_item_id(account_key: str, remote_id: str) -> str:
    return item_id(scope(account_key), remote_id)


def json_feed(remote: Sequence[RemoteItem]) -> bytes:
    """The page as a JSON Feed 1.1 document (the server's text as it came; the summary is
    made from the content, as for a feed's item, whatever the server's own excerpt says)."""
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "",
            "items": [
                {
                    "id": one.id,
                    "url": one.link,
                    "title": one.title,
                    "content_html": one.content,
                    "date_published": one.published.isoformat(),
                    "attachments": [
                        {"url": e.url, "mime_type": e.type, "size_in_bytes": e.length}
                        for e in one.enclosures
                    ],
                }
                for one in remote
            ],
        },
        ensure_ascii=False,
    ).encode("utf-8", "surrogatepass")


def to_items(
    remote: Sequence[RemoteItem],
    account_key: str,
    seen_at: float,
    parser: Parser | None = None,
) -> dict[str, Item]:
    """The items of a page, by the server's id; ``parser`` (the worker pool) reads a page of
    more than :data:`IN_PROCESS` items. SourceError when the page cannot be read."""
    if not remote:
        return {}
    key = scope(account_key)
    data = json_feed(remote)
    moment = datetime.fromtimestamp(seen_at, UTC)
    if parser is None or len(remote) <= IN_PROCESS:
        feed = parse_feed(data, source_key=key, url="", seen_at=moment)
    else:
        feed = parser.parse(data, source_key=key, url="", seen_at=moment)
    made = {item.id: item for item in feed.items}
    found = {one.id: made.get(item_id(key, one.id)) for one in remote}
    missing = [remote_id for remote_id, item in found.items() if item is None]
    if missing:
        raise SourceError("a page of items", f"{len(missing)} item(s) could not be read")
    return {remote_id: item for remote_id, item in found.items() if item is not None}
