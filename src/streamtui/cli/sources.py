"""The verbs that change sources: add, remove, rename, refresh, import, export, cleanup and
retention."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from streamtui import stdio
from streamtui.cli.output import fail, warn
from streamtui.cli.reader import wait_for_full_text
from streamtui.core import paths
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import RefreshEvent, SourceRetention, check_limit
from streamtui.core.text import excerpt, sanitize


def add(library: Library, args: argparse.Namespace) -> int:
    source, report = library.add_source(args.target, args.name)
    if report.password_updated:
        print(f"updated the password of {sanitize(source.name)!r} ({sanitize(source.location)})")
        return 0
    warn(report)
    stats = report.stats
    print(
        f"added {sanitize(source.name)!r} ({sanitize(source.location)}): "
        f"{stats.added if stats else 0} item(s)"
    )
    return 0


def remove(library: Library, args: argparse.Namespace) -> int:
    source = library.remove_source(args.source)
    where = f" (unsubscribed on {sanitize(source.account)})" if source.account else ""
    print(f"removed {sanitize(source.name)!r}{where}")
    return 0


def rename(library: Library, args: argparse.Namespace) -> int:
    source = library.rename_source(args.source, args.name)
    print(f"renamed to {sanitize(source.name)!r}")
    return 0


def refresh(library: Library, args: argparse.Namespace) -> int:
    chosen = [library.find_source(s) for s in args.sources] if args.sources else None
    bar = _ProgressBar() if sys.stderr is not None and sys.stderr.isatty() else None
    summary = library.refresh(
        chosen, bar.update if bar else None, entries_later=not args.searchable
    )
    if bar:
        bar.finish()
    for failure in [summary.network_down] if summary.network_down else summary.failures:
        fail(failure)
    print(
        f"updated {summary.updated}, unchanged {summary.unchanged}, failed {summary.failed}"
        + (f", skipped {summary.skipped}" if summary.skipped else "")
        + f"; {summary.added} new item(s)"
        + (f", {summary.removed} old item(s) removed" if summary.removed else "")
        + (
            # pending entries may be an earlier refresh's too: "of them" would miscount
            f" ({summary.indexing} item(s) searchable in a few seconds)" if summary.indexing else ""
        )
    )
    wait_for_full_text(library)
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


REJECTIONS_SHOWN = 20


def import_list(library: Library, args: argparse.Namespace) -> int:
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
        fail(f"rejected {rejected}")
    if len(report.rejected) > REJECTIONS_SHOWN:
        fail(f"rejected {len(report.rejected) - REJECTIONS_SHOWN:,} more")
    if not report.added and not report.duplicates:  # nothing imported, and nothing there
        why = f"all {len(report.rejected)} entries rejected" if report.rejected else "no feed URLs"
        raise StreamtuiError(f"{shown}: nothing imported ({why})")
    print(
        f"added {len(report.added)}, skipped {report.duplicates} duplicate(s), "
        f"rejected {len(report.rejected)}; 'streamtui refresh' fetches the new feeds"
    )
    return 0  # all of it already subscribed is nothing left to do, not a failure


def export(library: Library, args: argparse.Namespace) -> int:
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
        fail(
            f"the password of {left_out} feed(s) was left out of the export "
            f"(it stays in {library.credentials.where})"
        )
    carried = library.account_feeds_left_out()
    if carried:
        fail(
            f"{carried} feed(s) of server accounts were left out of the export (each server "
            "keeps its own list; export it there)"
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


def cleanup(library: Library, args: argparse.Namespace) -> int:
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


def retention(library: Library, args: argparse.Namespace) -> int:
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
