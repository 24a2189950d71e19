"""Typed errors of the sync backends: each is one line naming the account and the reason.

``str(error)`` is ``"<account>: <reason>"``, sanitised (no control character, no line break)
and cut to a bounded length; every secret the backend holds (password, token, session id, API
key, in plain, URL-encoded and JSON-escaped forms) is cut out of it, and so is any password a
URL in it carried (core/redact.py). What each means for the caller:

- :class:`AuthError`: the server refuses the user name and password (or token): ask again.
- :class:`TokenExpired`: a session or token expired and logging in again once did not help,
  or no password is kept to log in with: ask for the password.
- :class:`ServerDown`: no answer at all (refused, unreachable, timed out): keep the queue,
  try later; ``network`` says no connection could be made.
- :class:`ServerError`: an HTTP error status (5xx, 429, an unexpected 4xx), ``status`` set.
- :class:`BadAnswer`: the answer is not what the API promises (not JSON, cut short, too
  large, fields missing).
- :class:`Refused`: the server understood and said no (not a feed, no such feed).
- :class:`NotSupported`: the API cannot do this (Fever cannot subscribe).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote, quote_plus

from streamtui.core.errors import StreamtuiError
from streamtui.core.text.sanitize import excerpt

REASON_LIMIT = 240
# Secrets shorter than this are not cut out of messages: a one- or two-letter password would
# cut every occurrence of those letters, and could not be told apart in a message anyway.
MIN_SECRET = 3
HIDDEN = "…"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets`` (and their URL-encoded and JSON-escaped forms)."""
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
            forms.add(json.dumps(secret)[1:-1])
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, HIDDEN)
    return text


class SyncError(StreamtuiError):
    """Base class: ``account`` and ``reason`` as shown, ``str(error)`` the one-line message."""

    def __init__(self, account: str, reason: str, *, secrets: Iterable[str] = ()) -> None:
        hidden = tuple(secrets)
        self.account = excerpt(scrub(account, hidden), 80)
        self.reason = excerpt(scrub(reason, hidden), REASON_LIMIT)
        super().__init__(f"{self.account}: {self.reason}")


class AuthError(SyncError):
    """The server refuses the login."""


class TokenExpired(AuthError):
    """A session or token expired and could not be renewed by logging in again once."""


class ServerDown(SyncError):
    """No answer: connection refused, unreachable, timed out."""

    def __init__(
        self, account: str, reason: str, *, network: bool = False, secrets: Iterable[str] = ()
    ) -> None:
        super().__init__(account, reason, secrets=secrets)
        self.network = network


class ServerError(SyncError):
    """An HTTP error status; ``retry_at`` when the server said when to come back."""

    def __init__(
        self,
        account: str,
        reason: str,
        *,
        status: int,
        retry_at: datetime | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(account, reason, secrets=secrets)
        self.status = status
        self.retry_at = retry_at


class BadAnswer(SyncError):
    """An answer that breaks the API's promise: not JSON, cut short, too large, malformed."""


class TooLarge(BadAnswer):
    """An answer past the size limit (a caller may ask again for fewer items)."""


class Refused(SyncError):
    """The server understood the request and refused it (not a feed, no such feed)."""


class NotSupported(SyncError):
    """Something the server's API cannot do."""
