"""``streamtui show``: an article printed as the article pane draws it, as plain text.

The head (title; source, date and author; the extracted page's notice), the body's blocks
(paragraphs and headings wrapped to the width with list markers hanging and quote bars
repeated; preformatted text and tables kept as they are), a rule as a line, then the item's
link, the numbered links (images marked) and the attachments with type, size and playing time.
Every line is sanitised again as it is printed: nothing from a feed or a page can write an
escape sequence to the terminal.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys

from streamtui.cli.output import emit, iso
from streamtui.core import dates
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.reader.sheet import Sheet
from streamtui.core.text.document import Block, cells
from streamtui.core.text.sanitize import sanitize

MIN_WIDTH, MAX_WIDTH = 20, 1000
DEFAULT_WIDTH = 80
QUOTE_BAR = "│ "
_WORDS = re.compile(r"\s*\S+\s*")


def show(library: Library, args: argparse.Namespace) -> int:
    (item_id,) = library.resolve_ids([args.id])
    width = _width(args.width)
    article = library.article(item_id)
    full = None
    if args.full:
        full = library.full_article(item_id)
        if full is None or not full.ok:
            if sys.stderr is not None and sys.stderr.isatty():
                sys.stderr.write("streamtui: fetching the item's web page…\n")
                sys.stderr.flush()
            full = library.fetch_full_article(item_id).result()
        if not full.ok:
            title = sanitize(article.row.title)[:80] or item_id[:10]
            raise StreamtuiError(f"{title}: no full article ({full.error})")
    sheet = library.article_sheet(item_id, full=args.full)
    if args.json:
        emit(sheet_json(item_id, sheet, full is not None))
    else:
        for line in sheet_lines(sheet, width):
            sys.stdout.write(sanitize(line, multiline=True).replace("\n", " ") + "\n")
    return 0


def _width(given: int | None) -> int:
    if given is None:
        if sys.stdout.isatty():
            return max(MIN_WIDTH, min(MAX_WIDTH, shutil.get_terminal_size().columns))
        return DEFAULT_WIDTH
    if not MIN_WIDTH <= given <= MAX_WIDTH:
        raise StreamtuiError(
            f"show: --width {given}: give a number of columns from {MIN_WIDTH} to {MAX_WIDTH}"
        )
    return given


def sheet_json(item_id: str, sheet: Sheet, full: bool) -> dict[str, object]:
    return {
        "id": item_id,
        "title": sheet.title,
        "source": sheet.source,
        "published": iso(sheet.published),
        "author": sheet.author or None,
        "link": sheet.link or None,
        "full": full,
        "notice": sheet.notice or None,
        "text": "\n".join(_body_lines(sheet, DEFAULT_WIDTH, wrap=False)).strip("\n"),
        "links": [
            {"number": link.number, "url": link.url, "label": link.label, "image": link.image}
            for link in sheet.document.links
        ],
        "attachments": [
            {
                "number": a.number,
                "url": a.url,
                "type": a.type or None,
                "length": a.length or None,
                "duration": a.duration or None,
            }
            for a in sheet.attachments
        ],
    }


def sheet_lines(sheet: Sheet, width: int) -> list[str]:
    """The sheet as lines at most ``width`` cells wide (but preformatted text and tables)."""
    lines = wrap(sheet.title or "(empty)", width)
    when = dates.local(sheet.published).strftime("%a %Y-%m-%d %H:%M")
    meta = "  ·  ".join(part for part in (sheet.source, when, sheet.author, sheet.path) if part)
    lines += wrap(meta, width)
    if sheet.notice:
        lines += ["", *wrap(sheet.notice, width)]
    lines += _body_lines(sheet, width, wrap=True)
    footer: list[str] = []
    if sheet.link:
        footer += wrap(f"Link: {sheet.link}", width, rest="      ")
    for link in sheet.document.links:
        tag = f"[{link.number}] "
        text = link.url + (" (image)" if link.image else "")
        footer += wrap(text, width, first=tag, rest=" " * len(tag))
    for attachment in sheet.attachments:
        tag = f"[{attachment.number}] "
        text = f"Attachment: {attachment.url}" + (
            f" ({attachment.label})" if attachment.label else ""
        )
        footer += wrap(text, width, first=tag, rest=" " * len(tag))
    if footer:
        lines += ["", *footer]
    return lines


def _body_lines(sheet: Sheet, width: int, *, wrap: bool) -> list[str]:
    lines: list[str] = []
    for block in sheet.document.blocks:
        if not block.tight or not lines:
            lines.append("")
        lines += block_lines(block, width if wrap else 1 << 30)
    if sheet.document.cut:
        shown = (sheet.document.total - sheet.document.cut) // 1024
        lines += ["", f"(the first {shown:,} KB of {sheet.document.total // 1024:,} KB shown)"]
    return lines


def block_lines(block: Block, width: int) -> list[str]:
    bars = QUOTE_BAR * block.quote
    first = bars + " " * block.indent + block.marker
    rest = bars + " " * (block.indent + cells(block.marker))
    if block.kind == "rule":
        return [bars + "─" * max(1, min(width, 1 << 12) - cells(bars))]
    if block.kind in ("pre", "table"):
        return [first + line.expandtabs(8) for line in block.text.split("\n")]
    text = block.text.upper() if block.kind == "heading" and block.level == 1 else block.text
    return wrap(text, width, first=first, rest=rest)


def wrap(text: str, width: int, *, first: str = "", rest: str = "") -> list[str]:
    """``text`` wrapped at ``width`` cells after the prefixes (its newlines kept; a word
    longer than a line is cut)."""
    room = max(1, width - max(cells(first), cells(rest)))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for match in _WORDS.finditer(paragraph):
            word = match.group()
            if cells(current + word.rstrip()) <= room:
                current += word
                continue
            if current.strip():
                lines.append(current.rstrip())
                current = ""
            word = word.strip() + " "
            while cells(word.rstrip()) > room:
                cut = _fit(word, room)
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current.rstrip())
    return [(first if n == 0 else rest) + line for n, line in enumerate(lines)]


def _fit(text: str, room: int) -> int:
    """How many characters of ``text`` fit in ``room`` cells (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += cells(char)
        if used > room:
            return max(1, index)
    return len(text)
