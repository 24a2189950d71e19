"""The command line, called in-process through cli.main() (and a few real subprocesses)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from streamtui import __version__, cli
from tests.support.paths import REPO_ROOT

WritePage = Callable[..., Path]  # the write_page fixture of conftest.py

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PAGE = "Lead story\n\nFirst paragraph.\n\nSecond.\n\nMore from this stream\n\nA teaser\n\nText...\n"
ITEM_FIELDS = {"id", "source", "title", "summary", "link", "published", "teaser", "truncated"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, ""), err
    return out


def records(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    return records(ok(capsys, "list", "--json", *args))


@pytest.fixture
def news(tmp_path: Path, write_page: WritePage) -> Path:
    folder = tmp_path / "news"
    write_page(folder, "front.txt", PAGE, mtime=1_700_000_000)
    write_page(folder, "other.txt", "Other story\n\nBody.\n", mtime=1_700_003_600)
    return folder


@pytest.fixture
def blog(tmp_path: Path, write_page: WritePage) -> Path:
    folder = tmp_path / "blog"
    write_page(folder, "post.txt", "Blog post\n\nBody.\n", mtime=1_600_000_000)
    return folder


# -- preview -------------------------------------------------------------------------------


def test_preview_json(capsys: pytest.CaptureFixture[str], news: Path, tmp_path: Path) -> None:
    rows = records(ok(capsys, "preview", "--json", str(news)))
    assert [(r["title"], r["teaser"], r["truncated"]) for r in rows] == [
        ("Other story", False, False),
        ("Lead story", False, False),
        ("A teaser", True, True),
    ]
    for row in rows:
        assert ITEM_FIELDS | {"body"} <= set(row)
        assert row["source"] == str(news)
        assert row["link"] is None
        assert isinstance(row["id"], str) and len(row["id"]) >= 16
        assert ISO_Z.match(str(row["published"]))
    assert rows[0]["published"] == "2023-11-14T23:13:20Z"
    assert rows[1]["published"] == rows[2]["published"] == "2023-11-14T22:13:20Z"
    assert rows[1]["body"] == "First paragraph.\n\nSecond."
    assert rows[1]["summary"] == "First paragraph."
    assert (rows[2]["body"], rows[2]["summary"]) == ("", "Text...")
    assert not (tmp_path / "data").exists()  # preview stores nothing


def test_preview_text(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    lines = ok(capsys, "preview", str(news / "front.txt")).splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("Lead story") and "teaser" not in lines[0]
    assert lines[1].endswith("A teaser") and "teaser…" in lines[1]


def test_preview_reports_skipped_files_and_still_prints_the_rest(
    capsys: pytest.CaptureFixture[str], news: Path, write_page: WritePage
) -> None:
    write_page(news, "broken.txt", b"\x00")
    code, out, err = run(capsys, "preview", "--json", str(news))
    assert code == 0
    assert len(records(out)) == 3
    assert err == "streamtui: skipped broken.txt: binary file (contains NUL bytes)\n"


# -- list, sources -------------------------------------------------------------------------


def test_first_run_adds_the_bundled_guide(capsys: pytest.CaptureFixture[str]) -> None:
    [guide] = records(ok(capsys, "sources", "--json"))
    assert (guide["name"], guide["kind"], guide["location"]) == (
        "streamtui guide", "bundled", "bundled:",
    )  # fmt: skip
    assert guide["total"] == guide["unread"] and int(str(guide["total"])) >= 5
    assert guide["last_error"] is None and ISO_Z.match(str(guide["updated"]))


def test_add_then_list_json(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    out = ok(capsys, "add", str(news))
    assert out == f"added 'news' ({news.resolve()}): 3 item(s)\n"
    rows = listed(capsys, "--source", "news")
    assert [r["title"] for r in rows] == ["Other story", "Lead story", "A teaser"]
    for row in rows:
        assert ITEM_FIELDS | {"read", "starred"} <= set(row)
        assert (row["source"], row["read"], row["starred"]) == ("news", False, False)
        assert ISO_Z.match(str(row["published"]))
    assert rows[2]["summary"] == "Text..." and rows[2]["teaser"] is True
    everything = listed(capsys)
    assert {r["source"] for r in everything} == {"news", "streamtui guide"}
    dates = [str(r["published"]) for r in everything]
    assert dates == sorted(dates, reverse=True)


def test_list_text(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    ok(capsys, "add", str(news))
    lines = ok(capsys, "list", "--source", "news").splitlines()
    assert len(lines) == 3
    assert all("●" in line and "news" in line for line in lines)
    assert lines[0].endswith("Other story")


def test_list_source_by_number_and_unread(
    capsys: pytest.CaptureFixture[str], news: Path, blog: Path
) -> None:
    ok(capsys, "add", str(news))
    ok(capsys, "add", str(blog), "--name", "My Blog")
    numbers = {str(s["name"]): str(s["id"]) for s in records(ok(capsys, "sources", "--json"))}
    assert [r["title"] for r in listed(capsys, "--source", numbers["My Blog"])] == ["Blog post"]
    assert [r["title"] for r in listed(capsys, "--source", "my blog")] == ["Blog post"]

    lead = next(r for r in listed(capsys, "--source", "news") if r["title"] == "Lead story")
    assert ok(capsys, "mark-read", str(lead["id"])[:8]) == "marked 1 item(s) read\n"
    unread = listed(capsys, "--unread", "--source", "news")
    assert [r["title"] for r in unread] == ["Other story", "A teaser"]
    assert all(r["read"] is False for r in unread)
    assert lead["id"] not in {r["id"] for r in listed(capsys, "--unread")}


def test_sources_json_and_text(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    ok(capsys, "add", str(news))
    rows = records(ok(capsys, "sources", "--json"))
    assert [r["name"] for r in rows] == ["streamtui guide", "news"]
    news_row = rows[1]
    assert set(news_row) == {"id", "name", "kind", "location", "unread", "total", "updated",
                             "last_error", "folder", "warning", "gone", "retry_at",
                             "password_stored", "account", "feed_url", "covered_by",
                             "full_text"}  # fmt: skip
    assert (news_row["kind"], news_row["location"], news_row["unread"], news_row["total"]) == (
        "folder", str(news.resolve()), 3, 3,
    )  # fmt: skip
    text = ok(capsys, "sources").splitlines()
    assert len(text) == 2 and "news" in text[1] and "3 unread" in text[1]


# -- search and stars ----------------------------------------------------------------------


def searched(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    return records(ok(capsys, "search", "--json", *args))


def test_search_json_is_list_json_with_a_rank(
    capsys: pytest.CaptureFixture[str], news: Path, blog: Path
) -> None:
    ok(capsys, "remove", "streamtui guide")  # its words would match too
    ok(capsys, "add", str(news))
    ok(capsys, "add", str(blog))
    rows = searched(capsys, "story")
    assert [r["title"] for r in rows] == ["Other story", "Lead story"]
    assert [r["rank"] for r in rows] == [1, 2]
    listing = {str(r["id"]): r for r in listed(capsys)}
    for row in rows:
        assert set(row) == ITEM_FIELDS | {"read", "starred", "rank"}
        assert {k: v for k, v in row.items() if k != "rank"} == listing[str(row["id"])]
    # A title match ranks above a text match; the last word may be the start of a word.
    assert [r["title"] for r in searched(capsys, "bod")] == ["Other story", "Blog post"]
    assert [r["title"] for r in searched(capsys, "lead", "par")] == ["Lead story"]
    assert [r["title"] for r in searched(capsys, "story", "--limit", "1")] == ["Other story"]
    assert [r["title"] for r in searched(capsys, "body", "--source", "blog")] == ["Blog post"]


def test_search_text_and_no_matches(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    ok(capsys, "add", str(news))
    lines = ok(capsys, "search", "story", "--source", "news").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("  1 ") and lines[0].endswith("Other story") and "●" in lines[0]
    assert lines[1].startswith("  2 ") and lines[1].endswith("Lead story")
    assert ok(capsys, "search", "zebra") == ""  # nothing matched is not an error
    assert ok(capsys, "search", '"NEAR(', "*", "-") == ""


def test_star_unstar_and_list_starred(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    ok(capsys, "add", str(news))
    ids = [str(r["id"]) for r in listed(capsys, "--source", "news")]
    assert ok(capsys, "star", ids[0], ids[2][:8]) == "starred 2 item(s)\n"
    assert ok(capsys, "star", ids[0]) == "starred 0 item(s)\n"
    starred = listed(capsys, "--starred")
    assert [r["id"] for r in starred] == [ids[0], ids[2]]
    assert all(r["starred"] is True for r in starred)
    assert len(ok(capsys, "list", "--starred").splitlines()) == 2
    assert ok(capsys, "unstar", ids[0]) == "unstarred 1 item(s)\n"
    assert [r["id"] for r in listed(capsys, "--starred", "--source", "news")] == [ids[2]]
    assert listed(capsys, "--starred", "--unread", "--source", "streamtui guide") == []


# -- read state ----------------------------------------------------------------------------


def test_mark_read_and_unread_by_id(capsys: pytest.CaptureFixture[str], news: Path) -> None:
    ok(capsys, "add", str(news))
    ids = [str(r["id"]) for r in listed(capsys, "--source", "news")]
    assert ok(capsys, "mark-read", ids[0], ids[1]) == "marked 2 item(s) read\n"
    assert ok(capsys, "mark-read", ids[0]) == "marked 0 item(s) read\n"
    assert [r["read"] for r in listed(capsys, "--source", "news")] == [True, True, False]
    assert ok(capsys, "mark-unread", ids[1][:6]) == "marked 1 item(s) unread\n"
    assert [r["read"] for r in listed(capsys, "--source", "news")] == [True, False, False]


def test_mark_read_all_and_by_source(
    capsys: pytest.CaptureFixture[str], news: Path, blog: Path
) -> None:
    ok(capsys, "add", str(news))
    ok(capsys, "add", str(blog))
    assert ok(capsys, "mark-read", "--all", "--source", "blog") == "marked 1 item(s) read\n"
    assert {(r["source"], r["read"]) for r in listed(capsys)} == {
        ("blog", True), ("news", False), ("streamtui guide", False),
    }  # fmt: skip
    out = ok(capsys, "mark-read", "--all")
    total = len(listed(capsys))
    assert out == f"marked {total - 1} item(s) read\n"
    assert all(r["read"] for r in listed(capsys))
    assert listed(capsys, "--unread") == []
    [news_source] = [s for s in records(ok(capsys, "sources", "--json")) if s["name"] == "news"]
    assert news_source["unread"] == 0


def test_remove_keeps_other_sources_read_state(
    capsys: pytest.CaptureFixture[str], news: Path, blog: Path
) -> None:
    ok(capsys, "add", str(news))
    ok(capsys, "add", str(blog))
    ok(capsys, "mark-read", "--all", "--source", "blog")
    ok(capsys, "mark-read", "--all", "--source", "streamtui guide")
    assert ok(capsys, "remove", "news") == "removed 'news'\n"
    rows = listed(capsys)
    assert {r["source"] for r in rows} == {"blog", "streamtui guide"}
    assert all(r["read"] for r in rows)
    assert [s["name"] for s in records(ok(capsys, "sources", "--json"))] == [
        "streamtui guide", "blog",
    ]  # fmt: skip


def test_removed_guide_does_not_come_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert ok(capsys, "remove", "1") == "removed 'streamtui guide'\n"
    assert ok(capsys, "sources") == ""
    assert listed(capsys) == []


def test_data_dir_flag_overrides_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, news: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    ok(capsys, "add", str(news), "--data-dir", str(elsewhere))
    assert (elsewhere / "streamtui.db").is_file()
    assert not (tmp_path / "data").exists()
    assert [s["name"] for s in records(ok(capsys, "--data-dir", str(elsewhere), "sources",
                                          "--json"))] == ["streamtui guide", "news"]  # fmt: skip


def test_corrupt_database_is_moved_aside_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "streamtui.db").write_bytes(b"garbage, not sqlite\x00" * 200)
    (data / "streamtui.db").chmod(0o600)  # private: tightening would add a line of its own
    code, out, err = run(capsys, "sources")
    assert code == 0 and "streamtui guide" in out
    [aside] = list(data.glob("streamtui.db.corrupt-*"))
    assert err.startswith("streamtui: ") and aside.name in err and err.count("\n") == 1


def test_hostile_folder_name_is_shown_sanitised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, write_page: WritePage
) -> None:
    folder = tmp_path / "evil\x1b]0;pwned\x07\u202e"
    write_page(folder, "a.txt", "Title \x1b[2J\n\nBody.\n")
    outputs = [ok(capsys, "add", str(folder))]
    for command in (["sources"], ["sources", "--json"], ["list"], ["list", "--json"],
                    ["preview", str(folder)], ["preview", "--json", str(folder)]):  # fmt: skip
        outputs.append(ok(capsys, *command))
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "pwned" not in out


# -- errors --------------------------------------------------------------------------------


def make_fifo(tmp_path: Path) -> str:
    os.mkfifo(tmp_path / "pipe.txt")
    return str(tmp_path / "pipe.txt")


def make_binary(tmp_path: Path) -> str:
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\x00\x00\x00")
    return str(tmp_path / "image.txt")


ERRORS = {
    "add missing path": (["add", "{tmp}/missing"], "{tmp}/missing", "no such file or folder"),
    "add refused scheme": (["add", "gopher://example.com/"], "gopher://example.com/",
                           "only http and https"),
    "add unreachable url": (["add", "http://127.0.0.1:1/feed.xml"], "http://127.0.0.1:1/feed.xml",
                            "refused"),
    "add twice": (["add", "{news}"], "{news}", "already added as 'news'"),
    "remove unknown": (["remove", "nosuch"], "nosuch", "no such source"),
    "mark-read unknown id": (["mark-read", "ffffffffff"], "ffffffffff", "no such item"),
    "mark-unread unknown id": (["mark-unread", "ffffffffff"], "ffffffffff", "no such item"),
    "mark-read short id": (["mark-read", "abc"], "abc", "too short for an item id"),
    "mark-read nothing": (["mark-read"], "mark-read", "give item ids or --all"),
    "mark-read source without all": (["mark-read", "x", "--source", "news"], "mark-read",
                                     "--source goes with --all"),
    "list unknown source": (["list", "--source", "nosuch"], "nosuch", "no such source"),
    "search unknown source": (["search", "x", "--source", "nosuch"], "nosuch",
                              "no such source"),
    "search limit": (["search", "x", "--limit", "0"], "--limit 0", "at least 1"),
    "star unknown id": (["star", "ffffffffff"], "ffffffffff", "no such item"),
    "unstar short id": (["unstar", "abc"], "abc", "give at least 6 characters"),
    "preview missing": (["preview", "{tmp}/missing"], "{tmp}/missing", "no such file or folder"),
    "preview unreachable url": (["preview", "http://127.0.0.1:1/"], "http://127.0.0.1:1/",
                                "refused"),
    "preview fifo": (["preview", "{fifo}"], "{fifo}", "not a folder or a regular file"),
    "preview binary file": (["preview", "{binary}"], "{binary}", "binary file"),
    "add binary file": (["add", "{binary}"], "{binary}", "binary file"),
}  # fmt: skip


@pytest.mark.parametrize("args, named, reason", ERRORS.values(), ids=list(ERRORS))
def test_errors_are_one_line_naming_input_and_reason(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    news: Path,
    args: list[str],
    named: str,
    reason: str,
) -> None:
    ok(capsys, "add", str(news))
    places = {"tmp": str(tmp_path), "news": str(news), "fifo": make_fifo(tmp_path),
              "binary": make_binary(tmp_path)}  # fmt: skip
    code, out, err = run(capsys, *(a.format(**places) for a in args))
    assert code != 0
    assert out == ""
    assert err.startswith("streamtui: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert named.format(**places) in err and reason in err
    assert "Traceback" not in err


def test_usage_errors_exit_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])
    assert caught.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# -- a real process ------------------------------------------------------------------------


def streamtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamtui", *args],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=os.environ.copy(),
    )  # fmt: skip


def test_version_and_help_in_a_subprocess() -> None:
    version = streamtui("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"streamtui {__version__}")
    shown = streamtui("--help")
    assert shown.returncode == 0
    for verb in ("preview", "list", "search", "star", "unstar", "mark-read", "mark-unread", "add",
                 "remove", "sources"):  # fmt: skip
        assert verb in shown.stdout
    assert "Traceback" not in version.stderr + shown.stderr


def test_error_in_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    failed = streamtui("add", "gopher://example.com/rss")
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("streamtui: gopher://example.com/rss: only http and https")
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert (tmp_path / "data" / "streamtui.db").is_file()  # the environment was honoured


def test_an_upgrade_that_builds_the_search_index_is_announced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.core.test_store import v2_database

    data = tmp_path / "old"
    v2_database(data / "streamtui.db")
    code, out, err = run(capsys, "--data-dir", str(data), "search", "quokka")
    assert code == 0 and "Marsupials" in out
    assert "upgrading the database of 3 items, once" in err  # said before it starts
    code, out, err = run(capsys, "--data-dir", str(data), "search", "quokka")
    assert "upgrading" not in err
