"""Quitting the real app in a pseudo-terminal, idle or during a refresh whose name lookups
hang (as they do when the network is down and the resolver waits for its timeout).

Shared by ``tests/reliability/test_quit.py`` and ``benchmarks/ux_trials.py``. The app runs as
``python -c PRELUDE``: the prelude replaces ``socket.getaddrinfo`` for every name but the
loopback ones with one that blocks for :data:`LOOKUP_SECONDS` and then fails, the way a
resolver with no network does; nothing is sent anywhere. Then it runs streamtui's own
``main()``. The figure is the time from writing ``q`` to the terminal to the process's end.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from tests.support.bytecode import src_path
from tests.support.escapes import Terminal

LOOKUP_SECONDS = 10.0

PRELUDE = f"""
import socket, sys, time
_real = socket.getaddrinfo
def _hanging(host, *args, **kwargs):
    if host in ("127.0.0.1", "localhost", "::1"):
        return _real(host, *args, **kwargs)
    time.sleep({LOOKUP_SECONDS})
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
socket.getaddrinfo = _hanging
from streamtui.cli import main
sys.exit(main())
"""


def build(root: Path, feeds: int, *, hanging: bool = True) -> None:
    """A data folder with ``feeds`` feed sources on names whose lookups hang (or, not
    ``hanging``, on a loopback port where nothing listens: the refresh ends at once)."""
    from streamtui.core.models import SourceKind
    from streamtui.core.store import Store

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = Store.open(root / "data" / "streamtui.db")
    try:
        store.set_meta("default_source_added", "1")  # no bundled guide: feeds only
        for number in range(feeds):
            url = (
                f"http://feed{number}.unresolvable.invalid/feed.xml"
                if hanging
                else f"http://127.0.0.1:{port}/feed{number}.xml"
            )
            store.add_source(f"feed {number}", SourceKind.FEED, url)
    finally:
        store.close()


def env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
        and not key.startswith(("TEXTUAL", "STREAMTUI", "XDG_"))
        and key not in ("NO_COLOR", "COLUMNS", "LINES", "TMUX", "BROWSER")
    }
    return {
        **keep,
        "TERM": "xterm-256color",
        "HOME": str(home),
        "STREAMTUI_DATA_DIR": str(root / "data"),
        "STREAMTUI_CONFIG_DIR": str(root / "config"),
        "TEXTUAL_ANIMATIONS": "none",
        "PYTHONPATH": src_path(keep=True),
    }


def quit_seconds(root: Path, *, refreshing: bool) -> tuple[float, int | None]:
    """Start the app on ``root``'s data, press q (idle: once the first refresh has ended;
    refreshing: while it waits on its lookups) and return the seconds from q to the
    process's end, with its exit status."""
    terminal = Terminal([sys.executable, "-c", PRELUDE], env(root), size=(120, 40))
    try:
        # Idle: every feed was refused, so the refresh ends saying the network looks down.
        marker = b"refreshing" if refreshing else b"looks down"
        seen = terminal.wait_for(marker, timeout=60 if not refreshing else 30)
        if not seen:
            raise AssertionError(f"the app never showed {marker!r}")
        if refreshing:
            time.sleep(0.5)  # the fetches are now inside their lookups
        else:
            terminal.wait_quiet(0.3)
        began = time.monotonic()
        terminal.send("q")
        status = terminal.process.wait(LOOKUP_SECONDS * 3)
        return time.monotonic() - began, status
    finally:
        terminal.close(5)
