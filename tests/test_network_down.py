"""A refresh where nearly every feed fails without a connection says once that the network
looks down, and leaves each source's line as it was (issue 12: 629 "name not resolved" lines
in the sidebar and "629 failed"). The feeds live on loopback ports where nothing listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.store import update_source

from feedserver import FeedServer, feed
from feedserver import feed_server_fixture as feed_server_fixture  # the feed_server fixture
from streamtui.core.library import Library
from streamtui.core.models import SourceKind
from streamtui.core.refresh.decide import network_down
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar
from test_feed_sources import rss


def closed_ports(count: int) -> list[int]:
    """Loopback ports nothing listens on (bound, then closed: a connect is refused)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def add_unreachable(store: Store, count: int) -> list[int]:
    ids = []
    for number, port in enumerate(closed_ports(count)):
        url = f"http://127.0.0.1:{port}/feed{number}.xml"
        ids.append(store.add_source(f"feed {number}", SourceKind.FEED, url).id)
    return ids


def test_the_rule_takes_most_of_at_least_five_feeds() -> None:
    assert network_down(4, ["name not resolved"] * 4) == ""  # too few to tell
    # 70 %: the feeds' own trouble
    assert network_down(10, ["connection refused"] * 7) == ""
    line = network_down(10, ["name not resolved"] * 7 + ["connection refused"])
    assert line.startswith("the network looks down: 8 of 10 feeds could not be reached")
    assert "(name not resolved)" in line


def test_a_refresh_with_no_connection_anywhere_leaves_the_sources_lines_alone(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    ids = add_unreachable(store, 8)
    update_source(store, ids[0], last_error="HTTP 404 (not found)")  # what it said before
    library = Library(store, bundled=tmp_path / "none")
    summary = library.refresh()
    errors = {s.id: s.last_error for s in library.sources()}
    assert errors == {ids[0]: "HTTP 404 (not found)", **dict.fromkeys(ids[1:], "")}
    assert summary.failed == 8
    assert summary.network_down.startswith("the network looks down: 8 of 8 feeds")
    assert "connection refused" in summary.network_down
    library.close()


def test_a_few_unreachable_feeds_among_good_ones_keep_their_own_errors(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    library = Library(store, bundled=tmp_path / "none")
    good = []
    for number in range(8):
        feed_server.route(f"/good{number}.xml", feed(rss(2)))
        url = feed_server.url(f"/good{number}.xml")
        good.append(store.add_source(f"good {number}", SourceKind.FEED, url).id)
    bad = add_unreachable(store, 2)
    summary = library.refresh()
    assert summary.failed == 2 and summary.updated == 8 and not summary.network_down
    errors = {s.id: s.last_error for s in library.sources()}
    assert [errors[i] for i in bad] == ["connection refused"] * 2
    assert not any(errors[i] for i in good)
    library.close()


def test_fewer_than_five_feeds_each_failing_keep_their_errors(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    ids = add_unreachable(store, 3)
    library = Library(store, bundled=tmp_path / "none")
    summary = library.refresh()
    assert summary.failed == 3 and not summary.network_down
    assert [s.last_error for s in library.sources()] == ["connection refused"] * 3
    assert [s.id for s in library.sources()] == ids
    library.close()


async def test_the_app_says_once_that_the_network_looks_down(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "streamtui.db")
    add_unreachable(store, 12)
    app = StreamApp(Library(store, bundled=tmp_path / "none"), sync_on_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert said == [
            "The network looks down: 12 of 12 feeds could not be reached (connection "
            "refused); their items and last errors are left as they were."
        ]
        sidebar = app.query_one(SourcesSidebar)
        prompts = [str(sidebar.get_option_at_index(i).prompt) for i in range(2, 14)]
        assert len(prompts) == 12
        assert not any("refused" in prompt or "!" in prompt for prompt in prompts)
    app.library.close()


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    data = Path(os.environ["STREAMTUI_DATA_DIR"])
    store = Store.open(data / "streamtui.db")
    store.set_meta("default_source_added", "1")
    add_unreachable(store, 6)
    store.close()
    done = subprocess.run(
        [sys.executable, "-m", "streamtui", "refresh"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "streamtui: the network looks down: 6 of 6 feeds could not be reached (connection "
        "refused); their items and last errors are left as they were"
    ]
    assert "failed 6" in done.stdout
