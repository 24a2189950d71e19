"""The main screen: the sources sidebar, the stream list and the article pane, with the search
line, the footer and the too-small notice. It owns the view in force, which pane has the focus,
the keys (their table is ``ui/keys.py``) and what they do. One :class:`MainScreen` class, made
of parts by topic:

- guard.py: failures shown as messages; the database file going away
- base.py: the view, the panes and the layout, start-up, loading a view and the sources
- reading.py: opening items, next and next unread, marks, stars, undo
- links.py: opening links outside the app (browser, terminal browser), copying them
- views.py: sources, starred, search and unread-only views; moving between panes; the help
  and the palette's keys
- sources.py: adding, removing, renaming sources; refreshing them
- story.py: the full article (the item's web page, extracted), attachments downloaded, played
- accounts.py: server accounts: adding and removing feeds through the server, syncing, the
  queue of marks pushed a few seconds after they are made
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import BindingType
from textual.command import Provider

from streamtui.ui.commands import ItemsProvider, SourcesProvider
from streamtui.ui.keys import SCREEN_KEYS
from streamtui.ui.screens.main.accounts import AccountsPart
from streamtui.ui.screens.main.base import Opener, Settings
from streamtui.ui.screens.main.links import open_in_browser
from streamtui.ui.screens.main.story import StoryPart
from streamtui.ui.screens.main.views import ViewsPart

__all__ = ["MainScreen", "Opener", "Settings", "open_in_browser"]


class MainScreen(ViewsPart, StoryPart, AccountsPart):
    """The screen of the panes (a dialog, the help or the palette may be over it)."""

    BINDINGS: ClassVar[list[BindingType]] = SCREEN_KEYS
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        SourcesProvider,
        ItemsProvider,
    }
