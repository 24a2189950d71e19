"""The command line, and the one place that wires real dependencies together.

- parser.py: the verbs and their options
- reading.py: preview, list, search, sources
- sources.py: add, remove, rename, refresh, import, export, cleanup, retention
- marks.py: star, unstar, mark-read, mark-unread
- accounts.py: account add, list and remove; sync; the push after marking
- article.py: show (an article as the pane draws it); reader.py: download, full-text
- output.py: what is printed, and error lines
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from streamtui import stdio
from streamtui.cli.output import fail, warn
from streamtui.cli.parser import build_parser
from streamtui.core import paths
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library, open_library
from streamtui.core.store import Store, make_private

if TYPE_CHECKING:
    from streamtui.core.config import Config

Verb = Callable[[Library, argparse.Namespace], int]
VERBS: dict[str, tuple[str, str]] = {
    "list": ("reading", "listing"),
    "search": ("reading", "search"),
    "sources": ("reading", "sources"),
    "star": ("marks", "star"),
    "unstar": ("marks", "star"),
    "mark-read": ("marks", "mark_read"),
    "mark-unread": ("marks", "mark_unread"),
    "add": ("sources", "add"),
    "remove": ("sources", "remove"),
    "rename": ("sources", "rename"),
    "refresh": ("sources", "refresh"),
    "import": ("sources", "import_list"),
    "export": ("sources", "export"),
    "cleanup": ("sources", "cleanup"),
    "retention": ("sources", "retention"),
    "account": ("accounts", "account"),
    "sync": ("accounts", "sync"),
    "show": ("article", "show"),
    "download": ("reader", "download"),
    "full-text": ("reader", "full_text"),
}
"""Each verb's module in this package and its function there: only the module of the verb
run is imported (``streamtui refresh`` loads neither the accounts' nor the article's)."""


def verb(command: str) -> Verb:
    """The function that runs ``command``, its module imported now."""
    module, name = VERBS[command]
    function: Verb = getattr(importlib.import_module(f"streamtui.cli.{module}"), name)
    return function


CONFIGURED = ("refresh", "cleanup", "retention", "download")
"""The verbs that read config.toml: retention's limits, the download folder and cap."""
READING = ("list", "search", "mark-read", "mark-unread", "star", "unstar", "sources", "show")
"""The verbs whose output follows the files on disk: local sources are re-read first."""


def main(argv: Sequence[str] | None = None) -> int:
    stdio.guard_descriptors()  # before anything opens a file
    args = build_parser().parse_args(argv)
    if args.command is not None and stdio.is_closed(sys.stdout):
        fail("standard output is closed, so nothing could be printed; nothing was done")
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
        fail(str(error))
        stdio.silence_stdout()
    except StreamtuiError as error:
        fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``); not an error worth a message.
        stdio.silence_stdout()
        return 0
    except Exception as error:  # last line of defence: no traceback reaches the user
        fail(f"internal error: {type(error).__name__}: {error}")
    finally:
        sys.stdout = real_stdout
    return 1


def _run(args: argparse.Namespace) -> int:
    if args.command is None and (problem := stdio.terminal_problem()):
        raise StreamtuiError(
            f"the app needs a terminal and {problem}; without one, use the commands "
            "(streamtui list, search, sources, refresh, add, import...; see streamtui --help)"
        )
    if args.command == "preview":
        from streamtui.cli.reading import preview

        return preview(args)
    data_dir = paths.data_dir(getattr(args, "data_dir", None))
    # Before anything opens the database: SQLite gives a new -wal and -shm its mode.
    private = make_private(data_dir / paths.DB_NAME)
    items = Store.upgrade_size(data_dir / paths.DB_NAME)
    if items is not None:  # before the app takes the screen: seen while the steps run
        of = f" of {items:,} items" if items >= 0 else ""
        stdio.write_error(
            f"streamtui: upgrading the database{of}, once; this takes a while with a long history…"
        )
    library, message = open_library(data_dir)
    message = "\n".join([*private, message] if message else private)
    if message:
        fail(message)
    if args.command in CONFIGURED:
        from streamtui.core.config import load_config

        try:
            config = load_config(paths.config_dir(getattr(args, "config_dir", None)))
        except StreamtuiError:
            library.close()
            raise
        library.retention = config.retention
        args.loaded_config = config
    if not library.read_only:  # a read-only data directory: show what is stored
        library.ensure_default_source()
    if args.command is None:
        return _launch(library, args, message)
    if args.command in READING and not library.read_only:
        for report in library.sync_all():  # what they show follows the files on disk
            warn(report)
    try:
        return verb(args.command)(library, args)
    finally:
        library.close()


def _image_mode(config: Config) -> tuple[str, int]:
    """How this terminal draws images, asked before the app takes it (Kitty graphics, Sixel
    or neither: ``ui/images/terminal.py``), and the colours a Sixel image may use; none
    asked under tmux or with images off."""
    from streamtui.ui.images.terminal import needs_query, query_terminal, resolve, sixel_colours

    answer = None
    if needs_query(config.images, os.environ) and _terminal(sys.stdin) and _terminal(sys.stdout):
        answer = query_terminal(sys.stdin.fileno(), sys.stdout.fileno())
    return resolve(config.images, os.environ, answer), sixel_colours(answer)


def _terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _launch(library: Library, args: argparse.Namespace, message: str) -> int:
    from streamtui.core.config import load_config
    from streamtui.ui.app import StreamApp

    config = load_config(paths.config_dir(getattr(args, "config_dir", None)))
    library.retention = config.retention
    for name in ("COLUMNS", "LINES"):  # an exported size would pin the app to it, deaf to
        os.environ.pop(name, None)  # the terminal's own size and every resize
    try:
        mode, colours = _image_mode(config)
        app = StreamApp(
            library,
            startup_message=message,
            config=config,
            image_mode=mode,
            sixel_colours=colours,
        )
        app.run()
    finally:
        library.close()
    code = app.return_code or 0  # 1 after a crash: never report success then
    if code:
        fail("the app stopped on an internal error (what Textual printed above says where)")
    return code
