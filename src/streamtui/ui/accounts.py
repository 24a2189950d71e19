"""Server accounts as the app runs them, off the UI thread: a sync of some accounts (``r`` on
an account), the push of the queue a few seconds after a mark, an unsubscription. Each worker
calls the Library (which blocks on the network) and posts its outcome as a message; the main
screen applies it (``screens/main/accounts.py``). :class:`Pushing` says when the queue is
looked at again after a push that failed (the server down: sooner at first, then less
often)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from streamtui.core.errors import StreamtuiError

if TYPE_CHECKING:  # a sync pulls in httpx: not before the first paint
    from streamtui.core.library import Library
    from streamtui.core.models import AccountReport, RefreshEvent, Source

PUSH_SECONDS = 2.0
"""How often the screen looks whether marks wait to be sent (one small query; with no
account, none): a mark reaches the server within this and the push's own time."""
RETRY_FIRST = 5.0
"""After a push that failed (server down, 401...), the next try waits this long, doubling
at each failure up to :data:`RETRY_MOST`; a sync that succeeds starts over."""
RETRY_MOST = 60.0


class AccountsSynced(Message, bubble=False):
    """A sync the user asked for (``r`` on an account) ended."""

    def __init__(self, account_ids: Sequence[int], outcome: list[AccountReport] | str) -> None:
        super().__init__()
        self.account_ids = list(account_ids)
        self.outcome = outcome  # each account's report, or why the sync as a whole failed


class MarksPushed(AccountsSynced):
    """The queue's push (a sync of the accounts with marks waiting) ended."""


class Unsubscribed(Message, bubble=False):
    def __init__(self, source: Source, error: str) -> None:
        super().__init__()
        self.source = source
        self.error = error  # "" when the server and the store both let it go


def run_sync(
    library: Library,
    names: Sequence[str],
    cancel: threading.Event,
    progress: Callable[[RefreshEvent], None] | None = None,
    *,
    elsewhere: bool = False,
) -> list[AccountReport] | str:
    """A worker thread's body: sync these accounts; their reports, or one line. A sync the
    user asked for (r, with its pull of whole feeds) runs ``elsewhere``, in a process of its
    own as a refresh does (ui/refresh.py); the push of a few marks runs here."""
    try:
        if elsewhere:
            return library.sync_elsewhere(list(names), progress, cancel)
        return library.sync_accounts(list(names), progress, cancel)
    except StreamtuiError as error:
        return str(error)
    except Exception as error:  # shown, never a traceback
        return f"internal error: {error}"


def run_unsubscribe(library: Library, source: Source) -> str:
    """A worker thread's body: unsubscribe an account's feed on its server, then here."""
    try:
        library.remove_source(str(source.id))
    except StreamtuiError as error:
        return str(error)
    except Exception as error:  # shown, never a traceback
        return f"internal error: {error}"
    return ""


def failed(outcome: list[AccountReport] | str) -> bool:
    return isinstance(outcome, str) or any(report.error for report in outcome)


def changed_here(outcome: list[AccountReport] | str) -> bool:
    """Whether a sync brought anything the screen shows (new items, marks made there)."""
    return not isinstance(outcome, str) and any(r.added or r.changed for r in outcome)


def synced_line(report: AccountReport) -> str:
    """The toast of one account's sync that the user asked for."""
    if report.error:
        return report.error
    name = report.account.name
    line = f"Synced {name}: {report.added} new item(s), {report.changed} changed there"
    if report.pushed:
        line += f", {report.pushed} change(s) sent"
    if report.pending:
        line += f", {report.pending} still to send"
    return line + "."


@dataclass(slots=True)
class Pushing:
    """The queue's push: one at a time, and after failures, not before ``next_try``."""

    running: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    failures: int = 0
    next_try: float = 0.0

    def due(self) -> bool:
        return not self.running and time.monotonic() >= self.next_try

    def start(self) -> threading.Event:
        self.running = True
        self.cancel = threading.Event()
        return self.cancel

    def ended(self, *, failed: bool) -> None:
        self.running = False
        if failed:
            self.failures += 1
            wait = min(RETRY_MOST, RETRY_FIRST * 2 ** (self.failures - 1))
            self.next_try = time.monotonic() + wait
        else:
            self.succeeded()

    def succeeded(self) -> None:
        """The server answered (a push, or a sync the user asked for): no more waiting."""
        self.failures, self.next_try = 0, 0.0

    def stop(self) -> None:
        self.cancel.set()
