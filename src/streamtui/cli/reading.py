"""The verbs that read: preview, list, search and sources."""

from __future__ import annotations

import argparse
import sys

from streamtui.cli.output import (
    cell,
    emit,
    emit_line,
    emit_row,
    fail,
    iso,
    item_json,
    marker,
    row_json,
    updated,
)
from streamtui.core import dates
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.text import redact_text, redact_url, sanitize


def preview(args: argparse.Namespace) -> int:
    from streamtui.core.store import Store

    library = Library(Store.memory())
    try:
        result = library.preview(args.source)
    finally:
        library.close()
    for problem in result.problems:
        fail(f"skipped {problem.path}: {problem.reason}")
    shown = sanitize(redact_url(args.source))
    for item in sorted(result.items, key=lambda i: -dates.stamp(i.published)):
        if args.json:
            emit(item_json(item, source=shown))
        else:
            emit_line(
                marker(item.teaser, item.truncated),
                item.published,
                shown,
                item.title,
                item.id,
            )
    return 0


def listing(library: Library, args: argparse.Namespace) -> int:
    source_id = library.find_source(args.source).id if args.source else None
    # Source names come from folder names: sanitise them like any other shown text.
    names = {key: sanitize(name) for key, name in library.source_names().items()}
    # A view built now: items read before this moment are not unread.
    view = library.view(source_id, unread_only=args.unread, starred=args.starred)
    for row, summary, link in library.iter_articles(view):
        if args.json:
            emit({**row_json(row, names, summary, link), "read": row.read, "starred": row.starred})
        else:
            emit_row(row, names)
    return 0


def search(library: Library, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise StreamtuiError(f"search: --limit {args.limit}: give a number of at least 1")
    source_id = library.find_source(args.source).id if args.source else None
    names = {key: sanitize(name) for key, name in library.source_names().items()}
    query = " ".join(args.query)
    try:
        library.write_search_entries()  # what a big refresh left to its indexer is found too
    except StreamtuiError as error:  # searched as it is: say what may be missing
        fail(f"search: the newest items may not be found yet ({error})")
    rows = library.search(query, source_id=source_id, limit=args.limit)
    if not rows and sys.stdout.isatty():
        fail(f"no matches for {query!r}")  # a person is looking; a pipe gets nothing
    for rank, row in enumerate(rows, 1):
        if args.json:
            article = library.article(row.id)
            record = row_json(row, names, article.summary, article.link)
            emit({**record, "read": row.read, "starred": row.starred, "rank": rank})
        else:
            emit_row(row, names, prefix=f"{rank:>3} ")
    return 0


def sources(library: Library, args: argparse.Namespace) -> int:
    for source in library.sources():
        name, location, last_error = (
            sanitize(text) for text in (source.name, source.location, source.last_error)
        )
        if args.json:
            emit(
                {
                    "id": source.id,
                    "name": name,
                    "kind": source.kind.value,
                    "location": location,
                    "unread": source.unread,
                    "total": source.total,
                    "updated": iso(source.updated_at) if source.updated_at else None,
                    "last_error": last_error or None,
                    "folder": sanitize(source.folder) or None,
                    "warning": sanitize(source.warning) or None,
                    "gone": source.gone,
                    "retry_at": iso(source.retry_at) if source.retry_at else None,
                    "password_stored": source.login,
                    "account": sanitize(source.account) or None,
                    "feed_url": sanitize(source.feed_url) or None,
                    "covered_by": sanitize(source.covered) or None,
                    "full_text": source.full_text,
                }
            )
        else:
            if source.account_id is not None:  # its feed's own URL, and whose it is
                location = (
                    f"{sanitize(source.feed_url) or '-'}  (account {sanitize(source.account)})"
                )
            error = f"  ! {redact_text(last_error)}" if last_error else ""
            warning = f"  (warning: {sanitize(source.warning)})" if source.warning else ""
            if source.covered:
                warning += f"  (read through account {sanitize(source.covered)!r})"
            print(
                f"{source.id:>3}  {cell(name, 24)} {source.unread:>5} unread / "
                f"{source.total:<5} {updated(source.updated_at)}  {location}{error}{warning}"
            )
    return 0
