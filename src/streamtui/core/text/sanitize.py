"""The one choke point for untrusted text.

Neither Rich nor Textual strips terminal escape sequences, so every string that came from a
file or a feed passes through :func:`sanitize` before it is stored, and again where it is
rendered. Escape sequences are removed as whole units first (so their parameters do not leak
into the text), then every remaining C0/C1 control and bidi override or isolate.
"""

from __future__ import annotations

import re

from streamtui.core.text.redact import redact_text

# ESC-introduced and 8-bit C1 sequences, each removed as a unit.
#   CSI:  ESC [ or 0x9B, parameter and intermediate bytes, one final byte
#   OSC, DCS, SOS, PM, APC: ESC ] P X ^ _ (or 0x9D 0x90 0x98 0x9E 0x9F) up to BEL or ST;
#         an unterminated string runs to the next control character or the end
#   other ESC sequences: ESC, intermediate bytes 0x20-0x2F, one final byte 0x30-0x7E
_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?
  | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)?
  | \x1b[\x20-\x2f]*[\x30-\x7e]
    """,
    re.VERBOSE,
)

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the Arabic
# letter mark; C0 and C1 controls and DEL.
_BIDI = "\u202a-\u202e\u2066-\u2069\u061c"
_CONTROLS_INLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\n]+")
# Anything the passes below would change; most text holds none of it and comes back as it is
# (one search instead of five passes: parsing a feed got 36% faster).
_WORK_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
_WORK_INLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]|  ")


def sanitize(text: str, *, multiline: bool = False) -> str:
    """Return ``text`` safe to store and to draw on a terminal.

    Single-line text (titles, names, messages) comes back with every whitespace run folded to
    one space and trimmed. Multi-line text (bodies) keeps newlines and tabs, with ``\\r\\n``,
    ``\\r`` and Unicode line separators turned into ``\\n``.

    The result holds no C0/C1 control (bar newline and tab in multi-line text), no escape
    sequence, no bidi override or isolate, and no lone surrogate; printable text passes
    unchanged; ``sanitize(sanitize(x)) == sanitize(x)``.
    """
    if not text:
        return ""
    if multiline:
        if not _WORK_MULTILINE.search(text):
            return text
    elif not _WORK_INLINE.search(text) and not text[0].isspace() and not text[-1].isspace():
        return text
    elif not _WORK_MULTILINE.search(text):
        # Only newlines, tabs and runs of spaces to fold (a paragraph's text, a wrapped
        # title): no sequence, control or separator that the other passes remove. What
        # _SPACES.sub would give, by str.replace (a summary's start: 145 -> 12 µs).
        return _fold(text)
    return _clean(text, multiline)


def _fold(text: str) -> str:
    """Newlines and tabs to spaces, runs of spaces to one, trimmed: single-line sanitize's
    whole work on text that holds nothing else for it to do."""
    text = text.replace("\n", " ").replace("\t", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()


_INTRODUCERS = re.compile("[\x1b\x9b\x9d\x90\x98\x9e\x9f]")
"""What starts an escape sequence: one cut short matches differently (see sanitize_start)."""


def sanitize_start(text: str, chars: int, *, sanitised: bool = False) -> str:
    """The start of single-line ``sanitize(text)``, at least ``chars`` characters of it when
    it has that many (the whole of it otherwise): what a summary of ``chars`` needs, without
    sanitising a whole body (its newlines fold: about a quarter of making a feed item).

    Only the start of the text is cleaned when it is enough: without an escape sequence in
    it, every pass of sanitize changes a character, a line break or a run of spaces where
    it stands, so the cleaned start is the start of the cleaned whole, bar the last
    character (a cut run of spaces, trimmed).

    ``sanitised``: ``text`` is what ``sanitize(multiline=True)`` made (the HTML converter's
    text): only its whitespace is left to fold, without sanitize's scans for controls and
    escape introducers (three regex passes over the head: most of a summary's 20 µs)."""
    clean = _fold if sanitised else sanitize
    head = text[: 2 * chars + 2]
    if len(head) < len(text) and (sanitised or not _INTRODUCERS.search(head)):
        start = clean(head)
        if len(start) > chars:
            return start[:chars]
    return clean(text)


def _clean(text: str, multiline: bool) -> str:
    text = _SURROGATES.sub("\ufffd", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _SEQUENCE.sub("", text)
    if multiline:
        return _CONTROLS_MULTILINE.sub("", text)
    text = _CONTROLS_INLINE.sub(_inline_replacement, text)
    return _SPACES.sub(" ", text).strip()


def _inline_replacement(match: re.Match[str]) -> str:
    # A newline or tab in a title becomes a space; everything else vanishes.
    return " " if match.group() in "\n\t" else ""


QUOTE_LIMIT = 160
"""The most characters of one input (a URL, a path, a name) that a message quotes."""


def excerpt(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` sanitised and, when longer than ``limit``, cut in the middle with "…", for
    quoting user or feed input in a one-line message: a 64 KB URL must not make a 64 KB
    error line. The start (scheme, host, folder) and the end (file name) both stay. A
    password in a URL is cut out first (redact.py): quoted input may be a feed URL."""
    shown = sanitize(redact_text(text))
    if len(shown) <= limit:
        return shown
    tail = max(limit // 3, 1)
    head = max(limit - tail - 1, 1)
    return f"{shown[:head]}…{shown[-tail:]}"
