"""The stream text format (docs/stream-format.md), one rule per test."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamtui import cli
from streamtui.core.models import Item, LoadResult
from streamtui.core.sources.pages import item_id, load_source, parse_page

WritePage = Callable[..., Path]  # the write_page fixture of conftest.py

MTIME = 1_700_000_000


def load(folder: Path) -> LoadResult:
    return load_source(str(folder), folder)


def only(result: LoadResult) -> Item:
    assert not result.problems
    assert len(result.items) == 1, [i.title for i in result.items]
    return result.items[0]


def by_title(result: LoadResult) -> dict[str, Item]:
    return {item.title: item for item in result.items}


PAGE = """\
Why Terminals Still Matter

Terminals outlived every prediction of their
death. A reader who lives in one stays.

Speed is the first reason.

More from this stream

Keyboard-first tools are having a moment

Developers keep rediscovering that a good key
map beats a mouse. The newest wave of...

A quiet revolution in plain text

Plain text files are the most durable format we have.

Headline only
"""


# -- title and body ------------------------------------------------------------------------


def test_title_is_the_first_non_blank_line_trimmed() -> None:
    page = parse_page("\n  \n\t  Hello there  \n\nBody text.\n")
    assert page.title == "Hello there"
    assert page.paragraphs == ("Body text.",)


def test_paragraphs_join_lines_and_split_on_any_number_of_blank_lines(
    tmp_path: Path, write_page: WritePage
) -> None:
    text = "Title\n\nline one\nline two\n  line three  \n\n\n\n\nsecond para\n\n \t \nthird\n"
    write_page(tmp_path / "src", "a.txt", text)
    item = only(load(tmp_path / "src"))
    assert item.title == "Title"
    assert item.body.split("\n\n") == ["line one line two line three", "second para", "third"]
    assert item.summary == "line one line two line three"
    assert not item.teaser


def test_body_may_start_right_under_the_title() -> None:
    page = parse_page("Title\nFirst body line\nsecond body line\n\nNext.")
    assert page.title == "Title"
    assert page.paragraphs == ("First body line second body line", "Next.")


@pytest.mark.parametrize(
    "marker",
    ["More from this stream", "MORE FROM THIS STREAM", "more from this stream",
     "   More From This Stream\t ", "\tmore from THIS stream"],
)  # fmt: skip
def test_marker_in_any_case_with_surrounding_whitespace(marker: str) -> None:
    page = parse_page(f"Lead\n\nBody.\n\n{marker}\n\nTeaser one\n\nText one.\n")
    assert page.paragraphs == ("Body.",)
    assert [t.title for t in page.teasers] == ["Teaser one"]


def test_a_line_that_only_contains_the_marker_words_is_body_text() -> None:
    page = parse_page("Lead\n\nMore from this stream today: nothing.\n\nEnd.\n")
    assert page.teasers == ()
    assert page.paragraphs == ("More from this stream today: nothing.", "End.")


def test_no_marker_means_the_whole_file_is_one_article(
    tmp_path: Path, write_page: WritePage
) -> None:
    write_page(tmp_path / "src", "a.txt", "Title\n\nOne.\n\nTeaser-looking line\n\nTwo.\n")
    item = only(load(tmp_path / "src"))
    assert item.body == "One.\n\nTeaser-looking line\n\nTwo."


def test_lead_summary_is_its_first_paragraph_capped(tmp_path: Path, write_page: WritePage) -> None:
    long = " ".join(["word"] * 100)
    write_page(tmp_path / "src", "a.txt", f"T\n\n{long}\n\nsecond\n")
    item = only(load(tmp_path / "src"))
    assert item.body == f"{long}\n\nsecond"
    assert len(item.summary) <= 280
    assert item.summary.endswith("…")
    assert long.startswith(item.summary[:-1])


# -- teasers -------------------------------------------------------------------------------


def test_page_yields_lead_then_teasers_in_page_order(tmp_path: Path, write_page: WritePage) -> None:
    write_page(tmp_path / "src", "page.txt", PAGE)
    result = load(tmp_path / "src")
    assert not result.problems
    assert [(i.title, i.teaser) for i in result.items] == [
        ("Why Terminals Still Matter", False),
        ("Keyboard-first tools are having a moment", True),
        ("A quiet revolution in plain text", True),
        ("Headline only", True),
    ]
    lead, keyboard, plain, _ = result.items
    assert lead.body.split("\n\n") == [
        "Terminals outlived every prediction of their death. A reader who lives in one stays.",
        "Speed is the first reason.",
    ]
    assert "More from this stream" not in lead.body
    assert keyboard.summary == (
        "Developers keep rediscovering that a good key map beats a mouse. The newest wave of..."
    )
    assert keyboard.body == ""
    assert plain.summary == "Plain text files are the most durable format we have."


def test_title_only_teaser_last_in_block_has_an_empty_summary() -> None:
    page = parse_page(PAGE)
    last = page.teasers[-1]
    assert (last.title, last.summary, last.truncated) == ("Headline only", "", False)


@pytest.mark.parametrize("ending", ["...", "…", "so on and so forth...", "etc …"])
def test_teaser_text_ending_in_an_ellipsis_is_truncated(ending: str) -> None:
    page = parse_page(f"L\n\nMore from this stream\n\nT\n\nSome text {ending}\n")
    assert page.teasers[0].truncated


@pytest.mark.parametrize("ending", ["full stop.", "question?", "no punctuation", "two dots..x"])
def test_teaser_text_without_an_ellipsis_is_not_truncated(ending: str) -> None:
    page = parse_page(f"L\n\nMore from this stream\n\nT\n\nSome text {ending}\n")
    assert page.teasers[0].summary == f"Some text {ending}"
    assert not page.teasers[0].truncated


@pytest.mark.parametrize(
    "text",
    ["Photos of the week", "Read the full story at example.com", "東京の新しい駅が開業した。"],
)
def test_one_line_teaser_text_without_a_full_stop_is_still_the_text(text: str) -> None:
    # The spec: each title is followed by its text, the next non-blank run.
    page = parse_page(f"L\n\nMore from this stream\n\nFirst\n\n{text}\n\nSecond\n\nMore text.\n")
    assert [(t.title, t.summary) for t in page.teasers] == [
        ("First", text),
        ("Second", "More text."),
    ]


def test_teaser_text_may_start_right_under_its_title() -> None:
    page = parse_page("L\n\nMore from this stream\n\nT1\ntext one\ngoes on...\n\nT2\n\nText.\n")
    assert [(t.title, t.summary, t.truncated) for t in page.teasers] == [
        ("T1", "text one goes on...", True),
        ("T2", "Text.", False),
    ]


def test_page_that_begins_with_the_marker_yields_only_teasers(
    tmp_path: Path, write_page: WritePage
) -> None:
    write_page(tmp_path / "src", "t.txt", "\n\nMORE FROM THIS STREAM\n\nA\n\nText a.\n\nB\n")
    result = load(tmp_path / "src")
    assert [(i.title, i.teaser, i.summary) for i in result.items] == [
        ("A", True, "Text a."),
        ("B", True, ""),
    ]


def test_only_the_first_marker_starts_the_teaser_block() -> None:
    page = parse_page("L\n\nMore from this stream\n\nMore from this stream\n\nText.\n")
    assert [(t.title, t.summary) for t in page.teasers] == [("More from this stream", "Text.")]


# -- empty files ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", " \t\r\n\r\n  \n"], ids=repr)
def test_empty_or_blank_file_is_one_empty_item(
    tmp_path: Path, write_page: WritePage, text: str
) -> None:
    write_page(tmp_path / "src", "empty.txt", text)
    item = only(load(tmp_path / "src"))
    assert (item.title, item.body, item.summary, item.teaser) == ("", "", "", False)


# -- encodings and line endings ------------------------------------------------------------


def test_utf8_with_bom(tmp_path: Path, write_page: WritePage) -> None:
    write_page(tmp_path / "src", "a.txt", b"\xef\xbb\xbfCaf\xc3\xa9 title\n\nBody.\n")
    item = only(load(tmp_path / "src"))
    assert item.title == "Café title"
    assert item.encoding == "utf-8"


def test_invalid_utf8_is_read_as_cp1252(tmp_path: Path, write_page: WritePage) -> None:
    write_page(tmp_path / "src", "a.txt", b"Caf\xe9 \x93news\x94\n\nPrice \x80 5 \x96 cheap.\n")
    item = only(load(tmp_path / "src"))
    assert item.title == "Café “news”"
    assert item.body == "Price € 5 – cheap."
    assert item.encoding == "cp1252"


def test_bytes_invalid_in_cp1252_too_still_load_with_replacements(
    tmp_path: Path, write_page: WritePage
) -> None:
    write_page(tmp_path / "src", "a.txt", b"Bad \x81 byte\n\nBody \xff here.\n")
    item = only(load(tmp_path / "src"))
    assert item.title == "Bad \ufffd byte"
    assert item.body == "Body \ufffd here."
    assert item.encoding not in ("utf-8", "cp1252")
    assert "replace" in item.encoding


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_crlf_and_cr_line_endings_give_the_same_items(
    tmp_path: Path, write_page: WritePage, newline: str
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "page.txt", PAGE, mtime=MTIME)
    expected = load(folder).items
    write_page(folder, "page.txt", PAGE.replace("\n", newline), mtime=MTIME)
    assert load(folder).items == expected


def test_curly_quotes_dashes_and_other_non_ascii_are_kept(
    tmp_path: Path, write_page: WritePage
) -> None:
    title = "“Quoted” — ‘single’ – naïve café № 5 …"
    body = "Ünïcödé “text” – with dashes — and ellipses… 東京 🚀"
    write_page(tmp_path / "src", "a.txt", f"{title}\n\n{body}\n")
    item = only(load(tmp_path / "src"))
    assert (item.title, item.body) == (title, body)


def test_escape_sequences_in_a_page_are_removed(tmp_path: Path, write_page: WritePage) -> None:
    text = (
        "Title\x1b]0;pwned\x07 here\x1b[2J\n\nBody \x1b]52;c;ZXZpbA==\x07text\u202e.\n\n"
        "Unterminated \x1b]0;x\nstill here.\n"
    )
    write_page(tmp_path / "src", "a.txt", text)
    item = only(load(tmp_path / "src"))
    assert item.title == "Title here"
    assert item.body == "Body text.\n\nUnterminated still here."


# -- identity ------------------------------------------------------------------------------


def ids(result: LoadResult) -> dict[str, str]:
    return {item.title: item.id for item in result.items}


def test_ids_are_stable_across_reads_new_siblings_and_body_edits(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "page.txt", PAGE)
    first = ids(load(folder))
    assert len(set(first.values())) == 4
    assert ids(load(folder)) == first

    write_page(folder, "aaa-before.txt", "Another page\n\nIts body.\n")
    write_page(folder, "zzz-after.txt", "Yet another\n\nBody.\n")
    with_siblings = ids(load(folder))
    assert {t: with_siblings[t] for t in first} == first

    edited = PAGE.replace("Speed is the first reason.", "Speed, and a new paragraph.\n\nMore.")
    edited = edited.replace("durable format we have.", "durable format of all...")
    write_page(folder, "page.txt", edited)
    assert {t: i for t, i in ids(load(folder)).items() if t in first} == first


def test_changing_the_title_changes_the_id(tmp_path: Path, write_page: WritePage) -> None:
    folder = tmp_path / "src"
    write_page(folder, "page.txt", "Old title\n\nBody.\n")
    before = only(load(folder)).id
    write_page(folder, "page.txt", "New title\n\nBody.\n")
    assert only(load(folder)).id != before


@pytest.mark.parametrize(
    "variant", ["old title", "OLD TITLE", "  Old   title  ", "Old\ttitle", "OLD\u00a0title"]
)
def test_case_and_whitespace_changes_in_the_title_keep_the_id(
    tmp_path: Path, write_page: WritePage, variant: str
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "page.txt", "Old Title\n\nBody.\n")
    before = only(load(folder)).id
    write_page(folder, "page.txt", f"{variant}\n\nBody.\n")
    assert only(load(folder)).id == before


def test_unicode_normal_forms_of_a_title_share_an_id() -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "Café")
    assert composed != decomposed
    assert item_id("s", "a.txt", composed) == item_id("s", "a.txt", decomposed)


def test_ids_differ_between_sources_and_between_files(
    tmp_path: Path, write_page: WritePage
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_page(one, "a.txt", "Same title\n\nBody.\n")
    write_page(one, "b.txt", "Same title\n\nOther body.\n")
    write_page(two, "a.txt", "Same title\n\nBody.\n")
    first = load(one).items
    assert len(first) == 2 and first[0].id != first[1].id
    assert only(load(two)).id not in {item.id for item in first}


def test_ids_do_not_depend_on_position(tmp_path: Path, write_page: WritePage) -> None:
    folder = tmp_path / "src"
    write_page(folder, "p.txt", "L\n\nMore from this stream\n\nA\n\nText.\n\nB\n\nText.\n")
    before = ids(load(folder))
    write_page(folder, "p.txt", "L\n\nMore from this stream\n\nB\n\nText.\n\nA\n\nText.\n")
    assert ids(load(folder)) == before


# -- folders -------------------------------------------------------------------------------


def test_folder_reads_txt_and_md_in_sorted_path_order(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    for name in ["c.md", "a.txt", "b/z.txt", "b/a.md", "B.TXT", "d/e/deep.txt"]:
        write_page(folder, name, f"Page {name}\n\nBody.\n", mtime=MTIME)
    for name in ["notes.html", "x.rst", "README", "a.txt~", "page.txt.bak", "data.json"]:
        write_page(folder, name, f"Ignored {name}\n\nBody.\n", mtime=MTIME)
    result = load(folder)
    assert not result.problems
    assert [item.path for item in result.items] == [
        "B.TXT", "a.txt", "b/a.md", "b/z.txt", "c.md", "d/e/deep.txt",
    ]  # fmt: skip
    assert not any(item.title.startswith("Ignored") for item in result.items)


def test_hidden_files_and_folders_are_skipped(tmp_path: Path, write_page: WritePage) -> None:
    folder = tmp_path / "src"
    write_page(folder, "seen.txt", "Seen\n\nBody.\n")
    write_page(folder, ".hidden.txt", "Hidden file\n\nBody.\n")
    write_page(folder, ".git/notes.txt", "Hidden folder\n\nBody.\n")
    write_page(folder, "sub/.secret/x.md", "Nested hidden\n\nBody.\n")
    write_page(folder, "sub/visible.md", "Visible\n\nBody.\n")
    result = load(folder)
    assert [item.title for item in result.items] == ["Seen", "Visible"]
    assert not result.problems


def test_symlinked_folder_leaving_the_root_is_not_followed(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder, outside = tmp_path / "src", tmp_path / "outside"
    write_page(folder, "in.txt", "Inside\n\nBody.\n")
    write_page(outside, "secret.txt", "Outside secret\n\nBody.\n")
    (folder / "escape").symlink_to(outside, target_is_directory=True)
    result = load(folder)
    assert [item.title for item in result.items] == ["Inside"]
    assert len(result.problems) == 1
    assert "escape" in result.problems[0].path
    assert "leaves the source folder" in result.problems[0].reason


def test_symlinked_folder_inside_the_root_is_read_once(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "real/page.txt", "Real page\n\nBody.\n")
    (folder / "again").symlink_to(folder, target_is_directory=True)  # a loop back to the root
    result = load(folder)
    assert [item.title for item in result.items] == ["Real page"]


def test_single_file_source(tmp_path: Path, write_page: WritePage) -> None:
    path = write_page(tmp_path / "src", "page.txt", PAGE)
    write_page(tmp_path / "src", "other.txt", "Not part of it\n\nBody.\n")
    result = load_source(str(path), path)
    assert len(result.items) == 4
    assert result.items[0].title == "Why Terminals Still Matter"
    assert result.items[0].path == "page.txt"


# -- teaser meets article ------------------------------------------------------------------


def test_teaser_matching_another_files_lead_is_one_item_with_the_full_body(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "welcome.txt",
               "Welcome\n\nHi.\n\nMore from this stream\n\nEVERY  key in one place\n\n"
               "The whole key map...\n\nUnmatched story\n\nNot a file.\n")  # fmt: skip
    write_page(folder, "keys.txt", "Every key in one place\n\nj and k move.\n\nq quits.\n")
    result = load(folder)
    matching = [i for i in result.items if i.title.casefold().startswith("every")]
    assert len(matching) == 1
    article = matching[0]
    assert article.title == "Every key in one place"
    assert not article.teaser and not article.truncated
    assert article.body == "j and k move.\n\nq quits."
    assert article.path == "keys.txt"
    teaser_id = item_id(str(folder), "welcome.txt", "EVERY  key in one place")
    assert article.aliases == (teaser_id,)
    assert teaser_id not in {item.id for item in result.items}
    assert [i.title for i in result.items] == ["Every key in one place", "Welcome",
                                               "Unmatched story"]  # fmt: skip


def test_the_same_unmatched_teaser_on_two_pages_appears_once(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    for name in ("a.txt", "b.txt"):
        write_page(
            folder,
            name,
            f"Page {name}\n\nBody.\n\nMore from this stream\n\nShared story\n\nText...\n",
        )
    result = load(folder)
    shared = [item for item in result.items if item.title == "Shared story"]
    assert len(shared) == 1
    assert shared[0].teaser and shared[0].truncated
    assert shared[0].id == item_id(str(folder), "a.txt", "Shared story")
    assert shared[0].aliases == (item_id(str(folder), "b.txt", "Shared story"),)


def test_a_teaser_repeated_on_one_page_appears_once_without_a_self_alias(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "a.txt", "L\n\nMore from this stream\n\nTwice\n\nOne.\n\nTwice\n\nTwo.\n")
    twice = [item for item in load(folder).items if item.title == "Twice"]
    assert len(twice) == 1
    assert twice[0].id not in twice[0].aliases


def test_every_item_id_in_a_source_is_unique(tmp_path: Path, write_page: WritePage) -> None:
    folder = tmp_path / "src"
    write_page(folder, "a.txt", PAGE)
    write_page(folder, "b.txt", PAGE.replace("Why Terminals", "Why Not"))
    write_page(folder, "c.txt", "A quiet revolution in plain text\n\nThe full article.\n")
    result = load(folder)
    all_ids = [item.id for item in result.items]
    aliases = [alias for item in result.items for alias in item.aliases]
    assert len(all_ids) == len(set(all_ids))
    assert not set(all_ids) & set(aliases)


# -- dates ---------------------------------------------------------------------------------


def test_dates_are_file_mtimes_and_teasers_take_their_pages_date(
    tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "src"
    write_page(folder, "old.txt", "Old\n\nBody.\n\nMore from this stream\n\nT\n\nText.\n",
               mtime=1_000_000_000)  # fmt: skip
    page = write_page(folder, "new.txt", "New\n\nBody.\n")
    os.utime(page, (1_500_000_000.5, 1_500_000_000.5))
    items = by_title(load(folder))
    assert items["Old"].published == datetime.fromtimestamp(1_000_000_000, UTC)
    assert items["T"].published == items["Old"].published
    assert items["New"].published == datetime.fromtimestamp(1_500_000_000.5, UTC)
    assert items["New"].published.utcoffset() == timedelta(0)


# -- a saved news page through the command line --------------------------------------------

NEWS_PAGE = """\
City council approves the new riverside tram line

After three years of debate, the council voted 31 to 12 on Tuesday night to
build a tram line along the river, linking the old harbour with the university.

Construction is due to start next spring. The first trams should run in 2029,
the transport office said, if the national grant comes through.

Residents along the route were split. “It will finally connect us,” said one
shop owner; others worry about two years of roadworks.


More from this stream


Harbour market reopens after the storm

Stallholders were back on Saturday, three weeks after the storm tore the roof
off the old fish hall. Repairs are expected to take...

University opens its library to the public

From next month anyone with a city card can borrow books at the main library…

Weekend weather: sun, then rain

Saturday stays dry and mild; a band of rain reaches the coast on Sunday afternoon.

Letters: what the tram means to you
"""


def preview(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert cli.main(["preview", "--json", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return [json.loads(line) for line in out.splitlines()]


def test_saved_news_page_through_preview_json(
    tmp_path: Path, write_page: WritePage, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "news"
    write_page(folder, "front-page.txt", NEWS_PAGE, mtime=MTIME)
    first = preview(folder, capsys)
    assert [(r["title"], r["teaser"], r["truncated"]) for r in first] == [
        ("City council approves the new riverside tram line", False, False),
        ("Harbour market reopens after the storm", True, True),
        ("University opens its library to the public", True, True),
        ("Weekend weather: sun, then rain", True, False),
        ("Letters: what the tram means to you", True, False),
    ]
    lead = first[0]
    assert str(lead["body"]).count("\n\n") == 2
    assert str(lead["body"]).startswith("After three years of debate, the council voted 31 to")
    assert lead["summary"] == str(lead["body"]).split("\n\n")[0]
    assert first[3]["summary"] == (
        "Saturday stays dry and mild; a band of rain reaches the coast on Sunday afternoon."
    )
    assert first[4]["summary"] == ""
    assert all(r["published"] == "2023-11-14T22:13:20Z" for r in first)
    second = preview(folder, capsys)
    assert [r["id"] for r in second] == [r["id"] for r in first]
    assert len({r["id"] for r in first}) == 5
