"""Typed errors. Each names the thing at fault and the reason, ready to show to a user.

Every message passes through :func:`redact_text` when the error is made: a password that a
URL carried never reaches a message, whoever builds it."""

from __future__ import annotations

from streamtui.core.text.redact import redact_text
from streamtui.core.text.sanitize import excerpt

LISTED_CHOICES = 3
"""How many of a page's feeds the one-line message of FeedChoiceError names."""


class StreamtuiError(Exception):
    """Base class: str(error) is a complete one-line message."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact_text(a) if isinstance(a, str) else a for a in args))


class SourceError(StreamtuiError):
    def __init__(self, source: str, reason: str) -> None:
        self.source = redact_text(source)
        self.reason = redact_text(reason)
        super().__init__(f"{self.source}: {self.reason}")


class FeedChoiceError(SourceError):
    """The URL is a web page that links feeds: the user picks one. ``choices`` holds every
    feed the page links (the app's dialog offers them all); the message names a few."""

    def __init__(self, source: str, choices: list[tuple[str, str]]) -> None:
        listed = "; ".join(
            f"{excerpt(title or 'feed', 60)} <{excerpt(url, 100)}>"
            for title, url in choices[:LISTED_CHOICES]
        )
        more = len(choices) - LISTED_CHOICES
        if more > 0:
            listed += f"; and {more:,} more"
        super().__init__(source, f"this is a web page, not a feed; it links: {listed}")
        self.choices = choices


class FileReadError(StreamtuiError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class FileWriteError(StreamtuiError):
    """A file could not be written; nothing was changed."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(StreamtuiError):
    """The database could not be opened or written."""


class ReadOnlyError(StoreError):
    """Nothing can be saved: the database opened read-only (a read-only data directory)."""


class DatabaseGoneError(ReadOnlyError):
    """The database file was deleted or replaced while it was open: what is written to the
    open file would vanish with it, so nothing more is saved (see store/connection.py)."""

    def __init__(self, message: str, *, deleted: bool) -> None:
        super().__init__(message)
        self.deleted = deleted
        """The file is gone (it can be restored); False: another file took its place."""


class DuplicateSourceError(StoreError):
    """A source is already stored at this location (or one that names the same feed)."""

    def __init__(self, location: str, name: str) -> None:
        super().__init__(f"{location}: already added as {name!r}")
        self.location = location
        self.name = name


class CredentialError(StreamtuiError):
    """The credential store could not be read or written; the message names its file."""


class UnknownSourceError(StreamtuiError):
    pass


class UnknownItemError(StreamtuiError):
    pass
