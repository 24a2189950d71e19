"""Which browser opens a link, and how (issue 12: a terminal browser drew over the app, both
read the keyboard, and the screen stayed blank afterwards).

The choice (config.toml's ``browser``, $BROWSER, Python's webbrowser) is tested against real
programs: recorder scripts that write their argv to a log. The app is driven with Pilot for
the choice and its messages, and for real in tmux for the hand-over of the terminal: a
terminal recorder, and w3m itself on a loopback page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.store import merge_items

from conftest import make_item
from feedserver import FeedServer, feed
from feedserver import feed_server_fixture as feed_server_fixture  # the feed_server fixture
from streamtui.core import browser
from streamtui.core.config import ConfigError, load_config
from streamtui.core.library import Library
from streamtui.core.models import Enclosure, SourceKind, View
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp

URL = "https://example.org/a?q=1&b=$(x)"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def recorder(folder: Path, name: str, log: Path) -> Path:
    """A program called ``name`` that appends its argv (as JSON) to ``log``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    return script


def logged(log: Path, count: int = 1) -> list[list[str]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"the browser ran fewer than {count} times")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No BROWSER, no display, a PATH holding only an empty folder (returned), and a
    webbrowser module that looks at this environment afresh."""
    empty = tmp_path / "bin"
    empty.mkdir()
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    yield empty


# -- the choice ------------------------------------------------------------------------------


def test_the_config_browser_is_an_argv_with_the_url_in_place_of_percent_u(
    clean_env: Path, tmp_path: Path
) -> None:
    program = recorder(clean_env, "mybrowser", tmp_path / "log")
    launch = browser.choose(URL, browser=["mybrowser", "--new-tab=%u", "-x"])
    assert launch.argv == (str(program), f"--new-tab={URL}", "-x")
    assert not launch.terminal  # judged by the name: not a known terminal browser
    launch = browser.choose(URL, browser=["mybrowser", "-x"], terminal=True)
    assert launch.argv == (str(program), "-x", URL) and launch.terminal  # appended; as told


def test_a_known_terminal_browser_is_run_as_one(clean_env: Path, tmp_path: Path) -> None:
    for name in ("w3m", "lynx", "links", "elinks", "browsh", "carbonyl"):
        recorder(clean_env, name, tmp_path / "log")
        assert browser.choose(URL, browser=[name, "%u"]).terminal
    assert not browser.choose(URL, browser=["w3m", "%u"], terminal=False).terminal


def test_browser_takes_the_first_program_that_exists_split_into_words(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = recorder(clean_env, "lynx", tmp_path / "log")
    monkeypatch.setenv("BROWSER", "no-such-browser --x:lynx -accept_all_cookies '%s' -nopause")
    launch = browser.choose(URL)
    assert launch.argv == (str(program), "-accept_all_cookies", URL, "-nopause")
    assert launch.terminal


def test_browser_naming_nothing_that_exists_says_so(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "no-such-browser:nor-this")
    with pytest.raises(browser.BrowserError, match=r"BROWSER names no program .*no-such-browser"):
        browser.choose(URL)


def test_no_browser_display_or_console_browser_says_so(clean_env: Path) -> None:
    with pytest.raises(browser.BrowserError, match="no web browser could be found"):
        browser.choose(URL)


def test_a_console_browser_python_finds_without_a_display_runs_in_the_terminal(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # webbrowser looks for console browsers
    program = recorder(clean_env, "w3m", tmp_path / "log")
    launch = browser.choose(URL)
    assert launch.argv == (str(program), URL) and launch.terminal


def test_a_graphical_browser_starts_detached_and_a_failing_one_is_an_error(
    clean_env: Path, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    program = recorder(clean_env, "mybrowser", log)
    browser.start(browser.Launch(URL, (str(program), URL)))
    assert logged(log) == [[URL]]
    failing = clean_env / "failing"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(browser.BrowserError, match="failing ended with status 3"):
        browser.start(browser.Launch(URL, (str(failing), URL)))


# -- config.toml -----------------------------------------------------------------------------


def config_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text)
    return folder


def test_config_browser_and_browser_terminal(tmp_path: Path) -> None:
    folder = config_with(tmp_path, 'browser = ["w3m", "-T", "text/html", "%u"]\n')
    config = load_config(folder)
    assert config.browser == ("w3m", "-T", "text/html", "%u")
    assert config.browser_terminal is None
    folder = config_with(tmp_path, 'browser = ["my-tui-browser"]\nbrowser_terminal = true\n')
    assert load_config(folder).browser_terminal is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('browser = "w3m %u"', r"line 1: browser must be a list of words .*without a shell"),
        ("browser = []", "line 1: browser must be a list of words"),
        ('browser = ["w3m", 3]', "3 is not a word"),
        ('browser = ["w3m", ""]', "'' is not a word"),
        ('browser = [" ", "%u"]', "first word must name a program"),
        ('browser = ["w3m\\u001b[2J"]', "control characters"),
        ('browser = ["w3m"]\nbrowser_terminal = "yes"', "line 2: browser_terminal must be true"),
        ("browser_terminal = true", "line 1: browser_terminal goes with browser"),
    ],
)
def test_a_bad_browser_setting_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(config_with(tmp_path, text + "\n"))


# -- the app (Pilot) -------------------------------------------------------------------------


def make_app(data: Path, **config: object) -> StreamApp:
    store = Store.open(data / "streamtui.db")
    source = store.add_source("Links", SourceKind.FEED, "https://example.org/feed.xml")
    enclosure = Enclosure("https://example.org/episode.mp3", "audio/mpeg", 1)
    merge_items(
        store,
        source.id,
        [make_item("i-1", "One", link=URL, enclosures=(enclosure,), published=1_700_000_000)],
    )
    from streamtui.core.config import Config

    chosen = Config(**config)  # type: ignore[arg-type]
    return StreamApp(Library(store, bundled=data / "none"), sync_on_start=False, config=chosen)


def said(app: StreamApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_app_opens_links_and_enclosures_with_the_config_browser(
    clean_env: Path, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    recorder(clean_env, "mybrowser", log)
    app = make_app(tmp_path, browser=("mybrowser", "--tab", "%u"), browser_terminal=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
        # Looked at now: a notice times out, and a loaded machine may take that long to the end.
        assert said(app)[:1] == [f"Opening {URL}"]
        await pilot.press("enter", "f", "1")  # the enclosure, numbered link 1
        await app.workers.wait_for_complete()
    assert logged(log, 2) == [["--tab", URL], ["--tab", "https://example.org/episode.mp3"]]
    app.library.close()


async def test_with_no_browser_the_app_says_so_instead_of_opening(
    clean_env: Path, tmp_path: Path
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
    assert said(app) == [
        "Not opened: no web browser could be found: set BROWSER, or browser in config.toml "
        '(for example browser = ["w3m", "%u"])'
    ]
    app.library.close()


async def test_a_terminal_browser_is_never_run_where_the_terminal_cannot_be_handed_over(
    clean_env: Path, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    recorder(clean_env, "w3m", log)
    app = make_app(tmp_path, browser=("w3m", "%u"))
    async with app.run_test(size=(120, 30)) as pilot:  # headless: nothing to hand over
        await pilot.press("o")
        await app.workers.wait_for_complete()
    assert said(app) == ["Not opened: w3m needs the terminal, which cannot be handed over here"]
    assert not log.exists()  # it did not draw over the app
    app.library.close()


# -- the real app in tmux ------------------------------------------------------------------


class Tmux:
    """A tmux server of our own running the app; keys in, the screen out."""

    def __init__(self, root: Path, width: int, height: int) -> None:
        self.root = root
        self.socket = f"streamtui-test-{os.getpid()}-{time.monotonic_ns()}"
        self.size = (width, height)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self, env: dict[str, str]) -> None:
        exports = " ".join(f"{key}={shell_quote(value)}" for key, value in env.items())
        program = f"{shell_quote(sys.executable)} -m streamtui"
        line = f"env -i {exports} {program}; echo STREAMTUI-EXITED $?; sleep 600"
        width, height = self.size
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(width))
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))
        self.tmux("respawn-pane", "-k", "-t", "t", line)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed; the screen:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def needs(program: str) -> None:
    if shutil.which(program) is None:
        if IN_CI:
            pytest.fail(f"{program} is missing (apt-get install -y {program})")
        pytest.skip(f"needs {program} (apt-get install -y {program})")


def app_env(root: Path, **extra: str) -> dict[str, str]:
    home = root / "home"
    home.mkdir(exist_ok=True)
    src = Path(__file__).resolve().parents[1] / "src"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "STREAMTUI_DATA_DIR": str(root / "data"),
        "STREAMTUI_CONFIG_DIR": str(root / "config"),
        "TEXTUAL_ANIMATIONS": "none",
        "PYTHONPATH": str(src),
        **extra,
    }


EMPTY_FEED = '<rss version="2.0"><channel><title>Loopback</title></channel></rss>'
PAGE = "<html><body><h1>Loopback page</h1><p>Drawn by the browser.</p></body></html>"


def loopback_library(root: Path, server: FeedServer) -> None:
    server.route("/page.html", feed(PAGE, content_type="text/html; charset=utf-8"))
    server.route("/feed.xml", feed(EMPTY_FEED))  # the refresh at start-up adds nothing
    store = Store.open(root / "data" / "streamtui.db")
    store.set_meta("default_source_added", "1")
    source = store.add_source("Loopback", SourceKind.FEED, server.url("/feed.xml"))
    merge_items(
        store,
        source.id,
        [
            make_item("i-1", "Story with a page", link=server.url("/page.html"), published=2e9),
            make_item("i-2", "Second story", published=2e9 - 60),
        ],
    )
    store.close()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    needs("tmux")
    terminal = Tmux(tmp_path, 120, 40)
    yield terminal
    terminal.close()


TERMINAL_RECORDER = """\
import json, sys, termios, tty
with open({log!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
sys.stdout.write("\\x1b[2J\\x1b[HFAKE TERMINAL BROWSER " + sys.argv[-1] + "\\r\\nq quits\\r\\n")
sys.stdout.flush()
saved = termios.tcgetattr(0)
tty.setraw(0)
try:
    typed = b""
    while not typed.endswith(b"q"):
        typed += sys.stdin.buffer.read(1)
finally:
    termios.tcsetattr(0, termios.TCSADRAIN, saved)
with open({log!r}, "a") as out:
    out.write(json.dumps(["typed", typed.decode()]) + "\\n")
"""


def test_a_terminal_browser_gets_the_terminal_and_the_app_comes_back(
    tmp_path: Path, tmux: Tmux, feed_server: FeedServer
) -> None:
    """The app suspends while the browser runs: the keys typed go to the browser, not the
    app, and once it ends the app redraws and takes keys again."""
    log = tmp_path / "log"
    program = tmp_path / "bin" / "tui-browser"
    program.parent.mkdir()
    program.write_text(f"#!{sys.executable}\n" + TERMINAL_RECORDER.format(log=str(log)))
    program.chmod(0o755)
    loopback_library(tmp_path, feed_server)
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(f'browser = ["{program}", "%u"]\nbrowser_terminal = true\n')
    tmux.start(app_env(tmp_path))
    tmux.wait_for("Story with a page")
    tmux.keys("o")
    screen = tmux.wait_for("FAKE TERMINAL BROWSER")
    assert "Sources" not in screen  # the app drew nothing over it
    tmux.keys("j", "j", "m", "q")  # the browser's keys: the app must not act on them
    screen = tmux.wait_for("Sources")
    assert logged(log, 2) == [[feed_server.url("/page.html")], ["typed", "jjmq"]]
    assert "Story with a page" in screen and "Second story" in screen
    assert "STREAMTUI-EXITED" not in screen
    tmux.keys("enter")  # the app takes keys again: the first item opens
    tmux.wait_for("Loopback  ·")
    store = Store.open(tmp_path / "data" / "streamtui.db")
    read = {row.id: row.read for row in store.rows(View(), 0, 10)}
    store.close()
    assert read == {"i-1": True, "i-2": False}  # j j m went to the browser, Enter to the app


def test_w3m_opens_a_page_and_quitting_it_gives_the_app_back(
    tmp_path: Path, tmux: Tmux, feed_server: FeedServer
) -> None:
    needs("w3m")
    loopback_library(tmp_path, feed_server)
    tmux.start(app_env(tmp_path, BROWSER="w3m"))
    tmux.wait_for("Story with a page")
    tmux.keys("o")
    tmux.wait_for("Drawn by the browser.")
    tmux.keys("q")
    tmux.wait_for("Do you want to exit w3m?")
    tmux.keys("y")
    screen = tmux.wait_for("Sources")
    assert "Story with a page" in screen and "STREAMTUI-EXITED" not in screen
    tmux.keys("j", "enter")
    tmux.wait_for("Second story")
    tmux.keys("q")
    assert "STREAMTUI-EXITED 0" in tmux.wait_for("STREAMTUI-EXITED")
