"""The account verbs of the command line, each run as a real process against the Google
Reader and Miniflux test servers: account add (the password from standard input, from a
command split as a shell would split it but run without one, or asked on the terminal without
echo), account list, account remove, sync, refresh; list, search, mark-read and star on
account items, pushed before the command exits; export leaving account feeds out; and no
secret (password, token) in any output, error, export or file but the credential file."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.feedserver import PROXY_VARIABLES
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer
from tests.support.servers.miniflux import MinifluxServer

PASSWORD = "Cli-secret+9/pw"
"""Needs encoding in a URL and a form, and is unlike any other text of the tests."""


def environment(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["STREAMTUI_DATA_DIR"] = str(data)
    return env


def streamtui(
    data: Path, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamtui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(data),
        timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: never asked on /dev/tty
    )


@pytest.fixture(params=["freshrss", "miniflux"])
def server(
    request: pytest.FixtureRequest, feed_site: FeedSite
) -> Iterator[GReaderServer | MinifluxServer]:
    made: GReaderServer | MinifluxServer
    if request.param == "freshrss":
        made = GReaderServer(dialect="freshrss", password=PASSWORD)
    else:
        made = MinifluxServer(password=PASSWORD)
    with made:
        k = feed_site.add_feed(items=3)
        made.store.subscribe(feed_site.feed_url(k), "News")
        yield made


@pytest.fixture
def one_server(feed_site: FeedSite) -> Iterator[GReaderServer]:
    """The FreshRSS dialect alone, for the cases where the server's kind does not matter."""
    with GReaderServer(dialect="freshrss", password=PASSWORD) as made:
        k = feed_site.add_feed(items=3)
        made.store.subscribe(feed_site.feed_url(k), "News")
        yield made


def kind(server: GReaderServer | MinifluxServer) -> str:
    return "greader" if isinstance(server, GReaderServer) else "miniflux"


def add(data: Path, server: GReaderServer | MinifluxServer) -> subprocess.CompletedProcess[str]:
    done = streamtui(
        data, "account", "add", kind(server), server.base_url, "--user", server.user,
        "--name", "work", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_account_add_list_sync_and_remove(one_server: GReaderServer, tmp_path: Path) -> None:
    server = one_server
    data = tmp_path / "data"
    done = add(data, server)
    assert "account 'work'" in done.stdout and "3 new item(s)" in done.stdout
    listed = streamtui(data, "account", "list", "--json")
    (record,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert record["name"] == "work" and record["kind"] == kind(server)
    assert record["url"] == server.base_url and record["user"] == server.user
    assert record["last_sync"] and record["pending"] == 0 and record["error"] is None
    plain = streamtui(data, "account", "list").stdout
    assert "work" in plain and "0 pending" in plain
    sources = [
        json.loads(line) for line in streamtui(data, "sources", "--json").stdout.splitlines()
    ]
    assert any(s["kind"] == "account" and s["folder"] == "News" for s in sources)
    synced = streamtui(data, "sync")
    assert synced.returncode == 0 and "work: 1 feed(s), 0 new item(s)" in synced.stdout
    removed = streamtui(data, "account", "remove", "work")
    assert removed.returncode == 0 and "removed account 'work'" in removed.stdout
    assert streamtui(data, "account", "list").stdout == ""
    left = [json.loads(line) for line in streamtui(data, "sources", "--json").stdout.splitlines()]
    assert [s["kind"] for s in left] == ["bundled"]


def test_list_search_mark_read_and_star_work_on_account_items_and_push_before_exit(
    server: GReaderServer | MinifluxServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    add(data, server)
    items = [json.loads(line) for line in streamtui(data, "list", "--json").stdout.splitlines()]
    mine = {i["title"]: i for i in items if i["source"].startswith("Feed ")}
    assert len(mine) == 3
    (first, second, _) = sorted(mine)
    found = streamtui(data, "search", first.split()[-3], "--json").stdout
    assert mine[first]["id"] in found
    done = streamtui(data, "mark-read", mine[first]["id"][:8])
    assert (done.returncode, done.stderr) == (0, "")
    starred = streamtui(data, "star", mine[second]["id"])
    assert (starred.returncode, starred.stderr) == (0, "")
    entries = {e.title: e for e in server.store.entries.values()}
    assert entries[first].read and entries[second].starred  # sent before the commands exited
    server.http.down()
    try:
        offline = streamtui(data, "mark-unread", mine[first]["id"])
    finally:
        server.http.up()
    assert offline.returncode == 0 and "marked 1 item(s) unread" in offline.stdout
    assert "work: " in offline.stderr and "1 change(s) wait for the next sync" in offline.stderr
    assert len(offline.stderr.splitlines()) == 1
    assert entries[first].read  # not sent: the server was down
    listed = json.loads(streamtui(data, "account", "list", "--json").stdout)
    assert listed["pending"] == 1 and "connection refused" in listed["error"]
    assert streamtui(data, "sync", "work").returncode == 0
    assert not entries[first].read


def test_refresh_syncs_accounts_and_fails_when_one_cannot(
    one_server: GReaderServer, tmp_path: Path
) -> None:
    server = one_server
    data = tmp_path / "data"
    add(data, server)
    assert streamtui(data, "refresh").returncode == 0
    server.http.down()
    try:
        done = streamtui(data, "refresh")
        synced = streamtui(data, "sync")
    finally:
        server.http.up()
    assert done.returncode == 1 and "work: " in done.stderr and "connection refused" in done.stderr
    assert synced.returncode == 1 and synced.stderr.count("\n") == 1


def test_the_password_comes_from_a_command_run_without_a_shell(
    tmp_path: Path, feed_site: FeedSite
) -> None:
    with GReaderServer(dialect="miniflux", password=PASSWORD) as server:
        data = tmp_path / "data"
        script = tmp_path / "secret tool.py"
        script.write_text(f"import sys\nprint({PASSWORD!r})\nprint('second line')\n")
        marker = tmp_path / "shell-ran"
        command = f"{sys.executable} '{script}' ; touch {marker}"  # ; is an argument, no shell
        done = streamtui(
            data, "account", "add", "greader", server.base_url, "--user", server.user,
            "--password-command", command,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not marker.exists()
        failing = streamtui(
            data, "account", "add", "greader", server.base_url, "--user", "other",
            "--password-command", f"{sys.executable} -c 'print(\"{PASSWORD}\"); exit(3)'",
        )  # fmt: skip
        assert failing.returncode == 1
        assert failing.stderr.strip() == (
            f"streamtui: --password-command: {sys.executable} failed (exit status 3); "
            "nothing was stored"
        )
        missing = streamtui(
            data, "account", "add", "greader", server.base_url, "--user", "x",
            "--password-command", "no-such-program-here --flag",
        )  # fmt: skip
        assert missing.stderr.strip().endswith("no-such-program-here: no such program")
        unbalanced = streamtui(
            data, "account", "add", "greader", server.base_url, "--user", "x",
            "--password-command", "pass 'show",
        )  # fmt: skip
        assert "cannot be split into words" in unbalanced.stderr
        assert PASSWORD not in failing.stdout + failing.stderr + done.stdout + done.stderr


def test_without_a_password_option_it_is_asked_on_the_terminal_without_echo(
    tmp_path: Path, feed_site: FeedSite
) -> None:
    with GReaderServer(dialect="freshrss", password=PASSWORD) as server:
        data = tmp_path / "data"
        no_tty = streamtui(data, "account", "add", "greader", server.base_url, "--user", "u")
        assert no_tty.returncode == 1
        assert "no terminal to ask the password on" in no_tty.stderr
        screen = in_a_terminal(
            data,
            ["account", "add", "greader", server.base_url, "--user", server.user],
            answer=PASSWORD,
        )
        assert "Password for tester at " in screen
        assert PASSWORD not in screen  # no echo
        assert "account '127.0.0.1'" in screen


def in_a_terminal(data: Path, args: list[str], answer: str, timeout: float = 60) -> str:
    """Run the command line in a new pseudo-terminal (its controlling terminal); type
    ``answer`` and Enter once it asks; return everything it showed."""
    leader, follower = pty.openpty()

    def own_terminal() -> None:
        import fcntl
        import termios

        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "streamtui", *args],
        stdin=follower, stdout=follower, stderr=follower, env=environment(data),
        preexec_fn=own_terminal, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    shown, asked = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
            if not asked and b"Password for" in shown:
                os.write(leader, answer.encode() + b"\r")
                asked = True
            if process.poll() is not None and not ready:
                break
    finally:
        process.kill()
        process.wait()
        os.close(leader)
    return shown.decode("utf-8", "replace")


def test_export_leaves_account_feeds_out_and_says_so(
    one_server: GReaderServer, tmp_path: Path
) -> None:
    server = one_server
    data = tmp_path / "data"
    add(data, server)
    done = streamtui(data, "export")
    assert done.returncode == 0 and "xmlUrl" not in done.stdout
    assert "1 feed(s) of server accounts were left out of the export" in done.stderr


def test_no_secret_in_any_output_export_or_file_but_the_credential_file(
    server: GReaderServer | MinifluxServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    texts = [add(data, server)]
    server.http.inject(status=500, count=1)
    texts.append(streamtui(data, "sync"))
    items = [json.loads(line) for line in streamtui(data, "list", "--json").stdout.splitlines()]
    for args in (
        ("account", "list"), ("account", "list", "--json"), ("sources",), ("sources", "--json"),
        ("list",), ("list", "--json"), ("search", "Feed"), ("mark-read", items[0]["id"]),
        ("star", items[1]["id"]), ("sync",), ("refresh",), ("export",),
        ("export", str(tmp_path / "out.opml")),
    ):  # fmt: skip
        texts.append(streamtui(data, *args))
    server.http.down()
    texts.append(streamtui(data, "mark-unread", items[0]["id"]))
    texts.append(streamtui(data, "sync"))
    server.http.up()
    kept = json.loads((data / "credentials.json").read_text())["entries"]["account/work"]
    secrets = [PASSWORD, *(v for k, v in kept.items() if k in ("secret", "extra.token") and v)]
    if isinstance(server, GReaderServer):
        assert kept["secret"] == "" and kept["extra.token"] == server.auth_token()
    seen = "\n".join(t.stdout + t.stderr for t in texts)
    assert "HTTP 500" in seen and "connection refused" in seen  # the errors were shown
    files = [p for p in [*data.rglob("*"), tmp_path / "out.opml"] if p.is_file()]
    assert any(p.name == "streamtui.db" for p in files)
    for secret in secrets:
        assert secret not in seen
        for path in files:
            if path.name != "credentials.json":
                assert secret.encode() not in path.read_bytes(), path
    assert oct((data / "credentials.json").stat().st_mode & 0o777) == "0o600"
    assert oct(data.stat().st_mode & 0o777) == "0o700"
