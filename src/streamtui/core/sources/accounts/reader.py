"""Server accounts as one more kind of source in the refresh pipeline (refresh/readers.py).

The reader takes the sources of kind ACCOUNT. It is made with the accounts to sync (those of
the sources refreshed; every account for a whole refresh, even one with no feed yet), syncs
each once (sync.py; the accounts at the same time), and reports each of their sources as
:class:`~streamtui.core.refresh.readers.Written`: the sync stored what it pulled itself, page
by page with its watermark. An account that failed reports its sources as skipped with its
one line, which stays on the account (:attr:`reports` say how each sync went)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from streamtui.core.models import Account, AccountReport, Source, SourceKind, SyncStats
from streamtui.core.refresh.readers import Got, Job, Run, Skipped, Written

if TYPE_CHECKING:  # a sync's modules (the sync package, its backends) load with a sync alone
    from streamtui.core.sources.accounts.sync import AccountSync, Outcome

MakeSync = Callable[[Account], "AccountSync"]


class AccountReader:
    """The reader of account feeds: ``make`` gives the sync of an account (its backend
    opened with its credential); ``wait`` bounds how long a sync waits for another sync of
    the same account (the app's, a command's) to end."""

    def __init__(self, accounts: Sequence[Account], make: MakeSync) -> None:
        self.accounts = list(accounts)
        self.make = make
        self.reports: dict[int, AccountReport] = {}
        """Each synced account's report, by account id."""
        self.added: dict[int, dict[int, int]] = {}
        """Items each sync added, by account id, then source id."""

    def takes(self, source: Source) -> bool:
        return source.kind is SourceKind.ACCOUNT

    async def fetch(
        self, jobs: Sequence[Job], run: Run
    ) -> AsyncIterator[tuple[Job, Outcome | None]]:
        waiting: dict[int, list[Job]] = defaultdict(list)
        for job in jobs:
            waiting[job.source.account_id or 0].append(job)
        tasks = {asyncio.ensure_future(self._sync(account)): account for account in self.accounts}
        try:
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    outcome = task.result()
                    self.reports[tasks[task].id] = outcome.report
                    self.added[tasks[task].id] = outcome.added
                    for job in waiting.pop(tasks[task].id, []):
                        yield job, outcome
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for left in waiting.values():  # sources of accounts not synced now
            for job in left:
                yield job, None

    async def parse(self, job: Job, fetched: Outcome | None, run: Run) -> Got:
        if fetched is None:
            return Skipped("its account is not synced by this refresh")
        if fetched.report.error:
            return Skipped(fetched.report.error)
        return Written(SyncStats(added=fetched.added.get(job.source.id, 0)))

    async def _sync(self, account: Account) -> Outcome:
        return await self.make(account).run()
