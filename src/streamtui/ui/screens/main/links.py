"""Links: opening an item's link (o, O), one of its numbered links (f, or a click), copying it
(y). Only http, https and mailto open, outside the app: in the browser, or in a terminal
browser (w3m, lynx...) that the app hands the terminal to until it ends."""

from __future__ import annotations

from textual import work
from textual.app import SuspendNotSupported

from streamtui.core.browser import BrowserError, Launch, run_in_terminal
from streamtui.core.browser import choose as choose_browser
from streamtui.core.browser import start as start_browser
from streamtui.core.text import refusal
from streamtui.ui.screens.links import LinkScreen
from streamtui.ui.screens.main.reading import ReadingPart
from streamtui.ui.widgets.article import ArticleView


def open_in_browser(url: str) -> None:
    """Open ``url`` in $BROWSER or the system's browser, never through a shell (a terminal
    browser too, as if it drew elsewhere: the screen runs those with ``App.suspend``)."""
    start_browser(choose_browser(url))


class LinksPart(ReadingPart):
    def on_article_view_link_clicked(self, message: ArticleView.LinkClicked) -> None:
        self._open_url(message.url)  # checked like every link: http, https, mailto only

    def _item_link(self) -> str | None:
        row = self._target_row()
        if row is None:
            return None
        shown = self.article.article
        article = shown if shown and shown.row.id == row.id else self.library.article(row.id)
        if not article.link:
            self.notify("This item has no link.", timeout=3)
            return None
        return article.link

    def action_open_link(self) -> None:
        with self.guard():
            url = self._item_link()
            if url:
                self._open_url(url)

    def action_open_link_and_next(self) -> None:
        with self.guard():
            row = self._target_row()
            url = self._item_link()
            if row is None or url is None or not self._open_url(url):
                return
            if not row.read:
                self._set_read(row.id, True)
            self._open_next_unread(1, after=row.id, open_it=self._reading())

    def action_follow_link(self) -> None:
        if self.article.article is None:
            self.notify("Open an item first: f follows the numbered links of its text.")
            return
        links = self.article.links
        if not links:
            self.notify("This article has no numbered links.", timeout=3)
            return

        def chosen(number: int | None) -> None:
            link = next((link for link in links if link.number == number), None)
            if link is not None:
                self._open_url(link.url)

        self.app.push_screen(LinkScreen([(k.number, k.label, k.url) for k in links]), chosen)

    def action_copy_link(self) -> None:
        with self.guard():
            url = self._item_link()
            if url:
                self.app.copy_to_clipboard(url)  # OSC 52: works over SSH, where supported
                self.notify(f"Copied {url}", markup=False, timeout=3)

    def _open_url(self, url: str) -> bool:
        """Open http, https and mailto links outside the app; refuse the rest, saying why."""
        reason = refusal(url)
        if reason:
            self.error(f"Not opened: {reason}")
            return False
        if self.settings.opener is not None:
            self.notify(f"Opening {url}", markup=False, timeout=3)
            self._launch(url, None)
            return True
        config = self.settings.config
        try:
            launch = choose_browser(url, browser=config.browser, terminal=config.browser_terminal)
        except BrowserError as error:  # nothing would show it: never claim "Opening"
            self.error(f"Not opened: {error}")
            return False
        if launch.terminal:
            return self._run_in_terminal(launch)
        self.notify(f"Opening {url}", markup=False, timeout=3)
        self._launch(url, launch)
        return True

    @work(thread=True, group="open")
    def _launch(self, url: str, launch: Launch | None) -> None:
        opener = self.settings.opener
        try:
            if launch is None and opener is not None:
                opener(url)
            elif launch is not None:
                start_browser(launch)
        except Exception as error:  # a browser that fails to start is a message
            self.app.call_from_thread(self.error, f"Could not open {url}: {error}")

    def _run_in_terminal(self, launch: Launch) -> bool:
        """Hand the terminal to a terminal browser (w3m, lynx...) until it ends, then take
        it back and redraw. The app reads no key and draws nothing meanwhile: a refresh
        goes on, and what it brings shows on return."""
        failure: BrowserError | None = None
        try:
            with self.app.suspend():
                try:
                    run_in_terminal(launch)
                except BrowserError as error:  # said once the app is back on the screen
                    failure = error
        except SuspendNotSupported:
            self.error(
                f"Not opened: {launch.name} needs the terminal, which cannot be handed over here"
            )
            return False
        self.app.screen.refresh(layout=True)
        if failure is not None:
            self.error(f"Could not open {launch.url}: {failure}")
            return False
        return True
