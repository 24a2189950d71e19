"""A parsed feed as the parser processes send it back (core/parse/wire.py)."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

from streamtui.core.models import Enclosure, Item, ParsedFeed
from streamtui.core.parse.wire import pack, unpack

WHEN = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)


def _every_field_set() -> Item:
    """An item whose every field differs from its default, whatever fields models.py has."""
    plain = Item(id="i", title="t", summary="s", body="b", published=WHEN)
    values: dict[str, object] = {}
    for field in dataclasses.fields(Item):
        value = getattr(plain, field.name)
        if isinstance(value, bool):
            value = not value
        elif isinstance(value, str):
            value = value + "-" + field.name
        elif field.name == "enclosures":
            value = (Enclosure("https://e.example/a.mp3", "audio/mpeg", 12, 34),)
        elif isinstance(value, tuple):
            value = ("alias",)
        elif value is None:
            value = "text"
        values[field.name] = value
    return Item(**values)  # type: ignore[arg-type]


def test_a_packed_feed_comes_back_equal_with_every_field() -> None:
    item = _every_field_set()
    assert all(
        getattr(item, f.name) != f.default
        for f in dataclasses.fields(Item)
        if f.default is not dataclasses.MISSING
    )
    feed = ParsedFeed("title", "https://e.example/", (item, Item("j", "", "", "", WHEN)), "w", "v")
    assert unpack(pickle.loads(pickle.dumps(pack(feed)))) == feed
    assert unpack(pack(ParsedFeed("", "", ()))) == ParsedFeed("", "", ())


def test_a_packed_feed_holds_no_dataclass() -> None:
    feed = ParsedFeed("t", "l", (_every_field_set(),))
    assert b"streamtui" not in pickle.dumps(pack(feed))
