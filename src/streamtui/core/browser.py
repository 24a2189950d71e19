"""Which browser opens a link, and how: never through a shell.

A terminal browser (w3m, lynx...) needs the terminal the app is drawing on: the app hands it
over (suspends itself) while the browser runs, then takes it back. A graphical one runs
beside the app, detached from the terminal, its output thrown away so that it never draws
over the app. The choice, in order:

1. ``browser`` in config.toml: an argv list, ``%u`` replaced by the URL (appended when no
   word holds it); ``browser_terminal`` says whether it needs the terminal, else the
   program's name decides (:data:`TERMINAL_BROWSERS`).
2. ``$BROWSER``: programs separated by ``:``, each split into words as a shell would split
   them (no shell runs it), ``%s`` replaced by the URL (appended when absent); the first
   that exists is used. Its name decides whether it needs the terminal.
3. Python's ``webbrowser``: the desktop's browser, or with no display the console browsers
   it knows (which are terminal browsers, run as such).

When none of them can start, :func:`choose` raises :class:`BrowserError` saying so, so
that the app never claims to be "Opening" a link nothing will show.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from streamtui.core.errors import StreamtuiError
from streamtui.core.text.sanitize import sanitize

TERMINAL_BROWSERS = frozenset(
    {
        "w3m",
        "lynx",
        "links",
        "links2",
        "elinks",
        "browsh",
        "carbonyl",
        "cha",
        "chawan",
        "netrik",
        "www-browser",
    }
)
"""Programs that draw in the terminal they are started from."""
URL_MARK = "%u"
"""Where the URL goes in the ``browser`` argv of config.toml."""
STARTUP_SECONDS = 2.0
"""How long a graphical browser is watched for an immediate failure (an exit status not 0)."""
NO_BROWSER = (
    "no web browser could be found: set BROWSER, or browser in config.toml "
    '(for example browser = ["w3m", "%u"])'
)


class BrowserError(StreamtuiError):
    """No browser could be chosen or started; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Launch:
    """How one URL is opened: ``argv`` run as it is, or (empty) Python's webbrowser."""

    url: str
    argv: tuple[str, ...] = ()
    terminal: bool = False
    """The program needs the terminal: the app suspends itself while it runs."""

    @property
    def name(self) -> str:
        """The program, as a message names it."""
        return sanitize(Path(self.argv[0]).name) if self.argv else "the web browser"


def is_terminal_program(program: str) -> bool:
    return Path(program).name.lower() in TERMINAL_BROWSERS


def choose(
    url: str,
    *,
    browser: Sequence[str] = (),
    terminal: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Launch:
    """How to open ``url`` (already checked: http, https or mailto); BrowserError when no
    browser can be found."""
    env = os.environ if environ is None else environ
    if browser:
        argv = fill_words(browser, URL_MARK, url)
        found = find_program(argv[0], env)
        if found is None:
            raise BrowserError(f"{_shown(argv[0])} (browser in config.toml): no such program")
        wanted = is_terminal_program(argv[0]) if terminal is None else terminal
        return Launch(url, (found, *argv[1:]), wanted)
    choices = [choice for choice in env.get("BROWSER", "").split(os.pathsep) if choice.strip()]
    for choice in choices:
        try:
            words = shlex.split(choice)
        except ValueError:
            continue  # an unbalanced quote: not a command
        if not words:
            continue
        found = find_program(words[0], env)
        if found is not None:
            return Launch(
                url, (found, *fill_words(words[1:], "%s", url)), is_terminal_program(found)
            )
    if choices:
        named = ", ".join(_shown(choice) for choice in choices)
        raise BrowserError(f"BROWSER names no program that can be found ({named})")
    return _from_webbrowser(url, env)


def _from_webbrowser(url: str, env: Mapping[str, str]) -> Launch:
    """Python's choice; a console browser it picks (no display) is run as a terminal one."""
    import webbrowser

    try:
        controller = webbrowser.get()
    except webbrowser.Error as error:
        raise BrowserError(NO_BROWSER) from error
    program = str(getattr(controller, "name", ""))
    if program and is_terminal_program(program):
        found = find_program(program, env)
        if found is not None:
            return Launch(url, (found, url), terminal=True)
    if isinstance(controller, webbrowser.GenericBrowser):  # xdg-open and the like: run by
        found = find_program(program, env)  # us, so that their output stays off the screen
        if found is not None:
            return Launch(url, (found, *fill_words(controller.args, "%s", url)))
    return Launch(url)


def start(launch: Launch) -> None:
    """Open a graphical browser (or webbrowser's choice) and return once it has started;
    BrowserError when it cannot. Blocks for up to :data:`STARTUP_SECONDS`: call it off
    the UI thread."""
    if not launch.argv:
        import webbrowser

        if not webbrowser.open(launch.url, new=2):
            raise BrowserError(f"could not start {launch.name} for {launch.url}")
        return
    try:
        process = subprocess.Popen(
            launch.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its output and signals stay away from the app's terminal
            close_fds=True,
        )
    except OSError as error:
        raise BrowserError(f"could not start {launch.name} ({_reason(error)})") from error
    try:
        status = process.wait(STARTUP_SECONDS)
    except subprocess.TimeoutExpired:
        # Still running: a browser that stays in the foreground. Reap it when it ends.
        threading.Thread(target=process.wait, name="browser", daemon=True).start()
        return
    if status != 0:
        raise BrowserError(f"{launch.name} ended with status {status}")


def run_in_terminal(launch: Launch) -> None:
    """Run a terminal browser in the foreground, on the terminal the app handed over, and
    wait for it to end; BrowserError when it could not start or ended with a failure."""
    try:
        with _interrupts_left_to_it():
            status = subprocess.run(launch.argv, check=False, close_fds=True).returncode
    except OSError as error:
        raise BrowserError(f"could not start {launch.name} ({_reason(error)})") from error
    if status != 0:
        raise BrowserError(f"{launch.name} ended with status {status}")


@contextmanager
def _interrupts_left_to_it() -> Iterator[None]:
    """Ctrl-C on a terminal handed over reaches every process on it: the browser acts on it,
    the app must not end. A handler that does nothing, not SIG_IGN, which the browser would
    inherit across exec."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _ignore)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore(number: int, frame: object) -> None:
    """Deliberately nothing: the signal was meant for the browser."""


def fill_words(words: Sequence[str], mark: str, url: str) -> tuple[str, ...]:
    """The words with ``mark`` replaced by ``url``; the URL appended when no word has it."""
    if any(mark in word for word in words):
        return tuple(word.replace(mark, url) for word in words)
    return (*words, url)


def find_program(program: str, env: Mapping[str, str]) -> str | None:
    """The program's path when it exists and can run, else None."""
    if os.sep in program:
        path = Path(program).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program, path=env.get("PATH"))


def _shown(text: str) -> str:
    return sanitize(text)[:80]


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()
