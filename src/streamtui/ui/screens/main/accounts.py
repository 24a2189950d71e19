"""Server accounts on the main screen (issue 14): with the sidebar's highlight on an account
(or one of its categories or feeds), ``a`` adds a feed through the server, ``d`` on one of
its feeds unsubscribes it there (on the account's own line, removes the account from this
reader), ``r`` syncs it; ``R`` and the refreshes at start-up and on
the timer sync every account. Marks and stars are stored at once (the reading part); every
few seconds the screen looks whether some wait to be sent and pushes them on a worker
thread, trying again later while the server does not answer. Each account's line in the
sidebar says what it is doing (syncing, sending) or why its last sync failed, in one line.
Nothing here waits for the network on the UI thread (the workers are ``ui/accounts.py``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import partial

from textual import work
from textual.content import Content

from streamtui.core.library import Library
from streamtui.core.models import Account, RefreshEvent, Source
from streamtui.ui.accounts import (
    PUSH_SECONDS,
    AccountsSynced,
    MarksPushed,
    Pushing,
    Unsubscribed,
    changed_here,
    failed,
    run_sync,
    run_unsubscribe,
    synced_line,
)
from streamtui.ui.format import safe
from streamtui.ui.refresh import FLUSH_SECONDS, RefreshFinished, RefreshProgressed
from streamtui.ui.screens.dialogs import AddSourceScreen, ConfirmScreen
from streamtui.ui.screens.main.base import Settings
from streamtui.ui.screens.main.sources import SourcesPart
from streamtui.ui.widgets.sidebar import SourcesSidebar

SYNCING = "syncing…"


class AccountsPart(SourcesPart):
    def __init__(self, library: Library, settings: Settings) -> None:
        super().__init__(library, settings)
        self.pushing = Pushing()
        self.syncing: set[int] = set()
        """The accounts a running refresh or sync is syncing (their queue waits for it)."""

    def start_pushing(self) -> None:
        """From the first frame on: look at the queue every few seconds."""
        self.set_interval(PUSH_SECONDS, self._look_at_queue)

    def _account_here(self, *, in_view: bool = True) -> tuple[Account, str | None] | None:
        """The account the keys act on, with its category: the sidebar's highlight while
        the sidebar has the focus, else (``in_view``) the account of the source in view."""
        if self.focused is self.sidebar:
            return self.sidebar.highlighted_account()
        source_id = self.view.source_id
        source = self.sidebar.shown(source_id) if in_view and source_id is not None else None
        if source is None or source.account_id is None:
            return None
        account = next((a for a in self.sidebar.accounts if a.id == source.account_id), None)
        return None if account is None else (account, source.folder or None)

    # -- a: add a feed through the server ----------------------------------------------

    def action_add_source(self) -> None:
        here = self._account_here(in_view=False)
        if here is None:
            super().action_add_source()
            return
        account, category = here
        with self.guard():
            why = self.library.why_no_subscriptions(str(account.id))
            if why:  # Fever: said plainly, no dialog that cannot work
                self.notify(f"{account.name}: {why}", severity="warning", markup=False)
                return
            title = Content.assemble(
                ("Add a feed to ", "bold"),
                safe(account.name).stylize("bold $secondary"),
                *((" in ", ("", "bold")) if category else ()),
                *((safe(category).stylize("bold"),) if category else ()),
            )
            hint = (
                f"A feed URL: {account.name}'s server subscribes to it (every reader of the "
                "account gets it), and its items come here with the next sync."
            )

            def added(source: Source | None) -> None:
                if source is not None:
                    with self.guard():
                        self._show_sources()
                        current = self.stream.current
                        self._reload(current.id if current else None, keep_screen=True)

            dialog = AddSourceScreen(
                partial(self._subscribe, account, category),
                self._take_back_remote,
                title=title,
                hint=hint,
                named=False,
            )
            self.app.push_screen(dialog, added)

    def _subscribe(
        self, account: Account, category: str | None, url: str, _: str | None
    ) -> tuple[Source, int]:
        """In the dialog's worker: the server subscribes, then the account syncs."""
        source, report = self.library.subscribe(str(account.id), url, category)
        return source, source.total or report.added

    def _take_back_remote(self, source: Source) -> None:
        """The add dialog was cancelled while the server subscribed: unsubscribe there."""
        self._unsubscribe(source)

    # -- d: unsubscribe through the server ---------------------------------------------

    def _ask_removal(self, source: Source) -> None:
        if source.account_id is None:
            super()._ask_removal(source)
            return
        account = source.account or "its account"
        with self.guard():
            why = self.library.why_no_subscriptions(str(source.account_id))
            if why:
                self.notify(f"{source.name}: {why}", severity="warning", markup=False)
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self.sidebar.set_status([source.account_id or 0], "unsubscribing…")
                    self._unsubscribe(source)

            question = Content.assemble(
                "Unsubscribe from ",
                safe(source.name).stylize("bold"),
                " on the server of account ",
                safe(account).stylize("bold"),
                "? Every reader of that account loses the feed, and its "
                f"{source.total} item(s) go from here too.",
            )
            self.app.push_screen(ConfirmScreen(question), answered)

    def on_sources_sidebar_account_remove_requested(
        self, message: SourcesSidebar.AccountRemoveRequested
    ) -> None:
        """``d`` on an account's line: after a confirmation, the account goes from this
        reader (its feeds, items, unsent marks and kept login); the server is not told."""
        account = message.account
        if account.id in self.syncing:
            self.notify(f"{account.name}: wait for its sync to end.", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if not yes or account.id in self.syncing:
                return
            with self.guard():
                self.library.remove_account(str(account.id))
                shown = self.sidebar.shown(self.view.source_id) if self.view.source_id else None
                if shown is not None and shown.account_id == account.id:
                    self.view = self.library.view(None, unread_only=self.view.unread_only)
                self._show_sources()
                self._reload()
                self.notify(f"Removed account {account.name}.", markup=False, timeout=3)

        unsent = (
            f" {account.pending} change(s) not yet sent to it are lost." if account.pending else ""
        )
        question = Content.assemble(
            "Remove the account ",
            safe(account.name).stylize("bold"),
            " from this reader? Its feeds and their items go from here; nothing changes on "
            f"the server.{unsent}",
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, group="unsubscribe")
    def _unsubscribe(self, source: Source) -> None:
        self.post_message(Unsubscribed(source, run_unsubscribe(self.library, source)))

    def on_unsubscribed(self, message: Unsubscribed) -> None:
        source = message.source
        self.sidebar.set_status([source.account_id or 0], "")
        if message.error:
            self.error(message.error)
            return
        with self.guard():
            self._removed(source, f"Unsubscribed from {source.name} on {source.account}.")

    # -- r / R: sync ------------------------------------------------------------------

    def action_refresh(self, everything: bool, *, quiet: bool = False) -> None:
        here = None if everything else self._account_here()
        if here is not None:
            self.sync_now([here[0]])
            return
        running = self.refreshing.running
        super().action_refresh(everything, quiet=quiet)
        if everything and not running and self.refreshing.running:  # a whole refresh
            accounts = self.sidebar.accounts  # syncs every account
            self.syncing = {a.id for a in accounts}
            self.sidebar.set_status(sorted(self.syncing), SYNCING)

    def sync_now(self, accounts: Sequence[Account]) -> None:
        """Sync these accounts now, on a worker thread, the screen following as it does a
        refresh (one refresh or sync at a time)."""
        if self.library.read_only:
            self.notify("Not syncing: nothing can be saved now.", severity="warning")
            return
        refreshing = self.refreshing
        if refreshing.running:
            self.notify("A refresh is already running.", timeout=2)
            return
        cancel = refreshing.start(quiet=False, doing="syncing")
        self.syncing = {a.id for a in accounts}
        self.sidebar.set_status(sorted(self.syncing), SYNCING)
        self.stream.set_subtitle(Content(SYNCING))
        self._sync([a.name for a in accounts], sorted(self.syncing), cancel)
        refreshing.flusher = self.set_interval(FLUSH_SECONDS, self._flush_progress)

    @work(thread=True, exclusive=True, group="refresh")
    def _sync(self, names: list[str], ids: list[int], cancel: threading.Event) -> None:
        def progressed(event: RefreshEvent) -> None:
            self.post_message(RefreshProgressed(event))

        outcome = run_sync(self.library, names, cancel, progressed, elsewhere=True)
        if not cancel.is_set():
            self.post_message(AccountsSynced(ids, outcome))

    def on_accounts_synced(self, message: AccountsSynced) -> None:
        self._flush_progress(final=True)
        self.refreshing.finish()
        self._synced(message)
        with self.guard():
            self._show_unread()  # the list's subtitle said how far the sync was
        outcome = message.outcome
        if isinstance(outcome, str):
            self.error(outcome)
            return
        for report in outcome:
            if report.error:
                self.notify(synced_line(report), severity="warning", markup=False, timeout=8)
            else:
                self.notify(synced_line(report), markup=False, timeout=4)

    def on_refresh_finished(self, _: RefreshFinished) -> None:
        """Before the sources part's handler (Textual calls both, this one first): the
        accounts' lines lose their "syncing…" and show how the sync ended."""
        self.sidebar.set_status(sorted(self.syncing), "")
        self.syncing = set()
        self.pushing.succeeded()  # the refresh pushed: the queue is looked at again now

    def _synced(self, message: AccountsSynced) -> None:
        """A sync or a push ended: the accounts' lines say how; what it brought shows."""
        for account_id in message.account_ids:
            self.syncing.discard(account_id)
            self.sidebar.status.pop(account_id, None)
        if not failed(message.outcome):
            self.pushing.succeeded()
        with self.guard():
            if changed_here(message.outcome):
                self._catch_up()  # counts, the list, the accounts' lines
            else:
                self.sidebar.update_accounts(self.library.accounts())

    # -- the queue ----------------------------------------------------------------------

    def _look_at_queue(self) -> None:
        """Every few seconds: marks waiting for an account that no sync holds are pushed
        (and the accounts' lines follow how many wait)."""
        if not self.sidebar.accounts or self.library.read_only or not self.pushing.due():
            return
        with self.guard():
            accounts = self.library.accounts()
            if [a.pending for a in accounts] != [a.pending for a in self.sidebar.accounts]:
                self.sidebar.update_accounts(accounts)
            waiting = [a for a in accounts if a.pending and a.id not in self.syncing]
            if not waiting:
                return
            cancel = self.pushing.start()
            for account in waiting:
                self.sidebar.set_status([account.id], f"sending {account.pending} change(s)…")
            self._push([a.name for a in waiting], [a.id for a in waiting], cancel)

    @work(thread=True, group="push")
    def _push(self, names: list[str], ids: list[int], cancel: threading.Event) -> None:
        outcome = run_sync(self.library, names, cancel)
        if not cancel.is_set():
            self.post_message(MarksPushed(ids, outcome))

    def on_marks_pushed(self, message: MarksPushed) -> None:
        self.pushing.ended(failed=failed(message.outcome))
        self._synced(message)
        if isinstance(message.outcome, str):  # not an account's own failure: said once
            self.error(message.outcome)

    def on_unmount(self) -> None:
        """However the app ends (Textual calls the sources part's handler too), a push
        under way stops at its next step, saying nothing."""
        self.pushing.stop()
