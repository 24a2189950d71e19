"""An account's items as streamtui stores them: a server's :class:`RemoteItem` made into an
:class:`~streamtui.core.models.Item` by the same rules as a feed's entry (parse/entries.py:
one ``sanitize()``, links resolved, the summary and the search text made), with a stable id
from the server's id: sha256 of the account's key and the server's item id, so the same item
keeps its id, its read state and its star across every sync."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from streamtui.core.models import Item
from streamtui.core.parse.entries import Context, Entry, entry_item, item_id
from streamtui.core.sync.models import RemoteItem


def scope(account_key: str) -> str:
    """What an account's item ids are made from (never the same as a feed's key)."""
    return f"account\0{account_key}"


def account_item_id(account_key: str, remote_id: str) -> str:
    return item_id(scope(account_key), remote_id)


def to_items(
    remote: Sequence[RemoteItem], account_key: str, bases: dict[str, str], seen_at: float
) -> list[Item]:
    """The items of a page (``bases``: each feed id's URL, against which relative links in
    an item resolve when it has no link of its own)."""
    context_at = datetime.fromtimestamp(seen_at, UTC)
    key = scope(account_key)
    return [to_item(one, key, bases.get(one.feed_id, ""), context_at) for one in remote]


def to_item(remote: RemoteItem, key: str, base: str, seen_at: datetime) -> Item:
    title = remote.title
    entry = Entry(
        guid=remote.id,
        link=remote.link,
        title=title,
        title_html="&" in title or "<" in title,  # servers give titles with entities
        summary=remote.summary,
        summary_html=True,
        body=remote.content,
        body_html=True,
        date=remote.published,
        enclosures=tuple((e.url, e.type, e.length) for e in remote.enclosures),
    )
    return entry_item(entry, Context(key, remote.link or base, seen_at, key))
