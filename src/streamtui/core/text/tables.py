"""Tables of an article: cells gathered while the HTML is read, then laid out as aligned
columns (``rowspan`` and ``colspan`` placed, a rule under header rows), or given up as page
layout (one column, too many, cells too wide) so that render.py shows their cells as
paragraphs."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import NamedTuple

from streamtui.core.text.document import StyleSpan, cells, clip_spans
from streamtui.core.text.elements import integer

TABLE_CELL_MAX = 60
"""A table with a wider cell (or one column) is laid out as paragraphs: it is page layout."""
TABLE_COLUMNS_MAX = 12
TABLE_CHARS_MAX = 2_000_000
SPAN_MAX = 1000
"""``colspan`` and ``rowspan`` at most (browsers clamp them too); columns no cell starts in
are dropped, so an absurd ``colspan`` spans the table's real columns."""


@dataclass(slots=True)
class Cell:
    header: bool
    lines: list[str] = field(default_factory=list)
    span: int = 1
    """Columns it takes (``colspan``)."""
    down: int = 1
    """Rows it takes (``rowspan``): the rows below hold an empty cell in its place."""


@dataclass(slots=True)
class Table:
    rows: list[list[Cell]] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    in_caption: bool = False
    in_head: bool = False
    nested: int = 0

    def start(self, tag: str, attrs: dict[str, str | None]) -> None:
        """A part of the table starts: a nested table, a row, a cell, the caption or head."""
        if tag == "table":
            self.nested += 1
        elif self.nested:
            return  # cells in a nested table: text of the outer cell
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if not self.rows:
                self.rows.append([])
            span = max(1, min(integer(attrs.get("colspan"), 1), SPAN_MAX))
            down = max(1, min(integer(attrs.get("rowspan"), 1), SPAN_MAX))
            self.rows[-1].append(Cell(tag == "th" or self.in_head, span=span, down=down))
        elif tag == "caption":
            self.in_caption = True
        else:
            self.in_head = True

    def end(self, tag: str) -> bool:
        """A part of the table ends; True when it is the table itself."""
        if tag == "table":
            if not self.nested:
                return True
            self.nested -= 1
        elif tag == "caption":
            self.in_caption = False
        elif tag == "thead":
            self.in_head = False
        return False

    def add(self, text: str) -> None:
        if self.in_caption:
            self.caption.append(text)
            return
        if not self.rows:
            self.rows.append([])
        if not self.rows[-1]:
            self.rows[-1].append(Cell(self.in_head))
        self.rows[-1][-1].lines.extend(line.strip() for line in text.split("\n"))


def shows(cells_: list[Cell]) -> bool:
    return any(line for cell in cells_ for line in cell.lines)


class _Placed(NamedTuple):
    column: int
    span: int
    cell: Cell


def _place(rows: list[list[Cell]]) -> list[tuple[list[_Placed], bool]] | None:
    """Where each row's cells stand, the empty cells of ``rowspan`` from above among them,
    in columns numbered as ``colspan`` asks; with whether the row is a header row. None
    when there are more columns than :data:`TABLE_COLUMNS_MAX`."""
    placed: list[tuple[list[_Placed], bool]] = []
    above: dict[int, tuple[int, int]] = {}  # column: (span, rows still to go down)
    starts: set[int] = set()
    for row in rows:
        line = [_Placed(column, span, Cell(False)) for column, (span, _) in above.items()]
        below = {column: (span, left - 1) for column, (span, left) in above.items() if left > 1}
        column = 0
        for cell in row:
            while column in above:
                column += above[column][0]
            span = min([cell.span, *(start - column for start in above if start > column)])
            line.append(_Placed(column, span, cell))
            if cell.down > 1:
                below[column] = (span, cell.down - 1)
            column += span
        starts.update(item.column for item in line)
        if len(starts) > TABLE_COLUMNS_MAX:
            return None
        above = below
        if shows([item.cell for item in line]):
            line.sort(key=lambda item: item.column)
            placed.append((line, bool(row) and all(cell.header for cell in row)))
    return placed


def grid(rows: list[list[Cell]]) -> tuple[str, tuple[StyleSpan, ...]] | None:
    """Rows as aligned columns (`` │ `` between, a rule under header rows), or None when the
    table is page layout: one column, too many, or cells too wide to line up.

    A cell of ``colspan`` takes its columns (its text starts in the first); columns that no
    cell starts in are dropped, so ``colspan="173"`` spans what is there."""
    placed = _place(rows)
    if placed is None:
        return None
    starts = sorted({item.column for here, _ in placed for item in here})
    columns = len(starts)
    if not 2 <= columns <= TABLE_COLUMNS_MAX:
        return None
    index = {column: number for number, column in enumerate(starts)}
    table: list[tuple[list[_Placed], bool]] = []
    for here, header in placed:  # in the columns that are there, gaps filled
        row: list[_Placed] = []
        for item in here:
            first = index[item.column]
            if row and first < row[-1].column + row[-1].span:
                continue  # overlapping spans: malformed, the later cell goes
            row.extend(_Placed(gap, 1, Cell(False)) for gap in range(_end(row), first))
            last = bisect_left(starts, item.column + item.span) - 1
            row.append(_Placed(first, last - first + 1, item.cell))
        row.extend(_Placed(gap, 1, Cell(False)) for gap in range(_end(row), columns))
        table.append((row, header))
    widest = max(cells(text) for row, _ in table for item in row for text in [*item.cell.lines, ""])
    if widest > TABLE_CELL_MAX:
        return None
    widths = [0] * columns
    for row, _ in table:
        for item in row:
            if item.span == 1:
                widths[item.column] = max(widths[item.column], *map(cells, item.cell.lines), 0)
    spanning = [item for row, _ in table for item in row if item.span > 1]
    for item in sorted(spanning, key=lambda item: item.span):  # wider than its columns: the
        need = max(0, *map(cells, item.cell.lines))  # last one widens
        more = need - _width(widths, item)
        if more > 0:
            widths[item.column + item.span - 1] += more
    if sum(widths) * len(table) > TABLE_CHARS_MAX:
        return None
    lines: list[str] = []
    spans: list[StyleSpan] = []
    offset = 0

    def add(line: str, line_spans: list[StyleSpan]) -> None:
        nonlocal offset
        line = line.rstrip()
        lines.append(line)
        spans.extend(
            span._replace(start=span.start + offset, end=span.end + offset) for span in line_spans
        )
        offset += len(line) + 1

    for number, (row, header) in enumerate(table):
        height = max(1, *(len(item.cell.lines) for item in row))
        for y in range(height):
            line, line_spans = "", []
            for item in row:
                if item.column:
                    line_spans.append(StyleSpan(len(line), len(line) + 3, "muted"))
                    line += " │ "
                cell = item.cell
                text = cell.lines[y] if y < len(cell.lines) else ""
                if cell.header and text:
                    line_spans.append(StyleSpan(len(line), len(line) + len(text), "bold"))
                line += text + " " * (_width(widths, item) - cells(text))
            add(line, clip_spans(line_spans, 0, len(line.rstrip())))
        following = table[number + 1][1] if number + 1 < len(table) else None
        if header and following is False:
            rule = "─┼─".join("─" * width for width in widths)
            add(rule, [StyleSpan(0, len(rule), "muted")])
    return "\n".join(lines), tuple(spans)


def _end(row: list[_Placed]) -> int:
    return row[-1].column + row[-1].span if row else 0


def _width(widths: list[int], item: _Placed) -> int:
    """The cells a table cell has: its columns' and the separators' between them."""
    return sum(widths[item.column : item.column + item.span]) + 3 * (item.span - 1)
