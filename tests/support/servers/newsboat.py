"""newsboat (Debian's 2.21) as a reference client of a Tiny Tiny RSS, in its own folder.

    nb = Newsboat(tt.base_url, tt.user, tt.password)
    nb.reload()                          # newsboat -x reload; returns its seconds
    nb.read_ids()                        # tt-rss article ids newsboat holds read
    nb.mark_read("Feed 1 item 3")        # through newsboat's own screen, in tmux
    nb.close()

newsboat 2.21 has no command that marks an article from the command line (``-x`` knows only
``reload`` and ``print-unread``), so :meth:`Newsboat.mark_read` drives its screen in tmux as a
person would: ``/`` searches every article for the title, ``N`` toggles the one found to read
(newsboat tells tt-rss at once, ``updateArticle``), ``q`` twice quits. With ``urls-source
"ttrss"`` an article's guid in newsboat's cache (``rss_item``) is tt-rss's article id, and its
feed URL is tt-rss's feed URL followed by ``#`` and the feed id.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass

from ._common import ServerUnavailable, base_env, remove_tree, run, scratch_dir


@dataclass(frozen=True)
class NewsboatItem:
    guid: str
    title: str
    unread: bool
    feed_url: str


def missing() -> str:
    if shutil.which("newsboat") is None:
        return "newsboat is not installed (apt-get install -y newsboat)"
    if shutil.which("tmux") is None:
        return "tmux is not installed (apt-get install -y tmux)"
    return ""


class Newsboat:
    def __init__(self, ttrss_url: str, user: str, password: str, name: str = "") -> None:
        reason = missing()
        if reason:
            raise ServerUnavailable(reason)
        self.home = scratch_dir("newsboat")
        self.home.chmod(0o700)
        self.config = self.home / "config"
        self.urls = self.home / "urls"
        self.cache = self.home / "cache.db"
        self.session = f"streamtui-newsboat-{name or os.getpid()}-{time.monotonic_ns()}"
        self.config.write_text(
            'urls-source "ttrss"\n'
            f'ttrss-url "{ttrss_url}"\n'
            f'ttrss-login "{user}"\n'
            f'ttrss-password "{password}"\n'
            'ttrss-mode "multi"\n'
        )
        self.config.chmod(0o600)
        self.urls.write_text("")

    @property
    def argv(self) -> list[str]:
        return ["newsboat", "-C", str(self.config), "-u", str(self.urls), "-c", str(self.cache)]

    def _env(self) -> dict[str, str]:
        return base_env(HOME=str(self.home), TERM="xterm-256color")

    def reload(self) -> float:
        """``newsboat -x reload`` against the server; returns the seconds it took."""
        began = time.monotonic()
        run([*self.argv, "-x", "reload"], env=self._env(), cwd=self.home, timeout=900)
        return time.monotonic() - began

    def items(self) -> list[NewsboatItem]:
        """Every article in newsboat's cache (empty before the first reload)."""
        if not self.cache.exists():
            return []
        with contextlib.closing(sqlite3.connect(self.cache, timeout=30)) as db:
            rows = db.execute("select guid, title, unread, feedurl from rss_item").fetchall()
        return [NewsboatItem(str(g), str(t), bool(u), str(f)) for g, t, u, f in rows]

    def read_ids(self) -> set[int]:
        """The tt-rss article ids newsboat holds read."""
        return {int(item.guid) for item in self.items() if not item.unread}

    def mark_read(self, title: str, timeout: float = 20) -> None:
        """Mark the one article whose title contains ``title`` read, through newsboat's
        screen in tmux (see the module's docstring); raises AssertionError when the screen
        does not show what it should."""
        command = shlex.join(["env", *(f"{k}={v}" for k, v in self._env().items()), *self.argv])
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.session, "-x", "160", "-y", "40", command],
            check=True, timeout=10,
        )  # fmt: skip
        try:
            self._wait_for("Your feeds", timeout)
            self._keys("/")
            self._wait_for("Search for:", timeout)
            self._keys(title, "Enter")
            self._wait_for("Search results (1 unread, 1 total)", timeout)
            self._keys("N")
            self._wait_for("Search results (0 unread, 1 total)", timeout)
            self._keys("q")
            self._wait_for("Your feeds", timeout)
            self._keys("q")
            deadline = time.monotonic() + timeout
            while self._alive():
                if time.monotonic() > deadline:
                    raise AssertionError("newsboat did not quit")
                time.sleep(0.05)
        finally:
            self._kill()

    def close(self) -> None:
        self._kill()
        remove_tree(self.home)

    # --- tmux ---

    def _keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True, timeout=10)

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.session],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
        return done.stdout.decode(errors="replace")

    def _wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in (shown := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"newsboat never showed {text!r}; its screen:\n{shown}")
            time.sleep(0.05)

    def _alive(self) -> bool:
        done = subprocess.run(
            ["tmux", "has-session", "-t", self.session], capture_output=True, check=False
        )
        return done.returncode == 0

    def _kill(self) -> None:
        if self._alive():
            subprocess.run(["tmux", "kill-session", "-t", self.session], check=False)

    def __enter__(self) -> Newsboat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
