"""The command line's arguments: every verb and option, with its help text."""

from __future__ import annotations

import argparse

from streamtui import __version__
from streamtui.core import paths
from streamtui.core.text import excerpt


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

    refresh = verb(
        "refresh",
        "re-read local sources, fetch feeds and sync server accounts (exit 1 if any failed)",
    )
    refresh.add_argument("sources", nargs="*", metavar="SOURCE", help="only these sources")
    refresh.add_argument(
        "--searchable",
        action="store_true",
        help="return only once every new item can be searched (past 2,000 new items a "
        "refresh otherwise returns once they are stored and makes them searchable in the "
        "background)",
    )

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

    accounts = verb(
        "account",
        "server accounts (Tiny Tiny RSS, Miniflux, Google Reader API servers such as "
        "FreshRSS, Fever): their feeds, read state and stars, synced both ways",
    )
    account_verbs = accounts.add_subparsers(dest="account_command", metavar="VERB")
    account_verbs.required = True

    def account_verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return account_verbs.add_parser(
            name, help=help_text, description=help_text, parents=[common]
        )

    adding = account_verb(
        "add",
        "log in to a server and add the account (the password is asked on the terminal, "
        "without echo, unless an option gives it); then sync it",
    )
    adding.add_argument("kind", metavar="KIND", help="greader | ttrss | miniflux | fever")
    adding.add_argument(
        "url",
        metavar="URL",
        help="the server's address (FreshRSS: .../api/greader.php or .../api/fever.php; "
        "Miniflux: its root; tt-rss: its root or .../api/)",
    )
    adding.add_argument("--user", required=True, metavar="NAME", help="the user name")
    adding.add_argument("--name", metavar="N", help="the account's name (default: the host)")
    given = adding.add_mutually_exclusive_group()
    given.add_argument(
        "--password-command",
        metavar="CMD",
        help="a program that prints the password (its first line), e.g. 'pass show rss'; "
        "split into words as a shell would, never run through one",
    )
    given.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    listing_accounts = account_verb(
        "list", "the accounts: kind, URL, user, last sync, changes waiting, error"
    )
    listing_accounts.add_argument("--json", action="store_true", help="one JSON object per line")
    removing = account_verb(
        "remove",
        "remove an account here with its feeds, items and kept login (the server is not "
        "changed; local sources stay)",
    )
    removing.add_argument("name", metavar="NAME", help="the account's name or number")

    syncing = verb(
        "sync",
        "pull what changed on the servers and send what changed here (exit 1 if any failed)",
    )
    syncing.add_argument("accounts", nargs="*", metavar="ACCOUNT", help="only these accounts")
    showing = verb(
        "show",
        "print an item as the article pane shows it: title, source, date, text with numbered "
        "links, the link list and the attachments",
    )
    showing.add_argument("id", metavar="ID", help="an item id (or a unique prefix)")
    showing.add_argument(
        "--full",
        action="store_true",
        help="the article extracted from the item's web page (fetched first when not stored)",
    )
    showing.add_argument(
        "--width",
        type=_count,
        metavar="N",
        help="wrap at N columns (default: the terminal's width, else 80)",
    )
    showing.add_argument("--json", action="store_true", help="one JSON object")

    downloading = verb(
        "download",
        "download an item's attachment (a podcast episode) into download_dir, resuming a "
        "download that was interrupted",
    )
    downloading.add_argument("id", metavar="ID", help="an item id (or a unique prefix)")
    downloading.add_argument(
        "number",
        nargs="?",
        type=_count,
        default=1,
        metavar="N",
        help="which attachment (default: the first)",
    )

    full = verb(
        "full-text",
        "show or set whether each new item of a feed has its web page fetched after a "
        "refresh and its article kept (for feeds that carry only a summary)",
    )
    full.add_argument("source", metavar="SOURCE", help="a feed: name, number or URL")
    full.add_argument("state", nargs="?", choices=("on", "off"), help="on or off")

    sources = verb("sources", "list sources with their unread counts")
    sources.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


MAX_COUNT = 2**63 - 1


def _count(text: str) -> int:
    """argparse type of a count: a whole number, capped at SQLite's largest (a larger one
    means everything; left as it is, SQLite would refuse it with an OverflowError)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{excerpt(text, 40)!r} is not a whole number") from None
    return min(value, MAX_COUNT)
