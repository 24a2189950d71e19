"""Which program plays an enclosure, and how: an argv, never a shell, as links open.

The choice, in order:

1. ``player`` in config.toml: a list of words, ``%u`` in any word replaced by the file or URL
   (appended when no word holds it); ``player_terminal`` says whether it draws in the
   terminal, else its name decides (:data:`TERMINAL_PLAYERS`: mpv, mplayer, cvlc... take the
   terminal for their status line and keys even when a video opens a window).
2. The first of :data:`DEFAULT_PLAYERS` found on ``PATH`` (terminal programs all).
3. ``xdg-open`` (or ``open`` on macOS): the desktop's player, beside the app.

What it returns is a :class:`~streamtui.core.browser.Launch`, the browser's own value, so the
app runs a player exactly as it runs a browser: ``browser.run_in_terminal`` (the app suspends
itself and comes back redrawn) or ``browser.start`` (beside the app, its output kept off the
screen). What is played is a local file (an absolute path: it can never be read as an option)
or an http(s) URL; anything else is refused with the reason, as links are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from streamtui.core.browser import Launch, fill_words, find_program
from streamtui.core.errors import StreamtuiError
from streamtui.core.text.links import refusal
from streamtui.core.text.sanitize import sanitize

__all__ = [
    "DEFAULT_PLAYERS",
    "TERMINAL_PLAYERS",
    "PlayerError",
    "choose_player",
    "is_terminal_player",
]

TERMINAL_PLAYERS = frozenset(
    {"mpv", "mplayer", "cvlc", "mpg123", "mpg321", "ogg123", "play", "mocp", "termusic"}
)
"""Programs that use the terminal they are started from (a status line, keys)."""
DEFAULT_PLAYERS = ("mpv", "mplayer", "cvlc", "mpg123")
TARGET_MARK = "%u"
NO_PLAYER = (
    'no media player could be found: set player in config.toml (for example player = ["mpv", "%u"])'
)


class PlayerError(StreamtuiError):
    """No player could be chosen, or what was to be played cannot be; one line."""


def is_terminal_player(program: str) -> bool:
    return Path(program).name.lower() in TERMINAL_PLAYERS


def choose_player(
    target: str | Path,
    *,
    player: Sequence[str] = (),
    terminal: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Launch:
    """How to play ``target`` (a downloaded file, or the enclosure's URL)."""
    env = os.environ if environ is None else environ
    shown = _target(target)
    if player:
        argv = fill_words(player, TARGET_MARK, shown)
        found = find_program(argv[0], env)
        if found is None:
            raise PlayerError(f"{_shown(argv[0])} (player in config.toml): no such program")
        wanted = is_terminal_player(argv[0]) if terminal is None else terminal
        return Launch(shown, (found, *argv[1:]), wanted)
    for name in DEFAULT_PLAYERS:
        found = find_program(name, env)
        if found is not None:
            return Launch(shown, (found, shown), terminal=True)
    opener = find_program("open" if sys.platform == "darwin" else "xdg-open", env)
    if opener is not None:
        return Launch(shown, (opener, shown), terminal=False)
    raise PlayerError(NO_PLAYER)


def _target(target: str | Path) -> str:
    """A local file as an absolute path that exists, or a URL that may be opened (http(s))."""
    if isinstance(target, Path) or not _has_scheme(target):
        path = Path(target).expanduser().absolute()
        if not path.is_file():
            raise PlayerError(f"{_shown(str(path))}: no such file to play")
        return str(path)
    reason = refusal(target)
    if reason is None and target.split(":", 1)[0].lower() not in ("http", "https"):
        reason = "only http and https addresses are played."
    if reason is not None:
        raise PlayerError(f"{_shown(target)}: {reason}")
    return target


def _has_scheme(text: str) -> bool:
    head, colon, _ = text.partition(":")
    return bool(colon) and head.isascii() and head.replace("+", "").replace(".", "").isalnum()


def _shown(text: str) -> str:
    return sanitize(text)[:120]
