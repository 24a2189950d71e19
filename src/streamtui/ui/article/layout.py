"""A page laid out for a width: where each piece's lines start (text wrapped between words,
list markers hanging, quote bars repeated; ``pre`` and tables kept unwrapped and scrolled
sideways), and the lines themselves, cut from their piece's text when first drawn. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from textual.content import Content

from streamtui.ui.article.page import EMPTY, Page, bars

MAX_LINE = 2000
"""Cells of an unwrapped line (``pre``, tables) shown at most."""


@dataclass(frozen=True, slots=True)
class Line:
    prefix: Content
    body: Content
    scrolls: bool = False
    """Drawn shifted by the horizontal scroll (an unwrapped line); the prefix stays."""
    cells: tuple[Segment, ...] | None = None
    """A row of an image, drawn as it is (prefix and body unused)."""

    @property
    def plain(self) -> str:
        return (self.prefix.plain + self.body.plain).rstrip()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the page's lines are for one width: each piece's first line and where in its
    text each of its lines starts. Lines themselves are cut when drawn."""

    page: Page
    width: int
    firsts: tuple[int, ...]
    """Index of each piece's first line (a gap line, when it has one, comes just before)."""
    starts: tuple[tuple[int, ...], ...]
    """Per piece, the text offset where each of its lines starts."""
    count: int
    widest: int
    """Cells of the widest line (an unwrapped one may be wider than the pane)."""


_WORDS = re.compile(r"\s*\S+\s*")


def layout(page: Page, width: int) -> Layout:
    """The page laid out ``width`` cells wide (unwrapped lines may be wider)."""
    width = max(width, 1)
    firsts: list[int] = []
    starts: list[tuple[int, ...]] = []
    count = widest = 0
    for piece in page.pieces:
        count += piece.gap and count > 0
        firsts.append(count)
        text = piece.content.plain
        if piece.picture:
            breaks: list[int] = list(range(len(piece.picture)))
            widest = max(
                widest, *(sum(segment.cell_length for segment in row) for row in piece.picture)
            )
        elif piece.rule:
            breaks = [0]
        elif piece.wrap:
            room = width - max(
                _fit(piece.first, width).cell_length, _fit(piece.rest, width).cell_length
            )
            breaks = wrap_starts(text, max(room, 1))
        else:
            breaks = [0, *(match.end() for match in re.finditer("\n", text))]
            longest = max(cell_len(line.expandtabs(8)) for line in text.split("\n"))
            widest = max(widest, _fit(piece.first, width).cell_length + min(longest, MAX_LINE))
        starts.append(tuple(breaks))
        count += len(breaks)
    return Layout(page, width, tuple(firsts), tuple(starts), count, max(widest, width))


def wrap_starts(text: str, width: int) -> list[int]:
    """Where each line of ``text`` starts when wrapped at ``width`` cells: at its newlines and
    between words (a word wider than a line is cut)."""
    starts: list[int] = []
    offset = 0
    for line in text.split("\n"):
        starts.append(offset)
        if len(line) > width or not line.isascii():
            starts.extend(offset + cut for cut in _breaks(line, width))
        offset += len(line) + 1
    return starts


def _breaks(line: str, width: int) -> list[int]:
    measure = len if line.isascii() else cell_len
    cuts: list[int] = []
    column = 0
    for match in _WORDS.finditer(line):
        word = match.group()
        size = measure(word.rstrip())
        if column + size <= width:
            column += measure(word)
            continue
        if column:  # to the next line
            cuts.append(match.start())
            column = 0
        if size <= width:
            column = measure(word)
            continue
        for index, char in enumerate(word):  # wider than a line: cut it
            cells = 1 if measure is len else get_character_cell_size(char)
            if column and column + cells > width and not char.isspace():
                cuts.append(match.start() + index)
                column = 0
            column += cells
    return cuts


def piece_lines(layout: Layout, index: int) -> list[Line]:
    """The lines of one piece, cut from its text with their styles."""
    piece = layout.page.pieces[index]
    if piece.picture:
        return [Line(EMPTY, EMPTY, cells=row) for row in piece.picture]
    first, rest = _fit(piece.first, layout.width), _fit(piece.rest, layout.width)
    if piece.rule:
        room = max(1, layout.width - first.cell_length)
        return [Line(first, Content.styled("─" * room, "$text-muted"))]
    starts = layout.starts[index]
    bodies = piece.content.divide(starts[1:])
    prefixes = [first, *([rest] * (len(bodies) - 1))]
    if piece.wrap:
        return [Line(p, b.rstrip()) for p, b in zip(prefixes, bodies, strict=True)]
    return [Line(p, _unwrapped(b), scrolls=True) for p, b in zip(prefixes, bodies, strict=True)]


def page_text(page: Page, width: int) -> str:
    """The page's plain text unwrapped: a paragraph a line, with prefixes and blank lines."""
    lines: list[str] = []
    for piece in page.pieces:
        if piece.picture:
            continue  # drawn in cells; its ``[image: alt]`` is in the text above it
        if piece.gap and lines:
            lines.append(bars(piece.quote).plain.rstrip())
        if piece.rule:
            lines.append(piece.first.plain + "─" * max(1, width - piece.first.cell_length))
            continue
        for index, text in enumerate(piece.content.plain.split("\n")):
            prefix = piece.first if index == 0 else piece.rest
            lines.append((prefix.plain + text).rstrip())
    return "\n".join(lines)


def _fit(prefix: Content, width: int) -> Content:
    """A prefix cut so that at least half the pane (or ten cells) is left for text."""
    most = max(0, width - max(10, width // 2))
    return prefix if prefix.cell_length <= most else prefix[:most]


def _unwrapped(line: Content) -> Content:
    line = line.rstrip().expand_tabs(8)
    return line if line.cell_length <= MAX_LINE else line.truncate(MAX_LINE - 1) + "…"


def gap_line(layout: Layout, number: int) -> Line:
    """The blank line between piece ``number`` and the next, their common quote bars kept."""
    pieces = layout.page.pieces
    depth = min(pieces[number].quote, pieces[number + 1].quote)
    return Line(_fit(bars(depth), layout.width), EMPTY)
