"""The command line, and the one place that wires real dependencies together."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streamtui import __version__
from streamtui.core import paths
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library, SyncReport, open_library
from streamtui.core.models import Item, Row, View
from streamtui.core.sanitize import sanitize
from streamtui.core.store import Store

if TYPE_CHECKING:
    from streamtui.core.refresh import RefreshEvent


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=f"where the database lives (default: ${paths.DATA_ENV} or the "
        "platform's user data directory)",
    )
    common.add_argument(
        "--config-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=f"where config.toml lives (default: ${paths.CONFIG_ENV} or the "
        "platform's user config directory)",
    )
    parser = argparse.ArgumentParser(
        prog="streamtui",
        parents=[common],
        description="A keyboard-driven terminal newsreader. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"streamtui {__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, help=help_text, description=help_text, parents=[common])

    preview = verb("preview", "parse a source and print its items, storing nothing")
    preview.add_argument(
        "source",
        metavar="SOURCE",
        help="a feed URL or file, a folder of stream pages or a stream text file",
    )
    preview.add_argument("--json", action="store_true", help="one JSON object per line")

    listing = verb("list", "print the stream, newest first")
    listing.add_argument("--unread", action="store_true", help="only unread items")
    listing.add_argument("--starred", action="store_true", help="only starred items")
    listing.add_argument("--source", metavar="S", help="only this source (name or number)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")

    searching = verb(
        "search",
        "print the items matching words in their title or text, best first "
        "(the last word may be the start of a word)",
    )
    searching.add_argument("query", nargs="+", metavar="WORD")
    searching.add_argument("--source", metavar="S", help="only this source (name or number)")
    searching.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N items (default: 50)"
    )
    searching.add_argument("--json", action="store_true", help="one JSON object per line")

    star = verb("star", "star items (starred items are kept even when their file is gone)")
    star.add_argument("ids", nargs="+", metavar="ID", help="item ids (or unique prefixes)")

    unstar = verb("unstar", "unstar items")
    unstar.add_argument("ids", nargs="+", metavar="ID", help="item ids (or unique prefixes)")

    mark_read = verb("mark-read", "mark items read")
    mark_read.add_argument("ids", nargs="*", metavar="ID", help="item ids (or unique prefixes)")
    mark_read.add_argument("--all", action="store_true", help="every item (of --source)")
    mark_read.add_argument("--source", metavar="S", help="with --all: only this source")

    mark_unread = verb("mark-unread", "mark items unread")
    mark_unread.add_argument("ids", nargs="+", metavar="ID", help="item ids (or unique prefixes)")

    add = verb(
        "add",
        "add a source: a feed URL or a feed file (RSS, Atom, RDF, JSON Feed; file: URLs "
        "too), a folder of stream pages or a stream text file",
    )
    add.add_argument("target", metavar="URL|PATH")
    add.add_argument("--name", metavar="N", help="the name shown in the sidebar")

    remove = verb("remove", "remove a source and its items (other sources keep their state)")
    remove.add_argument("source", metavar="SOURCE", help="name, number or path")

    refresh = verb("refresh", "re-read local sources and fetch feeds (exit 1 if any failed)")
    refresh.add_argument("sources", nargs="*", metavar="SOURCE", help="only these sources")

    importing = verb("import", "add the feeds of an OPML file or a list of URLs")
    importing.add_argument("file", metavar="FILE")

    exporting = verb("export", "write feed subscriptions as OPML 2.0")
    exporting.add_argument("file", nargs="?", metavar="FILE", help="default: standard output")

    rename = verb("rename", "rename a source")
    rename.add_argument("source", metavar="SOURCE")
    rename.add_argument("name", metavar="NAME")

    sources = verb("sources", "list sources with their unread counts")
    sources.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except StreamtuiError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``); not an error worth a message.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # last line of defence: no traceback reaches the user
        _fail(f"internal error: {type(error).__name__}: {error}")
    return 1


def _fail(message: str) -> None:
    from streamtui.core.sanitize import sanitize

    print(f"streamtui: {sanitize(message)}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    if args.command == "preview":
        return _preview(args)
    data_dir = paths.data_dir(getattr(args, "data_dir", None))
    if Store.needs_upgrade(data_dir / paths.DB_NAME):
        print(
            "streamtui: upgrading the database (once; this takes a while with a long history)…",
            file=sys.stderr,
            flush=True,
        )
    library, message = open_library(data_dir)
    if message:
        _fail(message)
    if not library.read_only:  # a read-only data directory: show what is stored
        library.ensure_default_source()
    if args.command is None:
        return _launch(library, args, message)
    reading = ("list", "search", "mark-read", "mark-unread", "star", "unstar", "sources")
    if args.command in reading and not library.read_only:
        for report in library.sync_all():  # what they show follows the files on disk
            _warn(report)
    handler = {
        "list": _list,
        "search": _search,
        "star": _star,
        "unstar": _star,
        "mark-read": _mark_read,
        "mark-unread": _mark_unread,
        "add": _add,
        "remove": _remove,
        "sources": _sources,
        "refresh": _refresh,
        "import": _import,
        "export": _export,
        "rename": _rename,
    }[args.command]
    try:
        return handler(library, args)
    finally:
        library.close()


def _launch(library: Library, args: argparse.Namespace, message: str) -> int:
    from streamtui.core.config import load_config
    from streamtui.ui.app import StreamApp

    config = load_config(paths.config_dir(getattr(args, "config_dir", None)))
    try:
        app = StreamApp(library, startup_message=message, config=config)
        app.run()
    finally:
        library.close()
    return 0


def _warn(report: SyncReport) -> None:
    if report.error:
        _fail(report.error)
    for problem in report.problems:
        _fail(f"{report.source.name}: skipped {problem}")


def _preview(args: argparse.Namespace) -> int:
    from streamtui.core.store import Store

    library = Library(Store.memory())
    try:
        result = library.preview(args.source)
    finally:
        library.close()
    for problem in result.problems:
        _fail(f"skipped {problem.path}: {problem.reason}")
    for item in sorted(result.items, key=lambda i: -i.published.timestamp()):
        if args.json:
            _emit(_item_json(item, source=sanitize(args.source)))
        else:
            _emit_line(
                _marker(item.teaser, item.truncated),
                item.published,
                sanitize(args.source),
                item.title,
                item.id,
            )
    return 0


def _list(library: Library, args: argparse.Namespace) -> int:
    source_id = library.find_source(args.source).id if args.source else None
    # Source names come from folder names: sanitise them like any other shown text.
    names = {key: sanitize(name) for key, name in library.source_names().items()}
    # A view built now: items read before this moment are not unread.
    view = library.view(source_id, unread_only=args.unread, starred=args.starred)
    for row, summary, link in library.iter_articles(view):
        if args.json:
            _emit(
                {**_row_json(row, names, summary, link), "read": row.read, "starred": row.starred}
            )
        else:
            _emit_row(row, names)
    return 0


def _search(library: Library, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise StreamtuiError(f"search: --limit {args.limit}: give a number of at least 1")
    source_id = library.find_source(args.source).id if args.source else None
    names = {key: sanitize(name) for key, name in library.source_names().items()}
    query = " ".join(args.query)
    rows = library.search(query, source_id=source_id, limit=args.limit)
    if not rows and sys.stdout.isatty():
        _fail(f"no matches for {query!r}")  # a person is looking; a pipe gets nothing
    for rank, row in enumerate(rows, 1):
        if args.json:
            article = library.article(row.id)
            record = _row_json(row, names, article.summary, article.link)
            _emit({**record, "read": row.read, "starred": row.starred, "rank": rank})
        else:
            _emit_row(row, names, prefix=f"{rank:>3} ")
    return 0


def _star(library: Library, args: argparse.Namespace) -> int:
    starred = args.command == "star"
    changed = library.set_starred(library.resolve_ids(args.ids), starred)
    print(f"{'starred' if starred else 'unstarred'} {len(changed)} item(s)")
    return 0


def _mark_read(library: Library, args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise StreamtuiError("mark-read: give item ids or --all, not both or neither")
    if args.source and not args.all:
        raise StreamtuiError("mark-read: --source goes with --all")
    if args.all:
        source_id = library.find_source(args.source).id if args.source else None
        changed = library.mark_view_read(View(source_id))
    else:
        changed = library.mark_read(library.resolve_ids(args.ids), True)
    print(f"marked {len(changed)} item(s) read")
    return 0


def _mark_unread(library: Library, args: argparse.Namespace) -> int:
    changed = library.mark_read(library.resolve_ids(args.ids), False)
    print(f"marked {len(changed)} item(s) unread")
    return 0


def _add(library: Library, args: argparse.Namespace) -> int:
    source, report = library.add_source(args.target, args.name)
    _warn(report)
    stats = report.stats
    print(
        f"added {sanitize(source.name)!r} ({sanitize(source.location)}): "
        f"{stats.added if stats else 0} item(s)"
    )
    return 0


def _refresh(library: Library, args: argparse.Namespace) -> int:
    chosen = [library.find_source(s) for s in args.sources] if args.sources else None
    bar = _ProgressBar() if sys.stderr.isatty() else None
    summary = library.refresh(chosen, bar.update if bar else None)
    if bar:
        bar.finish()
    for failure in [summary.network_down] if summary.network_down else summary.failures:
        _fail(failure)
    print(
        f"updated {summary.updated}, unchanged {summary.unchanged}, failed {summary.failed}"
        + (f", skipped {summary.skipped}" if summary.skipped else "")
        + f"; {summary.added} new item(s)"
    )
    return 1 if summary.failed else 0


class _ProgressBar:
    """One line on standard error, redrawn as sources finish."""

    def __init__(self) -> None:
        self.failed = 0

    def update(self, event: RefreshEvent) -> None:
        self.failed += event.outcome == "failed"
        width = 30
        filled = width * event.done // max(1, event.total)
        name = sanitize(event.source.name)[:30]
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {event.done}/"
            f"{event.total}  failing: {self.failed}  {name:<30}"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")


def _import(library: Library, args: argparse.Namespace) -> int:
    report = library.import_subscriptions(args.file)
    for rejected in report.rejected:
        _fail(f"rejected {rejected}")
    print(
        f"added {len(report.added)}, skipped {report.duplicates} duplicate(s), "
        f"rejected {len(report.rejected)}; 'streamtui refresh' fetches the new feeds"
    )
    return 0


def _export(library: Library, args: argparse.Namespace) -> int:
    text = library.export_subscriptions()
    if args.file:
        target = Path(args.file).expanduser()
        partial = target.with_name(target.name + ".partial")
        try:
            partial.write_text(text, encoding="utf-8")
            partial.replace(target)  # never a half-written file under the real name
        except OSError as error:
            raise StreamtuiError(
                f"{sanitize(args.file)}: cannot write ({error.strerror})"
            ) from error
        print(f"wrote {text.count('xmlUrl=')} feed(s) to {sanitize(str(target))}")
    else:
        sys.stdout.write(text)
    return 0


def _rename(library: Library, args: argparse.Namespace) -> int:
    source = library.rename_source(args.source, args.name)
    print(f"renamed to {sanitize(source.name)!r}")
    return 0


def _remove(library: Library, args: argparse.Namespace) -> int:
    source = library.remove_source(args.source)
    print(f"removed {sanitize(source.name)!r}")
    return 0


def _sources(library: Library, args: argparse.Namespace) -> int:
    for source in library.sources():
        name, location, last_error = (
            sanitize(text) for text in (source.name, source.location, source.last_error)
        )
        if args.json:
            _emit(
                {
                    "id": source.id,
                    "name": name,
                    "kind": source.kind.value,
                    "location": location,
                    "unread": source.unread,
                    "total": source.total,
                    "updated": _iso(source.updated_at) if source.updated_at else None,
                    "last_error": last_error or None,
                    "folder": sanitize(source.folder) or None,
                    "warning": sanitize(source.warning) or None,
                    "gone": source.gone,
                    "retry_at": _iso(source.retry_at) if source.retry_at else None,
                }
            )
        else:
            error = f"  ! {last_error}" if last_error else ""
            print(
                f"{source.id:>3}  {name:<24} {source.unread:>5} unread / "
                f"{source.total:<5} {location}{error}"
            )
    return 0


def _item_json(item: Item, *, source: str) -> dict[str, object]:
    return {
        "id": item.id,
        "source": source,
        "title": item.title,
        "summary": item.summary,
        "link": item.link or None,
        "published": _iso(item.published),
        "teaser": item.teaser,
        "truncated": item.truncated,
        "body": item.body,
        "path": item.path,
        "encoding": item.encoding,
    }


def _row_json(row: Row, names: dict[int, str], summary: str, link: str) -> dict[str, object]:
    return {
        "id": row.id,
        "source": names.get(row.source_id, ""),
        "title": row.title,
        "summary": summary,
        "link": link or None,
        "published": _iso(row.published),
        "teaser": row.teaser,
        "truncated": row.truncated,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _marker(teaser: bool, truncated: bool) -> str:
    return (" teaser…" if truncated else " teaser ") if teaser else "        "


def _emit(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def _emit_row(row: Row, names: dict[int, str], *, prefix: str = "") -> None:
    unread = " " if row.read else "●"
    _emit_line(
        unread + _marker(row.teaser, row.truncated),
        row.published,
        names.get(row.source_id, ""),
        row.title,
        row.id,
        prefix=prefix,
    )


def _emit_line(
    flags: str, published: datetime, source: str, title: str, item_id: str, *, prefix: str = ""
) -> None:
    when = published.astimezone().strftime("%Y-%m-%d %H:%M")
    sys.stdout.write(
        f"{prefix}{item_id[:10]} {flags} {when}  {source[:18]:<18}  {title or '(empty)'}\n"
    )
