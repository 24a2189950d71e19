"""Feeds behind a password, served on 127.0.0.1, and every command line verb run against them;
shared by tests/test_secrets.py and benchmarks/secrets_files.py.

    from secrets_scenario import SecretServers, app_session, every_verb, leaks, old_database

The home server answers its feeds only to HTTP Basic auth with :data:`USER` and
:data:`PASSWORD` (so a feed that loads proves the password was sent); ``/moved.xml`` redirects
to the same path on a second server, another origin, which records whatever reaches it (so a
password that follows a redirect is seen). :func:`every_verb` runs each verb of the real
command line in a process of its own and returns every text it wrote, the exported files and
the bytes of the database; :func:`leaks` finds the password in any of them, in any of the
forms it could take (as typed, percent-encoded, inside a Basic auth header).
:func:`old_database` builds a database as the code before the credential store left it (the
password in a feed's location and key, in its items' links, in free pages and in a -wal), and
:func:`app_session` drives the real app in a pseudo-terminal over these feeds.
"""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from feedserver import PROXY_VARIABLES, FeedServer, Reply, Request, closed_port, status

USER = "alice"
PASSWORD = "Pw@9-qu0kka!"
"""Chosen to need percent-encoding in a URL (the ``@``) and to be unlike any other text."""
IN_URL = quote(PASSWORD, safe="")
OTHER_PASSWORD = "not-" + PASSWORD
FORMS = (
    PASSWORD,
    IN_URL,
    "qu0kka",  # the part of it that needs no encoding: a leak in any encoding shows it
    base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
)
"""Every form in which the password could leak."""
SRC = Path(__file__).resolve().parents[1] / "src"


def rss(title: str, count: int = 3) -> bytes:
    """A feed whose item links and enclosures are relative: they resolve against the URL the
    feed was fetched from (which once carried the password)."""
    items = "".join(
        f"<item><title>{title} story {n}</title><link>/story/{n}</link>"
        f"<guid>{title}-{n}</guid><description>Text {n} of {title}, "
        f'&lt;a href="/page/{n}"&gt;more&lt;/a&gt;.</description>'
        f'<enclosure url="media/{n}.mp3" type="audio/mpeg" length="9"/></item>'
        for n in range(1, count + 1)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>/</link>{items}</channel></rss>"
    ).encode()


def protected(body: bytes, password: str = PASSWORD) -> Callable[[Request], Reply]:
    """200 with ``body`` to Basic auth with USER and ``password``; 401 to anything else."""
    expected = "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()

    def handler(request: Request) -> Reply:
        if request.header("authorization") != expected:
            return Reply(401, [("WWW-Authenticate", 'Basic realm="feeds"')], b"log in")
        return Reply(200, [("Content-Type", "application/rss+xml")], body)

    return handler


def leaks(data: bytes | str) -> list[str]:
    """The forms of the password found in ``data``."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    raw = data if isinstance(data, bytes) else data.encode()
    return [form for form in FORMS if form in text or form.encode() in raw]


class SecretServers:
    """The home server (feeds behind the password) and the away server (another origin)."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.home = FeedServer()
        self.away = FeedServer()

    def __enter__(self) -> SecretServers:
        self._stack.enter_context(self.home)
        self._stack.enter_context(self.away)
        self.home.route("/feed.xml", protected(rss("Private")))
        self.home.route("/second.xml", protected(rss("Second")))
        self.home.route("/wrong.xml", protected(rss("Wrong"), OTHER_PASSWORD))
        self.home.route(
            "/moved.xml", lambda request: Reply(302, [("Location", self.away.url("/moved.xml"))])
        )
        self.home.route("/relative.xml", lambda request: Reply(301, [("Location", "/feed.xml")]))
        self.away.route(
            "/moved.xml",
            lambda request: Reply(200, [("Content-Type", "application/rss+xml")], rss("Away")),
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def url(self, path: str, *, password: str = IN_URL) -> str:
        return f"http://{USER}:{password}@127.0.0.1:{self.home.port}{path}"

    def authorised(self, path: str) -> int:
        """How many requests for ``path`` reached the home server with the right login."""
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return sum(r.header("authorization") == expected for r in self.home.requests_to(path))

    def away_texts(self) -> list[str]:
        """Everything the other origin received: paths and headers."""
        return [f"{r.method} {r.path} {dict(r.headers)}" for r in self.away.requests]


@dataclass
class Outcome:
    """One thing a user could see or a file could hold, and where it came from."""

    label: str
    data: bytes | str
    status: int | None = None


@dataclass
class Verbs:
    outcomes: list[Outcome] = field(default_factory=list)
    data: Path = Path()
    failures: list[str] = field(default_factory=list)
    """Steps that did not do what they should (a verb that failed, a feed not fetched)."""

    def leaked(self) -> list[tuple[str, list[str]]]:
        return [(o.label, found) for o in self.outcomes if (found := leaks(o.data))]


def environment(data: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(
        STREAMTUI_DATA_DIR=str(data),
        STREAMTUI_CONFIG_DIR=str(home / "config"),
        HOME=str(home),
        PYTHONPATH=str(SRC),
    )
    return env


def every_verb(base: Path, servers: SecretServers) -> Verbs:
    """Every verb of the command line against feeds with a password; see the module."""
    data, home = base / "data", base / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = environment(data, home)
    result = Verbs(data=data)

    def run(label: str, *args: str, expect: int | None = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "streamtui", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        result.outcomes.append(Outcome(f"{label}: stdout", done.stdout, done.returncode))
        result.outcomes.append(Outcome(f"{label}: stderr", done.stderr, done.returncode))
        if expect is not None and done.returncode != expect:
            result.failures.append(f"{label}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout + done.stderr

    feed, second = servers.url("/feed.xml"), servers.url("/second.xml")
    run("add", "add", feed)
    run("add a second time", "add", feed)
    run("add, wrong password", "add", servers.url("/wrong.xml"), expect=1)
    run("add, nothing listening", "add", feed.replace(str(servers.home.port), str(closed_port())),
        expect=1)  # fmt: skip
    run("add, redirected to another origin", "add", servers.url("/moved.xml"))
    run("add, redirected on the same origin", "add", servers.url("/relative.xml"), expect=1)
    run("add, a broken URL", "add", f"http://{USER}:{IN_URL}@[::1/feed", expect=None)
    run("add, a bad port", "add", f"http://{USER}:{IN_URL}@127.0.0.1:99999/", expect=None)
    run("preview", "preview", feed)
    run("preview --json", "preview", feed, "--json")
    run("sources", "sources")
    run("sources --json", "sources", "--json")
    run("list", "list")
    run("list --json", "list", "--json")
    run("search --json", "search", "story", "--json")
    run("refresh", "refresh")
    run("rename", "rename", "Private", "Private feed")
    run("rename by URL", "rename", feed, "Private feed 2")
    run("new password", "add", feed)
    exported = base / "exported.opml"
    run("export", "export")
    run("export FILE", "export", str(exported))
    if exported.exists():
        result.outcomes.append(Outcome("the exported file", exported.read_bytes()))
    listing = base / "subscriptions.opml"
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="" xmlUrl="{second.replace("&", "&amp;")}"/></body></opml>',
        encoding="utf-8",
    )
    run("import", "import", str(listing))
    run("import again", "import", str(listing))
    run("refresh after import", "refresh")
    servers.home.route("/feed.xml", status(500))  # a failure line names the source and why
    run("refresh, failing", "refresh", expect=1)
    servers.home.route("/feed.xml", protected(rss("Private")))
    run("sources with an error", "sources")
    run("sources --json with an error", "sources", "--json")
    run("mark-read --all", "mark-read", "--all")
    run("remove by URL", "remove", second)
    run("remove, no such source", "remove", servers.url("/nothing.xml"), expect=1)
    run("refresh, last", "refresh")
    for path in (data / "streamtui.db", data / "streamtui.db-wal", data / "streamtui.db-shm"):
        if path.exists():
            result.outcomes.append(Outcome(f"file {path.name}", path.read_bytes()))
    for text in servers.away_texts():
        result.outcomes.append(Outcome("received by the other origin", text))
    for path in sorted(data.iterdir()):  # nothing else in the data folder holds it
        if path.name != "credentials.json" and not path.name.startswith("streamtui.db"):
            result.outcomes.append(Outcome(f"file {path.name}", path.read_bytes()))
    if not servers.authorised("/feed.xml") or not servers.authorised("/second.xml"):
        result.failures.append("the password was not sent to its own origin")
    if not servers.away.requests_to("/moved.xml"):
        result.failures.append("the redirect to the other origin was not followed")
    return result


# -- a database from before the credential store, and the app in a terminal ---------------


def old_database(path: Path, sources: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    """A database as streamtui left it at schema version 4, with feeds stored by URLs that
    hold a password: (name, location, key) each, items parsed by the real parser with the key
    as the old code did (relative links resolved against the URL, password and all), some
    read and starred, fetch state rewritten a few times (old copies of the row in free
    space), and a -wal left behind holding the last changes. Returns each key's item ids."""
    from streamtui.core.parse.feed import parse_feed
    from streamtui.core.store import MIGRATIONS, SEQ_SPAN

    path.parent.mkdir(parents=True, exist_ok=True)
    ids: dict[str, list[str]] = {}
    building = path.with_name("building.db")
    db = sqlite3.connect(building, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("PRAGMA secure_delete=OFF")  # as most builds of SQLite (Debian's zeroes)
    for step in MIGRATIONS[:4]:
        if callable(step):
            step(db)
        else:
            db.executescript(step)
    db.execute("PRAGMA user_version = 4")
    for number, (name, location, key) in enumerate(sources, 1):
        db.execute(
            "INSERT INTO sources (id, name, kind, location, key, added_at, last_error, "
            "site_url) VALUES (?, ?, 'feed', ?, ?, 0, ?, ?)",
            (number, name, location, key, f"{location}: timed out", location),
        )
        parsed = parse_feed(rss("Private"), source_key=key, url=location, seen_at=datetime.now(UTC))
        ids[key] = [item.id for item in parsed.items]
        for seq, item in enumerate(parsed.items):
            db.execute(
                "INSERT INTO items (id, source_id, title, published, seq, read, starred) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (item.id, number, item.title, item.published.timestamp(),
                 number * SEQ_SPAN + seq, int(seq == 0), int(seq == 1)),
            )  # fmt: skip
            db.execute(
                "INSERT INTO bodies (item_id, summary, body, link, path, encoding, html) "
                "VALUES (?, ?, ?, ?, '', 'utf-8', 1)",
                (item.id, item.summary, item.body, item.link),
            )
            for enclosure in item.enclosures:
                db.execute(
                    "INSERT INTO enclosures (item_id, url, type, length) VALUES (?, ?, ?, 0)",
                    (item.id, enclosure.url, enclosure.type),
                )
        for size in (10, 300, 20, 600, 5):  # rows rewritten by refreshes move in their page:
            db.execute(  # their old copies stay in free space
                "UPDATE sources SET etag = ?, warning = ? WHERE id = ?",
                (f'"{size}"', "w" * size, number),
            )
    # A source removed long ago: its rows are in free pages, which nothing rewrites.
    gone = sources[0][1].replace("/feed", "/gone")
    db.execute(
        "INSERT INTO sources (id, name, kind, location, key, added_at) "
        "VALUES (99, 'gone', 'feed', ?, ?, 0)",
        (gone, gone),
    )
    db.executemany(
        "INSERT INTO items (id, source_id, title, published, seq) VALUES (?, 99, 't', 0, ?)",
        [(f"gone{n}", 99 * SEQ_SPAN + n) for n in range(60)],
    )
    db.executemany(
        "INSERT INTO bodies (item_id, summary, body, link, path, encoding) "
        "VALUES (?, '', ?, ?, '', 'utf-8')",
        [(f"gone{n}", "b" * 2000, f"{gone}/{n}") for n in range(60)],
    )
    db.execute("DELETE FROM bodies WHERE item_id LIKE 'gone%'")
    db.execute("DELETE FROM items WHERE source_id = 99")
    db.execute("DELETE FROM sources WHERE id = 99")
    db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the free pages are in the file
    first = next(iter(ids.values()))[0]
    for n in range(300):  # a long -wal: more frames than a rebuild writes
        db.execute("UPDATE bodies SET summary = ? WHERE item_id = ?", (f"s{n}", first))
    db.execute("UPDATE sources SET etag = 'last' WHERE id = 1")  # its last frame: the row
    # The files as a crash leaves them (the connection still open): the -wal with them.
    shutil.copyfile(building, path)
    shutil.copyfile(building.with_name("building.db-wal"), path.with_name(path.name + "-wal"))
    db.close()
    for leftover in path.parent.glob("building.db*"):
        leftover.unlink()
    for file in path.parent.glob(path.name + "*"):
        file.chmod(0o644)  # as the old code made them
    path.parent.chmod(0o755)
    return ids


def database_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("streamtui.db*")))


def app_session(base: Path, servers: SecretServers, *, size: tuple[int, int] = (120, 40)) -> bytes:
    """The real app in a pseudo-terminal over feeds with a password (one failing): refresh,
    add a feed by typing its URL with the password, the palette, an article and its links,
    the sources list. Everything the app wrote to the terminal."""
    from escapes import ESC, Terminal
    from streamtui.core.library import Library
    from streamtui.core.store import Store

    data = base / "data"
    library = Library(Store.open(data / "streamtui.db"), bundled=base / "no-guide")
    library.add_source(servers.url("/feed.xml"))
    library.add_source(servers.url("/moved.xml"))
    library.close()
    servers.home.route("/feed.xml", lambda request: (500, [], b"down"))
    env = {
        **environment(data, base / "home"),
        "TERM": "xterm-256color",
        "TEXTUAL_ANIMATIONS": "none",
    }
    terminal = Terminal([sys.executable, "-m", "streamtui"], env, size=size)
    try:
        assert terminal.wait_for(b"unread", timeout=60), terminal.output[-2000:]
        terminal.wait_quiet(0.5, timeout=15)  # the refresh on start: the failure shows
        steps = [
            ("R", b"Refreshed"),
            ("a", b"Add a source"),
            (servers.url("/wrong.xml") + "\r", b"401"),
            ("\x15", b""),  # ctrl+u clears the field
            (servers.url("/second.xml") + "\r", b"Added"),
            (":", b""),
            ("Priv", b""),
            (ESC, b""),
            ("\r", b"Link:"),  # the item under the cursor opens
            ("f", b"Open link"),
            (ESC, b""),
            ("q", b""),
        ]
        for keys, shows in steps:
            since = terminal.mark()
            for key in keys if len(keys) > 1 and keys != ESC else [keys]:
                terminal.send(key)  # typed as a person types: one key at a time
            if shows:
                assert terminal.wait_for(shows, since, timeout=20), (keys, terminal.output[-3000:])
            terminal.wait_quiet(0.3, timeout=10)
        status = terminal.close(timeout=15)
    except BaseException:
        terminal.close(timeout=1)
        raise
    assert status == 0
    return terminal.output
