"""Links and enclosures from feeds reach the browser only as http, https or mailto, and only
as one argv element: never through a shell, whatever characters they carry.

The browser here is a real program named by ``BROWSER`` (a script that records its argv), run
by the same ``open_in_browser`` the app uses, so a shell anywhere on the way would show.
"""

from __future__ import annotations

import json
import os
import sys
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.store import merge_items

from conftest import make_item
from streamtui.core.library import Library
from streamtui.core.models import Enclosure, SourceKind
from streamtui.core.store import Store
from streamtui.core.text.links import refusal
from streamtui.ui.app import StreamApp, open_in_browser
from streamtui.ui.widgets.stream_list import StreamList

# What a shell would act on: command substitution, separators, pipes, redirections, globs.
METACHARACTERS = "$(touch {flag}a);touch {flag}b|touch {flag}c`touch {flag}d`&&>{flag}e *?~"

REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "file:///etc/passwd",
    "smb://attacker.example/share/x.exe",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "ssh://host/;touch /tmp/x",
    "$(touch x)",  # no scheme (as an enclosure it resolves against the feed: https)
    "https://example.org/\x1b]52;c;cHduZWQ=\x07",
]


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A BROWSER that appends its arguments, as JSON, to a log; yields the log."""
    log = tmp_path / "browser.log"
    script = tmp_path / "browser.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    monkeypatch.chdir(tmp_path)
    # webbrowser reads BROWSER once, at its first use: make it read ours, then forget it.
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    yield log


def launched(log: Path, count: int) -> list[list[str]]:
    """The argv lists the browser was started with, once ``count`` of them arrived."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"the browser ran fewer than {count} times")


def hostile_web_url(tmp_path: Path) -> str:
    return "https://example.org/a?q=" + METACHARACTERS.format(flag=tmp_path / "PWNED-")


def test_a_web_link_full_of_shell_metacharacters_is_one_argv_element(
    browser: Path, tmp_path: Path
) -> None:
    url = hostile_web_url(tmp_path)
    assert refusal(url) is None  # an https link: it may open, so it must open safely
    open_in_browser(url)
    assert launched(browser, 1) == [[url]]
    time.sleep(0.2)  # anything a shell had started would have run by now
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("PWNED")]


@pytest.mark.parametrize("url", REFUSED)
def test_other_schemes_and_controls_are_refused(url: str) -> None:
    reason = refusal(url)
    assert reason and "\x1b" not in reason and "\x07" not in reason


def make_app(data: Path, tmp_path: Path) -> StreamApp:
    store = Store.open(data / "streamtui.db")
    source = store.add_source("Hostile links", SourceKind.FEED, "https://example.org/feed.xml")
    items = [
        make_item(
            f"i-{n:02}",
            f"Link {n:02}",
            published=1_700_000_000 - n,
            link=url,
            enclosures=(Enclosure(url=url, type="audio/mpeg", length=1),),
        )
        for n, url in enumerate([hostile_web_url(tmp_path), *REFUSED])
    ]
    merge_items(store, source.id, items)
    library = Library(store, bundled=data / "no-guide")
    return StreamApp(library, sync_on_start=False)  # the real opener: open_in_browser


async def test_the_app_opens_only_the_web_link_and_never_through_a_shell(
    browser: Path, tmp_path: Path
) -> None:
    app = make_app(tmp_path / "data", tmp_path)
    shown: list[str] = []
    notify = app.notify

    def recording(message: str, *args: object, **kw: object) -> None:
        shown.append(message)
        notify(message, *args, **kw)  # type: ignore[arg-type]

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=(140, 40)) as pilot:
        stream = app.query_one(StreamList)
        for _ in range(stream.count):
            await pilot.press("o")  # the item's link
            await pilot.press("enter", "f", "1")  # its enclosure, the only numbered link
            await app.workers.wait_for_complete()
            await pilot.press("h", "j")
        await app.workers.wait_for_complete()
    messages = "\n".join(shown)
    url = hostile_web_url(tmp_path)
    # The item links: only the https one. The enclosures: it, and the relative one, which
    # resolves against the feed's address to an https link (opened as one argument too).
    assert launched(browser, 3) == [[url], [url], ["https://example.org/$(touch x)"]]
    time.sleep(0.2)
    assert len(browser.read_text().splitlines()) == 3
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("PWNED")]
    assert "javascript: links are not opened" in messages
    assert "file: links are not opened" in messages and "smb: links" in messages
    assert os.environ["BROWSER"].endswith("browser.py")
