"""What ``streamtui refresh`` loads before its requests (issue 15, warm 304 from the CLI): a
refresh whose feeds all answer 304 is mostly the start of its process, so the modules that
only parsing, accounts, the app or other verbs need are imported by those, not by it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from streamtui.core.models import SourceKind
from streamtui.core.store import Store
from tests.support.feedserver import (
    FeedServer,
    feed,
    feed_server_fixture,  # noqa: F401
)
from tests.support.store import feed_state, merge_items

RSS = "<rss version='2.0'><channel><title>T</title><item><guid>1</guid></item></channel></rss>"

NOT_FOR_A_304 = (
    "textual",
    "rich",
    "feedparser",
    "pebble",  # the parser's worker pool starts with the first body to parse
    "multiprocessing",
    "tomllib",  # no config.toml here: the defaults need no TOML
    "streamtui.ui",
    "streamtui.core.parse.feed",
    "streamtui.core.parse.entries",
    "streamtui.core.parse.pages",
    "streamtui.core.sources.pages",  # local sources: none here
    "streamtui.core.text.document",  # the article's document and renderer
    "streamtui.core.text.render",
    "streamtui.core.reader",
    "streamtui.core.refresh.apart",  # the app's refresh process
    "streamtui.core.sync",  # accounts: none here
    "streamtui.core.sources.accounts.sync",
    "streamtui.cli.accounts",  # the other verbs' modules
    "streamtui.cli.article",
    "streamtui.cli.marks",
    "streamtui.cli.reading",
)

REFRESH = """
import json, sys
from streamtui.cli import main
code = main(["refresh"])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def test_a_refresh_of_unchanged_feeds_imports_no_parse_account_or_app_module(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.route("/feed.xml", feed(RSS, etag='"v1"'))
    store = Store.open(Path(os.environ["STREAMTUI_DATA_DIR"]) / "streamtui.db")
    try:
        store.set_meta("default_source_added", "1")  # feeds alone: no bundled guide
        source = store.add_source("Feed", SourceKind.FEED, feed_server.url("/feed.xml"))
        merge_items(store, source.id, [], etag='"v1"')  # fetched before: its ETag is kept
    finally:
        store.close()
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", REFRESH, str(report)],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "unchanged 1, failed 0" in done.stdout
    (request,) = feed_server.requests_to("/feed.xml")
    assert request.header("if-none-match") == '"v1"'  # answered 304, as a warm refresh is
    result = json.loads(report.read_text())
    assert result["code"] == 0
    loaded = set(result["modules"])
    assert {"httpx", "streamtui.core.fetch.client", "streamtui.core.store"} <= loaded  # it ran
    early = sorted(
        name
        for name in loaded
        if any(name == lazy or name.startswith(lazy + ".") for lazy in NOT_FOR_A_304)
    )
    assert early == []
    store = Store.open(Path(os.environ["STREAMTUI_DATA_DIR"]) / "streamtui.db")
    try:
        assert feed_state(store, source.id).etag == '"v1"'
    finally:
        store.close()


def test_every_verb_of_the_parser_names_a_function_of_its_module() -> None:
    """The verbs' modules are imported by name (cli/__init__.py VERBS), which neither mypy nor
    the import contracts can follow: each entry is checked here."""
    from streamtui.cli import VERBS, verb
    from streamtui.cli.parser import build_parser

    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(actions[0].choices) == {*VERBS, "preview"}  # preview needs no library
    for command in VERBS:
        assert callable(verb(command)), command
