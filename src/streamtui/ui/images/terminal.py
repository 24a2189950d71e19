"""Which way images are drawn on this terminal: Kitty graphics, Sixel, half blocks, or not at all.

The ``images`` setting is ``"auto"`` (the default), ``"off"`` (``[image: alt]`` only) or
``"blocks"`` (half blocks whatever the terminal can do). :func:`resolve` turns it into a
:data:`Mode`. For ``"auto"``:

1. tmux (``$TMUX``, or a ``TERM`` of tmux or screen) never: half blocks. tmux passes graphics
   through only when configured to and then draws over them on the next redraw; a pane shows
   blocks reliably. A terminal that cannot move the cursor (``dumb``) likewise.
2. The terminal's own answer, when it was asked (:func:`query_terminal`, before the app takes
   the terminal): a Kitty graphics query (``a=q``: "would you show this?", answered ``OK`` by
   terminals that implement the protocol) followed by Primary Device Attributes (``CSI c``),
   which every terminal answers: its parameter 4 means Sixel. DA1 comes second, so its answer
   ends the wait on every terminal; the timeout is only for one that answers nothing. The
   answer wins over the environment (``TERM=xterm-kitty`` carried by ssh into another terminal),
   except that WezTerm and Konsole, which answer OK but draw no Unicode placeholders (the way
   the app places Kitty images), are not taken for Kitty (:func:`lacks_placeholders`).
   A terminal that says it draws Sixel is asked next how many colour registers it has
   (XTSMGRAPHICS, then DA1 again): a Sixel image uses at most that many colours.
3. Else the environment: ``TERM`` and ``TERM_PROGRAM`` of terminals known to draw Kitty
   graphics (kitty, ghostty) or Sixel (foot, mlterm, WezTerm, iTerm2 3.5 and later,
   contour); anything unknown gets half blocks.

Nothing here writes to the terminal except :func:`query_terminal`, which is given its file
descriptors; the rest is pure and tested on its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COLOURS_QUERY",
    "QUERY",
    "SETTINGS",
    "SIXEL_COLOURS",
    "Answer",
    "Mode",
    "from_environment",
    "parse_answer",
    "query_terminal",
    "resolve",
    "sixel_colours",
]

Mode = Literal["off", "blocks", "kitty", "sixel"]
Setting = Literal["auto", "off", "blocks"]
SETTINGS: tuple[Setting, ...] = ("auto", "off", "blocks")
KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DEVICE_ATTRIBUTES = b"\x1b[c"
QUERY = KITTY_QUERY + DEVICE_ATTRIBUTES
"""What :func:`query_terminal` writes: the Kitty query, then DA1 (whose answer ends the wait)."""
COLOURS_QUERY = b"\x1b[?1;1;0S" + DEVICE_ATTRIBUTES
"""Asked next of a terminal that said it draws Sixel: how many colour registers it has
(XTSMGRAPHICS; asked only then, as a terminal that does not know it might read it as a
scroll), then DA1 again to end the wait."""
SIXEL_COLOURS = 256
"""Colours of a Sixel image at most (the encoder's most), fewer when the terminal has fewer."""
MAX_ANSWER = 4096

_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK\x1b\\")
_REGISTERS = re.compile(rb"\x1b\[\?1;0;(\d{1,6})S")
_DA1 = re.compile(rb"\x1b\[\?([0-9;]*)c")
_KITTY_TERMS = frozenset({"xterm-kitty", "xterm-ghostty"})
_KITTY_PROGRAMS = frozenset({"ghostty"})
_SIXEL_TERMS = ("foot", "mlterm", "yaft", "contour")
_SIXEL_PROGRAMS = frozenset({"wezterm", "mlterm", "contour"})
_NO_GRAPHICS_TERMS = ("tmux", "screen", "dumb", "linux")
_NO_PLACEHOLDER_PROGRAMS = frozenset({"wezterm"})


@dataclass(frozen=True, slots=True)
class Answer:
    """What a terminal said to :data:`QUERY`: ``answered`` when its DA1 reply came."""

    answered: bool = False
    kitty: bool = False
    sixel: bool = False
    colours: int = 0
    """Sixel colour registers, when the terminal said (0: it did not)."""


def parse_answer(data: bytes) -> Answer:
    """Read the terminal's replies (any keys typed meanwhile are ignored)."""
    attributes = _DA1.search(data)
    parameters = attributes.group(1).split(b";") if attributes else []
    registers = _REGISTERS.search(data)
    return Answer(
        answered=attributes is not None,
        kitty=_KITTY_OK.search(data) is not None,
        sixel=b"4" in parameters,
        colours=int(registers.group(1)) if registers else 0,
    )


def sixel_colours(answer: Answer | None) -> int:
    """The colours a Sixel image may use on this terminal: its registers (at least 2) up to
    :data:`SIXEL_COLOURS`, or that when it did not say."""
    if answer is None or answer.colours < 2:
        return SIXEL_COLOURS
    return min(answer.colours, SIXEL_COLOURS)


def from_environment(environ: Mapping[str, str]) -> Mode | None:
    """What the environment tells: "blocks" for tmux and terminals without graphics, "kitty"
    or "sixel" for known terminals, None when it does not say (ask the terminal)."""
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if environ.get("TMUX") or program == "tmux" or term.startswith(_NO_GRAPHICS_TERMS):
        return "blocks"
    if not term:
        return "blocks"
    if term in _KITTY_TERMS or program in _KITTY_PROGRAMS or environ.get("KITTY_WINDOW_ID"):
        return "kitty"
    if term.startswith(_SIXEL_TERMS) or program in _SIXEL_PROGRAMS:
        return "sixel"
    if program == "iterm.app" and _version(environ.get("TERM_PROGRAM_VERSION", "")) >= (3, 5):
        return "sixel"
    return None


def resolve(setting: str, environ: Mapping[str, str], answer: Answer | None = None) -> Mode:
    """The mode for the ``images`` setting on this terminal (see the module's notes)."""
    if setting == "off":
        return "off"
    if setting == "blocks":
        return "blocks"
    if setting != "auto":
        raise ValueError(f"images must be one of {', '.join(SETTINGS)}, not {setting!r}")
    told = from_environment(environ)
    if told == "blocks":
        return "blocks"
    if answer is not None and answer.answered:
        if answer.kitty and not lacks_placeholders(environ):
            return "kitty"
        return "sixel" if answer.sixel else "blocks"
    return told or "blocks"


def lacks_placeholders(environ: Mapping[str, str]) -> bool:
    """Terminals that answer Kitty's graphics query but do not draw its Unicode placeholders
    (how the app places Kitty images): WezTerm and Konsole; they would show the
    placeholders' cells as unknown characters."""
    program = environ.get("TERM_PROGRAM", "").lower()
    return program in _NO_PLACEHOLDER_PROGRAMS or bool(environ.get("KONSOLE_VERSION"))


def needs_query(setting: str, environ: Mapping[str, str]) -> bool:
    """True when asking the terminal could change the mode (auto, and not tmux)."""
    return setting == "auto" and from_environment(environ) != "blocks"


def query_terminal(fd_in: int, fd_out: int, timeout: float = 0.2) -> Answer:
    """Ask the terminal on ``fd_in``/``fd_out`` (a tty, before the app reads it) and read its
    replies until the DA1 answer or ``timeout`` seconds; a terminal that says it draws Sixel
    is then asked its colour registers (:data:`COLOURS_QUERY`). The tty is put in
    non-canonical, no-echo mode meanwhile and restored after; a fault answers "not
    answered"."""
    import termios

    try:
        saved = termios.tcgetattr(fd_in)
    except (termios.error, OSError):
        return Answer()
    quiet = list(saved)
    quiet[3] = quiet[3] & ~(termios.ICANON | termios.ECHO)
    quiet[6] = list(quiet[6])
    quiet[6][termios.VMIN] = 0
    quiet[6][termios.VTIME] = 0
    try:
        termios.tcsetattr(fd_in, termios.TCSANOW, quiet)
        answer = parse_answer(_ask(fd_in, fd_out, QUERY, timeout))
        if answer.sixel:
            more = parse_answer(_ask(fd_in, fd_out, COLOURS_QUERY, timeout))
            answer = Answer(answer.answered, answer.kitty, answer.sixel, more.colours)
    except OSError:
        return Answer()
    finally:
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(fd_in, termios.TCSANOW, saved)
    return answer


def _ask(fd_in: int, fd_out: int, question: bytes, timeout: float) -> bytes:
    """Write ``question`` and read the replies until a DA1 answer or ``timeout`` seconds."""
    os.write(fd_out, question)
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < MAX_ANSWER and not _DA1.search(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd_in], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd_in, 1024)
        if not chunk:
            break
        data += chunk
    return data


def _version(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text)[:2]
    return tuple(int(part) for part in parts) if parts else (0,)
