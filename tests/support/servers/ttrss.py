"""A real Tiny Tiny RSS (Debian's ``tt-rss``) on 127.0.0.1, with its own PostgreSQL.

    with TinyTinyRss.start() as tt:
        feed_id = tt.subscribe(site.feed_url(0), category="News")
        tt.update_feeds()                       # tt-rss fetches its feeds now
        ids = [h["id"] for h in tt.api.headlines()]
        tt.api.set_read(ids[:1])                # as another client would
        tt.api.article(ids[0])["unread"]        # False

What :meth:`TinyTinyRss.start` does, all under one temporary folder that :meth:`stop` removes:

- ``initdb``/``pg_ctl`` a PostgreSQL cluster (as the ``postgres`` user when we are root, since
  initdb refuses root) that listens on a unix socket only (``listen_addresses = ''``);
- loads Debian's schema (dbconfig-common's ``install/pgsql``), adds the user with the API
  enabled (``ENABLE_API_ACCESS`` in ``ttrss_user_prefs``);
- copies the web root (``/usr/share/tt-rss/www``, its relative symlinks made absolute), writes
  a ``config.php`` pointed at that database and patches ``classes/urlhelper.php`` (see
  :data:`URLHELPER_PATCHES`: this version refuses loopback feed URLs and drops the port);
- serves it with ``php -S 127.0.0.1:PORT`` (4 workers), as ``www-data`` when we are root
  (tt-rss refuses to run as root), with every proxy variable pointed at an
  :class:`OutboundTrap` so that a request for anything but 127.0.0.1 is caught and recorded.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from ._common import (
    OutboundTrap,
    ServerUnavailable,
    ServiceUser,
    Watchdog,
    base_env,
    free_port,
    remove_tree,
    run,
    scratch_dir,
    stop_process,
    wait_for_port,
)

WEB_ROOT = Path("/usr/share/tt-rss/www")
SCHEMA = Path("/usr/share/dbconfig-common/data/tt-rss/install/pgsql")
PACKAGES = "tt-rss php-cli php-pgsql php-curl php-intl php-mbstring php-xml postgresql"

# (what, replacement, how many times it must occur): a changed package fails loudly here.
URLHELPER_PATCHES = (
    # build_url() rebuilds a URL from scheme, host, path, query and fragment: keep the port.
    (
        "$tmp = $parts['scheme'] . \"://\" . $parts['host'];",
        "$tmp = $parts['scheme'] . \"://\" . $parts['host']"
        " . (isset($parts['port']) ? ':' . $parts['port'] : '');",
        1,
    ),
    # validate(..., $extended_filtering = true) refuses ports other than 80/443 and loopback
    # hosts: every fetch() goes through it.
    ("if ($extended_filtering) {", "if ($extended_filtering && false) {", 1),
    # fetch() refuses a host that resolves to 127.*, before and after redirects.
    ('strpos($ip_addr, "127.") === 0', "false", 1),
    ('strpos($fetch_effective_ip_addr, "127.") === 0', "false", 2),
)


def pg_bin() -> Path:
    """The folder of PostgreSQL's server programs, preferring version 15."""
    root = Path("/usr/lib/postgresql")

    def rank(folder: Path) -> tuple[bool, int]:
        version = folder.parent.name
        return version != "15", -int(version) if version.isdigit() else 0

    versions = sorted((p for p in root.glob("*/bin") if (p / "initdb").exists()), key=rank)
    if versions:
        return versions[0]
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ServerUnavailable("PostgreSQL is not installed (apt-get install -y postgresql)")


def missing() -> str:
    """Why Tiny Tiny RSS cannot start here, or "" when everything it needs is installed."""
    if not (WEB_ROOT / "api" / "index.php").exists() or not SCHEMA.exists():
        return f"Tiny Tiny RSS is not installed (apt-get install -y {PACKAGES})"
    if shutil.which("php") is None:
        return "php is not installed (apt-get install -y php-cli php-pgsql php-curl)"
    try:
        pg_bin()
    except ServerUnavailable as error:
        return str(error)
    return ""


class TtrssError(RuntimeError):
    """The tt-rss API answered status 1: the error it named."""


class TtrssApi:
    """A minimal client of tt-rss's JSON API, for fixtures and tests (one session)."""

    def __init__(self, api_url: str, user: str, password: str) -> None:
        self.api_url = api_url
        self.user = user
        self.password = password
        self.sid = ""
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, op: str, **params: Any) -> Any:
        """POST ``{"op": op, ...}``; returns ``content``; logs in first when needed."""
        if not self.sid and op != "login":
            self.login()
        body = {"op": op, **params}
        if self.sid and op != "login":
            body["sid"] = self.sid
        request = urllib.request.Request(
            self.api_url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with self._opener.open(request, timeout=60) as answer:
            reply = json.loads(answer.read().decode("utf-8"))
        if reply.get("status") != 0:
            error = reply.get("content", {}).get("error", "unknown")
            if error == "NOT_LOGGED_IN" and op != "login" and self.sid:
                self.sid = ""
                return self.call(op, **params)
            raise TtrssError(f"{op}: {error}")
        return reply["content"]

    def login(self) -> str:
        content = self.call("login", user=self.user, password=self.password)
        self.sid = str(content["session_id"])
        return self.sid

    def feeds(self) -> list[dict[str, Any]]:
        """Every feed, with its category id (``cat_id=-3``: all feeds)."""
        return list(self.call("getFeeds", cat_id=-3))

    def categories(self) -> list[dict[str, Any]]:
        return list(self.call("getCategories", include_empty=True))

    def headlines(self, feed_id: int = -4, **params: Any) -> list[dict[str, Any]]:
        """Headlines of ``feed_id`` (-4: all articles), 200 at most unless ``limit`` says."""
        params.setdefault("limit", 200)
        return list(self.call("getHeadlines", feed_id=feed_id, **params))

    def article(self, article_id: int) -> dict[str, Any]:
        found = self.call("getArticle", article_id=str(article_id))
        if not found:
            raise TtrssError(f"getArticle: no article {article_id}")
        return dict(found[0])

    def set_read(self, ids: list[int], read: bool = True) -> None:
        # field 2 is "unread": mode 0 clears it (read), 1 sets it (unread)
        self._update(ids, field=2, mode=0 if read else 1)

    def set_starred(self, ids: list[int], starred: bool = True) -> None:
        self._update(ids, field=0, mode=1 if starred else 0)

    def _update(self, ids: list[int], *, field: int, mode: int) -> None:
        self.call("updateArticle", article_ids=",".join(map(str, ids)), field=field, mode=mode)


class TinyTinyRss:
    """A running Tiny Tiny RSS; build it with :meth:`start`, end it with :meth:`stop`."""

    def __init__(self, root: Path, user: str, password: str) -> None:
        self.root = root
        self.user = user
        self.password = password
        self.port = 0
        self.trap = OutboundTrap()
        self.watchdog = Watchdog(root)
        self.db_user = ServiceUser.pick("postgres")
        self.web_user = ServiceUser.pick("www-data", "nobody")
        self.socket_dir = root / "run"
        self.www = root / "www"
        self.data = root / "data"
        self._php: subprocess.Popen[bytes] | None = None
        self._pg_started = False
        self.started_in = 0.0
        self.timings: dict[str, float] = {}
        self.api: TtrssApi

    # --- addresses ---

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}api/"

    # --- life ---

    @classmethod
    def start(cls, user: str = "tester", password: str = "tester-password-1") -> TinyTinyRss:
        reason = missing()
        if reason:
            raise ServerUnavailable(reason)
        began = time.monotonic()
        server = cls(scratch_dir("ttrss"), user, password)
        try:
            server._step("database", server._start_database)
            server._step("schema", server._load_schema)
            server._step("web root", server._prepare_web_root)
            server._step("php", server._start_php)
            server.api = TtrssApi(server.api_url, user, password)
            server._step("login", server.api.login)
        except BaseException:
            server.stop()
            raise
        server.started_in = time.monotonic() - began
        return server

    def stop(self) -> None:
        stop_process(self._php)
        self._php = None
        if self._pg_started:
            self._pg_ctl("stop", "-m", "immediate")
            self._pg_started = False
        self.trap.close()
        remove_tree(self.root)
        self.watchdog.close()

    def __enter__(self) -> TinyTinyRss:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- what tests use ---

    def subscribe(self, url: str, category: str | None = None) -> int:
        """Subscribe through the API (into ``category``, made when missing); the feed's id."""
        category_id = self.category_id(category) if category else 0
        content = self.api.call("subscribeToFeed", feed_url=url, category_id=category_id)
        status = content.get("status", {})
        if status.get("code") not in (0, 1):  # 0: already subscribed, 1: added
            raise TtrssError(f"subscribeToFeed {url}: code {status.get('code')}")
        if "feed_id" in status:
            return int(status["feed_id"])
        return next(int(f["id"]) for f in self.api.feeds() if f["feed_url"] == url)

    def category_id(self, title: str) -> int:
        """The id of the user's category ``title``, made when missing (the API cannot)."""
        quoted = title.replace("'", "''")
        owner = f"(select id from ttrss_users where login = '{self._quoted_user}')"
        found = self.sql(
            f"select id from ttrss_feed_categories where title = '{quoted}' and owner_uid = {owner}"
        )
        if found:
            return int(found)
        return int(
            self.sql(
                f"insert into ttrss_feed_categories (owner_uid, title) values ({owner}, '{quoted}')"
                " returning id"
            ).splitlines()[0]
        )

    def update_feeds(self, workers: int = 4) -> float:
        """Make tt-rss fetch every feed now through the API's ``updateFeed`` (``workers`` at
        a time, as the php server has 4 workers); returns the seconds it took."""
        began = time.monotonic()
        ids = [int(f["id"]) for f in self.api.feeds()]
        clients = [TtrssApi(self.api_url, self.user, self.password) for _ in range(workers)]
        for client in clients:
            client.sid = self.api.sid

        def update(index: int) -> None:
            clients[index % workers].call("updateFeed", feed_id=ids[index])

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(update, range(len(ids))))
        return time.monotonic() - began

    def run_update_daemon_once(self) -> float:
        """Fetch every feed as tt-rss's own updater does (``update.php --force-update
        --feeds``: one php process per feed); returns the seconds it took."""
        began = time.monotonic()
        run(
            ["php", "update.php", "--force-update", "--feeds", "--quiet"],
            user=self.web_user, env=self._env(), cwd=self.www, timeout=600,
        )  # fmt: skip
        return time.monotonic() - began

    def sql(self, query: str) -> str:
        """Run ``query`` with psql on the server's database; its unaligned output."""
        done = run(
            [str(pg_bin() / "psql") if (pg_bin() / "psql").exists() else "psql",
             "-h", str(self.socket_dir), "-U", "postgres", "-d", "ttrss", "-X", "-q", "-A",
             "-t", "-v", "ON_ERROR_STOP=1", "-c", query],
            env=base_env(PGCONNECT_TIMEOUT="10"),
        )  # fmt: skip
        return done.stdout.decode().strip()

    # --- start-up steps ---

    def _step(self, name: str, action: Any) -> None:
        began = time.monotonic()
        action()
        self.timings[name] = time.monotonic() - began

    def _pg_ctl(self, *args: str) -> None:
        run(
            [str(pg_bin() / "pg_ctl"), "-D", str(self.root / "pg"), "-s", *args],
            user=self.db_user, env=base_env(), timeout=60,
        )  # fmt: skip

    def _start_database(self) -> None:
        self.socket_dir.mkdir()
        (self.root / "pg").mkdir(mode=0o700)
        self.db_user.own(self.socket_dir, self.root / "pg")
        run(
            [str(pg_bin() / "initdb"), "-D", str(self.root / "pg"), "-A", "trust",
             "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            user=self.db_user, env=base_env(), timeout=120,
        )  # fmt: skip
        with (self.root / "pg" / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# streamtui test server: a unix socket only, speed over durability\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        log = self.root / "pg.log"
        log.touch()
        self.db_user.own(log)
        self.watchdog.postmaster(self.root / "pg" / "postmaster.pid")
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(log))
        self._pg_started = True

    def _load_schema(self) -> None:
        psql = str(pg_bin() / "psql") if (pg_bin() / "psql").exists() else "psql"
        common = [psql, "-h", str(self.socket_dir), "-U", "postgres", "-X", "-q"]
        run([*common, "-d", "postgres", "-c", "create database ttrss"], env=base_env())
        run(
            [*common, "-d", "ttrss", "-v", "ON_ERROR_STOP=1", "-f", str(SCHEMA)],
            env=base_env(PGOPTIONS="-c client_min_messages=warning"),
        )  # fmt: skip
        digest = hashlib.sha1(self.password.encode()).hexdigest()
        self.sql(
            "insert into ttrss_users (login, pwd_hash, access_level, last_login) values "
            f"('{self._quoted_user}', 'SHA1:{digest}', 0, now());"
            "insert into ttrss_user_prefs (owner_uid, pref_name, value) "
            f"select id, 'ENABLE_API_ACCESS', 'true' from ttrss_users "
            f"where login = '{self._quoted_user}';"
        )

    @property
    def _quoted_user(self) -> str:
        return self.user.replace("'", "''")

    def _prepare_web_root(self) -> None:
        shutil.copytree(WEB_ROOT, self.www, symlinks=True)
        for folder, dirs, files in os.walk(self.www):
            for name in dirs + files:
                path = Path(folder) / name
                if path.is_symlink():  # relative links would point nowhere from here
                    target = (WEB_ROOT / path.relative_to(self.www)).resolve()
                    path.unlink()
                    path.symlink_to(target)
        for name in ("lock", "cache/images", "cache/upload", "cache/export", "icons"):
            (self.data / name).mkdir(parents=True, exist_ok=True)
        self.web_user.own(self.data)
        (self.www / "feed-icons").unlink(missing_ok=True)
        (self.www / "feed-icons").symlink_to(self.data / "icons")
        self.port = free_port()
        (self.www / "config.php").unlink(missing_ok=True)
        (self.www / "config.php").write_text(self._config())
        helper = self.www / "classes" / "urlhelper.php"
        text = helper.read_text()
        for old, new, times in URLHELPER_PATCHES:
            if text.count(old) != times:
                raise ServerUnavailable(
                    f"tt-rss's urlhelper.php changed: {old!r} occurs {text.count(old)} times"
                )
            text = text.replace(old, new)
        helper.write_text(text)

    def _config(self) -> str:
        settings: dict[str, str | int | bool] = {
            "DB_TYPE": "pgsql", "DB_HOST": str(self.socket_dir), "DB_PORT": "5432",
            "DB_USER": "postgres", "DB_NAME": "ttrss", "DB_PASS": "", "MYSQL_CHARSET": "UTF8",
            "SELF_URL_PATH": self.base_url, "_SKIP_SELF_URL_PATH_CHECKS": True,
            "SINGLE_USER_MODE": False, "SIMPLE_UPDATE_MODE": False,
            "PHP_EXECUTABLE": shutil.which("php") or "/usr/bin/php",
            "LOCK_DIRECTORY": str(self.data / "lock"), "CACHE_DIR": str(self.data / "cache"),
            "ICONS_DIR": str(self.data / "icons"), "ICONS_URL": "feed-icons",
            "AUTH_AUTO_CREATE": True, "AUTH_AUTO_LOGIN": True, "FORCE_ARTICLE_PURGE": 0,
            "ENABLE_REGISTRATION": False, "REG_NOTIFY_ADDRESS": "nobody@127.0.0.1",
            "REG_MAX_USERS": 10, "SESSION_COOKIE_LIFETIME": 86400,
            "SMTP_FROM_NAME": "Tiny Tiny RSS", "SMTP_FROM_ADDRESS": "nobody@127.0.0.1",
            "DIGEST_SUBJECT": "digest", "CHECK_FOR_UPDATES": False, "ENABLE_GZIP_OUTPUT": False,
            "PLUGINS": "auth_internal", "LOG_DESTINATION": "sql", "CONFIG_VERSION": 26,
            # update feeds of users who never logged in through the web page
            "DAEMON_UPDATE_LOGIN_LIMIT": 0, "FEED_FETCH_TIMEOUT": 15,
            "FEED_FETCH_NO_CACHE_TIMEOUT": 15, "FILE_FETCH_TIMEOUT": 15,
            "FILE_FETCH_CONNECT_TIMEOUT": 5,
        }  # fmt: skip
        lines = ["<?php", "// written by streamtui's test fixture (tests/support/servers)"]
        for name, value in settings.items():
            lines.append(f"define('{name}', {json.dumps(value)});")
        return "\n".join(lines) + "\n"

    def _env(self) -> dict[str, str]:
        return base_env(**self.trap.env(), HOME=str(self.data))

    def _start_php(self) -> None:
        log = (self.root / "php.log").open("wb")
        self._php = subprocess.Popen(
            ["php", "-d", "display_errors=0", "-d", "log_errors=0", "-S",
             f"127.0.0.1:{self.port}", "-t", str(self.www)],
            cwd=self.www, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**self._env(), "PHP_CLI_SERVER_WORKERS": "4"}, start_new_session=True,
            **self.web_user.popen_args(),  # type: ignore[arg-type]
        )  # fmt: skip
        log.close()
        self.watchdog.group(self._php.pid)
        wait_for_port(self.port, time.monotonic() + 20, self._php)
