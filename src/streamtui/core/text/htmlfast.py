"""HTML to plain text on Lexbor (selectolax): the parse path's converter (summaries, the index).

Same output rules as :func:`~streamtui.core.text.htmltext.html_to_text`, which stays the
reference (and the article renderer's path): the same linear pre-pass (comments dropped, CDATA
as text, a stray ``<`` as text), then Lexbor builds the tree a browser builds and a walk of it
applies the stdlib path's builder rules (its sets and line functions), so blocks, list items,
table rows, ``<br>``, ``<pre>`` and dropped elements come out by one set of rules. Faster on
feed bodies (benchmarks/htmltext.py has the figures): the walk in Python is most of what is
left; text without markup skips both parsers.

Each body is parsed as a fragment into a ``<div>`` of a document kept for the purpose (what
a browser does with ``innerHTML``). The two differ only on markup a browser repairs (end tags
with nothing open, cells outside a row, ``<iframe/>``, ``<textarea>``/``<xmp>``, a control
character by reference): this path shows what a browser shows. The list, and why, is in
tests/core/test_htmlfast.py. A body that names ``<html>``, ``<head>``, ``<title>``, ``<body>``
or ``<frameset>`` (a page, which a fragment parse would read otherwise) takes the stdlib
path. selectolax is imported at the first call (18 ms): only the parser processes pay for
it, never the UI's first paint.
"""

from __future__ import annotations

import re
import threading
from html import unescape
from types import ModuleType
from typing import Any

from streamtui.core.text.htmltext import (
    BLOCKS,
    BREAK,
    DROPPED,
    TIGHT,
    _collapse,
    _keep_lines,
    _prepare,
    html_to_text,
)
from streamtui.core.text.sanitize import sanitize

_UNSURE = re.compile(r"<(?:html|head|title|body|frameset)\b", re.IGNORECASE)
"""A page, not a fragment: such a body takes the stdlib path."""
_TEXT = "-text"
_ENDS_ITEMS = TIGHT | {"ul", "ol"}
_lexbor: ModuleType | None = None


class _Host(threading.local):
    """A ``<div>`` of a document kept for a while: each body is parsed into it as a fragment.

    Making a Lexbor document costs about 20 µs, as much as parsing a 1 KB body; setting an
    element's inner HTML costs only the parse. A document keeps the memory of every fragment
    it held (about 2 KB a body), so it is made anew every RENEW bodies. One per thread.
    """

    document: Any = None
    div: Any = None
    uses = 0


RENEW = 500
_host = _Host()


def _fragment_root(html: str) -> Any:
    global _lexbor
    if _lexbor is None:
        import selectolax.lexbor

        _lexbor = selectolax.lexbor
    host = _host
    if host.div is None or host.uses >= RENEW:
        host.div = None  # the old document's nodes go before it does
        host.document = _lexbor.LexborHTMLParser("<div></div>")
        host.div = host.document.css_first("div")
        host.uses = 0
    host.uses += 1
    host.div.inner_html = html
    return host.div


def fast_html_to_text(html: str, *, clean: bool = False) -> str:
    """:func:`html_to_text` on Lexbor's tree: plain, sanitised text. Never raises.

    ``clean``: ``html`` has passed ``sanitize(multiline=True)`` already; text read from simple
    markup (its characters, the spaces and line ends between blocks, the few references
    decoded there: none a control) then needs no second pass."""
    if not html:
        return ""
    if "<" not in html:  # no markup: what the stdlib path makes of it, without its parser
        return sanitize(_collapse(unescape(html.replace("\x00", ""))), multiline=True)
    if _UNSURE.search(html):
        return html_to_text(html)
    prepared = _prepare(html.replace("\x00", ""))
    simple = _simple_blocks(prepared)
    if simple is not None:
        text = "\n\n".join(simple)
        return text if clean else sanitize(text, multiline=True)
    try:
        text = _lexbor_text(prepared)
    except Exception:  # selectolax refuses input it cannot take; the reference can
        _host.div = None
        return html_to_text(html)
    return sanitize(text, multiline=True)


def _lexbor_text(prepared: str) -> str:
    """The text of prepared markup, read from Lexbor's tree (not sanitised)."""
    blocks = _blocks(_fragment_root(prepared))
    out: list[str] = []
    for index, (tight, text) in enumerate(blocks):
        if index:
            out.append("\n" if tight and blocks[index - 1][0] else "\n\n")
        out.append(text)
    return "".join(out)


_SIMPLE_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]*)"
    r"(?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>=`]+))?)*\s*/?>"
)
"""A start or end tag as the HTML tokenizer reads it (its name, where it ends: a quoted
attribute value may hold ">"), for the names below; anything else left as "<" in the text."""
_INLINE = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "i", "mark", "q", "s", "small", "span", "strong"}
    | {"sub", "sup", "time", "u"}
)
"""Elements whose tags change no text: tree construction may close, reopen or move them
(misnested formatting elements), never a paragraph's edges nor the order of the text."""
_VOID = frozenset({"br", "img", "wbr", "hr"})
"""Elements with no end: a start tag alone (``<hr>`` ends a block, as a ``<p>`` tag does)."""
_OTHER = re.compile(rf"<(?!/?(?:{'|'.join(sorted(_INLINE | _VOID | {'p'}))})[\s/>])", re.IGNORECASE)
"""A "<" that starts no tag of those names: found early in most bodies that have one, where
splitting the whole body first cost a third of what Lexbor takes to read it."""
_REFERENCE = re.compile(
    r"&(?:#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));|(?:amp|lt|gt|quot|apos|nbsp);|(?![A-Za-z0-9#]))"
)
"""The character references read here: a few named ones and numeric ones (whose character
is checked: see _plain_references), which html.unescape decodes as Lexbor does; and a bare
"&". Any other "&" (a named reference without its ";" may be read in part) goes to Lexbor."""


def _plain_references(text: str) -> bool:
    """Every "&" of ``text`` starts a reference of _REFERENCE, and each numeric one names a
    printable character: html.unescape drops a control or a noncharacter that a browser
    keeps, and a bidi control or line separator would need sanitising."""
    found = 0
    for match in _REFERENCE.finditer(text):
        found += 1
        decimal, hexadecimal = match.groups()
        if decimal or hexadecimal:
            code = int(decimal) if decimal else int(hexadecimal, 16)
            if code > 0x10FFFF or not chr(code).isprintable():
                return False
    return found == text.count("&")


def _simple_blocks(prepared: str) -> list[str] | None:
    """The blocks' texts of a body made of paragraphs, rules, line breaks, images and inline
    elements only (most feed items), read from its tags without building a tree; None for
    any other markup (Lexbor reads it).

    Within that markup a browser's tree gives the text in the order it was written, and a
    paragraph's edges where its tags stand (an end tag without a paragraph open makes an
    empty one; a rule closes an open paragraph), so ``_blocks``' walk of it would give these
    blocks: the property test in tests/core/test_htmlfast.py compares the two on generated
    markup."""
    if _OTHER.search(prepared):
        return None
    parts = _SIMPLE_TAG.split(prepared)
    blocks: list[str] = []
    pieces: list[str] = []
    for index in range(0, len(parts), 3):
        text = parts[index]
        if text:
            if "<" in text:
                return None
            if "&" in text:
                if not _plain_references(text):
                    return None
                text = unescape(text)
            pieces.append(text)
        if index + 1 == len(parts):
            break
        name = parts[index + 2].lower()
        if name == "p" or (name == "hr" and not parts[index + 1]):
            _end_block(pieces, blocks)
        elif name in _VOID and not parts[index + 1]:
            if name == "br":
                pieces.append(BREAK)
        elif name not in _INLINE:
            return None
    _end_block(pieces, blocks)
    return blocks


def _end_block(pieces: list[str], blocks: list[str]) -> None:
    """A block ends: its pieces' text (when not blank) joins ``blocks``, and ``pieces``
    empties for the next."""
    if pieces:
        line = _collapse("".join(pieces))
        pieces.clear()
        if line.strip():
            blocks.append(line)


def _blocks(root: Any) -> list[tuple[bool, str]]:
    """(tight, text) of every block of the tree, by the rules of htmltext's ``_TextBuilder``.

    One loop over a stack (a feed can nest elements thousands deep), the builder's handlers
    written inline: a call per node was most of the time. An element that is no block leaves
    nothing at its end, so only blocks push an end marker (their tag, a str).
    """
    blocks: list[tuple[bool, str]] = []
    pieces: list[str] = []
    prefix, tight, pre = "", False, 0

    def flush() -> None:
        nonlocal prefix, tight
        raw = "".join(pieces)
        pieces.clear()
        text = _keep_lines(raw) if pre else _collapse(raw)
        if text.strip():
            blocks.append((tight, prefix + text))
            prefix, tight = "", False

    stack: list[Any] = list(root.iter(include_text=True))
    stack.reverse()
    while stack:
        node = stack.pop()
        if type(node) is str:  # the end of a block
            if pieces:
                flush()
            if node == "pre":
                pre = max(0, pre - 1)
            if node in _ENDS_ITEMS:
                prefix, tight = "", False
            continue
        tag = node.tag
        if tag == _TEXT:
            pieces.append(node.text_content)
            continue
        if tag in DROPPED or tag[0] == "-":  # comments and the like: no text
            continue
        if tag == "br":
            pieces.append(BREAK)
            continue
        if tag in TIGHT:
            if pieces:
                flush()
            prefix, tight = ("- " if tag == "li" else ""), True
            stack.append(tag)
        elif tag in BLOCKS:
            if pieces:
                flush()
            pre += tag == "pre"
            stack.append(tag)
        elif tag == "td" or tag == "th":
            pieces.append(" ")
        children = list(node.iter(include_text=True))
        children.reverse()
        stack.extend(children)
    if pieces:
        flush()
    return blocks


def indexed_text(summary: str, body: str, html: bool) -> str:
    """What the index holds besides the title: the body as text, or the summary without one."""
    for part in (body, summary):
        text = fast_html_to_text(part) if html else part
        if text.strip():
            return text
    return ""
