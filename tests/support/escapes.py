"""Hostile terminal escapes: a corpus of payloads, and the real app run in a pseudo-terminal
with every payload in every field it shows, its output captured byte for byte.

Shared by ``tests/reliability/test_terminal_safety.py`` and ``benchmarks/escapes.py``. Each
:class:`Payload` has a ``marker``: a bytes regex matching the payload's dangerous part as it
would reach the terminal if it got through (UTF-8 encoded), with parameters Textual itself
never writes, so that a clean run's output matches no marker.

A :class:`Scenario` writes folders, stream pages and feeds holding the payloads (each field's
text is ``"<tag>a <payload> <tag>z"``, where the tag names the field and the payload's
number), adds them as sources through the library API (and one through the CLI), serves the
feeds on a loopback server and starts ``python -m streamtui`` in a pty of 200x50 cells. The
drive opens every item (Enter, then J, waiting for each body to be drawn), the links screen,
the help, the command palette, a search, and pages through the sources sidebar (the source
names and the errors of skipped files), then quits with q.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from streamtui.ui.images.terminal import QUERY
from tests.support.bytecode import src_path
from tests.support.feedserver import FeedServer
from tests.support.store import merge_items, update_source


@dataclass(frozen=True)
class Payload:
    name: str
    text: str
    marker: re.Pattern[bytes]

    @property
    def nameable(self) -> bool:
        """Whether it can be part of a file or folder name (no slash, no NUL)."""
        return "/" not in self.text and "\x00" not in self.text


def _p(name: str, text: str, marker: bytes) -> Payload:
    return Payload(name, text, re.compile(marker))


PAYLOADS: tuple[Payload, ...] = (
    # OSC: clipboard, titles, hyperlinks, iTerm2, palette, colour queries
    _p("osc52 clipboard BEL", "\x1b]52;c;RVZJTENMSVA=\x07", rb"\x1b\]52;c;RVZJTENMSVA"),
    _p("osc52 clipboard ST", "\x1b]52;p;c3RjbGlw\x1b\\", rb"\x1b\]52;p;c3RjbGlw"),
    _p("osc52 unterminated", "\x1b]52;c;dW50ZXJt", rb"\x1b\]52;c;dW50ZXJt"),
    _p("osc0 title BEL", "\x1b]0;PWNED-TITLE-0\x07", rb"\x1b\]0;PWNED"),
    _p("osc2 title ST", "\x1b]2;PWNED-TITLE-2\x1b\\", rb"\x1b\]2;PWNED"),
    _p("osc0 title unterminated", "\x1b]0;PWNED-UNTERMINATED", rb"\x1b\]0;PWNED"),
    _p(
        "osc8 hidden link",
        "\x1b]8;;https://evil.invalid/osc8\x1b\\click\x1b]8;;\x1b\\",
        rb"\x1b\]8;;https://evil\.invalid",
    ),
    _p(
        "osc8 mailto link BEL",
        "\x1b]8;;mailto:osc8@evil.invalid\x07here\x1b]8;;\x07",
        rb"\x1b\]8;;mailto:osc8@evil",
    ),
    _p(
        "osc1337 iTerm file",
        "\x1b]1337;File=name=ZXZpbA==;inline=1:QUFBQQ==\x07",
        rb"\x1b\]1337;File=",
    ),
    _p("osc1337 user var", "\x1b]1337;SetUserVar=pwn=ZXZpbA==\x07", rb"\x1b\]1337;SetUserVar"),
    _p("osc4 palette", "\x1b]4;1;rgb:de/ad/be\x07", rb"\x1b\]4;1;rgb:de"),
    _p("osc11 background query", "\x1b]11;?\x07", rb"\x1b\]11;\?"),
    _p("osc11 background set", "\x1b]11;#badbad\x1b\\", rb"\x1b\]11;#badbad"),
    # APC (kitty graphics), DCS (tmux, DECRQSS, XTGETTCAP, sixel), PM, SOS
    _p("apc kitty graphics", "\x1b_Gf=100,a=T,i=777;QUFBQQ==\x1b\\", rb"\x1b_Gf=100,a=T,i=777"),
    _p("apc kitty query", "\x1b_Gi=31337,a=q;\x1b\\", rb"\x1b_Gi=31337"),
    _p("dcs tmux passthrough", "\x1bPtmux;\x1b\x1b]52;c;dG11eA==\x07\x1b\\", rb"\x1bPtmux;"),
    _p("dcs decrqss", "\x1bP$qm\x1b\\", rb"\x1bP\$qm"),
    _p("dcs xtgettcap", "\x1bP+q544e\x1b\\", rb"\x1bP\+q544e"),
    _p("dcs sixel", "\x1bPq#0;2;0;0;0#1~~@@vv\x1b\\", rb"\x1bPq#0;2"),
    _p("dcs unterminated", "\x1bPtmux;unterminated", rb"\x1bPtmux;"),
    _p("pm", "\x1b^pm-payload\x1b\\", rb"\x1b\^pm-payload"),
    _p("sos", "\x1bXsos-payload\x1b\\", rb"\x1bXsos-payload"),
    # CSI: cursor moves with odd parameters, clears, insert/delete, scroll regions
    _p("csi cup", "\x1b[777;999H", rb"\x1b\[777;999H"),
    _p("csi hvp", "\x1b[778;998f", rb"\x1b\[778;998f"),
    _p("csi cuu cud cuf cub", "\x1b[77A\x1b[76B\x1b[75C\x1b[74D", rb"\x1b\[7[4-7][ABCD]"),
    _p("csi cha vpa cnl cpl", "\x1b[773G\x1b[772d\x1b[71E\x1b[71F", rb"\x1b\[7(?:7[23]|1)[GdEF]"),
    _p("csi erase display", "\x1b[2J", rb"\x1b\[2J"),
    _p("csi erase scrollback", "\x1b[3J", rb"\x1b\[3J"),
    _p("csi erase line", "\x1b[Kline\x1b[1K\x1b[2K", rb"\x1b\[[12]?K"),
    _p("csi scroll region", "\x1b[7;9r\x1b[77S\x1b[77T", rb"\x1b\[(?:7;9r|77[ST])"),
    _p("csi insert delete", "\x1b[77L\x1b[77M\x1b[77P\x1b[77@", rb"\x1b\[77[LMP@]"),
    # Queries that make the terminal type an answer into the app
    _p("dsr cursor position", "\x1b[6n", rb"\x1b\[6n"),
    _p("dsr status", "\x1b[5n", rb"\x1b\[5n"),
    _p("da primary", "\x1b[c", rb"\x1b\[0?c"),
    _p("da secondary", "\x1b[>c", rb"\x1b\[>0?c"),
    _p("da tertiary", "\x1b[=c", rb"\x1b\[=0?c"),
    _p("window size reports", "\x1b[14t\x1b[18t", rb"\x1b\[1[48]t"),
    _p("title report", "\x1b[21t", rb"\x1b\[21t"),
    _p("window resize iconify", "\x1b[8;99;333t\x1b[2t", rb"\x1b\[(?:8;99;333|2)t"),
    _p("decrqm", "\x1b[?1000$p\x1b[20$p", rb"\x1b\[\??(?:1000|20)\$p"),
    _p("xtversion", "\x1b[>0q", rb"\x1b\[>0q"),
    # (not 1049 or 25: Textual switches those itself)
    _p("private modes", "\x1b[?1047h\x1b[?5h\x1b[?9h", rb"\x1b\[\?(?:1047h|5h|9h)"),
    # SGR with the attacker's colours and attributes
    _p("sgr colours", "\x1b[38;2;1;2;3mfake\x1b[48;5;201m", rb"\x1b\[(?:38;2;1;2;3|48;5;201)m"),
    _p("sgr conceal blink", "\x1b[5;7;8mhidden", rb"\x1b\[5;7;8m"),
    # Other ESC sequences: reset, save/restore, charsets, keypad, alignment test
    _p("ris reset", "\x1bc", rb"\x1bc"),
    _p("decsc decrc", "\x1b7dsc\x1b8", rb"\x1b7dsc|\x1b8"),
    _p("charset line drawing", "\x1b(0lqqk\x1b(B", rb"\x1b\(0"),
    _p("keypad modes", "\x1b=kp\x1b>", rb"\x1b=kp|\x1b>"),
    _p("decaln", "\x1b#8", rb"\x1b#8"),
    # 8-bit C1 controls (UTF-8 encoded on the way out)
    _p("c1 csi", "\x9b6n\x9b2J", rb"\xc2\x9b"),
    _p("c1 osc", "\x9d0;c1-title\x07", rb"\xc2\x9d"),
    _p("c1 dcs", "\x90$qm\x9c", rb"\xc2[\x90\x9c]"),
    _p("c1 pm apc", "\x9eprivacy\x9c\x9fapc\x9c", rb"\xc2[\x9e\x9f\x9c]"),
    _p("c1 nel ind ri", "\x85\x84\x8d", rb"\xc2[\x84\x85\x8d]"),
    _p("c1 sos st", "\x98sos\x9c", rb"\xc2[\x98\x9c]"),
    # C0 controls a terminal acts on
    _p("enq answerback", "\x05", rb"\x05"),
    _p("shift out in", "\x0eso\x0f", rb"[\x0e\x0f]"),
    _p("bel bs vt ff", "ring\x07\x08\x0b\x0c", rb"ring\x07|[\x08\x0b\x0c]"),
    # Bidi overrides, embeddings and isolates, and the Arabic letter mark
    _p("bidi override", "\u202egnp.exe\u202c", rb"\xe2\x80[\xaa-\xae]"),
    _p("bidi embeddings", "\u202a\u202b\u202dx\u202c", rb"\xe2\x80[\xaa-\xae]"),
    _p("bidi isolates", "\u2066\u2067\u2068x\u2069", rb"\xe2\x81[\xa6-\xa9]"),
    _p("arabic letter mark", "\u061cx", rb"\xd8\x9c"),
)


def leaked(output: bytes, payloads: Iterable[Payload] = PAYLOADS) -> list[Payload]:
    """The payloads whose marker occurs in ``output``."""
    return [payload for payload in payloads if payload.marker.search(output)]


# -- the pseudo-terminal -----------------------------------------------------------------


class Terminal:
    """A program in a pseudo-terminal of its own; a thread drains everything it writes."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        size: tuple[int, int] = (200, 50),
        replies: Sequence[tuple[bytes, bytes]] = (),
        cell: tuple[int, int] = (0, 0),
    ) -> None:
        """``replies``: (question, answer) pairs, each answered once by the draining thread
        as soon as the program writes the question (a terminal answering a query). ``cell``:
        a cell's size in pixels, as the tty tells it (0: it does not, as most ptys)."""
        columns, lines = size
        self._replies = list(replies)
        master, slave = os.openpty()
        pixels = struct.pack("HHHH", lines, columns, columns * cell[0], lines * cell[1])
        fcntl.ioctl(slave, termios.TIOCSWINSZ, pixels)
        self.master = master
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_terminal,
            close_fds=True,
        )
        os.close(slave)
        self._output = bytearray()
        self._changed = threading.Condition()
        self._last = time.monotonic()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def output(self) -> bytes:
        with self._changed:
            return bytes(self._output)

    def mark(self) -> int:
        with self._changed:
            return len(self._output)

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.5)
                if not ready:
                    if self.process.poll() is not None:
                        break
                    continue
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the terminal
                break
            if not data:
                break
            with self._changed:
                self._output += data
                self._last = time.monotonic()
                self._changed.notify_all()
            self._answer()
        with self._changed:
            self._changed.notify_all()

    def _answer(self) -> None:
        for reply in list(self._replies):
            question, answer = reply
            if question in self._output:
                self._replies.remove(reply)
                self.send(answer)

    def send(self, keys: str | bytes) -> None:
        data = keys.encode() if isinstance(keys, str) else keys
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def wait_for(self, pattern: bytes, since: int = 0, timeout: float = 10.0) -> bool:
        """Wait until ``pattern`` occurs in the output written after offset ``since``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while pattern not in self._output[since:]:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    return False
                self._changed.wait(min(left, 0.1))
        return True

    def wait_output(self, since: int, timeout: float = 10.0) -> bool:
        """Wait until anything is written after offset ``since``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._output) <= since:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    return False
                self._changed.wait(min(left, 0.1))
        return True

    def wait_quiet(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until nothing has been written for ``quiet`` seconds, counted from now at
        the earliest (or ``timeout``)."""
        start = time.monotonic()
        deadline = start + timeout
        with self._changed:
            while time.monotonic() < deadline and self._reader.is_alive():
                idle = time.monotonic() - max(self._last, start)
                if idle >= quiet:
                    return
                self._changed.wait(quiet - idle)

    def close(self, timeout: float = 10.0) -> int | None:
        """Wait for the program to end (killed after ``timeout``); its exit status or None."""
        try:
            status: int | None = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            status = None
        self._reader.join(5)
        os.close(self.master)
        return status


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


# -- the scenario ------------------------------------------------------------------------

FIELDS: dict[str, str] = {
    # field name -> the tag letter its texts carry
    "page title": "T",
    "page body": "B",
    "teaser title": "U",
    "teaser summary": "S",
    "folder name": "N",
    "file name": "P",
    "skipped-file error": "E",
    "RSS item title": "R",
    "RSS description": "D",
    "feed title": "F",
    "JSON Feed item title": "J",
    "JSON Feed content": "K",
    "attachment type": "M",
    "old database, unsanitised": "O",
}
NAME_FIELDS = {"folder name", "file name", "skipped-file error"}
"""Fields whose text becomes part of a file or folder name."""
MTIME = 1_700_000_000


def tagged(tag: str, number: int, payload: Payload | None) -> str:
    """A field's text: two visible words around the payload (around nothing without one)."""
    return f"{tag}{number:02d}a {payload.text if payload else ''} {tag}{number:02d}z"


def word(tag: str, number: int) -> bytes:
    """The visible word that shows a field's text was drawn."""
    return f"{tag}{number:02d}a".encode()


@dataclass
class Scenario:
    """Sources holding the payloads in the chosen fields (benign text in the others)."""

    root: Path
    payloads: Sequence[Payload] = PAYLOADS
    fields: Sequence[str] = tuple(FIELDS)
    expected: list[bytes] = field(default_factory=list)
    """Visible words that must be drawn."""
    tried: dict[str, int] = field(default_factory=dict)
    """How many payloads each field carries."""

    def chosen(self, name: str, payload: Payload) -> Payload | None:
        if name not in self.fields:
            return None
        if name in NAME_FIELDS and not payload.nameable:
            return None
        return payload

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.lower().endswith("_proxy")
            and not key.startswith(("TEXTUAL", "STREAMTUI", "XDG_"))
            and key not in ("NO_COLOR", "COLUMNS", "LINES", "TMUX")
        }
        home = self.root / "home"
        home.mkdir(parents=True, exist_ok=True)
        env.update(
            TERM="xterm-256color",
            COLORTERM="truecolor",
            HOME=str(home),
            STREAMTUI_DATA_DIR=str(self.root / "data"),
            STREAMTUI_CONFIG_DIR=str(self.root / "config"),
            TEXTUAL_ANIMATIONS="none",
            PYTHONPATH=src_path(keep=True),
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def build(self, server: FeedServerLike) -> None:
        """Write the folders and feeds, add them as sources, store the old-database rows."""
        from streamtui.core.library import open_library

        for name in self.fields:
            self.tried[name] = sum(1 for p in self.payloads if self.chosen(name, p))
        pages = self.root / "pages"
        pages.mkdir(parents=True)
        library, _ = open_library(self.root / "data")
        try:
            library.store.set_meta("default_source_added", "1")  # no bundled guide in the way
            # One parser pool for every added feed: each add started and stopped its own
            # (about 0.4 s an add, 30 s of the drive's 40 payloads' setup).
            with library._counted_pool():
                for number, payload in enumerate(self.payloads):
                    self._folder(library, pages, number, payload)
                    self._json_feed(library, server, number, payload)
            self._rss_feed(server)
            self._old_database(library)
            # Read already: opening an item redraws only the article and the list's line.
            library.mark_view_read(library.view())
        finally:
            library.close()

    def _text(self, name: str, number: int, payload: Payload) -> str:
        text = tagged(FIELDS[name], number, self.chosen(name, payload))
        if name in self.fields and (name not in NAME_FIELDS or payload.nameable):
            self.expected.append(word(FIELDS[name], number))
        return text

    def _folder(self, library: object, pages: Path, number: int, payload: Payload) -> None:
        from streamtui.core.library import Library

        assert isinstance(library, Library)
        folder = pages / self._text("folder name", number, payload)
        folder.mkdir()
        page = folder / f"{self._text('file name', number, payload)}.txt"
        page.write_text(
            f"{self._text('page title', number, payload)}\n\n"
            f"{self._text('page body', number, payload)}\n\n"
            "More from this stream\n\n"
            f"{self._text('teaser title', number, payload)}\n\n"
            f"{self._text('teaser summary', number, payload)}\n",
            encoding="utf-8",
        )
        binary = folder / f"{self._text('skipped-file error', number, payload)}.txt"
        binary.write_bytes(b"binary\x00file")
        for path in (page, binary):
            os.utime(path, (MTIME + number * 10, MTIME + number * 10))
        library.add_source(str(folder))

    def _json_feed(self, library: object, server: FeedServerLike, number: int, p: Payload) -> None:
        from streamtui.core.library import Library

        assert isinstance(library, Library)
        document = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self._text("feed title", number, p),
            "items": [
                {
                    "id": f"json-{number}",
                    "title": self._text("JSON Feed item title", number, p),
                    "content_text": self._text("JSON Feed content", number, p),
                    "date_published": _iso(MTIME + 5000 + number * 10),
                    "url": f"https://example.org/json/{number}",
                    "attachments": [
                        {
                            "url": f"https://example.org/json/{number}.mp3",
                            "mime_type": self._text("attachment type", number, p),
                        }
                    ],
                }
            ],
        }
        path = f"/feed-{number}.json"
        server.route(path, _serve(json.dumps(document).encode(), "application/feed+json"))
        library.add_source(server.url(path))

    def _rss_feed(self, server: FeedServerLike) -> None:
        entries = "".join(
            "<item>"
            f"<title>{_xml(self._text('RSS item title', n, p))}</title>"
            f"<description>{_xml(html.escape(self._text('RSS description', n, p)))}"
            "</description>"
            f"<guid>rss-{n}</guid><link>https://example.org/rss/{n}</link>"
            f"<pubDate>{_rfc822(MTIME + 10000 + n * 10)}</pubDate>"
            "</item>"
            for n, p in enumerate(self.payloads)
        )
        document = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<rss version="2.0"><channel><title>Hostile RSS</title>{entries}</channel></rss>'
        )
        server.route("/feed.rss", _serve(document.encode(), "application/rss+xml"))
        # One source through the command line, as a user adds one.
        subprocess.run(
            [sys.executable, "-m", "streamtui", "add", server.url("/feed.rss"), "--name", "RSS"],
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _old_database(self, library: object) -> None:
        """Rows stored raw, as a database written before text was sanitised on the way in
        would hold them: only the sanitising where text is drawn stands between them and
        the terminal."""
        from datetime import UTC, datetime

        from streamtui.core.library import Library
        from streamtui.core.models import Enclosure, Item, SourceKind

        assert isinstance(library, Library)
        name = "old database, unsanitised"
        if name not in self.fields:
            return
        # One item holding every payload (a line each) in every field: the article shows
        # them all; the list's line and the sidebar the first ones.
        lines = [self._text(name, n, p) for n, p in enumerate(self.payloads)]
        text = "\n".join(lines)
        source = library.store.add_source(
            "Old " + " ".join(lines[:6]),  # a short entry: the sidebar ends with it
            SourceKind.FEED,
            "http://127.0.0.1:9/old.xml",  # nothing listens: the refresh fails, rows stay
        )
        merge_items(
            library.store,
            source.id,
            [
                Item(
                    id="old",
                    title=text,
                    summary=text,
                    body=text,
                    published=datetime.fromtimestamp(MTIME + 20000, UTC),
                    link="https://example.org/old",
                    path=text,
                    encoding=text,
                    enclosures=(Enclosure("https://example.org/old.mp3", text),),
                )
            ],
        )
        update_source(library.store, source.id, last_error="Old error " + " ".join(lines[-6:]))


class FeedServerLike(Protocol):
    """What the scenario needs of ``feedserver.FeedServer``."""

    def route(self, path: str, handler: Any) -> None: ...

    def url(self, path: str = "/") -> str: ...


def _serve(body: bytes, content_type: str) -> object:
    def handler(_: object) -> tuple[int, list[tuple[str, str]], bytes]:
        return 200, [("Content-Type", content_type)], body

    return handler


def _xml(text: str) -> str:
    """Text for an XML element: escaped, with controls as character references (raw ones
    are not XML; feedparser's loose parser reads both)."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"&#{ord(m.group())};", escaped)


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _rfc822(when: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))


# -- the drive ---------------------------------------------------------------------------


@dataclass
class Run:
    output: bytes
    status: int | None
    seconds: float
    missing: list[bytes]
    """Expected visible words that were never drawn."""
    steps: list[str] = field(default_factory=list)
    """What the drive could not confirm (a screen that did not show)."""

    @property
    def traceback(self) -> bool:
        return b"Traceback" in self.output


ESC = "\x1b"
PAGE_DOWN = "\x1b[6~"
END = "\x1b[F"


def drive(
    scenario: Scenario,
    *,
    size: tuple[int, int] = (120, 40),
    step: float = 8.0,
    every_screen: bool = True,
) -> Run:
    """Start the app on the scenario's data and go through everything it shows. Without
    ``every_screen`` (a benchmark's smoke run), the items and the sources only: not the
    links screen, the help, the palette, a search, a rename and a removal, which draw no
    field's word of their own."""
    from streamtui.core.library import open_library

    library, _ = open_library(scenario.root / "data")
    try:
        view = library.view()
        rows = library.rows(view, 0, library.count(view))
        articles = [library.article(row.id) for row in rows]
    finally:
        library.close()
    # What shows each item's article: the first word of its body (or summary, for teasers).
    wanted = [_first_word(a.summary if a.row.teaser else a.body) or b"" for a in articles]

    terminal = Terminal([sys.executable, "-m", "streamtui"], scenario.env(), size=size)
    notes: list[str] = []
    try:
        if not terminal.wait_for(b"Sources", timeout=30):
            notes.append("no first frame")
        terminal.wait_quiet(0.5, timeout=15)  # the refresh on start
        began = time.monotonic()
        missed = 0
        for index, target in enumerate(wanted):
            since = terminal.mark()
            terminal.send("\r" if index == 0 else "J")
            if target and not terminal.wait_for(target, since, timeout=step):
                notes.append(f"item {index} ({target!r}) not drawn")
                missed += 1
                if missed == 3:  # lost its place: every later item would wait its whole step
                    notes.append(f"the drive stopped at item {index} of {len(wanted)}")
                    break
            else:
                missed = 0
            if index == 0 and every_screen:  # the newest item has links: the links screen
                _show(terminal, notes, "f", b"Open link", step)
                # Closing it draws the article again, its title included: wait for that, so
                # that the next key cannot arrive with the Esc (read together they make one
                # Alt key, the links screen stays and every later item waits its timeout).
                _show(terminal, notes, ESC, target or b"", step)
        opened = time.monotonic()
        screens = (
            ("?", b"streamtui keys"),
            (ESC, b""),
            (":", b""),
            ("F00", b"Source:"),  # the palette: sources and items
            (ESC, b""),
            ("/", b""),
            ("T0", b"Search"),  # a live search: titles with highlights
            ("\r", b""),
        )
        for keys, shows in (
            *(screens if every_screen else ()),
            ("h", b""),  # the list; h again: the sources
            ("h", b""),
        ):
            _show(terminal, notes, keys, shows, step)
        # Page through every source: a folder's entry takes about six lines (its name, the
        # error of its skipped file), a feed's one.
        # Each page waits for its own frame: on a loaded machine two page-downs could be
        # drawn as one frame, and the entries between never reach the terminal.
        # A page-down that draws nothing is at the end: the ones after it would draw nothing
        # either. Each waited its whole step (8 s, a third of a small drive); once one has
        # drawn, the next may take four times as long as the slowest so far (at least 2 s).
        # The sidebar ends with the old database's source ("Old ..."): until it has been
        # drawn, a page-down that draws nothing in that time is a slow frame on a loaded
        # machine, not the end, and gets its whole step (a drive cut short there left the
        # last sources' words undrawn once).
        last = b"Old " if "old database, unsanitised" in scenario.fields else None
        paging = terminal.mark()
        slowest = 0.0
        for _ in range(len(scenario.payloads) * 7 // 30 + 3):
            since = terminal.mark()
            sent = time.monotonic()
            terminal.send(PAGE_DOWN)
            wait = min(step, max(2.0, 4 * slowest)) if slowest else step
            if not terminal.wait_output(since, timeout=wait):
                at_end = last is None or last in terminal.output[paging:]
                if at_end or not terminal.wait_output(since, timeout=step - wait):
                    break
            slowest = max(slowest, time.monotonic() - sent)
            terminal.wait_quiet(0.15, timeout=step)
        if every_screen:
            # The last source (the old database's): rename, then remove it.
            _show(terminal, notes, END, b"", step)
            _show(terminal, notes, "e", b"New name for", step)
            _show(terminal, notes, ESC, b"", step)
            # The dialog's button, not its question: the question wraps where the source's
            # name ends (a short name split "Other sources keep": the drive waited its step).
            _show(terminal, notes, "d", b"Yes (y)", step)
            _show(terminal, notes, "y", b"Removed", step * 2)  # the list and sidebar reload
        terminal.send("q")
        status = terminal.close(timeout=15)
    except BaseException:
        terminal.close(timeout=1)
        raise
    # The app's one question to the terminal at start (does it draw Kitty graphics, Sixel?),
    # written before any feed text: its DA1 would match the "da primary" payload's marker.
    output = terminal.output
    if output.count(QUERY) == 1:
        output = output.replace(QUERY, b"")
    else:
        notes.append(f"the terminal was asked {output.count(QUERY)} times, not once")
    missing = [w for w in scenario.expected if w not in output]
    notes.append(
        f"timing: items {opened - began:.1f} s, the rest {time.monotonic() - opened:.1f} s"
    )
    return Run(output, status, time.monotonic() - terminal.started, missing, notes)


def _show(terminal: Terminal, notes: list[str], keys: str, shows: bytes, step: float) -> None:
    since = terminal.mark()
    terminal.send(keys)
    if shows and not terminal.wait_for(shows, since, timeout=step):
        notes.append(f"{keys!r} did not show {shows!r}")
    if keys == ESC:
        # Esc closes something, so the screen is drawn again: wait for that drawing. A key
        # sent before the app has read the Esc arrives with it, and Textual reads the two
        # as one Alt key (on a busy machine every later item then waited its timeout).
        terminal.wait_output(since, timeout=step)
    # A full second of quiet after Esc: the driver holds a lone Esc back a moment to tell it
    # from the start of a sequence, and on a loaded machine that moment stretches; a key
    # sent inside it is read with the Esc as one Alt key (the likely reason why, once in four
    # drives at load 5, the "/" after the palette's Esc opened no search).
    terminal.wait_quiet(1.0 if keys == ESC else 0.15, timeout=step)


def _first_word(text: str) -> bytes | None:
    found = re.search(r"[A-Z]\d\da", text)
    return found.group().encode() if found else None


@contextlib.contextmanager
def scenario_run(
    root: Path,
    payloads: Sequence[Payload] = PAYLOADS,
    fields: Sequence[str] = tuple(FIELDS),
    *,
    every_screen: bool = True,
) -> Iterator[tuple[Scenario, Run]]:
    """Build a scenario under ``root`` (a fresh folder), serve its feeds, drive the app
    (``every_screen``: see :func:`drive`)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    try:
        with FeedServer() as server:
            scenario = Scenario(root, payloads, fields)
            scenario.build(server)
            yield scenario, drive(scenario, every_screen=every_screen)
    finally:
        os.environ.update(saved)
