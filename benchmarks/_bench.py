"""What the benchmarks share: figures, generated feeds, a loopback feed server, a store
generator, newsboat, and a tmux terminal with a timing relay.

Nothing here is imported by the app. Every script puts its files under one temporary folder
and removes it; servers listen on 127.0.0.1 only and stop when the script ends.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from tests.support.store import merge_items

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RELAY = HERE / "_relay.py"
START = datetime(2026, 1, 1, tzinfo=UTC)

# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Median, min, max and p95 of some measurements, in seconds."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def p95(self) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def ms(self, *, p95: bool = False) -> str:
        text = f"{self.median * 1000:.1f} ms ({self.low * 1000:.1f}–{self.high * 1000:.1f})"
        return f"{text}, p95 {self.p95 * 1000:.1f} ms" if p95 else text

    def s(self) -> str:
        return f"{self.median:.2f} s ({self.low:.2f}–{self.high:.2f})"


def ratio(ours: Figures, theirs: Figures) -> str:
    return f"{ours.median / theirs.median:.3f}x"


def machine() -> str:
    """One line naming the machine, for the figures' heading."""
    cores = os.cpu_count()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = "unknown CPU"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}, {cores} cores ({model}), Python "
        f"{sys.version.split()[0]}, load average {load}"
    )


# -- generated feeds -------------------------------------------------------------------------

_VOCABULARY = """
stream terminal reader feed story update release notes patch kernel python rust design review
memory cache index query network server client window pane cursor keyboard binding theme colour
article summary archive history budget report market science garden weather travel music film
river mountain city council election
"""
WORDS = tuple(_VOCABULARY.split())


@dataclass(frozen=True)
class Story:
    guid: str
    title: str
    link: str
    paragraphs: tuple[str, ...]
    published: datetime

    @property
    def html(self) -> str:
        return "".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def summary(self) -> str:
        """The summary a refresh makes of this story (parse/entries.py): the stores made
        without parsing hold it too, or the first refresh of their feeds rewrites every
        item it is served (at a million items: 50,000 items and their search entries)."""
        from streamtui.core.models import SUMMARY_CHARS
        from streamtui.core.parse.entries import clip
        from streamtui.core.text.sanitize import sanitize_start

        return clip(sanitize_start(self.text, SUMMARY_CHARS + 1, sanitised=True), SUMMARY_CHARS)


def stories(
    feed: int, count: int, *, seed: int = 0, spacing: int = 7, newest: int | None = None
) -> list[Story]:
    """``count`` stories of feed number ``feed``, newest first; the same for the same seed.
    Titles are unique ("Feed 7 story 42: ..."), bodies are three paragraphs (about 1 KB).
    Story ``n`` is dated ``n * spacing`` minutes (plus ``feed``) after START; ``newest``:
    only the first (newest) that many, the same stories as the whole list begins with (what
    a feed carries of a long history)."""
    rng = random.Random(feed * 7919 + seed)
    result: list[Story] = []
    for n in range(count - 1, -1, -1):
        if newest is not None and len(result) >= newest:
            break
        words = " ".join(rng.choices(WORDS, k=rng.randint(4, 8)))
        paragraphs = tuple(
            " ".join(rng.choices(WORDS, k=rng.randint(30, 50))).capitalize() + "." for _ in range(3)
        )
        result.append(
            Story(
                guid=f"https://feeds.example/{feed}/{n}",
                title=f"Feed {feed} story {n}: {words}",
                link=f"https://feeds.example/{feed}/{n}.html",
                paragraphs=paragraphs,
                published=START + timedelta(minutes=n * spacing + feed),
            )
        )
    return result


def rss(feed: int, items: Sequence[Story]) -> bytes:
    """An RSS 2.0 document for feed number ``feed``."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Bench feed {feed}</title><link>https://feeds.example/{feed}/</link>",
        "<description>A generated feed.</description>",
    ]
    for story in items:
        parts.append(
            f"<item><title>{escape(story.title)}</title><link>{story.link}</link>"
            f'<guid isPermaLink="false">{story.guid}</guid>'
            f"<pubDate>{email.utils.format_datetime(story.published)}</pubDate>"
            f"<description>{escape(story.html)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def feed_set(feeds: int, per_feed: int, *, seed: int = 0) -> dict[str, bytes]:
    """Paths (``/feed/N.xml``) to RSS bytes."""
    return {f"/feed/{f}.xml": rss(f, stories(f, per_feed, seed=seed)) for f in range(feeds)}


# -- a loopback feed server ------------------------------------------------------------------


@dataclass
class FeedServer:
    """Serves ``files`` (path -> bytes) on 127.0.0.1 with ETag and Last-Modified; a request
    that repeats the ETag gets 304 unless ``conditional`` is off (then the same bytes again)."""

    files: dict[str, bytes]
    conditional: bool = True
    requests: int = 0
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def urls(self) -> list[str]:
        return [self.url(path) for path in self.files]

    def __enter__(self) -> FeedServer:
        owner = self
        modified = email.utils.format_datetime(START, usegmt=True)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm a small body
            # on a kept-alive connection waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                owner.requests += 1
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if owner.conditional and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        ThreadingHTTPServer.daemon_threads = True
        ThreadingHTTPServer.request_queue_size = 256
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def no_proxy_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: no proxy variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(extra)
    return env


# -- the store generator ---------------------------------------------------------------------


def fill_store(
    data_dir: Path, urls: Sequence[str], per_feed: int, *, seed: int = 0, spacing: int = 7
) -> int:
    """Subscribe to ``urls`` and store ``per_feed`` generated stories for each, through the
    store's own API, exactly as a refresh of :func:`feed_set` would have stored them (same ids,
    titles, bodies, search text), without fetching or parsing. Returns the item count."""
    from streamtui.core.models import Item, SourceKind
    from streamtui.core.parse.entries import item_id
    from streamtui.core.store import Store

    store = Store.open(data_dir / "streamtui.db")
    store.set_meta("default_source_added", "1")
    total = 0
    try:
        for number, url in enumerate(urls):
            source = store.add_source(f"Bench feed {number}", SourceKind.FEED, url, key=url)
            items = [
                Item(
                    id=item_id(url, story.guid),
                    title=story.title,
                    summary=story.summary,
                    body=story.html,
                    published=story.published,
                    link=story.link,
                    html=True,
                    text=story.text,
                )
                for story in stories(number, per_feed, seed=seed, spacing=spacing)
            ]
            merge_items(store, source.id, items)
            total += len(items)
    finally:
        store.close()
    return total


# -- processes -------------------------------------------------------------------------------


def streamtui_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m streamtui``."""
    script = Path(sys.executable).with_name("streamtui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "streamtui"]


def newsboat() -> str:
    """newsboat's path, installing it from Debian when we can; else say how and exit."""
    found = shutil.which("newsboat")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing newsboat: apt-get install -y newsboat", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "newsboat"], check=False)
        found = shutil.which("newsboat")
        if found:
            return found
    sys.exit("newsboat is missing: install it with `sudo apt-get install -y newsboat`")


@dataclass(frozen=True)
class Newsboat:
    """A newsboat with its own home, url file, cache and config under ``home``."""

    home: Path

    @classmethod
    def make(cls, home: Path, urls: Sequence[str]) -> Newsboat:
        home.mkdir(parents=True, exist_ok=True)
        (home / "urls").write_text("".join(f"{url}\n" for url in urls))
        (home / "config").write_text("")  # newsboat's defaults
        return cls(home)

    def argv(self, *extra: str) -> list[str]:
        return [
            newsboat(),
            "-u",
            str(self.home / "urls"),
            "-c",
            str(self.home / "cache.db"),
            "-C",
            str(self.home / "config"),
            *extra,
        ]

    def env(self) -> dict[str, str]:
        return no_proxy_env(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "xdg-config"),
            XDG_DATA_HOME=str(self.home / "xdg-data"),
        )

    def reload(self) -> float:
        """``newsboat -x reload``; returns its wall time in seconds."""
        began = time.perf_counter()
        subprocess.run(
            self.argv("-x", "reload"),
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - began


def streamtui_env(data_dir: Path, config_dir: Path) -> dict[str, str]:
    """The app's environment: its own folders, and bytecode cached as an installed program
    has it (with ``PYTHONDONTWRITEBYTECODE`` set, as on these machines, every start compiled
    about 80 of our modules again: 0.16 s of CPU that no user pays)."""
    env = no_proxy_env(
        STREAMTUI_DATA_DIR=str(data_dir),
        STREAMTUI_CONFIG_DIR=str(config_dir),
        COLORTERM="truecolor",
        TERM="tmux-256color",
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB: now, and its peak."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# -- a terminal: tmux, with a relay that timestamps what crosses it ---------------------------


@dataclass
class Terminal:
    """A tmux server of our own (``-L``) with one 120x40 window. :meth:`run` starts a program
    in it under ``_relay.py``, which sits between tmux and the program and logs, with
    ``time.monotonic()`` stamps, the program's start, every key tmux sends it and every chunk
    of output the program writes. The figures are read from that log, so tmux's own drawing
    and polling never enter them."""

    folder: Path
    width: int = 120
    height: int = 40
    socket: str = field(default_factory=lambda: f"streamtui-bench-{os.getpid()}")

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def __enter__(self) -> Terminal:
        if not shutil.which("tmux"):
            sys.exit("tmux is missing: install it with `sudo apt-get install -y tmux`")
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "sleep 100000",
        )
        self.tmux("set-option", "-g", "remain-on-exit", "on")
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.tmux("kill-server")

    def run(self, argv: Sequence[str], env: dict[str, str], log: Path) -> Relay:
        """Start ``argv`` in the window (replacing whatever ran there)."""
        log.unlink(missing_ok=True)
        command = [sys.executable, str(RELAY), str(log), "--", *argv]
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        line = f"env -i {exports} {' '.join(_quote(a) for a in command)}"
        self.tmux("respawn-pane", "-k", "-t", "bench", line)
        return Relay(log, self)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "bench", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "bench")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@dataclass
class Event:
    kind: str  # START, IN, OUT, EXIT
    at: float
    data: bytes


@dataclass
class Relay:
    """The log of one program run under the relay, read as it grows."""

    log: Path
    terminal: Terminal
    events: list[Event] = field(default_factory=list)
    _offset: int = 0
    _pending: bytes = b""

    def poll(self) -> list[Event]:
        """Read what the relay logged since the last poll."""
        try:
            with self.log.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._pending + chunk
        new = []
        while True:
            head, sep, rest = data.partition(b"\n")
            if not sep:
                break
            kind, at, size = head.split(b" ")
            length = int(size)
            if len(rest) < length + 1:
                break
            new.append(Event(kind.decode(), float(at), rest[:length]))
            data = rest[length + 1 :]
        self._pending = data
        self.events += new
        return new

    @property
    def started(self) -> float:
        return next(e.at for e in self.events if e.kind == "START")

    def wait_for(self, marker: bytes, *, since: float = 0.0, timeout: float = 60.0) -> float:
        """The stamp of the output chunk that completes ``marker`` in the output written
        after ``since``; waits for it."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            joined = b""
            for event in self.events:
                if event.kind == "OUT" and event.at >= since:
                    joined += event.data
                    if marker in joined[-(len(event.data) + len(marker)) :]:
                        return event.at
            if any(e.kind == "EXIT" for e in self.events):
                raise RuntimeError(f"the program ended before showing {marker!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{marker!r} not shown within {timeout} s")
            time.sleep(0.002)

    def quiet(self, seconds: float = 0.3, timeout: float = 30.0) -> float:
        """Wait until no output came for ``seconds``; the stamp of the last output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            last = max((e.at for e in self.events if e.kind == "OUT"), default=0.0)
            if last and time.monotonic() - last >= seconds:
                return last
            time.sleep(0.01)
        raise TimeoutError("the program never went quiet")

    def pid(self) -> int:
        """The program's pid (the relay's child)."""
        self.poll()
        start = next(e for e in self.events if e.kind == "START")
        return int(start.data)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, StopIteration):
            os.kill(self.pid(), signal.SIGKILL)


@contextlib.contextmanager
def workspace(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed at the end even while a process that is ending still
    writes into it (an app's refresh process, which outlives the app by up to a second,
    caching bytecode there: removing the folder once failed with "Directory not empty")."""
    folder = Path(tempfile.mkdtemp(prefix=f"streamtui-{prefix}-"))
    try:
        yield folder
    finally:
        for _ in range(20):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
            time.sleep(0.25)
