"""What the command line prints: one line an item, JSON records, columns, error lines,
each safe in any locale and on a closed or full stream (stdio.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from streamtui import stdio
from streamtui.core import dates
from streamtui.core.library import SyncReport
from streamtui.core.models import Item, Row
from streamtui.core.text import excerpt

MESSAGE_LIMIT = 1000


def fail(message: str) -> None:
    """One line on standard error per line of ``message``: sanitised, cut, passwords out."""
    for line in message.splitlines() or [""]:
        stdio.write_error(f"streamtui: {excerpt(line, MESSAGE_LIMIT)}")


def warn(report: SyncReport) -> None:
    if report.error:
        fail(report.error)
    for problem in report.problems:
        fail(f"{report.source.name}: skipped {problem}")


def cell(text: str, width: int) -> str:
    """``text`` in a column ``width`` wide: padded, or cut with "…" (columns stay aligned)."""
    return f"{text:<{width}}" if len(text) <= width else text[: width - 1] + "…"


def updated(moment: datetime | None) -> str:
    """When a source was last updated, in local time to the minute (16 wide), or "never".
    Any time at all (a damaged database's) is shown, in range (see core/dates.py)."""
    if moment is None:
        return f"{'never':<16}"
    local = dates.local(moment)
    # Not strftime: its %Y gives "1", not "0001", for year 1 on glibc.
    return f"{local.year:04}-{local.month:02}-{local.day:02} {local.hour:02}:{local.minute:02}"


def item_json(item: Item, *, source: str) -> dict[str, object]:
    return {
        "id": item.id,
        "source": source,
        "title": item.title,
        "summary": item.summary,
        "link": item.link or None,
        "published": iso(item.published),
        "teaser": item.teaser,
        "truncated": item.truncated,
        "body": item.body,
        "path": item.path,
        "encoding": item.encoding,
    }


def row_json(row: Row, names: dict[int, str], summary: str, link: str) -> dict[str, object]:
    return {
        "id": row.id,
        "source": names.get(row.source_id, ""),
        "title": row.title,
        "summary": summary,
        "link": link or None,
        "published": iso(row.published),
        "teaser": row.teaser,
        "truncated": row.truncated,
    }


def iso(moment: datetime) -> str:
    return dates.iso_utc(moment)


def marker(teaser: bool, truncated: bool) -> str:
    return (" teaser…" if truncated else " teaser ") if teaser else "        "


def emit(record: dict[str, object]) -> None:
    # UTF-8 where the output is UTF-8; elsewhere ASCII with \u escapes: valid JSON that
    # loses nothing, where the locale's own encoding would have to replace characters.
    ascii_only = not stdio.is_utf8(sys.stdout)
    sys.stdout.write(json.dumps(record, ensure_ascii=ascii_only) + "\n")


def emit_row(row: Row, names: dict[int, str], *, prefix: str = "") -> None:
    unread = " " if row.read else "●"
    emit_line(
        unread + marker(row.teaser, row.truncated),
        row.published,
        names.get(row.source_id, ""),
        row.title,
        row.id,
        prefix=prefix,
    )


def emit_line(
    flags: str, published: datetime, source: str, title: str, item_id: str, *, prefix: str = ""
) -> None:
    when = dates.local(published).strftime("%Y-%m-%d %H:%M")
    sys.stdout.write(
        f"{prefix}{item_id[:10]} {flags} {when}  {source[:18]:<18}  {title or '(empty)'}\n"
    )
