"""Secrets and files that belong to the user (issue 12).

A password in a feed URL is never shown, logged, exported, put in an error or stored in the
database: it lives in the credential store (0600, beside the database) and goes to its own
origin only, as Basic auth. The data folder and the database are private. ``export FILE``
writes through symlinks, keeps modes, refuses special files and stays atomic. Real loopback
servers throughout: the feeds answer only to the password, and a second origin records what
a redirect brings it (tests/support/secrets_scenario.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamtui.core import paths
from streamtui.core.credentials import Credential, CredentialStore, login_from_url
from streamtui.core.errors import CredentialError, SourceError, StreamtuiError
from streamtui.core.fetch import FetchError, Limits, fetch_one
from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.core.text.redact import mask_passwords, redact_text, split_login
from tests.support.secrets_scenario import (
    IN_URL,
    PASSWORD,
    USER,
    SecretServers,
    Verbs,
    app_session,
    database_bytes,
    every_verb,
    leaks,
    old_database,
)

FAST = Limits(connect=2, read=5, total=10)
SECRET = "S3cr3t-wombat"


# -- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://alice:S3cr3t-wombat@host/feed", "http://alice@host/feed"),
        ("https://alice:S3cr3t-wombat@host:8443/f?x=1", "https://alice@host:8443/f?x=1"),
        ("streamtui: http://u:S3cr3t-wombat@h/f: HTTP 401", "streamtui: http://u@h/f: HTTP 401"),
        ("http://:S3cr3t-wombat@host/", "http://host/"),
        ("feed:http://u:S3cr3t-wombat@h/", "feed:http://u@h/"),
        ("<http://u:S3cr3t-wombat@h/a> and 'http://v:S3cr3t-wombat@k/'",
         "<http://u@h/a> and 'http://v@k/'"),
        # as a user may type it: a raw @, / or ? in the password
        ("http://u:S3cr3t@wombat@host/f", "http://u@host/f"),
        ("http://u:S3cr3t/wombat@host/f", "http://u@host/f"),
        ("http://u:S3cr3t?wombat@host/f", "http://u@host/f"),
        ("http://u:S3cr3t-wombat@host/x?mail=a@b", "http://u@host/x?mail=a@b"),
        # nothing to hide
        ("http://host:8080/feed?author=me@example.org", "http://host:8080/feed?author=me@example.org"),
        ("http://alice@host/feed", "http://alice@host/feed"),
        ("mailto:me@example.org", "mailto:me@example.org"),
        ("no URL: a:b@c", "no URL: a:b@c"),
    ],
)  # fmt: skip
def test_redact_text_cuts_the_password_out_of_any_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown
    assert "wombat" not in redact_text(text) or "wombat" not in text.split("@")[0]


def test_split_login_keeps_the_user_and_decodes_the_password() -> None:
    assert split_login("http://al%20ice:S3cr%40t@host:81/f?q") == (
        "http://al%20ice@host:81/f?q", "al ice", "S3cr@t",
    )  # fmt: skip
    assert split_login("http://alice@host/f") == ("http://alice@host/f", "", None)
    plain, login = login_from_url("http://alice:pw@HOST:80/f")
    assert plain == "http://alice@HOST:80/f"
    assert login is not None and login.origin == "http://host:80" and login.secret == "pw"
    assert "pw" not in repr(login)  # never in a repr, a log or a traceback
    assert login.sendable_to("http://host/other") and not login.sendable_to("https://host/f")
    assert not login.sendable_to("http://host:8080/f") and not login.sendable_to("http://h2/f")


def test_a_url_field_draws_dots_for_the_password_even_while_it_is_typed() -> None:
    assert mask_passwords("http://alice:S3cret@host/f") == "http://alice:••••••@host/f"
    assert mask_passwords("http://alice:S3c") == "http://alice:•••"  # the @ not typed yet
    assert mask_passwords("http://host:80/f") == "http://host:80/f"


# -- the credential store -------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_keeps_entries_by_kind_and_name_in_a_private_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = CredentialStore.beside(folder / "streamtui.db")
    secret = Credential("alice", SECRET, "https://host:443", scope="old key")
    store.put("feed", "https://alice@host/feed", secret)
    store.put("account", "home", Credential("bob", "token", "https://rss:443", extra={"t": "1"}))
    again = CredentialStore.beside(folder / "streamtui.db")  # another process, say
    assert again.get("feed", "https://alice@host/feed") == secret
    assert again.get("account", "home") == Credential(
        "bob", "token", "https://rss:443", extra={"t": "1"}
    )
    assert again.names("feed") == ["https://alice@host/feed"] and again.names("account") == ["home"]
    file = folder / paths.CREDENTIALS_NAME
    assert mode(file) == 0o600 and mode(folder) == 0o700
    assert SECRET in file.read_text() and SECRET not in repr(secret)
    again.delete("feed", "https://alice@host/feed")
    assert store.get("feed", "https://alice@host/feed") is None
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_a_missing_file_is_empty_and_a_corrupt_one_is_named_and_never_overwritten(
    tmp_path: Path,
) -> None:
    store = CredentialStore.beside(tmp_path / "streamtui.db")
    assert store.get("feed", "x") is None and store.names("feed") == []
    file = tmp_path / paths.CREDENTIALS_NAME
    for garbage in (b"{not json", b"[]", b'{"version": 9, "entries": {}}', b"\xff\xfe\x00"):
        file.write_bytes(garbage)
        with pytest.raises(CredentialError) as caught:
            store.get("feed", "x")
        assert str(file) in str(caught.value) and "\n" not in str(caught.value)
        with pytest.raises(CredentialError):
            store.put("feed", "x", Credential("u", SECRET, "http://h:80"))
        assert file.read_bytes() == garbage  # what it held is the user's to recover


WRITER = r"""
import sys
from pathlib import Path
from streamtui.core.credentials import Credential, CredentialStore
store = CredentialStore.beside(Path(sys.argv[1]))
for n in range(int(sys.argv[3])):
    store.put("feed", f"{sys.argv[2]}-{n}", Credential("u", f"pw-{n}", "http://h:80"))
"""


def test_two_processes_writing_at_once_keep_every_entry(tmp_path: Path) -> None:
    db = tmp_path / "streamtui.db"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), name, "40"])
        for name in ("one", "two")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert len(CredentialStore.beside(db).names("feed")) == 80


# -- fetching -------------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[SecretServers]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    try:
        with SecretServers() as running:
            yield running
    finally:
        os.environ.update(saved)


def test_the_password_goes_as_basic_auth_and_never_in_a_request_url(
    servers: SecretServers,
) -> None:
    fetched = fetch_one(servers.url("/feed.xml"), limits=FAST)
    assert fetched.status == 200 and servers.authorised("/feed.xml") == 1
    assert not leaks(fetched.url + fetched.final_url)
    assert all(not leaks(r.path) for r in servers.home.requests)


def test_a_redirect_to_another_origin_leaves_the_password_behind(servers: SecretServers) -> None:
    fetched = fetch_one(servers.url("/moved.xml"), limits=FAST)
    assert fetched.final_url == servers.away.url("/moved.xml")
    assert servers.away.requests_to("/moved.xml")
    assert [r.header("authorization") for r in servers.away.requests] == [""]
    assert not leaks(" ".join(servers.away_texts()))


def test_a_redirect_on_the_same_origin_keeps_it(servers: SecretServers) -> None:
    fetched = fetch_one(servers.url("/relative.xml"), limits=FAST)
    assert fetched.status == 200 and servers.authorised("/feed.xml") == 1
    # a permanent redirect on the same origin is where the feed moves: with its user name
    assert fetched.permanent_redirect == f"http://{USER}@127.0.0.1:{servers.home.port}/feed.xml"


def test_a_credential_goes_only_to_the_origin_it_was_given_for(servers: SecretServers) -> None:
    login = Credential(USER, PASSWORD, f"http://127.0.0.1:{servers.away.port}")
    with pytest.raises(FetchError, match="HTTP 401"):  # the home server never gets it
        fetch_one(servers.home.url("/feed.xml"), limits=FAST, login=login)
    assert servers.home.requests_to("/feed.xml")[0].header("authorization") == ""


def test_fetch_errors_never_carry_the_password(servers: SecretServers) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_one(servers.url("/wrong.xml"), limits=FAST)
    assert "HTTP 401" in str(caught.value) and not leaks(str(caught.value))
    assert not leaks(caught.value.source) and f"{USER}@127.0.0.1" in caught.value.source
    error = SourceError(f"http://{USER}:{IN_URL}@h/f", f"see http://{USER}:{IN_URL}@h/g")
    assert not leaks(str(error) + error.source + error.reason)
    assert not leaks(str(StreamtuiError(f"x http://{USER}:{PASSWORD}@h/")))


# -- every command line verb ----------------------------------------------------------------


ONE_RUN = pytest.mark.xdist_group("secrets-every-verb")
"""The tests of every verb's run share one worker, so the 40-odd processes run once per run (a
module fixture is computed again on every xdist worker that runs one of its tests)."""


@pytest.fixture(scope="module")
def verbs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Verbs, SecretServers]]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    try:
        with SecretServers() as running:
            yield every_verb(tmp_path_factory.mktemp("verbs"), running), running
    finally:
        os.environ.update(saved)


def output(result: Verbs, label: str) -> str:
    return "".join(str(o.data) for o in result.outcomes if o.label.startswith(label + ":"))


@ONE_RUN
def test_no_verb_output_error_export_or_file_shows_the_password(
    verbs: tuple[Verbs, SecretServers],
) -> None:
    result, _ = verbs
    assert len(result.outcomes) >= 60
    assert result.leaked() == []


@ONE_RUN
def test_every_verb_did_its_work_with_the_password_sent_where_it_belongs(
    verbs: tuple[Verbs, SecretServers],
) -> None:
    result, servers = verbs
    assert result.failures == []
    assert "added 'Private'" in output(result, "add")
    assert "updated the password of 'Private'" in output(result, "add a second time")
    assert "HTTP 401" in output(result, "add, wrong password")
    assert "connection refused" in output(result, "add, nothing listening")
    assert "already subscribed" in output(result, "add, redirected on the same origin")
    assert f"{USER}@127.0.0.1:{servers.home.port}/feed.xml" in output(result, "sources")
    assert "Private feed 2: HTTP 500" in output(result, "refresh, failing")
    assert "HTTP 500" in output(result, "sources with an error")
    assert "removed 'Second'" in output(result, "remove by URL")
    assert "password of 2 feed(s) was left out" in output(result, "export")
    rows = [json.loads(line) for line in output(result, "sources --json").splitlines()]
    assert [r["password_stored"] for r in rows] == [False, True, True]
    assert servers.authorised("/second.xml") >= 1  # imported, then refreshed with it


@ONE_RUN
def test_the_password_lives_in_the_credential_file_only(
    verbs: tuple[Verbs, SecretServers],
) -> None:
    result, servers = verbs
    data = result.data
    file = data / paths.CREDENTIALS_NAME
    assert mode(data) == 0o700 and mode(file) == 0o600
    assert all(mode(p) == 0o600 for p in data.glob("streamtui.db*"))
    store = CredentialStore.beside(data / "streamtui.db")
    feed = f"http://{USER}@127.0.0.1:{servers.home.port}/feed.xml"
    assert store.names("feed") == sorted([feed, feed.replace("feed.xml", "moved.xml")])
    found = store.get("feed", feed)
    assert found is not None and (found.user, found.secret) == (USER, PASSWORD)
    assert found.origin == f"http://127.0.0.1:{servers.home.port}"


# -- a database from before the credential store (migration 5) ------------------------------


def test_migration_5_moves_passwords_out_and_keeps_every_item_id(
    tmp_path: Path, servers: SecretServers
) -> None:
    data = tmp_path / "data"
    url = servers.url("/feed.xml")
    imported = f"{USER}:{IN_URL}@127.0.0.1:{servers.home.port}"  # the old import's name
    ids = old_database(data / "streamtui.db", [(imported, url, url)])
    assert leaks(database_bytes(data))  # the old code's database holds it everywhere

    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "no-guide")
    [source] = library.sources()
    plain = f"http://{USER}@127.0.0.1:{servers.home.port}/feed.xml"
    assert (source.location, source.key, source.login) == (plain, plain, True)
    assert source.name == f"127.0.0.1:{servers.home.port}" and not leaks(source.last_error)
    found = library.credentials.get("feed", plain)
    assert found is not None and (found.user, found.secret, found.scope) == (USER, PASSWORD, url)
    summary = library.refresh(limits=FAST)  # fetched with the password, parsed with the scope
    assert (summary.failed, summary.added) == (0, 0), summary.failures
    assert servers.authorised("/feed.xml") == 1
    rows = library.rows(library.view(), 0, 100)
    assert sorted(r.id for r in rows) == sorted(ids[url])  # the same ids: nothing twice
    assert [(r.read, r.starred) for r in sorted(rows, key=lambda r: r.id)] == [
        (r.id == ids[url][0], r.id == ids[url][1]) for r in sorted(rows, key=lambda r: r.id)
    ]
    article = library.article(ids[url][0])
    assert not leaks(article.link + article.base + " ".join(e.url for e in article.enclosures))
    assert not leaks(database_bytes(data))  # while open too: the -wal is there
    library.close()
    assert not leaks(database_bytes(data))  # rebuilt: no old copy in free space, nor the wal
    assert (data / paths.CREDENTIALS_NAME).stat().st_mode & 0o077 == 0


def test_migration_5_handles_a_moved_feed_and_two_logins_on_one_url(tmp_path: Path) -> None:
    """Only the key holds the password (the feed moved since it was added); two sources
    whose URLs differ only in the password (their plain URLs would collide)."""
    data = tmp_path / "data"
    moved_key = f"https://{USER}:{IN_URL}@old.example/feed"
    twin_a = f"https://{USER}:{IN_URL}@h.example/f"
    twin_b = f"https://{USER}:other-{IN_URL}@h.example/f"
    old_database(
        data / "streamtui.db",
        [("moved", "https://new.example/feed", moved_key), ("a", twin_a, twin_a),
         ("b", twin_b, twin_b)],
    )  # fmt: skip
    store = Store.open(data / "streamtui.db")
    sources = {s.name: s for s in store.sources()}
    assert sources["moved"].location == "https://new.example/feed"
    assert sources["moved"].key == f"https://{USER}@old.example/feed"
    assert sources["a"].location == f"https://{USER}@h.example/f"
    assert sources["b"].location == f"https://{USER}@h.example/f#3"  # a fragment is not sent
    assert all(s.login for s in sources.values())
    credentials = CredentialStore.beside(data / "streamtui.db")
    moved = credentials.get("feed", sources["moved"].key)
    assert moved is not None and moved.scope == moved_key
    assert moved.origin == "https://old.example:443"  # never sent to the new host
    twin = credentials.get("feed", sources["b"].key)
    assert twin is not None and twin.secret == "other-" + PASSWORD
    store.close()
    assert not leaks(database_bytes(data))


def test_a_feed_whose_password_is_missing_fails_with_a_message_and_keeps_its_ids(
    tmp_path: Path, servers: SecretServers
) -> None:
    data = tmp_path / "data"
    url = servers.url("/feed.xml")
    ids = old_database(data / "streamtui.db", [("private", url, url)])
    Store.open(data / "streamtui.db").close()
    (data / paths.CREDENTIALS_NAME).unlink()  # lost, or another machine's copy of the data
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "no-guide")
    summary = library.refresh(limits=FAST)
    assert summary.failed == 1 and "password is missing" in summary.failures[0]
    assert not servers.home.requests  # not fetched: ids made without the scope would differ
    # the user gives it again: the same source, the same ids
    source, report = library.add_source(url)
    assert report.password_updated and source.name == "private"
    found = library.credentials.get("feed", source.key)
    assert found is not None and found.scope == url  # given as first added: the old key
    summary = library.refresh(limits=FAST)
    assert (summary.failed, summary.added) == (0, 0), summary.failures
    assert sorted(r.id for r in library.rows(library.view(), 0, 100)) == sorted(ids[url])
    library.close()


def test_remove_deletes_the_password_and_rename_keeps_it(
    tmp_path: Path, servers: SecretServers
) -> None:
    library = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=tmp_path / "x")
    source, _ = library.add_source(servers.url("/feed.xml"))
    library.rename_source(source.name, "Renamed")
    assert library.credentials.get("feed", source.key) is not None
    assert library.refresh(limits=FAST).failed == 0 and servers.authorised("/feed.xml") == 2
    library.remove_source("Renamed")
    assert library.credentials.names("feed") == []
    library.close()


# -- private files --------------------------------------------------------------------------

PYTHON = sys.executable


def streamtui(data: Path, *args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STREAMTUI_DATA_DIR": str(data)}
    return subprocess.run(
        [PYTHON, "-m", "streamtui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )


def test_the_data_folder_and_database_are_created_private_whatever_the_umask(
    tmp_path: Path,
) -> None:
    data = tmp_path / "deep" / "data"
    done = streamtui(data, "sources", umask=0)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert mode(data) == 0o700 and mode(data / "streamtui.db") == 0o600
    store = Store.open(data / "streamtui.db")  # while open: the -wal and -shm are there
    store.set_meta("x", "1")
    assert {p.name: mode(p) for p in data.glob("streamtui.db*")} == {
        "streamtui.db": 0o600, "streamtui.db-wal": 0o600, "streamtui.db-shm": 0o600,
    }  # fmt: skip
    store.close()


def test_an_existing_open_folder_and_database_are_tightened_with_a_notice(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    Store.open(data / "streamtui.db").close()
    data.chmod(0o755)
    (data / "streamtui.db").chmod(0o644)
    (data / paths.CREDENTIALS_NAME).write_text('{"version": 1, "entries": {}}')
    (data / paths.CREDENTIALS_NAME).chmod(0o664)
    done = streamtui(data, "sources")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines == [
        f"streamtui: {data}: other users could read it (mode 0755); made private (0700)",
        f"streamtui: {data / 'streamtui.db'}: other users could read it (mode 0644); made "
        "private (0600)",
        f"streamtui: {data / paths.CREDENTIALS_NAME}: other users could read it (mode 0664); "
        "made private (0600)",
    ]
    assert mode(data) == 0o700 and mode(data / "streamtui.db") == 0o600
    again = streamtui(data, "sources")
    assert again.returncode == 0 and again.stderr == ""  # said once: it is private now


def test_a_shared_folder_such_as_tmp_is_never_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp: everyone's files, the sticky bit
    Store.open(shared / "x.db").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert mode(shared / "x.db") == 0o600  # the database's own file is still private
    home = tmp_path / "user-home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    monkeypatch.setenv("HOME", str(home))
    Store.open(home / "streamtui.db").close()  # STREAMTUI_DATA_DIR=$HOME
    assert mode(home) == 0o755 and mode(home / "streamtui.db") == 0o600


async def test_the_app_says_it_tightened_the_data_folder(tmp_path: Path) -> None:
    from streamtui.core.library import open_library
    from streamtui.ui.app import StreamApp

    data = tmp_path / "data"
    data.mkdir(mode=0o777)
    data.chmod(0o777)
    library, message = open_library(data)
    app = StreamApp(library, startup_message=message, sync_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
    library.close()
    assert any("other users could read it (mode 0777); made private (0700)" in s for s in shown)
    assert mode(data) == 0o700


def test_a_read_only_folder_open_to_others_still_browses_and_says_both(tmp_path: Path) -> None:
    from tests.reliability.test_faults import pages, run_read_only, stored

    data = tmp_path / "data"
    stored(data, pages(tmp_path / "news", 2))
    data.chmod(0o755)
    done = run_read_only(data, [PYTHON, "-m", "streamtui", "--data-dir", str(data), "list"])
    assert done.returncode == 0, done.stderr
    assert "cannot save here (read-only)" in done.stderr
    if os.geteuid() == 0:  # a read-only mount: the mode cannot change, and it says so
        assert "could not be made private" in done.stderr and mode(data) == 0o755
    assert "Traceback" not in done.stderr


# -- export FILE ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exporting_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder with one feed (with a password), added once per worker by the CLI."""
    base = tmp_path_factory.mktemp("exporting")
    data = base / "data"
    with pytest.MonkeyPatch.context() as patch:
        # set up before the autouse isolated home: this fixture isolates its own
        (base / "home").mkdir()
        patch.setenv("HOME", str(base / "home"))
        patch.setenv("STREAMTUI_CONFIG_DIR", str(base / "config"))
        for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
            patch.delenv(key)
        with SecretServers() as running:
            assert streamtui(data, "add", running.url("/feed.xml")).returncode == 0
    return data


@pytest.fixture
def exporting(tmp_path: Path, exporting_template: Path) -> Path:
    """A data folder with one feed (with a password) to export: a copy of the template, its
    modes kept (the folder 0700, the database and the credential file 0600)."""
    data = tmp_path / "data"
    shutil.copytree(exporting_template, data)
    assert mode(data) == 0o700 and mode(data / paths.CREDENTIALS_NAME) == 0o600
    return data


def exported(data: Path, target: Path | str) -> subprocess.CompletedProcess[str]:
    return streamtui(data, "export", str(target))


def is_opml(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith("<?xml") and "xmlUrl=" in path.read_text()


def no_partials(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_export_writes_through_a_symlink_to_its_target_keeping_its_mode(
    exporting: Path, tmp_path: Path
) -> None:
    real = tmp_path / "kept" / "subscriptions.opml"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.opml"
    link.symlink_to(real)
    done = exported(exporting, link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link stays a link
    assert is_opml(real) and mode(real) == 0o640 and no_partials(real.parent)
    assert "password of 1 feed(s) was left out" in done.stderr and not leaks(real.read_text())


def test_export_through_a_dangling_symlink_creates_its_target(
    exporting: Path, tmp_path: Path
) -> None:
    target = tmp_path / "later.opml"
    link = tmp_path / "link.opml"
    link.symlink_to(target)
    assert exported(exporting, link).returncode == 0
    assert link.is_symlink() and is_opml(target) and mode(target) == 0o600


@pytest.mark.parametrize("existing", [0o600, 0o644, None], ids=["0600", "0644", "new"])
def test_export_keeps_the_mode_of_an_existing_file_and_makes_a_new_one_private(
    exporting: Path, tmp_path: Path, existing: int | None
) -> None:
    target = tmp_path / "out.opml"
    if existing is not None:
        target.write_text("old")
        target.chmod(existing)
    assert exported(exporting, target).returncode == 0
    assert is_opml(target) and mode(target) == (existing or 0o600)
    assert no_partials(tmp_path)


def test_export_refuses_a_fifo_without_waiting_for_a_reader(
    exporting: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.opml"
    os.mkfifo(fifo)
    done = exported(exporting, fifo)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"streamtui: {fifo}: not a regular file (a named pipe (FIFO)); nothing was written"
    )
    assert stat.S_ISFIFO(fifo.stat().st_mode) and no_partials(tmp_path)


@pytest.mark.parametrize("kind", ["folder", "device", "socket", "loop"])
def test_export_refuses_other_special_targets_with_one_line(
    exporting: Path, tmp_path: Path, kind: str
) -> None:
    import socket

    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
    elif kind == "device":
        target = Path("/dev/null")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        here = os.getcwd()
        os.chdir(tmp_path)  # bound by a relative name: a long folder path would not fit
        try:
            server.bind(target.name)
        finally:
            os.chdir(here)
    else:
        target.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(target)
    done = exported(exporting, target)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"streamtui: {target}: ") and "internal error" not in line
    reason = {"folder": "a folder", "device": "a device", "socket": "a socket"}
    assert reason.get(kind, "symbolic links") in line
    assert no_partials(tmp_path)


def test_export_into_a_read_only_folder_says_so_and_changes_nothing(
    exporting: Path, tmp_path: Path
) -> None:
    from tests.reliability.test_faults import run_read_only

    folder = tmp_path / "shelf"
    folder.mkdir()
    (folder / "out.opml").write_text("old")
    done = run_read_only(
        folder, [PYTHON, "-m", "streamtui", "--data-dir", str(exporting), "export",
                 str(folder / "out.opml")],
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot write in its folder" in done.stderr.splitlines()[-1]
    assert (folder / "out.opml").read_text() == "old" and no_partials(folder)


def test_export_never_writes_over_streamtuis_own_files(exporting: Path) -> None:
    for own in ("streamtui.db", paths.CREDENTIALS_NAME):
        done = exported(exporting, exporting / own)
        assert done.returncode == 1 and "streamtui's own data" in done.stderr
    assert streamtui(exporting, "sources").returncode == 0


# -- the app --------------------------------------------------------------------------------


def screen_text(app: object) -> str:
    """What the screen shows, as text (from the screenshot's SVG)."""
    import html
    import re

    svg = app.export_screenshot()  # type: ignore[attr-defined]
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_the_app_never_shows_the_password(tmp_path: Path, servers: SecretServers) -> None:
    """Sidebar (with a failing source's error), toasts, the add dialog (its field, its
    messages), the palette, the article pane and its links: none shows the password."""
    from textual.widgets import Input, Static

    from streamtui.ui.app import StreamApp
    from streamtui.ui.screens.dialogs import AddSourceScreen
    from streamtui.ui.widgets.sidebar import SourcesSidebar

    data = tmp_path / "data"
    library = Library(Store.open(data / "streamtui.db"), bundled=tmp_path / "no-guide")
    for path in ("/feed.xml", "/moved.xml"):
        await asyncio.to_thread(library.add_source, servers.url(path))
    servers.home.route("/feed.xml", lambda request: (500, [], b"down"))
    app = StreamApp(library, sync_on_start=False)
    seen: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("R")  # a refresh: one feed fails, its error shows in the sidebar
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        sidebar = app.query_one(SourcesSidebar)
        prompts = [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]
        assert any("HTTP 500" in p for p in prompts), prompts
        seen += [*prompts, screen_text(app)]
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AddSourceScreen)
        field = dialog.query_one("#target", Input)
        for url in (servers.url("/wrong.xml"), servers.url("/second.xml")):
            field.value = url
            await pilot.pause()
            seen += [field._value.plain, screen_text(app)]  # the field draws dots
            assert "••••" in field._value.plain
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen += [str(n.message) for n in app._notifications]  # before they time out
            if app.screen is dialog:
                message = str(dialog.query_one("#message", Static).render())
                assert "HTTP 401" in message
                seen += [message, screen_text(app)]
        assert app.screen is not dialog  # the second was added
        await pilot.press("colon")  # the palette: every source by name, and the items
        await pilot.press(*"Priv")
        await pilot.pause(0.5)
        seen.append(screen_text(app))
        await pilot.press("escape")
        app.main.stream.focus()
        await pilot.press("enter")  # open an item: its links resolved
        await pilot.pause(0.5)
        article = app.main.article.rendered_text()
        assert "/page/" in article or "story" in article.lower()
        seen += [article, screen_text(app)]
        await pilot.press("f")
        await pilot.pause(0.3)
        seen.append(screen_text(app))
        seen += [str(n.message) for n in app._notifications]
    library.close()
    assert any("Added Second" in s for s in seen)
    assert [(n, found) for n, text in enumerate(seen) if (found := leaks(text))] == []


def test_the_real_app_in_a_terminal_never_writes_the_password(
    tmp_path: Path, servers: SecretServers
) -> None:
    output = app_session(tmp_path, servers)
    assert leaks(output) == []
    assert b"failed" in output and b"Added" in output  # the failing feed, the added one
    assert b"Traceback" not in output
    assert b"\xe2\x80\xa2" in output  # the password typed in the add dialog drew as dots


def test_a_read_only_library_refuses_a_password_before_keeping_it(
    tmp_path: Path, servers: SecretServers
) -> None:
    from streamtui.core.errors import ReadOnlyError

    store = Store.open(tmp_path / "data" / "streamtui.db")
    store.read_only = True
    library = Library(store, bundled=tmp_path / "no-guide")
    with pytest.raises(ReadOnlyError, match="read-only"):
        library.add_source(servers.url("/feed.xml"))
    assert not (tmp_path / "data" / paths.CREDENTIALS_NAME).exists() and not servers.home.requests
    library.close()


def test_a_migration_5_that_fails_half_way_is_done_again_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential file is written before the database commits: a failure after it (a
    full disk, a kill) leaves the database at version 4, and the next start writes the same
    entries again and finishes."""
    from streamtui.core.errors import StoreError
    from streamtui.core.store import passwords as secrets_migration

    data = tmp_path / "data"
    urls = [f"https://{USER}:{IN_URL}@h{n}.example/feed" for n in range(3)]
    old_database(data / "streamtui.db", [(f"s{n}", url, url) for n, url in enumerate(urls)])
    real = secrets_migration._rewrite
    calls = []

    def failing(*args: object) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(secrets_migration, "_rewrite", failing)
    with pytest.raises(StoreError, match="disk I/O error"):
        Store.open(data / "streamtui.db")
    with sqlite3.connect(data / "streamtui.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4  # nothing half done
        assert (
            db.execute("SELECT count(*) FROM sources WHERE location LIKE '%qu0kka%'").fetchone()[0]
            == 3
        )
    monkeypatch.undo()
    store = Store.open(data / "streamtui.db")
    assert [s.login for s in store.sources()] == [True, True, True]
    store.close()
    credentials = CredentialStore.beside(data / "streamtui.db")
    assert credentials.names("feed") == sorted(
        f"https://{USER}@h{n}.example/feed" for n in range(3)
    )
    assert not leaks(database_bytes(data))
