"""The child process that refreshes or syncs for the app (``python -m`` this module; the
protocol and the app's side are ``core/refresh/apart.py``).

It reads one request from its standard input: the job (``refresh`` with source ids, or
``sync`` with account names), the database, the bundled content and the retention limits.
It opens its own library on that database (the credential store beside it, as the app's),
runs the job as the app's library would, and writes the events and the outcome back.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from streamtui.core.errors import StoreError
from streamtui.core.library import Library
from streamtui.core.library.maintenance import MaintenancePart
from streamtui.core.models import Retention
from streamtui.core.refresh.apart import Progress, serve
from streamtui.core.store import Store

NICE = 5
"""The child yields the CPU to the app as the parser's processes do (which start from it,
5 lower again): on two busy cores, the UI thread's keys come first."""


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app says when to stop: its input ends
    with contextlib.suppress(OSError):
        os.nice(NICE)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        request = json.loads(stdin.readline())
    except ValueError:
        return 2  # no request: the app went before it sent one
    library: Library | None = None

    def job(progress: Progress, cancel: threading.Event) -> object:
        nonlocal library
        library = _open(request)
        if request["job"] == "sync":
            return library.sync_accounts(request["accounts"], progress, cancel)
        wanted = request["sources"]
        sources = None
        if wanted is not None:
            sources = library.sources(counted=False, only=set(wanted))
        # The refresh alone: the app fetches the full articles after it (reader.py).
        return MaintenancePart.refresh(library, sources, progress, cancel)

    try:
        return serve(job, stdin, stdout)
    finally:
        if library is not None:
            with contextlib.suppress(Exception):
                library.close()


def _open(request: dict[str, Any]) -> Library:
    database = Path(request["database"])
    if not database.is_file():  # opening would make a new, empty one
        raise StoreError(f"{database}: the database file is gone; nothing was refreshed")
    return Library(
        Store.open(database),
        bundled=Path(request["bundled"]),
        retention=Retention(**request["retention"]),
    )


if __name__ == "__main__":
    sys.exit(main())
