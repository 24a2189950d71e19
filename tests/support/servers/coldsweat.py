"""A real coldsweat (PyPI, a Python feed server with the Fever API) on 127.0.0.1.

    with Coldsweat.start() as cs:
        cs.subscribe(site.feed_urls, category="News")   # import + fetch
        ids = cs.fever.unread_item_ids()
        cs.fever.mark_item(ids[0], "read")              # as another Fever client would

coldsweat lives in its own virtual environment, ``.venv-coldsweat`` beside the project's
``.venv`` (``STREAMTUI_COLDSWEAT_VENV`` names another), made by ``.ci/run`` or, when missing,
here (pip, under a file lock so that parallel test workers make it once). Each start gets a
fresh SQLite database under a temporary folder. Every proxy variable of the coldsweat
processes points at an :class:`OutboundTrap`: coldsweat asks a public favicon service for any
feed without a square RSS image or an Atom icon, and the trap records such an attempt
(the feeds of :class:`~support.servers.feeds.FeedSite` all name a loopback icon).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ._common import (
    OutboundTrap,
    ServerUnavailable,
    Watchdog,
    base_env,
    free_port,
    remove_tree,
    run,
    scratch_dir,
    stop_process,
    wait_for_port,
)

VERSION = "0.10.2"
REPO = Path(__file__).resolve().parents[3]


def venv_dir() -> Path:
    return Path(os.environ.get("STREAMTUI_COLDSWEAT_VENV") or REPO / ".venv-coldsweat")


def ensure_venv(install: bool = True) -> Path:
    """The coldsweat program of the virtual environment, made (once) when missing."""
    folder = venv_dir()
    program = folder / "bin" / "coldsweat"
    if program.exists():
        return program
    if not install:
        raise ServerUnavailable(f"coldsweat is not installed in {folder} (run .ci/run)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be making it right now
        if not program.exists():
            run([sys.executable, "-m", "venv", str(folder)], timeout=120)
            run(
                [str(folder / "bin" / "pip"), "install", "--quiet", f"coldsweat=={VERSION}"],
                timeout=600,
            )
    if not program.exists():
        raise ServerUnavailable(f"pip did not install coldsweat into {folder}")
    return program


def fever_key(email: str, password: str) -> str:
    """The Fever API key: md5 of "email:password" (coldsweat's and Fever's rule)."""
    return hashlib.md5(f"{email}:{password}".encode()).hexdigest()


class FeverError(RuntimeError):
    pass


class FeverApi:
    """A minimal Fever client (for fixtures and tests): each call POSTs ``api_key``."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self.api_key = api_key
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, *flags: str, form: dict[str, str] | None = None, **query: Any) -> Any:
        pairs = [("api", "")] + [(flag, "") for flag in flags] + list(query.items())
        address = f"{self.url}?{urllib.parse.urlencode(pairs)}"
        body = urllib.parse.urlencode({"api_key": self.api_key, **(form or {})}).encode()
        with self._opener.open(urllib.request.Request(address, data=body), timeout=30) as answer:
            reply = json.loads(answer.read().decode("utf-8"))
        if reply.get("auth") != 1:
            raise FeverError("the Fever API refused the api_key")
        return reply

    def items(self, since_id: int = 0) -> list[dict[str, Any]]:
        return list(self.call("items", since_id=since_id)["items"])

    def feeds(self) -> list[dict[str, Any]]:
        return list(self.call("feeds")["feeds"])

    def groups(self) -> list[dict[str, Any]]:
        return list(self.call("groups")["groups"])

    def unread_item_ids(self) -> list[int]:
        return _ids(self.call("unread_item_ids")["unread_item_ids"])

    def saved_item_ids(self) -> list[int]:
        return _ids(self.call("saved_item_ids")["saved_item_ids"])

    def mark_item(self, item_id: int, state: str) -> None:
        """``state``: read, unread, saved or unsaved."""
        self.call(form={"mark": "item", "as": state, "id": str(item_id)})


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


class Coldsweat:
    """A running coldsweat; build it with :meth:`start`, end it with :meth:`stop`."""

    def __init__(self, root: Path, program: Path, email: str, password: str) -> None:
        self.root = root
        self.program = program
        self.email = email
        self.password = password
        self.port = free_port()
        self.trap = OutboundTrap()
        self.watchdog = Watchdog(root)
        self._secret = secrets.token_hex(16)
        self._process: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0
        self.timings: dict[str, float] = {}
        self.fever = FeverApi(self.fever_url, self.api_key)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def fever_url(self) -> str:
        return f"{self.base_url}fever/"

    @property
    def api_key(self) -> str:
        return fever_key(self.email, self.password)

    @classmethod
    def start(
        cls, email: str = "tester@127.0.0.1", password: str = "tester-password-1"
    ) -> Coldsweat:
        program = ensure_venv()
        began = time.monotonic()
        server = cls(scratch_dir("coldsweat"), program, email, password)
        try:
            server._timed("setup", server._cli, "setup", email, "-p", password, "-n", "Tester")
            server._timed("serve", server._serve)
            server._timed("login", server.fever.call)
        except BaseException:
            server.stop()
            raise
        server.started_in = time.monotonic() - began
        return server

    def stop(self) -> None:
        stop_process(self._process)
        self._process = None
        self.trap.close()
        remove_tree(self.root)
        self.watchdog.close()

    def __enter__(self) -> Coldsweat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def subscribe(self, urls: str | Sequence[str], category: str | None = None) -> float:
        """Subscribe to ``urls`` (in the group ``category``) and fetch them now, by importing
        an OPML file with coldsweat's own command; returns the seconds it took."""
        urls = [urls] if isinstance(urls, str) else list(urls)
        outlines = "".join(f"<outline type='rss' xmlUrl={quoteattr(u)}/>" for u in urls)
        if category:
            outlines = f"<outline text={quoteattr(category)}>{outlines}</outline>"
        opml = self.root / f"import-{time.monotonic_ns()}.opml"
        opml.write_text(f"<opml version='2.0'><head/><body>{outlines}</body></opml>")
        began = time.monotonic()
        self._cli("import", str(opml), self.email, "--fetch")
        return time.monotonic() - began

    def fetch(self) -> float:
        """Fetch every feed now (``coldsweat fetch``); returns the seconds it took.

        coldsweat skips a feed checked or updated less than 3 minutes ago, so this forgets
        those two times first (the ETag stays: an unchanged feed still answers 304)."""
        began = time.monotonic()
        with contextlib.closing(sqlite3.connect(self.root / "coldsweat.db", timeout=30)) as db:
            db.execute("update feeds set last_checked_on = null, last_updated_on = null")
            db.commit()
        self._cli("fetch")
        return time.monotonic() - began

    # --- inside ---

    def _timed(self, name: str, action: Any, *args: str) -> None:
        began = time.monotonic()
        action(*args)
        self.timings[name] = time.monotonic() - began

    def _env(self) -> dict[str, str]:
        return base_env(
            **self.trap.env(),
            HOME=str(self.root),
            FLASK_DATABASE_URL=f"sqlite:///{self.root / 'coldsweat.db'}",
            FLASK_SECRET_KEY=self._secret,
        )

    def _cli(self, *args: str) -> None:
        run([str(self.program), *args], env=self._env(), cwd=self.root, timeout=300)

    def _serve(self) -> None:
        log = (self.root / "server.log").open("wb")
        self._process = subprocess.Popen(
            [str(self.program), "run", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-reload", "--no-debugger", "--with-threads"],
            cwd=self.root, env=self._env(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.watchdog.group(self._process.pid)
        wait_for_port(self.port, time.monotonic() + 30, self._process)

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")
        return ""
