"""The verbs that mark: star, unstar, mark-read and mark-unread."""

from __future__ import annotations

import argparse

from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import View


def star(library: Library, args: argparse.Namespace) -> int:
    starred = args.command == "star"
    changed = library.set_starred(library.resolve_ids(args.ids), starred)
    print(f"{'starred' if starred else 'unstarred'} {changed.count} item(s)")
    return 0


def mark_read(library: Library, args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise StreamtuiError("mark-read: give item ids or --all, not both or neither")
    if args.source and not args.all:
        raise StreamtuiError("mark-read: --source goes with --all")
    if args.all:
        source_id = library.find_source(args.source).id if args.source else None
        changed = library.mark_view_read(View(source_id))
    else:
        changed = library.mark_read(library.resolve_ids(args.ids), True)
    print(f"marked {changed.count} item(s) read")
    return 0


def mark_unread(library: Library, args: argparse.Namespace) -> int:
    changed = library.mark_read(library.resolve_ids(args.ids), False)
    print(f"marked {changed.count} item(s) unread")
    return 0
