"""Bad command-line input gets one clear line, never "internal error" or a hang (issue 12):
URLs that are no URLs, import from a folder, a pipe or standard input, absurd numbers, a
database or a config that is not a file, quoted input that is enormous, a broken OPML file,
a 304 that answers nothing, the sources table, short ids and searching for ``c++``.

Everything goes through the real command line: ``cli.main`` in-process, or ``python -m
streamtui`` where a descriptor, a FIFO or a deadline matters (always with a timeout)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from feedserver import FeedServer, feed, redirect, status
from feedserver import feed_server_fixture as feed_server_fixture  # the feed_server fixture
from streamtui import cli
from streamtui.core.config import ConfigError, load_config
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.sources.feedurl import FeedChoiceError
from streamtui.core.store import Store
from streamtui.core.text.sanitize import QUOTE_LIMIT, excerpt
from test_feed_sources import rss
from test_ui_feeds import add_through_dialog, dialog_message, make_app

REPO_ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0
"""Seconds a subprocess may take before it counts as hung (they take about one)."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *named: str) -> str:
    """The single error line, checked: one line, no traceback or internal error, naming
    each of ``named``."""
    assert err.startswith("streamtui: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err, err
    for text in named:
        assert text in err, (text, err)
    return err


def streamtui(
    *args: str, stdin: object = subprocess.DEVNULL, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamtui", *args],
        capture_output=True, text=True, timeout=DEADLINE, cwd=REPO_ROOT, stdin=stdin,
        env=env or os.environ.copy(),
    )  # fmt: skip


# -- 1. URLs that are not URLs -------------------------------------------------------------

BAD_URLS = {
    "unclosed IPv6 bracket": ("http://[::1/x", "not a valid URL", "IPv6"),
    "port too large": ("http://127.0.0.1:99999/", "not a valid URL", "1 to 65535"),
    "negative port": ("http://127.0.0.1:-1/", "not a valid URL", "1 to 65535"),
    "port 0": ("http://127.0.0.1:0/", "not a valid URL", "port 0"),
    "not an IP in brackets": ("http://[zz]/", "not a valid URL", "IPv6"),
    "empty punycode label": ("http://xn--/feed", "not a valid URL", "host name"),
}


@pytest.mark.parametrize("verb", ["add", "preview"])
@pytest.mark.parametrize(("url", "reason", "detail"), BAD_URLS.values(), ids=list(BAD_URLS))
def test_a_malformed_url_is_named_with_the_reason(
    capsys: pytest.CaptureFixture[str], verb: str, url: str, reason: str, detail: str
) -> None:
    code, out, err = run(capsys, verb, url)
    assert (code, out) == (1, "")
    one_line_error(err, url, reason, detail)
    if verb == "add":
        assert run(capsys, "sources", "--json")[1].count("\n") == 1  # the guide alone


def test_import_of_malformed_urls_rejects_each_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    listing = tmp_path / "feeds.txt"
    # All but the punycode one, which only the fetch can judge (refresh shows it on the source).
    listing.write_text("".join(url + "\n" for url, _, detail in BAD_URLS.values()
                               if detail != "host name"))  # fmt: skip
    code, out, err = run(capsys, "import", str(listing))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert "internal error" not in err and "Traceback" not in err
    assert [line.startswith("streamtui: rejected http") for line in lines[:-1]] == [True] * 5
    assert lines[-1] == f"streamtui: {listing}: nothing imported (all 5 entries rejected)"


def test_a_redirect_to_an_impossible_port_is_refused(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    feed_server.route("/moved", redirect(301, "http://127.0.0.1:99999/feed.xml"))
    code, out, err = run(capsys, "add", feed_server.url("/moved"))
    assert (code, out) == (1, "")
    one_line_error(err, "redirected to an invalid address", "1 to 65535")


async def test_the_add_dialog_names_a_malformed_url(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        for url, reason, detail in BAD_URLS.values():
            screen = await add_through_dialog(app, pilot, url)
            message = dialog_message(screen)
            assert reason in message and detail in message and "internal" not in message
    app.library.close()


# -- 2. import from a folder, a pipe, standard input -----------------------------------------


def test_import_of_a_folder_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "import", str(tmp_path))
    assert (code, out) == (1, "")
    one_line_error(err, str(tmp_path), "a folder, not a file")


def test_import_of_a_device_or_a_missing_file_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "import", "/dev/zero")
    assert code == 1
    one_line_error(err, "/dev/zero", "not a file or a pipe (a device)")
    code, _, err = run(capsys, "import", str(tmp_path / "missing.opml"))
    assert code == 1
    one_line_error(err, "missing.opml", "no such file")


def test_import_dash_reads_standard_input() -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "streamtui", "import", "-"],
        input="http://127.0.0.1:9/a.xml\nhttps://127.0.0.1:9/b.xml\n",
        capture_output=True, text=True, timeout=DEADLINE, cwd=REPO_ROOT,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("added 2, skipped 0 duplicate(s), rejected 0")
    assert piped.stderr == ""


@pytest.mark.parametrize("name", ["/dev/stdin", "/proc/self/fd/0"])
def test_import_of_dev_stdin_reads_the_pipe(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streamtui", "import", name],
        input="http://127.0.0.1:9/c.xml\n", capture_output=True, text=True, timeout=DEADLINE,
        cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added 1,")


def test_import_of_a_process_substitution_pipe(tmp_path: Path) -> None:
    """``streamtui import <(command)``: the shell hands over /dev/fd/N, the read end of a pipe."""
    read, write = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "streamtui", "import", f"/dev/fd/{read}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
            pass_fds=(read,),
        )  # fmt: skip
        os.close(read)
        os.write(write, b"http://127.0.0.1:9/d.xml\n")
        os.close(write)
        out, err = child.communicate(timeout=DEADLINE)
    finally:
        for fd in (read, write):
            with contextlib.suppress(OSError):
                os.close(fd)
    assert child.returncode == 0, err
    assert out.startswith("added 1,")


def test_import_of_a_named_fifo_reads_what_its_writer_sends(tmp_path: Path) -> None:
    fifo = tmp_path / "feeds.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "w") as handle:  # blocks until streamtui opens the other end
            handle.write("http://127.0.0.1:9/e.xml\n")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    done = streamtui("import", str(fifo))
    thread.join(5)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added 1,")


def test_import_of_a_fifo_without_a_writer_ends(tmp_path: Path) -> None:
    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    done = streamtui("import", str(fifo))  # the timeout fails the test if it hangs
    assert done.returncode == 1
    one_line_error(done.stderr, str(fifo), "nothing imported (no feed URLs)")


def test_import_from_closed_or_endless_standard_input() -> None:
    closed = subprocess.run(
        ["sh", "-c", 'exec "$0" "$@" <&-', sys.executable, "-m", "streamtui", "import", "-"],
        capture_output=True, text=True, timeout=DEADLINE, cwd=REPO_ROOT,
    )  # fmt: skip
    assert closed.returncode == 1
    one_line_error(closed.stderr, "standard input is closed")
    with open("/dev/zero", "rb") as zeros:
        endless = streamtui("import", "-", stdin=zeros)
    assert endless.returncode == 1
    one_line_error(endless.stderr, "standard input", "not a file or a pipe (a device)")
    big = subprocess.run(
        [sys.executable, "-m", "streamtui", "import", "-"],
        input=b"#" * (9 * 1024 * 1024), capture_output=True, timeout=DEADLINE, cwd=REPO_ROOT,
    )  # fmt: skip
    assert big.returncode == 1
    one_line_error(big.stderr.decode(), "standard input: too large (over 8.0 MiB)")


# -- 3. numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["99999999999999999999", str(2**63), "9" * 4000])
def test_a_huge_limit_means_every_match(capsys: pytest.CaptureFixture[str], limit: str) -> None:
    code, out, err = run(capsys, "search", "stream", "--limit", limit)
    assert (code, err) == (0, "")
    assert len(out.splitlines()) > 3


def test_a_limit_that_is_no_number_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["search", "x", "--limit", "9" * 5000])  # past int()'s digit limit
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "is not a whole number" in err and "Traceback" not in err and len(err) < 600


def test_a_huge_source_number_is_no_such_source(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["list", "--source"], ["remove"], ["refresh"]):
        code, out, err = run(capsys, *args, "99999999999999999999")
        assert (code, out) == (1, "")
        one_line_error(err, "99999999999999999999", "no such source")


# -- 5. a database that is not a file ----------------------------------------------------------


def _loop(data: Path) -> None:
    (data / "streamtui.db").symlink_to("streamtui.db")


def _loop_of_two(data: Path) -> None:
    (data / "streamtui.db").symlink_to("other")
    (data / "other").symlink_to("streamtui.db")


def _folder(data: Path) -> None:
    (data / "streamtui.db").mkdir()


def _dangling(data: Path) -> None:
    (data / "streamtui.db").symlink_to(data / "gone" / "x.db")


def _fifo(data: Path) -> None:
    os.mkfifo(data / "streamtui.db")


def _dev_null(data: Path) -> None:
    (data / "streamtui.db").symlink_to("/dev/null")


def _dev_zero(data: Path) -> None:
    (data / "streamtui.db").symlink_to("/dev/zero")


def _wal_fifo(data: Path) -> None:
    os.mkfifo(data / "streamtui.db-wal")


def _shm_fifo(data: Path) -> None:
    os.mkfifo(data / "streamtui.db-shm")


DATABASES = {
    "symlink loop": (_loop, "streamtui.db", "a symbolic link that loops back on itself"),
    "loop of two links": (_loop_of_two, "streamtui.db", "loops back on itself"),
    "a folder": (_folder, "streamtui.db", "a folder, not a database file"),
    "dangling symlink": (_dangling, "streamtui.db", "a symbolic link to"),
    "a FIFO": (_fifo, "streamtui.db", "a FIFO or pipe, not a database file"),
    "/dev/null": (_dev_null, "streamtui.db", "a device, not a database file"),
    "/dev/zero": (_dev_zero, "streamtui.db", "a device, not a database file"),
    "a FIFO as -wal": (_wal_fifo, "streamtui.db-wal", "a FIFO or pipe, not a database file"),
    "a FIFO as -shm": (_shm_fifo, "streamtui.db-shm", "a FIFO or pipe, not a database file"),
}


@pytest.mark.parametrize("verb", [["list"], ["sources", "--json"], ["import", "/dev/null"]])
@pytest.mark.parametrize(("make", "named", "reason"), DATABASES.values(), ids=list(DATABASES))
def test_a_database_that_is_no_file_is_named_and_left_alone(
    tmp_path: Path, verb: list[str], make: object, named: str, reason: str
) -> None:
    data = tmp_path / "userdata"
    data.mkdir()
    make(data)  # type: ignore[operator]
    before = sorted((p.name, p.lstat().st_mode) for p in data.iterdir())
    done = streamtui("--data-dir", str(data), *verb)  # a hang fails at the deadline
    assert (done.returncode, done.stdout) == (1, "")
    one_line_error(done.stderr, str(data / named), reason)
    assert sorted((p.name, p.lstat().st_mode) for p in data.iterdir()) == before


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_data_folder_that_is_no_folder_is_named(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "userdata"
    if kind == "file":
        data.write_text("not a folder")
    else:
        os.mkfifo(data)
    done = streamtui("--data-dir", str(data), "list")
    assert (done.returncode, done.stdout) == (1, "")
    what = "a file" if kind == "file" else "a FIFO or pipe"
    one_line_error(done.stderr, f"{data}: {what}, not a folder")


# -- 6. config.toml read through the bounded reader --------------------------------------------


def within(seconds: float, call: object) -> object:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = call()  # type: ignore[operator]
        except BaseException as error:  # handed to the test
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


CONFIGS = {
    "a FIFO": (lambda p: os.mkfifo(p), "a FIFO or pipe, not a config file"),
    "a link to /dev/zero": (lambda p: p.symlink_to("/dev/zero"), "a device, not a config file"),
    "a folder": (lambda p: p.mkdir(), "a folder, not a config file"),
    "a symlink loop": (lambda p: p.symlink_to(p.name), "loops back on itself"),
    "a dangling link": (lambda p: p.symlink_to(p.parent / "gone.toml"), "does not exist"),
    "nested arrays": (
        lambda p: p.write_text("a = " + "[\n" * 15_000 + "]\n" * 15_000),
        "nested too deeply",
    ),
    "a dotted key of 100,000 parts": (
        lambda p: p.write_text("[keymap]\n" + "a." * 30_000 + 'b = "x"\n'),
        "line 2: longer than 1,000 characters",
    ),
    "too large": (lambda p: p.write_text("# x\n" * 40_000), "too large"),
    "not UTF-8": (lambda p: p.write_bytes(b'theme = "nord"\ntheme = "\xff"\n'), "line 2: not UTF"),
}


@pytest.mark.parametrize(("make", "reason"), CONFIGS.values(), ids=list(CONFIGS))
def test_a_config_that_cannot_be_one_is_named_at_once(
    tmp_path: Path, make: object, reason: str
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    make(folder / "config.toml")  # type: ignore[operator]
    with pytest.raises(ConfigError) as raised:
        within(10, lambda: load_config(folder))
    message = str(raised.value)
    assert message.startswith(str(folder / "config.toml")) and reason in message, message
    assert len(message) < 300


def test_a_config_linked_from_elsewhere_is_still_read(tmp_path: Path) -> None:
    """Dotfiles in a repository: the bounded reader does not keep config to its folder."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "streamtui.toml").write_text('theme = "nord"\nlist_width = 40\n')
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "config.toml").symlink_to(dotfiles / "streamtui.toml")
    config = load_config(folder)
    assert (config.theme, config.list_width) == ("nord", 40)


# -- 7. what an error quotes is cut ------------------------------------------------------------

LONG = "a" * 65_536


@pytest.mark.parametrize(
    "args",
    [
        ["add", f"http://127.0.0.1:9/{LONG}"],
        ["preview", f"http://127.0.0.1:9/{LONG}"],
        ["add", f"http://[::1/{LONG}"],
        ["add", f"/tmp/{LONG}"],
        ["remove", LONG],
        ["rename", LONG, "x"],
        ["list", "--source", LONG],
        ["star", LONG],
        ["mark-read", "ab"],
        ["import", f"/tmp/{LONG}"],
    ],
    ids=lambda args: " ".join(a[:12] for a in args),
)
def test_an_error_quoting_a_huge_input_stays_short(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (1, "")
    one_line_error(err)
    assert len(err) < 2 * QUOTE_LIMIT + 200, len(err)


def test_a_huge_id_is_no_such_item(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "star", LONG)  # it said "cannot read (LIKE or GLOB pattern too
    assert code == 1  # complex)", naming the database
    assert re.fullmatch(r"streamtui: a{10,40}…a{10,40}: no such item\n", one_line_error(err))


def test_excerpt_keeps_both_ends() -> None:
    url = "https://example.org/" + "x" * 1000 + "/feed.xml"
    cut = excerpt(url)
    assert len(cut) == QUOTE_LIMIT and cut.startswith("https://example.org/xx")
    assert cut.endswith("x/feed.xml") and "…" in cut
    assert excerpt("short\x1b[31m") == "short" and excerpt("a" * QUOTE_LIMIT) == "a" * QUOTE_LIMIT


def _linking_page(count: int) -> str:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="Feed {n}" href="/f{n}.xml">'
        for n in range(count)
    )
    return f"<html><head><title>Hub</title>{links}</head><body>hi</body></html>"


def test_a_page_linking_10000_feeds_gives_a_short_line_and_every_choice(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/hub", feed(_linking_page(10_000), content_type="text/html"))
    code, out, err = run(capsys, "add", feed_server.url("/hub"))
    assert (code, out) == (1, "")
    one_line_error(err, "this is a web page, not a feed", "Feed 0", "Feed 2 <", "9,997 more")
    assert len(err) < 1000, len(err)
    library = Library(Store.open(tmp_path / "lib" / "streamtui.db"), bundled=tmp_path / "none")
    try:
        with pytest.raises(FeedChoiceError) as raised:
            library.add_source(feed_server.url("/hub"))
    finally:
        library.close()
    assert len(raised.value.choices) == 10_000  # the app's dialog offers them all


async def test_the_add_dialog_offers_every_linked_feed(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/hub", feed(_linking_page(300), content_type="text/html"))
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await add_through_dialog(app, pilot, feed_server.url("/hub"))
        assert screen.query_one("#choices", OptionList).option_count == 300
        target = screen.query_one("#target", Input)
        target.value = f"http://127.0.0.1:9/{LONG}"
        target.focus()  # the choices had it
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = dialog_message(screen)
        assert "not a valid URL (URL too long)" in message and len(message) < 400
    app.library.close()


# -- 8. a broken OPML file is not a list of URLs -----------------------------------------------

BROKEN_OPML = (
    '<?xml version="1.0"?>\n<opml version="2.0">\n<head><title>x</title></head>\n<body>\n'
    + "".join(
        f'<outline text="f{n}" xmlUrl="http://127.0.0.1:9/{n}.xml">\n</outline>\n'
        for n in range(20)
    )
    + "<outline>\n</body>\n</opml>\n"
)


@pytest.mark.parametrize(
    "prefix",
    [b"", b"\xef\xbb\xbf", b"\n\n  ", b"\x0c", b"\xc2\xa0", b"\n\xef\xbb\xbf", b"<!-- hi -->\n"],
    ids=[
        "plain",
        "BOM",
        "blank lines",
        "form feed",
        "no-break space",
        "BOM after a line",
        "comment",
    ],
)
def test_a_broken_opml_file_is_an_error_naming_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, prefix: bytes
) -> None:
    path = tmp_path / "broken.opml"
    path.write_bytes(prefix + BROKEN_OPML.encode())
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    line = one_line_error(err, str(path), "not valid OPML: ")
    assert re.search(r": line \d+, column \d+$", line) and "rejected" not in line
    assert run(capsys, "sources", "--json")[1].count("\n") == 1  # nothing was added


@pytest.mark.parametrize(
    "text",
    ["x" + BROKEN_OPML, "# my feeds\n" + BROKEN_OPML, "http://127.0.0.1:9/a.xml\n<outline/>\n"],
    ids=["a stray letter first", "a comment line first", "a URL, then markup"],
)
def test_a_list_with_markup_lines_is_not_read_as_urls(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text(text)
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    one_line_error(err, str(path), "is markup, not a feed URL")
    assert re.search(r": line \d+ is markup", err)


def test_a_good_opml_still_imports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "good.opml"
    path.write_bytes(
        b"\x0c\n<opml version='2.0'><body><outline text='A' xmlUrl='http://127.0.0.1:9/a'/>"
        b"</body></opml>"
    )
    code, out, err = run(capsys, "import", str(path))
    assert (code, err) == (0, "") and out.startswith("added 1,")
    code, out, err = run(capsys, "import", str(path))  # all already there: nothing to do
    assert (code, err) == (0, "") and out.startswith("added 0, skipped 1 duplicate(s)")


def test_an_empty_list_imports_nothing_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing here\n\n")
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    one_line_error(err, f"{path}: nothing imported (no feed URLs)")


def test_many_rejections_are_counted_past_twenty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text("".join(f"gopher://127.0.0.1/{n}\n" for n in range(500)))
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert len(lines) == 22 and lines[20] == "streamtui: rejected 480 more"
    assert lines[21].endswith("nothing imported (all 500 entries rejected)")


# -- 9. a 304 to a request without validators -------------------------------------------------


def test_a_304_to_an_unconditional_request_is_an_error(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/feed.xml", status(304))
    url = feed_server.url("/feed.xml")
    for verb in ("add", "preview"):
        code, out, err = run(capsys, verb, url)
        assert (code, out) == (1, "")
        one_line_error(err, url, "HTTP 304 Not Modified", "sent no ETag or date")
    listing = tmp_path / "feeds.txt"
    listing.write_text(url + "\n")
    assert run(capsys, "import", str(listing))[0] == 0
    for _ in range(2):  # never "unchanged" while the source stays empty
        code, out, err = run(capsys, "refresh", url)
        assert code == 1
        assert "HTTP 304" in err and out.startswith("updated 0, unchanged 0, failed 1")
    [source] = [s for s in Store.open(tmp_path / "data" / "streamtui.db").sources()
                if s.kind is SourceKind.FEED]  # fmt: skip
    assert "304" in source.last_error


def test_a_304_to_a_conditional_request_stays_unchanged(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed(rss(1), etag='"v1"'))
    url = feed_server.url("/feed.xml")
    assert run(capsys, "add", url)[0] == 0
    code, out, _ = run(capsys, "refresh", url)
    assert code == 0 and out.startswith("updated 0, unchanged 1, failed 0")
    assert feed_server.requests_to("/feed.xml")[-1].header("if-none-match") == '"v1"'


# -- 12. sources, short ids, c++ ---------------------------------------------------------------

SOURCE_LINE = re.compile(
    r"^ +\d+  (?P<name>.{24}) +\d+ unread / \d+ +(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d|never {11})  "
)


def test_sources_shows_the_last_update_in_an_aligned_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, feed_server: FeedServer
) -> None:
    folder = tmp_path / "a folder with a very long name indeed"
    folder.mkdir()
    (folder / "page.txt").write_text("Title\n\nBody.\n")
    assert run(capsys, "add", str(folder))[0] == 0
    listing = tmp_path / "feeds.txt"
    listing.write_text(feed_server.url("/never.xml") + "\n")
    assert run(capsys, "import", str(listing))[0] == 0
    code, out, err = run(capsys, "sources")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    matches = [SOURCE_LINE.match(line) for line in lines]
    assert all(matches), lines
    whens = [m.group("when") for m in matches if m]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", whens[0]) and whens[2] == "never" + " " * 11
    assert matches[1] and matches[1].group("name").endswith("…")  # cut, columns kept
    locations = {
        line.index(loc) for line, loc in zip(lines, ("bundled:", str(folder), "http"), strict=True)
    }
    assert len(locations) == 1  # every location starts in the same column


def test_sources_shows_an_extreme_update_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert run(capsys, "sources")[0] == 0
        store = Store.open(tmp_path / "data" / "streamtui.db")
        with store._write() as db:
            db.execute("UPDATE sources SET updated_at = ?", (-62135596800.0,))  # 0001-01-01 UTC
        store.close()
        code, out, err = run(capsys, "sources")
        assert (code, err) == (0, "")
        # Read back in range (core/dates.py): 1970-01-02 UTC, in New York the evening before.
        assert " 1970-01-01 19:00  bundled:" in out
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("verb", ["star", "unstar", "mark-read", "mark-unread"])
def test_an_id_shorter_than_six_says_so(capsys: pytest.CaptureFixture[str], verb: str) -> None:
    out = run(capsys, "list", "--json")[1]
    full = re.search(r'"id": "([0-9a-f]+)"', out)
    assert full
    code, _, err = run(capsys, verb, full.group(1)[:4])
    assert code == 1
    one_line_error(err, full.group(1)[:4], "too short", "at least 6 characters")
    code, _, err = run(capsys, verb, full.group(1)[:6])
    assert (code, err) == (0, "")


@pytest.fixture
def languages(tmp_path: Path) -> Iterator[Path]:
    """A folder where "c++" appears in three items and "c" alone in many more."""
    folder = tmp_path / "languages"
    folder.mkdir()
    pages = {
        "cpp1": "Learning C++ templates\n\nGeneric code.\n",
        "cpp2": "Why is it hard\n\nBecause c++ has many corners.\n",
        "cpp3": "Plain title\n\nWe compare C++ and Rust.\n",
        "csharp": "C# versus Java\n\nTwo languages.\n",
        "fsharp": "F# in practice\n\nFunctional.\n",
        "dotnet": "The .NET runtime\n\nA platform.\n",
        "aspnet": "ASP.NET core\n\nWeb things.\n",
    }
    pages |= {
        f"c{n}": f"Vitamin C note {n}\n\nc is a letter; cat, car and code.\n" for n in range(40)
    }
    for name, text in pages.items():
        (folder / f"{name}.txt").write_text(text)
    yield folder


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("c++", {"Learning C++ templates", "Why is it hard", "Plain title"}),
        ("C++ templates", {"Learning C++ templates"}),
        ("c#", {"C# versus Java"}),
        ("f#", {"F# in practice"}),
        (".net", {"The .NET runtime", "ASP.NET core"}),
        (".ne", {"The .NET runtime", "ASP.NET core"}),
    ],
)
def test_searching_a_word_with_symbols_finds_what_was_meant(
    capsys: pytest.CaptureFixture[str], languages: Path, query: str, expected: set[str]
) -> None:
    assert run(capsys, "add", str(languages))[0] == 0
    code, out, err = run(capsys, "search", query, "--json")
    assert (code, err) == (0, "")
    assert {re.search(r'"title": "([^"]*)"', line).group(1) for line in out.splitlines()} == (  # type: ignore[union-attr]
        expected
    )
    assert len(run(capsys, "search", "c", "--limit", "100")[1].splitlines()) > 40  # "c" alone


def test_main_puts_the_real_standard_output_back() -> None:
    """main swaps sys.stdout for its writer and must put the real one back."""
    before = sys.stdout
    cli.main(["sources"])
    assert sys.stdout is before


def test_the_bounded_reader_names_a_folder(tmp_path: Path) -> None:
    """read_bytes opened a folder and fdopen raised IsADirectoryError ('internal error')."""
    from streamtui.core.errors import FileReadError
    from streamtui.core.files import read_bytes

    with pytest.raises(FileReadError, match="not a regular file"):
        read_bytes(tmp_path, None)
