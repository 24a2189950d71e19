"""``streamtui show``, ``download`` and ``full-text`` (issue 16) against loopback servers: the
article as the pane draws it, the extracted page, attachments downloaded with progress and
resume, every failure in one line, and no escape sequence from a feed or a page reaching the
terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui import cli
from streamtui.core.reader.download import part_paths
from tests.support.article_pages import simple_page
from tests.support.escapes import PAYLOADS, leaked
from tests.support.feedserver import FeedServer, Reply, Request, feed, feed_server_fixture, status  # noqa: F401

EPISODE = bytes(range(256)) * 8192  # 2 MiB
STORY = "<p>" + "The ferry timetable changes on Monday for the winter season. " * 30 + "</p>"
PAGE = simple_page("The winter timetable", STORY).encode()
WIDE = "Kaffeehaus " * 3 + "日本語のテキストです。" * 4


def podcast(
    server: FeedServer, *, episode: str = "/ep/episode-1.mp3", kind: str = "audio/mpeg"
) -> str:
    body = (
        f"<p>Notes with <a href='{server.url('/notes')}'>show notes</a> and "
        f"<img src='{server.url('/cover.png')}' alt='the cover'>. {WIDE}</p>"
        "<blockquote><p>A quoted line that is long enough to wrap around at forty.</p>"
        "</blockquote><ul><li>first point</li><li>second point</li></ul>"
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Cast</title><link>{server.url("/")}</link>
<item><title>Episode one</title><guid>ep1</guid><link>{server.url("/story")}</link>
<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate>
<description><![CDATA[{body}]]></description>
<enclosure url="{server.url(episode)}" type="{kind}" length="{len(EPISODE)}"/>
<itunes:author>Ann Host</itunes:author>
<itunes:duration>1:02:03</itunes:duration></item>
</channel></rss>"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


def only_item(capsys: pytest.CaptureFixture[str], source: str = "Cast") -> str:
    (record,) = [
        json.loads(line) for line in ok(capsys, "list", "--json", "--source", source).splitlines()
    ]
    return str(record["id"])


@pytest.fixture
def cast(feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> str:
    """A podcast feed added; its item's id."""
    feed_server.route("/cast.xml", feed(podcast(feed_server)))
    feed_server.route("/story", lambda r: Reply(200, [("Content-Type", "text/html")], PAGE))
    ok(capsys, "add", feed_server.url("/cast.xml"), "--name", "Cast")
    return only_item(capsys)


def config(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text)


# -- show -------------------------------------------------------------------------------------


def test_show_prints_the_article_as_the_pane_draws_it(
    cast: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(capsys, "show", cast[:8], "--width", "40")
    lines = out.splitlines()
    assert lines[0] == "Episode one"
    assert lines[1].startswith("Cast  ·  ") and "2025-01-06" in lines[1]
    assert (lines[1] + " " + lines[2]).endswith("  ·  Ann Host")  # wrapped at 40
    text = "\n".join(lines)
    flowing = " ".join(line.strip() for line in lines)
    assert "show notes [1]" in flowing and "[image: the cover] [2]" in flowing
    assert "│ A quoted line" in text and "• first point" in text
    assert f"Link: {feed_server.url('/story')}" in flowing
    assert f"[1] {feed_server.url('/notes')}" in flowing
    assert f"[2] {feed_server.url('/cover.png')} (image)" in flowing
    assert "[3] Attachment: " in flowing and "(audio/mpeg, 2.0 MiB, 1:02:03)" in flowing
    from streamtui.core.text.document import cells

    assert all(cells(line) <= 40 for line in lines), [line for line in lines if cells(line) > 40]


def test_show_json_gives_the_links_and_attachments(
    cast: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    record = json.loads(ok(capsys, "show", cast, "--json"))
    assert record["title"] == "Episode one" and record["full"] is False
    assert record["author"] == "Ann Host"
    assert record["link"] == feed_server.url("/story")
    assert [link["number"] for link in record["links"]] == [1, 2]
    assert record["links"][1] == {
        "number": 2, "url": feed_server.url("/cover.png"), "label": "the cover", "image": True
    }  # fmt: skip
    assert record["attachments"] == [
        {"number": 3, "url": feed_server.url("/ep/episode-1.mp3"), "type": "audio/mpeg",
         "length": len(EPISODE), "duration": 3723}
    ]  # fmt: skip
    assert "show notes [1]" in record["text"]


def test_show_full_fetches_the_page_once_then_reads_it_offline(
    cast: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(capsys, "show", cast, "--full", "--width", "80")
    assert "The extracted web page" in out and "winter season" in out
    assert "show notes" not in out  # the feed's text is not the page's
    assert len(feed_server.requests_to("/story")) == 1
    feed_server.route("/story", status(500))  # the site is down now: the stored one is shown
    again = ok(capsys, "show", cast, "--full", "--width", "80")
    assert again == out and len(feed_server.requests_to("/story")) == 1
    record = json.loads(ok(capsys, "show", cast, "--full", "--json"))
    assert record["full"] is True and "winter season" in record["text"]


@pytest.mark.parametrize(
    ("handler", "words"),
    [
        (status(404), "HTTP 404 Not Found"),
        (lambda r: Reply(200, [("Content-Type", "application/pdf")], b"%PDF-1.4"), "PDF document"),
        (lambda r: Reply(200, [("Content-Type", "text/html")], b""), "empty"),
    ],
)
def test_show_full_without_an_article_says_why_in_one_line(
    cast: str,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    handler: object,
    words: str,
) -> None:
    feed_server.route("/story", handler)  # type: ignore[arg-type]
    code, out, err = run(capsys, "show", cast, "--full")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Episode one: no full article" in err and words in err


@pytest.mark.parametrize("width", ["5", "100000", "-3", "many"])
def test_show_refuses_a_width_in_one_line(
    cast: str, capsys: pytest.CaptureFixture[str], width: str
) -> None:
    with pytest.raises(SystemExit) if width == "many" else _nothing():
        code, out, err = run(capsys, "show", cast, "--width", width)
        assert code == 1 and out == "" and err.count("\n") == 1 and "--width" in err
    if width == "many":
        assert "is not a whole number" in capsys.readouterr().err


def test_show_of_an_unknown_item_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "abcdef123")
    assert code == 1 and out == "" and err == "streamtui: abcdef123: no such item\n"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def hostile_text() -> str:
    return " ".join(payload.text for payload in PAYLOADS)


def hostile_feed(server: FeedServer) -> bytes:
    evil = hostile_text()
    item = {
        "id": "evil",
        "title": f"Title {evil}",
        "url": server.url("/evil-page"),
        "content_html": f"<p>Body {evil} <a href='{server.url('/x')}?{evil}'>link {evil}</a>"
        f"<img src='{server.url('/i.png')}' alt='alt {evil}'></p>",
        "attachments": [
            {"url": server.url("/a.mp3") + "?" + evil, "mime_type": f"audio/{evil}",
             "size_in_bytes": 10, "duration_in_seconds": 61}
        ],
    }  # fmt: skip
    document = {"version": "https://jsonfeed.org/version/1.1", "title": f"Feed {evil}",
                "items": [item]}  # fmt: skip
    return json.dumps(document).encode()


def hostile_page() -> bytes:
    evil = hostile_text()
    body = (
        f"<p>{evil} " + "Words of the article page that go on for a while. " * 20 + "</p>"
        f"<p><a href='https://example.org/{evil}'>a link {evil}</a>"
        f"<img src='https://example.org/i.png' alt='{evil}'></p>"
    )
    return simple_page(f"Page {evil}", body).encode()


def test_no_escape_from_a_feed_or_a_page_reaches_the_terminal(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The escape corpus in every field of a JSON feed (title, body, link text, URLs, alt
    text, attachment type and URL) and of the web page: show, show --full and --json print
    none of it (run as a real process, its bytes read as the terminal would get them)."""
    feed_server.route(
        "/feed.json", feed(hostile_feed(feed_server), content_type="application/feed+json")
    )
    feed_server.route(
        "/evil-page", lambda r: Reply(200, [("Content-Type", "text/html")], hostile_page())
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}

    def streamtui(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "streamtui", *args], capture_output=True,
                              env=env, timeout=120)  # fmt: skip

    assert streamtui("add", feed_server.url("/feed.json"), "--name", "evil").returncode == 0
    listed = [json.loads(line) for line in streamtui("list", "--json").stdout.splitlines()]
    (item,) = [record["id"] for record in listed if str(record["title"]).startswith("Title")]
    for args in (["show", item], ["show", item, "--width", "30"], ["show", item, "--json"],
                 ["show", item, "--full"], ["show", item, "--full", "--json"]):  # fmt: skip
        done = streamtui(*args)
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert leaked(output) == [], (args, [p.name for p in leaked(output)])
        assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", output), args
    assert b"Words of the article page" in streamtui("show", item, "--full").stdout


# -- full-text ----------------------------------------------------------------------------------


def test_full_text_on_fetches_new_items_pages_after_a_refresh(
    cast: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "full text off" in ok(capsys, "full-text", "Cast")
    assert "full text on" in ok(capsys, "full-text", "Cast", "on")
    sources = [json.loads(line) for line in ok(capsys, "sources", "--json").splitlines()]
    assert [s["full_text"] for s in sources if s["name"] == "Cast"] == [True]
    out = ok(capsys, "refresh", "Cast")
    assert "full text: 1 article(s) fetched" in out
    feed_server.route("/story", status(500))
    assert "The extracted web page" in ok(capsys, "show", cast, "--full")  # stored
    assert "full text off" in ok(capsys, "full-text", "Cast", "off")
    with pytest.raises(SystemExit) as refused:
        cli.main(["full-text", "Cast", "maybe"])
    assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_full_text_of_a_folder_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_text("A page\n\nText.\n")
    ok(capsys, "add", str(folder))
    code, _out, err = run(capsys, "full-text", "pages", "on")
    assert code == 1 and err.count("\n") == 1 and "full text applies to feeds" in err


# -- download ---------------------------------------------------------------------------------


def ranged(body: bytes, kind: str = "audio/mpeg", *, cut_at: int | None = None,
           disposition: str = "") -> object:  # fmt: skip
    def handler(request: Request) -> Reply:
        headers = [("Content-Type", kind), ("ETag", '"v1"'), ("Accept-Ranges", "bytes")]
        if disposition:
            headers.append(("Content-Disposition", disposition))
        wanted = re.fullmatch(r"bytes=(\d+)-", request.header("range"))
        start = int(wanted.group(1)) if wanted and request.header("if-range") == '"v1"' else 0
        part = body[start:]
        if start:
            headers.append(("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"))
        headers.append(("Content-Length", str(len(part))))
        sent = part if cut_at is None or start else part[:cut_at]
        return Reply(206 if start else 200, headers, [sent])

    return handler


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    config(tmp_path, f'download_dir = "{folder}"\n')
    return folder


def test_download_saves_the_episode_with_plain_lines_off_a_terminal(
    cast: str, feed_server: FeedServer, downloads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    out = ok(capsys, "download", cast)
    assert (downloads / "episode-1.mp3").read_bytes() == EPISODE
    assert out.splitlines()[0].startswith("downloading http://127.0.0.1:")
    assert out.splitlines()[-1] == f"saved {downloads / 'episode-1.mp3'} (2.0 MiB)"
    assert not list(downloads.glob("*.part*"))


def test_an_interrupted_download_resumes(
    cast: str, feed_server: FeedServer, downloads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE, cut_at=700_000))
    code, _out, err = run(capsys, "download", cast)
    assert code == 1 and err.count("\n") == 1 and "what came is kept" in err
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    out = ok(capsys, "download", cast, "1")
    assert (downloads / "episode-1.mp3").read_bytes() == EPISODE
    assert "of it from an earlier attempt" in out
    assert feed_server.requests_to("/ep/episode-1.mp3")[-1].header("range") == "bytes=700000-"


@pytest.mark.parametrize(
    ("handler", "setting", "words"),
    [
        (status(404), "", "HTTP 404 Not Found"),
        (lambda r: Reply(200, [("Content-Type", "text/html")], b"<html><body>Sign in</body>"),
         "", "the server answered with a web page, not an audio file (audio/mpeg)"),
        (lambda r: Reply(200, [("Content-Type", "application/octet-stream")],
                         b"<!DOCTYPE html><html><body>Log in to listen</body></html>"),
         "", "not an audio file"),
        (ranged(EPISODE), "download_max_mb = 1\n", "larger than the 1 MiB limit"),
    ],
)  # fmt: skip
def test_a_download_that_fails_says_why_in_one_line(
    cast: str,
    feed_server: FeedServer,
    downloads: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    handler: object,
    setting: str,
    words: str,
) -> None:
    if setting:
        config(tmp_path, f'download_dir = "{downloads}"\n{setting}')
    feed_server.route("/ep/episode-1.mp3", handler)  # type: ignore[arg-type]
    code, _out, err = run(capsys, "download", cast)
    assert code == 1 and err.count("\n") == 1 and words in err, err
    assert list(downloads.iterdir()) == []  # nothing half-written left behind


def test_a_missing_download_folder_is_said_not_created(
    cast: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "usb-disk" / "podcasts"
    config(tmp_path, f'download_dir = "{missing}"\n')
    code, _out, err = run(capsys, "download", cast)
    assert code == 1 and err.count("\n") == 1
    assert f"the download folder {missing} does not exist" in err
    assert not missing.parent.exists()


def test_the_default_folder_is_made_in_the_data_folder(
    cast: str, feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    ok(capsys, "download", cast)
    assert (tmp_path / "data" / "downloads" / "episode-1.mp3").read_bytes() == EPISODE


@pytest.mark.parametrize(
    "disposition",
    ['attachment; filename="../../../etc/evil.mp3"', "attachment; filename*=UTF-8''..%2F..%2Fx.mp3",
     'attachment; filename="/tmp/abs.mp3"', 'attachment; filename=".."'],
)  # fmt: skip
def test_a_name_that_tries_to_leave_the_folder_stays_in_it(
    cast: str,
    feed_server: FeedServer,
    downloads: Path,
    capsys: pytest.CaptureFixture[str],
    disposition: str,
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE, disposition=disposition))
    out = ok(capsys, "download", cast)
    (saved,) = list(downloads.iterdir())
    assert saved.parent == downloads and saved.read_bytes() == EPISODE
    assert not saved.name.startswith(".") and "/" not in saved.name
    assert str(saved) in out


@pytest.mark.parametrize(
    ("episode", "words"),
    [("file:///etc/passwd", "file: URL is not fetched"),
     ("javascript:alert(1)", "javascript: URL is not fetched")],
)  # fmt: skip
def test_an_attachment_that_is_not_web_is_refused(
    feed_server: FeedServer,
    downloads: Path,
    capsys: pytest.CaptureFixture[str],
    episode: str,
    words: str,
) -> None:
    text = podcast(feed_server).replace(feed_server.url("/ep/episode-1.mp3"), episode)
    feed_server.route("/cast.xml", feed(text))
    ok(capsys, "add", feed_server.url("/cast.xml"), "--name", "Cast")
    code, _out, err = run(capsys, "download", only_item(capsys))
    assert code == 1 and err.count("\n") == 1 and words in err
    assert list(downloads.iterdir()) == []


def test_download_of_an_attachment_that_is_not_there(
    cast: str, downloads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "download", cast, "2")
    assert code == 1 and "no attachment 2 (it has 1: give 1)" in err
    code, _out, err = run(capsys, "download", cast, "0")
    assert code == 1 and "numbered from 1" in err


def namespace() -> list[str]:
    """unshare -rm: a user and mount namespace where a tmpfs or a read-only bind mount can be
    made (as root or not); skipped (failed under CI) where the kernel forbids it."""
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-rm", "true"], capture_output=True)
    if unshare is None or probe.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("unshare -rm is needed to make a full disk and a read-only folder")
        pytest.skip("no user namespaces here (unshare -rm)")
    return [unshare, "-rm"]


def in_namespace(setup: str, item: str) -> subprocess.CompletedProcess[str]:
    script = f'{setup} && exec "$0" -m streamtui download "$1"'
    return subprocess.run([*namespace(), "sh", "-c", script, sys.executable, item],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_full_disk_is_said_in_one_line_and_the_part_kept(
    cast: str, feed_server: FeedServer, downloads: Path
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    done = in_namespace(f"mount -t tmpfs -o size=512k none {downloads}", cast)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert "no space left on device" in line and line.startswith("streamtui: http://127.0.0.1:")


def test_a_read_only_folder_is_said_before_anything_is_fetched(
    cast: str, feed_server: FeedServer, downloads: Path
) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    setup = f"mount --bind {downloads} {downloads} && mount -o remount,bind,ro {downloads}"
    done = in_namespace(setup, cast)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert f"cannot write in the download folder {downloads} (read-only file system)" in line
    assert feed_server.requests_to("/ep/episode-1.mp3") == []


def test_progress_is_a_bar_on_a_terminal(
    cast: str, feed_server: FeedServer, downloads: Path
) -> None:
    """In a pseudo-terminal the download draws a bar on standard error, redrawn in place."""

    def slowly(request: Request) -> Reply:
        chunks: list[bytes | float] = []
        for start in range(0, len(EPISODE), 131072):
            chunks += [EPISODE[start : start + 131072], 0.05]
        headers = [("Content-Type", "audio/mpeg"), ("Content-Length", str(len(EPISODE)))]
        return Reply(200, headers, chunks)

    feed_server.route("/ep/episode-1.mp3", slowly)
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "streamtui", "download", cast],
                               stdin=secondary, stdout=secondary, stderr=secondary)  # fmt: skip
    os.close(secondary)
    output = b""
    try:
        for chunk in _read_all(primary, deadline=time.monotonic() + 60):
            output += chunk
        assert process.wait(timeout=10) == 0
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    assert b"\r[" in output and b"#" * 30 + b"] 2.0 MiB of 2.0 MiB" in output
    assert output.count(b"\r[") >= 3  # redrawn as it came
    assert b"saved " in output and (downloads / "episode-1.mp3").read_bytes() == EPISODE


def _read_all(fd: int, *, deadline: float) -> Iterator[bytes]:
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side closed
            return
        if not chunk:
            return
        yield chunk


def test_part_paths_stay_in_the_folder(downloads: Path) -> None:
    part, meta = part_paths(downloads, "https://example.org/../../../x.mp3")
    assert part.parent == downloads and meta.parent == downloads
