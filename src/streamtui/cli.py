"""The command line, and the one place that wires real dependencies together."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streamtui import __version__, stdio
from streamtui.core import dates, paths
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library, SyncReport, open_library
from streamtui.core.models import Item, Row, View
from streamtui.core.redact import redact_text, redact_url
from streamtui.core.retention import SourceRetention, check_limit
from streamtui.core.sanitize import excerpt, sanitize
from streamtui.core.store import Store, make_private

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
        "--limit", type=_count, default=50, metavar="N", help="at most N items (default: 50)"
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
    importing.add_argument("file", metavar="FILE", help="a file, a pipe, or - for standard input")

    exporting = verb("export", "write feed subscriptions as OPML 2.0")
    exporting.add_argument("file", nargs="?", metavar="FILE", help="default: standard output")

    rename = verb("rename", "rename a source")
    rename.add_argument("source", metavar="SOURCE")
    rename.add_argument("name", metavar="NAME")

    cleanup = verb(
        "cleanup",
        "remove the feed items that retention lets go (keep_days, max_items, unread_days; "
        "never starred items, unread recent ones or what a feed still carries) and give "
        "the space back",
    )
    cleanup.add_argument("sources", nargs="*", metavar="SOURCE", help="only these feeds")

    keeping = verb(
        "retention",
        "show or set how long a feed's items are kept (default: the config's "
        "keep_days and max_items)",
    )
    keeping.add_argument("source", metavar="SOURCE", help="a feed: name, number or URL")
    keeping.add_argument(
        "--days", metavar="N", help="remove items older than N days (0: no limit; default: config)"
    )
    keeping.add_argument(
        "--max-items",
        metavar="N",
        help="keep at most N items of this feed (0: no limit; default: config)",
    )

    sources = verb("sources", "list sources with their unread counts")
    sources.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


MAX_COUNT = 2**63 - 1
"""The largest count SQLite takes; a larger --limit means the same: everything."""
MESSAGE_LIMIT = 1000
"""The longest error line; what a message quotes is cut far shorter (sanitize.excerpt)."""


def _count(text: str) -> int:
    """argparse type of a count: a whole number, capped at SQLite's largest (a larger one
    means everything; left as it is, SQLite would refuse it with an OverflowError)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{excerpt(text, 40)!r} is not a whole number") from None
    return min(value, MAX_COUNT)


def main(argv: Sequence[str] | None = None) -> int:
    stdio.guard_descriptors()  # before anything opens a file
    args = build_parser().parse_args(argv)
    if args.command is not None and stdio.is_closed(sys.stdout):
        _fail("standard output is closed, so nothing could be printed; nothing was done")
        return 1
    real_stdout = sys.stdout
    if args.command is not None:
        sys.stdout = stdio.Output(real_stdout)
    try:
        code = _run(args)
        if sys.stdout is not None:
            sys.stdout.flush()
        return code
    except stdio.OutputError as error:
        _fail(str(error))
        stdio.silence_stdout()
    except StreamtuiError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``); not an error worth a message.
        stdio.silence_stdout()
        return 0
    except Exception as error:  # last line of defence: no traceback reaches the user
        _fail(f"internal error: {type(error).__name__}: {error}")
    finally:
        sys.stdout = real_stdout
    return 1


def _fail(message: str) -> None:
    """One line on standard error per line of ``message``: sanitised, cut, passwords out."""
    for line in message.splitlines() or [""]:
        stdio.write_error(f"streamtui: {excerpt(line, MESSAGE_LIMIT)}")


def _run(args: argparse.Namespace) -> int:
    if args.command is None and (problem := stdio.terminal_problem()):
        raise StreamtuiError(
            f"the app needs a terminal and {problem}; without one, use the commands "
            "(streamtui list, search, sources, refresh, add, import...; see streamtui --help)"
        )
    if args.command == "preview":
        return _preview(args)
    data_dir = paths.data_dir(getattr(args, "data_dir", None))
    # Before anything opens the database: SQLite gives a new -wal and -shm its mode.
    private = make_private(data_dir / paths.DB_NAME)
    if Store.needs_upgrade(data_dir / paths.DB_NAME):
        stdio.write_error(
            "streamtui: upgrading the database (once; this takes a while with a long history)…"
        )
    library, message = open_library(data_dir)
    message = "\n".join([*private, message] if message else private)
    if message:
        _fail(message)
    if args.command in ("refresh", "cleanup", "retention"):  # they apply the config's limits
        from streamtui.core.config import load_config

        try:
            config = load_config(paths.config_dir(getattr(args, "config_dir", None)))
        except StreamtuiError:
            library.close()
            raise
        library.retention = config.retention
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
        "cleanup": _cleanup,
        "retention": _retention,
    }[args.command]
    try:
        return handler(library, args)
    finally:
        library.close()


def _launch(library: Library, args: argparse.Namespace, message: str) -> int:
    from streamtui.core.config import load_config
    from streamtui.ui.app import StreamApp

    config = load_config(paths.config_dir(getattr(args, "config_dir", None)))
    library.retention = config.retention
    for name in ("COLUMNS", "LINES"):  # an exported size would pin the app to it, deaf to
        os.environ.pop(name, None)  # the terminal's own size and every resize
    try:
        app = StreamApp(library, startup_message=message, config=config)
        app.run()
    finally:
        library.close()
    code = app.return_code or 0  # 1 after a crash: never report success then
    if code:
        _fail("the app stopped on an internal error (what Textual printed above says where)")
    return code


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
    shown = sanitize(redact_url(args.source))
    for item in sorted(result.items, key=lambda i: -dates.stamp(i.published)):
        if args.json:
            _emit(_item_json(item, source=shown))
        else:
            _emit_line(
                _marker(item.teaser, item.truncated),
                item.published,
                shown,
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
    if report.password_updated:
        print(f"updated the password of {sanitize(source.name)!r} ({sanitize(source.location)})")
        return 0
    _warn(report)
    stats = report.stats
    print(
        f"added {sanitize(source.name)!r} ({sanitize(source.location)}): "
        f"{stats.added if stats else 0} item(s)"
    )
    return 0


def _refresh(library: Library, args: argparse.Namespace) -> int:
    chosen = [library.find_source(s) for s in args.sources] if args.sources else None
    bar = _ProgressBar() if sys.stderr is not None and sys.stderr.isatty() else None
    summary = library.refresh(chosen, bar.update if bar else None)
    if bar:
        bar.finish()
    for failure in [summary.network_down] if summary.network_down else summary.failures:
        _fail(failure)
    print(
        f"updated {summary.updated}, unchanged {summary.unchanged}, failed {summary.failed}"
        + (f", skipped {summary.skipped}" if summary.skipped else "")
        + f"; {summary.added} new item(s)"
        + (f", {summary.removed} old item(s) removed" if summary.removed else "")
    )
    return 1 if summary.failed else 0


def _cleanup(library: Library, args: argparse.Namespace) -> int:
    chosen = [library.feed(reference).id for reference in args.sources] if args.sources else None
    before = library.database_size()
    report = library.cleanup(chosen)
    if library.vacuum_mode() == "none":  # a database made before retention: once
        print(
            "streamtui: rewriting the database once so that it can give space back "
            "(about 2 s per 100,000 items)…",
            file=sys.stderr,
            flush=True,
        )
        library.enable_incremental_vacuum()
    library.checkpoint()
    for name, count in report.removed.items():
        print(f"{sanitize(name)}: removed {count} item(s)")
    freed = max(0, before - library.database_size())
    print(f"removed {report.total} item(s); {_size(freed)} regained")
    return 0


def _size(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def _retention(library: Library, args: argparse.Namespace) -> int:
    source, own = library.limits(args.source)
    if args.days is not None or args.max_items is not None:
        own = SourceRetention(
            own.keep_days if args.days is None else _limit(args.days, "days", "--days"),
            own.max_items
            if args.max_items is None
            else _limit(args.max_items, "items", "--max-items"),
        )
        library.set_limits(str(source.id), own)
    days, count = own.over(library.retention)
    print(
        f"{sanitize(source.name)}: "
        + (f"items older than {days} day(s) are removed" if days else "no age limit")
        + (" (its own)" if own.keep_days is not None else " (config: keep_days)")
        + "; "
        + (f"at most {count} item(s)" if count else "no count limit")
        + (" (its own)" if own.max_items is not None else " (config: max_items)")
        + f"; unread items stay at least {library.retention.unread_days} day(s)"
    )
    return 0


def _limit(text: str, what: str, option: str) -> int | None:
    """A limit given on the command line: a whole number, or "default" (the config's)."""
    if text.strip().lower() == "default":
        return None
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    reason = check_limit(value, what) if value >= 0 else "must be a whole number or 'default'"
    if reason:
        raise StreamtuiError(f"retention: {option} {sanitize(text)[:40]}: {reason}")
    return value


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


REJECTIONS_SHOWN = 20
"""Rejected entries of an import named one by one; the rest are counted."""


def _import(library: Library, args: argparse.Namespace) -> int:
    shown = "standard input" if args.file == "-" else excerpt(args.file)
    if args.file == "-":
        if 0 in stdio.closed_at_start or sys.stdin is None:
            raise StreamtuiError("standard input is closed: there is nothing to import")
        if sys.stdin.isatty():
            stdio.write_error(
                "streamtui: reading feed URLs or OPML from the terminal (Ctrl-D ends)"
            )
    report = library.import_subscriptions(args.file)
    for rejected in report.rejected[:REJECTIONS_SHOWN]:
        _fail(f"rejected {rejected}")
    if len(report.rejected) > REJECTIONS_SHOWN:
        _fail(f"rejected {len(report.rejected) - REJECTIONS_SHOWN:,} more")
    if not report.added and not report.duplicates:  # nothing imported, and nothing there
        why = f"all {len(report.rejected)} entries rejected" if report.rejected else "no feed URLs"
        raise StreamtuiError(f"{shown}: nothing imported ({why})")
    print(
        f"added {len(report.added)}, skipped {report.duplicates} duplicate(s), "
        f"rejected {len(report.rejected)}; 'streamtui refresh' fetches the new feeds"
    )
    return 0  # all of it already subscribed is nothing left to do, not a failure


def _export(library: Library, args: argparse.Namespace) -> int:
    """OPML to standard output or FILE. FILE is replaced atomically, through a symlink to
    its target, keeping an existing file's mode (a new one is 0600: it may hold user
    names); a folder, FIFO, device or socket is refused (core/files.py replace_file)."""
    from streamtui.core.files import replace_file

    text = library.export_subscriptions()
    left_out = library.passwords_left_out()
    if args.file:
        target = Path(args.file).expanduser()
        _refuse_own_files(library, target, args.file)
        written = replace_file(target, text.encode("utf-8"))
        print(f"wrote {text.count('xmlUrl=')} feed(s) to {sanitize(str(written))}")
    else:
        # The file says it is UTF-8: where the output is not, non-ASCII goes as &#...; (valid
        # XML in any ASCII-compatible encoding) instead of in the locale's bytes.
        ascii_only = not stdio.is_utf8(sys.stdout)
        sys.stdout.write(text.encode("ascii", "xmlcharrefreplace").decode() if ascii_only else text)
    if left_out:
        _fail(
            f"the password of {left_out} feed(s) was left out of the export "
            f"(it stays in {library.credentials.where})"
        )
    return 0


def _refuse_own_files(library: Library, target: Path, given: str) -> None:
    """``export`` never writes over the database or the credential store."""
    own = [library.store.path] if library.store.path else []
    if own:
        database = own[0]
        own += [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        own.append(database.with_name(paths.CREDENTIALS_NAME))
    resolved = Path(os.path.realpath(target))
    if any(resolved == Path(os.path.realpath(path)) for path in own):
        raise StreamtuiError(
            f"{sanitize(given)}: that is streamtui's own data; nothing was written"
        )


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
                    "password_stored": source.login,
                }
            )
        else:
            error = f"  ! {redact_text(last_error)}" if last_error else ""
            warning = f"  (warning: {sanitize(source.warning)})" if source.warning else ""
            print(
                f"{source.id:>3}  {_cell(name, 24)} {source.unread:>5} unread / "
                f"{source.total:<5} {_updated(source.updated_at)}  {location}{error}{warning}"
            )
    return 0


def _cell(text: str, width: int) -> str:
    """``text`` in a column ``width`` wide: padded, or cut with "…" (columns stay aligned)."""
    return f"{text:<{width}}" if len(text) <= width else text[: width - 1] + "…"


def _updated(moment: datetime | None) -> str:
    """When a source was last updated, in local time to the minute (16 wide), or "never".
    Any time at all (a damaged database's) is shown, in range (see core/dates.py)."""
    if moment is None:
        return f"{'never':<16}"
    local = dates.local(moment)
    # Not strftime: its %Y gives "1", not "0001", for year 1 on glibc.
    return f"{local.year:04}-{local.month:02}-{local.day:02} {local.hour:02}:{local.minute:02}"


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
    return dates.iso_utc(moment)


def _marker(teaser: bool, truncated: bool) -> str:
    return (" teaser…" if truncated else " teaser ") if teaser else "        "


def _emit(record: dict[str, object]) -> None:
    # UTF-8 where the output is UTF-8; elsewhere ASCII with \u escapes: valid JSON that
    # loses nothing, where the locale's own encoding would have to replace characters.
    ascii_only = not stdio.is_utf8(sys.stdout)
    sys.stdout.write(json.dumps(record, ensure_ascii=ascii_only) + "\n")


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
    when = dates.local(published).strftime("%Y-%m-%d %H:%M")
    sys.stdout.write(
        f"{prefix}{item_id[:10]} {flags} {when}  {source[:18]:<18}  {title or '(empty)'}\n"
    )
