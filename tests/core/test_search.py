"""Full-text search: the query builder, ranking, the index kept in step, query views."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streamtui.core.models import Item, Row, Source, SourceKind, View
from streamtui.core.store import Store
from streamtui.core.text.htmlfast import indexed_text
from streamtui.core.text.query import match_expression, terms
from tests.support.store import mark_view_read, merge_items, set_read, sync_items

MakeItem = Callable[..., Item]
T0 = 1_700_000_000

HOSTILE = [
    '"', '""', '"unterminated', "*", "**", "a*b", "-", "-foo", "foo-", ":", "foo:", "title:foo",
    "{title text}: foo", "NEAR", "NEAR(a b)", "NEAR(a b, 2)", "AND", "OR", "NOT", "a AND",
    "OR b", "NOT NOT", "(", ")", "((a)", "a)", "^", "^foo", "+", "a + b", "'", "\\", "\x00",
    "a\x00b", "\x01\x1b[2J", "é", "🙂", "🙂 foo", "_", "__init__", "foo_bar", "%", "a%b",
    "''", "\"a\" \"b\"", "a\"b", "*\"*", "\u202e", "\ufeff", "a.b.c", "0", "-1", "1e10",
    "\t\n ", "x" * 2000, " ".join("w" * 3 for _ in range(100)), "🙂" * 50,
]  # fmt: skip


def add(store: Store, name: str = "news", kind: SourceKind = SourceKind.FOLDER) -> Source:
    return store.add_source(name, kind, f"/sources/{name}")


def ids(rows: list[Row]) -> list[str]:
    return [row.id for row in rows]


def everything(store: Store, view: View) -> list[Row]:
    return store.rows(view, 0, 100_000)


def index_sizes(store: Store) -> tuple[int, int, int]:
    db = store._db
    counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("items",
              "search_keys", "search_index")]  # fmt: skip
    db.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
    return counts[0], counts[1], counts[2]


@pytest.fixture
def stories(store: Store, item: MakeItem) -> tuple[Source, Source]:
    """Two sources; "python" is in a title (t1), in bodies (b1, b2, x1) and in HTML markup."""
    one, two = add(store, "one"), add(store, "two", SourceKind.FEED)
    sync_items(store, one.id, [
        item("t1", "Python tips", published=T0, body="Some advice."),
        item("b1", "Snakes", published=T0 + 10, body="A python is a snake."),
        item("b2", "Reptiles", published=T0 + 20, body="The python again, and a lizard."),
        item("n1", "Nothing", published=T0 + 30, body="No match here."),
    ], fingerprint="1")  # fmt: skip
    merge_items(store, two.id, [
        item("x1", "News", published=T0 + 40, html=True,
             body='<div class="python"><p>Python <a href="https://e.example/">3.13</a></p></div>'),
        item("x2", "Markup only", published=T0 + 50, html=True,
             body='<div class="story"><a href="https://e.example/python">link</a></div>'),
    ])  # fmt: skip
    return one, two


# -- the query builder ---------------------------------------------------------------------


def test_empty_and_wordless_queries_ask_for_nothing() -> None:
    for text in ("", " ", "\t\n", "-", '"', "* - :", "()", "🙂", "\x00"):
        assert match_expression(text) is None


def test_each_word_is_quoted_and_the_last_one_is_a_prefix() -> None:
    assert match_expression("rust async") == '"rust" "async" *'
    assert match_expression("rust async ") == '"rust" "async"'  # a finished word
    assert match_expression('say "hi"') == '"say" """hi""" *'
    assert match_expression("foo -") == '"foo"'  # typed on past the word
    assert match_expression("a\x00b") == '"a" "b" *'


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_fts_syntax_never_raises(
    store: Store, stories: tuple[Source, Source], text: str
) -> None:
    view = View(query=text)
    assert store.count(view) >= 0
    store.rows(view, 0, 128)
    store.search(text)


def test_random_typing_never_raises(store: Store, stories: tuple[Source, Source]) -> None:
    alphabet = "abcpyth ON\"*-:^()+{}.,'\\\x00\t_éü🙂NEARANDORNOT"
    rng = random.Random(4)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
        store.search(text)


def test_syntax_typed_by_the_user_is_only_text(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [
        item("a", "Not now", body="plain"),
        item("b", "Near the end", body="and or"),
        item("c", "Title: colons", body="x"),
        item("d", "Unrelated", body="words"),
    ], fingerprint="")  # fmt: skip
    assert ids(store.search("NOT")) == ["a"]
    assert ids(store.search("NEAR")) == ["b"]
    assert ids(store.search("and OR")) == ["b"]
    assert ids(store.search("title:")) == ["c"]
    assert ids(store.search("-now")) == ["a"]
    assert ids(store.search('"colons')) == ["c"]


def test_prefix_matches_as_the_user_types(store: Store, stories: tuple[Source, Source]) -> None:
    assert set(ids(store.search("p"))) >= {"t1", "b1", "b2", "x1"}
    assert set(ids(store.search("pyt"))) == {"t1", "b1", "b2", "x1"}
    assert ids(store.search("pyt ")) == []  # finished word: no word is "pyt"
    assert set(ids(store.search("snake liz"))) == set()
    assert ids(store.search("python liz")) == ["b2"]


def test_case_and_diacritics_are_folded(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item("a", "Café CRÈME", body="Ünïcode")], fingerprint="")
    for query in ("cafe", "CAFÉ", "creme", "unicode ", "ÜNI"):
        assert ids(store.search(query)) == ["a"], query


def test_terms_are_the_words_to_mark() -> None:
    assert terms("Rust  async-await rust") == ["rust", "async", "await"]
    assert terms('"NEAR" (title:Foo*)') == ["near", "title", "foo"]
    assert terms("   ") == [] and terms("-*") == []
    assert terms("Ünïcode") == ["ünïcode"]


def test_indexed_text_is_what_a_reader_sees() -> None:
    html = '<div class="c"><p>Hello <a href="https://e.example/x">world</a></p><script>x</script>'
    assert indexed_text("", html, True) == "Hello world"
    assert indexed_text("<p>Summary</p>", "", True) == "Summary"
    assert indexed_text("A summary", "", False) == "A summary"
    assert indexed_text("A summary", "The body", False) == "The body"


# -- ranking -------------------------------------------------------------------------------


def test_title_matches_rank_above_text_matches_then_newest(
    store: Store, stories: tuple[Source, Source]
) -> None:
    # t1 has it in the title; x1, b2, b1 in the text, newest first when they score alike.
    ranked = ids(store.search("python"))
    assert ranked[0] == "t1"
    assert set(ranked) == {"t1", "b1", "b2", "x1"}
    assert ids(everything(store, View(query="python"))) == ranked


def test_ties_go_to_the_newest(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item(f"i{n}", "Same title", published=T0 + n, body="same")
                                 for n in range(5)], fingerprint="")  # fmt: skip
    assert ids(store.search("same")) == ["i4", "i3", "i2", "i1", "i0"]


def test_html_tags_and_attributes_are_not_indexed(
    store: Store, stories: tuple[Source, Source]
) -> None:
    for markup in ("href", "div", "class", "https", "story", "example"):
        assert store.search(markup) == [], markup
    assert ids(store.search("link")) == ["x2"]
    assert ids(store.search("3.13")) == ["x1"]


def test_search_limit_and_source(store: Store, stories: tuple[Source, Source]) -> None:
    two = stories[1]
    assert len(store.search("python", limit=2)) == 2
    assert ids(store.search("python", source_id=two.id)) == ["x1"]
    assert store.search("python", source_id=999) == []
    newest = store.search("  ", limit=2)  # no words: the newest items
    assert ids(newest) == ["x2", "x1"]


# -- the index kept in step ----------------------------------------------------------------


def test_resync_replaces_what_an_item_is_found_by(
    store: Store, stories: tuple[Source, Source], item: MakeItem
) -> None:
    one = stories[0]
    sync_items(store, one.id, [
        item("t1", "Python tips", published=T0, body="Some advice."),
        item("b1", "Serpents", published=T0 + 10, body="A boa is a snake."),  # edited
        item("n1", "Nothing", published=T0 + 30, body="No match here."),  # b2 is gone
        item("new", "Fresh", published=T0 + 60, body="Brand new python facts."),
    ], fingerprint="2")  # fmt: skip
    assert set(ids(store.search("python"))) == {"t1", "x1", "new"}
    assert ids(store.search("serpents")) == ["b1"] and store.search("snakes") == []
    assert ids(store.search("boa")) == ["b1"] and store.search("lizard") == []
    items, keys, entries = index_sizes(store)
    assert items == keys == entries == 6


def test_a_title_change_alone_is_reindexed(
    store: Store, stories: tuple[Source, Source], item: MakeItem
) -> None:
    two = stories[1]
    merge_items(store, two.id, [item("x2", "Renamed headline", published=T0 + 50, html=True,
        body='<div class="story"><a href="https://e.example/python">link</a></div>')])  # fmt: skip
    assert ids(store.search("headline")) == ["x2"] and store.search("markup") == []


def test_merge_updates_and_keeps_items_the_feed_dropped(
    store: Store, stories: tuple[Source, Source], item: MakeItem
) -> None:
    two = stories[1]
    merge_items(store, two.id, [
        item("x1", "News", published=T0 + 40, html=True, body="<p>Now about rust.</p>"),
    ])  # fmt: skip
    assert ids(store.search("rust")) == ["x1"]
    assert "x1" not in ids(store.search("python"))
    assert ids(store.search("link")) == ["x2"]  # dropped by the feed, still stored
    assert len(set(index_sizes(store))) == 1


def test_removing_a_source_removes_its_entries(
    store: Store, stories: tuple[Source, Source]
) -> None:
    one, two = stories
    store.remove_source(one.id)
    assert ids(store.search("python")) == ["x1"]
    assert index_sizes(store) == (2, 2, 2)
    store.remove_source(two.id)
    assert store.search("python") == [] and index_sizes(store) == (0, 0, 0)


def test_a_query_view_follows_new_items_and_other_connections(
    store: Store, stories: tuple[Source, Source], item: MakeItem, tmp_path: Path
) -> None:
    view = View(query="python")
    assert store.count(view) == 4
    merge_items(store, stories[1].id, [item("x3", "More python", published=T0 + 90)])
    assert store.count(view) == 5 and store.rows(view, 0, 1)[0].id == "x3"
    assert store.path is not None
    other = Store.open(store.path)
    other.remove_source(stories[0].id)
    other.close()
    assert set(ids(everything(store, view))) == {"x1", "x3"}


# -- query views ---------------------------------------------------------------------------


def test_query_views_combine_every_filter(store: Store, stories: tuple[Source, Source]) -> None:
    one, two = stories
    set_read(store, ["b1"], True, at=T0)
    store.set_starred(["b2", "x1"], True)
    since = T0 + 1_000_000_000.0  # read before this moment: gone from unread-only views
    cases = {
        View(query="python"): ["t1", "x1", "b2", "b1"],
        View(one.id, query="python"): ["t1", "b2", "b1"],
        View(None, True, since, query="python"): ["t1", "x1", "b2"],
        View(one.id, True, since, query="python"): ["t1", "b2"],
        View(starred=True, query="python"): ["x1", "b2"],
        View(one.id, starred=True, query="python"): ["b2"],
        View(two.id, True, since, starred=True, query="python"): ["x1"],
        View(two.id, query="snake"): [],
    }
    for view, expected in cases.items():
        listed = ids(everything(store, view))
        assert sorted(listed) == sorted(expected), view
        assert store.count(view) == len(expected)
        assert [row.id for row, _, _ in store.iter_articles(view)] == listed
        assert listed == [i for i in ids(store.search("python", limit=99)) if i in listed]


def test_position_rank_and_next_unread_in_a_query_view(
    store: Store, stories: tuple[Source, Source]
) -> None:
    set_read(store, ["x1"], True)
    since = time.time() + 1
    for view in (View(query="python"), View(stories[0].id, query="pyth"),
                 View(None, True, since, query="python")):  # fmt: skip
        rows = everything(store, view)
        assert rows
        for index, row in enumerate(rows):
            assert store.position(view, row.id) == index
            assert store.rank(view, row.id) == index
            forward = next((r.id for r in rows[index + 1 :] if not r.read), None)
            backward = next((r.id for r in rows[:index][::-1] if not r.read), None)
            assert store.next_unread(view, row.id) == forward
            assert store.next_unread(view, row.id, backwards=True) == backward
        assert store.next_unread(view, None) == next((r.id for r in rows if not r.read), None)
        assert store.position(view, "n1") is None  # stored, but not a match
        assert store.rank(view, "n1") is None
        assert store.next_unread(view, "n1", backwards=True) is None
        assert store.rows(view, 1, 2) == rows[1:3]


def test_a_query_view_shows_read_items_until_rebuilt(
    store: Store, stories: tuple[Source, Source]
) -> None:
    view = View(None, True, time.time(), query="python")
    assert store.count(view) == 4
    set_read(store, ["t1"], True)
    assert store.count(view) == 4  # read after the view was built
    assert store.count(View(None, True, time.time() + 1, query="python")) == 3


def test_unstarring_leaves_a_starred_query_view_at_once(
    store: Store, stories: tuple[Source, Source]
) -> None:
    view = View(starred=True, query="python")
    store.set_starred(["b1", "b2"], True)
    assert set(ids(everything(store, view))) == {"b1", "b2"}
    store.set_starred(["b1"], False)
    assert ids(everything(store, view)) == ["b2"]
    store.set_starred(["t1"], True)
    assert ids(everything(store, view)) == ["t1", "b2"]


def test_mark_view_read_of_a_query_view_marks_only_matches(
    store: Store, stories: tuple[Source, Source]
) -> None:
    assert sorted(mark_view_read(store, View(stories[0].id, query="python"))) == [
        "b1", "b2", "t1",
    ]  # fmt: skip
    assert {r.id for r in everything(store, View()) if r.read} == {"b1", "b2", "t1"}
    assert mark_view_read(store, View(query="python")) == ["x1"]


def test_search_cap_bounds_a_query_view(store: Store, item: MakeItem) -> None:
    source = add(store)
    sync_items(store, source.id, [item(f"i{n}", f"Match {n}", published=T0 + n)
                                 for n in range(30)], fingerprint="")  # fmt: skip
    store.search_cap = 10
    view = View(query="match")
    assert store.count(view) == 10
    assert ids(everything(store, view)) == [f"i{n}" for n in range(29, 19, -1)]
    store.search_window = 5  # only the newest stored matches are ranked
    assert store.count(View(query="match", since=1.0)) == 5


def test_no_query_is_the_dated_view(store: Store, stories: tuple[Source, Source]) -> None:
    for text in ("", "   ", "--"):
        assert everything(store, View(query=text)) == everything(store, View())


def test_the_hits_table_is_private_to_the_connection(
    store: Store, stories: tuple[Source, Source]
) -> None:
    store.count(View(query="python"))
    assert store.path is not None
    with sqlite3.connect(store.path) as other:
        names = {r[0] for r in other.execute("SELECT name FROM sqlite_master")}
    assert "search_hits" not in names and "search_index" in names


def test_many_query_views_in_turn_keep_their_own_hits(
    store: Store, stories: tuple[Source, Source]
) -> None:
    queries = ["python", "snake", "lizard", "tips", "news", "link", "nothing", "p"]
    expected = {query: ids(store.search(query, limit=1000)) for query in queries}
    for _ in range(3):
        for query in queries:  # more views than are cached: each evicts the oldest
            view = View(query=query)
            assert ids(everything(store, view)) == expected[query], query
            assert store.count(view) == len(expected[query])


def test_a_query_view_needs_no_write_lock(store: Store, stories: tuple[Source, Source]) -> None:
    assert store.path is not None
    writer = sqlite3.connect(store.path, isolation_level=None, timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")  # another streamtui in the middle of a write
    try:
        assert store.count(View(query="python", since=5.0)) == 4
        assert store.rows(View(query="pyth"), 0, 1)[0].id == "t1"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_feed_items_bring_their_search_text_from_the_parser(store: Store) -> None:
    """The parser makes the text in its own process; the store's writer uses it as is."""
    from datetime import UTC, datetime

    from streamtui.core.parse.feed import parse_feed

    rss = (
        b"<rss version='2.0'><channel><title>T</title><item><guid>1</guid><title>Okapi</title>"
        b"<description>&lt;p&gt;The &lt;a href='https://x.example/'&gt;okapi&lt;/a&gt; "
        b"lives in forests&lt;/p&gt;</description></item></channel></rss>"
    )
    parsed = parse_feed(
        rss, source_key="k", url="https://x.example/feed", seen_at=datetime.now(UTC)
    )
    (item,) = parsed.items
    assert (
        item.text
        == indexed_text(item.summary, item.body, item.html)
        == ("The okapi lives in forests")
    )
    source = add(store, "feed", SourceKind.FEED)
    merge_items(store, source.id, [item])
    assert ids(store.search("forests")) == [item.id]
    merge_items(store, source.id, [replace_text(item, "giraffe")])  # the given text is indexed
    assert ids(store.search("giraffe")) == [item.id] and store.search("forests") == []


def replace_text(item: Item, text: str) -> Item:
    from dataclasses import replace

    return replace(item, text=text, body=item.body + " ")  # a changed body: re-indexed


def test_a_query_view_without_filters_joins_only_its_best_matches(
    store: Store, item: MakeItem
) -> None:
    """A query view with no filter ranks the index alone and joins only its best matches to
    their keys and items (a year of feeds: joining each of a common word's 10,000 newest
    matches first made the ranking 2.3x slower, 312 ms against 135 ms at a million items).
    Its rows are those the general path gives, ties at the cap included."""
    source = add(store)
    same = "The river runs by the city."  # equal texts: equal scores, decided by date
    sync_items(store, source.id, [
        item(f"i{n:03}", f"Story {n}", published=T0 + n % 7, body=same if n % 3 else
             f"River {n}, the river and the river bank.") for n in range(300)
    ], fingerprint="")  # fmt: skip
    store.search_cap = 40
    plain, filtered = View(query="river"), View(query="river", unread_only=True, since=T0)
    assert store.count(plain) == store.count(filtered) == 40  # all unread: the filter keeps all
    assert ids(everything(store, plain)) == ids(everything(store, filtered))
    assert ids(store.search("river", limit=40)) == ids(everything(store, filtered))
    ranking, params = store.hits.ranking(plain, "river", 40)
    plan = [row[3] for row in store._reader.execute(f"EXPLAIN QUERY PLAN {ranking}", params)]

    def step(start: str) -> int:
        return next((n for n, text in enumerate(plan) if text.startswith(start)), len(plan))

    # The matches are ranked into a table first; items are looked up from what it kept.
    assert step("MATERIALIZE ranked") < step("SCAN search_index") < step("SCAN r"), plan
    assert step("SCAN r") < step("SEARCH i ") < len(plan), plan
