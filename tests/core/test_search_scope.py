"""Search in one source or among the starred items: the view's items read first when they
are fewer than the matches (store/hits.py, _ranked_in_scope), with the same rows as the
general path, which reads the matches newest first and filters each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamtui.core.models import Item, Row, SourceKind, View
from streamtui.core.store import Store, hits
from streamtui.core.text.query import match_expression
from tests.support.store import merge_items, set_read

MakeItem = Callable[..., Item]
T0 = 1_700_000_000
QUERIES = ["river", "riv", "r", "river city", "city", "bank", "c++", "nothing here"]


def listed(store: Store, view: View) -> list[Row]:
    store.hits.reset()
    return store.rows(view, 0, 100_000)


@pytest.fixture
def year(store: Store, item: MakeItem) -> tuple[int, int]:
    """Two sources, "big" (240 items) and "small" (24), whose items were stored in turns;
    "river" is in most items, with equal texts that tie; a few stars and reads."""
    big = store.add_source("big", SourceKind.FEED, "https://big.example/feed")
    small = store.add_source("small", SourceKind.FEED, "https://small.example/feed")
    same = "The river runs by the city."
    for turn in range(12):  # interleaved keys: each source's items span the whole index
        for source, count, tag in ((big, 20, "b"), (small, 2, "s")):
            n0 = turn * count
            made = [
                item(f"{tag}{n:03}", f"Story {n}" + (" c++" if n % 11 == 0 else ""),
                     published=T0 + n % 9,
                     body=same if n % 3 else f"River {n}, the river and the river bank.")
                for n in range(n0, n0 + count)
            ]  # fmt: skip
            merge_items(store, source.id, made)
    store.set_starred(["b005", "b100", "s003", "s020", "b239"], True)
    set_read(store, ["b100", "s003", "s004"], True, at=T0)
    return big.id, small.id


def test_scoped_views_list_what_the_general_path_lists(
    store: Store, year: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    big, small = year
    since = T0 + 1_000_000_000.0
    views = [
        View(big), View(small), View(small, True, since), View(big, True, since),
        View(starred=True), View(starred=True, unread_only=True, since=since),
        View(big, starred=True), View(small, starred=True),
    ]  # fmt: skip
    assert store.count(View(small, query="river")) == 24  # the fixture: most items match
    for window, cap in ((10_000, 1_000), (30, 1_000), (30, 7), (5, 3)):
        store.search_window, store.search_cap = window, cap
        for query in QUERIES:
            for base in views:
                view = View(base.source_id, base.unread_only, base.since, base.starred, query)
                with monkeypatch.context() as general:
                    general.setattr(hits.SearchHits, "_matches", lambda *_: 0)  # never many
                    expected = [row.id for row in listed(store, view)]
                    searched = [row.id for row in store.search(query, source_id=base.source_id)]
                assert [row.id for row in listed(store, view)] == expected, (view, window, cap)
                assert store.count(view) == len(expected)
                if not base.unread_only and not base.starred:
                    found = [row.id for row in store.search(query, source_id=base.source_id)]
                    assert found == searched


def test_a_small_source_reads_its_keys_before_the_matches(
    store: Store, year: tuple[int, int]
) -> None:
    """A source with fewer items than a word's matches reads its keys first and each match is
    kept or passed over before any join; the general path joined every match to its key and
    item (a year of feeds: 13.3 s for a common word in one feed)."""
    big, small = year
    expression = match_expression("river")
    assert expression is not None
    ranking, params = store.hits.ranking(View(small, query="river"), expression, 1000)
    plan = [row[3] for row in store._reader.execute(f"EXPLAIN QUERY PLAN {ranking}", params)]
    assert any(step.startswith("MATERIALIZE scope") for step in plan), plan
    scan = next(n for n, step in enumerate(plan) if step.startswith("SCAN search_index"))
    assert not any(step.startswith("SEARCH k ") for step in plan[: scan + 1]), plan
    # A rarer word (88 matches, fewer than the big source's 240 items): the general path.
    rare = match_expression("bank")
    assert rare is not None
    general, _ = store.hits.ranking(View(big, query="bank"), rare, 1000)
    assert "scope" not in general


def test_no_star_asks_the_index_nothing(store: Store, year: tuple[int, int]) -> None:
    store.set_starred(["b005", "b100", "s003", "s020", "b239"], False)
    expression = match_expression("river")
    assert expression is not None
    ranking, _ = store.hits.ranking(View(starred=True, query="river"), expression, 1000)
    assert "search_index" not in ranking
    assert store.count(View(starred=True, query="river")) == 0
    store.set_starred(["s020"], True)
    assert [row.id for row in listed(store, View(starred=True, query="river"))] == ["s020"]


def test_a_word_typed_whole_is_counted_without_its_prefix(
    store: Store, year: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While typing, the last word is a prefix; counting its matches made FTS5 merge the lists
    of every word it starts (no index for 3 letters or more), and the ranking did it again.
    The word as a whole is counted first: when that is enough, the prefix is not counted."""
    _, small = year
    counted: list[str] = []
    count = hits.SearchHits._matches

    def spy(self: hits.SearchHits, expression: str, most: int) -> int:
        counted.append(expression)
        return count(self, expression, most)

    monkeypatch.setattr(hits.SearchHits, "_matches", spy)
    assert store.count(View(small, query="river")) == 24
    assert counted == ['"river"']
    counted.clear()
    assert store.count(View(small, query="rive")) == 24  # no whole word "rive": the prefix
    assert counted == ['"rive"', '"rive" *']
