"""Server accounts in the Library: adding one (logged in before anything is stored), listing,
removing, syncing (through the refresh pipeline: core/sources/accounts), and adding or
removing a feed through the server. Every call that talks to a server runs its own event
loop: the app calls them from a worker thread, the command line directly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from streamtui.core.credentials import Credential
from streamtui.core.errors import DuplicateSourceError, SourceError, StreamtuiError
from streamtui.core.library.sources import SourcesPart
from streamtui.core.library.tree import SourceTree, source_tree
from streamtui.core.models import Account, AccountReport, RefreshEvent, Source, SourceKind
from streamtui.core.text.redact import origin, without_login
from streamtui.core.text.sanitize import excerpt, sanitize
from streamtui.core.urls import web_problem

if TYPE_CHECKING:
    from streamtui.core.fetch import Limits
    from streamtui.core.parse.pool import Parser
    from streamtui.core.sources.accounts.reader import AccountReader
    from streamtui.core.sources.accounts.sync import AccountSync
    from streamtui.core.sync.backend import Backend

KINDS = ("greader", "ttrss", "miniflux", "fever")
T = TypeVar("T")


class UnknownAccountError(StreamtuiError):
    """No account by that name."""


class AccountsPart(SourcesPart):
    """Server accounts: add, list, remove, sync, subscribe and unsubscribe through them."""

    sync_hooks: dict[str, list[Callable[..., object]]] | None = None
    """httpx event hooks given to every account's client (benchmarks count requests)."""

    def accounts(self) -> list[Account]:
        """Every account, with its last sync, its error and the marks waiting to be sent."""
        return self.store.accounts()

    def source_tree(self) -> SourceTree:
        """The sources as the sidebar groups them: each account with its categories and
        feeds, local sources under their OPML folders, each group with its counts."""
        return source_tree(self.store.sources(), self.store.accounts())

    def find_account(self, reference: str) -> Account:
        """An account by its name (case-insensitive) or number."""
        accounts = self.store.accounts()
        for account in accounts:
            if reference == str(account.id) or reference.casefold() == account.name.casefold():
                return account
        raise UnknownAccountError(
            f"{excerpt(reference)}: no such account (see 'streamtui account list')"
        )

    def add_account(
        self,
        kind: str,
        url: str,
        user: str,
        secret: str,
        name: str | None = None,
        *,
        limits: Limits | None = None,
    ) -> tuple[Account, AccountReport]:
        """Log in to a server and keep the account, then sync it once. Nothing is stored
        when the login fails. The same server, URL and user again keeps the account and
        replaces its kept login (a changed password, or a token that expired)."""
        self.store.check_writable()
        kind, url, user = _checked(kind, url, user)
        key = f"{kind} {url.rstrip('/')} {user}"
        shown = sanitize(name or urlsplit(url).hostname or kind) or kind
        given = Credential(user, secret, origin(url))
        backend = self._backend(kind, shown, url, given, limits)
        _run(_login(backend))  # AuthError, ServerDown...: one line, nothing kept
        same = next((a for a in self.store.accounts() if a.key == key), None)
        if same is not None:
            self.credentials.put("account", same.name, backend.credential)
            self.store.finish_sync(same.id, error="")
            return same, self.sync_accounts([same.name], limits=limits)[0]
        try:
            account = self.store.add_account(shown, kind, url, user, key)
        except DuplicateSourceError as error:  # added meanwhile by another streamtui
            raise SourceError(excerpt(url), f"already an account: {error.name!r}") from None
        try:
            self.credentials.put("account", account.name, backend.credential)
        except StreamtuiError:
            self.store.remove_account(account.id)
            raise
        report = self.sync_accounts([account.name], limits=limits)[0]
        report.covered = tuple(s.name for s in self.store.sources() if s.covered == account.name)
        return account, report

    def remove_account(self, reference: str) -> Account:
        """Remove an account here: its sources, items, queue and kept login (nothing is
        changed on the server; local sources stay)."""
        account = self.find_account(reference)
        self.store.remove_account(account.id)
        self.credentials.delete("account", account.name)
        return account

    def sync_accounts(
        self,
        references: Sequence[str] | None = None,
        progress: Callable[[RefreshEvent], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        limits: Limits | None = None,
    ) -> list[AccountReport]:
        """Sync accounts (all of them without ``references``): pull what changed there,
        push what changed here. Each account's outcome, its error as one line."""
        self.store.check_writable()
        from streamtui.core.refresh.run import Refresh

        chosen = (
            self.store.accounts()
            if references is None
            else list({a.id: a for a in map(self.find_account, references)}.values())
        )
        ids = {account.id for account in chosen}
        sources = [s for s in self.store.sources(counted=False) if s.account_id in ids]
        with self._parsing() as parser:
            reader = self.account_reader(chosen, limits, parser)
            Refresh(self.store, [reader], clock=self._clock).run(
                sources, progress or (lambda event: None), cancel
            )
        self.index_left_entries()
        return [
            reader.reports.get(a.id) or AccountReport(a, error=f"{a.name}: not synced (stopped)")
            for a in chosen
        ]

    def push_marks(self, *, limits: Limits | None = None) -> list[AccountReport]:
        """Sync the accounts with marks waiting to be sent (the app calls it a few seconds
        after a mark; a command before it exits)."""
        waiting = [a.name for a in self.store.accounts() if a.pending]
        return self.sync_accounts(waiting, limits=limits) if waiting else []

    def accounts_of(self, item_ids: Sequence[str]) -> list[Account]:
        """The accounts whose items are among ``item_ids``."""
        wanted = {account for account, _ in self.store.remote_ids(item_ids).values()}
        return [a for a in self.store.accounts() if a.id in wanted]

    def why_no_subscriptions(self, reference: str) -> str:
        """Why feeds cannot be added or removed through this account ("" when they can)."""
        from streamtui.core.sync.fever import WHY_NO_SUBSCRIPTIONS

        return WHY_NO_SUBSCRIPTIONS if self.find_account(reference).kind == "fever" else ""

    def subscribe(
        self, reference: str, url: str, category: str | None = None, *, limits: Limits | None = None
    ) -> tuple[Source, AccountReport]:
        """Add a feed through the account's server (in ``category``, a category's title or
        id), then sync the account so that its source and items are here."""
        from streamtui.core.sources.feedurl import check_url

        account = self.find_account(reference)
        url = check_url(url)
        category_id = None
        if category:
            found = self.store.account_categories(account.id)
            matches = [c for c, title in found if category in (c, title)]
            if not matches:
                titles = ", ".join(repr(title) for _, title in found) or "none"
                raise SourceError(
                    excerpt(category), f"no such category on {account.name} (there: {titles})"
                )
            category_id = matches[0]
        backend = self._open(account, limits)
        feed_id = _run(_subscribe(backend, url, category_id))
        report = self.sync_accounts([account.name], limits=limits)[0]
        source_id = self.store.account_feeds(account.id).get(feed_id)
        source = next((s for s in self.store.sources() if s.id == source_id), None)
        if source is None:
            raise SourceError(
                excerpt(url), report.error or f"{account.name} did not list the new feed"
            )
        return source, report

    def remove_source(self, reference: str) -> Source:
        """Remove a source with its items (and its password); a feed of a server account is
        unsubscribed on its server first (SyncError, one line, when that fails: nothing is
        removed then; Fever's API cannot, and says so)."""
        source = self.find_source(reference)
        if source.kind is SourceKind.ACCOUNT:
            return self.unsubscribe(str(source.id))
        return super().remove_source(reference)

    def unsubscribe(self, reference: str, *, limits: Limits | None = None) -> Source:
        """Remove an account's feed through its server, then here (its items go)."""
        source = self.find_source(reference)
        if source.kind is not SourceKind.ACCOUNT or source.account_id is None:
            raise SourceError(sanitize(source.name), "not a feed of a server account")
        account = next(a for a in self.store.accounts() if a.id == source.account_id)
        remote = {sid: rid for rid, sid in self.store.account_feeds(account.id).items()}
        backend = self._open(account, limits)
        _run(_unsubscribe(backend, remote[source.id]))
        self.store.remove_source(source.id)
        return source

    # -- the pieces -------------------------------------------------------------------------

    def account_reader(
        self, accounts: Sequence[Account], limits: Limits | None, parser: Parser
    ) -> AccountReader:
        """The refresh pipeline's reader of these accounts (core/sources/accounts); their
        pages are read by ``parser`` (the worker pool the refresh holds)."""
        from streamtui.core.sources.accounts.reader import AccountReader

        return AccountReader(accounts, lambda account: self._account_sync(account, limits, parser))

    def _account_sync(self, account: Account, limits: Limits | None, parser: Parser) -> AccountSync:
        from streamtui.core.sources.accounts.sync import AccountSync

        def keep(credential: Credential) -> None:
            self.credentials.put("account", account.name, credential)

        return AccountSync(
            self.store,
            account,
            self._open(account, limits),
            clock=self._clock,
            keep=keep,
            parser=parser,
        )

    def _open(self, account: Account, limits: Limits | None) -> Backend:
        """The account's backend with its kept login (an empty one when none is kept: its
        first request then says to give the password again)."""
        kept = self.credentials.get("account", account.name)
        credential = kept or Credential(account.user, "", origin(account.url))
        return self._backend(account.kind, account.name, account.url, credential, limits)

    def _backend(
        self, kind: str, name: str, url: str, credential: Credential, limits: Limits | None
    ) -> Backend:
        from streamtui.core.fetch import Limits
        from streamtui.core.sync import open_backend

        return open_backend(
            kind, name, url, credential, limits=limits or Limits(), event_hooks=self.sync_hooks
        )


def _run(work: Coroutine[object, object, T]) -> T:
    """Run ``work`` to its end: on this thread, or, when this thread runs an event loop
    already (a caller that should have used a worker), on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1, thread_name_prefix="account") as pool:
        return pool.submit(asyncio.run, work).result()


def _checked(kind: str, url: str, user: str) -> tuple[str, str, str]:
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise SourceError(excerpt(kind), f"not a kind of account (one of {', '.join(KINDS)})")
    text = without_login(url.strip())
    problem = web_problem(text)
    if problem is not None:
        reason = "an account's address is an http or https URL with a host"
        raise SourceError(excerpt(url), reason)
    if not user.strip():
        raise SourceError(excerpt(url), "an account needs a user name (--user NAME)")
    return kind, text, user.strip()


async def _login(backend: Backend) -> None:
    try:
        await backend.login()
    finally:
        await backend.aclose()


async def _subscribe(backend: Backend, url: str, category_id: str | None) -> str:
    try:
        return await backend.subscribe(url, category_id)
    finally:
        await backend.aclose()


async def _unsubscribe(backend: Backend, feed_id: str) -> None:
    try:
        await backend.unsubscribe(feed_id)
    finally:
        await backend.aclose()
