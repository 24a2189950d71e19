"""``@value`` (core/values.py) behaves as ``@dataclass(frozen=True, slots=True)`` did for the
core's values: the same equality, hash, repr, pickles and immutability, its three methods
made at their first call instead of at import."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import UTC, datetime

import pytest

from streamtui.core.models import Enclosure, Item, ParsedFeed, View
from streamtui.core.values import value


@value
class Point:
    x: int
    y: str = ""
    note: float = field(default=0.0, compare=False)
    secret: str = field(default="", repr=False)
    seen: tuple[int, ...] = field(default=(), hash=False)


@dataclass(frozen=True, slots=True)
class PointAsBefore:
    x: int
    y: str = ""
    note: float = field(default=0.0, compare=False)
    secret: str = field(default="", repr=False)
    seen: tuple[int, ...] = field(default=(), hash=False)


@value
class One:
    only: str


@value
class Empty:
    pass


@value
class Holder:
    items: list[object] = field(default_factory=list)


def test_equality_hash_and_repr_are_those_of_a_frozen_dataclass() -> None:
    pairs = [
        (Point(1, "a", 0.5, "pw", (1,)), PointAsBefore(1, "a", 0.5, "pw", (1,))),
        (Point(2), PointAsBefore(2)),
    ]
    for new, old in pairs:
        assert repr(new) == repr(old).replace("PointAsBefore", "Point")
        assert hash(new) == hash(old)  # the same tuple of the same fields, hashed
    assert Point(1, "a", note=1.0) == Point(1, "a", note=2.0)  # compare=False is left out
    assert Point(1, "a", seen=(1,)) != Point(1, "a", seen=(2,))  # hash=False still compares
    assert hash(Point(1, "a", seen=(1,))) == hash(Point(1, "a", seen=(2,)))
    assert Point(1) != Point(2) and Point(1, "a") != Point(1, "b")
    assert Point(1).__eq__(PointAsBefore(1)) is NotImplemented  # another class: never equal
    assert Point(1) != PointAsBefore(1)
    assert "secret" not in repr(Point(1, secret="pw"))
    assert (One("a"), hash(One("a")), repr(One("a"))) == (One("a"), hash(("a",)), "One(only='a')")
    assert (Empty(), hash(Empty()), repr(Empty())) == (Empty(), hash(()), "Empty()")
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_a_value_that_holds_itself_is_shown_without_recursing() -> None:
    holder = Holder()
    holder.items.append(holder)
    assert repr(holder) == "Holder(items=[...])"


def test_each_method_is_compiled_once_at_its_first_call() -> None:
    @value
    class Fresh:
        a: int

    stand_ins = (Fresh.__eq__, Fresh.__hash__, Fresh.__repr__)
    assert Fresh(1) == Fresh(1) and hash(Fresh(1)) == hash((1,))
    assert repr(Fresh(1)).endswith(".<locals>.Fresh(a=1)")  # the qualified name, as before
    compiled = (Fresh.__eq__, Fresh.__hash__, Fresh.__repr__)
    assert all(a is not b for a, b in zip(stand_ins, compiled, strict=True))
    assert Fresh(2) != Fresh(3) and (Fresh.__eq__, Fresh.__hash__, Fresh.__repr__) == compiled
    assert Fresh.__eq__.__qualname__.endswith("Fresh.__eq__")


def test_values_stay_frozen_slotted_dataclasses_that_pickle_as_before() -> None:
    item = Item(
        id="i",
        title="T",
        summary="s",
        body="b",
        published=datetime(2026, 1, 1, tzinfo=UTC),
        enclosures=(Enclosure("https://example.com/a.mp3", "audio/mpeg", 3, 4),),
    )
    feed = ParsedFeed("Feed", "https://example.com/", (item,), version="rss20")
    with pytest.raises(FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del item.title  # type: ignore[misc]
    assert not hasattr(item, "__dict__") and "title" in Item.__slots__
    assert dataclasses.is_dataclass(item) and Item.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(feed, protocol=protocol))
        assert again == feed and hash(again) == hash(feed) and again.items[0] == item
    assert dataclasses.replace(item, title="U").title == "U"
    assert dataclasses.asdict(View(source_id=2))["source_id"] == 2
    assert View(since=1.0) == View(since=2.0) and {View(): 1}[View()] == 1
