"""Items cross from the parser processes to the refresh's writer pickled: every field must
come back as it was, whatever its default, and no field may be left out of the pickle."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import UTC, datetime

from streamtui.core.models import Enclosure, Item


def test_an_item_comes_back_from_a_pickle_with_every_field() -> None:
    item = Item(
        "id-1",
        "Title",
        "summary",
        "<p>body</p>",
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        teaser=True,
        truncated=True,
        link="https://example.org/1",
        path="notes/1.txt",
        encoding="latin-1",
        aliases=("a", "b"),
        html=True,
        enclosures=(Enclosure("https://example.org/1.mp3", "audio/mpeg", 123, 60),),
        dated=False,
        text="the text",
        author="Ann",
    )
    defaults = Item("id-2", "", "", "", datetime(2026, 1, 1, tzinfo=UTC))
    for original in (item, defaults):
        again = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == original
        for each in fields(Item):  # equality compares every field; say which one differs
            assert getattr(again, each.name) == getattr(original, each.name), each.name
    # Every field is set to something other than its default above, so a field that the
    # pickle forgot would come back as its default and fail the comparison.
    assert all(
        getattr(item, each.name) != each.default for each in fields(Item) if each.name != "id"
    )


def test_an_item_is_pickled_as_its_fields_in_order() -> None:
    item = Item("id-1", "T", "s", "b", datetime(2026, 1, 1, tzinfo=UTC), author="Ann")
    made, arguments = item.__reduce__()
    assert made is Item
    assert arguments == tuple(getattr(item, each.name) for each in fields(Item))
