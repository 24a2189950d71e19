"""The sidebar's groups (issue 14): an account's feeds under the account and its categories,
local sources under their OPML folders, each group with its unread total, folded and unfolded
with Enter; a mark redraws the totals of the groups that hold its source. Built by the
Library (core/library/tree.py) and drawn by the sidebar widget, in the real app (Pilot)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from streamtui.core.library.tree import source_tree
from streamtui.core.models import Account, Source, SourceKind
from streamtui.ui.app import StreamApp
from streamtui.ui.widgets.sidebar import SourcesSidebar
from streamtui.ui.widgets.stream_list import StreamList
from tests.support.accountsync import ServerThere, library_at, row
from tests.support.pilot import until
from tests.support.servers.feeds import FeedSite
from tests.support.servers.fixtures import feed_site_fixture  # noqa: F401
from tests.support.servers.greader import GReaderServer

OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
<outline text="Tech"><outline text="Deep"><outline text="Deep feed" xmlUrl="{0}"/></outline>
<outline text="Tech feed" xmlUrl="{1}"/></outline>
</body></opml>
"""


def source(
    sid: int, name: str, unread: int, *, folder: str = "", account: int | None = None
) -> Source:
    kind = SourceKind.ACCOUNT if account is not None else SourceKind.FEED
    return Source(
        sid, name, kind, f"loc{sid}", unread, unread + 1, folder=folder,
        account_id=account, account="work" if account is not None else "",
    )  # fmt: skip


def test_the_tree_groups_accounts_categories_and_folders_with_totals() -> None:
    sources = [
        source(1, "loose", 1),
        source(2, "deep", 2, folder="Tech/Deep"),
        source(3, "tech", 3, folder="Tech"),
        source(4, "news feed", 4, folder="News", account=7),
        source(5, "plain feed", 5, account=7),
    ]
    accounts = [
        Account(7, "work", "ttrss", "http://x", "u", "k", last_error="work: down"),
        Account(8, "empty", "fever", "http://y", "u", "k2"),
    ]
    tree = source_tree(sources, accounts)
    shown = [
        (r.depth, r.group.title if r.group else r.source.name if r.source else "")
        for r in tree.rows()
    ]
    assert shown == [
        (0, "loose"), (0, "Tech"), (1, "tech"), (1, "Deep"), (2, "deep"),
        (0, "work"), (1, "plain feed"), (1, "News"), (2, "news feed"), (0, "empty"),
    ]  # fmt: skip
    groups = {g.key: g for g in tree.groups()}
    assert (groups["folder:Tech"].unread, groups["folder:Tech"].total) == (5, 7)
    assert groups["account:7"].unread == 9 and groups["account:7"].error == "work: down"
    assert groups["account:8"].unread == 0  # an account with no feed yet is there
    folded = [r.key for r in tree.rows({"folder:Tech", "account:7"})]
    assert folded == ["1", "group:folder:Tech", "group:account:7", "group:account:8"]
    assert not source_tree(sources[:1]).grouped  # nothing to group: the flat list


async def test_the_app_shows_an_account_under_its_categories_and_folds_it(
    tmp_path: Path, feed_site: FeedSite
) -> None:
    with GReaderServer(dialect="miniflux") as server:
        there = ServerThere(server, feed_site)
        k = there.feed(2, "News")
        library = library_at(tmp_path)
        opml = tmp_path / "subs.opml"
        opml.write_text(OPML.format(feed_site.feed_url(0), feed_site.feed_url(1)))
        library.import_subscriptions(str(opml))
        await asyncio.to_thread(  # as the app will: on a worker thread, never on its loop
            library.add_account, "greader", there.url, there.user, there.password, "work"
        )
        app = StreamApp(library, sync_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            sidebar = app.query_one(SourcesSidebar)
            ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
            feed_id = str(row(library, f"Feed {k} item 1").source_id)
            assert ids.index("group:account:1") < ids.index("group:account:1/News")
            assert ids.index("group:account:1/News") < ids.index(feed_id)
            assert "group:folder:Tech" in ids and "group:folder:Tech/Deep" in ids
            # the counts are read off the UI thread: on a loaded machine after the first paint
            await until(pilot, lambda: " 2" in news_line(sidebar))
            group = sidebar.get_option("group:account:1/News").prompt
            assert "News" in str(group) and " 2" in str(group)
            # a mark redraws the group's total
            stream = app.query_one(StreamList)
            app.main.show_source(int(feed_id))
            await pilot.pause()
            app.set_focus(stream)
            await pilot.press("m")
            await until(pilot, lambda: " 1" in news_line(sidebar))
            assert " 1" in str(sidebar.get_option("group:account:1/News").prompt)
            assert " 1" in str(sidebar.get_option("group:account:1").prompt)
            # Enter on the account's group folds it, and again unfolds it
            app.set_focus(sidebar)
            sidebar.highlight("group:account:1")
            await pilot.press("enter")
            await pilot.pause()
            ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
            assert feed_id not in ids and "group:account:1/News" not in ids
            assert sidebar.highlighted_id() == "group:account:1"
            assert "▸" in str(sidebar.get_option("group:account:1").prompt)
            await pilot.press("enter")
            await pilot.pause()
            ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
            assert feed_id in ids


def news_line(sidebar: SourcesSidebar) -> str:
    return str(sidebar.get_option("group:account:1/News").prompt)
