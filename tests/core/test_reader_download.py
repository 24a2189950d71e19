"""Downloading enclosures: resume, names that stay in their folder, limits; loopback servers."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui.core.reader.download import (
    DownloadError,
    DownloadLimits,
    Progress,
    check_folder,
    default_download_dir,
    download_sync,
    part_paths,
)
from streamtui.core.reader.names import MAX_NAME_BYTES, file_name, safe_name, unique_path
from tests.support.feedserver import (
    FeedServer,
    Handler,
    Reply,
    Request,
    drip,
    feed_server_fixture,  # noqa: F401
    hang,
    redirect,
)

EPISODE = bytes(range(256)) * 4096  # 1 MiB, every offset distinct enough to catch a splice
QUICK = DownloadLimits(connect=2, read=2, max_bytes=4 * 1024 * 1024, min_rate=50_000, window=1)


def ranged(
    body: bytes, etag: str = '"v1"', *, honour: bool = True, cut_at: int | None = None
) -> Handler:
    """200 with ``body`` (stopping after ``cut_at`` bytes, as a dropped connection would), or
    206 for ``Range: bytes=N-`` when ``honour`` and ``If-Range`` matches ``etag``."""

    def handler(request: Request) -> Reply:
        headers = [("Content-Type", "audio/mpeg"), ("ETag", etag), ("Accept-Ranges", "bytes")]
        wanted = re.fullmatch(r"bytes=(\d+)-", request.header("range"))
        start = int(wanted.group(1)) if wanted and honour else 0
        if start and request.header("if-range") not in ("", etag):
            start = 0  # the file changed: all of it, 200
        if start >= len(body) and start:
            return Reply(416, [("Content-Range", f"bytes */{len(body)}")])
        part = body[start:]
        status = 206 if start else 200
        if start:
            headers.append(("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"))
        headers.append(("Content-Length", str(len(part))))
        if cut_at is not None:
            return Reply(status, headers, [part[:cut_at]])  # then the connection closes
        return Reply(status, headers, part)

    return handler


def test_a_download_lands_whole_with_progress(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/ep/episode-1.mp3", ranged(EPISODE))
    seen: list[Progress] = []
    done = download_sync(
        feed_server.url("/ep/episode-1.mp3?x=1"), tmp_path, on_progress=seen.append
    )
    assert done.path == tmp_path / "episode-1.mp3"
    assert done.path.read_bytes() == EPISODE
    assert done.size == len(EPISODE) and done.resumed_from == 0
    assert seen[0].received == 0 and seen[-1] == Progress(len(EPISODE), len(EPISODE), 0)
    assert [p.received for p in seen] == sorted(p.received for p in seen)
    assert not list(tmp_path.glob("*.part*"))  # the part and its metadata are gone
    assert feed_server.requests_to("/ep/episode-1.mp3")[0].header("accept-encoding") == "identity"


def test_an_interrupted_download_resumes_with_range_and_if_range(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/ep.mp3")
    feed_server.route("/ep.mp3", ranged(EPISODE, cut_at=300_000))
    with pytest.raises(DownloadError, match="broke after 300,000 bytes"):
        download_sync(url, tmp_path)
    part, meta = part_paths(tmp_path, url)
    assert part.stat().st_size == 300_000 and meta.exists()
    assert not (tmp_path / "ep.mp3").exists()  # nothing under the final name until whole
    feed_server.route("/ep.mp3", ranged(EPISODE))
    done = download_sync(url, tmp_path)
    assert done.path.read_bytes() == EPISODE
    assert done.resumed_from == 300_000
    second = feed_server.requests_to("/ep.mp3")[-1]
    assert second.header("range") == "bytes=300000-"
    assert second.header("if-range") == '"v1"'


def test_a_server_that_ignores_range_restarts_cleanly(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/ep.mp3")
    feed_server.route("/ep.mp3", ranged(EPISODE, cut_at=500_000))
    with pytest.raises(DownloadError):
        download_sync(url, tmp_path)
    feed_server.route("/ep.mp3", ranged(EPISODE, honour=False))  # answers 200, whole file
    done = download_sync(url, tmp_path)
    assert done.path.read_bytes() == EPISODE  # not 500,000 bytes + the whole file
    assert done.resumed_from == 0


def test_a_changed_file_is_fetched_again_not_spliced(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/ep.mp3")
    feed_server.route("/ep.mp3", ranged(EPISODE, cut_at=400_000))
    with pytest.raises(DownloadError):
        download_sync(url, tmp_path)
    changed = bytes(reversed(EPISODE))
    feed_server.route("/ep.mp3", ranged(changed, etag='"v2"'))
    assert download_sync(url, tmp_path).path.read_bytes() == changed


def test_a_part_already_whole_is_finished_on_a_416(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.url("/ep.mp3")
    part, meta = part_paths(tmp_path, url)
    part.write_bytes(EPISODE)
    meta.write_text(json.dumps({"url": url, "validator": '"v1"'}))
    feed_server.route("/ep.mp3", ranged(EPISODE))
    done = download_sync(url, tmp_path)
    assert done.path.read_bytes() == EPISODE and done.resumed_from == len(EPISODE)


def test_without_a_validator_nothing_is_resumed(feed_server: FeedServer, tmp_path: Path) -> None:
    def no_etag(request: Request) -> Reply:
        return Reply(200, [("Content-Type", "audio/mpeg")], EPISODE)

    url = feed_server.url("/ep.mp3")
    part, _ = part_paths(tmp_path, url)
    part.write_bytes(b"stale bytes of another version")
    feed_server.route("/ep.mp3", no_etag)
    assert download_sync(url, tmp_path).path.read_bytes() == EPISODE
    assert feed_server.requests_to("/ep.mp3")[0].header("range") == ""


def test_a_dripping_server_is_dropped_by_the_minimum_speed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/drip.mp3", drip(20))  # 20 bytes a second: never a read timeout
    started = time.monotonic()
    with pytest.raises(DownloadError, match="too slow"):
        download_sync(feed_server.url("/drip.mp3"), tmp_path, limits=QUICK)
    assert time.monotonic() - started < 5


def test_a_server_that_never_answers_times_out(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/hang.mp3", hang())
    with pytest.raises(DownloadError, match="timed out"):
        download_sync(feed_server.url("/hang.mp3"), tmp_path, limits=QUICK)


def test_a_huge_body_stops_at_the_configured_cap(feed_server: FeedServer, tmp_path: Path) -> None:
    def endless(request: Request) -> Reply:
        def chunks() -> Iterator[bytes]:
            while True:
                yield bytes(64 * 1024)

        return Reply(200, [("Content-Type", "audio/mpeg")], chunks(), chunked=True)

    def declared(request: Request) -> Reply:
        return Reply(200, [("Content-Length", str(10**12))], [b"x"])

    feed_server.route("/endless.mp3", endless)
    feed_server.route("/declared.mp3", declared)
    folder = tmp_path / "downloads"
    for path in ("/endless.mp3", "/declared.mp3"):
        with pytest.raises(DownloadError, match="larger than the 4 MiB limit"):
            download_sync(feed_server.url(path), folder, limits=QUICK)
    assert list(folder.iterdir()) == []  # a part over the cap is of no use: gone


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "javascript:alert(1)", "data:audio/mpeg;base64,AAAA"]
)
def test_a_redirect_to_anything_but_http_is_refused(
    feed_server: FeedServer, tmp_path: Path, location: str
) -> None:
    feed_server.route("/ep.mp3", redirect(302, location))
    folder = tmp_path / "downloads"
    with pytest.raises(DownloadError, match="not followed") as caught:
        download_sync(feed_server.url("/ep.mp3"), folder)
    assert "\n" not in str(caught.value)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:x", "ftp://e.org/a.mp3"])
def test_only_http_urls_are_downloaded(tmp_path: Path, url: str) -> None:
    with pytest.raises(DownloadError, match="only http and https"):
        download_sync(url, tmp_path)


def test_redirects_are_followed_and_counted(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/a", redirect(301, "/b"))
    feed_server.route("/b", redirect(302, "/files/show.mp3"))
    feed_server.route("/files/show.mp3", ranged(EPISODE))
    assert download_sync(feed_server.url("/a"), tmp_path).path.name == "show.mp3"
    feed_server.route("/loop", redirect(302, "/loop"))
    with pytest.raises(DownloadError, match="too many redirects"):
        download_sync(feed_server.url("/loop"), tmp_path)


def test_an_http_error_is_one_line(feed_server: FeedServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404 Not Found"):
        download_sync(feed_server.url("/missing.mp3"), tmp_path)


def test_a_taken_name_is_never_overwritten(feed_server: FeedServer, tmp_path: Path) -> None:
    (tmp_path / "ep.mp3").write_bytes(b"mine")
    feed_server.route("/ep.mp3", ranged(EPISODE))
    done = download_sync(feed_server.url("/ep.mp3"), tmp_path)
    assert done.path.name == "ep (2).mp3"
    assert (tmp_path / "ep.mp3").read_bytes() == b"mine"


def test_content_disposition_names_the_file_safely(feed_server: FeedServer, tmp_path: Path) -> None:
    def named(request: Request) -> Reply:
        headers = [("Content-Disposition", 'attachment; filename="../../.bashrc"')]
        return Reply(200, headers, b"data")

    feed_server.route("/get", named)
    done = download_sync(feed_server.url("/get"), tmp_path / "downloads")
    assert done.path == tmp_path / "downloads" / "bashrc"
    assert not (tmp_path / ".bashrc").exists()


def test_cancel_keeps_the_part_to_resume(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/ep.mp3", ranged(EPISODE))
    cancel = threading.Event()

    def stop_early(progress: Progress) -> None:
        if progress.received >= 64 * 1024:
            cancel.set()

    with pytest.raises(DownloadError, match="cancelled"):
        download_sync(feed_server.url("/ep.mp3"), tmp_path, on_progress=stop_early, cancel=cancel)
    part, _ = part_paths(tmp_path, feed_server.url("/ep.mp3"))
    assert part.stat().st_size >= 64 * 1024
    done = download_sync(feed_server.url("/ep.mp3"), tmp_path)
    assert done.path.read_bytes() == EPISODE and done.resumed_from > 0


def test_a_password_goes_to_its_own_host_and_into_no_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/private.mp3", ranged(EPISODE))
    url = feed_server.url("/private.mp3").replace("http://", "http://alice:s3cret@")
    done = download_sync(url, tmp_path)
    assert done.path.read_bytes() == EPISODE
    assert feed_server.requests_to("/private.mp3")[0].header("authorization").startswith("Basic")
    feed_server.route("/gone.mp3", lambda request: Reply(410))
    with pytest.raises(DownloadError) as caught:
        download_sync(url.replace("private", "gone"), tmp_path)
    assert "s3cret" not in str(caught.value)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("episode.mp3", "episode.mp3"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("..", "download"),
        (".hidden", "hidden"),
        ("...", "download"),
        ("", "download"),
        ("evil\x1b]52;c;AAAA\x07.mp3", "evil.mp3"),
        ("a\u202egnp.exe", "agnp.exe"),
        ("name\x00.mp3", "name.mp3"),
        ("CON.mp3", "_CON.mp3"),
        ('what?*:"<>|.mp3', "what_______.mp3"),
        ("trailing. . ", "trailing"),
    ],
)
def test_safe_names_stay_in_their_folder(given: str, expected: str) -> None:
    name = safe_name(given)
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert all(ch.isprintable() for ch in name)


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = safe_name("é" * 300 + ".mp3")
    assert name.endswith(".mp3")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert "\ufffd" not in name


def test_file_name_prefers_content_disposition_then_the_url() -> None:
    url = "https://cdn.example.org/feeds/123/ep%2042%20%C3%A9t%C3%A9.mp3?token=x"
    assert file_name(url) == "ep 42 été.mp3"
    assert file_name(url, 'attachment; filename="Show - 42.mp3"') == "Show - 42.mp3"
    assert file_name(url, "attachment; filename*=UTF-8''%C3%A9pisode.mp3") == "épisode.mp3"
    assert file_name(url, 'attachment; filename="../"') == "ep 42 été.mp3"
    assert file_name("https://e.org/", "", "audio/mpeg") == "download.mp3"


def test_unique_path_numbers_taken_names(tmp_path: Path) -> None:
    (tmp_path / "a.mp3").write_bytes(b"")
    (tmp_path / "a (2).mp3").write_bytes(b"")
    os.symlink(tmp_path / "nowhere", tmp_path / "b.mp3")  # a dangling link is taken too
    assert unique_path(tmp_path, "a.mp3").name == "a (3).mp3"
    assert unique_path(tmp_path, "b.mp3").name == "b (2).mp3"
    assert unique_path(tmp_path, "c").name == "c"


def test_the_default_folder_is_downloads_else_the_data_folder(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    assert default_download_dir() == Path(os.environ["STREAMTUI_DATA_DIR"]) / "downloads"
    (home / "Downloads").mkdir()
    assert default_download_dir() == home / "Downloads"


def test_a_name_taken_after_it_was_chosen_is_not_overwritten(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamtui.core.reader.download as module

    folder = tmp_path / "downloads"
    folder.mkdir()
    calls: list[str] = []

    def racing(where: Path, name: str) -> Path:
        calls.append(name)
        if len(calls) == 1:  # another program creates the name between the check and the rename
            (where / name).write_bytes(b"theirs")
            return where / name
        return unique_path(where, name)

    monkeypatch.setattr(module, "unique_path", racing)
    feed_server.route("/ep.mp3", ranged(EPISODE))
    done = download_sync(feed_server.url("/ep.mp3"), folder)
    assert (folder / "ep.mp3").read_bytes() == b"theirs"
    assert done.path == folder / "ep (2).mp3" and done.path.read_bytes() == EPISODE


def test_a_web_page_in_place_of_the_announced_audio_is_refused(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A login or error page answered with 200: by its type, then by its first bytes (an
    untyped one); nothing is left in the folder."""
    page = b"<!DOCTYPE html><html><body>Please log in to listen</body></html>"
    feed_server.route("/typed.mp3", lambda r: Reply(200, [("Content-Type", "text/html")], page))
    feed_server.route("/untyped.mp3", lambda r: Reply(200, [], page))
    folder = tmp_path / "episodes"
    for path in ("/typed.mp3", "/untyped.mp3"):
        with pytest.raises(DownloadError, match="a web page, not an audio file"):
            download_sync(feed_server.url(path), folder, expect="audio/mpeg")
    assert list(folder.iterdir()) == []
    feed_server.route("/page.html", lambda r: Reply(200, [("Content-Type", "text/html")], page))
    assert download_sync(feed_server.url("/page.html"), folder, expect="text/html").size > 0


def test_a_folder_that_cannot_take_the_file_is_said_before_any_request(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/ep.mp3", ranged(EPISODE))
    missing = tmp_path / "not-mounted" / "podcasts"
    with pytest.raises(DownloadError, match="does not exist"):
        check_folder(feed_server.url("/ep.mp3"), missing, create=False)
    assert not missing.parent.exists()
    check_folder(feed_server.url("/ep.mp3"), missing, create=True)
    assert missing.is_dir() and list(missing.iterdir()) == []  # the probe file is gone
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(DownloadError, match="is not a folder"):
        check_folder(feed_server.url("/ep.mp3"), a_file, create=True)
    assert feed_server.requests_to("/ep.mp3") == []
